"""Command line for instructors: ``python -m autograder <command>`` (or ``rnn-grader``).

    release  [ASSIGNMENT]           regenerate course/ from solutions/
    grade    ASSIGNMENT [--submissions DIR] [--jobs N] [--engine hardened|nbgrader]
    feedback ASSIGNMENT             HTML feedback per student (no hidden tests)
    export   [--to PATH]            grades CSV for a learning-management system
    report   ASSIGNMENT             class report (score distribution, common mistakes)
    probe                           what this machine lets the sandbox enforce

It works from any working directory: the course root is the folder above this package
(or ``--root`` / ``RNN_COURSE_ROOT``).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import pipeline
from .sandbox import Limits, capabilities

DEMO = "demo/submissions"


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=None, help="course root (default: the repository)")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("release", help="regenerate course/ from solutions/")
    r.add_argument("assignment", nargs="?")
    r.add_argument("--into", help="write the release here instead of course/")
    g = sub.add_parser("grade", help="autograde a folder of submissions")
    g.add_argument("assignment")
    g.add_argument("--submissions", default=None,
                   help=f"folder of <student>/<assignment>/<nb>.ipynb (default: {DEMO}, the demo class)")
    g.add_argument("--jobs", type=_positive(int), default=None, help="worker processes (default: all cores)")
    g.add_argument("--engine", choices=("hardened", "nbgrader"), default="hardened",
                   help="hardened: checks run outside the student's kernel (default); "
                        "nbgrader: stock `nbgrader autograde` (a baseline; trusts the kernel)")
    g.add_argument("--cell-timeout", type=_positive(float), default=30.0, help="seconds per cell")
    g.add_argument("--call-timeout", type=_positive(float), default=10.0, help="seconds per function call")
    g.add_argument("--notebook-timeout", type=_positive(float), default=300.0,
                   help="seconds for a whole notebook (cells and checks)")
    g.add_argument("--memory-mb", type=_positive(int), default=4096, help="memory limit of a kernel")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    f = sub.add_parser("feedback", help="write HTML feedback")
    f.add_argument("assignment")
    e = sub.add_parser("export", help="write the grades CSV")
    e.add_argument("--to", default=None, help="CSV path (default grading/export/grades.csv)")
    rp = sub.add_parser("report", help="write the class report")
    rp.add_argument("assignment")
    sub.add_parser("probe", help="say what the sandbox can enforce on this machine")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    root = os.path.abspath(args.root or pipeline.default_root())
    if args.command == "release":
        for a in pipeline.release(root, args.assignment, args.into):
            print(f"released {a} -> {args.into or os.path.join(root, 'course', a)}")
    elif args.command == "grade":
        submissions = args.submissions or os.path.join(root, DEMO)
        if args.engine == "nbgrader":
            from .baseline import nbgrader_autograde
            nbgrader_autograde(root, args.assignment, submissions)
            print("graded with stock nbgrader autograde; scores are in grading/gradebook.db")
            return 0
        limits = Limits(cell_seconds=args.cell_timeout, call_seconds=args.call_timeout,
                        notebook_seconds=args.notebook_timeout, memory_bytes=args.memory_mb << 20)
        results = pipeline.grade(root, args.assignment, submissions, jobs=args.jobs, limits=limits,
                                 progress=not args.quiet)
        unenforced = set()
        for student, reports in sorted(results.items()):
            score = sum(r["score"] for r in reports.values())
            total = sum(r["max_score"] for r in reports.values())
            statuses = ",".join(sorted({r["status"] for r in reports.values()}))
            print(f"{student:24s} {score:6g} / {total:g}  {statuses}")
            for r in reports.values():
                unenforced |= set(r.get("confinement") or [])
        if unenforced:
            print("warning: not enforced on this machine: " + ", ".join(sorted(unenforced))
                  + " (see README, 'Deploying the grader')", file=sys.stderr)
        print(f"results: {os.path.join(pipeline.workspace(root), 'results', args.assignment)}")
    elif args.command == "feedback":
        print(f"feedback: {pipeline.feedback(root, args.assignment)}")
    elif args.command == "export":
        print(f"grades: {pipeline.export(root, args.to)}")
    elif args.command == "report":
        from .report import class_report
        print(f"report: {class_report(root, args.assignment)}")
    elif args.command == "probe":
        conf = capabilities(root)
        for key in ("network", "files", "capabilities", "memory", "output"):
            print(f"{key:13s} {'enforced' if getattr(conf, key) else 'NOT enforced'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
