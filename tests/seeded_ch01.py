"""Seeded mistakes for chapter 1, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no name", source); the name is a
catalogued mistake's or, for a mistake no catalogue lists, the one the generic diagnosis
(autograder/diagnosis.py) gives.
They are written independently of the catalogue in autograder/checks/ch01.py (loops,
different spellings, other NumPy functions), so that matching them measures the diagnosis
rather than restating it.
"""

MLP = [
    ("hidden bias b1 dropped", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    h = np.tanh(np.dot(x, W1))
    return np.dot(h, W2) + b2
'''),
    ("output bias b2 dropped", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    hidden = np.tanh(x @ W1 + b1)
    return hidden @ W2
'''),
    ("no nonlinearity", '''
def mlp_forward(x, W1, b1, W2, b2):
    a = x @ W1 + b1
    return a @ W2 + b2
'''),
    ("sigmoid instead of tanh", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    a = x @ W1 + b1
    h = np.exp(a) / (1 + np.exp(a))
    return h @ W2 + b2
'''),
    ("ReLU instead of tanh", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    h = np.clip(x @ W1 + b1, 0, None)
    return h @ W2 + b2
'''),
    ("tanh on the output", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    h = np.tanh(x @ W1 + b1)
    y = np.tanh(h @ W2 + b2)
    return y
'''),
    ("W1 transposed", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    h = np.tanh((W1 @ x.T).T + b1)
    return h @ W2 + b2
'''),
    ("W2 transposed", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    N = x.shape[0]
    out = []
    for n in range(N):
        h = np.tanh(x[n] @ W1 + b1)
        out.append(W2 @ h + b2)
    return np.array(out)
'''),
    ("b1 added after tanh", '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    h = np.tanh(x @ W1) + b1
    return h @ W2 + b2
'''),
    ('bias b2 added once too often', '''
import numpy as np
def mlp_forward(x, W1, b1, W2, b2):
    h = np.tanh(x @ W1 + b1)
    return h @ W2 + b2 * 2
'''),
]

WINDOWS = [
    ("features interleaved (flattened as (D, k) instead of (k, D))", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    k = int(k)
    out = np.zeros((N, T - k + 1, k * D))
    for t in range(T - k + 1):
        out[:, t] = np.swapaxes(x[:, t:t + k], 1, 2).reshape(N, -1)
    return out
'''),
    ("features interleaved (flattened as (D, k) instead of (k, D))", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    k = int(k)
    cols = []
    for t in range(T - k + 1):
        feats = [x[:, t + j, d] for d in range(D) for j in range(k)]
        cols.append(np.stack(feats, axis=1))
    return np.stack(cols, axis=1)
'''),
    ("newest step first", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    windows = []
    for t in range(k - 1, T):
        steps = [x[:, t - j] for j in range(k)]
        windows.append(np.concatenate(steps, axis=1))
    return np.stack(windows, axis=1)
'''),
    ("one window too few", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    return np.stack([x[:, t:t + k].reshape(N, -1) for t in range(T - k)], axis=1)
'''),
    ("windows not overlapping (stride k)", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    k = int(k)
    n = T // k
    return x[:, :n * k].reshape(N, n, k * D)
'''),
    ("windows not overlapping (stride k)", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    res = []
    t = 0
    while t + k <= T:
        res.append(x[:, t:t + k].reshape(N, -1))
        t += k
    return np.stack(res, 1)
'''),
    ("one window per step, zero-padded at the start", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    k = int(k)
    out = np.zeros((N, T, k * D))
    for t in range(T):
        for j in range(k):
            s = t - k + 1 + j
            if s >= 0:
                out[:, t, j * D:(j + 1) * D] = x[:, s]
    return out
'''),
    ("batch and window axes merged", '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    v = np.lib.stride_tricks.sliding_window_view(x, int(k), axis=1)   # (N, T-k+1, D, k)
    v = np.swapaxes(v, 2, 3)
    return v.reshape(-1, int(k) * D)
'''),
    (None, '''
import numpy as np
def sliding_windows(x, k):
    N, T, D = x.shape
    return np.stack([x[:, t:t + k].sum(axis=1) for t in range(T - k + 1)], axis=1)
'''),
]

WINDOW_MLP = [
    ("MLP applied to the last window only", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    last = x[:, T - k:].reshape(N, -1)
    return np.tanh(last @ W1 + b1) @ W2 + b2
'''),
    ("MLP applied to the first window only", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    first = x[:, :k].reshape(N, -1)
    return np.tanh(first @ W1 + b1) @ W2 + b2
'''),
    ("hidden bias b1 dropped", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    k = int(k)
    ys = []
    for t in range(T - k + 1):
        w = x[:, t:t + k].reshape(N, k * D)
        ys.append(np.tanh(w @ W1) @ W2 + b2)
    return np.stack(ys, axis=1)
'''),
    ("no nonlinearity", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    w = np.lib.stride_tricks.sliding_window_view(x, int(k), axis=1)   # (N, T-k+1, D, k)
    w = w.transpose(0, 1, 3, 2).reshape(N, T - k + 1, -1)
    return (w @ W1 + b1) @ W2 + b2
'''),
    ("newest step first", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    out = []
    for t in range(T - k + 1):
        w = np.concatenate([x[:, t + k - 1 - j] for j in range(k)], axis=1)
        out.append(np.tanh(w @ W1 + b1) @ W2 + b2)
    return np.stack(out, axis=1)
'''),
    ("features interleaved (flattened as (D, k) instead of (k, D))", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    w = np.lib.stride_tricks.sliding_window_view(x, int(k), axis=1)   # (N, T-k+1, D, k)
    w = w.reshape(N, T - k + 1, -1)
    return np.tanh(w @ W1 + b1) @ W2 + b2
'''),
    ("tanh on the output", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    Wn = T - k + 1
    flat = np.stack([x[:, t:t + k].reshape(N, -1) for t in range(Wn)], axis=1).reshape(N * Wn, -1)
    y = np.tanh(np.tanh(flat @ W1 + b1) @ W2 + b2)
    return y.reshape(N, Wn, -1)
'''),
    ("batch and window axes merged", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    Wn = T - k + 1
    flat = np.stack([x[:, t:t + k].reshape(N, -1) for t in range(Wn)], axis=1).reshape(N * Wn, -1)
    return np.tanh(flat @ W1 + b1) @ W2 + b2
'''),
    ("one window too few", '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    return np.stack([np.tanh(x[:, t:t + k].reshape(N, -1) @ W1 + b1) @ W2 + b2
                     for t in range(T - k)], axis=1)
'''),
    ('y reversed in time', '''
import numpy as np
def window_mlp_forward(x, k, W1, b1, W2, b2):
    N, T, D = x.shape
    out = []
    for t in range(T - k + 1):
        w = x[:, t:t + k].reshape(N, -1)
        out.append(np.tanh(w @ W1 + b1) @ W2 + b2)
    return np.stack(out, axis=1)[:, ::-1]
'''),
]

SEEDED = {"ch01.mlp_forward": MLP, "ch01.sliding_windows": WINDOWS, "ch01.window_mlp_forward": WINDOW_MLP}
