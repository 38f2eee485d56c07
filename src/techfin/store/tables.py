"""SQLAlchemy 2 tables of the platform.

Money columns are `Numeric(20, 2)` in yuan. Rows that belong to an institution carry its id
(`institution_id`); services check it against the caller on every read and write. Schema
changes go through Alembic migrations in `techfin/store/migrations`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from techfin.store.base import Base, Money, utcnow

__all__ = ["Base", "Money", "utcnow"]


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


class LoadBatch(Base):
    """One ingest of one file (or one API push) for one source: what was read, loaded,
    quarantined, and why. The content hash makes re-loading the same file a no-op."""

    __tablename__ = "load_batches"
    __table_args__ = (UniqueConstraint("source", "content_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(300))
    content_sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str] = mapped_column(String(16), default="")
    read: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    normalisations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    file_notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    loaded_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class QuarantinedRow(Base):
    """A refused row, kept whole with its reasons: nothing read is ever lost."""

    __tablename__ = "quarantined_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batches.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    reasons: Mapped[list[Any]] = mapped_column(JSON)


class Enterprise(Base):
    """Registry facts of an enterprise (工商). Shared data hangs off it under consent."""

    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    former_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    industry_code: Mapped[str] = mapped_column(String(8))
    province: Mapped[str] = mapped_column(String(32), default="")
    area_code: Mapped[str] = mapped_column(String(6), default="")
    registered_on: Mapped[dt.date] = mapped_column(Date)
    registered_capital: Mapped[Decimal | None] = mapped_column(Money)
    legal_form: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(32), default="active")
    source: Mapped[str] = mapped_column(String(32), default="registry")
    as_of: Mapped[dt.date] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"))


class _SharedRecord:
    """Columns every shared-data record carries: its source's as-of date and load batch."""

    as_of: Mapped[dt.date] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"))


class AnnualFinancials(_SharedRecord, Base):
    """Annual financial statements as filed with the tax authority, in yuan."""

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
    rd_domestic: Mapped[Decimal | None] = mapped_column(Money)
    inventory: Mapped[Decimal | None] = mapped_column(Money)
    receivables: Mapped[Decimal | None] = mapped_column(Money)
    payables: Mapped[Decimal | None] = mapped_column(Money)
    prepayments: Mapped[Decimal | None] = mapped_column(Money)
    advance_receipts: Mapped[Decimal | None] = mapped_column(Money)
    employees: Mapped[int] = mapped_column(Integer)
    tech_staff: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="financials")


