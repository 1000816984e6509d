"""rnn_ref: the reference implementation of the RNN course.

``rnn_ref.numpy`` is the exact NumPy oracle (it never imports torch); its definition,
written to be read, is ``rnn_ref.numpy.plain`` (each sequence function as a loop over its
step function), which the fast kernels of both backends are tested against.
``rnn_ref.torch`` offers the same functions on torch tensors (CPU or CUDA).
Importing ``rnn_ref`` itself imports neither backend.
"""

__version__ = "0.1.0"
