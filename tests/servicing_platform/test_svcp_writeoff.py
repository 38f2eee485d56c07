"""Write-off (核销) by maker-checker: refused below doubtful naming the reason, a risk manager
requests and an approver other than the maker approves; the `write_off` event stops accrual and
sets the status; later money is a recovery; day-end passes over a written-off loan; audited;
the API and the loan page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.app import create_app
from techfin.credit.credit_register_report import read_report
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services import users
from techfin.services.context import Actor
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import AuditEntry, Institution
from techfin.store.tables_origination import Loan
from techfin.store.tables_servicing import SvcEvent, SvcPosition

D = Decimal
EVIDENCE = "法院终结本次执行裁定书 (2026) 京0108执1234号, 追索记录"


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


def test_write_off_maker_checker_balances_recovery_and_day_end(world):
    loan = make_loan(world)
    am, rm, rm2, ap = (world.actor(u) for u in ("s_am", "s_rm", "s_rm2", "s_ap"))
    set_business_date(world, dt.date(2026, 6, 1))  # row 1 unpaid since 02-15: 106 days
    with pytest.raises(ValidationFailed) as low:
        svc.request_write_off(world.db, rm, loan, reason="借款人停产", evidence=EVIDENCE)
    assert low.value.field == "risk_class"
    assert "substandard" in low.value.detail and "doubtful" in low.value.detail
    with pytest.raises(Forbidden):  # an account manager does not request a write-off
        svc.request_write_off(world.db, am, loan, reason="x", evidence=EVIDENCE)
    with pytest.raises(ValidationFailed) as thin:
        svc.request_write_off(world.db, rm, loan, reason="x", evidence="见附件")
    assert thin.value.field == "evidence"

    # staff judge it doubtful (worse than the floor), signed off by another: now allowed
    proposed = svc.propose_class(
        world.db, am, loan, judged_class="doubtful", rationale="停产, 担保人失联"
    )
    svc.sign_off_class(world.db, rm2, proposed["id"], approve=True)
    made = svc.request_write_off(world.db, rm, loan, reason="借款人停产", evidence=EVIDENCE)
    assert made["status"] == "pending"
    assert made["conditions"]["checks"][0]["last_signed_off"] == "doubtful"
    with pytest.raises(Conflict):  # one pending request at a time
        svc.request_write_off(world.db, rm2, loan, reason="again", evidence=EVIDENCE)
    with pytest.raises(Forbidden):  # the maker cannot decide
        svc.decide_write_off(world.db, rm, made["id"], approve=True)
    with pytest.raises(NotFound):  # another bank sees nothing
        svc.decide_write_off(world.db, _other_bank_approver(world), made["id"], approve=True)

    before = svc.loan_view(world.db, am, loan)["balances"]
    done = svc.decide_write_off(world.db, ap, made["id"], approve=True, note="核销审批通过")
    assert done["status"] == "approved" and done["value_date"] == "2026-06-01"
    view = svc.loan_view(world.db, am, loan)
    b = view["balances"]
    assert view["loan"]["status"] == "written_off" and b["status"] == "written_off"
    assert D(b["principal_outstanding"]) == 0 and D(b["interest_accrued"]) == 0
    assert D(b["written_off"]["principal"]) == D(before["principal_outstanding"])
    assert D(b["written_off"]["penalty_interest"]) == D(before["penalty_interest"])
    assert D(b["total_due_now"]) == 0
    wo = [e for e in view["events"] if e["kind"] == "write_off"]
    assert len(wo) == 1 and wo[0]["value_date"] == "2026-06-01"
    assert wo[0]["approved_by"] == ap.user_id and wo[0]["entered_by"] == rm.user_id

    # accrual stops: a month later nothing more is charged
    set_business_date(world, dt.date(2026, 7, 1))
    later = svc.loan_view(world.db, am, loan)["balances"]
    assert later["penalty_accrued_total"] == b["penalty_accrued_total"]
    assert later["compound_accrued_total"] == b["compound_accrued_total"]
    assert D(later["interest_accrued"]) == 0 and later["days_past_due"] == 0

    # money received later is a recovery (the domain's rule), not a repayment of dues
    paid = svc.record_payment(world.db, am, loan, amount="5000.00")
    assert paid["balances"]["recoveries"] == "5000.00"
    entry = [e for e in svc.loan_view(world.db, am, loan)["ledger"] if e["kind"] == "repayment"]
    assert entry[-1]["allocations"] == [["recovery", "5000.00"]]

    # a write-off is not reversed; the written-off loan takes no new schedule or subsidy
    with pytest.raises(ValidationFailed) as rev:
        svc.request_reversal(world.db, am, loan, event_id=wo[0]["event_id"], reason="oops")
    assert rev.value.field == "event_id"
    with pytest.raises(Conflict):
        svc.extend_loan(world.db, ap, loan, new_maturity=dt.date(2027, 6, 15), reason="x")
    with pytest.raises(Conflict):
        svc.request_subsidy(world.db, am, loan, payer="区科技局", reference="R", share="0.5")
    with pytest.raises(Conflict):
        svc.request_write_off(world.db, rm, loan, reason="again", evidence=EVIDENCE)

    # day-end passes over the written-off loan (the positions step reads active and settled
    # loans only): no error, no new position for it
    with world.db.transaction() as s:
        inst = s.get(Institution, world.bank_id)
        mon.day_end_positions(s, inst, dt.date(2026, 7, 1))
        mon.day_end_classification(s, inst, dt.date(2026, 7, 1))
        mon.day_end_warnings(s, inst, dt.date(2026, 7, 1))
    with world.db.read() as s:
        rows = s.scalars(select(SvcPosition.as_of).where(SvcPosition.loan_id == loan)).all()
        assert dt.date(2026, 7, 1) not in rows
        assert s.get(Loan, loan).status == "written_off"
        commands = list(s.scalars(select(AuditEntry.command)))
    assert commands.count("servicing.write_off_requested") == 1
    assert commands.count("servicing.write_off_approved") == 1


def test_write_off_at_the_doubtful_floor_rejection_and_recheck(world):
    loan = make_loan(world)
    rm, ap = world.actor("s_rm"), world.actor("s_ap")
    set_business_date(world, dt.date(2026, 11, 20))  # row 1 unpaid 278 days: doubtful floor
    first = svc.request_write_off(world.db, rm, loan, reason="长期逾期", evidence=EVIDENCE)
    assert first["conditions"]["checks"][0]["floor"] == "doubtful"
    rejected = svc.decide_write_off(world.db, ap, first["id"], approve=False, note="先诉讼")
    assert rejected["status"] == "rejected"
    with world.db.read() as s:
        assert s.get(Loan, loan).status == "active"
        assert not s.scalars(select(SvcEvent).where(SvcEvent.kind == "write_off")).all()
    # conditions are checked again at approval: the borrower paid its arrears meanwhile
    second = svc.request_write_off(world.db, rm, loan, reason="长期逾期", evidence=EVIDENCE)
    due = svc.loan_view(world.db, world.actor("s_am"), loan)["balances"]["total_due_now"]
    svc.record_payment(world.db, world.actor("s_am"), loan, amount=due)
    with pytest.raises(ValidationFailed) as err:
        svc.decide_write_off(world.db, ap, second["id"], approve=True)
    assert err.value.field == "risk_class"
    with world.db.read() as s:
        assert s.get(Loan, loan).status == "active"  # nothing half-written


def _login(client: TestClient, username: str) -> str:
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    return csrf


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_write_off_over_the_api_and_the_loan_page(world, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHFIN_REPORT_DIR", str(tmp_path))
    loan = make_loan(world)
    client = TestClient(create_app(world.db, secret_key="test-secret"))

    def token(username: str) -> dict[str, str]:
        r = client.post("/api/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    rm, ap = token("s_rm"), token("s_ap")
    set_business_date(world, dt.date(2026, 6, 1))
    url = f"/api/loans/{loan}/write-off"
    low = client.post(url, json={"reason": "停产", "evidence": EVIDENCE}, headers=rm)
    assert low.status_code == 422
    assert low.headers["content-type"] == "application/problem+json"
    assert low.json()["field"] == "risk_class" and "doubtful" in low.json()["detail"]

    set_business_date(world, dt.date(2026, 11, 20))
    _login(client, "s_rm")
    html = client.get(f"/loans/{loan}").text
    assert 'id="write-off-form"' in html
    sent = client.post(
        f"/loans/{loan}/write-off",
        data={"csrf_token": _csrf(html), "reason": "长期逾期", "evidence": EVIDENCE},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "error" not in sent.headers["location"]
    wid = svc.loan_view(world.db, world.actor("s_rm"), loan)["write_offs"][0]["id"]
    own = client.post(f"/api/write-offs/{wid}/decision", json={"approve": True}, headers=rm)
    assert own.status_code == 403
    _login(client, "s_ap")
    html = client.get(f"/loans/{loan}").text
    assert "write-off-decision" in html and "write-off-pending" in html
    ok = client.post(
        f"/loans/{loan}/write-offs/{wid}",
        data={"csrf_token": _csrf(html), "decision": "approve", "note": "同意核销"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and "error" not in ok.headers["location"]
    html = client.get(f"/loans/{loan}").text
    assert 'id="written-off"' in html and 'id="bal-recoveries"' in html
    view = client.get(f"/api/loans/{loan}", headers=ap).json()
    assert view["loan"]["status"] == "written_off"
    assert view["write_offs"][0]["status"] == "approved"
    again = client.post(f"/api/write-offs/{wid}/decision", json={"approve": True}, headers=ap)
    assert again.status_code == 409
    # the credit-register report carries the written-off loan: status written_off, class loss
    report = client.post("/api/credit-register/reports", json={"as_of": "2026-11-20"}, headers=rm)
    assert report.status_code == 201, report.text
    rows = read_report(Path(report.json()["path"]).read_text(encoding="utf-8"))
    assert rows[0]["status"] == "written_off" and rows[0]["risk_class"] == "loss"
