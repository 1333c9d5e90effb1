"""The book on a phone: a 390 x 844 window (an iPhone 12 to 15 held upright).

- no page of the book is wider than the window, with every collapsed block (solutions,
  hidden code) opened: tables, code and outputs scroll inside their own box or wrap;
On every page that shows a packviz widget:
- every visible slider keeps a track at least 120 px wide (a thumb can drag it);
- nothing is wider than the page: the document does not scroll sideways, every widget
  ends inside the window, and no drawing scrolls sideways inside its view; and so with
  the most and longest sequences typed in and every slider at its maximum;
- a long message under the lengths box wraps inside the widget.
The checks that only measure share one load of the page (conftest.SharedPages); the two
that type into its widgets load it for themselves.
"""

from __future__ import annotations

import pytest
from conftest import (
    expected_packviz_widgets,
    open_book_page,
    wait_until_settled,
    widget_pages,
)

from packviz.widgets import MAX_COUNT, MAX_LENGTH

PHONE = {"width": 390, "height": 844}
MIN_TRACK = 120  # px

WIDGET_PAGES = widget_pages()

# Visible sliders (label and track width), the document's widths, and for every packviz
# widget its right edge and the widths of its views.
_MEASURE_JS = """
() => {
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const doc = document.documentElement;
  const sliders = [...document.querySelectorAll('.packviz-widget .widget-hslider')]
    .filter(shown)
    .map((s) => {
      // The track: noUiSlider's (html-manager, JupyterLab) or packviz's (embed.js).
      const track = s.querySelector('.noUi-target, .pv-slider') ||
        s.querySelector('.slider-container');
      const thumb = s.querySelector('[role=slider]') || {};
      return {
        label: (s.querySelector('.widget-label') || {}).textContent || '?',
        value: Number(thumb.ariaValueNow),
        max: Number(thumb.ariaValueMax),
        track: track ? track.getBoundingClientRect().width : 0,
        right: s.getBoundingClientRect().right,
      };
    });
  const widgets = [...document.querySelectorAll('.packviz-widget')].map((w) => ({
    kind: w.dataset.packviz,
    right: w.getBoundingClientRect().right,
    controls: [...w.querySelectorAll('.widget-inline-hbox, input')]
      .filter(shown)
      .map((c) => [c.className.split(' ').filter((n) => n.startsWith('widget-'))
                    .join(' ') || c.tagName, c.getBoundingClientRect().right]),
    views: [...w.querySelectorAll('.packviz-view')]
      .map((v) => [v.scrollWidth, v.clientWidth]),
  }));
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, sliders, widgets};
}
"""


def measure(page) -> dict:
    return page.evaluate(_MEASURE_JS)


def open_on_phone(page, book_url: str, widget_page: str) -> dict:
    page.set_viewport_size(PHONE)
    open_book_page(page, book_url, widget_page)
    return measure(page)


def on_phone(shared_pages, book_url: str, book_page: str):
    """The page in a phone's window as conftest.prepare_page leaves it (every block
    open), shared by the tests below that only measure it (conftest.SharedPages)."""
    return shared_pages.open(book_url, book_page, PHONE)


def test_no_page_is_wider_than_a_phone(shared_pages, book_url, book_page):
    page = on_phone(shared_pages, book_url, book_page)
    widths = page.evaluate(
        """() => {
          const doc = document.documentElement;
          // Past the edge and not inside a box that scrolls or clips: what widens the page.
          const inBox = (el) => {
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              if (getComputedStyle(p).overflowX !== 'visible') return true;
            }
            return false;
          };
          const wide = [...document.querySelectorAll('article *')]
            .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 0.5)
            .filter((el) => !inBox(el))
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}: `
                         + `${(el.textContent || '').trim().slice(0, 50)}`);
          return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
        }"""
    )
    assert widths["client"] == PHONE["width"]
    assert widths["scroll"] <= widths["client"], (
        f"{book_page} is {widths['scroll']} px wide in a {widths['client']} px window; "
        f"what runs past the edge: {widths['wide']}")


