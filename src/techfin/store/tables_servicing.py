"""Tables of the servicing platform (issue 9): money events, schedule changes, day-end
positions, judged classifications, notices, early warnings, tasks, the watch list, co-investor
information, NDAs on file, milestone progress, periodic reviews, register report files,
interest-subsidy agreements and write-off requests (both maker-checker; `servicing_0002`).

Loans themselves are origination's (`loans`, `loan_schedule_rows`); these tables reference them.
`svc_events` is append-only: a row is never updated or deleted; a wrong event is reversed by a
reversal event (maker-checker through `svc_reversal_requests`). Balances are never stored as the
truth: they are replayed from the events by `techfin.credit.servicing.replay`; `svc_positions`
keeps the day-end result per loan and date (reproducible from the events).
Money is `Numeric(20, 2)` yuan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from techfin.store.base import Base, Money, utcnow


class SvcEvent(Base):
    """One money event of a loan (immutable). `event_id` is the id replay sees; `result` keeps
    the response of the command that created it, returned again on an idempotent retry."""

    __tablename__ = "svc_events"
    __table_args__ = (
        UniqueConstraint("loan_id", "event_id", name="uq_svc_events_loan_event"),
        UniqueConstraint("loan_id", "idempotency_key", name="uq_svc_events_loan_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    value_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    mode: Mapped[str] = mapped_column(String(16), default="")
    payer: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    reverses: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column()
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcReversalRequest(Base):
    """A maker's request to reverse an event; a different user approves (then the reversal
    event is written) or rejects it."""

    __tablename__ = "svc_reversal_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    target_event_id: Mapped[str] = mapped_column(String(40))
    value_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    check_note: Mapped[str] = mapped_column(Text, default="")
    reversal_event_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SvcSchedule(Base):
    """A new schedule from a renewal, extension or restructuring, effective from a date; the
    loan's original schedule is segment 0 (origination's terms)."""

    __tablename__ = "svc_schedules"
    __table_args__ = (UniqueConstraint("loan_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # renewal | extension | restructuring
    effective_from: Mapped[dt.date] = mapped_column(Date)
    terms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rows: Mapped[list[Any]] = mapped_column(default=list)
    carry: Mapped[dict[str, Any]] = mapped_column(default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcPosition(Base):
    """A loan's balances and classification floor at a day-end (reproducible from events)."""

    __tablename__ = "svc_positions"
    __table_args__ = (UniqueConstraint("loan_id", "as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    balances: Mapped[dict[str, Any]] = mapped_column(default=dict)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    principal_outstanding: Mapped[Decimal] = mapped_column(Money)
    interest_accrued: Mapped[Decimal] = mapped_column(Money)
    floor: Mapped[str | None] = mapped_column(String(16))
    floor_reasons: Mapped[list[Any]] = mapped_column(default=list)
    rule_version: Mapped[str] = mapped_column(String(64), default="")
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcClassification(Base):
    """Staff's judged class (≥ the floor) with its review and sign-off; never deleted."""

    __tablename__ = "svc_classifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    floor: Mapped[str] = mapped_column(String(16))
    floor_reasons: Mapped[list[Any]] = mapped_column(default=list)
    rule_version: Mapped[str] = mapped_column(String(64), default="")
    judged_class: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")


class SvcNotice(Base):
    """A day-end notice: floor raised or lowered, judgement due, judged class below the floor."""

    __tablename__ = "svc_notices"
    __table_args__ = (UniqueConstraint("loan_id", "kind", "business_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcWarning(Base):
    """An early-warning evaluation of a loan's borrower at a day-end."""

    __tablename__ = "svc_warnings"
    __table_args__ = (UniqueConstraint("loan_id", "as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    fired: Mapped[list[Any]] = mapped_column(default=list)
    tasks: Mapped[list[Any]] = mapped_column(default=list)
    not_evaluated: Mapped[list[Any]] = mapped_column(default=list)
    rule_version: Mapped[str] = mapped_column(String(64))


class SvcTask(Base):
    """A follow-up task with a due date (from a warning or entered by staff)."""

    __tablename__ = "svc_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    task: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[dt.date] = mapped_column(Date)
    because: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class SvcWatch(Base):
    """A borrower on the risk manager's watch list (removed_on set when taken off)."""

    __tablename__ = "svc_watch_list"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"))
    reason: Mapped[str] = mapped_column(String(500))
    level: Mapped[str] = mapped_column(String(16), default="")
    added_on: Mapped[dt.date] = mapped_column(Date)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    remove_reason: Mapped[str] = mapped_column(Text, default="")


class SvcNda(Base):
    """A non-disclosure agreement between an enterprise and an investor, recorded on file."""

    __tablename__ = "svc_ndas"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    investor_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    reference: Mapped[str] = mapped_column(String(100))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcInvestorInfo(Base):
    """Co-investor information pushed by an investor (follow-on round, valuation, exit)."""

    __tablename__ = "svc_investor_info"
    id: Mapped[int] = mapped_column(primary_key=True)
    investor_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    on: Mapped[dt.date] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Money)
    valuation: Mapped[Decimal | None] = mapped_column(Money)
    basis: Mapped[str] = mapped_column(String(16))  # consent | nda
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    nda_id: Mapped[int | None] = mapped_column(ForeignKey("svc_ndas.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcMilestoneProgress(Base):
    """Progress recorded against a milestone set at approval (index into the application's
    milestones)."""

    __tablename__ = "svc_milestone_progress"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    milestone_index: Mapped[int] = mapped_column(Integer)
    achieved_on: Mapped[dt.date | None] = mapped_column(Date)
    target: Mapped[Decimal | None] = mapped_column(Money)
    actual: Mapped[Decimal | None] = mapped_column(Money)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcReview(Base):
    """A periodic post-loan review report."""

    __tablename__ = "svc_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[dt.date] = mapped_column(Date)
    conclusion: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    written_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcRegisterReport(Base):
    """A credit-register report file written (validated first) for a date."""

    __tablename__ = "svc_register_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    path: Mapped[str] = mapped_column(String(500))
    records: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    written_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SvcSubsidyAgreement(Base):
    """A third party's agreement to pay part of a loan's interest (贴息): a `share` of the
    interest or `rate` points of the annual rate (exactly one), optionally for interest accrued
    before `until`. Requested by one user, approved or rejected by another (maker-checker).
    At most one agreement per loan is `approved` at a time: approving a new one ends the old
    (`ended`, `replaced_by`). An approved agreement is the `Terms.subsidy` of every schedule
    segment it covers when the loan is replayed."""

    __tablename__ = "svc_subsidy_agreements"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    payer: Mapped[str] = mapped_column(String(200))
    share: Mapped[Decimal | None] = mapped_column(Numeric(12, 8))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 8))
    until: Mapped[dt.date | None] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    check_note: Mapped[str] = mapped_column(Text, default="")
    replaced_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SvcWriteOffRequest(Base):
    """A risk manager's request to write a loan off (核销), with its reason, evidence and the
    conditions checked at request time; another user approves (then a `write_off` event is
    written and the loan's status becomes `written_off`) or rejects it."""

    __tablename__ = "svc_writeoff_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    check_note: Mapped[str] = mapped_column(Text, default="")
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    write_off_event_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SvcFundUseReview(Base):
    """A risk manager's review of a use-of-funds finding on one evidence item (after checking the
    voucher): `cleared` (the use is within purpose: the finding stops counting) or `confirmed`
    (an unapproved change of use). Never edited: a later review of the same item supersedes it."""

    __tablename__ = "svc_fund_use_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("orig_fund_use_evidence.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # cleared | confirmed
    note: Mapped[str] = mapped_column(Text)
    reviewed_on: Mapped[dt.date] = mapped_column(Date)  # the bank's business date
    reviewed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
