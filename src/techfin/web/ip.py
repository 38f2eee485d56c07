"""Pages of the IP platform: a patent (status timeline, valuation history), a pledge pool (LTV
gauge, alerts) and the risk manager's alert queue."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import ip_pledges, ip_registry, ip_valuation
from techfin.services.errors import ServiceError
from techfin.web.pages import _check_csrf, _db, page_actor, render

router = APIRouter(include_in_schema=False)


def _as_of(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError("as-of must be a date (YYYY-MM-DD)", field="as_of") from exc


@router.get("/ip/patents/{number}", response_class=HTMLResponse)
def patent_page(request: Request, number: str, as_of: str | None = None) -> HTMLResponse:
    actor = page_actor(request)
    view = ip_registry.patent_view(_db(request), actor, number, _as_of(as_of)).to_dict()
    history = sorted(
        (v for v in view["valuations"] if v["value"] is not None and v["valued_on"]),
        key=lambda v: (v["valued_on"], v["id"]),
    )
    chart = {
        "dates": [v["valued_on"] for v in history],
        "values": [float(v["value"]) for v in history],  # display only
    }
    return render(request, "ip_patent.html", view=view, chart=chart)


@router.get("/ip/valuations/{valuation_id}", response_class=HTMLResponse)
def valuation_page(request: Request, valuation_id: int) -> HTMLResponse:
    actor = page_actor(request)
    detail = ip_valuation.valuation_detail(_db(request), actor, valuation_id)
    return render(request, "ip_valuation.html", v=detail, r=detail["result"])


@router.get("/ip/pledges", response_class=HTMLResponse)
def pledges_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    return render(request, "ip_pledges.html", pledges=ip_pledges.list_pledges(_db(request), actor))


@router.get("/ip/pledges/{pledge_id}", response_class=HTMLResponse)
def pledge_page(request: Request, pledge_id: int, as_of: str | None = None) -> HTMLResponse:
    actor = page_actor(request)
    detail = ip_pledges.pledge_detail(_db(request), actor, pledge_id, _as_of(as_of))
    pool = detail["pool_position"] or {}
    gauge: dict[str, Any] = {
        "ltv": None if pool.get("ltv") is None else float(pool["ltv"]) * 100,
        "target": float(pool.get("target_ltv") or 0) * 100,
    }
    return render(request, "ip_pledge.html", pledge=detail, gauge=gauge)


@router.get("/ip/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, status: str | None = None) -> HTMLResponse:
    actor = page_actor(request)
    rows = ip_pledges.alert_queue(_db(request), actor, status or None)
    return render(request, "ip_alerts.html", alerts=rows, filter=status or "")


@router.post("/ip/alerts/{alert_id}/acknowledge", response_class=HTMLResponse, response_model=None)
async def acknowledge(request: Request, alert_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        ip_pledges.acknowledge_alert(_db(request), actor, alert_id, str(form.get("note", "")))
    except ServiceError as exc:
        return RedirectResponse("/ip/alerts?error=" + quote(exc.detail), 303)
    return RedirectResponse("/ip/alerts", status_code=303)


@router.post("/ip/alerts/{alert_id}/close", response_class=HTMLResponse, response_model=None)
async def close(request: Request, alert_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        ip_pledges.close_alert(_db(request), actor, alert_id, str(form.get("reason", "")))
    except ServiceError as exc:
        return RedirectResponse("/ip/alerts?error=" + quote(exc.detail), 303)
    return RedirectResponse("/ip/alerts", status_code=303)


def _(message: str) -> str:
    return message


# Message ids the IP pages show from data (so that the catalog extraction finds them).
DYNAMIC = [
    # the hub's load reports name this source
    _("patent_events"),
    # alert kinds, severities, actions, statuses
    _("fee_due"),
    _("fee_in_grace"),
    _("lapsed"),
    _("right_ended"),
    _("invalidation"),
    _("litigation"),
    _("preservation"),
    _("transfer"),
    _("licence"),
    _("remaining_life_low"),
    _("revaluation_due"),
    _("ltv_breach"),
    _("info"),
    _("warning"),
    _("critical"),
    _("notify_pledgor"),
    _("revalue"),
    _("freeze_drawdowns"),
    _("top_up_or_repay"),
    _("open"),
    _("acknowledged"),
    _("closed"),
    # pledge and valuation states, refusal reasons
    _("draft"),
    _("applied"),
    _("registered"),
    _("refused"),
    _("released"),
    _("ordered"),
    _("submitted"),
    _("accepted"),
    _("rejected"),
    _("debt_past_expiry"),
    _("fees_unpaid_or_in_grace"),
    _("already_pledged"),
    _("invalidation_started"),
    _("preservation_order"),
    _("co_owner_consent_missing"),
    _("not_in_force"),
    _("office"),
    # legal states, event kinds, types
    _("pending"),
    _("in_force"),
    _("in_grace"),
    _("expired"),
    _("terminated"),
    _("invalidated"),
    _("granted"),
    _("fee_paid"),
    _("restored"),
    _("transferred"),
    _("licence_recorded"),
    _("pledge_registered"),
    _("pledge_released"),
    _("invalidation_requested"),
    _("invalidation_decided"),
    _("litigation_filed"),
    _("litigation_closed"),
    _("preservation_ordered"),
    _("preservation_lifted"),
    _("invention"),
    _("utility"),
    _("utility_model"),
    _("design"),
    _("loan"),
    _("credit_line"),
    # valuation methods and modes, high-value categories
    _("relief_from_royalty"),
    _("income_share"),
    _("cost_approach"),
    _("market_approach"),
    _("real_option"),
    _("agency"),
    _("internal"),
    _("strategic_emerging_industry"),
    _("granted_family_member_abroad"),
    _("maintained_over_10_years"),
    _("high_pledge_financing"),
    _("national_award"),
]
