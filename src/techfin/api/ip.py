"""API of the IP platform (issue 6): patents and legal events, the agency library and
valuations, pledge pools and their registration, the alert queue, disposals.

Money is sent and returned as decimal strings. Closing a disposal (the money event that applies
proceeds to the loan) accepts an `Idempotency-Key` header: the same key returns the first
result.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import ip_disposal, ip_pledges, ip_registry, ip_valuation
from techfin.services.context import Actor
from techfin.store.db import Database

router = APIRouter(tags=["ip"])
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]
AsOf = Annotated[dt.date | None, Query(description="as-of date (default today)")]


# --- patents and legal events ---------------------------------------------------------------


@router.get("/api/ip/patents/{number}")
def patent(number: str, actor: ActorDep, db: DbDep, as_of: AsOf = None) -> dict[str, Any]:
    """Status, remaining life and high-value flag on `as_of`, derived from the legal events;
    the event timeline; the caller's valuations and pledges of the patent."""
    return ip_registry.patent_view(db, actor, number, as_of or dt.date.today()).to_dict()


class EventPush(BaseModel):
    records: list[Any] = Field(min_length=1, max_length=50_000)
    label: str = Field(default="api", max_length=200)


@router.post("/api/ip/legal-events", status_code=201)
def push_events(body: EventPush, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Push legal-status events (hub administrators). Bad records are quarantined with
    reasons; the same content pushed again changes nothing."""
    return ip_registry.push_legal_events(db, actor, body.records, label=body.label).to_dict()


# --- agencies and valuations ------------------------------------------------------------------


@router.get("/api/ip/agencies")
def agencies(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    """The library of valuation agencies with qualification, fields and past accuracy."""
    return ip_valuation.list_agencies(db, actor)


class NewAgency(BaseModel):
    institution_code: str = Field(min_length=1, max_length=32)
    qualification: str = Field(min_length=1, max_length=200)
    qualification_no: str = Field(default="", max_length=64)
    qualified_until: dt.date | None = None
    fields: list[str] = Field(default_factory=list)


@router.post("/api/ip/agencies", status_code=201)
def add_agency(body: NewAgency, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_valuation.add_agency(db, actor, **body.model_dump())


class AgencyConflict(BaseModel):
    reason: str = Field(min_length=1, max_length=300)
    enterprise_id: int | None = None
    institution_id: int | None = None


@router.post("/api/ip/agencies/{agency_id}/conflicts", status_code=201)
def agency_conflict(
    agency_id: int, body: AgencyConflict, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    ip_valuation.declare_agency_conflict(db, actor, agency_id=agency_id, **body.model_dump())
    return {"agency_id": agency_id, "declared": True}


class ValuationOrder(BaseModel):
    patent: str = Field(min_length=1, max_length=32)
    exposure: Decimal
    mode: str = Field(pattern="^(agency|internal)$")
    on: dt.date
    agency_id: int | None = None
    field: str | None = Field(default=None, max_length=64)
    seed: int = 0


@router.post("/api/ip/valuations", status_code=201)
def order_valuation(body: ValuationOrder, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Order a valuation from an agency (conflicts and rotation checked) or internally (below
    the policy amount); reviewing experts are drawn from the shared registry."""
    return ip_valuation.order_valuation(db, actor, **body.model_dump())


class ValuationReport(BaseModel):
    method: str
    inputs: dict[str, Any]
    valued_on: dt.date


@router.post("/api/ip/valuations/{valuation_id}/report")
def submit_report(
    valuation_id: int, body: ValuationReport, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """Record the report (maker). Inputs as decimal strings; computed by techfin.ip."""
    return ip_valuation.submit_report(db, actor, valuation_id, **body.model_dump())


class ValuationDecision(BaseModel):
    accept: bool
    reason: str = Field(min_length=1, max_length=500)


@router.post("/api/ip/valuations/{valuation_id}/decision")
def decide_valuation(
    valuation_id: int, body: ValuationDecision, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """Accept or reject (checker; never the maker)."""
    return ip_valuation.decide_valuation(db, actor, valuation_id, **body.model_dump())


@router.get("/api/ip/valuations/{valuation_id}")
def valuation(valuation_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_valuation.valuation_detail(db, actor, valuation_id)


# --- pledges ----------------------------------------------------------------------------------


class Debt(BaseModel):
    kind: str = Field(default="loan", pattern="^(loan|credit_line)$")
    reference: str = Field(min_length=1, max_length=64)
    balance: Decimal
    starts_on: dt.date
    matures_on: dt.date


class NewPledge(BaseModel):
    contract_no: str = Field(min_length=1, max_length=64)
    pledgor_name: str = Field(min_length=1, max_length=300)
    pledgor_enterprise_id: int | None = None
    patents: list[str] = Field(min_length=1, max_length=200)
    debts: list[Debt] = Field(min_length=1, max_length=50)
    signed_on: dt.date
    policy: str | None = None
    consenting_co_owners: dict[str, list[str]] = Field(default_factory=dict)


@router.post("/api/ip/pledges", status_code=201)
def create_pledge(body: NewPledge, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """A pledge contract over a pool of patents securing loans / credit lines (draft)."""
    data = body.model_dump()
    data["debts"] = [d.model_dump() for d in body.debts]
    return ip_pledges.create_pledge(db, actor, **data)


@router.get("/api/ip/pledges")
def pledges(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return ip_pledges.list_pledges(db, actor)


@router.get("/api/ip/pledges/{pledge_id}")
def pledge(pledge_id: int, actor: ActorDep, db: DbDep, as_of: AsOf = None) -> dict[str, Any]:
    """The pool: items with status and appraisal, LTV per loan and for the pool, alerts."""
    return ip_pledges.pledge_detail(db, actor, pledge_id, as_of)


class Apply(BaseModel):
    applied_on: dt.date


@router.post("/api/ip/pledges/{pledge_id}/apply")
def apply_registration(pledge_id: int, body: Apply, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Apply for registration; refused at once for the §11 reasons found."""
    return ip_pledges.apply_registration(db, actor, pledge_id, applied_on=body.applied_on)


class Registered(BaseModel):
    registration_no: str = Field(min_length=1, max_length=64)
    registered_on: dt.date


@router.post("/api/ip/pledges/{pledge_id}/register")
def register(pledge_id: int, body: Registered, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_pledges.record_registration(db, actor, pledge_id, **body.model_dump())


class Refused(BaseModel):
    refused_on: dt.date
    reason: str = Field(min_length=1, max_length=500)


@router.post("/api/ip/pledges/{pledge_id}/refuse")
def refuse(pledge_id: int, body: Refused, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_pledges.record_refusal(db, actor, pledge_id, **body.model_dump())


class Released(BaseModel):
    released_on: dt.date
    reason: str = Field(min_length=1, max_length=300)


@router.post("/api/ip/pledges/{pledge_id}/release")
def release(pledge_id: int, body: Released, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_pledges.release_pledge(db, actor, pledge_id, **body.model_dump())


class Balance(BaseModel):
    reference: str = Field(min_length=1, max_length=64)
    balance: Decimal


@router.post("/api/ip/pledges/{pledge_id}/balance")
def set_balance(pledge_id: int, body: Balance, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_pledges.set_balance(db, actor, pledge_id, **body.model_dump())


@router.get("/api/ip/loans/{reference}/position")
def loan_position(reference: str, actor: ActorDep, db: DbDep, as_of: AsOf = None) -> dict[str, Any]:
    """LTV of one loan over every registered pool of the caller that secures it."""
    return ip_pledges.loan_position(db, actor, reference, as_of)


# --- alerts -----------------------------------------------------------------------------------


@router.get("/api/ip/alerts")
def alerts(
    actor: ActorDep,
    db: DbDep,
    status: Annotated[str | None, Query(pattern="^(open|acknowledged|closed)$")] = None,
) -> list[dict[str, Any]]:
    """The risk manager's alert queue (the caller's institution only)."""
    return ip_pledges.alert_queue(db, actor, status)


class Ack(BaseModel):
    note: str = Field(default="", max_length=500)


@router.post("/api/ip/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: int, body: Ack, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_pledges.acknowledge_alert(db, actor, alert_id, body.note)


class Close(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@router.post("/api/ip/alerts/{alert_id}/close")
def close(alert_id: int, body: Close, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_pledges.close_alert(db, actor, alert_id, body.reason)


class MonitorRun(BaseModel):
    on: dt.date


@router.post("/api/ip/monitoring")
def run_monitoring(body: MonitorRun, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Run the day-end IP monitor now for the caller's institution (idempotent per date)."""
    return ip_pledges.run_monitoring(db, actor, body.on)


# --- disposals --------------------------------------------------------------------------------


class NewDisposal(BaseModel):
    pledge_id: int
    route: str
    exposure: Decimal
    interest: Decimal
    principal: Decimal
    valuation: Decimal | None = None
    start_ratio: Decimal | None = None
    reduction: Decimal | None = None
    rounds: int | None = Field(default=None, ge=1, le=10)


@router.post("/api/ip/disposals", status_code=201)
def open_disposal(body: NewDisposal, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Open a disposal; a judicial auction gets its reserves from the policy (≥ 70 %, ≤ 20 %
    lower each round)."""
    data = body.model_dump()
    pledge_id = data.pop("pledge_id")
    return ip_disposal.open_disposal(db, actor, pledge_id, **data)


class Round(BaseModel):
    held_on: dt.date
    sold: bool
    price: Decimal | None = None
    reserve: Decimal | None = None


@router.post("/api/ip/disposals/{disposal_id}/rounds")
def record_round(disposal_id: int, body: Round, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_disposal.record_round(db, actor, disposal_id, **body.model_dump())


class CloseDisposal(BaseModel):
    closed_on: dt.date
    costs: Decimal


@router.post("/api/ip/disposals/{disposal_id}/close")
def close_disposal(
    disposal_id: int,
    body: CloseDisposal,
    actor: ActorDep,
    db: DbDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, Any]:
    """Apply the proceeds (costs → interest → principal) and keep the recovery rate."""
    return ip_disposal.close_disposal(
        db, actor, disposal_id, idempotency_key=idempotency_key, **body.model_dump()
    )


@router.get("/api/ip/disposals/{disposal_id}")
def disposal(disposal_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return ip_disposal.disposal_detail(db, actor, disposal_id)


@router.get("/api/ip/recovery-rates")
def recovery_rates(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    """Closed disposals with their recovery rates (for LGD estimates)."""
    return ip_disposal.recovery_rates(db, actor)
