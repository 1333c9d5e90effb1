"""The Spanish and Korean editions (scripts/translations.py, _ext/languages.py, issue 21).

- Every catalog entry is translated and none is fuzzy (msgfmt --statistics). This fails
  until the translations are in; `make translations-status` shows what is left.
- The catalogs are not stale: the English text, extracted again into a temporary
  folder (one gettext build for the module), has exactly the catalogs' strings.
- No translation lost markup (roles, code, math, link targets), and every {term} role of
  a translation targets the headword as that language's glossary translates it.
- Every prose string is extracted: the Spanish edition built from pseudo-translated
  catalogs (each string marked «) shows no text without the mark, apart from code,
  outputs, names and what the theme's own catalogs translate; its links between the
  editions, `<html lang>`, toc captions and exercise titles are checked there too.
- `make site-i18n` puts the editions at es/, ko/, es/student/ and ko/student/
  (tests/test_workflow.py checks that `make site` runs it).
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "_ext"))
import languages  # noqa: E402
import translations as T  # noqa: E402

MARK = T.PSEUDO_MARK
CATALOGS = list(T.catalog_paths())


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """The English text's catalogs, extracted now (gettext build, about 5 s)."""
    return T.extract_templates(ROOT, tmp_path_factory.mktemp("gettext") / "pot")


def test_every_page_and_language_has_a_catalog():
    domains = {(lang, domain) for lang, domain, _ in CATALOGS}
    pages = ["intro", "reference/glossary", "reference/cheatsheet",
             "reference/benchmark_details", "instructors/guide"]
    pages += [f"chapters/{p.stem}" for p in sorted((ROOT / "chapters").glob("*.ipynb"))]
    for lang in T.LANGUAGES:
        for domain in pages + [T.THEME_DOMAIN]:
            assert (lang, domain) in domains, f"locales/{lang}: no catalog for {domain}"


@pytest.mark.parametrize("lang,domain,path", CATALOGS,
                         ids=[f"{lang}/{domain}" for lang, domain, _ in CATALOGS])
def test_catalog_is_fully_translated(lang, domain, path):
    """msgfmt's own count: no untranslated and no fuzzy entry."""
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                             str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    counts = result.stderr.strip()
    assert "untranslated" not in counts and "fuzzy" not in counts, (
        f"locales/{lang}/LC_MESSAGES/{domain}.po: {counts} (make translations-status)")


def test_catalogs_match_the_english_text(templates):
    problems = T.stale(templates)
    assert not problems, ("catalogs stale, run `make translations-extract`:\n"
                          + "\n".join(problems[:30]))


def test_extraction_finds_the_strings_sphinx_leaves_out(templates):
    """Toc captions, config strings, exercise patterns and notebook images' alt text."""
    intro = {m.id for m in templates["intro"] if m.id}
    assert {"Padding and packing", "Reference", "For instructors"} <= intro
    theme = {m.id for m in templates[T.THEME_DOMAIN] if m.id}
    assert {"Exercise %s", "Solution to %s", "Padding and Packing Sequences in PyTorch",
            "The packing book authors"} <= theme
    chapter8 = {m.id for m in templates["chapters/08_beyond_rnns"] if m.id}
    assert any(m.startswith("A 9 by 9 grid of cells") for m in chapter8)


def test_no_translation_lost_its_markup():
    problems = T.lint()
    assert not problems, "\n".join(problems[:30])


# --- {term} targets -------------------------------------------------------------------
def _locales_with(tmp_path, glossary: dict[str, str], page: dict[str, str]) -> pathlib.Path:
    from babel.messages.catalog import Catalog

    for domain, pairs in (("reference/glossary", glossary), ("chapters/x", page)):
        catalog = Catalog(locale="es")
        for english, spanish in pairs.items():
            catalog.add(english, spanish)
        T.write_catalog(catalog, tmp_path / "es" / "LC_MESSAGES" / f"{domain}.po")
    return tmp_path


@pytest.mark.parametrize("translation,ok", [
    ("Con {term}`relleno` al final.", True),
    ("Con {term}`Relleno` al final.", True),  # Sphinx looks terms up in lower case
    ("Con {term}`el relleno <Relleno>` al final.", True),
    ("Con {term}`padding` al final.", False),  # the es glossary has no "padding"
    ("Con {term}`relleno <Padding>` al final.", False),
    ("Con {term}`longitudes` al final.", False),  # another headword
    ("Con relleno al final.", False),  # the role is gone
])
def test_term_must_target_the_translated_headword(tmp_path, translation, ok):
    locales = _locales_with(tmp_path, {"Padding": "Relleno", "Lengths": "Longitudes"},
                            {"With {term}`padding` at the end.": translation})
    problems = T.lint(locales, ["es"])
    assert (not problems) == ok, problems


