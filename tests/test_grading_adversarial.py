"""The hardened grader against faulty and adversarial submissions, with controls.

Every submission is built from the released notebook (benchmarks.synth) and graded in
one batch by the real pipeline with two workers. Besides faulty notebooks, the batch holds
one attack per class of the grader's hardening issue (c33-c43: lifting the import
blocker and reading the grader's checkout, computed names and helpers in other cells,
renamed answer cells, cells added at the top, /tmp and /dev/shm, links, FIFOs and hard
links in place of notebooks or student folders, links planted where the old grader wrote). Each has its exact expected score
(out of 15: three exercises x (shape 1 + values 2 + hidden 2)) and status, and the
gradebook must say the same. The batch must survive every one of them, leave the
submissions folder byte-for-byte unchanged, and leave no process behind.
"""

import copy
import hashlib
import json
import os
import shutil
import subprocess

import nbformat
import pytest

from autograder import pipeline
from autograder.sandbox import Limits
from autograder.sources import solution_sources
from benchmarks.synth import duplicate_cell, find_cell, make_submission, write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
A = "ch02_tanh_recurrence"
SOURCE = os.path.join(ROOT, "solutions", A, A + ".ipynb")
RELEASE = os.path.join(ROOT, "course", A, A + ".ipynb")

pytestmark = pytest.mark.slow

BIAS_DROPPED_STEP = '''
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + h_prev @ W_hh)
'''
SELF_CONTAINED_FORWARD = '''
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    states, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh + h @ W_hh + b_h)
        states.append(h)
    return np.stack(states, axis=1)
'''
H0_IGNORED_FORWARD = SELF_CONTAINED_FORWARD.replace("states, h = [], h0", "states, h = [], np.zeros_like(h0)")
SOFTMAX_OUTPUT = '''
def output_layer(h, W_hy, b_y):
    s = h @ W_hy + b_y
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''
STUBBORN_LOOP = '''
while True:
    try:
        pass
    except BaseException:
        pass
