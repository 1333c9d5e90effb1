"""One licence story everywhere: LICENSE, the README, pyproject.toml and every page.

LICENSE names the two licences (text and figures: CC-BY-4.0; code: MIT-0) and the
files with their full texts; the README's Licence section, packviz's metadata and the
footer of every built page must say the same.
"""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from support import HTML, ROOT

TEXT, CODE = "CC-BY-4.0", "MIT-0"
NAMES = {TEXT: ("CC BY 4.0", "creativecommons.org/licenses/by/4.0/"),
         CODE: ("MIT-0", "opensource.org/license/mit-0")}


def licence_file() -> str:
    return (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_license_names_one_licence_for_text_and_one_for_code():
    text = licence_file()
    assert re.search(rf"^Text and figures: {TEXT}$", text, re.M)
    assert re.search(rf"^Code: {CODE}$", text, re.M)
    assert (ROOT / "LICENSE-TEXT").read_text(encoding="utf-8").startswith(
        "Creative Commons Attribution 4.0 International")
    assert (ROOT / "LICENSE-CODE").read_text(encoding="utf-8").startswith(
        "MIT No Attribution")


def test_packviz_metadata_says_mit_0():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == CODE
    assert {"LICENSE", "LICENSE-CODE"} <= set(project["project"]["license-files"])


def test_the_readme_says_the_same():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Licence"):]
    section = section[: section.find("\n## ", 4) if "\n## " in section[4:] else None]
    for spdx in (TEXT, CODE):
        assert spdx in section, f"README's Licence section does not name {spdx}"
    assert "LICENSE" in section


def test_the_footer_of_the_config_names_both():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    footer = config["html"]["extra_footer"]
    for name, url in NAMES.values():
        assert name in footer and url in footer


@pytest.mark.book
def test_every_built_page_carries_the_licence():
    def redirect(page):
        return 'http-equiv="refresh"' in page.read_text(errors="ignore")[:2000].lower()

    pages = [p for p in HTML.rglob("*.html")
             if "_static" not in p.parts and not redirect(p)]
    assert pages, f"no built pages in {HTML}"
    for page in pages:
        html = page.read_text(encoding="utf-8", errors="ignore")
        for name, url in NAMES.values():
            assert url in html and name in html, f"{page.relative_to(HTML)} lacks {name}"
