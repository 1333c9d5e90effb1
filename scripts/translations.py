"""Spanish and Korean editions of the book: catalogs, builds and checks (issue 21).

Usage (`make translations-extract`, `make book-es`, ... in mk/i18n.mk):
  python scripts/translations.py extract [--pot-dir DIR]
  python scripts/translations.py build --lang es [--student] [--out DIR] [--no-strict]
  python scripts/translations.py check [--complete]
  python scripts/translations.py status

Every edition is built from the same notebooks with the same stored code and outputs;
only the prose changes. How:

- `extract` runs Sphinx's gettext builder over the English book (into _build/gettext/pot)
  and merges what it finds into one catalog per page and language:
  locales/<lang>/LC_MESSAGES/<page>.po (chapters/01_why_padding_wastes.po, ...), plus
  sphinx.po for what is not a page's (the theme's and the config's strings). A string
  that is new gets an empty translation, one that changed is kept with its old
  translation marked fuzzy (with the old English as `#| msgid`), one that is gone is
  dropped. Entries keep the page's reading order, with no locations or uuids, so the
  files change only where the English did.
- `build` builds one edition with `language` set, from a copy of the catalogs (the
  source tree gets no .mo files), into _build/<lang>/html or _build/<lang>/student/html
  (--student: without solutions, as scripts/student_edition.py builds the English one).
  Untranslated and fuzzy strings stay English.
- `check` fails when the catalogs are stale (English prose changed without `extract`:
  it re-extracts into a temporary folder and compares the strings), when a catalog
  does not parse, or when a translation lost markup that must stay as it is (roles and
  their targets, inline code, math, link targets); --complete also fails on any string
  not translated yet. `status` prints strings per catalog and the share translated.

The English book needs none of this; _ext/languages.py (loaded in every build) adds the
links between the editions and translates strings that come from the config.
"""

from __future__ import annotations

import argparse
import collections
import copy
import dataclasses
import io
import pathlib
import re
import shutil
import sys
import tempfile
import time

import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import student_edition  # noqa: E402  (scripts/ is not a package)

LANGUAGES = ("es", "ko")
LOCALES = ROOT / "locales"
# The .pot files; Jupyter Book puts the doctrees beside them, in _build/gettext/.doctrees.
POT_DIR = ROOT / "_build" / "gettext" / "pot"
THEME_DOMAIN = "sphinx"  # Sphinx's own catalog: the theme's strings, and the config's
# One catalog per page, no file/line locations and no uuids: stable catalogs.
GETTEXT_CONFIG = {
    "gettext_compact": False,
    "gettext_location": False,
    "gettext_uuid": False,
}
# Header lines that change at every run or with the tools' versions: left out (the
# others are kept as a translator's editor sets them).
_UNSTABLE_HEADERS = ("POT-Creation-Date", "Generated-By", "Report-Msgid-Bugs-To")
LANGUAGE_TEAMS = {"es": "Spanish", "ko": "Korean"}
WIDTH = 79  # msgid/msgstr lines are wrapped here, as msgmerge does


# --- configs and builds ------------------------------------------------------------
def edition_config(source: pathlib.Path = ROOT, language: str = "en",
                   student: bool = False, locale_dir: pathlib.Path | None = None) -> dict:
    """The book's _config.yml for one edition: language, catalogs, solutions or not."""
    config = student_edition.student_config(source)  # local extensions resolved
    sphinx = config["sphinx"]
    if not student:
        base = yaml.safe_load((source / "_config.yml").read_text(encoding="utf-8"))
        sphinx["config"]["hide_solutions"] = base["sphinx"]["config"].get(
            "hide_solutions", False)
        sphinx["extra_extensions"].remove(student_edition.EXTENSION)
    sphinx["config"].update(GETTEXT_CONFIG, language=language)
    if locale_dir is not None:
        sphinx["config"]["locale_dirs"] = [str(locale_dir)]
    return config


