# Grading students' notebooks with otter-grader (course/grading/; README "Grading").
#   make grade SUBMISSIONS=dir/ [OUT=grades.csv] [TIMEOUT=60] [GRADE_JOBS=2]
#   make autograder    one otter zip per chapter in _build/grading/ (e.g. for Gradescope)
# SUBMISSIONS holds <student>.ipynb files, or <student>/ folders of notebooks. Each
# notebook runs locally in its own process and folder (no Docker), at most TIMEOUT
# seconds (start-up included), GRADE_JOBS at a time; OUT gets one row per student.
# OUT and TIMEOUT are read only here, so that other parts' targets may use the names.
GRADE_JOBS ?= 2
GRADING_BUILD := _build/grading

.PHONY: grade autograder

grade: $(VENV)/.test-installed
	@test -n "$(SUBMISSIONS)" || { echo "make grade: say where the notebooks are:" \
	  "make grade SUBMISSIONS=dir/ [OUT=grades.csv] [TIMEOUT=60]" >&2; exit 2; }
	$(PY) -m course.grading grade "$(SUBMISSIONS)" --out "$(or $(OUT),grades.csv)" \
	  --timeout $(or $(TIMEOUT),60) --jobs $(GRADE_JOBS) --build $(GRADING_BUILD)

autograder: $(VENV)/.test-installed
	$(PY) -m course.grading autograder --build $(GRADING_BUILD)
