"""What each built page loads: no script twice, and only what the page uses.

Inline scripts added after the builder starts are written once (Sphinx 7.4 wrote
them twice). Sphinx's `Sphinx.add_js_file` registers a script and hands it to the
HTML builder as it is; an inline script (`filename=None`, a `body=`) reaches the
builder's list as `None`. Before writing, the builder adds the registered scripts
again, as `''`, and its duplicate check compares `None` with `''`: every inline script
an extension added on `builder-inited` or later appears twice on every page. For
sphinx-thebe's `const THEBE_JS_URL = ...` (added on `env-before-read-docs`) the second
copy is a SyntaxError ("Identifier 'THEBE_JS_URL' has already been declared") on every
page; sphinx-togglebutton's `var togglebuttonSelector` is doubled too, silently. Sphinx
fixed this in 8.2 (sphinx-doc/sphinx#13402: the builder gets `''`); Jupyter Book 1
needs Sphinx 7, so `_normalise_inline_scripts` does the same here.

Icons without Font Awesome's 1.5 MB script. pydata-sphinx-theme loads
`scripts/fontawesome.js` (every icon of Font Awesome 6 as JavaScript, 0.54 MB gzipped)
on every page to turn its `<i class="fa-solid fa-NAME">` tags into inline SVG, and the
`<i>` tags also start downloads of the icon webfonts (0.27 MB) before the script has
run. After the build, `_inline_icons` writes that SVG into the pages itself (the same
markup the script makes, from the path data in the theme's own fontawesome.js) and
drops the script. The few icons the theme's stylesheets draw with the webfont (the
admonition icons, the breadcrumb divider, ...) come from subsets of the three webfonts
that hold only the code points the stylesheets and scripts name (`page-icons.css`,
which overrides the theme's @font-face rules).

MathJax only on pages with math. Sphinx's mathjax extension loads MathJax on a page
whose own text has no math when a page it lists in a toctree has some (so the root
page, whose toctree lists the chapters, loaded 0.26 MB of MathJax for nothing);
`_mathjax_only_with_math` takes it off such pages.

The widget manager inside the page. On a page with widgets myst-nb links packviz's
widget manager (`packviz-assets/embed.js`, 28 KB, from `nb_ipywidgets_js`);
`_inline_widget_manager` writes it into the page instead, so it starts while the head
is parsed instead of queueing behind the page's thirty-odd stylesheets and scripts,
and draws each widget as soon as the parser has read it (measured with
benchmarks/widget_latency.py, side by side on one loaded 2-core machine: the first widget
at 0.84-1.03 s after navigation start with the file, 0.54-0.58 s with it inline).
"""

from __future__ import annotations

import pathlib
import re

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _normalise_inline_scripts(app) -> None:
    """Hand inline scripts to the builder as `''`, as it re-adds them before writing."""
    builder = app.builder
    add = getattr(builder, "add_js_file", None)
    if add is None or getattr(add, "_page_assets", False):
        return

    def add_js_file(filename, **kwargs):
        return add(filename or "", **kwargs)

    add_js_file._page_assets = True
    builder.add_js_file = add_js_file


# ---- MathJax -------------------------------------------------------------------------


def _mathjax_only_with_math(app, pagename, templatename, context, doctree) -> None:
    """Drop MathJax and its configuration from a page without math of its own."""
    if app.builder.format != "html" or not app.config.mathjax_path:
        return
    own = app.env.get_domain("math").data.get("has_equations", {}).get(pagename, False)
    scripts = context.get("script_files")
    if own or not isinstance(scripts, list):
        return
    path = app.config.mathjax_path
    scripts[:] = [
        js for js in scripts
        if not (str(js.filename).endswith(path)
                or str(js.attributes.get("body", "")).startswith("window.MathJax ="))
    ]


# ---- the widget manager ----------------------------------------------------------------

WIDGET_MANAGER = "packviz-assets/embed.js"  # under _static/, from html_extra_path


def _inline_widget_manager(app, pagename, templatename, context, doctree) -> None:
    """Replace the page's <script src=".../embed.js"> by the script itself."""
    scripts = context.get("script_files")
    if app.builder.format != "html" or not isinstance(scripts, list):
        return
    linked = [js for js in scripts if str(js.filename).endswith(WIDGET_MANAGER)]
    if not linked:
        return
    for extra in app.config.html_extra_path:
        source = pathlib.Path(app.confdir, extra, "_static", WIDGET_MANAGER)
        if source.exists():
            break
    else:
        logger.warning(f"page_assets: {WIDGET_MANAGER} is in no html_extra_path folder: "
                       "run scripts/build_widget_assets.py (make assets)")
        return
    body = source.read_text(encoding="utf-8").replace("</", "<\\/")
    scripts[:] = [js for js in scripts if js not in linked]
    assets = context["pathto"]("_static/" + WIDGET_MANAGER.rsplit("/", 1)[0] + "/", 1)
    app.add_js_file(None, body=body, **{"data-packviz-assets": assets})


