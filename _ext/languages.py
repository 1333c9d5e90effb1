"""The book in several languages: links between the editions, and what Sphinx's gettext
machinery does not translate by itself.

scripts/translations.py builds the Spanish and Korean editions from the same notebooks
with `language` set and the catalogs of `locales/` (README, "Translations"). This
extension is loaded in every build, English included, and does:

- Tags the build `lang_<code>` (`lang_en`, `lang_es`, `lang_ko`), so a page can hold a
  block for the translated editions only: ```{only} lang_es or lang_ko```.
- Puts a list of links at the top of every page to the same page in the other languages
  (`<nav class="book-languages">`, each link with `lang` and `hreflang`), and the same
  as `<link rel="alternate" hreflang>` in the head. The student edition links the other
  languages' student editions. The links are relative, computed from the page's depth
  and the edition's place on the published site (`edition_prefix`): English at the
  root, `es/` and `ko/` beside it, the student editions at `student/`, `es/student/`
  and `ko/student/`.
- Translates strings that come from the configuration, not from a page, through the
  `sphinx` catalog (locales/<lang>/LC_MESSAGES/sphinx.po): the book's title, the
  footer, myst-nb's "Show code cell ..." prompts, the "Slides" link, and two title
  patterns of sphinx-exercise: "Exercise %s" and "Solution to %s". sphinx-exercise
  ships "Ejercicio"/"Solución a" and "연습"/"해답" in a catalog of its own that a book
  cannot override, and builds "Solution to" + " Exercise 2.1" from two pieces, which
  does not fit Korean word order; a translated pattern here replaces both. The gettext
  build (`translations.py extract`) writes these strings into sphinx.pot.
- In a translated edition, the "Slides" links point at the English decks at the root
  of the site (`slides/`), not at `es/slides/`.
- Translates what Sphinx's Locale transform does not reach: the part captions of
  _toc.yml (sphinx-external-toc inserts its toctrees after Locale), the text the
  slides_link and course_guide extensions write themselves (SLIDES_LINE, "slides"), and
  sphinx-book-theme strings its own catalog lacks ("Repository", "Open issue": our
  locales/<lang>/LC_MESSAGES/booktheme.po, a fallback behind the theme's). The gettext
  build also extracts the alt text of notebook images (myst-nb drops them from the
  gettext builder's doctree; Sphinx translates them when it reads the page).

Config (`sphinx: config:`): `book_languages` (default ["en", "es", "ko"]), the
languages the published site has, English first.
"""

from __future__ import annotations

import html

from docutils import nodes
from sphinx import addnodes
from sphinx.locale import _
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

LANGUAGES = ("en", "es", "ko")
# Each language's name in that language: the links' text.
NAMES = {"en": "English", "es": "Español", "ko": "한국어"}
# The label of the list of links, in the language of the page it is on.
NAV_LABEL = {"en": "Languages", "es": "Idiomas", "ko": "언어"}

# Config values whose text is translated through the sphinx catalog (a value may be a
# key of html_theme_options, written "html_theme_options.extra_footer").
CONFIG_STRINGS = (
    "html_title",
    "author",
    "copyright",
    "html_theme_options.extra_footer",
    "nb_code_prompt_show",
    "nb_code_prompt_hide",
    "slides_link_text",
)
# Titles sphinx-exercise builds; %s is the number ("2.1") / the exercise's title.
EXERCISE = "Exercise %s"
SOLUTION_TO = "Solution to %s"
PATTERNS = (EXERCISE, SOLUTION_TO)
BOOK_THEME_DOMAIN = "booktheme"  # sphinx-book-theme's catalog
# Text our other extensions put on pages themselves: after the "Slides" link of a
# chapter (_ext/slides_link.py), and the instructor's guide's links to each deck
# ({slides-link} of _ext/course_guide.py).
SLIDES_LINE = ": this chapter as a slide deck (reveal.js)"
SLIDES_ROLE_TEXT = "slides"
GENERATED = (SLIDES_LINE, SLIDES_ROLE_TEXT)


def language_of(config) -> str:
    return (config.language or "en").split("_")[0]


def is_student(config) -> bool:
    return bool(getattr(config, "hide_solutions", False))


def edition_prefix(language: str, student: bool) -> str:
    """Where an edition lives on the published site, relative to its root."""
    prefix = "" if language == "en" else f"{language}/"
    return prefix + ("student/" if student else "")


def link_to_edition(page_uri: str, here: str, there: str) -> str:
    """The relative link from page `page_uri` of the edition at `here` to the same page of
    the edition at `there` (prefixes from `edition_prefix`; `page_uri` is the page's
    address in its edition, e.g. "chapters/01_why_padding_wastes.html")."""
    depth = page_uri.count("/") + here.count("/")
    return "../" * depth + there + page_uri


