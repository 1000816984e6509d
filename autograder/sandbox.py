"""Run untrusted notebook code in a confined process and call into it.

:class:`Sandbox` starts ``sandbox_child.py`` in a fresh interpreter and exchanges plain
arrays with it. Two ways to confine it; :func:`method` picks one per machine:

``bubblewrap`` (``bwrap``, the default wherever it runs)
    The interpreter is started inside the sandbox with ``-I -S`` (no folder the
    submission can write is on ``sys.path``; nothing is imported before confinement).
    Its file system is built from nothing: the interpreter, its standard library and
    site-packages read-only, ``/usr`` read-only, a fresh ``/proc`` and ``/dev``, and three
    private size-limited tmpfs (the working folder, ``/tmp``, ``/dev/shm``), new on every
    start. Not the repository, the course, the gradebook or any submission, whatever
    ``--root`` says: they are simply not there. New PID, network, IPC and UTS namespaces;
    every capability dropped. The code runs as a user id that owns nothing: as root,
    bwrap maps no user namespace and ``setpriv`` switches to :data:`SANDBOX_UID` (kernel
    uid; no file on the machine belongs to it); unprivileged, bwrap's user namespace maps
    uid 65534 inside onto the grader's own uid outside (the kernel allows nothing else),
    so only the mounts above keep the grader's files out of reach.
``in-house`` (fallback where bwrap is missing or cannot run)
    ``unshare`` of the mount, network and PID namespaces (root, or through a user
    namespace), the course folders covered by empty tmpfs, capabilities dropped, a fresh
    private working folder outside the submission. The child runs as the grader's user.

Both: the child's CPU time is measured (the whole process tree) and every cell and call
has a CPU limit plus a wall-clock cap for code that sleeps or blocks; ``RLIMIT_AS`` caps
memory; output travels through a pipe the grader drains and truncates; replies are
size-checked before they are read and hold raw arrays of plain numeric dtypes (no pickle,
no compression). Nothing the submission controls is ever opened by path.
"""

from __future__ import annotations

import ctypes
import enum
import functools
import importlib.util
import json
import os
import select
import shutil
import signal
import site
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

CHILD_SOURCE = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_child.py")).read()
#: the repository this grader runs from (never visible to a submission)
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: packages of this repository that must not be importable in the sandbox, wherever installed
COURSE_PACKAGES = ("autograder", "rnn_ref", "coursekit")
#: kernel user id of a submission when the grader runs as root (owns no file; unnamed)
SANDBOX_UID = 1_999_999_999
#: user id a submission sees inside the sandbox when the grader is unprivileged
NOBODY = 65534
#: the sandbox's working folder (a fresh tmpfs)
HOME = "/home/student"
#: array dtypes that may cross the channel (little-endian numbers and booleans)
DTYPES = ("<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1")


@dataclass
class Limits:
    """Every limit of grading, in one place (the CLI's defaults come from here).

    Time limits are CPU seconds of the submission's whole process tree: a loaded machine
    does not make a submission fail. ``wall_factor * limit + wall_grace`` wall seconds is
    the cap for code that sleeps or blocks; a notebook stopped by that cap is graded once
    more before a timeout is recorded."""

    cell_seconds: float = 30.0          # CPU seconds per cell
    call_seconds: float = 10.0          # CPU seconds per call of a student's function
    notebook_seconds: float = 300.0     # CPU seconds of all cells together (checks: as long again)
    wall_factor: float = 3.0
    wall_grace: float = 10.0
    start_seconds: float = 60.0         # wall seconds for the interpreter to come up
    memory_bytes: int = 4 << 30         # RLIMIT_AS of the submission
    output_bytes: int = 1 << 20         # printed output kept (the rest is counted, dropped)
    disk_bytes: int = 128 << 20         # each private tmpfs: working folder, /tmp, /dev/shm
    reply_bytes: int = 256 << 20        # largest reply read from the sandbox
    processes: int = 256                # RLIMIT_NPROC of the sandbox's user (as root)
    grader_memory_bytes: int = 2 << 30  # what a grading worker may add to its own address space
    notebook_bytes: int = 32 << 20      # largest submitted notebook read

    def wall(self, cpu_seconds: float) -> float:
        return self.wall_factor * cpu_seconds + self.wall_grace


