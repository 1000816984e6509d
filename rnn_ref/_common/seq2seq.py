"""An encoder-decoder of one recurrent kind ("gru", "lstm" or "rnn"), without attention.

The encoder reads the embedded source; its final state (at ``src_lengths - 1`` when
lengths are given, so padding is never read) is the decoder's initial state. The decoder
reads the embedded target (teacher forcing) and scores the target vocabulary:

    model = {"src_embed": (V_s, E), "encoder": params (D = E), "tgt_embed": (V_t, E),
             "decoder": params (D = E), "W_out": (H, V_t), "b_out": (V_t,)}

Sources are integer arrays ``src (N, S)``; targets ``tgt_in / tgt_out (N, T)`` (``tgt_in``
is usually ``[bos] + tgt_out[:-1]``). The loss's gradient is explicit (each piece's own
backward). Decoding: :func:`greedy_decode`, :func:`beam_search` (hypotheses as Python
lists of ints).
"""

from __future__ import annotations

from .._shapes import Dims, require_steps
from . import kinds
from .args import integer, is_real
from .backend import FLOAT64, explicit
from .init import init_params, uniform_init
from .sampling import step_scores

__all__ = ["seq2seq_init", "seq2seq_loss", "greedy_decode", "beam_search"]

MODEL_KEYS = ("src_embed", "encoder", "tgt_embed", "decoder", "W_out", "b_out")


def seq2seq_init(B, kind, V_src, V_tgt, E, H, rng, dtype=FLOAT64):
    """A fresh model: embeddings ``N(0, 1)`` (torch.nn.Embedding's default), encoder and
    decoder with ``init_params`` (torch's scheme), ``W_out`` and ``b_out``
    ``U(-1/sqrt(H), 1/sqrt(H))`` (torch.nn.Linear's default).

    Args:
        kind: "gru", "lstm" or "rnn"; V_src, V_tgt: vocabulary sizes; E: embedding size;
        H: hidden size; rng: ${Generator}${placed_new}; dtype: float32/64.

    Returns:
        model dict (see the module docstring).
    """
    kinds.get(kind)
    for name, value in (("V_src", V_src), ("V_tgt", V_tgt), ("E", E), ("H", H)):
        integer(name, value, low=1)
    encoder = init_params(B, kind, E, H, rng, dtype=dtype)     # validates rng and dtype first
    dtype = B.float_dtype(dtype)
    return {
        "src_embed": B.normal(rng, (V_src, E), dtype),
        "encoder": encoder,
        "tgt_embed": B.normal(rng, (V_tgt, E), dtype),
        "decoder": init_params(B, kind, E, H, rng, dtype=dtype),
        "W_out": uniform_init(B, rng, (H, V_tgt), H, dtype),
        "b_out": uniform_init(B, rng, (V_tgt,), H, dtype),
    }


def _check_model(B, kind, model):
    """Validate ``model``; return (kind spec, Dims with V_s, V_t, E, H bound, the model's device)."""
    spec = kinds.get(kind)
    if not isinstance(model, dict) or any(k not in model for k in MODEL_KEYS):
        have = sorted(model) if isinstance(model, dict) else type(model).__name__
        raise ValueError(f"model: expected a dict with keys {list(MODEL_KEYS)}, got {have}")
    dims, arrays = Dims(), {}
    for key, contract in (("src_embed", ("V_s", "E")), ("tgt_embed", ("V_t", "E"))):
        arrays[key] = B.floats(f"model[{key!r}]", model[key], finite=True)
        dims.check(f"model[{key!r}]", arrays[key].shape, contract)
    enc = kinds.check_params(B, spec, model["encoder"], "model['encoder']", Dims(D=dims["E"]))
    kinds.check_params(B, spec, model["decoder"], "model['decoder']", Dims(D=dims["E"], H=enc["H"]))
    dims.sizes["H"] = enc["H"]
    for key, contract in (("W_out", ("H", "V_t")), ("b_out", ("V_t",))):
        arrays[key] = B.floats(f"model[{key!r}]", model[key], finite=True)
        dims.check(f"model[{key!r}]", arrays[key].shape, contract)
    for key in ("encoder", "decoder"):
        arrays[key] = next(iter(model[key].values()))
    device, _ = B.common(**{f"model[{k!r}]": a for k, a in arrays.items()})
    return spec, dims, device


def _check_src(B, model, src, src_lengths, dims):
    """Validate ``src (N, S)`` and ``src_lengths (N,)``; return (src, lengths) (all S if None)."""
    src = B.integers("src", src, low=0, high=dims["V_s"])
    dims.check("src", src.shape, ("N", "S"))
    require_steps("src", src.shape, letter="S")
    lengths = None
    if src_lengths is not None:
        lengths = B.integers("src_lengths", src_lengths, low=1, high=dims["S"] + 1)
        dims.check("src_lengths", lengths.shape, ("N",))
    B.common(**{"model['src_embed']": model["src_embed"]}, src=src, src_lengths=lengths)
    if lengths is None:
        lengths = B.full((dims["N"],), dims["S"], B.int64, B.device(src))
    return src, lengths


