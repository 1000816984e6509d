"""Read the trusted notebooks (source and release) and a student's untrusted one.

The *blueprint* of an assignment comes from the source notebook (which test cells
exist, their points, the checks each calls, hidden ones included) and the release
notebook (the cells a student starts from). A submission contributes only its answer
cells (matched by nbgrader ``grade_id``) and the extra code cells the student added;
every test and read-only cell comes from the blueprint, so a deleted, edited or
duplicated test cell changes nothing.
"""

from __future__ import annotations

import ast
import copy
import json
from dataclasses import dataclass, field

import nbformat


@dataclass(frozen=True)
class CheckCall:
    name: str        # "ch02.rnn_forward.values"
    function: str    # "rnn_forward"
    hidden: bool


@dataclass
class TestCell:
    grade_id: str
    points: float
    checks: list


@dataclass
class Blueprint:
    assignment: str
    notebook: str            # file stem, e.g. "ch02_tanh_recurrence"
    release: dict            # the release notebook (nbformat node)
    tests: list              # TestCell, in notebook order
    answers: list            # grade_ids of answer cells, in order

    @property
    def max_score(self) -> float:
        return float(sum(t.points for t in self.tests))


@dataclass
class ProgramCell:
    label: str               # grade_id, "setup", or "extra cell after <id>" / "extra cell at the top"
    source: str
    answer: str | None       # grade_id of the answer cell, None for setup/extra cells
    defines: tuple = ()      # function names defined at top level
    owns: tuple = ()         # functions this cell answers for: its own defs, and for an
                             # answer cell also those of the released stub it replaces
    student: bool = False    # the learner wrote it (an answer or an extra cell)
    after: str | None = None  # extra cells: the release cell's grade_id it follows ("" = top)
    run: bool = True         # False: a cell tagged "demo" (kept in the notebook, not graded)


@dataclass
class Program:
    cells: list
    notes: list = field(default_factory=list)
    missing_answers: list = field(default_factory=list)


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nb = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nb if isinstance(nb, dict) else {}


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def parse_checks(source: str, where: str) -> list:
    """The ``check("name", fn[, hidden=True])`` calls of a trusted test cell."""
    tree = ast.parse(source)
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check":
            if not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Name)):
                raise ValueError(f"{where}: test cells must call check(\"<name>\", <function>[, hidden=True])")
            hidden = any(k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
                         for k in node.keywords)
            calls.append(CheckCall(node.args[0].value, node.args[1].id, hidden))
    if not calls:
        raise ValueError(f"{where}: a test cell must call check(...) at least once")
    return calls


def load_blueprint(source_path: str, release_path: str, assignment: str) -> Blueprint:
    source = nbformat.read(source_path, as_version=4)
    release = nbformat.read(release_path, as_version=4)
    tests, answers = [], []
    for cell in source.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            gid = meta["grade_id"]
            tests.append(TestCell(gid, float(meta.get("points", 0)), parse_checks(_source(cell), gid)))
        elif meta.get("solution") and cell.cell_type == "code":
            answers.append(meta["grade_id"])
    stem = release_path.rsplit("/", 1)[-1][: -len(".ipynb")]
    return Blueprint(assignment, stem, release, tests, answers)


DEMO_TAG = "demo"


def is_demo(cell) -> bool:
    """Cells tagged ``demo`` train, load data or draw: the grader does not run them."""
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    tags = meta.get("tags", []) if isinstance(meta, dict) else []
    return isinstance(tags, list) and DEMO_TAG in tags