def _translated(message: str) -> str | None:
    """The translation of `message` in this build's catalogs, or None if it has none."""
    text = _(message)
    return text if text != message else None


def _translate_config(app, config) -> None:
    language = language_of(config)
    app.tags.add(f"lang_{language}")
    if language == "en":
        return
    for name in CONFIG_STRINGS:
        if name.startswith("html_theme_options."):
            key = name.split(".", 1)[1]
            options = dict(config.html_theme_options or {})
            text = _translated(options[key]) if options.get(key) else None
            if text:
                options[key] = text
                config.html_theme_options = options
        elif isinstance(getattr(config, name, None), str):
            text = _translated(getattr(config, name))
            if text:
                setattr(config, name, text)
    exercise = _translated(EXERCISE)
    if exercise:
        config.numfig_format = {**config.numfig_format, "exercise": exercise}
    url = getattr(config, "slides_link_url", "")
    prefix = edition_prefix(language, is_student(config))
    if url and "://" not in url and not url.startswith("/"):
        config.slides_link_url = "../" * prefix.count("/") + url


def _add_theme_catalog(app, config) -> None:
    """sphinx-book-theme's own catalog ("booktheme") lacks a few of its strings in some
    languages ("Repository", "Open issue"): ours fills them in (a fallback: the theme's
    translations come first)."""
    if language_of(config) == "en":
        return
    import os

    for folder in config.locale_dirs:
        app.add_message_catalog(BOOK_THEME_DOMAIN, os.path.join(app.srcdir, folder))


def page_catalog(env):
    """The translations of the page being read (its catalog under locale_dirs)."""
    import os

    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    domain = docname_to_domain(env.docname, env.config.gettext_compact)
    folders = [os.path.join(env.srcdir, folder) for folder in env.config.locale_dirs]
    catalog, found = init_locale(folders, env.config.language, domain)
    return catalog if found else None


class TranslateTocCaptions(SphinxTransform):
    """What Sphinx's Locale transform (priority 20) does not reach: the captions of the
    toctrees sphinx-external-toc inserts later (_toc.yml's parts, priority 100). The
    gettext build extracts them (into the root page's catalog, intro.po)."""

    default_priority = 110  # after InsertToctrees (100), before doctree-read

    def apply(self, **kwargs) -> None:
        if language_of(self.config) == "en" or self.app.builder.name == "gettext":
            return
        catalog = page_catalog(self.env)
        if catalog is None:
            return
        for node in self.document.findall(addnodes.toctree):
            caption = node.get("caption")
            if caption and catalog.gettext(caption) != caption:
                node["caption"] = node["rawcaption"] = catalog.gettext(caption)


def _keep_alt_texts(app, doctree) -> None:
    """In the gettext build: note the alt texts of every image as read. A notebook
    output's image leaves the doctree before Sphinx extracts the messages (myst-nb
    keeps only the text/plain output for the gettext builder), so its alt text would
    be missing from the catalog; Sphinx's Locale transform translates it all the same."""
    if app.builder.name == "gettext":
        doctree["book_alt_texts"] = [
            node["alt"] for node in doctree.findall(nodes.image) if node.get("alt")
        ]


def _add_alt_texts(app, doctree, docname) -> None:
    """In the gettext build: the alt texts noted by `_keep_alt_texts` that the page's
    final doctree lacks go into its catalog (first in the file)."""
    if app.builder.name != "gettext":
        return
    from sphinx.builders.gettext import MsgOrigin
    from sphinx.util.i18n import docname_to_domain

    kept = {node.get("alt") for node in doctree.findall(nodes.image)}
    catalog = app.builder.catalogs[docname_to_domain(docname, app.config.gettext_compact)]
    for alt in doctree.get("book_alt_texts", []):
        if alt not in kept:
            catalog.add(alt, MsgOrigin(docname, 0))


def config_messages(config) -> list[str]:
    """The strings `_translate_config` looks up, as this build's config has them."""
    messages = []
    for name in CONFIG_STRINGS:
        if name.startswith("html_theme_options."):
            value = (config.html_theme_options or {}).get(name.split(".", 1)[1])
        else:
            value = getattr(config, name, None)
        if isinstance(value, str) and value.strip():
            messages.append(value)
    return messages + list(PATTERNS) + list(GENERATED)


