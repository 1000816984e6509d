"""Seeded mistakes for chapter 4, written the way students write them.

Each entry is (expected mistake name or None for "wrong, no name", source); the name is a
catalogued mistake's or, for a mistake no catalogue lists, the one the generic diagnosis
(autograder/diagnosis.py) gives.
They are deliberately written independently of the catalogue in
autograder/checks/ch04.py (other loop shapes, other spellings, np.dot, einsum, lists),
so that matching them measures the diagnosis rather than restating it.
"""

BACKPROP = [
    ("tanh' written as 1 - h", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    out = np.zeros_like(h)
    out[:, T - 1] = dh_last
    for t in range(T - 1, 0, -1):
        out[:, t - 1] = np.dot(out[:, t] * (1 - h[:, t]), W_hh.T)
    return out
'''),
    ("tanh' taken at h[:, t-1]", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    out = np.zeros((N, T, H))
    out[:, -1] = dh_last
    for t in reversed(range(1, T)):
        local = 1 - h[:, t - 1] ** 2
        out[:, t - 1] = (out[:, t] * local) @ W_hh.T
    return out
'''),
    ("tanh' applied after the product", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    T = h.shape[1]
    grads = [dh_last]
    for t in range(T - 1, 0, -1):
        g = grads[-1] @ W_hh.T
        g = g * (1 - h[:, t - 1] * h[:, t - 1])
        grads.append(g)
    return np.stack(grads[::-1], axis=1)
'''),
    ("W_hh not transposed", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    dh_steps = np.empty((N, T, H))
    g = dh_last.copy()
    for t in range(T - 1, -1, -1):
        dh_steps[:, t] = g
        g = np.einsum("nh,hk->nk", g * (1 - h[:, t] ** 2), W_hh)
    return dh_steps
'''),
    ("tanh' missing", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    dh_steps = np.zeros((N, T, H))
    dh_steps[:, T - 1] = dh_last
    for t in range(T - 2, -1, -1):
        dh_steps[:, t] = dh_steps[:, t + 1] @ W_hh.T
    return dh_steps
'''),
    ("tanh applied to the states again", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    dh_steps = np.zeros((N, T, H))
    dh_steps[:, T - 1] = dh_last
    for t in range(T - 1, 0, -1):
        dtanh = 1 - np.tanh(h[:, t]) ** 2
        dh_steps[:, t - 1] = (dh_steps[:, t] * dtanh) @ W_hh.T
    return dh_steps
'''),
    ("off by one: the last step is not dh_last", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    dh_steps = np.zeros((N, T, H))
    g = dh_last
    for t in range(T - 1, -1, -1):
        g = (g * (1 - h[:, t] ** 2)) @ W_hh.T
        dh_steps[:, t] = g
    return dh_steps
'''),
    ("pre-activation gradient stored", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    da = np.zeros((N, T, H))
    g = dh_last
    for t in range(T - 1, -1, -1):
        da[:, t] = g * (1 - h[:, t] ** 2)
        g = da[:, t] @ W_hh.T
    return da
'''),
    ("upstream gradient added at every step", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    dh_steps = np.zeros((N, T, H))
    carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        g = dh_last + carry
        dh_steps[:, t] = g
        carry = (g * (1 - h[:, t] ** 2)) @ W_hh.T
    return dh_steps
'''),
    ("time axis reversed", '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    N, T, H = h.shape
    out = []
    g = dh_last
    for t in range(T - 1, -1, -1):
        out.append(g)
        g = (g * (1 - h[:, t] ** 2)) @ W_hh.T
    return np.stack(out, axis=1)
'''),
    (None, '''
import numpy as np
def backprop_to_each_step(dh_last, h, W_hh):
    # only fills the last step
    out = np.zeros_like(h)
    out[:, -1] = dh_last
    return out
'''),
]

