"""Run untrusted notebook code in a separate, confined process and call into it.

:class:`Sandbox` starts ``sandbox_child.py`` in a fresh interpreter and exchanges plain
arrays with it. What it enforces, where the OS allows (see :func:`capabilities`):

- time: every cell and every call has a deadline; past it the whole process group and
  every descendant (found through this process being their subreaper) is SIGKILLed, so
  a loop that ignores interrupts costs the deadline and nothing more;
- memory: ``RLIMIT_AS`` on the child only;
- output: the child's stdout/stderr go to a file capped by ``RLIMIT_FSIZE``;
- processes: ``RLIMIT_NPROC`` is not used (it counts the user's processes everywhere);
  instead every process started by the child is killed at the end;
- network: a new network namespace with no interfaces (root, or user namespaces);
- files: a new mount namespace where the course folders (solutions, reference,
  grader, gradebook, other submissions) are covered by empty tmpfs mounts, and all
  capabilities are dropped so the covers cannot be lifted.

Nothing here unpickles data from the child: replies are JSON headers and ``.npz``
payloads loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import select
import signal
import site
import struct
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

CHILD_SOURCE = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_child.py")).read()
FORBIDDEN_MODULES = ("rnn_ref", "autograder", "nbgrader")

_CLONE_NEWNS, _CLONE_NEWNET, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x40000000, 0x10000000, 0x20000000
_MS_REC, _MS_PRIVATE = 16384, 1 << 18
_PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP, _PR_SET_PDEATHSIG = 36, 38, 24, 1


class SandboxError(Exception):
    """The child died, timed out or broke the protocol; ``status`` says which."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status  # "timeout" | "crash"


@dataclass
class Limits:
    cell_seconds: float = 30.0
    call_seconds: float = 10.0
    memory_bytes: int = 4 << 30
    output_bytes: int = 1 << 20
    notebook_seconds: float = 300.0   # a notebook's cells together (its checks get as long again)


@dataclass
class Confinement:
    """What the sandbox managed to enforce; reported with every grading run."""

    network: bool = False
    files: bool = False
    processes: bool = False
    capabilities: bool = False
    memory: bool = False
    output: bool = False

    KEYS = ("network", "files", "processes", "capabilities", "memory", "output")

    def unenforced(self) -> list[str]:
        names = {"network": "no network", "files": "instructor files hidden",
                 "processes": "grader processes invisible (PID namespace)",
                 "capabilities": "capabilities dropped", "memory": "memory limit",
                 "output": "output cap"}
        return [text for key, text in names.items() if not getattr(self, key)]


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_subreaper_set = False


def _become_subreaper() -> None:
    """Orphaned descendants of our children get re-parented to us, so we can find them."""
    global _subreaper_set
    if _libc is not None and not _subreaper_set:
        _subreaper_set = _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _site_paths() -> list[str]:
    paths = list(site.getsitepackages()) + [site.getusersitepackages()]
    return [p for p in paths if os.path.isdir(p)]


def _preexec(limits: Limits, hide: list[str], report_fd: int):
    """Runs in the child between fork and exec. Writes what it enforced to report_fd."""

    def setup():
        import resource

        done = []
        os.setsid()
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
            done.append("memory")
        except (ValueError, OSError):
            pass
        try:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails, no kill
            done.append("output")
        except (ValueError, OSError):
            pass
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if _libc is not None:
            flags = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWPID
            ok = _libc.unshare(flags) == 0
            if not ok:  # unprivileged: try a user namespace mapped to our own ids
                uid, gid = os.getuid(), os.getgid()
                if _libc.unshare(flags | _CLONE_NEWUSER) == 0:
                    try:
                        with open("/proc/self/setgroups", "w") as f:
                            f.write("deny")
                        with open("/proc/self/uid_map", "w") as f:
                            f.write(f"0 {uid} 1")
                        with open("/proc/self/gid_map", "w") as f:
                            f.write(f"0 {gid} 1")
                        ok = True
                    except OSError:
                        ok = False
            if ok:
                done.append("network")
                done.append("pidns")
                if _libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) == 0:
                    hidden = all(
                        _libc.mount(b"tmpfs", p.encode(), b"tmpfs", 0, b"size=64k,mode=0555") == 0
                        for p in hide if os.path.isdir(p))
                    if hidden:
                        done.append("files")
        os.write(report_fd, ",".join(done).encode())
        os.close(report_fd)

    return setup


