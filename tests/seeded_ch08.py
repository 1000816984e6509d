"""Seeded mistakes for chapter 8, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no catalogued name", source).
They are written independently of the catalogue in autograder/checks/ch08.py (loops,
other NumPy spellings, other orders of the same wrong idea), so that naming them measures
the diagnosis rather than restating it.
"""

TBPTT = [
    ("streams interleaved", '''
import numpy as np
def tbptt_batches(data, N, T):
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = S // T
    x = np.zeros((K, N, T), dtype=int)
    y = np.zeros((K, N, T), dtype=int)
    for k in range(K):
        for n in range(N):
            for t in range(T):
                pos = (k * T + t) * N + n          # every N-th token belongs to stream n
                x[k, n, t] = data[pos]
                y[k, n, t] = data[pos + N]
    return x, y
'''),
    ("windows do not continue across batches", '''
import numpy as np
def tbptt_batches(data, N, T):
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = S // T
    xs, ys = [], []
    for j in range(K * N):                         # window j, one after another
        xs.append(data[j * T:(j + 1) * T])
        ys.append(data[j * T + 1:(j + 1) * T + 1])
    return np.array(xs).reshape(K, N, T), np.array(ys).reshape(K, N, T)
'''),
    ("targets not shifted", '''
import numpy as np
def tbptt_batches(data, N, T):
    N = int(N); T = int(T)
    S = (data.shape[0] - 1) // N
    K = S // T
    streams = np.stack([data[n * S:n * S + K * T] for n in range(N)])   # (N, K*T)
    x = streams.reshape(N, K, T).swapaxes(0, 1)
    return x, x.copy()
'''),
    ("x and y swapped", '''
import numpy as np
def tbptt_batches(data, N, T):
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = S // T
    inp = np.stack([data[n * S + 1:n * S + 1 + K * T] for n in range(N)])
    out = np.stack([data[n * S:n * S + K * T] for n in range(N)])
    inp = np.transpose(inp.reshape(N, K, T), (1, 0, 2))
    out = np.transpose(out.reshape(N, K, T), (1, 0, 2))
    return inp, out
'''),
    ("N and T swapped", '''
import numpy as np
def tbptt_batches(data, N, T):
    # (mixed up which argument is the window length)
    n_streams, win = int(T), int(N)
    S = (len(data) - 1) // n_streams
    K = S // win
    x = data[:n_streams * S].reshape(n_streams, S)[:, :K * win]
    y = data[1:n_streams * S + 1].reshape(n_streams, S)[:, :K * win]
    return x.reshape(n_streams, K, win).transpose(1, 0, 2), y.reshape(n_streams, K, win).transpose(1, 0, 2)
'''),
    ("window axis not first", '''
import numpy as np
def tbptt_batches(data, N, T):
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = S // T
    x = np.array([[data[n * S + k * T:n * S + (k + 1) * T] for k in range(K)] for n in range(N)])
    y = np.array([[data[n * S + k * T + 1:n * S + (k + 1) * T + 1] for k in range(K)] for n in range(N)])
    return x, y
'''),
    (None, '''
import numpy as np
def tbptt_batches(data, N, T):
    # keeps a last, shorter window padded with zeros
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = -(-S // T)
    x = np.zeros((K, N, T), dtype=np.int64)
    y = np.zeros((K, N, T), dtype=np.int64)
    for n in range(N):
        for k in range(K):
            a = data[n * S + k * T:min(n * S + (k + 1) * T, (n + 1) * S)]
            b = data[n * S + k * T + 1:min(n * S + (k + 1) * T, (n + 1) * S) + 1]
            x[k, n, :len(a)] = a
            y[k, n, :len(b)] = b
    return x, y
'''),
]

