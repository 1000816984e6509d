"""Benchmarks and their helpers, run from the repository root (not installed):

    python -m benchmarks.cpu [--quick]            # rnn_ref.numpy against torch.nn on CPU
    python -m benchmarks.gpu [--device cpu]       # rnn_ref.torch against cuDNN on a CUDA GPU
    python -m benchmarks.grading [--students 40]  # the hardened grader against stock nbgrader

:mod:`benchmarks.textbook` is the per-gate, per-step NumPy baseline that ``cpu`` compares
against, and :mod:`benchmarks.synth` builds synthetic submissions (the grading benchmark,
the demo class and the grader's tests use it). Neither is part of the course's packages.
"""
