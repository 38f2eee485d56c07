"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.audit import chain
from techfin.services.context import Actor
from techfin.store.db import Database
from techfin.store.tables import AuditEntry, AuditHead


def record(
    session: Session,
    actor: Actor,
    command: str,
    target: str,
    *,
    reason: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the change).

    The head row is locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite serialises writers), so
    concurrent commands form one chain.
    """
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar()
    if head is None:
        head = AuditHead(id=1, seq=0, entry_hash=chain.GENESIS)
        session.add(head)
        session.flush()
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor.username,
        "role": str(actor.role),
        "institution": actor.institution_code,
        "command": command,
        "target": target,
        "reason": reason,
        "before_digest": chain.digest(before),
        "after_digest": chain.digest(after),
        "prev_hash": head.entry_hash,
    }
    fields["entry_hash"] = chain.entry_hash(fields)
    entry = AuditEntry(**fields)
    session.add(entry)
    head.seq = fields["seq"]
    head.entry_hash = fields["entry_hash"]
    session.flush()
    return entry


def _as_fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in (*chain.HASHED_FIELDS, "entry_hash")}


def verify(db: Database) -> tuple[int, chain.ChainBreak | None]:
    """Walk the whole chain; return (entries checked, first break or None)."""
    count = 0
    with db.read() as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()

        def fields() -> Any:
            nonlocal count
            for entry in entries:
                count += 1
                yield _as_fields(entry)

        broken = chain.verify(fields())
        head = session.get(AuditHead, 1)
        if broken is None and head is not None and head.seq != count:
            broken = chain.ChainBreak(count + 1, f"chain ends at {count} but head says {head.seq}")
    return count, broken
