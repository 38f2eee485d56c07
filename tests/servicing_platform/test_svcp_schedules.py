"""Renewal, extension and restructuring as audited commands that add a schedule segment; the
loan replays across segments (arrears carried, principal continued)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from svcp_world import make_loan, set_business_date

from techfin.services import servicing as svc
from techfin.services.errors import Forbidden, ValidationFailed
from techfin.store.tables import AuditEntry


def _extension_continues_the_principal_to_the_new_maturity(world):
    loan = make_loan(world, months=6, method="equal-principal")
    am, ap = world.actor("s_am"), world.actor("s_ap")
    set_business_date(world, dt.date(2026, 4, 20))
    for m in (2, 3, 4):
        svc.record_payment(world.db, am, loan, amount="20600.00", value_date=dt.date(2026, m, 15))
    before = svc.loan_view(world.db, am, loan)["balances"]
    with pytest.raises(Forbidden):
        svc.extend_loan(world.db, am, loan, new_maturity=dt.date(2026, 9, 15), reason="x")
    out = svc.extend_loan(
        world.db, ap, loan, new_maturity=dt.date(2026, 9, 15), reason="orders delayed"
    )
    assert out["kind"] == "extension" and out["schedule"][-1]["due_date"] == "2026-09-15"
    after = svc.loan_view(world.db, am, loan)
    assert after["balances"]["schedule_kind"] == "extension"
    # principal continues; interest accrued since 04-15 is carried as a cost line, which the
    # money held in suspense pays at once
    assert after["balances"]["principal_outstanding"] == before["principal_outstanding"]
    carry = [e for e in after["ledger"] if e["event_id"] == "seg1-carry"]
    assert carry[0]["amount"] == before["interest_accrued"] == "50.00"
    assert Decimal(after["balances"]["suspense"]) == Decimal(before["suspense"]) - Decimal("50")
    assert after["balances"]["total_paid"] == before["total_paid"]
    assert after["loan"]["maturity_date"] == "2026-09-15"
    # beyond the limit (short-term: at most the original term again) it is refused
    with pytest.raises(ValidationFailed):
        svc.extend_loan(world.db, ap, loan, new_maturity=dt.date(2027, 6, 15), reason="more")


def _restructuring_sets_the_substandard_floor_and_backdating_still_replays(world):
    loan = make_loan(world)
    am, ap = world.actor("s_am"), world.actor("s_ap")
    set_business_date(world, dt.date(2026, 5, 1))
    with pytest.raises(ValidationFailed):
        svc.restructure_loan(
            world.db,
            ap,
            loan,
            difficulty_evidence="",
            annual_rate=Decimal("0.04"),
            installments=24,
            reason="r",
        )
    svc.restructure_loan(
        world.db,
        ap,
        loan,
        difficulty_evidence="orders fell 60 %; audited loss 2025",
        annual_rate=Decimal("0.04"),
        installments=24,
        reason="keep the borrower going",
    )
    view = svc.loan_view(world.db, am, loan)
    assert view["floor"]["value"] == "substandard"
    assert any(r["code"].startswith("restructur") for r in view["floor"]["reasons"])
    assert view["balances"]["days_past_due"] == 0
    outstanding = Decimal(view["balances"]["principal_outstanding"])
    assert outstanding == Decimal("120000.00")
    # a payment backdated before the restructuring reduces the carried principal
    svc.record_payment(world.db, am, loan, amount="9711.20", value_date=dt.date(2026, 2, 15))
    later = svc.loan_view(world.db, am, loan)
    assert Decimal(later["balances"]["principal_outstanding"]) < outstanding
    with world.db.read() as s:
        assert "servicing.restructuring" in set(s.scalars(select(AuditEntry.command)))


FAVOURABLE = {
    "lawful": True,
    "operating": True,
    "funds_diverted": False,
    "missed_interest": False,
    "evaded_debt": False,
}


def test_renewal_needs_the_process_before_maturity(world):
    loan = make_loan(world, months=12, method="interest-only")
    ap = world.actor("s_ap")
    set_business_date(world, dt.date(2026, 12, 1))
    common = dict(
        borrower_size="small",
        purpose="working_capital",
        annual_rate=Decimal("0.05"),
        installments=12,
        reason="renew the working-capital loan",
        conditions=FAVOURABLE,
    )
    with pytest.raises(ValidationFailed) as err:
        svc.renew_loan(
            world.db,
            ap,
            loan,
            applied_on=dt.date(2026, 12, 1),
            investigation_done_on=None,
            contracts_signed_on=None,
            **common,
        )
    assert "renewal refused" in err.value.detail
    # unpaid, the loan is past due: a borrower in difficulty is restructured, never renewed
    with pytest.raises(ValidationFailed) as err:
        svc.renew_loan(
            world.db,
            ap,
            loan,
            applied_on=dt.date(2026, 11, 20),
            investigation_done_on=dt.date(2026, 11, 28),
            contracts_signed_on=dt.date(2026, 12, 1),
            **common,
        )
    assert "days past due" in err.value.detail and "restructured" in err.value.detail
    due = svc.loan_view(world.db, ap, loan)["balances"]["total_due_now"]
    svc.record_payment(
        world.db, world.actor("s_am"), loan, amount=due, value_date=dt.date(2026, 12, 1)
    )
    out = svc.renew_loan(
        world.db,
        ap,
        loan,
        applied_on=dt.date(2026, 11, 20),
        investigation_done_on=dt.date(2026, 11, 28),
        contracts_signed_on=dt.date(2026, 12, 1),
        **common,
    )
    assert out["effective_from"] == "2027-01-15"
    assert out["facts"] == {"new_loan_repays_old": True, "eligible_renewal": True}
    # the renewed loan stays normal (no floor from the renewal)
    view = svc.loan_view(world.db, ap, loan, as_of=dt.date(2027, 1, 20))
    assert view["balances"]["schedule_kind"] == "renewal"
    assert view["floor"]["value"] == "normal"


def test_extension_and_restructuring(world):
    """One database setup for several checks (each on its own loans)."""
    _extension_continues_the_principal_to_the_new_maturity(world)
    _restructuring_sets_the_substandard_floor_and_backdating_still_replays(world)


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        (None, "conditions.lawful"),
        ({**FAVOURABLE, "evaded_debt": None}, "conditions.evaded_debt"),
        (
            {k: v for k, v in FAVOURABLE.items() if k != "funds_diverted"},
            "conditions.funds_diverted",
        ),
        ({**FAVOURABLE, "solvent": True}, "conditions.solvent"),
    ],
)
def test_renewal_conditions_are_answered_never_assumed(world, conditions, field):
    """§7a ties the renewed loan's normal class to five facts: each must be answered; a missing
    one is refused naming it, not taken as favourable."""
    loan = make_loan(world, months=12, method="interest-only")
    with pytest.raises(ValidationFailed) as err:
        svc.renew_loan(
            world.db,
            world.actor("s_ap"),
            loan,
            borrower_size="small",
            purpose="working_capital",
            applied_on=dt.date(2026, 11, 20),
            investigation_done_on=dt.date(2026, 11, 28),
            contracts_signed_on=dt.date(2026, 12, 1),
            annual_rate=Decimal("0.05"),
            installments=12,
            reason="renew",
            conditions=conditions,
        )
    assert err.value.field == field
