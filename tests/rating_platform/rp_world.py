"""A small world for rating-platform tests: two banks, the hub, two enterprises with hub records
whose features are computed by hand in the tests, and a consent from enterprise A to bank A."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from techfin.services import consent, users
from techfin.services.context import Actor
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    CourtRecord,
    CreditRegisterLoan,
    Enterprise,
    FundingRound,
    GrantedTitle,
    Patent,
    SocialSecurityRecord,
    TaxRecord,
    UtilityRecord,
)

PASSWORD = "correct-horse-1"
AS_OF = dt.date(2026, 10, 31)


@dataclass
class World:
    db: Database
    enterprise_id: int
    other_enterprise_id: int

    def actor(self, username: str) -> Actor:
        return users.authenticate(self.db, username, PASSWORD)


def _money(v: int) -> Decimal:
    return Decimal(v).quantize(Decimal("0.01"))


def build_world(db: Database) -> World:
    system = Actor.system("test")
    with db.transaction() as s:
        for code, name, kind in (
            ("BANKA", "甲银行", "bank"),
            ("BANKB", "乙银行", "bank"),
            ("HUB", "信息平台", "platform"),
        ):
            users.add_institution(s, system, code=code, name=name, kind=kind)
        ids = []
        for uscc, name in (
            ("91110000600037341L", "北京甲科技有限公司"),
            ("91310000MA1FL1234X", "上海乙科技有限公司"),
        ):
            e = Enterprise(
                uscc=uscc,
                name=name,
                industry_code="6513",
                registered_on=dt.date(2015, 3, 1),
                registered_capital=Decimal("5000000.00"),
                as_of=AS_OF,
            )
            s.add(e)
            s.flush()
            ids.append(e.id)
        a, b = ids
        for year, rev, np_, ta, tl, rd, emp, tech in (
            (2024, 25_000_000, 1_500_000, 40_000_000, 16_000_000, 2_000_000, 80, 20),
            (2025, 32_000_000, 2_100_000, 45_000_000, 18_000_000, 2_600_000, 85, 30),
        ):
            s.add(
                AnnualFinancials(
                    enterprise_id=a,
                    year=year,
                    revenue=_money(rev),
                    cost_of_sales=_money(rev // 2),
                    net_profit=_money(np_),
                    total_assets=_money(ta),
                    total_liabilities=_money(tl),
                    rd_expense=_money(rd),
                    employees=emp,
                    tech_staff=tech,
                    as_of=AS_OF,
                )
            )
        for q, staff in (
            ("2025Q3", 80),
            ("2025Q4", 82),
            ("2026Q1", 84),
            ("2026Q2", 86),
            ("2026Q3", 90),
        ):
            s.add(
                SocialSecurityRecord(enterprise_id=a, quarter=q, insured_staff=staff, as_of=AS_OF)
            )
        quarters = ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
        for i, q in enumerate(quarters):
            s.add(
                TaxRecord(
                    enterprise_id=a,
                    quarter=q,
                    vat=_money(300_000),
                    cit=_money(100_000),
                    declared_revenue=_money(5_000_000 if i < 4 else 6_000_000),
                    tax_credit_grade="A" if i == 7 else None,
                    as_of=AS_OF,
                )
            )
        for i, q in enumerate(quarters):
            s.add(
                UtilityRecord(
                    enterprise_id=a, quarter=q, power_kwh=1000 if i < 4 else 1200, as_of=AS_OF
                )
            )
        for closed, amount, lead in (
            (dt.date(2021, 6, 1), 10_000_000, "某自然人"),
            (dt.date(2024, 3, 15), 30_000_000, "红杉资本"),
            (dt.date(2025, 12, 20), 20_000_000, "张三"),
        ):
            s.add(
                FundingRound(
                    enterprise_id=a,
                    investee_name="北京甲科技有限公司",
                    stage="B",
                    closed_on=closed,
                    amount=_money(amount),
                    lead_investor=lead,
                    as_of=AS_OF,
                )
            )
        for lender, bal in (("工商银行", 5_000_000), ("建设银行", 3_000_000), ("农业银行", 0)):
            s.add(
                CreditRegisterLoan(
                    enterprise_id=a,
                    lender=lender,
                    loan_ref=f"L-{lender}",
                    balance=_money(bal),
                    classification="normal",
                    overdue_days=0,
                    as_of=AS_OF,
                )
            )
        s.add(
            CourtRecord(
                enterprise_id=a,
                kind="enforcement",
                case_no="(2023)京01执1号",
                filed_on=dt.date(2023, 1, 5),
                status="closed",
                as_of=AS_OF,
            )
        )
        s.add(
            CourtRecord(
                enterprise_id=b,
                kind="dishonest",
                case_no="(2024)沪01执2号",
                filed_on=dt.date(2024, 2, 5),
                status="listed",
                as_of=AS_OF,
            )
        )
        s.add(
            GrantedTitle(
                enterprise_id=a,
                title="hnte",
                certificate_no="GR202411000001",
                issuer="北京市科委",
                valid_from=dt.date(2024, 1, 1),
                valid_to=dt.date(2027, 1, 1),
                as_of=AS_OF,
            )
        )
        for number, owner, kind, filed, granted, status, ipc, claims, fc in (
            (
                "201610000001.1",
                a,
                "invention",
                dt.date(2016, 5, 1),
                dt.date(2019, 5, 1),
                "in_force",
                "G06F 16/00;H04L 9/00",
                12,
                5,
            ),
            (
                "202010000002.2",
                a,
                "invention",
                dt.date(2020, 2, 1),
                dt.date(2022, 8, 1),
                "lapsed",
                "G06F 17/00",
                8,
                1,
            ),
            (
                "202120000003.3",
                a,
                "utility",
                dt.date(2021, 1, 1),
                dt.date(2021, 7, 1),
                "in_force",
                "G06F 3/00",
                5,
                0,
            ),
            (
                "202310000004.4",
                a,
                "invention",
                dt.date(2023, 1, 1),
                None,
                "pending",
                "G06F 1/00",
                None,
                None,
            ),
            (
                "201610000005.5",
                b,
                "invention",
                dt.date(2016, 8, 1),
                dt.date(2018, 8, 1),
                "in_force",
                "G06N 3/00",
                6,
                1,
            ),
        ):
            s.add(
                Patent(
                    number=number,
                    enterprise_id=owner,
                    applicants=[],
                    kind=kind,
                    filed_on=filed,
                    granted_on=granted,
                    status=status,
                    ipc=ipc,
                    claims=claims,
                    forward_citations=fc,
                    as_of=AS_OF,
                )
            )
        for username, role, inst, ent in (
            ("a_am", "account_manager", "BANKA", None),
            ("a_rm", "risk_manager", "BANKA", None),
            ("a_rm2", "risk_manager", "BANKA", None),
            ("a_approver", "approver", "BANKA", None),
            ("b_am", "account_manager", "BANKB", None),
            ("b_rm", "risk_manager", "BANKB", None),
            ("ent1", "enterprise", "HUB", a),
            ("ent2", "enterprise", "HUB", b),
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
    world = World(db, a, b)
    consent.grant(
        db,
        world.actor("ent1"),
        enterprise_id=a,
        grantee_code="BANKA",
        purpose="credit_assessment",
        expires_on=dt.date.today() + dt.timedelta(days=365),
    )
    return world


@cache
def model_json() -> str:
    """A small fitted scorecard on rd_intensity and debt_ratio (deterministic)."""
    import numpy as np

    from techfin.rating import Scorecard

    rng = np.random.default_rng(7)
    n = 2000
    rd = rng.uniform(0, 0.2, n)
    debt = rng.uniform(0.1, 0.95, n)
    logit = -2.0 - 12 * rd + 3 * debt
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    sc = Scorecard(min_iv=0.0).fit({"rd_intensity": rd, "debt_ratio": debt}, y)
    return sc.to_json()
