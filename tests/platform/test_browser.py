"""Browser test: a real headless Chromium logs in through the login page, switches language and
checks the role's home page, against a real server process."""

from __future__ import annotations

from pathlib import Path

import pytest
from platform_world import PASSWORD, build_world

from techfin.store.db import Database
from techfin.store.migrate import upgrade

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, live_server):
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    build_world(db)
    db.dispose()
    return live_server(url)


@pytest.fixture
def page(chromium_page):
    return chromium_page


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
    assert page.locator("#home-title").inner_text() == "Workbench · Account manager"
    assert page.locator("#work-today h2").inner_text() == "Your work"
    assert "Find an enterprise" in page.content()
    page.click("#logout")
    page.wait_for_selector("#login-submit")
    assert page.locator("h1").inner_text() == "Log in"
