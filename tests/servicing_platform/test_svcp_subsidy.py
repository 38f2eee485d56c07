"""Interest-subsidy agreements (贴息) on platform loans: maker-checker request and decision, the
agreement as `Terms.subsidy` at replay (schedule rows carry the payer's and the borrower's
parts), the borrower billed only its share, subsidy receipts paying the payer's receivable,
backdated approval (the borrower's overpayment goes to suspense and pays later dues),
validation naming the field, tenancy, audit, and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.app import create_app
from techfin.services import servicing as svc
from techfin.services import users
from techfin.services.context import Actor
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import AuditEntry

D = Decimal
PAYER = "区科技局"
REF = "区科发〔2026〕12号"


def _other_bank_approver(world) -> Actor:
    with world.db.transaction() as s:
        users.add_user(
            s,
            Actor.system("test"),
            username="o_ap",
            password=PASSWORD,
            role="approver",
            institution_code="OBANK",
            display_name="o_ap",
        )
    return world.actor("o_ap")


def _approved(world, loan: int, **terms) -> dict:
    terms = terms or {"share": "0.5"}
    made = svc.request_subsidy(
        world.db, world.actor("s_rm"), loan, payer=PAYER, reference=REF, **terms
    )
    return svc.decide_subsidy(world.db, world.actor("s_rm2"), made["id"], approve=True)


def test_subsidy_maker_checker_schedule_and_the_borrowers_share(world):
    loan = make_loan(world)
    rm, rm2, am, ap = (world.actor(u) for u in ("s_rm", "s_rm2", "s_am", "s_ap"))
    set_business_date(world, dt.date(2026, 2, 20))
    made = svc.request_subsidy(
        world.db, rm, loan, payer=PAYER, reference=REF, share="0.5", notes="科技贷款贴息"
    )
    assert made["status"] == "pending" and made["share"] == "0.5"
    # nothing changes before approval
    assert "subsidy" not in svc.loan_view(world.db, am, loan)["schedule"][0]
    with pytest.raises(Conflict) as dup:  # one pending request per loan
        svc.request_subsidy(world.db, am, loan, payer=PAYER, reference="x", share="0.3")
    assert dup.value.field == "loan"
    with pytest.raises(Forbidden):  # the maker cannot decide
        svc.decide_subsidy(world.db, rm, made["id"], approve=True)
    with pytest.raises(Forbidden):  # an account manager is not a checker
        svc.decide_subsidy(world.db, am, made["id"], approve=True)
    other = _other_bank_approver(world)
    with pytest.raises(NotFound):  # another bank sees nothing
        svc.decide_subsidy(world.db, other, made["id"], approve=True)
    with pytest.raises(NotFound):
        svc.loan_view(world.db, other, loan)
    ok = svc.decide_subsidy(world.db, rm2, made["id"], approve=True, note="文件已核")
    assert ok["status"] == "approved" and ok["checked_by_name"] == "s_rm2"
    with pytest.raises(Conflict):
        svc.decide_subsidy(world.db, ap, made["id"], approve=False)

    view = svc.loan_view(world.db, am, loan)
    rows = view["schedule"]
    assert len(rows) == 12
    for r in rows:  # each row: the payer pays half the interest, the borrower the rest
        interest, subsidy = D(r["interest"]), D(r["subsidy"])
        assert abs(subsidy - interest / 2) <= D("0.01")
        assert D(r["borrower_interest"]) == interest - subsidy
        assert D(r["borrower_payment"]) == D(r["payment"]) - subsidy
    assert rows[0]["interest"] == "620.00" and rows[0]["subsidy"] == "310.00"
    assert view["subsidies"][0]["status"] == "approved"

    # The borrower pays only its share on time: not past due, floor normal, while the
    # payer's share is outstanding as the payer's receivable (no penalty, no compound).
    svc.record_payment(
        world.db, am, loan, amount=rows[0]["borrower_payment"], value_date=dt.date(2026, 2, 15)
    )
    b = svc.loan_view(world.db, am, loan)
    assert b["balances"]["days_past_due"] == 0 and b["floor"]["value"] == "normal"
    assert D(b["balances"]["interest_unpaid"]) == 0 and D(b["balances"]["overdue_principal"]) == 0
    assert D(b["balances"]["subsidy_receivable"]) == D("310.00")
    assert D(b["balances"]["compound_interest"]) == 0 and D(b["balances"]["penalty_interest"]) == 0
    assert D(b["balances"]["total_due_now"]) == 0

    # the payer's receipt: a different payer is refused, the agreement's payer pays
    with pytest.raises(ValidationFailed) as bad:
        svc.record_payment(
            world.db, am, loan, amount="310.00", kind="subsidy_receipt", payer="市财政局"
        )
    assert bad.value.field == "payer"
    paid = svc.record_payment(world.db, am, loan, amount="310.00", kind="subsidy_receipt")
    assert paid["event"]["payer"] == PAYER
    b = svc.loan_view(world.db, am, loan)["balances"]
    assert D(b["subsidy_receivable"]) == 0 and D(b["subsidy_received"]) == D("310.00")

    with world.db.read() as s:
        commands = list(s.scalars(select(AuditEntry.command)))
    assert commands.count("servicing.subsidy_requested") == 1
    assert commands.count("servicing.subsidy_approved") == 1


def test_unpaid_subsidy_never_makes_the_borrower_past_due(world):
    """The domain counts days past due on principal and the borrower's interest only; the
    platform keeps that: months later, with the payer's share never received, the borrower
    who paid its share is current and the receivable has grown row by row."""
    loan = make_loan(world)
    am = world.actor("s_am")
    _approved(world, loan, rate="0.02")  # the payer pays 2 points of the 6 % rate
    set_business_date(world, dt.date(2026, 5, 20))
    rows = svc.loan_view(world.db, am, loan)["schedule"]
    for r in rows[:4]:
        assert D(r["subsidy"]) == (D(r["interest"]) / 3).quantize(D("0.01"))
        svc.record_payment(
            world.db,
            am,
            loan,
            amount=r["borrower_payment"],
            value_date=dt.date.fromisoformat(r["due_date"]),
        )
    b = svc.loan_view(world.db, am, loan)
    assert b["balances"]["days_past_due"] == 0 and b["floor"]["value"] == "normal"
    assert D(b["balances"]["subsidy_receivable"]) == sum(D(r["subsidy"]) for r in rows[:4])


def test_backdated_approval_moves_the_overpayment_to_suspense(world):
    """The borrower paid row 1 in full before the agreement was approved; the agreement
    applies from disbursement, so the payer's part of row 1 (310.00) was overpaid by the
    borrower: it is held in suspense and pays the borrower's next due."""
    loan = make_loan(world)
    am = world.actor("s_am")
    set_business_date(world, dt.date(2026, 2, 20))
    row1 = svc.loan_view(world.db, am, loan)["schedule"][0]
    assert row1["payment"] == "10331.20"
    svc.record_payment(world.db, am, loan, amount="10331.20", value_date=dt.date(2026, 2, 15))
    before = svc.loan_view(world.db, am, loan)["balances"]
    assert D(before["suspense"]) == 0 and before["days_past_due"] == 0
    _approved(world, loan)
    after = svc.loan_view(world.db, am, loan)
    assert D(after["balances"]["suspense"]) == D("310.00")
    assert D(after["balances"]["subsidy_receivable"]) == D("310.00")
    row2 = after["schedule"][1]
    set_business_date(world, dt.date(2026, 3, 16))
    short = D(row2["borrower_payment"]) - D("310.00")
    svc.record_payment(world.db, am, loan, amount=str(short), value_date=dt.date(2026, 3, 15))
    v = svc.loan_view(world.db, am, loan)
    assert v["balances"]["days_past_due"] == 0 and D(v["balances"]["suspense"]) == 0
    applied = [e for e in v["ledger"] if e["kind"] == "suspense_applied"]
    assert applied and applied[0]["value_date"] == "2026-03-15"
    assert D(applied[0]["amount"]) == D("310.00")
    assert D(v["balances"]["subsidy_receivable"]) == D("310.00") + D(row2["subsidy"])