SAMPLE = [
    ("temperature multiplies the logits", '''
import numpy as np
def sample_with_temperature(logits, temperature, u):
    z = logits * float(temperature)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p = p / p.sum(axis=1, keepdims=True)
    return np.array([np.searchsorted(np.cumsum(row), un, side="right") for row, un in zip(p, u)])
'''),
    ("temperature ignored", '''
import numpy as np
def sample_with_temperature(logits, temperature, u):
    out = []
    for n in range(logits.shape[0]):
        e = np.exp(logits[n] - np.max(logits[n]))
        c = np.cumsum(e / e.sum())
        i = 0
        while i < len(c) - 1 and c[i] <= u[n]:
            i += 1
        out.append(i)
    return np.array(out)
'''),
    ("always the most likely index (argmax)", '''
import numpy as np
def sample_with_temperature(logits, temperature, u):
    p = np.exp(logits / temperature)
    p /= p.sum(1, keepdims=True)
    return p.argmax(axis=1)
'''),
    ("softmax over the batch axis", '''
import numpy as np
def sample_with_temperature(logits, temperature, u):
    z = logits / temperature
    p = np.exp(z - z.max(axis=0))
    p = p / p.sum(axis=0)
    cdf = np.cumsum(p, axis=1)
    return np.minimum((cdf <= u[:, None]).sum(axis=1), logits.shape[1] - 1)
'''),
    ("cumulative sum over the batch axis", '''
import numpy as np
def sample_with_temperature(logits, temperature, u):
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    cdf = np.cumsum(p, axis=0)
    return np.minimum(np.sum(cdf <= u.reshape(-1, 1), axis=1), p.shape[1] - 1)
'''),
    ("probabilities not normalised", '''
import numpy as np
def sample_with_temperature(logits, temperature, u):
    z = logits / temperature
    w = np.exp(z - z.max(axis=1, keepdims=True))          # forgot to divide by the sum
    idx = np.zeros(len(u), dtype=int)
    for n in range(len(u)):
        idx[n] = min(int(np.searchsorted(np.cumsum(w[n]), u[n], side="right")), w.shape[1] - 1)
    return idx
'''),
    (None, '''
import numpy as np
def sample_with_temperature(logits, temperature, u):
    # reads the distribution from the last index down
    z = logits / temperature
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    cdf = np.cumsum(p[:, ::-1], axis=1)
    return p.shape[1] - 1 - np.minimum((cdf <= u[:, None]).sum(1), p.shape[1] - 1)
'''),
]

