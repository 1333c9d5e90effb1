"""support/xdist_groups.py: which tests make test runs together on one worker."""

from support.xdist_groups import SHARED_LOAD, group_of


def test_a_notebook_and_a_test_file_each_run_on_one_worker():
    assert group_of("chapters/01_why_padding_wastes.ipynb::Cell 3") == (
        "chapters/01_why_padding_wastes.ipynb")
    assert group_of("tests/test_claims.py::test_rule[gru-2-bi]") == "tests/test_claims.py"
    assert group_of("tests/browser/test_dark_mode.py::test_page_is_readable_in_dark_mode"
                    "[intro.html]") == "tests/browser/test_dark_mode.py"


def test_the_tests_of_one_shared_load_run_together_by_page():
    pages = {group_of(f"{file}::{test}[chapters/02_what_packing_produces.html]")
             for file, test in SHARED_LOAD}
    assert pages == {"page:chapters/02_what_packing_produces.html"}
    assert len({file for file, _ in SHARED_LOAD}) == 5
