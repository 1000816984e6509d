"""A graded class's bundle (`release --class`): no answer inside, and its fixture-based
checks give the full checks' verdicts and mistake names."""

import glob
import hashlib
import importlib
import os
import re
import subprocess
import sys
import zipfile

import nbformat
import numpy as np
import pytest

from autograder.bundle import build_class_bundle, visible_checks
from autograder.registry import exercise, run_check, seed_for
from autograder.student import FixtureStore
from autograder.student import run_check as fixture_check
from chapter_tools import as_student, compile_function

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASES = sorted(glob.glob(os.path.join(ROOT, "course", "*", "*.ipynb")))
CHAPTERS = sorted({os.path.basename(p).split("_")[0] for p in RELEASES})


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("class") / "bundle"
    built = build_class_bundle(ROOT, str(out), progress=False)
    return out, built


def _text_files(folder):
    """(relative path, text) of every text file in the bundle, the wheel's members included."""
    for path in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
        if os.path.isdir(path):
            continue
        rel = os.path.relpath(path, folder)
        if path.endswith(".whl"):
            with zipfile.ZipFile(path) as z:
                for member in z.namelist():
                    if not member.endswith((".npz", ".gz", ".csv")):
                        yield f"{rel}!{member}", z.read(member).decode("utf-8")
        elif not path.endswith((".npz", ".gz")):
            with open(path, encoding="utf-8") as f:
                yield rel, f.read()


def _solution_lines():
    """Distinctive lines of every solution block: long enough to be an answer's own, and
    not also in a released notebook (a given line may be in both; a later chapter gives an
    earlier chapter's answer as given code, and the release is public by definition)."""
    lines = set()
    released = "".join(open(p).read() for p in RELEASES)
    for src in glob.glob(os.path.join(ROOT, "solutions", "*", "*.ipynb")):
        for cell in nbformat.read(src, as_version=4).cells:
            for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                for line in block.splitlines():
                    line = line.strip()
                    if len(line) >= 24 and not line.startswith("#") and line not in released:
                        lines.add(line)
    return lines


def test_bundle_layout(bundle):
    out, built = bundle
    assert sorted(os.listdir(out)) == ["README.md", "dist", "notebooks", "package"]
    for path in RELEASES:  # the released notebooks, byte for byte
        rel = os.path.relpath(path, os.path.join(ROOT, "course"))
        assert open(out / "notebooks" / rel, "rb").read() == open(path, "rb").read()
    pkg = out / "package"
    assert sorted(os.listdir(pkg)) == ["autograder", "coursekit", "pyproject.toml"]
    assert sorted(os.listdir(pkg / "autograder")) == ["__init__.py", "calling.py", "compare.py", "fixtures", "guidance.py",
                                                      "result.py", "student"]
    assert sorted(built["checks"]) == CHAPTERS
    with pytest.raises(ValueError, match="class: expected a new or empty folder"):
        build_class_bundle(ROOT, str(out))


def test_no_solution_reference_or_hidden_test_in_the_bundle(bundle):
    out, _ = bundle
    answers = _solution_lines()
    assert len(answers) > 50  # the scan has something to find
    ref_sources = {hashlib.sha256(open(p, "rb").read()).hexdigest()
                   for p in glob.glob(os.path.join(ROOT, "rnn_ref", "**", "*.py"), recursive=True)}
    names = set()
    for rel, text in _text_files(str(out)):
        names.add(rel)
        leaked = [line for line in answers if line in text]
        assert not leaked, f"{rel} contains solution code: {leaked[:3]}"
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, rel
        assert "BEGIN SOLUTION" not in text, rel
        if rel.endswith(".py"):
            assert hashlib.sha256(text.encode()).hexdigest() not in ref_sources, f"{rel} is a reference module"
            assert not re.search(r"^\s*(from|import) rnn_ref", text, re.M), f"{rel} imports rnn_ref"
    assert not [n for n in names if re.search(r"(^|/|!)(rnn_ref|solutions|checks)/", n)], names
    assert not [n for n in names if n.endswith(("pipeline.py", "sandbox.py", "exercise.py", "registry.py"))]


