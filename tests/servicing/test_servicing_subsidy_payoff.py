"""The payoff of a subsidised loan (贴息): the payer's part of the accrued interest is not the
borrower's to pay (issue 9; official-rules §7b).

`LoanState.interest_accrued` is the whole interest accrued since the last due date (for the
books); `subsidy_accrued` is the payer's part of it and `borrower_interest_accrued` the
borrower's; `payoff_amount` — what the borrower pays to settle today — counts only the
borrower's part, and a prepayment of exactly that amount settles the loan.

Loan A (as in test_servicing_replay): 120,000.00 at 6 %, ACT/360, 12 monthly annuity
installments from 2025-01-15, first due 2025-02-15 (31 days). Row 1 interest
120,000 × 0.06 × 31 ÷ 360 = 620.00 — exactly 20.00 a day —, installment 10,331.20.

Loan B: 1,000,000.00 at 4.35 %, same dates, the payer pays 2 rate points. Row 1 interest
1,000,000 × 0.0435 × 31 ÷ 360 = 3,745.833… → 3,745.83; subsidy
1,000,000 × 0.02 × 31 ÷ 360 = 1,722.222… → 1,722.22.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techfin.credit.schedule import Subsidy, Terms, build
from techfin.credit.servicing import (
    Contract,
    Disbursement,
    Event,
    LoanState,
    LoanStatus,
    Prepayment,
    Repayment,
    SubsidyReceipt,
    replay,
)

START = dt.date(2025, 1, 15)
PAYER = "区科技局"


def _terms(principal: str, rate: str, subsidy: Subsidy | None) -> Terms:
    return Terms(
        principal=D(principal), annual_rate=D(rate), start=START, installments=12, subsidy=subsidy
    )


HALF = Contract("L-half", _terms("120000.00", "0.06", Subsidy(payer=PAYER, share=D("0.5"))))
POINTS = Contract("L-pts", _terms("1000000.00", "0.0435", Subsidy(payer=PAYER, rate=D("0.02"))))
# half the interest until 2025-01-25 only (10 of row 1's 31 days)
UNTIL = Contract(
    "L-until",
    _terms("120000.00", "0.06", Subsidy(payer=PAYER, share=D("0.5"), until=dt.date(2025, 1, 25))),
)
PLAIN = Contract("L-plain", _terms("120000.00", "0.06", None))


def _disb(contract: Contract) -> Disbursement:
    return Disbursement("d1", START, contract.terms.principal)


def _settles(contract: Contract, events: list[Event], day: dt.date) -> LoanState:
    """Prepay exactly `payoff_amount` on `day`; the borrower then owes nothing."""
    before = replay(contract, events, day)
    after = replay(contract, [*events, Prepayment("pay-off", day, before.payoff_amount)], day)
    assert after.status is LoanStatus.SETTLED
    assert after.principal_outstanding == 0 and after.interest_unpaid == 0
    assert after.total_due_now == 0 and after.suspense == 0 and after.payoff_amount == 0
    # the payer still owes its part of the accrued interest (and anything billed before)
    assert after.subsidy_receivable == before.subsidy_receivable + before.subsidy_accrued
    return after


def test_half_share_mid_period_payoff_excludes_the_payers_half() -> None:
    """2025-01-22, 7 days into row 1: accrued 7 × 20.00 = 140.00, the payer's half 70.00, the
    borrower's 70.00; payoff 120,000.00 + 70.00 = 120,070.00 (not 120,140.00)."""
    day = dt.date(2025, 1, 22)
    s = replay(HALF, [_disb(HALF)], day)
    assert (s.interest_accrued, s.subsidy_accrued, s.borrower_interest_accrued) == (
        D("140.00"),
        D("70.00"),
        D("70.00"),
    )
    assert s.payoff_amount == D("120070.00")
    b = s.balances()
    assert (b["subsidy_accrued"], b["borrower_interest_accrued"]) == ("70.00", "70.00")
    after = _settles(HALF, [_disb(HALF)], day)
    assert after.subsidy_receivable == D("70.00")
    entry = next(e for e in after.ledger if e.event_id == "pay-off")
    assert dict(entry.allocations) == {
        "interest": D("70.00"),
        "principal_prepaid": D("120000.00"),
    }


