"""The sandboxed side of grading: runs a student's cells, then serves function calls.

The grader starts this source with ``python -I -S -c <source> READ_FD WRITE_FD SITE DTYPES``
already inside the confinement (see ``sandbox.py``): no folder the submission can write
is on ``sys.path`` and nothing but the standard library is imported before the
submission's first cell. It must not import ``autograder`` or ``rnn_ref`` (they are not
there). It talks to the grader over two inherited descriptors with length-prefixed
frames: a JSON header and an optional payload of raw arrays whose dtypes and shapes the
header lists (no pickle, no compression, on either side).

Requests (grader -> child):
    {"op": "cell", "index": i, "source": "..."}                  run one cell (IPython semantics)
    {"op": "call", "function": "name", "arrays": [...], "single": bool}   + the arguments
Replies (child -> grader):
    {"op": "ready", "confined": [...]}
    {"op": "cell", "index": i, "error": null | ERROR}
    {"op": "call", "ok": true, "outputs": k, "tuple": bool, "mutated": [i, ...], "arrays": [...]}
    {"op": "call", "ok": false, "error": ERROR}
ERROR is {"type", "message", "lineno", "line"}: the exception and the innermost line of a
cell's own code where it arose.
"""

import json
import os
import struct
import sys

READ_FD, WRITE_FD = int(sys.argv[1]), int(sys.argv[2])
DTYPES = tuple(json.loads(sys.argv[4]))   # the dtypes that may cross the channel (sandbox.DTYPES)


def _enter_pid_namespace():
    """In-house confinement only (bubblewrap does this itself): when the grader unshared a
    PID namespace for us, our first child is its init: fork, let the child run everything,
    and mirror its exit. The child mounts a fresh /proc, then drops every capability, so
    neither the covers nor /proc can be unmounted."""
    import ctypes

    done = []
    if os.environ.pop("RNN_SANDBOX_PIDNS", "") != "1":
        return done
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, 9, 0, 0, 0)                        # PR_SET_PDEATHSIG: SIGKILL
    os.setpgid(0, 0)  # own group: kill(0, ...) must not reach the process outside the namespace
    if libc.mount(b"proc", b"/proc", b"proc", 2 | 4 | 8, None) == 0:   # nosuid, nodev, noexec
        done.append("processes")
    libc.prctl(38, 1, 0, 0, 0)                       # PR_SET_NO_NEW_PRIVS
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)                 # PR_CAPBSET_DROP
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)    # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()                   # effective, permitted, inheritable: all zero
    if libc.capset(header, data) == 0 and libc.prctl(23, 21, 0, 0, 0) == 0:  # CAPBSET_READ(SYS_ADMIN)
        done.append("capabilities")
    return done


CONFINED = _enter_pid_namespace()
for path in json.loads(sys.argv[3]):  # the interpreter's site-packages, without .pth processing
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


# The notebooks' setup cell runs `from autograder import check`; test cells are not run
# here (the grader runs the checks itself), so a no-op stands in for the real package.
_stub = type(sys)("autograder")
_stub.check = lambda *args, **kwargs: None
sys.modules["autograder"] = _stub

class _LazyPyplot:
    """``matplotlib.pyplot`` is imported when first used, not at ``import``: the setup
    cells import it for figures that grading does not draw (saves ~0.4 s of CPU a
    notebook). A cell that plots gets the real module, as in the learner's kernel."""

    def find_spec(self, name, path=None, target=None):
        if name != "matplotlib.pyplot":
            return None
        import importlib.machinery
        import importlib.util

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


sys.meta_path.insert(0, _LazyPyplot())

import numpy as np  # noqa: E402  (after the path set-up above)
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

