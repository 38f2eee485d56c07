"""Term reduction on an equal-principal loan whose principal per period is not a round share of
the balance (found by the servicing load bench: the stepped shares did not add up to exactly
100 and the prepayment was refused)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING
from decimal import Decimal as D

import pytest

from techfin.credit.schedule import Method, Terms
from techfin.credit.servicing import (
    Contract,
    Disbursement,
    Prepayment,
    PrepaymentMode,
    Repayment,
    replay,
)

START = dt.date(2026, 11, 27)


def _terms(principal: str, months: int) -> Terms:
    return Terms(
        principal=D(principal),
        annual_rate=D("0.0375"),
        start=START,
        installments=months,
        method=Method.EQUAL_PRINCIPAL,
    )


@pytest.mark.parametrize("amount", ["50000.00", "123456.78", "16666.67", "583333.32"])
def test_reduce_term_keeps_the_principal_per_period_for_any_amount(amount):
    """600,000.00 over 36 months repays 16,666.67 a period (the last one the rest). A same-day
    prepayment keeps 16,666.67 a period and shortens the term; the rows repay exactly the
    balance."""
    terms = _terms("600000.00", 36)
    state = replay(
        Contract("R", terms),
        [
            Disbursement("d", START, D("600000.00")),
            Prepayment("p", START, D(amount), PrepaymentMode.REDUCE_TERM),
        ],
        START,
    )
    assert state.schedule is not None
    rows = state.schedule.rows
    balance = D("600000.00") - D(amount)
    assert sum((r.principal for r in rows), D(0)) == balance == state.principal_not_due
    assert all(r.principal == D("16666.67") for r in rows[:-1])
    assert D(0) < rows[-1].principal <= D("16666.67")
    periods = int((balance / D("16666.67")).to_integral_value(rounding=ROUND_CEILING))
    assert len(rows) == periods < 36  # the term is shortened


def test_a_prepayment_too_small_to_shorten_the_term_reamortises():
    """10,000.00 off 600,000.00 still needs 36 periods of 16,666.67: the rows keep their dates
    and repay the balance in equal parts."""
    terms = _terms("600000.00", 36)
    state = replay(
        Contract("R", terms),
        [
            Disbursement("d", START, D("600000.00")),
            Prepayment("p", START, D("10000.00"), PrepaymentMode.REDUCE_TERM),
        ],
        START,
    )
    assert state.schedule is not None
    principals = [r.principal for r in state.schedule.rows]
    assert len(principals) == 36 and sum(principals, D(0)) == D("590000.00")
    assert set(principals[:-1]) == {D("16388.89")}


def test_later_payments_on_a_term_reduced_loan_replay():
    """After such a prepayment the loan keeps replaying: the next instalment is paid on time."""
    terms = _terms("600000.00", 36)
    events = [
        Disbursement("d", START, D("600000.00")),
        Prepayment("p", START, D("50000.00"), PrepaymentMode.REDUCE_TERM),
    ]
    first = replay(Contract("R", terms), events, START)
    assert first.schedule is not None
    due = first.schedule.rows[0]
    state = replay(
        Contract("R", terms),
        [*events, Repayment("r", due.due_date, due.payment)],
        due.due_date + dt.timedelta(days=1),
    )
    assert state.days_past_due == 0
    assert state.principal_not_due == D("550000.00") - due.principal
