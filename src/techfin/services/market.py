"""Market reference data: the LPR table that pricing reads, extended month by month on the platform.

The packaged table (`techfin/credit/data/lpr.csv`) stops at the fixing the release was cut
with; `LprTable.in_force` refuses later dates rather than misprice (decision 0603). A running
platform cannot wait for a release every month, so the platform operator enters each new
monthly fixing here: an administrator of the platform-operator institution proposes it with
its source, and a second administrator confirms it (maker-checker, both audited). Only
confirmed fixings extend the table; a rejected one leaves nothing behind.

Rules the entry checks (each names its field):

- ``fixing_date`` is the month right after the last fixing known (packaged or confirmed), so
  the table never has a gap that would silently carry an old fixing across a month; on the
  20th or a later day of that month (the fixing is published on the 20th, postponed over
  holidays: official-rules §7b); not in the future.
- ``one_year_percent`` and ``five_year_plus_percent`` are percentages, positive, below 20, in
  whole multiples of 0.05 (the LPR is the quotes' trimmed mean rounded to the nearest 0.05
  percentage point: PBOC announcement [2019] No. 15 — from memory; confirm).
- ``source`` names the publication (e.g. "全国银行间同业拆借中心公告 2026-09-22").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from techfin.credit.pricing import LprFixing, LprTable, load_lpr_table
from techfin.services import audit
from techfin.services.authz import require_role
from techfin.services.context import Actor, InstitutionKind, Role
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.db import Database
from techfin.store.tables import Institution, User
from techfin.store.tables_market import LprFixingEntry

__all__ = [
    "decide_lpr_fixing",
    "lpr_fixings",
    "lpr_table",
    "propose_lpr_fixing",
]

_HUNDRED = Decimal(100)
_STEP = Decimal("0.05")  # percentage points (PBOC announcement [2019] No. 15; confirm)
_MAX_PERCENT = Decimal(20)  # sanity bound, house figure
FIRST_PUBLICATION_DAY = 20


def lpr_table(session: Session) -> LprTable:
    """The packaged fixings followed by the confirmed ones entered on the platform."""
    packaged = load_lpr_table()
    rows = session.scalars(
        select(LprFixingEntry)
        .where(LprFixingEntry.status == "confirmed")
        .order_by(LprFixingEntry.fixing_date)
    ).all()
    if not rows:
        return packaged
    extra = tuple(
        LprFixing(
            fixing_date=r.fixing_date,
            one_year=Decimal(r.one_year),
            five_year_plus=Decimal(r.five_year_plus),
            confidence=f"entered on the platform and confirmed: {r.source}",
        )
        for r in rows
        if r.fixing_date > packaged.last_date
    )
    return LprTable(packaged.fixings + extra)


def _require_operator_admin(session: Session, actor: Actor, action: str) -> None:
    require_role(actor, [Role.ADMIN], action)
    if actor.is_system:
        return
    inst = session.get(Institution, actor.institution_id) if actor.institution_id else None
    if inst is None or inst.kind != InstitutionKind.PLATFORM:
        raise Forbidden(f"{action} is for the platform operator's administrators")


def _percent(value: Any, field: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{field}: not a number: {value!r}", field=field) from None
    if not d.is_finite() or d <= 0 or d >= _MAX_PERCENT:
        raise ValidationFailed(
            f"{field}: a percentage above 0 and below {_MAX_PERCENT}, got {value}", field=field
        )
    if d % _STEP != 0:
        raise ValidationFailed(
            f"{field}: the LPR is a whole multiple of 0.05 percentage points, got {value}",
            field=field,
        )
    return d


def _next_month(d: dt.date) -> tuple[int, int]:
    return (d.year + d.month // 12, d.month % 12 + 1)


def _entry_dict(session: Session, r: LprFixingEntry) -> dict[str, Any]:
    def name(uid: int | None) -> str | None:
        u = session.get(User, uid) if uid else None
        return u.username if u else None

    return {
        "id": r.id,
        "fixing_date": r.fixing_date.isoformat(),
        "one_year_percent": str((Decimal(r.one_year) * _HUNDRED).quantize(Decimal("0.01"))),
        "five_year_plus_percent": str(
            (Decimal(r.five_year_plus) * _HUNDRED).quantize(Decimal("0.01"))
        ),
        "source": r.source,
        "status": r.status,
        "entered_by": name(r.entered_by),
        "entered_at": r.entered_at.isoformat(),
        "checked_by": name(r.checked_by),
        "checked_at": r.checked_at.isoformat() if r.checked_at else None,
        "check_note": r.check_note,
    }


def propose_lpr_fixing(
    db: Database,
    actor: Actor,
    *,
    fixing_date: dt.date,
    one_year_percent: Any,
    five_year_plus_percent: Any,
    source: str,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Enter next month's fixing (pending until a second administrator confirms it)."""
    one = _percent(one_year_percent, "one_year_percent")
    five = _percent(five_year_plus_percent, "five_year_plus_percent")
    source = (source or "").strip()
    if not source:
        raise ValidationFailed("source: name the publication of the fixing", field="source")
    if len(source) > 300:
        raise ValidationFailed("source: at most 300 characters", field="source")
    if fixing_date > (today or dt.date.today()):
        raise ValidationFailed(
            f"fixing_date: {fixing_date.isoformat()} is in the future", field="fixing_date"
        )
    with db.transaction() as session:
        _require_operator_admin(session, actor, "entering an LPR fixing")
        table = lpr_table(session)
        year, month = _next_month(table.last_date)
        if (fixing_date.year, fixing_date.month) != (year, month):
            raise ValidationFailed(
                f"fixing_date: the next fixing is the one of {year}-{month:02d} (the table ends "
                f"with {table.last_date.isoformat()}); got {fixing_date.isoformat()}",
                field="fixing_date",
            )
        if fixing_date.day < FIRST_PUBLICATION_DAY:
            raise ValidationFailed(
                f"fixing_date: the LPR is published on the 20th (later over holidays); "
                f"got {fixing_date.isoformat()}",
                field="fixing_date",
            )
        pending = session.scalars(
            select(LprFixingEntry).where(LprFixingEntry.status == "pending")
        ).first()
        if pending is not None:
            raise Conflict(
                f"fixing_date: the fixing of {pending.fixing_date.isoformat()} awaits "
                "confirmation; confirm or reject it first",
                field="fixing_date",
            )
        entry = LprFixingEntry(
            fixing_date=fixing_date,
            fixing_key=fixing_date,
            one_year=one / _HUNDRED,
            five_year_plus=five / _HUNDRED,
            source=source,
            status="pending",
            entered_by=actor.user_id,
            check_note="",
        )
        session.add(entry)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"fixing_date: {fixing_date.isoformat()} was entered meanwhile",
                field="fixing_date",
            ) from None
        out = _entry_dict(session, entry)
        audit.record(
            session,
            actor,
            "market.lpr_propose",
            f"lpr:{fixing_date.isoformat()}",
            reason=source,
            after={k: out[k] for k in ("one_year_percent", "five_year_plus_percent")},
        )
        return out


