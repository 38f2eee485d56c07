"""The web application: API under /api, pages, static files, request IDs and JSON logs."""

from __future__ import annotations

import importlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from techfin import __version__
from techfin.api import problem
from techfin.store.db import Database

log = logging.getLogger("techfin.http")


class JsonFormatter(logging.Formatter):
    """One JSON object per log line (for the bank's log collector)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("techfin")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


# Each face module exposes `router`; a capability adds its module here (one line).
API_MODULES = [
    "techfin.api.quota",
    "techfin.api.platform",
    "techfin.api.credit",
    "techfin.api.hub",
    "techfin.api.ip",
    "techfin.api.origination",
    "techfin.api.rating",
    "techfin.api.loans",
    "techfin.api.market",
]
PAGE_MODULES = [
    "techfin.web.pages",
    "techfin.web.quota",
    "techfin.web.credit",
    "techfin.web.hub",
    "techfin.web.ip",
    "techfin.web.origination",
    "techfin.web.rating",
    "techfin.web.loans",
    "techfin.web.market",
]


def create_app(db: Database | None = None, *, secret_key: str | None = None) -> FastAPI:
    from techfin.web import pages

    app = FastAPI(
        title="techfin",
        version=__version__,
        description="Financing science-and-technology enterprises: API.",
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    app.state.db = db if db is not None else Database()
    problem.install(app)

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        actor = getattr(request.state, "actor", None)
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": rid,
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "user": getattr(actor, "username", None),
                }
            },
        )
        return response

    for name in API_MODULES:
        app.include_router(importlib.import_module(name).router)
    for name in PAGE_MODULES[1:]:
        app.include_router(importlib.import_module(name).router)
    pages.install(app, secret_key=secret_key)
    static = resources.files("techfin.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app
