"""Browser test of a maker-checker flow on the loan page, headless Chromium against a real server
process: an account manager records a repayment and requests its reversal in the page's
"Reversals" section; the risk manager sees the pending request (the section opens by itself),
approves it, and the repayment is shown reversed with nothing paid."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from svcp_world import PASSWORD, build_svc_world, make_loan

from techfin.store.db import Database
from techfin.store.migrate import upgrade

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, live_server):
    url = f"sqlite:///{tmp_path / 'svcp_browser_forms.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    world = build_svc_world(db, business_date=dt.date(2026, 2, 14))
    loan = make_loan(world)
    db.dispose()
    yield live_server(url), loan


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#nav-loans")


def test_reversal_requested_by_one_user_and_approved_by_another(server, chromium_page, tmp_path):
    base, loan = server
    page = chromium_page
    _login(page, base, "s_am")
    page.click("#lang-en")
    page.goto(f"{base}/loans/{loan}")
    page.fill("#repay-amount", "250.00")
    page.click("#repay-submit")
    page.wait_for_selector("#events >> text=REP-")
    assert page.inner_text("#bal-paid").strip() == "250.00"
    event = page.inner_text("#events tbody tr td").strip()
    # the rarely used section is closed until opened
    assert not page.is_visible("#reversal-form")
    page.click("#reversal-section summary")
    page.select_option("#reversal-event", event)
    page.fill("#reversal-reason", "entered on the wrong loan")
    page.click("#reversal-submit")
    page.wait_for_selector("#reversals tr.reversal-pending")
    # the maker is offered no decision on their own request
    assert page.locator("#reversals .reversal-decision").count() == 0
    assert page.inner_text("#bal-paid").strip() == "250.00"
    page.click("#logout")

    _login(page, base, "s_rm")
    page.goto(f"{base}/loans/{loan}")
    row = page.locator("#reversals tr.reversal-pending")
    assert row.count() == 1 and page.is_visible("#reversals .reversal-approve")
    assert "s_am" in row.inner_text() and event in row.inner_text()
    row.locator("input[name=note]").fill("voucher checked")
    row.locator(".reversal-approve").click()
    # decided: nothing pending, so the section is closed again (the row is there, hidden)
    page.wait_for_selector("#reversals tr.reversal-approved", state="attached")
    assert not page.is_visible("#reversals tr.reversal-approved")
    assert page.locator("p.error").count() == 0
    assert page.inner_text("#bal-paid").strip() == "0.00"
    events = page.inner_text("#events")
    assert "(reversed)" in events and f"→ {event}" in events
    page.screenshot(path=str(tmp_path / "reversal.png"), full_page=True)
