"""Grade one submitted notebook outside the student's kernel.

1. Read the notebook (invalid JSON, a link, a FIFO... -> every test "invalid", score 0).
2. Assemble the program: trusted setup cells (not those tagged ``demo``) + the student's
   answer and extra cells; scan what each graded function can reach (``integrity``).
3. Run it cell by cell in a :class:`~autograder.sandbox.Sandbox`. A cell that times out
   or kills the process is skipped and the sandbox restarted with the others replayed,
   so one broken exercise never costs the others.
4. For each test cell of the blueprint, run its named checks here, in the grader's
   process, with the student's function reached through a proxy that ships plain
   arrays to and from the sandbox. A cell scores its points when all its checks pass.
5. A notebook stopped by a wall-clock cap (not by its CPU limits) is graded once more
   before the timeout stands: a starved machine must not cost a student points.

:func:`grade_submission` returns a :class:`~autograder.result.NotebookReport` that
carries the autograded notebook; :func:`grade_notebook` is the same as plain data.
"""

from __future__ import annotations

import inspect
import time

from . import registry
from .integrity import scan_program
from .notebooks import Blueprint, Program, autograded_notebook, build_program, parse_submission
from .result import CheckResult, NotebookReport, TestReport
from .sandbox import Limits, RemoteException, Sandbox, SandboxStartError, Stop, Stopped
from .submissions import read_notebook

#: why a cell was not run -> the status its exercises get
SKIP_STATUS = {"cpu": "timeout", "wall": "timeout", "deadline": "timeout", "crash": "crash", "memory": "crash"}


class _Runner:
    """The program running in a sandbox, restarted past cells that stop it."""

    def __init__(self, program: Program, limits: Limits, hide: list):
        self.program, self.limits, self.hide = program, limits, hide
        self.skipped: dict[int, str] = {}        # cell index -> a key of SKIP_STATUS
        self.stop_messages: dict[int, str] = {}
        self.cpu_used = 0.0                      # first runs of cells, against notebook_seconds
        self.box: Sandbox | None = None
        self.confinement = None
        self.restarts = 0
        self.wall_stops = 0
        self.start_error = ""
        self._ran: set[int] = set()              # cells run once (replays do not count)

    def start(self) -> bool:
        """Start a fresh sandbox and run the program; False when no sandbox would start."""
        while True:
            if self.box is not None:
                self.box.close()
            try:
                self.box = Sandbox(self.limits, self.hide)
            except SandboxStartError as exc:
                self.box, self.start_error = None, str(exc)
                return False
            self.confinement = self.box.confinement
            restart = False
            for i, cell in enumerate(self.program.cells):
                if i in self.skipped or not cell.run:
                    continue
                first = i not in self._ran
                if first and self.cpu_used >= self.limits.notebook_seconds:
                    self.skipped[i] = "deadline"   # the notebook's budget, not the cell's
                    continue
                outcome = self.box.run_cell(i, cell.source)
                if outcome.stopped is not None:
                    self._record_stop(i, outcome.stopped)
                    restart = True
                    break
                if first:
                    self._ran.add(i)
                    self.cpu_used += outcome.cpu_seconds
                if outcome.error is not None and outcome.error.type_name == "MemoryError":
                    # whatever the cell allocated may still be held: start clean without it
                    self.skipped[i] = "memory"
                    restart = True
                    break
            if not restart:
                return True
            self.restarts += 1

    def _record_stop(self, index: int, stopped: Stopped) -> None:
        self.skipped[index] = stopped.why.value
        self.stop_messages[index] = stopped.message
        if stopped.why is Stop.WALL:
            self.wall_stops += 1

    def restart(self) -> bool:
        self.restarts += 1
        return self.start()

    def defining_cell(self, function: str):
        index = None
        for i, cell in enumerate(self.program.cells):
            if function in cell.owns and cell.run:
                index = i
        return index

    def close(self) -> None:
        if self.box is not None:
            self.box.close()


class StudentError(Exception):
    """An exception raised by the student's code in the sandbox, as data: ``type_name``,
    ``message``, and ``lineno``/``line``, the learner's own line where it arose."""

    remote = True

    def __init__(self, error: RemoteException):
        super().__init__(error.text())
        self.type_name, self.message, self.lineno, self.line = error.type_name, error.message, error.lineno, error.line

    def __str__(self):
        return f"{self.type_name}: {self.message}" + (f" (line {self.lineno})" if self.lineno else "")


class _CallStopped(BaseException):
    """Unwinds a check whose call stopped the sandbox (not an Exception: no check catches it)."""

    def __init__(self, stopped: Stopped):
        super().__init__(stopped.message)
        self.stopped = stopped