def _encode(B, spec, model, src, lengths):
    """Run the encoder on every row up to its length, grouping rows of equal length.

    Returns (xe (N, S, E) embedded source, h_enc (N, H), c_enc (N, H) or None,
    groups: list of (rows, length, x (B, length, E), h, c (B, length, H)) for the backward).
    """
    xe = B.embedding_forward(src, model["src_embed"])           # (N, S, E)
    h_enc, c_enc, groups = None, None, []
    for length in B.unique(lengths):
        rows = B.flatnonzero(lengths == length)                 # (B,)
        x = xe[rows, :length]                                   # (B, length, E)
        h, c = kinds.forward(B, spec, x, model["encoder"])      # (B, length, H) each
        if h_enc is None:
            shape = (src.shape[0], h.shape[2])                  # (N, H)
            h_enc = B.empty(shape, h.dtype, B.device(h))
            c_enc = None if c is None else B.empty(shape, h.dtype, B.device(h))
        h_enc[rows] = h[:, -1]
        if c is not None:
            c_enc[rows] = c[:, -1]
        groups.append((rows, length, x, h, c))
    return xe, h_enc, c_enc, groups


@explicit
def seq2seq_loss(B, kind, model, src, tgt_in, tgt_out, src_lengths=None, tgt_mask=None):
    """Teacher-forced cross-entropy of the decoder's predictions, and its (explicit) gradient.

    Args:
        kind: "gru", "lstm" or "rnn".
        model: dict of ${arrays} (see the module docstring).
        src: (N, S) integer ${array} in [0, V_s).
        tgt_in: (N, T) integer ${array} in [0, V_t), the decoder's inputs.
        tgt_out: (N, T) integer ${array} in [0, V_t), the tokens to predict.
        src_lengths: (N,) integer ${array} in [1, S], or None (all S): tokens past a row's
            length are never read.
        tgt_mask: (N, T) 0/1 or booleans, the target positions that count, or None (all).

    Returns:
        (loss: ${scalar}, mean over counted positions as ``softmax_cross_entropy``,
         grads: dict shaped like ``model``, the encoder's and decoder's as dicts).
    """
    spec, dims, device = _check_model(B, kind, model)
    src, lengths = _check_src(B, model, src, src_lengths, dims)
    tgt_in = B.integers("tgt_in", tgt_in, low=0, high=dims["V_t"])
    dims.check("tgt_in", tgt_in.shape, ("N", "T"))
    require_steps("tgt_in", tgt_in.shape)
    tgt_out = B.integers("tgt_out", tgt_out, low=0, high=dims["V_t"])
    dims.check("tgt_out", tgt_out.shape, ("N", "T"))
    B.common(src=src, tgt_in=tgt_in, tgt_out=tgt_out)

    xe, h_enc, c_enc, groups = _encode(B, spec, model, src, lengths)
    xd = B.embedding_forward(tgt_in, model["tgt_embed"])                    # (N, T, E)
    hd, cd = kinds.forward(B, spec, xd, model["decoder"], h_enc, c_enc)     # (N, T, H) each
    scores = B.temporal_affine_forward(hd, model["W_out"], model["b_out"])  # (N, T, V_t)
    loss, dscores = B.softmax_cross_entropy(scores, tgt_out, tgt_mask)

    dhd, dW_out, db_out = B.temporal_affine_backward(dscores, hd, model["W_out"])  # dhd: (N, T, H)
    dxd, dh_enc, dc_enc, ddecoder = kinds.backward(
        B, spec, dhd, None, xd, model["decoder"], h_enc, c_enc, hd, cd)     # dh_enc: (N, H)
    dxe = B.zeros(tuple(xe.shape), dxd.dtype, device)                       # (N, S, E)
    dencoder = None
    for rows, length, x, h, c in groups:                                    # h: (B, length, H)
        dh = B.zeros_like(h)
        dh[:, -1] = dh_enc[rows]                                            # only the final state is read
        dx, _, _, dparams = kinds.backward(
            B, spec, dh, None if dc_enc is None else dc_enc[rows], x, model["encoder"], None, None, h, c)
        dxe[rows, :length] = dx                                             # (B, length, E)
        dencoder = dparams if dencoder is None else {k: dencoder[k] + dparams[k] for k in spec.names}
    grads = {
        "src_embed": B.embedding_backward(dxe, src, model["src_embed"]),
        "encoder": dencoder,
        "tgt_embed": B.embedding_backward(dxd, tgt_in, model["tgt_embed"]),
        "decoder": ddecoder,
        "W_out": dW_out,
        "b_out": db_out,
    }
    return loss, grads


