"""Benchmark: the hardened grader against stock, sequential ``nbgrader autograde``.

    python -m benchmarks.grading [--students 40] [--jobs N]

Builds a class of synthetic submissions (the demo class's three kinds: correct, partly
wrong, untouched, round-robin) in a temporary copy of the course, then grades it three
ways in this one process run, on the same machine, and prints times and ratios:

    nbgrader   stock `nbgrader autograde`, one notebook at a time, in the student's kernel
    hardened/1 this grader with one worker
    hardened/N this grader with N workers (default: all cores)

It also checks that hardened/1 and hardened/N give exactly the same scores. A benchmark,
not a test: numbers depend on the machine; ratios in one run are what to compare.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

from autograder import pipeline
from autograder.baseline import nbgrader_autograde

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSIGNMENT = "ch02_tanh_recurrence"


def make_class(root: str, out: str, students: int) -> None:
    sys.path.insert(0, os.path.join(ROOT, "demo"))
    try:
        import build_demo
    finally:
        sys.path.pop(0)
    demo = os.path.join(out, "_demo")
    build_demo.ROOT = root
    build_demo.build(demo)
    kinds = sorted(os.listdir(demo))
    for i in range(students):
        kind = kinds[i % len(kinds)]
        shutil.copytree(os.path.join(demo, kind), os.path.join(out, "subs", f"s{i:03d}_{kind}"))


def _flat(results) -> dict:
    return {(s, t["grade_id"]): t["score"] for s, nbs in results.items() for nb in nbs.values()
            for t in nb["tests"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.grading", description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--skip-nbgrader", action="store_true", help="time only the hardened grader")
    p.add_argument("--root", default=ROOT, help="course to copy (default: this repository)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rnn-bench-") as tmp:
        root = os.path.join(tmp, "course_root")
        for part in ("solutions", "course"):
            shutil.copytree(os.path.join(args.root, part), os.path.join(root, part))
        make_class(root, tmp, args.students)
        subs = os.path.join(tmp, "subs")
        rows = []
        if not args.skip_nbgrader:
            t = time.perf_counter()
            nbgrader_autograde(root, ASSIGNMENT, subs)
            rows.append(("nbgrader autograde (sequential)", time.perf_counter() - t))
            shutil.rmtree(os.path.join(root, "grading"))
        t = time.perf_counter()
        one = pipeline.grade(root, ASSIGNMENT, subs, jobs=1, progress=False)
        rows.append(("hardened, 1 worker", time.perf_counter() - t))
        t = time.perf_counter()
        many = pipeline.grade(root, ASSIGNMENT, subs, jobs=args.jobs, progress=False)
        rows.append((f"hardened, {args.jobs} workers", time.perf_counter() - t))
    base = rows[0][1]
    print(f"{args.students} submissions of {ASSIGNMENT}, {os.cpu_count()} cores")
    print(f"{'grader':34s} {'seconds':>8s} {'per nb':>7s} {'speed-up':>9s}")
    for name, seconds in rows:
        print(f"{name:34s} {seconds:8.1f} {seconds / args.students:7.2f} {base / seconds:8.2f}x")
    same = _flat(one) == _flat(many)
    print(f"hardened 1 worker and {args.jobs} workers give the same scores: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
