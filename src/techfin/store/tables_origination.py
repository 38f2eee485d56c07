"""Tables of origination (issue 8): group links, credit lines, applications and their events,
expert opinions, committee votes, contracts with conditions precedent, disbursements, tech
credit quotas, and the LOANS with their schedules.

`loans` and `loan_schedule_rows` are the hand-over to servicing: one row per disbursed loan with
its contract terms (the `terms` JSON holds everything `techfin.credit.schedule.Terms` needs to
rebuild the schedule) and one row per scheduled due date as `schedule.build` produced it at
disbursement. Servicing adds repayments and accruals in its own tables and moves `status`.
Money is `Numeric(20, 2)` yuan; rates are `Numeric(12, 8)` annual fractions.
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
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from techfin.store.base import Base, Money, utcnow

Rate = Numeric(12, 8)


class GroupLink(Base):
    """A shareholder link between two enterprises (owner → owned), as the bank recorded it.

    The registry carries no shareholders yet, so the bank records links from its own KYC; a
    group of related enterprises (集团客户) is a connected set of links.
    """

    __tablename__ = "orig_group_links"
    __table_args__ = (
        UniqueConstraint("institution_id", "owner_enterprise_id", "owned_enterprise_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    owner_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    owned_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    share: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    source: Mapped[str] = mapped_column(String(64), default="kyc")
    as_of: Mapped[dt.date] = mapped_column(Date)


class CreditLine(Base):
    """A credit limit (授信额度) for one enterprise (`scope` customer) or for the group that
    contains `enterprise_id` (`scope` group), with sub-limits by product code."""

    __tablename__ = "orig_credit_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # customer | group
    limit_amount: Mapped[Decimal] = mapped_column(Money)
    sublimits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Application(Base):
    """A credit application and its pre-loan file (the assembled `file` JSON is a snapshot
    taken when the file was last assembled)."""

    __tablename__ = "orig_applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    term_months: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))
    guarantee: Mapped[list[Any]] = mapped_column(default=list)
    collateral: Mapped[list[Any]] = mapped_column(default=list)
    exposure: Mapped[Decimal] = mapped_column(Money)
    purpose: Mapped[str] = mapped_column(String(300), default="")
    novel_technology: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24), default="draft")
    channel: Mapped[str] = mapped_column(String(16), default="ordinary")  # tech | ordinary
    channel_reason: Mapped[str] = mapped_column(String(300), default="")
    grade: Mapped[str | None] = mapped_column(String(4))
    file: Mapped[dict[str, Any]] = mapped_column(default=dict)
    investigation_report: Mapped[str] = mapped_column(Text, default="")
    milestones: Mapped[list[Any]] = mapped_column(default=list)
    route: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expert_required: Mapped[bool] = mapped_column(Boolean, default=False)
    expert_reasons: Mapped[list[Any]] = mapped_column(default=list)
    prepared_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_opinion: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    approved_rate: Mapped[Decimal | None] = mapped_column(Rate)
    approved_conditions: Mapped[list[Any]] = mapped_column(default=list)
    #: The approved rate's descriptor: None/fixed, or LPR + spread repriced (origination_0003).
    approved_rate_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    policy_version: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ApplicationEvent(Base):
    """One step of an application (status change or action), with its time, for the elapsed
    time per step shown for the tech channel beside the ordinary one."""

    __tablename__ = "orig_application_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("orig_applications.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ExpertOpinion(Base):
    """An expert drawn for an application; score and opinion once submitted."""

    __tablename__ = "orig_expert_opinions"
    __table_args__ = (UniqueConstraint("application_id", "expert_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("orig_applications.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"))
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seed: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int | None] = mapped_column(Integer)
    recommendation: Mapped[str | None] = mapped_column(String(16))  # support | oppose
    opinion: Mapped[str] = mapped_column(Text, default="")
    fee: Mapped[Decimal | None] = mapped_column(Money)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CommitteeVote(Base):
    """A credit committee (贷审会) member's vote."""

    __tablename__ = "orig_committee_votes"
    __table_args__ = (UniqueConstraint("application_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("orig_applications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chair: Mapped[bool] = mapped_column(Boolean, default=False)
    vote: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Contract(Base):
    """The loan contract made from the approved terms."""

    __tablename__ = "orig_contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("orig_applications.id"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    product_code: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    term_months: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))
    terms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="signed")
    made_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ContractCondition(Base):
    """A condition precedent: disbursement is blocked while any is open."""

    __tablename__ = "orig_contract_conditions"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("orig_contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | met
    evidence: Mapped[str] = mapped_column(String(300), default="")
    met_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    met_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Disbursement(Base):
    """A drawdown (用信) request, its independent check (放款审核) and its payment mode."""

    __tablename__ = "orig_disbursements"
    __table_args__ = (UniqueConstraint("institution_id", "idempotency_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("orig_contracts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    value_date: Mapped[dt.date] = mapped_column(Date)
    payment_mode: Mapped[str] = mapped_column(String(16))  # entrusted | self
    payee_name: Mapped[str] = mapped_column(String(200), default="")
    payee_account: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    check_reason: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Loan(Base):
    """A disbursed loan: contract terms, status, and the schedule rows in `loan_schedule_rows`.

    Servicing builds on this table: `terms` is the JSON form of the schedule engine's terms
    (principal, annual_rate, start, installments, method, interest_basis, frequency); `status`
    is `active` at disbursement (servicing moves it to `closed`, `written_off`, …).
    """

    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("orig_contracts.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("orig_applications.id"))
    product_code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    principal: Mapped[Decimal] = mapped_column(Money)
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    method: Mapped[str] = mapped_column(String(32))
    interest_basis: Mapped[str] = mapped_column(String(16))
    installments: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    maturity_date: Mapped[dt.date] = mapped_column(Date)
    terms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conventions_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoanScheduleRow(Base):
    """One due date of a loan's schedule as built by `techfin.credit.schedule.build`."""

    __tablename__ = "loan_schedule_rows"
    __table_args__ = (UniqueConstraint("loan_id", "n"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    principal: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)
    payment: Mapped[Decimal] = mapped_column(Money)
    balance: Mapped[Decimal] = mapped_column(Money)


class FundUseEvidence(Base):
    """Evidence of how a loan's money was used (invoices, payment vouchers), after disbursement.

    `category` is a category of use in `credit/data/fund_use_rules.yaml` (`unspecified` when
    none was given); `recorded_on` is the institution's business date when it was recorded (the
    day-end of that date and later see it)."""

    __tablename__ = "orig_fund_use_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(String(300))
    payee_name: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(40), default="unspecified")
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TechQuota(Base):
    """A branch's separate tech credit quota (单列信贷规模) for a period."""

    __tablename__ = "orig_tech_quotas"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)


class TechQuotaUse(Base):
    """A tech loan counted against its branch's quota; `decision` records a request to head
    office when the loan went beyond the headroom (never a rejection)."""

    __tablename__ = "orig_tech_quota_uses"
    id: Mapped[int] = mapped_column(primary_key=True)
    quota_id: Mapped[int] = mapped_column(ForeignKey("orig_tech_quotas.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ChannelStaff(Base):
    """A reviewer or approver dedicated to the tech channel (guidance art. 11). When an
    institution designates any for a role, only they act on tech-channel applications in it."""

    __tablename__ = "orig_channel_staff"
    __table_args__ = (UniqueConstraint("institution_id", "user_id", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16), default="tech")
    role: Mapped[str] = mapped_column(String(32))
    designated_by: Mapped[str] = mapped_column(String(64))
    designated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
