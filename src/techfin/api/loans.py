"""API of loan servicing and post-loan monitoring (issue 9).

Money is sent and returned as decimal strings (yuan). `POST /api/loans/{id}/repayments` honours
an `Idempotency-Key` header: a retry with the same key and body returns the first result (same
status, body with `idempotent_replay: true`) and creates nothing; the same key with another
body is 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from techfin.api.deps import current_actor, get_db
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services.context import Actor
from techfin.store.db import Database

router = APIRouter(prefix="/api", tags=["servicing"])
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]


class PaymentBody(BaseModel):
    amount: Decimal = Field(description="yuan, at most 2 decimals")
    kind: str = Field(
        default="repayment", description="repayment | prepayment | subsidy_receipt | fee"
    )
    value_date: dt.date | None = Field(default=None, description="default: the business date")
    mode: str | None = Field(default=None, description="prepayment: reamortise | reduce-term")
    payer: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=300)


@router.get("/loans")
def list_loans(actor: ActorDep, db: DbDep) -> list[dict[str, Any]]:
    return svc.loans(db, actor)


@router.get("/loans/{loan_id}")
def get_loan(
    loan_id: int, actor: ActorDep, db: DbDep, as_of: dt.date | None = None
) -> dict[str, Any]:
    """Balances (replayed from the events), schedule, events, classification floor and
    history, notices, warnings, milestones, tasks and reviews."""
    return svc.loan_view(db, actor, loan_id, as_of)


@router.post("/loans/{loan_id}/repayments", status_code=201)
def post_repayment(
    loan_id: int,
    body: PaymentBody,
    actor: ActorDep,
    db: DbDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, Any]:
    return svc.record_payment(
        db, actor, loan_id, idempotency_key=idempotency_key, **body.model_dump()
    )


class ReversalBody(BaseModel):
    event_id: str
    reason: str
    value_date: dt.date | None = None


@router.post("/loans/{loan_id}/reversals", status_code=201)
def request_reversal(
    loan_id: int, body: ReversalBody, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """The maker's request; another user approves it at `/api/reversals/{id}/decision`."""
    return svc.request_reversal(db, actor, loan_id, **body.model_dump())


class Decision(BaseModel):
    approve: bool
    note: str = ""


