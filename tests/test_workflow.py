"""The GitHub Actions workflow tests with `make test` and publishes _build/html to Pages."""

from __future__ import annotations

import pathlib
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


def test_uploads_build_html_on_main_and_deploys_it_to_pages():
    (upload,) = _uses("test", "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_build/html"
    assert upload["if"] == ON_MAIN
    steps = _steps("test")
    assert steps.index(upload) > next(
        i for i, s in enumerate(steps) if s.get("run", "").strip() == "make test"
    )
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
