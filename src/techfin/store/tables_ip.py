"""Tables of the IP platform (issue 6): legal-status events, valuation agencies and reports,
pledge contracts and their registration, day-end alerts, disposals.

Legal events are public register facts keyed to the hub's `patents` table. Everything a bank
does (valuations, pledges, alerts, disposals) carries its `institution_id`: tenancy is checked
on it. Money is `Numeric(20, 2)` yuan.
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


class IpLegalEvent(Base):
    """One legal-status event of a patent (office or court record), immutable once loaded."""

    __tablename__ = "ip_legal_events"
    __table_args__ = (UniqueConstraint("patent_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    event_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    on_date: Mapped[dt.date] = mapped_column(Date)
    fee_year: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))
    owners: Mapped[list[Any]] = mapped_column(JSON, default=list)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(64), default="")
    party: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(16), default="office")  # office | platform
    as_of: Mapped[dt.date] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("load_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IpPatentProfile(Base):
    """Facts the high-value definition needs that the hub's patent record lacks."""

    __tablename__ = "ip_patent_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), unique=True)
    family: Mapped[list[Any]] = mapped_column(JSON, default=list)
    foreign_family_granted: Mapped[bool] = mapped_column(Boolean, default=False)
    strategic_emerging: Mapped[bool] = mapped_column(Boolean, default=False)
    awards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fee_payer_share: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(1))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IpAgency(Base):
    """A valuation agency in the library: its qualification and fields."""

    __tablename__ = "ip_agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), unique=True)
    qualification: Mapped[str] = mapped_column(String(200))
    qualification_no: Mapped[str] = mapped_column(String(64), default="")
    qualified_until: Mapped[dt.date | None] = mapped_column(Date)
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IpAgencyConflict(Base):
    """A declared conflict of interest of an agency with an enterprise or an institution."""

    __tablename__ = "ip_agency_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("ip_agencies.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IpAgencyTrack(Base):
    """Past accuracy: a value an agency gave against the price later realised."""

    __tablename__ = "ip_agency_track"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("ip_agencies.id"), index=True)
    valuation_id: Mapped[int | None] = mapped_column(ForeignKey("ip_valuations.id"))
    valued: Mapped[Decimal] = mapped_column(Money)
    realised: Mapped[Decimal] = mapped_column(Money)
    realised_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(32))  # disposal | recorded


class IpValuation(Base):
    """A valuation ordered by an institution: from an agency or internal; maker-checker."""

    __tablename__ = "ip_valuations"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    mode: Mapped[str] = mapped_column(String(16))  # agency | internal
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("ip_agencies.id"))
    expert_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    exposure: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))  # ordered | submitted | accepted | rejected
    method: Mapped[str] = mapped_column(String(32), default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    value: Mapped[Decimal | None] = mapped_column(Money)
    collateral_basis: Mapped[bool] = mapped_column(Boolean, default=True)
    valued_on: Mapped[dt.date | None] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String(64))
    ordered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    prepared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IpPledge(Base):
    """A pledge contract over a pool of patents, and its registration with the office."""

    __tablename__ = "ip_pledges"
    __table_args__ = (UniqueConstraint("institution_id", "contract_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    contract_no: Mapped[str] = mapped_column(String(64))
    pledgor_name: Mapped[str] = mapped_column(String(300))
    pledgor_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    policy_name: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # draft applied registered refused released
    signed_on: Mapped[dt.date] = mapped_column(Date)
    applied_on: Mapped[dt.date | None] = mapped_column(Date)
    registration_no: Mapped[str] = mapped_column(String(64), default="")
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    refused_on: Mapped[dt.date | None] = mapped_column(Date)
    refusals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    policy_exceptions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    release_reason: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IpPledgeItem(Base):
    """A patent in a pledge pool, with the co-owners who consented."""

    __tablename__ = "ip_pledge_items"
    __table_args__ = (UniqueConstraint("pledge_id", "patent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("ip_pledges.id"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    consenting_co_owners: Mapped[list[Any]] = mapped_column(JSON, default=list)


class IpSecuredDebt(Base):
    """A loan or credit line a pledge secures, by an opaque reference (origination owns loans)."""

    __tablename__ = "ip_secured_debts"
    __table_args__ = (UniqueConstraint("pledge_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("ip_pledges.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # loan | credit_line
    reference: Mapped[str] = mapped_column(String(64))
    balance: Mapped[Decimal] = mapped_column(Money)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    matures_on: Mapped[dt.date] = mapped_column(Date)


class IpAlert(Base):
    """An alert raised by the day-end monitor; acknowledged and closed by a risk manager."""

    __tablename__ = "ip_alerts"
    __table_args__ = (UniqueConstraint("institution_id", "pledge_id", "alert_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("ip_pledges.id"), index=True)
    patent_id: Mapped[int | None] = mapped_column(ForeignKey("patents.id"))
    alert_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    actions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    since: Mapped[dt.date] = mapped_column(Date)
    raised_on: Mapped[dt.date] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Money)
    policy_version: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open acknowledged closed
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str] = mapped_column(Text, default="")


class IpDisposal(Base):
    """Disposal of a defaulted pledge: negotiated or judicial auction; sold or unsold."""

    __tablename__ = "ip_disposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("ip_pledges.id"), index=True)
    route: Mapped[str] = mapped_column(String(32))
    valuation: Mapped[Decimal] = mapped_column(Money)
    exposure: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)
    principal: Mapped[Decimal] = mapped_column(Money)
    plan: Mapped[list[Any]] = mapped_column(JSON, default=list)
    policy_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open sold unsold
    price: Mapped[Decimal | None] = mapped_column(Money)
    costs: Mapped[Decimal | None] = mapped_column(Money)
    allocation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recovery_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IpAuctionRound(Base):
    """One round of a judicial auction (or one negotiated offer)."""

    __tablename__ = "ip_auction_rounds"
    __table_args__ = (UniqueConstraint("disposal_id", "round_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("ip_disposals.id"), index=True)
    round_no: Mapped[int] = mapped_column(Integer)
    reserve: Mapped[Decimal] = mapped_column(Money)
    held_on: Mapped[dt.date] = mapped_column(Date)
    sold: Mapped[bool] = mapped_column(Boolean, default=False)
    price: Mapped[Decimal | None] = mapped_column(Money)
