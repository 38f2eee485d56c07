"""Server-rendered pages (Jinja2 + HTMX + ECharts, all served locally).

Login by session cookie; every form carries a CSRF token checked on POST; a session expires
after 30 idle minutes or 8 hours. Pages call services only — never the store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from techfin.services import audit as audit_service
from techfin.services import consent, enterprises, users
from techfin.services import eod as eod_service
from techfin.services.context import Actor, Role
from techfin.services.errors import ServiceError, Unauthenticated
from techfin.store.db import Database
from techfin.web import i18n

IDLE_TIMEOUT = 30 * 60
ABSOLUTE_TIMEOUT = 8 * 3600

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("techfin.web") / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def _fmt_money(value: Any) -> str:
    if value is None:
        return "—"
    amount = Decimal(value)
    return f"{amount:,.2f}"


def _fmt_wan(value: Any) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) / 10000:,.1f}"


templates.env.filters["money"] = _fmt_money
templates.env.filters["wan"] = _fmt_wan


class LoginRequired(Exception):
    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


def secret_key() -> str:
    env = os.environ.get("TECHFIN_SECRET_KEY")
    if env:
        return env
    path = Path("var") / "secret.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _locale(request: Request) -> str:
    return i18n.pick_locale(request.session.get("lang"))


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def _check_csrf(request: Request) -> dict[str, Any]:
    form = dict(await request.form())
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token")
    expected = request.session.get("csrf")
    if not expected or not sent or not secrets.compare_digest(str(sent), str(expected)):
        raise ServiceError("the form has expired or did not come from this site; reload and retry")
    return form


def page_actor(request: Request) -> Actor:
    session = request.session
    uid = session.get("uid")
    if not uid:
        raise LoginRequired()
    now = time.time()
    if (
        now - session.get("seen", 0) > IDLE_TIMEOUT
        or now - session.get("login", 0) > ABSOLUTE_TIMEOUT
    ):
        session.clear()
        raise LoginRequired(expired=True)
    session["seen"] = now
    try:
        actor = users.actor_by_id(_db(request), int(uid))
    except Unauthenticated as exc:
        session.clear()
        raise LoginRequired(expired=True) from exc
    request.state.actor = actor
    return actor


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    i18n.current_locale.set(_locale(request))
    context.setdefault("actor", getattr(request.state, "actor", None))
    context["locale"] = _locale(request)
    context["csrf_token"] = _csrf(request)
    context["path"] = request.url.path
    return templates.TemplateResponse(request, name, context, status_code=status)


# --- login / logout / language ---------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, expired: int = 0, next: str = "/") -> HTMLResponse:
    message = "Your session has expired. Please log in again." if expired else None
    return render(request, "login.html", message=message, next=next)


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(request: Request) -> Response:
    try:
        form = await _check_csrf(request)
    except ServiceError as exc:
        return render(request, "login.html", status=400, error=exc.detail, next="/")
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = str(form.get("next") or "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if not username or not password:
        field = "username" if not username else "password"
        return render(
            request,
            "login.html",
            status=400,
            error=f"missing:{field}",
            next=target,
            username=username,
        )
    try:
        actor = users.authenticate(_db(request), username, password)
    except Unauthenticated:
        return render(
            request, "login.html", status=401, error="wrong", next=target, username=username
        )
    lang = request.session.get("lang") or actor.locale
    request.session.clear()
    now = time.time()
    request.session.update(
        {
            "uid": actor.user_id,
            "login": now,
            "seen": now,
            "lang": lang,
            "csrf": secrets.token_urlsafe(32),
        }
    )
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await _check_csrf(request)
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang  # the display language outlives the login
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Switch the display language (a display preference, not a state change of record)."""
    request.session["lang"] = i18n.pick_locale(code)
    if not next.startswith("/") or next.startswith("//"):
        next = "/"
    return RedirectResponse(next, status_code=303)


# --- home pages ------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    context: dict[str, Any] = {"role": str(actor.role)}
    if actor.institution_code:
        try:
            context["business_date"] = eod_service.business_date(db, actor.institution_code)
        except ServiceError:
            context["business_date"] = None
    if actor.role is Role.ENTERPRISE and actor.enterprise_id:
        context["enterprise"] = enterprises.registry_facts(db, actor, actor.enterprise_id)
        context["consents"] = consent.list_for_enterprise(db, actor, actor.enterprise_id)
        context["access_log"] = consent.access_log(db, actor, actor.enterprise_id, limit=20)
    elif actor.role is Role.ADMIN:
        context["users"] = users.list_users(db, actor)
        count, broken = audit_service.verify(db)
        context["audit"] = {"entries": count, "broken": broken}
    else:
        context["consents"] = consent.list_for_institution(db, actor)[:20]
    context["today"] = _work_today(db, actor)
    return render(request, "home.html", **context)


