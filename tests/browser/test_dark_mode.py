"""Every page reads in the theme's light and dark modes: text, figures and widgets.

For each page of the built book, in both modes (pydata-sphinx-theme: localStorage
`mode`/`theme`, html[data-theme]), with every collapsed block opened:
- text: axe-core's color-contrast rule finds no violation (WCAG AA);
- figures: every content image is opaque, or sits on a light background (the theme
  puts a white one behind content images in dark mode; this catches images that opt
  out of it, such as `.dark-light`, while being transparent);
- widgets (`[data-packviz]`): visible; their text colour on their background, and
  every SVG text on what is painted under it (axe cannot judge SVG text), contrast at
  least 4.5:1 (3:1 from 24 px); axe can decide the contrast of all their HTML text (no
  "incomplete" color-contrast result, which would hide unreadable text from the rule).
"""

from __future__ import annotations

import pytest
from conftest import describe_axe, expand_all, open_book_page

CONTRAST_ONLY = {"runOnly": {"type": "rule", "values": ["color-contrast"]}}

# Luminance, contrast and "effective background" (first ancestor with an opaque
# background colour) of an element, as the page renders it.
_COLOUR_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const ch = [c.r, c.g, c.b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.9) return c;
    }
    return parse(getComputedStyle(document.body).backgroundColor) ||
      {r: 255, g: 255, b: 255, a: 1};
  };
  const contrast = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  window.__pv = {parse, lum, background, contrast};
}
"""

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
() => {
  const {parse, lum, background, contrast} = window.__pv;
  const problems = [];
  const visible = (el) => {
    const st = getComputedStyle(el), box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && st.visibility !== 'hidden' &&
      st.display !== 'none' && Number(st.opacity) > 0.1;
  };
  // What is painted right under an SVG text: a filled shape, or the page behind.
  const behind = (text) => {
    const box = text.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    for (const el of document.elementsFromPoint(x, y)) {
      if (el === text || text.contains(el) || el.contains(text)) continue;
      if (el instanceof SVGGeometryElement) {
        const st = getComputedStyle(el), fill = parse(st.fill);
        if (fill && Number(st.fillOpacity) * Number(st.opacity) > 0.5) return fill;
        continue;
      }
      if (!(el instanceof SVGElement)) return background(el);
    }
    return background(text.ownerSVGElement || text);
  };
  const widgets = [...document.querySelectorAll('[data-packviz]')];
  let svgTexts = 0;
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
    // axe cannot judge SVG text (it treats the SVG as an image): check it here.
    let bad = 0, example = '';
    for (const svg of w.querySelectorAll('svg')) {
      svg.scrollIntoView({block: 'center'});
      for (const text of svg.querySelectorAll('text')) {
        if (!visible(text) || !text.textContent.trim()) continue;
        svgTexts += 1;
        const fg = parse(getComputedStyle(text).fill);
        if (!fg) continue;
        const size = parseFloat(getComputedStyle(text).fontSize);
        const needed = size >= 24 ? 3 : 4.5;
        const bg = behind(text), r = contrast(fg, bg);
        if (r < needed) {
          bad += 1;
          example = example || `"${text.textContent.trim()}" rgb(${fg.r},${fg.g},` +
            `${fg.b}) on rgb(${bg.r},${bg.g},${bg.b}): ${r.toFixed(2)} < ${needed}`;
        }
      }
    }
    if (bad) problems.push(`widget ${name}: ${bad} SVG texts lack contrast: ${example}`);
  }
  window.scrollTo(0, 0);
  return {count: widgets.length, svgTexts, problems};
}
"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_page_is_readable_in_mode(page, book_url, book_page, mode, axe):
    open_book_page(page, book_url, book_page, mode)
    expand_all(page)
    page.evaluate(_COLOUR_JS)
    problems = []

    results = axe(page, None, CONTRAST_ONLY)
    if results["violations"]:
        problems.append("text contrast:\n" + describe_axe(results["violations"]))

    problems += page.evaluate(_FIGURES_JS)

    widgets = page.evaluate(_WIDGETS_JS)
    problems += widgets["problems"]
    if widgets["count"] and results["incomplete"]:
        nodes = [n for rule in results["incomplete"] for n in rule["nodes"]]
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
    assert not problems, f"{book_page} in {mode} mode:\n" + "\n".join(problems)
