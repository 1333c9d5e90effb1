"""Command line: python -m course.grading {grade,autograder} (see mk/grade.mk)."""

from __future__ import annotations

import argparse
import pathlib
import sys

from course.grading import autograder, grader


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m course.grading",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a folder of notebooks into a CSV")
    grade.add_argument("submissions", type=pathlib.Path)
    grade.add_argument("--out", type=pathlib.Path, default=pathlib.Path("grades.csv"))
    grade.add_argument("--timeout", type=float, default=60,
                       help="seconds per notebook, start-up included (default 60)")
    grade.add_argument("--jobs", type=int, default=2, help="notebooks at a time")
    grade.add_argument("--build", type=pathlib.Path, default=autograder.BUILD)
    build = commands.add_parser("autograder", help="write every chapter's otter zip")
    build.add_argument("--build", type=pathlib.Path, default=autograder.BUILD)
    args = parser.parse_args(argv)
    if args.command == "grade":
        if args.timeout <= 0 or args.jobs < 1:
            parser.error("--timeout must be > 0 and --jobs >= 1")
        grader.grade(args.submissions, args.out, timeout=args.timeout, jobs=args.jobs,
                     build=args.build)
    else:
        for chapter, path in autograder.build_all(args.build).items():
            print(f"{chapter}: {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
