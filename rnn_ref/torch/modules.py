"""``torch.nn.Module`` layers built on the course's own forward and backward.

    RNN(input_size, hidden_size, num_layers=1, bidirectional=False, dtype=None, device=None)
    LSTM(...), GRU(...)                                  # the same arguments

Batch-first, stacked and bidirectional like ``torch.nn.RNN/LSTM/GRU(batch_first=True)``:

    y, h_n = RNN(...)(x, h0=None)                        # x (N, T, D) -> y (N, T, dirs*H)
    y, h_n, c_n = LSTM(...)(x, h0=None, c0=None)         # h_n, c_n (L*dirs, N, H), torch's layout
    y, h_n = GRU(...)(x, h0=None)

Parameters are kept in rnn_ref's layout, one ``nn.Parameter`` per tensor, layer and
direction, named ``{name}_l{k}`` and ``{name}_l{k}_reverse`` (``W_x_l0``, ``W_h_l0_reverse``,
...; the vanilla RNN's are ``W_xh``, ``W_hh``, ``b_h``); :attr:`layers` lists them as the
parameter dicts of :mod:`rnn_ref.torch.convert`, order ``[l0, l0_reverse, l1, ...]``.

Gradients: each layer and direction runs inside a ``torch.autograd.Function`` whose
backward calls the explicit backward of :mod:`rnn_ref.torch.rnn` / ``lstm`` / ``gru`` (with
the gate activations the forward kept, as their ``cache=``), so training one of these
modules exercises the course's own BPTT; only the plumbing between
directions and layers (flip, concatenation, taking the final states) is left to autograd.

Initialisation is torch.nn's: every tensor U(-1/sqrt(H), 1/sqrt(H)). (torch.nn draws
``bias_ih`` and ``bias_hh`` separately, so its summed RNN/LSTM bias is the sum of two such
draws; ours is one. Use :meth:`from_torch_nn` for torch's exact initial weights.)
"""

from __future__ import annotations

import math

import torch
from torch.autograd.function import once_differentiable

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from ._validate import Dims, common, floats, require_steps
from .convert import KINDS, from_torch_state_dict, to_torch_state_dict

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


class _Direction(torch.autograd.Function):
    """One layer, one direction: forward by the fast loop, backward by the explicit BPTT.

    ``apply(kind, x, h0, c0, *params)`` returns ``h (N, T, H)`` (all states), and for
    ``"lstm"`` also ``c_last (N, H)``; ``params`` in the order of :data:`convert.KINDS`.
    """

    @staticmethod
    def forward(ctx, kind, x, h0, c0, *params):
        ctx.kind = kind
        cache = {}                                              # the gate activations, kept
        if kind == "lstm":
            h, c = _lstm._forward(x, h0, c0, *params, cache=cache)   # (N, T, H) each
            ctx.save_for_backward(x, h0, c0, h, c, cache["A"], *params)
            return h, c[:, -1]
        if kind == "rnn":
            h = _rnn._forward(x, h0, *params)
            ctx.save_for_backward(x, h0, h, *params)
        else:
            h = _gru._forward(x, h0, *params, cache=cache)
            ctx.save_for_backward(x, h0, h, cache["A"], cache["Ah"], *params)
        return h

    @staticmethod
    @once_differentiable
    def backward(ctx, dh, dc_last=None):
        need = ctx.needs_input_grad
        if ctx.kind == "lstm":
            x, h0, c0, h, c, A, *params = ctx.saved_tensors
            dx, dh0, dc0, *dparams = _lstm._backward(dh, dc_last, x, h0, c0, h, c, *params, gates=A)
        elif ctx.kind == "rnn":
            x, h0, h, W_xh, W_hh, _ = ctx.saved_tensors
            dx, dh0, *dparams = _rnn._backward(dh, x, h0, h, W_xh, W_hh)
            dc0 = None
        else:
            x, h0, h, A, Ah, *params = ctx.saved_tensors
            dx, dh0, *dparams = _gru._backward(dh, x, h0, *params, h=h, gates=(A, Ah))
            dc0 = None
        grads = (dx, dh0, dc0, *dparams)
        return (None,) + tuple(g if need[k + 1] else None for k, g in enumerate(grads))


