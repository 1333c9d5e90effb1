"""Sphinx side of the generated notebooks (`_ext/notebook_editions.py`).

- The build is tagged with its edition (`full` or `student`), so a page can say which
  edition it is with `{only} student` and `{only} not student`.
- The launch buttons (Colab, Binder) open the edition's generated branch:
  `notebooks` for the full book, `student-notebooks` for the student edition
  (`hide_solutions: true`, as scripts/student_edition.py builds it).
- The student edition's repository button opens that branch too, not the main one
  (whose chapters hold the solutions).
- After the build, every notebook a reader downloads from `_sources/` is the
  generated notebook of the edition (plain Markdown; no solution in the student one),
  not the MyST source.
"""

from __future__ import annotations

import json
import pathlib

import notebook_editions as editions


def edition_of(config) -> str:
    return "student" if config.hide_solutions else "full"


def _set_branch(app, config) -> None:
    app.tags.add(edition_of(config))  # for `{only} student` / `{only} not student`
    options = dict(config.html_theme_options or {})
    options["repository_branch"] = editions.BRANCHES[edition_of(config)]
    config.html_theme_options = options


def _point_repository_button_at_branch(app, pagename, templatename, context, doctree):
    if edition_of(app.config) != "student":
        return
    branch = editions.BRANCHES["student"]
    for button in _walk(context.get("header_buttons", [])):
        if button.get("label") == "source-repository-button":
            button["url"] = f"{button['url'].rstrip('/')}/tree/{branch}"


def _walk(buttons):
    for button in buttons:
        yield button
        yield from _walk(button.get("buttons", []))


def _write_downloads(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = pathlib.Path(app.srcdir)
    edition = edition_of(app.config)
    sources = pathlib.Path(app.outdir) / "_sources"
    for docname in sorted(app.env.found_docs):
        path = root / f"{docname}.ipynb"
        if not path.exists():
            continue
        ctx = editions.context_for(docname, edition, root)
        nb = editions.edition_notebook(json.loads(path.read_text(encoding="utf-8")), ctx)
        target = sources / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")


def setup(app):
    app.connect("config-inited", _set_branch)
    app.connect("html-page-context", _point_repository_button_at_branch, priority=900)
    app.connect("build-finished", _write_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
