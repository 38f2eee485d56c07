"""Page of the LPR table in force and the monthly fixings entered on the platform."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import market
from techfin.services.errors import ServiceError
from techfin.web.pages import _check_csrf, _db, page_actor, render

router = APIRouter(include_in_schema=False)


@router.get("/market/lpr", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    data = market.lpr_fixings(_db(request), actor)
    today = dt.date.today()
    return render(
        request,
        "market_lpr.html",
        lpr=data,
        stale=today.isoformat() >= data["valid_until"],
        today=today.isoformat(),
        user=actor.username,
    )


def _back(exc: ServiceError) -> RedirectResponse:
    return RedirectResponse("/market/lpr?error=" + quote(f"{exc.field or ''}: {exc.detail}"), 303)


@router.post("/market/lpr", response_model=None)
async def propose(request: Request) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        try:
            on = dt.date.fromisoformat(str(form.get("fixing_date", "")).strip())
        except ValueError:
            raise ServiceError("not a date (YYYY-MM-DD)", field="fixing_date") from None
        market.propose_lpr_fixing(
            _db(request),
            actor,
            fixing_date=on,
            one_year_percent=str(form.get("one_year_percent", "")),
            five_year_plus_percent=str(form.get("five_year_plus_percent", "")),
            source=str(form.get("source", "")),
        )
    except ServiceError as exc:
        return _back(exc)
    return RedirectResponse("/market/lpr", status_code=303)


@router.post("/market/lpr/{entry_id}", response_model=None)
async def decide(request: Request, entry_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        market.decide_lpr_fixing(
            _db(request),
            actor,
            entry_id,
            approve=form.get("decision") == "approve",
            note=str(form.get("note", "")),
        )
    except ServiceError as exc:
        return _back(exc)
    return RedirectResponse("/market/lpr", status_code=303)
