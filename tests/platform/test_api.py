"""The API face: tokens, /api/me, problem+json errors naming the field, tenancy over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from platform_world import PASSWORD

from techfin.app import create_app
from techfin.services import consent


@pytest.fixture
def client(world):
    return TestClient(create_app(world.db, secret_key="test-secret"))


def token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_health_reports_migration_at_head(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["migration"]["at_head"] is True


def test_me_needs_a_valid_token(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
    assert client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    me = client.get("/api/me", headers=token(client, "a_am")).json()
    assert me["username"] == "a_am" and me["role"] == "account_manager"
    assert me["institution_code"] == "BANKA"


def test_wrong_password_is_401_and_same_message_for_unknown_user(client):
    wrong = client.post("/api/token", json={"username": "a_am", "password": "nope-nope"})
    unknown = client.post("/api/token", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong username or password"


def test_malformed_json_and_missing_field_are_named(client):
    bad = client.post(
        "/api/token", content=b'{"username": "a_am",', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["field"] == "body"
    assert bad.json()["title"] == "Malformed JSON body"
    missing = client.post("/api/token", json={"username": "a_am"})
    assert missing.status_code == 422
    assert missing.json()["field"] == "password"
    assert missing.headers["content-type"] == "application/problem+json"


def test_request_id_is_echoed(client):
    response = client.get("/health", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"


def test_other_tenant_ids_in_the_url_are_not_found(client, world):
    b_users = client.get("/api/users", headers=token(client, "b_admin")).json()
    assert {u["username"] for u in b_users} == {"b_admin", "b_am"}
    a = token(client, "a_admin")
    for user in b_users:
        response = client.get(f"/api/users/{user['id']}", headers=a)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_consented_profile_over_http(client, world):
    headers = token(client, "a_am")
    url = f"/api/enterprises/{world.enterprise_id}/profile"
    denied = client.get(url, headers=headers)
    assert denied.status_code == 403 and denied.json()["title"] == "Consent required"
    ent = token(client, "ent1")
    granted = client.post(
        f"/api/enterprises/{world.enterprise_id}/consents",
        headers=ent,
        json={
            "grantee": "BANKA",
            "purpose": "credit_assessment",
            "expires_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert granted.status_code == 201, granted.text
    profile = client.get(url, headers=headers)
    assert profile.status_code == 200
    assert profile.json()["financials"][0]["revenue"] == "32000000.00"
    # bank B still cannot read it
    assert client.get(url, headers=token(client, "b_am")).status_code == 403
    log = client.get(f"/api/enterprises/{world.enterprise_id}/access-log", headers=ent).json()
    assert [entry["user"] for entry in log] == ["a_am"]
    # bank A cannot read the enterprise's access log
    assert (
        client.get(
            f"/api/enterprises/{world.enterprise_id}/access-log", headers=headers
        ).status_code
        == 403
    )


def test_bad_consent_request_names_the_field(client, world):
    response = client.post(
        f"/api/enterprises/{world.enterprise_id}/consents",
        headers=token(client, "ent1"),
        json={"grantee": "BANKA", "purpose": "marketing", "expires_on": "2099-01-01"},
    )
    assert response.status_code == 422 and response.json()["field"] == "purpose"
    response = client.post(
        f"/api/enterprises/{world.enterprise_id}/consents",
        headers=token(client, "ent1"),
        json={"grantee": "BANKA", "purpose": "credit_assessment", "expires_on": "not a date"},
    )
    assert response.status_code == 422 and response.json()["field"] == "expires_on"
    assert consent.list_for_enterprise(world.db, world.actor("ent1"), world.enterprise_id) == []


def test_openapi_and_docs_are_served(client):
    spec = client.get("/openapi.json").json()
    assert "/api/me" in spec["paths"] and "/health" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_an_expired_or_revoked_token_is_refused(client, world):
    from sqlalchemy import update

    from techfin.store.tables import ApiToken, utcnow

    headers = token(client, "a_am")
    assert client.get("/api/me", headers=headers).status_code == 200
    with world.db.transaction() as s:
        s.execute(update(ApiToken).values(expires_at=utcnow()))
    expired = client.get("/api/me", headers=headers)
    assert expired.status_code == 401 and expired.json()["detail"] == "token expired"
    headers = token(client, "a_am")
    with world.db.transaction() as s:
        s.execute(update(ApiToken).values(revoked_at=utcnow()))
    assert client.get("/api/me", headers=headers).json()["detail"] == "invalid token"


def test_every_figure_of_the_profile_names_its_source_and_date(client, world):
    import datetime as dt

    from techfin.services import consent as consent_service
    from techfin.store.tables import SocialSecurityRecord, TaxRecord

    with world.db.transaction() as s:
        s.add(
            SocialSecurityRecord(
                enterprise_id=world.enterprise_id,
                quarter="2026Q2",
                insured_staff=88,
                as_of=dt.date(2026, 7, 31),
            )
        )
        s.add(
            TaxRecord(
                enterprise_id=world.enterprise_id,
                quarter="2026Q2",
                vat=120000,
                cit=30000,
                as_of=dt.date(2026, 7, 31),
            )
        )
    consent_service.grant(
        world.db,
        world.actor("ent1"),
        enterprise_id=world.enterprise_id,
        grantee_code="BANKA",
        purpose="credit_assessment",
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )
    body = client.get(
        f"/api/enterprises/{world.enterprise_id}/profile", headers=token(client, "a_am")
    ).json()
    sections = {
        "financials",
        "social_security",
        "tax",
        "customs",
        "utilities",
        "patents",
        "funding_rounds",
        "credit_register_loans",
        "court_records",
        "tech_transfer",
        "granted_titles",
    }
    assert sections <= set(body) and {"registry", "recognition", "credit_register"} <= set(body)
    assert body["registry"]["source"] == "registry" and body["registry"]["as_of"]
    rows = [(name, row) for name in sections - {"tech_transfer"} for row in body[name]]
    assert len(rows) >= 3
    for name, row in rows:
        assert row["source"] and row["as_of"], name
    assert body["social_security"][0]["source"] == "social_security"
    assert body["tax"][0]["source"] == "tax"


def test_writes_across_tenants_are_refused_and_leave_nothing(client, world):
    import datetime as dt

    from techfin.services import consent as consent_service

    to_b = consent_service.grant(
        world.db,
        world.actor("ent1"),
        enterprise_id=world.enterprise_id,
        grantee_code="BANKB",
        purpose="credit_assessment",
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )
    a = token(client, "a_admin")
    refused = client.post(f"/api/consents/{to_b.id}/revoke", headers=a, json={"reason": "mine now"})
    assert refused.status_code == 403
    assert consent_service.list_for_enterprise(world.db, world.actor("ent1"), world.enterprise_id)[
        0
    ].live
    # a malformed body on a writing endpoint writes nothing
    ent = token(client, "ent1")
    broken = client.post(
        f"/api/enterprises/{world.enterprise_id}/consents",
        headers={**ent, "content-type": "application/json"},
        content=b'{"grantee": "BANKA", "purpose": ',
    )
    assert broken.status_code == 400 and broken.json()["field"] == "body"
    assert (
        len(consent_service.list_for_enterprise(world.db, world.actor("ent1"), world.enterprise_id))
        == 1
    )
    # a new user always lands in the caller's own institution
    made = client.post(
        "/api/users",
        headers=a,
        json={"username": "a_new", "password": "long-enough-1", "role": "reviewer"},
    )
    assert made.status_code == 201 and made.json()["institution_code"] == "BANKA"


def test_each_request_is_one_json_log_line(client):
    import json
    import logging

    from techfin.app import JsonFormatter

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    logger = logging.getLogger("techfin.http")
    handler = Collect()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client.get("/health", headers={"X-Request-ID": "log-test-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    entry = json.loads(lines[-1])
    assert entry["request_id"] == "log-test-1" and entry["path"] == "/health"
    assert entry["status"] == 200 and entry["level"] == "INFO" and "ms" in entry