def extract_templates(source: pathlib.Path, pot_dir: pathlib.Path,
                      strict: bool = True) -> dict[str, Catalog]:
    """Run the gettext builder over the English book; return {domain: template}."""
    if pot_dir.exists():
        shutil.rmtree(pot_dir)
    student_edition.build(source, pot_dir, strict=strict,
                          config=edition_config(source), builder="gettext")
    templates = {}
    for path in sorted(pot_dir.rglob("*.pot")):
        domain = path.relative_to(pot_dir).with_suffix("").as_posix()
        with path.open("rb") as f:
            templates[domain] = read_po(f)
    return templates


BOOK_THEME_DOMAIN = "booktheme"  # sphinx-book-theme's own catalog
THEME_DOMAINS = (THEME_DOMAIN, BOOK_THEME_DOMAIN)


def _translated_ids(paths) -> set[str]:
    """The strings the .mo files `paths` translate (a copy of the English is none)."""
    done = set()
    for path in paths:
        if path.exists():
            with path.open("rb") as f:
                done |= {m.id for m in read_mo(f) if m.id and m.string
                         and m.string != m.id}
    return done


def theme_messages(language: str) -> list[str]:
    """The pydata-sphinx-theme strings that no installed catalog translates into
    `language` (pydata ships es but no ko; sphinx-book-theme ships both)."""
    import pydata_sphinx_theme
    import sphinx

    here = pathlib.Path(pydata_sphinx_theme.__file__).parent / "locale"
    with (here / "sphinx.pot").open("rb") as f:
        wanted = [m.id for m in read_po(f) if m.id]
    done = _translated_ids([
        here / language / "LC_MESSAGES" / "sphinx.mo",
        pathlib.Path(sphinx.__file__).parent / "locale" / language / "LC_MESSAGES"
        / "sphinx.mo",
    ])
    return [m for m in wanted if m not in done]


def book_theme_messages(language: str) -> list[str]:
    """The sphinx-book-theme strings (`translation("...")` in its code) that its own
    catalog does not translate into `language` ("Repository", "Open issue")."""
    import sphinx_book_theme

    here = pathlib.Path(sphinx_book_theme.__file__).parent
    wanted = []
    for path in sorted(here.rglob("*.py")):
        for text in re.findall(r'translation\(\s*"([^"]+)"\s*\)', path.read_text("utf-8")):
            if text not in wanted:
                wanted.append(text)
    mo = (here / "theme" / "sphinx_book_theme" / "static" / "locales" / language
          / "LC_MESSAGES" / f"{BOOK_THEME_DOMAIN}.mo")
    done = _translated_ids([mo])
    return [m for m in wanted if m not in done]


def templates_for(language: str, templates: dict[str, Catalog]) -> dict[str, Catalog]:
    """The templates of one language: the extracted ones, in sphinx.po the theme's
    strings that it lacks, and in booktheme.po sphinx-book-theme's."""
    result = dict(templates)
    theme = copy.deepcopy(templates.get(THEME_DOMAIN) or Catalog())
    for message in theme_messages(language):
        if message not in theme:
            theme.add(message)
    result[THEME_DOMAIN] = theme
    book_theme = Catalog()
    for message in book_theme_messages(language):
        book_theme.add(message)
    if len(book_theme):
        result[BOOK_THEME_DOMAIN] = book_theme
    return result