def decide_lpr_fixing(
    db: Database, actor: Actor, entry_id: int, *, approve: bool, note: str = ""
) -> dict[str, Any]:
    """Confirm (the table is extended) or reject a pending fixing; not by the one who entered it."""
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationFailed("note: say why the fixing is rejected", field="note")
    with db.transaction() as session:
        _require_operator_admin(session, actor, "confirming an LPR fixing")
        entry = session.get(LprFixingEntry, entry_id, with_for_update=True)
        if entry is None:
            raise NotFound("LPR fixing entry not found")
        if entry.status != "pending":
            raise Conflict(f"this fixing is already {entry.status}", field="status")
        if entry.entered_by == actor.user_id:
            raise Forbidden("the administrator who entered a fixing cannot also confirm it")
        entry.status = "confirmed" if approve else "rejected"
        if not approve:
            entry.fixing_key = None
        entry.checked_by = actor.user_id
        entry.checked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        entry.check_note = note
        session.flush()
        out = _entry_dict(session, entry)
        audit.record(
            session,
            actor,
            "market.lpr_confirm" if approve else "market.lpr_reject",
            f"lpr:{entry.fixing_date.isoformat()}",
            reason=note,
            after=entry.status,
        )
        return out


def lpr_fixings(db: Database, actor: Actor) -> dict[str, Any]:
    """The table in force (last fixing, valid until), and every entry made on the platform.

    Public market data: any signed-in user may read it."""
    with db.transaction() as session:
        table = lpr_table(session)
        entries = session.scalars(
            select(LprFixingEntry).order_by(LprFixingEntry.fixing_date.desc(), LprFixingEntry.id)
        ).all()
        packaged = load_lpr_table()
        return {
            "last_fixing_date": table.last_date.isoformat(),
            "valid_until": table.valid_until().isoformat(),
            "packaged_last_fixing_date": packaged.last_date.isoformat(),
            "next_fixing_month": "{}-{:02d}".format(*_next_month(table.last_date)),
            "recent": [
                {
                    "fixing_date": f.fixing_date.isoformat(),
                    "one_year_percent": str((f.one_year * _HUNDRED).quantize(Decimal("0.01"))),
                    "five_year_plus_percent": str(
                        (f.five_year_plus * _HUNDRED).quantize(Decimal("0.01"))
                    ),
                    "confidence": f.confidence,
                }
                for f in reversed(table.fixings[-12:])
            ],
            "entries": [_entry_dict(session, e) for e in entries],
            "can_enter": _is_operator_admin(session, actor),
        }


def _is_operator_admin(session: Session, actor: Actor) -> bool:
    try:
        _require_operator_admin(session, actor, "entering an LPR fixing")
    except Forbidden:
        return False
    return True
