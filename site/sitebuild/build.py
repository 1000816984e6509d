"""Build the course site: `python site/build.py` (what `make site` runs).

1. execute the solution notebooks that the cache lacks (2 at a time);
2. render one page per chapter from course/ with the solutions' figures;
3. render the README (setup) and the API reference, and an index;
4. check the result: links, nothing fetched from the network, no answer shown.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

from .execute import execute_all
from .pages import (SITE_DIR, Chapter, chapter_notebook, check_release, discover, esc,
                    markdown_page, render)
from .verify import check_all

ROOT = SITE_DIR.parent
MARKER = ".course-site"          # marks a folder this script may wipe and rebuild
SETUP_ANCHOR = "Quick-start"     # nbconvert's id for the README's "## Quick start"
DOCS = {"README.md": "setup.html", "docs/reference-api.md": "reference-api.html"}


def _nav(chapters: list[Chapter], current: int | None) -> str:
    """Top and bottom navigation: home, setup, previous and next chapter."""
    parts = ['<a class="site-title" href="index.html">Recurrent neural networks: the course</a>',
             f'<a href="setup.html#{SETUP_ANCHOR}">Setup</a>']
    if current is not None:
        if current > 0:
            prev = chapters[current - 1]
            parts.append(f'<a href="{prev.page}" rel="prev">&larr; {esc(prev.title)}</a>')
        if current + 1 < len(chapters):
            nxt = chapters[current + 1]
            parts.append(f'<a href="{nxt.page}" rel="next">{esc(nxt.title)} &rarr;</a>')
    return "\n".join(parts)


def _chapter_links(chapter: Chapter) -> str:
    return (
        '<div class="chapter-links">'
        f'<a href="{chapter.download}" download>Download this chapter\'s notebook '
        f"(<code>{chapter.name}.ipynb</code>)</a> and work through it in JupyterLab: "
        f'see <a href="setup.html#{SETUP_ANCHOR}">Setup</a>. On this page the exercise cells '
        "hold the stubs you will fill in; under each figure or result you find what it looks "
        "like once your exercises pass.</div>"
    )


def _rewrite_doc_links(text: str) -> str:
    """Links between the repository's markdown documents point at their pages instead."""
    for source, page in DOCS.items():
        name = Path(source).name
        text = re.sub(rf"\]\((?:\.\./)?(?:docs/)?{re.escape(name)}(#[^)]*)?\)",
                      lambda m: f"]({page}{m.group(1) or ''})", text)
    return text


def _index(chapters: list[Chapter], readme: str) -> str:
    intro = readme.split("\n## ", 1)[0]
    intro = re.sub(r"^# .*\n", "", intro).strip()
    rows = "\n".join(
        f'<tr><td>{c.number}</td><td><a href="{c.page}">{esc(c.title)}</a></td>'
        f'<td><a href="{c.download}" download>notebook</a></td></tr>'
        for c in chapters)
    return (
        "# Recurrent neural networks, from the tanh recurrence to seq2seq\n\n"
        f"{intro}\n\n"
        f"To work through the chapters yourself, follow the [setup](setup.html#{SETUP_ANCHOR}): "
        "two commands give you JupyterLab with every notebook. The pages below show each "
        "chapter as you receive it, exercises unanswered, and every figure as it looks once "
        "your answers pass.\n\n"
        "## Chapters\n\n"
        f'<table class="chapters">\n{rows}\n</table>\n\n'
        "The [reference package's API](reference-api.html) documents the functions the "
        "chapters build, with their shapes.\n"
    )


def _prepare(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists():
            raise ValueError(f"--out: expected a folder this script built (with {MARKER}) "
                             f"or a new one, got {out}, which holds other files")
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    (out / MARKER).write_text("built by site/build.py; rebuilt from scratch each time\n")


def build(out: Path, cache: Path, *, jobs: int = 2, budget: str = "1", fresh: bool = False,
          check: bool = True, log=print) -> dict:
    """Build the whole site into `out`; return a summary (also written to out/site.json)."""
    start = time.perf_counter()
    chapters = discover(ROOT)
    if not chapters:
        raise ValueError(f"root: expected chapters in {ROOT / 'solutions'}, found none")
    for chapter in chapters:  # fail now, not after minutes of execution
        check_release(chapter)
    executed = execute_all({c.name: c.solution for c in chapters}, cache,
                           budget=budget, jobs=jobs, fresh=fresh, log=log)
    _prepare(out)
    summary = {"chapters": [], "budget": budget, "formulas": 0}
    for i, chapter in enumerate(chapters):
        nb, formulas = chapter_notebook(chapter, executed[chapter.name].path, _chapter_links(chapter))
        (out / chapter.page).write_text(render(nb, _nav(chapters, i), chapter.title), encoding="utf-8")
        shutil.copyfile(chapter.release, out / chapter.download)
        summary["formulas"] += formulas
        summary["chapters"].append({
            "name": chapter.name, "title": chapter.title, "page": chapter.page,
            "cached": executed[chapter.name].cached,
            "executed_notebook": executed[chapter.name].path.name,  # in the cache folder
            "seconds": round(executed[chapter.name].seconds, 1),
            "cpu_seconds": round(executed[chapter.name].cpu_seconds, 1),
        })
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for source, page in DOCS.items():
        text = _rewrite_doc_links((ROOT / source).read_text(encoding="utf-8"))
        body, formulas = markdown_page(text, Path(source).stem, _nav(chapters, None))
        (out / page).write_text(body, encoding="utf-8")
        summary["formulas"] += formulas
    body, _ = markdown_page(_index(chapters, readme), "Recurrent neural networks", _nav(chapters, None))
    (out / "index.html").write_text(body, encoding="utf-8")
    summary["executed"] = sum(not c["cached"] for c in summary["chapters"])
    summary["seconds"] = round(time.perf_counter() - start, 1)
    summary["problems"] = check_all(out, ROOT) if check else []
    (out / "site.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python site/build.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=SITE_DIR / "_build" / "html",
                        help="where the site goes (default: site/_build/html)")
    parser.add_argument("--cache", type=Path, default=SITE_DIR / "_cache",
                        help="executed notebooks, by content hash (default: site/_cache)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    parser.add_argument("--fresh", action="store_true", help="ignore the cache and execute everything")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip the link, offline and answer checks")
    args = parser.parse_args(argv)
    budget = os.environ.get("RNN_COURSE_BUDGET", "1")
    summary = build(args.out, args.cache, jobs=args.jobs, budget=budget, fresh=args.fresh,
                    check=args.check)
    for problem in summary["problems"]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    cpu = sum(c["cpu_seconds"] for c in summary["chapters"])
    print(f"site: {len(summary['chapters'])} chapters, {summary['executed']} notebook(s) executed "
          f"({cpu:.0f} s of kernel CPU time), "
          f"{summary['formulas']} formulas as MathML, {summary['seconds']} s -> "
          f"{args.out / 'index.html'}")
    return 1 if summary["problems"] else 0
