"""Every page reads in the theme's light and dark modes: text, figures and widgets.

For each page of the built book, in both modes (pydata-sphinx-theme: localStorage
`mode`/`theme`, html[data-theme]), with every collapsed block opened:
- text: axe-core's color-contrast rule finds no violation (WCAG AA);
- figures: every content image is opaque, or sits on a light background (the theme
  puts a white one behind content images in dark mode; this catches images that opt
  out of it, such as `.dark-light`, while being transparent);
- widgets (`[data-packviz]`): visible; their text colour on their background has
  contrast at least 4.5:1; axe can decide the contrast of all their HTML text (no
  "incomplete" color-contrast result, which would hide unreadable text from the rule);
  they draw no SVG text (axe cannot judge it: every label is HTML, see figure() in
  packviz/js/view.js); the data they draw in SVG (the waste explorer's curve and dot,
  not the grid lines) has contrast at least 3:1 on what is painted under it (WCAG
  1.4.11, non-text contrast), and a waste explorer shows both.
"""

from __future__ import annotations

from conftest import axe_everything, describe_axe, expand_all, open_book_page
from support.browser import CONTRAST_JS

CONTRAST_ONLY = {"runOnly": {"type": "rule", "values": ["color-contrast"]}}
NON_TEXT = 3.0  # WCAG 1.4.11: graphics needed to understand the content

_FIGURES_JS = """
() => {
  const {lum, background} = window.__pv;
  const problems = [];
  const opaque = (img) => {
    const w = Math.min(img.naturalWidth, 400), h = Math.min(img.naturalHeight, 400);
    if (!w || !h) return false;
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0, w, h);
    const data = ctx.getImageData(0, 0, w, h).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] < 250) return false;
    return true;
  };
  for (const img of document.querySelectorAll('.bd-content img')) {
    if (img.closest('[data-packviz]')) continue;  // widgets are checked separately
    const box = img.getBoundingClientRect();
    if (box.width < 24 || box.height < 24) continue;  // icons and badges
    if (!img.complete || img.naturalWidth === 0) {
      problems.push(`${img.getAttribute('src')}: the image did not load`);
      continue;
    }
    let isOpaque;
    try { isOpaque = opaque(img); } catch (e) { isOpaque = false; }
    const bg = background(img);
    if (!isOpaque && lum(bg) < 0.5) {
      problems.push(`${img.getAttribute('src')}: transparent image on a dark ` +
        `background rgb(${bg.r}, ${bg.g}, ${bg.b})`);
    }
  }
  return problems;
}
"""