def hidden_paths(course_root: str, extra: list[str]) -> list[str]:
    """Folders to cover: every entry of the course root except the one holding the
    interpreter (a virtual environment may live there), plus ``extra``."""
    prefix = os.path.realpath(sys.prefix)
    paths = []
    root = os.path.realpath(course_root)
    if not (prefix + os.sep).startswith(root + os.sep):
        paths.append(root)
    else:
        for entry in sorted(os.listdir(root)):
            full = os.path.join(root, entry)
            if os.path.isdir(full) and not (prefix + os.sep).startswith(os.path.realpath(full) + os.sep):
                paths.append(full)
    for p in extra:
        real = os.path.realpath(p)
        if os.path.isdir(real) and not (prefix + os.sep).startswith(real + os.sep) and real not in paths:
            paths.append(real)
    return paths


class Sandbox:
    """One confined child process. Use as a context manager; always :meth:`close`."""

    def __init__(self, workdir: str, limits: Limits, hide: list[str]):
        _become_subreaper()
        self.limits = limits
        self.workdir = workdir
        self.log_path = os.path.join(workdir, ".sandbox-output.txt")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        report_r, report_w = os.pipe()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "RNN_COURSE"))}
        env.update(MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1", HOME=workdir,
                   PYTHONNOUSERSITE="1", IPYTHONDIR=os.path.join(workdir, ".ipython"),
                   MPLCONFIGDIR=os.path.join(workdir, ".mpl"))
        env.pop("PYTHONPATH", None)
        env["RNN_SANDBOX_PIDNS"] = "1"  # the child forks into the namespace only if it exists
        self._log = open(self.log_path, "wb")
        argv = [sys.executable, "-S", "-c", CHILD_SOURCE, str(to_child_r), str(from_child_w),
                json.dumps(FORBIDDEN_MODULES), json.dumps(_site_paths())]
        self.proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, pass_fds=(to_child_r, from_child_w, report_w),
            preexec_fn=_preexec(limits, hide, report_w), close_fds=True)
        for fd in (to_child_r, from_child_w, report_w):
            os.close(fd)
        with os.fdopen(report_r, "rb") as report:
            done = report.read().decode().split(",")
        self._buffer = b""
        header, _ = self._expect("ready", limits.cell_seconds + 30)
        done += list(header.get("confined", []))
        self.confinement = Confinement(**{k: (k in done) for k in Confinement.KEYS})

    # -- framing ---------------------------------------------------------------------

    def _send(self, header: dict, payload: bytes = b"") -> None:
        data = json.dumps(header).encode()
        frame = struct.pack("<I", len(data)) + data + struct.pack("<Q", len(payload)) + payload
        try:
            view = memoryview(frame)
            while view:
                n = os.write(self._to_child, view)
                view = view[n:]
        except (BrokenPipeError, OSError):
            raise SandboxError("crash", self._death_message()) from None

    def _read(self, n: int, deadline: float) -> bytes:
        while len(self._buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise SandboxError("timeout", "time limit exceeded")
            ready, _, _ = select.select([self._from_child], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    self.kill()
                    raise SandboxError("crash", self._death_message())
                self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _receive(self, seconds: float):
        deadline = time.monotonic() + seconds
        (hlen,) = struct.unpack("<I", self._read(4, deadline))
        if hlen > 1 << 20:
            self.kill()
            raise SandboxError("crash", "the submission corrupted the grader's channel")
        try:
            header = json.loads(self._read(hlen, deadline))
        except ValueError:
            self.kill()
            raise SandboxError("crash", "the submission corrupted the grader's channel") from None
        (plen,) = struct.unpack("<Q", self._read(8, deadline))
        if plen > 1 << 30:
            self.kill()
            raise SandboxError("crash", "reply too large")
        return header, (self._read(plen, deadline) if plen else b"")

    def _expect(self, op: str, seconds: float):
        header, payload = self._receive(seconds)
        if not isinstance(header, dict) or header.get("op") != op:
            self.kill()
            raise SandboxError("crash", f"unexpected reply from the sandbox: {str(header)[:100]}")
        return header, payload

    def _death_message(self) -> str:
        code = self.proc.poll()
        if code is None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            return f"the kernel died with signal {name}"
        if code is not None and code > 128:  # the namespace's init mirrored a signal death
            sig = code - 128
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            return f"the kernel died with signal {name}"
        return f"the kernel exited (exit code {code})"

    # -- operations ------------------------------------------------------------------

    def run_cell(self, index: int, source: str):
        """Run one cell; return None or the error text. Raises SandboxError."""
        self._send({"op": "cell", "index": index, "source": source})
        header, _ = self._expect("cell", self.limits.cell_seconds)
        return header.get("error")

    def call(self, function: str, args: list, single: bool):
        """Call ``function(*args)`` in the child; return a list of float64 arrays (or the
        single array) as plain data. Student errors come back as ``RemoteError``."""
        buffer = io.BytesIO()
        np.savez(buffer, **{f"a{i}": np.asarray(a) for i, a in enumerate(args)})
        self._send({"op": "call", "function": function, "nargs": len(args), "single": single},
                   buffer.getvalue())
        header, payload = self._expect("call", self.limits.call_seconds)
        if not header.get("ok"):
            raise RemoteError(str(header.get("error", "unknown error"))[:600])
        try:
            with np.load(io.BytesIO(payload), allow_pickle=False) as data:
                outs = [np.array(data[f"o{i}"]) for i in range(int(header["n"]))]
                for i in header.get("mutated", []):
                    i = int(i)
                    if 0 <= i < len(args) and isinstance(args[i], np.ndarray):
                        changed = data[f"m{i}"]
                        if changed.shape == args[i].shape:
                            np.copyto(args[i], changed, casting="unsafe")
                        else:
                            args[i].fill(np.nan)  # reshaped in place: certainly not untouched
        except Exception:  # noqa: BLE001
            raise RemoteError("TypeError: the function's result could not be read as arrays") from None
        return tuple(outs) if header.get("tuple") else outs[0]

    def forbidden_modules(self) -> list[str]:
        self._send({"op": "modules"})
        header, _ = self._expect("modules", self.limits.call_seconds)
        return list(header.get("forbidden", []))

    def output(self, limit: int = 4000) -> str:
        self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read(limit).decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the child, its process group, and every descendant we can find."""
        pids = set()
        try:
            import psutil

            try:
                me = psutil.Process()
                pids |= {p.pid for p in me.children(recursive=True) if p.pid != os.getpid()}
            except psutil.Error:
                pass
        except ImportError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in pids:
            if pid in _protected_pids():
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _reap_orphans()

    def close(self) -> None:
        self.kill()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RemoteError(Exception):
    """The student's function raised (or returned something that is not arrays)."""


_PROTECTED: set[int] = set()


def protect(pid: int) -> None:
    """Register a child of the grader that :meth:`Sandbox.kill` must never touch."""
    _PROTECTED.add(pid)


def _protected_pids() -> set[int]:
    return _PROTECTED


def _reap_orphans() -> None:
    """Collect exit statuses of re-parented descendants so no zombies pile up."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def capabilities(course_root: str) -> Confinement:
    """Start a throw-away sandbox and report what this machine lets it enforce."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rnn-probe-") as tmp:
        with Sandbox(tmp, Limits(), hidden_paths(course_root, [])) as box:
            return box.confinement
