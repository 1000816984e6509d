"""The class report: score distribution and the most common mistakes per exercise.

One self-contained HTML file (plots embedded as PNG, each with alt text and its numbers
also given as a table) per assignment, so it can be mailed or opened anywhere. Scores come
from the gradebook at the moment the report is made (manual grades and Formgrader edits
included, as in the export); test statuses and matched mistakes from the grader's results.
"""

from __future__ import annotations

import base64
import collections
import html
import io
import os

from . import pipeline
from .export import gradebook_rows


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def summarize(records: list[dict]) -> dict:
    """Scores, statuses and mistake counts per test, from the results records."""
    scores = [r["score"] for r in records]
    max_score = max((r["max_score"] for r in records), default=0.0)
    mistakes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    statuses: collections.Counter = collections.Counter()
    passed: collections.Counter = collections.Counter()
    for rec in records:
        for report in rec["notebooks"].values():
            for test in report["tests"]:
                statuses[test["status"]] += 1
                passed[test["grade_id"]] += test["status"] == "ok"
                exercise = test["grade_id"].removeprefix("test_").rsplit("_", 1)[0]
                for m in test["mistakes"]:
                    mistakes[exercise][m] += 1
    return {"scores": scores, "max_score": max_score, "mistakes": mistakes,
            "statuses": statuses, "passed": passed, "n": len(records)}


def class_report(root: str, assignment: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.ticker import MaxNLocator

    records = pipeline.load_results(root, assignment)
    s = summarize(records)
    # the gradebook's scores replace the grader's: a manual grade given since counts
    now = {r.student: r for r in gradebook_rows(root, progress=False) if r.assignment == assignment}
    if now:
        s["scores"] = [now[r["student"]].score if r["student"] in now else r["score"] for r in records]
    manual = sum(1 for r in now.values() if "manual" in r.graded_by)
    parts = [f"<h1>Class report: {html.escape(assignment)}</h1>",
             f"<p>{s['n']} students; mean {sum(s['scores']) / max(s['n'], 1):.2f} of {s['max_score']:g}"
             + (f"; {manual} with a manual grade" if manual else "") + ".</p>"]
    fig, ax = plt.subplots(figsize=(6, 3))
    counts, edges, _ = ax.hist(s["scores"], bins=min(20, max(int(s["max_score"]) + 1, 2)),
                               range=(0, max(s["max_score"], 1)), color="#4477aa", edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # students come in whole numbers
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    bins = [(lo, hi, int(c)) for lo, hi, c in zip(edges[:-1], edges[1:], counts) if c]
    alt = "Histogram of scores: " + "; ".join(f"{c} student{'s' if c != 1 else ''} from {lo:g} to {hi:g}"
                                              for lo, hi, c in bins)
    parts.append(f'<img src="data:image/png;base64,{_png(fig)}" alt="{html.escape(alt)}">')
    plt.close(fig)
    parts.append("<h2>Tests passed</h2><table><tr><th>test</th><th>passed</th></tr>" + "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v} / {s['n']}</td></tr>" for k, v in sorted(s["passed"].items()))
        + "</table>")
    parts.append("<h2>Statuses</h2><p>" + ", ".join(
        f"{html.escape(k)}: {v}" for k, v in sorted(s["statuses"].items())) + "</p>")
    parts.append("<h2>Most common mistakes</h2>")
    for exercise, counter in sorted(s["mistakes"].items()):
        top = counter.most_common(6)
        fig, ax = plt.subplots(figsize=(6, 0.4 + 0.4 * len(top)))
        ax.barh([m for m, _ in top][::-1], [c for _, c in top][::-1], color="#cc6677")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("test results matching the mistake")
        ax.set_title(exercise)
        alt = f"Most common mistakes in {exercise}: " + "; ".join(f"{m}: {c}" for m, c in top)
        parts.append(f"<h3>{html.escape(exercise)}</h3>"
                     f"<img src=\"data:image/png;base64,{_png(fig)}\" alt=\"{html.escape(alt)}\">")
        plt.close(fig)
        # the same counts as text, for screen readers and for copying into an announcement
        parts.append("<table><tr><th>mistake</th><th>test results</th></tr>" + "".join(
            f"<tr><td>{html.escape(m)}</td><td>{c}</td></tr>" for m, c in counter.most_common()) + "</table>")
    if not s["mistakes"]:
        parts.append("<p>No catalogued mistake was matched.</p>")
    out = os.path.join(pipeline.workspace(root), "report")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{assignment}.html")
    with open(path, "w") as f:
        f.write(f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Class report: {html.escape(assignment)}</title>"
                "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}"
                "td,th{padding:2px 10px;text-align:left}</style>" + "\n".join(parts))
    return path
