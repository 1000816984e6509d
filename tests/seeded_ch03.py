"""Seeded mistakes for chapter 3, written the way students write them.

Each entry is (expected mistake name, or None for "wrong, and no catalogued mistake
explains it", source). They are written independently of the catalogue in
autograder/checks/ch03.py (loops over the batch, np.dot, helper functions, other
spellings), so that matching them measures the diagnosis rather than restating it.
"""

STEP = [
    ("tanh derivative written as 1 - h", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    dtanh = 1 - h_next
    da = dh_next * dtanh
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(0)
'''),
    ("tanh derivative taken at h_prev", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1.0 - h_prev * h_prev)
    dx_t = np.dot(da, W_xh.T)
    dh_prev = np.dot(da, W_hh.T)
    dW_xh = np.dot(x_t.T, da)
    dW_hh = np.dot(h_prev.T, da)
    db_h = np.sum(da, axis=0)
    return dx_t, dh_prev, dW_xh, dW_hh, db_h
'''),
    ("tanh applied twice in the derivative", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    local = 1 - np.tanh(h_next) ** 2
    g = dh_next * local
    return g @ W_xh.T, g @ W_hh.T, x_t.T @ g, h_prev.T @ g, g.sum(axis=0)
'''),
    ("tanh derivative missing", '''
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    dx_t = dh_next @ W_xh.T
    dh_prev = dh_next @ W_hh.T
    dW_xh = x_t.T @ dh_next
    dW_hh = h_prev.T @ dh_next
    db_h = dh_next.sum(axis=0)
    return dx_t, dh_prev, dW_xh, dW_hh, db_h
'''),
    ("W_hh not transposed", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    dh_prev = np.dot(da, W_hh)
    return np.dot(da, W_xh.T), dh_prev, np.dot(x_t.T, da), np.dot(h_prev.T, da), da.sum(axis=0)
'''),
    ("W_xh not transposed", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    dx_t = da.dot(W_xh)
    return dx_t, da.dot(W_hh.T), x_t.T.dot(da), h_prev.T.dot(da), da.sum(axis=0)
'''),
    ("dW_hh transposed", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - np.square(h_next))
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, np.dot(da.T, h_prev), da.sum(axis=0)
'''),
    ("dW_xh transposed", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    dW_xh = (da.T).dot(x_t)
    return da @ W_xh.T, da @ W_hh.T, dW_xh, h_prev.T @ da, da.sum(axis=0)
'''),
    ("h_next used in dW_hh", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    dW_hh = h_next.T @ da
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, dW_hh, da.sum(axis=0)
'''),
    ("bias gradient not summed over the batch", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    db_h = da.copy()
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, db_h
'''),
    ("bias gradient averaged over the batch", '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, np.mean(da, axis=0)
'''),
    (None, '''
import numpy as np
def rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    # a loop over the batch that forgets to add the rows' outer products
    N, H = dh_next.shape
    dx_t = np.zeros_like(x_t)
    dh_prev = np.zeros_like(h_prev)
    db_h = np.zeros(H)
    for n in range(N):
        da = dh_next[n] * (1 - h_next[n] ** 2)
        dx_t[n] = W_xh @ da
        dh_prev[n] = W_hh @ da
        dW_xh = np.outer(x_t[n], da)
        dW_hh = np.outer(h_prev[n], da)
        db_h += da
    return dx_t, dh_prev, dW_xh, dW_hh, db_h
'''),
]

