"""Vectorised classification floors for a whole portfolio at day-end.

The per-loan rule is `techfin.credit.classification.classify`; this kernel computes the same
floor for many loans at once with NumPy, reading the same rule version. It covers a declared
subset of the facts — days past due, the operational-delay exception, change of use,
借新还旧 (with the eligible-renewal exemption), NPL at another bank, credit impairment, the
cross-bank and whole-borrower shares (amounts in integer fen), and the restructuring
observation period. Loans with an upgrade history to test (previous class non-performing)
go through `classify` one by one. `tests/credit/test_batch_classification.py` checks that the
kernel and `classify` agree on generated data.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from techfin.credit.classification import RiskClass, load_rules

__all__ = ["CLASS_BY_RANK", "add_months_days", "classify_floors"]

CLASS_BY_RANK: tuple[RiskClass, ...] = tuple(RiskClass)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def add_months_days(start: npt.NDArray[np.datetime64], months: int) -> npt.NDArray[np.datetime64]:
    """`start` (datetime64[D]) moved by `months`, clamping the day to the month's end."""
    start_d = start.astype("datetime64[D]")
    month0 = start_d.astype("datetime64[M]")
    day = (start_d - month0.astype("datetime64[D]")).astype(np.int64)
    target = month0 + np.timedelta64(months, "M")
    month_len = (
        (target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")
    ).astype(np.int64)
    result: npt.NDArray[np.datetime64] = target.astype("datetime64[D]") + np.minimum(
        day, month_len - 1
    ).astype("timedelta64[D]")
    return result


def _share_over(part: IntArray, whole: IntArray, limit_num: int, limit_den: int) -> BoolArray:
    # part / whole > num / den  <=>  part * den > num * whole  (exact in integers; whole > 0)
    return (whole > 0) & (part * limit_den > whole * limit_num)


def classify_floors(
    days_past_due: IntArray,
    *,
    as_of: dt.date,
    operational_delay_cause: BoolArray | None = None,
    unapproved_change_of_use: BoolArray | None = None,
    new_loan_repays_old: BoolArray | None = None,
    eligible_renewal: BoolArray | None = None,
    npl_at_other_bank: BoolArray | None = None,
    credit_impaired: BoolArray | None = None,
    corporate_borrower: BoolArray | None = None,
    debt_all_banks_fen: IntArray | None = None,
    debt_over_90_days_all_banks_fen: IntArray | None = None,
    claims_at_bank_fen: IntArray | None = None,
    non_performing_claims_at_bank_fen: IntArray | None = None,
    restructuring_observation_start: npt.NDArray[np.datetime64] | None = None,
) -> npt.NDArray[np.int8]:
    """Floor rank per loan (0 normal … 4 loss); `CLASS_BY_RANK[rank]` is the class.

    Boolean arrays default to all-false (``corporate_borrower`` to all-true);
    ``operational_delay_cause`` is true where a recorded, proven cause exists;
    ``restructuring_observation_start`` is NaT for loans that were not restructured.
    Amounts are integer fen so the share tests are exact.
    """
    rules = load_rules(as_of)
    dpd = np.asarray(days_past_due, dtype=np.int64)
    if (dpd < 0).any():
        raise ValueError("days_past_due: must not be negative")
    n = dpd.shape[0]

    def flag(a: BoolArray | None, default: bool = False) -> BoolArray:
        if a is None:
            return np.full(n, default, dtype=np.bool_)
        arr = np.asarray(a, dtype=np.bool_)
        if arr.shape != (n,):
            raise ValueError("all arrays must have the length of days_past_due")
        return arr

    rank = np.zeros(n, dtype=np.int8)
    overdue = dpd > rules.special_mention_dpd_over
    excepted = flag(operational_delay_cause) & (dpd <= rules.operational_delay_max_days)
    rank[overdue & ~excepted] = 1
    rank[dpd > rules.substandard_dpd_over] = 2
    rank[dpd > rules.doubtful_dpd_over] = 3
    rank[dpd > rules.loss_dpd_over] = 4

    sm = (
        flag(unapproved_change_of_use)
        | (flag(new_loan_repays_old) & ~flag(eligible_renewal))
        | flag(npl_at_other_bank)
    )
    np.maximum(rank, np.where(sm, 1, 0).astype(np.int8), out=rank)

    sub = flag(credit_impaired)
    corporate = flag(corporate_borrower, default=True)
    for part, whole, limit in (
        (debt_over_90_days_all_banks_fen, debt_all_banks_fen, rules.cross_bank_overdue_share_over),
        (
            non_performing_claims_at_bank_fen,
            claims_at_bank_fen,
            rules.whole_borrower_npl_share_over,
        ),
    ):
        if (part is None) != (whole is None):
            raise ValueError("share amounts: give both arrays of a pair or neither")
        if part is not None and whole is not None:
            num, den = limit.as_integer_ratio()
            p = np.asarray(part, dtype=np.int64)
            w = np.asarray(whole, dtype=np.int64)
            if (p > w).any() or (p < 0).any():
                raise ValueError("share amounts: a part exceeds its whole or is negative")
            sub |= corporate & _share_over(p, w, num, den)
    if restructuring_observation_start is not None:
        starts = np.asarray(restructuring_observation_start, dtype="datetime64[D]")
        restructured = ~np.isnat(starts)
        ends = add_months_days(
            np.where(restructured, starts, np.datetime64(as_of, "D")),
            rules.restructuring_observation_months,
        )
        sub |= restructured & (np.datetime64(as_of, "D") < ends)
    np.maximum(rank, np.where(sub, 2, 0).astype(np.int8), out=rank)
    return rank