def test_term_of_an_untranslated_or_api_headword_keeps_its_english_target(tmp_path):
    locales = _locales_with(
        tmp_path, {"Padding": "", "`batch_first`": "`batch_first`"},
        {"Set {term}`batch_first` and {term}`padding`.":
         "Pon {term}`batch_first` y {term}`padding`."})
    assert T.lint(locales, ["es"]) == []


def test_glossary_headwords_are_read_from_the_glossary():
    words = T.glossary_headwords()
    assert {"Padding", "Real step", "`batch_first`", "PackedSequence", "Nested tensor"} \
        <= set(words)
    assert not any(w.startswith(("```", ":", " ")) for w in words)


def test_pseudo_text_marks_the_string_and_its_term_targets():
    assert T.pseudo_text("Use {term}`packing <Packing>` and `x`.") == (
        f"{MARK}Use {{term}}`{MARK}packing <{MARK}Packing>` and `x`.")
    assert T.pseudo_text('<p class="a">Text</p>') == f'<p class="a">{MARK}Text</p>'


# --- the pseudo-translated Spanish edition ---------------------------------------------
@pytest.fixture(scope="module")
def pseudo_es(tmp_path_factory) -> pathlib.Path:
    """The Spanish edition with every string pseudo-translated (about 15 s)."""
    tmp = tmp_path_factory.mktemp("pseudo")
    locales = T.pseudo_catalogs(tmp / "locales")
    assert T.lint(locales) == []  # the marked {term} targets are the marked headwords
    return T.build_edition("es", out=tmp / "es" / "html", locales=locales)


# Text on a page that is not prose: names and file types of the header buttons.
NOT_PROSE = {"Colab", "Binder", ".ipynb", ".md", ".pdf", *languages.NAMES.values()}
SKIP_TAGS = {"pre", "code", "script", "style", "svg", "math", "kbd", "samp", "noscript",
             "template"}
SKIP_CLASSES = {"cell_output", "output", "math", "highlight", "widget-subarea",
                "jupyter-widgets", "MathJax", "packviz-widget", "book-languages"}
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd",
          "figcaption", "caption", "summary", "button", "label", "title", "div", "section",
          "article", "nav", "header", "footer", "aside", "main", "body", "blockquote",
          "details", "ul", "ol", "table", "tr"}


def theme_translations(language: str) -> set[str]:
    """What the theme's and Sphinx's own catalogs say in `language` (not ours)."""
    import pydata_sphinx_theme
    import sphinx
    import sphinx_book_theme
    from babel.messages.mofile import read_mo

    paths = [
        pathlib.Path(pydata_sphinx_theme.__file__).parent / "locale" / language
        / "LC_MESSAGES" / "sphinx.mo",
        pathlib.Path(sphinx.__file__).parent / "locale" / language / "LC_MESSAGES"
        / "sphinx.mo",
        pathlib.Path(sphinx_book_theme.__file__).parent / "theme" / "sphinx_book_theme"
        / "static" / "locales" / language / "LC_MESSAGES" / "booktheme.mo",
    ]
    texts = set()
    for path in paths:
        with path.open("rb") as f:
            texts |= {" ".join(str(m.string).split()) for m in read_mo(f) if m.string}
    return texts


def english_left(path: pathlib.Path, allowed: set[str]) -> list[str]:
    """The texts of a page that hold words but no mark, grouped by their block."""
    from bs4 import BeautifulSoup, Comment, Doctype

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    groups: dict[int, tuple[object, list[str]]] = {}
    for text in soup.find_all(string=True):
        if isinstance(text, (Comment, Doctype)) or not text.strip():
            continue
        ancestors = [text.parent, *text.parent.parents]
        if any(a.name in SKIP_TAGS or SKIP_CLASSES & set(a.get("class") or [])
               for a in ancestors if getattr(a, "name", None)):
            continue
        block = next((a for a in ancestors if a.name in BLOCKS), soup)
        groups.setdefault(id(block), (block, []))[1].append(str(text))
    left = []
    for _block, parts in groups.values():
        text = " ".join(" ".join(parts).split())
        if re.search(r"[A-Za-z]{2,}", text) and MARK not in text \
                and text not in NOT_PROSE and text not in allowed:
            left.append(text[:100])
    return left


def test_every_visible_string_of_the_spanish_edition_comes_from_a_catalog(pseudo_es):
    allowed = theme_translations("es")
    pages = [p for p in sorted(pseudo_es.rglob("*.html"))
             if not p.relative_to(pseudo_es).parts[0].startswith("_")
             and p.name not in ("index.html", "search.html", "genindex.html")]
    assert len(pages) >= 13
    left = {p.relative_to(pseudo_es).as_posix(): english_left(p, allowed) for p in pages}
    left = {page: texts for page, texts in left.items() if texts}
    assert not left, "English left on the pseudo-translated pages (not extracted):\n" + \
        "\n".join(f"{page}: {texts[:8]}" for page, texts in left.items())


