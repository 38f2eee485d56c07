"""Entity resolution in the hub: link records without a credit code (patent applicants, funding
investees, tech-transfer parties) to registry enterprises with the splink resolver
(`techfin.enterprises.resolution`), keep every decision as a `ResolutionLink`, and let a person
confirm (merge) or reject (unmerge) the uncertain ones from the review queue — audited commands.

- auto_merge band → link `auto`, the record is linked at once;
- review band → link `pending`, in the review queue; nothing is linked until confirmed;
- confirm → `confirmed`, the record is linked; reject → `rejected`, and the record is unlinked
  if it was linked to that enterprise (an unmerge of an automatic merge).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.services import audit
from techfin.services.authz import require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import Conflict, NotFound, ValidationFailed
from techfin.store.db import Database
from techfin.store.tables import (
    Enterprise,
    FundingRound,
    Patent,
    ResolutionLink,
    TechTransferProject,
    utcnow,
)

SOURCES = ("patents", "funding", "tech_transfer")


def _check(actor: Actor) -> None:
    require_role(actor, [Role.ADMIN], "entity resolution")
    if not actor.is_system and actor.institution_code != "HUB":
        raise ValidationFailed("entity resolution is the information hub's work", field="source")


def _registry(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.former_names,
            Enterprise.name_en,
            Enterprise.area_code,
            Enterprise.registered_on,
        )
    ).all()
    return pl.DataFrame(
        {
            "enterprise_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "former_name": [list(r[2] or []) for r in rows],
            "name_en": [r[3] or None for r in rows],
            "area_code": [r[4] or None for r in rows],
            "registered_on": [r[5] for r in rows],
        },
        schema_overrides={"former_name": pl.List(pl.String)},
    )


def _records(session: Session, source: str) -> pl.DataFrame:
    """Records of `source` not yet linked (and not already decided)."""
    if source == "patents":
        rows = session.execute(
            select(Patent.number, Patent.applicants, Patent.filed_on).where(
                Patent.enterprise_id.is_(None)
            )
        ).all()
        data = [(n, "；".join(a or []), d) for n, a, d in rows if a]
    elif source == "funding":
        rows = session.execute(
            select(FundingRound.id, FundingRound.investee_name, FundingRound.closed_on).where(
                FundingRound.enterprise_id.is_(None)
            )
        ).all()
        data = [(str(i), n, d) for i, n, d in rows]
    else:
        rows = session.execute(
            select(
                TechTransferProject.project_id,
                TechTransferProject.seller_name,
                TechTransferProject.buyer_name,
                TechTransferProject.signed_on,
                TechTransferProject.seller_enterprise_id,
                TechTransferProject.buyer_enterprise_id,
            )
        ).all()
        data = []
        for pid, seller, buyer, signed, sid, bid in rows:
            if sid is None:
                data.append((f"{pid}/seller", seller, signed))
            if bid is None:
                data.append((f"{pid}/buyer", buyer, signed))
    return pl.DataFrame(
        {
            "record_key": [d[0] for d in data],
            "name": [d[1] for d in data],
            "record_date": [d[2] for d in data],
        },
        schema={"record_key": pl.String, "name": pl.String, "record_date": pl.Date},
    )


def _link_record(session: Session, source: str, record_key: str, enterprise_id: int | None) -> None:
    """Point the record at the enterprise (or clear it)."""
    key, _, part = record_key.partition("#")
    if source == "patents":
        if part not in ("", "0"):
            return  # co-applicants keep their link rows; the patent row names its first applicant
        patent = session.scalar(select(Patent).where(Patent.number == key))
        if patent is not None:
            patent.enterprise_id = enterprise_id
    elif source == "funding":
        funding = session.get(FundingRound, int(key))
        if funding is not None:
            funding.enterprise_id = enterprise_id
    else:
        project_id, _, side = key.partition("/")
        row = session.scalar(
            select(TechTransferProject).where(TechTransferProject.project_id == project_id)
        )
        if row is not None:
            if side == "seller":
                row.seller_enterprise_id = enterprise_id
            else:
                row.buyer_enterprise_id = enterprise_id


@dataclass(frozen=True)
class RunReport:
    source: str
    records: int
    auto_merged: int
    queued_for_review: int
    unmatched: int
    resolver_version: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def run(db: Database, actor: Actor, source: str) -> RunReport:
    """Resolve the source's unlinked records; auto-merge the sure ones, queue the uncertain."""
    from techfin.enterprises.resolution import RESOLVER_VERSION, resolve

    _check(actor)
    if source not in SOURCES:
        raise ValidationFailed(f"source must be one of {', '.join(SOURCES)}", field="source")
    with db.transaction() as session:
        records = _records(session, source)
        if records.height == 0:
            return RunReport(source, 0, 0, 0, 0, RESOLVER_VERSION)
        result = resolve(_registry(session), records)
        decided = {
            (link.record_key, link.enterprise_id)
            for link in session.scalars(
                select(ResolutionLink).where(ResolutionLink.record_source == source)
            )
        }
        auto = queued = 0
        wanted = result.candidates.filter(pl.col("band").is_in(["auto_merge", "review"]))
        for row in wanted.iter_rows(named=True):
            record_key = f"{row['record_key']}#{row['part']}"
            if (record_key, row["enterprise_id"]) in decided:
                continue
            band = row["band"]
            explanation = {k: v for k, v in row.items() if k.endswith("_level")}
            explanation["alias"] = row.get("alias")
            explanation["alias_kind"] = row.get("alias_kind")
            session.add(
                ResolutionLink(
                    record_source=source,
                    record_key=record_key,
                    record_name=str(row.get("applicant") or ""),
                    enterprise_id=int(row["enterprise_id"]),
                    probability=Decimal(str(round(float(row["match_probability"]), 6))),
                    band=band,
                    status="auto" if band == "auto_merge" else "pending",
                    explanation=explanation,
                )
            )
            if band == "auto_merge":
                _link_record(session, source, record_key, int(row["enterprise_id"]))
                auto += 1
            else:
                queued += 1
        parts = result.parts
        unmatched = int(parts.filter(pl.col("status").is_in(["non_match", "no_candidate"])).height)
        report = RunReport(source, records.height, auto, queued, unmatched, result.version)
        audit.record(session, actor, "resolution.run", f"source:{source}", after=report.to_dict())
        return report


