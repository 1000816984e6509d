"""Rebuild the demo class in demo/submissions/ from the current release and solutions.

    .venv/bin/python demo/build_demo.py

Three students: alice_correct (every answer right), bob_partial (one exercise
off by one in time), carol_untouched (the release as downloaded). A test checks that the
committed files are what this script writes, so they never go stale.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # benchmarks/ is a folder of the repository, not an installed package

from autograder.sources import solution_sources  # noqa: E402
from benchmarks.synth import make_submission, write  # noqa: E402
ASSIGNMENT = "ch02_tanh_recurrence"

BOB_RNN_FORWARD = '''def rnn_forward(x, h0, W_xh, W_hh, b_h):
    """All hidden states, (N, T, H) -- but stored one step late."""
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev = h0
    for t in range(T):
        h[:, t] = prev                       # bug: the state *before* step t
        prev = rnn_step_forward(x[:, t], prev, W_xh, W_hh, b_h)
    return h
'''


def build(out_dir: str) -> list[str]:
    source = os.path.join(ROOT, "solutions", ASSIGNMENT, ASSIGNMENT + ".ipynb")
    release = os.path.join(ROOT, "course", ASSIGNMENT, ASSIGNMENT + ".ipynb")
    answers = solution_sources(source)
    students = {
        "alice_correct": answers,
        "bob_partial": {**answers, "rnn_forward": BOB_RNN_FORWARD},
        "carol_untouched": {},
    }
    paths = []
    for student, given in students.items():
        nb = make_submission(release, given)
        paths.append(write(nb, os.path.join(out_dir, student, ASSIGNMENT), ASSIGNMENT))
    return paths


if __name__ == "__main__":
    for path in build(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "demo", "submissions")):
        print(path)
