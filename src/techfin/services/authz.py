"""Access rules: every service call names the roles it admits and checks the tenant.

A record of another institution is reported as not found, so a caller learns nothing about
other tenants' data. The regulator reads across institutions only through the supervision
services, never through these generic checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from techfin.services.context import Actor, Role
from techfin.services.errors import Forbidden, NotFound

Row = TypeVar("Row", bound=Any)


def require_role(actor: Actor, roles: Iterable[Role], action: str) -> None:
    allowed = set(roles)
    if actor.is_system:
        return
    if actor.role not in allowed:
        names = ", ".join(sorted(str(r) for r in allowed))
        raise Forbidden(f"{action} needs one of the roles: {names}; you are {actor.role}")


def require_institution(actor: Actor, institution_id: int | None, what: str) -> None:
    """The record belongs to `institution_id`; only that institution's users may touch it."""
    if actor.is_system:
        return
    if institution_id is None or actor.institution_id != institution_id:
        raise NotFound(f"{what} not found")


def owned(session: Session, actor: Actor, model: type[Row], row_id: int, what: str) -> Row:
    """The row `row_id` of `model`, if it belongs to the caller's institution; otherwise (missing,
    or another tenant's) `NotFound` "<what> not found". The model has an `institution_id`."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} not found")
    require_institution(actor, row.institution_id, what)
    return row