def parse_submission(raw: bytes):
    """(notebook dict, None) or (None, why it is invalid). Never raises for bad content."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"the notebook is not valid JSON ({type(exc).__name__}: {str(exc)[:120]})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "the file is JSON but not a notebook (no list of cells)"
    cells = [c for c in data["cells"] if isinstance(c, dict)]
    meta = data.get("metadata", {})
    return {"cells": cells, "metadata": meta if isinstance(meta, dict) else {}}, None


def _defined_functions(source: str) -> tuple:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    return tuple(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def build_program(blueprint: Blueprint, submission: dict) -> Program:
    """The cells to run: trusted setup cells, the student's answers and extra cells.

    Release cells tagged ``demo`` are left out (they train, load data or draw); extra
    cells the student tagged ``demo`` are kept for the autograded notebook but not run.
    An answer cell whose ``grade_id`` was changed is recognised by the functions it
    defines: it is graded in place of the released stub, with a note."""
    notes = []
    answers: dict[str, str] = {}
    extras_after: dict[str, list] = {}   # grade_id ("" = top) -> [(source, runs)]
    last_known = ""
    known_ids = {_meta(c).get("grade_id") for c in blueprint.release.cells} - {None}
    # the release's own code cells without an id (narrative code) come back unchanged in
    # every submission: they are the release's, run once at their place, not extra cells
    plain = {_source(c) for c in blueprint.release.cells if c.cell_type == "code" and not _meta(c).get("grade_id")}
    for cell in submission["cells"]:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        if cell.get("cell_type") != "code":
            if gid in known_ids:
                last_known = gid
            continue
        if gid is None and _source(cell) in plain:
            continue
        if gid in blueprint.answers and gid in answers:
            # a copy of an answer cell runs after the first, as it would in the kernel
            notes.append(f"answer cell {gid!r} appears more than once; the copies run in notebook order")
            extras_after.setdefault(last_known, []).append((_source(cell), True))
        elif gid in blueprint.answers:
            answers[gid] = _source(cell)
            last_known = gid
        elif gid in known_ids:
            last_known = gid      # a test or read-only cell: the trusted copy is used
        elif meta.get("grade") or meta.get("locked"):
            notes.append(f"an unknown locked/test cell {gid!r} was ignored")
        else:
            extras_after.setdefault(last_known, []).append((_source(cell), not is_demo(cell)))

    def extra(src, runs, after):
        fns = _defined_functions(src)
        label = "extra cell at the top" if after == "" else f"extra cell after {after}"
        return ProgramCell(label, src, None, fns, fns, student=True, after=after, run=runs)

    extra_defs = {fn for cells in extras_after.values() for src, runs in cells if runs
                  for fn in _defined_functions(src)}
    cells = [extra(src, runs, "") for src, runs in extras_after.get("", [])]
    missing = []
    for cell in blueprint.release.cells:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        if cell.cell_type == "code":
            if gid in blueprint.answers:
                stub_defs = _defined_functions(_source(cell))
                if gid in answers:
                    src = answers[gid]
                    mine = _defined_functions(src)
                    owns = tuple(dict.fromkeys(mine + stub_defs))
                    cells.append(ProgramCell(gid, src, gid, mine, owns, student=True))
                elif stub_defs and set(stub_defs) <= extra_defs:
                    missing.append(gid)
                    notes.append(f"answer cell {gid!r} was not found by its id; the cell of yours that defines "
                                 f"{', '.join(stub_defs)} was graded in its place")
                else:
                    missing.append(gid)
                    notes.append(f"answer cell {gid!r} is missing; the released stub was used")
                    cells.append(ProgramCell(gid, _source(cell), gid, stub_defs, stub_defs))
            elif not meta.get("grade") and not is_demo(cell):
                src = _source(cell)   # read-only setup / narrative code, trusted
                fns = _defined_functions(src)
                cells.append(ProgramCell(gid or "setup", src, None, fns, fns))
        for src, runs in extras_after.get(gid, []) if gid else []:
            cells.append(extra(src, runs, gid))
    return Program(cells, notes, missing)


def autograded_notebook(blueprint: Blueprint, program: Program, outputs: dict) -> dict:
    """The release notebook with the student's answers and added cells in place and each
    test cell's output replaced by the grader's verdict (``outputs[grade_id] = (passed,
    text)``). Hidden test code is not in it (the release has none)."""
    nb = copy.deepcopy(blueprint.release)
    by_answer = {c.answer: c.source for c in program.cells if c.answer and c.student}
    extras: dict[str, list] = {}
    for c in program.cells:
        if c.after is not None:
            extras.setdefault(c.after, []).append(c.source)
    cells = [nbformat.v4.new_code_cell(src) for src in extras.get("", [])]
    for cell in nb.cells:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        if gid in by_answer:
            cell.source = by_answer[gid]
        if gid in outputs and cell.cell_type == "code":
            passed, text = outputs[gid]
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")] if passed else [
                nbformat.v4.new_output("error", ename="AssertionError", evalue=text, traceback=[text])]
        cells.append(cell)
        for src in extras.get(gid, []) if gid else []:
            cells.append(nbformat.v4.new_code_cell(src))
    nb.cells = cells
    return nb
