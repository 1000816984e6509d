"""Seeded mistakes for chapter 5, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no name", source); the name is a
catalogued mistake's or, for a mistake no catalogue lists, the one the generic diagnosis
(autograder/diagnosis.py) gives.
They are deliberately written independently of the catalogue in
autograder/checks/ch05.py (np.split, np.hsplit, np.dot, einsum, explicit sigmoid helpers,
lists and np.stack, other loop shapes), so that matching them measures the diagnosis
rather than restating it.
"""

STEP_FORWARD = [
    ("gate order i, f, o, g", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    z = np.dot(x_t, W_x) + np.dot(h_prev, W_h) + b
    zi, zf, zo, zg = np.split(z, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))
    i, f, o, g = sig(zi), sig(zf), sig(zo), np.tanh(zg)
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next
'''),
    ("gate order f, i, g, o", '''
import numpy as np
def sigmoid(v):
    return np.exp(v) / (1 + np.exp(v))
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    pre = x_t @ W_x + h_prev @ W_h + b
    f = sigmoid(pre[:, 0:H])
    i = sigmoid(pre[:, H:2*H])
    g = np.tanh(pre[:, 2*H:3*H])
    o = sigmoid(pre[:, 3*H:4*H])
    c = c_prev * f + g * i
    h = np.tanh(c) * o
    return h, c
'''),
    ("sigmoid on the candidate g", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    a = x_t @ W_x + h_prev @ W_h + b
    act = 1.0 / (1.0 + np.exp(-a))          # all four gates at once
    i, f, g, o = np.hsplit(act, 4)
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    return h_next, c_next
'''),
    ("forget gate not applied", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    H = W_h.shape[0]
    a = x_t @ W_x + h_prev @ W_h + b
    s = lambda v: 1 / (1 + np.exp(-v))
    i = s(a[:, :H]); o = s(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c_next = c_prev + i * g                  # the cell just accumulates
    return o * np.tanh(c_next), c_next
'''),
    ("tanh of the cell missing", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[-1]
    a = np.einsum("nd,dk->nk", x_t, W_x) + np.einsum("nh,hk->nk", h_prev, W_h) + b
    gates = [a[:, k * H:(k + 1) * H] for k in range(4)]
    i, f, o = (1 / (1 + np.exp(-gates[k])) for k in (0, 1, 3))
    g = np.tanh(gates[2])
    c = f * c_prev + i * g
    h = o * c
    return h, c
'''),
    ("h_next computed from c_prev", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1 / (1 + np.exp(-a[:, 3 * H:]))
    h_next = o * np.tanh(c_prev)
    c_next = f * c_prev + i * g
    return h_next, c_next
'''),
    ("bias dropped", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h
    sg = lambda z: 0.5 * (1 + np.tanh(z / 2))
    i, f, o = sg(a[:, :H]), sg(a[:, H:2 * H]), sg(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next
'''),
    ("cell and hidden state swapped in the return", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    i, f, g, o = np.split(x_t @ W_x + h_prev @ W_h + b, 4, axis=1)
    i, f, o = [1 / (1 + np.exp(-v)) for v in (i, f, o)]
    g = np.tanh(g)
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    return c_next, h_next
'''),
    ("c_prev ignored", '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1 / (1 + np.exp(-a[:, 3 * H:]))
    c_next = i * g
    return o * np.tanh(c_next), c_next
'''),
    (None, '''
import numpy as np
def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    # the forget gate reused as the input gate
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1 / (1 + np.exp(-a[:, 3 * H:]))
    c_next = f * c_prev + (1 - f) * g
    return o * np.tanh(c_next), c_next
'''),
]

