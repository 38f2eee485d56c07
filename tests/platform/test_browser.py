"""Browser test: a real headless Chromium logs in through the login page, switches language and
checks the role's home page, against a real server process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from platform_world import PASSWORD, build_world

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
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    build_world(db)
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


def test_login_switch_language_and_role_home(server, page):
    page.goto(server + "/")
    assert page.url.startswith(server + "/login")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#username", "a_am")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    assert page.locator("#login-error").inner_text() == "用户名或密码错误。"
    page.fill("#username", "a_am")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#home-title")
    assert page.locator("#home-title").inner_text() == "工作台 · 客户经理"
    assert "BANKA" in page.locator("#who").inner_text()
    page.click("#lang-en")
    page.wait_for_selector("#lang-zh")
    assert page.locator("#home-title").inner_text() == "Workbench · account_manager"
    assert page.locator("h2").first.inner_text() == "Find an enterprise"
    page.click("#logout")
    page.wait_for_selector("#login-submit")
    assert page.locator("h1").inner_text() == "Log in"