def _work_today(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The role's open work, counted, each with the page where it is done."""
    from techfin.services import ip_pledges, origination, servicing_monitoring

    items: list[dict[str, Any]] = []

    def count(label: str, href: str, fetch: Any) -> None:
        # the role may not do this work at this institution: then the item is left out
        with contextlib.suppress(ServiceError):
            items.append({"label": label, "href": href, "count": len(fetch())})

    role = actor.role
    if role in (Role.ACCOUNT_MANAGER, Role.REVIEWER, Role.APPROVER, Role.EXPERT):
        count("Applications waiting for you", "/origination", lambda: origination.queue(db, actor))
    if role in (Role.ACCOUNT_MANAGER, Role.RISK_MANAGER):
        count("Open post-loan tasks", "/loans", lambda: servicing_monitoring.tasks(db, actor))
    if role is Role.RISK_MANAGER:
        count("Open IP alerts", "/ip/alerts", lambda: ip_pledges.alert_queue(db, actor, "open"))
        count(
            "Borrowers on the watch list",
            "/watch-list",
            lambda: servicing_monitoring.watch_list(db, actor),
        )
    return items


@router.get("/enterprises", response_class=HTMLResponse)
def enterprise_search(request: Request, q: str = "") -> HTMLResponse:
    actor = page_actor(request)
    results = enterprises.search(_db(request), actor, q, 50)
    if request.headers.get("hx-request"):
        return render(request, "_enterprise_rows.html", results=results)
    return render(request, "enterprises.html", results=results, q=q)


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(
    request: Request, enterprise_id: int, purpose: str = "credit_assessment"
) -> HTMLResponse:
    actor = page_actor(request)
    db = _db(request)
    facts = enterprises.registry_facts(db, actor, enterprise_id)
    try:
        profile = enterprises.shared_profile(db, actor, enterprise_id, purpose)
        error = None
    except ServiceError as exc:
        profile, error = None, exc.detail
    return render(
        request,
        "enterprise.html",
        facts=facts,
        profile=profile,
        error=error,
        purpose=purpose,
        chart=_chart_data(profile) if profile else None,
    )


def _chart_data(profile: dict[str, Any]) -> dict[str, Any]:
    """Series for the ECharts trends (floats for display only; tables show exact amounts)."""
    fin = profile["financials"]

    def wan(value: Any) -> float | None:
        return None if value is None else float(Decimal(value) / 10000)

    quarters = sorted(
        {
            q["quarter"]
            for key in ("social_security", "tax", "customs", "utilities")
            for q in profile[key]
        }
    )

    def series(key: str, field: str, money: bool = False) -> list[Any]:
        by_quarter = {q["quarter"]: q[field] for q in profile[key]}
        return [wan(by_quarter.get(q)) if money else by_quarter.get(q) for q in quarters]

    return {
        "years": [str(f["year"]) for f in fin],
        "revenue_wan": [wan(f["revenue"]) for f in fin],
        "rd_wan": [wan(f["rd_expense"]) for f in fin],
        "quarters": quarters,
        "staff": series("social_security", "insured_staff"),
        "tax_wan": series("tax", "vat", money=True),
        "exports_wan": series("customs", "exports", money=True),
        "power_kwh": series("utilities", "power_kwh"),
    }


@router.post("/enterprises/{enterprise_id}/recognize", response_model=None)
async def recognize_enterprise(request: Request, enterprise_id: int) -> Response:
    """Evaluate the enterprise's computed eligibility now (under the caller's consent)."""
    from techfin.services.recognition import evaluate_enterprise

    actor = page_actor(request)
    await _check_csrf(request)
    try:
        evaluate_enterprise(enterprise_id, _db(request), actor)
    except ServiceError as exc:
        return RedirectResponse(
            f"/enterprises/{enterprise_id}?error=" + quote(f"{exc.field or ''}: {exc.detail}"), 303
        )
    return RedirectResponse(f"/enterprises/{enterprise_id}#titles-side-by-side", status_code=303)


@router.post("/consents", response_class=HTMLResponse, response_model=None)
async def grant_consent(request: Request) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        if not actor.enterprise_id:
            raise ServiceError("only an enterprise grants consent", field="grantee")
        expires = str(form.get("expires_on", ""))
        try:
            expires_on = dt.date.fromisoformat(expires)
        except ValueError as exc:
            raise ServiceError("expiry must be a date (YYYY-MM-DD)", field="expires_on") from exc
        consent.grant(
            _db(request),
            actor,
            enterprise_id=actor.enterprise_id,
            grantee_code=str(form.get("grantee", "")),
            purpose=str(form.get("purpose", "")),
            expires_on=expires_on,
        )
    except ServiceError as exc:
        return RedirectResponse("/?error=" + quote(f"{exc.field or ''}: {exc.detail}"), 303)
    return RedirectResponse("/", status_code=303)


@router.post("/consents/{consent_id}/revoke", response_class=HTMLResponse, response_model=None)
async def revoke_consent(request: Request, consent_id: int) -> Response:
    actor = page_actor(request)
    form = await _check_csrf(request)
    try:
        consent.revoke(_db(request), actor, consent_id, str(form.get("reason", "")))
    except ServiceError as exc:
        return RedirectResponse("/?error=" + quote(exc.detail), 303)
    return RedirectResponse("/", status_code=303)


def install(app: FastAPI, secret_key: str | None = None) -> None:
    app.include_router(router)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key or globals()["secret_key"](),
        session_cookie="techfin_session",
        max_age=ABSOLUTE_TIMEOUT,
        same_site="lax",
        https_only=False,
    )

    def html_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
        return render(request, "error.html", status=status, title=title, detail=detail)

    app.state.html_error = html_error

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = "/login?next=" + quote(request.url.path)
        if exc.expired:
            target += "&expired=1"
        return RedirectResponse(target, status_code=303)
