"""Grade one submitted notebook outside the student's kernel.

1. Read the notebook (invalid JSON -> every test "invalid", score 0).
2. Assemble the program: trusted setup cells + the student's answer and extra cells.
3. Run it cell by cell in a :class:`~autograder.sandbox.Sandbox`. A cell that times out
   or kills the process is skipped and the sandbox restarted with the others replayed,
   so one broken exercise never costs the others.
4. For each test cell of the blueprint, run its named checks here, in the grader's
   process, with the student's function reached through a proxy that ships plain
   arrays to and from the sandbox. A cell scores its points when all its checks pass.

Everything returned is plain JSON-able data (:func:`grade_notebook`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from . import registry
from .integrity import scan
from .notebooks import Blueprint, build_program, read_submission
from .sandbox import Limits, RemoteError, Sandbox, SandboxError


class _Runner:
    """The program running in a sandbox, restarted past cells that time out or crash."""

    def __init__(self, program, limits: Limits, hide: list, workdir: str, deadline: float):
        self.program, self.limits, self.hide, self.workdir = program, limits, hide, workdir
        self.deadline = deadline
        self.skipped: dict[int, str] = {}        # cell index -> "timeout" | "crash"
        self.cell_errors: dict[int, str] = {}
        self.box = None
        self.confinement = None
        self.restarts = 0

    def start(self) -> None:
        while True:
            if self.box is not None:
                self.box.close()
            self.box = Sandbox(self.workdir, self.limits, self.hide)
            self.confinement = self.box.confinement
            try:
                for i, cell in enumerate(self.program.cells):
                    if i in self.skipped:
                        continue
                    if time.monotonic() > self.deadline:
                        self.skipped[i] = "deadline"   # the notebook's limit, not the cell's
                        continue
                    error = self.cell_errors[i] = self.box.run_cell(i, cell.source)
                    if error and error.startswith("MemoryError"):
                        # whatever the cell allocated may still be held: start clean without it
                        raise SandboxError("memory", "the cell ran out of memory")
                return
            except SandboxError as exc:
                self.skipped[i] = exc.status
                self.restarts += 1

    def restart(self) -> None:
        self.restarts += 1
        self.start()

    def defining_cell(self, function: str):
        index = None
        for i, cell in enumerate(self.program.cells):
            if function in cell.owns:
                index = i
        return index

    def close(self) -> None:
        if self.box is not None:
            self.box.close()


def _redact(result, check) -> str:
    """Feedback for a hidden check: the verdict and the likely mistake, never the inputs."""
    if result.passed:
        return "passed on hidden inputs"
    if result.status in ("timeout", "crash"):
        return result.message
    if result.mistake:
        return f"fails on hidden inputs; the output matches a known mistake: {result.mistake}."
    text = result.message
    if " raised " in text or "not implemented" in text:
        return text.split(" (line")[0].split(":")[0] + " (on hidden inputs)"
    return "fails on hidden inputs (shapes or values differ from the reference)."


def grade_notebook(blueprint: Blueprint, path: str | None, *, limits: Limits, hide: list) -> dict:
    """Grade the notebook at ``path`` (None: missing). Returns a plain dict report.

    The student's cells together get ``limits.notebook_seconds``: cells left unrun then are
    skipped, and the exercises they define score zero with status "timeout", while those
    defined earlier are still checked. The checks get as long again (each call is also
    bounded by ``limits.call_seconds``), so a notebook costs at most twice the limit."""
    started = time.monotonic()
    notebook_seconds = limits.notebook_seconds
    report = {"notebook": blueprint.notebook, "status": "ok", "notes": [], "tests": [],
              "max_score": blueprint.max_score, "score": 0.0, "confinement": None, "output": ""}

    def all_tests(status, message):
        report["status"] = status
        report["tests"] = [dict(grade_id=t.grade_id, score=0.0, max_score=t.points, status=status,
                                message=message, mistakes=[], checks=[]) for t in blueprint.tests]
        return report

    if path is None:
        return all_tests("missing", "the notebook was not submitted")
    submission, problem = read_submission(path)
    if submission is None:
        return all_tests("invalid", problem)
    program = build_program(blueprint, submission)
    report["notes"].extend(program.notes)

    forbidden: dict[str, list] = {}   # function -> reasons
    for cell in program.cells:
        if cell.answer is None and not cell.label.startswith("extra cell"):
            continue  # a trusted cell from the release
        extra = []
        for fn in cell.owns:
            try:
                ex = next(e for e in registry.all_exercises(blueprint.assignment.split("_")[0])
                          if e.function == fn)
                extra += list(ex.forbidden)
            except StopIteration:
                pass
        reasons = scan(cell.source, extra)
        for fn in cell.owns:
            if reasons:
                forbidden[fn] = reasons

    workdir = tempfile.mkdtemp(prefix="rnn-grade-")
    runner = _Runner(program, limits, hide, workdir, started + notebook_seconds)
    try:
        runner.start()
        checks_started = time.monotonic()
        report["confinement"] = runner.confinement.unenforced() if runner.confinement else None
        for test in blueprint.tests:
            checks, statuses, messages, mistakes = [], [], [], []
            for call in test.checks:
                result = _run_one(call, runner, forbidden, checks_started, notebook_seconds, limits)
                public = result.to_dict()
                if call.hidden:
                    public["message"] = _redact(result, call)
                checks.append(public)
                statuses.append(result.status)
                if not result.passed:
                    messages.append(f"{call.name}: {public['message']}")
                if result.mistake:
                    mistakes.append(result.mistake)
            passed = all(s == "ok" for s in statuses)
            status = "ok" if passed else next(s for s in statuses if s != "ok")
            report["tests"].append(dict(
                grade_id=test.grade_id, score=test.points if passed else 0.0, max_score=test.points,
                status=status, message="; ".join(messages) if messages else
                "\u2713 " + "; ".join(f"{c['name']}: {c['message']}" for c in checks),
                mistakes=mistakes, checks=checks))
        report["restarts"] = runner.restarts
        report["skipped_cells"] = {program.cells[i].label: s for i, s in runner.skipped.items()}
        if runner.box is not None:
            report["output"] = runner.box.output(2000)
    finally:
        runner.close()
        shutil.rmtree(workdir, ignore_errors=True)
    report["score"] = float(sum(t["score"] for t in report["tests"]))
    report["status"] = notebook_status([t["status"] for t in report["tests"]])
    for label, why in report.get("skipped_cells", {}).items():
        report["notes"].append(f"cell {label!r} was not run: the notebook's time limit ran out" if why == "deadline"
                               else f"cell {label!r} was skipped after a {why}")
    report["seconds"] = round(time.monotonic() - started, 3)
    return report


def _run_one(call, runner: _Runner, forbidden: dict, started: float, budget: float, limits: Limits):
    from .result import CheckResult

    prefix, _ = registry.split_name(call.name)
    ex = registry.exercise(prefix)
    if call.function in forbidden:
        return CheckResult(call.name, False, 0.0, 1.0, "forbidden",
                           f"{call.function} is not graded: the answer " + ", ".join(forbidden[call.function])
                           + " (a graded answer may not use the reference, the grader, or a library that"
                           " does the exercise's work for it).")
    cell = runner.defining_cell(call.function)
    if cell is not None and cell in runner.skipped:
        why = runner.skipped[cell]
        text = {"timeout": f"the cell defining {call.function} ran past the {limits.cell_seconds:g} s limit",
                "deadline": f"the notebook's {limits.notebook_seconds:g} s limit ran out before the cell "
                            f"defining {call.function} could run",
                "memory": f"the cell defining {call.function} ran out of memory "
                          f"(limit {limits.memory_bytes >> 20} MB)"}.get(
            why, f"the cell defining {call.function} killed the kernel")
        status = {"memory": "crash", "deadline": "timeout"}.get(why, why)
        return CheckResult(call.name, False, 0.0, 1.0, status, text)
    if time.monotonic() > started + budget:
        return CheckResult(call.name, False, 0.0, 1.0, "timeout", "the notebook's time limit for checks was used up")
    failure = {}
    single = len(ex.outputs) == 1

    def proxy(*args):
        if "status" in failure:
            raise RuntimeError(failure["message"])
        try:
            return runner.box.call(call.function, list(args), single)
        except RemoteError as exc:
            text = str(exc)
            if text.startswith("NotImplementedError"):
                raise NotImplementedError() from None
            raise StudentError(text) from None
        except SandboxError as exc:
            failure["status"] = exc.status
            failure["message"] = (f"{call.function} ran past the {limits.call_seconds:g} s limit"
                                  if exc.status == "timeout" else f"calling {call.function}: {exc}")
            runner.restart()
            raise RuntimeError(failure["message"]) from None

    seed = registry.seed_for(call.name, call.hidden)
    result = registry.run_check(call.name, proxy, seed)
    if "status" in failure:
        result.status, result.passed, result.score = failure["status"], False, 0.0
        result.message = failure["message"]
    return result


#: the status a notebook reports: the most serious of its tests' statuses
PRECEDENCE = ("invalid", "missing", "crash", "timeout", "forbidden", "error", "failed")


def notebook_status(statuses) -> str:
    return next((s for s in PRECEDENCE if s in statuses), "ok")


class StudentError(Exception):
    """An exception raised by the student's code in the sandbox, as text."""

    remote = True

    def __str__(self):
        return self.args[0] if self.args else ""


def submission_path(submissions: str, student: str, assignment: str, notebook: str):
    """The notebook to grade for a student, tolerating a renamed file; plus a note."""
    folder = os.path.join(submissions, student, assignment)
    expected = os.path.join(folder, notebook + ".ipynb")
    if os.path.isfile(expected):
        return expected, None
    if not os.path.isdir(folder):
        return None, f"no folder {assignment}/ was submitted"
    candidates = sorted(f for f in os.listdir(folder) if f.endswith(".ipynb"))
    if len(candidates) == 1:
        return os.path.join(folder, candidates[0]), f"graded {candidates[0]} in place of {notebook}.ipynb"
    return None, (f"{notebook}.ipynb is missing" + (f" (found {', '.join(candidates)})" if candidates else ""))