SPECTRAL = [
    ("largest singular value instead of spectral radius", '''
import numpy as np
def spectral_scale(W, rho):
    s = np.linalg.svd(W, compute_uv=False)
    return W * rho / s[0]
'''),
    ("squared singular value (eigenvalues of W.T @ W)", '''
import numpy as np
def spectral_scale(W, rho):
    lam = np.linalg.eigvals(W.T @ W)
    return rho * W / np.max(np.abs(lam))
'''),
    ("Frobenius norm instead of spectral radius", '''
import numpy as np
def spectral_scale(W, rho):
    return rho * W / np.sqrt((W ** 2).sum())
'''),
    ("eigvalsh on a non-symmetric matrix", '''
import numpy as np
def spectral_scale(W, rho):
    eigs = np.linalg.eigvalsh(W)
    radius = max(abs(e) for e in eigs)
    return W * (float(rho) / radius)
'''),
    ("max taken before abs", '''
import numpy as np
def spectral_scale(W, rho):
    lam_max = np.linalg.eigvals(W).max()
    return W * float(rho) / abs(lam_max)
'''),
    ("largest real part instead of largest modulus", '''
import numpy as np
def spectral_scale(W, rho):
    radius = np.max(np.real(np.linalg.eig(W)[0]))
    return W / radius * rho
'''),
    ("real parts only", '''
import numpy as np
def spectral_scale(W, rho):
    ev = np.linalg.eigvals(W).real
    return W * rho / np.abs(ev).max()
'''),
    ("target radius ignored", '''
import numpy as np
def spectral_scale(W, rho):
    return W / np.max(np.abs(np.linalg.eigvals(W)))
'''),
    ("multiplied by rho without normalising", '''
import numpy as np
def spectral_scale(W, rho):
    return rho * W
'''),
    ("divided by rho", '''
import numpy as np
def spectral_scale(W, rho):
    r = np.abs(np.linalg.eigvals(W)).max()
    return W / r / rho
'''),
    ("mean |eigenvalue| instead of the largest", '''
import numpy as np
def spectral_scale(W, rho):
    return W * rho / np.mean(np.abs(np.linalg.eigvals(W)))
'''),
    ('W_scaled off by a constant factor', '''
import numpy as np
def spectral_scale(W, rho):
    # scales to rho squared
    r = np.abs(np.linalg.eigvals(W)).max()
    return W * rho ** 2 / r
'''),
]

CLIP = [
    ("clipped by value instead of by norm", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    out = []
    for g in (dW_xh, dW_hh, db_h):
        out.append(np.minimum(np.maximum(g, -max_norm), max_norm))
    return tuple(out)
'''),
    ("a separate norm for each array", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    result = []
    for g in [dW_xh, dW_hh, db_h]:
        n = np.linalg.norm(g)
        if n > max_norm:
            g = g * max_norm / (n + 1e-6)
        result.append(g)
    return result[0], result[1], result[2]
'''),
    ("always rescaled to max_norm", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    total = np.sqrt(np.sum(dW_xh ** 2) + np.sum(dW_hh ** 2) + np.sum(db_h ** 2))
    scale = max_norm / (total + 1e-6)
    return dW_xh * scale, dW_hh * scale, db_h * scale
'''),
    ("norm not square-rooted", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    total = (dW_xh ** 2).sum() + (dW_hh ** 2).sum() + (db_h ** 2).sum()
    if total > max_norm:
        c = max_norm / (total + 1e-6)
        return dW_xh * c, dW_hh * c, db_h * c
    return dW_xh, dW_hh, db_h
'''),
    ("total norm as the sum of the arrays' norms", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    total = np.linalg.norm(dW_xh) + np.linalg.norm(dW_hh) + np.linalg.norm(db_h)
    c = min(1.0, max_norm / (total + 1e-6))
    return dW_xh * c, dW_hh * c, db_h * c
'''),
    ("max_norm factor missing", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    flat = np.concatenate([dW_xh.ravel(), dW_hh.ravel(), db_h.ravel()])
    total = np.linalg.norm(flat)
    if total > max_norm:
        return dW_xh / total, dW_hh / total, db_h / total
    return dW_xh.copy(), dW_hh.copy(), db_h.copy()
'''),
    ("only dW_hh clipped", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    n = np.linalg.norm(dW_hh)
    if n > max_norm:
        dW_hh = dW_hh * (max_norm / n)
    return dW_xh, dW_hh, db_h
'''),
    ("gradients returned unchanged", '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    total = np.sqrt(sum(np.sum(g * g) for g in (dW_xh, dW_hh, db_h)))
    factor = max_norm / (total + 1e-6)
    if factor > 1:
        return dW_xh * factor, dW_hh * factor, db_h * factor   # meant to be the other branch
    return dW_xh, dW_hh, db_h
'''),
    (None, '''
import numpy as np
def clip_grad_norm(dW_xh, dW_hh, db_h, max_norm):
    # returns the outputs in the wrong order
    total = np.sqrt(np.sum(dW_xh ** 2) + np.sum(dW_hh ** 2) + np.sum(db_h ** 2))
    c = min(1.0, max_norm / (total + 1e-6))
    return dW_hh * c, dW_xh * c, db_h * c
'''),
]

SEEDED = {"ch04.backprop_to_each_step": BACKPROP, "ch04.spectral_scale": SPECTRAL, "ch04.clip_grad_norm": CLIP}
