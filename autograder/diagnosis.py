"""Describe how a wrong answer differs from the reference when no catalogued mistake matches.

Diagnosers shared by every exercise of every chapter (:meth:`Exercise._named_failure`
calls them in this order: :func:`unwritten`, the catalogue, :func:`one_edit`,
:func:`diagnose`, and always :func:`locate`):

- :func:`unwritten` finds entries the answer never writes (``np.empty`` garbage that
  changes from call to call).
- :func:`one_edit` names an answer equal to the exercise's textbook formula
  (:attr:`Exercise.formula`) with one edit made by :mod:`autograder.mutants.operators`.

- :func:`diagnose` *names* a change: it recomputes the reference on edited inputs (one
  input zeroed, set to one, transposed, two same-shaped inputs swapped, the sequence
  run backwards) and compares each wrong output with transforms of the right one (shifted
  by one time step, reversed in time, scaled by a constant factor, offset by the same
  row, transposed, axes permuted or scrambled by a reshape, left unsummed over an axis,
  another nonlinearity applied, gate blocks permuted). A match is a :class:`Finding`: a
  short name and a sentence in the learner's terms.
- :func:`locate` says *where* the answer goes wrong when nothing is named: which outputs
  differ and which match, the first time step that differs (and whether the value there
  equals the reference one step before or after), the gate or column block, the rows of
  the batch.

Both work on the exercise's declared contracts only (argument names, output names and
shape letters: ``T``/``S``/``steps``/``W`` mark a time axis, ``4H``/``3H`` a fused gate
axis, whose block names come from :attr:`Exercise.gates`), never on a particular chapter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .compare import close

#: shape letters that mark a time axis, and the fused-gate axes
TIME_LETTERS = ("T", "S", "steps", "W")
BLOCK_LETTERS = {"4H": 4, "3H": 3}


@dataclass(frozen=True)
class Finding:
    """A described difference: ``name`` for reports, ``hint`` for the learner."""

    name: str
    hint: str


# -- helpers --------------------------------------------------------------------------------

def _arrays(inputs: dict) -> list[str]:
    return [k for k, v in inputs.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.size]


def _reference(ex, inputs: dict):
    """The reference outputs on ``inputs`` as float arrays, or None when it raises."""
    try:
        with np.errstate(all="ignore"):
            out = ex.reference(**{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()})
        return tuple(np.asarray(o, dtype=np.float64) for o in out)
    except Exception:
        return None


def _close(o, w, ex) -> bool:
    """Close where both are finite, and non-finite (NaN, +inf, -inf) at the same entries:
    two answers that overflow the same way share the cause."""
    if o.shape != w.shape:
        return False
    if np.isfinite(w).all():
        return close(o, w, ex.rtol, ex.atol)
    same = (np.isnan(o) == np.isnan(w)).all() and (np.isposinf(o) == np.isposinf(w)).all() \
        and (np.isneginf(o) == np.isneginf(w)).all()
    finite = np.isfinite(w)
    return bool(same and close(o[finite], w[finite], ex.rtol, ex.atol))


def _same(outs, other, ex) -> bool:
    return other is not None and len(other) == len(outs) and all(_close(o, w, ex) for o, w in zip(outs, other))


def _near(a, b, ex) -> bool:
    """Close with a tolerance 100 times the check's (transforms lose a few digits)."""
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= 100 * (ex.atol + ex.rtol * np.abs(b))))


def time_axis(contract) -> int | None:
    for k, letter in enumerate(contract):
        if letter in TIME_LETTERS:
            return k
    return None


def block_axis(contract) -> tuple[int, int] | tuple[None, None]:
    for k, letter in enumerate(contract):
        if letter in BLOCK_LETTERS:
            return k, BLOCK_LETTERS[letter]
    return None, None


def _gate_names(ex, count: int) -> list[str]:
    gates = list(getattr(ex, "gates", ()) or ())
    return gates if len(gates) == count else [f"block {k + 1}" for k in range(count)]


def _cols(k: int, count: int) -> str:
    start = "" if k == 0 else ("H" if k == 1 else f"{k}H")
    stop = "" if k == count - 1 else ("H" if k == 0 else f"{k + 1}H")
    return f"{start}:{stop}"


# -- naming: edited inputs ------------------------------------------------------------------

