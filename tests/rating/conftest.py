"""Small synthetic credit data for the rating tests (deterministic)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest


def make_frame(n: int = 3000, seed: int = 7) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    rd = rng.gamma(2.0, 0.04, n)  # R&D intensity: more is safer
    debt = rng.uniform(0.05, 0.95, n)  # debt ratio: more is riskier
    age = rng.integers(1, 30, n).astype(float)  # U-shaped risk
    sector = rng.choice(["C", "I", "M", "F", "K"], n, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    logit = (
        -2.0
        - 8.0 * (rd - 0.08)
        + 3.0 * (debt - 0.5)
        + 0.01 * (age - 15) ** 2
        + np.select([sector == "F", sector == "I"], [0.8, -0.5], 0.0)
    )
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    debt_m = debt.copy()
    debt_m[rng.uniform(size=n) < 0.05] = np.nan
    frame = pl.DataFrame(
        {
            "rd_intensity": rd,
            "debt_ratio": debt_m,
            "age": age,
            "sector": sector,
            "noise": rng.normal(size=n),
        }
    )
    return frame, y


@pytest.fixture(name="make_frame")
def _make_frame_fixture():
    return make_frame
