"""Floating-rate approvals (LPR + spread, repriced) from the approval to the loan, on SQLite and
PostgreSQL: the approval's rate terms, the contract's wording, the loan's starting rate from the
LPR in force on its value date (the packaged 2024 fixings, so the figures are stable), and every
refusal naming its field. A fixed approval is unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from orig_world import (
    PASSWORD,
    OrigWorld,
    build_orig_world,
    head_office_refers_grade_to_committee,
    set_business_date,
)
from sqlalchemy import select

from techfin.app import create_app
from techfin.credit.pricing import load_lpr_table
from techfin.services import origination as o
from techfin.services.errors import ValidationFailed
from techfin.store.tables import AuditEntry
from techfin.store.tables_origination import Loan

IP = [{"kind": "ip", "ip_type": "invention", "appraised_value": "8000000", "patent": "ZL1"}]
MILESTONES = [{"kind": "revenue", "text": "2026 revenue ≥ 40m", "due": "2027-03-31"}]
# lpr.csv: 2024-06-20 1Y 3.45 %, 5Y+ 3.95 % — in force on 2024-06-25, the bank's business date
# (origination dates everything by it: the approval's indicative rate, the contract, the drawdown)
VALUE_DATE = dt.date(2024, 6, 25)


@pytest.fixture
def world(db) -> OrigWorld:
    return build_orig_world(db, business_date=VALUE_DATE)


def _to_decision(w: OrigWorld, amount: str = "1000000", **kw) -> dict:
    args = {
        "enterprise_id": w.enterprise_id,
        "product_code": "ip_pledge_loan",
        "amount": Decimal(amount),
        "term_months": 24,
        "method": "annuity",
        "guarantee": ["pledge"],
        "collateral": IP,
    }
    args.update(kw)
    app = o.open_application(w.db, w.actor("a_am"), **args)
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
        app = o.get_application(w.db, w.actor("a_am"), app["id"])
    assert app["status"] in ("decision", "committee")
    return app


def _disburse(w: OrigWorld, app: dict, value_date: dt.date = VALUE_DATE) -> int:
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    for c in app["contract"]["conditions"]:
        o.meet_condition(w.db, w.actor("a_am"), c["id"], evidence="reg. 2024-001")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"], value_date=value_date)
    d = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    return int(d["loan_id"])


def test_floating_approval_to_a_loan_at_the_lpr_in_force_on_its_value_date_plus_the_spread(world):
    w = world
    app = _to_decision(w)
    app = o.decide(
        w.db,
        w.actor("a_approver"),
        app["id"],
        decision="approve",
        reason="LPR-linked",
        rate_type="floating",
        spread_bp=Decimal("-20"),
    )
    assert app["status"] == "approved"
    terms = app["approved_rate_terms"]
    assert terms["rate_type"] == "floating" and terms["spread_bp"] == "-20"
    assert terms["lpr_tenor"] == "1y" and terms["repricing"] == {"rule": "periodic", "months": 12}
    # indicative at approval: the LPR in force on the business date − 20 bp
    assert Decimal(app["approved_rate"]) == Decimal("0.0345") - Decimal("0.0020")

    contracted = o.make_contract(w.db, w.actor("a_am"), app["id"])["contract"]
    assert contracted["rate_text"] == "LPR 1Y − 20 bp, repriced every 12 months"
    assert contracted["rate_terms"]["spread_bp"] == "-20"
    for c in contracted["conditions"]:
        o.meet_condition(w.db, w.actor("a_am"), c["id"], evidence="reg. 2024-001")
    d = o.request_disbursement(w.db, w.actor("a_am"), contracted["id"], value_date=VALUE_DATE)
    d = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")

    loan = o.get_loan(w.db, w.actor("a_am"), d["loan_id"])
    # 3.45 % (2024-06-20 fixing) − 0.20 % = 3.25 %
    assert Decimal(loan["annual_rate"]) == Decimal("0.0325")
    assert loan["rate_text"] == "LPR 1Y − 20 bp, repriced every 12 months"
    with w.db.read() as s:
        row = s.get(Loan, d["loan_id"])
        assert row is not None
        assert Decimal(row.terms["annual_rate"]) == Decimal("0.0325")
        assert row.terms["floating"] == {
            "spread_bp": "-20",
            "lpr_tenor": "1y",
            "repricing": {"rule": "periodic", "months": 12},
            "anchor": "2024-06-25",
            "initial_fixing": {"fixing_date": "2024-06-20", "lpr": "0.0345", "tenor": "1y"},
        }
        commands = set(s.scalars(select(AuditEntry.command)))
    assert {"origination.approve", "origination.contract", "origination.disburse"} <= commands
    # first row: 1,000,000 × 3.25 % × 30 / 360 (25 June → 25 July) = 2,708.33
    assert loan["schedule"][0]["due_date"] == "2024-07-25"
    assert loan["schedule"][0]["interest"] == "2708.33"

    # servicing reprices the loan origination made: on the anniversary 2025-06-25 the LPR in
    # force is 3.00 % (2025-06-20) → 2.80 % (docs/servicing-platform.md, "Floating-rate loans")
    from techfin.services import servicing as svc

    view = svc.loan_view(w.db, w.actor("a_am"), d["loan_id"], as_of=dt.date(2025, 7, 1))
    assert view["rate"]["current_rate"] == "0.0280"
    assert [(r["date"], r["fixing_date"]) for r in view["rate"]["repricings"]] == [
        ("2025-06-25", "2025-06-20")
    ]


def test_five_year_tenor_and_the_january_rule(world):
    w = world
    app = _to_decision(w)
    app = o.decide(
        w.db,
        w.actor("a_approver"),
        app["id"],
        decision="approve",
        reason="long-dated",
        rate_type="floating",
        spread_bp="15",
        lpr_tenor="5y+",
        repricing_rule="january-1",
    )
    assert app["approved_rate_text"] == "LPR 5Y+ + 15 bp, repriced each 1 January"
    loan_id = _disburse(w, app)
    loan = o.get_loan(w.db, w.actor("a_am"), loan_id)
    assert Decimal(loan["annual_rate"]) == Decimal("0.0395") + Decimal("0.0015")


def test_a_fixed_approval_is_unchanged(world):
    w = world
    app = _to_decision(w)
    app = o.decide(
        w.db,
        w.actor("a_approver"),
        app["id"],
        decision="approve",
        reason="fixed",
        approved_rate=Decimal("0.041"),
    )
    assert app["approved_rate_terms"] == {"rate_type": "fixed"}
    assert app["approved_rate_text"] == "fixed"
    loan_id = _disburse(w, app)
    with w.db.read() as s:
        row = s.get(Loan, loan_id)
        assert row is not None
        assert "floating" not in row.terms
        assert Decimal(row.annual_rate) == Decimal("0.041")


def test_refusals_name_their_field(world):
    w = world
    app = _to_decision(w)
    appr = w.actor("a_approver")

    def refused(field: str, **kw) -> str:
        with pytest.raises(ValidationFailed) as exc:
            o.decide(w.db, appr, app["id"], decision="approve", reason="x", **kw)
        assert exc.value.field == field, exc.value.detail
        return exc.value.detail

    refused("rate_type", rate_type="variable", spread_bp="10")
    refused("spread_bp", rate_type="floating")
    refused("spread_bp", rate_type="floating", spread_bp="ten")
    refused("spread_bp", rate_type="floating", spread_bp="0.001")
    refused("spread_bp", rate_type="fixed", spread_bp="10")
    refused("lpr_tenor", rate_type="floating", spread_bp="10", lpr_tenor="3y")
    refused("repricing_months", rate_type="floating", spread_bp="10", repricing_months=0)
    refused("repricing_rule", rate_type="floating", spread_bp="10", repricing_rule="monthly")
    refused("approved_rate", rate_type="floating", spread_bp="10", approved_rate=Decimal("0.04"))
    # a negative spread is allowed, one that takes the rate to zero or below is not
    today = load_lpr_table().in_force(VALUE_DATE).one_year
    text = refused("spread_bp", rate_type="floating", spread_bp=str(-today * 10000))
    assert "not above zero" in text
    refused("spread_bp", rate_type="floating", spread_bp=str(-today * 10000 - 5))
    assert o.get_application(w.db, w.actor("a_am"), app["id"])["status"] == "decision"


def test_the_value_date_must_have_an_lpr_fixing(world):
    w = world
    app = _to_decision(w)
    app = o.decide(
        w.db,
        w.actor("a_approver"),
        app["id"],
        decision="approve",
        reason="ok",
        rate_type="floating",
        spread_bp="30",
    )
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    for c in app["contract"]["conditions"]:
        o.meet_condition(w.db, w.actor("a_am"), c["id"], evidence="reg")
    # the business date has run past the platform's LPR table: the drawdown waits for fixings
    set_business_date(w.db, "BANKA", load_lpr_table().valid_until() + dt.timedelta(days=3))
    with pytest.raises(ValidationFailed) as exc:
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    assert exc.value.field == "value_date" and "LPR" in exc.value.detail
    with pytest.raises(ValidationFailed) as exc:
        o.request_disbursement(
            w.db, w.actor("a_am"), app["contract"]["id"], value_date=dt.date(2019, 1, 2)
        )
    assert exc.value.field == "value_date"


def test_the_committee_chair_sets_the_floating_terms(world):
    w = world
    head_office_refers_grade_to_committee(w.db)  # T7 at 16m is within its 0.6 × 30m
    app = _to_decision(w, "16000000", collateral=[{**IP[0], "appraised_value": "120000000"}])
    assert app["status"] == "committee"
    with pytest.raises(ValidationFailed) as exc:
        o.committee_vote(
            w.db,
            w.actor("a_member1"),
            app["id"],
            approve=True,
            reason="y",
            rate_type="floating",
            spread_bp="10",
        )
    assert exc.value.field == "rate_type"
    o.committee_vote(
        w.db,
        w.actor("a_chair"),
        app["id"],
        approve=True,
        reason="y",
        chair=True,
        rate_type="floating",
        spread_bp="10",
        repricing_months=6,
    )
    o.committee_vote(w.db, w.actor("a_member1"), app["id"], approve=True, reason="y")
    app = o.committee_vote(w.db, w.actor("a_member2"), app["id"], approve=True, reason="y")
    assert app["status"] == "approved"
    assert app["approved_rate_text"] == "LPR 1Y + 10 bp, repriced every 6 months"


def test_floating_approval_through_the_api(db):
    w = build_orig_world(db)
    client = TestClient(create_app(db, secret_key="test-secret"))

    def auth(username: str) -> dict[str, str]:
        r = client.post("/api/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    app = _to_decision(w)
    url = f"/api/origination/applications/{app['id']}/decision"
    bad = client.post(
        url,
        headers=auth("a_approver"),
        json={"decision": "approve", "reason": "x", "rate_type": "floating"},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["field"] == "spread_bp"
    r = client.post(
        url,
        headers=auth("a_approver"),
        json={
            "decision": "approve",
            "reason": "x",
            "rate_type": "floating",
            "spread_bp": "-10.5",
            "repricing_months": 3,
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["approved_rate_text"] == "LPR 1Y − 10.50 bp, repriced every 3 months"


def _login(client: TestClient, username: str) -> str:
    import re

    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)


def test_the_approval_form_and_the_contract_page(world):
    w = world
    app = _to_decision(w)
    client = TestClient(create_app(w.db, secret_key="test-secret"))
    csrf = _login(client, "a_approver")
    html = client.get(f"/origination/{app['id']}").text
    assert 'id="rate_type"' in html and 'id="spread_bp"' in html
    form = {"csrf_token": csrf, "decision": "approve", "reason": "LPR", "rate_type": "floating"}
    bad = client.post(f"/origination/{app['id']}/decision", data=form, follow_redirects=False)
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    assert "spread" in client.get(bad.headers["location"]).text
    done = client.post(
        f"/origination/{app['id']}/decision",
        data={**form, "spread_bp": "25", "lpr_tenor": "1y", "repricing_months": "12"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "error" not in done.headers["location"]
    o.make_contract(w.db, w.actor("a_am"), app["id"])
    _login(client, "a_am")
    html = client.get(f"/origination/{app['id']}").text
    assert 'id="contract-rate-terms">LPR 1Y + 25 bp, 重定价周期 12 个月<' in html


def test_the_committee_vote_form_takes_the_chairs_floating_terms(world):
    w = world
    head_office_refers_grade_to_committee(w.db)  # T7 at 16m is within its 0.6 × 30m
    app = _to_decision(w, "16000000", collateral=[{**IP[0], "appraised_value": "120000000"}])
    assert app["status"] == "committee"
    client = TestClient(create_app(w.db, secret_key="test-secret"))
    url = f"/origination/{app['id']}/vote"
    floating = {"rate_type": "floating", "spread_bp": "10", "repricing_months": "12"}
    csrf = _login(client, "a_member1")
    member = client.post(
        url,
        data={"csrf_token": csrf, "vote": "approve", "reason": "y", **floating},
        follow_redirects=False,
    )
    assert member.status_code == 303 and "error=" in member.headers["location"]
    csrf = _login(client, "a_chair")
    chair = client.post(
        url,
        data={"csrf_token": csrf, "vote": "approve", "reason": "y", "chair": "1", **floating},
        follow_redirects=False,
    )
    assert chair.status_code == 303 and "error" not in chair.headers["location"]
    o.committee_vote(w.db, w.actor("a_member1"), app["id"], approve=True, reason="y")
    app = o.committee_vote(w.db, w.actor("a_member2"), app["id"], approve=True, reason="y")
    assert app["approved_rate_text"] == "LPR 1Y + 10 bp, repriced every 12 months"