class Stop(enum.Enum):
    """Why a sandbox stopped (it is dead afterwards)."""

    CPU = "cpu"        # the CPU limit of a cell or call
    WALL = "wall"      # the wall-clock cap (sleeping, blocked, or a starved machine)
    CRASH = "crash"    # the process died or broke the protocol


@dataclass(frozen=True)
class Stopped:
    why: Stop
    message: str


@dataclass(frozen=True)
class RemoteException:
    """An exception raised by the submission's code, as data."""

    type_name: str
    message: str
    lineno: int | None = None   # line in the learner's cell where it arose (innermost cell frame)
    line: str = ""              # that line's source

    def text(self) -> str:
        return f"{self.type_name}: {self.message}"

    @classmethod
    def from_wire(cls, data) -> "RemoteException":
        if not isinstance(data, dict):
            return cls("Error", "the sandbox sent an unreadable error")
        lineno = data.get("lineno")
        return cls(str(data.get("type", "Error"))[:100], str(data.get("message", ""))[:600],
                   lineno if isinstance(lineno, int) else None, str(data.get("line", ""))[:300])


@dataclass(frozen=True)
class CellOutcome:
    """A cell ran (``error`` None or the learner's exception) or the sandbox stopped."""

    error: RemoteException | None = None
    stopped: Stopped | None = None
    cpu_seconds: float = 0.0


@dataclass(frozen=True)
class CallOutcome:
    """A call returned ``value`` (an array or a tuple of arrays), raised ``error``, or
    the sandbox stopped."""

    value: object = None
    error: RemoteException | None = None
    stopped: Stopped | None = None
    cpu_seconds: float = 0.0


@dataclass
class Confinement:
    """What the sandbox enforces on this machine; reported with every grading run."""

    method: str = "in-house"     # "bubblewrap" | "in-house"
    user: str = ""               # who the submission runs as
    network: bool = False
    files: bool = False
    processes: bool = False
    capabilities: bool = False
    memory: bool = False
    output: bool = True          # a pipe the grader drains: always
    why_not_bwrap: str = ""

    KEYS = ("network", "files", "processes", "capabilities", "memory", "output")
    TEXT = {"network": "no network", "files": "only the interpreter and its packages visible",
            "processes": "grader processes invisible (PID namespace)",
            "capabilities": "capabilities dropped", "memory": "memory limit", "output": "output cap"}

    def unenforced(self) -> list[str]:
        return [self.TEXT[k] for k in self.KEYS if not getattr(self, k)]

    def describe(self) -> list[str]:
        lines = [f"method        {self.method}" + (f" (bubblewrap unusable: {self.why_not_bwrap})"
                                                   if self.why_not_bwrap else ""),
                 f"runs as       {self.user}"]
        lines += [f"{k:13s} {'enforced' if getattr(self, k) else 'NOT enforced'}" for k in self.KEYS]
        return lines


class SandboxStartError(RuntimeError):
    """The sandbox could not be started at all (a grader or machine problem)."""


# -- arrays on the wire -------------------------------------------------------------------

def pack_arrays(arrays) -> tuple[list, bytes]:
    """``(descriptors, payload)``: each array's dtype and shape, and its raw bytes."""
    specs, chunks = [], []
    for a in arrays:
        a = np.asarray(a)   # (not ascontiguousarray: it turns a 0-d array into 1-d)
        if a.dtype.str not in DTYPES:
            a = a.astype("<f8")
        specs.append([a.dtype.str, list(a.shape)])
        chunks.append(a.tobytes())
    return specs, b"".join(chunks)