def _translate_generated_text(app, doctree, docname) -> None:
    """The text of GENERATED in this edition's language (after slides_link adds it)."""
    if language_of(app.config) == "en" or app.builder.format != "html":
        return
    for node in list(doctree.findall(nodes.Text)):
        parent = node.parent
        text = str(node)
        if text == SLIDES_LINE and "slides-link-line" in parent.get("classes", []):
            pass
        elif text == SLIDES_ROLE_TEXT and isinstance(parent, nodes.reference) \
                and "slides/" in parent.get("refuri", ""):
            pass
        else:
            continue
        translated = _translated(text)
        if translated:
            parent.replace(node, nodes.Text(translated))


def _add_config_messages(app) -> None:
    """In the gettext build: put the config strings and patterns into sphinx.pot."""
    if app.builder.name != "gettext":
        return
    from sphinx.builders.gettext import MsgOrigin

    for message in config_messages(app.config):
        app.builder.catalogs["sphinx"].add(message, MsgOrigin("_config.yml", 0))


class TranslateExerciseTitles(SphinxPostTransform):
    """Solution titles from the translated patterns "Solution to %s" and "Exercise %s".

    sphinx-exercise titles a solution "Solution to" + a link " Exercise 2.1", both words
    from its own catalog; this rebuilds it as the patterns say (the numbered exercise
    titles themselves follow numfig_format, which `_translate_config` sets).
    """

    default_priority = 25  # after sphinx-exercise's ResolveTitlesInSolutions (21)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        pattern, exercise = _translated(SOLUTION_TO), _translated(EXERCISE)
        if pattern and pattern.count("%s") != 1:
            pattern = None
        if not (pattern or exercise):
            return
        from sphinx.locale import get_translation
        from sphinx_exercise.nodes import solution_node

        own = get_translation("exercise")  # sphinx-exercise's catalog
        marker, word = own("Solution to"), own("Exercise")
        for node in self.document.findall(solution_node):
            title = node.children[0] if node.children else None
            if not isinstance(title, nodes.title) or len(title.children) < 2:
                continue
            first, link = title.children[0], title.children[1]
            if not isinstance(first, nodes.Text) or first.astext() != marker:
                continue
            if not isinstance(link, nodes.reference) or not link.children:
                continue
            label = link.children[0]
            if isinstance(label, nodes.Text):
                text = label.astext().strip()
                if exercise and text.startswith(word):
                    text = exercise % text[len(word):].strip()
                link.replace(label, nodes.Text(text))
            if pattern:
                before, after = pattern.split("%s")
                rest = title.children[1:]
                title.children = []
                if before:
                    title += nodes.Text(before)
                for child in rest:
                    title += child
                if after:
                    title += nodes.Text(after)
            else:
                title.replace(first, nodes.Text(marker + " "))


def _language_links(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html":
        return
    config = app.config
    here_language = language_of(config)
    student = is_student(config)
    here = edition_prefix(here_language, student)
    page_uri = app.builder.get_target_uri(pagename)
    items, alternates = [], []
    for language in config.book_languages:
        name = html.escape(NAMES.get(language, language))
        if language == here_language:
            items.append(
                f'<li><span lang="{language}" aria-current="page">{name}</span></li>'
            )
            continue
        there = edition_prefix(language, student)
        href = html.escape(link_to_edition(page_uri, here, there))
        items.append(
            f'<li><a href="{href}" lang="{language}" hreflang="{language}" '
            f'rel="alternate">{name}</a></li>'
        )
        alternates.append(f'<link rel="alternate" hreflang="{language}" href="{href}" />')
    label = html.escape(NAV_LABEL.get(here_language, NAV_LABEL["en"]))
    nav = (f'<nav class="book-languages" aria-label="{label}">'
           f'<ul>{"".join(items)}</ul></nav>\n')
    if "body" in context:
        context["body"] = nav + context["body"]
    context["metatags"] = context.get("metatags", "") + "\n".join(alternates) + "\n"


def setup(app):
    app.add_config_value("book_languages", list(LANGUAGES), "html", types=[list])
    # After sphinx-exercise's init_numfig (priority 500), so the pattern wins.
    app.connect("config-inited", _translate_config, priority=800)
    app.connect("config-inited", _add_theme_catalog, priority=810)
    app.connect("builder-inited", _add_config_messages)
    app.connect("doctree-read", _keep_alt_texts)
    # After slides_link's _add_link (the same event, default priority).
    app.connect("doctree-resolved", _translate_generated_text, priority=600)
    app.connect("doctree-resolved", _add_alt_texts)
    app.add_transform(TranslateTocCaptions)
    app.connect("html-page-context", _language_links)
    app.add_post_transform(TranslateExerciseTitles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
