"""Command line for instructors: ``python -m autograder <command>`` (or ``rnn-grader``).

    release  [ASSIGNMENT]           regenerate course/ from solutions/
    release  --class DIR            a graded class's bundle: notebooks + student package, no answers
    grade    ASSIGNMENT [--submissions DIR] [--jobs N] [--engine hardened|nbgrader]
    feedback ASSIGNMENT             HTML feedback per student (no hidden tests)
    export   [--to PATH] [--lms canvas|moodle]   grades from the gradebook, for an LMS
    report   ASSIGNMENT             class report (score distribution, common mistakes)
    probe                           what this machine lets the sandbox enforce
    gradebook [--demo]              record every assignment for Formgrader (make instructor)

It works from any working directory: the course root is the folder above this package
(or ``--root`` / ``RNN_COURSE_ROOT``).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import pipeline
from .sandbox import Limits, SandboxStartError, capabilities

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
    r.add_argument("--class", dest="class_dir", metavar="DIR",
                   help="write a graded class's bundle into DIR (released notebooks, a student package "
                        "with fixture-based checks, coursekit; no answers)")
    g = sub.add_parser("grade", help="autograde a folder of submissions")
    g.add_argument("assignment")
    g.add_argument("--submissions", default=None,
                   help=f"folder of <student>/<assignment>/<nb>.ipynb (default: {DEMO}, the demo class)")
    g.add_argument("--jobs", type=_positive(int), default=None, help="worker processes (default: all cores)")
    g.add_argument("--engine", choices=("hardened", "nbgrader"), default="hardened",
                   help="hardened: checks run outside the student's kernel (default); "
                        "nbgrader: stock `nbgrader autograde` (a baseline; trusts the kernel)")
    d = Limits()
    g.add_argument("--cell-timeout", type=_positive(float), default=d.cell_seconds,
                   help=f"CPU seconds per cell (default {d.cell_seconds:g})")
    g.add_argument("--call-timeout", type=_positive(float), default=d.call_seconds,
                   help=f"CPU seconds per call of a student's function (default {d.call_seconds:g})")
    g.add_argument("--notebook-timeout", type=_positive(float), default=d.notebook_seconds,
                   help=f"CPU seconds for all of a notebook's cells; its checks get as much again "
                        f"(default {d.notebook_seconds:g})")
    g.add_argument("--memory-mb", type=_positive(int), default=d.memory_bytes >> 20,
                   help=f"memory limit of a submission (default {d.memory_bytes >> 20})")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    f = sub.add_parser("feedback", help="write HTML feedback")
    f.add_argument("assignment")
    e = sub.add_parser("export", help="write the grades CSV")
    e.add_argument("--to", default=None, help="CSV path (default grading/export/grades.csv, "
                                                "canvas_grades.csv or moodle_grades.csv)")
    e.add_argument("--lms", choices=("canvas", "moodle"), default=None,
                   help="the wide file that LMS imports (one row per student, one column per assignment)")
    rp = sub.add_parser("report", help="write the class report")
    rp.add_argument("assignment")
    sub.add_parser("probe", help="say what the sandbox can enforce on this machine")
    gb = sub.add_parser("gradebook", help="record every assignment in the gradebook (for Formgrader)")
    gb.add_argument("--force", action="store_true", help="record every assignment again")
    gb.add_argument("--demo", action="store_true",
                    help=f"also grade the demo class ({DEMO}) on ch02_tanh_recurrence if it is not graded yet")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    root = os.path.abspath(args.root or pipeline.default_root())
    try:
        return _run(args, root)
    except (ValueError, SandboxStartError) as exc:   # the library's own errors, as messages
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args, root: str) -> int:
    """Carry out the parsed command; library errors propagate to :func:`main`."""
    if args.command == "release" and args.class_dir:
        from .bundle import build_class_bundle
        built = build_class_bundle(root, os.path.abspath(args.class_dir))
        n = sum(len(v) for v in built["checks"].values())
        print(f"class bundle: {args.class_dir} ({len(built['notebooks'])} files of notebooks, "
              f"{n} visible checks with fixtures, wheel {os.path.basename(built['wheel'])})")
    elif args.command == "release":
        for a in pipeline.release(root, args.assignment, args.into):
            print(f"released {a} -> {args.into or os.path.join(root, 'course', a)}")
    elif args.command == "grade":
        submissions = args.submissions or os.path.join(root, DEMO)
        limits = Limits(cell_seconds=args.cell_timeout, call_seconds=args.call_timeout,
                        notebook_seconds=args.notebook_timeout, memory_bytes=args.memory_mb << 20)
        if args.engine == "nbgrader":
            from .baseline import nbgrader_autograde
            nbgrader_autograde(root, args.assignment, submissions)
            print("graded with stock nbgrader autograde; scores are in grading/gradebook.db")
            return 0
        results = pipeline.grade(root, args.assignment, submissions, jobs=args.jobs, limits=limits,
                                 progress=not args.quiet)
        unenforced, methods = set(), set()
        for student, reports in sorted(results.items()):
            score = sum(r["score"] for r in reports.values())
            total = sum(r["max_score"] for r in reports.values())
            statuses = ",".join(sorted({r["status"] for r in reports.values()}))
            print(f"{student:24s} {score:6g} / {total:g}  {statuses}")
            for r in reports.values():
                conf = r.get("confinement") or {}
                unenforced |= set(conf.get("unenforced", []))
                if conf.get("method"):
                    methods.add(f"{conf['method']}, as {conf.get('user', '?')}")
        print("sandbox: " + ("; ".join(sorted(methods)) or "none started"))
        if unenforced:
            print("warning: not enforced on this machine: " + ", ".join(sorted(unenforced))
                  + " (see README, 'Deploying the grader')", file=sys.stderr)
        print(f"results: {os.path.join(pipeline.workspace(root), 'results', args.assignment)}")
    elif args.command == "feedback":
        print(f"feedback: {pipeline.feedback(root, args.assignment)}")
    elif args.command == "gradebook":
        for a in pipeline.record_assignments(root, force=args.force):
            print(f"recorded {a} in the gradebook")
        demo = "ch02_tanh_recurrence"
        if args.demo and not os.path.isdir(os.path.join(pipeline.workspace(root), "results", demo)):
            print(f"grading the demo class ({DEMO}) on {demo} ...")
            return main(["--root", root, "grade", demo, "--quiet"])
        print(f"gradebook: {os.path.join(pipeline.workspace(root), 'gradebook.db')}")
    elif args.command == "export":
        print(f"grades: {pipeline.export(root, args.to, args.lms)}")
    elif args.command == "report":
        from .report import class_report
        print(f"report: {class_report(root, args.assignment)}")
    elif args.command == "probe":
        conf = capabilities(root)
        print("\n".join(conf.describe()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