def test_rate_points_mid_period_to_the_fen() -> None:
    """2025-01-25, 10 days into row 1: accrued 3,745.83 × 10 ÷ 31 = 1,208.332… → 1,208.33;
    the payer's 1,722.22 × 10 ÷ 31 = 555.554… → 555.55; the borrower's 652.78 (its own 2.35 %
    for 10 days, 1,000,000 × 0.0235 × 10 ÷ 360 = 652.777… → 652.78); payoff 1,000,652.78."""
    row = build(POINTS.terms).rows[0]
    assert (row.interest, row.subsidy) == (D("3745.83"), D("1722.22"))
    day = dt.date(2025, 1, 25)
    s = replay(POINTS, [_disb(POINTS)], day)
    assert s.interest_accrued == D("1208.33")
    assert s.subsidy_accrued == D("555.55")
    assert s.borrower_interest_accrued == D("652.78")
    assert s.payoff_amount == D("1000652.78")
    assert _settles(POINTS, [_disb(POINTS)], day).subsidy_receivable == D("555.55")


def test_subsidy_until_passed_mid_period_stops_the_payers_part() -> None:
    """Half the interest until 2025-01-25: row 1's subsidy is half of 10 days' interest,
    0.5 × 200.00 = 100.00, spread over those 10 days (10.00 a day). On 2025-01-20 (5 days) the
    payer's part is 50.00 of 100.00 accrued; on 2025-02-01 (17 days, `until` passed) it stays
    100.00 of 340.00 and the borrower owes 240.00: payoff 120,240.00."""
    assert build(UNTIL.terms).rows[0].subsidy == D("100.00")
    early = replay(UNTIL, [_disb(UNTIL)], dt.date(2025, 1, 20))
    assert (early.interest_accrued, early.subsidy_accrued) == (D("100.00"), D("50.00"))
    day = dt.date(2025, 2, 1)
    s = replay(UNTIL, [_disb(UNTIL)], day)
    assert (s.interest_accrued, s.subsidy_accrued, s.borrower_interest_accrued) == (
        D("340.00"),
        D("100.00"),
        D("240.00"),
    )
    assert s.payoff_amount == D("120240.00")
    assert _settles(UNTIL, [_disb(UNTIL)], day).subsidy_receivable == D("100.00")


def test_period_after_until_has_no_payers_part() -> None:
    """Row 1 paid on its date (borrower 10,331.20 − 100.00, payer 100.00); on 2025-03-01, 14
    of row 2's 28 days: accrued 514.68 × 14 ÷ 28 = 257.34, all the borrower's; payoff
    110,288.80 + 257.34 = 110,546.14."""
    paid = dt.date(2025, 2, 15)
    events: list[Event] = [
        _disb(UNTIL),
        Repayment("r1", paid, D("10231.20")),
        SubsidyReceipt("s1", paid, D("100.00"), PAYER),
    ]
    s = replay(UNTIL, events, dt.date(2025, 3, 1))
    assert (s.interest_accrued, s.subsidy_accrued) == (D("257.34"), D("0"))
    assert s.subsidy_receivable == 0 and s.interest_unpaid == 0
    assert s.payoff_amount == D("110546.14")
    after = _settles(UNTIL, events, dt.date(2025, 3, 1))
    assert after.subsidy_receivable == 0


def test_overdue_subsidised_loan_payoff_and_the_payers_arrears_stay_the_payers() -> None:
    """Nothing paid by 2025-03-01: the borrower owes row 1 less the payer's 310.00 plus penalty
    and compound interest, the principal not due and its half of row 2's 257.34 (128.67); the
    payer owes 310.00 + 128.67 = 438.67, which the settlement leaves owed (and a later receipt
    pays, the loan staying settled)."""
    day = dt.date(2025, 3, 1)
    s = replay(HALF, [_disb(HALF)], day)
    assert (s.interest_accrued, s.subsidy_accrued) == (D("257.34"), D("128.67"))
    assert s.subsidy_receivable == D("310.00") and s.interest_unpaid == D("310.00")
    assert s.payoff_amount == (s.total_due_now + s.principal_not_due + D("128.67"))
    after = _settles(HALF, [_disb(HALF)], day)
    assert after.subsidy_receivable == D("438.67")
    later = replay(
        HALF,
        [
            _disb(HALF),
            Prepayment("pay-off", day, s.payoff_amount),
            SubsidyReceipt("s", dt.date(2025, 3, 10), D("438.67"), PAYER),
        ],
        dt.date(2025, 3, 20),
    )
    assert later.status is LoanStatus.SETTLED and later.subsidy_receivable == 0


