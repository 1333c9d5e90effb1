"""Page weight, first widget and redraw latency of the built book, in headless Chromium.

Usage:
    .venv/bin/python benchmarks/widget_latency.py                    # _build/html
    .venv/bin/python benchmarks/widget_latency.py --html /tmp/b/_build/html
    .venv/bin/python benchmarks/widget_latency.py --pages chapters/08_beyond_rnns.html
    make widget-bench                                                # builds the book first

For every page of the book (or those given with --pages), served from 127.0.0.1, over
--loads cold loads (a fresh browser context each: empty cache), the median of:
- transfer: every response the page loads until the network is idle, without scrolling,
  in a 1280 x 800 window; raw bytes of the bodies and the same bodies gzipped (level 6,
  what a server that compresses would send; headers not counted), and the request count;
- first widget (pages that show a packviz widget): from navigation start until the first
  widget has drawn its figure (`[data-packviz] [role=img]` is in the page).
Then, for each kind of widget the book shows, on its page, the redraw latency after a
slider keydown at the widget's largest size (8 sequences of 12 steps, batch 64 of up to
100 steps, a 96-token mask): from the keydown to the redrawn view (the view's first DOM
mutation: the redraw has run) and to the next frame (requestAnimationFrame after it),
median and 95th percentile over --repeats changes.

Pages are grouped by type: "widgets" (a packviz widget), "math" (MathJax, no widget),
"plain" (neither); the summary gives each type's worst page.

Targets (issue 20): transfer of every page <= 1 MB gzipped; first widget <= 0.5 s after
navigation start; redraw p95 (keydown to redrawn view) <= 16 ms for every widget. The
script exits 1 when a target is missed (--no-gate: report only). It is a measurement,
not a test: the numbers depend on the machine and its load, so take them on a quiet
machine and compare runs made in one session.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import re
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support.browser import CHROMIUM_ARGS, FULL_CHROMIUM, serve  # noqa: E402

MAX_GZIP = 1_000_000  # bytes, every page
MAX_FIRST_WIDGET = 0.5  # seconds after navigation start
MAX_REDRAW_P95 = 16.0  # ms, keydown to redrawn view
WINDOW = {"width": 1280, "height": 800}

# Per widget: what its largest size is, the slider whose keydown we time (None: the
# checkbox), and the lengths typed first (None: the waste explorer's readouts instead).
SCENARIOS = {
    "packing": ("8 x 12 steps, lengths[0]", "lengths[0]", "12, 12, 12, 12, 12, 12, 12, 12"),
    "state": ("8 x 12 steps, time step", "time step t", "12, 11, 10, 9, 8, 7, 6, 5"),
    "mask": ("96 tokens, causal", None, "12, 12, 12, 12, 12, 12, 12, 12"),
    "waste": ("batch 64, up to 100 steps, skew", "skew", None),
}

# Records when the first packviz widget has drawn its figure (performance.now() counts
# from navigation start).
FIRST_WIDGET_JS = """
window.__pvFirstWidget = null;
new MutationObserver((records, observer) => {
  if (document.querySelector('[data-packviz] [role=img]')) {
    window.__pvFirstWidget = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
localStorage.setItem('mode', 'light');
"""

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
      if (readout.tagName === 'INPUT') readout.value = value;
      else readout.textContent = value;
      readout.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
    }
  }
  await frame();
  let act;
  if (sliderName !== null) {
    const handle = root.querySelector(`[role=slider][aria-label="${sliderName}"]`);
    let up = true;
    act = () => {
      up = !up;
      handle.dispatchEvent(new KeyboardEvent('keydown',
        {key: up ? 'ArrowRight' : 'ArrowLeft', bubbles: true, cancelable: true}));
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

_VIEW_TAG = 'type="application/vnd.jupyter.widget-view+json"'


def book_pages(html: pathlib.Path) -> list[str]:
    """Every HTML page of the built book (not _static/ etc., not redirect stubs)."""
    pages = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html)
        if any(part.startswith("_") for part in rel.parts[:-1]):
            continue
        if 'http-equiv="refresh"' in path.read_text(errors="replace")[:2000].lower():
            continue
        pages.append(rel.as_posix())
    return pages


def page_type(html: pathlib.Path, page: str) -> str:
    text = (html / page).read_text(encoding="utf-8", errors="replace")
    if _VIEW_TAG in text and "packviz-widget" in text:
        return "widgets"
    if re.search(r"<script[^>]+mathjax", text, re.IGNORECASE):
        return "math"
    return "plain"


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def load_once(browser, url: str, widgets: bool) -> dict:
    """One cold load of `url`: bytes (raw, gzip), requests, first widget (s) or None."""
    context = browser.new_context(viewport=WINDOW)
    context.add_init_script(FIRST_WIDGET_JS)
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    first = None
    if widgets:
        page.wait_for_function("window.__pvFirstWidget !== null", timeout=60_000)
        first = page.evaluate("window.__pvFirstWidget") / 1000
    raw = packed = requests = 0
    for request in responses:
        if not request.url.startswith("http"):
            continue  # data: and blob: URLs cost no transfer
        requests += 1
        try:
            body = request.response().body()
        except Exception:  # noqa: BLE001 (a redirect or an aborted body: no bytes)
            body = b""
        raw += len(body)
        packed += len(gzip.compress(body, 6))
    context.close()
    return {"raw": raw, "gzip": packed, "requests": requests + len(failed),
            "first_widget": first}


def measure_pages(browser, base: str, html: pathlib.Path, pages: list[str],
                  loads: int) -> list[dict]:
    rows = []
    for page in pages:
        kind = page_type(html, page)
        runs = [load_once(browser, f"{base}/{page}", kind == "widgets")
                for _ in range(loads)]
        med = statistics.median
        row = {"page": page, "type": kind,
               "raw": med(r["raw"] for r in runs), "gzip": med(r["gzip"] for r in runs),
               "requests": med(r["requests"] for r in runs),
               "first_widget": (med(r["first_widget"] for r in runs)
                                if kind == "widgets" else None)}
        rows.append(row)
        print(f"  {page:44} {kind:8} {row['gzip'] / 1e6:6.3f} MB gzip "
              f"{row['raw'] / 1e6:6.3f} MB raw {row['requests']:4.0f} requests"
              + (f"  first widget {row['first_widget']:.2f} s" if kind == "widgets"
                 else ""), flush=True)
    return rows


def widget_pages(html: pathlib.Path, pages: list[str]) -> dict[str, str]:
    """The first page that shows each kind of widget (by its anywidget view class)."""
    names = {"packing": "PackingView", "waste": "WasteView", "state": "StateView",
             "mask": "MaskView"}
    found = {}
    for page in pages:
        text = (html / page).read_text(encoding="utf-8", errors="replace")
        for kind, view in names.items():
            if kind not in found and f"packviz.widgets.{view}" in text:
                found[kind] = page
    return found


def measure_redraws(browser, base: str, found: dict[str, str], repeats: int) -> list:
    rows = []
    for kind, page_path in found.items():
        label, slider, lengths = SCENARIOS[kind]
        context = browser.new_context(viewport=WINDOW)
        context.add_init_script("localStorage.setItem('mode', 'light')")
        page = context.new_page()
        page.goto(f"{base}/{page_path}")
        root = page.locator(f'[data-packviz="{kind}"]').first
        root.locator("[role=img]").first.wait_for(timeout=60_000)
        root.scroll_into_view_if_needed()
        result = page.evaluate(MEASURE_JS, [kind, slider, lengths, repeats])
        rows.append((kind, f"{kind}: {label}", result["dom"], result["next"]))
        context.close()
    return rows


def summarize(rows: list[dict], redraws: list, missing: list[str]) -> list[str]:
    """Print the per-type summary and the redraw table; return the missed targets."""
    missed = []
    print(f"\n{'page type':10} {'pages':>5} {'gzip MB':>8} {'raw MB':>8} {'requests':>9} "
          f"{'first widget s':>15}   (worst page of the type, each a median)")
    for kind in ("widgets", "math", "plain"):
        group = [r for r in rows if r["type"] == kind]
        if not group:
            continue
        firsts = [r["first_widget"] for r in group if r["first_widget"] is not None]
        print(f"{kind:10} {len(group):5d} {max(r['gzip'] for r in group) / 1e6:8.3f} "
              f"{max(r['raw'] for r in group) / 1e6:8.3f} "
              f"{max(r['requests'] for r in group):9.0f} "
              f"{(f'{max(firsts):.2f}' if firsts else '-'):>15}")
    for r in rows:
        if r["gzip"] > MAX_GZIP:
            missed.append(f"{r['page']}: {r['gzip'] / 1e6:.3f} MB gzip > "
                          f"{MAX_GZIP / 1e6:.1f} MB")
        if r["first_widget"] is not None and r["first_widget"] > MAX_FIRST_WIDGET:
            missed.append(f"{r['page']}: first widget at {r['first_widget']:.2f} s > "
                          f"{MAX_FIRST_WIDGET} s")
    if redraws:
        print(f"\n{'redraw after a slider keydown':44} {'view (ms)':>15} "
              f"{'next frame (ms)':>17}")
        print(f"{'':44} {'median':>7} {'p95':>7} {'median':>8} {'p95':>8}")
        for kind, name, dom, nxt in redraws:
            print(f"{name:44} {statistics.median(dom):7.2f} {p95(dom):7.2f} "
                  f"{statistics.median(nxt):8.2f} {p95(nxt):8.2f}")
            if p95(dom) > MAX_REDRAW_P95:
                missed.append(f"{kind}: redraw p95 {p95(dom):.2f} ms > {MAX_REDRAW_P95} ms")
    if missing:
        print(f"(no page shows a {', '.join(missing)} widget: its redraw is not measured)")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=pathlib.Path, default=ROOT / "_build" / "html",
                        help="a built book's HTML folder (default: _build/html)")
    parser.add_argument("--pages", nargs="*", help="pages under --html (default: all)")
    parser.add_argument("--loads", type=int, default=5, help="cold loads per page")
    parser.add_argument("--repeats", type=int, default=40, help="slider moves per widget")
    parser.add_argument("--json", type=pathlib.Path, help="also write the numbers here")
    parser.add_argument("--no-gate", action="store_true",
                        help="report only: exit 0 even when a target is missed")
    args = parser.parse_args()
    html = args.html.resolve()
    if not (html / "index.html").exists():
        sys.exit(f"{html} holds no built book: run `make book` (or pass --html)")
    pages = args.pages or book_pages(html)
    from playwright.sync_api import sync_playwright

    print(f"{html}: {len(pages)} pages, median of {args.loads} cold loads each "
          "(Chromium, headless, 127.0.0.1)")
    with serve(html) as base, sync_playwright() as p:
        # The full browser, as readers run it (the tests use its headless shell).
        browser = p.chromium.launch(executable_path=FULL_CHROMIUM, args=CHROMIUM_ARGS)
        rows = measure_pages(browser, base, html, pages, args.loads)
        found = widget_pages(html, pages)
        redraws = measure_redraws(browser, base, found, args.repeats)
        browser.close()
    missing = [k for k in SCENARIOS if k not in found]
    missed = summarize(rows, redraws, missing)
    if args.json:
        args.json.write_text(json.dumps({
            "pages": rows,
            "redraws": {k: {"view_median": statistics.median(d), "view_p95": p95(d),
                            "frame_median": statistics.median(n), "frame_p95": p95(n)}
                        for k, _, d, n in redraws},
        }, indent=1) + "\n", encoding="utf-8")
    if missed:
        print("\nTargets missed:\n  " + "\n  ".join(missed))
        return 0 if args.no_gate else 1
    print("\nEvery target met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
