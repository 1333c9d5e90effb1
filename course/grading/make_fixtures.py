"""Write the grading fixture: chapter 1's student notebook, answered in known ways.

Usage: .venv/bin/python -m course.grading.make_fixtures

It starts from what students open (the student edition, _ext/notebook_editions.py), so
fixtures/submissions/ then holds one case per way a submission can go (fixtures/README.md
lists them), and fixtures/timeout/ the notebook that never ends (graded on its own, with
a short limit, so that the class's own limit can be generous). expected.csv and
expected-timeout.csv, what grading them must give, are written by hand from the cases,
not by the grader. The notebooks are stored without outputs, execution
counts or widget state, to keep them small.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import pathlib
import shutil
import sys

from course.grading.autograder import CHAPTERS, ROOT

FIXTURES = pathlib.Path(__file__).with_name("fixtures")
SUBMISSIONS = FIXTURES / "submissions"
TIMEOUT = FIXTURES / "timeout"
CHAPTER = CHAPTERS / "01_why_padding_wastes.ipynb"

RIGHT = {  # as a student might write them: two computed with the chapter's objects
    "answer_predict": "answer_predict = (9, 7)",
    "answer_sorting": ("rows_seen.clear()\n"
                       "run_padded(cell, padded[lengths.argsort(descending=True)])\n"
                       "answer_sorting = sum(rows_seen)"),
    "answer_buckets": "answer_buckets = 52",
    "answer_gru": ("with FlopCounterMode(display=False) as counter:\n"
                   "    nn.GRUCell(F, H)(padded[:1, 0])\n"
                   "answer_gru = counter.get_total_flops()"),
}
WRONG = {  # the typical mistakes the registry lists first
    "answer_predict": "answer_predict = (7, 9)",
    "answer_sorting": "answer_sorting = 45",
    "answer_buckets": "answer_buckets = 64",
    "answer_gru": "answer_gru = 120",
}


def student_edition(path: pathlib.Path = CHAPTER) -> dict:
    """The chapter's student edition (_ext/notebook_editions.py, what students open),
    without outputs, execution counts or widget state."""
    spec = importlib.util.spec_from_file_location(
        "notebook_editions", ROOT / "_ext" / "notebook_editions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    docname = path.relative_to(ROOT).with_suffix("").as_posix()
    nb = module.edition_notebook(json.loads(path.read_text("utf-8")),
                                 module.context_for(docname, "student"))
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _find(nb: dict, start: str) -> int:
    hits = [i for i, c in enumerate(nb["cells"]) if _src(c).startswith(start)]
    assert len(hits) == 1, (start, hits)
    return hits[0]


def _set(cell: dict, text: str) -> None:
    lines = text.split("\n")
    cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]


def answered(nb: dict, answers: dict[str, str]) -> dict:
    """A copy of `nb` with the `answer_x = None` cells replaced by `answers`."""
    nb = copy.deepcopy(nb)
    for variable, text in answers.items():
        _set(nb["cells"][_find(nb, f"{variable} = None")], text)
    return nb


def code_cell(text: str, cell_id: str) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {}, "outputs": [], "source": []}
    _set(cell, text)
    return cell


def cases(nb: dict) -> dict[str, dict | bytes]:
    """Relative path -> notebook (or raw bytes) of every fixture case."""
    out: dict[str, dict | bytes] = {}
    out["ada.ipynb"] = answered(nb, RIGHT)
    out["ben.ipynb"] = answered(nb, WRONG)
    partly = {**RIGHT, "answer_sorting": "answer_sorting = 56"}
    del partly["answer_gru"]  # left as None
    out["cleo/ch1_final.ipynb"] = answered(nb, partly)
    out["cleo/ch1_old.ipynb"] = answered(nb, {})  # older: ignored
    raises = answered(nb, {**RIGHT, "answer_gru": "answer_gru = flops_of_gru / 2"})
    after = _find(raises, "lengths = torch.tensor([4, 6, 8, 5, 4, 3, 7, 8])")
    raises["cells"].insert(after + 1, code_cell("print(lengths[100])", "fx-raise"))
    out["dan.ipynb"] = raises
    deleted = answered(nb, RIGHT)
    for start in ('check("ch01-ex-sorting"', RIGHT["answer_sorting"]):
        del deleted["cells"][_find(deleted, start)]
    out["eve.ipynb"] = deleted
    slow = answered(nb, RIGHT)
    never = ("import subprocess\nimport sys\nimport time\n\n"
             "# A process of its own too (as a DataLoader's workers would be): the grader\n"
             "# must kill it with the kernel.\n"
             "helper = subprocess.Popen([sys.executable, '-c', 'import time; "
             "time.sleep(3600)'])\ntime.sleep(3600)")
    slow["cells"].insert(1, code_cell(never, "fx-sleep"))  # first code cell: soon reached
    out["../timeout/finn.ipynb"] = slow  # graded on its own, with a short time limit
    out["hal.ipynb"] = b"print('this is a Python script, saved as .ipynb')\n"
    out["ivy.ipynb"] = b'{"answer_predict": [9, 7]}\n'
    notes = copy.deepcopy(nb)
    notes["metadata"].pop("packing_book", None)
    notes["cells"] = [code_cell("print('my own notes')", "fx-notes")]
    out["jo.ipynb"] = notes
    out["kim.pdf"] = b"%PDF-1.4\n% not a notebook\n"
    return out


def main() -> None:
    for folder in (SUBMISSIONS, TIMEOUT):
        if folder.exists():
            shutil.rmtree(folder)
    for rel, content in cases(student_edition()).items():
        path = (SUBMISSIONS / rel).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            text = json.dumps(content, indent=1, ensure_ascii=False) + "\n"
            path.write_text(text, "utf-8")
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
