"""Speed of rnn_ref.numpy's RNN / LSTM / GRU against torch.nn and a textbook NumPy version.

    python -m benchmarks.cpu [--quick] [--repeat R] [--models rnn,lstm,gru] [--dtypes float32,float64]

Every timing is forward + backward, one thread per library (the *_NUM_THREADS variables
are set before NumPy is imported, and torch.set_num_threads(1)), the median of several
repeats after a warm-up, all in this one process so that ratios compare like with like.
Times are this process's CPU time (time.process_time): with one thread per library it is
the compute time, and it is less disturbed than wall time by other processes sharing the
cores (they still share caches and memory bandwidth, so a loaded machine adds noise).

  * numpy    : ``*_forward(..., cache=c)`` then ``*_backward(..., cache=c)`` (the fast path;
               the vanilla RNN has no cache and always runs cache-free);
  * no-cache : the cache-free call (the backward recomputes the gates from its inputs);
  * torch.nn : ``torch.nn.RNN/LSTM/GRU(batch_first=True)`` on CPU, ``out.backward(dout)``
               with the input and the initial states requiring grad;
  * textbook : benchmarks.textbook (per-gate matrices, per-step matmuls and caches),
               on the long-sequence rows (T = 1000) only.

It then prints the LSTM's matmul throughput (FLOPs of its forward and backward matmuls,
without the cache-free recomputation, divided by its time) against a large float32 GEMM
on the same BLAS, and one line per speed target saying met / not met with the figure.
"""

from __future__ import annotations

import os

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _var in _THREAD_VARS:        # before NumPy (and its BLAS) is loaded
    os.environ[_var] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import textbook  # noqa: E402
from rnn_ref import numpy as ref  # noqa: E402

FULL_SHAPES = [(32, 50, 64, 128), (64, 100, 128, 256), (1, 1000, 1, 128), (64, 100, 65, 512)]
QUICK_SHAPES = [(4, 6, 5, 8), (1, 40, 1, 8)]
GEMM_SHAPE = (64, 100, 65, 512)            # the LSTM row of the GEMM-throughput target
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


# ----------------------------------------------------------------------------- environment

