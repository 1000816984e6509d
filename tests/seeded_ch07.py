"""Seeded mistakes for chapter 7, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no name", source); the name is a
catalogued mistake's or, for a mistake no catalogue lists, the one the generic diagnosis
(autograder/diagnosis.py) gives.
They are written independently of the catalogue in autograder/checks/ch07.py (loops over
rows, lists of states, masks, their own helpers), so that matching them measures the
diagnosis rather than restating it.
"""

# -- many_to_one ----------------------------------------------------------------------------

_M2O_HEAD = '''
import numpy as np
def many_to_one(x, lengths, h0, W_xh, W_hh, b_h, W_hy, b_y):
    N, T, D = x.shape
    states = []
    h = h0
    for t in range(T):
        h = np.tanh(x[:, t, :] @ W_xh + h @ W_hh + b_h)
        states.append(h)
    hs = np.stack(states, axis=1)
'''

MANY_TO_ONE = [
    ("last padded state used", _M2O_HEAD + '''
    return hs[:, -1, :] @ W_hy + b_y
'''),
    ("last padded state used", '''
import numpy as np
def many_to_one(x, lengths, h0, W_xh, W_hh, b_h, W_hy, b_y):
    h = h0.copy()
    for t in range(x.shape[1]):
        h = np.tanh(np.dot(x[:, t], W_xh) + np.dot(h, W_hh) + b_h)
    return np.dot(h, W_hy) + b_y          # forgot the lengths
'''),
    ("one step too late (h[n, lengths[n]])", _M2O_HEAD + '''
    idx = np.clip(lengths, 0, T - 1)      # lengths[n] itself raised an IndexError, so clip it
    return hs[np.arange(N), idx] @ W_hy + b_y
'''),
    ("one step too early (h[n, lengths[n] - 2])", _M2O_HEAD + '''
    last = [hs[n, lengths[n] - 2] for n in range(N)]
    return np.array(last) @ W_hy + b_y
'''),
    ("first state used", _M2O_HEAD + '''
    return hs[:, 0] @ W_hy + b_y
'''),
    ("mean over all time steps", _M2O_HEAD + '''
    return np.mean(hs, axis=1) @ W_hy + b_y
'''),
    ("mean over the valid steps", '''
import numpy as np
def many_to_one(x, lengths, h0, W_xh, W_hh, b_h, W_hy, b_y):
    out = []
    for n in range(x.shape[0]):
        h = h0[n]
        total = np.zeros_like(h)
        for t in range(lengths[n]):
            h = np.tanh(x[n, t] @ W_xh + h @ W_hh + b_h)
            total = total + h
        out.append((total / lengths[n]) @ W_hy + b_y)
    return np.array(out)
'''),
    ("max over time", _M2O_HEAD + '''
    return hs.max(axis=1) @ W_hy + b_y
'''),
    ("output bias b_y dropped", _M2O_HEAD + '''
    return hs[np.arange(N), lengths - 1] @ W_hy
'''),
    ("softmax applied to the scores", _M2O_HEAD + '''
    s = hs[np.arange(N), lengths - 1] @ W_hy + b_y
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
'''),
    ("h0 ignored", '''
import numpy as np
def many_to_one(x, lengths, h0, W_xh, W_hh, b_h, W_hy, b_y):
    N, T, D = x.shape
    h = np.zeros((N, W_hh.shape[0]))
    last = np.zeros_like(h)
    for t in range(T):
        h = np.tanh(x[:, t] @ W_xh + h @ W_hh + b_h)
        done = (lengths == t + 1)[:, None]
        last = np.where(done, h, last)
    return last @ W_hy + b_y
'''),
    ('tanh instead of identity on y', _M2O_HEAD + '''
    return np.tanh(hs[np.arange(N), lengths - 1] @ W_hy + b_y)    # squashed scores
'''),
]

# -- one_to_many ----------------------------------------------------------------------------

