"""Elementwise maps that the chapters' mistake catalogues build wrong variants from.

The references themselves come from ``rnn_ref``; these are the plain textbook formulas
that a catalogue combines in the wrong way (a sigmoid where a tanh belongs, a softmax
applied to scores that should stay raw), kept in one place for every chapter.
"""

import numpy as np

__all__ = ["sigmoid", "softmax"]


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), elementwise."""
    return 1.0 / (1.0 + np.exp(-a))


def softmax(a, axis=-1):
    """Softmax along ``axis``, shifted by the maximum so that large scores do not overflow."""
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
