"""Daily accrual: techfin cumulative rounding vs per-day rounding, on the same periods.

Run: .venv/bin/python bench/credit_accrual.py [N]

N interest periods (default 100,000; principal 100,000–50,000,000 yuan, rate 2.5–6 %, ACT/360,
28–92 days). For each period the billed interest is round(P × r × days / 360, 2).
- techfin `accrue_balance`: cumulative rounding, each day = difference of rounded cumulatives;
- per-day rounding (Decimal): each day's interest round(P × r / 360, 2), as systems that post a
  rounded accrual document per day do (e.g. a daily accrual job writing rounded amounts);
- float64 per-day (NumPy): P × r / 360 × days summed in floats, rounded once at the end.
Reports medians of 3 runs, µs per period, and how often / by how much the days' sum misses the
billed interest.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from techfin.credit.accrual import accrue_balance

CENT = Decimal("0.01")
START = dt.date(2026, 1, 20)


def periods(n: int, seed: int = 11) -> list[tuple[Decimal, Decimal, int]]:
    rng = np.random.default_rng(seed)
    principal = rng.integers(100_000, 50_000_000, n)
    rate_bp = rng.integers(250, 600, n)
    days = rng.integers(28, 93, n)
    return [
        (Decimal(int(p)), Decimal(int(r)) / 10000, int(d))
        for p, r, d in zip(principal, rate_bp, days, strict=True)
    ]


def billed(p: Decimal, r: Decimal, d: int) -> Decimal:
    return (p * r * d / 360).quantize(CENT, ROUND_HALF_UP)


def techfin(data: list[tuple[Decimal, Decimal, int]]) -> list[Decimal]:
    return [
        sum(
            (
                a.amount
                for a in accrue_balance(
                    balance=p, annual_rate=r, start=START, end=START + dt.timedelta(days=d)
                )
            ),
            Decimal(0),
        )
        for p, r, d in data
    ]


def per_day(data: list[tuple[Decimal, Decimal, int]]) -> list[Decimal]:
    return [(p * r / 360).quantize(CENT, ROUND_HALF_UP) * d for p, r, d in data]


def float_days(arrays: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    p, r, d = arrays
    return np.round(p * r / 360.0 * d, 2)


def median_time(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = periods(n)
    expected = [billed(p, r, d) for p, r, d in data]
    arrays = (
        np.array([float(p) for p, _, _ in data]),
        np.array([float(r) for _, r, _ in data]),
        np.array([d for _, _, d in data], dtype=np.float64),
    )
    k = min(n, 5_000)  # the day-by-day Decimal path is timed on a sample
    t_tf, tf = median_time(lambda: techfin(data[:k]))
    t_pd, pd = median_time(lambda: per_day(data))
    t_fl, fl = median_time(lambda: float_days(arrays))

    def misses(values: list[Decimal], m: int) -> tuple[int, Decimal]:
        diffs = [abs(v - e) for v, e in zip(values, expected[:m], strict=True)]
        return sum(1 for x in diffs if x), max(diffs)

    rows = [
        ("techfin accrue_balance (cumulative)", t_tf / k, *misses(tf, k), k),
        ("per-day rounding (Decimal)", t_pd / n, *misses(pd, n), n),
        (
            "float64 per-day, rounded at end",
            t_fl / n,
            *misses([Decimal(repr(float(x))).quantize(CENT) for x in fl], n),
            n,
        ),
    ]
    print(f"periods: {n:,}; median of 3 runs")
    print(f"{'path':38} {'µs/period':>10} {'periods off':>14} {'max miss':>9} {'of':>9}")
    for name, sec, off, worst, m in rows:
        print(f"{name:38} {sec * 1e6:10.2f} {off:14,} {worst!s:>9} {m:9,}")


if __name__ == "__main__":
    main()