# ---- the theme's search scripts -------------------------------------------------------

# pydata-sphinx-theme writes Sphinx's search scripts (and the 60 KB search index) into
# the head of every page as plain <script src>, for its search-as-you-type, which the
# book leaves off: each page's parser stopped until they had loaded and run, in front of
# the first widget. Deferred, they run in the same order once the page is parsed;
# search.html, which loads them itself, is left alone.
_SEARCH_SCRIPT = re.compile(
    r'<script src="([^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
    r'searchindex\.js))"></script>')


def defer_search_scripts(html: str) -> str:
    """`html` with the theme's three search scripts deferred."""
    return _SEARCH_SCRIPT.sub(r'<script defer src="\1"></script>', html)


def _defer_search_scripts(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in pathlib.Path(app.outdir).rglob("*.html"):
        if page.name == "search.html" or "_static" in page.parts:
            continue
        html = page.read_text(encoding="utf-8")
        new = defer_search_scripts(html)
        if new != html:
            page.write_text(new, encoding="utf-8")


# ---- icons -------------------------------------------------------------------------

FONTAWESOME_JS = "_static/scripts/fontawesome.js"
ICONS_CSS = "page-icons.css"  # written into _static/ after the build
ICONS_DIR = "page-icons"  # the font subsets, under _static/
# fontawesome.js registers one pack per style: d("fab", pack), d("far", ...), d("fas", ...).
_PACK_CALL = re.compile(r'\bd\("(fab|far|fas)",([A-Za-z_$][\w$]*)\)')
_ICON = re.compile(
    r'(?:"([a-z0-9-]+)"|\b([a-z][a-z0-9]*)):\[(\d+),(\d+),\[([^\]]*)\],"([0-9a-f]+)",'
    r'"([^"]*)"\]'
)
STYLE_CLASSES = {
    "fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far",
    "fa-brands": "fab", "fab": "fab",
}
WEBFONTS = {  # the theme's webfonts (TrueType: fontTools reads it without brotli)
    "fas": ("fa-solid-900", "Font Awesome 6 Free", 900),
    "far": ("fa-regular-400", "Font Awesome 6 Free", 400),
    "fab": ("fa-brands-400", "Font Awesome 6 Brands", 400),
}
# An empty <i> or <span> with Font Awesome classes (the script replaced both).
_I_TAG = re.compile(r'<(i|span)\b([^>]*?)\bclass="([^"]*\bfa-[^"]*)"([^>]*)>\s*</\1>')
_FA_SCRIPT = re.compile(
    r'[ \t]*<script\b[^>]*\bsrc="[^"]*_static/scripts/fontawesome\.js[^"]*"'
    r"[^>]*></script>\n?"
)
_PUA = re.compile(r"[\ue000-\uf8ff]|\\(?:f[0-9a-f]{3}|e[0-9a-f]{3})\b", re.IGNORECASE)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_FA_CLASS_RULE = re.compile(r"\s*\.fa-[a-z0-9-]+:{1,2}(?:before|after)\s*")


def icon_packs(fontawesome_js: str) -> dict[str, dict[str, tuple]]:
    """{"fas"|"far"|"fab": {name or alias: (width, height, code point, path)}}."""
    calls = list(_PACK_CALL.finditer(fontawesome_js))
    packs: dict[str, dict[str, tuple]] = {}
    start = 0
    for call in calls:
        if call.group(1) in packs:
            continue
        icons = {}
        for m in _ICON.finditer(fontawesome_js, start, call.start()):
            name = m.group(1) or m.group(2)
            icon = (int(m.group(3)), int(m.group(4)), int(m.group(6), 16), m.group(7))
            icons[name] = icon
            for alias in re.findall(r'"([a-z0-9-]+)"', m.group(5)):
                icons.setdefault(alias, icon)
        packs[call.group(1)] = icons
        start = call.end()
    return packs


def _svg_for(match: re.Match, packs: dict, missing: set) -> str:
    _, before, classes, after = match.groups()
    names = classes.split()
    style = next((STYLE_CLASSES[c] for c in names if c in STYLE_CLASSES), None)
    pack = packs.get(style or "", {})
    icon_names = [c[3:] for c in names if c.startswith("fa-") and c[3:] in pack]
    if style is None or len(icon_names) != 1:
        missing.add(classes)
        return match.group(0)
    width, height, _, path = pack[icon_names[0]]
    kept = [c for c in names if c not in STYLE_CLASSES and c != f"fa-{icon_names[0]}"]
    attrs = f"{before}{after}".strip()
    hidden = "" if "aria-hidden" in attrs else ' aria-hidden="true"'
    cls = " ".join(["svg-inline--fa", f"fa-{icon_names[0]}", *kept])
    extra = f" {attrs}" if attrs else ""
    return (f'<svg class="{cls}"{extra}{hidden} focusable="false" '
            f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">'
            f'<path fill="currentColor" d="{path}"></path></svg>')


def inline_icons(html: str, packs: dict, missing: set) -> str:
    """`html` with every Font Awesome icon tag as inline SVG and no fontawesome.js."""
    html = _I_TAG.sub(lambda m: _svg_for(m, packs, missing), html)
    return _FA_SCRIPT.sub("", html)


def code_points_in_css(css: str) -> set[int]:
    """Icon code points the stylesheet draws with a webfont (not Font Awesome's list of
    one rule per icon class, which only matters for <i> tags: those are SVG now)."""
    points = set()
    for selectors, body in _CSS_RULE.findall(css):
        if all(_FA_CLASS_RULE.fullmatch(s) for s in selectors.split(",")):
            continue
        for m in _PUA.finditer(body):
            text = m.group(0)
            points.add(ord(text) if len(text) == 1 else int(text[1:], 16))
    return points


def subset_webfont(ttf: pathlib.Path, points: set[int], out: pathlib.Path) -> bool:
    """Write a WOFF of `ttf` with only `points`; False if the font has none of them."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    with TTFont(ttf) as font:
        have = set(font.getBestCmap())
    wanted = points & have
    if not wanted:
        return False
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    font = subset.load_font(str(ttf), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted))
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(out), options)
    font.close()
    return True


def _inline_icons(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = pathlib.Path(app.outdir)
    script = out / FONTAWESOME_JS
    if not script.exists():
        logger.warning(f"page_assets: {FONTAWESOME_JS} is missing: icons not inlined "
                       "(has pydata-sphinx-theme changed how it loads Font Awesome?)")
        return
    packs = icon_packs(script.read_text(encoding="utf-8"))
    if set(packs) != {"fas", "far", "fab"} or len(packs["fas"]) < 500:
        logger.warning(f"page_assets: found no icon packs in {FONTAWESOME_JS}")
        return
    missing: set[str] = set()
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        new = inline_icons(html, packs, missing)
        if new != html:
            page.write_text(new, encoding="utf-8")
    for classes in sorted(missing):
        logger.warning(f"page_assets: no single Font Awesome icon for class={classes!r}")
    # Code points the theme's stylesheets draw, and icons its scripts create as <i>.
    static = out / "_static"
    points: set[int] = set()
    for css in static.rglob("*.css"):
        if css.name != ICONS_CSS:
            points |= code_points_in_css(css.read_text(encoding="utf-8", errors="replace"))
    for js in static.rglob("*.js"):
        if js.name == "fontawesome.js":
            continue
        for style, name in re.findall(r'"(fa-solid|fa-regular|fa-brands) fa-([a-z0-9-]+)"',
                                      js.read_text(encoding="utf-8", errors="replace")):
            icon = packs[STYLE_CLASSES[style]].get(name)
            if icon:
                points.add(icon[2])
    rules = ["/* Written by _ext/page_assets.py: the theme's icon webfonts, cut down to "
             "the icons its stylesheets and scripts use. */"]
    for stem, family, weight in WEBFONTS.values():
        ttf = static / "vendor" / "fontawesome" / "webfonts" / f"{stem}.ttf"
        if not ttf.exists():
            logger.warning(f"page_assets: {ttf.relative_to(out)} is missing")
            continue
        woff = static / ICONS_DIR / f"{stem}.woff"
        if subset_webfont(ttf, points, woff):
            src = f'url("{ICONS_DIR}/{stem}.woff") format("woff")'
        else:  # the stylesheets use none of its icons: nothing to download
            src = "local(packviz-no-font)"
        rules.append(f'@font-face {{ font-family: "{family}"; font-style: normal; '
                     f"font-weight: {weight}; font-display: block; src: {src}; }}")
    (static / ICONS_CSS).write_text("\n".join(rules) + "\n", encoding="utf-8")


def setup(app):
    # Before any other builder-inited handler (sphinx-togglebutton adds one there).
    app.connect("builder-inited", _normalise_inline_scripts, priority=1)
    # After the theme's stylesheets (priority 500 and the book's 800): its @font-face
    # rules override the theme's.
    app.add_css_file(ICONS_CSS, priority=900)
    app.connect("build-finished", _inline_icons)
    app.connect("build-finished", _defer_search_scripts)
    # After sphinx.ext.mathjax has added MathJax to the page (priority 500).
    app.connect("html-page-context", _mathjax_only_with_math, priority=600)
    # After myst-nb has added the page's widget scripts (priority 500).
    app.connect("html-page-context", _inline_widget_manager, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
