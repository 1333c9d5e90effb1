"""Accessibility fixes for HTML that myst-nb generates (axe checks them in tests/browser).

myst-nb labels the toggle of a `hide-input` cell "Toggle hidden content" while it shows
"Show code cell source": screen-reader users then hear a name that voice-control users
cannot say (axe: label-content-name-mismatch). Dropping the label makes the visible text
the accessible name.
"""

from __future__ import annotations

MISLABELLED_TOGGLE = '<summary aria-label="Toggle hidden content">'


def _fix_body(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and MISLABELLED_TOGGLE in body:
        context["body"] = body.replace(MISLABELLED_TOGGLE, "<summary>")


def setup(app):
    app.connect("html-page-context", _fix_body)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