def _input_edits(ex, inputs: dict):
    """(Finding, edited inputs) for every input edit a learner's slip is equivalent to."""
    names = _arrays(inputs)
    for a in names:
        yield Finding(f"{a} left out",
                      f"Your output equals the reference computed with {a} = 0: the term that uses {a} "
                      f"is missing (or {a} is never read)."), {**inputs, a: np.zeros_like(inputs[a])}
    for a in names:
        yield Finding(f"factor {a} missing",
                      f"Your output equals the reference computed with {a} = 1 everywhere: a factor {a} "
                      f"is missing where {a} should multiply."), {**inputs, a: np.ones_like(inputs[a])}
    for a in names:
        v = inputs[a]
        if v.ndim >= 2 and v.shape[-1] == v.shape[-2]:
            yield Finding(f"{a} transposed",
                          f"Your output equals the reference computed with {a} transposed: use {a} as "
                          f"given (check the order in the matrix product; {a}.T is the transpose)."), \
                {**inputs, a: np.swapaxes(v, -1, -2).copy()}
    for a, b in itertools.combinations(names, 2):
        if inputs[a].shape == inputs[b].shape:
            yield Finding(f"{a} and {b} swapped",
                          f"Your output equals the reference with {a} and {b} swapped: check which one "
                          f"goes where."), {**inputs, a: inputs[b], b: inputs[a]}
    for a in names:
        v = inputs[a]
        if v.ndim == 3 and v.shape[1] > 1:
            for shift, words, index in ((1, "one step early", "t-1"), (-1, "one step late", "t+1")):
                yield Finding(f"{a} read {words}",
                              f"Your output equals the reference with {a}[:, t] replaced by {a}[:, {index}] "
                              f"(wrapping around at the ends): at step t read {a}[:, t]."), \
                    {**inputs, a: np.roll(v, shift, axis=1)}
            yield Finding(f"{a} read in reverse time order",
                          f"Your output equals the reference on {a} reversed in time: read {a}[:, t] "
                          f"for t = 0, 1, ..., T-1, in that direction."), {**inputs, a: v[:, ::-1].copy()}


def _diagnose_inputs(ex, inputs, outs):
    for finding, edited in _input_edits(ex, inputs):
        if _same(outs, _reference(ex, edited), ex):
            return finding
    # the whole loop run backwards: reversing the inputs in time and the outputs back
    seq = [a for a in _arrays(inputs) if inputs[a].ndim == 3 and inputs[a].shape[1] > 1]
    if seq:
        edited = {**inputs, **{a: inputs[a][:, ::-1].copy() for a in seq}}
        wrong = _reference(ex, edited)
        if wrong is not None:
            flipped = tuple(w[:, ::-1] if time_axis(c) == 1 and w.ndim >= 2 else w
                            for w, c in zip(wrong, ex.outputs.values()))
            if _same(outs, flipped, ex):
                return Finding("loop run in the wrong direction",
                               "Your output equals the reference with the time loop reversed: run it in "
                               "the other direction (a forward pass goes t = 0 .. T-1, a backward pass "
                               "T-1 .. 0).")
    return None


# -- naming: transforms of one output --------------------------------------------------------

_INVERSES = {
    "tanh": (np.tanh, lambda y: np.arctanh(y) if np.all(np.abs(y) < 1 - 1e-9) else None),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)),
                lambda y: np.log(y / (1 - y)) if np.all((y > 1e-9) & (y < 1 - 1e-9)) else None),
    "exp": (np.exp, lambda y: np.log(y) if np.all(y > 1e-12) else None),
    "relu": (lambda a: np.maximum(a, 0), lambda y: None),
    "identity": (lambda a: a, lambda y: y),
}


def _factor_words(k: float, sizes: dict) -> str:
    if abs(k + 1) < 1e-6:
        return "the sign is flipped (off by a factor -1)"
    for letter, n in sizes.items():
        if isinstance(n, (int, np.integer)) and n > 1:
            if abs(k - n) < 1e-6 * n:
                return f"off by a factor {letter} = {n} (a sum where a mean belongs, or a size multiplied in)"
            if abs(k - 1 / n) < 1e-6 / n:
                return f"off by a factor 1/{letter} = 1/{n} (a mean where a sum belongs, or divided by {letter})"
    return f"off by a constant factor {k:.4g}"


