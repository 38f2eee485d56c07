"""Origination on the bank's business date (营业日, decision 1057), on SQLite and PostgreSQL:
the credit file, the pricing, the contract's signing, a line's start, use-of-funds evidence and
the drawdown's value date are the institution's business date — set here to a day that is not
the wall clock's — and a value date after it, before the contract or backdated is refused
naming `value_date` (the API as a problem); a check after a day-end pays out on its own day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from orig_world import PASSWORD, OrigWorld, build_orig_world, set_business_date
from sqlalchemy import select

from techfin.app import create_app
from techfin.audit import chain
from techfin.services import origination as o
from techfin.services.errors import Conflict, ValidationFailed
from techfin.store.tables import AuditEntry
from techfin.store.tables_origination import Disbursement, FundUseEvidence, GroupLink, Loan

IP = [{"kind": "ip", "ip_type": "invention", "appraised_value": "8000000", "patent": "ZL1"}]
MILESTONES = [{"kind": "revenue", "text": "revenue ≥ 40m", "due": "2027-03-31"}]
# the bank's business date: not the wall clock's day (and inside the packaged LPR table, so the
# file is priced on it rather than on the table's last fixing)
DAY = dt.date(2025, 9, 10)


@pytest.fixture
def world(db) -> OrigWorld:
    return build_orig_world(db, business_date=DAY)


def _contract(w: OrigWorld) -> dict:
    """An approved (fixed-rate) application with its contract, conditions met."""
    app = o.open_application(
        w.db,
        w.actor("a_am"),
        enterprise_id=w.enterprise_id,
        product_code="ip_pledge_loan",
        amount=Decimal("1000000"),
        term_months=12,
        method="annuity",
        guarantee=["pledge"],
        collateral=IP,
    )
    o.update_file(
        w.db, w.actor("a_am"), app["id"], investigation_report="visited", milestones=MILESTONES
    )
    o.submit(w.db, w.actor("a_am"), app["id"])
    app = o.review(w.db, w.actor("a_reviewer"), app["id"], opinion="sound")
    if app["status"] == "experts":
        app = o.draw_experts(w.db, w.actor("a_reviewer"), app["id"], seed=7)
        for e in app["experts"]:
            o.submit_opinion(
                w.db, w.actor(e["expert"]), app["id"], score=75, support=True, opinion="ok"
            )
    app = o.decide(
        w.db,
        w.actor("a_approver"),
        app["id"],
        decision="approve",
        reason="ok",
        approved_rate=Decimal("0.041"),
    )
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    for c in app["contract"]["conditions"]:
        o.meet_condition(w.db, w.actor("a_am"), c["id"], evidence="reg. 001")
    return o.get_application(w.db, w.actor("a_am"), app["id"])


def _refused(w: OrigWorld, contract_id: int, value_date: dt.date) -> str:
    with pytest.raises(ValidationFailed) as exc:
        o.request_disbursement(w.db, w.actor("a_am"), contract_id, value_date=value_date)
    assert exc.value.field == "value_date", exc.value.detail
    return exc.value.detail


def test_the_file_pricing_contract_and_loan_are_dated_by_the_business_date(world):
    w = world
    assert dt.date.today() != DAY
    app = _contract(w)
    assert app["file"]["assembled_on"] == DAY.isoformat()
    assert app["file"]["pricing"]["priced_on"] == DAY.isoformat()
    assert app["contract"]["signed_on"] == DAY.isoformat()
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    assert d["value_date"] == DAY.isoformat()  # the default: the business date, not the clock
    d = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    loan = o.get_loan(w.db, w.actor("a_am"), d["loan_id"])
    assert loan["start_date"] == DAY.isoformat()
    view = o.record_fund_use(
        w.db, w.actor("a_am"), d["loan_id"], amount=Decimal("1000"), description="wafers"
    )
    assert view["fund_use"]["evidence"][0]["recorded_on"] == DAY.isoformat()
    with w.db.read() as s:
        row = s.scalar(select(FundUseEvidence).where(FundUseEvidence.loan_id == d["loan_id"]))
        assert row is not None and row.recorded_on == DAY


def test_evidence_cannot_predate_its_loan(world):
    w = world
    app = _contract(w)
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    d = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    set_business_date(w.db, "BANKA", DAY - dt.timedelta(days=1))  # set back by hand
    with pytest.raises(Conflict) as exc:
        o.record_fund_use(
            w.db, w.actor("a_am"), d["loan_id"], amount=Decimal("1000"), description="wafers"
        )
    assert exc.value.field == "business_date"
    with w.db.read() as s:
        assert s.scalar(select(FundUseEvidence.id)) is None


def test_a_line_and_a_group_link_start_on_the_business_date(world):
    w = world
    line = o.set_credit_line(
        w.db,
        w.actor("a_risk"),
        enterprise_id=w.enterprise_id,
        scope="customer",
        limit_amount=Decimal("5000000"),
    )
    assert line["valid_from"] == DAY.isoformat()
    assert line["valid_to"] == DAY.replace(year=DAY.year + 1).isoformat()
    o.add_group_link(
        w.db,
        w.actor("a_am"),
        owner_enterprise_id=w.enterprise_id,
        owned_enterprise_id=w.other_enterprise_id,
    )
    with w.db.read() as s:
        assert s.scalar(select(GroupLink.as_of)) == DAY


def test_a_value_date_in_the_future_before_the_contract_or_backdated_is_refused(world):
    w = world
    signed = DAY - dt.timedelta(days=10)
    set_business_date(w.db, "BANKA", signed)
    app = _contract(w)
    cid = app["contract"]["id"]
    assert app["contract"]["signed_on"] == signed.isoformat()
    set_business_date(w.db, "BANKA", DAY)
    assert "after the business date" in _refused(w, cid, DAY + dt.timedelta(days=1))
    assert "before the contract was signed" in _refused(w, cid, signed - dt.timedelta(days=1))
    assert "no backdating" in _refused(w, cid, DAY - dt.timedelta(days=3))
    assert "no backdating" in _refused(w, cid, signed)
    with w.db.read() as s:
        assert s.scalar(select(Disbursement.id)) is None  # nothing half-written
    # the business date itself, given explicitly, is the value date
    d = o.request_disbursement(w.db, w.actor("a_am"), cid, value_date=DAY)
    assert d["value_date"] == DAY.isoformat()


def test_a_business_date_before_the_signing_is_refused(world):
    w = world
    app = _contract(w)
    set_business_date(w.db, "BANKA", DAY - dt.timedelta(days=1))  # set back by hand
    with pytest.raises(Conflict) as exc:
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    assert exc.value.field == "value_date"


def test_a_credit_line_not_in_force_on_the_value_date_is_refused_naming_it(world):
    w = world
    app = _contract(w)
    o.set_credit_line(
        w.db,
        w.actor("a_risk"),
        enterprise_id=w.enterprise_id,
        scope="customer",
        limit_amount=Decimal("5000000"),
        valid_from=DAY - dt.timedelta(days=300),
        valid_to=DAY - dt.timedelta(days=1),
    )
    with pytest.raises(Conflict) as exc:
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    assert exc.value.field == "value_date" and "credit line" in exc.value.detail


def test_a_request_checked_after_a_day_end_is_paid_out_on_the_check_s_day(world):
    w = world
    app = _contract(w)
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    assert d["value_date"] == DAY.isoformat()
    nxt = DAY + dt.timedelta(days=1)
    set_business_date(w.db, "BANKA", nxt)  # day-end ran before the check
    done = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    assert done["value_date"] == nxt.isoformat()
    with w.db.read() as s:
        loan = s.get(Loan, done["loan_id"])
        assert loan is not None and loan.start_date == nxt
        entry = s.scalar(select(AuditEntry).where(AuditEntry.command == "origination.disburse"))
        assert entry is not None  # the requested date before, the paid-out one after
        assert entry.before_digest == chain.digest({"value_date": DAY.isoformat()})
        assert entry.after_digest == chain.digest(
            {
                "loan": loan.id,
                "amount": "1000000.00",
                "mode": done["payment_mode"],
                "value_date": nxt.isoformat(),
            }
        )


def test_the_api_refuses_a_future_value_date_as_a_problem_naming_it(world):
    w = world
    app = _contract(w)
    client = TestClient(create_app(w.db, secret_key="test-secret"))
    token = client.post("/api/token", json={"username": "a_am", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    path = f"/api/origination/contracts/{app['contract']['id']}/disbursements"
    r = client.post(
        path, headers=headers, json={"value_date": (DAY + dt.timedelta(days=1)).isoformat()}
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "value_date"
    r = client.post(path, headers=headers, json={})
    assert r.status_code == 201, r.text
    assert r.json()["value_date"] == DAY.isoformat()


def test_the_demo_originates_its_loans_on_their_own_business_days(db):
    """The demo seeder takes each disbursed example from file to loan on its own business day
    (never a backdated drawdown), and gives the banks' business dates back."""
    if db.dialect != "sqlite":
        pytest.skip("database-independent control: SQLite only (time budget)")
    from techfin.services import demo
    from techfin.store.tables import BusinessDate
    from techfin.store.tables_origination import Application, Contract

    report = demo.load(db, enterprises=300)
    seeded = report["origination_demo"]
    loans = seeded["BANK-HX"]["loans"] + seeded["BANK-JN"]["loans"]
    assert len(loans) == 4
    back = {
        (demo.DEMO_AS_OF - dt.timedelta(days=n)) for n in (75, 40, 20)
    }  # origination_demo.DISBURSED_DAYS_BEFORE
    with db.read() as s:
        for loan_id in loans:
            loan = s.get(Loan, loan_id)
            assert loan is not None and loan.contract_id is not None
            contract = s.get(Contract, loan.contract_id)
            app = s.get(Application, loan.application_id)
            assert contract is not None and app is not None
            assert loan.start_date in back
            assert contract.terms["signed_on"] == loan.start_date.isoformat()
            assert app.file["assembled_on"] == loan.start_date.isoformat()
            for e in s.scalars(select(FundUseEvidence).where(FundUseEvidence.loan_id == loan_id)):
                assert e.recorded_on == loan.start_date
        assert {b.business_date for b in s.scalars(select(BusinessDate))} == {demo.DEMO_AS_OF}
