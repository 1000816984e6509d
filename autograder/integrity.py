"""Static integrity scan of a student's code (graded mode).

An exercise forbids some names (always the reference ``rnn_ref`` and the grader; often
``torch.nn.RNN`` and friends, or a whole library). The scan reads the syntax trees of
every cell the student wrote and follows what an exercise's function can reach: its own
body, the module-level code of the cell that answers it, and, transitively, every global
name it uses that student code defines (a helper in another cell together with that
cell's imports and set-up, ``RNN = torch.nn.RNN`` at the top, a patched ``np.tanh``). Names are resolved through imports and aliases
(``import torch.nn as tnn``; ``m = torch.nn``), ``getattr`` with a constant name is read
as an attribute, and code the scan cannot see through -- ``getattr`` with a computed name,
``eval``, ``exec``, ``__import__``, ``globals()``, ``sys.modules`` and the like -- is itself
a reason: the grader does not grade what it cannot inspect.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .exercise import ALWAYS_FORBIDDEN

#: built-ins and attributes that reach code or names the scan cannot read
DYNAMIC_CALLS = ("eval", "exec", "compile", "__import__", "globals", "vars", "breakpoint")
DYNAMIC_ATTRS = ("__dict__", "__getattribute__", "__builtins__", "__globals__", "__code__", "__subclasses__")


@dataclass
class _Cell:
    tree: ast.Module
    owns: tuple


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


class _Program:
    """Aliases, global definitions and module patches of all of a student's cells."""

    def __init__(self, cells: list[_Cell]):
        self.cells = cells
        self.aliases: dict[str, set] = {}    # local name -> dotted paths it may stand for
        self.defs: dict[str, list] = {}      # global name -> nodes that define it
        self.patches: dict[str, list] = {}   # dotted path assigned at module level -> value nodes
        self.cell_code: dict[int, list] = {}  # id(def node) -> its cell's module-level code (no defs)
        for cell in cells:
            loose = [st for st in cell.tree.body if not isinstance(st, _DEFS)]
            for st in cell.tree.body:
                if isinstance(st, _DEFS):
                    self.cell_code[id(st)] = loose
            for node in ast.walk(cell.tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        local = a.asname or a.name.split(".")[0]
                        self.aliases.setdefault(local, set()).add(a.name if a.asname else a.name.split(".")[0])
                elif isinstance(node, ast.ImportFrom) and node.module:
                    for a in node.names:
                        self.aliases.setdefault(a.asname or a.name, set()).add(f"{node.module}.{a.name}")
            for _ in range(3):  # aliases of aliases (m = torch; n = m.nn)
                for node in ast.walk(cell.tree):
                    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                        paths = self.resolve(node.value)
                        if paths:
                            self.aliases.setdefault(node.targets[0].id, set()).update(paths)
            for stmt in cell.tree.body:
                for name in _bound_names(stmt):
                    self.defs.setdefault(name, []).append(stmt)
                if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    for t in targets:
                        if isinstance(t, ast.Attribute):
                            for path in self.resolve(t) or {_dotted(t)}:
                                self.patches.setdefault(path, []).append(stmt)

    def resolve(self, node) -> set:
        """The dotted paths an expression may name (empty when it is not a name)."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            return {f"{p}.{node.args[1].value}" for p in self.resolve(node.args[0])}
        text = _dotted(node)
        if not text:
            return set()
        head, _, rest = text.partition(".")
        bases = self.aliases.get(head, {head})
        return {b + ("." + rest if rest else "") for b in bases}


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _bound_names(stmt) -> list[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names]
    names = []
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.For, ast.With)):
        targets = [stmt.target] if isinstance(stmt, ast.For) else [i.optional_vars for i in stmt.items if i.optional_vars]
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                names.append(n.id)
    return names


def _violates(path: str, banned: tuple) -> str | None:
    for b in banned:
        if path == b or path.startswith(b + "."):
            return b
    return None


def _reasons_in(node, program: _Program, banned: tuple, reach: list) -> set:
    """Reasons found in ``node``; global names it uses are appended to ``reach``."""
    reasons = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Import):
            for a in n.names:
                if _violates(a.name, banned):
                    reasons.add(f"imports {a.name}")
        elif isinstance(n, ast.ImportFrom) and n.module:
            for a in n.names:
                if _violates(f"{n.module}.{a.name}", banned) or _violates(n.module, banned):
                    reasons.add(f"imports from {n.module}")
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            if n.func.id in DYNAMIC_CALLS:
                reasons.add(f"uses {n.func.id}() (code the grader cannot inspect)")
            elif n.func.id in ("getattr", "setattr", "delattr", "hasattr") and len(n.args) >= 2 and not (
                    isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str)):
                reasons.add(f"uses {n.func.id}() with a computed name (code the grader cannot inspect)")
            elif n.func.id == "getattr":
                for path in program.resolve(n):
                    if _violates(path, banned):
                        reasons.add(f"uses {path}")
        elif isinstance(n, ast.Attribute) and n.attr in DYNAMIC_ATTRS:
            reasons.add(f"uses {n.attr} (code the grader cannot inspect)")
        elif isinstance(n, (ast.Attribute, ast.Name)):
            for path in program.resolve(n):
                if _violates(path, banned):
                    reasons.add(f"uses {path}")
                elif path in ("sys.modules", "importlib.import_module", "importlib.__import__", "builtins.__import__"):
                    reasons.add(f"uses {path} (code the grader cannot inspect)")
                if path in program.patches:
                    reach.append(("patch", path))
            if isinstance(n, ast.Name) and n.id in program.defs:
                reach.append(("name", n.id))
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            for b in ALWAYS_FORBIDDEN:
                if b in n.value:
                    reasons.add(f"mentions {b!r} in a string")
    return reasons


def scan_program(cells: list[tuple[str, tuple]], banned_by_function: dict[str, tuple]) -> dict[str, list[str]]:
    """``{function: reasons}`` for every function whose reachable code breaks its rules.

    Args:
        cells: the student's cells (answers and added cells) as ``(source, owns)``, where
            ``owns`` names the functions a cell answers for.
        banned_by_function: the dotted names each graded function may not use."""
    parsed = []
    for source, owns in cells:
        try:
            parsed.append(_Cell(ast.parse(source), tuple(owns)))
        except (SyntaxError, ValueError, RecursionError):
            continue  # it will fail when run; that is not an integrity matter
    program = _Program(parsed)
    out = {}
    for function, banned in banned_by_function.items():
        banned = tuple(dict.fromkeys(tuple(ALWAYS_FORBIDDEN) + tuple(banned)))
        roots = [stmt for c in parsed if function in c.owns for stmt in c.tree.body]
        roots += program.defs.get(function, [])
        seen_nodes, seen_keys, reasons = set(), set(), set()
        work = list(roots)
        while work:
            node = work.pop()
            if id(node) in seen_nodes:
                continue
            seen_nodes.add(id(node))
            reach = []
            reasons |= _reasons_in(node, program, banned, reach)
            for kind, key in reach:
                if (kind, key) not in seen_keys:
                    seen_keys.add((kind, key))
                    nodes = program.defs.get(key, []) if kind == "name" else program.patches.get(key, [])
                    work += nodes
                    for n in nodes:   # a helper function brings the imports and setup of its cell
                        work += program.cell_code.get(id(n), [])
        if reasons:
            out[function] = sorted(reasons)
    return out


def scan(source: str, forbidden=()) -> list[str]:
    """Reasons one piece of code is not allowed (empty when it is fine): everything in it
    counts, as if it all answered for one function."""
    return scan_program([(source, ("<code>",))], {"<code>": tuple(forbidden)}).get("<code>", [])
