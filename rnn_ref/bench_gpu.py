"""Benchmark: the course's LSTM (rnn_ref.torch, explicit backward) against torch.nn.LSTM.

    python -m rnn_ref.bench_gpu [--device cuda|cpu] [--quick] [--compile] [--repeats R] [--threads K]

For each shape (N, T, D, H), float32, one forward and one backward pass of
``rnn_ref.torch.lstm_forward`` / ``lstm_backward`` against ``torch.nn.LSTM(batch_first=True)``
with the same weights (cuDNN on a GPU; autograd computes its backward), with
``torch.cuda.synchronize()`` around every timing on CUDA. rnn_ref runs cache-free (its
backward recomputes the gates) and with ``cache=`` (the forward's activations kept, as
torch.nn keeps them). Prints the median time of each, the ratios to torch.nn (above 1:
rnn_ref is slower), and the largest relative error between them all (outputs and every
gradient) as a check that they computed the same thing. ``--compile`` adds a variant whose pointwise cell (forward step and
backward step) is compiled by ``torch.compile``; where compilation is unavailable it says
so and goes on without it. ``--quick`` runs the two smallest shapes, fewer repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

from .torch import lstm as lstm_mod
from .torch.convert import to_torch_state_dict
from .torch.device import pick_device
from .torch.gradcheck import rel_error

SHAPES = [  # (N, T, D, H)
    (32, 50, 64, 128),
    (64, 100, 128, 256),
    (1, 1000, 1, 128),
    (64, 100, 65, 512),
    (64, 100, 128, 512),
]
QUICK = [(32, 50, 64, 128), (1, 1000, 1, 128)]


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(fn, device, warmup, repeats):
    """Median wall time of ``fn()`` in milliseconds (synchronised on CUDA)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _compiled_pieces(device):
    """(cell, step) compiled by torch.compile, or (None, reason) when unavailable.

    A tiny probe runs both once, so that a missing compiler shows here, before the table.
    """
    try:
        import torch._inductor.config as inductor_config

        inductor_config.compile_threads = 1    # no pool of compile workers competing with the timings
        cell = torch.compile(lstm_mod._cell_fused, dynamic=False)
        step = torch.compile(lstm_mod._step_grads_fused, dynamic=False)
        N, H = 2, 3
        z = lambda *s: torch.zeros(*s, device=device)  # noqa: E731
        cell(z(N, 4 * H), z(N, H), z(N, H), z(N, H))
        step(z(N, H), z(N, H), z(N, H), z(N, H), z(N, 3, H), z(N, H), z(N, 4, H))
        return cell, step
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return None, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"


