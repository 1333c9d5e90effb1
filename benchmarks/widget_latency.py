"""How fast the live widgets answer, in Chromium, on a built book (no kernel).

Usage:
    .venv/bin/python benchmarks/widget_latency.py                  # a temporary widget book
    .venv/bin/python benchmarks/widget_latency.py --html _build/html \\
        --page chapters/02_what_packing_produces.html             # a page of the real book

Prints a table of:
- redraw latency: from a slider's keydown (dispatched in the page) to the redrawn view
  (the first DOM mutation of the view, i.e. the redraw has run) and to the next frame
  (requestAnimationFrame after it), median and 95th percentile, for each widget at its
  largest size (8 sequences of 12 steps, batch 64 of up to 100 steps, a 96-token mask);
  target: median <= 16 ms;
- first render: from navigation start to every widget on the page drawn, with an empty
  cache (median of several loads); target: <= 2 s locally;
- bytes transferred by the page (all requests, from the Resource Timing API), and the
  largest files.
This is a measurement script, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))
from support.browser import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402
from widget_book import build_widget_book  # noqa: E402

CELLS = [
    "from packviz.widgets import (mask_explorer, packing_explorer, state_explorer,\n"
    "                             waste_explorer)",
    "packing_explorer([9, 8, 6, 4, 3, 2])",
    "waste_explorer()",
    "state_explorer((5, 2))",
    "mask_explorer((3, 2, 4))",
]

# Per widget: JS that puts it at its largest size, then the slider whose keydown we time.
SCENARIOS = {
    "packing": ("8 x 12 steps, lengths[0]", "lengths[0]", "12, 12, 12, 12, 12, 12, 12, 12"),
    "state": ("8 x 12 steps, time step", "time step t", "12, 11, 10, 9, 8, 7, 6, 5"),
    "mask": ("96 tokens, causal", None, "12, 12, 12, 12, 12, 12, 12, 12"),
    "waste": ("batch 64, up to 100 steps, skew", "skew", None),
}

MEASURE_JS = """
async ([kind, sliderName, lengths, n]) => {
  const root = document.querySelector(`[data-packviz="${kind}"]`);
  const view = root.querySelector('.packviz-view');
  const input = root.querySelector('[data-field=lengths_input]');
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  if (lengths !== null) {
    input.value = lengths;
    input.dispatchEvent(new Event('input', {bubbles: true}));
  }
  if (kind === 'waste') {  // largest batch and length: type into the readouts
    for (const [name, value] of [['batch size', '64'], ['max length', '100']]) {
      const readout = root.querySelector(`[aria-label="${name} (type a value)"]`);
      readout.textContent = value;
      readout.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
    }
  }
  await frame();
  let act;
  if (sliderName !== null) {
    const handle = root.querySelector(`.noUi-handle[aria-label="${sliderName}"]`);
    let up = true;
    act = () => {
      up = !up;
      handle.dispatchEvent(new KeyboardEvent('keydown',
        {key: up ? 'ArrowRight' : 'ArrowLeft', bubbles: true}));
    };
  } else {
    const box = root.querySelector('input[type=checkbox]');
    act = () => box.click();
  }
  const dom = [], next = [];
  for (let i = 0; i < n; i++) {
    let changed;
    const obs = new MutationObserver(() => {
      if (changed === undefined) changed = performance.now();
    });
    obs.observe(view, {childList: true, subtree: true});
    const t0 = performance.now();
    act();
    await frame();
    const t1 = performance.now();
    obs.disconnect();
    if (changed === undefined) throw new Error(`${kind}: the view did not change`);
    dom.push(changed - t0);
    next.push(t1 - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return {dom, next};
}
"""


def build_book(tmp: pathlib.Path) -> pathlib.Path:
    """A one-page book with the four widgets (the real _config.yml), built with JB."""
    return build_widget_book(tmp, CELLS, "Widget benchmark")


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=pathlib.Path, help="a built book's HTML folder")
    parser.add_argument("--page", default="widgets.html", help="page under --html")
    parser.add_argument("--repeats", type=int, default=40, help="slider moves per widget")
    parser.add_argument("--loads", type=int, default=5, help="page loads for first render")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        html = args.html or build_book(pathlib.Path(tmp))
        with serve(html) as base:
            rows, loads, kinds, sizes = measure(f"{base}/{args.page}", args)
    report(args, base, rows, loads, kinds, sizes)


def measure(url: str, args: argparse.Namespace) -> tuple[list, list, list, list]:
    """Time the widgets of the page at `url`: (rows, loads, kinds, sizes) for report."""
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        loads, kinds, sizes = [], [], None
        for _ in range(args.loads):
            context = browser.new_context()  # empty cache every time
            context.add_init_script("localStorage.setItem('mode', 'light')")
            page = context.new_page()
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_function(
                "document.querySelectorAll('script[type=\"application/vnd.jupyter."
                "widget-view+json\"]').length > 0 && [...document.querySelectorAll("
                "'.packviz-view')].length === document.querySelectorAll('script"
                '[type="application/vnd.jupyter.widget-view+json"]\').length && '
                "[...document.querySelectorAll('.packviz-view')].every((v) => "
                "v.querySelector('[role=img]'))",
                timeout=60_000,
            )
            loads.append(
                page.evaluate(
                    "(() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return [performance.now(), n.domContentLoadedEventEnd,"
                    " n.loadEventEnd || performance.now()]; })()"
                )
            )
            kinds = page.evaluate(
                "[...document.querySelectorAll('[data-packviz]')]"
                ".map((e) => e.dataset.packviz)"
            )
            page.wait_for_load_state("networkidle")
            sizes = page.evaluate(
                "[performance.getEntriesByType('navigation')[0], "
                "...performance.getEntriesByType('resource')].map((e) => "
                "[e.name, e.transferSize])"
            )
            context.close()

        context = browser.new_context()
        context.add_init_script("localStorage.setItem('mode', 'light')")
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("[data-packviz] [role=img]")
        for kind in dict.fromkeys(kinds):
            label, slider, lengths = SCENARIOS[kind]
            page.locator(f'[data-packviz="{kind}"]').first.scroll_into_view_if_needed()
            result = page.evaluate(MEASURE_JS, [kind, slider, lengths, args.repeats])
            rows.append((f"{kind}: {label}", result["dom"], result["next"]))
        browser.close()
    return rows, loads, kinds, sizes


def report(args, base: str, rows: list, loads: list, kinds: list, sizes: list) -> None:
    print(f"page: {args.page}  (Chromium headless, {args.repeats} changes per widget)")
    print(f"{'redraw after a slider keydown':44} {'view (ms)':>15} {'next frame (ms)':>17}")
    print(f"{'':44} {'median':>7} {'p95':>7} {'median':>8} {'p95':>8}")
    for name, dom, nxt in rows:
        print(
            f"{name:44} {statistics.median(dom):7.2f} {p95(dom):7.2f} "
            f"{statistics.median(nxt):8.2f} {p95(nxt):8.2f}"
        )
    drawn = [x[0] for x in loads]
    med = statistics.median
    print(
        f"\nfirst render, all {len(kinds)} widgets drawn (median of {len(loads)} cold "
        f"loads): {med(drawn) / 1000:.2f} s (min {min(drawn) / 1000:.2f}, "
        f"max {max(drawn) / 1000:.2f}); DOMContentLoaded "
        f"{med([x[1] for x in loads]) / 1000:.2f} s, load event "
        f"{med([x[2] for x in loads]) / 1000:.2f} s (html-manager renders on load)"
    )
    total = sum(size for _, size in sizes)
    print(f"bytes transferred by the page: {total / 1e6:.2f} MB in {len(sizes)} requests")
    for name, size in sorted(sizes, key=lambda x: -x[1])[:5]:
        print(f"  {size / 1e6:6.2f} MB  {name.replace(base, '')[:90]}")


if __name__ == "__main__":
    main()
