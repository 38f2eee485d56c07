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
    block = idx[rows]
    out = np.empty((block.shape[0], len(tables) + 1), dtype=np.float64)
    out[:, 0] = 1.0
    for k, t in enumerate(tables):
        out[:, k + 1] = t[block[:, k]]
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
    tol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Return (beta incl. intercept first, covariance of beta, log-likelihood)."""
    n = idx.shape[0]
    p = len(tables) + 1
    beta = np.zeros(p)
    ybar = float(y.mean())
    beta[0] = np.log(ybar / (1 - ybar))
    pen = np.full(p, float(l2))
    pen[0] = 0.0
    loglik = -np.inf
    H = np.eye(p)
    # expand the design once when it fits in _MAX_DESIGN_BYTES, else chunk by chunk per step
    whole = _design(idx, tables, slice(0, n)) if n * p * 8 <= _MAX_DESIGN_BYTES else None
    chunk = n if whole is not None else _CHUNK
    for _ in range(max_iter):
        grad = np.zeros(p)
        H = np.zeros((p, p))
        loglik = 0.0
        for start in range(0, max(n, 1), max(chunk, 1)):
            rows = slice(start, min(n, start + chunk))
            Xc = whole if whole is not None else _design(idx, tables, rows)
            eta = Xc @ beta
            mu = 1.0 / (1.0 + np.exp(-eta))
            yc = y[rows]
            grad += Xc.T @ (mu - yc)
            Xw = Xc * np.sqrt(mu * (1.0 - mu))[:, None]
            H += Xw.T @ Xw  # recognised as a symmetric rank-k update
            loglik += float(np.sum(yc * eta - np.logaddexp(0.0, eta)))
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
