"""Browser test: a risk manager opens the IP alert queue in headless Chromium and acknowledges
an alert, against a real server process."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from ipp_world import P_OK, PASSWORD, build_world

from techfin.services import ip_pledges
from techfin.store.db import Database
from techfin.store.migrate import upgrade

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (scripts/test.sh installs it)",
    ),
]
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):
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
    port = _free_port()
    env = {**os.environ, "TECHFIN_DATABASE_URL": url, "TECHFIN_SECRET_KEY": "browser-test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "techfin", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError(
            process.stderr.read().decode() if process.stderr else "server did not start"
        )
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        yield context.new_page()
        context.close()
        browser.close()


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
