"""Turn the released notebooks (and the solutions' figures) into HTML pages.

A chapter page is the learner's notebook from course/ -- narrative, equations,
exercise stubs and test cells exactly as released -- with, after each cell that draws
a figure or prints a result, what that cell shows once the exercises are done. Those
outputs come from the executed SOLUTION notebook; the solution's code never does.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from autograder.mathml import render_math

SITE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES = SITE_DIR / "templates"
CHAPTER_DIR = re.compile(r"^ch(\d\d)_[a-z0-9_]+$")

# Output kinds a page may show: pictures, tables and text. Scripts and widget views
# (which would need a kernel or the network) are never copied.
SHOWN_MIMETYPES = ("image/png", "image/svg+xml", "image/jpeg", "text/html", "text/markdown", "text/plain")


class StaleRelease(RuntimeError):
    """course/ does not correspond cell by cell to solutions/."""


@dataclass
class Chapter:
    """One chapter: its folder name, number, title, source and released notebooks."""

    name: str
    number: int
    title: str
    solution: Path
    release: Path

    @property
    def page(self) -> str:
        return f"{self.name}.html"

    @property
    def download(self) -> str:
        return f"notebooks/{self.name}.ipynb"


def discover(root: Path) -> list[Chapter]:
    """Every chapter with a source notebook in solutions/, in chapter order."""
    chapters = []
    for folder in sorted((root / "solutions").iterdir()):
        match = CHAPTER_DIR.match(folder.name)
        if not match:
            continue
        solution = folder / f"{folder.name}.ipynb"
        release = root / "course" / folder.name / f"{folder.name}.ipynb"
        if not solution.exists():
            continue
        if not release.exists():
            raise StaleRelease(f"{release.relative_to(root)} is missing: run "
                               f"`python -m autograder release {folder.name}` first")
        nb = nbformat.read(str(release), as_version=4)
        chapters.append(Chapter(folder.name, int(match.group(1)), _title(nb, folder.name),
                                solution, release))
    return chapters


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if heading:
                return heading.group(1).strip()
    return fallback


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_exercise_or_test(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("solution") or meta.get("grade"))


def _check_aligned(chapter: Chapter, release, executed) -> None:
    """The release must be the solution notebook cell for cell (nbgrader keeps cells)."""
    problem = None
    if len(release.cells) != len(executed.cells):
        problem = f"{len(release.cells)} cells in course/, {len(executed.cells)} in solutions/"
    else:
        for i, (r, s) in enumerate(zip(release.cells, executed.cells)):
            if r.cell_type != s.cell_type:
                problem = f"cell {i} is {r.cell_type} in course/ but {s.cell_type} in solutions/"
            elif _nbgrader(r).get("grade_id") != _nbgrader(s).get("grade_id"):
                problem = f"cell {i} has grade_id {_nbgrader(r).get('grade_id')!r} in course/, " \
                          f"{_nbgrader(s).get('grade_id')!r} in solutions/"
            elif r.cell_type == "code" and not _is_exercise_or_test(r) and r.source != s.source:
                problem = f"cell {i} (not an exercise) differs between course/ and solutions/"
            if problem:
                break
    if problem:
        raise StaleRelease(f"{chapter.name}: {problem}; the release is stale: run "
                           f"`python -m autograder release {chapter.name}`")


def _shown_outputs(outputs) -> list:
    """The outputs a learner should see: figures, tables and printed text."""
    shown = []
    for out in outputs:
        if out.output_type == "error":
            raise RuntimeError(f"a solution cell failed: {out.ename}: {out.evalue}")
        if out.output_type == "stream":
            if out.name == "stdout" and out.text.strip():
                shown.append(out)
            continue  # stderr: warnings and progress bars, noise on a page
        data = {k: v for k, v in out.get("data", {}).items() if k in SHOWN_MIMETYPES}
        if data:
            out = copy.deepcopy(out)
            out.data = data
            if "text/plain" in data and len(data) > 1:
                del out.data["text/plain"]  # the rich form is shown; its repr is noise
            shown.append(out)
    return shown


def _markdown_cell(text: str):
    cell = nbformat.v4.new_markdown_cell(text)
    return cell


def check_release(chapter: Chapter) -> None:
    """Raise StaleRelease unless course/ is the release of solutions/ (before executing)."""
    _check_aligned(chapter, nbformat.read(str(chapter.release), as_version=4),
                   nbformat.read(str(chapter.solution), as_version=4))


def chapter_notebook(chapter: Chapter, executed_path: Path, links_html: str) -> tuple[object, int]:
    """The notebook a chapter page is rendered from, and how many formulas it holds."""
    release = nbformat.read(str(chapter.release), as_version=4)
    executed = nbformat.read(str(executed_path), as_version=4)
    _check_aligned(chapter, release, executed)
    cells = []
    formulas = 0
    for i, (cell, ran) in enumerate(zip(release.cells, executed.cells)):
        if cell.cell_type == "markdown":
            text, count = render_math(cell.source)
            formulas += count
            cells.append(_markdown_cell(text))
            if i == 0:
                cells.append(_markdown_cell(links_html))
            continue
        if cell.cell_type != "code":
            continue
        shown = nbformat.v4.new_code_cell(cell.source)  # the learner's code: stub or setup or demo
        cells.append(shown)
        if _is_exercise_or_test(cell):
            continue  # exercises and tests: the learner's own run shows their result
        outputs = _shown_outputs(ran.get("outputs", []))
        if outputs:
            cells.append(_markdown_cell('<div class="expected">What you should see once your '
                                        "exercises pass:</div>"))
            out_cell = nbformat.v4.new_code_cell("", metadata={"tags": ["remove_input"]})
            out_cell.outputs = outputs
            cells.append(out_cell)
    if not cells or cells[0].cell_type != "markdown":
        cells.insert(0, _markdown_cell(links_html))
    page = nbformat.v4.new_notebook(cells=cells, metadata={
        "title": chapter.title,
        "kernelspec": release.metadata.get("kernelspec", {}),
        "language_info": {"name": "python"},
    })
    return page, formulas


def _exporter() -> HTMLExporter:
    exporter = HTMLExporter(
        template_name="course",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # no embed_images: it re-parses every inline HTML tag of the markdown alone
        # and so breaks MathML apart; output images are inlined as data URIs anyway
    )
    remover = TagRemovePreprocessor(remove_input_tags={"remove_input"}, enabled=True)
    exporter.register_preprocessor(remover, enabled=True)
    return exporter


def render(nb, nav_html: str, name: str) -> str:
    """HTML of one page: nbconvert's JupyterLab look, no scripts, the site's navigation."""
    resources = {
        "metadata": {"name": name},
        "site_css": (TEMPLATES / "site.css").read_text(),
        "site_nav": nav_html,
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


def markdown_page(text: str, title: str, nav_html: str) -> tuple[str, int]:
    """A page made from a markdown document (the README, the API reference)."""
    text, formulas = render_math(text)
    nb = nbformat.v4.new_notebook(cells=[_markdown_cell(text)], metadata={"title": title})
    return render(nb, nav_html, title), formulas


def esc(text: str) -> str:
    return html.escape(text, quote=True)
