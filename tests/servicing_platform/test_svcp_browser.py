"""Browser test (issue 9 item 8), headless Chromium against a real server process: a disbursed
loan → a repayment entered on the loan page → overdue → day-end → classification floor raised
→ early warning → task on the loan page and the risk manager's watch-list page."""

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
from svcp_world import PASSWORD, build_svc_world, make_loan

from techfin.services import eod
from techfin.services.context import Actor
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
    url = f"sqlite:///{tmp_path / 'svcp_browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    world = build_svc_world(db, business_date=dt.date(2026, 2, 14))
    loan = make_loan(world)
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
    yield base, url, loan
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
    assert page.inner_text("#floor").strip() == "normal"
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
    assert page.inner_text("#floor").strip() == "special_mention"
    assert "floor raised from normal to special_mention" in page.inner_text(".notice-downgrade")
    assert "overdue_here" in page.inner_text("#warnings")
    assert page.locator("#tasks tr.task-collection_call").count() == 1
    page.screenshot(path=str(tmp_path / "loan.png"), full_page=True)
    page.click("#logout")
    _login(page, base, "s_rm")
    page.goto(base + "/watch-list")
    row = page.locator("#open-tasks tr.task-collection_call")
    assert row.count() == 1 and f"/loans/{loan}" in row.inner_html()