_WIDGETS_JS = """
(needed) => {
  const {parse, lum, background, contrast} = window.__pv;
  const problems = [];
  const visible = (el) => {
    const st = getComputedStyle(el), box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && st.visibility !== 'hidden' &&
      st.display !== 'none' && Number(st.opacity) > 0.1;
  };
  // What is painted right under an SVG shape: a filled shape, or the page behind.
  const behind = (shape) => {
    const box = shape.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    for (const el of document.elementsFromPoint(x, y)) {
      if (el === shape || shape.contains(el) || el.contains(shape)) continue;
      if (el instanceof SVGGeometryElement) {
        const st = getComputedStyle(el), fill = parse(st.fill);
        if (fill && Number(st.fillOpacity) * Number(st.opacity) > 0.5) return fill;
        continue;
      }
      if (!(el instanceof SVGElement)) return background(el);
    }
    return background(shape.ownerSVGElement || shape);
  };
  const widgets = [...document.querySelectorAll('[data-packviz]')];
  const graphics = [];
  for (const w of widgets) {
    const name = w.getAttribute('data-packviz') || w.tagName;
    if (!visible(w)) {
      problems.push(`widget ${name}: not visible`);
      continue;
    }
    const ratio = contrast(parse(getComputedStyle(w).color), background(w));
    if (ratio < 4.5) {
      problems.push(`widget ${name}: its text colour on its background has ` +
        `contrast ${ratio.toFixed(2)} < 4.5`);
    }
    // axe cannot judge SVG text (it treats an SVG as an image): there must be none.
    const texts = [...w.querySelectorAll('svg text, svg foreignObject')]
      .filter((t) => t.textContent.trim());
    if (texts.length) {
      problems.push(`widget ${name}: ${texts.length} SVG texts (axe cannot judge ` +
        `them; draw labels in HTML): "${texts[0].textContent.trim()}"`);
    }
    // The data drawn in SVG: every visible shape but the grid lines.
    let shapes = 0;
    for (const shape of w.querySelectorAll('svg :is(polyline, path, circle, rect, ' +
                                           'line, polygon, ellipse)')) {
      if (shape.matches('.pv-grid') || !visible(shape)) continue;
      shape.scrollIntoView({block: 'center'});
      const st = getComputedStyle(shape), bg = behind(shape);
      const inks = [st.stroke, st.fill].map(parse).filter((c) => c && c.a > 0.5);
      const best = Math.max(0, ...inks.map((c) => contrast(c, bg)));
      shapes += 1;
      if (best < needed) {
        problems.push(`widget ${name}: its SVG ${shape.tagName} ` +
          `(${shape.getAttribute('class')}) has contrast ${best.toFixed(2)} < ` +
          `${needed} on rgb(${bg.r}, ${bg.g}, ${bg.b})`);
      }
    }
    graphics.push([name, shapes]);
  }
  window.scrollTo(0, 0);
  return {count: widgets.length, graphics, problems};
}
"""


def readability_problems(page, book_page: str, contrast: dict) -> list[str]:
    """What is hard to read on the page (its widgets drawn, every block open) in the
    mode it shows; `contrast` is axe's result with the color-contrast rule."""
    page.evaluate(CONTRAST_JS)
    problems = []
    if contrast["violations"]:
        problems.append("text contrast:\n" + describe_axe(contrast["violations"]))

    problems += page.evaluate(_FIGURES_JS)

    widgets = page.evaluate(_WIDGETS_JS, NON_TEXT)
    problems += widgets["problems"]
    for name, shapes in widgets["graphics"]:
        if name == "waste" and shapes < 2:
            problems.append(f"widget waste: found {shapes} SVG shapes of data, not the "
                            "curve and the dot (did the plot change?)")
    if widgets["count"] and contrast["incomplete"]:
        nodes = [n for rule in contrast["incomplete"] for n in rule["nodes"]]
        in_widget = page.evaluate(  # HTML text only: SVG text is checked above
            "(targets) => targets.map((t) => { const e = document.querySelector(t[0]);"
            " return !!e && !!e.closest('[data-packviz]') && !e.closest('svg'); })",
            [n["target"] for n in nodes],
        )
        undecided = [n["target"] for n, inside in zip(nodes, in_widget) if inside]
        if undecided:
            problems.append(
                "widget text whose contrast axe cannot decide (make its background "
                f"a plain colour): {undecided[:8]}"
            )
    return problems


def test_page_is_readable_in_light_mode(shared_page, book_page, axe):
    # The page's one axe run with every rule (test_accessibility) holds this rule's
    # result: the same as a run of this rule alone.
    everything = axe_everything(shared_page, axe)
    contrast = {kind: [r for r in everything[kind] if r["id"] == "color-contrast"]
                for kind in ("violations", "incomplete")}
    problems = readability_problems(shared_page, book_page, contrast)
    assert not problems, f"{book_page} in light mode:\n" + "\n".join(problems)


def test_page_is_readable_in_dark_mode(page, book_url, book_page, axe):
    open_book_page(page, book_url, book_page, "dark")
    expand_all(page)
    problems = readability_problems(page, book_page, axe(page, None, CONTRAST_ONLY))
    assert not problems, f"{book_page} in dark mode:\n" + "\n".join(problems)