def unpack_arrays(specs, payload: bytes) -> list:
    """The arrays described by ``specs`` in ``payload``; ValueError unless every byte is
    accounted for by arrays of allowed dtypes (checked before anything is allocated)."""
    if not isinstance(specs, list) or len(specs) > 4096:
        raise ValueError("arrays: expected a list of [dtype, shape]")
    sizes = []
    for spec in specs:
        if not (isinstance(spec, list) and len(spec) == 2 and spec[0] in DTYPES and isinstance(spec[1], list)
                and len(spec[1]) <= 32 and all(isinstance(n, int) and 0 <= n for n in spec[1])):
            raise ValueError(f"arrays: bad descriptor {str(spec)[:80]}")
        count = 1
        for n in spec[1]:
            count *= n
        sizes.append(count * np.dtype(spec[0]).itemsize)
    if sum(sizes) != len(payload):
        raise ValueError(f"arrays: descriptors account for {sum(sizes)} bytes, payload has {len(payload)}")
    out, offset = [], 0
    for (dtype, shape), size in zip(specs, sizes):
        arr = np.frombuffer(payload, dtype=dtype, count=size // np.dtype(dtype).itemsize, offset=offset)
        out.append(arr.reshape(shape).copy())
        offset += size
    return out


# -- how to confine ---------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_CLONE_NEWNS, _CLONE_NEWNET, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x40000000, 0x10000000, 0x20000000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
_PR_SET_CHILD_SUBREAPER, _PR_SET_PDEATHSIG = 36, 1
_subreaper_set = False


def _become_subreaper() -> None:
    """Orphaned descendants of our children get re-parented to us, so we can find them."""
    global _subreaper_set
    if _libc is not None and not _subreaper_set:
        _subreaper_set = _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _site_paths() -> list[str]:
    paths = list(site.getsitepackages()) + [site.getusersitepackages()]
    return [os.path.realpath(p) for p in paths if os.path.isdir(p)]


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _course_package_dirs() -> list[str]:
    """Where this repository's packages are installed (editable or not)."""
    dirs = []
    for name in COURSE_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for loc in (spec.submodule_search_locations or []) if spec else []:
            dirs.append(os.path.realpath(loc))
    return dirs


def _interpreter() -> str:
    return os.path.realpath(sys.executable)


def _ancestors(path: str) -> list[str]:
    parts, out = path.strip("/").split("/"), []
    for i in range(1, len(parts)):
        out.append("/" + "/".join(parts[:i]))
    return out


def bwrap_argv(limits: Limits, covers: list[str], as_root: bool) -> list[str]:
    """The bubblewrap command line (everything before the interpreter's own argv)."""
    interp = _interpreter()
    prefix = os.path.realpath(sys.base_prefix)
    binds = [prefix] + [p for p in _site_paths() if not _inside(p, prefix)]
    if not _inside(interp, prefix):
        binds.append(interp)
    argv = ["bwrap", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if as_root:
        # no user namespace (it would map the sandbox onto uid 0); setpriv drops to
        # SANDBOX_UID inside, so bwrap keeps only what setpriv needs for that
        argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                 "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    else:
        argv += ["--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--disable-userns"]
    for top in ("/usr",):
        argv += ["--ro-bind", top, top]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "fonts"):
        if os.path.exists("/etc/" + name):
            argv += ["--ro-bind", "/etc/" + name, "/etc/" + name]
    # the private /tmp and /dev/shm first: an interpreter or virtual environment that lives
    # under /tmp (a CI checkout, say) is bound on top of it below, read-only
    size = str(limits.disk_bytes)
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", size, "--perms", "01777", "--tmpfs", "/tmp",
             "--size", size, "--perms", "01777", "--tmpfs", "/dev/shm"]
    shown = ["/usr"] + [p for p in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
                                if os.path.isdir(p) and not os.path.islink(p)]
    made = set()
    for path in binds:
        if any(_inside(path, b) for b in shown):
            continue
        for parent in _ancestors(path):
            if parent not in made:
                argv += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        argv += ["--ro-bind", path, path]
        shown.append(path)
    for path in covers:
        if any(_inside(path, b) for b in shown) and os.path.isdir(path):
            argv += ["--size", "4096", "--perms", "0555", "--tmpfs", path]
    argv += ["--perms", "0755", "--dir", "/home",
             "--size", size, "--perms", "0777", "--tmpfs", HOME, "--chdir", HOME, "--clearenv"]
    for key, value in _child_env(HOME, "/tmp").items():
        argv += ["--setenv", key, value]
    if as_root:
        argv += [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={SANDBOX_UID}",
                 f"--regid={SANDBOX_UID}", "--clear-groups", "--no-new-privs", "--inh-caps=-all",
                 "--bounding-set=-all", "--"]
    return argv


