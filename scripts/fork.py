"""Point the book at another repository: one line in _config.yml, then this.

Usage: python scripts/fork.py [--url https://github.com/OWNER/REPO]   (make fork)

`repository.url` in `_config.yml` is the one place the book's address is written.
With `--url`, this sets it there first. Then it writes the address into the few
places that must carry it literally, because they are read where `_config.yml` is not:

- the setup cell (`REPO_URL = "..."`) of every notebook, which Colab runs to install
  `packviz` from the repository;
- the setup cell that CONTRIBUTING.md shows for new chapters;
- the README's block of links and badges (the published book, the student edition,
  slides, PDF, Colab and Binder), between its `<!-- links -->` markers.

Everything else (launch buttons, download links, the generated notebooks' setup
cells, links in the built pages) is made from `_config.yml` at build time.
`tests/test_fork.py` checks that these places agree and, on a copy of the repository,
that after a fork no built page or generated notebook names the old address.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import notebook_editions as editions  # noqa: E402

URL_LINE = re.compile(r'^(?P<indent>\s*)REPO_URL = "[^"]*"', re.M)
CONFIG_URL = re.compile(r"^(?P<indent>\s+url:\s*)\S+\s*$", re.M)
LINKS = re.compile(r"<!-- links:.*?<!-- end links -->", re.S)


def readme_links(root: pathlib.Path = ROOT) -> str:
    """The README's block of links, made from _config.yml."""
    repo = editions.repository_url(root)
    site = editions.published_url(root)
    owner_repo = "/".join(repo.split("/")[-2:])
    first = "chapters/01_why_padding_wastes.ipynb"
    branch = editions.BRANCHES["full"]
    return (
        "<!-- links: written by `make fork` from repository.url in _config.yml -->\n"
        f"[The book]({site}) · [student edition]({site}student/) · "
        f"[slides]({site}slides/) · [PDF]({site}book.pdf) · "
        f"[notebooks]({repo}/tree/{branch})\n\n"
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{first})\n"
        "[![Launch Binder](https://mybinder.org/badge_logo.svg)]"
        f"(https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/chapters)\n"
        "<!-- end links -->"
    )


def set_config_url(url: str, root: pathlib.Path = ROOT) -> None:
    """Write `url` as repository.url in _config.yml, keeping the rest of the file."""
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise SystemExit(f"--url must look like https://github.com/OWNER/REPO, not {url!r}")
    path = root / "_config.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\nrepository:")
    end = text.find("\n\n", start + 1)
    block = text[start:end if end != -1 else None]
    new_block, count = CONFIG_URL.subn(lambda m: f"{m.group('indent')}{url}", block, 1)
    if count != 1:
        raise SystemExit("_config.yml: no `url:` line under `repository:`")
    path.write_text(text.replace(block, new_block, 1), encoding="utf-8")


def notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    return sorted([*root.glob("chapters/*.ipynb"), *root.glob("reference/*.ipynb")])


def sync(root: pathlib.Path = ROOT) -> list[str]:
    """Write _config.yml's address everywhere it must be literal; return what changed."""
    url = editions.repository_url(root)
    changed = []
    for path in notebooks(root):
        nb = json.loads(path.read_text(encoding="utf-8"))
        edited = False
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            new = URL_LINE.sub(lambda m: f'{m.group("indent")}REPO_URL = "{url}"', source)
            if new != source:
                cell["source"] = new.splitlines(keepends=True)
                edited = True
        if edited:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")
            changed.append(str(path.relative_to(root)))
    for name, pattern, make in (
        ("CONTRIBUTING.md", URL_LINE,
         lambda m: f'{m.group("indent")}REPO_URL = "{url}"'),
        ("README.md", LINKS, lambda m: readme_links(root)),
    ):
        path = root / name
        text = path.read_text(encoding="utf-8")
        new = pattern.sub(make, text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(name)
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the new repository, https://github.com/OWNER/REPO")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT)
    args = parser.parse_args()
    if args.url:
        set_config_url(args.url, args.root)
    changed = sync(args.root)
    print(f"repository.url = {editions.repository_url(args.root)}; updated: "
          + (", ".join(changed) or "nothing (already in step)"))


if __name__ == "__main__":
    main()
