"""Money held that covers the payoff settles a platform loan that day (decision 1110): the
payment's answer, the loan's stored status (at once and at day-end), the credit-register record
and a reversal that reopens the loan all agree with the domain replay.

The world's loan: 120,000.00 at 6 %, ACT/360, 12 monthly annuity installments from
2026-01-15, first due 2026-02-15 (31 days, 620.00 of interest: exactly 20.00 a day).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from svcp_world import make_loan, set_business_date

from techfin.credit.credit_register_report import build_report
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.store.tables import Institution
from techfin.store.tables_origination import Loan

D = Decimal


def _status(world, loan: int) -> str:
    with world.db.read() as s:
        loan_row = s.get(Loan, loan)
        assert loan_row is not None
        return loan_row.status


def test_a_repayment_beyond_the_payoff_settles_the_loan_and_keeps_the_rest(world):
    """2026-01-25, 10 days in: payoff 120,200.00. A repayment (not a prepayment) of
    120,300.00 settles the loan at once — stored status too — with 100.00 held to return; the
    next due date bills nothing; the credit-register record is a settled loan with no balance;
    reversing the repayment reopens the loan."""
    loan = make_loan(world)
    day = dt.date(2026, 1, 25)
    set_business_date(world, day)
    am = world.actor("s_am")
    assert svc.loan_view(world.db, am, loan)["balances"]["payoff_amount"] == "120200.00"
    paid = svc.record_payment(world.db, am, loan, amount="120300.00", kind="repayment")
    b = paid["balances"]
    assert b["status"] == "settled"
    assert D(b["suspense"]) == D("100.00")
    assert D(b["payoff_amount"]) == 0 and D(b["principal_outstanding"]) == 0
    assert b["interest_billed"] == "200.00"
    assert _status(world, loan) == "settled"

    due = dt.date(2026, 2, 16)
    set_business_date(world, due)
    with world.db.transaction() as s:
        mon.day_end_positions(s, s.get(Institution, world.bank_id), due)
    assert _status(world, loan) == "settled"
    view = svc.loan_view(world.db, am, loan)
    assert view["balances"]["interest_billed"] == "200.00"
    assert view["balances"]["suspense"] == "100.00"
    assert not [e for e in view["ledger"] if e["kind"] == "scheduled_due"]

    with world.db.read() as s:
        (record,) = [
            r for r in svc.register_records(s, world.bank_id, due) if r["loan_id"] == str(loan)
        ]
    assert record["status"] == "settled" and record["principal_balance"] == 0
    assert record["overdue_interest"] == 0 and record["days_past_due"] == 0
    assert "settled" in build_report([record], due)

    req = svc.request_reversal(
        world.db, world.actor("s_rm"), loan, event_id=paid["event"]["event_id"], reason="误入账"
    )
    svc.decide_reversal(world.db, world.actor("s_rm2"), req["id"], approve=True)
    assert _status(world, loan) == "active"
    again = svc.loan_view(world.db, am, loan)["balances"]
    assert again["status"] == "active" and D(again["suspense"]) == 0
    assert D(again["overdue_principal"]) == D("9711.20")


def test_a_fen_short_leaves_the_loan_active_with_the_money_held(world):
    loan = make_loan(world)
    set_business_date(world, dt.date(2026, 1, 25))
    paid = svc.record_payment(world.db, world.actor("s_am"), loan, amount="120199.99")
    assert paid["balances"]["status"] == "active"
    assert D(paid["balances"]["suspense"]) == D("120199.99")
    assert D(paid["balances"]["payoff_amount"]) == D("0.01")
    assert _status(world, loan) == "active"
