"""The demo's seeders: after `demo.load` the origination, rating and loan pages have data,
written through the services (audited, maker-checker kept), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from techfin.app import create_app
from techfin.services import audit, demo, origination, origination_demo, rating, rating_demo
from techfin.services import users as user_svc
from techfin.store.tables import User
from techfin.store.tables_origination import Application, ExpertOpinion, Loan, LoanScheduleRow
from techfin.store.tables_rating import EnterpriseRating, RatingOverride


def _actor(db, username):
    with db.read() as session:
        uid = session.scalar(select(User.id).where(User.username == username))
    return user_svc.actor_by_id(db, uid)


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    home = client.post(
        "/login",
        data={"username": username, "password": f"{username}#demo", "csrf_token": token[1]},
        follow_redirects=True,
    )
    assert home.status_code == 200 and 'id="who"' in home.text


def test_demo_seeds_origination_rating_and_loans(db):
    report = demo.load(db, enterprises=300)
    hx = report["origination_demo"]["BANK-HX"]
    assert "notes" not in hx, hx.get("notes")
    assert len(hx["loans"]) == 3 and report["origination_demo"]["BANK-JN"]["loans"]

    # every status of the path, both channels
    with db.read() as session:
        statuses = dict(
            session.execute(
                select(Application.status, func.count()).group_by(Application.status)
            ).all()
        )
        channels = set(session.scalars(select(Application.channel).distinct()))
        loan = session.scalar(select(Loan).where(Loan.id == hx["loans"][0]))
        assert loan is not None
        rows = session.scalar(
            select(func.count())
            .select_from(LoanScheduleRow)
            .where(LoanScheduleRow.loan_id == loan.id)
        )
        assert rows == loan.installments
    for s in ("draft", "submitted", "experts", "decision", "committee", "approved", "contracted"):
        assert statuses.get(s), s
    assert statuses["disbursed"] >= 4  # three at BANK-HX, one at BANK-JN (+ servicing's own)
    assert channels == {"tech", "ordinary"}

    # queues: the reviewer, an expert, the risk manager (committee) are not empty
    assert origination.queue(db, _actor(db, "hx.reviewer"))
    assert any(origination.queue(db, _actor(db, f"expert.exp-t00{i}")) for i in range(1, 5))
    assert origination.queue(db, _actor(db, "hx.risk_manager"))
    with db.read() as session:
        views = {
            r: set(
                session.scalars(
                    select(ExpertOpinion.recommendation).where(
                        ExpertOpinion.application_id == hx["applications"]["dissent"]
                    )
                )
            )
            for r in ("x",)
        }
    assert views["x"] == {"support", "oppose"}
    contracted = origination.get_application(
        db, _actor(db, "hx.am.11.1"), hx["applications"]["contracted"]
    )
    assert [c["status"] for c in contracted["contract"]["conditions"]] == ["open"]

    # rating: an approved champion and challenger, ratings, overrides by two users
    rt = report["rating_demo"]
    assert rt["models"] == ["hx-tech-pd@1 champion", "hx-tech-pd-lean@1 challenger"]
    models = rating.list_models(db, _actor(db, "hx.risk_manager"))
    roles = {m["role"]: m for m in models}
    assert roles["champion"]["status"] == "approved" and roles["challenger"]["status"] == "approved"
    assert roles["champion"]["developer"] != roles["champion"]["validator"]
    with db.read() as session:
        rated = session.scalars(select(EnterpriseRating).order_by(EnterpriseRating.id)).all()
        assert len(rated) == rating_demo.RATED
        assert all(r.model_ref == "hx-tech-pd@1" for r in rated)
        requesters = set(session.scalars(select(RatingOverride.requested_by)))
        assert len(requesters) == 2
        enterprise_id = rated[0].enterprise_id

    # the pages
    client = TestClient(create_app(db, secret_key="test-secret"))
    _login(client, "hx.reviewer")
    page = client.get("/origination")
    assert page.status_code == 200
    assert f"/origination/{hx['applications']['submitted']}" in page.text
    client.get("/logout")
    client = TestClient(create_app(db, secret_key="test-secret"))
    _login(client, "hx.am.11.1")
    page = client.get(f"/rating/enterprises/{enterprise_id}")
    assert page.status_code == 200 and re.search(r"\bT(10|[1-9])\b", page.text)
    page = client.get(f"/loans/{hx['loans'][0]}")
    assert page.status_code == 200
    # servicing_demo's subsidised loan and written-off loan, on the same bank's loan page
    sv = report["servicing_demo"]
    assert sv["loans"] == 5
    page = client.get(f"/loans/{sv['subsidised_loan']}")
    assert page.status_code == 200 and "区科技局" in page.text
    assert 'id="bal-subsidy-receivable"' in page.text
    page = client.get(f"/loans/{sv['written_off_loan']}")
    assert page.status_code == 200
    assert re.search(r'id="floor">[^<]*核销', page.text), "the written-off loan's class"

    # all of it audited, the chain intact; a second run changes nothing
    checked, broken = audit.verify(db)
    assert checked > 100 and broken is None
    again = origination_demo.seed(db, as_of=demo.DEMO_AS_OF)
    assert again["BANK-HX"].get("skipped") and rating_demo.seed(db, as_of=demo.DEMO_AS_OF).get(
        "skipped"
    )