ADAM = [
    ("gradient not clipped", '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    b1, b2, eps = 0.9, 0.999, 1e-8
    t = int(t)
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad ** 2
    theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return theta, m, v
'''),
    ("clipped by value, not by norm", '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    g = np.clip(grad, -max_norm, max_norm)
    m2 = 0.9 * m + 0.1 * g
    v2 = 0.999 * v + 0.001 * g * g
    mhat = m2 / (1 - 0.9 ** t)
    vhat = v2 / (1 - 0.999 ** t)
    return theta - lr * mhat / (np.sqrt(vhat) + 1e-8), m2, v2
'''),
    ("no bias correction", '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    norm = np.linalg.norm(grad)
    g = grad * max_norm / (norm + 1e-6) if norm > max_norm else grad
    m_new = 0.9 * m + (1 - 0.9) * g
    v_new = 0.999 * v + (1 - 0.999) * g ** 2
    return theta - lr * m_new / (np.sqrt(v_new) + 1e-8), m_new, v_new
'''),
    ("step count incremented again", '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    t = int(t) + 1                       # next step
    scale = min(1.0, float(max_norm) / (np.sqrt((grad ** 2).sum()) + 1e-6))
    g = grad * scale
    m_new = 0.9 * m + 0.1 * g
    v_new = 0.999 * v + 0.001 * g ** 2
    theta_new = theta - lr * (m_new / (1 - 0.9 ** t)) / (np.sqrt(v_new / (1 - 0.999 ** t)) + 1e-8)
    return theta_new, m_new, v_new
'''),
    ("second moment from the gradient, not its square", '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    n = np.sqrt(np.sum(grad * grad))
    g = grad * min(1.0, max_norm / (n + 1e-6))
    m_new = 0.9 * m + 0.1 * g
    v_new = 0.999 * v + 0.001 * g
    with np.errstate(invalid="ignore"):
        upd = (m_new / (1 - 0.9 ** t)) / (np.sqrt(v_new / (1 - 0.999 ** t)) + 1e-8)
    return theta - lr * upd, m_new, v_new
'''),
    ("update from the old moments", '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    n = np.linalg.norm(grad)
    if n > max_norm:
        grad = grad * (max_norm / (n + 1e-6))
    theta_new = theta - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return theta_new, 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad ** 2
'''),
    ("always rescaled to max_norm", '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    g = grad / (np.linalg.norm(grad) + 1e-6) * max_norm
    m_new = 0.9 * m + 0.1 * g
    v_new = 0.999 * v + 0.001 * g ** 2
    m_hat = m_new / (1 - 0.9 ** int(t))
    v_hat = v_new / (1 - 0.999 ** int(t))
    return theta - lr * m_hat / (np.sqrt(v_hat) + 1e-8), m_new, v_new
'''),
    (None, '''
import numpy as np
def clipped_adam_step(theta, grad, m, v, t, lr, max_norm):
    # momentum SGD instead of Adam
    norm = np.linalg.norm(grad)
    g = grad * min(1.0, max_norm / (norm + 1e-6))
    m_new = 0.9 * m + g
    return theta - lr * m_new, m_new, v
'''),
]

BEAM = [
    ("beam scores not added", '''
import numpy as np
def beam_search_step(log_probs, beam_scores, k):
    B, V = log_probs.shape
    flat = log_probs.flatten()
    best = np.argsort(flat)[::-1][:int(k)]
    return flat[best], best // V, best % V
'''),
    ("log-probabilities multiplied", '''
import numpy as np
def beam_search_step(log_probs, beam_scores, k):
    B, V = log_probs.shape
    cands = []
    for b in range(B):
        for v in range(V):
            cands.append((beam_scores[b] * log_probs[b, v], b, v))
    cands.sort(key=lambda c: -c[0])
    top = cands[:int(k)]
    return (np.array([c[0] for c in top]), np.array([c[1] for c in top]), np.array([c[2] for c in top]))
'''),
    ("probabilities added to log-scores", '''
import numpy as np
def beam_search_step(log_probs, beam_scores, k):
    total = beam_scores.reshape(-1, 1) + np.exp(log_probs)
    order = np.argsort(-total, axis=None, kind="stable")[:int(k)]
    parents, tokens = np.unravel_index(order, total.shape)
    return total.ravel()[order], parents, tokens
'''),
    ("the k worst kept", '''
import numpy as np
def beam_search_step(log_probs, beam_scores, k):
    total = beam_scores[:, None] + log_probs
    order = np.argsort(total.ravel())[:int(k)]
    return total.ravel()[order], order // total.shape[1], order % total.shape[1]
'''),
    ("flat index split by the number of beams", '''
import numpy as np
def beam_search_step(log_probs, beam_scores, k):
    B = len(beam_scores)
    total = (beam_scores[:, None] + log_probs).reshape(-1)
    order = np.argsort(-total)[:int(k)]
    return total[order], order // B, order % B
'''),
    ("best k not ordered best first", '''
import numpy as np
def beam_search_step(log_probs, beam_scores, k):
    total = (beam_scores[:, None] + log_probs).ravel()
    keep = np.argpartition(-total, int(k) - 1)[:int(k)]
    keep = np.sort(keep)                          # back in index order
    V = log_probs.shape[1]
    return total[keep], keep // V, keep % V
'''),
    (None, '''
import numpy as np
def beam_search_step(log_probs, beam_scores, k):
    # the best token of each beam only, then the k best of those (repeating the last)
    best_v = log_probs.argmax(axis=1)
    s = beam_scores + log_probs.max(axis=1)
    order = list(np.argsort(-s))
    while len(order) < int(k):
        order.append(order[-1])
    order = np.array(order[:int(k)])
    return s[order], order, best_v[order]
'''),
]

SEEDED = {
    "ch08.tbptt_batches": TBPTT,
    "ch08.sample_with_temperature": SAMPLE,
    "ch08.clipped_adam_step": ADAM,
    "ch08.beam_search_step": BEAM,
}
