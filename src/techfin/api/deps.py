"""Dependencies shared by the API routes: the database and the authenticated caller."""

from __future__ import annotations

from fastapi import Request

from techfin.services import users
from techfin.services.context import Actor
from techfin.services.errors import Unauthenticated
from techfin.store.db import Database


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def current_actor(request: Request) -> Actor:
    """The caller from `Authorization: Bearer <token>` (401 when missing or invalid)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token (Authorization: Bearer <token>)")
    actor = users.actor_for_token(get_db(request), token.strip())
    request.state.actor = actor
    return actor
