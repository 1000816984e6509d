"""The sandboxed side of grading: runs a student's cells, then serves function calls.

This file is executed by path in a fresh interpreter (``python -S -c <this source>``),
never imported: it must not import ``autograder`` or ``rnn_ref``. It talks to the grader
over two inherited file descriptors with length-prefixed frames: a JSON header followed
by an optional ``.npz`` payload (``allow_pickle=False`` on both sides, so neither side
ever unpickles the other's data).

Requests (grader -> child):
    {"op": "cell", "index": i, "source": "..."}         run one cell (IPython semantics)
    {"op": "call", "function": "name", "nargs": k}      + npz payload a0..a{k-1}
    {"op": "modules"}                                   which forbidden modules got imported
Replies (child -> grader):
    {"op": "cell", "index": i, "error": null | "Type: message"}
    {"op": "call", "ok": true, "n": k, "tuple": bool}   + npz payload o0..o{k-1}
    {"op": "call", "ok": false, "error": "Type: message"}
"""

import io
import json
import os
import struct
import sys

READ_FD, WRITE_FD = int(sys.argv[1]), int(sys.argv[2])


def _enter_pid_namespace():
    """When the grader unshared a PID namespace for us, our first child is its init:
    fork, let the child run everything, and mirror its exit. The child mounts a fresh
    /proc (so no grader process, and no /proc/<pid>/root of one, is visible), then
    drops every capability, so neither the covers nor /proc can be unmounted."""
    import ctypes

    done = []
    if os.environ.pop("RNN_SANDBOX_PIDNS", "") == "1":
        pid = os.fork()
        if pid:
            _, status = os.waitpid(pid, 0)
            os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)                        # PR_SET_PDEATHSIG: SIGKILL
        os.setpgid(0, 0)  # own group: kill(0, ...) must not reach the process outside the namespace
        MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
        if libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None) == 0:
            done.append("processes")
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(38, 1, 0, 0, 0)                       # PR_SET_NO_NEW_PRIVS
        for cap in range(64):
            libc.prctl(24, cap, 0, 0, 0)                 # PR_CAPBSET_DROP
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)    # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()                   # effective, permitted, inheritable x 2: all zero
        if libc.capset(header, data) == 0 and libc.prctl(23, 21, 0, 0, 0) == 0:  # CAPBSET_READ(SYS_ADMIN)
            done.append("capabilities")
    except OSError:
        pass
    return done


CONFINED = _enter_pid_namespace()
FORBIDDEN = tuple(json.loads(sys.argv[3]))
for path in json.loads(sys.argv[4]):  # the interpreter's site-packages, without .pth processing
    if path not in sys.path:
        sys.path.append(path)

_reader = os.fdopen(READ_FD, "rb", buffering=0)
_writer = os.fdopen(WRITE_FD, "wb", buffering=0)


def _read_exact(n):
    chunks = []
    while n:
        chunk = _reader.read(n)
        if not chunk:
            os._exit(0)  # the grader went away
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _receive():
    (hlen,) = struct.unpack("<I", _read_exact(4))
    header = json.loads(_read_exact(hlen))
    (plen,) = struct.unpack("<Q", _read_exact(8))
    return header, (_read_exact(plen) if plen else b"")


def _send(header, payload=b""):
    data = json.dumps(header).encode()
    _writer.write(struct.pack("<I", len(data)) + data + struct.pack("<Q", len(payload)) + payload)


class _Blocker:
    """Refuses imports of the reference and the grader (defence in depth: the grader
    also scans the source and hides those folders where the OS allows)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            _seen.add(name.split(".")[0])
            raise ImportError(f"{name} is not available to submissions")
        return None


_seen = set()
sys.meta_path.insert(0, _Blocker())

# The notebooks' setup cell runs `from autograder import check`; test cells are not run
# here (the grader runs the checks itself), so a no-op stands in for the real package.
_stub = type(sys)("autograder")
_stub.check = lambda *args, **kwargs: None
sys.modules["autograder"] = _stub
os.environ["MPLBACKEND"] = "Agg"

import numpy as np  # noqa: E402  (after the path set-up above)
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

_shell = InteractiveShell.instance(colors="NoColor")
_shell.display_formatter.active_types = ["text/plain"]
_shell.enable_gui = lambda gui=None: None  # no event loop here; figures render to Agg
_shell.register_magic_function(lambda line="": None, "line", "matplotlib")
_namespace = _shell.user_ns


def _describe(exc):
    text = str(exc)
    if len(text) > 500:
        text = text[:500] + "..."
    return f"{type(exc).__name__}: {text}"


def _run_cell(source):
    result = _shell.run_cell(source, store_history=False, silent=False)
    err = result.error_before_exec or result.error_in_exec
    return None if err is None else _describe(err)


def _pack(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _call(header, payload):
    name = header["function"]
    fn = _namespace.get(name)
    if fn is None or not callable(fn):
        return {"op": "call", "ok": False, "error": f"NameError: {name} is not defined"}, b""
    with np.load(io.BytesIO(payload), allow_pickle=False) as data:
        args = [np.array(data[f"a{i}"]) for i in range(header["nargs"])]
    before = [a.copy() for a in args]
    try:
        out = fn(*args)
    except NotImplementedError:
        return {"op": "call", "ok": False, "error": "NotImplementedError: "}, b""
    except BaseException as exc:  # noqa: BLE001 (student code may raise anything)
        return {"op": "call", "ok": False, "error": _describe(exc)}, b""
    is_tuple = isinstance(out, (tuple, list)) and not isinstance(out, np.ndarray) and not (
        header.get("single") and isinstance(out, list))
    items = list(out) if is_tuple else [out]
    arrays = {}
    for i, item in enumerate(items):
        try:
            arr = np.asarray(item)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"returned a {type(item).__name__} (dtype {arr.dtype}), not an array of numbers")
            arrays[f"o{i}"] = np.ascontiguousarray(arr).reshape(arr.shape)  # keeps 0-d as 0-d
        except BaseException as exc:  # noqa: BLE001
            return {"op": "call", "ok": False, "error": f"TypeError: output {i}: {_describe(exc)}"}, b""
    # arguments the function wrote into are sent back, so the grader sees the same
    # in-place side effect it would see in the student's own kernel
    mutated = [i for i, (a, b) in enumerate(zip(args, before))
               if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)]
    for i in mutated:
        arrays[f"m{i}"] = args[i]
    return {"op": "call", "ok": True, "n": len(items), "tuple": is_tuple, "mutated": mutated}, _pack(arrays)


def main():
    _send({"op": "ready", "confined": CONFINED})
    while True:
        header, payload = _receive()
        op = header["op"]
        if op == "cell":
            error = _run_cell(header["source"])
            sys.stdout.flush()
            sys.stderr.flush()
            _send({"op": "cell", "index": header["index"], "error": error})
        elif op == "call":
            reply, data = _call(header, payload)
            _send(reply, data)
        elif op == "modules":
            loaded = sorted({m.split(".")[0] for m in sys.modules if sys.modules[m] is not _stub}
                            & set(FORBIDDEN)) + sorted(_seen)
            _send({"op": "modules", "forbidden": sorted(set(loaded))})
        else:
            _send({"op": "error", "error": f"unknown op {op!r}"})


main()