def _compile(locales: pathlib.Path, language: str, dest: pathlib.Path) -> None:
    """Compile the catalogs of `language` into `dest`/<language>/LC_MESSAGES (*.mo).

    Fuzzy entries are left out (they stay English). A glue role in a translation gets
    its path form (`{glue:text}`/chapters/x.ipynb::key:.2f``): Sphinx parses a
    translation as a document of its own, which has no glue data of its own.
    """
    src = locales / language / "LC_MESSAGES"
    for po in sorted(src.rglob("*.po")):
        domain = po.relative_to(src).with_suffix("").as_posix()
        catalog = read_catalog(po, language)
        for message in catalog:
            if message.id and message.string and domain not in THEME_DOMAINS:
                message.string = glue_path_form(message.string, domain)
        mo = dest / language / "LC_MESSAGES" / f"{domain}.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def build_edition(language: str, student: bool = False, out: pathlib.Path | None = None,
                  strict: bool = True, source: pathlib.Path = ROOT,
                  locales: pathlib.Path = LOCALES) -> pathlib.Path:
    """Build one translated edition into `out` (its HTML folder); return that folder."""
    if language not in LANGUAGES:
        raise SystemExit(f"--lang must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if not (locales / language / "LC_MESSAGES").is_dir():
        raise SystemExit(f"no catalogs in {locales / language}: run "
                         "`make translations-extract` first")
    out = out or source / "_build" / language / ("student" if student else "") / "html"
    with tempfile.TemporaryDirectory(prefix="book-locales-") as tmp:
        _compile(locales, language, pathlib.Path(tmp))
        config = edition_config(source, language, student, pathlib.Path(tmp))
        return student_edition.build(source, out, strict=strict, config=config)


# --- catalogs ----------------------------------------------------------------------
def read_catalog(path: pathlib.Path, language: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=language, abort_invalid=True)


def prose_flags(catalog: Catalog, domain: str) -> Catalog:
    """`catalog` without format flags where it holds prose (every page's catalog).

    babel flags any string with a `%` followed by a letter as python-format: "70.3 % of
    the work" reads as the placeholder `% o`, and msgfmt and babel's checks then demand
    the same placeholder in the translation. A page's strings are never %-formatted;
    only the theme catalogs' are (`Exercise %s`, `{type}`), and they keep their flags.
    """
    if domain not in THEME_DOMAINS:
        for message in catalog:
            message.flags.discard("python-format")
            message.flags.discard("python-brace-format")
    return catalog


GENERATED_FILE = "generated.yml"  # locales/<lang>/generated.yml
_LETTER = re.compile(r"[^\W\d_]")


def _pattern(template: str) -> re.Pattern:
    """A regex from an English pattern: `{name}` matches any text, the rest literally."""
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                    for i, part in enumerate(parts))
    return re.compile(regex, re.S)


def generated_patterns(language: str, locales: pathlib.Path | None = None
                       ) -> dict[str, list[tuple[re.Pattern, str]]]:
    """The translated patterns of strings the book generates from counts, by domain.

    The instructor's guide writes its figures into its prose ("**Reading:** 1,931 words
    of prose, about 10 minutes ..."), so a chapter's edit changes those strings.
    locales/<lang>/generated.yml gives each such string once, as an English pattern
    with `{name}` placeholders and its translation; `extract` fills in every matching
    string, so a changed count needs no translator.
    """
    path = (locales or LOCALES) / language / GENERATED_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return {domain: [(_pattern(item["en"]), item["tr"]) for item in items]
            for domain, items in (data or {}).items()}


def fill_generated(catalog: Catalog, domain: str, patterns: dict) -> Catalog:
    """Translate what `patterns` covers, and strings without a letter (numbers, as in
    "77 (90)"), which are their own translation. Other entries are left as they are."""
    if domain in THEME_DOMAINS:
        return catalog
    for message in catalog:
        if not message.id:
            continue
        text = None
        if not _LETTER.search(message.id):
            text = message.id
        else:
            for regex, translation in patterns.get(domain, []):
                match = regex.fullmatch(message.id)
                if match:
                    text = translation.format(**match.groupdict())
                    break
        if text is not None:
            message.string = text
            message.flags.discard("fuzzy")
            message.previous_id = []
    return catalog


def merge(template: Catalog, old: Catalog | None, language: str, domain: str,
          patterns: dict | None = None) -> Catalog:
    """The catalog of `domain` in `language`, updated to `template`: new strings empty,
    changed ones fuzzy (old translation kept), removed ones dropped."""
    catalog = old if old is not None else Catalog(locale=language)
    catalog.update(template, no_fuzzy_matching=False, update_creation_date=False)
    prose_flags(catalog, domain)
    fill_generated(catalog, domain, patterns or {})
    catalog.obsolete.clear()
    catalog.project = "Padding and Packing Sequences in PyTorch"
    catalog.version = ""
    catalog.fuzzy = False  # the header entry
    if "LL@li.org" in (catalog.language_team or "LL@li.org"):
        catalog.language_team = LANGUAGE_TEAMS.get(language, language)
    catalog.copyright_holder = "the packing book authors"
    catalog.header_comment = (
        f"# {language} translation of {domain}: fill in each msgstr.\n"
        "# Keep code, roles and link targets as they are (README, \"Translations\").\n"
        "# Written by `make translations-extract`; translations are kept when it runs."
    )
    return catalog


