"""Feature selection for a scorecard: by information value, by correlation, stepwise.

* IV: drop a feature whose IV is below ``min_iv`` (0.02 is Siddiqi's "unpredictive" line);
  features with a single bin (constant, all missing) are always dropped.
* Correlation: among pairs whose WoE values correlate above ``max_corr`` (absolute
  Pearson), keep the one with the larger IV.
* Stepwise: forward selection with a backward check, by AIC (2k − 2 log L), stopping when no
  addition lowers the AIC; a feature whose coefficient takes the "wrong" sign (a positive
  coefficient on WoE means the feature would rank against its own bins) is not admitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from techfin.rating.logistic import fit_logistic


@dataclass(frozen=True)
class Dropped:
    feature: str
    reason: str


def select_by_iv(
    names: Sequence[str], ivs: Sequence[float], single_bin: Sequence[bool], min_iv: float
) -> tuple[list[int], list[Dropped]]:
    keep: list[int] = []
    dropped: list[Dropped] = []
    for k, (n, iv, sb) in enumerate(zip(names, ivs, single_bin, strict=True)):
        if sb or iv <= 0.0:
            dropped.append(Dropped(n, "single bin: no information"))
        elif iv < min_iv:
            dropped.append(Dropped(n, f"IV {iv:.4f} below {min_iv}"))
        else:
            keep.append(k)
    return keep, dropped


def select_by_correlation(
    names: Sequence[str],
    ivs: Sequence[float],
    idx: np.ndarray,
    tables: Sequence[np.ndarray],
    candidates: Sequence[int],
    max_corr: float,
    sample: int = 200_000,
) -> tuple[list[int], list[Dropped]]:
    if len(candidates) < 2:
        return list(candidates), []
    rows = idx if idx.shape[0] <= sample else idx[:: max(1, idx.shape[0] // sample)]
    W = np.column_stack([tables[k][rows[:, k]] for k in candidates])
    with np.errstate(invalid="ignore", divide="ignore"):
        C = np.corrcoef(W, rowvar=False)
    C = np.nan_to_num(C)
    order = sorted(range(len(candidates)), key=lambda a: -ivs[candidates[a]])
    kept: list[int] = []
    dropped: list[Dropped] = []
    for a in order:
        clash = [b for b in kept if abs(C[a, b]) > max_corr]
        if clash:
            other = names[candidates[clash[0]]]
            dropped.append(
                Dropped(names[candidates[a]], f"|corr| {abs(C[a, clash[0]]):.2f} with {other}")
            )
        else:
            kept.append(a)
    return sorted(candidates[a] for a in kept), dropped


def stepwise(
    names: Sequence[str],
    idx: np.ndarray,
    tables: Sequence[np.ndarray],
    y: np.ndarray,
    candidates: Sequence[int],
    l2: float = 1.0,
) -> tuple[list[int], list[Dropped]]:
    def aic(cols: Sequence[int]) -> tuple[float, np.ndarray]:
        sub = idx[:, list(cols)] if cols else np.zeros((idx.shape[0], 0), np.int16)
        beta, _, ll = fit_logistic(sub, [tables[c] for c in cols], y, l2=l2)
        return 2 * (len(cols) + 1) - 2 * ll, beta

    chosen: list[int] = []
    best, _ = aic(chosen)
    remaining = list(candidates)
    while remaining:
        trials = []
        for c in remaining:
            a, beta = aic([*chosen, c])
            if beta[-1] < 0:  # WoE = ln(good/bad): a sane coefficient is negative
                trials.append((a, c))
        if not trials:
            break
        a, c = min(trials)
        if a >= best - 1e-9:
            break
        chosen.append(c)
        remaining.remove(c)
        best = a
        # backward check: drop a feature whose removal now lowers AIC
        for d in list(chosen[:-1]):
            a2, _ = aic([x for x in chosen if x != d])
            if a2 < best - 1e-9:
                chosen.remove(d)
                best = a2
    dropped = [
        Dropped(names[c], "not chosen by stepwise AIC") for c in candidates if c not in chosen
    ]
    return sorted(chosen), dropped
