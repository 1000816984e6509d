"""The record every check returns, in the kernel and in the grader alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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
