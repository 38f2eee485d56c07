"""Logistic regression by Newton's method on a small design matrix held as bin indices.

A scorecard's design matrix is WoE values looked up from a few bins per feature, so it is
kept as an int16 index matrix plus one WoE table per feature and expanded to float64 one
chunk of rows at a time: memory stays at a few bytes per cell, and each Newton step is a
handful of BLAS calls. A ridge penalty ``l2/2 · ‖β‖²`` (not on the intercept) keeps the
fit finite under separation; ``l2 = 1`` is scikit-learn's default ``C = 1``: it steadies a
fit on a thousand rows and is negligible on a million.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_CHUNK = 262_144
_MAX_DESIGN_BYTES = 256 * 2**20


def _design(idx: np.ndarray, tables: Sequence[np.ndarray], rows: slice) -> np.ndarray:
    """float32 design block: intercept column, then each feature's WoE."""
    block = idx[rows]
    out = np.empty((block.shape[0], len(tables) + 1), dtype=np.float32)
    out[:, 0] = 1.0
    for k, t in enumerate(tables):
        out[:, k + 1] = t.astype(np.float32)[block[:, k]]
    return out


def linear_predictor(idx: np.ndarray, tables: Sequence[np.ndarray], beta: np.ndarray) -> np.ndarray:
    """Intercept + Σ coef_k · WoE_k, computed as a sum of per-feature lookups."""
    eta = np.full(idx.shape[0], float(beta[0]))
    for k, t in enumerate(tables):
        eta += (beta[k + 1] * t)[idx[:, k]]
    return eta


def fit_logistic(
    idx: np.ndarray,
    tables: Sequence[np.ndarray],
    y: np.ndarray,
    *,
    l2: float = 1.0,
    max_iter: int = 50,
    tol: float = 1e-7,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Return (beta incl. intercept first, covariance of beta, log-likelihood).

    The gradient is exact in float64 (per-bin sums of residuals with ``np.bincount``, times
    the WoE table), so Newton stops where the true gradient vanishes; only the Hessian, which
    merely steers the steps, is accumulated in float32 BLAS (half the memory and time).
    """
    n = idx.shape[0]
    p = len(tables) + 1
    beta = np.zeros(p)
    ybar = float(y.mean())
    beta[0] = np.log(ybar / (1 - ybar))
    pen = np.full(p, float(l2))
    pen[0] = 0.0
    loglik = -np.inf
    H = np.eye(p)
    sizes = [len(t) for t in tables]
    # expand the design once when it fits in _MAX_DESIGN_BYTES, else chunk by chunk per step
    whole = _design(idx, tables, slice(0, n)) if n * p * 4 <= _MAX_DESIGN_BYTES else None
    chunk = _CHUNK  # the weighted copy of the design is made one chunk at a time
    for _ in range(max_iter):
        eta = linear_predictor(idx, tables, beta)
        mu = 1.0 / (1.0 + np.exp(-eta))
        resid = mu - y
        loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
        grad = np.empty(p)
        grad[0] = resid.sum()
        for k, t in enumerate(tables):
            grad[k + 1] = float(t @ np.bincount(idx[:, k], weights=resid, minlength=sizes[k]))
        sw = np.sqrt(mu * (1.0 - mu)).astype(np.float32)
        H = np.zeros((p, p))
        for start in range(0, n, chunk):
            rows = slice(start, min(n, start + chunk))
            Xc = whole[rows] if whole is not None else _design(idx, tables, rows)
            Xw = Xc * sw[rows, None]
            H += np.dot(Xw.T, Xw).astype(np.float64)  # symmetric rank-k update
        grad += pen * beta
        H[np.diag_indices(p)] += pen
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, grad, rcond=None)[0]
        beta -= step
        if float(np.max(np.abs(step))) < tol:
            break
    try:
        cov = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(H)
    return beta, cov, loglik
