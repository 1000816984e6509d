"""``python -m autograder.mutants ch05 [exercise] [-v]``: the mutation report of a chapter."""

from __future__ import annotations

import argparse
import sys

from .analysis import VERDICTS, analyse, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.mutants", description=__doc__)
    parser.add_argument("chapter", nargs="+", help="chapter ids, e.g. ch05")
    parser.add_argument("--exercise", help="only this exercise (its function name)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every mutant that is not named, and every equivalent one")
    args = parser.parse_args(argv)
    header = f"{'exercise':34} {'mutants':>7} {'killed':>6} " + " ".join(f"{v:>9}" for v in VERDICTS) + \
        f" {'equiv':>6} {'SURVIVED':>8}"
    print(header)
    for chapter in args.chapter:
        reports = analyse(chapter, args.exercise)
        for r in reports + [None]:
            rows = [r] if r else reports
            s = summary(rows)
            label = r.exercise if r else f"{chapter} total"
            print(f"{label:34} {s['mutants']:>7} {s['killed']:>6} " + " ".join(f"{s[v]:>9}" for v in VERDICTS)
                  + f" {s['equivalent']:>6} {s['survived']:>8}")
        if args.verbose:
            for r in reports:
                for o in r.outcomes:
                    if o.status == "equivalent":
                        print(f"  = {r.exercise}: EQUIVALENT {o.mutant.description}")
                    elif o.status == "survived" or o.verdict not in ("named",):
                        print(f"  - {r.exercise}: [{o.status} {o.verdict}] {o.mutant.category}: "
                              f"{o.mutant.description}\n      {o.check}: {o.mistake!r} {o.message[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
