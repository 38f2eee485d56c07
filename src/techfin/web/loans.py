"""Pages of loan servicing (issue 9 item 7): the loan list, the loan page (balances, schedule,
events, classification history, notices, warnings, milestones, reviews, tasks) with a form for
every servicing command the API offers, the watch list with open tasks, and the credit-register
reports. Each form posts through `_command`; the service decides roles and tenancy."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import eod
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services.context import Actor, Role
from techfin.services.errors import Conflict, ServiceError, ValidationFailed
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
    for notice in view["notices"]:
        notice["figures"] = _notice_figures(notice)
    return render(request, "loan_detail.html", v=view, idem=uuid.uuid4().hex)


def _percent(value: Any) -> str:
    """A rate stored as a fraction ('0.0325') shown in percent ('3.25'), exactly (Decimal)."""
    pct = Decimal(str(value)) * 100
    two = pct.quantize(Decimal("0.01"))
    return str(two) if two == pct else str(pct.normalize())


def _notice_figures(notice: dict[str, Any]) -> dict[str, str]:
    """The figures a notice's sentence shows, formatted for the page (rates in percent); the
    sentence itself is built in the page's language by `loan_notices.html` from the notice's
    kind and detail. Empty when the detail lacks them (an older notice: its stored text is
    shown)."""
    d = notice.get("detail") or {}
    if notice["kind"] in ("repriced", "repricing_lpr_missing"):
        try:
            return {
                "date": str(d["date"]),
                "previous_rate": _percent(d["previous_rate"]),
                "rate": _percent(d["rate"]),
                "lpr": _percent(d["lpr"]),
                "tenor": str(d["tenor"]).upper(),
                "fixing_date": str(d["fixing_date"]),
            }
        except (KeyError, InvalidOperation, TypeError):
            return {}
    return {}


def _back(target: int | str, error: str | None = None) -> Response:
    url = f"/loans/{target}" if isinstance(target, int) else target
    if error:
        url += "?error=" + quote(error)
    return RedirectResponse(url, status_code=303)


FormData = dict[str, Any]
Command = Callable[[Database, Actor, FormData], object]


async def _command(request: Request, back: int | str, command: Command) -> Response:
    """Run one form's service command: back to the page (a loan id: the loan page; or a path),
    with the service's message when it refuses. The service decides roles and tenancy."""
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        command(_db(request), actor, form)
    except ServiceError as exc:
        return _back(back, exc.detail)
    return _back(back)


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "")


def _approve(form: FormData) -> bool:
    return form.get("decision") == "approve"


_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _decimal(form: FormData, name: str) -> Decimal | None:
    """A decimal typed as text (money or a rate; never a float); empty is None. Thousands
    separators only where they group thousands ("1,200,000.50"): "31,2" is refused, not 312."""
    text = _text(form, name).strip()
    if not text:
        return None
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise ValidationFailed(f"{name} must be a number such as 0.0435", field=name)
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationFailed(f"{name} must be a number such as 0.0435", field=name) from exc
    if not value.is_finite():
        raise ValidationFailed(f"{name} must be a number such as 0.0435", field=name)
    return value


def _int(form: FormData, name: str) -> int:
    text = _text(form, name).strip()
    if not text.isdigit():
        raise ValidationFailed(f"{name} must be a whole number", field=name)
    return int(text)


def _day(form: FormData, name: str) -> dt.date | None:
    return _date(_text(form, name).strip(), name)


def _required_day(form: FormData, name: str) -> dt.date:
    day = _day(form, name)
    if day is None:
        raise ValidationFailed(f"{name} is required (YYYY-MM-DD)", field=name)
    return day


def _yes_no(form: FormData, name: str) -> bool:
    """A condition the user must state (yes or no): nothing is assumed for them."""
    answer = _text(form, name)
    if answer not in ("yes", "no"):
        raise ValidationFailed(f"{name}: state yes or no", field=name)
    return answer == "yes"


