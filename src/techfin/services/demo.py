"""Load the generated demo world (`techfin.synth`) into an empty database.

Bulk inserts, one transaction: the database holds the whole world or nothing. Users' demo
passwords are hashed with argon2 here; the logins are listed in the README. A slice of the
enterprises grants consents to the demo banks so the pages have data to show.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from techfin.services import audit
from techfin.services.context import Actor
from techfin.services.errors import Conflict
from techfin.services.security import hash_password
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    Branch,
    Consent,
    CourtRecord,
    CreditRegisterLoan,
    CustomsRecord,
    Enterprise,
    Expert,
    ExpertConflict,
    FundingRound,
    GrantedTitle,
    Institution,
    Patent,
    SocialSecurityRecord,
    TaxRecord,
    User,
    UtilityRecord,
)

DEMO_AS_OF = dt.date(2026, 10, 31)

# Capabilities that seed their own demo data over the loaded world: a module with
# `seed(db, *, as_of) -> dict` (each in its own transactions, after the world has landed).
DEMO_SEEDERS = [
    "techfin.services.ip_demo",
    "techfin.services.servicing_demo",
    "techfin.services.origination_demo",
    "techfin.services.rating_demo",
]
PATENT_KIND = {
    "invention": "invention",
    "utility_model": "utility",
    "utility": "utility",
    "design": "design",
    "1": "invention",
    "2": "utility",
    "3": "design",
}


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(int(fen)).scaleb(-2)


def status(db: Database) -> dict[str, Any]:
    with db.read() as session:
        institutions = session.scalar(select(func.count(Institution.id))) or 0
        enterprises = session.scalar(select(func.count(Enterprise.id))) or 0
    return {"empty": institutions == 0, "institutions": institutions, "enterprises": enterprises}


def _rows(table: Any) -> list[dict[str, Any]]:
    return list(table.to_pylist())


def load(
    db: Database,
    *,
    seed: int = 20211126,
    enterprises: int = 3000,
    as_of: dt.date = DEMO_AS_OF,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Generate the world from `seed` and insert it; refuses a database that is not empty."""
    from techfin.synth import generate

    started = time.perf_counter()
    if not status(db)["empty"]:
        raise Conflict("the database already holds data; demo load needs an empty database")
    actor = Actor.system("demo")
    with db.transaction() as session:
        loader = _Loader(session, as_of)
        for batch in generate(seed, enterprises, as_of=as_of):
            tables = dict(batch.tables)
            if not loader.world_loaded and tables.get("institutions") is not None:
                loader.world(tables)
            loader.enterprises(tables)
            if progress is not None:
                progress(loader.counts["enterprises"], enterprises)
        loader.users_and_experts()
        loader.consents()
        counts = loader.counts
        audit.record(
            session,
            actor,
            "demo.load",
            "database",
            reason=f"seed {seed}",
            after={k: counts[k] for k in sorted(counts)},
        )
    report: dict[str, Any] = dict(sorted(counts.items()))
    import importlib

    for name in DEMO_SEEDERS:
        report[name.rsplit(".", 1)[-1]] = importlib.import_module(name).seed(db, as_of=as_of)
    report["seconds"] = time.perf_counter() - started
    report["seed"] = seed
    return report


