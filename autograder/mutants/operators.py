"""Syntax-tree mutation operators: every small edit a learner's answer may differ by.

:func:`mutants` takes the source of one function (a reference answer) and yields
:class:`Mutant` records, each the whole function rewritten with exactly one edit:

=================  ==========================================================================
category           edit
=================  ==========================================================================
``term``           drop one additive term (``a + b`` -> ``a``, ``b``; ``a - b`` -> ``a``, ``-b``)
``factor``         drop one multiplicative factor (``a * b``, ``a / b`` -> ``a`` or ``b``)
``transpose``      transpose one operand of ``@`` (or remove a ``.T`` that is there)
``swap``           swap the operands of a non-commutative operator, or two arguments of a call
``nonlinearity``   replace tanh / sigmoid / exp / relu / identity by another
``time``           shift a loop-variable index by +-1 (``x[:, t]`` -> ``x[:, t - 1]``)
``reverse``        run a ``for`` loop in the other direction
``axis``           change an ``axis=`` value or flip ``keepdims``
``accumulate``     turn ``+=`` into ``=``
``constant``       drop a numeric constant (to 0) or change it (x2, or +-1 for a power)
``inplace``        write into an argument in place before using it
=================  ==========================================================================

The edits are syntactic: some mutants crash, some are equivalent to the reference (an
``axis=-1`` that is ``axis=2``); :mod:`autograder.mutants.analysis` sorts them out by
running them.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

#: nonlinearities as expression builders of their argument's source text
NONLINEAR = {
    "tanh": "np.tanh({})",
    "sigmoid": "(1 / (1 + np.exp(-({}))))",
    "exp": "np.exp({})",
    "relu": "np.maximum({}, 0)",
    "identity": "({})",
}


@dataclass(frozen=True)
class Mutant:
    """One single-edit variant of a function.

    Attributes:
        category: the operator's category (see the module docstring).
        description: the edit in words, with the source text it changed.
        source: the whole mutated function's source.
        line: the line of the function (1-based) the edit is on.
        names: identifiers in the edited expression (the operands a message can name).
    """

    category: str
    description: str
    source: str
    line: int
    names: tuple


def _names(node) -> tuple:
    return tuple(sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {"np"}))


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _nonlinearity(node) -> tuple[str, ast.expr] | None:
    """(kind, argument) when ``node`` computes tanh, sigmoid, exp or relu of one argument."""
    if isinstance(node, ast.Call) and len(node.args) >= 1:
        fn = ast.unparse(node.func)
        if fn in ("np.tanh", "numpy.tanh") and len(node.args) == 1:
            return "tanh", node.args[0]
        if fn in ("np.exp", "numpy.exp") and len(node.args) == 1:
            return "exp", node.args[0]
        if fn == "sigmoid" and len(node.args) == 1:
            return "sigmoid", node.args[0]
        if fn in ("np.maximum",) and len(node.args) == 2 and ast.unparse(node.args[1]) in ("0", "0.0"):
            return "relu", node.args[0]
    # 1 / (1 + np.exp(-a))
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and ast.unparse(node.left) in ("1", "1.0")
            and isinstance(node.right, ast.BinOp) and isinstance(node.right.op, ast.Add)
            and isinstance(node.right.right, ast.Call) and ast.unparse(node.right.right.func) == "np.exp"
            and isinstance(node.right.right.args[0], ast.UnaryOp)
            and isinstance(node.right.right.args[0].op, ast.USub)):
        return "sigmoid", node.right.right.args[0].operand
    return None


class _Sites(ast.NodeVisitor):
    """Collects (path to a node, node) for every place an operator applies."""

    def __init__(self):
        self.nodes = []

    def generic_visit(self, node):
        self.nodes.append(node)
        super().generic_visit(node)


def _loop_vars(fn: ast.FunctionDef) -> set:
    out = set()
    for node in ast.walk(fn):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) is False:
            pass
    return out


def _edits(fn: ast.FunctionDef, node, loop_vars: set, args: list):
    """(category, description, replacement node or callable editing a copy) for one node."""
    src = lambda n: ast.unparse(n)  # noqa: E731
    if isinstance(node, ast.BinOp):
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            yield "term", f"dropped the term {src(node.right)} from {src(node)}", node.left, node.right
            left_only = node.right if isinstance(op, ast.Add) else ast.UnaryOp(ast.USub(), node.right)
            yield "term", f"dropped the term {src(node.left)} from {src(node)}", left_only, node.left
        if isinstance(op, (ast.Mult, ast.Div)):
            yield "factor", f"dropped the factor {src(node.right)} from {src(node)}", node.left, node.right
            if isinstance(op, ast.Mult):
                yield "factor", f"dropped the factor {src(node.left)} from {src(node)}", node.right, node.left
        if isinstance(op, ast.MatMult):
            for side in ("left", "right"):
                operand = getattr(node, side)
                if isinstance(operand, ast.Attribute) and operand.attr == "T":
                    new = copy.copy(node)
                    setattr(new, side, operand.value)
                    yield "transpose", f"removed the transpose in {src(operand)} in {src(node)}", new, operand
                else:
                    new = copy.copy(node)
                    setattr(new, side, ast.Attribute(operand, "T", ast.Load()))
                    yield "transpose", f"transposed {src(operand)} in {src(node)}", new, operand
        if isinstance(op, (ast.Sub, ast.Div, ast.MatMult, ast.Pow)) and src(node.left) != src(node.right):
            yield "swap", f"swapped the operands of {src(node)}", ast.BinOp(node.right, op, node.left), node
    if isinstance(node, ast.Call):
        kind = _nonlinearity(node)
        if kind:
            name, arg = kind
            for other, template in NONLINEAR.items():
                if other != name:
                    yield ("nonlinearity", f"{other} instead of {name} in {src(node)}",
                           _expr(template.format(src(arg))), node)
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        if len(positional) >= 2 and not kind and src(node.func) not in ("range", "np.arange", "np.zeros",
                                                                        "np.empty", "np.ones", "np.full"):
            for i in range(len(positional)):
                for j in range(i + 1, len(positional)):
                    if src(positional[i]) == src(positional[j]):
                        continue
                    new = copy.deepcopy(node)
                    new.args[i], new.args[j] = copy.deepcopy(node.args[j]), copy.deepcopy(node.args[i])
                    yield ("swap", f"swapped the arguments {src(positional[i])} and {src(positional[j])} of "
                           f"{src(node.func)}", new, node)
        for k, kw in enumerate(node.keywords):
            if kw.arg == "axis":
                current = src(kw.value)
                for value in ("0", "1", "-1", "None"):
                    if value != current:
                        new = copy.deepcopy(node)
                        new.keywords[k].value = _expr(value)
                        yield "axis", f"axis={value} instead of axis={current} in {src(node)}", new, node
            if kw.arg == "keepdims":
                new = copy.deepcopy(node)
                new.keywords[k].value = _expr("False" if src(kw.value) == "True" else "True")
                yield "axis", f"keepdims flipped in {src(node)}", new, node
    if isinstance(node, ast.BinOp) and _nonlinearity(node):
        name, arg = _nonlinearity(node)
        for other, template in NONLINEAR.items():
            if other != name:
                yield "nonlinearity", f"{other} instead of {name} in {src(node)}", _expr(template.format(src(arg))), node
    if isinstance(node, ast.Subscript):
        for var in loop_vars:
            if any(isinstance(n, ast.Name) and n.id == var for n in ast.walk(node.slice)):
                for delta in ("+ 1", "- 1"):
                    new = copy.deepcopy(node)
                    new.slice = _ShiftName(var, delta).visit(new.slice)
                    yield "time", f"index {var} {delta} instead of {var} in {src(node)}", new, node
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        v = node.value
        if v != 0:
            yield "constant", f"constant {v!r} dropped (0)", ast.Constant(0 if isinstance(v, int) else 0.0), node
        yield "constant", f"constant {v!r} changed to {v * 2 if v else 1!r}", ast.Constant(v * 2 if v else 1), node
        if isinstance(v, int) and v == 2:
            yield "constant", f"constant {v!r} changed to 3", ast.Constant(3), node


class _ShiftName(ast.NodeTransformer):
    def __init__(self, var, delta):
        self.var, self.delta = var, delta

    def visit_Name(self, node):
        if node.id == self.var:
            return _expr(f"({self.var} {self.delta})")
        return node


class _Replace(ast.NodeTransformer):
    """Replaces the node with a given id() by ``new`` (in a deep copy of the tree)."""

    def __init__(self, target_index, new, order):
        self.target_index, self.new, self.order, self.count = target_index, new, order, 0

    def generic_visit(self, node):
        index = self.order.get(id(node))
        if index == self.target_index:
            return self.new
        return super().generic_visit(node)


def _function(source: str, name: str) -> tuple[ast.Module, ast.FunctionDef]:
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return tree, node
    raise ValueError(f"function: expected a definition of {name!r} in the source, found none")


def mutants(source: str, name: str, array_args: tuple = ()) -> list[Mutant]:
    """Every single-edit mutant of the function ``name`` defined in ``source``.

    ``array_args`` are the arguments that arrive as NumPy arrays (the ``inplace``
    operator writes into each of them). Duplicate sources are reported once.
    """
    tree, fn = _function(source, name)
    body_start = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(
        getattr(fn.body[0], "value", None), ast.Constant) else fn.body
    docstring = fn.body[: len(fn.body) - len(body_start)]
    loop_vars = _loop_vars(fn)
    out, seen = [], {ast.unparse(fn)}

    def emit(category, description, new_fn, line):
        text = ast.unparse(new_fn)
        if text in seen:
            return
        seen.add(text)
        out.append(Mutant(category, description, text + "\n", line, names))

    # node-level edits, on a fresh copy of the function for each edit; the constants of an
    # axis= or keepdims= argument are the axis operator's (which tries every axis)
    sites = [n for n in ast.walk(ast.Module(body=body_start, type_ignores=[]))]
    in_axis = {id(n) for kw in sites if isinstance(kw, ast.keyword) and kw.arg in ("axis", "keepdims")
               for n in ast.walk(kw.value)}
    for index, node in enumerate(sites):
        if isinstance(node, ast.Module) or id(node) in in_axis:
            continue
        for category, description, new, subject in _edits(fn, node, loop_vars, list(fn.args.args)):
            names = _names(subject)
            new_fn = copy.deepcopy(fn)
            new_sites = [n for n in ast.walk(ast.Module(body=new_fn.body[len(docstring):], type_ignores=[]))]
            target = new_sites[index]
            replacement = copy.deepcopy(new)
            parent_swap(new_fn, target, replacement)
            emit(category, description, ast.fix_missing_locations(new_fn), getattr(node, "lineno", fn.lineno) - fn.lineno + 1)
    # statement-level edits
    for index, node in enumerate(sites):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            names = _names(node)
            new_fn = copy.deepcopy(fn)
            target = [n for n in ast.walk(ast.Module(body=new_fn.body[len(docstring):], type_ignores=[]))][index]
            parent_swap(new_fn, target, ast.Assign([target.target], target.value, lineno=target.lineno))
            emit("accumulate", f"'=' instead of '+=' in {ast.unparse(node)}", ast.fix_missing_locations(new_fn),
                 node.lineno - fn.lineno + 1)
        if isinstance(node, ast.For):
            names = _names(node.target)
            new_fn = copy.deepcopy(fn)
            target = [n for n in ast.walk(ast.Module(body=new_fn.body[len(docstring):], type_ignores=[]))][index]
            target.iter = _expr(f"reversed(list({ast.unparse(target.iter)}))")
            emit("reverse", f"loop {ast.unparse(node.target)} run in the other direction ({ast.unparse(node.iter)})",
                 ast.fix_missing_locations(new_fn), node.lineno - fn.lineno + 1)
    for arg in array_args:
        names = (arg,)
        new_fn = copy.deepcopy(fn)
        new_fn.body.insert(len(docstring), ast.parse(f"{arg} *= 2").body[0])
        emit("inplace", f"{arg} doubled in place before use", ast.fix_missing_locations(new_fn), 1)
    return out


def parent_swap(root, target, replacement) -> None:
    """Replace ``target`` (a node inside ``root``) by ``replacement``, in place."""
    for parent in ast.walk(root):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, replacement)
                return
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is target:
                        value[k] = replacement
                        return
    raise ValueError("target: expected a node inside the tree, it is not there")
