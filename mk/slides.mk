# Slides (issue 19): one reveal.js deck per chapter, made from the chapter notebooks by
# their cell tags (`slide`, `subslide`, `fragment`; CONTRIBUTING.md, "Slides"), into
# $(SLIDES_DIR): <chapter>.slides.html, index.html, and the reveal.js and MathJax files
# they load (from node_modules, pinned by package-lock.json). The folder is then copied
# to $(SLIDES_IN_BOOK), where the "Slides" link of each chapter page points
# (_ext/slides_link.py). Needs the test setup: nbconvert, and Chromium to take the
# pictures of the widgets.
# SLIDES_RISE=DIR also writes the chapters for presenting live in JupyterLab with
# jupyterlab-rise (the tags as the `slideshow` metadata RISE reads).
#   make slides
#   make slides SLIDES_DIR=/tmp/s/slides SLIDES_IN_BOOK=   (build elsewhere, no copy)
#   make slides SLIDES_RISE=_build/rise
SLIDES_DIR ?= _build/slides
SLIDES_IN_BOOK ?= _build/html/slides
SLIDES_RISE ?=

.PHONY: slides
slides: setup-test
	$(PY) scripts/slides.py --out $(SLIDES_DIR) $(if $(SLIDES_IN_BOOK),--copy-to \
	  $(SLIDES_IN_BOOK)) $(if $(SLIDES_RISE),--rise $(SLIDES_RISE))
	@echo "Open $(SLIDES_DIR)/index.html"
