"""Origination pages: work queues per role, the application page with the whole pre-loan file
and the actions the caller's role may take, and the tech channel's times beside the ordinary
channel's. Pages call `techfin.services.origination` only."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import origination as svc
from techfin.services.errors import ServiceError, ValidationFailed
from techfin.web.pages import _check_csrf, _db, page_actor, render

router = APIRouter(include_in_schema=False)


def _back(url: str, exc: ServiceError) -> Response:
    sep = "&" if "?" in url else "?"
    message = f"{exc.field}: {exc.detail}" if exc.field else exc.detail
    return RedirectResponse(f"{url}{sep}error=" + quote(message), status_code=303)


def _dec(form: dict[str, Any], name: str, required: bool = True) -> Decimal | None:
    raw = str(form.get(name, "")).strip().replace(",", "")
    if not raw:
        if required:
            raise ValidationFailed(f"{name} is required", field=name)
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise ValidationFailed(f"{name} must be a number", field=name) from exc


def _rate_terms(form: dict[str, Any]) -> dict[str, Any]:
    """The approval form's rate terms (fixed, or LPR + spread repriced); the service checks
    them and names the field at fault."""

    def text(name: str) -> str | None:
        value = str(form.get(name, "")).strip()
        return value or None

    kind = text("rate_type") or "fixed"
    if kind != "floating":
        return {"rate_type": kind}
    rule = text("repricing_rule")
    return {
        "rate_type": kind,
        "spread_bp": text("spread_bp"),
        "lpr_tenor": text("lpr_tenor"),
        "repricing_rule": rule,
        "repricing_months": None if rule == "january-1" else text("repricing_months"),
    }


def _int(form: dict[str, Any], name: str) -> int:
    try:
        return int(str(form.get(name, "")).strip())
    except ValueError as exc:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from exc


async def _act(
    request: Request, application_id: int, call: Callable[[dict[str, Any]], Any]
) -> Response:
    page = f"/origination/{application_id}"
    try:
        form = await _check_csrf(request)
        call(form)
    except ServiceError as exc:
        return _back(page, exc)
    return RedirectResponse(page, status_code=303)


@router.get("/origination", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    queue = svc.queue(db, actor)
    listing: list[dict[str, Any]] = []
    times: dict[str, Any] = {"steps": []}
    if actor.role != "expert":
        listing = svc.applications(db, actor, 50)
        times = svc.channel_times(db, actor)
    return render(request, "orig_home.html", queue=queue, listing=listing, times=times)


@router.get("/origination/new", response_class=HTMLResponse)
def new_form(request: Request, enterprise_id: int | None = None) -> HTMLResponse:
    page_actor(request)
    from techfin.credit.products import load_catalogue

    products = load_catalogue().products
    return render(request, "orig_new.html", products=products, enterprise_id=enterprise_id)


@router.post("/origination/new", response_model=None)
async def open_application(request: Request) -> Response:
    actor = page_actor(request)
    try:
        form = await _check_csrf(request)
        collateral: list[dict[str, Any]] = []
        appraised = _dec(form, "ip_appraised_value", required=False)
        if appraised is not None:
            collateral.append(
                {
                    "kind": "ip",
                    "ip_type": str(form.get("ip_type") or "invention"),
                    "appraised_value": str(appraised),
                    "patent": str(form.get("ip_patent", "")),
                }
            )
        deposit = _dec(form, "cash_deposit", required=False)
        if deposit:
            collateral.append({"kind": "cash_deposit", "value": str(deposit)})
        guarantee = [g for g in ("credit", "guarantee", "mortgage", "pledge") if form.get(f"g_{g}")]
        view = svc.open_application(
            _db(request),
            actor,
            enterprise_id=_int(form, "enterprise_id"),
            product_code=str(form.get("product_code", "")),
            amount=_dec(form, "amount") or Decimal(0),
            term_months=_int(form, "term_months"),
            method=str(form.get("method") or "annuity"),
            guarantee=guarantee or ["credit"],
            collateral=collateral,
            purpose=str(form.get("purpose", "")),
            novel_technology=bool(form.get("novel_technology")),
        )
    except ServiceError as exc:
        return _back("/origination/new", exc)
    return RedirectResponse(f"/origination/{view['id']}", status_code=303)


@router.get("/origination/{application_id}", response_class=HTMLResponse)
def application_page(request: Request, application_id: int) -> HTMLResponse:
    actor = page_actor(request)
    app = svc.get_application(_db(request), actor, application_id)
    pending_checks = [d for d in app["disbursements"] if d["status"] == "requested"]
    lines = (
        []
        if actor.role == "expert"
        else svc.credit_lines(_db(request), actor, app["enterprise_id"])
    )
    return render(
        request,
        "orig_application.html",
        app=app,
        file=app.get("file", {}),
        role=str(actor.role),
        me=actor.username,
        pending_checks=pending_checks,
        lines=lines,
    )


@router.post("/origination/{application_id}/file", response_model=None)
async def update_file(request: Request, application_id: int) -> Response:
    actor = page_actor(request)

    def call(form: dict[str, Any]) -> Any:
        milestones = []
        for kind in ("revenue", "funding_round", "product_launch"):
            text = str(form.get(f"m_{kind}", "")).strip()
            if text:
                milestones.append({"kind": kind, "text": text, "due": form.get(f"m_{kind}_due")})
        return svc.update_file(
            _db(request),
            actor,
            application_id,
            investigation_report=str(form.get("investigation_report", "")),
            milestones=milestones or None,
        )

    return await _act(request, application_id, call)


@router.post("/origination/{application_id}/submit", response_model=None)
async def submit(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request, application_id, lambda f: svc.submit(_db(request), actor, application_id)
    )


@router.post("/origination/{application_id}/review", response_model=None)
async def review(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.review(
            _db(request),
            actor,
            application_id,
            opinion=str(f.get("opinion", "")),
            proceed=f.get("proceed", "1") == "1",
        ),
    )


@router.post("/origination/{application_id}/experts", response_model=None)
async def draw(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.draw_experts(
            _db(request), actor, application_id, seed=int(str(f.get("seed") or 0))
        ),
    )


@router.post("/origination/{application_id}/opinion", response_model=None)
async def opinion(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.submit_opinion(
            _db(request),
            actor,
            application_id,
            score=_int(f, "score"),
            support=f.get("support") == "1",
            opinion=str(f.get("opinion", "")),
        ),
    )


@router.post("/origination/{application_id}/decision", response_model=None)
async def decide(request: Request, application_id: int) -> Response:
    actor = page_actor(request)

    def call(f: dict[str, Any]) -> Any:
        conditions = []
        if f.get("cond_insurance"):
            conditions.append({"kind": "insurance_in_force", "text": "Insurance in force"})
        other = str(f.get("cond_other", "")).strip()
        if other:
            conditions.append({"kind": "other", "text": other})
        return svc.decide(
            _db(request),
            actor,
            application_id,
            decision=str(f.get("decision", "")),
            reason=str(f.get("reason", "")),
            approved_amount=_dec(f, "approved_amount", required=False),
            approved_rate=_dec(f, "approved_rate", required=False),
            conditions=conditions,
            **_rate_terms(f),
        )

    return await _act(request, application_id, call)


@router.post("/origination/{application_id}/refer", response_model=None)
async def refer(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.refer_to_committee(
            _db(request), actor, application_id, reason=str(f.get("reason", ""))
        ),
    )


@router.post("/origination/{application_id}/vote", response_model=None)
async def vote(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.committee_vote(
            _db(request),
            actor,
            application_id,
            approve=f.get("vote") == "approve",
            reason=str(f.get("reason", "")),
            chair=bool(f.get("chair")),
            **(_rate_terms(f) if f.get("rate_type") == "floating" else {}),
        ),
    )


@router.post("/origination/{application_id}/contract", response_model=None)
async def contract(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request, application_id, lambda f: svc.make_contract(_db(request), actor, application_id)
    )


@router.post("/origination/{application_id}/conditions/{condition_id}", response_model=None)
async def condition_met(request: Request, application_id: int, condition_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.meet_condition(
            _db(request), actor, condition_id, evidence=str(f.get("evidence", ""))
        ),
    )


@router.post("/origination/{application_id}/disbursements", response_model=None)
async def request_disbursement(request: Request, application_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.request_disbursement(
            _db(request),
            actor,
            _int(f, "contract_id"),
            amount=_dec(f, "amount", required=False),
            payee_name=str(f.get("payee_name", "")),
            payee_account=str(f.get("payee_account", "")),
            idempotency_key=str(f.get("idempotency_key") or "") or None,
        ),
    )


@router.post(
    "/origination/{application_id}/disbursements/{disbursement_id}/check", response_model=None
)
async def check(request: Request, application_id: int, disbursement_id: int) -> Response:
    actor = page_actor(request)
    return await _act(
        request,
        application_id,
        lambda f: svc.check_disbursement(
            _db(request),
            actor,
            disbursement_id,
            approve=f.get("outcome") == "approve",
            reason=str(f.get("reason", "")),
        ),
    )


def _(message: str) -> str:
    """Marks a message id for extraction (statuses, steps and kinds shown through `_(value)`)."""
    return message


LABELS = (
    _("draft"),
    _("submitted"),
    _("experts"),
    _("decision"),
    _("committee"),
    _("approved"),
    _("rejected"),
    _("returned"),
    _("contracted"),
    _("disbursed"),
    _("requested"),
    _("refused"),
    _("tech"),
    _("ordinary"),
    _("open"),
    _("met"),
    _("submit"),
    _("review"),
    _("expert_advice"),
    _("reduce"),
    _("return"),
    _("refer"),
    _("contract"),
    _("condition_met"),
    _("disburse"),
    _("entrusted"),
    _("self"),
    _("active"),
    _("revenue"),
    _("funding_round"),
    _("product_launch"),
    _("annuity"),
    _("equal-principal"),
    _("interest-only"),
    _("bullet"),
    _("credit"),
    _("guarantee"),
    _("mortgage"),
    _("pledge"),
    _("invention"),
    _("valid"),
    _("expiring"),
    _("expired"),
    _("customer"),
    _("group"),
)
