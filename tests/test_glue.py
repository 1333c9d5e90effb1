"""packviz.glue writes what myst-nb's glue writes (the book build reads it)."""

from __future__ import annotations

import pytest

import packviz.glue


@pytest.mark.parametrize("value", [4.86, 12, "text", [1, 2]])
@pytest.mark.parametrize("display", [True, False])
def test_packviz_glue_displays_what_myst_nb_glue_displays(monkeypatch, value, display):
    import IPython.display
    import myst_nb.ext.glue

    calls = []
    record = lambda *args, **kwargs: calls.append((args, kwargs))  # noqa: E731
    monkeypatch.setattr(myst_nb.ext.glue, "ipy_display", record)
    monkeypatch.setattr(IPython.display, "display", record)
    myst_nb.ext.glue.glue("name", value, display=display)
    packviz.glue.glue("name", value, display=display)
    assert len(calls) == 2 and calls[0] == calls[1]
    (bundle,), kwargs = calls[1]
    assert kwargs["metadata"]["scrapbook"] == {
        "name": "name", "mime_prefix": "" if display else packviz.glue.GLUE_PREFIX}
    assert all(key.startswith(kwargs["metadata"]["scrapbook"]["mime_prefix"])
               for key in bundle)