def test_money_held_in_suspense_counts_towards_the_payoff() -> None:
    """Overpaid row 1 by 168.80 (10,500.00 paid, 10,331.20 due): held in suspense. On
    2025-03-01 the payoff is 110,288.80 + 257.34 − 168.80 = 110,377.34; a prepayment of that
    amount uses the held money first and settles the loan."""
    events: list[Event] = [_disb(PLAIN), Repayment("r1", dt.date(2025, 2, 15), D("10500.00"))]
    day = dt.date(2025, 3, 1)
    s = replay(PLAIN, events, day)
    assert s.suspense == D("168.80") and s.subsidy_accrued == 0
    assert s.payoff_amount == D("110377.34")
    after = _settles(PLAIN, events, day)
    held = next(e for e in after.ledger if e.kind == "suspense_applied")
    assert held.amount == D("168.80") and held.value_date == day
    assert held.event_id == "suspense@2025-03-01/pay-off"
    assert dict(held.allocations) == {"interest": D("168.80")}  # of the 257.34 just billed


@pytest.mark.parametrize("contract", [HALF, POINTS, UNTIL, PLAIN], ids=lambda c: c.loan_id)
def test_every_day_of_the_first_two_periods(contract: Contract) -> None:
    """Each day: the parts add up, the payer's part never exceeds the whole and never falls
    within a period, a half share stays within a fen of half, and a prepayment of the payoff
    settles the loan."""
    rows = build(contract.terms).rows
    disb = _disb(contract)
    day = START + dt.timedelta(days=1)
    previous = D(0)
    while day < rows[1].due_date:
        s = replay(contract, [disb], day)
        assert s.borrower_interest_accrued + s.subsidy_accrued == s.interest_accrued
        assert 0 <= s.subsidy_accrued <= s.interest_accrued
        if day != rows[0].due_date:
            assert s.subsidy_accrued >= previous
        previous = s.subsidy_accrued
        if contract is HALF:
            assert abs(s.subsidy_accrued - s.interest_accrued / 2) <= D("0.01")
        if contract is UNTIL:
            expected = min((day - START).days, 10) * D("10.00") if day < rows[0].due_date else 0
            assert s.subsidy_accrued == expected
        if contract is PLAIN:
            assert s.subsidy_accrued == 0
        _settles(contract, [disb], day)
        day += dt.timedelta(days=1)


@settings(max_examples=60, deadline=None)
@given(
    principal=st.integers(min_value=10_000, max_value=5_000_000),
    rate_bp=st.integers(min_value=100, max_value=1200),
    share_pct=st.one_of(st.none(), st.integers(min_value=1, max_value=100)),
    points_bp=st.integers(min_value=1, max_value=100),
    until_days=st.one_of(st.none(), st.integers(min_value=1, max_value=120)),
    day_offset=st.integers(min_value=1, max_value=150),
    paid=st.integers(min_value=0, max_value=30_000),
)
def test_prepaying_the_payoff_settles_any_subsidised_loan(
    principal: int,
    rate_bp: int,
    share_pct: int | None,
    points_bp: int,
    until_days: int | None,
    day_offset: int,
    paid: int,
) -> None:
    """Whatever the subsidy (a share or rate points, with or without `until`), the day and an
    earlier repayment (short, exact or over, so some money may be held): the parts of the
    accrued interest add up and a prepayment of the payoff settles the loan."""
    rate = D(rate_bp) / 10_000
    until = None if until_days is None else START + dt.timedelta(days=until_days)
    if share_pct is not None:
        subsidy = Subsidy(payer=PAYER, share=D(share_pct) / 100, until=until)
    else:
        subsidy = Subsidy(payer=PAYER, rate=min(D(points_bp) / 10_000, rate), until=until)
    contract = Contract("L-p", _terms(f"{principal}.00", str(rate), subsidy))
    events: list[Event] = [_disb(contract)]
    if paid:
        events.append(Repayment("r", START + dt.timedelta(days=31), D(paid)))
    day = START + dt.timedelta(days=day_offset)
    s = replay(contract, events, day)
    assert s.borrower_interest_accrued + s.subsidy_accrued == s.interest_accrued
    assert 0 <= s.subsidy_accrued <= s.interest_accrued
    if until is not None and s.schedule is not None:  # a period starting after `until`
        due = [r.due_date for r in s.schedule.rows]
        period_start = max([START, *(d for d in due if d <= day)])
        if period_start >= until:
            assert s.subsidy_accrued == 0
    if s.payoff_amount == 0:  # money held covers everything: nothing to prepay
        owed = s.total_due_now + s.principal_not_due + s.borrower_interest_accrued
        assert s.suspense >= owed
        return
    _settles(contract, events, day)