SEQUENCE = [
    ("recurrent gradient not carried", '''
import numpy as np
def _step(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)

def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dW_xh, dW_hh = np.zeros_like(W_xh), np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0])
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1]
        dx[:, t], dh_prev, a, b, c = _step(dh[:, t], x[:, t], h_prev, h[:, t], W_xh, W_hh)
        dW_xh += a
        dW_hh += b
        db_h += c
    return dx, dh_prev, dW_xh, dW_hh, db_h
'''),
    ("recurrent gradient added after the tanh derivative", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros((N, T, D))
    dW_xh = np.zeros((D, H)); dW_hh = np.zeros((H, H)); db_h = np.zeros(H)
    dnext = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da = dh[:, t] * (1 - h[:, t] ** 2) + dnext
        prev = h[:, t - 1] if t > 0 else h0
        dx[:, t] = da @ W_xh.T
        dW_xh += x[:, t].T @ da
        dW_hh += prev.T @ da
        db_h += da.sum(axis=0)
        dnext = da @ W_hh.T
    return dx, dnext, dW_xh, dW_hh, db_h
'''),
    ("time loop runs forwards", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[1])
    dh_prev = np.zeros_like(h0)
    for t in range(T):
        h_prev = h[:, t - 1] if t else h0
        da = (dh[:, t] + dh_prev) * (1 - h[:, t] * h[:, t])
        dx[:, t, :] = np.dot(da, W_xh.T)
        dW_xh += np.dot(x[:, t, :].T, da)
        dW_hh += np.dot(h_prev.T, da)
        db_h += np.sum(da, axis=0)
        dh_prev = np.dot(da, W_hh.T)
    return dx, dh_prev, dW_xh, dW_hh, db_h
'''),
    ("weight gradients overwritten at every step", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros_like(x)
    carry = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        da = (dh[:, t] + carry) * (1 - h[:, t] ** 2)
        h_prev = h0 if t == 0 else h[:, t - 1]
        dx[:, t] = da @ W_xh.T
        dW_xh = x[:, t].T @ da
        dW_hh = h_prev.T @ da
        db_h = da.sum(axis=0)
        carry = da @ W_hh.T
    return dx, carry, dW_xh, dW_hh, db_h
'''),
    ("h[:, t] used as the state entering step t", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    H = W_hh.shape[0]
    dx = np.zeros((N, T, D)); dW_xh = np.zeros((D, H)); dW_hh = np.zeros((H, H)); db_h = np.zeros(H)
    g = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        ht = h[:, t]
        da = (dh[:, t] + g) * (1 - ht ** 2)
        dx[:, t] = da @ W_xh.T
        dW_xh += x[:, t].T @ da
        dW_hh += ht.T @ da
        db_h += da.sum(0)
        g = da @ W_hh.T
    return dx, g, dW_xh, dW_hh, db_h
'''),
    ("h[:, -1] used as the state entering step 0", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    H = W_hh.shape[0]
    dx = np.zeros((N, T, D)); dW_xh = np.zeros((D, H)); dW_hh = np.zeros((H, H)); db_h = np.zeros(H)
    g = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da = (dh[:, t] + g) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ W_xh.T
        dW_xh += x[:, t].T @ da
        dW_hh += h[:, t - 1].T @ da
        db_h += da.sum(0)
        g = da @ W_hh.T
    return dx, g, dW_xh, dW_hh, db_h
'''),
    ("h0 left out of dW_hh", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    H = W_hh.shape[0]
    dx = np.zeros((N, T, D)); dW_xh = np.zeros((D, H)); dW_hh = np.zeros((H, H)); db_h = np.zeros(H)
    g = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da = (dh[:, t] + g) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ W_xh.T
        dW_xh += x[:, t].T @ da
        if t > 0:
            dW_hh += h[:, t - 1].T @ da
        db_h += da.sum(0)
        g = da @ W_hh.T
    return dx, g, dW_xh, dW_hh, db_h
'''),
    ("tanh derivative written as 1 - h", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros(x.shape)
    grads = [np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(W_hh.shape[0])]
    dnext = np.zeros(h0.shape)
    states = [h0] + [h[:, t] for t in range(T)]
    for t in range(T - 1, -1, -1):
        da = (dh[:, t] + dnext) * (1 - states[t + 1])
        dx[:, t] = da @ W_xh.T
        grads[0] += x[:, t].T @ da
        grads[1] += states[t].T @ da
        grads[2] += da.sum(axis=0)
        dnext = da @ W_hh.T
    return dx, dnext, grads[0], grads[1], grads[2]
'''),
    ("tanh derivative taken at the previous state", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dW_xh = np.zeros_like(W_xh); dW_hh = np.zeros_like(W_hh); db_h = np.zeros(W_hh.shape[0])
    dnext = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dnext) * (1 - prev ** 2)
        dx[:, t] = da @ W_xh.T
        dW_xh += x[:, t].T @ da
        dW_hh += prev.T @ da
        db_h += da.sum(axis=0)
        dnext = da @ W_hh.T
    return dx, dnext, dW_xh, dW_hh, db_h
'''),
    ("W_hh not transposed in the carried gradient", '''
import numpy as np
def step_back(dout, x_t, h_prev, h_t, W_xh, W_hh):
    da = dout * (1 - h_t ** 2)
    return np.dot(da, W_xh.T), np.dot(da, W_hh), np.dot(x_t.T, da), np.dot(h_prev.T, da), da.sum(0)

def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dW_xh = np.zeros_like(W_xh); dW_hh = np.zeros_like(W_hh); db_h = np.zeros(W_hh.shape[0])
    carried = np.zeros_like(h0)
    for t in reversed(range(T)):
        dxt, carried, a, b, c = step_back(dh[:, t] + carried, x[:, t], h[:, t - 1] if t else h0,
                                          h[:, t], W_xh, W_hh)
        dx[:, t] = dxt
        dW_xh, dW_hh, db_h = dW_xh + a, dW_hh + b, db_h + c
    return dx, carried, dW_xh, dW_hh, db_h
'''),
    ("dh0 returned as zeros", '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dW_xh = np.zeros_like(W_xh); dW_hh = np.zeros_like(W_hh); db_h = np.zeros(W_hh.shape[0])
    dnext = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dnext) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ W_xh.T
        dW_xh += x[:, t].T @ da
        dW_hh += prev.T @ da
        db_h += da.sum(axis=0)
        dnext = da @ W_hh.T
    dh0 = np.zeros_like(h0)
    return dx, dh0, dW_xh, dW_hh, db_h
'''),
    ('index t - 1 instead of t in dx[:, t]', '''
import numpy as np
def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    # dx written one step late
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dW_xh = np.zeros_like(W_xh); dW_hh = np.zeros_like(W_hh); db_h = np.zeros(W_hh.shape[0])
    dnext = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        prev = h0 if t == 0 else h[:, t - 1]
        da = (dh[:, t] + dnext) * (1 - h[:, t] ** 2)
        dx[:, t - 1] = da @ W_xh.T
        dW_xh += x[:, t].T @ da
        dW_hh += prev.T @ da
        db_h += da.sum(axis=0)
        dnext = da @ W_hh.T
    return dx, dnext, dW_xh, dW_hh, db_h
'''),
]

LOSS = [
    ("softmax not shifted", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    p = np.exp(scores) / np.exp(scores).sum(axis=2, keepdims=True)
    N, T, V = scores.shape
    count = mask.sum()
    loss = 0.0
    dscores = p.copy()
    for n in range(N):
        for t in range(T):
            loss -= mask[n, t] * np.log(p[n, t, targets[n, t]])
            dscores[n, t, targets[n, t]] -= 1
    dscores *= mask[:, :, None] / count
    return loss / count, dscores
'''),
    ("softmax not shifted", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    # log-sum-exp without the shift: exp overflows for large scores
    log_z = np.log(np.sum(np.exp(scores), axis=-1, keepdims=True))
    log_p = scores - log_z
    n = mask.sum()
    picked = np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    loss = -(picked * mask).sum() / n
    d = np.exp(log_p)
    np.put_along_axis(d, targets[..., None], np.take_along_axis(d, targets[..., None], -1) - 1, -1)
    return loss, d * mask[..., None] / n
'''),
    ("loss summed, not averaged", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    s = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
    N, T, V = scores.shape
    onehot = np.eye(V)[targets]
    loss = -np.sum(mask * np.sum(onehot * np.log(p), axis=-1))
    dscores = (p - onehot) * mask[..., None]
    return loss, dscores
'''),
    ("gradient not divided by the count", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    s = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
    V = scores.shape[-1]
    onehot = np.eye(V)[targets]
    loss = -np.sum(mask * np.log(np.sum(p * onehot, axis=-1))) / np.sum(mask)
    dscores = (p - onehot) * mask[..., None]
    return loss, dscores
'''),
    ("divided by N*T instead of the number of counted steps", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    N, T, V = scores.shape
    shifted = scores - np.max(scores, axis=2, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=2, keepdims=True)
    loss = 0.0
    dscores = np.zeros_like(scores)
    for n in range(N):
        for t in range(T):
            if mask[n, t]:
                y = targets[n, t]
                loss += -np.log(probs[n, t, y])
                dscores[n, t] = probs[n, t]
                dscores[n, t, y] -= 1
    return loss / (N * T), dscores / (N * T)
'''),
    ("divided by the batch size N", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    N = scores.shape[0]
    z = scores - scores.max(axis=2, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=2, keepdims=True))
    probs = np.exp(log_probs)
    idx_n, idx_t = np.indices(targets.shape)
    loss = -np.sum(log_probs[idx_n, idx_t, targets] * mask) / N
    dscores = probs.copy()
    dscores[idx_n, idx_t, targets] -= 1
    dscores *= mask[:, :, np.newaxis]
    return loss, dscores / N
