"""Grade one notebook with otter-grader, in this process's own folder; write JSON.

Usage (the grader starts it, one process per notebook, and kills it past the time
limit): python worker.py AUTOGRADER.zip NOTEBOOK.ipynb RESULT.json

otter's `run` (otter.run.main) unpacks the zip into a temporary autograder folder (under
$TMPDIR, which the grader points at this run's own folder), copies the notebook there,
puts an init cell in front and a cell that runs every test at the end, and executes it
with nbconvert, errors allowed: a cell that raises does not stop the run. The tests then
see the notebook's globals. This script adds what the grader needs and otter does not
report: which of the notebook's cells raised, and what.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import traceback


def _errors(submitted: list[dict], executed: list[dict]) -> list[dict]:
    """The cells of `submitted` whose run raised, found in otter's executed notebook
    (which has otter's own cells in between): position (1-based), first line, error."""
    found, start = [], 0
    for cell in executed:
        source = "".join(cell.get("source", ""))
        for index in range(start, len(submitted)):
            if "".join(submitted[index].get("source", "")) == source:
                break
        else:
            continue  # a cell otter added
        start = index + 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = next((line for line in source.splitlines() if line.strip()), "")
                found.append({"cell": index + 1, "first_line": first.strip(),
                              "ename": output.get("ename", ""),
                              "evalue": output.get("evalue", "")})
    return found


def grade(zip_path: str, notebook_path: str) -> dict:
    import nbformat
    import otter.run

    nb = nbformat.read(notebook_path, as_version=4)
    # A student's Jupyter may have saved a kernel name this machine lacks: run the
    # notebook in this Python's kernel, whatever it says.
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    here = pathlib.Path.cwd() / "submission.ipynb"
    nbformat.write(nb, here)
    results = otter.run.main(str(here), autograder=zip_path, output_dir=None, no_logo=True)
    if results.catastrophic_error is not None:
        error = results.catastrophic_error
        return {"crash": f"{type(error).__name__}: {error}"}
    tests = {}
    for name, test_file in results.results.items():
        tests[name] = {
            "score": test_file.score, "possible": test_file.possible,
            "cases": [{"name": r.test_case.name, "hidden": r.test_case.hidden,
                       "passed": r.passed, "message": r.message or ""}
                      for r in test_file.test_case_results],
        }
    executed = results.notebook.cells if results.notebook is not None else []
    return {"tests": tests, "errors": _errors(nb.cells, executed)}


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        sys.exit(__doc__)
    zip_path, notebook_path, out = argv
    # "python" in a kernel spec is this venv's Python.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    try:
        result = grade(zip_path, notebook_path)
    except Exception as err:  # noqa: BLE001 (report anything as the notebook's reason)
        traceback.print_exc()
        last = str(err).strip().splitlines()[-1:] or [""]
        result = {"crash": f"{type(err).__name__}: {last[0]}".rstrip(": ")}
    pathlib.Path(out).write_text(json.dumps(result, indent=1), "utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
