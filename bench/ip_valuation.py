"""Relief-from-royalty valuation: techfin vs numpy-financial on the same inputs.

For N generated forecasts (5–15 years of revenue, royalty 1–8 %, tax 15 or 25 %, discount
8–20 %, end-year timing) this computes the value with
- techfin `relief_from_royalty` (Decimal, with year-by-year working and the 3 × 3
  sensitivity table: 10 valuations in one call);
- numpy-financial `npv` on float after-tax royalties (value only);
and prints median µs per valuation, the ratio, and the largest difference after rounding
both to 0.01.

    .venv/bin/python bench/ip_valuation.py [--n 5000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf

from techfin.ip.valuation import relief_from_royalty


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(2026)
    cases = []
    for _ in range(args.n):
        years = rng.randint(5, 15)
        revenues = [Decimal(rng.randint(1_000_000, 200_000_000)) for _ in range(years)]
        royalty = Decimal(rng.randint(10, 80)) / 1000
        tax = Decimal(rng.choice(["0.15", "0.25"]))
        disc = Decimal(rng.randint(80, 200)) / 1000
        cases.append((revenues, royalty, tax, disc))

    def techfin() -> list[Decimal]:
        return [
            relief_from_royalty(revenues=r, royalty_rate=k, tax_rate=t, discount_rate=d).value
            for r, k, t, d in cases
        ]

    def numpy_financial() -> list[float]:
        out = []
        for r, k, t, d in cases:
            flows = [0.0] + [float(x) * float(k) * (1 - float(t)) for x in r]
            out.append(float(npf.npv(float(d), flows)))
        return out

    def timed(fn) -> tuple[float, list]:  # type: ignore[no-untyped-def,type-arg]
        times, result = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times), result

    t_tf, v_tf = timed(techfin)
    t_np, v_np = timed(numpy_financial)
    diffs = [
        abs(a - Decimal(repr(b)).quantize(Decimal("0.01"), ROUND_HALF_UP))
        for a, b in zip(v_tf, v_np, strict=True)
    ]
    with open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "?")
    print(
        f"machine: nproc={os.cpu_count()} cpu={cpu}; {args.n:,} valuations, median of {args.repeat}"
    )
    print(f"{'implementation':<58}{'µs / valuation':>16}{'ratio':>8}")
    per_np = t_np / args.n * 1e6
    per_tf = t_tf / args.n * 1e6
    print(f"{'numpy-financial npv (float, value only)':<58}{per_np:>16.1f}{1:>7.1f}x")
    print(
        f"{'techfin relief_from_royalty (Decimal, working + 3x3 grid)':<58}{per_tf:>16.1f}"
        f"{per_tf / per_np:>7.1f}x"
    )
    print(
        f"largest difference at 0.01: {max(diffs)} yuan; cases differing: "
        f"{sum(1 for d in diffs if d)} of {args.n:,}"
    )


if __name__ == "__main__":
    main()
