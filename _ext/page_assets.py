"""What each built page loads: no script twice, and only what the page uses.

Inline scripts added after the builder starts are written once (Sphinx 7.4 wrote
them twice). Sphinx's `Sphinx.add_js_file` registers a script and hands it to the
HTML builder as it is; an inline script (`filename=None`, a `body=`) reaches the
builder's list as `None`. Before writing, the builder adds the registered scripts
again, as `''`, and its duplicate check compares `None` with `''`: every inline script
an extension added on `builder-inited` or later appears twice on every page. For
sphinx-thebe's `const THEBE_JS_URL = ...` (added on `env-before-read-docs`) the second
copy is a SyntaxError ("Identifier 'THEBE_JS_URL' has already been declared") on every
page; sphinx-togglebutton's `var togglebuttonSelector` is doubled too, silently. Sphinx
fixed this in 8.2 (sphinx-doc/sphinx#13402: the builder gets `''`); Jupyter Book 1
needs Sphinx 7, so `_normalise_inline_scripts` does the same here.
"""

from __future__ import annotations


def _normalise_inline_scripts(app) -> None:
    """Hand inline scripts to the builder as `''`, as it re-adds them before writing."""
    builder = app.builder
    add = getattr(builder, "add_js_file", None)
    if add is None or getattr(add, "_page_assets", False):
        return

    def add_js_file(filename, **kwargs):
        return add(filename or "", **kwargs)

    add_js_file._page_assets = True
    builder.add_js_file = add_js_file


def setup(app):
    # Before any other builder-inited handler (sphinx-togglebutton adds one there).
    app.connect("builder-inited", _normalise_inline_scripts, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
