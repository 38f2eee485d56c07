"""A small world for the credit-faces tests: one bank with an account manager, and clients
for the API (bearer token) and the pages (session cookie)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from techfin.app import create_app
from techfin.services import users
from techfin.services.context import Actor
from techfin.store.db import Database

PASSWORD = "credit-faces-1"


def build_users(db: Database) -> None:
    system = Actor.system("test")
    with db.transaction() as s:
        users.add_institution(s, system, code="BANKC", name="丙银行", kind="bank")
        users.add_user(
            s,
            system,
            username="c_am",
            password=PASSWORD,
            role="account_manager",
            institution_code="BANKC",
            display_name="c_am",
        )


def app_client(db: Database) -> TestClient:
    build_users(db)
    return TestClient(create_app(db, secret_key="test-secret"))


def bearer(client: TestClient) -> dict[str, str]:
    response = client.post("/api/token", json={"username": "c_am", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without a CSRF token"
    return match.group(1)


def login(client: TestClient, lang: str = "en") -> None:
    client.get(f"/lang/{lang}?next=/login")
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "c_am", "password": PASSWORD, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
