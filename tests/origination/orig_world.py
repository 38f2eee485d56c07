"""A small bank for origination tests: head office → branch → tech sub-branch, the staff of
each role, experts in the shared registry (one conflicted), and a tech enterprise that
consented to credit assessment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from techfin.services import consent, experts, users
from techfin.services.context import Actor
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    Branch,
    BusinessDate,
    Enterprise,
    GrantedTitle,
    Institution,
    Patent,
)

PASSWORD = "correct-horse-1"


@dataclass
class OrigWorld:
    db: Database
    enterprise_id: int
    other_enterprise_id: int
    branch_ids: dict[str, int] = field(default_factory=dict)
    expert_ids: dict[str, int] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            self.actors[username] = users.authenticate(self.db, username, PASSWORD)
        return self.actors[username]


def _financials(enterprise_id: int, year: int, scale: Decimal) -> AnnualFinancials:
    def y(v: str) -> Decimal:
        return (Decimal(v) * scale).quantize(Decimal("0.01"))

    return AnnualFinancials(
        enterprise_id=enterprise_id,
        year=year,
        revenue=y("32000000"),
        cost_of_sales=y("20000000"),
        net_profit=y("2100000"),
        total_assets=y("45000000"),
        total_liabilities=y("18000000"),
        rd_expense=y("2600000"),
        inventory=y("3000000"),
        receivables=y("5000000"),
        payables=y("2500000"),
        prepayments=y("400000"),
        advance_receipts=y("300000"),
        employees=85,
        tech_staff=30,
        as_of=dt.date(year + 1, 5, 31),
    )


def set_business_date(db: Database, code: str, day: dt.date) -> None:
    """Set an institution's business date (营业日) — what day-end would have moved it to."""
    with db.transaction() as s:
        inst = s.query(Institution).filter_by(code=code).one()
        row = s.get(BusinessDate, inst.id)
        if row is None:
            s.add(BusinessDate(institution_id=inst.id, business_date=day))
        else:
            row.business_date = day


def head_office_refers_grade_to_committee(db: Database, grade: str = "T7") -> None:
    """Bank A's head office gives itself no delegated authority for `grade` (a branch's own
    `delegated_limits.grade_factor` wins over the grade policy's): such cases go to the credit
    committee whatever the amount — how the committee tests reach the committee with an amount
    the grade's limit multiple allows (decision 0608)."""
    with db.transaction() as s:
        head = s.query(Branch).filter_by(code="HO").one()
        limits = dict(head.delegated_limits or {})
        limits["grade_factor"] = {**limits.get("grade_factor", {}), grade: "0"}
        head.delegated_limits = limits


def build_orig_world(db: Database, *, business_date: dt.date | None = None) -> OrigWorld:
    """The world; with `business_date`, BANKA works on that date (its tech titles and patents
    are in force around it) — without one, the bank has no business date yet and origination
    dates by the wall clock, as `servicing.business_date` falls back to it. Consents are
    granted on the wall clock (the consent service's)."""
    system = Actor.system("test")
    today = business_date or dt.date.today()
    with db.transaction() as s:
        users.add_institution(s, system, code="BANKA", name="甲银行", kind="bank")
        users.add_institution(s, system, code="BANKB", name="乙银行", kind="bank")
        inst = users.add_institution(s, system, code="HUB", name="信息平台", kind="platform")
        bank_a = s.query(type(inst)).filter_by(code="BANKA").one()
        head = users.add_branch(
            s,
            system,
            institution_id=bank_a.id,
            code="HO",
            name="总行",
            kind="head_office",
            delegated_limits={"exposure_yuan": "50000000"},
        )
        branch = users.add_branch(
            s,
            system,
            institution_id=bank_a.id,
            code="BJ",
            name="北京分行",
            kind="branch",
            parent_id=head.id,
            delegated_limits={"exposure_yuan": "10000000"},
        )
        sub = users.add_branch(
            s,
            system,
            institution_id=bank_a.id,
            code="ZGC",
            name="中关村科技支行",
            kind="tech_subbranch",
            parent_id=branch.id,
            delegated_limits={"exposure_yuan": "3000000"},
        )
        ids = []
        for uscc, name in (
            ("91110000600037341L", "北京甲科技有限公司"),
            ("91310000MA1FL1234X", "上海乙科技有限公司"),
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
            s.add(_financials(e.id, 2024, Decimal("0.8")))
            s.add(_financials(e.id, 2025, Decimal("1")))
        s.add(
            GrantedTitle(
                enterprise_id=ids[0],
                title="hnte",
                certificate_no="GR202411000001",
                issuer="北京市科学技术委员会",
                valid_from=today - dt.timedelta(days=300),
                valid_to=today + dt.timedelta(days=800),
                as_of=today,
            )
        )
        for n in range(3):
            s.add(
                Patent(
                    number=f"ZL20211000000{n}.X",
                    enterprise_id=ids[0],
                    applicants=["北京甲科技有限公司"],
                    title=f"专利 {n}",
                    kind="invention",
                    filed_on=dt.date(2021, 1, 1),
                    granted_on=dt.date(2023, 1, 1),
                    status="valid",
                    as_of=today,
                )
            )
        staff = [
            ("a_admin", "admin", None),
            ("a_am", "account_manager", "ZGC"),
            ("a_am2", "account_manager", "ZGC"),
            ("a_reviewer", "reviewer", "ZGC"),
            ("a_reviewer2", "reviewer", "ZGC"),
            ("a_approver", "approver", "ZGC"),
            ("a_bj_approver", "approver", "BJ"),
            ("a_ho_approver", "approver", "HO"),
            ("a_chair", "approver", "HO"),
            ("a_member1", "approver", "HO"),
            ("a_member2", "risk_manager", "HO"),
            ("a_risk", "risk_manager", "ZGC"),
        ]
        for username, role, branch_code in staff:
            users.add_user(
                s,
                system,
                username=username,
                password=PASSWORD,
                role=role,
                institution_code="BANKA",
                display_name=username,
                branch_code=branch_code,
            )
        users.add_user(
            s,
            system,
            username="b_am",
            password=PASSWORD,
            role="account_manager",
            institution_code="BANKB",
            display_name="b_am",
        )
        for i, ent in enumerate(ids, start=1):
            users.add_user(
                s,
                system,
                username=f"ent{i}",
                password=PASSWORD,
                role="enterprise",
                institution_code="HUB",
                display_name=f"ent{i}",
                enterprise_id=ent,
            )
        expert_users = {}
        for i in range(1, 5):
            u = users.add_user(
                s,
                system,
                username=f"expert{i}",
                password=PASSWORD,
                role="expert",
                institution_code="HUB",
                display_name=f"专家{i}",
            )
            expert_users[f"expert{i}"] = u.id
        branch_ids = {"HO": head.id, "BJ": branch.id, "ZGC": sub.id}
    world = OrigWorld(db, ids[0], ids[1], branch_ids)
    for name, uid in expert_users.items():
        view = experts.add_expert(
            db, system, name=name, kind="tech", fields=["6513"], affiliation="清华大学"
        )
        with db.transaction() as s:
            from techfin.store.tables import Expert

            x = s.get(Expert, view.id)
            assert x is not None
            x.user_id = uid
        world.expert_ids[name] = view.id
    for i, ent in enumerate(ids, start=1):
        consent.grant(
            db,
            world.actor(f"ent{i}"),
            enterprise_id=ent,
            grantee_code="BANKA",
            purpose="credit_assessment",
            expires_on=dt.date.today() + dt.timedelta(days=365),
        )
    if business_date is not None:
        set_business_date(db, "BANKA", business_date)
    return world
