"""The record every check returns, in the kernel and in the grader alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: statuses a test can end with; "ok" and "failed" come from a check, the others from the grader
STATUSES = ("ok", "failed", "error", "timeout", "crash", "invalid", "missing", "forbidden")


@dataclass
class CheckResult:
    """Outcome of one named check on one student callable.

    Attributes:
        name: the check's registry name, e.g. ``"ch02.rnn_step_forward.values"``.
        passed: whether every case matched the reference.
        score: points earned (``max_score`` or 0: a check is all-or-nothing; partial
            credit comes from separate checks in separate test cells).
        max_score: points the check is worth.
        status: one of :data:`STATUSES`.
        message: feedback for the student: what differed, where, and the likely mistake.
        mistake: the name of the catalogued mistake the output matched, or "".
    """

    name: str
    passed: bool
    score: float
    max_score: float
    status: str
    message: str
    mistake: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status: expected one of {STATUSES}, got {self.status!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CheckResult":
        return cls(**data)


#: how serious a status is, most serious first: a notebook reports its tests' worst
PRECEDENCE = ("invalid", "missing", "crash", "timeout", "forbidden", "error", "failed")


def worst_status(statuses) -> str:
    statuses = list(statuses)
    return next((s for s in PRECEDENCE if s in statuses), "ok")


@dataclass
class TestReport:
    """One test cell of a notebook: all its checks must pass for its points."""

    __test__ = False  # not a pytest test class

    grade_id: str
    score: float
    max_score: float
    status: str
    message: str
    mistakes: list = field(default_factory=list)
    checks: list = field(default_factory=list)   # CheckResult, each carrying this cell's points

    def to_dict(self) -> dict:
        return dict(grade_id=self.grade_id, score=self.score, max_score=self.max_score, status=self.status,
                    message=self.message, mistakes=list(self.mistakes), checks=[c.to_dict() for c in self.checks])


@dataclass
class NotebookReport:
    """Everything grading one notebook produced, built once in the worker."""

    notebook: str
    max_score: float
    tests: list = field(default_factory=list)    # TestReport, in notebook order
    notes: list = field(default_factory=list)
    confinement: dict | None = None              # what the sandbox enforced (method, user, gaps)
    output: str = ""                             # what the submission printed (truncated)
    restarts: int = 0
    attempts: int = 1                            # 2 when a wall-clock stop made the grader grade it again
    skipped_cells: dict = field(default_factory=dict)
    seconds: float = 0.0
    autograded: dict | None = None               # the autograded notebook (nbformat JSON)

    @property
    def score(self) -> float:
        return float(sum(t.score for t in self.tests))

    @property
    def status(self) -> str:
        return worst_status(t.status for t in self.tests)

    def to_dict(self) -> dict:
        """The results-file form (without the autograded notebook)."""
        return dict(notebook=self.notebook, status=self.status, score=self.score, max_score=self.max_score,
                    tests=[t.to_dict() for t in self.tests], notes=list(self.notes),
                    confinement=self.confinement, output=self.output, restarts=self.restarts,
                    attempts=self.attempts, skipped_cells=dict(self.skipped_cells), seconds=self.seconds)


def check_from_dict(data: dict) -> CheckResult:
    return CheckResult(**data)


def report_from_dict(data: dict, autograded: dict | None = None) -> NotebookReport:
    """The inverse of :meth:`NotebookReport.to_dict` (how a worker's report travels)."""
    tests = [TestReport(t["grade_id"], float(t["score"]), float(t["max_score"]), t["status"], t["message"],
                        list(t.get("mistakes", [])), [check_from_dict(c) for c in t.get("checks", [])])
             for t in data["tests"]]
    return NotebookReport(data["notebook"], float(data["max_score"]), tests, list(data.get("notes", [])),
                          data.get("confinement"), data.get("output", ""), int(data.get("restarts", 0)),
                          int(data.get("attempts", 1)), dict(data.get("skipped_cells", {})),
                          float(data.get("seconds", 0.0)), autograded)


class CheckFailed(AssertionError):
    """A failed check in a notebook: an AssertionError whose display in IPython is the
    feedback alone (no traceback from inside the grader); ``str()`` is the same text."""

    def _render_traceback_(self):
        return [f"\u2717 {line}" if k == 0 else line for k, line in enumerate(str(self).splitlines())]


def failed(name: str, points: float, message: str, mistake: str = "") -> CheckResult:
    """A check that did not pass: no points, the feedback, the mistake it names (or "")."""
    return CheckResult(name, False, 0.0, float(points), "failed", message, mistake)


def passed(name: str, points: float, message: str) -> CheckResult:
    """A check that passed: all its points."""
    return CheckResult(name, True, float(points), float(points), "ok", message)