def _rate_type(form: FormData) -> str | None:
    """The schedule change's rate terms: empty keeps the loan's (a floating loan stays
    LPR + spread); "fixed" fixes the rate from the change on."""
    return _text(form, "rate_type").strip() or None


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
            value_date=_day(form, "value_date"),
            payer=_text(form, "payer"),
            description=_text(form, "description"),
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


# --- reversal (maker-checker) -----------------------------------------------------------------


@router.post("/loans/{loan_id}/reversals", response_model=None)
async def request_reversal(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.request_reversal(
            db,
            actor,
            loan_id,
            event_id=_text(form, "event_id").strip(),
            reason=_text(form, "reason"),
            value_date=_day(form, "value_date"),
        ),
    )


@router.post("/loans/{loan_id}/reversals/{rid}", response_model=None)
async def decide_reversal(request: Request, loan_id: int, rid: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.decide_reversal(
            db, actor, rid, approve=_approve(form), note=_text(form, "note")
        ),
    )


# --- schedule changes ---------------------------------------------------------------------------


@router.post("/loans/{loan_id}/extension", response_model=None)
async def extension(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.extend_loan(
            db,
            actor,
            loan_id,
            new_maturity=_required_day(form, "new_maturity"),
            reason=_text(form, "reason"),
            as_of=_day(form, "as_of"),
            annual_rate=_decimal(form, "annual_rate"),
            rate_type=_rate_type(form),
        ),
    )


RENEWAL_CONDITIONS = ("lawful", "operating", "funds_diverted", "missed_interest", "evaded_debt")


@router.post("/loans/{loan_id}/renewal", response_model=None)
async def renewal(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.renew_loan(
            db,
            actor,
            loan_id,
            borrower_size=_text(form, "borrower_size"),
            purpose=_text(form, "purpose"),
            applied_on=_required_day(form, "applied_on"),
            investigation_done_on=_day(form, "investigation_done_on"),
            contracts_signed_on=_day(form, "contracts_signed_on"),
            annual_rate=_decimal(form, "annual_rate"),
            rate_type=_rate_type(form),
            installments=_int(form, "installments"),
            method=_text(form, "method") or "interest-only",
            conditions={c: _yes_no(form, c) for c in RENEWAL_CONDITIONS},
            reason=_text(form, "reason"),
        ),
    )


CONCESSIONS = (
    "rate_reduction",
    "term_extension",
    "principal_forgiveness",
    "interest_forgiveness",
    "interest_capitalised",
    "payment_deferral",
    "new_loan_repays_old",
)


@router.post("/loans/{loan_id}/restructuring", response_model=None)
async def restructuring(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: svc.restructure_loan(
            db,
            actor,
            loan_id,
            difficulty_evidence=_text(form, "difficulty_evidence"),
            annual_rate=_decimal(form, "annual_rate"),
            rate_type=_rate_type(form),
            installments=_int(form, "installments"),
            method=_text(form, "method") or "annuity",
            new_principal=_decimal(form, "new_principal"),
            concessions=[c for c in CONCESSIONS if form.get("concession_" + c) == "yes"],
            as_of=_day(form, "as_of"),
            reason=_text(form, "reason"),
        ),
    )


# --- monitoring: milestones, reviews, tasks, watch list ---------------------------------------


@router.post("/loans/{loan_id}/milestones", response_model=None)
async def milestone(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: mon.record_milestone(
            db,
            actor,
            loan_id,
            _int(form, "index"),
            achieved_on=_day(form, "achieved_on"),
            target=_decimal(form, "target"),
            actual=_decimal(form, "actual"),
            note=_text(form, "note"),
        ),
    )


@router.post("/loans/{loan_id}/reviews", response_model=None)
async def review(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: mon.write_review(
            db,
            actor,
            loan_id,
            period=_text(form, "period"),
            conclusion=_text(form, "conclusion"),
            text=_text(form, "text"),
        ),
    )


@router.post("/loans/{loan_id}/tasks", response_model=None)
async def add_task(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: mon.add_task(
            db,
            actor,
            loan_id,
            task=_text(form, "task"),
            text=_text(form, "text"),
            due_on=_required_day(form, "due_on"),
        ),
    )


