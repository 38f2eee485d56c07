"""The servicing demo seeder over a small demo world: five loans — one on time, one in special
mention, one substandard, one with an approved interest subsidy (区科技局 pays half the first
year's interest), one written off — with the day-end results; the loan page shows the last
two."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from techfin.app import create_app
from techfin.services import demo, users
from techfin.services import servicing as svc
from techfin.store.tables import AuditEntry, User
from techfin.store.tables_origination import Loan
from techfin.store.tables_servicing import SvcPosition, SvcSubsidyAgreement, SvcWriteOffRequest

D = Decimal


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    home = client.post(
        "/login",
        data={"username": username, "password": f"{username}#demo", "csrf_token": token[1]},
        follow_redirects=True,
    )
    assert home.status_code == 200


def test_demo_seed_shows_the_five_situations(db):
    """`demo.load` runs the servicing seeder (it is in `demo.DEMO_SEEDERS`)."""
    out = demo.load(db, enterprises=40)["servicing_demo"]
    assert out["loans"] == 5 and out["day_end"]["positions"]["past_due"] == 2
    # the day-end passes over the written-off loan
    assert out["day_end"]["positions"]["loans"] == 4
    with db.read() as s:
        floors = sorted(s.scalars(select(SvcPosition.floor)))
        subsidised = s.get(Loan, out["subsidised_loan"])
        written_off = s.get(Loan, out["written_off_loan"])
        assert subsidised is not None and written_off is not None
        am_name = s.scalar(
            select(User.username).where(
                User.institution_id == subsidised.institution_id, User.role == "account_manager"
            )
        )
        statuses = (subsidised.status, written_off.status)
        agreement = s.scalar(
            select(SvcSubsidyAgreement).where(SvcSubsidyAgreement.loan_id == subsidised.id)
        )
        request = s.scalar(
            select(SvcWriteOffRequest).where(SvcWriteOffRequest.loan_id == written_off.id)
        )
        commands = set(s.scalars(select(AuditEntry.command)))
        s.expunge_all()
    assert floors == ["normal", "normal", "special_mention", "substandard"]
    assert statuses == ("active", "written_off")

    # the subsidy: maker-checker, half the interest for the first year
    assert agreement is not None and agreement.status == "approved"
    assert agreement.payer == "区科技局" and D(agreement.share) == D("0.5")
    assert agreement.requested_by != agreement.checked_by
    # the write-off: a risk manager asked, an approver approved
    assert request is not None and request.status == "approved"
    assert request.requested_by != request.checked_by and request.write_off_event_id
    assert request.conditions["checks"][0]["floor"] == "loss"
    assert {
        "servicing.subsidy_requested",
        "servicing.subsidy_approved",
        "servicing.write_off_requested",
        "servicing.write_off_approved",
    } <= commands

    am = users.authenticate(db, am_name, f"{am_name}#demo")
    view = svc.loan_view(db, am, subsidised.id)
    b = view["balances"]
    schedule = view["schedule"]
    assert all("subsidy" in r for r in schedule)
    assert D(schedule[-1]["subsidy"]) == 0  # the first year only
    # the borrower paid its share on time; the payer one receipt (three rows), the rest owed
    assert b["days_past_due"] == 0 and D(b["interest_unpaid"]) == 0
    assert D(b["subsidy_received"]) == sum(D(r["subsidy"]) for r in schedule[:3])
    assert D(b["subsidy_receivable"]) > 0
    assert D(b["payoff_amount"]) < D(b["principal_outstanding"]) + D(b["interest_accrued"])
    lost = svc.loan_view(db, am, written_off.id)["balances"]
    assert lost["status"] == "written_off" and D(lost["written_off"]["principal"]) == D("800000")

    client = TestClient(create_app(db, secret_key="test-secret"))
    _login(client, am_name)
    page = client.get(f"/loans/{subsidised.id}")
    assert page.status_code == 200
    assert "区科技局" in page.text and 'id="bal-subsidy-received"' in page.text
    page = client.get(f"/loans/{written_off.id}")
    assert page.status_code == 200 and 'id="floor"' in page.text
