"""A graded class's bundle: everything students need and no answer.

``python -m autograder release --class DIR`` writes::

    DIR/README.md                       how students install and use it
    DIR/notebooks/<chapter>/...         the released notebooks (course/), as students get them
    DIR/package/                        a pip-installable source tree (pyproject.toml):
        autograder/__init__.py          ``check`` only, fixture-based (autograder.student)
        autograder/student/__init__.py  the fixture engine
        autograder/{compare,guidance,result}.py   comparison and messages (no answers)
        autograder/fixtures/<ch>.json|.npz        the visible checks' cases (see below)
        coursekit/                      datasets and demo helpers (no answers)
    DIR/dist/rnn_course_class-<v>-py3-none-any.whl   the same package as a wheel

A fixture holds, for each *visible* check of a released notebook, the inputs of every
case, the expected outputs and each catalogued mistake's outputs, computed here by the
full checks (rnn_ref inside). Not shipped: solutions/, rnn_ref/, autograder/checks/, the
grader, hidden tests or their inputs. The notebooks keep ``from autograder import check``:
the student package *is* ``autograder`` for them, with only ``check`` inside.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import shutil
import zipfile

import numpy as np

from .progress import Progress

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_NAME = "rnn-course-class"
#: modules of this package that the student package carries as they are (no answers)
SHIPPED_MODULES = ("calling.py", "compare.py", "guidance.py", "result.py")
#: what the student package needs at run time (the notebooks' demo cells need the rest)
REQUIRES = ("numpy>=1.24", "matplotlib>=3.7", "torch>=2.2")


def visible_checks(notebook_path: str) -> list[str]:
    """Names of the checks a notebook's code cells call without ``hidden=True``, in order."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "check(" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                hidden = [k for k in node.keywords if k.arg == "hidden"]
                if hidden and not (isinstance(hidden[0].value, ast.Constant) and hidden[0].value.value is False):
                    continue
                if node.args[0].value not in names:
                    names.append(node.args[0].value)
    return names


def _plain(value, what: str):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    raise ValueError(f"{what}: expected an array or a plain number, got {type(value).__name__} "
                     "(the bundle cannot store it)")


class _Fixtures:
    """Case sets of one chapter, keyed by exercise and seed, with their arrays."""

    def __init__(self, chapter: str):
        self.chapter = chapter
        self.checks: dict[str, dict] = {}
        self.sets: dict[str, dict] = {}
        self.arrays: dict[str, np.ndarray] = {}

    def add_check(self, check_name: str) -> None:
        from .registry import seed_for, split_name

        prefix, kind = split_name(check_name)
        self.checks[check_name] = {"kind": kind, "set": self.add_set(prefix, seed_for(check_name, False))}

    def add_set(self, prefix: str, seed: int) -> str:
        """The case set of exercise ``prefix`` at ``seed`` (and of the functions it calls,
        at the same seed, as the full check draws them); returns its key."""
        from .calling import copy_inputs as _copy
        from .registry import exercise, exercise_for_function

        key = f"{prefix}@{seed}"
        if key in self.sets:
            return key
        ex = exercise(prefix)
        self.sets[key] = {}  # reserved: a dependency cycle stops here
        deps = []
        for dep_name in ex.depends_on:
            dep = exercise_for_function(self.chapter, dep_name)
            if dep is not None:
                deps.append([dep_name, self.add_set(dep.name, seed)])
        n_outputs = {"out": len(ex.outputs)}
        scalars = []
        for i, inputs in enumerate(ex.draw_cases(seed)):
            plain = {}
            for arg in ex.args:
                value = inputs[arg]
                if isinstance(value, np.ndarray):
                    self.arrays[f"{key}|{i}|in|{arg}"] = value
                else:
                    plain[arg] = _plain(value, f"{prefix} input {arg}")
            scalars.append(plain)
            for k, out in enumerate(ex.expected(inputs)):
                self.arrays[f"{key}|{i}|out|{k}"] = out
            parts = [(f"m{j}", m) for j, m in enumerate(ex.mistakes)]
            if ex.overflow is not None:
                parts.append(("ov", ex.overflow))
            for part, mistake in parts:
                try:
                    with np.errstate(all="ignore"):
                        wrong = mistake.compute(**_copy(inputs))
                except Exception:
                    wrong = None
                if wrong is None:
                    continue
                wrong = tuple(np.asarray(w, dtype=np.float64) for w in wrong)
                n_outputs[part] = len(wrong)
                for k, w in enumerate(wrong):
                    self.arrays[f"{key}|{i}|{part}|{k}"] = w
        self.sets[key] = {
            "exercise": ex.name, "function": ex.function, "args": list(ex.args),
            "outputs": [[o, list(c)] for o, c in ex.outputs.items()],
            "cases": [dict(c) for c in ex.cases], "scalars": scalars,
            "rtol": ex.rtol, "atol": ex.atol, "depends_on": deps, "n_outputs": n_outputs,
            "mistakes": [{"name": m.name, "hint": m.hint} for m in ex.mistakes],
            "overflow": {"name": ex.overflow.name, "hint": ex.overflow.hint} if ex.overflow else None,
        }
        return key

    def write(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{self.chapter}.json"), "w") as f:
            json.dump({"chapter": self.chapter, "checks": self.checks, "sets": self.sets}, f, indent=1, sort_keys=True)
        np.savez_compressed(os.path.join(folder, f"{self.chapter}.npz"), **self.arrays)


def build_fixtures(course: str, folder: str, chapters: list[str] | None = None, *,
                   progress: bool | None = None) -> dict[str, list[str]]:
    """Fixtures of every visible check in the released notebooks under ``course``;
    returns ``{chapter prefix: [check names]}``."""
    found: dict[str, list[str]] = {}
    chapters = chapters or sorted(d for d in os.listdir(course) if os.path.isdir(os.path.join(course, d))
                                  and not d.startswith("."))
    with Progress("fixtures", len(chapters), show=progress) as bar:
        for chapter in chapters:
            by_prefix: dict[str, _Fixtures] = {}
            for nb in sorted(f for f in os.listdir(os.path.join(course, chapter)) if f.endswith(".ipynb")):
                for name in visible_checks(os.path.join(course, chapter, nb)):
                    prefix = name.split(".")[0]
                    by_prefix.setdefault(prefix, _Fixtures(prefix)).add_check(name)
                    found.setdefault(prefix, []).append(name)
            for fixtures in by_prefix.values():
                fixtures.write(folder)
            bar.step(chapter)
    return found


# -- the package -------------------------------------------------------------------------------

INIT = '''"""autograder, class edition: ``check`` for the course notebooks, and nothing else.

``check(name, fn)`` runs a visible check from precomputed fixtures (see
``autograder.student``). Hidden tests run only in the instructor's grader.
"""

from .student import CheckFailed, check

__all__ = ["check", "CheckFailed"]
'''

PYPROJECT = '''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "Student package of the RNN course: the notebooks' check() from fixtures, and coursekit."
requires-python = ">=3.10"
dependencies = [{requires}]

[tool.setuptools.packages.find]
include = ["autograder*", "coursekit*"]

[tool.setuptools.package-data]
autograder = ["fixtures/*"]
coursekit = ["data/*"]
'''

README = """# RNN course: class bundle ({version})

For students of a graded class. It holds the released notebooks and a small package:
`autograder` (with only `check`, working from precomputed test data) and `coursekit`
(datasets and helpers for the demonstration cells). It contains no solutions.

Install the package into the Python environment your Jupyter kernel uses, then open the
notebooks:

    pip install dist/{wheel}        # or: pip install ./package
    jupyter lab notebooks/

Each exercise's visible tests tell you whether your function is right and, for the
typical mistakes the course knows, which mistake it is. Hidden tests run only when your
instructor grades the submission.
"""


def _copy_tree(src: str, dst: str) -> list[str]:
    """Copy the files of ``src`` (no caches, no hidden files) to ``dst``; return them."""
    copied = []
    for folder, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src)
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy2(os.path.join(folder, name), os.path.join(dst, rel))
            copied.append(rel)
    return copied