FORWARD = [
    ("cell state not carried (c0 reused)", '''
import numpy as np
def _step(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i, f, o = (1 / (1 + np.exp(-a[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
    c = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
    return o * np.tanh(c), c
def lstm_forward(x, h0, c0, W_x, W_h, b):
    hs, cs = [], []
    h_t = h0
    for t in range(x.shape[1]):
        h_t, c_t = _step(x[:, t], h_t, c0, W_x, W_h, b)
        hs.append(h_t)
        cs.append(c_t)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)
'''),
    ("hidden state not carried (h0 reused)", '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H)); c = np.zeros((N, T, H))
    cell = c0
    for t in range(T):
        a = x[:, t, :] @ W_x + h0 @ W_h + b
        i = 1 / (1 + np.exp(-a[:, :H])); f = 1 / (1 + np.exp(-a[:, H:2 * H]))
        g = np.tanh(a[:, 2 * H:3 * H]); o = 1 / (1 + np.exp(-a[:, 3 * H:]))
        cell = f * cell + i * g
        c[:, t] = cell
        h[:, t] = o * np.tanh(cell)
    return h, c
'''),
    ("h0 ignored", '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, _ = x.shape
    H = W_h.shape[0]
    h_t = np.zeros((N, H))
    c_t = c0.copy()
    hs = np.empty((N, T, H)); cs = np.empty((N, T, H))
    for t in range(T):
        i, f, g, o = np.split(x[:, t] @ W_x + h_t @ W_h + b, 4, axis=1)
        sig = lambda v: 1 / (1 + np.exp(-v))
        c_t = sig(f) * c_t + sig(i) * np.tanh(g)
        h_t = sig(o) * np.tanh(c_t)
        hs[:, t], cs[:, t] = h_t, c_t
    return hs, cs
'''),
    ("c0 ignored", '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, _ = x.shape
    H = h0.shape[1]
    h_t, c_t = h0, np.zeros_like(h0)
    out_h, out_c = [], []
    for t in range(T):
        a = np.dot(x[:, t], W_x) + np.dot(h_t, W_h) + b
        i, f, g, o = a[:, :H], a[:, H:2*H], a[:, 2*H:3*H], a[:, 3*H:]
        c_t = c_t / (1 + np.exp(-f)) + np.tanh(g) / (1 + np.exp(-i))
        h_t = np.tanh(c_t) / (1 + np.exp(-o))
        out_h.append(h_t); out_c.append(c_t)
    return np.stack(out_h, 1), np.stack(out_c, 1)
'''),
    ("states stored one step late", '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H)); c = np.empty((N, T, H))
    h_t, c_t = h0, c0
    for t in range(T):
        h[:, t] = h_t
        c[:, t] = c_t
        a = x[:, t] @ W_x + h_t @ W_h + b
        s = 1 / (1 + np.exp(-a))
        c_t = s[:, H:2*H] * c_t + s[:, :H] * np.tanh(a[:, 2*H:3*H])
        h_t = s[:, 3*H:] * np.tanh(c_t)
    return h, c
'''),
    ("cell and hidden state swapped in the return", '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, D = x.shape
    H = h0.shape[1]
    hs, cs = np.zeros((N, T, H)), np.zeros((N, T, H))
    h_t, c_t = h0, c0
    for t in range(T):
        a = x[:, t] @ W_x + h_t @ W_h + b
        i, f, g, o = (a[:, k*H:(k+1)*H] for k in range(4))
        c_t = c_t / (1 + np.exp(-f)) + np.tanh(g) / (1 + np.exp(-i))
        h_t = np.tanh(c_t) / (1 + np.exp(-o))
        hs[:, t] = h_t
        cs[:, t] = c_t
    return cs, hs
'''),
    ("gate order i, f, o, g", '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, D = x.shape
    H = h0.shape[1]
    xw = np.einsum("ntd,dk->ntk", x, W_x) + b          # every input projection at once
    hs, cs = [], []
    h_t, c_t = h0, c0
    for t in range(T):
        a = xw[:, t] + h_t @ W_h
        i = 1 / (1 + np.exp(-a[:, :H]))
        f = 1 / (1 + np.exp(-a[:, H:2*H]))
        o = 1 / (1 + np.exp(-a[:, 2*H:3*H]))
        g = np.tanh(a[:, 3*H:])
        c_t = f * c_t + i * g
        h_t = o * np.tanh(c_t)
        hs.append(h_t); cs.append(c_t)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)
'''),
    ("neither state carried", '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H)); c = np.empty((N, T, H))
    for t in range(T):
        a = x[:, t] @ W_x + h0 @ W_h + b
        s = 1 / (1 + np.exp(-a))
        c[:, t] = s[:, H:2*H] * c0 + s[:, :H] * np.tanh(a[:, 2*H:3*H])
        h[:, t] = s[:, 3*H:] * np.tanh(c[:, t])
    return h, c
'''),
    ('loop t run in the other direction (range(T))', '''
import numpy as np
def lstm_forward(x, h0, c0, W_x, W_h, b):
    # runs the sequence backwards in time
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H)); c = np.empty((N, T, H))
    h_t, c_t = h0, c0
    for t in reversed(range(T)):
        a = x[:, t] @ W_x + h_t @ W_h + b
        s = 1 / (1 + np.exp(-a))
        c_t = s[:, H:2*H] * c_t + s[:, :H] * np.tanh(a[:, 2*H:3*H])
        h_t = s[:, 3*H:] * np.tanh(c_t)
        h[:, t], c[:, t] = h_t, c_t
    return h, c
