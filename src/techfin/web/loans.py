"""Pages of loan servicing (issue 9 item 7): the loan list, the loan page (balances, schedule,
events, classification history, notices, warnings, milestones, tasks) with the repayment and
classification forms, and the risk manager's watch list with open tasks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services.context import Actor
from techfin.services.errors import ServiceError, ValidationFailed
from techfin.store.db import Database
from techfin.web.pages import _check_csrf, _db, page_actor, render

router = APIRouter(include_in_schema=False)


@router.get("/loans", response_class=HTMLResponse)
def loans_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    return render(request, "loan_list.html", loans=svc.loans(_db(request), actor))


@router.get("/loans/{loan_id}", response_class=HTMLResponse)
def loan_page(request: Request, loan_id: int) -> HTMLResponse:
    actor = page_actor(request)
    view = svc.loan_view(_db(request), actor, loan_id)
    return render(request, "loan_detail.html", v=view, idem=uuid.uuid4().hex)


def _back(loan_id: int, error: str | None = None) -> Response:
    url = f"/loans/{loan_id}"
    if error:
        url += "?error=" + quote(error)
    return RedirectResponse(url, status_code=303)


FormData = dict[str, Any]
Command = Callable[[Database, Actor, FormData], object]


async def _command(request: Request, loan_id: int, command: Command) -> Response:
    """Run one form's service command for the loan page: back to the page, with the service's
    message when it refuses."""
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        command(_db(request), actor, form)
    except ServiceError as exc:
        return _back(loan_id, exc.detail)
    return _back(loan_id)


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "")


def _approve(form: FormData) -> bool:
    return form.get("decision") == "approve"


@router.post("/loans/{loan_id}/repay", response_model=None)
async def repay(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.record_payment(
            db,
            actor,
            loan_id,
            amount=_text(form, "amount"),
            kind=_text(form, "kind") or "repayment",
            mode=_text(form, "mode") or None,
            idempotency_key=_text(form, "idempotency_key") or None,
        ),
    )


@router.post("/loans/{loan_id}/fund-use/{evidence_id}/review", response_model=None)
async def review_fund_use(request: Request, loan_id: int, evidence_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: mon.review_fund_use(
            db,
            actor,
            loan_id,
            evidence_id,
            outcome=_text(form, "outcome"),
            note=_text(form, "note"),
        ),
    )


@router.post("/loans/{loan_id}/classify", response_model=None)
async def classify(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.propose_class(
            db,
            actor,
            loan_id,
            judged_class=_text(form, "judged_class"),
            rationale=_text(form, "rationale"),
        ),
    )


@router.post("/loans/{loan_id}/classifications/{cid}", response_model=None)
async def sign_off(request: Request, loan_id: int, cid: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.sign_off_class(
            db, actor, cid, approve=_approve(form), note=_text(form, "note")
        ),
    )


@router.post("/loans/{loan_id}/subsidies", response_model=None)
async def request_subsidy(request: Request, loan_id: int) -> Response:
    def command(db: Database, actor: Actor, form: FormData) -> object:
        basis = _text(form, "basis") or "share"
        value = _text(form, "value").strip()
        return svc.request_subsidy(
            db,
            actor,
            loan_id,
            payer=_text(form, "payer"),
            reference=_text(form, "reference"),
            share=value if basis == "share" else None,
            rate=value if basis == "rate" else None,
            until=_date(_text(form, "until").strip(), "until"),
            notes=_text(form, "notes"),
        )

    return await _command(request, loan_id, command)


@router.post("/loans/{loan_id}/subsidies/{sid}", response_model=None)
async def decide_subsidy(request: Request, loan_id: int, sid: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.decide_subsidy(
            db, actor, sid, approve=_approve(form), note=_text(form, "note")
        ),
    )


@router.post("/loans/{loan_id}/write-off", response_model=None)
async def request_write_off(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.request_write_off(
            db, actor, loan_id, reason=_text(form, "reason"), evidence=_text(form, "evidence")
        ),
    )


@router.post("/loans/{loan_id}/write-offs/{wid}", response_model=None)
async def decide_write_off(request: Request, loan_id: int, wid: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.decide_write_off(
            db, actor, wid, approve=_approve(form), note=_text(form, "note")
        ),
    )


def _date(text: str, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(f"{field} must be a date (YYYY-MM-DD)", field=field) from exc


@router.get("/watch-list", response_class=HTMLResponse)
def watch_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    return render(
        request,
        "loan_watch.html",
        watch=mon.watch_list(db, actor),
        tasks=mon.tasks(db, actor, "open"),
    )


@router.post("/tasks/{task_id}/done", response_model=None)
async def task_done(request: Request, task_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        mon.complete_task(_db(request), actor, task_id, str(form.get("note", "")))
    except ServiceError as exc:
        return RedirectResponse("/watch-list?error=" + quote(exc.detail), 303)
    return RedirectResponse("/watch-list", status_code=303)


def _(message: str) -> str:
    return message


# Message ids the loan pages show from data (so that the catalog extraction finds them).
DYNAMIC = [
    _("normal"),
    _("special_mention"),
    _("substandard"),
    _("doubtful"),
    _("loss"),
    _("repayment"),
    _("prepayment"),
    _("subsidy_receipt"),
    _("fee"),
    _("reversal"),
    _("downgrade"),
    _("upgrade"),
    _("judgement_due"),
    _("below_floor"),
    _("green"),
    _("yellow"),
    _("orange"),
    _("red"),
    _("proposed"),
    _("approved"),
    _("rejected"),
    _("active"),
    _("settled"),
    _("written_off"),
    _("pending"),
    _("ended"),
    _("write_off"),
    _("costs"),
    _("penalty_interest"),
    _("compound_interest"),
    _("interest"),
    _("principal"),
]
