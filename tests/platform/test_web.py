"""The web face: login with CSRF, expiry, language switch, role home pages, tenancy on pages."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from platform_world import PASSWORD

from techfin.app import create_app


@pytest.fixture
def client(world):
    return TestClient(create_app(world.db, secret_key="test-secret"))


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without a CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf(page.text)},
        follow_redirects=True,
    )


def test_login_page_is_chinese_by_default_and_switches_to_english(client):
    assert "<h1>登录</h1>" in client.get("/login").text
    client.get("/lang/en?next=/login")
    assert "<h1>Log in</h1>" in client.get("/login").text


def test_wrong_password_shows_a_message(client):
    response = login(client, "a_am", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_missing_username_names_the_field(client):
    response = login(client, "")
    assert response.status_code == 400 and "用户名：必填" in response.text


def test_post_without_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "a_am", "password": PASSWORD})
    assert response.status_code == 400
    assert "/login" in str(response.url) and 'id="who"' not in response.text


def test_home_page_per_role(client):
    home = login(client, "a_am")
    assert "工作台 · 客户经理" in home.text and "查找企业" in home.text
    assert 'id="work-today"' in home.text and "待我处理的授信申请" in home.text
    client.post("/logout", data={"csrf_token": csrf(home.text)})
    home = login(client, "a_reviewer")
    assert "工作台 · 审查人" in home.text and "待我处理的授信申请" in home.text
    assert "未完成的贷后任务" not in home.text  # post-loan tasks are not a reviewer's
    client.post("/logout", data={"csrf_token": csrf(home.text)})
    home = login(client, "ent1")
    assert "我的数据使用授权" in home.text and "谁读取了我的数据" in home.text
    client.post("/logout", data={"csrf_token": csrf(home.text)})
    home = login(client, "a_admin")
    assert 'id="audit-status"' in home.text and "完整" in home.text


def test_pages_need_login_and_expired_session_says_so(client, monkeypatch):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    login(client, "a_am")
    assert client.get("/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    response = client.get("/", follow_redirects=True)
    assert "会话已过期" in response.text


def test_enterprise_page_without_consent_shows_the_reason(client, world):
    login(client, "b_am")
    page = client.get(f"/enterprises/{world.enterprise_id}")
    assert page.status_code == 200
    assert 'id="consent-error"' in page.text and "no live consent" in page.text
    assert 'id="financials"' not in page.text


def test_unknown_page_renders_an_error_page(client):
    login(client, "a_am")
    page = client.get("/enterprises/999999")
    assert page.status_code == 404 and "未找到" in page.text


def test_bank_b_pages_show_nothing_of_bank_a(client, world):
    import datetime as dt

    from techfin.services import consent

    granted = consent.grant(
        world.db,
        world.actor("ent1"),
        enterprise_id=world.enterprise_id,
        grantee_code="BANKA",
        purpose="credit_assessment",
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )
    home = login(client, "b_admin")
    assert "a_admin" not in home.text and "a_am" not in home.text and "b_am" in home.text
    client.post("/logout", data={"csrf_token": csrf(home.text)})
    home = login(client, "b_am")
    assert f"/enterprises/{world.enterprise_id}?purpose" not in home.text  # A's consents not listed
    page = client.get(f"/enterprises/{world.enterprise_id}")
    assert 'id="consent-error"' in page.text and 'id="financials"' not in page.text
    # bank B's user cannot revoke the enterprise's consent to bank A through the form
    response = client.post(
        f"/consents/{granted.id}/revoke",
        data={"csrf_token": csrf(home.text)},
        follow_redirects=True,
    )
    assert "only the enterprise itself" in response.text
    assert consent.list_for_enterprise(world.db, world.actor("ent1"), world.enterprise_id)[0].live


def test_account_manager_evaluates_recognition_from_the_page(client, world):
    import datetime as dt

    from techfin.services import consent

    consent.grant(
        world.db,
        world.actor("ent1"),
        enterprise_id=world.enterprise_id,
        grantee_code="BANKA",
        purpose="credit_assessment",
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )
    home = login(client, "a_am")
    page = client.get(f"/enterprises/{world.enterprise_id}")
    assert "尚未测算" in page.text
    after = client.post(
        f"/enterprises/{world.enterprise_id}/recognize",
        data={"csrf_token": csrf(home.text)},
        follow_redirects=True,
    )
    assert after.status_code == 200 and 'id="computed"' in after.text
    assert "小型" in after.text  # size evaluated: small
    # bank B has no consent: refused with the reason, nothing stored
    client.post("/logout", data={"csrf_token": csrf(after.text)})
    home = login(client, "b_am")
    refused = client.post(
        f"/enterprises/{world.enterprise_id}/recognize",
        data={"csrf_token": csrf(home.text)},
        follow_redirects=True,
    )
    assert "no live consent" in refused.text
