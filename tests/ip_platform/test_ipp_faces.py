"""API and pages of the IP platform: the whole flow over HTTP, tenancy, maker-checker, pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from ipp_world import P_INVAL, P_OK, PASSWORD, RELIEF_INPUTS

from techfin.app import create_app


@pytest.fixture
def client(world):
    return TestClient(create_app(world.db, secret_key="test-secret"))


def token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_flow_valuation_pledge_alerts_disposal(client, world):
    am, rm, b_rm = token(client, "a_am"), token(client, "a_rm"), token(client, "b_rm")
    r = client.get(f"/api/ip/patents/{P_OK}?as_of=2026-11-10", headers=am)
    assert r.status_code == 200 and r.json()["status"]["state"] == "in_force"
    assert r.json()["high_value"]["high_value"] is True
    # valuation: order, report (maker), decision by the maker refused, by the checker accepted
    v = client.post(
        "/api/ip/valuations",
        json={
            "patent": P_OK,
            "exposure": "3000000",
            "mode": "agency",
            "on": "2026-11-01",
            "agency_id": world.agency_ids["AG1"],
            "field": "software",
        },
        headers=am,
    )
    assert v.status_code == 201, v.text
    vid = v.json()["id"]
    rep = client.post(
        f"/api/ip/valuations/{vid}/report",
        json={"method": "relief_from_royalty", "inputs": RELIEF_INPUTS, "valued_on": "2026-11-01"},
        headers=rm,
    )
    assert rep.status_code == 200 and rep.json()["value"] == "636671.67"
    own = client.post(
        f"/api/ip/valuations/{vid}/decision", json={"accept": True, "reason": "ok"}, headers=rm
    )
    assert own.status_code == 403 and "maker-checker" in own.json()["detail"]
    ok = client.post(
        f"/api/ip/valuations/{vid}/decision",
        json={"accept": True, "reason": "ok"},
        headers=token(client, "a_approver"),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    # a pledge over two patents: refused for the §11 reasons of the second
    body = {
        "contract_no": "ZY-9",
        "pledgor_name": "北京甲科技有限公司",
        "patents": [P_OK, P_INVAL],
        "debts": [
            {
                "reference": "LN-9",
                "balance": "200000",
                "starts_on": "2026-11-02",
                "matures_on": "2028-11-01",
            }
        ],
        "signed_on": "2026-11-02",
    }
    refused = client.post("/api/ip/pledges", json=body, headers=am).json()
    out = client.post(
        f"/api/ip/pledges/{refused['id']}/apply", json={"applied_on": "2026-11-02"}, headers=am
    ).json()
    assert out["status"] == "refused"
    assert {r["reason"] for r in out["refusals"]} == {
        "invalidation_started",
        "co_owner_consent_missing",
    }
    body |= {"contract_no": "ZY-10", "patents": [P_OK]}
    p = client.post("/api/ip/pledges", json=body, headers=am).json()
    client.post(f"/api/ip/pledges/{p['id']}/apply", json={"applied_on": "2026-11-02"}, headers=am)
    reg = client.post(
        f"/api/ip/pledges/{p['id']}/register",
        json={"registration_no": "Y2026-10", "registered_on": "2026-11-09"},
        headers=am,
    )
    assert reg.status_code == 200 and reg.json()["status"] == "registered"
    detail = client.get(f"/api/ip/pledges/{p['id']}?as_of=2026-11-10", headers=am).json()
    assert detail["pool_position"]["ltv"] == "0.3141"  # 200000 / 636671.67
    assert client.get(f"/api/ip/pledges/{p['id']}", headers=b_rm).status_code == 404
    # monitoring and the queue
    client.post(
        f"/api/ip/pledges/{p['id']}/balance",
        json={"reference": "LN-9", "balance": "180000"},
        headers=am,
    )
    ran = client.post("/api/ip/monitoring", json={"on": "2027-12-01"}, headers=rm)
    assert ran.status_code == 200 and ran.json()["alerts_raised"] >= 1
    queue = client.get("/api/ip/alerts?status=open", headers=rm).json()
    assert "revaluation_due" in {a["kind"] for a in queue}
    assert client.get("/api/ip/alerts", headers=b_rm).json() == []
    aid = queue[0]["id"]
    assert (
        client.post(f"/api/ip/alerts/{aid}/acknowledge", json={}, headers=b_rm).status_code == 404
    )
    assert (
        client.post(f"/api/ip/alerts/{aid}/close", json={"reason": ""}, headers=rm).status_code
        == 422
    )
    closed = client.post(f"/api/ip/alerts/{aid}/close", json={"reason": "revalued"}, headers=rm)
    assert closed.json()["status"] == "closed"
    # disposal with an idempotent close
    d = client.post(
        "/api/ip/disposals",
        json={
            "pledge_id": p["id"],
            "route": "agreed_price",
            "exposure": "185000",
            "interest": "5000",
            "principal": "180000",
        },
        headers=rm,
    ).json()
    client.post(
        f"/api/ip/disposals/{d['id']}/rounds",
        json={"held_on": "2028-01-10", "sold": True, "price": "150000"},
        headers=rm,
    )
    key = {"Idempotency-Key": "close-1"}
    first = client.post(
        f"/api/ip/disposals/{d['id']}/close",
        json={"closed_on": "2028-01-20", "costs": "3000"},
        headers=rm | key,
    )
    again = client.post(
        f"/api/ip/disposals/{d['id']}/close",
        json={"closed_on": "2028-01-20", "costs": "3000"},
        headers=rm | key,
    )
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["recovery_rate"] == "0.7946"  # (150000 − 3000) / 185000


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def login(client: TestClient, username: str):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf(page.text)},
        follow_redirects=True,
    )


def test_pages_patent_pledge_and_queue(client, world):
    import datetime as dt

    from ipp_world import accepted_valuation

    from techfin.services import ip_pledges

    accepted_valuation(world, P_OK, dt.date(2026, 11, 1))
    am = world.actor("a_am")
    p = ip_pledges.create_pledge(
        world.db,
        am,
        contract_no="W-1",
        pledgor_name="甲",
        patents=[P_OK],
        debts=[
            {
                "reference": "LN-W",
                "balance": "100000",
                "starts_on": "2026-11-02",
                "matures_on": "2028-11-01",
            }
        ],
        signed_on=dt.date(2026, 11, 2),
    )
    ip_pledges.apply_registration(world.db, am, p["id"], applied_on=dt.date(2026, 11, 2))
    ip_pledges.record_registration(
        world.db, am, p["id"], registration_no="Y-W", registered_on=dt.date(2026, 11, 9)
    )
    ip_pledges.run_monitoring(world.db, world.actor("a_rm"), dt.date(2027, 12, 1))
    home = login(client, "a_rm")
    assert 'id="nav-ip-alerts"' in home.text
    patent = client.get(f"/ip/patents/{P_OK}?as_of=2026-11-10")
    assert patent.status_code == 200
    assert 'id="timeline"' in patent.text and "缴纳年费" in patent.text
    assert 'id="valuation-chart"' in patent.text and "636671.67" in patent.text
    vid = int(re.search(r'href="/ip/valuations/(\d+)"', patent.text).group(1))
    valuation = client.get(f"/ip/valuations/{vid}")
    assert 'id="sensitivity"' in valuation.text and "逐年计算过程" in valuation.text
    assert "636671.67" in valuation.text
    pledge = client.get(f"/ip/pledges/{p['id']}?as_of=2026-11-10")
    assert 'id="ltv-gauge"' in pledge.text and "已登记" in pledge.text
    queue = client.get("/ip/alerts")
    assert "需重新评估" in queue.text
    alert_id = int(re.search(r'id="ack-(\d+)"', queue.text).group(1))
    after = client.post(
        f"/ip/alerts/{alert_id}/acknowledge",
        data={"csrf_token": csrf(queue.text)},
        follow_redirects=True,
    )
    assert f'id="ack-{alert_id}"' not in after.text and "已确认" in after.text
    client.post("/logout", data={"csrf_token": csrf(after.text)})
    login(client, "b_rm")
    assert client.get(f"/ip/pledges/{p['id']}").status_code == 404
    assert client.get(f"/ip/valuations/{vid}").status_code == 404
    assert "需重新评估" not in client.get("/ip/alerts").text
