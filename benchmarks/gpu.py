"""The GPU picture: rnn_ref.torch's LSTM and GRU against cuDNN, forward + backward.

    python -m benchmarks.gpu                      # CUDA: the whole table, in under 5 minutes
    python -m benchmarks.gpu --device cpu         # a smoke run on the CPU (torch.nn's CPU kernels)
        [--quick] [--models lstm,gru] [--dtypes float32,bfloat16] [--repeats R]
        [--no-compile] [--no-graphs] [--tf32 on|off] [--budget-s S]

Rows: model (LSTM, GRU) x dtype (float32, bfloat16) x shape, with N in {1, 64}, T in
{100, 1000}, H in {256, 1024} and D = H (``--quick``: T = 100, H = 256). Every variant
gets the same weights, inputs and upstream gradients (on ``y`` and, for the LSTM, the final
cell state), and is timed forward + backward (median of ``--repeats``, synchronised), with
its peak memory above what the inputs already hold and its time ratio to cuDNN:

  cudnn    torch.nn.LSTM / GRU(batch_first=True) + autograd (cuDNN on a GPU)
  eager    rnn_ref.torch.lstm_forward / gru_forward(cache=) + the explicit *_backward(cache=)
  module   rnn_ref.torch.LSTM / GRU (nn.Module; autograd calls the explicit backward)
  compiled eager, with the pointwise cell and the backward step compiled by torch.compile
           (one fused kernel per step each way, beside the step's one matmul)
  graphed  compiled, with the whole forward + backward captured once as a CUDA graph and
           replayed (no Python and no launch overhead per step; CUDA only)

``max err`` is the largest relative error (max |a - b| / max(|a| + |b|)) of any variant's
output or gradient against cuDNN's, a check that they all computed the same thing (float32
products use TF32 on both sides unless ``--tf32 off``: about 1e-3; bfloat16: about
1e-2). When torch.compile or a CUDA graph fails, the line says why and the run goes on
without that variant. Without CUDA, the default run stops at once with one line on stderr
and exit status 2; ``--device cpu`` runs the same comparisons on small shapes, float32.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

from rnn_ref.torch import gru as gru_mod
from rnn_ref.torch import lstm as lstm_mod
from rnn_ref.torch.convert import to_torch_state_dict
from rnn_ref.torch.gradcheck import rel_error
from rnn_ref.torch.modules import GRU as RefGRU
from rnn_ref.torch.modules import LSTM as RefLSTM

FULL = [(N, T, H) for N in (1, 64) for T in (100, 1000) for H in (256, 1024)]   # (N, T, H), D = H
QUICK = [(1, 100, 256), (64, 100, 256)]
CPU_FULL = [(1, 50, 64), (16, 50, 64)]       # --device cpu: a smoke run, not a measurement
CPU_QUICK = [(2, 5, 8)]
GOAL = ("float32", 64, 1000, 1024, 1.5)      # dtype, N, T, H, at most this ratio to cuDNN
VARIANTS = ("eager", "module", "compiled", "graphed")
GATES = {"lstm": 4, "gru": 3}
NAMES = {"lstm": ("W_x", "W_h", "b"), "gru": ("W_x", "W_h", "b_x", "b_h")}


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(fn, device, warmup, repeats):
    """(median ms, peak MiB above the memory already allocated, or None on the CPU) of ``fn()``."""
    for _ in range(warmup):
        fn()
    peak = None
    if device.type == "cuda":
        _sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        _sync(device)
        peak = (torch.cuda.max_memory_allocated(device) - base) / 2 ** 20
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), peak


# ----------------------------------------------------------------------------- the variants

def compile_pieces(kind):
    """(cell, step) of ``kind`` compiled by torch.compile; raises when compiling is unavailable.

    Shapes are dynamic, so that one compilation serves every H and N > 1 (N = 1 and each dtype
    compile once more); the first call of each shape compiles, before anything is timed.
    """
    if not torch.cuda.is_available():          # on a shared CPU: no pool of compile workers
        import torch._inductor.config as inductor_config

        inductor_config.compile_threads = 1
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 64)
    mod = lstm_mod if kind == "lstm" else gru_mod
    return (torch.compile(mod._cell_fused, dynamic=True), torch.compile(mod._step_grads_fused, dynamic=True))


class Case:
    """One row's tensors: weights (rnn_ref layout and as torch.nn / rnn_ref modules), inputs,
    upstream gradients, all on ``device`` in ``dtype``; drawn from a seeded generator."""

    def __init__(self, kind, N, T, H, device, dtype, seed=0):
        self.kind, self.device, self.dtype = kind, device, dtype
        D, G = H, GATES[kind]
        g = torch.Generator().manual_seed(seed)
        rand = lambda *s, scale=1.0: torch.randn(*s, generator=g, dtype=torch.float64) * scale  # noqa: E731
        p64 = {"W_x": rand(D, G * H, scale=D ** -0.5), "W_h": rand(H, G * H, scale=H ** -0.5)}
        p64.update({"b": rand(G * H, scale=0.1)} if kind == "lstm" else
                   {"b_x": rand(G * H, scale=0.1), "b_h": rand(G * H, scale=0.1)})
        to = lambda t: t.to(device=device, dtype=dtype)  # noqa: E731
        self.p = {k: to(v) for k, v in p64.items()}
        self.x, self.h0 = to(rand(N, T, D)), to(rand(N, H, scale=0.5))
        self.c0 = to(rand(N, H, scale=0.5)) if kind == "lstm" else None
        self.dy = to(rand(N, T, H))
        self.dc = to(rand(N, H)) if kind == "lstm" else None
        nn_cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        cpu = nn_cls(D, H, batch_first=True, dtype=torch.float64)
        cpu.load_state_dict(to_torch_state_dict(kind, [{k: v.numpy() for k, v in p64.items()}]))
        self.module = (RefLSTM if kind == "lstm" else RefGRU).from_torch_nn(cpu).to(device=device, dtype=dtype)
        self.nn = cpu.to(device=device, dtype=dtype)
        self.leaves = [t.clone().requires_grad_() for t in (self.x, self.h0, self.c0) if t is not None]

    # each runner returns (outputs, grads): outputs (y,) or (y, c_last); grads
    # (dx, dh0, [dc0,] dW_x, dW_h, db...) in rnn_ref's layout, for the agreement check

    def cudnn(self):
        for t in (*self.leaves, *self.nn.parameters()):
            t.grad = None
        x, h0 = self.leaves[0], self.leaves[1][None]
        if self.kind == "lstm":
            y, (_, c_n) = self.nn(x, (h0, self.leaves[2][None]))
            torch.autograd.backward([y, c_n[0]], [self.dy, self.dc])
            outs = (y, c_n[0])
        else:
            y, _ = self.nn(x, h0)
            y.backward(self.dy)
            outs = (y,)
        m = self.nn
        grads = [t.grad for t in self.leaves] + [m.weight_ih_l0.grad.t(), m.weight_hh_l0.grad.t()]
        grads += [m.bias_ih_l0.grad] if self.kind == "lstm" else [m.bias_ih_l0.grad, m.bias_hh_l0.grad]
        return outs, grads

    def eager(self, cell=None, step=None, checked=True):
        """The functional kernels with cache=; ``checked`` goes through the public functions
        (argument checks included), otherwise the private loops (capturable as a CUDA graph)."""
        p, cache = self.p, {}
        if self.kind == "lstm":
            if checked:
                h, c = lstm_mod.lstm_forward(self.x, self.h0, self.c0, **p, cache=cache)
                grads = lstm_mod.lstm_backward(self.dy, self.dc, self.x, self.h0, self.c0, h, c, **p, cache=cache)
            else:
                h, c = lstm_mod._forward(self.x, self.h0, self.c0, *p.values(), cell=cell, cache=cache)
                grads = lstm_mod._backward(self.dy, self.dc, self.x, self.h0, self.c0, h, c, *p.values(),
                                           step=step, gates=cache["A"])
            return (h, c[:, -1]), grads
        if checked:
            h = gru_mod.gru_forward(self.x, self.h0, **p, cache=cache)
            grads = gru_mod.gru_backward(self.dy, self.x, self.h0, h, **p, cache=cache)
        else:
            h = gru_mod._forward(self.x, self.h0, *p.values(), cache=cache, cell=cell)
            grads = gru_mod._backward(self.dy, self.x, self.h0, *p.values(), h=h, gates=(cache["A"], cache["Ah"]),
                                      step=step)
        return (h,), grads

    def module_run(self):
        for t in (*self.leaves, *self.module.parameters()):
            t.grad = None
        x, h0 = self.leaves[0], self.leaves[1][None]
        if self.kind == "lstm":
            y, _, c_n = self.module(x, h0, self.leaves[2][None])
            torch.autograd.backward([y, c_n[0]], [self.dy, self.dc])
            outs = (y, c_n[0])
        else:
            y, _ = self.module(x, h0)
            y.backward(self.dy)
            outs = (y,)
        layer = self.module.layers[0]
        return outs, [t.grad for t in self.leaves] + [layer[n].grad for n in NAMES[self.kind]]


def graph(fn, device):
    """``fn`` captured once as a CUDA graph: a function that replays it and returns the
    outputs of the capture (overwritten in place by every replay)."""
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):                      # warm-up on a side stream, as capture needs
        fn()
    torch.cuda.current_stream(device).wait_stream(side)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = fn()

    def replay():
        g.replay()
        return out
    return replay


def _reason(exc):
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:160]


def bench_row(kind, N, T, H, device, dtype, *, variants=VARIANTS, compiled=None, warmup=1, repeats=3,
              notes=None):
    """Times, peak memory and agreement of every variant for one row; returns a dict.

    ``compiled``: (cell, step) from :func:`compile_pieces`, or None to leave out the compiled
    and graphed variants. A variant that fails is left out of the row and its reason is
    appended to ``notes`` (a list); the row's "failed" set names it.
    """
    notes = [] if notes is None else notes
    case = Case(kind, N, T, H, device, dtype)
    runners = {"cudnn": case.cudnn, "eager": case.eager, "module": case.module_run}
    if compiled is not None and "compiled" in variants:
        runners["compiled"] = lambda: case.eager(*compiled, checked=False)
    row = {"kind": kind, "dtype": str(dtype).replace("torch.", ""), "N": N, "T": T, "H": H,
           "ms": {}, "mib": {}, "err": {}, "failed": set()}
    results = {}
    for name, fn in runners.items():
        if name != "cudnn" and name not in variants:
            continue
        try:
            row["ms"][name], row["mib"][name] = measure(fn, device, warmup, repeats)
            results[name] = fn()
        except Exception as exc:  # noqa: BLE001 - reported, the row goes on without it
            if name == "cudnn":                            # nothing to compare against
                raise
            row["failed"].add(name)
            notes.append(f"{kind} {row['dtype']} {(N, T, H)}: {name} failed ({_reason(exc)})")
    if "graphed" in variants and "compiled" in results and device.type == "cuda":
        try:
            _sync(device)
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
            replay = graph(runners["compiled"], device)
            _sync(device)
            capture_mib = (torch.cuda.max_memory_allocated(device) - base) / 2 ** 20
            row["ms"]["graphed"], _ = measure(replay, device, warmup, repeats)
            row["mib"]["graphed"] = capture_mib         # the graph's pool, held between replays
            results["graphed"] = replay()
        except Exception as exc:  # noqa: BLE001
            row["failed"].add("graphed")
            notes.append(f"{kind} {row['dtype']} {(N, T, H)}: graphed failed ({_reason(exc)})")
    (want_out, want_grads) = results["cudnn"]
    for name, (outs, grads) in results.items():
        if name == "cudnn":
            continue
        pairs = list(zip(outs, want_out)) + list(zip(grads, want_grads))
        row["err"][name] = max(rel_error(a, b) for a, b in pairs)
    return row


# ----------------------------------------------------------------------------- the table

def _cell(row, name):
    """One variant's ``ms ratio MiB`` (23 characters), or why it is missing."""
    if name not in row["ms"]:
        return f"{'failed' if name in row['failed'] else '-':>23}"
    ms, mib = row["ms"][name], row["mib"][name]
    ratio = "" if name == "cudnn" else f"{ms / row['ms']['cudnn']:.2f}x"
    return f"{ms:9.2f} {ratio:>6} {'-' if mib is None else f'{mib:.0f}':>6}"


