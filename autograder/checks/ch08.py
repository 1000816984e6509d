"""Chapter 8, RNNs at work: tbptt_batches, sample_with_temperature, clipped_adam_step,
beam_search_step.

The four pieces of plumbing that every application of the chapter trains or decodes with.
Each exercise draws inputs where its typical mistakes give different answers (distinct
tokens, many sampled rows, logits in the thousands, gradients above and below the clipping
norm and a tiny one, beams whose scores matter), compares with ``rnn_ref.numpy`` and names the
mistake a wrong answer makes; one that no catalogue lists is named by its one edit of the
textbook formula (``_textbook``).
Integer arguments (``N``, ``T``, ``t``, ``k``) arrive as 0-d int64 arrays, as they do across
the grader's process boundary. Answers are NumPy only (torch, whose optimiser and sampler
would do the work, is forbidden in them; the notebook's demonstrations use it freely).
"""

from __future__ import annotations

import numpy as np

from rnn_ref import numpy as ref

from ..exercise import NO_LIBRARIES, Exercise, Mistake
from ..registry import register
from . import _textbook


def _int(a) -> np.ndarray:
    return np.array(a, dtype=np.int64)


# -- tbptt_batches ---------------------------------------------------------------------------
#
# data (L,) tokens -> x, y (K, N, T): row n of every batch reads stream n, the contiguous
# slice data[n S : (n + 1) S] with S = (L - 1) // N (one token kept back for the last
# target); batch k holds the k-th window of T tokens of every stream, so batch k + 1
# continues batch k row by row; y is x shifted one token ahead; K = S // T.

def _draw_tbptt(rng, s):
    # distinct tokens, so that every slicing mistake moves some entry
    data = rng.permutation(10 * s["L"])[: s["L"]]                          # (L,)
    return dict(data=data.astype(np.int64), N=_int(s["N"]), T=_int(s["T"]))


def tbptt_reference(data, N, T):
    """The oracle of tbptt_batches (written here: rnn_ref's truncated BPTT takes the
    windows as given; test_checks_ch08 shows that these windows let it carry the state)."""
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = S // T
    x = data[: N * S].reshape(N, S)[:, : K * T]                               # (N, K*T)
    y = data[1: N * S + 1].reshape(N, S)[:, : K * T]                          # (N, K*T)
    return (x.reshape(N, K, T).transpose(1, 0, 2),                           # (K, N, T)
            y.reshape(N, K, T).transpose(1, 0, 2))


def _tbptt_streams(data, N, T, *, interleave=False, windows_in_batch=False, shift=1):
    """x and the targets ``shift`` tokens later, cut in one of the wrong ways."""
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = S // T
    if windows_in_batch:      # windows cut one after another; N consecutive ones form a batch
        return tuple(data[off: off + K * N * T].reshape(K, N, T) for off in (0, shift))

    def rows(off):
        if interleave:        # stream n = every N-th token
            seq = data[off: off + N * S].reshape(S, N).T                     # (N, S)
        else:
            seq = data[off: off + N * S].reshape(N, S)                       # (N, S)
        return seq[:, : K * T].reshape(N, K, T).transpose(1, 0, 2)           # (K, N, T)
    return rows(0), rows(shift)


