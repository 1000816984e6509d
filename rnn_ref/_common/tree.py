"""Parameter trees: nested dicts / lists of arrays, walked in one place.

A model is a tree (``{"encoder": {"W_x": ...}, "W_out": ...}``, or a list of layer
dicts); the optimizers and the gradient clippers see it as a flat list of leaves, each
with a path such as ``("encoder", "W_x")`` and a label such as ``grads['encoder']['W_x']``
for error messages.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["leaves", "label", "rebuild"]


def label(name: str, path: tuple) -> str:
    """``name`` followed by one ``[key]`` per step of ``path``."""
    return name + "".join(f"[{key!r}]" for key in path)


def leaves(tree, path: tuple = ()) -> list:
    """The ``(path, leaf)`` pairs of ``tree`` in a fixed order (dict order, list order).

    A leaf is anything that is neither a mapping nor a list/tuple (``None`` included).
    """
    if isinstance(tree, Mapping):
        out = []
        for key, value in tree.items():
            out += leaves(value, path + (key,))
        return out
    if isinstance(tree, (list, tuple)):
        out = []
        for i, value in enumerate(tree):
            out += leaves(value, path + (i,))
        return out
    return [(path, tree)]


def rebuild(tree, fn, path: tuple = ()):
    """A tree shaped like ``tree`` whose leaves are ``fn(path, leaf)``."""
    if isinstance(tree, Mapping):
        return {key: rebuild(value, fn, path + (key,)) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        items = [rebuild(value, fn, path + (i,)) for i, value in enumerate(tree)]
        return items if isinstance(tree, list) else tuple(items)
    return fn(path, tree)
