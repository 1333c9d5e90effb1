"""_ext/page_assets.py: the stylesheets of a page written as one file.

Each test builds a small output folder of its own (stylesheets in `_static/` and its
subfolders, a page in a subfolder) and checks what `bundle_stylesheets` makes of it;
test_book.py checks the bundle of the real book.
"""

from __future__ import annotations

import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import page_assets  # noqa: E402

HEAD = """<html><head>
<link href="../_static/styles/theme.css?digest=abc" rel="stylesheet" />
<link rel="stylesheet" type="text/css" href="../_static/pygments.css?v=1" />
<link rel="stylesheet" type="text/css" href="../_static/book.css?v=2" />
<link rel="preload" as="script" href="../_static/scripts/x.js" />
</head><body><link rel="stylesheet" href="../_static/late.css" /></body></html>"""


def write(out: pathlib.Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")


@pytest.fixture
def out(tmp_path):
    write(tmp_path, {
        "_static/basic.css": "div.basic { margin: 0 }\n",
        "_static/styles/theme.css": (
            '@import "../basic.css";\n'
            '@font-face { src: url("../vendor/f.woff2?v=6#iefix") format("woff2"); }\n'
            ".a { background: url(data:image/svg+xml;utf8,<svg/>) }\n"
            ".b { background: url('https://example.org/x.png') }\n"
        ),
        "_static/pygments.css": ".highlight { color: #000 }\n",
        "_static/book.css": ".c { background: url(img/c.png) }\n",
        "_static/late.css": ".late {}\n",
        "_static/vendor/f.woff2": "font",
        "_static/img/c.png": "png",
    })
    return tmp_path


def bundled(out: pathlib.Path, html: str = HEAD, page: str = "chapters/p.html",
            bundles: dict | None = None) -> tuple[str, str]:
    """The page as bundled, and the text of the one bundle it links."""
    bundles = {} if bundles is None else bundles
    new = page_assets.bundle_stylesheets(html, page, out, bundles)
    links = re.findall(r'href="([^"]*styles-[0-9a-f]{12}\.css)\?v=[0-9a-f]{8}"', new)
    assert len(links) == 1, new
    here = (out / page).parent
    return new, (here / links[0]).resolve().read_text(encoding="utf-8")


def test_a_run_of_links_becomes_one_link_in_its_place(out):
    new, _ = bundled(out)
    head = new[:new.index("</head>")]
    assert head.count('rel="stylesheet"') == 1
    assert head.index("styles-") < head.index('rel="preload"')  # where the run was
    assert 'rel="preload" as="script"' in head  # other links stay as they are
    assert '<link rel="stylesheet" href="../_static/late.css" />' in new  # body: untouched


def test_the_bundle_holds_every_rule_in_the_order_of_the_links(out):
    _, css = bundled(out)
    order = [css.index(rule) for rule in
             ("div.basic", "@font-face", ".highlight", ".c {")]
    assert order == sorted(order), css  # @import first, as the browser applies it
    assert "@import" not in css
    first = css.split("\n", 1)[0]
    assert first.endswith("_static/styles/theme.css _static/pygments.css "
                          "_static/book.css */")


def test_every_url_names_the_file_it_named_before(out):
    _, css = bundled(out)
    assert 'url("vendor/f.woff2?v=6#iefix")' in css  # from styles/: one folder up
    assert 'url("img/c.png")' in css
    assert "url(data:image/svg+xml;utf8,<svg/>)" in css  # data: and hosts: as they were
    assert "url('https://example.org/x.png')" in css
    for target in re.findall(r'url\("([^"]+)"\)', css):
        assert (out / "_static" / target.split("?")[0].split("#")[0]).is_file(), target


def test_pages_at_any_depth_share_one_bundle(out):
    bundles: dict = {}
    deep, css_deep = bundled(out, HEAD, "chapters/p.html", bundles)
    top = HEAD.replace('"../_static/', '"_static/')
    shallow, css_top = bundled(out, top, "index.html", bundles)
    assert css_deep == css_top
    assert len(list((out / "_static").glob("styles-*.css"))) == 1
    assert re.search(r'href="_static/styles-\w+\.css', shallow)
    assert re.search(r'href="\.\./_static/styles-\w+\.css', deep)


def test_a_link_with_its_own_media_splits_the_run(out):
    # theme.css, then a print-only pygments.css, then book.css: no run of two is left.
    html = HEAD.replace('type="text/css" href="../_static/pygments.css?v=1"',
                        'href="../_static/pygments.css" media="print"')
    assert page_assets.bundle_stylesheets(html, "chapters/p.html", out, {}) == html


def test_markup_between_two_links_splits_the_run(out):
    html = HEAD.replace('<link rel="stylesheet" type="text/css" href="../_static/book.css',
                        '<style>.x {}</style>\n<link rel="stylesheet" type="text/css" '
                        'href="../_static/book.css')
    new, css = bundled(out, html)
    assert css.split("\n", 1)[0].endswith("theme.css _static/pygments.css */")
    assert new.index("styles-") < new.index("<style>.x {}</style>")
    assert 'href="../_static/book.css?v=2"' in new  # after the style, as before


@pytest.mark.parametrize("trouble", [
    ("_static/book.css", '@import "x.css" print;\n'),  # a media query on the import
    ("_static/book.css", "/* never closed\n"),
])
def test_a_stylesheet_that_cannot_join_leaves_the_page_as_it_was(out, trouble):
    write(out, dict([trouble]))
    assert page_assets.bundle_stylesheets(HEAD, "chapters/p.html", out, {}) == HEAD
    assert not list((out / "_static").glob("styles-*.css"))


def test_a_missing_stylesheet_leaves_the_page_as_it_was(out):
    (out / "_static" / "book.css").unlink()
    assert page_assets.bundle_stylesheets(HEAD, "chapters/p.html", out, {}) == HEAD


def test_every_build_writes_the_bundles_again_from_their_files(out):
    # A page an incremental build does not write again keeps its link; the bundle it
    # names must hold the stylesheets as they are now.
    new, before = bundled(out)
    write(out, {"_static/book.css": ".c { color: red }\n"})
    refreshed = page_assets.refresh_bundles(out)
    assert list(refreshed) == [("_static/styles/theme.css", "_static/pygments.css",
                                "_static/book.css")]
    name = re.search(r"styles-\w+\.css", new).group(0)
    after = (out / "_static" / name).read_text(encoding="utf-8")
    assert ".c { color: red }" in after and ".c { color: red }" not in before
    again, _ = bundled(out, HEAD, "chapters/p.html", refreshed)
    assert re.search(r"styles-\w+\.css", again).group(0) == name  # the same file
    assert again != new  # with another ?v= digest, as its content changed
