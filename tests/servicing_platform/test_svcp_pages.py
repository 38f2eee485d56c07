"""The loan pages offer every servicing command the API offers (issue 9 item 7), on SQLite and
PostgreSQL: reversal request and decision (maker-checker), extension, renewal and
restructuring (with the floating-rate option), milestone progress, review reports, tasks, the
watch list (add, remove) and the credit-register report (write, list, download by its own
institution only). For each form: the roles the service admits see it, the others do not; a good
post does the thing (checked in the loan view, not the HTML); a bad post returns to the page
with the service's message naming the problem."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.app import create_app
from techfin.credit.pricing import load_lpr_table
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.store.tables import AuditEntry
from techfin.store.tables_origination import Loan


class Page:
    """A logged-in browser session on the pages (TestClient with its CSRF token)."""

    def __init__(self, app, username: str) -> None:
        self.client = TestClient(app)
        login = self.client.get("/login")
        self.csrf = _csrf(login.text)
        done = self.client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": self.csrf, "next": "/"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        self.csrf = _csrf(self.client.get("/loans").text)

    def get(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, response.text
        return response.text

    def post(self, url: str, data: dict[str, str]) -> str | None:
        """Post a form; None when the command went through, else the message the page shows
        (checked to be on the page the form returns to)."""
        response = self.client.post(
            url, data={"csrf_token": self.csrf, **data}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        if "?error=" not in location:
            return None
        message = unquote(location.split("?error=", 1)[1])
        shown = self.client.get(location).text
        alert = re.search(r'<p class="error" role="alert">(.*?)</p>', shown, re.S)
        assert alert is not None and message in _unescape(alert.group(1))
        return message


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


@pytest.fixture
def app(world):
    return create_app(world.db, secret_key="t")


def _view(world, loan: int, as_of: dt.date | None = None) -> dict:
    return svc.loan_view(world.db, world.actor("s_am"), loan, as_of)


# --- money events -----------------------------------------------------------------------------


def test_payment_form_backdates_and_charges_a_fee(world, app):
    loan = make_loan(world)
    am, ap = Page(app, "s_am"), Page(app, "s_ap")
    url = f"/loans/{loan}"
    assert 'id="repay-value-date"' in am.get(url) and 'id="repay-form"' not in ap.get(url)
    assert "value date is after the business date" in am.post(
        f"{url}/repay", {"amount": "100.00", "value_date": "2026-03-01"}
    )
    assert "value date is before the disbursement" in am.post(
        f"{url}/repay", {"amount": "100.00", "value_date": "2026-01-01"}
    )
    assert "value_date must be a date" in am.post(
        f"{url}/repay", {"amount": "100.00", "value_date": "1 Feb"}
    )
    assert _view(world, loan)["events"] == []
    backdated = {"amount": "100.00", "value_date": "2026-02-01", "description": "teller slip 7"}
    assert am.post(f"{url}/repay", backdated) is None
    fee = {"amount": "50.00", "kind": "fee", "description": "appraisal fee"}
    assert am.post(f"{url}/repay", fee) is None
    events = {e["kind"]: e for e in _view(world, loan)["events"]}
    assert events["repayment"]["value_date"] == "2026-02-01"
    assert events["repayment"]["description"] == "teller slip 7"
    assert events["fee"]["value_date"] == "2026-02-10" and events["fee"]["amount"] == "50.00"


# --- reversal ---------------------------------------------------------------------------------


def test_reversal_is_requested_and_decided_on_the_loan_page(world, app):
    loan = make_loan(world)
    payment = svc.record_payment(world.db, world.actor("s_am"), loan, amount="300.00")
    event = payment["event"]["event_id"]
    am, am2, rm, ap = (Page(app, u) for u in ("s_am", "s_am2", "s_rm", "s_ap"))
    url = f"/loans/{loan}"
    # who may request (account/risk manager, admin): the form; the approver does not see it
    assert 'id="reversal-form"' in am.get(url) and 'id="reversal-form"' in rm.get(url)
    assert 'id="reversal-form"' not in ap.get(url)
    assert f'<option value="{event}">' in am.get(url)
    # a refused post: the message names the problem, nothing is requested
    assert "event REP-nope not found" in am.post(
        f"{url}/reversals", {"event_id": "REP-nope", "reason": "typo"}
    )
    early = am.post(
        f"{url}/reversals", {"event_id": event, "reason": "typo", "value_date": "2026-01-01"}
    )
    assert "before the event it reverses" in early
    assert "value_date must be a date" in am.post(
        f"{url}/reversals", {"event_id": event, "reason": "typo", "value_date": "10/02/2026"}
    )
    assert "reason" in am.post(f"{url}/reversals", {"event_id": event, "reason": " "})
    assert _view(world, loan)["reversal_requests"] == []
    # without the form's CSRF token nothing happens
    forged = am.client.post(
        f"{url}/reversals", data={"event_id": event, "reason": "typo"}, follow_redirects=False
    )
    assert forged.status_code != 303 and _view(world, loan)["reversal_requests"] == []
    # the maker's request
    assert am.post(f"{url}/reversals", {"event_id": event, "reason": "keyed twice"}) is None
    [request] = _view(world, loan)["reversal_requests"]
    assert request["status"] == "pending" and request["requested_by_name"] == "s_am"
    page = am.get(url)
    assert 'id="reversal-section" open' in page and "reversal-pending" in page
    assert f'<option value="{event}">' not in page  # pending: not offered again
    # the decision: a risk manager or approver other than the maker; never the maker, and not
    # another account manager
    decision = f'action="/loans/{loan}/reversals/{request["id"]}"'
    assert decision not in page and decision not in am2.get(url)
    assert decision in rm.get(url) and decision in ap.get(url)
    # posting anyway is refused by the service: an account manager is no checker
    refused = am.post(f"{url}/reversals/{request['id']}", {"decision": "approve"})
    assert "deciding a reversal needs one of the roles" in refused
    # a risk manager who made a request may not decide it: no form for them, refused if posted
    second = svc.record_payment(world.db, world.actor("s_am"), loan, amount="200.00")
    second_id = second["event"]["event_id"]
    assert rm.post(f"{url}/reversals", {"event_id": second_id, "reason": "wrong loan"}) is None
    [own] = [r for r in _view(world, loan)["reversal_requests"] if r["event_id"] == second_id]
    assert f'action="/loans/{loan}/reversals/{own["id"]}"' not in rm.get(url)
    assert "cannot approve or reject" in rm.post(
        f"{url}/reversals/{own['id']}", {"decision": "approve"}
    )
    assert ap.post(f"{url}/reversals/{own['id']}", {"decision": "reject", "note": "no"}) is None
    assert (
        rm.post(f"{url}/reversals/{request['id']}", {"decision": "approve", "note": "ok"}) is None
    )
    after = _view(world, loan)
    [done] = [r for r in after["reversal_requests"] if r["event_id"] == event]
    assert done["status"] == "approved" and done["checked_by_name"] == "s_rm"
    assert [e["reversed"] for e in after["events"] if e["event_id"] == event] == [True]
    assert after["balances"]["total_paid"] == "200.00"  # the second payment stands
    assert [r["status"] for r in after["reversal_requests"]] == ["rejected", "approved"]
    # decided twice: the second is refused with its reason
    again = ap.post(f"{url}/reversals/{request['id']}", {"decision": "reject"})
    assert "reversal request is approved" in again


# --- schedule changes -------------------------------------------------------------------------


def test_extension_on_the_page(world, app):
    loan = make_loan(world, months=6, method="equal-principal")
    am = world.actor("s_am")
    set_business_date(world, dt.date(2026, 4, 20))
    for m in (2, 3, 4):
        svc.record_payment(world.db, am, loan, amount="20600.00", value_date=dt.date(2026, m, 15))
    am_page, rm, ap = Page(app, "s_am"), Page(app, "s_rm"), Page(app, "s_ap")
    url = f"/loans/{loan}"
    assert 'id="extension-form"' in ap.get(url) and 'id="extension-form"' in rm.get(url)
    assert 'id="extension-form"' not in am_page.get(url)
    # a fixed loan: no floating choice, the rate is optional (blank keeps the rate in force)
    assert 'id="extension-rate-type"' not in ap.get(url)
    assert 'id="schedule-changes-section"' in ap.get(url)
    assert "new_maturity is required" in ap.post(f"{url}/extension", {"reason": "x"})
    bad_rate = ap.post(
        f"{url}/extension",
        {"new_maturity": "2026-09-15", "reason": "x", "annual_rate": "4.5%"},
    )
    assert "annual_rate must be a number" in bad_rate
    too_long = ap.post(f"{url}/extension", {"new_maturity": "2027-06-15", "reason": "more"})
    assert too_long.startswith("extension refused")
    refused = am_page.post(f"{url}/extension", {"new_maturity": "2026-09-15", "reason": "x"})
    assert "extending a loan needs one of the roles" in refused
    assert _view(world, loan)["schedule_changes"] == []
    ok = ap.post(f"{url}/extension", {"new_maturity": "2026-09-15", "reason": "orders delayed"})
    assert ok is None
    view = _view(world, loan)
    assert [c["kind"] for c in view["schedule_changes"]] == ["extension"]
    assert view["loan"]["maturity_date"] == "2026-09-15"
    assert view["schedule"][-1]["due_date"] == "2026-09-15"
    assert "change-extension" in ap.get(url)


def _floating_loan(world, *, start: dt.date, spread_bp: str, months: int = 12) -> int:
    """A loan as origination leaves a floating one (as in test_svcp_floating)."""
    fixing = load_lpr_table().in_force(start)
    rate = fixing.one_year + Decimal(spread_bp) / 10000
    loan_id = make_loan(world, rate=str(rate), start=start, months=months, method="interest-only")
    with world.db.transaction() as s:
        loan = s.get(Loan, loan_id)
        assert loan is not None
        loan.terms = {
            **loan.terms,
            "floating": {
                "spread_bp": spread_bp,
                "lpr_tenor": "1y",
                "repricing": {"rule": "periodic", "months": 12},
                "anchor": start.isoformat(),
                "initial_fixing": {
                    "fixing_date": fixing.fixing_date.isoformat(),
                    "lpr": str(fixing.one_year),
                    "tenor": "1y",
                },
            },
        }
    return loan_id


def test_restructuring_on_the_page_fixed_and_floating(world, app):
    loan = make_loan(world)
    set_business_date(world, dt.date(2026, 5, 1))
    ap, rm = Page(app, "s_ap"), Page(app, "s_rm")
    url = f"/loans/{loan}"
    # renewal and restructuring are the approver's; the risk manager may only extend
    assert 'id="restructuring-form"' in ap.get(url)
    assert 'id="restructuring-form"' not in rm.get(url)
    form = {
        "difficulty_evidence": "orders fell 60 %; audited loss 2025",
        "annual_rate": "0.04",
        "installments": "24",
        "method": "annuity",
        "concession_rate_reduction": "yes",
        "concession_term_extension": "yes",
        "reason": "keep the borrower going",
    }
    assert "installments must be a whole number" in ap.post(
        f"{url}/restructuring", {**form, "installments": "twenty"}
    )
    assert "new_principal must be a number" in ap.post(
        f"{url}/restructuring", {**form, "new_principal": "lots"}
    )
    no_rate = ap.post(f"{url}/restructuring", {**form, "annual_rate": ""})
    assert "annual_rate" in no_rate
    assert "restructuring a loan needs one of the roles" in rm.post(f"{url}/restructuring", form)
    assert _view(world, loan)["schedule_changes"] == []
    assert ap.post(f"{url}/restructuring", form) is None
    view = _view(world, loan)
    [change] = view["schedule_changes"]
    assert change["kind"] == "restructuring"
    assert change["detail"]["concessions"] == ["rate_reduction", "term_extension"]
    assert view["floor"]["value"] == "substandard"
    assert Decimal(view["schedule"][0]["interest"]) > 0
    # a floating loan: the form offers "keep LPR + spread" or "fix the rate"; a rate given
    # without fixing is refused naming annual_rate; fixing it fixes the new schedule
    floating = _floating_loan(world, start=dt.date(2025, 6, 25), spread_bp="-20")
    furl = f"/loans/{floating}"
    page = ap.get(furl)
    assert 'id="restructuring-rate-type"' in page and 'id="extension-rate-type"' in page
    refused = ap.post(f"{furl}/restructuring", form)
    assert "a floating loan's rate is LPR + its spread" in refused
    assert ap.post(f"{furl}/restructuring", {**form, "rate_type": "fixed"}) is None
    fixed = _view(world, floating)
    assert fixed["rate"]["type"] == "fixed" and fixed["rate"]["current_rate"] == "0.04"


def test_renewal_on_the_page(world, app):
    loan = make_loan(world, months=12, method="interest-only")
    set_business_date(world, dt.date(2026, 12, 1))
    due = _view(world, loan)["balances"]["total_due_now"]
    svc.record_payment(
        world.db, world.actor("s_am"), loan, amount=due, value_date=dt.date(2026, 12, 1)
    )
    ap, rm, am = Page(app, "s_ap"), Page(app, "s_rm"), Page(app, "s_am")
    url = f"/loans/{loan}"
    assert 'id="renewal-form"' in ap.get(url)
    assert 'id="renewal-form"' not in rm.get(url) and 'id="renewal-form"' not in am.get(url)
    conditions = {
        "lawful": "yes",
        "operating": "yes",
        "funds_diverted": "no",
        "missed_interest": "no",
        "evaded_debt": "no",
    }
    form = {
        "borrower_size": "small",
        "purpose": "working_capital",
        "applied_on": "2026-11-20",
        "investigation_done_on": "2026-11-28",
        "contracts_signed_on": "2026-12-01",
        "annual_rate": "0.05",
        "installments": "12",
        "method": "interest-only",
        "reason": "renew the working-capital loan",
        **conditions,
    }
    # every condition is stated: an unstated one is refused, never assumed
    unstated = {k: v for k, v in form.items() if k != "funds_diverted"}
    assert "funds_diverted: state yes or no" in ap.post(f"{url}/renewal", unstated)
    # the §7a process: no investigation or contracts before maturity → refused, each check named
    late = ap.post(
        f"{url}/renewal", {**form, "investigation_done_on": "", "contracts_signed_on": ""}
    )
    assert late.startswith("renewal refused")
    # size and purpose are chosen, never defaulted
    assert "borrower_size: '' is not one of" in ap.post(
        f"{url}/renewal", {**form, "borrower_size": ""}
    )
    assert "purpose: 'consumer' is not one of" in ap.post(
        f"{url}/renewal", {**form, "purpose": "consumer"}
    )
    assert "applied_on is required" in ap.post(f"{url}/renewal", {**form, "applied_on": ""})
    assert _view(world, loan)["schedule_changes"] == []
    assert ap.post(f"{url}/renewal", form) is None
    view = _view(world, loan, as_of=dt.date(2027, 1, 20))
    [change] = view["schedule_changes"]
    assert change["kind"] == "renewal" and change["effective_from"] == "2027-01-15"
    assert view["balances"]["schedule_kind"] == "renewal"
    assert view["floor"]["value"] == "normal"


# --- monitoring -------------------------------------------------------------------------------


def test_milestone_review_and_task_forms(world, app):
    loan = make_loan(
        world,
        milestones=[
            {"kind": "revenue", "text": "Revenue 2026 ≥ 30m", "due": "2026-12-31"},
            {"kind": "product_launch", "text": "Launch the v2 chip", "due": "2026-06-30"},
        ],
    )
    am, rm, ap = Page(app, "s_am"), Page(app, "s_rm"), Page(app, "s_ap")
    url = f"/loans/{loan}"
    for form_id in ("milestone-form", "review-form", "task-form"):
        assert f'id="{form_id}"' in am.get(url) and f'id="{form_id}"' in rm.get(url)
        assert f'id="{form_id}"' not in ap.get(url)
    # milestone progress
    assert "actual must be a number" in am.post(
        f"{url}/milestones", {"index": "0", "actual": "31,2m"}
    )
    # a comma is a thousands separator only where it groups thousands: "31,2" is not 312
    assert "actual must be a number" in am.post(
        f"{url}/milestones", {"index": "0", "actual": "31,2"}
    )
    assert "milestone 7 not found" in am.post(f"{url}/milestones", {"index": "7"})
    assert "achieved_on must be a date" in am.post(
        f"{url}/milestones", {"index": "1", "achieved_on": "soon"}
    )
    assert "recording milestone progress needs" in ap.post(f"{url}/milestones", {"index": "1"})
    assert all(m["achieved_on"] is None for m in _view(world, loan)["milestones"])
    ok = am.post(
        f"{url}/milestones",
        {"index": "0", "target": "30,000,000", "actual": "31250000.50", "note": "audited"},
    )
    assert ok is None
    assert rm.post(f"{url}/milestones", {"index": "1", "achieved_on": "2026-02-05"}) is None
    first, second = _view(world, loan)["milestones"]
    assert first["actual"] == "31250000.50" and first["target"] == "30000000.00"
    assert second["achieved_on"] == "2026-02-05"
    # review report
    review = {"period": "2026Q1", "conclusion": "watch", "text": "orders slower; visit"}
    assert "conclusion must be one of" in am.post(
        f"{url}/reviews", {**review, "conclusion": "maybe"}
    )
    assert "name the period" in am.post(f"{url}/reviews", {**review, "period": " "})
    assert _view(world, loan)["reviews"] == []
    assert am.post(f"{url}/reviews", review) is None
    [written] = _view(world, loan)["reviews"]
    assert written["period"] == "2026Q1" and written["conclusion"] == "watch"
    assert "review-watch" in am.get(url)
    # a task
    task = {"task": "site_visit", "text": "visit the plant", "due_on": "2026-03-01"}
    assert "due_on is required" in am.post(f"{url}/tasks", {**task, "due_on": ""})
    assert "name the task" in am.post(f"{url}/tasks", {**task, "task": ""})
    assert "adding a task needs" in ap.post(f"{url}/tasks", task)
    assert rm.post(f"{url}/tasks", task) is None
    [added] = [t for t in _view(world, loan)["tasks"] if t["task"] == "site_visit"]
    assert added["due_on"] == "2026-03-01" and added["source"] == "manual"
    # it is on the watch-list page's open tasks and is closed there
    done = f'action="/tasks/{added["id"]}/done"'
    assert done in rm.get("/watch-list") and done in am.get("/watch-list")
    assert done not in ap.get("/watch-list")  # an approver reads the list, closes no task
    assert "give a reason" in rm.post(f"/tasks/{added['id']}/done", {"note": ""})
    assert rm.post(f"/tasks/{added['id']}/done", {"note": "visited"}) is None
    assert [t["status"] for t in _view(world, loan)["tasks"]] == ["done"]


def test_watch_list_add_and_remove(world, app):
    loan = make_loan(world)
    rm, am = Page(app, "s_rm"), Page(app, "s_am")
    url = f"/loans/{loan}"
    assert 'id="watch-add-form"' in rm.get(url) and 'id="watch-add-form"' not in am.get(url)
    assert 'id="watch-list-add-form"' in rm.get("/watch-list")
    assert 'id="watch-list-add-form"' not in am.get("/watch-list")
    # from the watch-list page
    assert "reason" in rm.post("/watch-list", {"loan_id": str(loan), "reason": ""})
    assert "loan_id must be a whole number" in rm.post("/watch-list", {"reason": "x"})
    assert "adding to the watch list needs" in am.post(
        "/watch-list", {"loan_id": str(loan), "reason": "x"}
    )
    assert rm.post("/watch-list", {"loan_id": str(loan), "reason": "tax revenue down"}) is None
    [entry] = mon.watch_list(world.db, world.actor("s_rm"))
    assert entry["reason"] == "tax revenue down" and entry["level"] == "manual"
    assert "人工列入" in rm.get("/watch-list")  # Chinese by default: "manual" translated
    assert _view(world, loan)["on_watch_list"] is True
    page = rm.get(url)
    assert 'id="on-watch"' in page and 'id="watch-add-form"' not in page
    # the loan page's form for a borrower already on the list: refused, the message says why
    assert "already on the watch list" in rm.post(f"{url}/watch", {"reason": "again"})
    # removal: the risk manager's, with a reason
    remove = f"/watch-list/{entry['id']}/remove"
    assert remove in rm.get("/watch-list") and remove not in am.get("/watch-list")
    assert "reason" in rm.post(remove, {"reason": ""})
    assert "removing from the watch list needs" in am.post(remove, {"reason": "x"})
    assert rm.post(remove, {"reason": "tax revenue recovered"}) is None
    assert mon.watch_list(world.db, world.actor("s_rm")) == []
    assert "already removed" in rm.post(remove, {"reason": "again"})
    # added again from the loan page
    assert rm.post(f"{url}/watch", {"reason": "court record"}) is None
    assert _view(world, loan)["on_watch_list"] is True


# --- credit-register report -------------------------------------------------------------------


def test_register_report_page_write_list_download_by_its_institution_only(
    world, app, tmp_path: Path, monkeypatch
):
    reports = tmp_path / "reports"
    monkeypatch.setenv("TECHFIN_REPORT_DIR", str(reports))
    make_loan(world)
    rm, am, other = Page(app, "s_rm"), Page(app, "s_am"), Page(app, "vc_admin")
    assert 'id="register-link"' in rm.get("/loans")
    assert 'id="register-link"' not in am.get("/loans")
    assert am.client.get("/credit-register").status_code == 403
    page = rm.get("/credit-register")
    assert 'id="register-form"' in page and 'value="2026-02-10"' in page  # the business date
    assert "as_of must be a date" in rm.post("/credit-register/reports", {"as_of": "2026-13-01"})
    assert "as_of is required" in rm.post("/credit-register/reports", {"as_of": ""})
    assert "writing the credit-register report needs" in am.post(
        "/credit-register/reports", {"as_of": "2026-02-10"}
    )
    assert not reports.exists()
    assert rm.post("/credit-register/reports", {"as_of": "2026-02-10"}) is None
    [report] = svc.register_reports(world.db, world.actor("s_rm"))
    assert report["records"] == 1 and report["file_name"] == "credit-register-SBANK-2026-02-10.csv"
    page = rm.get("/credit-register")
    assert report["sha256"] in page and f"/credit-register/reports/{report['id']}/file" in page
    assert report["path"] == str(reports / report["file_name"]) and report["path"] in page
    # the file, by its institution's risk manager
    download = rm.client.get(f"/credit-register/reports/{report['id']}/file")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == report["sha256"]
    assert download.content == (reports / report["file_name"]).read_bytes()
    assert download.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''" + report["file_name"]
    )
    # another institution's admin (a role that may write its own reports) neither lists nor
    # downloads it: not found
    assert svc.register_reports(world.db, world.actor("vc_admin")) == []
    assert report["sha256"] not in other.get("/credit-register")
    stranger = other.client.get(f"/credit-register/reports/{report['id']}/file")
    assert stranger.status_code == 404 and report["sha256"] not in stranger.text
    # a file altered on disk is not served as the report
    (reports / report["file_name"]).write_text("tampered", encoding="utf-8")
    altered = rm.client.get(f"/credit-register/reports/{report['id']}/file", follow_redirects=False)
    assert altered.status_code == 303
    assert "no longer matches" in unquote(altered.headers["location"])
    with world.db.read() as s:
        reads = s.query(AuditEntry).filter(AuditEntry.command == "servicing.register_report_read")
        assert reads.count() == 1  # the one download served


def test_a_proposed_class_is_signed_off_by_another_user(world, app):
    loan = make_loan(world)
    rm, rm2, am = Page(app, "s_rm"), Page(app, "s_rm2"), Page(app, "s_am")
    url = f"/loans/{loan}"
    assert "judged_class must be one of" in rm.post(
        f"{url}/classify", {"judged_class": "fine", "rationale": "x"}
    )
    ok = rm.post(f"{url}/classify", {"judged_class": "special_mention", "rationale": "orders"})
    assert ok is None
    [proposed] = _view(world, loan)["classifications"]
    sign_off = f'action="/loans/{loan}/classifications/{proposed["id"]}"'
    # not to the proposer, nor to an account manager; to another risk manager
    assert sign_off not in rm.get(url) and sign_off not in am.get(url)
    assert sign_off in rm2.get(url)
    assert "cannot sign off their own" in rm.post(
        f"{url}/classifications/{proposed['id']}", {"decision": "approve"}
    )
    assert rm2.post(f"{url}/classifications/{proposed['id']}", {"decision": "approve"}) is None
    assert _view(world, loan)["classifications"][0]["status"] == "approved"
