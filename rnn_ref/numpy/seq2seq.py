"""An encoder-decoder of one recurrent kind ("gru", "lstm" or "rnn"), without attention.

The encoder reads the embedded source; its final state (at ``src_lengths - 1`` when
lengths are given, so padding is never read) is the decoder's initial state. The decoder
reads the embedded target (teacher forcing) and scores the target vocabulary:

    model = {"src_embed": (V_s, E), "encoder": params (D = E), "tgt_embed": (V_t, E),
             "decoder": params (D = E), "W_out": (H, V_t), "b_out": (V_t,)}

Sources are int arrays ``src (N, S)``; targets ``tgt_in / tgt_out (N, T)`` (``tgt_in`` is
usually ``[bos] + tgt_out[:-1]``). Decoding: :func:`greedy_decode`, :func:`beam_search`.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _kinds
from ._validate import Dims, floats, integers
from .init import init_params, uniform_init
from .layers import (embedding_backward, embedding_forward, softmax_cross_entropy,
                     temporal_affine_backward, temporal_affine_forward)
from .sampling import log_softmax, step_scores

__all__ = ["seq2seq_init", "seq2seq_loss", "greedy_decode", "beam_search"]

MODEL_KEYS = ("src_embed", "encoder", "tgt_embed", "decoder", "W_out", "b_out")


def seq2seq_init(kind, V_src, V_tgt, E, H, rng, dtype=np.float64):
    """A fresh model: embeddings ``N(0, 1)`` (torch.nn.Embedding's default), encoder and
    decoder with :func:`rnn_ref.numpy.init.init_params` (torch's scheme), ``W_out`` and
    ``b_out`` ``U(-1/sqrt(H), 1/sqrt(H))`` (torch.nn.Linear's default).

    Args:
        kind: "gru", "lstm" or "rnn"; V_src, V_tgt: vocabulary sizes; E: embedding size;
        H: hidden size; rng: np.random.Generator; dtype: float32/64.

    Returns:
        model dict (see the module docstring).
    """
    _kinds.get(kind)
    for name, value in (("V_src", V_src), ("V_tgt", V_tgt), ("E", E), ("H", H)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    encoder = init_params(kind, E, H, rng, dtype=dtype)        # validates rng and dtype first
    return {
        "src_embed": rng.standard_normal((V_src, E)).astype(dtype),
        "encoder": encoder,
        "tgt_embed": rng.standard_normal((V_tgt, E)).astype(dtype),
        "decoder": init_params(kind, E, H, rng, dtype=dtype),
        "W_out": uniform_init(rng, (H, V_tgt), H, dtype),
        "b_out": uniform_init(rng, (V_tgt,), H, dtype),
    }


def _check_model(kind, model):
    """Validate ``model``; return (kind spec, Dims with V_s, V_t, E, H bound)."""
    spec = _kinds.get(kind)
    if not isinstance(model, dict) or any(k not in model for k in MODEL_KEYS):
        have = sorted(model) if isinstance(model, dict) else type(model).__name__
        raise ValueError(f"model: expected a dict with keys {list(MODEL_KEYS)}, got {have}")
    dims = Dims()
    for key, contract in (("src_embed", ("V_s", "E")), ("tgt_embed", ("V_t", "E"))):
        dims.check(f"model[{key!r}]", floats(f"model[{key!r}]", model[key], finite=True).shape, contract)
    enc = _kinds.check_params(spec, model["encoder"], "model['encoder']", Dims(D=dims["E"]))
    _kinds.check_params(spec, model["decoder"], "model['decoder']", Dims(D=dims["E"], H=enc["H"]))
    dims.sizes["H"] = enc["H"]
    for key, contract in (("W_out", ("H", "V_t")), ("b_out", ("V_t",))):
        dims.check(f"model[{key!r}]", floats(f"model[{key!r}]", model[key], finite=True).shape, contract)
    return spec, dims


def _check_src(src, src_lengths, dims):
    """Validate ``src (N, S)`` and ``src_lengths (N,)``; return (src, lengths) (lengths all S if None)."""
    src = integers("src", src, low=0, high=dims["V_s"])
    dims.check("src", src.shape, ("N", "S"))
    if src_lengths is None:
        return src, np.full(dims["N"], dims["S"])
    lengths = integers("src_lengths", src_lengths, low=1, high=dims["S"] + 1)
    dims.check("src_lengths", lengths.shape, ("N",))
    return src, lengths


def _token(name, value, V):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or not 0 <= value < V:
        raise ValueError(f"{name}: expected an integer in [0, {V}), got {value!r}")
    return int(value)


def _encode(spec, model, src, lengths):
    """Run the encoder on every row up to its length, grouping rows of equal length.

    Returns (xe (N, S, E) embedded source, h_enc (N, H), c_enc (N, H) or None,
    groups: list of (rows, length, x (B, length, E), h, c (B, length, H)) for the backward).
    """
    xe = embedding_forward(src, model["src_embed"])             # (N, S, E)
    h_enc, c_enc, groups = None, None, []
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)                # (B,)
        x = xe[rows, :length]                                   # (B, length, E)
        h, c = _kinds.forward(spec, x, model["encoder"])        # (B, length, H) each
        if h_enc is None:
            h_enc = np.empty((src.shape[0], h.shape[2]), dtype=h.dtype)  # (N, H)
            c_enc = None if c is None else np.empty_like(h_enc)
        h_enc[rows] = h[:, -1]
        if c is not None:
            c_enc[rows] = c[:, -1]
        groups.append((rows, length, x, h, c))
    return xe, h_enc, c_enc, groups


def seq2seq_loss(kind, model, src, tgt_in, tgt_out, src_lengths=None, tgt_mask=None):
    """Teacher-forced cross-entropy of the decoder's predictions, and its gradient.

    Args:
        kind: "gru", "lstm" or "rnn".
        model: dict (see the module docstring).
        src: (N, S) ints in [0, V_s).
        tgt_in: (N, T) ints in [0, V_t), the decoder's inputs.
        tgt_out: (N, T) ints in [0, V_t), the tokens to predict.
        src_lengths: (N,) ints in [1, S], or None (all S): tokens past a row's length are
            never read.
        tgt_mask: (N, T) 0/1 or booleans, the target positions that count, or None (all).

    Returns:
        (loss: float, mean over counted positions as ``softmax_cross_entropy``,
         grads: dict shaped like ``model``, the encoder's and decoder's as dicts).
    """
    spec, dims = _check_model(kind, model)
    src, lengths = _check_src(src, src_lengths, dims)
    tgt_in = integers("tgt_in", tgt_in, low=0, high=dims["V_t"])
    dims.check("tgt_in", tgt_in.shape, ("N", "T"))
    tgt_out = integers("tgt_out", tgt_out, low=0, high=dims["V_t"])
    dims.check("tgt_out", tgt_out.shape, ("N", "T"))

    xe, h_enc, c_enc, groups = _encode(spec, model, src, lengths)
    xd = embedding_forward(tgt_in, model["tgt_embed"])                      # (N, T, E)
    hd, cd = _kinds.forward(spec, xd, model["decoder"], h_enc, c_enc)       # (N, T, H) each
    scores = temporal_affine_forward(hd, model["W_out"], model["b_out"])    # (N, T, V_t)
    loss, dscores = softmax_cross_entropy(scores, tgt_out, tgt_mask)

    dhd, dW_out, db_out = temporal_affine_backward(dscores, hd, model["W_out"])  # dhd: (N, T, H)
    dxd, dh_enc, dc_enc, ddecoder = _kinds.backward(
        spec, dhd, None, xd, model["decoder"], h_enc, c_enc, hd, cd)        # dh_enc: (N, H)
    dxe = np.zeros(xe.shape, dtype=dxd.dtype)                               # (N, S, E)
    dencoder = None
    for rows, length, x, h, c in groups:                                    # h: (B, length, H)
        dh = np.zeros_like(h)
        dh[:, -1] = dh_enc[rows]                                            # only the final state is read
        dx, _, _, dparams = _kinds.backward(
            spec, dh, None if dc_enc is None else dc_enc[rows], x, model["encoder"], None, None, h, c)
        dxe[rows, :length] = dx                                             # (B, length, E)
        dencoder = dparams if dencoder is None else {k: dencoder[k] + dparams[k] for k in spec.names}
    grads = {
        "src_embed": embedding_backward(dxe, src, model["src_embed"]),
        "encoder": dencoder,
        "tgt_embed": embedding_backward(dxd, tgt_in, model["tgt_embed"]),
        "decoder": ddecoder,
        "W_out": dW_out,
        "b_out": db_out,
    }
    return loss, grads


def _decode_args(kind, model, src, bos, eos, max_len, src_lengths):
    spec, dims = _check_model(kind, model)
    src, lengths = _check_src(src, src_lengths, dims)
    bos, eos = _token("bos", bos, dims["V_t"]), _token("eos", eos, dims["V_t"])
    if isinstance(max_len, (bool, np.bool_)) or not isinstance(max_len, numbers.Integral) or max_len < 0:
        raise ValueError(f"max_len: expected an integer >= 0, got {max_len!r}")
    _, h, c, _ = _encode(spec, model, src, lengths)
    return spec, bos, eos, int(max_len), h, c


def _step(spec, model, tokens, h, c):
    """Log-probabilities of the next target token: (logp (B, V_t), h (B, H), c)."""
    scores, h, c = step_scores(spec, model["tgt_embed"], model["decoder"],
                               model["W_out"], model["b_out"], tokens, h, c)
    return log_softmax(scores), h, c                                        # (B, V_t)


def greedy_decode(kind, model, src, bos, eos, max_len, src_lengths=None):
    """Decode by taking the most probable token at each step (the first one on ties).

    Args:
        kind, model, src, src_lengths: as :func:`seq2seq_loss`.
        bos, eos: ints in [0, V_t), the start token fed first and the end token.
        max_len: int >= 0, the number of tokens produced.

    Returns:
        tokens: (N, max_len) int64, ``bos`` not included; after a row's ``eos``, ``eos``.
    """
    spec, bos, eos, max_len, h, c = _decode_args(kind, model, src, bos, eos, max_len, src_lengths)
    N = h.shape[0]
    tokens = np.full((N, max_len), eos, dtype=np.int64)                    # (N, max_len)
    prev, done = np.full(N, bos), np.zeros(N, dtype=bool)                  # (N,) each
    for t in range(max_len):
        if done.all():
            break
        logp, h, c = _step(spec, model, prev, h, c)                         # (N, V_t)
        prev = np.where(done, eos, logp.argmax(axis=1))                     # (N,)
        tokens[:, t] = prev
        done |= prev == eos
    return tokens


def _beam_one(spec, model, h, c, bos, eos, max_len, beam_width, length_penalty):
    """Beam search for one source (h, c (1, H)); returns (tokens list, log-probability)."""
    rank = lambda seq, score: score / len(seq) ** length_penalty if length_penalty > 0 else score  # noqa: E731
    seqs, logps, prev = [[]], np.zeros(1), np.array([bos])                  # B = 1 live beam
    finished = []                                                           # (tokens, score)
    for t in range(max_len):
        logp, h, c = _step(spec, model, prev, h, c)                         # (B, V_t)
        cand = (logps[:, None] + logp).reshape(-1)                          # (B*V_t,)
        V = logp.shape[1]
        keep_b, keep_v = [], []
        for j in np.argsort(-cand, kind="stable")[:beam_width]:             # best first, stable on ties
            b, v = divmod(int(j), V)
            if v == eos or t == max_len - 1:
                finished.append((seqs[b] + [v], float(cand[j])))
            else:
                keep_b.append(b)
                keep_v.append(v)
        if not keep_b:
            break
        seqs = [seqs[b] + [v] for b, v in zip(keep_b, keep_v)]
        logps = cand[np.array(keep_b) * V + np.array(keep_v)]               # (B',)
        h, c = h[keep_b], None if c is None else c[keep_b]                  # (B', H)
        prev = np.array(keep_v)                                             # (B',)
        if length_penalty <= 0 and finished and max(s for _, s in finished) >= logps.max():
            break  # log-probabilities only fall: no live beam can overtake the best finished one
    if not finished:
        return [], 0.0
    return max(finished, key=lambda f: rank(*f))


def beam_search(kind, model, src, bos, eos, max_len, beam_width=4, src_lengths=None, length_penalty=0.0):
    """Beam search: keep the ``beam_width`` most probable prefixes at every step.

    At each step every live prefix is extended by every token; the ``beam_width`` best
    extensions (by summed log-probability) are kept, those ending in ``eos`` (or reaching
    ``max_len``) are finished and leave the beam. With ``beam_width >= V_t ** max_len`` the
    search is exhaustive.

    Args:
        kind, model, src, src_lengths: as :func:`seq2seq_loss`.
        bos, eos: ints in [0, V_t); max_len: int >= 0.
        beam_width: int >= 1.
        length_penalty: float >= 0; finished hypotheses are ranked by
            ``score / len**length_penalty`` when > 0 (``len`` counts the tokens, eos included).

    Returns:
        list of N ``(tokens, log_probability)``: tokens a list of ints (``bos`` not included,
        ``eos`` included when produced), log_probability their summed log-probabilities.
    """
    if isinstance(beam_width, (bool, np.bool_)) or not isinstance(beam_width, numbers.Integral) or beam_width < 1:
        raise ValueError(f"beam_width: expected a positive integer, got {beam_width!r}")
    if isinstance(length_penalty, (bool, np.bool_)) or not isinstance(length_penalty, numbers.Real) \
            or not length_penalty >= 0:
        raise ValueError(f"length_penalty: expected a number >= 0, got {length_penalty!r}")
    spec, bos, eos, max_len, h, c = _decode_args(kind, model, src, bos, eos, max_len, src_lengths)
    return [_beam_one(spec, model, h[n:n + 1], None if c is None else c[n:n + 1],
                      bos, eos, max_len, int(beam_width), float(length_penalty))
            for n in range(h.shape[0])]                                     # one source at a time
