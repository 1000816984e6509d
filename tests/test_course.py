"""course/ and demo/ are generated artefacts: they must match what their generators make;
the released notebook fails only in graded test cells; notebooks carry no outputs."""

import glob
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import pipeline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "solutions", "*", "*.ipynb")))
RELEASES = sorted(glob.glob(os.path.join(ROOT, "course", "*", "*.ipynb")))


def _cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


def test_every_chapter_is_released():
    assert SOURCES, "no source notebooks found"
    assert [os.path.relpath(p, os.path.join(ROOT, "solutions")) for p in SOURCES] == \
           [os.path.relpath(p, os.path.join(ROOT, "course")) for p in RELEASES]


@pytest.mark.slow
def test_course_is_in_sync_with_solutions(tmp_path):
    pipeline.release(ROOT, into=str(tmp_path))
    for committed in RELEASES:
        fresh = os.path.join(tmp_path, os.path.relpath(committed, os.path.join(ROOT, "course")))
        assert _cells(fresh) == _cells(committed), (
            f"{committed} is stale: run `.venv/bin/python -m autograder release`")


def test_demo_class_is_in_sync_with_the_release(tmp_path):
    subprocess.run([sys.executable, os.path.join(ROOT, "demo", "build_demo.py"), str(tmp_path)], check=True,
                   capture_output=True)
    committed = sorted(glob.glob(os.path.join(ROOT, "demo", "submissions", "*", "*", "*.ipynb")))
    assert committed
    for path in committed:
        fresh = os.path.join(tmp_path, os.path.relpath(path, os.path.join(ROOT, "demo", "submissions")))
        assert _cells(fresh) == _cells(path), f"{path} is stale: run `.venv/bin/python demo/build_demo.py`"


@pytest.mark.parametrize("path", SOURCES + RELEASES, ids=os.path.basename)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path}: outputs committed"


@pytest.mark.slow
@pytest.mark.parametrize("path", RELEASES, ids=os.path.basename)
def test_released_notebook_fails_only_in_graded_test_cells(path, tmp_path, monkeypatch):
    # This test is about where a release fails, not about what its models learn (nbval runs
    # the solutions at the full budget): a tenth of the training keeps every training cell's
    # code path while sparing CI the minutes (the kernel inherits the environment).
    monkeypatch.setenv("RNN_COURSE_BUDGET", "0.1")
    work = tmp_path / "nb"
    shutil.copytree(os.path.dirname(path), work)
    nb = nbformat.read(work / os.path.basename(path), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    failing = [c.metadata.get("nbgrader", {}) for c in nb.cells
               if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.outputs)]
    assert failing, "the released notebook should fail its tests before the exercises are done"
    assert all(m.get("grade") for m in failing), [m.get("grade_id") for m in failing if not m.get("grade")]
    hidden = [c.source for c in nb.cells if "hidden=True" in c.source]
    assert not hidden, "hidden tests leaked into the release"
