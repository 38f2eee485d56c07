"""API and pages of the rating platform over HTTP: rate under consent, history, models under
maker-checker, overrides and their report; pages render (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from rp_world import PASSWORD, World, model_json

from techfin.app import create_app
from techfin.services import rating

SHA = hashlib.sha256(b"train").hexdigest()


@pytest.fixture
def client(world: World) -> TestClient:
    return TestClient(create_app(world.db, secret_key="test-secret"))


def token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_rating_models_overrides(client: TestClient, world: World) -> None:
    am, rm, rm2, ap = (token(client, u) for u in ("a_am", "a_rm", "a_rm2", "a_approver"))
    b_am = token(client, "b_am")
    eid = world.enterprise_id
    # consent needed: bank B has none
    r = client.post(f"/api/rating/enterprises/{eid}/ratings", json={}, headers=b_am)
    assert r.status_code == 403 and r.json()["title"] == "Consent required"
    # a model: submitted by a_rm, its own approval refused, approved by a_rm2, made champion
    m = client.post(
        "/api/rating/models",
        json={"name": "tech-pd", "model_json": model_json(), "training_data_sha256": SHA},
        headers=rm,
    )
    assert m.status_code == 201, m.text
    mid = m.json()["id"]
    own = client.post(
        f"/api/rating/models/{mid}/decision", json={"approve": True, "note": "ok"}, headers=rm
    )
    assert own.status_code == 403 and "developer" in own.json()["detail"]
    ok = client.post(
        f"/api/rating/models/{mid}/decision", json={"approve": True, "note": "ok"}, headers=rm2
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    role = client.post(f"/api/rating/models/{mid}/role", json={"role": "champion"}, headers=ap)
    assert role.status_code == 200 and role.json()["role"] == "champion"
    assert client.get(f"/api/rating/models/{mid}", headers=b_am).status_code == 404
    # rate
    r = client.post(
        f"/api/rating/enterprises/{eid}/ratings", json={"as_of": "2026-10-31"}, headers=am
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["model"] == "tech-pd@1" and body["expert_rule"] == "techfin-tech-flow-scorecard@1"
    assert body["policy"]["grade"] == body["final_grade"]
    rid = body["id"]
    hist = client.get(f"/api/rating/enterprises/{eid}/ratings", headers=am).json()
    assert [h["id"] for h in hist] == [rid]
    assert client.get(f"/api/rating/ratings/{rid}", headers=b_am).status_code == 404
    # override: reason required, maker cannot decide, checker can
    bad = client.post(
        f"/api/rating/ratings/{rid}/overrides", json={"to_grade": "T9", "reason": ""}, headers=am
    )
    assert bad.status_code == 422 and bad.json()["field"] == "reason"
    o = client.post(
        f"/api/rating/ratings/{rid}/overrides",
        json={"to_grade": "T9", "reason": "single customer 80 % of revenue"},
        headers=am,
    )
    assert o.status_code == 201 and o.json()["direction"] in ("up", "down")
    oid = o.json()["id"]
    assert (
        client.post(
            f"/api/rating/overrides/{oid}/decision", json={"approve": True}, headers=am
        ).status_code
        == 403
    )
    d = client.post(
        f"/api/rating/overrides/{oid}/decision", json={"approve": True, "note": "ok"}, headers=ap
    )
    assert d.status_code == 200 and d.json()["status"] == "approved"
    assert client.get(f"/api/rating/ratings/{rid}", headers=am).json()["final_grade"] == "T9"
    rep = client.get("/api/rating/overrides/report", headers=rm).json()
    assert rep["total"] == 1 and rep["by_requester"][0]["user"] == "a_am"
    cat = client.get("/api/rating/catalogue", headers=am).json()
    assert any(f["name"] == "patent_quality_percentile" for f in cat["features"])
    feats = client.get(f"/api/rating/enterprises/{eid}/features?as_of=2026-10-31", headers=am)
    assert feats.status_code == 200 and feats.json()["values"]["equity_rounds_3y"] == 2
    t6 = client.get("/api/rating/grades/T6/policy", headers=am).json()
    assert t6["limit_multiple"] == "0.80" and t6["pricing_adjustment_bp"] == 25
    assert t6["approval_route"] == "delegated" and t6["authority_factor"] == "0.5"
    assert client.get("/api/rating/grades/T11/policy", headers=am).status_code == 422


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf(page.text)},
        follow_redirects=True,
    )
    assert r.status_code == 200


def test_pages_rating_and_governance(client: TestClient, world: World) -> None:
    eid = world.enterprise_id
    login(client, "a_am")
    page = client.get(f"/rating/enterprises/{eid}")
    assert page.status_code == 200 and 'id="no-rating"' in page.text
    r = client.post(
        f"/rating/enterprises/{eid}/rate",
        data={"csrf_token": csrf(page.text)},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert 'id="grade"' in r.text and 'id="radar-chart"' in r.text and 'id="history"' in r.text
    assert "techfin-tech-flow-scorecard@1" in r.text
    # the levers shown are credit's grade policy for the grade shown (decision 0608)
    shown = re.search(r'id="grade" class="grade">(T\d+)<', r.text).group(1)
    levers = rating.policy_levers(shown)
    assert f'id="policy-pricing">{levers["pricing_adjustment_bp"]}<' in r.text
    assert f'id="policy-limit-multiple">{levers["limit_multiple"]}<' in r.text
    assert f'id="policy-authority">{levers["authority_factor"]}<' in r.text
    assert f'data-route="{levers["approval_route"]}"' in r.text
    assert re.findall(r'data-code="(\w+)"', r.text) == levers["eligible_products"]
    rid = int(re.search(r"/rating/ratings/(\d+)/override", r.text).group(1))
    o = client.post(
        f"/rating/ratings/{rid}/override",
        data={"csrf_token": csrf(r.text), "enterprise_id": eid, "to_grade": "T10", "reason": "x"},
        follow_redirects=True,
    )
    assert 'id="rating-error"' in o.text  # reason too short
    # the enterprise page links to the rating
    ent = client.get(f"/enterprises/{eid}")
    assert f'href="/rating/enterprises/{eid}"' in ent.text
    client.post("/logout", data={"csrf_token": csrf(ent.text)})
    login(client, "a_rm")
    gov = client.get("/rating/models")
    assert (
        gov.status_code == 200 and 'id="models"' in gov.text and 'id="override-report"' in gov.text
    )
    assert 'id="nav-rating-models"' in gov.text
    # bank B sees no rating of bank A
    client.post("/logout", data={"csrf_token": csrf(gov.text)})
    login(client, "b_am")
    other = client.get(f"/rating/enterprises/{eid}")
    assert other.status_code == 200 and 'id="no-rating"' in other.text
