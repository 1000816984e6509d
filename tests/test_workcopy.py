"""The learner's working copy: seeded once, new chapters added, updates placed beside the
learner's notebook, and nothing (sync, release, a course update) changes a learner's file."""

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from autograder import pipeline
from autograder.workcopy import MANIFEST, sync, updated_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch02_tanh_recurrence"
NB = f"{A}/{A}.ipynb"


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def course(tmp_path):
    dst = tmp_path / "course"
    shutil.copytree(os.path.join(ROOT, "course", A), dst / A)
    return dst


def test_first_sync_copies_every_chapter_file(course, tmp_path):
    work = tmp_path / "work"
    done = sync(str(course), str(work))
    assert done["copied"] == [NB]
    assert _sha(work / NB) == _sha(course / NB)
    assert (work / MANIFEST).exists()


def test_a_learners_edits_survive_every_later_sync(course, tmp_path):
    work = tmp_path / "work"
    sync(str(course), str(work))
    (work / NB).write_text((work / NB).read_text().replace("raise NotImplementedError()", "return 42", 1))
    mine = _sha(work / NB)
    assert sync(str(course), str(work)) == {"copied": [], "updated": [], "kept": [NB]}
    assert _sha(work / NB) == mine
    assert sorted(os.listdir(work / A)) == [f"{A}.ipynb"]


def test_an_updated_chapter_goes_beside_the_learners_notebook(course, tmp_path):
    work = tmp_path / "work"
    sync(str(course), str(work))
    (work / NB).write_text((work / NB).read_text() + " ")  # the learner's work
    mine = _sha(work / NB)
    (course / NB).write_text((course / NB).read_text().replace("tanh", "TANH", 1))  # a course update
    done = sync(str(course), str(work))
    beside = updated_name(NB, _sha(course / NB))
    assert done["updated"] == [beside] and ".updated-" in beside
    assert _sha(work / NB) == mine
    assert _sha(work / beside) == _sha(course / NB)
    # a second sync adds nothing more
    assert sync(str(course), str(work))["updated"] == []
    assert len(os.listdir(work / A)) == 2


def test_a_new_chapter_is_copied_in_later(course, tmp_path):
    work = tmp_path / "work"
    sync(str(course), str(work))
    shutil.copytree(os.path.join(ROOT, "course", "ch01_feedforward_vs_recurrent"), course / "ch01_feedforward_vs_recurrent")
    done = sync(str(course), str(work))
    assert done["copied"] == ["ch01_feedforward_vs_recurrent/ch01_feedforward_vs_recurrent.ipynb"]


def test_a_learners_own_file_in_place_of_a_course_file_is_kept(course, tmp_path):
    work = tmp_path / "work"
    (work / A).mkdir(parents=True)
    (work / NB).write_text("my own notes")
    assert sync(str(course), str(work))["kept"] == [NB]
    assert (work / NB).read_text() == "my own notes"


@pytest.mark.slow
def test_release_and_a_fresh_sync_leave_the_learners_notebook_byte_for_byte(tmp_path):
    """The whole cycle through the command lines: seed, edit, release the course again,
    sync again; the learner's notebook is unchanged, and release refuses to write into a
    working copy."""
    root = tmp_path / "repo"
    for part in ("solutions", "course"):
        shutil.copytree(os.path.join(ROOT, part, A), root / part / A)
    work = root / "work"
    run = lambda *a: subprocess.run([sys.executable, "-m", *a], capture_output=True, text=True, cwd="/")  # noqa: E731
    assert run("autograder.workcopy", "--course", str(root / "course"), "--work", str(work)).returncode == 0
    (work / NB).write_text((work / NB).read_text().replace("raise NotImplementedError()", "return None", 1))
    mine = _sha(work / NB)
    out = run("autograder", "--root", str(root), "release", A)
    assert out.returncode == 0, out.stderr
    assert run("autograder.workcopy", "--course", str(root / "course"), "--work", str(work)).returncode == 0
    assert _sha(work / NB) == mine
    out = run("autograder", "--root", str(root), "release", A, "--into", str(work))
    assert out.returncode != 0 and "into:" in out.stderr
    assert _sha(work / NB) == mine
    with pytest.raises(ValueError, match="course: expected"):
        sync(str(tmp_path / "nothing"), str(work))
    with pytest.raises(ValueError, match="into"):
        pipeline.release(str(root), A, into=str(work / "sub"))