def _child_env(home: str, tmp: str) -> dict:
    return {"HOME": home, "TMPDIR": tmp, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "IPYTHONDIR": os.path.join(tmp, ".ipython"),
            "MPLCONFIGDIR": os.path.join(tmp, ".matplotlib")}


@functools.lru_cache(maxsize=None)
def method() -> tuple[str, str]:
    """``("bubblewrap", "")`` when bwrap can confine a process here, else
    ``("in-house", why not)``. ``AUTOGRADER_SANDBOX=in-house`` forces the fallback."""
    if os.environ.get("AUTOGRADER_SANDBOX", "") == "in-house":
        return "in-house", "AUTOGRADER_SANDBOX=in-house"
    if not shutil.which("bwrap"):
        return "in-house", "bwrap is not installed"
    as_root = os.geteuid() == 0
    if as_root and not (shutil.which("setpriv") or os.path.exists("/usr/bin/setpriv")):
        return "in-house", "setpriv (util-linux) is missing"
    argv = bwrap_argv(Limits(), [], as_root) + [_interpreter(), "-I", "-S", "-c", "import os; print(os.getuid())"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "in-house", f"bwrap did not run ({exc})"
    if proc.returncode != 0:
        return "in-house", f"bwrap failed: {proc.stderr.strip()[-200:]}"
    return "bubblewrap", ""


def _set_limits(limits: Limits, as_root_bwrap: bool) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # a backstop for the whole life of the process; the grader's own meter is finer
    cpu = int(2 * limits.notebook_seconds + limits.cell_seconds + 60)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    if as_root_bwrap:  # counts only SANDBOX_UID's processes
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


def _preexec_bwrap(limits: Limits, as_root: bool):
    def setup():
        os.setsid()
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _set_limits(limits, as_root)
    return setup


def _preexec_inhouse(limits: Limits, hide: list[str], report_fd: int, workdir: str):
    """Between fork and exec: limits, namespaces, covers. Writes what it managed to report_fd."""

    keep = [os.path.realpath(sys.base_prefix)] + _site_paths()

    def setup():
        done = []
        os.setsid()
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        try:
            _set_limits(limits, False)
            done.append("memory")
        except (ValueError, OSError):
            pass
        if _libc is not None:
            flags = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWPID
            ok = _libc.unshare(flags) == 0
            if not ok:  # unprivileged: a user namespace mapped to our own ids
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
                if _libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) == 0:
                    # read-only: the root and the interpreter's folders (binds of themselves)
                    ro = all(_libc.mount(p.encode(), p.encode(), None, _MS_BIND | _MS_REC, None) == 0 and
                             _libc.mount(None, p.encode(), None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY, None) == 0
                             for p in ["/", *keep])
                    # private, size-limited /tmp and /dev/shm; the working folder inside /tmp
                    # (not where the interpreter or its packages live there: a tmpfs would hide
                    # them; then "files" is reported as not enforced)
                    opts = f"size={limits.disk_bytes},mode=1777".encode()
                    tmp = all(not any(_inside(k, p.decode()) for k in keep)
                              and _libc.mount(b"tmpfs", p, b"tmpfs", 0, opts) == 0 for p in (b"/tmp", b"/dev/shm"))
                    if tmp:
                        os.makedirs(workdir, exist_ok=True)
                        os.chdir(workdir)
                    elif os.path.isdir(workdir) and _libc.mount(b"tmpfs", workdir.encode(), b"tmpfs", 0, opts) == 0:
                        os.chdir(workdir)   # at least the working folder is private and writable
                    covered = all(_libc.mount(b"tmpfs", p.encode(), b"tmpfs", 0, b"size=64k,mode=0555") == 0
                                  for p in hide if os.path.isdir(p))
                    if ro and tmp and covered:
                        done.append("files")
        os.write(report_fd, ",".join(done).encode())
        os.close(report_fd)

    return setup


