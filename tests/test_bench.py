"""The benchmark runs (as a smoke test: no timings are asserted), and the NumPy path never
needs torch."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from rnn_ref import _bench_textbook as textbook
from rnn_ref import numpy as ref
from rnn_ref.numpy import rel_error

ROOT = Path(__file__).resolve().parents[1]


def _run(args, timeout=300):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=dict(os.environ), capture_output=True,
                          text=True, timeout=timeout)


def test_bench_quick_prints_the_table_and_the_targets():
    proc = _run(["-m", "rnn_ref.bench", "--quick"])
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "model dtype" in out and "numpy ms" in out and "torch.nn ms" in out and "textbook ms" in out
    for kind in ("rnn", "lstm", "gru"):
        for dtype in ("float32", "float64"):
            assert sum(line.split()[:2] == [kind, dtype] for line in out.splitlines()) == 2, (kind, dtype)
    assert "GEMM throughput" in out and "Targets" in out
    assert "median numpy/torch ratio" in out and "textbook speed-up" in out
    assert "OPENBLAS_NUM_THREADS=1" in out and "threads=1" in out


def test_bench_options_select_models_and_dtypes():
    proc = _run(["-m", "rnn_ref.bench", "--quick", "--models", "gru", "--dtypes", "float64", "--repeat", "2"])
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:2] for line in proc.stdout.splitlines() if line.split()[:1] in (["rnn"], ["lstm"], ["gru"])]
    assert rows == [["gru", "float64"], ["gru", "float64"]]
    bad = _run(["-m", "rnn_ref.bench", "--quick", "--models", "transformer"])
    assert bad.returncode != 0 and "unknown model" in bad.stderr


def test_numpy_path_never_imports_torch():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import rnn_ref.numpy as ref
        from rnn_ref import _bench_textbook
        rng = np.random.default_rng(0)
        N, T, D, H = 2, 5, 3, 4
        x, h0, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, T, H))
        W = lambda *s: rng.standard_normal(s) * 0.3
        lp = dict(W_x=W(D, 4 * H), W_h=W(H, 4 * H), b=W(4 * H))
        gp = dict(W_x=W(D, 3 * H), W_h=W(H, 3 * H), b_x=W(3 * H), b_h=W(3 * H))
        for cache in (None, {}):
            h, c = ref.lstm_forward(x, h0, h0, **lp, cache=cache)
            ref.lstm_backward(dh, None, x, h0, h0, h, c, **lp, cache=cache)
            g = ref.gru_forward(x, h0, **gp, cache=cache)
            ref.gru_backward(dh, x, h0, g, **gp, cache=cache)
        h = ref.rnn_forward(x, h0, W(D, H), W(H, H), W(H))
        assert "torch" not in sys.modules, "rnn_ref.numpy imported torch"
        print("ok")
    """)
    proc = _run(["-c", code], timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_textbook_baseline_computes_the_same_function():
    """The baseline is only worth comparing against if it is right."""
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 6, 3, 4
    x, h0, c0, dh = (rng.standard_normal(s) for s in ((N, T, D), (N, H), (N, H), (N, T, H)))
    W = lambda *s: rng.standard_normal(s) * 0.4  # noqa: E731
    cases = {
        "rnn": dict(W_xh=W(D, H), W_hh=W(H, H), b_h=W(H)),
        "lstm": dict(W_x=W(D, 4 * H), W_h=W(H, 4 * H), b=W(4 * H)),
        "gru": dict(W_x=W(D, 3 * H), W_h=W(H, 3 * H), b_x=W(3 * H), b_h=W(3 * H)),
    }
    for kind, p in cases.items():
        h_tb, dx_tb, dh0_tb, g_tb = textbook.textbook_forward_backward(kind, x, h0, c0, textbook.split(kind, p), dh)
        if kind == "rnn":
            h = ref.rnn_forward(x, h0, **p)
            dx, dh0, *grads = ref.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
            want = dict(zip(("Wx_h", "Wh_h", "b_h"), grads))
        elif kind == "lstm":
            h, c = ref.lstm_forward(x, h0, c0, **p)
            dx, dh0, _, dW_x, dW_h, db = ref.lstm_backward(dh, None, x, h0, c0, h, c, **p)
            want = {}
            for k, gate in enumerate("ifgo"):
                cols = slice(k * H, (k + 1) * H)
                want.update({f"Wx_{gate}": dW_x[:, cols], f"Wh_{gate}": dW_h[:, cols], f"b_{gate}": db[cols]})
        else:
            h = ref.gru_forward(x, h0, **p)
            dx, dh0, dW_x, dW_h, db_x, db_h = ref.gru_backward(dh, x, h0, h, **p)
            want = {}
            for k, gate in enumerate("rzn"):
                cols = slice(k * H, (k + 1) * H)
                want.update({f"Wx_{gate}": dW_x[:, cols], f"Wh_{gate}": dW_h[:, cols],
                             f"bx_{gate}": db_x[cols], f"bh_{gate}": db_h[cols]})
        assert rel_error(h_tb, h) < 1e-12 and rel_error(dx_tb, dx) < 1e-12 and rel_error(dh0_tb, dh0) < 1e-12, kind
        assert set(want) == set(g_tb)
        for name, value in want.items():
            assert rel_error(g_tb[name], value) < 1e-12, (kind, name)
