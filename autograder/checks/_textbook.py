"""The textbook form of every exercise's answer, one plain function each.

These are not the references (the oracle is always ``rnn_ref``; ``tests/test_checks.py``
tests that each formula equals its exercise's reference). They are what
:func:`autograder.diagnosis.one_edit` mutates, one edit at a time, to name a wrong answer
in the learner's terms: "the factor g dropped from dc * g * i * (1 - i)". So they are
written the way the notebooks' text derives them, with the notebooks' variable names, one
formula per line. A function an answer calls (a step inside a loop) is ``rnn_ref``'s.
"""

import numpy as np

from rnn_ref.numpy import (gru_step_forward, lstm_step_backward, lstm_step_forward, rnn_forward,
                           rnn_step_backward, rnn_step_forward)

__all__ = []


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# -- chapter 1 -------------------------------------------------------------------------------

def mlp_forward(x, W1, b1, W2, b2):
    hidden = np.tanh(x @ W1 + b1)
    return hidden @ W2 + b2


def sliding_windows(x, k):
    k = int(k)
    N, T, D = x.shape
    windows = np.empty((N, T - k + 1, k * D))
    for t in range(T - k + 1):
        windows[:, t] = x[:, t:t + k].reshape(N, k * D)
    return windows


def window_mlp_forward(x, k, W1, b1, W2, b2):
    windows = sliding_windows(x, k)
    N, n_windows, width = windows.shape
    y = mlp_forward(windows.reshape(N * n_windows, width), W1, b1, W2, b2)
    return y.reshape(N, n_windows, -1)


# -- chapter 2 -------------------------------------------------------------------------------

def f_rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)


def f_rnn_forward(x, h0, W_xh, W_hh, b_h):
    N, T, D = x.shape
    h = np.empty((N, T, W_hh.shape[0]))
    h_t = h0
    for t in range(T):
        h_t = rnn_step_forward(x[:, t], h_t, W_xh, W_hh, b_h)
        h[:, t] = h_t
    return h


def output_layer(h, W_hy, b_y):
    return h @ W_hy + b_y


# -- chapter 3 -------------------------------------------------------------------------------

def f_rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
    da = dh_next * (1 - h_next ** 2)
    dx_t = da @ W_xh.T
    dh_prev = da @ W_hh.T
    dW_xh = x_t.T @ da
    dW_hh = h_prev.T @ da
    db_h = da.sum(axis=0)
    return dx_t, dh_prev, dW_xh, dW_hh, db_h


def f_rnn_backward(dh, x, h0, h, W_xh, W_hh):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else h[:, t - 1]
        dx[:, t], dh_next, dW_xh_t, dW_hh_t, db_h_t = rnn_step_backward(
            dh[:, t] + dh_next, x[:, t], h_prev, h[:, t], W_xh, W_hh)
        dW_xh += dW_xh_t
        dW_hh += dW_hh_t
        db_h += db_h_t
    return dx, dh_next, dW_xh, dW_hh, db_h


def softmax_cross_entropy(scores, targets, mask):
    N, T, V = scores.shape
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    rows, steps = np.arange(N)[:, None], np.arange(T)
    count = mask.sum()
    loss = -(log_p[rows, steps, targets] * mask).sum() / count
    dscores = np.exp(log_p)
    dscores[rows, steps, targets] -= 1
    dscores = dscores * mask[..., None] / count
    return loss, dscores


# -- chapter 4 -------------------------------------------------------------------------------

def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    dh_steps = np.empty((N, T, H))
    g = dh_last
    for t in range(T - 1, -1, -1):
        dh_steps[:, t] = g
        g = (g * (1 - h[:, t] ** 2)) @ W_hh.T
    return dh_steps


def spectral_scale(W, rho):
    radius = np.abs(np.linalg.eigvals(W)).max()
    return W * (rho / radius)


def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    total = np.sqrt(np.sum(dW_xh ** 2) + np.sum(dW_hh ** 2) + np.sum(db_h ** 2))
    factor = max_norm / (total + 1e-6) if total > max_norm else 1.0
    return dW_xh * factor, dW_hh * factor, db_h * factor


# -- chapter 5 -------------------------------------------------------------------------------

def f_lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1 / (1 + np.exp(-a[:, 3 * H:]))
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    return h_next, c_next


def lstm_forward(x, h0, c0, W_x, W_h, b):
    N, T, D = x.shape
    h = np.empty((N, T, h0.shape[1]))
    c = np.empty((N, T, h0.shape[1]))
    h_t, c_t = h0, c0
    for t in range(T):
        h_t, c_t = lstm_step_forward(x[:, t], h_t, c_t, W_x, W_h, b)
        h[:, t] = h_t
        c[:, t] = c_t
    return h, c


