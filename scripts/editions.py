"""Write the notebooks readers open: plain Markdown, full or student edition.

Usage: python scripts/editions.py [--out _build/editions] [--edition full|student]

For each edition, writes the tree of the branch the launch buttons open
(`notebooks`, `student-notebooks`: the generated chapters plus what Binder needs to
run them) into OUT/<branch>/; the deploy workflow pushes each tree to its branch. The
conversion itself is `_ext/notebook_editions.py`, which the book build also uses for
its download buttons.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import notebook_editions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_build" / "editions")
    parser.add_argument("--edition", choices=notebook_editions.EDITIONS, action="append")
    args = parser.parse_args()
    for edition in args.edition or notebook_editions.EDITIONS:
        tree = notebook_editions.write_tree(args.out, edition)
        count = len(list(tree.rglob("*.ipynb")))
        print(f"{edition}: {count} notebooks in {tree}")


if __name__ == "__main__":
    main()
