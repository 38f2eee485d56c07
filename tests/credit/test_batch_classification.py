"""The vectorised day-end kernel agrees with `classify` loan by loan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from techfin.batch.credit import CLASS_BY_RANK, add_months_days, classify_floors
from techfin.credit.classification import classify

AS_OF = dt.date(2025, 2, 28)


def test_kernel_agrees_with_classify() -> None:
    rng = np.random.default_rng(20250228)
    n = 3000
    dpd = rng.choice(np.array([0, 1, 6, 7, 8, 90, 91, 270, 271, 360, 361, 500]), n)
    flags = {
        k: rng.random(n) < 0.1
        for k in (
            "operational_delay_cause",
            "unapproved_change_of_use",
            "new_loan_repays_old",
            "eligible_renewal",
            "npl_at_other_bank",
            "credit_impaired",
        )
    }
    flags["operational_delay_cause"] = rng.random(n) < 0.5
    corporate = rng.random(n) < 0.8
    debt_all = rng.integers(0, 10_000, n) * 100
    debt_90 = (debt_all * rng.choice(np.array([0, 10, 20, 21, 50]), n)) // 100
    claims = rng.integers(1, 10_000, n) * 100
    npl = (claims * rng.choice(np.array([0, 5, 10, 11, 100]), n)) // 100
    offsets = rng.integers(0, 500, n)
    starts = np.datetime64(AS_OF, "D") - offsets.astype("timedelta64[D]")
    starts[rng.random(n) < 0.6] = np.datetime64("NaT")
    starts[:3] = np.array(["2024-02-29", "2024-02-28", "2024-03-01"], dtype="datetime64[D]")

    ranks = classify_floors(
        dpd,
        as_of=AS_OF,
        corporate_borrower=corporate,
        debt_all_banks_fen=debt_all,
        debt_over_90_days_all_banks_fen=debt_90,
        claims_at_bank_fen=claims,
        non_performing_claims_at_bank_fen=npl,
        restructuring_observation_start=starts,
        **flags,
    )
    for i in range(n):
        start = starts[i]
        facts: dict[str, object] = {
            "as_of": AS_OF,
            "operational_delay_cause": "switch failure"
            if flags["operational_delay_cause"][i]
            else None,
            "corporate_borrower": bool(corporate[i]),
            "debt_all_banks": Decimal(int(debt_all[i])) / 100,
            "debt_over_90_days_all_banks": Decimal(int(debt_90[i])) / 100,
            "claims_at_bank": Decimal(int(claims[i])) / 100,
            "non_performing_claims_at_bank": Decimal(int(npl[i])) / 100,
        }
        for k in (
            "unapproved_change_of_use",
            "new_loan_repays_old",
            "eligible_renewal",
            "npl_at_other_bank",
            "credit_impaired",
        ):
            facts[k] = bool(flags[k][i])
        if not np.isnat(start):
            facts["restructured"] = True
            facts["restructuring_observation_start"] = start.astype(dt.date)
        expected = classify(days_past_due=int(dpd[i]), **facts)
        assert CLASS_BY_RANK[ranks[i]] == expected.value, (i, facts, expected)


def test_observation_edge_on_leap_day() -> None:
    starts = np.array(["2024-02-29", "2024-02-28", "2024-03-01", "NaT"], dtype="datetime64[D]")
    ranks = classify_floors(
        np.zeros(4, dtype=np.int64), as_of=AS_OF, restructuring_observation_start=starts
    )
    # 2024-02-29 + 12 months = 2025-02-28 = as_of: the observation has ended
    assert ranks.tolist() == [0, 0, 2, 0]


def test_add_months_clamps() -> None:
    s = np.array(["2024-01-31", "2024-02-29", "2023-12-15"], dtype="datetime64[D]")
    assert add_months_days(s, 1).tolist() == [
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 29),
        dt.date(2024, 1, 15),
    ]
    assert add_months_days(s, 12).tolist()[1] == dt.date(2025, 2, 28)