def _openblas_threads():
    """(name, get_num_threads) of the OpenBLAS that NumPy loaded, read from /proc/self/maps."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", "_64", ""):
                try:
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                    core = getattr(lib, f"{prefix}_get_corename{suffix}")
                except AttributeError:
                    continue
                core.restype = ctypes.c_char_p
                return os.path.basename(path), get(), core().decode()
    return None


def torch_lstm_uses_onednn(torch, dtype):
    """Whether torch.nn.LSTM's forward + backward in ``dtype`` runs oneDNN's RNN kernels here."""
    m = torch.nn.LSTM(4, 8, batch_first=True).to(dtype)
    out, _ = m(torch.zeros(2, 3, 4, dtype=dtype, requires_grad=True))
    seen, todo = set(), [out.grad_fn]                      # walk the autograd graph
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if "mkldnn" in type(node).__name__.lower():
            return True
        todo.extend(fn for fn, _ in node.next_functions)
    return False


def describe_environment():
    lines = []
    try:
        import threadpoolctl
        for info in threadpoolctl.threadpool_info():
            lines.append(f"threadpool: {info.get('internal_api')} {info.get('version')} "
                         f"({info.get('architecture')}) threads={info.get('num_threads')} "
                         f"[{os.path.basename(info.get('filepath', ''))}]")
    except ImportError:
        blas = {}
        try:
            blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        except Exception:  # noqa: BLE001 - best effort description
            pass
        runtime = _openblas_threads()
        lines.append(f"numpy {np.__version__}: BLAS {blas.get('name', '?')} {blas.get('version', '')}"
                     + (f", runtime {runtime[0]} core={runtime[2]} threads={runtime[1]}" if runtime else "")
                     + " (threadpoolctl not installed)")
    env_vars = [*_THREAD_VARS, *(["OPENBLAS_CORETYPE"] if "OPENBLAS_CORETYPE" in os.environ else [])]
    lines.append("env: " + " ".join(f"{v}={os.environ.get(v)}" for v in env_vars))
    return lines


# ----------------------------------------------------------------------------- problems

def make_problem(kind, shape, dtype, seed=0):
    N, T, D, H = shape
    rng = np.random.default_rng(seed)
    G = GATES[kind] * H
    s = 1.0 / np.sqrt(H)
    u = lambda *sh: rng.uniform(-s, s, sh).astype(dtype)  # noqa: E731  torch.nn's default init
    if kind == "rnn":
        params = {"W_xh": u(D, H), "W_hh": u(H, H), "b_h": u(H)}
    elif kind == "lstm":
        params = {"W_x": u(D, G), "W_h": u(H, G), "b": u(G)}
    else:
        params = {"W_x": u(D, G), "W_h": u(H, G), "b_x": u(G), "b_h": u(G)}
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, H)).astype(dtype) * 0.5
    c0 = rng.standard_normal((N, H)).astype(dtype) * 0.5 if kind == "lstm" else None
    dh = rng.standard_normal((N, T, H)).astype(dtype)
    return params, x, h0, c0, dh


def numpy_runner(kind, params, x, h0, c0, dh, use_cache):
    p = params
    if kind == "rnn":
        def run():
            h = ref.rnn_forward(x, h0, p["W_xh"], p["W_hh"], p["b_h"])
            return ref.rnn_backward(dh, x, h0, h, p["W_xh"], p["W_hh"])
    elif kind == "lstm":
        def run():
            cache = {} if use_cache else None
            h, c = ref.lstm_forward(x, h0, c0, p["W_x"], p["W_h"], p["b"], cache=cache)
            return ref.lstm_backward(dh, None, x, h0, c0, h, c, p["W_x"], p["W_h"], p["b"], cache=cache)
    else:
        def run():
            cache = {} if use_cache else None
            h = ref.gru_forward(x, h0, p["W_x"], p["W_h"], p["b_x"], p["b_h"], cache=cache)
            return ref.gru_backward(dh, x, h0, h, p["W_x"], p["W_h"], p["b_x"], p["b_h"], cache=cache)
    return run


def torch_runner(kind, params, x, h0, c0, dh):
    import torch

    from rnn_ref.torch.convert import to_torch_state_dict

    N, T, D = x.shape
    H = h0.shape[1]
    dtype = torch.float32 if x.dtype == np.float32 else torch.float64
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    m = module(D, H, batch_first=True).to(dtype)
    m.load_state_dict(to_torch_state_dict(kind, [params]))
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    h0t = torch.from_numpy(h0[None].copy()).requires_grad_(True)
    hx = (h0t, torch.from_numpy(c0[None].copy()).requires_grad_(True)) if kind == "lstm" else h0t
    dout = torch.from_numpy(dh.copy())
    leaves = [xt, *(hx if kind == "lstm" else (hx,)), *m.parameters()]

    def run():
        for leaf in leaves:
            leaf.grad = None
        out, _ = m(xt, hx)
        out.backward(dout)
    return run


def textbook_runner(kind, params, x, h0, c0, dh):
    p = textbook.split(kind, params)
    c = c0 if kind == "lstm" else None
    return lambda: textbook.textbook_forward_backward(kind, x, h0, c, p, dh)


def lstm_matmul_flops(shape):
    """FLOPs of the LSTM's matmuls, forward + backward: the forward's x W_x and h W_h,
    and the backward's dx, dh_{t-1} and dW_x, dW_h (three times 2 T N (D + H) 4H)."""
    N, T, D, H = shape
    return 3 * 2 * T * N * (D + H) * 4 * H


