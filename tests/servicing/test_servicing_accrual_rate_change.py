"""Accrued interest follows each day's rate when the rate changes inside a period (a floating
loan repriced mid-period), and still adds up to the schedule's interest for the period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from techfin.credit.accrual import accrue_period
from techfin.credit.schedule import Method, RateChange, Subsidy, Terms
from techfin.credit.servicing import Contract, Disbursement, replay

START = dt.date(2024, 12, 15)
CHANGE = dt.date(2025, 1, 1)  # 17 days at 3.95 %, then 14 at 3.60 % to the 15 January due date


def _terms(**kw) -> Terms:
    return Terms(
        principal=D("120000.00"),
        annual_rate=D("0.0395"),
        start=START,
        installments=12,
        method=Method.EQUAL_PRINCIPAL,
        rate_changes=(RateChange(CHANGE, D("0.0360")),),
        **kw,
    )


def _state(on: dt.date, **kw):
    terms = _terms(**kw)
    return replay(Contract("F", terms), [Disbursement("d", START, D("120000.00"))], on)


def _exact(*spans: tuple[str, int]) -> D:
    """120,000.00 × Σ rate × days ÷ 360, rounded to the fen."""
    return (D("120000.00") * sum(D(r) * n for r, n in spans) / 360).quantize(D("0.01"))


@pytest.mark.parametrize(
    ("on", "spans"),
    [
        (dt.date(2024, 12, 16), [("0.0395", 1)]),
        (CHANGE, [("0.0395", 17)]),
        (CHANGE + dt.timedelta(days=1), [("0.0395", 17), ("0.0360", 1)]),
        (dt.date(2025, 1, 14), [("0.0395", 17), ("0.0360", 13)]),
    ],
)
def test_accrued_interest_is_day_exact_across_the_change(on, spans):
    state = _state(on)
    assert state.schedule is not None
    assert state.schedule.rows[0].interest == _exact(("0.0395", 17), ("0.0360", 14)) == D("391.83")
    assert state.interest_accrued == _exact(*spans)


def test_without_a_change_inside_the_period_every_day_weighs_the_same():
    """Second period (3.60 % throughout, 110,000.00 outstanding): 5 of its 31 days."""
    state = _state(dt.date(2025, 1, 20))
    assert state.schedule is not None
    second = state.schedule.rows[1].interest
    assert state.interest_accrued == (second * 5 / 31).quantize(D("0.01"))


def test_a_share_subsidy_accrues_in_step_with_the_interest():
    """The payer's half follows each day's rate too: on the day before the due date its part is
    the row's subsidy × (17 × 3.95 + 13 × 3.60) ÷ (17 × 3.95 + 14 × 3.60)."""
    state = _state(dt.date(2025, 1, 14), subsidy=Subsidy("区科技局", share=D("0.5")))
    assert state.schedule is not None
    row = state.schedule.rows[0]
    assert row.subsidy is not None
    weight = (17 * D("0.0395") + 13 * D("0.0360")) / (17 * D("0.0395") + 14 * D("0.0360"))
    assert state.subsidy_accrued == (row.subsidy * weight).quantize(D("0.01"))
    assert abs(state.subsidy_accrued * 2 - state.interest_accrued) <= D("0.02")


def test_weights_spread_a_period_in_proportion_and_add_up():
    days = accrue_period(
        start=START,
        end=dt.date(2025, 1, 15),
        period_interest=D("391.83"),
        weights=[D("0.0395")] * 17 + [D("0.0360")] * 14,
    )
    assert days[-1].cumulative == D("391.83")
    assert sum(d.amount for d in days) == D("391.83")
    assert days[16].cumulative == D("223.83")  # 17 days at 3.95 %
    with pytest.raises(ValueError, match="weights"):
        accrue_period(start=START, end=CHANGE, period_interest=D("1.00"), weights=[D(1)])
    with pytest.raises(ValueError, match="weights"):
        accrue_period(
            start=START,
            end=START + dt.timedelta(days=2),
            period_interest=D("1.00"),
            weights=[D(0), D(0)],
        )
