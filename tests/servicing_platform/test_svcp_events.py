"""Money events: immutable rows, idempotent repayments (also under concurrent retries),
prepayment modes, backdating, reversal by maker-checker, tenancy."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from svcp_world import make_loan, set_business_date

from techfin.credit import servicing as dom
from techfin.services import servicing as svc
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import AuditEntry
from techfin.store.tables_origination import Loan
from techfin.store.tables_servicing import SvcEvent


def _count(world, loan_id: int) -> int:
    with world.db.read() as s:
        return int(s.scalar(select(func.count(SvcEvent.id)).where(SvcEvent.loan_id == loan_id)))


def _idempotent_retry_returns_first_result_and_creates_nothing(world):
    loan = make_loan(world)
    am = world.actor("s_am")
    first = svc.record_payment(world.db, am, loan, amount="5000.00", idempotency_key="pay-1")
    again = svc.record_payment(world.db, am, loan, amount="5000.00", idempotency_key="pay-1")
    assert first["idempotent_replay"] is False and again["idempotent_replay"] is True
    assert again["event"] == first["event"] and again["balances"] == first["balances"]
    assert _count(world, loan) == 1
    with pytest.raises(Conflict) as err:
        svc.record_payment(world.db, am, loan, amount="5000.01", idempotency_key="pay-1")
    assert err.value.field == "Idempotency-Key"
    assert _count(world, loan) == 1
    # without a key every call is a new event
    svc.record_payment(world.db, am, loan, amount="1.00")
    svc.record_payment(world.db, am, loan, amount="1.00")
    assert _count(world, loan) == 3


def test_concurrent_retries_with_one_key_create_one_event(world):
    loan = make_loan(world)
    am = world.actor("s_am")
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        barrier.wait()
        try:
            results.append(
                svc.record_payment(world.db, am, loan, amount="2500.00", idempotency_key="same")
            )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 6
    assert {r["event"]["event_id"] for r in results} == {results[0]["event"]["event_id"]}
    assert sum(not r["idempotent_replay"] for r in results) == 1
    assert _count(world, loan) == 1


def _balances_equal_a_pure_replay_of_the_stored_events(world):
    loan = make_loan(world)
    am = world.actor("s_am")
    set_business_date(world, dt.date(2026, 5, 20))
    svc.record_payment(world.db, am, loan, amount="10327.97", value_date=dt.date(2026, 2, 15))
    # a backdated payment entered later, value-dated before the last one
    svc.record_payment(world.db, am, loan, amount="3000.00", value_date=dt.date(2026, 2, 1))
    svc.record_payment(world.db, am, loan, amount="8000.00", value_date=dt.date(2026, 4, 20))
    view = svc.loan_view(world.db, world.actor("s_rm"), loan)
    with world.db.read() as s:
        rows = list(s.scalars(select(SvcEvent).where(SvcEvent.loan_id == loan)))
        loan_row = s.get(Loan, loan)
        terms = svc.terms_from_json(dict(loan_row.terms))
        entered = [svc.to_event(r) for r in reversed(rows)]
    events = [dom.Disbursement("disbursement", terms.start, terms.principal), *entered]
    state = dom.replay(dom.Contract(str(loan), terms), events, dt.date(2026, 5, 20))
    assert view["balances"]["principal_outstanding"] == str(state.principal_outstanding)
    assert view["balances"]["penalty_interest"] == str(state.penalty_interest)
    assert view["balances"]["days_past_due"] == state.days_past_due
    assert Decimal(view["balances"]["total_paid"]) == Decimal("21327.97")


def _prepayment_modes_rebuild_the_schedule(world):
    am = world.actor("s_am")
    set_business_date(world, dt.date(2026, 3, 1))
    a = make_loan(world)
    b = make_loan(world)
    ra = svc.record_payment(
        world.db, am, a, amount="60000.00", kind="prepayment", mode="reamortise"
    )
    rb = svc.record_payment(
        world.db, am, b, amount="60000.00", kind="prepayment", mode="reduce-term"
    )
    assert ra["balances"]["principal_outstanding"] == rb["balances"]["principal_outstanding"]
    va = svc.loan_view(world.db, am, a)
    vb = svc.loan_view(world.db, am, b)
    assert len(vb["schedule"]) < len(va["schedule"])  # shorter term
    assert va["schedule"][-1]["due_date"] == "2027-01-15"  # same dates, lower installment
    with pytest.raises(ValidationFailed):
        svc.record_payment(world.db, am, a, amount="1.00", kind="repayment", mode="reduce-term")


def _value_dates_and_amounts_are_checked(world):
    loan = make_loan(world)
    am = world.actor("s_am")
    for bad in ("0", "-5", "1.001", "abc"):
        with pytest.raises(ValidationFailed) as err:
            svc.record_payment(world.db, am, loan, amount=bad)
        assert err.value.field == "amount"
    with pytest.raises(ValidationFailed):
        svc.record_payment(world.db, am, loan, amount="1.00", value_date=dt.date(2030, 1, 1))
    with pytest.raises(ValidationFailed):
        svc.record_payment(world.db, am, loan, amount="1.00", value_date=dt.date(2025, 1, 1))
    assert _count(world, loan) == 0


def test_reversal_is_maker_checker_and_replays_without_the_event(world):
    loan = make_loan(world)
    am, rm, rm2 = world.actor("s_am"), world.actor("s_rm"), world.actor("s_rm2")
    set_business_date(world, dt.date(2026, 3, 1))
    before = svc.loan_view(world.db, rm, loan)["balances"]
    paid = svc.record_payment(
        world.db, am, loan, amount="10327.97", value_date=dt.date(2026, 2, 15)
    )
    eid = paid["event"]["event_id"]
    # a risk manager as maker cannot check their own request
    req = svc.request_reversal(world.db, rm, loan, event_id=eid, reason="wrong account")
    with pytest.raises(Forbidden):
        svc.decide_reversal(world.db, rm, req["id"], approve=True)
    with pytest.raises(Conflict):
        svc.request_reversal(world.db, am, loan, event_id=eid, reason="again")
    done = svc.decide_reversal(world.db, rm2, req["id"], approve=True, note="checked")
    assert done["status"] == "approved"
    after = svc.loan_view(world.db, rm, loan)
    assert after["balances"]["principal_outstanding"] == before["principal_outstanding"]
    assert after["balances"]["days_past_due"] == 14
    assert [e["reversed"] for e in after["events"]] == [True, False]
    assert _count(world, loan) == 2  # the repayment row stays; a reversal row was added
    with pytest.raises(ValidationFailed):
        svc.request_reversal(
            world.db, am, loan, event_id=after["events"][1]["event_id"], reason="x"
        )
    with world.db.read() as s:
        commands = set(s.scalars(select(AuditEntry.command)))
    assert {"servicing.reversal_requested", "servicing.reversal_approved"} <= commands


def _account_manager_cannot_check_and_other_bank_sees_nothing(world):
    loan = make_loan(world)
    am = world.actor("s_am")
    paid = svc.record_payment(world.db, am, loan, amount="100.00")
    req = svc.request_reversal(
        world.db, am, loan, event_id=paid["event"]["event_id"], reason="typo"
    )
    with pytest.raises(Forbidden):
        svc.decide_reversal(world.db, world.actor("s_am2"), req["id"], approve=True)
    other = world.actor("o_am")
    with pytest.raises(NotFound):
        svc.record_payment(world.db, other, loan, amount="1.00")
    with pytest.raises(NotFound):
        svc.loan_view(world.db, other, loan)
    assert all(x["id"] != loan for x in svc.loans(world.db, other))


def _entering_the_same_events_in_any_order_gives_the_same_balances(world):
    am = world.actor("s_am")
    set_business_date(world, dt.date(2026, 6, 1))
    events = [
        dict(amount="10331.20", value_date=dt.date(2026, 2, 15)),
        dict(amount="5000.00", value_date=dt.date(2026, 3, 20)),
        dict(
            amount="30000.00", value_date=dt.date(2026, 4, 2), kind="prepayment", mode="reduce-term"
        ),
        dict(amount="150.00", value_date=dt.date(2026, 3, 1), kind="fee", description="appraisal"),
        dict(amount="620.00", value_date=dt.date(2026, 5, 15)),
    ]
    orders = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]]
    seen = []
    for order in orders:
        loan = make_loan(world)
        for i in order:
            svc.record_payment(world.db, am, loan, **events[i])
        balances = svc.loan_view(world.db, am, loan)["balances"]
        balances.pop("loan_id")
        seen.append(balances)
    assert seen[0] == seen[1] == seen[2]
    assert seen[0]["total_paid"] == "45951.20"  # the fee is charged, not paid


def test_idempotency_validation_and_tenancy(world):
    """One database setup for several checks (each on its own loans)."""
    _idempotent_retry_returns_first_result_and_creates_nothing(world)
    _value_dates_and_amounts_are_checked(world)
    _account_manager_cannot_check_and_other_bank_sees_nothing(world)


def test_replay_backdating_order_and_prepayment(world):
    """One database setup for several checks (each on its own loans)."""
    _balances_equal_a_pure_replay_of_the_stored_events(world)
    _prepayment_modes_rebuild_the_schedule(world)
    _entering_the_same_events_in_any_order_gives_the_same_balances(world)
