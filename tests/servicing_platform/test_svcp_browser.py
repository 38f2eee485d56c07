"""Browser test (issue 9 item 8), headless Chromium against a real server process: a disbursed
loan → a repayment entered on the loan page → overdue → day-end → classification floor raised
→ early warning → task on the loan page and the risk manager's watch-list page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from svcp_world import PASSWORD, build_svc_world, make_loan

from techfin.services import eod
from techfin.services.context import Actor
from techfin.store.db import Database
from techfin.store.migrate import upgrade

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, live_server):
    url = f"sqlite:///{tmp_path / 'svcp_browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    world = build_svc_world(db, business_date=dt.date(2026, 2, 14))
    loan = make_loan(world)
    db.dispose()
    base = live_server(url)
    yield base, url, loan


@pytest.fixture
def page(chromium_page):
    return chromium_page


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#nav-loans")


def test_repayment_overdue_day_end_floor_warning_task(server, page, tmp_path):
    base, url, loan = server
    _login(page, base, "s_am")
    page.click("#lang-en")
    page.goto(f"{base}/loans/{loan}")
    assert page.inner_text("#floor").strip() == "Normal"
    page.fill("#repay-amount", "100.00")
    page.click("#repay-submit")
    page.wait_for_selector("#events >> text=REP-")
    assert page.inner_text("#bal-paid").strip() == "100.00"
    # day-end for three dates: the 02-15 installment is not paid in full
    db = Database(url)
    for day in (14, 15, 16):
        outcome = eod.run(db, Actor.system("test"), dt.date(2026, 2, day), "SBANK")[0]
        assert outcome.status == "completed", outcome
    db.dispose()
    page.goto(f"{base}/loans/{loan}")
    assert page.inner_text("#bal-dpd").strip() == "2"  # business date is now 02-17
    assert page.inner_text("#floor").strip() == "Special mention"
    # the notice in the page's language (English here), from its kind and detail
    assert "floor raised from Normal to Special mention. Grounds: overdue" in page.inner_text(
        ".notice-downgrade"
    )
    assert "overdue_here" in page.inner_text("#warnings")
    assert page.locator("#tasks tr.task-collection_call").count() == 1
    page.screenshot(path=str(tmp_path / "loan.png"), full_page=True)
    page.click("#logout")
    _login(page, base, "s_rm")
    page.goto(base + "/watch-list")
    row = page.locator("#open-tasks tr.task-collection_call")
    assert row.count() == 1 and f"/loans/{loan}" in row.inner_html()