class SocialSecurityRecord(_SharedRecord, Base):
    __tablename__ = "social_security_records"
    __table_args__ = (UniqueConstraint("enterprise_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(6))  # 2025Q3
    insured_staff: Mapped[int] = mapped_column(Integer)


class TaxRecord(_SharedRecord, Base):
    __tablename__ = "tax_records"
    __table_args__ = (UniqueConstraint("enterprise_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(6))
    vat: Mapped[Decimal | None] = mapped_column(Money)
    cit: Mapped[Decimal | None] = mapped_column(Money)
    declared_revenue: Mapped[Decimal | None] = mapped_column(Money)
    tax_credit_grade: Mapped[str | None] = mapped_column(String(1))


class CustomsRecord(_SharedRecord, Base):
    __tablename__ = "customs_records"
    __table_args__ = (UniqueConstraint("enterprise_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(6))
    exports: Mapped[Decimal] = mapped_column(Money)
    imports: Mapped[Decimal | None] = mapped_column(Money)


class UtilityRecord(_SharedRecord, Base):
    __tablename__ = "utility_records"
    __table_args__ = (UniqueConstraint("enterprise_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(6))
    power_kwh: Mapped[int] = mapped_column(Integer)
    water_m3: Mapped[int | None] = mapped_column(Integer)


class Patent(_SharedRecord, Base):
    """A patent and its applicants as the IP office lists them (names, no credit codes);
    `enterprise_id` is filled by entity resolution or a code supplied with the record."""

    __tablename__ = "patents"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    applicants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16))  # invention | utility | design
    filed_on: Mapped[dt.date] = mapped_column(Date)
    granted_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32), default="")
    # IPC classes, main class first, separated by "; " (e.g. "H01M 10/05; H01M 4/36")
    ipc: Mapped[str] = mapped_column(String(300), default="")
    claims: Mapped[int | None] = mapped_column(Integer)
    forward_citations: Mapped[int | None] = mapped_column(Integer)
    backward_citations: Mapped[int | None] = mapped_column(Integer)


class CreditRegisterLoan(_SharedRecord, Base):
    """A loan the central credit register reports for the enterprise (at any bank)."""

    __tablename__ = "credit_register_loans"
    __table_args__ = (UniqueConstraint("enterprise_id", "lender", "loan_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    lender: Mapped[str] = mapped_column(String(200))
    loan_ref: Mapped[str] = mapped_column(String(64))
    balance: Mapped[Decimal] = mapped_column(Money)
    classification: Mapped[str] = mapped_column(String(20))
    overdue_days: Mapped[int | None] = mapped_column(Integer)
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    matures_on: Mapped[dt.date | None] = mapped_column(Date)


class CourtRecord(_SharedRecord, Base):
    """Court enforcement (被执行人) and dishonest-debtor (失信被执行人) listings."""

    __tablename__ = "court_records"
    __table_args__ = (UniqueConstraint("enterprise_id", "case_no", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    case_no: Mapped[str] = mapped_column(String(64))
    court: Mapped[str] = mapped_column(String(200), default="")
    filed_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(32), default="")


class TechTransferProject(_SharedRecord, Base):
    """A registered technology-transfer contract (科技成果转化); parties by name."""

    __tablename__ = "tech_transfer_projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    seller_name: Mapped[str] = mapped_column(String(300))
    buyer_name: Mapped[str] = mapped_column(String(300))
    seller_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    buyer_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    signed_on: Mapped[dt.date] = mapped_column(Date)


class FundingRound(_SharedRecord, Base):
    __tablename__ = "funding_rounds"
    __table_args__ = (UniqueConstraint("investee_name", "stage", "closed_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    investee_name: Mapped[str] = mapped_column(String(300))
    stage: Mapped[str] = mapped_column(String(16))
    closed_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    post_money: Mapped[Decimal | None] = mapped_column(Money)
    lead_investor: Mapped[str] = mapped_column(String(200), default="")


class Shareholder(_SharedRecord, Base):
    """A registered shareholder of an enterprise (工商股东信息); a corporate shareholder that is
    itself in the registry is linked by its credit code (groups of related enterprises)."""

    __tablename__ = "shareholders"
    __table_args__ = (UniqueConstraint("enterprise_id", "shareholder_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    shareholder_name: Mapped[str] = mapped_column(String(300))
    shareholder_uscc: Mapped[str | None] = mapped_column(String(18))
    shareholder_enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), index=True
    )
    share: Mapped[Decimal] = mapped_column(Numeric(9, 6))


class GrantedTitle(_SharedRecord, Base):
    """A title an authority granted (高企, 科小, 专精特新 …) with certificate and validity."""

    __tablename__ = "granted_titles"
    __table_args__ = (UniqueConstraint("enterprise_id", "title", "certificate_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(32))
    certificate_no: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)


class RecognitionEvaluation(Base):
    """One computed evaluation of an enterprise against one rule set (for prospecting; statistics
    and policy levers use granted titles). `inputs_sha256` lets day-end skip unchanged data."""

    __tablename__ = "recognition_evaluations"
    __table_args__ = (Index("ix_recognition_latest", "enterprise_id", "title", "evaluated_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    title: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    rule_version: Mapped[str] = mapped_column(String(80))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    evaluated_by: Mapped[str] = mapped_column(String(64))


class ResolutionLink(Base):
    """A record without a credit code linked to an enterprise by entity resolution.

    `status`: auto (above the auto-merge threshold), pending (in the review queue), confirmed
    or rejected (by a person, audited). Unmerging sets rejected and clears the record's link.
    """

    __tablename__ = "resolution_links"
    __table_args__ = (UniqueConstraint("record_source", "record_key", "enterprise_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_source: Mapped[str] = mapped_column(String(32))
    record_key: Mapped[str] = mapped_column(String(200))
    record_name: Mapped[str] = mapped_column(String(300))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    probability: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    band: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


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
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: a system job
    actor: Mapped[str] = mapped_column(String(64), default="")
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
