"""Scaffolding the tests share, written once.

- `support.torch_reference`: what torch itself says about a batch of lengths (packing,
  the attention mask of transformer-style packing) and the random lengths the tests
  draw; the tests compare packviz (Python and JavaScript) with it.
- `support.browser`: Chromium, the built book served on 127.0.0.1, pages confined to
  that server, and the colour-contrast script; used by tests/browser and by
  benchmarks/widget_latency.py.

tests/*.py import it as `support` (pytest puts tests/ on sys.path); tests/browser and
benchmarks/ put tests/ on sys.path first (`support.path()` names it). It imports no
conftest.
"""
