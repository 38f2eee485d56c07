"""Pages of the rating platform: an enterprise's rating (grade, radar chart of the dimension
scores, reasons up and down, policy levers, history, overrides) and model governance (model
versions with validation, champion/challenger, pending overrides, override report)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import rating
from techfin.services.errors import ServiceError
from techfin.web import i18n
from techfin.web.pages import _check_csrf, _db, page_actor, render

router = APIRouter(include_in_schema=False)


def _radar(r: dict[str, Any] | None, locale: str) -> dict[str, Any]:
    labels = rating.dimension_labels()
    lang = "zh" if locale.startswith("zh") else "en"
    if r is None:
        return {"indicators": [], "values": []}
    dims = list(r["dimension_scores"])
    return {
        "indicators": [{"name": labels.get(d, {}).get(lang, d), "max": 100} for d in dims],
        "values": [float(r["dimension_scores"][d]) for d in dims],  # display only
    }


@router.get("/rating/enterprises/{enterprise_id}", response_class=HTMLResponse)
def rating_page(request: Request, enterprise_id: int, error: str | None = None) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    enterprise = rating.enterprise_summary(db, actor, enterprise_id)
    history = rating.rating_history(db, actor, enterprise_id)
    latest = history[0] if history else None
    locale = i18n.pick_locale(request.session.get("lang"))
    return render(
        request,
        "rating_enterprise.html",
        enterprise=enterprise,
        latest=latest,
        history=history,
        radar=_radar(latest, locale),
        labels=rating.dimension_labels(),
        grades=rating.grades(),
        error=error,
    )


@router.post("/rating/enterprises/{enterprise_id}/rate", response_model=None)
async def rate(request: Request, enterprise_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    stage = str(form.get("stage") or "") or None
    back = f"/rating/enterprises/{enterprise_id}"
    try:
        rating.rate_enterprise(_db(request), actor, enterprise_id, stage=stage)
    except ServiceError as exc:
        return RedirectResponse(back + "?error=" + quote(exc.detail), 303)
    return RedirectResponse(back, 303)


@router.post("/rating/ratings/{rating_id}/override", response_model=None)
async def request_override(request: Request, rating_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    back = f"/rating/enterprises/{int(form.get('enterprise_id') or 0)}"
    try:
        rating.request_override(
            _db(request),
            actor,
            rating_id,
            to_grade=str(form.get("to_grade", "")),
            reason=str(form.get("reason", "")),
        )
    except ServiceError as exc:
        return RedirectResponse(back + "?error=" + quote(exc.detail), 303)
    return RedirectResponse(back, 303)


@router.post("/rating/overrides/{override_id}/decide", response_model=None)
async def decide_override(request: Request, override_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    back = str(form.get("back") or "/rating/models")
    if not back.startswith("/rating/"):
        back = "/rating/models"
    try:
        rating.decide_override(
            _db(request),
            actor,
            override_id,
            approve=form.get("approve") == "1",
            note=str(form.get("note", "")),
        )
    except ServiceError as exc:
        return RedirectResponse(back + "?error=" + quote(exc.detail), 303)
    return RedirectResponse(back, 303)


@router.get("/rating/models", response_class=HTMLResponse)
def models_page(request: Request, error: str | None = None) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    return render(
        request,
        "rating_models.html",
        models=rating.list_models(db, actor),
        pending=rating.list_overrides(db, actor, "pending"),
        report=rating.override_report(db, actor),
        error=error,
    )


@router.post("/rating/models/{model_id}/decide", response_model=None)
async def decide_model(request: Request, model_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        rating.decide_model(
            _db(request),
            actor,
            model_id,
            approve=form.get("approve") == "1",
            note=str(form.get("note", "")),
        )
    except ServiceError as exc:
        return RedirectResponse("/rating/models?error=" + quote(exc.detail), 303)
    return RedirectResponse("/rating/models", 303)


@router.post("/rating/models/{model_id}/role", response_model=None)
async def set_role(request: Request, model_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        rating.set_model_role(_db(request), actor, model_id, str(form.get("role", "")))
    except ServiceError as exc:
        return RedirectResponse("/rating/models?error=" + quote(exc.detail), 303)
    return RedirectResponse("/rating/models", 303)


def _(message: str) -> str:
    return message


# Message ids the rating pages show from data (so that the catalog extraction finds them).
DYNAMIC = [
    _("startup"),
    _("growth"),
    _("mature"),
    _("submitted"),
    _("approved"),
    _("rejected"),
    _("pending"),
    _("champion"),
    _("challenger"),
    _("none"),
    _("up"),
    _("down"),
    _("all"),
    # approval routes derived by credit.grade_policy (decision 0608)
    _("delegated"),
    _("committee"),
    _("decline"),
]