def test_pseudo_edition_translates_captions_titles_and_alt_text(pseudo_es):
    intro = (pseudo_es / "intro.html").read_text(encoding="utf-8")
    for caption in ("Padding and packing", "Reference", "For instructors"):
        assert f"{MARK}{caption}" in intro
    assert f"{MARK}<strong>About this edition" in intro  # the {only} lang_es block
    chapter = (pseudo_es / "chapters" / "02_what_packing_produces.html").read_text("utf-8")
    assert re.search(rf"{MARK}Exercise 2\.1", chapter)
    assert re.search(rf"{MARK}Solution to <a [^>]*>{MARK}Exercise 2\.1", chapter) or \
        re.search(rf"{MARK}Solution to .{{0,300}}{MARK}Exercise 2\.1", chapter, re.S)
    alts = re.findall(r'<img [^>]*alt="([^"]+)"',
                      (pseudo_es / "chapters" / "08_beyond_rnns.html").read_text("utf-8"))
    assert any(alt.startswith(f"{MARK}A 9 by 9 grid") for alt in alts)


def test_each_page_links_the_same_page_in_the_other_languages(pseudo_es):
    page = pseudo_es / "chapters" / "01_why_padding_wastes.html"
    html = page.read_text(encoding="utf-8")
    assert '<html lang="es"' in html
    nav = re.search(r'<nav class="book-languages"[^>]*>(.*?)</nav>', html, re.S).group(1)
    links = dict(re.findall(r'<a href="([^"]+)" lang="(\w+)"', nav))
    assert links == {"../../chapters/01_why_padding_wastes.html": "en",
                     "../../ko/chapters/01_why_padding_wastes.html": "ko"}
    assert '<span lang="es" aria-current="page">' in nav
    # Each link lands on that page of the published site (es/ beside en and ko/).
    site = pathlib.PurePosixPath("es/chapters")
    for href in links:
        target = (site / href).as_posix()
        parts: list[str] = []
        for part in target.split("/"):
            parts = parts[:-1] if part == ".." else [*parts, part]
        assert "/".join(parts) in ("chapters/01_why_padding_wastes.html",
                                   "ko/chapters/01_why_padding_wastes.html")


# --- the published layout ----------------------------------------------------------------
def test_site_i18n_puts_the_editions_beside_the_english_book(tmp_path):
    build = tmp_path / "_build"
    for lang in T.LANGUAGES:
        for edition in ("html", "student/html"):
            (build / lang / edition).mkdir(parents=True)
            (build / lang / edition / "index.html").write_text(f"{lang} {edition}")
    site = tmp_path / "site"
    site.mkdir()
    result = subprocess.run(["make", "-s", "--no-print-directory", "site-i18n",
                             f"I18N_BUILD={build}", f"SITE={site}"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for lang in T.LANGUAGES:
        assert (site / lang / "index.html").read_text() == f"{lang} html"
        student = (site / lang / "student" / "index.html").read_text()
        assert student == f"{lang} student/html"
    shutil.rmtree(build / "ko" / "student")
    again = subprocess.run(["make", "-s", "--no-print-directory", "site-i18n",
                            f"I18N_BUILD={build}", f"SITE={site}"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    assert again.returncode != 0 and "ko/student/html is not built" in again.stdout


# --- strings the guide generates from counts (locales/<lang>/generated.yml) ----------
@pytest.mark.parametrize("lang", T.LANGUAGES)
def test_generated_patterns_keep_their_placeholders(lang):
    patterns = T.generated_patterns(lang)
    assert patterns.get("instructors/guide"), f"locales/{lang}/generated.yml: no patterns"
    for regex, translation in patterns["instructors/guide"]:
        names = set(regex.groupindex)
        assert set(re.findall(r"\{(\w+)\}", translation)) == names, translation


@pytest.mark.parametrize("lang", T.LANGUAGES)
def test_a_changed_count_is_translated_by_its_pattern(lang):
    """A guide line whose count changed is filled in again, fuzzy or not; a number-only
    table cell is its own translation; other strings are left alone."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale=lang)
    line = ("**Reading:** 9,999 words of prose, about 50 minutes (code and outputs take "
            "longer when run).")
    catalog.add(line, "old translation", flags=["fuzzy"])
    catalog.add("77 (90)", "")
    catalog.add("Homework 1", "")
    T.fill_generated(catalog, "instructors/guide", T.generated_patterns(lang))
    filled = catalog[line]
    assert "9,999" in filled.string and "50" in filled.string
    assert "old" not in filled.string and "fuzzy" not in filled.flags
    assert catalog["77 (90)"].string == "77 (90)"
    assert catalog["Homework 1"].string == ""
