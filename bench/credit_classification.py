"""Day-end classification floors: techfin per loan, techfin vectorised, and a DPD-range table.

Run: .venv/bin/python bench/credit_classification.py [N]

Compares on the same generated portfolio (seeded):
- techfin `classify` (Decimal, reasons, every §7 rule) on a 20,000-loan sample;
- techfin `batch.credit.classify_floors` (NumPy) on all N loans (default 1,000,000);
- a DPD-range table look-up — the approach of frappe/lending's "Loan Classification Range"
  (classification by days-past-due ranges only), re-implemented here as a plain per-loan
  loop and as a NumPy `searchsorted`. It is fast but blind to the non-DPD rules: the run counts
  how many loans it classes better than the 2023 floor.
Prints medians of 3 runs and ratios.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from techfin.batch.credit import CLASS_BY_RANK, classify_floors
from techfin.credit.classification import classify

AS_OF = dt.date(2026, 6, 30)
SAMPLE = 20_000


def portfolio(n: int, seed: int = 7) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    bucket = rng.random(n)
    dpd = np.zeros(n, dtype=np.int64)
    m = (bucket > 0.95) & (bucket <= 0.985)
    dpd[m] = rng.integers(1, 91, m.sum())
    m = (bucket > 0.985) & (bucket <= 0.995)
    dpd[m] = rng.integers(91, 271, m.sum())
    m = bucket > 0.995
    dpd[m] = rng.integers(271, 720, m.sum())
    debt_all = rng.integers(100_000, 100_000_000, n) * 100  # fen
    over90 = np.where(rng.random(n) < 0.01, debt_all * rng.integers(0, 60, n) // 100, 0)
    claims = rng.integers(100_000, 50_000_000, n) * 100
    npl = np.where(rng.random(n) < 0.01, claims * rng.integers(0, 40, n) // 100, 0)
    starts = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    r = rng.random(n) < 0.005
    starts[r] = np.datetime64(AS_OF, "D") - rng.integers(0, 700, r.sum()).astype("timedelta64[D]")
    return {
        "days_past_due": dpd,
        "operational_delay_cause": rng.random(n) < 0.01,
        "unapproved_change_of_use": rng.random(n) < 0.002,
        "new_loan_repays_old": rng.random(n) < 0.01,
        "eligible_renewal": rng.random(n) < 0.8,
        "npl_at_other_bank": rng.random(n) < 0.01,
        "credit_impaired": rng.random(n) < 0.003,
        "corporate_borrower": rng.random(n) < 0.9,
        "debt_all_banks_fen": debt_all,
        "debt_over_90_days_all_banks_fen": over90,
        "claims_at_bank_fen": claims,
        "non_performing_claims_at_bank_fen": npl,
        "restructuring_observation_start": starts,
    }


def sample_facts(p: dict[str, Any], i: int) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "as_of": AS_OF,
        "operational_delay_cause": "recorded cause" if p["operational_delay_cause"][i] else None,
        "corporate_borrower": bool(p["corporate_borrower"][i]),
        "debt_all_banks": Decimal(int(p["debt_all_banks_fen"][i])) / 100,
        "debt_over_90_days_all_banks": Decimal(int(p["debt_over_90_days_all_banks_fen"][i])) / 100,
        "claims_at_bank": Decimal(int(p["claims_at_bank_fen"][i])) / 100,
        "non_performing_claims_at_bank": Decimal(int(p["non_performing_claims_at_bank_fen"][i]))
        / 100,
    }
    for k in (
        "unapproved_change_of_use",
        "new_loan_repays_old",
        "eligible_renewal",
        "npl_at_other_bank",
        "credit_impaired",
    ):
        facts[k] = bool(p[k][i])
    s = p["restructuring_observation_start"][i]
    if not np.isnat(s):
        facts["restructured"] = True
        facts["restructuring_observation_start"] = s.astype(dt.date)
    return facts


# A DPD-range table as a bank would configure it in frappe/lending (from-days, class).
RANGES = [(0, 0), (1, 1), (91, 2), (271, 3), (361, 4)]
RANGE_STARTS = [a for a, _ in RANGES]


def dpd_range_loop(dpd: list[int]) -> list[int]:
    return [RANGES[bisect.bisect_right(RANGE_STARTS, d) - 1][1] for d in dpd]


def dpd_range_numpy(dpd: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array(RANGE_STARTS), dpd, side="right") - 1


def median_time(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    p = portfolio(n)
    k = min(SAMPLE, n)
    facts = [sample_facts(p, i) for i in range(k)]
    dpd_sample = [int(x) for x in p["days_past_due"][:k]]

    t_rec, rec = median_time(
        lambda: [classify(days_past_due=dpd_sample[i], **facts[i]) for i in range(k)]
    )
    t_kernel, ranks = median_time(lambda: classify_floors(as_of=AS_OF, **p))
    t_loop, loop = median_time(lambda: dpd_range_loop(dpd_sample))
    t_np, dpd_only = median_time(lambda: dpd_range_numpy(p["days_past_due"]))

    agree = sum(CLASS_BY_RANK[ranks[i]] == rec[i].value for i in range(k))
    under = int((dpd_only < ranks).sum())
    assert loop == dpd_only[:k].tolist()

    per = {
        "techfin classify (per loan, Decimal)": t_rec / k,
        "techfin classify_floors (NumPy)": t_kernel / n,
        "DPD-range table, per-loan loop": t_loop / k,
        "DPD-range table, NumPy searchsorted": t_np / n,
    }
    print(f"loans: {n:,} (per-loan paths timed on {k:,}); median of 3 runs")
    base = per["techfin classify_floors (NumPy)"]
    print(f"{'path':42} {'µs/loan':>10} {'loans/s':>14} {'vs kernel':>10}")
    for name, sec in per.items():
        print(f"{name:42} {sec * 1e6:10.3f} {1 / sec:14,.0f} {sec / base:10.1f}x")
    print(f"kernel vs classify agreement on the sample: {agree:,}/{k:,}")
    print(
        f"loans the DPD-range table classes better than the 2023 floor: {under:,} ({under / n:.2%})"
    )


if __name__ == "__main__":
    main()
