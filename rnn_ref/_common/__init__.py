"""The logic of rnn_ref's extras, written once for both backends ("one API, a small class per backend").

The extras (stacked and bidirectional layers, truncated BPTT, gradient clipping,
initializers, optimizers, sampling, seq2seq) are orchestration: argument checks, loops over
layers, chunks, tokens and beams, calls into the recurrent kernels. That logic lives here,
once, and imports neither NumPy nor torch. What it needs from an array library goes through
a *backend*, a small object described by :class:`rnn_ref._common.backend.Backend` and
implemented by :mod:`rnn_ref.numpy._backend` and :mod:`rnn_ref.torch._backend` (array
creation, a few reductions, the random draws, the in-place updates, that backend's
kernels and validators). The differences that are real stay in the backend objects:
torch's 0-d tensors where NumPy returns Python floats, ``torch.Generator`` against
``np.random.Generator``, devices, and each library's own idiom for each primitive, so
that results stay bit for bit what they were before the logic was shared.

Every shared function takes the backend as its first argument ``B``. The public modules
(``rnn_ref/numpy/<name>.py`` and ``rnn_ref/torch/<name>.py``) bind them to their backend
with :meth:`Backend.bind <rnn_ref._common.backend.Backend.bind>`, which returns a new
function per shared function, without the ``B`` argument, with the public
``__name__``, ``__qualname__``, ``__module__``, ``__signature__`` and a ``__doc__`` whose
``$word`` placeholders are filled in the backend's words ("array" or "tensor", ...). A
shared class (the optimizers) is bound as a subclass that carries the backend.

Modules: :mod:`.backend` (the backend interface and the binding), :mod:`.tree` (parameter
trees), :mod:`.args` (scalar argument checks), :mod:`.kinds` (the recurrent kinds' table
and dispatch), then one module per extra: :mod:`.multilayer`, :mod:`.tbptt`, :mod:`.clip`,
:mod:`.init`, :mod:`.optim`, :mod:`.sampling`, :mod:`.seq2seq`.
"""

#: the public functions every backend exports, under these names (``rnn_ref.torch`` adds
#: its device helper and modules)
API = (
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "temporal_affine_forward", "temporal_affine_backward",
    "softmax_cross_entropy", "mse_loss",
    "embedding_forward", "embedding_backward",
    "stacked_forward", "stacked_backward", "tbptt_forward_backward",
    "clip_grad_norm", "clip_grad_value",
    "uniform_init", "xavier_uniform", "orthogonal", "identity", "init_params", "set_forget_bias",
    "SGD", "Adam", "sample_logits", "sample_sequence",
    "seq2seq_init", "seq2seq_loss", "greedy_decode", "beam_search",
    "numeric_gradient", "rel_error",
)