def _diagnose_output(ex, oname, contract, got, want, sizes, inputs):
    """A Finding for one differing output, from transforms of the reference output."""
    t = time_axis(contract)
    if got.shape == want.shape:
        if t is not None and want.shape[t] > 1:
            late, early = [slice(None)] * want.ndim, [slice(None)] * want.ndim
            late[t], early[t] = slice(1, None), slice(None, -1)
            if _near(got[tuple(late)], want[tuple(early)], ex):
                return Finding(f"{oname} shifted one step late",
                               f"{oname}[:, t] holds the reference's value of step t-1 (one step late): "
                               f"store what step t produces at index t, not what entered it.")
            if _near(got[tuple(early)], want[tuple(late)], ex):
                return Finding(f"{oname} shifted one step early",
                               f"{oname}[:, t] holds the reference's value of step t+1 (one step early): "
                               f"the loop reads or stores one step ahead.")
            if _near(got, np.flip(want, t), ex):
                return Finding(f"{oname} reversed in time",
                               f"{oname} is the reference reversed in time: index t must hold step t "
                               f"(t = 0 first).")
        scale = float(np.vdot(want, want))
        if scale > 0:
            k = float(np.vdot(got, want)) / scale
            if abs(k - 1) > 1e-6 and abs(k) > 1e-12 and _near(got, k * want, ex):
                return Finding(f"{oname} off by a constant factor",
                               f"{oname} is the reference times {k:.4g}: {_factor_words(k, sizes)}. "
                               f"Look for a constant or a size you multiply or divide by.")
        if want.ndim >= 1 and want.size > want.shape[-1]:
            diff = (got - want).reshape(-1, want.shape[-1])                    # (rows, last)
            if _near(diff, np.broadcast_to(diff[:1], diff.shape), ex) and np.abs(diff).max() > ex.atol:
                for a in _arrays(inputs):
                    v = inputs[a]
                    if v.ndim == 1 and v.shape == diff[0].shape:
                        for sign, words in ((1, "added once too often"), (-1, "missing")):
                            if _near(diff[0], sign * v, ex):
                                return Finding(f"bias {a} {words}",
                                               f"{oname} differs from the reference by {'+' if sign > 0 else '-'}"
                                               f"{a} in every row: the bias {a} is {words}.")
                return Finding(f"{oname} off by a constant row",
                               f"{oname} differs from the reference by the same vector in every row: a term "
                               f"that does not depend on the row (a bias or a constant) is missing or extra.")
        if want.ndim == 2 and want.shape[0] == want.shape[1] and _near(got, want.T, ex):
            return Finding(f"{oname} transposed", f"{oname} is the transpose of the reference: "
                                                  f"swap the operands of its product (or drop a .T).")
        for name, (f, f_inv) in _INVERSES.items():
            pre = f_inv(want)
            if pre is None:
                continue
            for other, (g, _) in _INVERSES.items():
                if other != name:
                    with np.errstate(all="ignore"):
                        if _near(got, g(pre), ex):
                            return Finding(f"{other} instead of {name} on {oname}",
                                           f"{oname} equals the reference with {other} applied where {name} "
                                           f"belongs (the last nonlinearity before {oname}).")
        a, count = block_axis(contract)
        if a is not None and want.shape[a] % count == 0:
            width = want.shape[a] // count
            blocks_w = np.split(want, count, axis=a)
            blocks_g = np.split(got, count, axis=a)
            perm = []
            for bg in blocks_g:
                match = [j for j, bw in enumerate(blocks_w) if _near(bg, bw, ex)]
                perm.append(match[0] if match else None)
            if None not in perm and sorted(perm) == list(range(count)) and width:
                names = _gate_names(ex, count)
                order = ", ".join(names[j] for j in perm)
                return Finding(f"{oname} gate blocks in the wrong order",
                               f"the column blocks of {oname} are in the order {order}; the layout is "
                               f"[{' | '.join(names)}]: concatenate the gates in that order.")
        if want.ndim >= 1 and want.shape[-1] > 3:
            L = want.shape[-1]
            for a in range(2, L // 2 + 1):
                if L % a == 0:
                    swapped = np.swapaxes(want.reshape(want.shape[:-1] + (a, L // a)), -1, -2).reshape(want.shape)
                    if _near(got, swapped, ex):
                        return Finding(f"{oname} last axis scrambled by a reshape",
                                       f"the entries along the last axis of {oname} are ordered as ({L // a}, {a}) "
                                       f"where the reference has ({a}, {L // a}): a reshape of a transposed block "
                                       f"(or a transpose before a reshape) mixed the two; reshape the block "
                                       f"as it is, without swapping its axes.")
        if want.size > 1:
            for p in itertools.permutations(range(want.ndim)):
                if list(p) == sorted(p):
                    continue
                shape = tuple(want.shape[k] for k in p)
                if shape != want.shape and _near(got, want.transpose(p).reshape(want.shape), ex):
                    return Finding(f"{oname} axes scrambled by a reshape",
                                   f"{oname} has the right shape but its entries are the reference's with the "
                                   f"axes reordered and then reshaped: reshape does not move axes; use "
                                   f"np.transpose / np.swapaxes (or index the right axis).")
        return None
    # wrong shape: axes permuted, transposed, or not reduced
    if got.ndim == want.ndim and sorted(got.shape) == sorted(want.shape):
        for p in itertools.permutations(range(want.ndim)):
            if tuple(want.shape[k] for k in p) == got.shape and _near(got, want.transpose(p), ex):
                what = "transposed" if want.ndim == 2 else f"with its axes in the order {p}"
                return Finding(f"{oname} transposed" if want.ndim == 2 else f"{oname} axes permuted",
                               f"{oname} is the reference {what}: its shape must be "
                               f"{tuple(contract)} = {want.shape}; check the operand order (x.T @ d, not d.T @ x) "
                               f"or the axes.")
    if got.ndim > want.ndim:
        for axis in range(got.ndim):
            with np.errstate(all="ignore"):
                reduced = got.sum(axis=axis)
            if reduced.shape == want.shape and _near(reduced, want, ex):
                return Finding(f"{oname} not summed over axis {axis}",
                               f"{oname} keeps axis {axis} (size {got.shape[axis]}); the reference sums over "
                               f"it: add .sum(axis={axis}).")
            if reduced.shape == want.shape and _near(reduced / got.shape[axis], want, ex):
                return Finding(f"{oname} averaged over axis {axis} too late",
                               f"{oname} keeps axis {axis}; its mean over that axis is the reference.")
    if got.ndim < want.ndim:
        for axis in range(want.ndim):
            with np.errstate(all="ignore"):
                if got.shape == want.sum(axis=axis).shape:
                    if _near(got, want.sum(axis=axis), ex):
                        return Finding(f"{oname} summed over axis {axis}",
                                       f"{oname} is the reference summed over axis {axis}: keep that axis "
                                       f"(check axis= and keepdims).")
                    if _near(got, want.mean(axis=axis), ex):
                        return Finding(f"{oname} averaged over axis {axis}",
                                       f"{oname} is the reference averaged over axis {axis}: keep that axis "
                                       f"(check axis= and keepdims).")
    return None


def _swapped_outputs(ex, outs, want):
    names = list(ex.outputs)
    for i, j in itertools.combinations(range(len(outs)), 2):
        if want[i].shape == want[j].shape and _near(outs[i], want[j], ex) and _near(outs[j], want[i], ex):
            return Finding(f"{names[i]} and {names[j]} swapped",
                           f"You return {names[j]} where {names[i]} belongs and the other way round: "
                           f"return them in the order ({', '.join(names)}).")
    return None


def diagnose(ex, inputs: dict, outs: tuple, sizes: dict | None = None) -> Finding | None:
    """A :class:`Finding` naming how ``outs`` differ from the reference on ``inputs``, or None."""
    want = _reference(ex, inputs)
    if want is None or len(want) != len(outs):
        return None
    swapped = _swapped_outputs(ex, outs, want)
    if swapped:
        return swapped
    found = _diagnose_inputs(ex, inputs, outs)
    if found:
        return found
    sizes = dict(sizes or {})
    findings = []
    for (oname, contract), got, w in zip(ex.outputs.items(), outs, want):
        if got.shape == w.shape and close(got, w, ex.rtol, ex.atol):
            continue
        with np.errstate(all="ignore"):
            f = _diagnose_output(ex, oname, contract, got, w, sizes, inputs)
        if f is None:
            return None
        findings.append(f)
    if not findings:
        return None
    if len(findings) == 1:
        return findings[0]
    return Finding("; ".join(f.name for f in findings), " ".join(f.hint for f in findings))


# -- localising ------------------------------------------------------------------------------

def locate(ex, inputs: dict, outs: tuple) -> str:
    """A ``Where:`` sentence: the outputs that differ, and for the first, the step, block, rows."""
    want = _reference(ex, inputs)
    if want is None or len(want) != len(outs):
        return ""
    names = list(ex.outputs)
    bad = [k for k, (o, w) in enumerate(zip(outs, want)) if not close(o, w, ex.rtol, ex.atol)]
    if not bad:
        return ""
    parts = []
    good = [names[k] for k in range(len(outs)) if k not in bad]
    if len(outs) > 1:
        parts.append(f"{', '.join(names[k] for k in bad)} differ{'s' if len(bad) == 1 else ''}"
                     + (f"; {', '.join(good)} match{'es' if len(good) == 1 else ''}" if good else ""))
    k = bad[0]
    got, w, contract = outs[k], want[k], tuple(ex.outputs[names[k]])
    if got.shape != w.shape:
        return "Where: " + "; ".join(parts + [f"{names[k]} has the wrong shape"]) + "."
    with np.errstate(invalid="ignore"):
        wrong = ~(np.abs(got - w) <= ex.atol + ex.rtol * np.abs(w))
    t = time_axis(contract)
    if t is not None and w.shape[t] > 1:
        per_step = wrong.any(axis=tuple(a for a in range(w.ndim) if a != t))
        steps = np.flatnonzero(per_step)
        first, last = int(steps[0]), int(steps[-1])
        text = f"{names[k]} first differs at time step {first}"
        text += f" (steps 0 to {first - 1} match)" if first > 0 else ""
        if last < w.shape[t] - 1 or first > 0:
            text += f"; differing steps {first} to {last} of 0 to {w.shape[t] - 1}"
        sl = [slice(None)] * w.ndim
        sl[t] = first
        for delta, words in ((-1, "the reference one step earlier (t-1)"), (1, "the reference one step later (t+1)")):
            if 0 <= first + delta < w.shape[t]:
                sl2 = list(sl)
                sl2[t] = first + delta
                if _near(got[tuple(sl)], w[tuple(sl2)], ex):
                    text += f"; your value at step {first} equals {words}"
        parts.append(text)
    a, count = block_axis(contract)
    if a is not None and w.shape[a] % count == 0:
        per_block = [bool(b.any()) for b in np.split(wrong, count, axis=a)]
        gates = _gate_names(ex, count)
        which = [f"{gates[j]} (columns {_cols(j, count)})" for j, b in enumerate(per_block) if b]
        if len(which) < count:
            parts.append(f"in {names[k]} only the gate block{'s' if len(which) > 1 else ''} "
                         f"{', '.join(which)} differ{'s' if len(which) == 1 else ''}")
        else:
            parts.append(f"in {names[k]} every gate block differs")
    if w.ndim >= 2 and w.shape[0] > 1:
        rows = np.flatnonzero(wrong.reshape(w.shape[0], -1).any(axis=1))
        if len(rows) < w.shape[0]:
            parts.append(f"only rows {[int(r) for r in rows]} of {names[k]} (batch index) differ")
    if len(parts) == (1 if len(outs) > 1 else 0):
        cells = int(wrong.sum())
        parts.append(f"{cells} of {w.size} entries of {names[k]} differ")
    return "Where: " + "; ".join(parts) + "."


# -- naming: one edit away from the textbook formula ----------------------------------------

_COMPILED: dict = {}
_OUTPUTS: dict = {}
_OUTPUTS_LIMIT = 64


def _formula_mutants(ex) -> list:
    """[(Mutant, function)] for the exercise's formula, compiled once per exercise."""
    if ex.name not in _COMPILED:
        import inspect
        import textwrap

        from .mutants.operators import mutants

        fn = ex.formula
        source = textwrap.dedent(inspect.getsource(fn))
        arrays = ()  # an in-place write is caught before any diagnosis
        compiled = []
        for m in mutants(source, fn.__name__, arrays):
            space = dict(fn.__globals__)
            try:
                exec(compile(m.source, f"<{ex.name} formula>", "exec"), space)
            except Exception:
                continue
            compiled.append((m, space[fn.__name__]))
        _COMPILED[ex.name] = compiled
    return _COMPILED[ex.name]


def _key(ex, inputs: dict) -> tuple:
    return (ex.name,) + tuple((k, v.tobytes() if isinstance(v, np.ndarray) else repr(v)) for k, v in inputs.items())


def _mutant_outputs(ex, inputs: dict) -> list:
    """[(Mutant, outputs tuple or None)] of every formula mutant on ``inputs`` (cached)."""
    key = _key(ex, inputs)
    if key not in _OUTPUTS:
        single = len(ex.outputs) == 1
        results = []
        for m, fn in _formula_mutants(ex):
            try:
                with np.errstate(all="ignore"):
                    raw = fn(**{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()})
                raw = (raw,) if single else tuple(raw)
                results.append((m, tuple(np.asarray(r, dtype=np.float64) for r in raw)))
            except Exception:
                results.append((m, None))
        if len(_OUTPUTS) >= _OUTPUTS_LIMIT:
            _OUTPUTS.pop(next(iter(_OUTPUTS)))
        _OUTPUTS[key] = results
    return _OUTPUTS[key]


def _learner_words(description: str) -> str:
    return description.replace("ref.", "").replace("np.", "np.")


def one_edit(ex, inputs: dict, outs: tuple, sizes: dict | None = None) -> Finding | None:
    """A :class:`Finding` when ``outs`` equal the exercise's textbook formula with exactly one
    edit (a term or factor dropped, an operand transposed, operands swapped, another
    nonlinearity, a time index shifted, a loop reversed, another axis, ``=`` for ``+=``, a
    constant dropped or changed), or None. Needs :attr:`Exercise.formula`."""
    if getattr(ex, "formula", None) is None:
        return None
    for m, wrong in _mutant_outputs(ex, inputs):
        if wrong is None or len(wrong) != len(outs):
            continue
        if all(_close(o, w, ex) for o, w in zip(outs, wrong)):
            words = _learner_words(m.description)
            return Finding(words, f"Your answer equals the textbook formula with one change: {words}"
                                  f"{_category_hint(m.category)}")
    return None


_HINTS = {
    "term": " (a term is missing: add it back).",
    "factor": " (a factor is missing: multiply it back in).",
    "transpose": " (an operand is transposed, or a needed transpose is missing).",
    "swap": " (two operands or arguments are in the wrong order).",
    "nonlinearity": " (the wrong nonlinearity).",
    "time": " (a time index is off by one step).",
    "reverse": " (the loop runs in the wrong direction).",
    "axis": " (the wrong axis, or keepdims).",
    "accumulate": " (use += to accumulate over the steps; = keeps only the last one).",
    "constant": " (a constant is dropped or wrong).",
    "inplace": " (an argument is modified in place).",
}


def _category_hint(category: str) -> str:
    return _HINTS.get(category, ".")


# -- naming: entries never written -------------------------------------------------------------

def unwritten(ex, student_fn, inputs: dict, outs: tuple) -> Finding | None:
    """A :class:`Finding` when the answer leaves entries unwritten (``np.empty`` keeps whatever
    was in memory): called again after memory of the outputs' sizes was filled with NaN, some
    entries change. Names the output and the time steps (or entries) concerned."""
    if student_fn is None:
        return None
    # memory of the outputs' sizes filled with NaN and freed just before the call: the
    # copies of the inputs and np.empty in the answer are likely to reuse it
    poison = [np.full(o.shape, np.nan) for o in outs if o.size for _ in range(8)]
    del poison
    again, error = ex.call_student(student_fn, inputs)
    if error or again is None or len(again) != len(outs):
        return None
    names = list(ex.outputs)
    for k, (a, b) in enumerate(zip(outs, again)):
        if a.shape != b.shape or np.array_equal(a, b, equal_nan=True):
            continue
        changed = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        t = time_axis(ex.outputs[names[k]])
        if t is not None and a.ndim > t:
            steps = [int(s) for s in np.flatnonzero(changed.any(axis=tuple(i for i in range(a.ndim) if i != t)))]
            where = f"time step{'s' if len(steps) > 1 else ''} {steps} of {names[k]} {'are' if len(steps) > 1 else 'is'}"
        else:
            where = f"{int(changed.sum())} of {a.size} entries of {names[k]} are"
        return Finding(f"{names[k]}: entries never written",
                       f"{where} missing: never written, so they keep whatever np.empty found in memory (they "
                       f"change from call to call). The loop's range is off by one or more steps: make it cover "
                       f"every step (and start from np.zeros, not np.empty, to see such gaps as zeros). If your function "
                       f"draws random numbers, that is the other way its output changes between calls.")
    return None