def _wheel(package: str, dist: str, name: str, version: str) -> str:
    """A pure-Python wheel of ``package`` (its autograder/ and coursekit/), written directly."""
    dist_name = name.replace("-", "_")
    info = f"{dist_name}-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    for top in ("autograder", "coursekit"):
        for folder, dirs, names in os.walk(os.path.join(package, top)):
            dirs.sort()
            for n in sorted(names):
                path = os.path.join(folder, n)
                with open(path, "rb") as f:
                    files.append((os.path.relpath(path, package).replace(os.sep, "/"), f.read()))
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", "Requires-Python: >=3.10"]
    meta += [f"Requires-Dist: {r}" for r in REQUIRES]
    files.append((f"{info}/METADATA", ("\n".join(meta) + "\n").encode()))
    files.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: autograder.bundle\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    record = []
    for path, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    os.makedirs(dist, exist_ok=True)
    wheel = os.path.join(dist, f"{dist_name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files:
            entry = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            z.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return wheel


def build_class_bundle(root: str, out: str, *, progress: bool | None = None) -> dict:
    """Write the class bundle of the course at ``root`` into ``out`` (a new or empty folder).

    Returns ``{"notebooks": [...], "checks": {chapter: [...]}, "wheel": path}``.
    """
    course = os.path.join(root, "course")
    if not os.path.isdir(course):
        raise ValueError(f"root: expected a course with released notebooks in course/, got {root!r}")
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise ValueError(f"class: expected a new or empty folder, got {out!r} (not empty; "
                         "the bundle is never written over existing files)")
    from importlib.metadata import PackageNotFoundError, version as dist_version

    try:
        version = dist_version("rnn-course")
    except PackageNotFoundError:
        version = "0.0.0"
    notebooks = _copy_tree(course, os.path.join(out, "notebooks"))
    package = os.path.join(out, "package")
    pkg = os.path.join(package, "autograder")
    os.makedirs(os.path.join(pkg, "student"))
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write(INIT)
    shutil.copy2(os.path.join(HERE, "student", "__init__.py"), os.path.join(pkg, "student", "__init__.py"))
    for module in SHIPPED_MODULES:
        shutil.copy2(os.path.join(HERE, module), os.path.join(pkg, module))
    checks = build_fixtures(course, os.path.join(pkg, "fixtures"), progress=progress)
    kit = os.path.join(root, "coursekit")
    if not os.path.isdir(kit):
        kit = os.path.join(os.path.dirname(HERE), "coursekit")
    _copy_tree(kit, os.path.join(package, "coursekit"))
    with open(os.path.join(package, "pyproject.toml"), "w") as f:
        f.write(PYPROJECT.format(name=PACKAGE_NAME, version=version,
                                 requires=", ".join(f'"{r}"' for r in REQUIRES)))
    wheel = _wheel(package, os.path.join(out, "dist"), PACKAGE_NAME, version)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(README.format(version=version, wheel=os.path.basename(wheel)))
    return {"notebooks": notebooks, "checks": checks, "wheel": wheel}
