"""The API and pages: idempotent repayments over HTTP (409 problem+json on a changed body),
the maker-checker reversal, the credit-register report file, the loan page and watch list."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.app import create_app
from techfin.credit.credit_register_report import read_report
from techfin.store.tables_origination import Loan


@pytest.fixture
def client(world):
    return TestClient(create_app(world.db, secret_key="test-secret"))


def token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_repayment_api_honours_idempotency_key_and_pages_render(world, client):
    _idempotency(world, client)
    _loan_page_and_watch_list_render(world, client)


def _idempotency(world, client):
    loan = make_loan(world)
    am = token(client, "s_am")
    url = f"/api/loans/{loan}/repayments"
    first = client.post(url, json={"amount": "5000.00"}, headers={**am, "Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    again = client.post(url, json={"amount": "5000.00"}, headers={**am, "Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again.json()["event"] == first.json()["event"]
    assert again.json()["idempotent_replay"] is True
    changed = client.post(url, json={"amount": "5000.10"}, headers={**am, "Idempotency-Key": "k-1"})
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    assert changed.json()["field"] == "Idempotency-Key"
    view = client.get(f"/api/loans/{loan}", headers=am).json()
    assert len(view["events"]) == 1 and view["balances"]["total_paid"] == "5000.00"
    bad = client.post(url, json={"amount": "1.234"}, headers=am)
    assert bad.status_code == 422 and bad.json()["field"] == "amount"
    other = client.post(url, json={"amount": "1.00"}, headers=token(client, "o_am"))
    assert other.status_code == 404


def test_reversal_over_the_api_and_the_report_file(world, client, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHFIN_REPORT_DIR", str(tmp_path))
    loan = make_loan(world)
    set_business_date(world, dt.date(2026, 3, 1))
    am, rm = token(client, "s_am"), token(client, "s_rm")
    paid = client.post(
        f"/api/loans/{loan}/repayments",
        json={"amount": "10327.97", "value_date": "2026-02-15"},
        headers=am,
    ).json()
    req = client.post(
        f"/api/loans/{loan}/reversals",
        json={"event_id": paid["event"]["event_id"], "reason": "bounced"},
        headers=am,
    )
    assert req.status_code == 201
    own = client.post(
        f"/api/reversals/{req.json()['id']}/decision", json={"approve": True}, headers=am
    )
    assert own.status_code == 403
    ok = client.post(
        f"/api/reversals/{req.json()['id']}/decision", json={"approve": True}, headers=rm
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    report = client.post("/api/credit-register/reports", json={"as_of": "2026-03-01"}, headers=rm)
    assert report.status_code == 201, report.text
    rows = read_report(Path(report.json()["path"]).read_text(encoding="utf-8"))
    assert len(rows) == 1
    assert rows[0]["days_past_due"] == "14" and rows[0]["overdue_principal"] != "0.00"
    assert rows[0]["risk_class"] == "special_mention"
    assert rows[0]["borrower_uscc"] == "91110000600037341L"
    # a second report for the same date is a file of its own: the first stays as recorded
    first = Path(report.json()["path"])
    again = client.post("/api/credit-register/reports", json={"as_of": "2026-03-01"}, headers=rm)
    assert again.status_code == 201, again.text
    second = Path(again.json()["path"])
    assert second != first and second.name.endswith("-2026-03-01-2.csv")
    assert hashlib.sha256(first.read_bytes()).hexdigest() == report.json()["sha256"]


def _loan_page_and_watch_list_render(world, client):
    loan = make_loan(world)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": "s_rm", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    html = client.get(f"/loans/{loan}")
    assert html.status_code == 200
    assert 'id="schedule"' in html.text and 'id="classifications"' in html.text
    assert html.text.count("<tr><td>") >= 12  # twelve schedule rows
    assert client.get("/watch-list").status_code == 200
    assert f'href="/loans/{loan}"' in client.get("/loans").text


def _on_product(world, loan_id: int, code: str) -> int:
    with world.db.transaction() as s:
        loan = s.get(Loan, loan_id)
        assert loan is not None
        loan.product_code = code
    return loan_id


def test_payment_allocates_in_the_products_agreed_order(world, client):
    """products.yaml: the talent loan agrees interest before penalty and compound interest;
    the credit loan keeps the default (penalty → compound → interest). The same late payment
    of 620.00 (row 1's interest) on the same day fills the buckets in each product's order."""
    set_business_date(world, dt.date(2026, 3, 1))  # row 1 (02-15) 14 days past due
    am = token(client, "s_am")
    talent = _on_product(world, make_loan(world), "talent_loan")
    credit = _on_product(world, make_loan(world), "credit_loan")
    out = {}
    for loan in (talent, credit):
        paid = client.post(f"/api/loans/{loan}/repayments", json={"amount": "620.00"}, headers=am)
        assert paid.status_code == 201, paid.text
        view = client.get(f"/api/loans/{loan}", headers=am).json()
        entry = next(e for e in view["ledger"] if e["event_id"] == paid.json()["event"]["event_id"])
        out[loan] = (view, [b for b, _a in entry["allocations"]])
    view, buckets = out[talent]
    assert view["loan"]["allocation_order"][:2] == ["costs", "interest"]
    assert buckets == ["interest"]  # all 620.00 to ordinary interest
    assert Decimal(view["balances"]["interest_unpaid"]) == 0
    assert Decimal(view["balances"]["penalty_interest"]) > 0  # penalty still owed
    view, buckets = out[credit]
    assert buckets == ["penalty_interest", "compound_interest", "interest"]
    assert Decimal(view["balances"]["penalty_interest"]) == 0
    assert Decimal(view["balances"]["compound_interest"]) == 0
    assert Decimal(view["balances"]["interest_unpaid"]) > 0  # part of the interest still owed