def time_interleaved(runners, reps, cheap_factor=1, cheap_s=0.3):
    """Median CPU seconds of each runner: one warm-up round, then ``reps`` timed rounds
    with the runners in turn (``reps * cheap_factor`` when a round took under ``cheap_s``)."""
    times = {name: [] for name in runners}
    t0 = time.process_time()
    for run in runners.values():
        run()
    if time.process_time() - t0 < cheap_s:
        reps *= cheap_factor
    for _ in range(reps):
        for name, run in runners.items():
            t0 = time.process_time()
            run()
            times[name].append(time.process_time() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def gemm_flops_per_s(n, dtype, reps=5):
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    t = time_interleaved({"gemm": lambda: np.matmul(a, b, out=out)}, reps)["gemm"]
    return 2.0 * n ** 3 / t


# ----------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.cpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny shapes, one repeat: a smoke run")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed rounds per row after the warm-up (three times as many for rows under 0.3 s a round)")
    ap.add_argument("--models", default="rnn,lstm,gru")
    ap.add_argument("--dtypes", default="float32,float64")
    args = ap.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    dtypes = [np.dtype(d.strip()) for d in args.dtypes.split(",") if d.strip()]
    bad = [m for m in models if m not in GATES] + [str(d) for d in dtypes if d not in (np.float32, np.float64)]
    if bad:
        ap.error(f"unknown model or dtype: {bad}")
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    repeat = 1 if args.quick else max(1, args.repeat)
    long_T = max(s[1] for s in shapes)                     # the textbook rows
    gemm_shape = shapes[-1] if args.quick else GEMM_SHAPE

    import torch
    torch.set_num_threads(1)
    started = time.perf_counter()
    cheap = 1 if args.quick else 3
    print("benchmarks.cpu: forward + backward, one thread per library; CPU-time median of "
          f"{repeat} rounds after a warm-up ({cheap * repeat} for rows under 0.3 s a round)")
    for line in describe_environment():
        print("  " + line)
    onednn = {d: torch_lstm_uses_onednn(torch, getattr(torch, d)) for d in ("float32", "float64")}
    print(f"  torch {torch.__version__}: threads={torch.get_num_threads()}; torch.nn.LSTM runs oneDNN "
          f"(MkldnnRnnLayer) in float32: {'yes' if onednn['float32'] else 'no'}, in float64: "
          f"{'yes' if onednn['float64'] else 'no'}; load average at start {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores")
    if args.quick:
        print("  --quick: tiny shapes, 1 repeat; the figures below do not test the targets")

    head = (f"{'model':5} {'dtype':7} {'N':>3} {'T':>5} {'D':>4} {'H':>4} {'numpy ms':>10} {'no-cache ms':>11} "
            f"{'torch.nn ms':>11} {'ratio':>6} {'ratio nc':>8} {'textbook ms':>11} {'speed-up':>8}")
    print()
    print(head)
    print("-" * len(head))
    rows = []
    for kind in models:
        for dtype in dtypes:
            for shape in shapes:
                params, x, h0, c0, dh = make_problem(kind, shape, dtype)
                runners = {"numpy": numpy_runner(kind, params, x, h0, c0, dh, use_cache=True)}
                if kind != "rnn":
                    runners["nocache"] = numpy_runner(kind, params, x, h0, c0, dh, use_cache=False)
                runners["torch"] = torch_runner(kind, params, x, h0, c0, dh)
                if shape[1] == long_T:
                    runners["textbook"] = textbook_runner(kind, params, x, h0, c0, dh)
                med = time_interleaved(runners, repeat, cheap_factor=cheap)
                row = dict(kind=kind, dtype=dtype.name, shape=shape, **med)
                rows.append(row)
                t_np, t_torch = med["numpy"], med["torch"]
                nc = med.get("nocache", t_np)
                tb = med.get("textbook")
                nc_txt = f"{nc * 1e3:.2f}" if "nocache" in med else "-"
                tb_txt, up_txt = (f"{tb * 1e3:.2f}", f"{tb / t_np:.1f}x") if tb else ("", "")
                print(f"{kind:5} {dtype.name:7} {shape[0]:>3} {shape[1]:>5} {shape[2]:>4} {shape[3]:>4} "
                      f"{t_np * 1e3:>10.2f} {nc_txt:>11} {t_torch * 1e3:>11.2f} {t_np / t_torch:>6.2f} "
                      f"{nc / t_torch:>8.2f} {tb_txt:>11} {up_txt:>8}", flush=True)

    # GEMM throughput of the LSTM against one large float32 GEMM on the same BLAS.
    gemm_line = None
    lstm_rows = [r for r in rows if r["kind"] == "lstm" and r["dtype"] == "float32" and r["shape"] == gemm_shape]
    if lstm_rows:
        r = lstm_rows[0]
        peak = gemm_flops_per_s(512 if args.quick else 2048, np.float32)
        flops = lstm_matmul_flops(gemm_shape)
        fast, slow = flops / r["numpy"], flops / r["nocache"]
        gemm_line = fast / peak
        print()
        print(f"GEMM throughput: float32 GEMM {512 if args.quick else 2048}^3: {peak / 1e9:.1f} GFLOP/s; "
              f"LSTM {gemm_shape} float32 matmuls ({flops / 1e9:.2f} GFLOP fwd+bwd): "
              f"{fast / 1e9:.1f} GFLOP/s = {100 * fast / peak:.0f}% "
              f"(cache-free: {slow / 1e9:.1f} GFLOP/s = {100 * slow / peak:.0f}%, its recomputation not counted)")

    # Targets.
    print()
    print(f"Targets{' (quick run: tiny shapes, not the targets)' if args.quick else ''}:")
    for label, key in (("numpy", "numpy"), ("numpy cache-free (for reference)", "nocache")):
        ratios = [(r.get(key, r["numpy"]) / r["torch"], r) for r in rows]
        if not ratios:
            break
        median = statistics.median(x for x, _ in ratios)
        print(f"  [{'met' if median <= 0.9 else 'NOT MET'}] {label}: median numpy/torch ratio over "
              f"{len(ratios)} rows <= 0.9: {median:.2f}")
        worst, worst_row, failures = 0.0, None, []
        for ratio, r in ratios:
            N, T = r["shape"][:2]
            if r["kind"] == "lstm" and r["dtype"] == "float32" and onednn["float32"]:
                limit = 2.5 if N == 1 else (1.3 if N >= 32 else 1.5)
            else:
                limit = 1.5
            if ratio / limit > worst:
                worst, worst_row = ratio / limit, (ratio, limit, r)
            if ratio > limit:
                failures.append(f"{r['kind']} {r['dtype']} {r['shape']}: {ratio:.2f} > {limit}")
        ratio, limit, r = worst_row
        print(f"  [{'met' if not failures else 'NOT MET'}] {label}: no row above 1.5 (float32 LSTM on oneDNN: "
              f"1.3 at N>=32, 2.5 at N=1): closest {r['kind']} {r['dtype']} {r['shape']} {ratio:.2f} "
              f"vs {limit}" + (f"; over: {'; '.join(failures)}" if failures else ""))
    tb_rows = [r for r in rows if "textbook" in r]
    if tb_rows:
        r = min(tb_rows, key=lambda r: r["textbook"] / r["numpy"])
        speed = r["textbook"] / r["numpy"]
        print(f"  [{'met' if speed >= 4 else 'NOT MET'}] textbook speed-up >= 4x at T={long_T}: "
              f"lowest {speed:.1f}x ({r['kind']} {r['dtype']})")
    if gemm_line is not None:
        print(f"  [{'met' if gemm_line >= 0.7 else 'NOT MET'}] LSTM {gemm_shape} float32 >= 70% of GEMM "
              f"FLOP/s: {100 * gemm_line:.0f}%")
    print(f"\nTotal {time.perf_counter() - started:.0f} s; load average at end {os.getloadavg()[0]:.2f} "
          f"(other processes on these cores make the figures noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
