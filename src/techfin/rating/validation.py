"""Validation statistics for a rating model.

* discrimination: AUC (Mann–Whitney, ties counted half), Gini = 2·AUC − 1, KS (largest gap
  between the cumulative score distributions of bads and goods);
* stability: PSI = Σ (a − e) · ln(a / e) over score bands, and the same per feature over its
  bins (CSI); rule of thumb < 0.1 stable, 0.1–0.25 watch, > 0.25 shifted;
* calibration: per grade a one-sided binomial test of the observed defaults against the
  grade's PD (p-value = P(X ≥ d | n, PD)), and the Hosmer–Lemeshow statistic over the grades
  (χ² with g − 2 degrees of freedom).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

EPS = 1e-6


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Probability that a random bad has a higher ``score`` (risk) than a random good."""
    y = np.asarray(y, dtype=np.float64)
    ranks = stats.rankdata(score)
    n1 = float(y.sum())
    n0 = float(len(y) - n1)
    if n1 == 0 or n0 == 0:
        raise ValueError("AUC needs both goods and bads")
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def gini(y: np.ndarray, score: np.ndarray) -> float:
    return 2.0 * auc(y, score) - 1.0


def ks(y: np.ndarray, score: np.ndarray) -> float:
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score)[order]
    yy = np.asarray(y, dtype=np.float64)[order]
    cb = np.cumsum(yy) / max(yy.sum(), 1)
    cg = np.cumsum(1 - yy) / max((1 - yy).sum(), 1)
    last = np.r_[s[1:] != s[:-1], True]  # evaluate only at the end of tied runs
    return float(np.max(np.abs(cb - cg)[last]))


def roc_points(y: np.ndarray, score: np.ndarray, n_points: int = 101) -> tuple[np.ndarray, ...]:
    order = np.argsort(-np.asarray(score), kind="mergesort")
    yy = np.asarray(y, dtype=np.float64)[order]
    tpr = np.r_[0.0, np.cumsum(yy) / max(yy.sum(), 1)]
    fpr = np.r_[0.0, np.cumsum(1 - yy) / max((1 - yy).sum(), 1)]
    pick = np.unique(np.linspace(0, len(tpr) - 1, n_points).astype(int))
    return fpr[pick], tpr[pick]


def psi(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray) -> float:
    """Population stability index between two distributions given as counts or shares."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    e = np.maximum(e / max(e.sum(), EPS), EPS)
    a = np.maximum(a / max(a.sum(), EPS), EPS)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class GradeTest:
    grade: str
    n: int
    defaults: int
    pd: float
    observed_dr: float
    p_value: float
    verdict: str


def binomial_tests(
    grades: Sequence[str],
    pds: Sequence[float],
    grade_of_row: np.ndarray,
    y: np.ndarray,
    alpha: float = 0.05,
) -> list[GradeTest]:
    out: list[GradeTest] = []
    for g, pd in zip(grades, pds, strict=True):
        mask = grade_of_row == g
        n = int(mask.sum())
        d = int(np.asarray(y)[mask].sum())
        p = float(stats.binom.sf(d - 1, n, pd)) if n else float("nan")
        verdict = "n/a" if not n else ("PD too low" if p < alpha else "ok")
        out.append(GradeTest(g, n, d, float(pd), d / n if n else float("nan"), p, verdict))
    return out


def hosmer_lemeshow(
    n: Sequence[int], defaults: Sequence[int], pds: Sequence[float]
) -> tuple[float, int, float]:
    """(statistic, degrees of freedom, p-value) over the non-empty groups."""
    nn = np.asarray(n, dtype=np.float64)
    dd = np.asarray(defaults, dtype=np.float64)
    pp = np.clip(np.asarray(pds, dtype=np.float64), EPS, 1 - EPS)
    keep = nn > 0
    nn, dd, pp = nn[keep], dd[keep], pp[keep]
    stat = float(np.sum((dd - nn * pp) ** 2 / (nn * pp * (1 - pp))))
    df = max(int(keep.sum()) - 2, 1)
    return stat, df, float(stats.chi2.sf(stat, df))
