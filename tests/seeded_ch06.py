"""Seeded mistakes for chapter 6, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no name", source); the name is a
catalogued mistake's or, for a mistake no catalogue lists, the one the generic diagnosis
(autograder/diagnosis.py) gives.
They are written independently of the catalogue in autograder/checks/ch06.py (separate
weight slices instead of fused products, np.split, einsum, lists of states, their own
sigmoid), so that matching them measures the diagnosis rather than restating it.
"""

STEP_FORWARD = [
    ("reset applied before the product (the original paper's GRU)", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[-1]
    Wxr, Wxz, Wxn = np.split(W_x, 3, axis=1)
    Whr, Whz, Whn = np.split(W_h, 3, axis=1)
    bxr, bxz, bxn = np.split(b_x, 3)
    bhr, bhz, bhn = np.split(b_h, 3)
    r = 1 / (1 + np.exp(-(x_t @ Wxr + bxr + h_prev @ Whr + bhr)))
    z = 1 / (1 + np.exp(-(x_t @ Wxz + bxz + h_prev @ Whz + bhz)))
    n = np.tanh(x_t @ Wxn + bxn + np.dot(r * h_prev, Whn) + bhn)
    return (1 - z) * n + z * h_prev
'''),
    ("z and 1 - z swapped", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    gx = np.dot(x_t, W_x) + b_x
    gh = np.dot(h_prev, W_h) + b_h
    sig = lambda v: np.exp(v) / (1 + np.exp(v))
    r = sig(gx[:, 0:H] + gh[:, 0:H])
    u = sig(gx[:, H:2*H] + gh[:, H:2*H])
    cand = np.tanh(gx[:, 2*H:3*H] + r * gh[:, 2*H:3*H])
    return u * cand + (1 - u) * h_prev
'''),
    ("gate order z, r, n instead of r, z, n", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a = x_t @ W_x + b_x
    b = h_prev @ W_h + b_h
    z = 1 / (1 + np.exp(-(a[:, :H] + b[:, :H])))
    r = 1 / (1 + np.exp(-(a[:, H:2 * H] + b[:, H:2 * H])))
    n = np.tanh(a[:, 2 * H:] + r * b[:, 2 * H:])
    return (1 - z) * n + z * h_prev
'''),
    ("reset gate ignored", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    pre = x_t @ W_x + b_x + h_prev @ W_h + b_h        # r is computed but never used
    r = 1 / (1 + np.exp(-pre[:, :H]))
    z = 1 / (1 + np.exp(-pre[:, H:2 * H]))
    n = np.tanh(pre[:, 2 * H:])
    return (1 - z) * n + z * h_prev
'''),
    ("update gate ignored", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x
    ah = h_prev @ W_h + b_h
    r = 1 / (1 + np.exp(-(ax[:, :H] + ah[:, :H])))
    h_next = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return h_next
'''),
    ("b_hn added outside the reset product", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    b = b_x + b_h
    a = x_t @ W_x + b
    rz = 1 / (1 + np.exp(-(a[:, :2 * H] + h_prev @ W_h[:, :2 * H])))
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(a[:, 2 * H:] + r * (h_prev @ W_h[:, 2 * H:]))
    return (1 - z) * n + z * h_prev
'''),
    ("sigmoid on the candidate", '''
import numpy as np
def sig(v):
    return 1.0 / (1.0 + np.exp(-v))
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x
    ah = h_prev @ W_h + b_h
    r, z = sig(ax[:, :H] + ah[:, :H]), sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = sig(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev
'''),
    ("hidden-side bias b_h dropped", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x
    ah = h_prev @ W_h
    r = 1 / (1 + np.exp(-(ax[:, :H] + ah[:, :H])))
    z = 1 / (1 + np.exp(-(ax[:, H:2 * H] + ah[:, H:2 * H])))
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev
'''),
    ("blocks of W_h transposed", '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    W_hr, W_hz, W_hn = W_h[:, :H], W_h[:, H:2 * H], W_h[:, 2 * H:]
    ax = x_t @ W_x + b_x
    r = 1 / (1 + np.exp(-(ax[:, :H] + h_prev @ W_hr.T + b_h[:H])))
    z = 1 / (1 + np.exp(-(ax[:, H:2 * H] + h_prev @ W_hz.T + b_h[H:2 * H])))
    n = np.tanh(ax[:, 2 * H:] + r * (h_prev @ W_hn.T + b_h[2 * H:]))
    return (1 - z) * n + z * h_prev
'''),
    (None, '''
import numpy as np
def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x
    ah = h_prev @ W_h + b_h
    r = 1 / (1 + np.exp(-(ax[:, :H] + ah[:, :H])))
    z = 1 / (1 + np.exp(-(ax[:, H:2 * H] + ah[:, H:2 * H])))
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * np.tanh(h_prev)           # an extra tanh on the kept state
'''),
]