@dataclass(frozen=True)
class LinkView:
    id: int
    source: str
    record_key: str
    record_name: str
    enterprise_id: int
    enterprise_name: str
    probability: Decimal
    band: str
    status: str
    explanation: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _view(session: Session, link: ResolutionLink) -> LinkView:
    enterprise = session.get(Enterprise, link.enterprise_id)
    return LinkView(
        link.id,
        link.record_source,
        link.record_key,
        link.record_name,
        link.enterprise_id,
        enterprise.name if enterprise else "",
        link.probability,
        link.band,
        link.status,
        dict(link.explanation),
    )


def review_queue(db: Database, actor: Actor, limit: int = 200) -> list[LinkView]:
    _check(actor)
    with db.read() as session:
        links = session.scalars(
            select(ResolutionLink)
            .where(ResolutionLink.status == "pending")
            .order_by(ResolutionLink.probability.desc(), ResolutionLink.id)
            .limit(limit)
        )
        return [_view(session, link) for link in links]


def decide(db: Database, actor: Actor, link_id: int, *, confirm: bool, reason: str) -> LinkView:
    """Confirm (merge) or reject (unmerge) a link; a reason is required."""
    _check(actor)
    if not reason.strip():
        raise ValidationFailed("a decision needs a reason", field="reason")
    with db.transaction() as session:
        link = session.get(ResolutionLink, link_id)
        if link is None:
            raise NotFound("link not found")
        if link.status in ("confirmed", "rejected"):
            raise Conflict(f"link already {link.status}", field="status")
        before = link.status
        link.status = "confirmed" if confirm else "rejected"
        link.decided_by = actor.username
        link.decided_at = utcnow()
        if confirm:
            _link_record(session, link.record_source, link.record_key, link.enterprise_id)
        elif before == "auto":
            _link_record(session, link.record_source, link.record_key, None)
        audit.record(
            session,
            actor,
            "resolution.merge" if confirm else "resolution.unmerge",
            f"{link.record_source}:{link.record_key}",
            reason=reason,
            before={"status": before, "enterprise": link.enterprise_id},
            after={"status": link.status, "enterprise": link.enterprise_id},
        )
        return _view(session, link)
