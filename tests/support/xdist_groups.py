"""Which tests make test runs together on one xdist worker: see tests/conftest.py."""

from __future__ import annotations

import re

# (file, test function) of every test that takes `shared_pages`.
SHARED_LOAD = {
    ("tests/browser/test_accessibility.py",
     "test_page_has_no_serious_or_critical_axe_violations"),
    ("tests/browser/test_dark_mode.py", "test_page_is_readable_in_light_mode"),
    ("tests/browser/test_page_errors.py", "test_page_loads_without_an_error"),
    ("tests/browser/test_page_weight.py", "test_page_loads_only_what_it_shows"),
    ("tests/browser/test_phone_width.py", "test_no_page_is_wider_than_a_phone"),
    ("tests/browser/test_phone_width.py",
     "test_every_slider_keeps_a_track_a_thumb_can_drag"),
    ("tests/browser/test_phone_width.py", "test_nothing_is_wider_than_the_page"),
}
_NODEID = re.compile(r"(?P<file>[^:]+)::(?P<test>\w+)\[(?P<page>[^\]]+\.html)\]")


# Files whose tests share nothing and each take seconds (a chapter run in a process of
# its own): each test is a group, so both workers take them.
ONE_BY_ONE = {"tests/test_portability.py"}


def group_of(nodeid: str) -> str:
    """The group of the test `nodeid`: "page:PAGE" for a test of SHARED_LOAD, the test
    itself in a file of ONE_BY_ONE, its file for every other test."""
    m = _NODEID.fullmatch(nodeid)
    if m and (m["file"], m["test"]) in SHARED_LOAD:
        return f"page:{m['page']}"
    file = nodeid.split("::")[0]
    return nodeid if file in ONE_BY_ONE else file