'''


LIFT_BLOCKER = (
    "import sys, glob, json\n"
    "sys.meta_path[:] = [m for m in sys.meta_path if 'Blocker' not in type(m).__name__]\n"
    "for f in glob.glob(sys.path[-1] + '/__editable__*finder.py'):\n"
    "    ns = {'__name__': 'finder'}\n    exec(open(f).read(), ns)\n    ns['install']()\n"
    "try:\n    from rnn_ref.numpy import rnn_step_forward, rnn_forward\nexcept ImportError as e:\n    print(e)\n"
    f"try:\n    src = json.load(open({SOURCE!r}))\n"
    "    exec('\\n'.join(''.join(c['source']) for c in src['cells'] if c['cell_type'] == 'code'))\n"
    "except OSError as e:\n    print(e)\n")
TOP_CELL = "# a note to myself at the very top\nMY_TOP = 1\n"
#: links a student plants where the old grader opened or wrote files by path
PLANTED = {".sandbox-output.txt": "/etc/hostname", "results.json": "../../../grading/results"}


def _code_cell(src):
    return nbformat.v4.new_code_cell(src)


def _with_extra(nb, src, after="setup"):
    nb.cells.insert(find_cell(nb, after) + 1, _code_cell(src))
    return nb


def build_cases(answers):
    """{student: (builder(folder), expected score, expected status)}."""
    def nb(**over):
        return make_submission(RELEASE, {**answers, **over})

    def save(notebook, name=A):
        return lambda folder: write(notebook, folder, name)

    def raw(text, name=A):
        def build(folder):
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, name + ".ipynb"), "w") as f:
                f.write(text)
        return build

    def tests_deleted():
        n = nb()
        n.cells = [c for c in n.cells if not c.metadata.get("nbgrader", {}).get("grade")]
        return n

    def test_cells_edited():
        n = nb(rnn_step_forward=BIAS_DROPPED_STEP)
        for gid in ("test_rnn_step_forward_shape", "test_rnn_step_forward_values", "test_rnn_step_forward_hidden"):
            n.cells[find_cell(n, gid)].source = "pass  # the student 'fixed' the test"
        return n

    def test_duplicated():
        n = nb()
        duplicate_cell(n, "test_rnn_forward_values")
        duplicate_cell(n, "test_output_layer_hidden")
        return n

    def kernelspec():
        n = nb()
        n.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
        return n

    def deleted_answer():
        n = nb()
        del n.cells[find_cell(n, "rnn_forward")]
        return n

    def fixed_in_a_copy():
        n = nb(rnn_step_forward=BIAS_DROPPED_STEP)
        i = find_cell(n, "rnn_step_forward")
        fixed = nbformat.v4.new_code_cell(answers["rnn_step_forward"], metadata=copy.deepcopy(n.cells[i].metadata))
        n.cells.insert(i + 1, fixed)
        return n

    def renamed(folder):
        write(nb(), folder, A + "-Copy1")

    def with_extra_notebook(folder):
        write(nb(), folder, A)
        write(make_submission(RELEASE, {}), folder, "scratch")

    def regraded_id():
        n = nb()
        n.cells[find_cell(n, "output_layer")].metadata["nbgrader"]["grade_id"] = "my_output_layer"
        return n

    def at_top():
        n = nb()
        n.cells.insert(0, _code_cell(TOP_CELL))
        return n

    def link_to(target):
        def build(folder):
            os.makedirs(folder, exist_ok=True)
            os.symlink(target, os.path.join(folder, A + ".ipynb"))
        return build

    def fifo(folder):
        os.makedirs(folder, exist_ok=True)
        os.mkfifo(os.path.join(folder, A + ".ipynb"))

    def hard_link(folder):
        elsewhere = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(folder))), "elsewhere")
        write(nb(), elsewhere, "correct")
        os.makedirs(folder, exist_ok=True)
        os.link(os.path.join(elsewhere, "correct.ipynb"), os.path.join(folder, A + ".ipynb"))

    def student_folder_link(folder):
        student = os.path.dirname(folder)
        target = os.path.join(os.path.dirname(os.path.dirname(student)), "elsewhere", "someone", A)
        write(nb(), target, A)
        os.makedirs(os.path.dirname(student), exist_ok=True)
        os.symlink(os.path.dirname(target), student)

    def plant_links(inner):
        def build(folder):
            inner(folder)
            for name, target in PLANTED.items():
                os.symlink(target, os.path.join(folder, name))
        return build

    return {
        "c01_control_correct": (save(nb()), 15, "ok"),
        "c02_control_untouched": (save(make_submission(RELEASE, {})), 0, "failed"),
        "c03_invalid_json": (raw('{"cells": [ not json'), 0, "invalid"),
        "c04_json_not_a_notebook": (raw('{"hello": 1}'), 0, "invalid"),
        "c05_missing_notebook": (lambda folder: os.makedirs(folder, exist_ok=True), 0, "missing"),
        "c06_renamed_notebook": (renamed, 15, "ok"),
        "c07_extra_notebook": (with_extra_notebook, 15, "ok"),
        "c08_test_cells_deleted": (save(tests_deleted()), 15, "ok"),
        "c09_test_cells_edited": (save(test_cells_edited()), 7, "failed"),
        "c10_test_cells_duplicated": (save(test_duplicated()), 15, "ok"),
        "c11_kernelspec_changed": (save(kernelspec()), 15, "ok"),
        "c12_os_exit_in_answer": (save(nb(output_layer=answers["output_layer"] + "\nimport os\nos._exit(0)\n")),
                                  10, "crash"),
        "c13_stubborn_loop_after_def": (save(nb(rnn_forward=answers["rnn_forward"] + STUBBORN_LOOP)), 10, "timeout"),
        "c14_stubborn_loop_in_call": (save(nb(
            rnn_step_forward="def rnn_step_forward(*args):\n" + "\n".join("    " + l for l in STUBBORN_LOOP.strip().splitlines()),
            rnn_forward=SELF_CONTAINED_FORWARD)), 10, "timeout"),
        "c15_monkeypatched_numpy": (save(_with_extra(nb(
            rnn_step_forward=BIAS_DROPPED_STEP, rnn_forward=H0_IGNORED_FORWARD, output_layer=SOFTMAX_OUTPUT),
            "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\nnp.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n")),
            3, "failed"),
        "c16_equal_to_everything": (save(nb(
            rnn_step_forward="class _Yes:\n    def __eq__(self, other): return True\n    __hash__ = None\n"
                             "def rnn_step_forward(*args):\n    return _Yes()\n",
            rnn_forward=SELF_CONTAINED_FORWARD)), 10, "failed"),
        "c17_imports_rnn_ref": (save(nb(rnn_forward="from rnn_ref.numpy import rnn_forward\n")), 10, "forbidden"),
        "c18_dynamic_import_of_rnn_ref": (save(nb(
            rnn_step_forward="def rnn_step_forward(*a):\n    m = __import__('rnn' + '_ref.numpy', fromlist=['x'])\n"
                             "    return m.rnn_step_forward(*a)\n")), 5, "forbidden"),
        "c19_reads_the_solutions": (save(_with_extra(make_submission(RELEASE, {}),
            f"import json\nsrc = json.load(open({SOURCE!r}))\n"
            "exec('\\n'.join(''.join(c['source']) for c in src['cells'] if c['cell_type'] == 'code'))\n")),
            0, "failed"),
        "c20_torch_rnn_where_forbidden": (save(nb(rnn_forward=(
            "import torch\n\ndef rnn_forward(x, h0, W_xh, W_hh, b_h):\n"
            "    m = torch.nn.RNN(W_xh.shape[0], W_hh.shape[0], batch_first=True).double()\n"
            "    return m(torch.tensor(x))[0].detach().numpy()\n"))), 10, "forbidden"),
        "c21_network_attempt": (save(_with_extra(nb(),
            "import urllib.request\ntry:\n    urllib.request.urlopen('http://192.0.2.1/', timeout=1)\n"
            "except Exception as e:\n    print('no network:', type(e).__name__)\n")), 15, "ok"),
        "c22_huge_output": (save(_with_extra(nb(), "print('x' * (8 << 20))\n")), 15, "ok"),
        "c23_memory_bomb": (save(_with_extra(nb(), "hog = []\nwhile True:\n    hog.append(bytearray(1 << 26))\n")),
                            15, "ok"),
        "c24_background_process": (save(_with_extra(nb(),
            "import subprocess\nsubprocess.Popen(['sleep', '313'], start_new_session=True)\n")), 15, "ok"),
        "c25_kills_the_grader": (save(_with_extra(nb(),
            "import os, signal\nfor pid in (os.getppid(), -1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
            "    except Exception as e:\n        print(e)\n")), 15, "ok"),
        "c26_warnings_and_stderr": (save(nb(rnn_step_forward=answers["rnn_step_forward"] +
            "\nimport sys, warnings\n_orig = rnn_step_forward\ndef rnn_step_forward(*a):\n"
            "    warnings.warn('noisy'); print('debug', file=sys.stderr); print('hello')\n    return _orig(*a)\n")),
            15, "ok"),
        "c27_syntax_error": (save(nb(output_layer="def output_layer(h, W_hy, b_y)\n    return h @ W_hy + b_y\n")),
                             10, "failed"),
        "c28_answer_cell_deleted": (save(deleted_answer()), 10, "failed"),
        "c29_fixed_in_a_later_copy": (save(fixed_in_a_copy()), 15, "ok"),
        "c30_sys_exit": (save(_with_extra(nb(), "import sys\nsys.exit(3)\n")), 15, "ok"),
        "c31_partly_wrong": (save(nb(output_layer=SOFTMAX_OUTPUT)), 11, "failed"),
        # controls interleaved after the most destructive cases: a correct submission graded
        # right after one that killed, starved or flooded its sandbox must still get 15
        "c12z_control_after_os_exit": (save(nb()), 15, "ok"),
        "c14z_control_after_stubborn_loop": (save(nb()), 15, "ok"),
        "c23z_control_after_memory_bomb": (save(nb()), 15, "ok"),
        "c25z_control_after_kill_attempt": (save(nb()), 15, "ok"),
        # -- the hardening issue's classes, each as a student would try it -------------------
        "c33_lifts_the_import_blocker": (save(_with_extra(make_submission(RELEASE, {}), LIFT_BLOCKER)), 0, "failed"),
        "c34_getattr_computed_name": (save(nb(rnn_forward=(
            "import torch\n\ndef rnn_forward(x, h0, W_xh, W_hh, b_h):\n"
            "    m = getattr(torch.nn, 'R' + 'NN')(W_xh.shape[0], W_hh.shape[0], batch_first=True).double()\n"
            "    return m(torch.tensor(x))[0].detach().numpy()\n"))), 10, "forbidden"),
        "c35_forbidden_helper_in_another_cell": (save(_with_extra(nb(rnn_forward=(
            "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    return _helper(x, W_xh, W_hh)\n")),
            "import torch\nLayer = torch.nn.RNN\ndef _helper(x, W_xh, W_hh):\n"
            "    m = Layer(W_xh.shape[0], W_hh.shape[0], batch_first=True).double()\n"
            "    return m(torch.tensor(x))[0].detach().numpy()\n")), 10, "forbidden"),
        "c36_answer_grade_id_changed": (save(regraded_id()), 15, "ok"),
        "c37_cell_added_at_the_top": (save(at_top()), 15, "ok"),
        "c38_writes_tmp_and_shm": (save(_with_extra(nb(),
            "for p in ('/tmp/h4-leak', '/dev/shm/h4-leak'):\n    open(p, 'w').write('x')\n")), 15, "ok"),
        "c39_notebook_links_to_solutions": (link_to(SOURCE), 0, "invalid"),
        "c40_fifo_notebook": (fifo, 0, "invalid"),
        "c41_hard_link_to_a_correct_notebook": (hard_link, 0, "invalid"),
        "c42_plants_links_where_the_grader_wrote": (plant_links(save(nb())), 15, "ok"),
        "c43_student_folder_is_a_link": (student_folder_link, 0, "invalid"),
        "c39z_control_after_links": (save(nb()), 15, "ok"),
        "c32_writes_into_its_argument": (save(nb(output_layer=(
            "def output_layer(h, W_hy, b_y):\n    y = h @ W_hy + b_y\n"
            "    h[0, 0, 0] = 0.0  # 'tidying up' the caller's array\n    return y\n"))), 10, "failed"),
    }


def _tree_digest(folder):
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(folder)):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            path = os.path.join(dirpath, name)
            h.update(path[len(folder):].encode())
            st = os.lstat(path)
            if os.path.islink(path):
                h.update(os.readlink(path).encode())
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    h.update(f.read())
            else:
                h.update(str(st.st_mode).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adversarial")
    root = tmp / "course_root"
    for part in ("solutions", "course"):
        shutil.copytree(os.path.join(ROOT, part), root / part)
    cases = build_cases(solution_sources(SOURCE))
    subs = tmp / "submissions"
    for student, (build, _, _) in cases.items():
        build(str(subs / student / A))
    digest = _tree_digest(str(subs))
    secret = os.environ.get("AUTOGRADER_SECRET")
    os.environ["AUTOGRADER_SECRET"] = "h4-the-instructors-secret"
    try:
        results = pipeline.grade(str(root), A, str(subs), jobs=2, progress=False,
                                 limits=Limits(cell_seconds=4, call_seconds=3, memory_bytes=2 << 30,
                                               wall_factor=2, wall_grace=10))
    finally:
        if secret is None:
            del os.environ["AUTOGRADER_SECRET"]
        else:
            os.environ["AUTOGRADER_SECRET"] = secret
    return root, subs, cases, results, digest


# the case names, for parametrisation without building notebooks at collection time
CASES = sorted([
    "c01_control_correct", "c02_control_untouched", "c03_invalid_json", "c04_json_not_a_notebook",
    "c05_missing_notebook", "c06_renamed_notebook", "c07_extra_notebook", "c08_test_cells_deleted",
    "c09_test_cells_edited", "c10_test_cells_duplicated", "c11_kernelspec_changed", "c12_os_exit_in_answer",
    "c13_stubborn_loop_after_def", "c14_stubborn_loop_in_call", "c15_monkeypatched_numpy",
    "c16_equal_to_everything", "c17_imports_rnn_ref", "c18_dynamic_import_of_rnn_ref",
    "c19_reads_the_solutions", "c20_torch_rnn_where_forbidden", "c21_network_attempt", "c22_huge_output",
    "c23_memory_bomb", "c24_background_process", "c25_kills_the_grader", "c26_warnings_and_stderr",
    "c27_syntax_error", "c28_answer_cell_deleted", "c29_fixed_in_a_later_copy", "c30_sys_exit",
    "c31_partly_wrong", "c32_writes_into_its_argument",
    "c12z_control_after_os_exit", "c14z_control_after_stubborn_loop", "c23z_control_after_memory_bomb",
    "c25z_control_after_kill_attempt",
    "c33_lifts_the_import_blocker", "c34_getattr_computed_name", "c35_forbidden_helper_in_another_cell",
    "c36_answer_grade_id_changed", "c37_cell_added_at_the_top", "c38_writes_tmp_and_shm",
    "c39_notebook_links_to_solutions", "c40_fifo_notebook", "c41_hard_link_to_a_correct_notebook",
    "c42_plants_links_where_the_grader_wrote", "c39z_control_after_links", "c43_student_folder_is_a_link",
])


def test_the_suite_is_large_enough_and_listed(graded):
    _, _, cases, _, _ = graded
    assert sorted(cases) == CASES
    assert len(CASES) >= 25
    assert sum(status != "ok" for _, _, status in cases.values()) >= 20


@pytest.mark.parametrize("student", CASES)
def test_each_submission_gets_its_exact_score_and_status(graded, student):
    _, _, cases, results, _ = graded
    _, score, status = cases[student]
    report = results[student][A]
    details = json.dumps([(t["grade_id"], t["status"], t["message"][:160]) for t in report["tests"]], indent=1)
    assert (report["score"], report["status"]) == (score, status), details


def test_gradebook_holds_the_same_scores(graded):
    from nbgrader.api import Gradebook

    root, _, cases, _, _ = graded
    with Gradebook("sqlite:///" + str(root / "grading" / "gradebook.db"), course_id="rnn-course") as gb:
        for student, (_, score, _) in cases.items():
            assert gb.find_submission(A, student).score == pytest.approx(score), student


def test_submissions_folder_is_untouched(graded):
    _, subs, _, _, digest = graded
    assert _tree_digest(str(subs)) == digest


def test_no_process_is_left_behind(graded):
    out = subprocess.run(["pgrep", "-f", "sleep 313"], capture_output=True, text=True)
    assert out.stdout.strip() == ""


def test_results_json_per_student(graded):
    root, _, cases, _, _ = graded
    for student in cases:
        with open(root / "grading" / "results" / A / f"{student}.json") as f:
            record = json.load(f)
        for test in record["notebooks"][A]["tests"]:
            assert set(test) >= {"grade_id", "score", "max_score", "status", "message"}


def test_output_is_capped_and_confinement_reported(graded):
    _, _, _, results, _ = graded
    report = results["c22_huge_output"][A]
    assert len(report["output"]) <= 2000 and report["output"].endswith("[output truncated]")
    assert report["confinement"]["method"] in ("bubblewrap", "in-house") and report["confinement"]["user"]


def test_feedback_names_the_mistake_and_hides_hidden_inputs(graded):
    _, _, _, results, _ = graded
    tests = {t["grade_id"]: t for t in results["c31_partly_wrong"][A]["tests"]}
    assert "softmax applied" in tests["test_output_layer_values"]["message"]
    hidden = tests["test_output_layer_hidden"]["message"]
    assert "softmax applied" in hidden and "index" not in hidden and "inputs h(" not in hidden


def test_a_check_carries_its_cells_points(graded):
    _, _, _, results, _ = graded
    for test in results["c01_control_correct"][A]["tests"]:
        assert test["checks"] and all(c["max_score"] == test["max_score"] for c in test["checks"]), test
    assert {t["max_score"] for t in results["c01_control_correct"][A]["tests"]} == {1.0, 2.0}


def test_refused_submissions_say_why(graded):
    _, _, _, results, _ = graded
    for student, word in (("c39_notebook_links_to_solutions", "symbolic link"), ("c40_fifo_notebook", "FIFO"),
                          ("c41_hard_link_to_a_correct_notebook", "hard link"),
                          ("c43_student_folder_is_a_link", "symbolic link")):
        assert all(word in t["message"] for t in results[student][A]["tests"]), student


def test_a_renamed_answer_is_graded_and_said_so(graded):
    _, _, _, results, _ = graded
    assert any("my_output_layer" in n or "graded in its place" in n for n in results["c36_answer_grade_id_changed"][A]["notes"])


def test_the_autograded_notebook_holds_a_cell_added_at_the_top(graded):
    root, _, _, _, _ = graded
    nb = nbformat.read(str(root / "grading" / "autograded" / "c37_cell_added_at_the_top" / A / f"{A}.ipynb"), 4)
    assert nb.cells[0].source == TOP_CELL


def test_nothing_leaks_to_the_host_and_planted_links_are_not_followed(graded):
    root, _, _, results, _ = graded
    assert not os.path.exists("/tmp/h4-leak") and not os.path.exists("/dev/shm/h4-leak")
    # no forged results, no file read through a link, no copy of a link in the workspace
    assert sorted(os.listdir(root / "grading" / "results" / A)) == sorted(f"{s}.json" for s in CASES)
    copied = root / "grading" / "submitted" / "c42_plants_links_where_the_grader_wrote" / A
    assert sorted(os.listdir(copied)) == [f"{A}.ipynb"]
    assert not (root / "grading" / "submitted" / "c39_notebook_links_to_solutions" / A / f"{A}.ipynb").exists()


def test_secret_never_reaches_the_results(graded):
    root, _, _, _, _ = graded
    for name in os.listdir(root / "grading" / "results" / A):
        text = (root / "grading" / "results" / A / name).read_text()
        assert "AUTOGRADER_SECRET" not in text and "h4-the-instructors-secret" not in text
