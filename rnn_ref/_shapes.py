"""Shape contracts shared by the NumPy and Torch backends.

A contract names each dimension with a letter (N batch, T time, D input, H hidden,
V output/vocabulary, G = gates * H). :class:`Dims` binds letters to sizes the first
time it sees them and raises a ``ValueError`` naming the argument, the expected shape
(symbolic and numeric) and the actual shape on any mismatch::

    dims = Dims()
    dims.check("x", x.shape, ("N", "T", "D"))
    dims.check("W_xh", W_xh.shape, ("D", "H"))   # D must agree with x
    dims["H"]                                     # -> the bound size

Integers in a contract are fixed sizes; a contract entry may also be an expression
such as ``"4H"`` (a multiple of a bound letter), used for fused gate matrices.
This module imports neither NumPy nor Torch.

Empty sequences: every function that reads an input sequence (the sequence kernels,
stacked layers, truncated BPTT, seq2seq, the modules) refuses ``T = 0`` with
:func:`require_steps`, as ``torch.nn.RNN/LSTM/GRU`` do; lengths that are *asked for*
(``steps`` of a sampler, ``max_len`` of a decoder) may be 0.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence, Union

Entry = Union[int, str]
_MULTIPLE = re.compile(r"^(\d+)([A-Za-z_]\w*)$")


def _fmt(shape: Iterable) -> str:
    shape = tuple(shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def require_steps(name: str, shape: Sequence[int], axis: int = 1, letter: str = "T") -> None:
    """Refuse an empty sequence: ValueError when ``shape[axis]`` (the time axis) is 0."""
    shape = tuple(int(s) for s in shape)
    if shape[axis] == 0:
        raise ValueError(f"{name}: expected at least one time step ({letter} >= 1), got shape {_fmt(shape)}")


class Dims:
    """Binds dimension letters to sizes across the arguments of one call."""

    def __init__(self, **known: int):
        self.sizes: dict[str, int] = dict(known)

    def __getitem__(self, letter: str) -> int:
        return self.sizes[letter]

    def _resolve(self, entry: Entry):
        """Expected size of ``entry``, or None when a letter is still unbound."""
        if isinstance(entry, int):
            return entry
        match = _MULTIPLE.match(entry)
        if match:
            base = self.sizes.get(match.group(2))
            return None if base is None else int(match.group(1)) * base
        return self.sizes.get(entry)

    def expected(self, contract: Sequence[Entry]) -> str:
        """The contract written symbolically and, where known, numerically."""
        symbolic = _fmt(contract)
        numeric = [self._resolve(e) for e in contract]
        if all(n is not None for n in numeric) and any(isinstance(e, str) for e in contract):
            return f"{symbolic} = {_fmt(numeric)}"
        return symbolic

    def check(self, name: str, shape: Sequence[int], contract: Sequence[Entry]) -> None:
        """Check ``shape`` against ``contract``, binding new letters; raise ValueError."""
        shape = tuple(int(s) for s in shape)
        if len(shape) != len(contract):
            raise ValueError(
                f"{name}: expected a {len(contract)}-d array of shape {self.expected(contract)}, "
                f"got shape {_fmt(shape)}"
            )
        # First pass: bind plain letters that are still free, so that "4H" can
        # be resolved even when H first appears later in the same contract.
        pending = {}
        for entry, size in zip(contract, shape):
            if isinstance(entry, str) and not _MULTIPLE.match(entry) and entry not in self.sizes:
                if entry in pending and pending[entry] != size:
                    raise ValueError(
                        f"{name}: expected shape {_fmt(contract)}, got {_fmt(shape)} "
                        f"({entry} cannot be both {pending[entry]} and {size})"
                    )
                pending[entry] = size
        for entry, size in zip(contract, shape):
            want = self._resolve(entry)
            if want is None and isinstance(entry, str) and _MULTIPLE.match(entry):
                match = _MULTIPLE.match(entry)
                factor, letter = int(match.group(1)), match.group(2)
                if letter in pending:
                    want = factor * pending[letter]
                elif size % factor == 0:
                    pending[letter] = size // factor
                    want = size
                else:
                    want = -1
            if want is None:
                want = pending[entry]
            if want != size:
                merged = Dims(**{**self.sizes, **pending})
                raise ValueError(
                    f"{name}: expected shape {merged.expected(contract)}, got {_fmt(shape)}"
                )
        self.sizes.update(pending)