class _Recurrent(torch.nn.Module):
    kind = ""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dtype=None, device=None):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bidirectional = bool(bidirectional)
        dirs, H, G = self.num_directions, hidden_size, _GATES[self.kind] * hidden_size
        self._names = []                                        # per layer-direction: parameter names
        for k in range(num_layers * dirs):
            D = input_size if k < dirs else dirs * H
            suffix = f"l{k // dirs}" + ("_reverse" if k % dirs else "")
            shapes = dict(zip(KINDS[self.kind], ((D, G), (H, G)) + ((G,),) * (len(KINDS[self.kind]) - 2)))
            names = {}
            for name, shape in shapes.items():
                self.register_parameter(f"{name}_{suffix}", torch.nn.Parameter(
                    torch.empty(shape, dtype=dtype, device=device)))
                names[name] = f"{name}_{suffix}"
            self._names.append(names)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """torch.nn's initialisation: every tensor U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            torch.nn.init.uniform_(p, -bound, bound)

    @property
    def layers(self) -> list:
        """The parameters as rnn_ref dicts, ``[l0, l0_reverse, l1, ...]`` (the Parameters themselves)."""
        return [{name: getattr(self, attr) for name, attr in names.items()} for names in self._names]

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"bidirectional={self.bidirectional}")

    def _run(self, x, h0, c0):
        first = self.layers[0][KINDS[self.kind][0]]
        x = floats("x", x)
        h0 = floats("h0", h0, optional=True)
        c0 = floats("c0", c0, optional=True)
        common(x=x, h0=h0, c0=c0, parameters=first)
        for name, value in (("x", x), ("h0", h0), ("c0", c0)):
            if value is not None and value.dtype != first.dtype:
                raise ValueError(f"{name}: expected dtype {first.dtype} (the module's), got {value.dtype}")
        S = self.num_layers * self.num_directions
        dims = Dims(D=self.input_size, H=self.hidden_size, **{"L*dirs": S})
        dims.check("x", x.shape, ("N", "T", "D"))
        require_steps("x", x.shape)
        for name, value in (("h0", h0), ("c0", c0)):
            if value is not None:
                dims.check(name, value.shape, ("L*dirs", "N", "H"))
        dirs, inp = self.num_directions, x
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                seq = inp if d == 0 else inp.flip(1)            # the reverse direction reads T-1 .. 0
                params = self.layers[k].values()
                h_k = None if h0 is None else h0[k]
                if self.kind == "lstm":
                    h, c_last = _Direction.apply("lstm", seq, h_k, None if c0 is None else c0[k], *params)
                    c_n.append(c_last)
                else:
                    h = _Direction.apply(self.kind, seq, h_k, None, *params)
                h_n.append(h[:, -1])                            # (N, H) the direction's last step
                outs.append(h if d == 0 else h.flip(1))         # stored at its own time index
            inp = outs[0] if dirs == 1 else torch.cat(outs, dim=2)  # (N, T, dirs*H)
        return inp, torch.stack(h_n), (torch.stack(c_n) if c_n else None)

    def to_torch_nn(self) -> torch.nn.Module:
        """An equivalent ``torch.nn.RNN/LSTM/GRU(batch_first=True)`` (same dtype and device)."""
        first = self.layers[0][KINDS[self.kind][0]]
        module = _TORCH[self.kind](self.input_size, self.hidden_size, num_layers=self.num_layers,
                                   batch_first=True, bidirectional=self.bidirectional,
                                   dtype=first.dtype, device=first.device)
        layers = [{n: p.detach().cpu().double().numpy() for n, p in params.items()} for params in self.layers]
        module.load_state_dict(to_torch_state_dict(self.kind, layers, self.bidirectional))
        return module

    @classmethod
    def from_torch_nn(cls, module):
        """This module with the weights of a ``torch.nn.RNN/LSTM/GRU`` (same dtype and device).

        Refused (ValueError): another class, ``proj_size > 0``, ``nonlinearity="relu"``,
        ``dropout > 0``. ``batch_first`` does not matter (the weights are the same; this
        module is always batch-first); ``bias=False`` gives zero biases.
        """
        want = _TORCH[cls.kind]
        if type(module) is not want:
            raise ValueError(f"module: expected a {want.__module__}.{want.__name__}, got {type(module).__name__}")
        if getattr(module, "proj_size", 0):
            raise ValueError(f"module: proj_size={module.proj_size} is not supported (expected 0)")
        if getattr(module, "nonlinearity", "tanh") != "tanh":
            raise ValueError(f"module: nonlinearity={module.nonlinearity!r} is not supported (expected 'tanh')")
        if module.dropout:
            raise ValueError(f"module: dropout={module.dropout} is not supported (expected 0)")
        w = module.weight_ih_l0
        out = cls(module.input_size, module.hidden_size, module.num_layers, module.bidirectional,
                  dtype=w.dtype, device=w.device)
        state = {k: v.detach().double() for k, v in module.state_dict().items()}
        layers = from_torch_state_dict(cls.kind, state, module.num_layers, module.bidirectional)
        with torch.no_grad():
            for params, arrays in zip(out.layers, layers):
                for name, p in params.items():
                    p.copy_(torch.from_numpy(arrays[name]))
        return out


class RNN(_Recurrent):
    """Stacked, optionally bidirectional tanh RNN, batch-first; gradients by :func:`rnn_backward`."""

    kind = "rnn"

    def forward(self, x, h0=None):
        """x (N, T, D), h0 (L*dirs, N, H) or None -> (y (N, T, dirs*H), h_n (L*dirs, N, H))."""
        y, h_n, _ = self._run(x, h0, None)
        return y, h_n


class LSTM(_Recurrent):
    """Stacked, optionally bidirectional LSTM, batch-first; gradients by :func:`lstm_backward`."""

    kind = "lstm"

    def forward(self, x, h0=None, c0=None):
        """x (N, T, D), h0, c0 (L*dirs, N, H) or None -> (y (N, T, dirs*H), h_n, c_n (L*dirs, N, H))."""
        return self._run(x, h0, c0)


class GRU(_Recurrent):
    """Stacked, optionally bidirectional GRU, batch-first; gradients by :func:`gru_backward`."""

    kind = "gru"

    def forward(self, x, h0=None):
        """x (N, T, D), h0 (L*dirs, N, H) or None -> (y (N, T, dirs*H), h_n (L*dirs, N, H))."""
        y, h_n, _ = self._run(x, h0, None)
        return y, h_n
