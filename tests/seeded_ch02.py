"""Seeded mistakes for chapter 2, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no catalogued name", source).
They are deliberately written independently of the catalogue in
autograder/checks/ch02.py (loops, different spellings), so that matching them measures
the diagnosis rather than restating it.
"""

STEP = [
    ("bias dropped", '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    a = np.dot(x_t, W_xh) + np.dot(h_prev, W_hh)
    return np.tanh(a)
'''),
    ("previous state ignored", '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + b_h)
'''),
    ("W_hh transposed", '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + (W_hh @ h_prev.T).T + b_h)
'''),
    ("sigmoid instead of tanh", '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    z = x_t @ W_xh + h_prev @ W_hh + b_h
    return 1 / (1 + np.exp(-z))
'''),
    ("ReLU instead of tanh", '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    z = x_t @ W_xh + h_prev @ W_hh + b_h
    return z * (z > 0)
'''),
    ("no nonlinearity", '''
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh + h_prev @ W_hh + b_h
'''),
    ("bias added after tanh", '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + h_prev @ W_hh) + b_h
'''),
    ("input ignored", '''
import numpy as np
def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(h_prev.dot(W_hh) + b_h)
'''),
]

SEQUENCE = [
    ("initial state h0 ignored", '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    H = W_hh.shape[0]
    h = np.zeros((N, T, H))
    prev = np.zeros((N, H))
    for t in range(T):
        prev = np.tanh(x[:, t, :] @ W_xh + prev @ W_hh + b_h)
        h[:, t, :] = prev
    return h
'''),
    ("state not carried between steps", '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    out = []
    for t in range(T):
        out.append(np.tanh(x[:, t] @ W_xh + h0 @ W_hh + b_h))
    return np.stack(out, axis=1)
'''),
    ("off by one in time", '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev = h0
    for t in range(T):
        h[:, t] = prev
        prev = np.tanh(x[:, t] @ W_xh + prev @ W_hh + b_h)
    return h
'''),
    ("bias dropped", '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    states, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh + h @ W_hh)
        states.append(h)
    return np.stack(states, 1)
'''),
    ("W_hh transposed", '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    states, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh + h @ W_hh.T + b_h)
        states.append(h)
    return np.stack(states, 1)
'''),
    ("sigmoid instead of tanh", '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    states, h = [], h0
    for t in range(x.shape[1]):
        a = x[:, t] @ W_xh + h @ W_hh + b_h
        h = np.exp(a) / (1 + np.exp(a))
        states.append(h)
    return np.stack(states, 1)
'''),
    ("time reversed", '''
import numpy as np
def rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    prev = h0
    for t in reversed(range(T)):
        prev = np.tanh(x[:, t] @ W_xh + prev @ W_hh + b_h)
        h[:, t] = prev
    return h
'''),
]

OUTPUT = [
    ("bias dropped", '''
import numpy as np
def output_layer(h, W_hy, b_y):
    return np.einsum("nth,hv->ntv", h, W_hy)
'''),
    ("softmax applied", '''
import numpy as np
def output_layer(h, W_hy, b_y):
    s = h @ W_hy + b_y
    e = np.exp(s)
    return e / e.sum(axis=2, keepdims=True)
'''),
    ("tanh applied", '''
import numpy as np
def output_layer(h, W_hy, b_y):
    return np.tanh(np.matmul(h, W_hy) + b_y)
'''),
    ("sigmoid applied", '''
import numpy as np
def output_layer(h, W_hy, b_y):
    return 1.0 / (1.0 + np.exp(-(h @ W_hy + b_y)))
'''),
    ("W_hy transposed", '''
import numpy as np
def output_layer(h, W_hy, b_y):
    N, T, H = h.shape
    y = np.zeros((N, T, W_hy.shape[1]))
    for t in range(T):
        y[:, t] = h[:, t] @ W_hy.T + b_y
    return y
'''),
]

SEEDED = {"ch02.rnn_step_forward": STEP, "ch02.rnn_forward": SEQUENCE, "ch02.output_layer": OUTPUT}
