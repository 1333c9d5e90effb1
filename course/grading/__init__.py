"""Grading the students' notebooks for the instructor, with otter-grader.

- `autograder`: one otter test per checked exercise, written from the registry in
  `packviz.exercises`, and one autograder zip per chapter in _build/grading/ (`make
  autograder`; Gradescope runs the same zips in its own Docker image).
- `grader`: `make grade SUBMISSIONS=dir/ [OUT=grades.csv] [TIMEOUT=60]` runs every
  notebook in the folder against its chapter's zip, locally (`otter run`, no Docker),
  and writes one CSV row per student.
- `worker`: one notebook, in a process of its own (the grader kills it past the limit).
- `make_fixtures`: rewrites fixtures/ (chapter 1's student notebook, answered right,
  wrong, partly, and broken in each way the grader must survive).
"""
