"""Origination through the API: apply → review → expert opinion → approve → contract →
condition met → disbursement check → disbursed, and the refusals as HTTP problems."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from orig_world import PASSWORD, build_orig_world

from techfin.app import create_app

IP = [{"kind": "ip", "ip_type": "invention", "appraised_value": "8000000", "patent": "ZL1"}]


@pytest.fixture
def client(db):
    world = build_orig_world(db)
    c = TestClient(create_app(db, secret_key="test-secret"))
    c.world = world  # type: ignore[attr-defined]
    return c


def auth(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_the_whole_path_through_the_api(client):
    w = client.world
    am, rev, appr, risk = (
        auth(client, u) for u in ("a_am", "a_reviewer", "a_bj_approver", "a_risk")
    )
    app = ok(
        client.post(
            "/api/origination/applications",
            headers=am,
            json={
                "enterprise_id": w.enterprise_id,
                "product_code": "ip_pledge_loan",
                "amount": "2000000",
                "term_months": 12,
                "method": "annuity",
                "guarantee": ["pledge"],
                "collateral": IP,
            },
        ),
        201,
    )
    aid = app["id"]
    assert app["file"]["rating"]["status"] == "rated"
    incomplete = client.post(f"/api/origination/applications/{aid}/submit", headers=am)
    assert incomplete.status_code == 422
    assert incomplete.headers["content-type"] == "application/problem+json"
    assert incomplete.json()["field"] == "file"
    assert "investigation report" in incomplete.json()["detail"]
    ok(
        client.post(
            f"/api/origination/applications/{aid}/file",
            headers=am,
            json={
                "investigation_report": "site visit: orders booked to Q3",
                "milestones": [{"kind": "funding_round", "text": "Series B", "due": "2027-06-30"}],
            },
        )
    )
    assert (
        ok(client.post(f"/api/origination/applications/{aid}/submit", headers=am))["status"]
        == "submitted"
    )
    assert [a["id"] for a in ok(client.get("/api/origination/queue", headers=rev))] == [aid]
    app = ok(
        client.post(
            f"/api/origination/applications/{aid}/review", headers=rev, json={"opinion": "sound"}
        )
    )
    assert app["status"] == "experts"
    app = ok(
        client.post(f"/api/origination/applications/{aid}/experts", headers=rev, json={"seed": 3})
    )
    for e in app["experts"]:
        h = auth(client, e["expert"])
        assert [a["id"] for a in ok(client.get("/api/origination/queue", headers=h))] == [aid]
        seen = ok(client.get(f"/api/origination/applications/{aid}", headers=h))
        assert "pricing" not in seen["file"] and "schedule" not in seen["file"]
        assert seen["file"]["hub_profile"]["latest_financials"] is None
        assert seen["file"]["ip"]["pledge_capacity"] == "2000000.00"
        ok(
            client.post(
                f"/api/origination/applications/{aid}/opinion",
                headers=h,
                json={"score": 70, "support": e is not app["experts"][0], "opinion": "view"},
            )
        )
    app = ok(client.get(f"/api/origination/applications/{aid}", headers=am))
    assert app["status"] == "decision"
    assert app["expert_advice"]["recommendation"] == "support"
    assert len(app["expert_advice"]["dissent"]) == 1
    # the maker cannot approve
    maker = client.post(
        f"/api/origination/applications/{aid}/decision",
        headers=am,
        json={"decision": "approve", "reason": "mine"},
    )
    assert maker.status_code == 403
    app = ok(
        client.post(
            f"/api/origination/applications/{aid}/decision",
            headers=appr,
            json={"decision": "approve", "reason": "strong IP"},
        )
    )
    assert app["status"] == "approved"
    app = ok(client.post(f"/api/origination/applications/{aid}/contract", headers=am), 201)
    cid = app["contract"]["id"]
    blocked = client.post(f"/api/origination/contracts/{cid}/disbursements", headers=am, json={})
    assert blocked.status_code == 409 and blocked.json()["field"] == "conditions"
    for cond in app["contract"]["conditions"]:
        ok(
            client.post(
                f"/api/origination/conditions/{cond['id']}/met",
                headers=am,
                json={"evidence": "reg 7"},
            )
        )
    key = {**am, "Idempotency-Key": "draw-1"}
    d1 = ok(
        client.post(f"/api/origination/contracts/{cid}/disbursements", headers=key, json={}), 201
    )
    d2 = ok(
        client.post(f"/api/origination/contracts/{cid}/disbursements", headers=key, json={}), 201
    )
    assert d1["id"] == d2["id"]
    d = ok(
        client.post(
            f"/api/origination/disbursements/{d1['id']}/check",
            headers=risk,
            json={"approve": True, "reason": "documents complete"},
        )
    )
    assert d["status"] == "disbursed"
    loan = ok(client.get(f"/api/origination/loans/{d['loan_id']}", headers=am))
    assert loan["principal"] == "2000000.00" and len(loan["schedule"]) == 12
    times = ok(client.get("/api/origination/channel-times", headers=am))
    assert any(s["step"] == "review" and s["tech"]["n"] == 1 for s in times["steps"])
    other = auth(client, "b_am")
    assert client.get(f"/api/origination/applications/{aid}", headers=other).status_code == 404
    assert client.get(f"/api/origination/loans/{loan['id']}", headers=other).status_code == 404


def test_credit_lines_group_links_and_quota_over_the_api(client):
    w = client.world
    am, appr = auth(client, "a_am"), auth(client, "a_ho_approver")
    link = client.post(
        "/api/origination/group-links",
        headers=am,
        json={"owner_enterprise_id": w.other_enterprise_id, "owned_enterprise_id": w.enterprise_id},
    )
    assert link.status_code == 201, link.text
    assert client.post("/api/origination/credit-lines", headers=am, json={}).status_code == 422
    line = ok(
        client.post(
            "/api/origination/credit-lines",
            headers=appr,
            json={
                "enterprise_id": w.other_enterprise_id,
                "scope": "group",
                "limit_amount": "8000000",
                "sublimits": {"ip_pledge_loan": "3000000"},
            },
        ),
        201,
    )
    assert line["members"] == sorted([w.enterprise_id, w.other_enterprise_id])
    lines = ok(
        client.get(f"/api/origination/enterprises/{w.enterprise_id}/credit-lines", headers=am)
    )
    assert lines[0]["available"] == "8000000.00"
    too_fine = client.post(
        "/api/origination/credit-lines",
        headers=appr,
        json={"enterprise_id": w.enterprise_id, "limit_amount": "100.001"},
    )
    assert too_fine.status_code == 422 and too_fine.json()["field"] == "limit_amount"