'''),
    ("mask ignored", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    onehot = np.eye(scores.shape[-1])[targets]
    loss = -np.mean(np.log((p * onehot).sum(axis=-1)))
    N, T, _ = scores.shape
    return loss, (p - onehot) / (N * T)
'''),
    ("gradient not masked", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    onehot = np.eye(scores.shape[-1])[targets]
    count = mask.sum()
    loss = -(np.log((p * onehot).sum(axis=-1)) * mask).sum() / count
    return loss, (p - onehot) / count
'''),
    ("-1 at the target missing from the gradient", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    count = mask.sum()
    lp = np.log(p)
    picked = np.take_along_axis(lp, np.expand_dims(targets, -1), axis=-1).squeeze(-1)
    loss = -(picked * mask).sum() / count
    return loss, p * mask[..., None] / count
'''),
    ("gradient sign flipped", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    onehot = np.eye(scores.shape[-1])[targets]
    count = mask.sum()
    loss = -(np.log((p * onehot).sum(-1)) * mask).sum() / count
    return loss, (onehot - p) * mask[..., None] / count
'''),
    ("log missing from the loss", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    onehot = np.eye(scores.shape[-1])[targets]
    count = mask.sum()
    loss = -((p * onehot).sum(-1) * mask).sum() / count
    return loss, (p - onehot) * mask[..., None] / count
'''),
    ("softmax over the wrong axis", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(scores.shape[-1])[targets]
    count = mask.sum()
    loss = -(np.log((p * onehot).sum(-1)) * mask).sum() / count
    return loss, (p - onehot) * mask[..., None] / count
'''),
    ("loss returned per step", '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    onehot = np.eye(scores.shape[-1])[targets]
    count = mask.sum()
    losses = -np.log((p * onehot).sum(-1)) * mask / count
    return losses, (p - onehot) * mask[..., None] / count
'''),
    ('loss off by a constant factor', '''
import numpy as np
def softmax_cross_entropy(scores, targets, mask):
    # the loss in bits (log base 2)
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    onehot = np.eye(scores.shape[-1])[targets]
    count = mask.sum()
    loss = -(np.log2((p * onehot).sum(-1)) * mask).sum() / count
    return loss, (p - onehot) * mask[..., None] / count
'''),
]

SEEDED = {"ch03.rnn_step_backward": STEP, "ch03.rnn_backward": SEQUENCE, "ch03.softmax_cross_entropy": LOSS}
