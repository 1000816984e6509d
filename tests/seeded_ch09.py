"""Seeded mistakes for chapter 9, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no catalogued name", source).
They are written independently of the catalogue in autograder/checks/ch09.py (loops over
the batch, einsum, masks built by hand, their own softmax), so that matching them measures
the diagnosis rather than restating it.
"""

_SOFTMAX = '''
import numpy as np
def _softmax(z, axis=-1):
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)
'''

CAUSAL_SELF_ATTENTION = [
    ("scores not scaled", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q = x @ W_q; K = x @ W_k; V = x @ W_v
    T = x.shape[1]
    s = np.einsum("ntd,nsd->nts", Q, K)
    s[:, np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] = -np.inf
    return _softmax(s) @ V
'''),
    ("scores divided by d_k instead of sqrt(d_k)", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    d_k = Q.shape[-1]
    s = Q @ K.transpose(0, 2, 1) / d_k
    T = s.shape[1]
    mask = np.triu(np.ones((T, T)), k=1).astype(bool)
    s = np.where(mask, -1e30, s)
    return _softmax(s) @ V
'''),
    ("no causal mask", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    A = _softmax(Q @ np.transpose(K, (0, 2, 1)) / np.sqrt(W_q.shape[1]))
    return A @ V
'''),
    ("mask reversed (t sees the future, not the past)", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[1]
    s = Q @ np.swapaxes(K, 1, 2) / np.sqrt(K.shape[2])
    keep = np.triu(np.ones((T, T))) == 1          # meant tril
    s = np.where(keep, s, -np.inf)
    return _softmax(s, axis=2) @ V
'''),
    ("mask off by one (position t does not see itself)", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[1]
    s = Q @ np.swapaxes(K, 1, 2) / np.sqrt(Q.shape[-1])
    future = np.tril(np.ones((T, T)), k=0) == 0
    future = future | np.eye(T, dtype=bool)        # "t must not see t" (wrong)
    s = np.where(future, -np.inf, s)
    return _softmax(s) @ V
'''),
    ("mask off by one (position t does not see itself)", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[1]
    s = Q @ np.swapaxes(K, 1, 2) / np.sqrt(Q.shape[-1])
    s = np.where(np.tril(np.ones((T, T)), k=-1) > 0, s, -1e9)
    return _softmax(s) @ V
'''),
    ("mask applied after the softmax (rows no longer sum to 1)", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[1]
    A = _softmax(Q @ np.swapaxes(K, 1, 2) / np.sqrt(Q.shape[-1]))
    A = A * np.tril(np.ones((T, T)))
    return A @ V
'''),
    ("softmax over the wrong axis", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    out = []
    for n in range(x.shape[0]):
        Q, K, V = x[n] @ W_q, x[n] @ W_k, x[n] @ W_v
        T = Q.shape[0]
        s = Q @ K.T / np.sqrt(Q.shape[1])
        s[np.triu(np.ones((T, T), dtype=bool), 1)] = -np.inf
        out.append(_softmax(s, axis=0) @ V)
    return np.stack(out)
'''),
    ("queries and keys swapped (K Q^T)", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[1]
    s = K @ Q.transpose(0, 2, 1) / np.sqrt(W_k.shape[1])
    s = s + np.triu(np.full((T, T), -np.inf), 1)
    return _softmax(s) @ V
'''),
    ("values are x, not x W_v", _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K = x @ W_q, x @ W_k
    T = x.shape[1]
    s = Q @ np.swapaxes(K, 1, 2) / np.sqrt(W_q.shape[1])
    s = np.where(np.tril(np.ones((T, T))) == 1, s, -np.inf)
    return _softmax(s) @ x
'''),
    (None, _SOFTMAX + '''
def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[1]
    s = Q @ np.swapaxes(K, 1, 2) / np.sqrt(W_q.shape[1])
    s = np.where(np.tril(np.ones((T, T))) == 1, s, -np.inf)
    return _softmax(s) @ V + x @ W_v        # a residual connection that was not asked for
'''),
]

RNN_VS_ATTENTION_COST = [
    ("attention's T*T products missing", '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    T, D, H = int(T), int(D), int(H)
    return np.array([[T * (D * H + H * H), T], [3 * T * D * H, 1]], dtype=float)
'''),
    ("scores and weighted sum counted once (T*T*H)", '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    rnn = T * D * H + T * H * H
    att = 3 * (T * D * H) + T ** 2 * H
    out = np.zeros((2, 2))
    out[0] = rnn, T
    out[1] = att, 1
    return out
'''),
    ("projections counted once, not three times", '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    T = float(T); D = float(D); H = float(H)
    return np.array([[T * (D * H + H * H), T], [T * D * H + 2 * T * T * H, 1.0]])
'''),
    ("RNN recurrent product H*H missing", '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    T = float(T); D = float(D); H = float(H)
    return np.array([[T * D * H, T], [3 * T * D * H + 2 * T * T * H, 1.0]])
'''),
    ("RNN input product D*H missing", '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    T = float(T); D = float(D); H = float(H)
    return np.array([[T * H ** 2, T], [3 * T * D * H + 2 * T * T * H, 1.0]])
'''),
    ("sequential steps swapped", '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    T = float(T); D = float(D); H = float(H)
    madds = np.array([T * (D * H + H * H), 3 * T * D * H + 2 * T * T * H])
    steps = np.array([1.0, T])
    return np.stack([madds, steps], axis=1)
'''),
    ("rows swapped (attention first)", '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    T = float(T); D = float(D); H = float(H)
    attention = [3 * T * D * H + 2 * T * T * H, 1.0]
    rnn = [T * (D * H + H * H), T]
    return np.array([attention, rnn])
'''),
    (None, '''
import numpy as np
def rnn_vs_attention_cost(T, D, H):
    T = float(T); D = float(D); H = float(H)
    return np.array([[T * (D * H + H * H), T], [3 * T * D * H + 2 * T * T * D, 1.0]])   # D for H
'''),
]

SEEDED = {
    "ch09.causal_self_attention": CAUSAL_SELF_ATTENTION,
    "ch09.rnn_vs_attention_cost": RNN_VS_ATTENTION_COST,
}
