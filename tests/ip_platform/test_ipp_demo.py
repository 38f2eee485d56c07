"""The IP demo seeder leaves something on every IP page: pools registered and refused, alerts."""

from __future__ import annotations

import datetime as dt

from techfin.services import ip_demo, ip_pledges
from techfin.store.tables import Patent


def test_demo_seed_fills_the_ip_pages(world):
    with world.db.transaction() as s:
        s.add(
            Patent(
                number="202010345678.9",
                enterprise_id=world.enterprise_id,
                applicants=["北京甲科技有限公司"],
                kind="invention",
                filed_on=dt.date(2020, 1, 15),
                granted_on=dt.date(2022, 6, 1),
                as_of=dt.date(2026, 10, 31),
            )
        )
    out = ip_demo.seed(world.db, as_of=dt.date(2026, 10, 31))
    assert out["bank"] == "BANKA" and out["valuations"] == 3 and out["pledges"] == 3
    assert out["monitoring"]["alerts_raised"] >= 2
    rm = world.actor("a_rm")
    pools = {p["contract_no"]: p for p in ip_pledges.list_pledges(world.db, rm)}
    assert pools["IPZY-DEMO-001"]["status"] == "registered"
    assert pools["IPZY-DEMO-003"]["status"] == "refused"
    detail = ip_pledges.pledge_detail(
        world.db, rm, pools["IPZY-DEMO-002"]["id"], dt.date(2026, 10, 31)
    )
    assert detail["pool_position"]["breach"] is True
    kinds = {a["kind"] for a in ip_pledges.alert_queue(world.db, rm)}
    assert {"ltv_breach", "litigation", "licence"} <= kinds
