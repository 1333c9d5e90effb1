"""The instructor's guide, computed from the chapters at build time.

Two directives for `instructors/guide.md`:

- `{course-chapters}`: per chapter, what students learn and need (the chapter's own
  "What you will learn" and "Prerequisites" boxes), its reading time (prose words at
  `words_per_minute`), its exercises (how many, how many checked, the minutes stated
  for each in `instructors/plan.yml`), its slides (the cells tagged for slides, at
  `slide_minutes` each, with a link to the deck) and its common mistakes (from the
  plan, each with a link into the book);
- `{course-syllabi}`: the plan's syllabi, one table each, with each session's slides,
  reading and exercise minutes added up; the build fails when a session's total is
  over its budget.

And one role, `{slides-link}`chapters/01_why_padding_wastes``: a link to that
chapter's deck, relative to the page (as `_ext/slides_link.py` makes them).

Nothing on the page is typed but the plan: the numbers follow the chapters.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
from dataclasses import dataclass, field

import notebook_editions as editions
import yaml
from docutils import nodes
from docutils.statemachine import StringList
from slides_link import deck_cells, deck_href
from sphinx.util.docutils import SphinxDirective, SphinxRole

PLAN = pathlib.Path("instructors") / "plan.yml"


@dataclass
class Chapter:
    docname: str
    number: str | None
    title: str
    learn: str  # Markdown of the "What you will learn" box
    needs: str  # Markdown of the "Prerequisites" box
    words: int
    exercises: list[tuple[str, bool]] = field(default_factory=list)  # (label, checked)
    slides: int = 0


def _words(markdown: str) -> int:
    """Prose words of a Markdown text: fences, directive options and roles' syntax out."""
    text = re.sub(r"(?ms)^(`{3,}|:{3,}).*?$", " ", markdown)
    text = re.sub(r"(?m)^\s*:[\w-]+:.*$", " ", text)
    text = re.sub(r"\{[\w:-]+\}", " ", text)
    return len(re.findall(r"[\w'’-]+", text))