def bench_shape(N, T, D, H, device, warmup, repeats, compiled=None):
    """Times (ms) and agreement for one shape; returns a dict."""
    g = torch.Generator().manual_seed(0)
    rand = lambda *s, scale=1.0: (torch.randn(*s, generator=g) * scale).to(device)  # noqa: E731
    x, h0, c0 = rand(N, T, D), rand(N, H, scale=0.5), rand(N, H, scale=0.5)
    W_x, W_h, b = rand(D, 4 * H, scale=D ** -0.5), rand(H, 4 * H, scale=H ** -0.5), rand(4 * H, scale=0.1)
    dh, dc = rand(N, T, H), rand(N, H)

    def ours():
        h, c = lstm_mod.lstm_forward(x, h0, c0, W_x, W_h, b)
        return (h, c), lstm_mod.lstm_backward(dh, dc, x, h0, c0, h, c, W_x, W_h, b)

    def cached():
        cache = {}
        h, c = lstm_mod.lstm_forward(x, h0, c0, W_x, W_h, b, cache=cache)
        return (h, c), lstm_mod.lstm_backward(dh, dc, x, h0, c0, h, c, W_x, W_h, b, cache=cache)

    nn = torch.nn.LSTM(D, H, batch_first=True, device=device)
    params = {"W_x": W_x.cpu().double().numpy(), "W_h": W_h.cpu().double().numpy(), "b": b.cpu().double().numpy()}
    nn.load_state_dict(to_torch_state_dict("lstm", [params]))
    xr, h0r, c0r = (t.clone().requires_grad_() for t in (x, h0, c0))

    def theirs():
        for p in (xr, h0r, c0r, *nn.parameters()):
            p.grad = None
        y, (hn, cn) = nn(xr, (h0r[None], c0r[None]))
        torch.autograd.backward([y, cn[0]], [dh, dc])
        return y, cn

    if compiled is not None:
        cell, step = compiled

        def fused():
            h, c = lstm_mod._forward(x, h0, c0, W_x, W_h, b, cell=cell)
            return (h, c), lstm_mod._backward(dh, dc, x, h0, c0, h, c, W_x, W_h, b, step=step)

        fused()                                 # compiles for this shape before anything is timed
    row = {"ours": _time(ours, device, warmup, repeats), "cached": _time(cached, device, warmup, repeats),
           "torch": _time(theirs, device, warmup, repeats)}
    (h, c), (dx, dh0, dc0, dW_x, dW_h, db) = ours()
    _, cached_grads = cached()
    y, cn = theirs()
    pairs = [(h, y), (c[:, -1], cn[0]), (dx, xr.grad), (dh0, h0r.grad), (dc0, c0r.grad),
             (dW_x, nn.weight_ih_l0.grad.t()), (dW_h, nn.weight_hh_l0.grad.t()), (db, nn.bias_ih_l0.grad)]
    pairs += list(zip(cached_grads, (dx, dh0, dc0, dW_x, dW_h, db)))
    row["err"] = max(rel_error(a, b) for a, b in pairs)
    if compiled is not None:
        row["compiled"] = _time(fused, device, warmup, repeats)
        (hf, cf), grads = fused()
        row["err"] = max(row["err"], rel_error(hf, h), *(rel_error(a, b) for a, b in
                                                         zip(grads, (dx, dh0, dc0, dW_x, dW_h, db))))
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_ref.bench_gpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default=None,
                        help="default: cuda when available, else cpu")
    parser.add_argument("--quick", action="store_true", help="the two smallest shapes, fewer repeats")
    parser.add_argument("--compile", action="store_true", help="add a variant with the pointwise cell compiled")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per measurement (median)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's); 1 steadies timings on a shared machine")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = pick_device(args.device)
    except ValueError as exc:
        print(f"bench_gpu: {exc}", file=sys.stderr)
        return 2
    shapes = QUICK if args.quick else SHAPES
    warmup = 1 if args.quick else 2
    repeats = args.repeats or (2 if args.quick else 5)

    compiled = None
    if args.compile:
        cell, step = _compiled_pieces(device)
        if cell is None:
            print(f"--compile: torch.compile is unavailable here ({step}); running without it")
        else:
            compiled = (cell, step)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"LSTM forward+backward, float32, on {device} ({name}), torch {torch.__version__}; "
          f"median of {repeats} after {warmup} warm-up")
    print("rnn_ref  = rnn_ref.torch.lstm_forward + lstm_backward (explicit BPTT), cache-free: the backward\n"
          "           recomputes the gates\n"
          "cached   = the same with cache= (the forward's activations kept)\n"
          "torch.nn = torch.nn.LSTM + autograd" + (" (cuDNN)" if device.type == "cuda" else ""))
    if device.type == "cuda":   # TF32 speeds float32 up and loosens the agreement to ~1e-3
        print(f"TF32: cuDNN {torch.backends.cudnn.allow_tf32}, matmul {torch.backends.cuda.matmul.allow_tf32}")
    head = (f"{'N':>4} {'T':>5} {'D':>4} {'H':>4} | {'rnn_ref ms':>10} {'ratio':>6} | {'cached ms':>9} {'ratio':>6} "
            f"| {'torch.nn ms':>11}")
    if compiled is not None:
        head += f" | {'compiled ms':>11} {'ratio':>6}"
    print(head + " | max rel_error")
    for N, T, D, H in shapes:
        try:
            row = bench_shape(N, T, D, H, device, warmup, repeats, compiled)
        except Exception as exc:  # noqa: BLE001 - a failed compile shows up at the first call
            if compiled is None:
                raise
            print(f"--compile: the compiled variant failed ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                  f"running without it")
            compiled = None
            row = bench_shape(N, T, D, H, device, warmup, repeats, None)
        line = (f"{N:>4} {T:>5} {D:>4} {H:>4} | {row['ours']:>10.2f} {row['ours'] / row['torch']:>6.2f} "
                f"| {row['cached']:>9.2f} {row['cached'] / row['torch']:>6.2f} | {row['torch']:>11.2f}")
        if compiled is not None:
            line += f" | {row['compiled']:>11.2f} {row['compiled'] / row['torch']:>6.2f}"
        print(line + f" | {row['err']:.1e}", flush=True)
    print("ratio = time / torch.nn time (above 1: slower than torch.nn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