def _redact(result: CheckResult) -> str:
    """Feedback for a hidden check: the verdict and the likely mistake, never the inputs."""
    if result.passed:
        return "passed on hidden inputs"
    if result.status in ("timeout", "crash", "forbidden"):
        return result.message
    if result.mistake:
        return f"fails on hidden inputs; the output matches a known mistake: {result.mistake}."
    text = result.message
    if " raised " in text or "not implemented" in text:
        return text.split(" (line")[0].split(":")[0] + " (on hidden inputs)"
    return "fails on hidden inputs (shapes or values differ from the reference)."


def _all_tests(blueprint: Blueprint, status: str, message: str) -> list:
    return [TestReport(t.grade_id, 0.0, t.points, status, message) for t in blueprint.tests]


def grade_notebook(blueprint: Blueprint, path: str | None, *, limits: Limits, hide: list = ()) -> dict:
    """Grade the notebook at ``path`` (None: missing); the report as plain data."""
    if path is None:
        return grade_submission(blueprint, None, limits=limits, hide=hide).to_dict()
    raw, problem = read_notebook(path, limits.notebook_bytes)
    return grade_submission(blueprint, raw, problem=problem, limits=limits, hide=hide).to_dict()


def grade_submission(blueprint: Blueprint, raw: bytes | None, *, limits: Limits, hide=(),
                     problem: str | None = None, missing_note: str = "the notebook was not submitted"
                     ) -> NotebookReport:
    """Grade a notebook's bytes (None: missing, or refused when ``problem`` says why).

    The student's cells together get ``limits.notebook_seconds`` of CPU: cells left unrun
    then are skipped, and the exercises they define score zero with status "timeout",
    while those defined earlier are still checked. The checks' calls get as much again."""
    started = time.monotonic()
    report = NotebookReport(blueprint.notebook, blueprint.max_score)
    if raw is None and problem is None:
        report.tests = _all_tests(blueprint, "missing", missing_note)
    else:
        submission, why = (None, problem) if problem else parse_submission(raw)
        if submission is None:
            report.tests = _all_tests(blueprint, "invalid", why)
        else:
            program = build_program(blueprint, submission)
            report.notes.extend(program.notes)
            _run_and_check(blueprint, program, report, limits, list(hide))
            report.autograded = autograded_notebook(
                blueprint, program, {t.grade_id: (t.status == "ok", t.message) for t in report.tests})
    if report.autograded is None:  # nothing gradable: the release with the verdicts
        report.autograded = autograded_notebook(blueprint, build_program(blueprint, {"cells": []}),
                                                {t.grade_id: (False, t.message) for t in report.tests})
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _run_and_check(blueprint, program, report: NotebookReport, limits: Limits, hide: list) -> None:
    chapter = blueprint.assignment.split("_")[0]
    exercises = {e.function: e for e in registry.all_exercises(chapter)}
    student_cells = [(c.source, c.owns) for c in program.cells if c.student and c.run]
    graded = {call.function for t in blueprint.tests for call in t.checks}
    forbidden = scan_program(student_cells, {fn: tuple(exercises[fn].forbidden) if fn in exercises else ()
                                             for fn in graded})
    for attempt in (1, 2):
        tests, runner = _attempt(blueprint, program, limits, hide, forbidden)
        report.attempts = attempt
        if runner.wall_stops == 0 or attempt == 2:
            break
        runner.close()
    report.tests = tests
    report.restarts = runner.restarts
    report.confinement = _confinement(runner)
    report.skipped_cells = {program.cells[i].label: s for i, s in runner.skipped.items()}
    if runner.box is not None:
        report.output = runner.box.output(2000)
    runner.close()
    if runner.start_error:
        report.notes.append(f"the grader could not start a sandbox: {runner.start_error}")
    if report.attempts == 2:
        report.notes.append("a wall-clock limit stopped this notebook; it was graded a second time, "
                            "and this is the second result")
    for label, why in report.skipped_cells.items():
        report.notes.append(f"cell {label!r} was not run: the notebook's CPU budget ran out" if why == "deadline"
                            else f"cell {label!r} was skipped after a {SKIP_STATUS[why]} ({why})")


def _confinement(runner: _Runner):
    c = runner.confinement
    if c is None:
        return None
    return {"method": c.method, "user": c.user, "unenforced": c.unenforced()}


