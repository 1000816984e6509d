"""A one-line progress counter on stderr for the instructor's long runs (release,
feedback, export). Silent for short runs and when stderr is not a terminal unless asked."""

from __future__ import annotations

import sys
import time


class Progress:
    """``with Progress("feedback", total) as p: ... p.step(label)``.

    Writes ``feedback 12/300 (4.1/s) bob`` on one line that it rewrites; ``show=None``
    shows it when stderr is a terminal or the run has at least ``min_total`` items.
    """

    def __init__(self, what: str, total: int, *, show: bool | None = None, min_total: int = 20, stream=None):
        if total < 0:
            raise ValueError(f"total: expected a count >= 0, got {total!r}")
        self.what, self.total, self.done = what, total, 0
        self.stream = stream or sys.stderr
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.show = show if show is not None else (tty or total >= min_total)
        self.started = time.monotonic()

    def step(self, label: str = "") -> None:
        self.done += 1
        if not self.show:
            return
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        end = "\n" if self.done >= self.total else ""
        self.stream.write(f"\r{self.what} {self.done}/{self.total} ({rate:.1f}/s) {label[:40]:40s}{end}")
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self.show and 0 < self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()