class _Loader:
    """Inserts one generated world; keeps the id maps between batches."""

    def __init__(self, session: Session, as_of: dt.date) -> None:
        self.session = session
        self.as_of = as_of
        self.counts: dict[str, int] = defaultdict(int)
        self.world_loaded = False
        self.ids: dict[int, int] = {}
        self.inst_ids: dict[str, int] = {}
        self.branch_ids: dict[tuple[str, str], int] = {}
        self.uscc_ids: dict[str, int] = {}
        self.pending_users: list[dict[str, Any]] = []
        self.pending_experts: list[dict[str, Any]] = []
        self.pending_conflicts: list[dict[str, Any]] = []

    def world(self, batch: dict[str, Any]) -> None:
        institutions = _rows(batch["institutions"])
        self.session.execute(
            insert(Institution),
            [
                {
                    "code": r["code"],
                    "name": r["name"],
                    "name_en": r.get("name_en") or "",
                    "kind": r["kind"],
                }
                for r in institutions
            ],
        )
        if not any(r["code"] == "HUB" for r in institutions):
            # the information hub, where enterprises' own users manage their consents
            self.session.add(
                Institution(
                    code="HUB",
                    name="科技企业信息共享平台",
                    name_en="Information hub",
                    kind="platform",
                )
            )
            self.session.flush()
        self.inst_ids = inst_ids = dict(
            self.session.execute(select(Institution.code, Institution.id)).all()
        )
        self.counts["institutions"] = len(institutions)
        branches = _rows(batch.get("branches")) if batch.get("branches") is not None else []
        # parents first: head offices, then branches, then sub-branches
        order = {"head_office": 0, "branch": 1, "tech_subbranch": 2}
        branch_ids = self.branch_ids
        for r in sorted(branches, key=lambda b: order.get(b["kind"], 3)):
            limit = r.get("delegated_limit_fen")
            branch = Branch(
                institution_id=inst_ids[r["institution_code"]],
                parent_id=branch_ids.get((r["institution_code"], r.get("parent_code") or "")),
                code=r["code"],
                name=r["name"],
                kind=r["kind"],
                delegated_limits={"exposure_yuan": str(_yuan(limit))} if limit else {},
            )
            self.session.add(branch)
            self.session.flush()
            branch_ids[(r["institution_code"], r["code"])] = branch.id
        self.counts["branches"] = len(branches)
        self.pending_users = _rows(batch["users"]) if batch.get("users") is not None else []
        self.pending_experts = _rows(batch["experts"]) if batch.get("experts") is not None else []
        self.world_loaded = True

    def enterprises(self, batch: dict[str, Any]) -> None:
        if batch.get("enterprises") is None:
            return
        as_of = self.as_of
        rows = _rows(batch["enterprises"])
        self.session.execute(
            insert(Enterprise),
            [
                {
                    "uscc": r["uscc"],
                    "name": r["name"],
                    "name_en": r.get("name_en") or "",
                    "former_names": [r["former_name"]] if r.get("former_name") else [],
                    "industry_code": r["industry_code"],
                    "province": r.get("province") or "",
                    "area_code": r.get("area_code") or "",
                    "registered_on": r["registered_on"],
                    "registered_capital": _yuan(r.get("registered_capital_fen")),
                    "legal_form": r.get("legal_form") or "",
                    "as_of": as_of,
                }
                for r in rows
            ],
        )
        by_uscc = dict(
            self.session.execute(
                select(Enterprise.uscc, Enterprise.id).where(
                    Enterprise.uscc.in_([r["uscc"] for r in rows])
                )
            ).all()
        )
        names: dict[int, str] = {}
        for r in rows:
            self.ids[int(r["enterprise_id"])] = by_uscc[r["uscc"]]
            names[int(r["enterprise_id"])] = r["name"]
        self.uscc_ids.update(by_uscc)
        self.counts["enterprises"] += len(rows)

        def eid(r: dict[str, Any]) -> int:
            return self.ids[int(r["enterprise_id"])]

        def quarter(r: dict[str, Any]) -> str:
            return f"{r['year']}Q{r['quarter']}"

        def quarter_as_of(r: dict[str, Any]) -> dt.date:
            # a quarter's aggregates are published about a month after it closes
            end_month = 3 * int(r["quarter"])
            day = dt.date(int(r["year"]) + (end_month == 12), end_month % 12 + 1, 28)
            return min(day, as_of)

        def load(table: str, model: Any, convert: Any) -> None:
            if batch.get(table) is None:
                return
            data = [convert(r) for r in _rows(batch[table])]
            if data:
                self.session.execute(insert(model), data)
            self.counts[model.__tablename__] += len(data)

        load(
            "financials",
            AnnualFinancials,
            lambda r: {
                "enterprise_id": eid(r),
                "year": r["year"],
                "revenue": _yuan(r["revenue_fen"]),
                "cost_of_sales": _yuan(r["cost_of_sales_fen"]),
                "net_profit": _yuan(r["net_profit_fen"]),
                "total_assets": _yuan(r["total_assets_fen"]),
                "total_liabilities": _yuan(r["total_liabilities_fen"]),
                "rd_expense": _yuan(r["rd_expense_fen"]),
                "rd_domestic": _yuan(r["rd_domestic_fen"]),
                "inventory": _yuan(r["inventory_fen"]),
                "receivables": _yuan(r["receivables_fen"]),
                "payables": _yuan(r["payables_fen"]),
                "prepayments": _yuan(r["prepayments_fen"]),
                "advance_receipts": _yuan(r["advance_receipts_fen"]),
                "employees": r["employees"],
                "tech_staff": r["tech_staff"],
                "as_of": min(dt.date(int(r["year"]) + 1, 5, 31), as_of),
            },
        )
        load(
            "social_security",
            SocialSecurityRecord,
            lambda r: {
                "enterprise_id": eid(r),
                "quarter": quarter(r),
                "insured_staff": r["insured_end"],
                "as_of": quarter_as_of(r),
            },
        )
        load(
            "tax",
            TaxRecord,
            lambda r: {
                "enterprise_id": eid(r),
                "quarter": quarter(r),
                "vat": _yuan(r["vat_fen"]),
                "cit": _yuan(r["cit_fen"]),
                "as_of": quarter_as_of(r),
            },
        )
        load(
            "customs",
            CustomsRecord,
            lambda r: {
                "enterprise_id": eid(r),
                "quarter": quarter(r),
                "exports": _yuan(r["exports_fen"]),
                "imports": _yuan(r["imports_fen"]),
                "as_of": quarter_as_of(r),
            },
        )
        load(
            "utilities",
            UtilityRecord,
            lambda r: {
                "enterprise_id": eid(r),
                "quarter": quarter(r),
                "power_kwh": r["power_kwh"],
                "water_m3": r["water_m3"],
                "as_of": quarter_as_of(r),
            },
        )
        load(
            "patents",
            Patent,
            lambda r: {
                "number": r["application_no"],
                "enterprise_id": eid(r),
                "applicants": [names[int(r["enterprise_id"])]],
                "kind": PATENT_KIND.get(str(r["patent_type"]), str(r["patent_type"])),
                "filed_on": r["filed_on"],
                "granted_on": r.get("granted_on"),
                "status": r["status"],
                "ipc": r.get("ipc") or "",
                "claims": r.get("claims"),
                "forward_citations": r.get("forward_citations_5y"),
                "as_of": r.get("status_on") or as_of,
            },
        )
        load(
            "funding_rounds",
            FundingRound,
            lambda r: {
                "enterprise_id": eid(r),
                "investee_name": names[int(r["enterprise_id"])],
                "stage": r["stage"],
                "closed_on": r["announced_on"],
                "amount": _yuan(r["amount_fen"]),
                "post_money": _yuan(r.get("post_money_fen")),
                "lead_investor": r.get("lead_investor_code") or "",
                "as_of": as_of,
            },
        )
        load(
            "credit_register",
            CreditRegisterLoan,
            lambda r: {
                "enterprise_id": eid(r),
                "lender": r["lender"],
                "loan_ref": str(r["loan_no"]),
                "balance": _yuan(r["balance_fen"]),
                "classification": r["classification"],
                "overdue_days": r["overdue_days"],
                "opened_on": r.get("opened_on"),
                "matures_on": r.get("matures_on"),
                "as_of": r["reported_on"],
            },
        )
        load(
            "court_records",
            CourtRecord,
            lambda r: {
                "enterprise_id": eid(r),
                "kind": r["kind"],
                "case_no": r["case_no"],
                "court": r.get("court") or "",
                "filed_on": r["filed_on"],
                "amount": _yuan(r.get("amount_fen")),
                "status": r.get("status") or "",
                "as_of": as_of,
            },
        )
        load(
            "titles",
            GrantedTitle,
            lambda r: {
                "enterprise_id": eid(r),
                "title": r["title"],
                "certificate_no": r["certificate_no"],
                "issuer": r["issuer"],
                "valid_from": r["issued_on"],
                "valid_to": r["valid_until"],
                "as_of": as_of,
            },
        )
        if batch.get("users") is not None:  # enterprises' own logins come with their chunk
            self.pending_users.extend(_rows(batch["users"]))
        if batch.get("expert_conflicts") is not None:
            for r in _rows(batch["expert_conflicts"]):
                self.pending_conflicts.append({**r, "db_enterprise_id": eid(r)})

    def users_and_experts(self) -> None:
        if not any(r["username"] == "hub.admin" for r in self.pending_users):
            # the hub's data steward: loads shared data, reviews entity resolution
            self.pending_users.append(
                {
                    "username": "hub.admin",
                    "password": "hub.admin#demo",
                    "role": "admin",
                    "display_name": "平台数据管理员",
                    "institution_code": "HUB",
                }
            )
        if not any(r["username"] == "hub.admin2" for r in self.pending_users):
            # a second operator administrator: the checker of market data (LPR fixings)
            self.pending_users.append(
                {
                    "username": "hub.admin2",
                    "password": "hub.admin2#demo",
                    "role": "admin",
                    "display_name": "平台运营复核员",
                    "institution_code": "HUB",
                }
            )
        inst_ids, branch_ids, uscc_ids = self.inst_ids, self.branch_ids, self.uscc_ids
        expert_ids: dict[str, int] = {}
        for r in self.pending_experts:
            expert = Expert(
                name=r["name"],
                kind=r["kind"],
                fields=list(r.get("fields") or []),
                affiliation=r.get("employer") or "",
            )
            self.session.add(expert)
            self.session.flush()
            expert_ids[r["code"]] = expert.id
        hashes: dict[str, str] = {}
        user_ids: dict[str, int] = {}
        for r in self.pending_users:
            enterprise_id = uscc_ids.get(r.get("enterprise_uscc") or "")
            if r["role"] == "enterprise" and enterprise_id is None:
                continue  # the enterprise was not generated at this size
            password = r["password"]
            if password not in hashes:
                hashes[password] = hash_password(password)
            inst = r.get("institution_code") or ("HUB" if r["role"] == "enterprise" else "")
            user = User(
                username=r["username"],
                display_name=r.get("display_name") or r["username"],
                password_hash=hashes[password],
                institution_id=inst_ids.get(inst),
                branch_id=branch_ids.get((inst, r.get("branch_code") or "")),
                enterprise_id=enterprise_id,
                role=r["role"],
            )
            self.session.add(user)
            self.session.flush()
            user_ids[r["username"]] = user.id
            if r.get("expert_code") and r["expert_code"] in expert_ids:
                expert_row = self.session.get(Expert, expert_ids[r["expert_code"]])
                assert expert_row is not None
                expert_row.user_id = user.id
        for c in self.pending_conflicts:
            if c["expert_code"] in expert_ids:
                self.session.add(
                    ExpertConflict(
                        expert_id=expert_ids[c["expert_code"]],
                        enterprise_id=c["db_enterprise_id"],
                        reason=c.get("relation") or "declared",
                    )
                )
        self.session.flush()
        self.counts["users"] = len(user_ids)
        self.counts["experts"] = len(expert_ids)

    def consents(self) -> None:
        """Every tenth enterprise, and each with a demo login, consents to every bank."""
        banks = list(self.session.scalars(select(Institution.id).where(Institution.kind == "bank")))
        with_login = set(
            self.session.scalars(select(User.enterprise_id).where(User.enterprise_id.is_not(None)))
        )
        chosen = sorted(
            {db_id for sid, db_id in self.ids.items() if sid % 10 == 1}
            | {e for e in with_login if e is not None}
        )
        rows = [
            {
                "enterprise_id": e,
                "grantee_institution_id": b,
                "purpose": purpose,
                "expires_on": dt.date.today() + dt.timedelta(days=365),
            }
            for e in chosen
            for b in banks
            for purpose in ("credit_assessment", "post_loan_monitoring")
        ]
        if rows:
            self.session.execute(insert(Consent), rows)
        self.counts["consents"] = len(rows)