def f_lstm_step_backward(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x + h_prev @ W_h + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1 / (1 + np.exp(-a[:, 3 * H:]))
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dh_next * o * (1 - tanh_c ** 2) + dc_next
    da_i = dc * g * i * (1 - i)
    da_f = dc * c_prev * f * (1 - f)
    da_g = dc * i * (1 - g ** 2)
    da_o = dh_next * tanh_c * o * (1 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_backward(dh, x, h0, c0, h, c, W_x, W_h, b):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dW_x = np.zeros_like(W_x)
    dW_h = np.zeros_like(W_h)
    db = np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0)
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else h[:, t - 1]
        c_prev = c0 if t == 0 else c[:, t - 1]
        dx[:, t], dh_next, dc_next, dW_x_t, dW_h_t, db_t = lstm_step_backward(
            dh[:, t] + dh_next, dc_next, x[:, t], h_prev, c_prev, W_x, W_h, b)
        dW_x += dW_x_t
        dW_h += dW_h_t
        db += db_t
    return dx, dh_next, dc_next, dW_x, dW_h, db


# -- chapter 6 -------------------------------------------------------------------------------

def f_gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x
    ah = h_prev @ W_h + b_h
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * n + z * h_prev


def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    N, T, D = x.shape
    h = np.empty((N, T, h0.shape[1]))
    h_t = h0
    for t in range(T):
        h_t = gru_step_forward(x[:, t], h_t, W_x, W_h, b_x, b_h)
        h[:, t] = h_t
    return h


def gru_step_backward(dh_next, x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax = x_t @ W_x + b_x
    ah = h_prev @ W_h + b_h
    r = sigmoid(ax[:, :H] + ah[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    da_n = dh_next * (1 - z) * (1 - n ** 2)
    da_z = dh_next * (h_prev - n) * z * (1 - z)
    da_r = da_n * ah[:, 2 * H:] * r * (1 - r)
    d_ax = np.concatenate([da_r, da_z, da_n], axis=1)
    d_ah = np.concatenate([da_r, da_z, da_n * r], axis=1)
    dh_prev = dh_next * z + d_ah @ W_h.T
    return d_ax @ W_x.T, dh_prev, x_t.T @ d_ax, h_prev.T @ d_ah, d_ax.sum(axis=0), d_ah.sum(axis=0)


# -- chapter 7 -------------------------------------------------------------------------------

def many_to_one(x, lengths, h0, W_xh, W_hh, b_h, W_hy, b_y):
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    rows = np.arange(x.shape[0])
    h_last = h[rows, lengths - 1]
    return h_last @ W_hy + b_y


def one_to_many(x0, h0, W_xh, W_hh, b_h, W_hy, b_y, steps):
    h, x_t, ys = h0, x0, []
    for t in range(int(steps)):
        h = np.tanh(x_t @ W_xh + h @ W_hh + b_h)
        y_t = h @ W_hy + b_y
        ys.append(y_t)
        x_t = y_t
    return np.stack(ys, axis=1)


def encoder_decoder(src, tgt_in, h0, W_xh_e, W_hh_e, b_e, W_xh_d, W_hh_d, b_d, W_hy, b_y):
    h_enc = rnn_forward(src, h0, W_xh_e, W_hh_e, b_e)
    context = h_enc[:, -1]
    h_dec = rnn_forward(tgt_in, context, W_xh_d, W_hh_d, b_d)
    return h_dec @ W_hy + b_y


# -- chapter 9 -------------------------------------------------------------------------------

def causal_self_attention(x, W_q, W_k, W_v):
    Q, K, V = x @ W_q, x @ W_k, x @ W_v
    T, d_k = x.shape[1], W_q.shape[1]
    scores = Q @ np.swapaxes(K, 1, 2) / np.sqrt(d_k)
    allowed = np.tril(np.ones((T, T), dtype=bool))
    scores = np.where(allowed, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    A = e / e.sum(axis=-1, keepdims=True)
    return A @ V


def rnn_vs_attention_cost(T, D, H):
    T, D, H = float(T), float(D), float(H)
    rnn = T * (D * H + H * H)
    attention = 3 * T * D * H + 2 * T * T * H
    return np.array([[rnn, T], [attention, 1.0]])


# -- chapter 8 -------------------------------------------------------------------------------

def tbptt_batches(data, N, T):
    N, T = int(N), int(T)
    S = (len(data) - 1) // N
    K = S // T
    x = data[:N * S].reshape(N, S)[:, :K * T]
    y = data[1:N * S + 1].reshape(N, S)[:, :K * T]
    return x.reshape(N, K, T).transpose(1, 0, 2), y.reshape(N, K, T).transpose(1, 0, 2)


def sample_with_temperature(logits, temperature, u):
    z = logits / float(temperature)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p = p / p.sum(axis=1, keepdims=True)
    cdf = np.cumsum(p, axis=1)
    idx = (cdf <= u[:, None]).sum(axis=1)
    return np.minimum(idx, logits.shape[1] - 1)


def clipped_adam_step(theta, grad, m, v, t, lr, max_norm, beta1=0.9, beta2=0.999, eps=1e-8):
    t = int(t)
    norm = np.sqrt(np.sum(grad ** 2))
    g = grad * min(1.0, float(max_norm) / (norm + 1e-6))
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g ** 2
    m_hat = m_new / (1 - beta1 ** t)
    v_hat = v_new / (1 - beta2 ** t)
    theta_new = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta_new, m_new, v_new


def beam_search_step(log_probs, beam_scores, k):
    V = log_probs.shape[1]
    cand = (beam_scores[:, None] + log_probs).reshape(-1)
    order = np.argsort(-cand, kind="stable")[:int(k)]
    return cand[order], order // V, order % V
