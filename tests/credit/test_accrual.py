"""Daily accrual with cumulative rounding, penalty and compound interest, allocation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techfin.credit.accrual import (
    accrue_balance,
    accrue_period,
    allocate_payment,
    compound_interest,
    penalty_interest,
    penalty_rate,
)
from techfin.credit.daycount import InterestBasis

D = Decimal
d = dt.date


def test_period_accrual_sums_to_schedule_interest() -> None:
    days = accrue_period(start=d(2025, 1, 20), end=d(2025, 2, 20), period_interest=D("100.00"))
    assert len(days) == 31
    assert sum(a.amount for a in days) == D("100.00")
    assert days[-1].cumulative == D("100.00")
    assert {a.amount for a in days} <= {D("3.22"), D("3.23")}
    assert days[0].on == d(2025, 1, 20) and days[-1].on == d(2025, 2, 19)


@given(
    interest=st.decimals(min_value=0, max_value=10_000_000, places=2),
    days=st.integers(1, 400),
)
def test_period_accrual_never_drifts(interest: Decimal, days: int) -> None:
    start = d(2024, 1, 1)
    acc = accrue_period(start=start, end=start + dt.timedelta(days=days), period_interest=interest)
    assert sum((a.amount for a in acc), D(0)) == interest
    assert all(a.amount >= 0 for a in acc)


def test_balance_accrual_act_360_equals_one_shot() -> None:
    acc = accrue_balance(
        balance=D(1_000_000), annual_rate=D("0.0345"), start=d(2025, 3, 20), end=d(2025, 4, 20)
    )
    # 1,000,000 × 3.45 % × 31 / 360 = 2,970.833… → 2,970.83
    assert sum(a.amount for a in acc) == D("2970.83")
    acc365 = accrue_balance(
        balance=D(1_000_000),
        annual_rate=D("0.0345"),
        start=d(2025, 3, 20),
        end=d(2025, 4, 20),
        basis=InterestBasis.ACT_365F,
    )
    assert acc365[-1].cumulative == D("2930.14")  # × 31 / 365 = 2,930.136…
    with pytest.raises(ValueError, match="per-period"):
        accrue_balance(
            balance=D(1),
            annual_rate=D("0.01"),
            start=d(2025, 1, 1),
            end=d(2025, 1, 2),
            basis=InterestBasis.PER_PERIOD,
        )


@pytest.mark.parametrize(
    ("markup", "ok"),
    [
        ("0.29", False),
        ("0.30", True),
        ("0.31", True),
        ("0.49", True),
        ("0.50", True),
        ("0.51", False),
    ],
)
def test_penalty_markup_band(markup: str, ok: bool) -> None:
    if ok:
        assert penalty_rate(D("0.04"), D(markup)) == D("0.04") * (1 + D(markup))
    else:
        with pytest.raises(ValueError, match="markup"):
            penalty_rate(D("0.04"), D(markup))


def test_penalty_and_compound_interest() -> None:
    pen = penalty_interest(
        overdue_principal=D(100_000),
        contract_rate=D("0.036"),
        markup=D("0.5"),
        start=d(2025, 5, 1),
        end=d(2025, 5, 31),
    )
    # 100,000 × 5.4 % × 30 / 360 = 450.00
    assert pen[-1].cumulative == D("450.00")
    comp = compound_interest(
        unpaid_interest=D(3000), rate=D("0.054"), start=d(2025, 5, 1), end=d(2025, 5, 11)
    )
    assert comp[-1].cumulative == D("4.50")  # 3000 × 5.4 % × 10 / 360


def test_allocation_costs_interest_principal() -> None:
    due = {"costs": D(50), "penalty_interest": D(10), "interest": D(300), "principal": D(1000)}
    a = allocate_payment(D(500), due)
    assert a.amount("costs") == D(50)
    assert a.amount("penalty_interest") == D(10)
    assert a.amount("interest") == D(300)
    assert a.amount("principal") == D(140)
    assert a.unapplied == 0
    full = allocate_payment(D(1400), due)
    assert full.amount("principal") == D(1000) and full.unapplied == D(40)
    short = allocate_payment(D(30), due)
    assert short.amount("costs") == D(30) and short.amount("interest") == 0


def test_allocation_agreed_order_and_errors() -> None:
    a = allocate_payment(
        D(100), {"interest": D(80), "principal": D(80)}, order=("principal", "interest")
    )
    assert a.amount("principal") == D(80) and a.amount("interest") == D(20)
    with pytest.raises(ValueError, match="fees"):
        allocate_payment(D(1), {"fees": D(1)})
    with pytest.raises(ValueError, match="payment"):
        allocate_payment(D(-1), {})


@given(
    pay=st.decimals(min_value=0, max_value=10_000, places=2),
    due=st.lists(st.decimals(min_value=0, max_value=5_000, places=2), min_size=5, max_size=5),
)
def test_allocation_conserves_money(pay: Decimal, due: list[Decimal]) -> None:
    buckets = dict(
        zip(
            ("costs", "penalty_interest", "compound_interest", "interest", "principal"),
            due,
            strict=True,
        )
    )
    a = allocate_payment(pay, buckets)
    assert sum((v for _, v in a.applied), D(0)) + a.unapplied == pay
    # a later bucket gets money only once every earlier one is paid in full
    seen_short = False
    for name, v in a.applied:
        if seen_short:
            assert v == 0
        if v < buckets[name]:
            seen_short = True


def test_half_fen_tie_rounds_like_the_exact_value() -> None:
    # 100 × 1.8 % × 1 / 360 = 0.005 exactly: half-up gives 0.01 (1/360 as a decimal would not)
    acc = accrue_balance(
        balance=D(100), annual_rate=D("0.018"), start=d(2025, 1, 1), end=d(2025, 1, 2)
    )
    assert acc[0].amount == D("0.01")


@given(
    balance=st.integers(1, 10**9).map(lambda c: D(c) / 100),
    rate_bp=st.integers(1, 2000),
    days=st.integers(1, 120),
)
def test_balance_accrual_sum_equals_period_interest(
    balance: Decimal, rate_bp: int, days: int
) -> None:
    rate = D(rate_bp) / 10000
    start = d(2024, 2, 10)
    acc = accrue_balance(
        balance=balance, annual_rate=rate, start=start, end=start + dt.timedelta(days=days)
    )
    expected = (balance * rate * days / 360).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert sum((a.amount for a in acc), D(0)) == expected
