"""The integrity scan follows what a graded function can reach (class 6 of the grader's
hardening issue: a helper in another cell, a computed attribute name, an alias)."""

from autograder.exercise import RECURRENT_LAYERS
from autograder.integrity import scan, scan_program

BANNED = {"rnn_forward": RECURRENT_LAYERS}


def reasons(*cells):
    """Reasons for rnn_forward; the first cell is its answer cell, the others extra cells."""
    program = [(cells[0], ("rnn_forward",))] + [(c, ()) for c in cells[1:]]
    return scan_program(program, BANNED).get("rnn_forward", [])


CLEAN = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    return np.tanh(x @ W_xh + b_h)\n"


def test_a_numpy_answer_is_clean_even_next_to_a_cell_that_uses_torch_for_something_else():
    assert reasons(CLEAN) == []
    assert reasons(CLEAN, "import torch\nreference = torch.nn.RNN(3, 4)\n") == []


def test_aliases_and_constant_getattr_are_resolved():
    for answer in ("import torch.nn as tnn\ndef rnn_forward(*a):\n    return tnn.RNN(3, 4)\n",
                   "from torch import nn\ndef rnn_forward(*a):\n    return nn.RNN(3, 4)\n",
                   "import torch\nm = torch.nn\ndef rnn_forward(*a):\n    return m.RNN(3, 4)\n",
                   "import torch\ndef rnn_forward(*a):\n    return getattr(torch.nn, 'RNN')(3, 4)\n"):
        assert "uses torch.nn.RNN" in reasons(answer), answer


def test_a_computed_name_or_dynamic_code_is_itself_a_reason():
    for answer, word in (("import torch\ndef rnn_forward(*a):\n    return getattr(torch.nn, 'R' + 'NN')(3, 4)\n", "getattr"),
                         ("def rnn_forward(*a):\n    return eval('1')\n", "eval"),
                         ("def rnn_forward(*a):\n    return __import__('tor' + 'ch')\n", "__import__"),
                         ("import sys\ndef rnn_forward(*a):\n    return sys.modules['torch']\n", "sys.modules")):
        assert any(word in r for r in reasons(answer)), answer


def test_a_helper_in_another_cell_is_followed_with_its_cells_imports():
    answer = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    return helper(x)\n"
    assert "uses torch.nn.RNN" in reasons(answer, "import torch\ndef helper(x):\n    return torch.nn.RNN(3, 4)(x)\n")
    assert reasons(answer, "import torch.nn as tnn\nLayer = tnn.RNN\ndef helper(x):\n    return Layer(3, 4)(x)\n")
    assert any("imports" in r for r in scan_program(
        [(answer, ("rnn_forward",)), ("from rnn_ref.numpy import rnn_forward as helper\n", ())],
        BANNED)["rnn_forward"])


def test_a_patched_module_function_is_followed():
    answer = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n    return np.tanh(x)\n"
    assert "uses torch.nn.RNN" in reasons(answer, "import torch\nnp.tanh = lambda x: torch.nn.RNN(3, 4)(x)\n")


def test_scan_of_one_piece_of_code_still_works():
    assert scan("import rnn_ref\n") and scan("x = 1\n") == []
