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
    CourtRecord,
    CreditRegisterLoan,
    CustomsRecord,
    Enterprise,
    FundingRound,
    GrantedTitle,
    Patent,
    Shareholder,
    SocialSecurityRecord,
    TaxRecord,
    TechTransferProject,
    UtilityRecord,
)


@dataclass(frozen=True)
class RegistryFacts:
    id: int
    uscc: str
    name: str
    industry_code: str
    province: str
    registered_on: dt.date
    registered_capital: Decimal | None
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


def _rows(
    session: Any, model: Any, enterprise_id: int, order: Any, fields: list[str], source: str
) -> list[Any]:
    """The enterprise's records of one source, each naming its source (and its as-of date)."""
    query = select(model).where(model.enterprise_id == enterprise_id).order_by(order)
    return [
        {**_row(r, fields), "source": getattr(r, "source", source)} for r in session.scalars(query)
    ]


SUMMARY_CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")


def credit_register_summary(loans: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Loans at all banks, the worst class, the longest overdue and the non-performing balance."""
    if not loans:
        return None
    worst = max(loans, key=lambda x: SUMMARY_CLASSES.index(x["classification"]))["classification"]
    return {
        "lenders": len({x["lender"] for x in loans}),
        "loans": len(loans),
        "outstanding": sum((x["balance"] for x in loans), Decimal(0)),
        "worst_class": worst,
        "max_overdue_days": max((x["overdue_days"] or 0) for x in loans),
        "non_performing": sum(
            (x["balance"] for x in loans if SUMMARY_CLASSES.index(x["classification"]) >= 2),
            Decimal(0),
        ),
        "as_of": max(x["as_of"] for x in loans),
        "source": "credit_register",
    }


def shared_profile(
    db: Database, actor: Actor, enterprise_id: int, purpose: str = Purpose.CREDIT_ASSESSMENT.value
) -> dict[str, Any]:
    """The enterprise's shared data (the 360° profile), under a live consent for `purpose`;
    the read is logged for the enterprise. Every figure carries its source and as-of date."""
    purpose_value = parse_purpose(purpose)
    quarter_fields = ["quarter", "as_of"]
    with db.transaction() as session:
        e = session.get(Enterprise, enterprise_id)
        if e is None:
            raise NotFound("enterprise not found")
        checked_read(session, actor, enterprise_id, purpose_value, "profile")
        loans = _rows(
            session,
            CreditRegisterLoan,
            enterprise_id,
            CreditRegisterLoan.lender,
            [
                "lender",
                "loan_ref",
                "balance",
                "classification",
                "overdue_days",
                "opened_on",
                "matures_on",
                "as_of",
            ],
            "credit_register",
        )
        transfers = session.scalars(
            select(TechTransferProject)
            .where(
                (TechTransferProject.seller_enterprise_id == enterprise_id)
                | (TechTransferProject.buyer_enterprise_id == enterprise_id)
            )
            .order_by(TechTransferProject.signed_on)
        )
        from techfin.services.recognition import titles_side_by_side

        return {
            "recognition": titles_side_by_side(session, enterprise_id, dt.date.today()),
            "registry": _facts(e).to_dict(),
            "financials": _rows(
                session,
                AnnualFinancials,
                enterprise_id,
                AnnualFinancials.year,
                [
                    "year",
                    "revenue",
                    "cost_of_sales",
                    "net_profit",
                    "total_assets",
                    "total_liabilities",
                    "rd_expense",
                    "employees",
                    "tech_staff",
                    "source",
                    "as_of",
                ],
                "financials",
            ),
            "social_security": _rows(
                session,
                SocialSecurityRecord,
                enterprise_id,
                SocialSecurityRecord.quarter,
                [*quarter_fields, "insured_staff"],
                "social_security",
            ),
            "tax": _rows(
                session,
                TaxRecord,
                enterprise_id,
                TaxRecord.quarter,
                [*quarter_fields, "vat", "cit", "declared_revenue", "tax_credit_grade"],
                "tax",
            ),
            "customs": _rows(
                session,
                CustomsRecord,
                enterprise_id,
                CustomsRecord.quarter,
                [*quarter_fields, "exports", "imports"],
                "customs",
            ),
            "utilities": _rows(
                session,
                UtilityRecord,
                enterprise_id,
                UtilityRecord.quarter,
                [*quarter_fields, "power_kwh", "water_m3"],
                "utilities",
            ),
            "patents": _rows(
                session,
                Patent,
                enterprise_id,
                Patent.filed_on,
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
                "patents",
            ),
            "funding_rounds": _rows(
                session,
                FundingRound,
                enterprise_id,
                FundingRound.closed_on,
                ["stage", "closed_on", "amount", "post_money", "lead_investor", "as_of"],
                "funding",
            ),
            "credit_register": credit_register_summary(loans),
            "credit_register_loans": loans,
            "court_records": _rows(
                session,
                CourtRecord,
                enterprise_id,
                CourtRecord.filed_on,
                ["kind", "case_no", "court", "filed_on", "amount", "status", "as_of"],
                "court",
            ),
            "tech_transfer": [
                _row(
                    t,
                    [
                        "project_id",
                        "title",
                        "seller_name",
                        "buyer_name",
                        "amount",
                        "signed_on",
                        "as_of",
                    ],
                )
                for t in transfers
            ],
            "shareholders": _rows(
                session,
                Shareholder,
                enterprise_id,
                Shareholder.share.desc(),
                ["shareholder_name", "shareholder_uscc", "share", "as_of"],
                "shareholders",
            ),
            "granted_titles": _rows(
                session,
                GrantedTitle,
                enterprise_id,
                GrantedTitle.valid_from,
                ["title", "certificate_no", "issuer", "valid_from", "valid_to", "as_of"],
                "titles",
            ),
        }