@router.post("/reversals/{request_id}/decision")
def decide_reversal(request_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.decide_reversal(db, actor, request_id, approve=body.approve, note=body.note)


class SubsidyBody(BaseModel):
    payer: str = Field(description="who pays, e.g. 区科技局", max_length=200)
    reference: str = Field(description="the agreement's reference / document number")
    share: Decimal | None = Field(
        default=None, description="share of the interest the payer pays, 0 < share ≤ 1"
    )
    rate: Decimal | None = Field(
        default=None, description="or: points of the annual rate the payer pays (0.02 = 2 %)"
    )
    until: dt.date | None = Field(default=None, description="for interest accrued before")
    notes: str = ""


@router.post("/loans/{loan_id}/subsidies", status_code=201)
def request_subsidy(loan_id: int, body: SubsidyBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """An interest-subsidy agreement (贴息), requested by an account or risk manager; an
    approver or risk manager other than the maker decides at `/api/subsidies/{id}/decision`.
    Once approved it applies from the disbursement and replaces any earlier approved one."""
    return svc.request_subsidy(db, actor, loan_id, **body.model_dump())


@router.post("/subsidies/{agreement_id}/decision")
def decide_subsidy(agreement_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.decide_subsidy(db, actor, agreement_id, approve=body.approve, note=body.note)


class WriteOffBody(BaseModel):
    reason: str = Field(description="why the claim is a bad debt")
    evidence: str = Field(description="the documents on file (court ruling, recourse record …)")


@router.post("/loans/{loan_id}/write-off", status_code=201)
def request_write_off(
    loan_id: int, body: WriteOffBody, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """A risk manager's write-off (核销) request, refused unless the loan is at least doubtful
    (floor or last signed-off class; `credit/data/write_off.yaml`, unconfirmed); an approver
    other than the maker decides at `/api/write-offs/{id}/decision`."""
    return svc.request_write_off(db, actor, loan_id, **body.model_dump())


@router.post("/write-offs/{request_id}/decision")
def decide_write_off(request_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Approval writes a `write_off` event value-dated the business date and sets the loan's
    status to `written_off`; money received later is a recovery."""
    return svc.decide_write_off(db, actor, request_id, approve=body.approve, note=body.note)


class ExtensionBody(BaseModel):
    new_maturity: dt.date
    reason: str
    as_of: dt.date | None = None
    annual_rate: Decimal | None = None
    # a floating loan stays LPR + spread unless "fixed" (then annual_rate, or the rate in force)
    rate_type: str | None = None


@router.post("/loans/{loan_id}/extension", status_code=201)
def extension(loan_id: int, body: ExtensionBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.extend_loan(db, actor, loan_id, **body.model_dump())


class RenewalBody(BaseModel):
    borrower_size: str
    purpose: str
    applied_on: dt.date
    investigation_done_on: dt.date | None = None
    contracts_signed_on: dt.date | None = None
    # required for a fixed loan; a floating loan's renewal is LPR + spread unless rate_type fixed
    annual_rate: Decimal | None = None
    rate_type: str | None = None
    installments: int
    method: str = "interest-only"
    conditions: dict[str, bool] = Field(default_factory=dict)
    reason: str


@router.post("/loans/{loan_id}/renewal", status_code=201)
def renewal(loan_id: int, body: RenewalBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.renew_loan(db, actor, loan_id, **body.model_dump())


class RestructuringBody(BaseModel):
    difficulty_evidence: str
    # required for a fixed loan; a floating loan stays LPR + spread unless rate_type fixed
    annual_rate: Decimal | None = None
    rate_type: str | None = None
    installments: int
    method: str = "annuity"
    new_principal: Decimal | None = None
    concessions: list[str] = Field(default_factory=list)
    as_of: dt.date | None = None
    reason: str


@router.post("/loans/{loan_id}/restructuring", status_code=201)
def restructuring(
    loan_id: int, body: RestructuringBody, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    return svc.restructure_loan(db, actor, loan_id, **body.model_dump())


class ClassBody(BaseModel):
    judged_class: str
    rationale: str


@router.post("/loans/{loan_id}/classifications", status_code=201)
def propose_class(loan_id: int, body: ClassBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.propose_class(db, actor, loan_id, **body.model_dump())


@router.post("/classifications/{classification_id}/sign-off")
def sign_off(classification_id: int, body: Decision, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return svc.sign_off_class(db, actor, classification_id, approve=body.approve, note=body.note)


class MilestoneBody(BaseModel):
    achieved_on: dt.date | None = None
    target: Decimal | None = None
    actual: Decimal | None = None
    note: str = ""


@router.post("/loans/{loan_id}/milestones/{index}", status_code=201)
def milestone(
    loan_id: int, index: int, body: MilestoneBody, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    return mon.record_milestone(db, actor, loan_id, index, **body.model_dump())


class ReviewBody(BaseModel):
    period: str
    conclusion: str
    text: str


@router.post("/loans/{loan_id}/reviews", status_code=201)
def review(loan_id: int, body: ReviewBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return mon.write_review(db, actor, loan_id, **body.model_dump())


class FundUseReviewBody(BaseModel):
    outcome: str = Field(description="cleared | confirmed")
    note: str = Field(description="what the voucher showed")


@router.post("/loans/{loan_id}/fund-use/{evidence_id}/review", status_code=201)
def review_fund_use(
    loan_id: int, evidence_id: int, body: FundUseReviewBody, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """A risk manager clears or confirms a suspected use of funds (a keyword hit) after
    checking the voucher; returns the loan's use-of-funds assessment and reviews."""
    return mon.review_fund_use(db, actor, loan_id, evidence_id, **body.model_dump())


class TaskBody(BaseModel):
    task: str
    text: str
    due_on: dt.date


@router.post("/loans/{loan_id}/tasks", status_code=201)
def add_task(loan_id: int, body: TaskBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return mon.add_task(db, actor, loan_id, **body.model_dump())


@router.get("/tasks")
def tasks(actor: ActorDep, db: DbDep, status: str = "open") -> list[dict[str, Any]]:
    return mon.tasks(db, actor, status)


class NoteBody(BaseModel):
    note: str


@router.post("/tasks/{task_id}/done")
def task_done(task_id: int, body: NoteBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return mon.complete_task(db, actor, task_id, body.note)


@router.get("/watch-list")
def watch_list(actor: ActorDep, db: DbDep, include_removed: bool = False) -> list[dict[str, Any]]:
    return mon.watch_list(db, actor, include_removed)


class WatchBody(BaseModel):
    loan_id: int
    reason: str


@router.post("/watch-list", status_code=201)
def watch_add(body: WatchBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return mon.add_to_watch(db, actor, body.loan_id, reason=body.reason)


class ReasonBody(BaseModel):
    reason: str


@router.post("/watch-list/{watch_id}/remove")
def watch_remove(watch_id: int, body: ReasonBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return mon.remove_from_watch(db, actor, watch_id, reason=body.reason)


class InvestorInfoBody(BaseModel):
    kind: str = Field(description="follow_on_round | down_round | investor_exit | valuation")
    on: dt.date
    detail: str = ""
    amount: Decimal | None = None
    valuation: Decimal | None = None


@router.post("/enterprises/{enterprise_id}/investor-info", status_code=201)
def investor_info(
    enterprise_id: int, body: InvestorInfoBody, actor: ActorDep, db: DbDep
) -> dict[str, Any]:
    """Co-investor information pushed by an investor under the enterprise's `investment`
    consent or an NDA on file."""
    return mon.push_investor_info(db, actor, enterprise_id, **body.model_dump())


class NdaBody(BaseModel):
    investor: str = Field(description="investor institution code")
    reference: str
    signed_on: dt.date
    valid_to: dt.date


@router.post("/enterprises/{enterprise_id}/ndas", status_code=201)
def nda(enterprise_id: int, body: NdaBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    return mon.record_nda(
        db,
        actor,
        enterprise_id,
        investor_code=body.investor,
        reference=body.reference,
        signed_on=body.signed_on,
        valid_to=body.valid_to,
    )


class ReportBody(BaseModel):
    as_of: dt.date


@router.post("/credit-register/reports", status_code=201)
def register_report(body: ReportBody, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """Write the outgoing credit-register report file (validated first; nothing written when
    any record is invalid)."""
    return svc.write_register_report(db, actor, body.as_of)
