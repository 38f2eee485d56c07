"""A suspected use of funds (a keyword hit) is reviewed by a risk manager after checking the
voucher: cleared (the suspicion stops counting) or confirmed (a recorded change of use with its
classification floor). Facts — a prohibited category — are not reviewable."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.app import create_app
from techfin.services import origination as orig
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import AuditEntry, Institution

DAY = dt.date(2026, 2, 10)


def _day_end(world, date: dt.date) -> None:
    with world.db.transaction() as s:
        inst = s.get(Institution, world.bank_id)
        mon.day_end_positions(s, inst, date)
        mon.day_end_classification(s, inst, date)
        mon.day_end_warnings(s, inst, date)


def _evidence(world, loan: int, description: str, category: str, who: str = "s_am") -> int:
    view = orig.record_fund_use(
        world.db,
        world.actor(who),
        loan,
        amount=Decimal("20000.00"),
        description=description,
        category=category,
    )
    return int(view["fund_use"]["evidence"][-1]["id"])


def _fired(world, loan: int, date: dt.date) -> set[str]:
    view = svc.loan_view(world.db, world.actor("s_rm"), loan, as_of=date)
    latest = [w for w in view["warnings"] if w["as_of"] == date.isoformat()]
    return {f["code"] for f in latest[0]["fired"]} if latest else set()


def test_cleared_suspicion_stops_counting_and_confirmed_sets_the_floor(world):
    cleared_loan, confirmed_loan = make_loan(world), make_loan(world)
    a = _evidence(world, cleared_loan, "预付购房款", "raw_materials")
    b = _evidence(world, confirmed_loan, "预付购房款", "raw_materials")
    _day_end(world, DAY)
    assert "funds_off_purpose" in _fired(world, cleared_loan, DAY)
    rm = world.actor("s_rm")
    out = mon.review_fund_use(
        world.db, rm, cleared_loan, a, outcome="cleared", note="voucher: steel for the workshop"
    )
    assert out["assessment"]["findings"] == []
    assert out["reviews"][0]["outcome"] == "cleared"
    mon.review_fund_use(
        world.db, rm, confirmed_loan, b, outcome="confirmed", note="voucher: flat deposit"
    )
    set_business_date(world, DAY + dt.timedelta(days=1))
    _day_end(world, DAY + dt.timedelta(days=1))
    assert "funds_off_purpose" not in _fired(world, cleared_loan, DAY + dt.timedelta(days=1))
    assert "funds_off_purpose" in _fired(world, confirmed_loan, DAY + dt.timedelta(days=1))
    view = svc.loan_view(world.db, rm, confirmed_loan, as_of=DAY + dt.timedelta(days=1))
    assert view["floor"]["value"] == "special_mention"
    finding = view["fund_use"]["assessment"]["findings"][0]
    assert finding["kind"] == "prohibited"
    assert "confirmed on 2026-02-10 by s_rm: voucher: flat deposit" in finding["reason"]
    calm = svc.loan_view(world.db, rm, cleared_loan, as_of=DAY + dt.timedelta(days=1))
    assert calm["floor"]["value"] == "normal"
    # the day before the review, the past stays as it was: the suspicion counted then
    before = svc.loan_view(world.db, rm, cleared_loan, as_of=DAY - dt.timedelta(days=1))
    assert before["fund_use"]["assessment"]["findings"] == []  # no evidence yet on the 9th
    with world.db.read() as s:
        commands = s.scalars(
            select(AuditEntry.command).where(AuditEntry.command == "servicing.fund_use_review")
        ).all()
    assert len(commands) == 2


def test_who_may_review_and_what(world):
    loan = make_loan(world)
    suspected = _evidence(world, loan, "预付购房款", "raw_materials", who="s_rm")
    fact = _evidence(world, loan, "认购银行理财产品", "wealth_products")
    plain = _evidence(world, loan, "采购钢材", "raw_materials")
    with pytest.raises(Forbidden):  # an account manager does not review
        mon.review_fund_use(
            world.db, world.actor("s_am"), loan, suspected, outcome="cleared", note="ok"
        )
    with pytest.raises(Forbidden, match="recorded the evidence"):
        mon.review_fund_use(
            world.db, world.actor("s_rm"), loan, suspected, outcome="cleared", note="ok"
        )
    rm2 = world.actor("s_rm2")
    for evidence in (fact, plain):  # a prohibited category is a fact; a plain use needs nothing
        with pytest.raises(Conflict) as err:
            mon.review_fund_use(world.db, rm2, loan, evidence, outcome="cleared", note="ok")
        assert err.value.field == "evidence"
    with pytest.raises(ValidationFailed) as err:
        mon.review_fund_use(world.db, rm2, loan, suspected, outcome="fine", note="ok")
    assert err.value.field == "outcome"
    with pytest.raises(ValidationFailed) as err:
        mon.review_fund_use(world.db, rm2, loan, suspected, outcome="cleared", note=" ")
    assert err.value.field == "note"
    other = make_loan(world)
    with pytest.raises(NotFound):  # the evidence is not this loan's
        mon.review_fund_use(world.db, rm2, other, suspected, outcome="cleared", note="ok")
    with pytest.raises((Forbidden, NotFound)):  # another bank's staff
        mon.review_fund_use(
            world.db, world.actor("o_am"), loan, suspected, outcome="cleared", note="ok"
        )
    done = mon.review_fund_use(world.db, rm2, loan, suspected, outcome="cleared", note="ok")
    kinds = sorted(f["kind"] for f in done["assessment"]["findings"])
    assert kinds == ["prohibited"]  # the fact stays


def test_review_over_http_and_on_the_loan_page(world):
    loan = make_loan(world)
    evidence = _evidence(world, loan, "预付购房款", "raw_materials")
    client = TestClient(create_app(world.db, secret_key="t"))
    token = client.post("/api/token", json={"username": "s_rm", "password": PASSWORD})
    rm = {"Authorization": f"Bearer {token.json()['access_token']}"}
    url = f"/api/loans/{loan}/fund-use/{evidence}/review"
    bad = client.post(url, json={"outcome": "maybe", "note": "x"}, headers=rm)
    assert bad.status_code == 422 and bad.json()["field"] == "outcome"
    page_client = TestClient(create_app(world.db, secret_key="t"))
    login = page_client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    page_client.post(
        "/login", data={"username": "s_rm", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    page = page_client.get(f"/loans/{loan}")
    assert 'id="fund-use-findings"' in page.text and "finding-suspected" in page.text
    form = f'action="/loans/{loan}/fund-use/{evidence}/review"'
    assert form in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    page_client.post(
        f"/loans/{loan}/fund-use/{evidence}/review",
        data={"csrf_token": csrf, "outcome": "confirmed", "note": "flat deposit"},
    )
    after = page_client.get(f"/loans/{loan}").text
    assert "finding-prohibited" in after and 'id="fund-use-reviews"' in after
    assert form not in after
    ok = client.post(url, json={"outcome": "cleared", "note": "second look: steel"}, headers=rm)
    assert ok.status_code == 201 and ok.json()["assessment"]["findings"] == []
