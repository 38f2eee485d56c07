"""The payoff of a subsidised platform loan (贴息; decision 1108): the loan view shows the whole
accrued interest and its payer's and borrower's parts, `payoff_amount` is the borrower's figure,
and a prepayment of exactly that amount — over the API — settles the loan while the payer
still owes its part.

The world's loan: 120,000.00 at 6 %, ACT/360, 12 monthly annuity installments from
2026-01-15, first due 2026-02-15 (31 days, 620.00 of interest: exactly 20.00 a day).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from svcp_world import PASSWORD, make_loan, set_business_date

from techfin.app import create_app
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.store.tables import Institution
from techfin.store.tables_origination import Loan
from techfin.store.tables_servicing import SvcPosition

D = Decimal
PAYER = "区科技局"
REF = "区科发〔2026〕12号"


def _approved(world, loan: int, **terms) -> None:
    made = svc.request_subsidy(
        world.db, world.actor("s_rm"), loan, payer=PAYER, reference=REF, **terms
    )
    svc.decide_subsidy(world.db, world.actor("s_rm2"), made["id"], approve=True)


def _token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_prepaying_the_payoff_over_the_api_settles_a_half_subsidised_loan(world):
    """2026-01-22, 7 days in: accrued 140.00, the payer's half 70.00, the borrower's 70.00;
    payoff 120,070.00 (the whole accrued would have quoted 120,140.00). Prepaying exactly that
    settles the loan; the payer still owes 70.00 and its receipt pays it."""
    loan = make_loan(world)
    _approved(world, loan, share="0.5")
    day = dt.date(2026, 1, 22)
    set_business_date(world, day)
    client = TestClient(create_app(world.db, secret_key="test-secret"))
    am = _token(client, "s_am")
    b = client.get(f"/api/loans/{loan}", headers=am).json()["balances"]
    assert (b["interest_accrued"], b["subsidy_accrued"], b["borrower_interest_accrued"]) == (
        "140.00",
        "70.00",
        "70.00",
    )
    assert b["payoff_amount"] == "120070.00"

    url = f"/api/loans/{loan}/repayments"
    paid = client.post(url, json={"amount": b["payoff_amount"], "kind": "prepayment"}, headers=am)
    assert paid.status_code == 201, paid.text
    after = paid.json()["balances"]
    assert after["status"] == "settled"
    assert D(after["principal_outstanding"]) == 0 and D(after["payoff_amount"]) == 0
    assert D(after["interest_unpaid"]) == 0 and D(after["suspense"]) == 0
    assert D(after["subsidy_receivable"]) == D("70.00")
    assert paid.json()["event"]["kind"] == "prepayment"

    # day-end records the loan as settled; the payer's receipt is still taken
    with world.db.transaction() as s:
        mon.day_end_positions(s, s.get(Institution, world.bank_id), day)
    with world.db.read() as s:
        assert s.get(Loan, loan).status == "settled"
        pos = s.scalar(select(SvcPosition).where(SvcPosition.loan_id == loan))
        assert D(pos.balances["payoff_amount"]) == 0 and pos.interest_accrued == 0
        assert D(pos.balances["subsidy_receivable"]) == D("70.00")
    receipt = client.post(url, json={"amount": "70.00", "kind": "subsidy_receipt"}, headers=am)
    assert receipt.status_code == 201, receipt.text
    final = client.get(f"/api/loans/{loan}", headers=am).json()["balances"]
    assert final["status"] == "settled" and D(final["subsidy_receivable"]) == 0
    assert D(final["subsidy_received"]) == D("70.00")


def test_rate_points_until_passed_mid_period_payoff_and_extension_carry(world):
    """Two points of the 6 % until 2026-01-25: row 1's subsidy is 120,000 × 0.02 × 10 ÷ 360 =
    66.666… → 66.67, all accrued by 01-25. On 2026-02-01 (17 days) accrued 17 × 20.00 = 340.00,
    the payer's 66.67, the borrower's 273.33: payoff 120,273.33. An extension that day carries
    the borrower's 273.33 as arrears and leaves the payer's 66.67 in its receivable."""
    loan = make_loan(world)
    _approved(world, loan, rate="0.02", until=dt.date(2026, 1, 25))
    am, ap = world.actor("s_am"), world.actor("s_ap")
    set_business_date(world, dt.date(2026, 2, 1))
    view = svc.loan_view(world.db, am, loan)
    assert view["schedule"][0]["subsidy"] == "66.67"
    b = view["balances"]
    assert (b["interest_accrued"], b["subsidy_accrued"], b["borrower_interest_accrued"]) == (
        "340.00",
        "66.67",
        "273.33",
    )
    assert b["payoff_amount"] == "120273.33"

    svc.extend_loan(world.db, ap, loan, new_maturity=dt.date(2027, 6, 15), reason="orders late")
    after = svc.loan_view(world.db, am, loan)
    carry = [e for e in after["ledger"] if e["event_id"] == "seg1-carry"]
    assert carry[0]["amount"] == "273.33"
    assert after["balances"]["subsidy_receivable"] == "66.67"
    # the new segment starts after `until`: no payer's part, the payoff is the borrower's all
    nb = after["balances"]
    assert D(nb["subsidy_accrued"]) == 0
    assert D(nb["payoff_amount"]) == D("120000.00") + D("273.33")
    paid = svc.record_payment(world.db, am, loan, amount=nb["payoff_amount"], kind="prepayment")
    assert paid["balances"]["status"] == "settled"
    assert D(paid["balances"]["principal_outstanding"]) == 0
    assert paid["balances"]["subsidy_receivable"] == "66.67"


def _login(client: TestClient, username: str) -> None:
    import re

    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )


def _cell(html: str, cell_id: str) -> str:
    import re

    found = re.search(rf'id="{cell_id}">([^<]*)<', html)
    assert found, cell_id
    return found.group(1)


def test_loan_page_shows_the_borrowers_payoff_and_the_accrued_parts(world):
    """The loan page (zh by default) shows the payoff the borrower must pay and, with a
    subsidy, the borrower's and the payer's parts of the accrued interest."""
    plain = make_loan(world)
    subsidised = make_loan(world)
    _approved(world, subsidised, share="0.5")
    set_business_date(world, dt.date(2026, 1, 22))
    client = TestClient(create_app(world.db, secret_key="test-secret"))
    _login(client, "s_am")
    html = client.get(f"/loans/{subsidised}").text
    assert _cell(html, "bal-payoff") == "120,070.00"
    assert _cell(html, "bal-borrower-accrued") == "70.00"
    assert _cell(html, "bal-subsidy-accrued") == "70.00"
    assert "今日结清金额（借款人）" in html and "应计利息（贴息方部分）" in html
    other = client.get(f"/loans/{plain}").text
    assert _cell(other, "bal-payoff") == "120,140.00"
    assert 'id="bal-subsidy-accrued"' not in other