TBPTT = Exercise(
    name="ch08.tbptt_batches",
    function="tbptt_batches",
    args=("data", "N", "T"),
    outputs={"x": ("K", "N", "T"), "y": ("K", "N", "T")},
    draw=_draw_tbptt,
    reference=lambda data, N, T: tbptt_reference(data, N, T),
    # K >= 2 and N >= 2 first (windows that do not continue row by row show); N, T and K
    # different in the first two cases (a swapped or misplaced axis changes the shape)
    cases=({"L": 48, "N": 4, "T": 5, "K": 2}, {"L": 100, "N": 3, "T": 7, "K": 4},
           {"L": 23, "N": 1, "T": 4, "K": 5}),
    forbidden=NO_LIBRARIES,          # NumPy numerics: no torch optimiser, sampler or autograd
    formula=_textbook.tbptt_batches,
    mistakes=(
        Mistake("streams interleaved", "Stream n is one contiguous slice, data[n*S:(n+1)*S] "
                "(data[:N*S].reshape(N, S)), not every N-th token (reshape(S, N).T).",
                lambda data, N, T: _tbptt_streams(data, N, T, interleave=True)),
        Mistake("windows do not continue across batches", "Row n of batch k+1 must continue row n "
                "of batch k (so the hidden state can be carried): cut the N streams first, then "
                "take window k of every stream, not N consecutive windows per batch.",
                lambda data, N, T: _tbptt_streams(data, N, T, windows_in_batch=True)),
        Mistake("targets not shifted", "y is the next token: y[k, n, t] = the token after x[k, n, t].",
                lambda data, N, T: _tbptt_streams(data, N, T, shift=0)),
        Mistake("x and y swapped", "Return (x, y) with y one token ahead of x, not the other way round.",
                lambda data, N, T: tuple(reversed(tbptt_reference(data, N, T)))),
        Mistake("N and T swapped", "N is the number of parallel streams (rows), T the window length.",
                lambda data, N, T: tbptt_reference(data, T, N)),
        Mistake("window axis not first", "Return arrays of shape (K, N, T): batch k is x[k], one "
                "window of every stream; move the window axis first with transpose(1, 0, 2).",
                lambda data, N, T: tuple(a.transpose(1, 0, 2) for a in tbptt_reference(data, N, T))),
    ),
)


# -- sample_with_temperature ----------------------------------------------------------------
#
# idx[n] = the first index i with cdf[n, i] > u[n], where cdf is the cumulative sum of
# softmax(logits / temperature) over the vocabulary. rnn_ref's sample_logits draws
# u = rng.random(N) and does exactly this, so the reference hands it a generator that
# replays the given u.

def _draw_sample(rng, s):
    N, V = s["N"], s["V"]
    drawn = dict(logits=rng.standard_normal((N, V)) * 1.5, temperature=np.array(s["tau"]),
                 u=rng.random(N))
    if s.get("offset"):
        # rows shifted by up to +-offset: exp overflows unless each row's own max is
        # subtracted first (subtracting one max over all rows underflows the low rows)
        drawn["logits"] = drawn["logits"] + rng.uniform(-1.0, 1.0, (N, 1)) * s["offset"]   # (N, V)
    if s.get("top"):
        # every other u the largest float below 1: a row's cumulative sum may end just below
        # it by rounding, and only the clamp to the last index V - 1 keeps idx in range
        drawn["u"][::2] = np.nextafter(1.0, 0.0)
    return drawn


class _Replay(np.random.Generator):
    """A generator whose ``random(n)`` returns the given draws: rnn_ref's sampler then uses
    exactly the learner's ``u``."""

    def __init__(self, u):
        super().__init__(np.random.PCG64(0))
        self._u = np.asarray(u, dtype=np.float64)

    def random(self, size=None, dtype=np.float64, out=None):
        if size != self._u.shape[0]:
            raise ValueError(f"u: expected {size} draws, got {self._u.shape[0]}")
        return self._u.copy()


def _sample(logits, temperature, u, *, scale="divide", axis=1, cum_axis=1, normalise=True):
    tau = float(temperature)
    z = {"divide": logits / tau, "multiply": logits * tau, "none": logits}[scale]
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True) if normalise else e
    cdf = p.cumsum(axis=cum_axis)                                              # (N, V)
    return (np.minimum((cdf <= u[:, None]).sum(1), logits.shape[1] - 1),)


