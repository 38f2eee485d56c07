"""Browser test: a risk manager opens the IP alert queue in headless Chromium and acknowledges
an alert, against a real server process."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ipp_world import P_OK, PASSWORD, build_world

from techfin.services import ip_pledges
from techfin.store.db import Database
from techfin.store.migrate import upgrade

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, live_server):
    url = f"sqlite:///{tmp_path / 'ipp_browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    world = build_world(db)
    am = world.actor("a_am")
    p = ip_pledges.create_pledge(
        db,
        am,
        contract_no="ZY-B",
        pledgor_name="北京甲科技有限公司",
        patents=[P_OK],
        debts=[
            {
                "reference": "LN-B",
                "balance": "300000",
                "starts_on": "2026-11-02",
                "matures_on": "2028-11-01",
            }
        ],
        signed_on=dt.date(2026, 11, 2),
    )
    ip_pledges.apply_registration(db, am, p["id"], applied_on=dt.date(2026, 11, 2))
    ip_pledges.record_registration(
        db, am, p["id"], registration_no="Y-B", registered_on=dt.date(2026, 11, 9)
    )
    ip_pledges.run_monitoring(db, world.actor("a_rm"), dt.date(2026, 11, 10))
    db.dispose()
    base = live_server(url)
    yield base


@pytest.fixture
def page(chromium_page):
    return chromium_page


def test_risk_manager_acknowledges_an_alert(server, page):
    page.goto(server + "/login")
    page.fill("#username", "a_rm")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#nav-ip-alerts")
    page.click("#nav-ip-alerts")
    page.wait_for_selector("#alerts-title")
    assert page.locator("#alerts-title").inner_text() == "知识产权预警队列"
    rows = page.locator("#alerts tbody tr")
    assert rows.count() == 2  # LTV breach (no accepted valuation yet) and revaluation due
    first = rows.first
    assert "抵质押率超限" in first.inner_text()  # critical first
    alert_id = first.get_attribute("id").removeprefix("alert-")
    page.click(f"#ack-{alert_id}")
    page.wait_for_selector(f"#alert-{alert_id} .status")
    assert page.locator(f"#ack-{alert_id}").count() == 0
    assert "已确认" in page.locator(f"#alert-{alert_id} .status").inner_text()
    page.fill(f"#reason-{alert_id}", "出质人已追加押品")
    page.click(f"#close-{alert_id}")
    page.wait_for_selector(f"#alert-{alert_id} .status")
    status = page.locator(f"#alert-{alert_id} .status").inner_text()
    assert "已关闭" in status and "出质人已追加押品" in status