def header(names):
    head = f"{'model':5} {'dtype':8} {'N':>3} {'T':>5} {'H':>5}"
    for name in names:
        head += f" | {name + ' ms':>9} {'ratio':>6} {'MiB':>6}"
    return head + " | max err"


def line(row, names):
    out = f"{row['kind']:5} {row['dtype']:8} {row['N']:>3} {row['T']:>5} {row['H']:>5}"
    for name in names:
        out += " | " + _cell(row, name)
    errs = [e for e in row["err"].values()]
    return out + f" | {max(errs):.1e}" if errs else out + " | -"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                    help="cuda (default; exits with status 2 when there is none) or cpu (a smoke run)")
    ap.add_argument("--quick", action="store_true", help="fewer shapes (T = 100, H = 256 on CUDA)")
    ap.add_argument("--models", default="lstm,gru")
    ap.add_argument("--dtypes", default=None, help="default: float32,bfloat16 on CUDA, float32 on the CPU")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per measurement (median)")
    ap.add_argument("--no-compile", action="store_true", help="leave out the compiled and graphed variants")
    ap.add_argument("--compile", action="store_true", help="on the CPU, add the compiled variant (slow to compile)")
    ap.add_argument("--no-graphs", action="store_true", help="leave out the CUDA-graph variant")
    ap.add_argument("--tf32", choices=("on", "off"), default="on",
                    help="TF32 for float32 products, cuDNN's and rnn_ref's alike (default on: cuDNN's own "
                         "default; torch's matmul default is off, which would compare unlike with unlike)")
    ap.add_argument("--budget-s", type=float, default=270.0,
                    help="stop starting new rows after this many seconds (default 270: the run ends within 5 minutes)")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("benchmarks.gpu: no CUDA device here (torch.cuda.is_available() is False; torch "
              f"{torch.__version__}); run it on a GPU machine, or use --device cpu for a smoke run",
              file=sys.stderr)
        return 2
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    dtypes = [d.strip() for d in (args.dtypes or ("float32,bfloat16" if device.type == "cuda" else "float32")).split(",")]
    bad = [m for m in models if m not in GATES] + [d for d in dtypes if d not in ("float32", "bfloat16", "float16")]
    if bad:
        ap.error(f"unknown model or dtype: {bad}")
    if device.type == "cpu" and any(d != "float32" for d in dtypes):
        ap.error("on the CPU only float32 is supported (rnn_ref.torch takes half precision on CUDA only)")
    shapes = (QUICK if args.quick else FULL) if device.type == "cuda" else (CPU_QUICK if args.quick else CPU_FULL)
    want_compile = not args.no_compile and (device.type == "cuda" or args.compile)
    variants = [v for v in VARIANTS if (v not in ("compiled", "graphed") or want_compile)
                and not (v == "graphed" and (args.no_graphs or device.type != "cuda"))]

    if device.type == "cuda":
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = args.tf32 == "on"
        name = f"{torch.cuda.get_device_name(device)}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"
        tf32 = f"; TF32: cuDNN {torch.backends.cudnn.allow_tf32}, matmul {torch.backends.cuda.matmul.allow_tf32}"
    else:
        name, tf32 = f"{torch.get_num_threads()} CPU threads", ""
    print(f"benchmarks.gpu: forward + backward, D = H, on {device} ({name}), torch {torch.__version__}{tf32}")
    print(f"median of {args.repeats} after 1 warm-up; ratio = time / cudnn time (below 1: faster); "
          "MiB = peak memory above the inputs" + ("" if device.type == "cuda" else " (CUDA only)"))
    if device.type == "cpu":
        print("--device cpu: 'cudnn' is torch.nn's CPU kernel here; a smoke run, not a measurement")

    compiled, notes = {}, []
    for kind in models:
        if "compiled" in variants:
            try:
                compiled[kind] = compile_pieces(kind)
            except Exception as exc:  # noqa: BLE001
                notes.append(f"{kind}: torch.compile is unavailable here ({_reason(exc)}); running without it")
                print(notes[-1], flush=True)
    if not compiled:                                       # no column for what no model can run
        variants = [v for v in variants if v not in ("compiled", "graphed")]
    names = ["cudnn"] + variants
    print()
    print(header(names))
    rows, skipped = [], 0
    for kind in models:
        for dtype_name in dtypes:
            for N, T, H in shapes:
                if time.perf_counter() - started > args.budget_s:
                    skipped += 1
                    continue
                seen = len(notes)
                try:
                    row = bench_row(kind, N, T, H, device, getattr(torch, dtype_name), variants=variants,
                                    compiled=compiled.get(kind), repeats=args.repeats, notes=notes)
                except Exception as exc:  # noqa: BLE001 - the reference itself failed: no row
                    print(f"{kind:5} {dtype_name:8} {N:>3} {T:>5} {H:>5} | cudnn failed ({_reason(exc)}); "
                          "row left out", flush=True)
                    continue
                if "compiled" in row["failed"] and kind in compiled:
                    del compiled[kind]                     # a failed compile is not retried
                rows.append(row)
                print(line(row, names), flush=True)
                for note in notes[seen:]:
                    print("  " + note, flush=True)
    if skipped:
        print(f"--budget-s {args.budget_s:.0f}: {skipped} rows not run (time budget reached)")

    dtype_name, N, T, H, limit = GOAL
    for kind in models:
        goal = [r for r in rows if (r["kind"], r["dtype"], r["N"], r["T"], r["H"]) == (kind, dtype_name, N, T, H)]
        if not goal:
            continue
        r = goal[0]
        best = min((r["ms"][v] / r["ms"]["cudnn"], v) for v in ("compiled", "graphed", "eager") if v in r["ms"])
        verdict = "met" if best[0] <= limit else "NOT MET"
        print(f"goal [{verdict}] {kind} {dtype_name} N={N} T={T} H={H}: best rnn_ref path {best[1]} at "
              f"{best[0]:.2f}x cudnn (goal: at most {limit}x)")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
