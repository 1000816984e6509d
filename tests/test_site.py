"""The course site (`make site`): every chapter, as released, figures from the solutions.

One build per test session (module fixture) into a temporary folder; it reuses the
executed notebooks cached in site/_cache and executes (two at a time) only those whose
content changed, so a first run in a fresh clone costs the execution of every solution
notebook and later runs a few seconds.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))

from sitebuild import build as site_build  # noqa: E402
from sitebuild.execute import cache_key  # noqa: E402
from autograder.mathml import MathError, render_math  # noqa: E402
from sitebuild.pages import StaleRelease, chapter_notebook, discover  # noqa: E402
from sitebuild.verify import (  # noqa: E402
    check_all, check_links, check_no_answers, check_offline, page_text, parse, secret_lines)

CACHE = ROOT / "site" / "_cache"


def _chapter_names() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "solutions").glob("ch*/ch*.ipynb"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"
    summary = site_build.build(out, CACHE, jobs=2, budget="1", log=lambda *a: None)
    return out, summary


# ---------------------------------------------------------------- the build


@pytest.mark.slow
def test_every_chapter_is_built_in_order_and_the_checks_pass(site):
    out, summary = site
    names = [c["name"] for c in summary["chapters"]]
    assert names == _chapter_names()
    assert summary["problems"] == [], "\n".join(summary["problems"])
    index = (out / "index.html").read_text()
    positions = [index.index(f'href="{name}.html"') for name in names]
    assert positions == sorted(positions), "the index lists the chapters out of order"
    for name in names:
        assert (out / f"{name}.html").is_file()


@pytest.mark.slow
def test_a_rebuild_executes_nothing(site, tmp_path):
    _, first = site
    again = site_build.build(tmp_path / "again", CACHE, jobs=2, budget="1", log=lambda *a: None)
    assert again["executed"] == 0
    assert all(c["cached"] for c in again["chapters"])
    assert [c["name"] for c in again["chapters"]] == [c["name"] for c in first["chapters"]]


@pytest.mark.slow
def test_pages_show_the_release_with_the_solutions_figures(site):
    out, summary = site
    for chapter in summary["chapters"]:
        name = chapter["name"]
        release = nbformat.read(str(ROOT / "course" / name / f"{name}.ipynb"), as_version=4)
        ran = nbformat.read(str(CACHE / chapter["executed_notebook"]), as_version=4)
        stubs = sum(1 for c in release.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                    and "raise NotImplementedError" in c.source)
        # a figure or result the learner should see: a non-exercise cell with an image
        figures = sum(
            1 for c in ran.cells
            if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("solution")
            and not c.metadata.get("nbgrader", {}).get("grade")
            and any("image/png" in o.get("data", {}) for o in c.get("outputs", [])))
        source = (out / f"{name}.html").read_text()
        text = page_text(out / f"{name}.html")
        assert text.count("raise NotImplementedError") >= stubs, f"{name}: exercise stubs missing"
        images = len(re.findall(r'<img\b[^>]*src="data:image/png;base64,', source))
        assert images >= figures, f"{name}: {figures} figures in the executed solution, {images} on the page"
        if figures:
            assert text.count("What you should see") >= 1
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text


@pytest.mark.slow
def test_pages_link_to_their_notebook_and_the_setup(site):
    out, _ = site
    setup_ids = parse(out / "setup.html").ids
    assert site_build.SETUP_ANCHOR in setup_ids
    assert "Quick start" in page_text(out / "setup.html")
    for name in _chapter_names():
        links = [url for _, url in parse(out / f"{name}.html").links]
        assert f"notebooks/{name}.ipynb" in links
        assert f"setup.html#{site_build.SETUP_ANCHOR}" in links
        # the download is the learner's release, byte for byte
        assert (out / "notebooks" / f"{name}.ipynb").read_bytes() == \
            (ROOT / "course" / name / f"{name}.ipynb").read_bytes()


@pytest.mark.slow
def test_every_formula_is_mathml(site):
    out, _ = site
    for name in _chapter_names():
        release = nbformat.read(str(ROOT / "course" / name / f"{name}.ipynb"), as_version=4)
        formulas = sum(render_math(c.source)[1] for c in release.cells if c.cell_type == "markdown")
        source = (out / f"{name}.html").read_text()
        assert source.count("<math ") == formulas, name
        assert "mathjax" not in source.lower() and "katex" not in source.lower()


# ------------------------------------------------------ the checks can fail


@pytest.mark.slow
def test_the_checks_catch_a_leak_a_broken_link_and_a_remote_script(site, tmp_path):
    out, _ = site
    copy = tmp_path / "html"
    shutil.copytree(out, copy)
    assert check_all(copy, ROOT) == []
    chapter, lines = next((c, sorted(lines)) for c, lines in secret_lines(ROOT).items() if lines)
    page = copy / f"{chapter}.html"
    page.write_text(page.read_text().replace("</main>", f"<pre>{lines[0]}</pre></main>"))
    leaks = check_no_answers(copy, ROOT)
    assert len(leaks) == 1 and repr(lines[0]) in leaks[0]
    page.write_text(page.read_text().replace(
        "</main>", '<a href="nowhere.html">x</a><a href="index.html#no-such-id">y</a></main>'))
    broken = check_links(copy)
    assert any("nowhere.html" in p for p in broken) and any("no-such-id" in p for p in broken)
    page.write_text(page.read_text().replace(
        "</main>", '<script src="https://cdn.example.org/x.js"></script></main>'))
    assert any("cdn.example.org" in p for p in check_offline(copy))


def test_every_chapter_has_solution_lines_to_guard():
    # the leak check is only as good as its list: every chapter must contribute lines
    secrets = secret_lines(ROOT)
    assert set(secrets) == set(_chapter_names())
    for chapter, lines in secrets.items():
        assert lines, f"{chapter}: no solution line long enough to check"


def test_a_stale_release_is_refused(tmp_path):
    chapter = discover(ROOT)[0]
    release = nbformat.read(str(chapter.release), as_version=4)
    release.cells.pop()
    stale = tmp_path / "stale.ipynb"
    nbformat.write(release, str(stale))
    chapter.release = stale
    with pytest.raises(StaleRelease, match="autograder release"):
        chapter_notebook(chapter, chapter.solution, "")


def test_the_cache_key_follows_content_and_budget(tmp_path):
    nb = tmp_path / "a.ipynb"
    nb.write_text('{"cells": []}')
    key = cache_key(nb, "1")
    assert cache_key(nb, "1") == key
    assert cache_key(nb, "5") != key
    nb.write_text('{"cells": [] }')
    assert cache_key(nb, "1") != key


# ------------------------------------------------------------------- math


def test_math_becomes_mathml_and_code_is_left_alone():
    text, count = render_math(
        "state $h_t$, a `$x$` code span, a \\$5 price and\n$$\nh_t = \\tanh(x_t W)\n$$\n"
        "```python\ny = '$not math$'\n```\n")
    assert count == 2
    assert text.count("<math ") == 2 and 'display="block"' in text
    assert "`$x$`" in text and "'$not math$'" in text and "&#36;5" in text
    inline_across_lines, count = render_math("from $x_t, \\dots,\nx_T$ on")
    assert count == 1 and "$" not in inline_across_lines


def test_bad_math_and_bad_input_are_reported():
    with pytest.raises(MathError, match="x\\^"):
        render_math("$x^$")
    with pytest.raises(MathError, match=r"unknown command \\nosuchcommand"):
        render_math("$a \\nosuchcommand b$")
    with pytest.raises(ValueError, match="markdown: expected a str"):
        render_math(None)


def test_site_build_refuses_to_wipe_a_foreign_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="--out"):
        site_build._prepare(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"