_shell = InteractiveShell.instance(colors="NoColor")
_shell.display_formatter.active_types = ["text/plain"]
_shell.enable_gui = lambda gui=None: None  # no event loop here; figures render to Agg
_shell.register_magic_function(lambda line="": None, "line", "matplotlib")
_namespace = _shell.user_ns
_cell = {"index": 0}
# every cell's code gets the file name "<cell i>", so a traceback tells the learner's lines apart
_shell.compile.get_code_name = lambda raw, transformed, number: f"<cell {_cell['index']}>"


def _error(exc):
    import linecache
    import traceback

    lineno, line = None, ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith("<cell "):
            lineno = frame.lineno
            line = (linecache.getline(frame.filename, frame.lineno) or "").strip()
    text = str(exc)
    if len(text) > 500:
        text = text[:500] + "..."
    return {"type": type(exc).__name__, "message": text, "lineno": lineno, "line": line[:300]}


def _run_cell(index, source):
    _cell["index"] = index
    result = _shell.run_cell(source, store_history=False, silent=False)
    err = result.error_before_exec or result.error_in_exec
    return None if err is None else _error(err)


def _pack(arrays):
    specs, chunks = [], []
    for a in arrays:
        a = np.asarray(a)   # tobytes() is C order whatever the layout; 0-d stays 0-d
        specs.append([a.dtype.str, list(a.shape)])
        chunks.append(a.tobytes())
    return specs, b"".join(chunks)


def _unpack(specs, payload):
    out, offset = [], 0
    for dtype, shape in specs:
        count = int(np.prod(shape, dtype=np.int64))
        out.append(np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(shape).copy())
        offset += count * np.dtype(dtype).itemsize
    return out


def _call(header, payload):
    name = header["function"]
    fn = _namespace.get(name)
    if fn is None or not callable(fn):
        return {"op": "call", "ok": False,
                "error": {"type": "NameError", "message": f"{name} is not defined", "lineno": None, "line": ""}}, b""
    args = _unpack(header["arrays"], payload)
    before = [a.copy() for a in args]
    try:
        out = fn(*args)
    except BaseException as exc:  # noqa: BLE001 (student code may raise anything)
        return {"op": "call", "ok": False, "error": _error(exc)}, b""
    is_tuple = isinstance(out, (tuple, list)) and not isinstance(out, np.ndarray) and not (
        header.get("single") and isinstance(out, list))
    items = list(out) if is_tuple else [out]
    arrays = []
    for i, item in enumerate(items):
        try:
            arr = np.asarray(item)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"returned a {type(item).__name__} (dtype {arr.dtype}), not an array of numbers")
            if arr.dtype.str not in DTYPES:
                arr = arr.astype("<f8")
            arrays.append(arr)
        except BaseException as exc:  # noqa: BLE001
            err = _error(exc)
            err.update(type="TypeError", message=f"output {i}: {err['type']}: {err['message']}")
            return {"op": "call", "ok": False, "error": err}, b""
    if not arrays:
        return {"op": "call", "ok": False,
                "error": {"type": "TypeError", "message": "returned an empty tuple", "lineno": None, "line": ""}}, b""
    # arguments the function wrote into are sent back, so the grader sees the same
    # in-place side effect it would see in the student's own kernel
    mutated = [i for i, (a, b) in enumerate(zip(args, before))
               if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)]
    specs, data = _pack(arrays + [args[i] for i in mutated])
    return {"op": "call", "ok": True, "outputs": len(arrays), "tuple": is_tuple, "mutated": mutated,
            "arrays": specs}, data


def main():
    _send({"op": "ready", "confined": CONFINED})
    while True:
        header, payload = _receive()
        op = header["op"]
        if op == "cell":
            error = _run_cell(header["index"], header["source"])
            sys.stdout.flush()
            sys.stderr.flush()
            _send({"op": "cell", "index": header["index"], "error": error})
        elif op == "call":
            reply, data = _call(header, payload)
            sys.stdout.flush()
            sys.stderr.flush()
            _send(reply, data)
        else:
            _send({"op": "error", "error": f"unknown op {op!r}"})


main()
