"""The hardened grader against faulty and adversarial submissions, with controls.

Every submission is built from the released notebook (autograder.synth) and graded in
one batch by the real pipeline with a worker pool. Each has its exact expected score
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
from autograder.synth import duplicate_cell, find_cell, make_submission, solution_sources, write

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
                             "    return m.rnn_step_forward(*a)\n")), 5, "failed"),
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
        "c32_writes_into_its_argument": (save(nb(output_layer=(
            "def output_layer(h, W_hy, b_y):\n    y = h @ W_hy + b_y\n"
            "    h[0, 0, 0] = 0.0  # 'tidying up' the caller's array\n    return y\n"))), 10, "failed"),
    }


def _tree_digest(folder):
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(folder)):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            h.update(path[len(folder):].encode())
            with open(path, "rb") as f:
                h.update(f.read())
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
    results = pipeline.grade(str(root), A, str(subs), jobs=2, progress=False,
                             limits=Limits(cell_seconds=4, call_seconds=3, memory_bytes=2 << 30))
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
])


def test_the_suite_is_large_enough_and_listed(graded):
    _, _, cases, _, _ = graded
    assert sorted(cases) == CASES
    assert len(CASES) >= 25
    assert sum(status != "ok" for _, _, status in cases.values()) >= 15


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
    assert len(report["output"]) <= 2000
    assert report["confinement"] is not None


def test_feedback_names_the_mistake_and_hides_hidden_inputs(graded):
    _, _, _, results, _ = graded
    tests = {t["grade_id"]: t for t in results["c31_partly_wrong"][A]["tests"]}
    assert "softmax applied" in tests["test_output_layer_values"]["message"]
    hidden = tests["test_output_layer_hidden"]["message"]
    assert "softmax applied" in hidden and "index" not in hidden and "inputs h(" not in hidden