_GOOD_STEP = '''
import numpy as np
def _step(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x
    ah = h_prev @ W_h + b_h
    r = 1 / (1 + np.exp(-(ax[:, :H] + ah[:, :H])))
    z = 1 / (1 + np.exp(-(ax[:, H:2 * H] + ah[:, H:2 * H])))
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev
'''

FORWARD = [
    ("h0 ignored", _GOOD_STEP + '''
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    h = np.zeros((N, W_h.shape[0]))
    out = []
    for t in range(T):
        h = _step(x[:, t, :], h, W_x, W_h, b_x, b_h)
        out.append(h)
    return np.stack(out, axis=1)
'''),
    ("state not carried", _GOOD_STEP + '''
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    hs = np.zeros((N, T, h0.shape[1]))
    for t in range(T):
        hs[:, t] = _step(x[:, t], h0, W_x, W_h, b_x, b_h)
    return hs
'''),
    ("h0 stored as the first state", _GOOD_STEP + '''
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    states = [h0]
    for t in range(T - 1):
        states.append(_step(x[:, t], states[-1], W_x, W_h, b_x, b_h))
    return np.stack(states, axis=1)
'''),
    ("time-major output (T, N, H)", _GOOD_STEP + '''
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    states = []
    h = h0
    for x_t in x.transpose(1, 0, 2):
        h = _step(x_t, h, W_x, W_h, b_x, b_h)
        states.append(h)
    return np.array(states)
'''),
    ("z and 1 - z swapped", '''
import numpy as np
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    H = h0.shape[1]
    out = np.empty((N, T, H))
    h = h0
    for t in range(T):
        gi = x[:, t] @ W_x + b_x
        gh = h @ W_h + b_h
        r = 1 / (1 + np.exp(-gi[:, :H] - gh[:, :H]))
        z = 1 / (1 + np.exp(-gi[:, H:2*H] - gh[:, H:2*H]))
        n = np.tanh(gi[:, 2*H:] + r * gh[:, 2*H:])
        h = h + z * (n - h)
        out[:, t] = h
    return out
'''),
    ("reset applied before the product (the original paper's GRU)", '''
import numpy as np
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    H = h0.shape[1]
    h, out = h0, []
    for t in range(T):
        a = x[:, t] @ W_x + b_x
        rz = 1 / (1 + np.exp(-(a[:, :2*H] + h @ W_h[:, :2*H] + b_h[:2*H])))
        r, z = rz[:, :H], rz[:, H:]
        n = np.tanh(a[:, 2*H:] + (r * h) @ W_h[:, 2*H:] + b_h[2*H:])
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out, 1)
'''),
    ("input-side bias b_x dropped", '''
import numpy as np
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    H = h0.shape[1]
    X = np.einsum("ntd,dk->ntk", x, W_x)                 # the bias b_x forgotten
    h, out = h0, np.zeros((N, T, H))
    for t in range(T):
        g = h @ W_h + b_h
        r = 1 / (1 + np.exp(-(X[:, t, :H] + g[:, :H])))
        z = 1 / (1 + np.exp(-(X[:, t, H:2*H] + g[:, H:2*H])))
        n = np.tanh(X[:, t, 2*H:] + r * g[:, 2*H:])
        h = (1 - z) * n + z * h
        out[:, t] = h
    return out
'''),
    ('x read in reverse time order', _GOOD_STEP + '''
def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    out = np.zeros((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        h = _step(x[:, T - 1 - t], h, W_x, W_h, b_x, b_h)   # reads the sequence backwards
        out[:, t] = h
    return out
'''),
]

_BACK_HEAD = '''
import numpy as np
def gru_step_backward(dh_next, x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    gx = x_t @ W_x + b_x
    gh = h_prev @ W_h + b_h
    r = 1 / (1 + np.exp(-(gx[:, :H] + gh[:, :H])))
    z = 1 / (1 + np.exp(-(gx[:, H:2*H] + gh[:, H:2*H])))
    hn = gh[:, 2*H:]
    n = np.tanh(gx[:, 2*H:] + r * hn)
'''