def test_validation_names_the_field_and_replacement_ends_the_old(world):
    loan = make_loan(world)
    am, rm2 = world.actor("s_am"), world.actor("s_rm2")

    def field(**kw) -> str:
        kw = {"payer": PAYER, "reference": REF, **kw}
        with pytest.raises(ValidationFailed) as err:
            svc.request_subsidy(world.db, am, loan, **kw)
        return err.value.field

    assert field(share="0") == "share"
    assert field(share="1.5") == "share"
    assert field(share="-0.1") == "share"
    assert field(share="abc") == "share"
    assert field() == "share"  # neither
    assert field(share="0.5", rate="0.01") == "rate"  # both
    assert field(rate="0.07") == "rate"  # more than the loan's 6 %
    assert field(share="0.5", until=dt.date(2026, 1, 10)) == "until"  # before the start
    assert field(share="0.5", payer=" ") == "payer"
    assert field(share="0.5", reference="") == "reference"
    with pytest.raises(Forbidden):
        svc.request_subsidy(world.db, world.actor("s_ap"), loan, payer=PAYER, reference=REF)

    first = _approved(world, loan, share="0.5", until=dt.date(2026, 4, 15))
    rows = svc.loan_view(world.db, am, loan)["schedule"]
    assert D(rows[2]["subsidy"]) > 0 and D(rows[3]["subsidy"]) == 0  # ends 04-15
    second = svc.request_subsidy(world.db, am, loan, payer=PAYER, reference=REF + "补", share="1")
    rejected = svc.decide_subsidy(world.db, rm2, second["id"], approve=False, note="未盖章")
    assert rejected["status"] == "rejected"
    third = svc.request_subsidy(world.db, am, loan, payer=PAYER, reference=REF + "补", share="1")
    svc.decide_subsidy(world.db, rm2, third["id"], approve=True)
    view = svc.loan_view(world.db, am, loan)
    by_id = {a["id"]: a for a in view["subsidies"]}
    assert by_id[first["id"]]["status"] == "ended"
    assert by_id[first["id"]]["replaced_by"] == third["id"]
    assert [a["status"] for a in view["subsidies"]].count("approved") == 1
    assert view["schedule"][5]["subsidy"] == view["schedule"][5]["interest"]  # all, no end