def write_catalog(catalog: Catalog, path: pathlib.Path) -> bool:
    """Write `catalog` to `path` in a stable form; return True if the file changed."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, no_location=True, ignore_obsolete=True,
             include_previous=True, sort_output=False)
    lines = [
        line for line in buffer.getvalue().decode("utf-8").splitlines(keepends=True)
        if not any(line.startswith(f'"{h}:') for h in _UNSTABLE_HEADERS)
    ]
    text = "".join(lines)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def update_catalogs(templates: dict[str, Catalog], locales: pathlib.Path = LOCALES,
                    languages=LANGUAGES) -> list[str]:
    """Merge `templates` into the catalogs of every language; return what changed."""
    changes = []
    for language in languages:
        base = locales / language / "LC_MESSAGES"
        wanted = templates_for(language, templates)
        patterns = generated_patterns(language, locales)
        for domain, template in wanted.items():
            path = base / f"{domain}.po"
            old = read_catalog(path, language) if path.exists() else None
            before = _ids(old) if old is not None else set()
            catalog = merge(template, old, language, domain, patterns)
            if write_catalog(catalog, path):
                after = _ids(catalog)
                changes.append(f"{path.relative_to(locales)}: {len(after - before)} new, "
                               f"{len(before - after)} gone")
        for path in sorted(base.rglob("*.po")):
            if path.relative_to(base).with_suffix("").as_posix() not in wanted:
                path.unlink()
                changes.append(f"{path.relative_to(locales)}: removed (page gone)")
    return changes


def _ids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.id}


# --- checks ------------------------------------------------------------------------
@dataclasses.dataclass
class Stats:
    catalog: str
    total: int
    translated: int
    fuzzy: int

    @property
    def untranslated(self) -> int:
        return self.total - self.translated - self.fuzzy

    @property
    def share(self) -> float:
        return self.translated / self.total if self.total else 1.0


def catalog_paths(locales: pathlib.Path = LOCALES, languages=LANGUAGES):
    """(language, domain, path) of every catalog, in a fixed order."""
    for language in languages:
        base = locales / language / "LC_MESSAGES"
        for path in sorted(base.rglob("*.po")):
            yield language, path.relative_to(base).with_suffix("").as_posix(), path


def statistics(locales: pathlib.Path = LOCALES, languages=LANGUAGES) -> list[Stats]:
    stats = []
    for language, domain, path in catalog_paths(locales, languages):
        messages = [m for m in read_catalog(path, language) if m.id]
        stats.append(Stats(
            f"{language}/{domain}",
            total=len(messages),
            translated=sum(bool(m.string) and not m.fuzzy for m in messages),
            fuzzy=sum(m.fuzzy for m in messages),
        ))
    return stats


def status_table(stats: list[Stats]) -> str:
    width = max((len(s.catalog) for s in stats), default=10)
    lines = [f"{'catalog':<{width}}  strings  translated  fuzzy  untranslated  share"]
    for s in stats:
        lines.append(f"{s.catalog:<{width}}  {s.total:7d}  {s.translated:10d}  "
                     f"{s.fuzzy:5d}  {s.untranslated:12d}  {s.share:5.0%}")
    for language in sorted({s.catalog.split("/")[0] for s in stats}):
        mine = [s for s in stats if s.catalog.startswith(f"{language}/")]
        total = sum(s.total for s in mine)
        done = sum(s.translated for s in mine)
        lines.append(f"{language + ' (all)':<{width}}  {total:7d}  {done:10d}  "
                     f"{sum(s.fuzzy for s in mine):5d}  "
                     f"{sum(s.untranslated for s in mine):12d}  "
                     f"{done / total if total else 1:5.0%}")
    return "\n".join(lines)


def stale(templates: dict[str, Catalog], locales: pathlib.Path = LOCALES,
          languages=LANGUAGES) -> list[str]:
    """How the catalogs differ from the current English (empty when up to date)."""
    problems = []
    for language in languages:
        wanted = templates_for(language, templates)
        have = {d: p for lang, d, p in catalog_paths(locales, [language])}
        for domain in sorted(set(wanted) | set(have)):
            name = f"{language}/{domain}.po"
            if domain not in have:
                problems.append(f"{name}: missing ({len(_ids(wanted[domain]))} strings)")
                continue
            if domain not in wanted:
                problems.append(f"{name}: its page is gone")
                continue
            new, old = _ids(wanted[domain]), _ids(read_catalog(have[domain], language))
            for text in sorted(new - old):
                problems.append(f"{name}: new English not in the catalog: {text[:70]!r}")
            for text in sorted(old - new):
                problems.append(f"{name}: no longer in the English: {text[:70]!r}")
    return problems


# Markup a translation keeps as it is: roles and their targets, inline code, math,
# link targets. (A role's text may be translated: {term}`relleno <padding>`.)
_ROLE = re.compile(r"\{([\w:.+-]+)\}(`+)(.+?)\2")
_CODE = re.compile(r"(?<![`}])(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LONG_CODE = re.compile(r"(?<![`}])(``+)(?!`)(.+?)\1(?!`)", re.S)
_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$]+?)(?<!\s)\$")
_LINK = re.compile(r"\]\(([^)\s]+)\)|<((?:https?|mailto):[^>\s]+)>")
_GLUE = re.compile(r"\{(glue(?::(?:any|text))?)\}`([^`]+)`")


def _split_target(content: str) -> tuple[str, str]:
    """A role's (text, target): `text <target>`, or the content as both."""
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", content)
    return (match.group(1), match.group(2)) if match else (content, content)


