"""rnn_ref: the reference implementation of the RNN course.

``rnn_ref.numpy`` is the exact, readable NumPy oracle (it never imports torch);
``rnn_ref.torch`` offers the same functions on torch tensors (CPU or CUDA).
Importing ``rnn_ref`` itself imports neither backend.
"""

__version__ = "0.1.0"
