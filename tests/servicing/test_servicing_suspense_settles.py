"""Money held in suspense that covers everything the borrower owes settles the loan that day
(issue 9; decision 1110).

Before, a loan whose held money covered the payoff (`payoff_amount` 0) stayed `active` until
its next due date and on to maturity, accruing interest that the held money then paid — the
borrower was charged interest on principal its own money already covered. Now the replay
settles the loan on the day the held money reaches the payoff, as a prepayment of the held
money would: the borrower's part of the interest accrued to that day is billed, the held money
pays it, what is due and the principal not yet due, and what is left beyond the payoff stays
held (`suspense`: money to return to the borrower). Held money short of the payoff by even a
fen stays held and pays the next dues as they are billed.

Loan A (as in test_servicing_replay): 120,000.00 at 6 %, ACT/360, 12 monthly annuity
installments from 2025-01-15, first due 2025-02-15 (31 days). Row 1 interest
120,000 × 0.06 × 31 ÷ 360 = 620.00 — exactly 20.00 a day —, installment 10,331.20,
principal 9,711.20.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from techfin.credit.schedule import Subsidy, Terms
from techfin.credit.servicing import (
    Contract,
    Disbursement,
    Event,
    Fee,
    LoanState,
    LoanStatus,
    Repayment,
    Reversal,
    replay,
)

START = dt.date(2025, 1, 15)
PAYER = "区科技局"


def _contract(loan_id: str, subsidy: Subsidy | None = None) -> Contract:
    terms = Terms(
        principal=D("120000.00"),
        annual_rate=D("0.06"),
        start=START,
        installments=12,
        subsidy=subsidy,
    )
    return Contract(loan_id, terms)


PLAIN = _contract("L-plain")
HALF = _contract("L-half", Subsidy(payer=PAYER, share=D("0.5")))
DISB = Disbursement("d1", START, D("120000.00"))


def _entry(state: LoanState, kind: str):  # type: ignore[no-untyped-def]
    return [e for e in state.ledger if e.kind == kind]


def test_a_repayment_beyond_the_payoff_settles_the_loan_that_day() -> None:
    """2025-01-25, 10 days in: payoff 120,000.00 + 10 × 20.00 = 120,200.00. A repayment of
    120,300.00 settles the loan on the day: 200.00 of interest billed and paid, 120,000.00 of
    principal prepaid, 100.00 held to return. Months later nothing more has accrued or been
    billed and the 100.00 is still held."""
    day = dt.date(2025, 1, 25)
    assert replay(PLAIN, [DISB], day).payoff_amount == D("120200.00")
    events: list[Event] = [DISB, Repayment("r1", day, D("120300.00"))]
    s = replay(PLAIN, events, day)
    assert s.status is LoanStatus.SETTLED
    assert s.principal_outstanding == 0 and s.interest_unpaid == 0 and s.interest_accrued == 0
    assert s.interest_billed == D("200.00")
    assert s.suspense == D("100.00") and s.payoff_amount == 0 and s.total_paid == D("120300.00")
    assert s.schedule is None
    (settle,) = _entry(s, "suspense_applied")
    assert settle.event_id == "suspense@2025-01-25/r1" and settle.value_date == day
    assert dict(settle.allocations) == {
        "interest": D("200.00"),
        "principal_prepaid": D("120000.00"),
    }
    assert settle.amount == D("120200.00")
    assert "100.00 left to return" in settle.note
    later = replay(PLAIN, events, dt.date(2025, 6, 1))
    assert later.status is LoanStatus.SETTLED
    assert later.interest_billed == D("200.00") and later.suspense == D("100.00")
    assert later.penalty_accrued_total == 0 and later.days_past_due == 0
    assert not _entry(later, "scheduled_due")


def test_a_repayment_of_exactly_the_payoff_leaves_nothing_held() -> None:
    day = dt.date(2025, 1, 25)
    s = replay(PLAIN, [DISB, Repayment("r1", day, D("120200.00"))], day)
    assert s.status is LoanStatus.SETTLED and s.suspense == 0 and s.interest_billed == D("200.00")


def test_a_fen_short_stays_held_and_pays_the_next_due() -> None:
    """120,199.99 on 2025-01-25 is a fen short: the loan stays active and the money held. On
    2025-02-15 row 1 (10,331.20) is billed and paid from it, leaving 109,868.79 held against
    110,288.80 of principal: the borrower then owes 420.01 (a fen + 21 more days at 20.00)."""
    day = dt.date(2025, 1, 25)
    events: list[Event] = [DISB, Repayment("r1", day, D("120199.99"))]
    s = replay(PLAIN, events, day)
    assert s.status is LoanStatus.ACTIVE and s.suspense == D("120199.99")
    assert s.payoff_amount == D("0.01")
    due = replay(PLAIN, events, dt.date(2025, 2, 15))
    assert due.status is LoanStatus.ACTIVE
    assert due.suspense == D("109868.79") and due.principal_not_due == D("110288.80")
    assert due.total_due_now == 0 and due.payoff_amount == D("420.01")


def test_a_second_repayment_that_tips_the_held_money_over_the_payoff() -> None:
    """Row 1 overpaid by 168.80 on its date (10,500.00); on 2025-03-01 the payoff is
    110,288.80 + 14 days of row 2 (257.34) − 168.80 = 110,377.34. A repayment (not a
    prepayment) of 110,400.00 settles the loan: 22.66 held to return."""
    events: list[Event] = [DISB, Repayment("r1", dt.date(2025, 2, 15), D("10500.00"))]
    day = dt.date(2025, 3, 1)
    assert replay(PLAIN, events, day).payoff_amount == D("110377.34")
    s = replay(PLAIN, [*events, Repayment("r2", day, D("110400.00"))], day)
    assert s.status is LoanStatus.SETTLED and s.suspense == D("22.66")
    settle = next(e for e in s.ledger if e.event_id == "suspense@2025-03-01/r2")
    assert dict(settle.allocations) == {
        "interest": D("257.34"),
        "principal_prepaid": D("110288.80"),
    }
    assert s.interest_billed == D("620.00") + D("257.34")


def test_an_overdue_loan_is_settled_with_its_penalty_and_compound_interest() -> None:
    """Nothing paid by 2025-03-01: row 1 is 14 days overdue. A repayment of the payoff + 50.00
    pays the penalty, compound interest, row 1, row 2's accrued interest and the principal;
    50.00 stays held and no more penalty accrues after."""
    day = dt.date(2025, 3, 1)
    before = replay(PLAIN, [DISB], day)
    assert before.penalty_interest > 0 and before.compound_interest > 0
    events: list[Event] = [DISB, Repayment("r1", day, before.payoff_amount + D("50.00"))]
    s = replay(PLAIN, events, day)
    assert s.status is LoanStatus.SETTLED and s.suspense == D("50.00")
    assert s.days_past_due == 0 and s.total_due_now == 0 and s.principal_outstanding == 0
    later = replay(PLAIN, events, dt.date(2025, 5, 1))
    assert later.penalty_accrued_total == before.penalty_accrued_total
    assert later.compound_accrued_total == before.compound_accrued_total
    assert later.suspense == D("50.00")


def test_a_subsidised_loan_the_payer_still_owes_its_part() -> None:
    """Half subsidised, 2025-01-22: the borrower's payoff is 120,000.00 + 70.00. A repayment
    of 120,070.00 settles the loan; the payer's 70.00 becomes its receivable (decision 1108)."""
    day = dt.date(2025, 1, 22)
    disb = Disbursement("d1", START, D("120000.00"))
    assert replay(HALF, [disb], day).payoff_amount == D("120070.00")
    s = replay(HALF, [disb, Repayment("r1", day, D("120070.00"))], day)
    assert s.status is LoanStatus.SETTLED and s.suspense == 0
    assert s.subsidy_receivable == D("70.00") and s.interest_billed == D("140.00")