def _role_target(role: str, content: str) -> str:
    if role.startswith("glue"):
        return content.split("::", 1)[-1]  # the path form is the same glue
    return _split_target(content)[1]


def markup(text: str, terms: dict[str, str | None] | None = None) -> collections.Counter:
    """The pieces of MyST in `text` a translation must keep.

    A {term} target counts in lower case (Sphinx looks terms up so); `terms` maps the
    targets of a translation back to the English ones (`term_targets`)."""
    pieces: collections.Counter = collections.Counter()
    # Code spans of two or more backticks first: they may show a role as code
    # (``{term}`packing <Packing>` ``), which is then code, not a role.
    for _ticks, code in _LONG_CODE.findall(text):
        pieces[f"`{code}`"] += 1
    text = _LONG_CODE.sub(" ", text)
    for role, _ticks, content in _ROLE.findall(text):
        target = _role_target(role, content)
        if role == "term":
            target = " ".join(target.split()).lower()
            if terms is not None:
                english = terms.get(target, target)
                target = english if english is not None else (
                    f"{target} (English: the glossary translates this headword)")
        pieces[f"{{{role}}}`{target}`"] += 1
    rest = _ROLE.sub(" ", text)
    for _ticks, code in _CODE.findall(rest):
        pieces[f"`{code}`"] += 1
    rest = _CODE.sub(" ", rest)
    for math in _MATH.findall(rest):
        pieces[f"${math}$"] += 1
    for target, url in _LINK.findall(rest):
        pieces[f"-> {target or url}"] += 1
    return pieces


GLOSSARY = "reference/glossary"  # the page whose {glossary} headwords {term} targets


def glossary_headwords(source: pathlib.Path = ROOT) -> list[str]:
    """The headwords of the book's glossary, as written (`batch_first` with its ticks)."""
    text = (source / f"{GLOSSARY}.md").read_text(encoding="utf-8")
    words, inside = [], False
    for line in text.splitlines():
        if re.match(r"^(`{3,}|:{3,})\{glossary\}", line):
            inside = True
        elif inside and re.match(r"^(`{3,}|:{3,})\s*$", line):
            inside = False
        elif inside and line.strip() and not line[0].isspace():
            words.append(line.strip())
    return words