def _cover(path: str, keep: list[str]) -> list[str]:
    """``path``, or where it holds a folder the sandbox needs (the interpreter, its
    site-packages), every sub-folder of it that does not."""
    if not any(_inside(k, path) for k in keep):
        return [path]
    if any(_inside(path, k) for k in keep):
        return []
    out = []
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        if os.path.isdir(full) and not os.path.islink(full):
            out += _cover(full, keep)
    return out


def hidden_paths(course_root: str, extra: list[str]) -> list[str]:
    """Folders a submission must not see: the course root, the checkout the grader runs
    from, where the course packages are installed, and ``extra`` (the in-house fallback
    covers them with empty tmpfs; bubblewrap shows none of them anyway, and covers those
    inside a folder it must show)."""
    keep = [os.path.realpath(sys.base_prefix)] + _site_paths()
    paths = []
    for p in [course_root, CHECKOUT, *_course_package_dirs(), *extra]:
        real = os.path.realpath(p)
        if os.path.isdir(real):
            for c in _cover(real, keep):
                if c not in paths:
                    paths.append(c)
    return paths


# -- the sandbox -------------------------------------------------------------------------

class Sandbox:
    """One confined child process. Use as a context manager; always :meth:`close`.

    Raises :class:`SandboxStartError` when the interpreter does not come up."""

    def __init__(self, limits: Limits, hide: list[str]):
        _become_subreaper()
        self.limits = limits
        self.stopped: Stopped | None = None
        self._output = bytearray()
        self._dropped = 0
        self._buffer = b""
        self._workdir = None
        self._out_open = True
        self._wall_deadline = 0.0
        self._cpu_start = 0.0
        kind, why = method()
        as_root = os.geteuid() == 0
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        out_r, out_w = os.pipe()
        self._out = out_r
        child_args = [str(to_child_r), str(from_child_w), json.dumps(_site_paths()), json.dumps(DTYPES)]
        try:
            if kind == "bubblewrap":
                argv = bwrap_argv(limits, hide, as_root) + [_interpreter(), "-I", "-S", "-c", CHILD_SOURCE] + child_args
                self.proc = subprocess.Popen(
                    argv, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, stdin=subprocess.DEVNULL,
                    stdout=out_w, stderr=out_w, pass_fds=(to_child_r, from_child_w), close_fds=True,
                    preexec_fn=_preexec_bwrap(limits, as_root), cwd="/")
                done = ["network", "files", "processes", "capabilities", "memory"]
                user = (f"uid {SANDBOX_UID} (owns no file)" if as_root else
                        f"uid {NOBODY} inside, the grader's uid {os.getuid()} to the kernel")
            else:
                self._workdir = tempfile.mkdtemp(prefix="rnn-sandbox-", dir="/tmp")
                report_r, report_w = os.pipe()
                env = dict(_child_env(self._workdir, self._workdir), RNN_SANDBOX_PIDNS="1")
                argv = [_interpreter(), "-I", "-S", "-c", CHILD_SOURCE] + child_args
                self.proc = subprocess.Popen(
                    argv, cwd=self._workdir, env=env, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                    pass_fds=(to_child_r, from_child_w, report_w), close_fds=True,
                    preexec_fn=_preexec_inhouse(limits, hide, report_w, self._workdir))
                os.close(report_w)
                with os.fdopen(report_r, "rb") as report:
                    done = report.read().decode().split(",")
                user = f"the grader's uid {os.getuid()}"
        finally:
            for fd in (to_child_r, from_child_w, out_w):
                os.close(fd)
        header, _ = self._expect("ready", None, limits.start_seconds)
        if header is None:
            self.close()
            raise SandboxStartError(f"the sandbox did not start ({kind}): {self.stopped.message}; "
                                    f"output: {self.output(600)}")
        done += list(header.get("confined", []))
        self.confinement = Confinement(method=kind, user=user, why_not_bwrap=why,
                                       **{k: (k in done) for k in Confinement.KEYS if k != "output"})

    # -- measuring ------------------------------------------------------------------------

    def _tree_cpu(self) -> float:
        """CPU seconds used by the child and every descendant (reaped ones included)."""
        import psutil

        total = 0.0
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root] + root.children(recursive=True)
        except psutil.Error:
            return 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                pass
        return total

    # -- framing --------------------------------------------------------------------------

    def _send(self, header: dict, payload: bytes = b"") -> bool:
        data = json.dumps(header).encode()
        frame = struct.pack("<I", len(data)) + data + struct.pack("<Q", len(payload)) + payload
        try:
            view = memoryview(frame)
            while view:
                n = os.write(self._to_child, view)
                view = view[n:]
            return True
        except OSError:
            self._stop(Stop.CRASH, self._death_message())
            return False

    def _drain_output(self) -> None:
        try:
            chunk = os.read(self._out, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            self._out_open = False
            return
        room = self.limits.output_bytes - len(self._output)
        self._output += chunk[:max(room, 0)]
        self._dropped += max(len(chunk) - max(room, 0), 0)

    def _read(self, n: int, cpu_limit: float | None, wall_limit: float) -> bytes | None:
        """n bytes of the reply channel, or None once the sandbox stopped."""
        while len(self._buffer) < n:
            now = time.monotonic()
            if now > self._wall_deadline:
                self._stop(Stop.WALL, f"ran past the wall-clock cap of {wall_limit:g} s")
                return None
            if cpu_limit is not None and self._tree_cpu() - self._cpu_start > cpu_limit:
                self._stop(Stop.CPU, f"used more than {cpu_limit:g} s of CPU time")
                return None
            fds = [self._from_child] + ([self._out] if self._out_open else [])
            ready, _, _ = select.select(fds, [], [], min(self._wall_deadline - now, 0.2))
            if self._out in ready:
                self._drain_output()
            if self._from_child in ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    self._stop(Stop.CRASH, self._death_message())
                    return None
                self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _expect(self, op: str, cpu_limit: float | None, wall_limit: float):
        """(header, payload) of the next reply, which must be ``op``; (None, None) once stopped."""
        if self.stopped is not None:
            return None, None
        self._wall_deadline = time.monotonic() + wall_limit
        self._cpu_start = self._tree_cpu() if cpu_limit is not None else 0.0
        raw = self._read(4, cpu_limit, wall_limit)
        if raw is None:
            return None, None
        (hlen,) = struct.unpack("<I", raw)
        if hlen > 1 << 20:
            return self._stop(Stop.CRASH, "the submission corrupted the grader's channel")
        raw = self._read(hlen, cpu_limit, wall_limit)
        if raw is None:
            return None, None
        try:
            header = json.loads(raw)
        except ValueError:
            return self._stop(Stop.CRASH, "the submission corrupted the grader's channel")
        raw = self._read(8, cpu_limit, wall_limit)
        if raw is None:
            return None, None
        (plen,) = struct.unpack("<Q", raw)
        if plen > self.limits.reply_bytes:
            return self._stop(Stop.CRASH, f"the reply is larger than {self.limits.reply_bytes >> 20} MB")
        payload = self._read(plen, cpu_limit, wall_limit) if plen else b""
        if payload is None:
            return None, None
        if not isinstance(header, dict) or header.get("op") != op:
            return self._stop(Stop.CRASH, f"unexpected reply from the sandbox: {str(header)[:100]}")
        return header, payload

    def _stop(self, why: Stop, message: str):
        if self.stopped is None:
            self.stopped = Stopped(why, message)
        self.kill()
        return None, None

    def _death_message(self) -> str:
        code = self.proc.poll()
        if code is None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
        sig = -code if code is not None and code < 0 else (code - 128 if code is not None and code > 128 else 0)
        if sig:
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            return f"the kernel died with signal {name}"
        return f"the kernel exited (exit code {code})"

    def _used(self) -> float:
        return max(self._tree_cpu() - self._cpu_start, 0.0) if self.stopped is None else 0.0

    # -- operations ----------------------------------------------------------------------

    def run_cell(self, index: int, source: str, cpu_seconds: float | None = None) -> CellOutcome:
        """Run one cell (IPython semantics) within ``cpu_seconds`` (default: the cell limit)."""
        cpu = self.limits.cell_seconds if cpu_seconds is None else cpu_seconds
        if self.stopped is None:
            self._send({"op": "cell", "index": index, "source": source})
        header, _ = self._expect("cell", cpu, self.limits.wall(cpu))
        if header is None:
            return CellOutcome(stopped=self.stopped)
        used = self._used()
        error = header.get("error")
        return CellOutcome(error=RemoteException.from_wire(error) if error else None, cpu_seconds=used)

    def call(self, function: str, args: list, single: bool) -> CallOutcome:
        """Call ``function(*args)`` in the child. Arguments it wrote into are written back
        into ``args`` (the check sees the same side effect as in the learner's kernel)."""
        specs, payload = pack_arrays([np.asarray(a) for a in args])
        if self.stopped is None:
            self._send({"op": "call", "function": function, "arrays": specs, "single": single}, payload)
        cpu = self.limits.call_seconds
        header, payload = self._expect("call", cpu, self.limits.wall(cpu))
        if header is None:
            return CallOutcome(stopped=self.stopped)
        used = self._used()
        if not header.get("ok"):
            return CallOutcome(error=RemoteException.from_wire(header.get("error")), cpu_seconds=used)
        try:
            arrays = unpack_arrays(header.get("arrays"), payload)
            n = int(header["outputs"])
            mutated = [int(i) for i in header.get("mutated", [])]
            if not (0 < n and n + len(mutated) == len(arrays)):
                raise ValueError("wrong number of arrays")
        except (ValueError, KeyError, TypeError):
            return CallOutcome(error=RemoteException("TypeError", "the function's result could not be read as arrays"),
                               cpu_seconds=used)
        for i, changed in zip(mutated, arrays[n:]):
            if 0 <= i < len(args) and isinstance(args[i], np.ndarray):
                if changed.shape == args[i].shape:
                    np.copyto(args[i], changed, casting="unsafe")
                else:
                    args[i].fill(np.nan)  # reshaped in place: certainly not untouched
        outs = arrays[:n]
        return CallOutcome(value=tuple(outs) if header.get("tuple") else outs[0], cpu_seconds=used)

    def output(self, limit: int = 4000) -> str:
        """What the submission printed (stdout and stderr), at most ``limit`` bytes."""
        if self._out_open:
            while select.select([self._out], [], [], 0)[0]:
                before = len(self._output) + self._dropped
                self._drain_output()
                if len(self._output) + self._dropped == before:
                    break
        note = "\n[output truncated]"
        if not self._dropped and len(self._output) <= limit:
            return bytes(self._output).decode(errors="replace")
        return bytes(self._output[:max(limit - len(note), 0)]).decode(errors="replace")[:max(limit - len(note), 0)] + note

    def kill(self) -> None:
        """SIGKILL the child, its process group, and every descendant we can find."""
        import psutil

        try:
            pids = {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.Error:
            pids = set()
        for target in [self.proc.pid, *pids]:
            try:
                os.kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _reap_orphans()

    def close(self) -> None:
        if hasattr(self, "proc"):
            self.kill()
        for fd in (self._to_child, self._from_child, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        self._out_open = False
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
    with Sandbox(Limits(), hidden_paths(course_root, [])) as box:
        return box.confinement
