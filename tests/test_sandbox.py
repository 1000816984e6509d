"""The sandbox: what it enforces, checked by trying each thing from inside it.

Each attack class of the grader's hardening issue has a test here (the sandbox) or in
tests/test_grading_isolation.py (the pipeline). Tests that need bubblewrap skip cleanly
where it cannot run; the in-house fallback is exercised as well."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from autograder import sandbox as sb
from autograder.sandbox import Limits, Sandbox, Stop, capabilities, hidden_paths, pack_arrays, unpack_arrays

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF = capabilities(ROOT)
BWRAP = CONF.method == "bubblewrap"
SMALL = Limits(cell_seconds=3, call_seconds=2, memory_bytes=1 << 30, output_bytes=1 << 16,
               wall_factor=2, wall_grace=4)


def needs(what):
    return pytest.mark.skipif(not getattr(CONF, what), reason=f"this machine does not let the sandbox enforce {what}")


needs_bwrap = pytest.mark.skipif(not BWRAP, reason=f"bubblewrap cannot run here ({CONF.why_not_bwrap})")


@pytest.fixture
def box():
    b = Sandbox(SMALL, hidden_paths(ROOT, []))
    yield b
    b.close()


def run(b, index, source):
    out = b.run_cell(index, source)
    assert out.stopped is None, out.stopped
    return out.error


def value(b, source):
    """Evaluate ``source`` (an expression giving a number or array) in the sandbox."""
    assert run(b, 900, f"def _probe():\n    import os, sys\n    import numpy as np\n    return np.asarray({source}, dtype=float)") is None
    out = b.call("_probe", [], single=True)
    assert out.error is None, out.error
    return out.value


def test_cells_run_with_ipython_semantics_and_calls_ship_plain_arrays(box):
    assert run(box, 0, "%matplotlib inline\nimport numpy as np\ndef f(a, b):\n    return a @ b, a + 1") is None
    out = box.call("f", [np.ones((2, 3)), np.ones((3, 1))], single=False)
    assert isinstance(out.value, tuple) and out.value[0].shape == (2, 1) and np.all(out.value[0] == 3)
    assert run(box, 1, "1 / 0").type_name == "ZeroDivisionError"
    # a Python number crosses as a 0-d array and comes back as one
    assert run(box, 2, "def count(n, s):\n    return np.arange(int(n)) * s, np.float64(s)") is None
    counted, scale = box.call("count", [3, 0.5], single=False).value
    assert counted.tolist() == [0, 0.5, 1.0] and scale.shape == ()


def test_student_exceptions_come_back_as_data_with_the_learners_line(box):
    run(box, 0, "def g(x):\n    y = x + 1\n    raise KeyError('nope')")
    err = box.call("g", [np.zeros(2)], single=True).error
    assert (err.type_name, err.lineno, err.line) == ("KeyError", 3, "raise KeyError('nope')")
    assert box.call("missing", [], single=True).error.type_name == "NameError"


def test_objects_that_are_not_arrays_are_refused(box):
    run(box, 0, "class Liar:\n    def __eq__(self, o): return True\ndef h(x):\n    return Liar()")
    assert "not an array of numbers" in box.call("h", [np.zeros(2)], single=True).error.message


def test_arrays_on_the_wire_are_checked_before_anything_is_allocated():
    specs, payload = pack_arrays([np.arange(6.0).reshape(2, 3), np.array(True)])
    a, b = unpack_arrays(specs, payload)
    assert a.shape == (2, 3) and a[1, 2] == 5 and b.dtype == bool and b.shape == ()
    for bad in ([["<f8", [10 ** 12]]], [["|O", [1]]], [["<f8", [-1]]], "not a list"):
        with pytest.raises(ValueError):
            unpack_arrays(bad, b"\0" * 8)


def test_a_reply_larger_than_the_limit_is_refused_unread():
    limits = Limits(cell_seconds=3, call_seconds=2, reply_bytes=1 << 20)
    with Sandbox(limits, []) as b:
        run(b, 0, "import numpy as np\ndef big():\n    return np.zeros(1 << 18)")
        out = b.call("big", [], single=True)
        assert out.stopped.why is Stop.CRASH and "larger than" in out.stopped.message


def test_the_reference_and_the_grader_are_not_there(box):
    assert run(box, 0, "import rnn_ref").type_name == "ModuleNotFoundError"
    assert run(box, 1, "from autograder import check\ncheck('x', None)") is None  # a no-op stand-in
    assert run(box, 2, "import autograder.registry").type_name in ("ImportError", "ModuleNotFoundError")


def test_a_loop_that_ignores_interrupts_is_stopped_by_its_cpu_limit():
    # a wall-clock cap far away, so that only the CPU limit can stop it however loaded the machine
    limits = Limits(cell_seconds=2, wall_factor=100, wall_grace=100)
    with Sandbox(limits, []) as b:
        t = time.monotonic()
        out = b.run_cell(0, "while True:\n    try:\n        pass\n    except BaseException:\n        pass")
        assert out.stopped.why is Stop.CPU and "2 s of CPU time" in out.stopped.message
        assert time.monotonic() - t < limits.wall(limits.cell_seconds)


def test_a_sleeping_cell_is_stopped_by_the_wall_clock_cap(box):
    t = time.monotonic()
    out = box.run_cell(0, "import time\ntime.sleep(3600)")
    assert out.stopped.why is Stop.WALL
    assert SMALL.wall(SMALL.cell_seconds) <= time.monotonic() - t < SMALL.wall(SMALL.cell_seconds) + 10


def test_cpu_limits_count_cpu_not_waiting(box):
    out = box.run_cell(0, "import time\ntime.sleep(2.5)")   # under the 3 s CPU limit whatever the load
    assert out.stopped is None and out.cpu_seconds < 1.5


def test_os_exit_is_a_crash(box):
    out = box.run_cell(0, "import os\nos._exit(7)")
    assert out.stopped.why is Stop.CRASH and "exit code 7" in out.stopped.message
    assert box.run_cell(1, "x = 1").stopped is not None  # dead afterwards, says so, does not hang


@needs("memory")
def test_memory_is_limited(box):
    assert run(box, 0, "import numpy as np\nx = np.ones(1 << 28)").type_name == "MemoryError"


def test_output_travels_through_a_pipe_and_is_capped(box):
    run(box, 0, "print('x' * (1 << 20))\nimport sys\nprint('err', file=sys.stderr)")
    text = box.output(1 << 22)
    assert len(text) <= (1 << 16) + 100 and text.endswith("[output truncated]")


@needs("network")
def test_no_network(box):
    err = run(box, 0, "import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=1)")
    assert err is not None and err.type_name in ("OSError", "TimeoutError", "ConnectionRefusedError")


# -- class 1: nothing runs before confinement; nothing survives a restart --------------------

@needs_bwrap
def test_no_writable_folder_is_on_sys_path_and_the_working_folder_is_fresh_each_start():
    plant = ("import os\nfor name in ('numpy.py', 'sitecustomize.py', 'IPython.py'):\n"
             "    open(name, 'w').write('import os\\nos._exit(42)\\n')\n"
             "open('/tmp/planted', 'w').write('x')\nopen('/dev/shm/planted', 'w').write('x')")
    with Sandbox(SMALL, []) as b:
        assert value(b, "sum(os.access(p, os.W_OK) for p in __import__('sys').path if p)") == 0
        assert run(b, 0, plant) is None
        assert b.run_cell(1, "import os\nos._exit(9)").stopped.why is Stop.CRASH
    with Sandbox(SMALL, []) as b:   # the restart: the planted modules are not there
        assert value(b, "len(os.listdir('.')) + os.path.exists('/tmp/planted') + os.path.exists('/dev/shm/planted')") == 0
    assert not os.path.exists("/tmp/planted") and not os.path.exists("/dev/shm/planted")


@needs_bwrap
def test_two_sandboxes_do_not_see_each_other():
    with Sandbox(SMALL, []) as a, Sandbox(SMALL, []) as b:
        run(a, 0, "open('mine', 'w').write('a')\nopen('/tmp/mine', 'w').write('a')")
        assert value(b, "os.path.exists('mine') + os.path.exists('/tmp/mine') + len(os.listdir('/home'))") == 1


# -- class 2: the submission runs as a user that owns nothing; the file system is read-only ---

@needs_bwrap
def test_the_submission_runs_as_a_user_that_owns_nothing_and_cannot_write_outside_tmpfs():
    import psutil

    site_packages = sb._site_paths()[0]
    with Sandbox(SMALL, []) as b:
        uids = {p.uids().real for p in psutil.Process(b.proc.pid).children(recursive=True)}
        if os.geteuid() == 0:
            assert sb.SANDBOX_UID in uids and 0 not in {p.uids().effective for p in
                                                        psutil.Process(b.proc.pid).children(recursive=True)[1:]}
        assert value(b, "os.getuid()") in (sb.SANDBOX_UID, sb.NOBODY)
        for target in (os.path.join(site_packages, "numpy", "__init__.py"), sys.executable, "/usr/bin/env"):
            err = run(b, 0, f"open({target!r}, 'a').write('#')")
            assert err is not None and err.type_name in ("OSError", "PermissionError", "FileNotFoundError"), target
        assert value(b, "int(open('/proc/self/status').read().split('CapEff:')[1].split()[0], 16)") == 0


@needs_bwrap
def test_the_grader_environment_is_not_inherited(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SECRET", "s3cret-for-the-test")
    with Sandbox(SMALL, []) as b:
        run(b, 0, "import os\nprint(sorted(os.environ.items()))")
        assert "s3cret" not in b.output()


# -- class 5: the grader's checkout is unreachable whatever --root says -----------------------

@needs_bwrap
def test_the_checkout_the_grader_runs_from_is_unreachable_even_with_another_root(tmp_path):
    with Sandbox(SMALL, hidden_paths(str(tmp_path), [])) as b:   # as with --root on a copy
        for path in ("solutions", "course", "rnn_ref", "autograder", "tests", "README.md"):
            assert value(b, f"os.path.exists({os.path.join(ROOT, path)!r})") == 0, path
        # at most the bare folders leading to the interpreter's site-packages (a venv inside the checkout)
        assert value(b, f"len(set(os.listdir({ROOT!r})) - {{'.venv'}}) if os.path.isdir({ROOT!r}) else 0") == 0
        finder = ("import sys, glob\nsys.meta_path[:] = [m for m in sys.meta_path if 'Blocker' not in repr(m)]\n"
                  "for f in glob.glob(sys.path[-1] + '/__editable__*finder.py'):\n"
                  "    exec(open(f).read(), ns := {'__name__': 'x'})\n    ns['install']()\n"
                  "import rnn_ref")
        assert run(b, 0, finder).type_name in ("ModuleNotFoundError", "ImportError")


# -- processes ---------------------------------------------------------------------------

@needs("processes")
def test_grader_processes_are_invisible_and_unkillable(box):
    err = run(box, 0, f"import os, signal\nos.kill({os.getpid()}, signal.SIGKILL)")
    assert err is not None and err.type_name in ("ProcessLookupError", "PermissionError")
    # every process it may signal, except itself: nothing of the grader's is among them
    assert run(box, 1, "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass") is None
    assert box.run_cell(2, "x = 1").stopped is None


def test_every_started_process_is_killed_at_the_end():
    b = Sandbox(SMALL, [])
    run(b, 0, "import subprocess\np = subprocess.Popen(['sleep', '271'], start_new_session=True)")
    b.close()
    time.sleep(0.5)
    assert subprocess.run(["pgrep", "-f", "sleep 271"], capture_output=True, text=True).stdout == ""


def test_the_in_house_fallback_still_confines_and_says_so(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "in-house")
    sb.method.cache_clear()
    try:
        with Sandbox(SMALL, hidden_paths(ROOT, [])) as b:
            assert b.confinement.method == "in-house" and "AUTOGRADER_SANDBOX" in b.confinement.why_not_bwrap
            assert value(b, "sum(os.access(p, os.W_OK) for p in __import__('sys').path if p)") == 0
            # "files" enforced means the checkout is hidden; where it is not (a virtual
            # environment under /tmp keeps the private /tmp off), the report must say so
            seen = value(b, f"os.path.exists({os.path.join(ROOT, 'autograder', 'grading.py')!r})")
            assert seen == 0 or not b.confinement.files
            assert b.confinement.files or b.confinement.unenforced()
    finally:
        monkeypatch.delenv("AUTOGRADER_SANDBOX")
        sb.method.cache_clear()


# -- unprivileged: the same sandbox started by a user created for the test ------------------

def _unprivileged_user():
    """A user created for the test (removed afterwards), or None and why not."""
    if os.geteuid() != 0:
        return None, "not root: cannot create a user for the test"
    name = "rnngrader-test"
    made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                          capture_output=True, text=True)
    if made.returncode not in (0, 9):   # 9: it exists already
        return None, f"useradd failed: {made.stderr.strip()[-120:]}"
    return name, ""


def _reachable(paths, stash):
    """Shell commands for a private mount namespace that make every folder leading to
    ``paths`` traversable by others (a 0755 tmpfs over a closed folder, with the needed
    entries bound back in), so an unprivileged user can start this interpreter even where
    it lives under /root. Nothing outside that namespace changes."""
    lines, blocked = ["mount --make-rprivate /"], {}
    for path in paths:
        parts = os.path.realpath(path).strip("/").split("/")
        for i in range(1, len(parts)):
            parent = "/" + "/".join(parts[:i])
            if not os.stat(parent).st_mode & 0o001:
                blocked.setdefault(parent, set()).add(parts[i])
    for n, (parent, children) in enumerate(sorted(blocked.items())):
        for child in sorted(children):
            keep = os.path.join(stash, f"{n}-{child}")
            os.makedirs(keep, exist_ok=True)
            lines.append(f"mount --bind {os.path.join(parent, child)} {keep}")
        lines.append(f"mount -t tmpfs -o mode=755 tmpfs {parent}")
        for child in sorted(children):
            lines += [f"mkdir -p {os.path.join(parent, child)}",
                      f"mount --bind {os.path.join(stash, f'{n}-{child}')} {os.path.join(parent, child)}"]
    return " && ".join(lines)


def _as(name, code, stash):
    paths = [sb._interpreter(), sys.base_prefix, *sb._site_paths(), ROOT]
    script = _reachable(paths, stash) + " && cd / && exec setpriv --reuid=\"$1\" --regid=\"$1\" --init-groups " \
        "env PYTHONPATH=\"$2\" \"$3\" -c \"$4\""
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", name, ROOT, sys.executable, code],
                          capture_output=True, text=True, cwd="/", env={"PATH": os.environ["PATH"]})


@pytest.mark.slow
def test_unprivileged_grader_confines_through_a_user_namespace(tmp_path):
    name, why = _unprivileged_user()
    if name is None:
        pytest.skip(why)
    try:
        probe = _as(name, "import os, numpy, autograder.sandbox as s; assert os.access(s._interpreter(), os.X_OK)",
                    str(tmp_path))
        if probe.returncode != 0:
            pytest.skip("the interpreter is not usable by an unprivileged user here "
                        f"({probe.stderr.strip().splitlines()[-1:]})")
        proc = _as(name, "from autograder.sandbox import *\n"
                         "with Sandbox(Limits(cell_seconds=5), []) as b:\n"
                         "    out = b.run_cell(0, \"open('/usr/x', 'w')\")\n"
                         "    mine = b.run_cell(1, \"import os\\nos.listdir(%r)\")\n"
                         "    print(b.confinement.method, out.error.type_name, mine.error.type_name)\n"
                         % os.path.join(ROOT, "autograder"), str(tmp_path))   # readable by that user, not in its sandbox
        assert proc.returncode == 0, proc.stderr[-2000:]
        method, error, mine = proc.stdout.split()
        assert method == "bubblewrap" or sb.method()[0] == "in-house"
        assert error in ("OSError", "PermissionError") and mine == "FileNotFoundError"
    finally:
        subprocess.run(["userdel", name], capture_output=True)