def _term_text(headword: str) -> str:
    """The text Sphinx registers a headword under (markup gone, lower case)."""
    return " ".join(headword.replace("`", "").replace("*", "").split()).lower()


def term_targets(language: str, locales: pathlib.Path = LOCALES,
                 source: pathlib.Path = ROOT) -> dict[str, str | None]:
    """{target in a translation: the English target it stands for}, for `language`.

    A translated edition's glossary registers each headword under its translation (in
    the language's reference/glossary.po), so a {term} there must target that: the
    translated headword stands for the English one, and the English one, where the
    glossary translates it differently, stands for nothing (None: the lint fails).
    A headword not translated yet keeps its English target."""
    path = locales / language / "LC_MESSAGES" / f"{GLOSSARY}.po"
    catalog = read_catalog(path, language) if path.exists() else Catalog()
    targets: dict[str, str | None] = {}
    for headword in glossary_headwords(source):
        english = _term_text(headword)
        message = catalog.get(headword)
        translated = (_term_text(message.string)
                      if message is not None and message.string and not message.fuzzy
                      else english)
        targets.setdefault(english, None)
        if translated != english:
            targets[english] = None
        targets[translated] = english
    return targets


def glue_path_form(text: str, docname: str) -> str:
    """`text` with every {glue}/{glue:any}/{glue:text} role in its path form."""

    def fix(match: re.Match) -> str:
        role, content = match.groups()
        if "::" in content:
            return match.group(0)
        if role == "glue:text" and ":" not in content:
            content += ":s"  # without a format, "path::key" would split at its last ":"
        return f"{{{role}}}`/{docname}.ipynb::{content}`"

    return _GLUE.sub(fix, text)


def lint(locales: pathlib.Path = LOCALES, languages=LANGUAGES) -> list[str]:
    """Translations that lost or changed markup, or whose placeholders differ."""
    problems = []
    terms = {language: term_targets(language, locales) for language in languages}
    for language, domain, path in catalog_paths(locales, languages):
        catalog = prose_flags(read_catalog(path, language), domain)
        for message, errors in catalog.check():
            for error in errors:
                problems.append(f"{language}/{domain}.po: {message.id[:60]!r}: {error}")
        for message in catalog:
            if not message.id or not message.string or domain in THEME_DOMAINS:
                continue
            if "{glue:md}" in message.id:
                problems.append(f"{language}/{domain}.po: {message.id[:60]!r}: "
                                "{glue:md} cannot be translated (no path form)")
            want, got = markup(message.id), markup(message.string, terms[language])
            if want != got:
                lost = sorted((want - got).elements())
                extra = sorted((got - want).elements())
                problems.append(
                    f"{language}/{domain}.po: {message.id[:60]!r}: translation "
                    + (f"lacks {lost}" if lost else "")
                    + (" and " if lost and extra else "")
                    + (f"adds {extra}" if extra else "")
                )
    return problems


# --- pseudo-translation -------------------------------------------------------------
PSEUDO_MARK = "\u00ab"  # «: starts every pseudo-translated string


def pseudo_text(text: str, mark: str = PSEUDO_MARK) -> str:
    """`text` "translated" into a marked copy: `mark` in front, and every {term} target
    pointing at the marked headword (which is what the glossary then registers)."""

    def term(match: re.Match) -> str:
        role, ticks, content = match.groups()
        if role != "term":
            return match.group(0)
        shown, target = _split_target(content)
        return f"{{term}}{ticks}{mark}{shown} <{mark}{target}>{ticks}"

    # Roles shown as code (``{term}`x` ``) stay as they are; the others get the mark.
    pieces = re.split(r"((?<![`}])``+(?!`).+?``+(?!`))", text, flags=re.S)
    text = "".join(piece if i % 2 else _ROLE.sub(term, piece)
                   for i, piece in enumerate(pieces))
    tag = re.match(r"<[^>]+>", text)  # HTML (the footer): the mark inside its first tag
    return text[:tag.end()] + mark + text[tag.end():] if tag else mark + text


