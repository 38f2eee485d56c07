"""Benchmark: techfin's schedule engine and portfolio kernel against a numpy-financial reference.

Run: .venv/bin/python bench/schedule_build.py [--schedules 100000] [--loans 1000000]

1. 100,000 schedules (annuity / equal principal / interest-only / bullet, 12–60 monthly
   periods, per-period basis so that numpy-financial can compute the same thing) built by
   ``techfin.credit.schedule.build`` (Decimal, exact, rounded per row) and by a plain
   reference on numpy-financial (``npf.pmt`` / ``npf.ipmt`` / ``npf.ppmt`` per schedule, float,
   rounded to the cent at the end). Timed in chunks of 10,000; medians and ratios printed,
   and how often the two agree to the cent.
2. The int64 portfolio kernel (``techfin.batch.schedule``) over 1,000,000 loans of the
   declared subset (mixed methods and bases), timed three times (median), and checked against
   the Decimal engine on a sample of 2,000 loans, every row to the fen.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import numpy_financial as npf

from techfin.batch.schedule import cash_flows, portfolio_cash_flows, synthetic_book
from techfin.credit.daycount import InterestBasis
from techfin.credit.schedule import Method, Terms, build

CHUNK = 10_000
METHODS = [Method.ANNUITY, Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY, Method.BULLET]


def make_terms(count: int, seed: int = 42) -> list[Terms]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        principal = Decimal(int(rng.integers(100_000, 50_000_000)))
        rate = Decimal(int(rng.integers(250, 801))) / Decimal(10_000)
        out.append(
            Terms(
                principal=principal,
                annual_rate=rate,
                start=date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 365))),
                installments=int(rng.integers(12, 61)),
                method=METHODS[int(rng.choice(4, p=[0.5, 0.3, 0.1, 0.1]))],
                interest_basis=InterestBasis.PER_PERIOD,
            )
        )
    return out


def reference(t: Terms) -> tuple[np.ndarray, np.ndarray]:
    """(principal, interest) per row in float, rounded to the cent: a plain implementation."""
    p = float(t.principal)
    r = float(t.annual_rate) / 12.0
    n = t.installments
    per = np.arange(1, n + 1)
    if t.method is Method.ANNUITY:
        interest = npf.ipmt(r, per, n, -p)
        principal = npf.ppmt(r, per, n, -p)
    elif t.method is Method.EQUAL_PRINCIPAL:
        principal = np.full(n, p / n)
        balance = p - principal * (per - 1)
        interest = balance * r
    elif t.method is Method.INTEREST_ONLY:
        principal = np.zeros(n)
        principal[-1] = p
        interest = np.full(n, p * r)
    else:  # bullet: one row
        principal = np.array([p])
        interest = np.array([p * r * n])
    return np.round(principal, 2), np.round(interest, 2)


def timed(fn, *args):
    """CPU seconds of this process (robust on a shared machine) and the result."""
    t0 = time.process_time()
    result = fn(*args)
    return time.process_time() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print(f"# schedule benchmark {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"nproc={os.cpu_count()} cpu={cpu} python={platform.python_version()}")
    print(f"load average at start {os.getloadavg()}; times are CPU seconds of this process")
    wall0 = time.perf_counter()

    terms = make_terms(args.schedules)
    rows = sum(1 if t.method is Method.BULLET else t.installments for t in terms)
    print(f"\n## 1. {len(terms):,} schedules, {rows:,} rows (per-period basis, mixed methods)")
    engine_times, ref_times = [], []
    engine_out, ref_out = [], []
    for lo in range(0, len(terms), CHUNK):
        chunk = terms[lo : lo + CHUNK]
        dt, built = timed(lambda c: [build(t) for t in c], chunk)
        engine_times.append(dt)
        engine_out.extend(built)
        dt, refs = timed(lambda c: [reference(t) for t in c], chunk)
        ref_times.append(dt)
        ref_out.extend(refs)
    e_med, r_med = statistics.median(engine_times), statistics.median(ref_times)
    print(f"{'CPU time':32}{'median / 10k':>14}{'total':>10}{'µs/schedule':>13}")
    for name, med, total in (
        ("techfin build (Decimal, exact)", e_med, sum(engine_times)),
        ("numpy-financial reference", r_med, sum(ref_times)),
    ):
        print(f"{name:32}{med:>13.3f}s{total:>9.1f}s{med / CHUNK * 1e6:>13.1f}")
    print(f"ratio techfin / numpy-financial: {e_med / r_med:.2f}")

    same_rows = total_rows = same_sched = 0
    max_gap = Decimal(0)
    for s, (ref_p, ref_i) in zip(engine_out, ref_out, strict=True):
        p = np.array([float(r.principal) for r in s.rows])
        i = np.array([float(r.interest) for r in s.rows])
        ok = np.isclose(p, ref_p, atol=0.001) & np.isclose(i, ref_i, atol=0.001)
        same_rows += int(ok.sum())
        total_rows += len(ok)
        same_sched += int(ok.all())
        gap = Decimal(str(float(np.max(np.abs(p - ref_p)))))
        max_gap = max(max_gap, gap)
        assert sum(r.principal for r in s.rows) == s.terms.principal
    print(
        f"agreement to the cent: {same_rows / total_rows:.2%} of rows, "
        f"{same_sched / len(engine_out):.2%} of schedules; "
        f"largest principal gap {max_gap} (the float reference does not round per row, so its "
        "principal no longer adds up to the loan; techfin's always does)"
    )
    ref_sums = [float(ref_p.sum()) for ref_p, _ in ref_out]
    off = sum(
        1
        for s, total in zip(engine_out, ref_sums, strict=True)
        if abs(total - float(s.terms.principal)) > 0.001
    )
    print(f"reference schedules whose rounded principal does not add up to the loan: {off:,}")

    print(f"\n## 2. portfolio kernel, {args.loans:,} loans (int64 fen, declared subset)")
    book = synthetic_book(args.loans)
    runs = []
    for _ in range(3):
        dt, monthly = timed(portfolio_cash_flows, book)
        runs.append(dt)
    k_med = statistics.median(runs)
    exact_total = int(monthly.principal_fen.sum()) == int(book.principal_fen.sum())
    loan_rows = int(book.installments.sum())
    print(
        f"median {k_med:.2f}s CPU over 3 runs ({loan_rows:,} rows, "
        f"{loan_rows / k_med / 1e6:.1f} M rows/s); months {len(monthly.months)}; "
        f"principal total exact: {exact_total}"
    )
    sample = np.random.default_rng(5).choice(len(book), size=args.sample, replace=False)
    small = book.take(np.sort(sample))
    flows = cash_flows(small)
    mismatched = 0
    t0 = time.process_time()
    for i in range(len(small)):
        s = build(small.terms(i))
        n = len(s.rows)
        ok = (
            flows.principal_fen[i, :n].tolist() == [int(r.principal * 100) for r in s.rows]
            and flows.interest_fen[i, :n].tolist() == [int(r.interest * 100) for r in s.rows]
            and flows.balance_fen[i, :n].tolist() == [int(r.balance * 100) for r in s.rows]
            and [str(d) for d in flows.due[i, :n]] == [r.due_date.isoformat() for r in s.rows]
        )
        mismatched += not ok
    dt_engine = time.process_time() - t0
    per_loan_engine = dt_engine / len(small)
    print(
        f"sample of {len(small):,} loans vs the Decimal engine: {mismatched} mismatched "
        f"(every row to the fen); engine {per_loan_engine * 1e6:.0f} µs/loan → "
        f"{per_loan_engine * args.loans:.0f}s for the book; kernel ratio "
        f"{per_loan_engine * args.loans / k_med:.0f}× faster"
    )
    print(f"\nwall time {time.perf_counter() - wall0:.0f}s; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
