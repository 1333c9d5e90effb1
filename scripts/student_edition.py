"""Build the student edition: the same book with every exercise solution removed.

Usage: python scripts/student_edition.py [--source DIR] [--output DIR]
(defaults: the book in this repository, into _build/student/html; `make book-student`).

It builds the book with a temporary copy of `_config.yml` in which sphinx-exercise's
`hide_solutions` is true. Two things that option alone does not do, this script does:

- Gated solutions (`{solution-start}` ... `{solution-end}`, the form CONTRIBUTING.md
  asks for) are not removed by sphinx-exercise 1.2.1: with `hide_solutions` the start
  directive vanishes, the solution's cells stay on the page and the build crashes on
  the orphaned end marker. This module is also a small Sphinx extension (loaded only
  for this build) that drops everything from `{solution-start}` to `{solution-end}`.
- The download button serves the notebooks in `_sources/`; their solution cells are
  stripped after the build, so a student who downloads a chapter gets no solutions.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
import tempfile

import yaml
from docutils import nodes
from sphinx.transforms import SphinxTransform

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXTENSION = pathlib.Path(__file__).stem


# --- the Sphinx extension ----------------------------------------------------------
class hidden_solution_start(nodes.Element):  # noqa: N801 (docutils node naming)
    """Marks where a hidden gated solution starts; removed before writing."""


def _hiding_solution_start():
    from sphinx_exercise.directive import SolutionStartDirective

    class HidingSolutionStart(SolutionStartDirective):
        def run(self):
            result = super().run()  # keeps sphinx-exercise's start/end bookkeeping
            if self.env.app.config.hide_solutions:
                return [hidden_solution_start(label=self.arguments[0])]
            return result

    return HidingSolutionStart


class RemoveHiddenGatedSolutions(SphinxTransform):
    """Drop every node from a hidden `{solution-start}` to its `{solution-end}`."""

    default_priority = 5  # after sphinx-exercise's structure check, before its merge

    def apply(self):
        from sphinx_exercise.nodes import solution_end_node

        for start in list(self.document.findall(hidden_solution_start)):
            parent = start.parent
            first = parent.index(start)
            for last in range(first + 1, len(parent.children)):
                if isinstance(parent.children[last], solution_end_node):
                    break
            else:
                raise RuntimeError(
                    f"{self.env.docname}: solution-start {start['label']!r} has no "
                    "solution-end at the same level; put both in the same section"
                )
            del parent.children[first : last + 1]


def setup(app):
    """Sphinx entry point: load sphinx-exercise, then override its solution-start."""
    app.setup_extension("sphinx_exercise")
    app.add_directive("solution-start", _hiding_solution_start(), override=True)
    app.add_transform(RemoveHiddenGatedSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- stripping solutions from downloadable notebooks -------------------------------
_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{(solution|solution-start|solution-end)\}")


class _Stripper:
    """Line filter that drops solution directives and gated solutions across cells."""

    def __init__(self) -> None:
        self.inside_gated = False  # between {solution-start} and {solution-end}
        self.fence_close: str | None = None  # closing fence of the directive we are in
        self.in_end = False  # inside the {solution-end} directive itself

    def markdown(self, source: str) -> str:
        out = []
        for line in source.splitlines(keepends=True):
            if self.fence_close is not None:
                if line.strip() == self.fence_close:
                    self.fence_close = None
                    if self.in_end:
                        self.in_end = self.inside_gated = False
                continue
            match = _FENCE.match(line)
            if match:
                self.fence_close, kind = match.group(1), match.group(2)
                self.inside_gated |= kind == "solution-start"
                self.in_end = kind == "solution-end"
                continue
            if not self.inside_gated:
                out.append(line)
        return "".join(out)


def strip_solutions(source: str) -> str:
    """Remove solution directives (plain and gated) from one markdown text."""
    return _Stripper().markdown(source)


def strip_notebook(path: pathlib.Path) -> int:
    """Strip solutions from one .ipynb file in place; return how many cells changed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    stripper, cells, changed = _Stripper(), [], 0
    for cell in nb["cells"]:
        old = "".join(cell.get("source", ""))
        if cell["cell_type"] == "markdown":
            new = stripper.markdown(old)
        else:
            new = "" if stripper.inside_gated or stripper.fence_close else old
        if new == old:
            cells.append(cell)
            continue
        changed += 1
        if new.strip():
            cell["source"] = new.strip("\n")
            cells.append(cell)
    nb["cells"] = cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return changed


# --- the build ---------------------------------------------------------------------
def student_config(source: pathlib.Path) -> dict:
    """The book's _config.yml with solutions hidden and this extension loaded."""
    config = yaml.safe_load((source / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("config", {})["hide_solutions"] = True
    # Jupyter Book resolves these against the config file's folder, a temp dir here.
    local = sphinx.get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str((source / path).resolve())
    extensions = sphinx.setdefault("extra_extensions", [])
    if EXTENSION not in extensions:
        extensions.append(EXTENSION)
    return config


def build(
    source: pathlib.Path = ROOT,
    output: pathlib.Path | None = None,
    strict: bool = True,
    config: dict | None = None,
    builder: str = "html",
) -> pathlib.Path:
    """Build the student edition of the book in `source` into `output` (HTML).

    `config` and `builder` build another edition instead (scripts/translations.py: the
    translated editions, and the gettext catalogs); downloads lose their solutions only
    where `config` hides them.
    """
    from jupyter_book.sphinx import build_sphinx

    source = source.resolve()
    config = student_config(source) if config is None else config
    output = (output or source / "_build" / "student" / "html").resolve()
    if str(pathlib.Path(__file__).parent) not in sys.path:
        sys.path.insert(0, str(pathlib.Path(__file__).parent))
    with tempfile.TemporaryDirectory() as tmp:
        path_config = pathlib.Path(tmp) / "_config.yml"
        path_config.write_text(yaml.safe_dump(config), "utf-8")
        result = build_sphinx(
            source,
            output,
            use_external_toc=True,
            noconfig=True,
            path_config=str(path_config),
            confoverrides={
                "external_toc_path": (source / "_toc.yml").as_posix(),
                "latex_individualpages": False,
            },
            builder=builder,
            freshenv=True,
            warningiserror=strict,
            keep_going=strict,
        )
    if result:
        raise SystemExit(f"the student edition failed to build ({result!r})")
    if builder != "html" or not config["sphinx"]["config"]["hide_solutions"]:
        return output
    for notebook in sorted((output / "_sources").rglob("*.ipynb")):
        strip_notebook(notebook)
    return output


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=pathlib.Path, default=ROOT)
    parser.add_argument("--output", type=pathlib.Path, default=None)
    parser.add_argument("--no-strict", action="store_true", help="warnings are not errors")
    args = parser.parse_args()
    where = build(args.source, args.output, strict=not args.no_strict)
    print(f"Student edition: open {where / 'index.html'}")