def pseudo_catalogs(dest: pathlib.Path, locales: pathlib.Path = LOCALES,
                    languages=LANGUAGES, mark: str = PSEUDO_MARK) -> pathlib.Path:
    """Copies of the catalogs in `dest` with every string pseudo-translated: building
    from them shows any English left on a page as a string without `mark`, i.e. one
    the catalogs lack (the completeness test of tests/test_translations.py)."""
    for language, domain, path in catalog_paths(locales, languages):
        catalog = read_catalog(path, language)
        for message in catalog:
            if message.id and not message.pluralizable:
                message.string = pseudo_text(message.id, mark)
                message.flags.discard("fuzzy")
        write_catalog(catalog, dest / language / "LC_MESSAGES" / f"{domain}.po")
    return dest


# --- commands ----------------------------------------------------------------------
def cmd_extract(args) -> int:
    start = time.perf_counter()
    templates = extract_templates(ROOT, args.pot_dir, strict=not args.no_strict)
    changes = update_catalogs(templates, args.locales)
    total = sum(len(_ids(t)) for t in templates.values())
    print(f"extracted {total} strings from {len(templates)} catalogs into {args.pot_dir} "
          f"in {time.perf_counter() - start:.0f} s")
    print("\n".join(changes) if changes else "catalogs already up to date")
    return 0


def cmd_build(args) -> int:
    start = time.perf_counter()
    where = build_edition(args.lang, args.student, args.out, strict=not args.no_strict,
                          locales=args.locales)
    print(f"{args.lang}{' student' if args.student else ''} edition built in "
          f"{time.perf_counter() - start:.0f} s: open {where / 'index.html'}")
    return 0


def cmd_status(args) -> int:
    print(status_table(statistics(args.locales)))
    return 0


def cmd_check(args) -> int:
    failed = False
    stats = statistics(args.locales)
    print(status_table(stats))
    problems = lint(args.locales)
    if problems:
        failed = True
        print("\nTranslations whose markup or placeholders differ from the English:")
        print("\n".join(f"  {p}" for p in problems))
    with tempfile.TemporaryDirectory(prefix="book-gettext-") as tmp:
        templates = extract_templates(ROOT, pathlib.Path(tmp) / "gettext",
                                      strict=not args.no_strict)
    differences = stale(templates, args.locales)
    if differences:
        failed = True
        print("\nThe catalogs are stale (English prose changed): run "
              "`make translations-extract`, then translate what it marks:")
        print("\n".join(f"  {d}" for d in differences))
    else:
        print("\nThe catalogs match the English text.")
    if args.complete:
        missing = [s for s in stats if s.translated < s.total]
        if missing:
            failed = True
            print(f"\n{len(missing)} catalogs are not fully translated.")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locales", type=pathlib.Path, default=LOCALES,
                        help="the catalogs' folder (default: locales/)")
    sub = parser.add_subparsers(dest="command", required=True)
    extract = sub.add_parser("extract", help="update the catalogs from the English text")
    extract.add_argument("--pot-dir", type=pathlib.Path, default=POT_DIR)
    build = sub.add_parser("build", help="build one translated edition")
    build.add_argument("--lang", required=True, choices=LANGUAGES)
    build.add_argument("--student", action="store_true", help="without solutions")
    build.add_argument("--out", type=pathlib.Path, default=None,
                       help="the HTML folder (default: _build/<lang>[/student]/html)")
    check = sub.add_parser("check", help="fail on stale or broken catalogs")
    check.add_argument("--complete", action="store_true",
                       help="also fail on strings not translated yet")
    sub.add_parser("status", help="strings per catalog and the share translated")
    for command in (extract, build, check):
        command.add_argument("--no-strict", action="store_true",
                             help="Sphinx warnings are not errors")
    args = parser.parse_args(argv)
    return {"extract": cmd_extract, "build": cmd_build, "check": cmd_check,
            "status": cmd_status}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