SAMPLE = Exercise(
    name="ch08.sample_with_temperature",
    function="sample_with_temperature",
    args=("logits", "temperature", "u"),
    outputs={"idx": ("N",)},
    draw=_draw_sample,
    reference=lambda logits, temperature, u: (
        ref.sample_logits(logits, _Replay(u), float(temperature)),),
    # many rows and a few classes: every mistake changes some of the draws; temperatures
    # away from 1, where dividing, multiplying and ignoring differ; last, logits in the
    # thousands, where only a softmax stabilised row by row stays finite; and draws of u at the
    # top of [0, 1)
    cases=({"N": 300, "V": 6, "tau": 0.5}, {"N": 200, "V": 4, "tau": 2.5}, {"N": 50, "V": 9, "tau": 1.0},
           {"N": 40, "V": 5, "tau": 0.8, "offset": 2000.0}, {"N": 200, "V": 7, "tau": 1.3, "top": True}),
    forbidden=NO_LIBRARIES,          # NumPy numerics: no torch optimiser, sampler or autograd
    formula=_textbook.sample_with_temperature,
    mistakes=(
        Mistake("temperature multiplies the logits", "Divide: softmax(logits / temperature). A low "
                "temperature must sharpen the distribution.",
                lambda logits, temperature, u: _sample(logits, temperature, u, scale="multiply")),
        Mistake("temperature ignored", "Scale the logits: softmax(logits / temperature).",
                lambda logits, temperature, u: _sample(logits, temperature, u, scale="none")
                if float(temperature) != 1.0 else None),
        Mistake("always the most likely index (argmax)", "Sampling draws: use u with the cumulative "
                "distribution; the argmax is only the limit temperature -> 0.",
                lambda logits, temperature, u: (np.argmax(logits, axis=1),)),
        Mistake("softmax over the batch axis", "Normalise each row over the vocabulary (axis=1), not "
                "over the batch (axis=0).",
                lambda logits, temperature, u: _sample(logits, temperature, u, axis=0)),
        Mistake("cumulative sum over the batch axis", "The cumulative distribution runs along each "
                "row: p.cumsum(axis=1).",
                lambda logits, temperature, u: _sample(logits, temperature, u, cum_axis=0)),
        Mistake("probabilities not normalised", "Divide the exponentials by their row sum, so that "
                "each row's cumulative distribution ends at 1.",
                lambda logits, temperature, u: _sample(logits, temperature, u, normalise=False)),
    ),
)


# -- clipped_adam_step ------------------------------------------------------------------------
#
# g = grad * min(1, max_norm / (||grad|| + 1e-6));  m' = b1 m + (1 - b1) g;
# v' = b2 v + (1 - b2) g^2;  theta' = theta - lr * (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps)

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


def _draw_adam(rng, s):
    P = s["P"]
    # scale < 1: a tiny gradient (and moments of its size), where the 1e-6 in
    # max_norm / (norm + 1e-6) changes the factor by a few per cent and Adam's eps shows
    scale = s.get("scale", 1.0)
    grad = rng.standard_normal(P)
    max_norm = np.linalg.norm(grad) * s["ratio"]          # ratio < 1 clips, > 1 does not
    return dict(theta=rng.standard_normal(P), grad=grad * scale, m=rng.standard_normal(P) * 0.3 * scale,
                v=rng.uniform(0.05, 1.0, P) * scale ** 2, t=_int(s["t"]), lr=np.array(0.1),
                max_norm=np.array(max_norm * scale))


def adam_reference(theta, grad, m, v, t, lr, max_norm):
    """The oracle: rnn_ref's clip_grad_norm, then rnn_ref's Adam resumed at step t - 1."""
    (clipped,), _ = ref.clip_grad_norm([grad], float(max_norm))
    opt = ref.Adam(lr=float(lr), betas=(BETA1, BETA2), eps=EPS)
    params = {"theta": theta.copy()}
    opt.state[("theta",)] = (int(t) - 1, m.copy(), v.copy())
    opt.step(params, {"theta": clipped})
    _, m_new, v_new = opt.state[("theta",)]
    return params["theta"], m_new, v_new


