"""The class report: score distribution and the most common mistakes per exercise.

One self-contained HTML file (plots embedded as PNG) per assignment, written from the
results JSON, so it can be mailed or opened anywhere.
"""

from __future__ import annotations

import base64
import collections
import html
import io
import os

from . import pipeline


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

    records = pipeline.load_results(root, assignment)
    s = summarize(records)
    parts = [f"<h1>Class report: {html.escape(assignment)}</h1>",
             f"<p>{s['n']} students; mean {sum(s['scores']) / max(s['n'], 1):.2f} of {s['max_score']:g}.</p>"]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(s["scores"], bins=min(20, max(int(s["max_score"]) + 1, 2)), range=(0, max(s["max_score"], 1)),
            color="#4477aa", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    parts.append(f'<img src="data:image/png;base64,{_png(fig)}">')
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
        ax.set_xlabel("test results matching the mistake")
        ax.set_title(exercise)
        parts.append(f"<h3>{html.escape(exercise)}</h3><img src=\"data:image/png;base64,{_png(fig)}\">")
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
        f.write("<!doctype html><meta charset='utf-8'><title>Class report</title>"
                "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}"
                "td,th{padding:2px 10px;text-align:left}</style>" + "\n".join(parts))
    return path
