"""Copy the front-end files the book serves itself from node_modules into _widget_assets/.

Usage: python3 scripts/build_widget_assets.py   (standard library only; `make assets`)

The book must work offline: no script, style or font may come from a CDN. Sphinx
copies the *contents* of `_widget_assets/` to the root of the HTML output
(`html_extra_path` in _config.yml), so everything lands in `_static/packviz-assets/`,
where the relative names in _config.yml (`nb_ipywidgets_js`, `mathjax_path`) point:
Sphinx resolves them against `_static/`.

    embed.js                   packviz's own widget manager (packviz/js/embed.js, with
                               packviz/js/embed.css put in): the only widget script a
                               page loads while every model of its widget state is one
                               it knows (the packviz explorers); it loads the three
                               below only for a page with other widgets
    require.js                 requirejs 2.3.8, the AMD loader html-manager needs
    widgets-config.js          tells requirejs where anywidget lives (below)
    html-manager/embed-amd.js  @jupyter-widgets/html-manager 1.0.15, with its fonts
    anywidget/index.js         anywidget 0.11.0, AMD build (below)
    mathjax/tex-chtml.js       MathJax 3.2.2 es5, with its fonts and extensions
    licenses/                  the license files the packages ship
    manifest.json              versions, sizes and hashes of the scripts

Why html_extra_path and not html_static_path: once the book has a `_static/` folder,
Jupyter Book 1 adds every .js/.css file of the static folders to every page, which would
load these scripts twice ("Mismatched anonymous define()").

anywidget: html-manager's embed-amd.js asks requirejs for the module `anywidget` and falls
back to a public CDN when requirejs cannot load it. `widgets-config.js` gives
requirejs a `paths` entry to the local copy. The file we copy is npm anywidget 0.11.0's
dist/index.js, pinned by package-lock.json; it is already an AMD module
(`define(["@jupyter-widgets/base"], ...)`) and byte-identical to the AMD build the Python
package ships (anywidget/nbextension/index.js), so no bundling step is needed. This script
refuses to run if the npm file stops being AMD (a future version may ship ESM only), and
checks that its version matches the Python package when one is installed.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules"
OUT = ROOT / "_widget_assets"
SUB = "_static/packviz-assets"  # the folder in the built HTML
DEST = OUT / SUB

HTML_MANAGER = NODE / "@jupyter-widgets" / "html-manager"
ANYWIDGET = NODE / "anywidget"
REQUIREJS = NODE / "requirejs"
MATHJAX = NODE / "mathjax"

# Exact versions: html-manager must match ipywidgets 8.1.9 (widget state 2.1), anywidget
# must match the Python package that writes the widget state.
EXPECTED = {
    HTML_MANAGER: "1.0.15",
    ANYWIDGET: "0.11.0",
    REQUIREJS: "2.3.8",
    MATHJAX: "3.2.2",
}

# MathJax: the tex-chtml component plus what it may load on demand (TeX extensions
# through autoload/require, the menu, assistive MathML, the speech rule engine) and the
# CHTML fonts. The other combined components (SVG, MathML input, node) are not needed.
MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "ui", "a11y", "sre", "adaptors"]
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")

CONFIG_JS = """\
// Written by scripts/build_widget_assets.py: do not edit.
// Loaded after require.js and before html-manager's embed-amd.js, by embed.js, on pages
// whose widgets embed.js does not draw itself.
(function () {
  "use strict";
  var src = document.currentScript && document.currentScript.src;
  if (!src || typeof window.requirejs === "undefined") {
    console.error("packviz: widgets-config.js must be loaded after require.js");
    return;
  }
  var base = src.split("?")[0].replace(/[^/]*$/, "");
  // 1. html-manager loads widget modules that are not built in (anywidget) through
  //    requirejs and falls back to a CDN when that fails: point requirejs at our copy.
  // 2. Its stylesheets find their font files next to the module's URL, which requirejs
  //    derives from the module name: map that name to our copy too.
  window.__jupyter_widgets_assets_path__ = base + "html-manager/";
  window.requirejs.config({
    paths: {
      anywidget: base + "anywidget/index",
      "@jupyter-widgets/html-manager/dist": base + "html-manager",
    },
  });
  // 3. ipywidgets 8 typesets labels with the MathJax 2 API (MathJax.Hub.Queue), which
  //    throws under the book's MathJax 3. html-manager renders on "load" (or at once
  //    when the page has loaded), after MathJax (an async script) has defined itself:
  //    give it the one call ipywidgets makes, just before.
  var shim = function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.version || mj.version.charAt(0) !== "3") return;
    mj.Hub = {
      Queue: function (job) {
        var node = job && job[2];
        if (!node || !mj.typesetPromise) return;
        // The packviz widgets show what readers type: never run it through TeX.
        if (node.closest && node.closest(".packviz-widget")) return;
        (mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve())
          .then(function () { return mj.typesetPromise([node]); })
          .catch(function (err) { console.warn("packviz: MathJax typeset failed", err); });
      },
    };
  };
  if (document.readyState === "complete") shim();
  else window.addEventListener("load", shim);
})();
"""
# packviz/js/embed.js holds this string where embed.css goes.
EMBED_CSS_SLOT = '"/* packviz embed.css */"'



def version_of(package: pathlib.Path) -> str:
    """Return the version in a package's package.json, or exit saying what is missing."""
    manifest = package / "package.json"
    if not manifest.exists():
        sys.exit(f"{manifest} is missing: run `npm ci` first (make assets does it)")
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def python_anywidget_version() -> str | None:
    """Return the version of the anywidget Python package in .venv, if there is one."""
    pattern = "lib/python3*/site-packages/anywidget-*.dist-info"
    for meta in sorted((ROOT / ".venv").glob(pattern)):
        for line in (meta / "METADATA").read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return None