def read_chapter(root: pathlib.Path, docname: str, number: str | None) -> Chapter:
    cells = json.loads((root / f"{docname}.ipynb").read_text(encoding="utf-8"))["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    boxes = {}
    exercises = []
    for text in markdown:
        for block in editions.split_blocks(text):
            if not isinstance(block, editions.Block):
                continue
            if block.name == "admonition":
                boxes[block.arg] = block.body
            elif block.name == "exercise":
                is_open = "open-question" in block.options.get("class", "")
                exercises.append((block.options["label"], not is_open))
    title = re.search(r"^# (.+)$", "\n".join(markdown), re.M).group(1).strip()
    missing = {"What you will learn", "Prerequisites"} - set(boxes)
    if missing:
        raise ValueError(f"{docname}: no {' or '.join(sorted(missing))} box")
    nb = {"cells": cells}
    slides = sum(1 for i in deck_cells(nb)
                 if set(cells[i]["metadata"].get("tags", [])) & {"slide", "subslide"})
    return Chapter(docname, number, title, boxes["What you will learn"],
                   boxes["Prerequisites"], sum(map(_words, markdown)), exercises, slides)


def load(root: pathlib.Path) -> tuple[dict, list[Chapter]]:
    plan = yaml.safe_load((root / PLAN).read_text(encoding="utf-8"))
    chapters = [read_chapter(root, doc, number)
                for doc, number in editions.toc_numbers(root).items()
                if number and (root / f"{doc}.ipynb").exists()]
    check_plan(plan, chapters)
    return plan, chapters


def check_plan(plan: dict, chapters: list[Chapter]) -> None:
    """Raise ValueError unless the plan states minutes for exactly the book's exercises."""
    labels = {label for ch in chapters for label, _ in ch.exercises}
    stated = set(plan["exercises"])
    if labels != stated:
        raise ValueError(f"{PLAN}: exercises without minutes {sorted(labels - stated)}, "
                         f"minutes for no exercise {sorted(stated - labels)}")


def reading_minutes(chapter: Chapter, plan: dict) -> int:
    return math.ceil(chapter.words / plan["words_per_minute"])


def slide_minutes(chapter: Chapter, plan: dict) -> int:
    return math.ceil(chapter.slides * plan["slide_minutes"])


def _indent(markdown: str, by: str = "  ") -> str:
    return "\n".join(by + line if line.strip() else line for line in markdown.split("\n"))


class _Generated(SphinxDirective):
    """A directive whose content is Markdown made from the plan and the chapters."""

    def markdown(self, plan: dict, chapters: list[Chapter]) -> str:
        raise NotImplementedError

    def run(self):
        root = pathlib.Path(self.env.srcdir)
        self.env.note_dependency(str(root / PLAN))
        for doc in editions.toc_numbers(root):
            if (root / f"{doc}.ipynb").exists():
                self.env.note_dependency(str(root / f"{doc}.ipynb"))
        plan, chapters = load(root)
        container = nodes.container(classes=["course-guide"])
        text = self.markdown(plan, chapters)
        self.state.nested_parse(StringList(text.split("\n"), source=str(PLAN)),
                                self.content_offset, container, match_titles=True)
        return container.children


class CourseChapters(_Generated):
    def markdown(self, plan, chapters):
        out = []
        by_doc = plan.get("mistakes", {})
        for ch in chapters:
            minutes = {label: plan["exercises"][label] for label, _ in ch.exercises}
            each = ", ".join(f"{label.split('-ex-')[1]} {m}"
                             for label, m in minutes.items())
            checked = sum(ok for _, ok in ch.exercises)
            mistakes = []
            for item in by_doc.get(ch.docname, []):
                link = (f"{{ref}}`{item['ref']}`" if "ref" in item
                        else f"{{doc}}`/{item['doc']}`")
                mistakes.append(f"  - {item['text']} ({link})")
            out += [
                f"### {ch.number}. {ch.title}", "",
                f"{{doc}}`Read the chapter </{ch.docname}>`", "",
                "- **Students learn:**", "", _indent(ch.learn.strip()), "",
                "- **They need:**", "", _indent(ch.needs.strip()), "",
                f"- **Reading:** {ch.words:,} words of prose, about "
                f"{reading_minutes(ch, plan)} minutes (code and outputs take longer "
                "when run).",
                f"- **Exercises:** {len(ch.exercises)}, {checked} of them with a check "
                f"cell; about {sum(minutes.values())} minutes in all "
                f"({each}).",
                f"- **Slides:** {ch.slides}, about {slide_minutes(ch, plan)} minutes to "
                f"present: {{slides-link}}`{ch.docname}`.",
                "- **Common mistakes:**", "", *mistakes, "",
            ]
        words = sum(ch.words for ch in chapters)
        exercises = [label for ch in chapters for label, _ in ch.exercises]
        checked = sum(ok for ch in chapters for _, ok in ch.exercises)
        out += [
            "### The whole book", "",
            f"{len(chapters)} chapters, {words:,} words of prose (about "
            f"{sum(reading_minutes(ch, plan) for ch in chapters)} minutes of reading), "
            f"{len(exercises)} exercises ({checked} with a check cell; about "
            f"{sum(plan['exercises'][e] for e in exercises)} minutes) and "
            f"{sum(ch.slides for ch in chapters)} slides (about "
            f"{sum(slide_minutes(ch, plan) for ch in chapters)} minutes).", ""]
        return "\n".join(out)


def _short(label: str) -> str:
    """ch01-ex-predict -> 1 predict: the chapter number and the exercise's name."""
    chapter, name = label.split("-ex-")
    return f"{int(chapter.removeprefix('ch'))} {name}"


def session_minutes(session: dict, plan: dict, by_doc: dict[str, Chapter]) -> dict:
    """Minutes of a session's slides, reading and exercises, and their total."""
    parts = {
        "slides": sum(slide_minutes(by_doc[d], plan) for d in session.get("slides", [])),
        "reading": sum(reading_minutes(by_doc[d], plan) for d in session.get("read", [])),
        "exercises": sum(plan["exercises"][e] for e in session.get("exercises", [])),
    }
    parts["total"] = sum(parts.values())
    return parts


class CourseSyllabi(_Generated):
    def markdown(self, plan, chapters):
        by_doc = {ch.docname: ch for ch in chapters}
        out = []
        for syllabus in plan["syllabi"]:
            out += [f"### {syllabus['title']}", "",
                    "| Session | Slides | Reading | Exercises | Minutes (budget) |",
                    "| --- | --- | --- | --- | --- |"]
            for session in syllabus["sessions"]:
                parts = session_minutes(session, plan, by_doc)
                if parts["total"] > session["budget"]:
                    raise ValueError(
                        f"{PLAN}: '{session['title']}' of '{syllabus['title']}' takes "
                        f"{parts['total']} minutes, over its budget of {session['budget']}")

                def chapters_of(key, session=session):
                    numbers = [by_doc[d].number for d in session.get(key, [])]
                    return f"ch. {', '.join(numbers)}" if numbers else "–"

                exercises = ", ".join(f"{{ref}}`{_short(e)} <{e}>`"
                                      for e in session.get("exercises", []))
                out.append(
                    f"| {session['title']} | {chapters_of('slides')} "
                    f"({parts['slides']} min) | {chapters_of('read')} "
                    f"({parts['reading']} min) | {exercises or '–'} "
                    f"({parts['exercises']} min) | {parts['total']} "
                    f"({session['budget']}) |")
            out.append("")
        return "\n".join(out)


class SlidesLink(SphinxRole):
    def run(self):
        docname = self.text.strip().lstrip("/")
        stem = pathlib.PurePosixPath(docname).name
        here = self.env.app.builder.get_target_uri(self.env.docname) \
            if hasattr(self.env.app.builder, "get_target_uri") else self.env.docname
        href = deck_href(here, self.config.slides_link_url, stem)
        return [nodes.reference(self.rawtext, "slides", refuri=href, internal=False)], []


def setup(app):
    app.add_directive("course-chapters", CourseChapters)
    app.add_directive("course-syllabi", CourseSyllabi)
    app.add_role("slides-link", SlidesLink())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
