"""Converters between rnn_ref parameter dicts and torch.nn.RNN / LSTM / GRU state dicts.

Gate order (documented once, here): rnn_ref fuses gates in torch's own order,
    LSTM: i, f, g, o   (input, forget, cell candidate, output)
    GRU:  r, z, n      (reset, update, candidate)
so a fused rnn_ref matrix is torch's matrix transposed:
    W_x = weight_ih_l{k}.T   (D, G*H)        W_h = weight_hh_l{k}.T   (H, G*H)
Biases: the vanilla RNN and the LSTM have one bias, b = bias_ih + bias_hh (going to torch,
the whole bias goes to bias_ih and bias_hh is zero); the GRU keeps both, b_x = bias_ih and
b_h = bias_hh, because b_hn sits inside the reset gate's product.

Layers are listed as [l0, l0_reverse, l1, l1_reverse, ...] (no _reverse entries when
not bidirectional), each a dict: RNN {W_xh, W_hh, b_h}, LSTM {W_x, W_h, b},
GRU {W_x, W_h, b_x, b_h}. dtypes are kept (float64 stays float64).
"""

from __future__ import annotations

import numpy as np
import torch

KINDS = {
    "rnn": ("W_xh", "W_hh", "b_h"),
    "lstm": ("W_x", "W_h", "b"),
    "gru": ("W_x", "W_h", "b_x", "b_h"),
}


def _kind(kind: str) -> tuple:
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {sorted(KINDS)}, got {kind!r}")
    return KINDS[kind]


def _suffixes(n_layers_dirs: int, bidirectional: bool) -> list[str]:
    dirs = 2 if bidirectional else 1
    if n_layers_dirs % dirs:
        raise ValueError(f"layers: expected a multiple of {dirs} entries for bidirectional={bidirectional}, "
                         f"got {n_layers_dirs}")
    return [f"l{k // dirs}" + ("_reverse" if k % dirs else "") for k in range(n_layers_dirs)]


def to_torch_state_dict(kind: str, layers, bidirectional: bool = False) -> dict:
    """A ``state_dict`` for ``torch.nn.{RNN,LSTM,GRU}(..., batch_first=True)``."""
    names = _kind(kind)
    if isinstance(layers, dict):
        layers = [layers]
    state = {}
    for suffix, params in zip(_suffixes(len(layers), bidirectional), layers):
        missing = [n for n in names if n not in params]
        if missing:
            raise ValueError(f"layers: a {kind} layer needs {names}, missing {missing}")
        W_x, W_h = np.asarray(params[names[0]]), np.asarray(params[names[1]])
        state[f"weight_ih_{suffix}"] = torch.from_numpy(np.ascontiguousarray(W_x.T))
        state[f"weight_hh_{suffix}"] = torch.from_numpy(np.ascontiguousarray(W_h.T))
        if kind == "gru":
            state[f"bias_ih_{suffix}"] = torch.from_numpy(np.array(params["b_x"]))
            state[f"bias_hh_{suffix}"] = torch.from_numpy(np.array(params["b_h"]))
        else:
            b = np.array(params[names[2]])
            state[f"bias_ih_{suffix}"] = torch.from_numpy(b)
            state[f"bias_hh_{suffix}"] = torch.zeros_like(torch.from_numpy(b))
    return state


def from_torch_state_dict(kind: str, state_dict, num_layers: int = 1, bidirectional: bool = False) -> list:
    """rnn_ref parameter dicts (NumPy arrays) from a torch.nn RNN/LSTM/GRU ``state_dict``."""
    names = _kind(kind)
    out = []
    for suffix in _suffixes(num_layers * (2 if bidirectional else 1), bidirectional):
        try:
            w_ih, w_hh = state_dict[f"weight_ih_{suffix}"], state_dict[f"weight_hh_{suffix}"]
        except KeyError as exc:
            raise ValueError(f"state_dict: expected key {exc.args[0]!r} for {num_layers} layer(s), "
                             f"bidirectional={bidirectional}") from None
        b_ih = state_dict.get(f"bias_ih_{suffix}")
        b_hh = state_dict.get(f"bias_hh_{suffix}")
        npy = lambda t: t.detach().cpu().numpy().copy()  # noqa: E731
        G_H = w_ih.shape[0]
        zeros = np.zeros(G_H, dtype=npy(w_ih).dtype)
        b_ih = zeros if b_ih is None else npy(b_ih)
        b_hh = zeros if b_hh is None else npy(b_hh)
        params = {names[0]: npy(w_ih).T.copy(), names[1]: npy(w_hh).T.copy()}
        if kind == "gru":
            params.update(b_x=b_ih, b_h=b_hh)
        else:
            params[names[2]] = b_ih + b_hh
        out.append(params)
    return out
