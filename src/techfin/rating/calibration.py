"""Calibration of model PDs to a master scale, for portfolios with few defaults.

* **Master scale**: grades with PD ranges, versioned data (``data/master_scale_v1.yaml``).
* **Central-tendency anchoring**: the model's log-odds are shifted by one constant so that the
  portfolio's mean PD equals the long-run default rate (the central tendency) the bank
  supplies — a sample's default rate is rarely the through-the-cycle rate. The ranking (AUC)
  is unchanged.
* **Conservative bounds for low-default grades**: a grade with fewer than
  ``low_default_threshold`` observed defaults gets, as its PD, the larger of its anchored mean
  PD and an upper confidence bound:

  - ``pluto_tasche`` (Pluto & Tasche 2005, most prudent estimation): for grade k, the
    one-sided Clopper–Pearson bound from all obligors in grades k … worst and their defaults
    (the grades are assumed correctly ranked, so the PD of grade k is at most that of the
    pooled worse grades);
  - ``binomial``: the Clopper–Pearson bound of the grade alone.

  The result is capped at the grade's upper PD limit (method ``range_ceiling``: the data
  cannot show the grade is better than its ceiling, and a grade's PD must stay in its range),
  and grade PDs are made non-decreasing from best to worst grade.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml
from scipy import optimize, stats


@dataclass(frozen=True)
class MasterScale:
    id: str
    version: str
    grades: tuple[str, ...]
    pd_upper: tuple[float, ...]
    pd_floor: float = 0.0
    source: str = ""

    def grade_index(self, pd: np.ndarray) -> np.ndarray:
        """Index of the grade whose (lower, upper] PD range holds each PD."""
        idx = np.searchsorted(np.asarray(self.pd_upper), pd, side="left")
        return np.asarray(np.minimum(idx, len(self.grades) - 1))

    def grade_of(self, pd: np.ndarray) -> np.ndarray:
        grades: np.ndarray = np.asarray(self.grades, dtype=object)[self.grade_index(pd)]
        return grades

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "grades": list(self.grades),
            "pd_upper": list(self.pd_upper),
            "pd_floor": self.pd_floor,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MasterScale:
        return cls(
            id=str(d["id"]),
            version=str(d["version"]),
            grades=tuple(str(g) for g in d["grades"]),
            pd_upper=tuple(float(v) for v in d["pd_upper"]),
            pd_floor=float(d.get("pd_floor", 0.0)),
            source=str(d.get("source", "")),
        )


def load_master_scale(name: str = "master_scale_v1.yaml") -> MasterScale:
    """The packaged master scale (or another file in ``techfin/rating/data``)."""
    text = resources.files("techfin.rating").joinpath("data", name).read_text("utf-8")
    raw = yaml.safe_load(text)
    uppers = [float(g["pd_upper"]) for g in raw["grades"]]
    if any(b <= a for a, b in itertools.pairwise(uppers)) or uppers[-1] < 1.0:
        raise ValueError(f"{name}: PD upper bounds must increase and end at 1")
    return MasterScale(
        id=str(raw["id"]),
        version=str(raw["version"]),
        grades=tuple(str(g["grade"]) for g in raw["grades"]),
        pd_upper=tuple(uppers),
        pd_floor=float(raw.get("pd_floor", 0.0)),
        source=str(raw.get("source", "")),
    )


def anchor_shift(logit: np.ndarray, central_tendency: float) -> float:
    """Constant to add to every log-odds so that the mean PD equals ``central_tendency``."""
    if not 0.0 < central_tendency < 1.0:
        raise ValueError("central tendency must be a default rate strictly between 0 and 1")

    def gap(d: float) -> float:
        return float(np.mean(1.0 / (1.0 + np.exp(-(logit + d))))) - central_tendency

    return float(optimize.brentq(gap, -50.0, 50.0, xtol=1e-12))


def binomial_upper(n: int, d: int, confidence: float = 0.9) -> float:
    """One-sided Clopper–Pearson upper bound of a default rate: d defaults among n."""
    if n <= 0:
        return 1.0
    if d >= n:
        return 1.0
    return float(stats.beta.ppf(confidence, d + 1, n - d))


def pluto_tasche(
    counts: Sequence[int], defaults: Sequence[int], confidence: float = 0.9
) -> list[float]:
    """Most-prudent PD upper bounds per grade (grades ordered best first)."""
    n = np.asarray(counts, dtype=np.int64)
    d = np.asarray(defaults, dtype=np.int64)
    n_tail = np.cumsum(n[::-1])[::-1]
    d_tail = np.cumsum(d[::-1])[::-1]
    return [binomial_upper(int(a), int(b), confidence) for a, b in zip(n_tail, d_tail, strict=True)]


@dataclass(frozen=True)
class GradeCalibration:
    grade: str
    pd_lower: float
    pd_upper: float
    n: int
    defaults: int
    observed_dr: float
    mean_pd: float
    upper_bound: float | None
    pd: float
    method: str


def calibrate_grades(
    pd: np.ndarray,
    y: np.ndarray,
    scale: MasterScale,
    *,
    low_default_threshold: int = 20,
    confidence: float = 0.9,
    upper_bound: str = "pluto_tasche",
) -> list[GradeCalibration]:
    """Per-grade table: counts, defaults, observed rate, anchored mean PD, conservative bound
    for low-default grades, and the PD assigned to the grade."""
    gi = scale.grade_index(pd)
    k = len(scale.grades)
    n = np.bincount(gi, minlength=k)
    dflt = np.bincount(gi, weights=y, minlength=k).round().astype(np.int64)
    sum_pd = np.bincount(gi, weights=pd, minlength=k)
    if upper_bound == "pluto_tasche":
        bounds = pluto_tasche(n.tolist(), dflt.tolist(), confidence)
    elif upper_bound == "binomial":
        bounds = [binomial_upper(int(a), int(b), confidence) for a, b in zip(n, dflt, strict=True)]
    else:
        raise ValueError("upper_bound must be 'pluto_tasche' or 'binomial'")
    lowers = [0.0, *scale.pd_upper[:-1]]
    rows: list[GradeCalibration] = []
    running = scale.pd_floor
    for g in range(k):
        mid = (
            float(sum_pd[g] / n[g])
            if n[g]
            else float(np.sqrt(max(lowers[g], 1e-6) * scale.pd_upper[g]))
        )
        low_default = int(dflt[g]) < low_default_threshold
        assigned = max(mid, bounds[g]) if low_default and n[g] else mid
        method = "upper_bound" if low_default and n[g] and bounds[g] > mid else "mean_pd"
        if assigned > scale.pd_upper[g]:
            # a grade's PD stays inside its range: the bound says "at least the ceiling"
            assigned = scale.pd_upper[g]
            method = "range_ceiling"
        if not n[g]:
            method = "range_midpoint"
        assigned = max(assigned, running, scale.pd_floor)
        running = assigned
        rows.append(
            GradeCalibration(
                grade=scale.grades[g],
                pd_lower=lowers[g],
                pd_upper=scale.pd_upper[g],
                n=int(n[g]),
                defaults=int(dflt[g]),
                observed_dr=float(dflt[g] / n[g]) if n[g] else float("nan"),
                mean_pd=mid,
                upper_bound=bounds[g] if low_default and n[g] else None,
                pd=min(assigned, 1.0),
                method=method,
            )
        )
    return rows
