"""Static integrity scan of a student's answer cell (graded mode).

An answer that imports or calls the reference (``rnn_ref``), the grader, or a name an
exercise forbids (for example ``torch.nn.RNN`` where the student must write the
recurrence) earns zero for the exercises it defines. The scan reads the code's syntax
tree: imports, dotted names, and string constants (which catches
``__import__("rnn_" + "ref")`` only partly: the sandbox also refuses the import and
hides the folders at run time).
"""

from __future__ import annotations

import ast

from .exercise import ALWAYS_FORBIDDEN


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def scan(source: str, forbidden=()) -> list[str]:
    """Reasons this code is not allowed (empty when it is fine)."""
    banned = tuple(ALWAYS_FORBIDDEN) + tuple(forbidden)
    reasons = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return reasons  # it will fail when run; that is not an integrity matter
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                for b in banned:
                    if alias.name == b or alias.name.startswith(b + "."):
                        reasons.append(f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for b in banned:
                full = [f"{node.module}.{a.name}" for a in node.names]
                if node.module == b or node.module.startswith(b + ".") or any(f == b for f in full):
                    reasons.append(f"imports from {node.module}")
        elif isinstance(node, (ast.Attribute, ast.Name)):
            name = _dotted(node)
            for b in banned:
                if name and "." in b and (name == b or b.endswith("." + name) and name.count(".") >= 1):
                    reasons.append(f"uses {name}")
                elif name.split(".")[0] == b:
                    reasons.append(f"uses {b}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for b in ALWAYS_FORBIDDEN:
                if b in node.value:
                    reasons.append(f"mentions {b!r} in a string")
    return sorted(set(reasons))
