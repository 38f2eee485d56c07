"""A small world for platform tests: two banks, an enterprise with its own login."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from techfin.services import users
from techfin.services.context import Actor
from techfin.store.db import Database
from techfin.store.tables import AnnualFinancials, Enterprise

PASSWORD = "correct-horse-1"


@dataclass
class World:
    db: Database
    enterprise_id: int
    other_enterprise_id: int

    def actor(self, username: str) -> Actor:
        return users.authenticate(self.db, username, PASSWORD)


def build_world(db: Database) -> World:
    system = Actor.system("test")
    with db.transaction() as s:
        users.add_institution(s, system, code="BANKA", name="甲银行", kind="bank")
        users.add_institution(s, system, code="BANKB", name="乙银行", kind="bank")
        users.add_institution(s, system, code="HUB", name="信息平台", kind="platform")
        ids = []
        for uscc, name in (
            ("91110000600037341L", "北京甲科技有限公司"),
            ("91310000MA1FL1234X", "上海乙"),
        ):
            e = Enterprise(
                uscc=uscc,
                name=name,
                industry_code="6513",
                province="北京",
                area_code="110000",
                registered_on=dt.date(2015, 3, 1),
                registered_capital=Decimal("5000000.00"),
                as_of=dt.date(2026, 10, 31),
            )
            s.add(e)
            s.flush()
            ids.append(e.id)
            s.add(
                AnnualFinancials(
                    enterprise_id=e.id,
                    year=2025,
                    revenue=Decimal("32000000.00"),
                    cost_of_sales=Decimal("20000000.00"),
                    net_profit=Decimal("2100000.00"),
                    total_assets=Decimal("45000000.00"),
                    total_liabilities=Decimal("18000000.00"),
                    rd_expense=Decimal("2600000.00"),
                    employees=85,
                    as_of=dt.date(2026, 5, 31),
                )
            )
        for username, role, inst, ent in (
            ("a_admin", "admin", "BANKA", None),
            ("a_am", "account_manager", "BANKA", None),
            ("a_reviewer", "reviewer", "BANKA", None),
            ("b_admin", "admin", "BANKB", None),
            ("b_am", "account_manager", "BANKB", None),
            ("ent1", "enterprise", "HUB", ids[0]),
            ("ent2", "enterprise", "HUB", ids[1]),
        ):
            users.add_user(
                s,
                system,
                username=username,
                password=PASSWORD,
                role=role,
                institution_code=inst,
                display_name=username,
                enterprise_id=ent,
            )
    return World(db, ids[0], ids[1])
