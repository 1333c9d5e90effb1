# --- the book as one PDF ------------------------------------------------------
# scripts/pdf.py prints the built HTML book with Debian's Chromium (Playwright, the
# book served on 127.0.0.1, offline): a title page, contents with page numbers,
# every page of _toc.yml in order, widgets in their initial state, page numbers.
# Title, language and file names come from the built book, so another edition prints
# the same way: make pdf BOOK_HTML=_build/ko/html (writes _build/ko/pdf/book.pdf).
BOOK_HTML ?= _build/html
BOOK_PDF ?= $(patsubst %/,%,$(dir $(patsubst %/,%,$(BOOK_HTML))))/pdf/book.pdf

.PHONY: pdf poppler

# pdfinfo reads the page each chapter starts on back from the first print (and the
# PDF tests use pdftotext, pdffonts, pdfimages, pdftohtml): Debian's poppler-utils.
# After browser: one apt-get at a time under make -j (dpkg's lock).
poppler: | browser
poppler:
	@command -v pdfinfo >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    poppler-utils; }

# Playwright comes with the test requirements, Chromium with `browser`.
pdf: setup-test book poppler
	$(PY) scripts/pdf.py --html $(BOOK_HTML) --out $(BOOK_PDF)
