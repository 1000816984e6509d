"""The sandbox: what it enforces, checked by trying each thing from inside it."""

import os
import subprocess
import time

import numpy as np
import pytest

from autograder.sandbox import Limits, RemoteError, Sandbox, SandboxError, capabilities, hidden_paths

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF = capabilities(ROOT)


def needs(what):
    return pytest.mark.skipif(not getattr(CONF, what), reason=f"this machine does not let the sandbox enforce {what}")


@pytest.fixture
def box(tmp_path):
    b = Sandbox(str(tmp_path), Limits(cell_seconds=3, call_seconds=2, memory_bytes=1 << 30, output_bytes=1 << 16),
                hidden_paths(ROOT, []))
    yield b
    b.close()


def test_cells_run_with_ipython_semantics_and_calls_ship_plain_arrays(box):
    assert box.run_cell(0, "%matplotlib inline\nimport numpy as np\ndef f(a, b):\n    return a @ b, a + 1") is None
    out = box.call("f", [np.ones((2, 3)), np.ones((3, 1))], single=False)
    assert isinstance(out, tuple) and out[0].shape == (2, 1) and np.all(out[0] == 3)
    assert box.run_cell(1, "1 / 0").startswith("ZeroDivisionError")


def test_student_exceptions_come_back_as_text(box):
    box.run_cell(0, "def g(x):\n    raise KeyError('nope')")
    with pytest.raises(RemoteError, match="KeyError"):
        box.call("g", [np.zeros(2)], single=True)
    with pytest.raises(RemoteError, match="NameError"):
        box.call("missing", [], single=True)


def test_objects_that_are_not_arrays_are_refused(box):
    box.run_cell(0, "class Liar:\n    def __eq__(self, o): return True\ndef h(x):\n    return Liar()")
    with pytest.raises(RemoteError, match="not an array of numbers"):
        box.call("h", [np.zeros(2)], single=True)


def test_reference_and_grader_cannot_be_imported(box):
    assert box.run_cell(0, "import rnn_ref").startswith("ImportError")
    assert box.run_cell(1, "from autograder import check\ncheck('x', None)") is None  # a no-op stand-in
    assert box.run_cell(2, "import autograder.registry").startswith(("ImportError", "ModuleNotFoundError"))


def test_a_loop_that_ignores_interrupts_is_killed_at_the_deadline(box):
    t = time.monotonic()
    with pytest.raises(SandboxError) as err:
        box.run_cell(0, "while True:\n    try:\n        pass\n    except BaseException:\n        pass")
    assert err.value.status == "timeout" and time.monotonic() - t < 6


def test_os_exit_is_a_crash(box):
    with pytest.raises(SandboxError) as err:
        box.run_cell(0, "import os\nos._exit(7)")
    assert err.value.status == "crash" and "exit code 7" in str(err.value)


@needs("memory")
def test_memory_is_limited(box):
    assert box.run_cell(0, "import numpy as np\nx = np.ones(1 << 28)").startswith("MemoryError")


@needs("output")
def test_output_is_capped(box):
    box.run_cell(0, "print('x' * (1 << 20))")
    assert len(box.output(1 << 22)) <= (1 << 16) + 4096


@needs("network")
def test_no_network(box):
    err = box.run_cell(0, "import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=1)")
    assert err and ("unreachable" in err.lower() or "OSError" in err or "timed out" in err)


@needs("files")
def test_course_folders_are_hidden(box):
    box.run_cell(0, f"import os\nfound = os.listdir({os.path.join(ROOT, 'autograder')!r})")
    box.run_cell(1, "def n():\n    import numpy as np\n    return np.array([len(found)])")
    assert box.call("n", [], single=True)[0] == 0
    assert os.listdir(os.path.join(ROOT, "autograder"))  # untouched for everyone else


@needs("processes")
def test_grader_processes_are_invisible_and_unkillable(box):
    err = box.run_cell(0, f"import os, signal\nos.kill({os.getpid()}, signal.SIGKILL)")
    assert err and "ProcessLookupError" in err
    box.run_cell(1, "import os, signal\nfor p in (0, -1):\n    try:\n        os.kill(p, signal.SIGKILL)\n"
                    "    except OSError:\n        pass")
    assert box.run_cell(2, "x = 1") is None  # still alive after trying to kill its group and everyone


def test_every_started_process_is_killed_at_the_end(tmp_path):
    b = Sandbox(str(tmp_path), Limits(cell_seconds=3), [])
    b.run_cell(0, "import subprocess\np = subprocess.Popen(['sleep', '271'], start_new_session=True)")
    b.close()
    time.sleep(0.2)
    assert subprocess.run(["pgrep", "-f", "sleep 271"], capture_output=True, text=True).stdout == ""