def test_reversing_the_covering_repayment_reopens_the_loan() -> None:
    day = dt.date(2025, 1, 25)
    events: list[Event] = [
        DISB,
        Repayment("r1", day, D("120300.00")),
        Reversal("x1", dt.date(2025, 1, 28), "r1", "keyed twice"),
    ]
    s = replay(PLAIN, events, dt.date(2025, 1, 28))
    assert s.status is LoanStatus.ACTIVE and s.suspense == 0
    assert s.interest_accrued == D("260.00") and s.payoff_amount == D("120260.00")


def test_held_money_left_after_settlement_pays_a_later_fee() -> None:
    """Settled with 100.00 held; a 30.00 fee charged later is paid from it (70.00 left, still
    settled). A fee beyond what is held reopens the loan with the money still held."""
    day = dt.date(2025, 1, 25)
    events: list[Event] = [DISB, Repayment("r1", day, D("120300.00"))]
    fee_day = dt.date(2025, 2, 1)
    small = replay(PLAIN, [*events, Fee("f1", fee_day, D("30.00"), "工本费")], fee_day)
    assert small.status is LoanStatus.SETTLED and small.suspense == D("70.00")
    assert small.costs == 0
    big = replay(PLAIN, [*events, Fee("f1", fee_day, D("150.00"), "诉讼费")], fee_day)
    assert big.status is LoanStatus.ACTIVE
    assert big.costs == D("150.00") and big.suspense == D("100.00")


@settings(max_examples=80, deadline=None)
@given(
    day_offset=st.integers(min_value=1, max_value=200),
    extra=st.integers(min_value=-300, max_value=300),
    subsidised=st.booleans(),
    earlier=st.integers(min_value=0, max_value=20_000),
)
def test_any_repayment_reaching_the_payoff_settles_and_keeps_the_rest(
    day_offset: int, extra: int, subsidised: bool, earlier: int
) -> None:
    """Any day (on time or overdue), with or without a subsidy and earlier money held: a
    repayment of the payoff + `extra` fen settles the loan that day with `extra` held when
    `extra` ≥ 0, and leaves it active with the whole repayment held when it is short."""
    contract = HALF if subsidised else PLAIN
    events: list[Event] = [DISB]
    day = START + dt.timedelta(days=day_offset)
    if earlier:
        events.append(Repayment("r0", min(day, START + dt.timedelta(days=31)), D(earlier)))
    before = replay(contract, events, day)
    if before.status is not LoanStatus.ACTIVE:
        return
    amount = before.payoff_amount + D(extra) / 100
    if amount <= 0:
        return
    s = replay(contract, [*events, Repayment("r1", day, amount)], day)
    if extra >= 0:
        assert s.status is LoanStatus.SETTLED
        assert s.suspense == D(extra) / 100 and s.payoff_amount == 0
        assert s.principal_outstanding == 0 and s.total_due_now == 0
        assert s.subsidy_receivable == before.subsidy_receivable + before.subsidy_accrued
        after = replay(contract, [*events, Repayment("r1", day, amount)], dt.date(2026, 6, 1))
        assert after.interest_billed == s.interest_billed and after.suspense == s.suspense
    else:
        assert s.status is LoanStatus.ACTIVE
        assert s.payoff_amount == -D(extra) / 100
