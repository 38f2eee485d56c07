"""API of origination (issue 8): applications and their pre-loan file, review, expert
committee, decision and credit committee, contract and conditions, disbursement and loans,
credit lines, group links, tech quota, work queues and channel times.

Money is sent and returned as decimal strings (yuan). Requesting a disbursement (a money
event) accepts an `Idempotency-Key` header: the same key returns the same disbursement.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import origination as svc
from techfin.services.context import Actor
from techfin.store.db import Database

router = APIRouter(prefix="/api/origination", tags=["origination"])
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]


class NewApplication(BaseModel):
    enterprise_id: int
    product_code: str = Field(min_length=1, max_length=64)
    amount: Decimal
    term_months: int
    method: str = "annuity"
    guarantee: list[str] = Field(default_factory=lambda: ["credit"])
    collateral: list[dict[str, Any]] = Field(default_factory=list)
    purpose: str = Field(default="", max_length=300)
    novel_technology: bool = False


class FileUpdate(BaseModel):
    investigation_report: str | None = None
    milestones: list[dict[str, Any]] | None = None
    collateral: list[dict[str, Any]] | None = None
    novel_technology: bool | None = None


class Review(BaseModel):
    opinion: str
    proceed: bool = True


class Draw(BaseModel):
    seed: int = 0
    count: int | None = None


class ExpertOpinionIn(BaseModel):
    score: int
    support: bool
    opinion: str


class DecisionIn(BaseModel):
    decision: str
    reason: str
    approved_amount: Decimal | None = None
    approved_rate: Decimal | None = None
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    # fixed (default) or floating: LPR (lpr_tenor 1y | 5y+) + spread_bp, repriced every
    # repricing_months (default 12) or on repricing_rule january-1
    rate_type: str | None = None
    spread_bp: Decimal | None = None
    lpr_tenor: str | None = None
    repricing_months: int | None = None
    repricing_rule: str | None = None


class Reason(BaseModel):
    reason: str


class VoteIn(BaseModel):
    approve: bool
    reason: str
    chair: bool = False
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    # the chair's vote may set the rate terms (as DecisionIn)
    rate_type: str | None = None
    spread_bp: Decimal | None = None
    lpr_tenor: str | None = None
    repricing_months: int | None = None
    repricing_rule: str | None = None


class Evidence(BaseModel):
    evidence: str


class DisbursementIn(BaseModel):
    amount: Decimal | None = None
    value_date: dt.date | None = Field(
        default=None,
        description="The bank's business date, which is also the default: a later day, one "
        "before the contract was signed or any earlier day is refused (422, field value_date; "
        "no backdated drawdowns, decision 1057)",
    )
    payee_name: str = ""
    payee_account: str = ""


class CheckIn(BaseModel):
    approve: bool
    reason: str


class FundUse(BaseModel):
    amount: Decimal
    description: str
    payee_name: str = ""
    # a category of use in credit/data/fund_use_rules.yaml (raw_materials, wages, …)
    category: str = "unspecified"


class CreditLineIn(BaseModel):
    enterprise_id: int
    scope: str = "customer"
    limit_amount: Decimal
    sublimits: dict[str, Decimal] = Field(default_factory=dict)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class GroupLinkIn(BaseModel):
    owner_enterprise_id: int
    owned_enterprise_id: int
    share: Decimal | None = None
    source: str = "kyc"
    as_of: dt.date | None = None


class StaffIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    channel: str = "tech"


class QuotaIn(BaseModel):
    branch_id: int
    period_start: dt.date
    period_end: dt.date
    amount: Decimal


@router.post("/applications", status_code=201)
def open_application(body: NewApplication, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Open an application (account manager; the enterprise's consent is checked) and assemble
    its pre-loan file."""
    return svc.open_application(db, actor, **body.model_dump())