'''),
]

STEP_BACKWARD = [
    ("tanh' of the cell missing in dc", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i, f, g, o = np.split(a, 4, axis=1)
    i, f, o = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o))
    g = np.tanh(g)
    c = f * c_prev + i * g
    dc = dc_next + dh_next * o
    do = dh_next * np.tanh(c)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), do * o * (1 - o)])
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(0)
'''),
    ("dc_next ignored", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = np.dot(x_t, W_x) + np.dot(h_prev, W_h) + b
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sig(a[:, 3*H:])
    c_next = f * c_prev + i * g
    t = np.tanh(c_next)
    dc = dh_next * o * (1 - t ** 2)
    di, df, dg, do = dc * g, dc * c_prev, dc * i, dh_next * t
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
    return np.dot(da, W_x.T), np.dot(da, W_h.T), dc * f, np.dot(x_t.T, da), np.dot(h_prev.T, da), np.sum(da, axis=0)
'''),
    ("dc_prev without the forget gate", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i = 1 / (1 + np.exp(-a[:, :H])); f = 1 / (1 + np.exp(-a[:, H:2*H]))
    g = np.tanh(a[:, 2*H:3*H]); o = 1 / (1 + np.exp(-a[:, 3*H:]))
    tc = np.tanh(f * c_prev + i * g)
    dc = dh_next * o * (1 - tc ** 2) + dc_next
    dc_prev = dc.copy()
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         dh_next * tc * o * (1 - o)], axis=1)
    return da @ W_x.T, da @ W_h.T, dc_prev, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("sigmoid' written as s instead of s(1 - s)", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    s = 1 / (1 + np.exp(-a))
    i, f, o = s[:, :H], s[:, H:2*H], s[:, 3*H:]
    g = np.tanh(a[:, 2*H:3*H])
    c = f * c_prev + i * g
    dc = dh_next * o * (1 - np.tanh(c) ** 2) + dc_next
    d_i = dc * g * i          # sigmoid'(a) = sigmoid(a)
    d_f = dc * c_prev * f
    d_g = dc * i * (1 - g ** 2)
    d_o = dh_next * np.tanh(c) * o
    da = np.concatenate((d_i, d_f, d_g, d_o), axis=1)
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("bias gradient not summed over the batch", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i, f, g, o = [a[:, k*H:(k+1)*H] for k in range(4)]
    i, f, o = [1 / (1 + np.exp(-v)) for v in (i, f, o)]
    g = np.tanh(g)
    tc = np.tanh(f * c_prev + i * g)
    dc = dh_next * o * (1 - tc * tc) + dc_next
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dh_next * tc * o * (1 - o)], axis=1)
    db = da
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, db
'''),
    ("output gate gradient uses c instead of tanh(c)", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sig(a[:, 3*H:])
    c_next = f * c_prev + i * g
    dc = dc_next + dh_next * o * (1 - np.tanh(c_next) ** 2)
    do = dh_next * c_next
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         do * o * (1 - o)], axis=1)
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("gate gradients concatenated as i, f, o, g", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sig(a[:, 3*H:])
    tc = np.tanh(f * c_prev + i * g)
    dc = dh_next * o * (1 - tc ** 2) + dc_next
    grads = {"i": dc * g * i * (1 - i), "f": dc * c_prev * f * (1 - f),
             "g": dc * i * (1 - g ** 2), "o": dh_next * tc * o * (1 - o)}
    da = np.hstack([grads["i"], grads["f"], grads["o"], grads["g"]])
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("tanh' of g written as 1 - g", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sig(a[:, 3*H:])
    tc = np.tanh(f * c_prev + i * g)
    dc = dh_next * o * (1 - tc ** 2) + dc_next
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g),
                         dh_next * tc * o * (1 - o)], axis=1)
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("dh_next not passed into the cell", '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i, f, g, o = np.split(a, 4, axis=1)
    i, f, o = (0.5 * (1 + np.tanh(v / 2)) for v in (i, f, o))
    g = np.tanh(g)
    tc = np.tanh(f * c_prev + i * g)
    dc = dc_next                     # the gradient on the cell comes from the next step
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         dh_next * tc * o * (1 - o)], axis=1)
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    (None, '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    # dx and dh_prev swapped onto the wrong weights' transposes is a crash; here dh_prev
    # forgets the recurrent matrix entirely and returns da's i block
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2*H]), np.tanh(a[:, 2*H:3*H]), sig(a[:, 3*H:])
    tc = np.tanh(f * c_prev + i * g)
    dc = dh_next * o * (1 - tc ** 2) + dc_next
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         dh_next * tc * o * (1 - o)], axis=1)
    return da @ W_x.T, da[:, :H], dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
]