@router.post("/loans/{loan_id}/watch", response_model=None)
async def watch_from_loan(request: Request, loan_id: int) -> Response:
    return await _command(
        request,
        loan_id,
        lambda db, actor, form: mon.add_to_watch(db, actor, loan_id, reason=_text(form, "reason")),
    )


@router.post("/watch-list", response_model=None)
async def watch_add(request: Request) -> Response:
    return await _command(
        request,
        "/watch-list",
        lambda db, actor, form: mon.add_to_watch(
            db, actor, _int(form, "loan_id"), reason=_text(form, "reason")
        ),
    )


@router.post("/watch-list/{watch_id}/remove", response_model=None)
async def watch_remove(request: Request, watch_id: int) -> Response:
    return await _command(
        request,
        "/watch-list",
        lambda db, actor, form: mon.remove_from_watch(
            db, actor, watch_id, reason=_text(form, "reason")
        ),
    )


# --- credit-register report ---------------------------------------------------------------------


@router.get("/credit-register", response_class=HTMLResponse)
def register_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    return render(
        request,
        "loan_register.html",
        reports=svc.register_reports(db, actor),
        today=_business_date(db, actor),
    )


@router.post("/credit-register/reports", response_model=None)
async def register_write(request: Request) -> Response:
    return await _command(
        request,
        "/credit-register",
        lambda db, actor, form: svc.write_register_report(db, actor, _required_day(form, "as_of")),
    )


@router.get("/credit-register/reports/{report_id}/file", response_model=None)
def register_file(request: Request, report_id: int) -> Response:
    """The report file, for its own institution only (another's is not found: a 404 page)."""
    actor = page_actor(request)
    try:
        name, data = svc.register_report_file(_db(request), actor, report_id)
    except Conflict as exc:
        return _back("/credit-register", exc.detail)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def _business_date(db: Database, actor: Actor) -> str:
    """The caller's institution's business date: the report form's default."""
    if not actor.institution_code:
        return ""
    try:
        day = eod.business_date(db, actor.institution_code)
    except ServiceError:
        return ""
    return day.isoformat() if day else ""


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
        loans=[loan for loan in svc.loans(db, actor) if loan["status"] == "active"]
        if actor.role == Role.RISK_MANAGER
        else [],
    )


@router.post("/tasks/{task_id}/done", response_model=None)
async def task_done(request: Request, task_id: int) -> Response:
    return await _command(
        request,
        "/watch-list",
        lambda db, actor, form: mon.complete_task(db, actor, task_id, _text(form, "note")),
    )


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
    _("repriced"),
    _("repricing_lpr_missing"),
    # the grounds of a classification floor (credit/classification.py reason codes)
    _("floor_reason_dpd_loss"),
    _("floor_reason_dpd_doubtful"),
    _("floor_reason_dpd_substandard"),
    _("floor_reason_overdue"),
    _("floor_reason_operational_delay_excepted"),
    _("floor_reason_change_of_use"),
    _("floor_reason_new_loan_repays_old"),
    _("floor_reason_npl_at_other_bank"),
    _("floor_reason_credit_impaired"),
    _("floor_reason_cross_bank_overdue"),
    _("floor_reason_whole_borrower"),
    _("floor_reason_restructured_observation"),
    _("floor_reason_upgrade_arrears_unpaid"),
    _("floor_reason_upgrade_history_short"),
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
    # schedule changes, renewal and restructuring choices, review conclusions
    _("extension"),
    _("renewal"),
    _("restructuring"),
    _("working_capital"),
    _("business"),
    _("fixed_asset"),
    _("project"),
    _("other"),
    _("rate_reduction"),
    _("term_extension"),
    _("principal_forgiveness"),
    _("interest_forgiveness"),
    _("interest_capitalised"),
    _("payment_deferral"),
    _("new_loan_repays_old"),
    _("no_change"),
    _("watch"),
    _("exit"),
    # a watch-list entry added by hand
    _("manual"),
]
