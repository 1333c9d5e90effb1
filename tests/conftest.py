"""Which tests run together on one xdist worker (make test: `--dist loadgroup`).

Each test runs with the rest of its file, as under `--dist loadfile`: a notebook's cells
in one kernel, a module's fixtures built once. The exception are the browser tests
that look at one load of a page of the book (they take the `shared_pages` fixture of
tests/browser/conftest.py, and SHARED_LOAD in support/xdist_groups.py names them):
those of one page (their `book_page` or `widget_page`) run together, whatever their
file, so that the page is loaded once for all of them; and the tests of a file in
ONE_BY_ONE (the chapters run with oneDNN off), which share nothing and go to either
worker one by one.

xdist's own loadgroup reads `xdist_group` marks through the nodeid, which pytest 9
no longer lets a plugin change (xdist 3.8 then groups nothing, silently); so the
scheduler below groups by nodeid itself, and collection fails if SHARED_LOAD and
the tests that take `shared_pages` ever disagree.
"""

from __future__ import annotations

import pytest
from support.xdist_groups import group_of


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    wrong = []
    for item in items:
        shared = "shared_pages" in getattr(item, "fixturenames", ())
        params = getattr(getattr(item, "callspec", None), "params", {})
        page = params.get("book_page") or params.get("widget_page")
        named = group_of(item.nodeid).startswith("page:")
        if shared != named or (shared and group_of(item.nodeid) != f"page:{page}"):
            wrong.append(item.nodeid)
    if wrong:
        raise pytest.UsageError(
            "tests/conftest.py: SHARED_LOAD must name exactly the tests that take "
            "`shared_pages` (with a book_page or widget_page); it does not for "
            f"{wrong[:5]}")


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return ByGroup(config, log)