@router.get("/applications")
def list_applications(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return svc.applications(db, actor)


@router.get("/applications/{application_id}")
def get_application(application_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """The application with its whole file, events and elapsed time per step."""
    return svc.get_application(db, actor, application_id)


@router.post("/applications/{application_id}/file")
def update_file(
    application_id: int, body: FileUpdate, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    return svc.update_file(db, actor, application_id, **body.model_dump())


@router.post("/applications/{application_id}/submit")
def submit(application_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Submit; an incomplete file is refused (422) with the missing items listed."""
    return svc.submit(db, actor, application_id)


@router.post("/applications/{application_id}/review")
def review(application_id: int, body: Review, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.review(db, actor, application_id, opinion=body.opinion, proceed=body.proceed)


@router.post("/applications/{application_id}/experts")
def draw_experts(application_id: int, body: Draw, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.draw_experts(db, actor, application_id, seed=body.seed, count=body.count)


@router.post("/applications/{application_id}/opinion")
def expert_opinion(
    application_id: int, body: ExpertOpinionIn, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    return svc.submit_opinion(
        db, actor, application_id, score=body.score, support=body.support, opinion=body.opinion
    )


@router.post("/applications/{application_id}/decision")
def decide(application_id: int, body: DecisionIn, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """approve (with conditions) / reduce / reject / return, each with a reason."""
    return svc.decide(db, actor, application_id, **body.model_dump())


@router.post("/applications/{application_id}/refer")
def refer(application_id: int, body: Reason, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.refer_to_committee(db, actor, application_id, reason=body.reason)


@router.post("/applications/{application_id}/votes")
def vote(application_id: int, body: VoteIn, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.committee_vote(db, actor, application_id, **body.model_dump())


@router.post("/applications/{application_id}/contract", status_code=201)
def contract(application_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.make_contract(db, actor, application_id)


@router.post("/conditions/{condition_id}/met")
def condition_met(condition_id: int, body: Evidence, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.meet_condition(db, actor, condition_id, evidence=body.evidence)


@router.post("/contracts/{contract_id}/disbursements", status_code=201)
def request_disbursement(
    contract_id: int,
    body: DisbursementIn,
    actor: ActorDep,
    db: DbDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, Any]:
    """A drawdown, value-dated the bank's business date; blocked (409) while a condition
    precedent is open."""
    return svc.request_disbursement(
        db, actor, contract_id, idempotency_key=idempotency_key, **body.model_dump()
    )


@router.post("/disbursements/{disbursement_id}/check")
def check_disbursement(
    disbursement_id: int, body: CheckIn, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """The independent disbursement check (放款审核); approving pays out on the business date
    of the check and creates the loan."""
    return svc.check_disbursement(
        db, actor, disbursement_id, approve=body.approve, reason=body.reason
    )


@router.get("/loans/{loan_id}")
def loan(loan_id: int, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.get_loan(db, actor, loan_id)


@router.post("/loans/{loan_id}/fund-use", status_code=201)
def fund_use(loan_id: int, body: FundUse, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.record_fund_use(db, actor, loan_id, **body.model_dump())


@router.get("/queue")
def work_queue(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    """What waits for the caller's role."""
    return svc.queue(db, actor)


@router.get("/channel-times")
def channel_times(actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Mean elapsed hours per step: the tech channel beside the ordinary one."""
    return svc.channel_times(db, actor)


@router.post("/credit-lines", status_code=201)
def set_credit_line(body: CreditLineIn, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.set_credit_line(db, actor, **body.model_dump())


@router.get("/enterprises/{enterprise_id}/credit-lines")
def credit_lines(enterprise_id: int, actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return svc.credit_lines(db, actor, enterprise_id)


@router.post("/group-links", status_code=201)
def group_link(body: GroupLinkIn, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.add_group_link(db, actor, **body.model_dump())


@router.post("/tech-quotas", status_code=201)
def tech_quota(body: QuotaIn, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.set_tech_quota(db, actor, **body.model_dump())


@router.get("/branches/{branch_id}/tech-quota")
def quota_usage(branch_id: int, actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return svc.quota_usage(db, actor, branch_id)


@router.post("/channel-staff", status_code=201)
def designate_staff(body: StaffIn, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Dedicate a reviewer or approver to the tech channel (admin)."""
    return svc.designate_channel_staff(db, actor, username=body.username, channel=body.channel)


@router.get("/channel-staff")
def list_staff(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return svc.channel_staff(db, actor)