def _attempt(blueprint, program, limits: Limits, hide: list, forbidden: dict):
    runner = _Runner(program, limits, hide)
    if not runner.start():
        message = f"the grader could not start a sandbox: {runner.start_error}"
        return [TestReport(t.grade_id, 0.0, t.points, "crash", message) for t in blueprint.tests], runner
    budget = {"cpu": limits.notebook_seconds}   # the checks' calls together
    tests = []
    for test in blueprint.tests:
        checks, messages, mistakes = [], [], []
        for call in test.checks:
            result = _run_one(call, test.points, runner, forbidden, budget, limits)
            if call.hidden:
                result.message = _redact(result)
            checks.append(result)
            if not result.passed:
                messages.append(f"{call.name}: {result.message}")
            if result.mistake:
                mistakes.append(result.mistake)
        passed = all(c.status == "ok" for c in checks)
        status = "ok" if passed else next(c.status for c in checks if c.status != "ok")
        tests.append(TestReport(
            test.grade_id, test.points if passed else 0.0, test.points, status,
            "; ".join(messages) if messages else "\u2713 " + "; ".join(f"{c.name}: {c.message}" for c in checks),
            mistakes, checks))
    return tests, runner


def _skip_message(why: str, function: str, limits: Limits, detail: str) -> str:
    return {
        "cpu": f"the cell defining {function} used more than its {limits.cell_seconds:g} s of CPU time",
        "wall": f"the cell defining {function} did not finish within {limits.wall(limits.cell_seconds):g} s "
                f"of wall-clock time (it sleeps or waits; the notebook was graded twice)",
        "deadline": f"the notebook's {limits.notebook_seconds:g} s of CPU time ran out before the cell "
                    f"defining {function} could run",
        "memory": f"the cell defining {function} ran out of memory (limit {limits.memory_bytes >> 20} MB)",
    }.get(why, f"the cell defining {function} killed the kernel ({detail})")


def _run_one(call, points: float, runner: _Runner, forbidden: dict, budget: dict, limits: Limits) -> CheckResult:
    prefix, _ = registry.split_name(call.name)
    ex = registry.exercise(prefix)
    if call.function in forbidden:
        return CheckResult(call.name, False, 0.0, points, "forbidden",
                           f"{call.function} is not graded: the code it reaches " + ", ".join(forbidden[call.function])
                           + " (a graded answer may not use the reference, the grader, a library that does the"
                             " exercise's work for it, or code the grader cannot inspect).")
    cell = runner.defining_cell(call.function)
    if cell is not None and cell in runner.skipped:
        why = runner.skipped[cell]
        return CheckResult(call.name, False, 0.0, points, SKIP_STATUS[why],
                           _skip_message(why, call.function, limits, runner.stop_messages.get(cell, "")))
    if budget["cpu"] <= 0:
        return CheckResult(call.name, False, 0.0, points, "timeout",
                           f"the notebook's {limits.notebook_seconds:g} s of CPU time for checks was used up")
    if runner.box is None:
        return CheckResult(call.name, False, 0.0, points, "crash", "the sandbox could not be restarted")

    def proxy_for(function: str, single: bool):
        def proxy(*args):
            outcome = runner.box.call(function, list(args), single) if runner.box else None
            if outcome is None:
                raise _CallStopped(Stopped(Stop.CRASH, "the sandbox could not be restarted"))
            budget["cpu"] -= outcome.cpu_seconds
            if outcome.stopped is not None:
                if outcome.stopped.why is Stop.WALL:
                    runner.wall_stops += 1
                runner.restart()
                raise _CallStopped(outcome.stopped)
            if outcome.error is not None:
                if outcome.error.type_name == "NotImplementedError":
                    raise NotImplementedError()
                raise StudentError(outcome.error)
            return outcome.value
        return proxy

    def lookup(name: str):
        """Another of the learner's functions, as a proxy; None when no cell that ran defines it."""
        where = runner.defining_cell(name)
        if where is None or where in runner.skipped:
            return None
        other = next((e for e in _chapter_exercises(prefix) if e.function == name), None)
        return proxy_for(name, other is None or len(other.outputs) == 1)

    seed = registry.seed_for(call.name, call.hidden)
    proxy = proxy_for(call.function, len(ex.outputs) == 1)
    try:
        if "lookup" in inspect.signature(registry.run_check).parameters:
            return registry.run_check(call.name, proxy, seed, points, lookup=lookup)
        return registry.run_check(call.name, proxy, seed, points)
    except _CallStopped as stop:
        why = stop.stopped.why
        text = {Stop.CPU: f"{call.function} used more than its {limits.call_seconds:g} s of CPU time in one call",
                Stop.WALL: f"{call.function} did not return within {limits.wall(limits.call_seconds):g} s of "
                           f"wall-clock time (it sleeps or waits; the notebook was graded twice)"}.get(
            why, f"calling {call.function} killed the kernel ({stop.stopped.message})")
        return CheckResult(call.name, False, 0.0, points, "crash" if why is Stop.CRASH else "timeout", text)


def _chapter_exercises(prefix: str):
    return registry.all_exercises(prefix.split(".", 1)[0])