def _decode_args(B, kind, model, src, bos, eos, max_len, src_lengths):
    spec, dims, _ = _check_model(B, kind, model)
    src, lengths = _check_src(B, model, src, src_lengths, dims)
    bos, eos = integer("bos", bos, 0, dims["V_t"]), integer("eos", eos, 0, dims["V_t"])
    max_len = integer("max_len", max_len, low=0)
    _, h, c, _ = _encode(B, spec, model, src, lengths)
    return spec, bos, eos, max_len, h, c


def _step(B, spec, model, tokens, h, c):
    """Log-probabilities of the next target token: (logp (B, V_t), h (B, H), c)."""
    scores, h, c = step_scores(B, spec, model["tgt_embed"], model["decoder"],
                               model["W_out"], model["b_out"], tokens, h, c)
    return B.log_softmax(scores), h, c                                      # (B, V_t)


@explicit
def greedy_decode(B, kind, model, src, bos, eos, max_len, src_lengths=None):
    """Decode by taking the most probable token at each step (the first one on ties).

    Args:
        kind, model, src, src_lengths: as :func:`seq2seq_loss`.
        bos, eos: ints in [0, V_t), the start token fed first and the end token.
        max_len: int >= 0, the number of tokens produced.

    Returns:
        tokens: (N, max_len) int64 ${array}, ``bos`` not included; after a row's ``eos``, ``eos``.
    """
    spec, bos, eos, max_len, h, c = _decode_args(B, kind, model, src, bos, eos, max_len, src_lengths)
    N, device = h.shape[0], B.device(h)
    tokens = B.full((N, max_len), eos, B.int64, device)                    # (N, max_len)
    prev = B.full((N,), bos, B.int64, device)                               # (N,)
    done = B.zeros((N,), B.bool_, device)                                    # (N,)
    for t in range(max_len):
        if bool(done.all()):
            break
        logp, h, c = _step(B, spec, model, prev, h, c)                      # (N, V_t)
        prev = B.where(done, eos, B.argmax(logp))                           # (N,)
        tokens[:, t] = prev
        done |= prev == eos
    return tokens


def _beam_one(B, spec, model, h, c, bos, eos, max_len, beam_width, length_penalty):
    """Beam search for one source (h, c (1, H)); returns (tokens list, log-probability)."""
    rank = lambda seq, score: score / len(seq) ** length_penalty if length_penalty > 0 else score  # noqa: E731
    device = B.device(h)
    seqs = [[]]
    logps = B.zeros((1,), B.float64, device)                                # B = 1 live beam
    prev = B.asarray([bos], B.int64, device)
    finished = []                                                           # (tokens, score)
    for t in range(max_len):
        logp, h, c = _step(B, spec, model, prev, h, c)                      # (B, V_t)
        cand = (logps[:, None] + logp).reshape(-1)                          # (B*V_t,)
        V = logp.shape[1]
        keep_b, keep_v, kept = [], [], []
        for j, score in zip(*B.topk(cand, beam_width)):                     # best first, stable on ties
            b, v = divmod(j, V)
            if v == eos or t == max_len - 1:
                finished.append((seqs[b] + [v], score))
            else:
                keep_b.append(b)
                keep_v.append(v)
                kept.append(score)
        if not keep_b:
            break
        seqs = [seqs[b] + [v] for b, v in zip(keep_b, keep_v)]
        logps = B.asarray(kept, B.float64, device)                          # (B',)
        rows = B.asarray(keep_b, B.int64, device)
        h, c = h[rows], None if c is None else c[rows]                      # (B', H)
        prev = B.asarray(keep_v, B.int64, device)                           # (B',)
        if length_penalty <= 0 and finished and max(s for _, s in finished) >= max(kept):
            break  # log-probabilities only fall: no live beam can overtake the best finished one
    if not finished:
        return [], 0.0
    return max(finished, key=lambda f: rank(*f))


@explicit
def beam_search(B, kind, model, src, bos, eos, max_len, beam_width=4, src_lengths=None, length_penalty=0.0):
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
        ``eos`` included when produced), log_probability a float, their summed log-probabilities.
    """
    beam_width = integer("beam_width", beam_width, low=1)
    if not is_real(length_penalty) or not length_penalty >= 0:
        raise ValueError(f"length_penalty: expected a number >= 0, got {length_penalty!r}")
    spec, bos, eos, max_len, h, c = _decode_args(B, kind, model, src, bos, eos, max_len, src_lengths)
    return [_beam_one(B, spec, model, h[n:n + 1], None if c is None else c[n:n + 1],
                      bos, eos, max_len, beam_width, float(length_penalty))
            for n in range(h.shape[0])]                                     # one source at a time