def _adam(theta, grad, m, v, t, lr, max_norm, *, clip="norm", always_rescale=False, correct=True,
          t_shift=0, square=True, old_moments=False):
    t, lr, max_norm = int(t) + t_shift, float(lr), float(max_norm)
    norm = np.sqrt(np.sum(grad ** 2))
    g = grad
    if clip == "norm":
        g = grad * (max_norm / (norm + 1e-6) if always_rescale else min(1.0, max_norm / (norm + 1e-6)))
    elif clip == "value":
        g = np.clip(grad, -max_norm, max_norm)
    m_new = BETA1 * m + (1 - BETA1) * g
    v_new = BETA2 * v + (1 - BETA2) * (g * g if square else g)
    m_use, v_use = (m, v) if old_moments else (m_new, v_new)
    m_hat = m_use / (1 - BETA1 ** t) if correct else m_use
    v_hat = v_use / (1 - BETA2 ** t) if correct else v_use
    step = lr * m_hat / (np.sqrt(v_hat) + EPS)
    with np.errstate(invalid="ignore"):
        return theta - step, m_new, v_new


_A = ("theta", "grad", "m", "v", "t", "lr", "max_norm")

ADAM = Exercise(
    name="ch08.clipped_adam_step",
    function="clipped_adam_step",
    args=_A,
    outputs={"theta_new": ("P",), "m_new": ("P",), "v_new": ("P",)},
    draw=_draw_adam,
    reference=adam_reference,
    # case 1 clips (the norm is 3x max_norm) at an early step where the bias correction is
    # large; case 2 does not clip (a norm at half of max_norm), where only rescaling always shows;
    # case 4 clips a tiny gradient (norm about 3e-5), where dropping the 1e-6 changes the answer
    cases=({"P": 7, "ratio": 1 / 3, "t": 3}, {"P": 5, "ratio": 2.0, "t": 2}, {"P": 12, "ratio": 0.5, "t": 40},
           {"P": 6, "ratio": 0.5, "t": 5, "scale": 1e-5}),
    forbidden=NO_LIBRARIES,          # NumPy numerics: no torch optimiser, sampler or autograd
    formula=_textbook.clipped_adam_step,
    mistakes=(
        Mistake("gradient not clipped", "Scale the gradient by min(1, max_norm / (norm + 1e-6)) before "
                "it enters the moments.", lambda **kw: _adam(**kw, clip="none")),
        Mistake("clipped by value, not by norm", "Clip the global L2 norm of the whole gradient, not "
                "each entry to [-max_norm, max_norm].", lambda **kw: _adam(**kw, clip="value")),
        Mistake("update from the old moments", "Update m and v first, then step with the new "
                "m / (1 - beta1**t) and v / (1 - beta2**t).", lambda **kw: _adam(**kw, old_moments=True)),
        Mistake("no bias correction", "Divide m by (1 - beta1**t) and v by (1 - beta2**t) before the "
                "update.", lambda **kw: _adam(**kw, correct=False)),
        Mistake("step count incremented again", "t is already the number of this step (1 for the "
                "first); use it as given in the bias correction.", lambda **kw: _adam(**kw, t_shift=1)),
        Mistake("second moment from the gradient, not its square", "v = beta2 * v + (1 - beta2) * g**2.",
                lambda **kw: _adam(**kw, square=False)),
        Mistake("always rescaled to max_norm", "Only a gradient whose norm exceeds max_norm is scaled "
                "down: the factor is min(1, max_norm / (norm + 1e-6)).",
                lambda **kw: _adam(**kw, always_rescale=True)),
    ),
)


# -- beam_search_step -------------------------------------------------------------------------
#
# candidate (b, v) scores beam_scores[b] + log_probs[b, v]; keep the k best over all B*V
# candidates, best first (ties: the lower flat index b*V + v first, as rnn_ref's beam search).

