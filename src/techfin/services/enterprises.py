"""Enterprises: public registry search, and the consented read of shared data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from techfin.services.consent import Purpose, checked_read, parse_purpose
from techfin.services.context import Actor
from techfin.services.errors import NotFound, ValidationFailed
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    CreditRegisterSummary,
    Enterprise,
    FundingRound,
    GrantedTitle,
    Patent,
    QuarterlyActivity,
)


@dataclass(frozen=True)
class RegistryFacts:
    id: int
    uscc: str
    name: str
    industry_code: str
    province: str
    registered_on: dt.date
    registered_capital: Decimal
    status: str
    source: str
    as_of: dt.date

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _facts(e: Enterprise) -> RegistryFacts:
    return RegistryFacts(
        e.id,
        e.uscc,
        e.name,
        e.industry_code,
        e.province,
        e.registered_on,
        e.registered_capital,
        e.status,
        e.source,
        e.as_of,
    )


def search(db: Database, actor: Actor, query: str = "", limit: int = 50) -> list[RegistryFacts]:
    """Public registry facts by name or credit code (no consent needed; see consent module)."""
    if limit < 1 or limit > 500:
        raise ValidationFailed("limit must be between 1 and 500", field="limit")
    with db.read() as session:
        stmt = select(Enterprise).order_by(Enterprise.id).limit(limit)
        if query:
            like = f"%{query.strip()}%"
            stmt = stmt.where(
                or_(Enterprise.name.like(like), Enterprise.uscc == query.strip().upper())
            )
        return [_facts(e) for e in session.scalars(stmt)]


def registry_facts(db: Database, actor: Actor, enterprise_id: int) -> RegistryFacts:
    with db.read() as session:
        e = session.get(Enterprise, enterprise_id)
        if e is None:
            raise NotFound("enterprise not found")
        return _facts(e)


def _row(obj: Any, fields: list[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def shared_profile(
    db: Database, actor: Actor, enterprise_id: int, purpose: str = Purpose.CREDIT_ASSESSMENT.value
) -> dict[str, Any]:
    """The enterprise's shared data, under a live consent for `purpose`; the read is logged."""
    purpose_value = parse_purpose(purpose)
    with db.transaction() as session:
        e = session.get(Enterprise, enterprise_id)
        if e is None:
            raise NotFound("enterprise not found")
        checked_read(session, actor, enterprise_id, purpose_value, "profile")
        fin = session.scalars(
            select(AnnualFinancials)
            .where(AnnualFinancials.enterprise_id == enterprise_id)
            .order_by(AnnualFinancials.year)
        )
        quarters = session.scalars(
            select(QuarterlyActivity)
            .where(QuarterlyActivity.enterprise_id == enterprise_id)
            .order_by(QuarterlyActivity.quarter)
        )
        patents = session.scalars(
            select(Patent).where(Patent.enterprise_id == enterprise_id).order_by(Patent.filed_on)
        )
        rounds = session.scalars(
            select(FundingRound)
            .where(FundingRound.enterprise_id == enterprise_id)
            .order_by(FundingRound.closed_on)
        )
        register = session.scalars(
            select(CreditRegisterSummary)
            .where(CreditRegisterSummary.enterprise_id == enterprise_id)
            .order_by(CreditRegisterSummary.as_of.desc())
        ).first()
        titles = session.scalars(
            select(GrantedTitle)
            .where(GrantedTitle.enterprise_id == enterprise_id)
            .order_by(GrantedTitle.valid_from)
        )
        return {
            "registry": _facts(e).to_dict(),
            "financials": [
                _row(
                    f,
                    [
                        "year",
                        "revenue",
                        "cost_of_sales",
                        "net_profit",
                        "total_assets",
                        "total_liabilities",
                        "rd_expense",
                        "employees",
                        "source",
                        "as_of",
                    ],
                )
                for f in fin
            ],
            "quarterly": [
                _row(q, ["quarter", "insured_staff", "tax_paid", "exports", "power_kwh", "as_of"])
                for q in quarters
            ],
            "patents": [
                _row(
                    p,
                    [
                        "number",
                        "title",
                        "kind",
                        "filed_on",
                        "granted_on",
                        "status",
                        "ipc",
                        "claims",
                        "as_of",
                    ],
                )
                for p in patents
            ],
            "funding_rounds": [
                _row(r, ["stage", "closed_on", "amount", "lead_investor", "as_of"]) for r in rounds
            ],
            "credit_register": (
                _row(
                    register,
                    [
                        "lenders",
                        "outstanding",
                        "worst_class",
                        "max_overdue_days",
                        "non_performing",
                        "as_of",
                    ],
                )
                if register
                else None
            ),
            "granted_titles": [
                _row(t, ["title", "certificate_no", "issuer", "valid_from", "valid_to"])
                for t in titles
            ],
        }
