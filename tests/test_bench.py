"""The benchmarks in benchmarks/ run (as smoke tests: no timings are asserted), the NumPy
path never needs torch, the textbook baseline computes the same function, and the GPU
benchmark refuses a machine without CUDA in one line, runs its comparisons on the CPU,
survives a failing torch.compile, and (marked cuda) agrees with cuDNN on a GPU."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import gpu
from benchmarks import textbook
from rnn_ref import numpy as ref
from rnn_ref.numpy import rel_error

ROOT = Path(__file__).resolve().parents[1]


def _run(args, timeout=300):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=dict(os.environ), capture_output=True,
                          text=True, timeout=timeout)


def test_bench_quick_prints_the_table_and_the_targets():
    proc = _run(["-m", "benchmarks.cpu", "--quick"])
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
    proc = _run(["-m", "benchmarks.cpu", "--quick", "--models", "gru", "--dtypes", "float64", "--repeat", "2"])
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:2] for line in proc.stdout.splitlines() if line.split()[:1] in (["rnn"], ["lstm"], ["gru"])]
    assert rows == [["gru", "float64"], ["gru", "float64"]]
    bad = _run(["-m", "benchmarks.cpu", "--quick", "--models", "transformer"])
    assert bad.returncode != 0 and "unknown model" in bad.stderr


def test_numpy_path_never_imports_torch():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import rnn_ref.numpy as ref
        from benchmarks import textbook
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


# --------------------------------------------------------------------------- benchmarks.gpu

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch.cuda.is_available() is False)")


def _table_rows(out):
    """The table's data rows: {(model, dtype): the row's fields split at ' | '}."""
    rows = {}
    for text in out.splitlines():
        fields = [f.strip() for f in text.split(" | ")]
        if len(fields) > 2 and fields[0].split()[:1] in (["lstm"], ["gru"]):
            rows[tuple(fields[0].split()[:2])] = fields
    return rows


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the refusal cannot be seen")
def test_gpu_bench_without_cuda_says_so_in_one_line_and_fails():
    proc = _run(["-m", "benchmarks.gpu"], timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("benchmarks.gpu: no CUDA device here"), proc.stderr
    assert "--device cpu" in lines[0]


def test_gpu_bench_runs_its_comparisons_on_the_cpu_quick():
    proc = _run(["-m", "benchmarks.gpu", "--device", "cpu", "--quick"], timeout=180)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "cudnn ms" in out and "eager ms" in out and "module ms" in out and "max err" in out
    assert "graphed ms" not in out and "compiled ms" not in out      # CUDA only / --compile only
    rows = _table_rows(out)
    assert set(rows) == {("lstm", "float32"), ("gru", "float32")}
    for fields in rows.values():
        # float32 against torch.nn's float32 on the same weights: rounding only
        assert float(fields[-1]) < 1e-4, fields
        assert all(f != "failed" for f in fields), fields
    bad = _run(["-m", "benchmarks.gpu", "--device", "cpu", "--dtypes", "bfloat16"], timeout=120)
    assert bad.returncode != 0 and "only float32" in bad.stderr


def test_gpu_bench_goes_on_without_torch_compile(monkeypatch, capsys):
    def unavailable(*args, **kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", unavailable)
    monkeypatch.setattr(gpu, "CPU_QUICK", [(2, 3, 4)])
    assert gpu.main(["--device", "cpu", "--quick", "--compile", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "lstm: torch.compile is unavailable here (RuntimeError: no compiler here); running without it" in out
    assert "gru: torch.compile is unavailable here" in out
    assert "compiled ms" not in out and "max err" in out and len(_table_rows(out)) == 2


def test_gpu_bench_row_reports_a_variant_that_fails_and_keeps_the_others():
    def broken(*args, **kwargs):
        raise RuntimeError("kernel exploded")

    notes = []
    row = gpu.bench_row("gru", 2, 3, 4, torch.device("cpu"), torch.float32, variants=("eager", "module", "compiled"),
                        compiled=(broken, broken), repeats=1, notes=notes)
    assert row["failed"] == {"compiled"} and set(row["ms"]) == {"cudnn", "eager", "module"}
    assert notes == ["gru float32 (2, 3, 4): compiled failed (RuntimeError: kernel exploded)"]
    assert "failed" in gpu.line(row, ["cudnn", "eager", "module", "compiled"])
    assert max(row["err"].values()) < 1e-4


def test_gpu_bench_uncompiled_pieces_agree_with_cudnn_substitute_on_the_cpu():
    """The compiled variant runs the *_fused pieces through the private loops; eagerly (no
    torch.compile) they must give what the public functions give."""
    eager_pieces = {"lstm": (gpu.lstm_mod._cell_fused, gpu.lstm_mod._step_grads_fused),
                    "gru": (gpu.gru_mod._cell_fused, gpu.gru_mod._step_grads_fused)}
    for kind, pieces in eager_pieces.items():
        row = gpu.bench_row(kind, 3, 5, 6, torch.device("cpu"), torch.float32, variants=("eager", "compiled"),
                            compiled=pieces, repeats=1)
        assert not row["failed"] and row["err"]["compiled"] < 1e-4 and row["err"]["eager"] < 1e-4


@pytest.mark.cuda
@CUDA
@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-4), (torch.bfloat16, 6e-2)])
def test_cuda_gpu_bench_variants_agree_with_cudnn(kind, dtype, tol, monkeypatch):
    """Every variant at small sizes against cuDNN. float32 with TF32 off (agreement to
    rounding); bfloat16: 8 significant bits (unit roundoff 4e-3), 7 steps and sums of 16-21
    terms, with cuDNN keeping some intermediates in float32 and rnn_ref all in bfloat16."""
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    try:
        compiled = gpu.compile_pieces(kind)
    except Exception:  # noqa: BLE001 - the benchmark reports this and goes on; so does the test
        compiled = None
    notes = []
    row = gpu.bench_row(kind, 3, 7, 16, torch.device("cuda"), dtype, compiled=compiled, repeats=1, notes=notes)
    assert {"eager", "module"} <= set(row["ms"]), notes
    assert all(isinstance(row["mib"][v], float) and row["mib"][v] >= 0 for v in row["ms"])
    for name, err in row["err"].items():
        assert err < tol, (name, err, notes)
    missing = {"compiled", "graphed"} - set(row["ms"])
    assert missing <= row["failed"] | ({"compiled", "graphed"} if compiled is None else set()), notes


@pytest.mark.cuda
@CUDA
def test_cuda_gpu_bench_quick_table_runs():
    proc = _run(["-m", "benchmarks.gpu", "--quick", "--models", "lstm", "--dtypes", "float32", "--repeats", "1",
                 "--no-compile"], timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = _table_rows(proc.stdout)
    assert set(rows) == {("lstm", "float32")} and "MiB" in proc.stdout