def copy(src: pathlib.Path, dst: pathlib.Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copyfile(src, dst)


def main() -> None:
    for package, expected in EXPECTED.items():
        found = version_of(package)
        if found != expected:
            sys.exit(
                f"{package.relative_to(ROOT)} is {found}, expected {expected}: "
                "run `npm ci` (package-lock.json pins it)"
            )
    py_version = python_anywidget_version()
    if py_version is not None and py_version != EXPECTED[ANYWIDGET]:
        sys.exit(
            f"Python anywidget is {py_version} but npm anywidget is "
            f"{EXPECTED[ANYWIDGET]}: the widget state and the front end must match"
        )
    anywidget_js = ANYWIDGET / "dist" / "index.js"
    if 'define(["@jupyter-widgets/base"]' not in anywidget_js.read_text(encoding="utf-8"):
        sys.exit(f"{anywidget_js} is not an AMD module any more: bundle an AMD build")

    if OUT.exists():
        shutil.rmtree(OUT)
    DEST.mkdir(parents=True)

    js_dir = ROOT / "packviz" / "js"
    embed = (js_dir / "embed.js").read_text(encoding="utf-8")
    if embed.count(EMBED_CSS_SLOT) != 1:
        sys.exit(f"packviz/js/embed.js must hold {EMBED_CSS_SLOT} once (for embed.css)")
    css = json.dumps((js_dir / "embed.css").read_text(encoding="utf-8"))
    (DEST / "embed.js").write_text(embed.replace(EMBED_CSS_SLOT, css), encoding="utf-8")
    copy(REQUIREJS / "require.js", DEST / "require.js")
    (DEST / "widgets-config.js").write_text(CONFIG_JS, encoding="utf-8")
    dist = HTML_MANAGER / "dist"
    copy(dist / "embed-amd.js", DEST / "html-manager" / "embed-amd.js")
    for font in sorted(dist.iterdir()):
        if font.suffix in FONT_SUFFIXES:
            copy(font, DEST / "html-manager" / font.name)
    copy(anywidget_js, DEST / "anywidget" / "index.js")
    for part in MATHJAX_PARTS:
        copy(MATHJAX / "es5" / part, DEST / "mathjax" / part)

    licenses = DEST / "licenses"
    licenses.mkdir()
    for package in EXPECTED:
        for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
            if (package / name).exists():
                copy(package / name, licenses / f"{package.name}-{name}")
    copy(dist / "embed.js.LICENSE.txt", licenses / "html-manager-bundled-LICENSES.txt")

    files = sorted(p for p in DEST.rglob("*") if p.is_file())
    manifest = {
        "versions": {p.name: v for p, v in EXPECTED.items()},
        "files": {
            str(p.relative_to(DEST)): {
                "bytes": p.stat().st_size,
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            }
            for p in files
            if p.suffix == ".js" and p.relative_to(DEST).parts[0] != "mathjax"
        },
    }
    text = json.dumps(manifest, indent=1) + "\n"
    (DEST / "manifest.json").write_text(text, encoding="utf-8")
    total = sum(p.stat().st_size for p in files)
    print(f"_widget_assets/{SUB}: {len(files)} files, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
