"""Page of the tech credit quota requests (head office decides them)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from techfin.services import quota_requests
from techfin.services.errors import ServiceError
from techfin.web.pages import _check_csrf, _db, page_actor, render

router = APIRouter(include_in_schema=False)


@router.get("/quota", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    return render(
        request,
        "quota_requests.html",
        requests=quota_requests.requests(db, actor, None),
        usage=quota_requests.usage(db, actor),
    )


@router.post("/quota/{request_id}", response_model=None)
async def decide(request: Request, request_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        quota_requests.decide(
            _db(request),
            actor,
            request_id,
            approve=form.get("decision") == "approve",
            reason=str(form.get("reason", "")),
        )
    except ServiceError as exc:
        return RedirectResponse("/quota?error=" + quote(f"{exc.field or ''}: {exc.detail}"), 303)
    return RedirectResponse("/quota", status_code=303)