def test_no_hidden_test_input_in_the_fixtures(bundle):
    out, built = bundle
    store = FixtureStore(str(out / "package" / "autograder" / "fixtures"))
    stored = set()
    for chapter in CHAPTERS:
        _, arrays = store.chapter(chapter)
        stored |= {hashlib.sha256(a.tobytes()).hexdigest() for k, a in arrays.items() if "|in|" in k}
    assert stored
    for chapter, names in built["checks"].items():
        for name in names:
            ex = exercise(name.rsplit(".", 1)[0])
            for inputs in ex.draw_cases(seed_for(name, hidden=True)):
                for arg, value in inputs.items():
                    if isinstance(value, np.ndarray) and value.size > 1:
                        assert hashlib.sha256(value.tobytes()).hexdigest() not in stored, (name, arg)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_fixture_checks_agree_with_the_full_checks(bundle, chapter, monkeypatch):
    """On the reference and on every seeded mistake of the chapter: the same verdict as the
    full check; and, with the full check's reference-based diagnosers switched off (what a
    bundle cannot carry), the same mistake name and the same message, word for word."""
    from autograder import diagnosis

    out, built = bundle
    store = FixtureStore(str(out / "package" / "autograder" / "fixtures"))
    seeded = importlib.import_module(f"seeded_{chapter}").SEEDED
    results = []
    for name in built["checks"][chapter]:
        prefix = name.rsplit(".", 1)[0]
        ex = exercise(prefix)
        candidates = [as_student(ex)] + [compile_function(src, ex.function) for _, src in seeded.get(prefix, [])]
        for fn in candidates:
            with np.errstate(all="ignore"):
                results.append((name, fn, run_check(name, fn, seed_for(name, False)),
                                fixture_check(name, fn, store=store)))
    assert len(results) > 10
    for name, _, full, mine in results:
        assert mine.passed == full.passed and mine.score == full.score, (name, full.message, mine.message)
    # the catalogue alone: what the fixtures know
    monkeypatch.setattr(diagnosis, "one_edit", lambda *a, **k: None)
    monkeypatch.setattr(diagnosis, "diagnose", lambda *a, **k: None)
    monkeypatch.setattr(diagnosis, "locate", lambda *a, **k: "")
    named = 0
    for name, fn, _, mine in results:
        with np.errstate(all="ignore"):
            catalogue = run_check(name, fn, seed_for(name, False))
        assert (mine.passed, mine.mistake) == (catalogue.passed, catalogue.mistake), (name, catalogue.message)
        assert mine.message == catalogue.message, name
        named += bool(mine.mistake)
    assert named > 0


def test_every_visible_check_of_the_notebooks_has_fixtures(bundle):
    out, built = bundle
    for path in RELEASES:
        names = visible_checks(path)
        assert names, path
        chapter = os.path.basename(path).split("_")[0]
        assert set(names) <= set(built["checks"][chapter])


@pytest.mark.slow
def test_the_installed_wheel_checks_a_notebook_answer_without_rnn_ref(bundle, tmp_path):
    """pip installs the wheel; a fresh interpreter that cannot import rnn_ref nor this
    repository's packages runs a visible check on a wrong answer and names the mistake."""
    out, built = bundle
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), built["wheel"]], check=True, capture_output=True)
    script = f"""
import sys
sys.path.insert(0, {str(target)!r})
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'rnn_ref':
            raise ImportError('no rnn_ref in a class bundle')
sys.meta_path.insert(0, Block())
import numpy as np
import autograder, coursekit
assert autograder.__file__.startswith({str(target)!r}), autograder.__file__
assert coursekit.__file__.startswith({str(target)!r}), coursekit.__file__
assert not hasattr(autograder, 'run_check') and not hasattr(autograder, 'pipeline')
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + h_prev @ W_hh)
autograder.check('ch02.rnn_step_forward.shape', rnn_step_forward)
try:
    autograder.check('ch02.rnn_step_forward.values', rnn_step_forward)
except AssertionError as exc:
    print('FAILED', exc)
try:
    autograder.check('ch02.rnn_step_forward.values', rnn_step_forward, hidden=True)
except ValueError as exc:
    print('HIDDEN', exc)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "\u2713 ch02.rnn_step_forward.shape" in proc.stdout
    assert "FAILED ch02.rnn_step_forward.values" in proc.stdout and "bias dropped" in proc.stdout
    assert "HIDDEN hidden: expected False" in proc.stdout


@pytest.mark.slow
def test_a_released_notebook_runs_on_the_bundle_alone(bundle, tmp_path, monkeypatch):
    """The ch02 notebook from the bundle, executed in a kernel that imports the bundle's
    package first and cannot import rnn_ref: only graded test cells fail, and they fail
    with the checks' messages (not an ImportError)."""
    from nbclient import NotebookClient

    out, built = bundle
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), built["wheel"]], check=True, capture_output=True)
    (target / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoReference:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'rnn_ref':\n"
        "            raise ImportError('rnn_ref is not part of a class bundle')\n"
        "sys.meta_path.insert(0, _NoReference())\n")
    monkeypatch.setenv("PYTHONPATH", str(target))
    work = tmp_path / "nb"
    work.mkdir()
    nb = nbformat.read(out / "notebooks" / "ch02_tanh_recurrence" / "ch02_tanh_recurrence.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import autograder\nprint('AUTOGRADER', autograder.__file__)\n"
        "try:\n    import rnn_ref\n    print('RNN_REF importable')\nexcept ImportError:\n    print('RNN_REF blocked')"))
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    errors = [(c.metadata.get("nbgrader", {}), o) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.get("output_type") == "error"]
    path = out / "notebooks" / "ch02_tanh_recurrence" / "ch02_tanh_recurrence.ipynb"
    assert len(errors) == len(visible_checks(str(path))), "each visible test fails before the exercises are done"
    assert all(meta.get("grade") for meta, _ in errors), [o.get("ename") for _, o in errors]
    assert all(o.get("ename") == "CheckFailed" for _, o in errors), {o.get("ename") for _, o in errors}
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert f"AUTOGRADER {target}" in last and "RNN_REF blocked" in last
