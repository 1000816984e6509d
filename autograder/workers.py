"""Run grading jobs in worker processes of their own, so that one cannot cost another.

Each job (one student's notebook) is graded in a process forked for it alone, with a
memory limit of its own (``RLIMIT_AS``: what it has plus ``limits.grader_memory_bytes``),
and sends its report back as JSON through a pipe (nothing is unpickled). A worker that
dies, hangs past its backstop or sends something unreadable is replaced and its job run
once more; a second failure gives that job, and only that job, a crash report. There is
no shared pool to break: every other job's result is what it would be without this one.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
import traceback
from typing import Callable, Sequence

from .result import NotebookReport, report_from_dict
from .sandbox import Limits


def _limit_memory(extra: int) -> None:
    import resource

    try:
        import psutil

        have = psutil.Process().memory_info().vms
    except Exception:  # noqa: BLE001
        have = 0
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = have + extra
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    # the soft limit only: the sandbox this worker starts sets its own, lower or not
    resource.setrlimit(resource.RLIMIT_AS, (want, hard))


def _child(job, work: Callable, write_fd: int, limits: Limits) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit_memory(limits.grader_memory_bytes)
        report = work(job)
        data = json.dumps({"report": report.to_dict(), "autograded": report.autograded}).encode()
    except BaseException as exc:  # noqa: BLE001 (the grader's own failure, reported as data)
        data = json.dumps({"error": f"{type(exc).__name__}: {exc}",
                           "trace": traceback.format_exc()[-2000:]}).encode()
        code = 3
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    finally:
        os._exit(code)


def run_isolated(jobs_list: Sequence, work: Callable[..., NotebookReport], on_failure: Callable,
                 *, jobs: int, limits: Limits, on_done: Callable[[int], None] | None = None,
                 tries: int = 2) -> list[NotebookReport]:
    """``[work(job) for job in jobs_list]``, each in a fresh forked process, ``jobs`` at a time.
    ``on_failure(job, message)`` makes the report of a job whose worker failed ``tries`` times."""
    results: list = [None] * len(jobs_list)
    pending = list(range(len(jobs_list)))
    failures: dict[int, list] = {}
    running: dict[int, dict] = {}   # read fd -> {index, pid, data, deadline}
    backstop = 2 * (2 * limits.wall(limits.notebook_seconds) + limits.start_seconds)
    done = 0
    while pending or running:
        while pending and len(running) < jobs:
            index = pending.pop(0)
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                _child(jobs_list[index], work, w, limits)
            os.close(w)
            running[r] = {"index": index, "pid": pid, "data": bytearray(),
                          "deadline": time.monotonic() + backstop}
        ready, _, _ = select.select(list(running), [], [], 1.0)
        now = time.monotonic()
        for fd in list(running):
            job = running[fd]
            finished = False
            if fd in ready:
                chunk = os.read(fd, 1 << 20)
                if chunk:
                    job["data"] += chunk
                else:
                    finished = True
            elif now > job["deadline"]:
                os.kill(job["pid"], signal.SIGKILL)
                job["why"] = f"the grader's worker ran past its {backstop:g} s backstop"
                finished = True
            if not finished:
                continue
            os.close(fd)
            del running[fd]
            _, status = os.waitpid(job["pid"], 0)
            index = job["index"]
            report, why = _decode(job, status)
            if report is not None:
                results[index] = report
            else:
                failures.setdefault(index, []).append(why)
                if len(failures[index]) < tries:
                    pending.insert(0, index)   # a fresh worker, right away
                    continue
                results[index] = on_failure(jobs_list[index], "the grader's worker failed on this notebook "
                                                              f"{tries} times: " + "; ".join(failures[index]))
            done += 1
            if on_done:
                on_done(done)
    return results


def _decode(job: dict, status: int):
    if "why" in job:
        return None, job["why"]
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return None, f"the worker died with signal {name}"
    try:
        data = json.loads(bytes(job["data"]))
    except ValueError:
        return None, f"the worker exited ({os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}) without a report"
    if "error" in data:
        return None, f"the grader failed: {data['error']}"
    try:
        return report_from_dict(data["report"], data.get("autograded")), None
    except (KeyError, TypeError, ValueError) as exc:
        return None, f"the worker's report was unreadable ({exc})"
