"""The instructor's guide: computed from the chapters, within its budgets, on the page.

`_ext/course_guide.py` reads the chapters and `instructors/plan.yml`; these tests hold
the plan to the chapters (minutes for every exercise, links that exist, sessions
within their budgets) and check that the built page shows the computed numbers.
"""

from __future__ import annotations

import copy
import html
import re
import sys

import pytest
from support import HTML, ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import course_guide  # noqa: E402

PLAN, CHAPTERS = course_guide.load(ROOT)
BY_DOC = {ch.docname: ch for ch in CHAPTERS}


def test_the_plan_states_minutes_for_exactly_the_books_exercises():
    labels = {label for ch in CHAPTERS for label, _ in ch.exercises}
    assert labels == set(PLAN["exercises"]) and len(labels) >= 3 * len(CHAPTERS)
    broken = copy.deepcopy(PLAN)
    broken["exercises"].pop(sorted(labels)[0])
    with pytest.raises(ValueError, match="without minutes"):
        course_guide.check_plan(broken, CHAPTERS)


@pytest.mark.parametrize("syllabus", PLAN["syllabi"], ids=lambda s: s["title"])
def test_every_session_fits_its_budget_and_names_real_material(syllabus):
    for session in syllabus["sessions"]:
        for doc in [*session.get("slides", []), *session.get("read", [])]:
            assert doc in BY_DOC, f"{session['title']}: no chapter {doc}"
        for label in session.get("exercises", []):
            assert label in PLAN["exercises"], f"{session['title']}: no exercise {label}"
        parts = course_guide.session_minutes(session, PLAN, BY_DOC)
        assert 0 < parts["total"] <= session["budget"], (session["title"], parts)
        assert parts["total"] == parts["slides"] + parts["reading"] + parts["exercises"]


def test_a_session_over_its_budget_fails_the_build():
    plan = copy.deepcopy(PLAN)
    session = plan["syllabi"][0]["sessions"][0]
    session["budget"] = 1
    directive = course_guide.CourseSyllabi.__new__(course_guide.CourseSyllabi)
    with pytest.raises(ValueError, match="over its budget"):
        directive.markdown(plan, CHAPTERS)


def test_every_chapter_has_mistakes_and_objectives():
    for ch in CHAPTERS:
        assert PLAN["mistakes"].get(ch.docname), f"{ch.docname}: no common mistakes"
        assert ch.learn.count("\n- ") + ch.learn.startswith("- ") >= 2
        assert ch.words > 500


@pytest.mark.book
def test_the_built_guide_shows_the_numbers_of_every_chapter():
    page = HTML / "instructors" / "guide.html"
    if not page.exists():
        pytest.fail(f"{page} is not built: run make book")
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    text = re.sub(r"\s+", " ", text)
    for ch in CHAPTERS:
        minutes = course_guide.reading_minutes(ch, PLAN)
        assert f"{ch.words:,} words of prose, about {minutes} minutes" in text, ch.docname
        assert f"Slides: {ch.slides}, about" in text
    built = page.read_text(encoding="utf-8")
    decks = re.findall(r'href="(\.\./slides/[^"]+\.slides\.html)"', built)
    assert len(decks) == len(CHAPTERS)