STEP_BACKWARD = [
    ("reset gate's derivative missing the (h_prev W_hn + b_hn) factor", _BACK_HEAD + '''
    dn = dh_next * (1 - z)
    dan = dn * (1 - n * n)
    dz = dh_next * (h_prev - n)
    daz = dz * z * (1 - z)
    dar = dan * r * (1 - r)
    d_in = np.hstack([dar, daz, dan])
    d_hid = np.hstack([dar, daz, dan * r])
    return (d_in @ W_x.T, d_hid @ W_h.T + dh_next * z, x_t.T @ d_in, h_prev.T @ d_hid,
            d_in.sum(0), d_hid.sum(0))
'''),
    ("hidden-side candidate gradient not multiplied by r", _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (h_prev - n) * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    da = np.concatenate([dar, daz, dan], axis=1)          # one gradient for both sides
    return da @ W_x.T, dh_next * z + da @ W_h.T, x_t.T @ da, h_prev.T @ da, da.sum(0), da.sum(0)
'''),
    ("direct path z * dh_next missing from dh_prev", _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (h_prev - n) * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    dx_side = np.concatenate([dar, daz, dan], axis=1)
    dh_side = np.concatenate([dar, daz, dan * r], axis=1)
    dh_prev = np.einsum("nk,hk->nh", dh_side, W_h)
    return (np.einsum("nk,dk->nd", dx_side, W_x), dh_prev, x_t.T @ dx_side, h_prev.T @ dh_side,
            dx_side.sum(axis=0), dh_side.sum(axis=0))
'''),
    ("sigmoid derivative written as s", _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (h_prev - n) * z
    dar = dan * hn * r
    dx_side = np.concatenate([dar, daz, dan], axis=1)
    dh_side = np.concatenate([dar, daz, dan * r], axis=1)
    return (dx_side @ W_x.T, dh_next * z + dh_side @ W_h.T, x_t.T @ dx_side, h_prev.T @ dh_side,
            dx_side.sum(axis=0), dh_side.sum(axis=0))
'''),
    ("bias gradients not summed over the batch", _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (h_prev - n) * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    dx_side = np.concatenate([dar, daz, dan], axis=1)
    dh_side = np.concatenate([dar, daz, dan * r], axis=1)
    return (dx_side @ W_x.T, dh_next * z + dh_side @ W_h.T, x_t.T @ dx_side, h_prev.T @ dh_side,
            dx_side, dh_side)
'''),
    ("update gate's derivative has the wrong sign", _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (n - h_prev) * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    dx_side = np.concatenate([dar, daz, dan], axis=1)
    dh_side = np.concatenate([dar, daz, dan * r], axis=1)
    return (dx_side @ W_x.T, dh_next * z + dh_side @ W_h.T, x_t.T @ dx_side, h_prev.T @ dh_side,
            dx_side.sum(axis=0), dh_side.sum(axis=0))
'''),
    ("db_h's candidate block not multiplied by r", _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (h_prev - n) * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    dx_side = np.concatenate([dar, daz, dan], axis=1)
    dh_side = np.concatenate([dar, daz, dan * r], axis=1)
    db = dx_side.sum(axis=0)
    return (dx_side @ W_x.T, dh_next * z + dh_side @ W_h.T, x_t.T @ dx_side, h_prev.T @ dh_side,
            db, db.copy())
'''),
    ("b_hn left out of the reset gate's derivative", _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (h_prev - n) * z * (1 - z)
    dar = dan * (h_prev @ W_h[:, 2*H:]) * r * (1 - r)
    dx_side = np.concatenate([dar, daz, dan], axis=1)
    dh_side = np.concatenate([dar, daz, dan * r], axis=1)
    return (dx_side @ W_x.T, dh_next * z + dh_side @ W_h.T, x_t.T @ dx_side, h_prev.T @ dh_side,
            dx_side.sum(axis=0), dh_side.sum(axis=0))
'''),
    ('db_x off by a constant factor; db_h off by a constant factor', _BACK_HEAD + '''
    dan = dh_next * (1 - z) * (1 - n ** 2)
    daz = dh_next * (h_prev - n) * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    dx_side = np.concatenate([dar, daz, dan], axis=1)
    dh_side = np.concatenate([dar, daz, dan * r], axis=1)
    return (dx_side @ W_x.T, dh_next * z + dh_side @ W_h.T, x_t.T @ dx_side, h_prev.T @ dh_side,
            dx_side.sum(axis=0) / x_t.shape[0], dh_side.sum(axis=0) / x_t.shape[0])   # averaged
'''),
]

SEEDED = {
    "ch06.gru_step_forward": STEP_FORWARD,
    "ch06.gru_forward": FORWARD,
    "ch06.gru_step_backward": STEP_BACKWARD,
}