def test_subsidy_over_the_api_problem_json_and_tenancy(world):
    loan = make_loan(world)
    _other_bank_approver(world)
    client = TestClient(create_app(world.db, secret_key="test-secret"))

    def token(username: str) -> dict[str, str]:
        r = client.post("/api/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    am, rm, other = token("s_am"), token("s_rm"), token("o_ap")
    url = f"/api/loans/{loan}/subsidies"
    bad = client.post(url, json={"payer": PAYER, "reference": REF, "share": "0"}, headers=am)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["field"] == "share"
    both = client.post(
        url, json={"payer": PAYER, "reference": REF, "share": "0.5", "rate": "0.01"}, headers=am
    )
    assert both.status_code == 422 and both.json()["field"] == "rate"
    early = client.post(
        url,
        json={"payer": PAYER, "reference": REF, "share": "0.5", "until": "2026-01-01"},
        headers=am,
    )
    assert early.status_code == 422 and early.json()["field"] == "until"
    made = client.post(url, json={"payer": PAYER, "reference": REF, "share": "0.3"}, headers=am)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    own = client.post(f"/api/subsidies/{sid}/decision", json={"approve": True}, headers=am)
    assert own.status_code == 403
    theirs = client.post(f"/api/subsidies/{sid}/decision", json={"approve": True}, headers=other)
    assert theirs.status_code == 404
    assert client.post(url, json={"payer": PAYER, "reference": REF}, headers=other).status_code in (
        403,
        404,
    )
    ok = client.post(f"/api/subsidies/{sid}/decision", json={"approve": True}, headers=rm)
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    view = client.get(f"/api/loans/{loan}", headers=am).json()
    assert view["subsidies"][0]["payer"] == PAYER
    assert view["schedule"][0]["subsidy"] == "186.00"  # 620.00 × 0.3
    assert "subsidy_receivable" in view["balances"] and "subsidy_received" in view["balances"]
    assert client.get(f"/api/loans/{loan}", headers=other).status_code == 404


def test_subsidy_continues_across_an_extension_and_the_payer_keeps_its_accrued_part(world):
    """At a schedule change the borrower's arrears are carried as a cost line; the payer's
    half of the interest accrued since the last due date is not the borrower's: it stays in
    the payer's receivable, and the new segment carries the subsidy too."""
    loan = make_loan(world, months=6, method="equal-principal")
    am, ap = world.actor("s_am"), world.actor("s_ap")
    _approved(world, loan)
    set_business_date(world, dt.date(2026, 4, 20))
    for m in (2, 3, 4):
        svc.record_payment(world.db, am, loan, amount="20600.00", value_date=dt.date(2026, m, 15))
    before = svc.loan_view(world.db, am, loan)["balances"]
    assert before["interest_accrued"] == "50.00"  # 5 days, whole interest (both parts)
    svc.extend_loan(world.db, ap, loan, new_maturity=dt.date(2026, 9, 15), reason="orders late")
    after = svc.loan_view(world.db, am, loan)
    carry = [e for e in after["ledger"] if e["event_id"] == "seg1-carry"]
    assert carry[0]["amount"] == "25.00"  # the borrower's half only
    assert D(after["balances"]["subsidy_receivable"]) == D(before["subsidy_receivable"]) + D("25")
    assert all("subsidy" in r for r in after["schedule"])
    assert after["balances"]["schedule_kind"] == "extension"


def _login(client: TestClient, username: str) -> str:
    import re

    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    return csrf


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_loan_page_request_and_decide_forms(world):
    loan = make_loan(world)
    client = TestClient(create_app(world.db, secret_key="test-secret"))
    _login(client, "s_am")
    html = client.get(f"/loans/{loan}").text
    assert 'id="subsidy-form"' in html and 'id="allocation-order"' in html
    bad = client.post(
        f"/loans/{loan}/subsidies",
        data={"csrf_token": _csrf(html), "payer": PAYER, "reference": REF, "value": "2"},
        follow_redirects=False,
    )
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    made = client.post(
        f"/loans/{loan}/subsidies",
        data={"csrf_token": _csrf(html), "payer": PAYER, "reference": REF, "value": "0.5"},
        follow_redirects=False,
    )
    assert made.status_code == 303 and "error" not in made.headers["location"]
    html = client.get(f"/loans/{loan}").text
    assert "subsidy-pending" in html and "subsidy-decision" not in html  # an AM cannot decide
    _login(client, "s_rm")
    html = client.get(f"/loans/{loan}").text
    assert "subsidy-decision" in html
    sid = svc.loan_view(world.db, world.actor("s_rm"), loan)["subsidies"][0]["id"]
    done = client.post(
        f"/loans/{loan}/subsidies/{sid}",
        data={"csrf_token": _csrf(html), "decision": "approve", "note": "ok"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "error" not in done.headers["location"]
    html = client.get(f"/loans/{loan}").text
    assert "subsidy-approved" in html and 'id="bal-subsidy-receivable"' in html
    assert "310.00" in html  # row 1's subsidy in the schedule
