"""A small world for IP-platform tests: two banks, the hub, two valuation agencies, experts,
an enterprise and four patents whose legal events are loaded through the hub."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from techfin.services import experts, ip_registry, ip_valuation, users
from techfin.services.context import Actor
from techfin.store.db import Database
from techfin.store.tables import Enterprise, Patent

PASSWORD = "correct-horse-1"
# Valid application numbers (check characters computed by techfin.codes.patent).
P_OK = "201510123456.1"  # invention filed 2015-03-10, fees paid to year 12: in force in 2026
P_GRACE = "201910234567.8"  # invention filed 2019-05-01, year-7 fee unpaid from 2025-05-01
P_INVAL = "201710456789.5"  # invention, co-owned, invalidation requested 2026-01-05
P_UTIL = "201620123456.1"  # utility model filed 2016-04-01: term ends 2026-04-01


@dataclass
class World:
    db: Database
    enterprise_id: int
    other_enterprise_id: int
    agency_ids: dict[str, int]

    def actor(self, username: str) -> Actor:
        return users.authenticate(self.db, username, PASSWORD)


def _fees(number: str, filed: dt.date, years: range) -> list[dict[str, Any]]:
    return [
        {
            "number": number,
            "kind": "fee_paid",
            "on": filed.replace(year=filed.year + y - 1).isoformat(),
            "fee_year": y,
            "as_of": "2026-10-31",
        }
        for y in years
    ]


def legal_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    events += [{"number": P_OK, "kind": "granted", "on": "2018-06-20", "as_of": "2026-10-31"}]
    events += _fees(P_OK, dt.date(2015, 3, 10), range(5, 13))
    events += [{"number": P_GRACE, "kind": "granted", "on": "2022-01-10", "as_of": "2026-10-31"}]
    events += _fees(P_GRACE, dt.date(2019, 5, 1), range(4, 7))
    events += [{"number": P_INVAL, "kind": "granted", "on": "2020-03-01", "as_of": "2026-10-31"}]
    events += _fees(P_INVAL, dt.date(2017, 2, 1), range(5, 11))
    events += [
        {
            "number": P_INVAL,
            "kind": "invalidation_requested",
            "on": "2026-01-05",
            "party": "丁公司",
            "as_of": "2026-10-31",
        }
    ]
    events += [{"number": P_UTIL, "kind": "granted", "on": "2017-01-10", "as_of": "2026-10-31"}]
    events += _fees(P_UTIL, dt.date(2016, 4, 1), range(3, 11))
    return events


def build_world(db: Database) -> World:
    system = Actor.system("test")
    with db.transaction() as s:
        for code, name, kind in (
            ("BANKA", "甲银行", "bank"),
            ("BANKB", "乙银行", "bank"),
            ("HUB", "信息平台", "platform"),
            ("AG1", "一号评估", "valuation_agency"),
            ("AG2", "二号评估", "valuation_agency"),
        ):
            users.add_institution(s, system, code=code, name=name, kind=kind)
        ids = []
        for uscc, name in (
            ("91110000600037341L", "北京甲科技有限公司"),
            ("91310000MA1FL1234X", "上海乙"),
        ):
            e = Enterprise(
                uscc=uscc,
                name=name,
                industry_code="6513",
                registered_on=dt.date(2012, 3, 1),
                registered_capital=Decimal("5000000.00"),
                as_of=dt.date(2026, 10, 31),
            )
            s.add(e)
            s.flush()
            ids.append(e.id)
        for number, kind, filed, granted, owners in (
            (P_OK, "invention", dt.date(2015, 3, 10), dt.date(2018, 6, 20), ["北京甲科技有限公司"]),
            (
                P_GRACE,
                "invention",
                dt.date(2019, 5, 1),
                dt.date(2022, 1, 10),
                ["北京甲科技有限公司"],
            ),
            (
                P_INVAL,
                "invention",
                dt.date(2017, 2, 1),
                dt.date(2020, 3, 1),
                ["北京甲科技有限公司", "丙大学"],
            ),
            (P_UTIL, "utility", dt.date(2016, 4, 1), dt.date(2017, 1, 10), ["北京甲科技有限公司"]),
        ):
            s.add(
                Patent(
                    number=number,
                    enterprise_id=ids[0],
                    applicants=owners,
                    title=f"专利 {number}",
                    kind=kind,
                    filed_on=filed,
                    granted_on=granted,
                    ipc="G06F 16/00",
                    claims=10,
                    as_of=dt.date(2026, 10, 31),
                )
            )
        for username, role, inst in (
            ("a_am", "account_manager", "BANKA"),
            ("a_rm", "risk_manager", "BANKA"),
            ("a_rm2", "risk_manager", "BANKA"),
            ("a_approver", "approver", "BANKA"),
            ("b_am", "account_manager", "BANKB"),
            ("b_rm", "risk_manager", "BANKB"),
            ("hub_admin", "admin", "HUB"),
            ("ag1_user", "expert", "AG1"),
        ):
            users.add_user(
                s,
                system,
                username=username,
                password=PASSWORD,
                role=role,
                institution_code=inst,
                display_name=username,
            )
    for name in ("张专家", "李专家", "王专家"):
        experts.add_expert(db, system, name=name, kind="ip", fields=["software", "biotech"])
    agencies = {}
    for code in ("AG1", "AG2"):
        agencies[code] = ip_valuation.add_agency(
            db,
            system,
            institution_code=code,
            qualification="资产评估机构备案",
            qualification_no=f"Q-{code}",
            qualified_until=dt.date(2030, 12, 31),
            fields=["software"],
        )["id"]
    report = ip_registry.push_legal_events(
        db, system, legal_events(), label="test", today=dt.date(2026, 11, 27)
    )
    assert report.quarantined == 0, report
    return World(db, ids[0], ids[1], agencies)


RELIEF_INPUTS = {
    "revenues": ["4000000", "4400000", "4800000", "5200000", "5600000"],
    "royalty_rate": "0.05",
    "tax_rate": "0.25",
    "discount_rate": "0.12",
}


def accepted_valuation(world: World, number: str, on: dt.date, mode: str = "agency") -> int:
    """Order, report and accept a valuation (maker a_am, checker a_rm)."""
    am, rm = world.actor("a_am"), world.actor("a_rm")
    v = ip_valuation.order_valuation(
        world.db,
        am,
        patent=number,
        exposure=Decimal("3000000"),
        mode=mode,
        agency_id=world.agency_ids["AG1"] if mode == "agency" else None,
        field="software",
        on=on,
    )
    ip_valuation.submit_report(
        world.db, am, v["id"], method="relief_from_royalty", inputs=RELIEF_INPUTS, valued_on=on
    )
    ip_valuation.decide_valuation(world.db, rm, v["id"], accept=True, reason="inputs checked")
    return int(v["id"])
