"""The GitHub Actions workflow tests with `make test` and publishes _build/html to Pages."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOW = yaml.safe_load(
    (ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8")
)
ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def _steps(job: str) -> list[dict]:
    return WORKFLOW["jobs"][job]["steps"]


def _uses(job: str, action: str) -> list[dict]:
    return [s for s in _steps(job) if s.get("uses", "").split("@")[0] == action]


def test_runs_on_push_and_pull_request():
    triggers = WORKFLOW[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers


def test_test_job_runs_make_test_with_python_311_node_20_and_ci():
    job = WORKFLOW["jobs"]["test"]
    assert job["runs-on"].startswith("ubuntu")
    assert job["env"]["CI"] == "true"
    assert _uses("test", "actions/setup-python")[0]["with"]["python-version"] == "3.11"
    assert _uses("test", "actions/setup-node")[0]["with"]["node-version"] == "20"
    runs = [s["run"].strip() for s in _steps("test") if "run" in s]
    assert "make test" in runs


def test_builds_and_tests_only_through_the_makefile():
    for job in WORKFLOW["jobs"]:
        for step in _steps(job):
            command = step.get("run", "")
            for tool in ("pytest", "jupyter-book", "sphinx-build", "pip ", "npm "):
                assert tool not in command, f"{job}: call make, not {tool.strip()}"


def test_uploads_the_site_on_main_and_deploys_it_to_pages():
    (upload,) = _uses("test", "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_build/site"
    assert upload["if"] == ON_MAIN
    steps = _steps("test")
    tested = next(i for i, s in enumerate(steps) if s.get("run", "").strip() == "make test")
    built = next(i for i, s in enumerate(steps) if "make site" in s.get("run", ""))
    assert tested < built < steps.index(upload) and steps[built]["if"] == ON_MAIN
    deploy = WORKFLOW["jobs"]["deploy"]
    assert deploy["needs"] == "test" and deploy["if"] == ON_MAIN
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert _uses("deploy", "actions/deploy-pages")


def test_ci_installs_the_cpu_build_of_torch_through_the_makefile():
    job = WORKFLOW["jobs"]["test"]
    assert job["env"]["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PIP_INDEX := $(if $(TORCH_INDEX_URL),--extra-index-url $(TORCH_INDEX_URL))" in (
        makefile
    )
    installs = [line for line in makefile.splitlines() if " -r requirements.txt" in line]
    assert installs and all("$(PIP_INDEX)" in line for line in installs)


def _old_python() -> str | None:
    """An interpreter older than the Makefile's PYTHON_MIN, if this machine has one."""
    root = pathlib.Path.home() / ".pyenv" / "versions"
    found = sorted(root.glob("3.10.*/bin/python")) + sorted(root.glob("3.9.*/bin/python"))
    return str(found[0]) if found else shutil.which("python3.10")


def test_make_stops_early_on_an_unsupported_python(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("needs make")
    old = _old_python()
    if old is None:
        pytest.skip("no Python older than 3.11 here")
    make = ["make", "-s", "--no-print-directory", "check-python", f"VENV={tmp_path}/none"]
    refused = subprocess.run(
        [*make, f"PYTHON={old}"], cwd=ROOT, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "is not supported" in refused.stderr and "3.11 to 3.13" in refused.stderr
    accepted = subprocess.run(
        [*make, f"PYTHON={sys.executable}"], cwd=ROOT, capture_output=True, text=True
    )
    assert accepted.returncode == 0, accepted.stderr


def test_main_publishes_both_editions_site_and_notebook_branches():
    """The site holds the full book at the root and the student edition beside it; the
    branches the launch buttons open are pushed from the trees `make notebooks` writes."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    site = makefile[makefile.index("\nsite:") + 1:].split("\n\n")[0]
    assert "book book-student" in site.splitlines()[0]
    assert "cp -r _build/html/. $(SITE)/" in site
    assert "cp -r _build/student/html $(SITE)/student" in site
    sys.path.insert(0, str(ROOT / "_ext"))
    import notebook_editions

    (push,) = [s for s in _steps("test") if "git -C" in s.get("run", "")]
    assert push["if"] == ON_MAIN
    for branch in notebook_editions.BRANCHES.values():
        assert branch in push["run"].split("for branch in ")[1].split(";")[0]
    assert "_build/editions/$branch" in push["run"]
    assert WORKFLOW["jobs"]["test"]["permissions"] == {"contents": "write"}


def test_make_site_builds_and_copies_the_translated_editions():
    """The site the workflow uploads holds the Spanish and Korean editions at es/, ko/,
    es/student/ and ko/student/: `site` depends on every translated edition and runs
    site-i18n (mk/i18n.mk; tests/test_translations.py runs it) after it has emptied
    the site folder."""
    result = subprocess.run(["make", "-pn", "--no-print-directory", "site"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    rule = re.search(r"^site: (.*)$", result.stdout, re.M)
    assert rule, result.stderr[-2000:]
    assert "books-i18n" in rule.group(1).split()
    books = re.search(r"^books-i18n: (.*)$", result.stdout, re.M).group(1).split()
    assert set(books) == {"book-es", "book-ko", "book-es-student", "book-ko-student"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("\nsite:") + 1:].split("\n\n")[0]
    assert recipe.index("rm -rf $(SITE)") < recipe.index("site-i18n"), recipe
