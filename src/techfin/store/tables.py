"""SQLAlchemy 2 tables of the platform.

Money columns are `Numeric(20, 2)` in yuan. Rows that belong to an institution carry its id
(`institution_id`); services check it against the caller on every read and write. Schema
changes go through Alembic migrations in `techfin/store/migrations`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(20, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Decimal: Money,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- institutions, branches, users ---------------------------------------------------------


class Institution(Base):
    """A tenant: bank, insurer, guarantor, government fund, regulator, valuer, investor."""

    __tablename__ = "institutions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Branch(Base):
    """A branch of an institution; `delegated_limits` holds approval authority as data."""

    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("institution_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # head_office | branch | tech_subbranch
    delegated_limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    role: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Expert(Base):
    """The one registry of tech and IP experts used by every capability."""

    __tablename__ = "experts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # tech | ip
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ExpertConflict(Base):
    """A declared conflict of interest: an expert must not judge this enterprise or institution."""

    __tablename__ = "expert_conflicts"
    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    reason: Mapped[str] = mapped_column(String(300))


# --- enterprises and their shared data --------------------------------------------------------


class Enterprise(Base):
    """Registry facts of an enterprise (工商). Shared data hangs off it under consent."""

    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    former_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    industry_code: Mapped[str] = mapped_column(String(8))
    province: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(6))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    registered_capital: Mapped[Decimal] = mapped_column(Money)
    legal_form: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(32), default="active")
    source: Mapped[str] = mapped_column(String(32), default="registry")
    as_of: Mapped[dt.date] = mapped_column(Date)


class AnnualFinancials(Base):
    """Annual financial statements (tax-filed), in yuan."""

    __tablename__ = "annual_financials"
    __table_args__ = (UniqueConstraint("enterprise_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    revenue: Mapped[Decimal] = mapped_column(Money)
    cost_of_sales: Mapped[Decimal] = mapped_column(Money)
    net_profit: Mapped[Decimal] = mapped_column(Money)
    total_assets: Mapped[Decimal] = mapped_column(Money)
    total_liabilities: Mapped[Decimal] = mapped_column(Money)
    rd_expense: Mapped[Decimal] = mapped_column(Money)
    employees: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="tax")
    as_of: Mapped[dt.date] = mapped_column(Date)


class QuarterlyActivity(Base):
    """Quarterly aggregates: social-security headcount, tax paid, exports, power use."""

    __tablename__ = "quarterly_activity"
    __table_args__ = (UniqueConstraint("enterprise_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))  # 2025Q3
    insured_staff: Mapped[int] = mapped_column(Integer)
    tax_paid: Mapped[Decimal] = mapped_column(Money)
    exports: Mapped[Decimal] = mapped_column(Money)
    power_kwh: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)


class Patent(Base):
    __tablename__ = "patents"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16))  # invention | utility | design
    filed_on: Mapped[dt.date] = mapped_column(Date)
    granted_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    ipc: Mapped[str] = mapped_column(String(32), default="")
    claims: Mapped[int] = mapped_column(Integer, default=0)
    forward_citations: Mapped[int] = mapped_column(Integer, default=0)
    as_of: Mapped[dt.date] = mapped_column(Date)


class FundingRound(Base):
    __tablename__ = "funding_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    closed_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    lead_investor: Mapped[str] = mapped_column(String(200), default="")
    as_of: Mapped[dt.date] = mapped_column(Date)


class CreditRegisterSummary(Base):
    """The central credit register's summary: loans at other banks, classes, overdue days."""

    __tablename__ = "credit_register_summaries"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    lenders: Mapped[int] = mapped_column(Integer)
    outstanding: Mapped[Decimal] = mapped_column(Money)
    worst_class: Mapped[str] = mapped_column(String(20))
    max_overdue_days: Mapped[int] = mapped_column(Integer)
    non_performing: Mapped[Decimal] = mapped_column(Money)
    as_of: Mapped[dt.date] = mapped_column(Date)


class GrantedTitle(Base):
    """A title an authority granted (高企, 科小, 专精特新 …) with certificate and validity."""

    __tablename__ = "granted_titles"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(32))
    certificate_no: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)


# --- consent -------------------------------------------------------------------------------


class Consent(Base):
    """An enterprise's grant to an institution to use its shared data for a purpose."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_lookup", "enterprise_id", "grantee_institution_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    grantee_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str] = mapped_column(String(300), default="")


class DataAccess(Base):
    """One read of an enterprise's shared data: who, what, when, under which consent and purpose."""

    __tablename__ = "data_access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    what: Mapped[str] = mapped_column(String(200))


# --- audit ---------------------------------------------------------------------------------


class AuditEntry(Base):
    """Append-only, hash-chained record of every command (state change)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[str] = mapped_column(String(32))  # ISO-8601 UTC, exactly as hashed
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    institution: Mapped[str] = mapped_column(String(32))
    command: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    before_digest: Mapped[str] = mapped_column(String(64))
    after_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row holding the last sequence and hash; locked while appending."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))


# --- business date and day-end ---------------------------------------------------------------


class BusinessDate(Base):
    """The business date (营业日) of an institution, separate from the wall clock."""

    __tablename__ = "business_dates"
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(Date)


class EodRun(Base):
    __tablename__ = "eod_runs"
    __table_args__ = (UniqueConstraint("institution_id", "business_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # running | completed | failed
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class EodStepRun(Base):
    __tablename__ = "eod_step_runs"
    __table_args__ = (UniqueConstraint("run_id", "step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eod_runs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # completed | failed
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
