"""Errors as `application/problem+json` (RFC 9457), each naming the field and the reason."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from techfin.services.errors import ServiceError

log = logging.getLogger("techfin.api")
PROBLEM = "application/problem+json"


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(request.url.path),
        "request_id": getattr(request.state, "request_id", None),
    }
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api") or path in ("/health", "/openapi.json"))


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        page = getattr(request.app.state, "html_error", None)
        if page is not None and _wants_page(request):
            return page(request, exc.status, exc.title, exc.detail)  # type: ignore[no-any-return]
        return problem(request, exc.status, exc.title, exc.detail, field=exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                ctx = err.get("ctx") or {}
                return problem(
                    request,
                    400,
                    "Malformed JSON body",
                    f"the request body is not valid JSON: {ctx.get('error', 'parse error')}",
                    field="body",
                )
            errors.append({"field": _field_name(err.get("loc", ())), "reason": err.get("msg", "")})
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        return problem(
            request,
            422,
            "Invalid input",
            f"{first['field']}: {first['reason']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}.get(
            exc.status_code, "Error"
        )
        page = getattr(request.app.state, "html_error", None)
        if page is not None and _wants_page(request):
            return page(request, exc.status_code, title, str(exc.detail))  # type: ignore[no-any-return]
        return problem(request, exc.status_code, title, str(exc.detail))

    @app.exception_handler(json.JSONDecodeError)
    async def _json(request: Request, exc: json.JSONDecodeError) -> JSONResponse:
        return problem(request, 400, "Malformed JSON body", str(exc), field="body")