def _draw_beam(rng, s):
    B, V = s["B"], s["V"]
    z = rng.standard_normal((B, V)) * 1.5
    log_probs = z - np.log(np.exp(z).sum(1, keepdims=True))                  # (B, V) rows sum to 1 in p
    beam_scores = -np.sort(rng.uniform(0.5, 4.0, B))                         # (B,) best first
    return dict(log_probs=log_probs, beam_scores=beam_scores, k=_int(s["k"]))


def beam_reference(log_probs, beam_scores, k):
    """The oracle: the ranking of rnn_ref.numpy's beam search (a stable descending sort of the
    flat candidates); test_checks_ch08 iterates it into rnn_ref's beam_search result."""
    V = log_probs.shape[1]
    cand = (beam_scores[:, None] + log_probs).reshape(-1)                    # (B*V,)
    order = np.argsort(-cand, kind="stable")[: int(k)]                      # (k,) best first
    return cand[order], order // V, order % V


def _beam(log_probs, beam_scores, k, *, combine="add", worst=False, row_len=None, sort_index=False):
    B, V = log_probs.shape
    cand = {"add": beam_scores[:, None] + log_probs,
            "ignore": log_probs + 0 * beam_scores[:, None],
            "multiply": beam_scores[:, None] * log_probs,
            "probs": beam_scores[:, None] + np.exp(log_probs)}[combine].reshape(-1)   # (B*V,)
    order = np.argsort(cand if worst else -cand, kind="stable")[: int(k)]
    if sort_index:
        order = np.sort(order)
    n = V if row_len is None else row_len
    return cand[order], order // n, order % n


_BEAM_ARGS = ("log_probs", "beam_scores", "k")

BEAM = Exercise(
    name="ch08.beam_search_step",
    function="beam_search_step",
    args=_BEAM_ARGS,
    outputs={"scores": ("k",), "parents": ("k",), "tokens": ("k",)},
    draw=_draw_beam,
    reference=beam_reference,
    # B, V and k all different; B > 1 first, so that the beam scores matter
    cases=({"B": 3, "V": 5, "k": 4}, {"B": 4, "V": 6, "k": 3}, {"B": 1, "V": 7, "k": 3}),
    forbidden=NO_LIBRARIES,          # NumPy numerics: no torch optimiser, sampler or autograd
    formula=_textbook.beam_search_step,
    mistakes=(
        Mistake("beam scores not added", "A candidate's score is its beam's score plus the token's "
                "log-probability: beam_scores[:, None] + log_probs.",
                lambda log_probs, beam_scores, k: _beam(log_probs, beam_scores, k, combine="ignore")),
        Mistake("log-probabilities multiplied", "Log-probabilities add along a sequence (the "
                "probabilities multiply): beam_scores[:, None] + log_probs.",
                lambda log_probs, beam_scores, k: _beam(log_probs, beam_scores, k, combine="multiply")),
        Mistake("probabilities added to log-scores", "Add log_probs itself, not np.exp(log_probs).",
                lambda log_probs, beam_scores, k: _beam(log_probs, beam_scores, k, combine="probs")),
        Mistake("the k worst kept", "Sort by score descending (np.argsort(-scores)): the highest "
                "log-probability is the best.",
                lambda log_probs, beam_scores, k: _beam(log_probs, beam_scores, k, worst=True)),
        Mistake("flat index split by the number of beams", "In a flat index j of the (B, V) "
                "candidates, parent = j // V and token = j % V (V = log_probs.shape[1]).",
                lambda log_probs, beam_scores, k: _beam(log_probs, beam_scores, k,
                                                        row_len=log_probs.shape[0])
                if log_probs.shape[0] > 1 else None),
        Mistake("best k not ordered best first", "Return the k kept candidates sorted by score, "
                "best first.",
                lambda log_probs, beam_scores, k: _beam(log_probs, beam_scores, k, sort_index=True)),
    ),
)

register(TBPTT, SAMPLE, ADAM, BEAM)