def test_the_book_has_pages_with_widgets():
    assert WIDGET_PAGES, "no page of the built book shows a packviz widget"


@pytest.mark.parametrize("widget_page", WIDGET_PAGES)
def test_every_slider_keeps_a_track_a_thumb_can_drag(shared_pages, book_url, widget_page):
    m = measure(on_phone(shared_pages, book_url, widget_page))
    if not m["sliders"]:
        pytest.skip(f"{widget_page}: its widgets have no slider")
    narrow = [(s["label"], round(s["track"])) for s in m["sliders"]
              if s["track"] < MIN_TRACK]
    assert not narrow, (
        f"{widget_page} at {PHONE['width']} px: slider tracks under {MIN_TRACK} px: "
        f"{narrow}")


def assert_fits(m: dict, widget_page: str) -> None:
    """Nothing in `m` (see measure) is wider than the phone's page."""
    width = PHONE["width"]
    assert m["clientWidth"] == width
    assert m["scrollWidth"] <= m["clientWidth"], (
        f"{widget_page}: the page scrolls sideways ({m['scrollWidth']} px of content "
        f"in {m['clientWidth']} px)")
    assert len(m["widgets"]) == expected_packviz_widgets(widget_page)
    for w in m["widgets"]:
        assert w["right"] <= width, f"{widget_page}: {w['kind']} ends at {w['right']} px"
        beyond = [(name, round(right)) for name, right in w["controls"] if right > width]
        assert not beyond, f"{widget_page}: {w['kind']} controls past the edge: {beyond}"
        for scroll, client in w["views"]:
            assert scroll <= client, (
                f"{widget_page}: the {w['kind']} drawing is {scroll} px wide in a "
                f"{client} px view (it scrolls sideways)")


@pytest.mark.parametrize("widget_page", WIDGET_PAGES)
def test_nothing_is_wider_than_the_page(shared_pages, book_url, widget_page):
    assert_fits(measure(on_phone(shared_pages, book_url, widget_page)), widget_page)


@pytest.mark.parametrize("widget_page", WIDGET_PAGES)
def test_the_largest_drawings_fit_too(page, book_url, widget_page):
    # The most and longest sequences typed in, then every slider at its maximum.
    open_on_phone(page, book_url, widget_page)
    for box in page.locator(".packviz-lengths input").all():
        box.fill(", ".join([str(MAX_LENGTH)] * MAX_COUNT))
    wait_until_settled(page)  # the time step slider's maximum follows the lengths
    for handle in page.locator(".packviz-widget [role=slider]").all():
        if handle.is_visible():
            handle.focus()
            handle.press("End")  # the current maximum, also after it changed (time step)
    wait_until_settled(page)
    m = measure(page)
    at_max = [s for s in m["sliders"] if s["value"] == s["max"]]
    assert len(at_max) == len(m["sliders"]), [
        (s["label"], s["value"], s["max"]) for s in m["sliders"] if s not in at_max]
    assert_fits(m, widget_page)


@pytest.mark.parametrize("widget_page", WIDGET_PAGES)
def test_a_long_message_wraps_inside_the_widget(page, book_url, widget_page):
    open_on_phone(page, book_url, widget_page)
    widgets = page.locator(".packviz-widget:has(.packviz-lengths input)")
    if widgets.count() == 0:
        pytest.skip(f"{widget_page}: no lengths box")
    for i in range(widgets.count()):
        widget = widgets.nth(i)
        # The longest message: wider than a phone, so it must wrap.
        widget.locator(".packviz-lengths input").fill("1,, 2")
        message = widget.locator("[data-field='input_message']")
        message.wait_for(state="visible")
        text = message.text_content()
        assert "entry is empty" in text, f"unexpected message: {text!r}"
        edge = widget.bounding_box()
        rect = message.bounding_box()
        assert rect["x"] + rect["width"] <= edge["x"] + edge["width"] + 0.5, (
            f"{widget_page}: the message {text!r} runs past its widget")
    m = measure(page)
    assert m["scrollWidth"] <= m["clientWidth"]
