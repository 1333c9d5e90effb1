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
run. After the build, `_rewrite_pages` writes that SVG into the pages itself (the same
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

One stylesheet. Sphinx links the theme's and the extensions' stylesheets one by one:
fifteen render-blocking files (and theme.css @imports a sixteenth), every one of which
the browser fetches before it draws anything or runs the scripts of the head.
`bundle_stylesheets` writes each run of plain stylesheet links as one file with the
same rules in the same order (`_static/styles-HASH.css`, shared by every page that
links the same run): each @import written in its place, each url() rewritten to the
file it named before. A bundle's first line names its files, and every build writes
every bundle again from them (`refresh_bundles`): a page that an incremental build did
not write again gets the stylesheets as they are now, as it did with one link each.
Measured side by side with benchmarks/widget_latency.py (the four widget pages, median
of 5 cold loads each, twice): the first widget at 0.42-0.53 s with sixteen
stylesheets, at 0.27-0.41 s with one.
"""

from __future__ import annotations

import hashlib
import pathlib
import posixpath
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


def _icon_packs(out: pathlib.Path) -> dict | None:
    """The theme's Font Awesome icons, or None (with a warning) if it has changed."""
    script = out / FONTAWESOME_JS
    if not script.exists():
        logger.warning(f"page_assets: {FONTAWESOME_JS} is missing: icons not inlined "
                       "(has pydata-sphinx-theme changed how it loads Font Awesome?)")
        return None
    packs = icon_packs(script.read_text(encoding="utf-8"))
    if set(packs) != {"fas", "far", "fab"} or len(packs["fas"]) < 500:
        logger.warning(f"page_assets: found no icon packs in {FONTAWESOME_JS}")
        return None
    return packs


def _write_icon_fonts(out: pathlib.Path, packs: dict) -> None:
    """page-icons.css and its font subsets: the code points the theme's stylesheets
    draw, and the icons its scripts create as <i>."""
    static = out / "_static"
    points: set[int] = set()
    for css in static.rglob("*.css"):
        if css.name != ICONS_CSS and not css.name.startswith("styles-"):
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


# ---- one stylesheet --------------------------------------------------------------------

BUNDLE = "_static/styles-{}.css"
_LINK_TAG = re.compile(r"<link\b([^>]*?)\s*/?>")
_ATTR = re.compile(r'([\w:-]+)(?:="([^"]*)")?')
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?(['"])([^'"]+)\1\s*\)?\s*;""")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", re.IGNORECASE)


class Unbundlable(ValueError):
    """A stylesheet that cannot join a bundle as it is (the page keeps its links)."""


def _plain_stylesheet(attrs: str) -> str | None:
    """The href of `<link attrs>` if it is a plain local stylesheet (no media, title or
    other attribute that one file could not keep), else None."""
    found = {m.group(1).lower(): m.group(2) for m in _ATTR.finditer(attrs)}
    if found.get("rel") != "stylesheet" or not set(found) <= {"rel", "type", "href"}:
        return None
    href = found.get("href") or ""
    if found.get("type", "text/css") != "text/css" or not href or _ABSOLUTE.match(href):
        return None
    return href.split("#")[0].split("?")[0]


def stylesheet_text(out: pathlib.Path, rel: str, into: str = "_static") -> str:
    """The rules of the stylesheet `rel` (a path under `out`), written for a file in
    the folder `into`: each @import replaced by the rules it imports, each relative
    url() rewritten to name the same file from `into`."""
    path = out / rel
    if not path.is_file():
        raise Unbundlable(f"{rel} is missing")
    text = path.read_text(encoding="utf-8")
    if text.count("/*") > text.count("*/"):
        raise Unbundlable(f"{rel} ends inside a comment")
    base = posixpath.dirname(rel)
    imports: list[str] = []

    def hold(m: re.Match) -> str:
        target = m.group(2)
        if _ABSOLUTE.match(target):
            raise Unbundlable(f"{rel} imports {target}")
        imports.append(posixpath.normpath(posixpath.join(base, target)))
        return f"\0{len(imports) - 1}\0"

    def rewrite(m: re.Match) -> str:
        target = m.group(2).strip()
        if _ABSOLUTE.match(target):
            return m.group(0)
        cut = min((i for i in (target.find("?"), target.find("#")) if i >= 0),
                  default=len(target))
        named = posixpath.normpath(posixpath.join(base, target[:cut]))
        return f'url("{posixpath.relpath(named, into)}{target[cut:]}")'

    text = _CSS_URL.sub(rewrite, _CSS_IMPORT.sub(hold, text))
    if "@import" in text:
        raise Unbundlable(f"{rel} has an @import that one file cannot keep")
    return re.sub("\0(\\d+)\0",
                  lambda m: stylesheet_text(out, imports[int(m.group(1))], into), text)


_BUNDLE_HEADER = "/* Written by _ext/page_assets.py from, in this order: "
_BUNDLE_NAME = re.compile(r"styles-[0-9a-f]{12}\.css")


def write_bundle(out: pathlib.Path, files: tuple[str, ...]) -> str:
    """Write the bundle of the stylesheets `files` (paths under `out`, in order) and
    return its path under `out` and a digest of what it holds, as "PATH?v=DIGEST"."""
    css = "\n".join(
        [_BUNDLE_HEADER + " ".join(files) + " */"]
        + [f"/* {rel} */\n{stylesheet_text(out, rel)}" for rel in files]
    )
    name = BUNDLE.format(hashlib.sha256(" ".join(files).encode()).hexdigest()[:12])
    (out / name).write_text(css, encoding="utf-8")
    return f"{name}?v={hashlib.sha256(css.encode()).hexdigest()[:8]}"


def bundle_files(css: str) -> tuple[str, ...]:
    """The stylesheets a bundle's text `css` says it holds, in order (none if `css` is
    not a bundle's)."""
    first = css.split("\n", 1)[0]
    if not (first.startswith(_BUNDLE_HEADER) and first.endswith(" */")):
        return ()
    return tuple(first[len(_BUNDLE_HEADER):-3].split())


def refresh_bundles(out: pathlib.Path) -> dict[tuple[str, ...], str]:
    """Write every bundle in `out` again from the files its first line names."""
    bundles = {}
    for bundle in sorted((out / "_static").glob("styles-*.css")):
        if not _BUNDLE_NAME.fullmatch(bundle.name):
            continue
        files = bundle_files(bundle.read_text(encoding="utf-8"))
        if not files:
            continue
        try:
            bundles[files] = write_bundle(out, files)
        except Unbundlable as err:
            logger.warning(f"page_assets: {bundle.name} is out of date: {err}")
    return bundles


def bundle_stylesheets(html: str, page: str, out: pathlib.Path,
                       bundles: dict[tuple[str, ...], str]) -> str:
    """`html` (the page `page`, a path under `out`) with each run of two or more plain
    stylesheet links in its head replaced by one link to a bundle of them, written
    into `out` once per run (`bundles` maps each run to what the link names)."""
    head = html.find("</head>")
    if head < 0:
        return html
    here = posixpath.dirname(page)
    runs: list[list[tuple[int, int, str]]] = [[]]
    for m in _LINK_TAG.finditer(html, 0, head):
        href = _plain_stylesheet(m.group(1))
        run = runs[-1]
        if href is None or (run and html[run[-1][1]:m.start()].strip()):
            runs.append([])
            run = runs[-1]
        if href is not None:
            run.append((m.start(), m.end(), posixpath.normpath(posixpath.join(here, href))))
    for run in reversed([r for r in runs if len(r) > 1]):
        files = tuple(rel for _, _, rel in run)
        if files not in bundles:
            try:
                bundles[files] = write_bundle(out, files)
            except Unbundlable as err:
                logger.warning(f"page_assets: {page} keeps its stylesheets: {err}")
                bundles[files] = ""
        if not bundles[files]:
            continue
        link = (f'<link rel="stylesheet" type="text/css" '
                f'href="{posixpath.relpath(bundles[files], here or ".")}" />')
        html = html[:run[0][0]] + link + html[run[-1][1]:]
    return html


# ---- after the build: one pass over every page -----------------------------------------


def _rewrite_pages(app, exception) -> None:
    """Icons as inline SVG, the search scripts deferred, one stylesheet: every page once."""
    if exception is not None or app.builder.format != "html":
        return
    out = pathlib.Path(app.outdir)
    packs = _icon_packs(out)
    if packs:
        _write_icon_fonts(out, packs)  # before the bundles, which hold page-icons.css
    missing: set[str] = set()
    bundles = refresh_bundles(out)
    for page in out.rglob("*.html"):
        rel = page.relative_to(out)
        html = page.read_text(encoding="utf-8")
        new = inline_icons(html, packs, missing) if packs else html
        if "_static" not in rel.parts:
            if page.name != "search.html":
                new = defer_search_scripts(new)
            new = bundle_stylesheets(new, rel.as_posix(), out, bundles)
        if new != html:
            page.write_text(new, encoding="utf-8")
    for classes in sorted(missing):
        logger.warning(f"page_assets: no single Font Awesome icon for class={classes!r}")


def setup(app):
    # Before any other builder-inited handler (sphinx-togglebutton adds one there).
    app.connect("builder-inited", _normalise_inline_scripts, priority=1)
    # After the theme's stylesheets (priority 500 and the book's 800): its @font-face
    # rules override the theme's.
    app.add_css_file(ICONS_CSS, priority=900)
    # After the theme and myst-nb have written their stylesheets (pydata-sphinx-theme
    # rewrites pygments.css, myst-nb writes mystnb.*.css, both at priority 500): the
    # bundles hold the files as they end up.
    app.connect("build-finished", _rewrite_pages, priority=900)
    # After sphinx.ext.mathjax has added MathJax to the page (priority 500).
    app.connect("html-page-context", _mathjax_only_with_math, priority=600)
    # After myst-nb has added the page's widget scripts (priority 500).
    app.connect("html-page-context", _inline_widget_manager, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
