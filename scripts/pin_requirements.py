"""Compile the pinned requirements from the short lists with pip-compile (pip-tools).

Usage (pip-tools in a venv of your own, not in .venv):
    python -m venv /tmp/pin && /tmp/pin/bin/pip install pip-tools
    /tmp/pin/bin/python scripts/pin_requirements.py [--upgrade]

requirements.in      -> requirements.txt      the book build and what the chapters import
requirements-test.in -> requirements-test.txt tests and lint, on top of requirements.txt
requirements-lab.in  -> requirements-lab.txt  JupyterLab (`make lab`, Binder), on top

Without --upgrade, pip-compile keeps every pin that still fits the .in files and only
adds or drops what changed. torch is written without its local label (`+cpu`): the
same `torch==X` line then takes the CPU wheel from PyTorch's CPU index
(TORCH_INDEX_URL in the Makefile) and the default build elsewhere.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = ("requirements", "requirements-test", "requirements-lab")  # base first
HEADER = (
    "# Compiled from {src} by scripts/pin_requirements.py (pip-compile); do not edit.\n"
    "# Edit {src} and re-run the script.\n"
)


def compile_layer(name: str, upgrade: bool) -> int:
    """pip-compile one .in file into its .txt; return the number of pins written."""
    src, out = ROOT / f"{name}.in", ROOT / f"{name}.txt"
    command = [
        sys.executable, "-m", "piptools", "compile", "--quiet", "--no-header",
        "--no-emit-index-url", "--no-emit-find-links", "--strip-extras", "--allow-unsafe",
        "--output-file", out.name, src.name,
    ]
    if upgrade:
        command.append("--upgrade")
    env = {**os.environ, "CUSTOM_COMPILE_COMMAND": "python scripts/pin_requirements.py"}
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    text = re.sub(r"^(torch==[^+\s]+)\+\S+", r"\1", out.read_text(encoding="utf-8"),
                  flags=re.M)
    out.write_text(HEADER.format(src=src.name) + text, encoding="utf-8")
    return len(re.findall(r"^\S+==", text, flags=re.M))


def main(argv: list[str]) -> None:
    unknown = set(argv) - {"--upgrade"}
    if unknown:
        sys.exit(__doc__)
    try:
        import piptools  # noqa: F401
    except ImportError:
        sys.exit("pip-tools is missing: see the usage in " + __doc__)
    for name in LAYERS:
        print(f"{name}.txt: {compile_layer(name, '--upgrade' in argv)} pins", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
