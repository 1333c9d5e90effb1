# --- the Spanish and Korean editions (issue 21) -----------------------------------
# The same notebooks, code and outputs as the English book; only the prose comes from
# the catalogs in locales/<lang>/LC_MESSAGES (scripts/translations.py, README
# "Translations"). Sphinx warnings are errors here too.
#   make book-es / book-ko                  into _build/es/html, _build/ko/html
#   make book-es-student / book-ko-student  into _build/<lang>/student/html
#   make translations-extract  update the catalogs after the English prose changed
#   make translations-check    fail on stale catalogs or lost markup
#   make translations-status   strings per catalog and the share translated
# The language comes from BOOK_LANG in the scripts, never from LANG (the shell's locale).
LANGS := es ko
I18N_BOOKS := $(addprefix book-,$(LANGS))
I18N_STUDENT_BOOKS := $(addsuffix -student,$(I18N_BOOKS))
TRANSLATIONS := $(PY) scripts/translations.py
# Where the editions are built (a test points it elsewhere).
I18N_BUILD ?= _build

.PHONY: $(I18N_BOOKS) $(I18N_STUDENT_BOOKS) books-i18n translations-extract \
        translations-check translations-status site-i18n fonts msgfmt

$(I18N_BOOKS): book-%: setup assets
	$(TRANSLATIONS) build --lang $*

$(I18N_STUDENT_BOOKS): book-%-student: setup assets
	$(TRANSLATIONS) build --lang $* --student

books-i18n: $(I18N_BOOKS) $(I18N_STUDENT_BOOKS)

translations-extract: setup
	$(TRANSLATIONS) extract

# Also part of `make test` (tests/test_translations.py), with the completeness check.
translations-check: setup
	$(TRANSLATIONS) check

translations-status: setup
	$(TRANSLATIONS) status

# The published site: the translated editions beside the English one, at es/, ko/,
# es/student/ and ko/student/. The Makefile's `site` recipe empties $(SITE) first, so
# it calls this last (`$(MAKE) --no-print-directory site-i18n`); the builds are
# prerequisites of `site` here.
site: books-i18n
site-i18n:
	@for lang in $(LANGS); do \
	  for dir in $(I18N_BUILD)/$$lang/html $(I18N_BUILD)/$$lang/student/html; do \
	    test -f $$dir/index.html || { echo "make: $$dir is not built (make books-i18n)"; \
	      exit 1; }; \
	  done; \
	  rm -rf $(SITE)/$$lang && cp -r $(I18N_BUILD)/$$lang/html $(SITE)/$$lang && \
	  cp -r $(I18N_BUILD)/$$lang/student/html $(SITE)/$$lang/student; \
	done

# The browser tests (axe on the translated pages, Korean glyphs) run on these builds:
# make test builds them with the other editions (the Makefile's `editions`).
EDITIONS += $(I18N_BOOKS)

# Korean needs a font with Hangul for the browser tests and the PDF: Debian's Noto CJK
# (readers' browsers use the system fonts that _static/i18n.css names).
fonts:
	@fc-list :lang=ko 2>/dev/null | grep -q . || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    fonts-noto-cjk; }

browser: fonts
pdf: fonts

# tests/test_translations.py counts translated entries with msgfmt (Debian's gettext).
msgfmt: | poppler
msgfmt:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    gettext; }

setup-test: msgfmt