ONE_TO_MANY = [
    ("x0 fed at every step", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h = h0
    ys = []
    for t in range(int(steps)):
        h = np.tanh(x0 @ W_xh + h @ W_hh + b_h)
        ys.append(h @ W_hy + b_y)
    return np.stack(ys, axis=1)
'''),
    ("state not carried", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    x = x0
    out = np.zeros((x0.shape[0], int(steps), W_hy.shape[1]))
    for t in range(int(steps)):
        h_t = np.tanh(x @ W_xh + h0 @ W_hh + b_h)
        out[:, t] = h_t @ W_hy + b_y
        x = out[:, t]
    return out
'''),
    ("softmax fed back", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h, x, ys = h0, x0, []
    for _ in range(steps):
        h = np.tanh(x @ W_xh + h @ W_hh + b_h)
        y = h @ W_hy + b_y
        ys.append(y)
        p = np.exp(y - y.max(axis=1, keepdims=True))
        x = p / p.sum(axis=1, keepdims=True)      # feed back probabilities
    return np.stack(ys, 1)
'''),
    ("first output dropped", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h = np.tanh(x0 @ W_xh + h0 @ W_hh + b_h)     # warm-up on x0
    x = h @ W_hy + b_y
    ys = []
    for _ in range(int(steps)):
        h = np.tanh(x @ W_xh + h @ W_hh + b_h)
        x = h @ W_hy + b_y
        ys.append(x)
    return np.stack(ys, axis=1)
'''),
    ("one step too many", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h, x, ys = h0, x0, []
    for t in range(int(steps) + 1):
        h = np.tanh(x @ W_xh + h @ W_hh + b_h)
        x = h @ W_hy + b_y
        ys.append(x)
    return np.stack(ys, axis=1)
'''),
    ("one step too few", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    N, V = x0.shape
    y = np.zeros((N, steps - 1, V))
    h, x = h0, x0
    for t in range(1, steps):
        h = np.tanh(x @ W_xh + h @ W_hh + b_h)
        y[:, t - 1] = h @ W_hy + b_y
        x = y[:, t - 1]
    return y
'''),
    ("output bias b_y dropped", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h, x, ys = h0, x0, []
    for _ in range(int(steps)):
        h = np.tanh(x @ W_xh + h @ W_hh + b_h)
        x = h @ W_hy
        ys.append(x)
    return np.stack(ys, axis=1)
'''),
    ("h0 ignored", '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h, x, ys = np.zeros_like(h0), x0, []
    for _ in range(int(steps)):
        h = np.tanh(x @ W_xh + h @ W_hh + b_h)
        x = h @ W_hy + b_y
        ys.append(x)
    return np.stack(ys, axis=1)
'''),
    (None, '''
import numpy as np
def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h, x, ys = h0, x0, []
    for _ in range(int(steps)):
        h = np.tanh(x @ W_xh + h @ W_hh + b_h)
        y = h @ W_hy + b_y
        ys.append(y)
        x = np.tanh(y)                               # squashed before feeding back
    return np.stack(ys, axis=1)
'''),
]

# -- encoder_decoder ------------------------------------------------------------------------

_RUN = '''
import numpy as np
def run(x, h, Wx, Wh, b):
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs, axis=1)
'''

ENCODER_DECODER = [
    ("decoder started from h0", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    enc = run(src, h0, W_xh_e, W_hh_e, b_e)
    dec = run(tgt_in, h0, W_xh_d, W_hh_d, b_d)
    return dec @ W_hy + b_y
'''),
    ("decoder started from zeros", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    context = run(src, h0, W_xh_e, W_hh_e, b_e)[:, -1]
    dec = run(tgt_in, np.zeros(h0.shape), W_xh_d, W_hh_d, b_d)
    return dec @ W_hy + b_y
'''),
    ("decoder started from the encoder's first state", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    enc = run(src, h0, W_xh_e, W_hh_e, b_e)
    dec = run(tgt_in, enc[:, 0], W_xh_d, W_hh_d, b_d)
    return dec @ W_hy + b_y
'''),
    ("encoder and decoder weights swapped", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    enc = run(src, h0, W_xh_d, W_hh_d, b_d)
    dec = run(tgt_in, enc[:, -1], W_xh_e, W_hh_e, b_e)
    return dec @ W_hy + b_y
'''),
    ("encoder weights used in the decoder", '''
import numpy as np
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    h = h0
    seq = np.concatenate([src, tgt_in], axis=1)     # one RNN over source then target
    out = []
    for t in range(seq.shape[1]):
        h = np.tanh(seq[:, t] @ W_xh_e + h @ W_hh_e + b_e)
        if t >= src.shape[1]:
            out.append(h @ W_hy + b_y)
    return np.stack(out, axis=1)
'''),
    ("scores from the encoder states", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    enc = run(src, h0, W_xh_e, W_hh_e, b_e)
    dec = run(tgt_in, enc[:, -1], W_xh_d, W_hh_d, b_d)
    return enc @ W_hy + b_y
'''),
    ("src and tgt_in swapped", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    enc = run(tgt_in, h0, W_xh_e, W_hh_e, b_e)
    dec = run(src, enc[:, -1], W_xh_d, W_hh_d, b_d)
    return dec @ W_hy + b_y
'''),
    ("output bias b_y dropped", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    ctx = run(src, h0, W_xh_e, W_hh_e, b_e)[:, -1]
    return np.einsum("nth,hv->ntv", run(tgt_in, ctx, W_xh_d, W_hh_d, b_d), W_hy)
'''),
    ("h0 ignored", _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    ctx = run(src, np.zeros_like(h0), W_xh_e, W_hh_e, b_e)[:, -1]
    return run(tgt_in, ctx, W_xh_d, W_hh_d, b_d) @ W_hy + b_y
'''),
    (None, _RUN + '''
def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    ctx = run(src, h0, W_xh_e, W_hh_e, b_e)[:, -1]
    dec = run(tgt_in, ctx, W_xh_d, W_hh_d, b_d)
    return (dec + ctx[:, None]) @ W_hy + b_y           # context added to every decoder state
'''),
]

SEEDED = {
    "ch07.many_to_one": MANY_TO_ONE,
    "ch07.one_to_many": ONE_TO_MANY,
    "ch07.encoder_decoder": ENCODER_DECODER,
}
