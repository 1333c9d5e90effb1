"""`glue(name, value, display=True)`: store a value for the book's `{glue}` roles.

The output is the one myst-nb's `glue` writes (a display of the value's mime bundle,
under `application/papermill.record/` when `display=False`, with `scrapbook` metadata
naming it), so the book build finds it the same way. It does not import myst-nb: the
first call of myst-nb's `glue` imports its Sphinx side, 1.7 s in a chapter's kernel on
the reference machine. In Jupyter and Colab the value then sits in the cell's output,
shown only with `display=True`. `tests/test_glue.py` compares the two outputs.
"""

from __future__ import annotations

from typing import Any

GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Record `variable`'s display under `name` (shown too when `display`)."""
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    mimebundle, metadata = format_display_data(variable)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)