SEEDED = {"ch05.lstm_step_forward": STEP_FORWARD, "ch05.lstm_forward": FORWARD,
          "ch05.lstm_step_backward": STEP_BACKWARD}

#: a correct step backward as a learner writes it; every lstm_backward below calls it
_GOOD_STEP = '''
import numpy as np
def lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    pre = x_t @ W_x + h_prev @ W_h + b
    a_i, a_f, a_g, a_o = np.split(pre, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))
    i, f, g, o = sig(a_i), sig(a_f), np.tanh(a_g), sig(a_o)
    c_next = f * c_prev + i * g
    dc = dc_next + dh_next * o * (1 - np.tanh(c_next) ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                    dh_next * np.tanh(c_next) * o * (1 - o)])
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(0)
'''

BACKWARD = [
    ("weight gradients not accumulated over time", '''
import numpy as np
def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    N, T, D = x.shape
    dx = np.zeros_like(x)
    carry_h = np.zeros_like(h0)
    carry_c = np.zeros_like(c0)
    t = T - 1
    while t >= 0:
        hp = h[:, t - 1] if t > 0 else h0
        cp = c[:, t - 1] if t > 0 else c0
        dx[:, t], carry_h, carry_c, dW_x, dW_h, db = lstm_step_backward(
            dh[:, t] + carry_h, carry_c, x[:, t], hp, cp, W_x, W_h, b)
        t -= 1
    return dx, carry_h, carry_c, dW_x, dW_h, db
'''),
    ("dc not carried to the previous step", '''
import numpy as np
def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    N, T, D = x.shape
    grads = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)]
    dxs = [None] * T
    g_h = np.zeros_like(h0)
    for t in reversed(range(T)):
        prev = (h0, c0) if t == 0 else (h[:, t - 1], c[:, t - 1])
        out = lstm_step_backward(dh[:, t] + g_h, np.zeros_like(c0), x[:, t], prev[0], prev[1], W_x, W_h, b)
        dxs[t], g_h, g_c = out[0], out[1], out[2]
        for k in range(3):
            grads[k] = grads[k] + out[3 + k]
    return (np.stack(dxs, axis=1), g_h, g_c, *grads)
'''),
    ("dh not carried to the previous step", '''
import numpy as np
def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    T = x.shape[1]
    dx = np.zeros(x.shape)
    dW_x, dW_h, db = 0 * W_x, 0 * W_h, 0 * b
    dc_t = np.zeros(c0.shape)
    for t in range(T - 1, -1, -1):
        h_before = h0 if t == 0 else h[:, t - 1]
        c_before = c0 if t == 0 else c[:, t - 1]
        dx_t, dh_prev, dc_t, a, bb, cc = lstm_step_backward(dh[:, t], dc_t, x[:, t], h_before, c_before, W_x, W_h, b)
        dx[:, t] = dx_t
        dW_x += a
        dW_h += bb
        db += cc
    return dx, dh_prev, dc_t, dW_x, dW_h, db
'''),
    ("loop not reversed", '''
import numpy as np
def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dW_x = np.zeros(W_x.shape); dW_h = np.zeros(W_h.shape); db = np.zeros(b.shape)
    gh, gc = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(T):
        hp, cp = (h0, c0) if t == 0 else (h[:, t - 1], c[:, t - 1])
        step = lstm_step_backward(dh[:, t] + gh, gc, x[:, t], hp, cp, W_x, W_h, b)
        dx[:, t], gh, gc = step[:3]
        dW_x, dW_h, db = dW_x + step[3], dW_h + step[4], db + step[5]
    return dx, gh, gc, dW_x, dW_h, db
'''),
    ("states read one step late (h[:, t] as h_prev)", '''
import numpy as np
def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    acc = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)]
    dh_n, dc_n = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(T - 1, -1, -1):
        dx[:, t], dh_n, dc_n, gx, gh, gb = lstm_step_backward(dh[:, t] + dh_n, dc_n, x[:, t], h[:, t], c[:, t], W_x, W_h, b)
        acc[0] += gx; acc[1] += gh; acc[2] += gb
    return dx, dh_n, dc_n, acc[0], acc[1], acc[2]
'''),
    ("upstream gradient of the last step only", '''
import numpy as np
def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_t = dh[:, -1]
    dc_t = np.zeros_like(c0)
    for t in range(T - 1, -1, -1):
        h_prev = h[:, t - 1] if t else h0
        c_prev = c[:, t - 1] if t else c0
        dx[:, t], dh_t, dc_t, a1, a2, a3 = lstm_step_backward(dh_t, dc_t, x[:, t], h_prev, c_prev, W_x, W_h, b)
        dW_x += a1; dW_h += a2; db += a3
    return dx, dh_t, dc_t, dW_x, dW_h, db
'''),
    ("h0 and c0 ignored at t = 0", '''
import numpy as np
def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    N, T, D = x.shape
    H = h0.shape[1]
    hs = np.concatenate([np.zeros((N, 1, H)), h], axis=1)      # hs[:, t] is the state before step t
    cs = np.concatenate([np.zeros((N, 1, H)), c], axis=1)
    dx = np.zeros((N, T, D))
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    g, gc = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx[:, t], g, gc, a, bb, cc = lstm_step_backward(dh[:, t] + g, gc, x[:, t], hs[:, t], cs[:, t], W_x, W_h, b)
        dW_x += a; dW_h += bb; db += cc
    return dx, g, gc, dW_x, dW_h, db
'''),
]

SEEDED["ch05.lstm_backward"] = [(name, _GOOD_STEP + source) for name, source in BACKWARD]
