"""IP platform, item 1: patents' legal-status events at the hub, and a patent's derived status.

Legal events are loaded by the hub's administrators from CSV / JSON lines / XLSX files or an
API push, with the ingest discipline of `techfin.services.ingest`: one transaction per batch,
bad rows quarantined whole with their reasons, re-loading the same content a no-op (by SHA-256),
an event already on file counted as a duplicate. Status, remaining life and the high-value
flag are never stored: they are derived for any as-of date by `techfin.ip.status`.

Patent register facts (the patent, its legal events) are public — the patent office publishes
them — so any logged-in user may read a patent by its number (decision 1000). What a bank did
with it (valuations, pledges) is shown to that bank only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.enterprises import sources as src
from techfin.ip.patents import EventKind, InvalidationOutcome, LegalEvent, Patent, PatentType
from techfin.ip.status import derive_status, high_value
from techfin.services import audit
from techfin.services.authz import require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import NotFound, ValidationFailed
from techfin.services.ingest import (
    LoadReport,
    _previous,
    _rejected,
    _report_of,
    parse_records,
    reason_kind,
)
from techfin.services.readers import FileRejected, RawRow, ReadResult, read
from techfin.store.db import Database
from techfin.store.tables import LoadBatch, QuarantinedRow, utcnow
from techfin.store.tables import Patent as PatentRow
from techfin.store.tables_ip import IpLegalEvent, IpPatentProfile

# --- platform policy (data) ---------------------------------------------------------------


@cache
def ip_policy() -> dict[str, Any]:
    """`techfin/services/ip_policy.yaml`: internal-valuation threshold, rotation, alert roles."""
    text = resources.files("techfin.services").joinpath("ip_policy.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("ip_policy.yaml: expected a mapping")
    return data


def policy_version() -> str:
    return f"ip_policy@{ip_policy()['version']}"


# --- mapping the hub's rows to the domain ---------------------------------------------------

KIND_TO_TYPE = {
    "invention": PatentType.INVENTION,
    "utility": PatentType.UTILITY_MODEL,
    "utility_model": PatentType.UTILITY_MODEL,
    "design": PatentType.DESIGN,
}


def domain_patent(row: PatentRow, profile: IpPatentProfile | None = None) -> Patent:
    """The hub's patent record (plus its profile, if any) as a `techfin.ip` `Patent`."""
    ipc = tuple(p.strip() for p in (row.ipc or "").replace(",", ";").split(";") if p.strip())
    extra: dict[str, Any] = {}
    if profile is not None:
        extra = {
            "family": tuple(profile.family or ()),
            "foreign_family_granted": profile.foreign_family_granted,
            "strategic_emerging": profile.strategic_emerging,
            "awards": tuple(profile.awards or ()),
            "fee_payer_share": Decimal(profile.fee_payer_share),
        }
    return Patent(
        number=row.number,
        patent_type=KIND_TO_TYPE.get(row.kind, PatentType.INVENTION),
        filing_date=row.filed_on,
        title=row.title or "",
        owners=tuple(str(a) for a in (row.applicants or ())),
        ipc=ipc,
        claims=row.claims,
        forward_citations=row.forward_citations or 0,
        **extra,
    )


def event_of(row: IpLegalEvent) -> LegalEvent:
    return LegalEvent(
        kind=EventKind(row.kind),
        on=row.on_date,
        fee_year=row.fee_year,
        outcome=InvalidationOutcome(row.outcome) if row.outcome else None,
        owners=tuple(row.owners or ()),
        amount=row.amount,
        reference=row.reference or "",
        party=row.party or "",
        note=row.note or "",
    )


def domain_events(session: Session, patent: PatentRow) -> list[LegalEvent]:
    """The patent's events in date order. When no `granted` event was loaded, the hub's
    `granted_on` stands for one (the register's grant date)."""
    rows = session.scalars(
        select(IpLegalEvent)
        .where(IpLegalEvent.patent_id == patent.id)
        .order_by(IpLegalEvent.on_date, IpLegalEvent.id)
    ).all()
    events = [event_of(r) for r in rows]
    if patent.granted_on and not any(e.kind is EventKind.GRANTED for e in events):
        events.insert(0, LegalEvent(EventKind.GRANTED, patent.granted_on, note="from granted_on"))
    return sorted(events, key=lambda e: e.on)


def find_patent(session: Session, number_or_id: str | int) -> PatentRow:
    text = str(number_or_id).strip().upper()
    if isinstance(number_or_id, int) or (text.isdigit() and len(text) < 9):
        row = session.get(PatentRow, int(text))
    else:
        from techfin.codes import patent as patent_codes

        text = str(patent_codes.validate(text).normalised or text)
        row = session.scalar(select(PatentRow).where(PatentRow.number == text))
    if row is None:
        raise NotFound(f"patent {number_or_id} not found")
    return row


def load_domain(session: Session, row: PatentRow) -> tuple[Patent, list[LegalEvent]]:
    profile = session.scalar(select(IpPatentProfile).where(IpPatentProfile.patent_id == row.id))
    return domain_patent(row, profile), domain_events(session, row)


def event_key(event: LegalEvent) -> str:
    """What makes two events the same event (notes do not count)."""
    parts = [
        event.kind.value,
        event.on.isoformat(),
        "" if event.fee_year is None else str(event.fee_year),
        event.outcome.value if event.outcome else "",
        event.reference,
        event.party,
        ",".join(event.owners),
        "" if event.amount is None else str(event.amount),
    ]
    text = "|".join(parts)
    if len(text) <= 200:
        return text
    return text[:130] + "#" + hashlib.sha256(text.encode()).hexdigest()[:64]


# --- loading legal events -------------------------------------------------------------------

KIND_ALIASES = {
    "授权": "granted",
    "年费缴纳": "fee_paid",
    "缴费": "fee_paid",
    "年费缴纳通知": "fee_due",
    "滞纳期": "fee_in_grace",
    "未缴年费终止": "lapsed",
    "权利恢复": "restored",
    "转让": "transferred",
    "权利转移": "transferred",
    "许可备案": "licence_recorded",
    "质押登记": "pledge_registered",
    "质押注销": "pledge_released",
    "无效宣告请求": "invalidation_requested",
    "无效宣告决定": "invalidation_decided",
    "诉讼": "litigation_filed",
    "诉讼结案": "litigation_closed",
    "财产保全": "preservation_ordered",
    "保全解除": "preservation_lifted",
    "放弃": "terminated",
    "license_recorded": "licence_recorded",
}
OUTCOME_ALIASES = {"维持有效": "upheld", "部分无效": "partially_invalid", "全部无效": "invalid"}

EVENT_SOURCE = src.Source(
    "patent_events",
    "专利法律状态",
    (
        src.Field("number", "patent", True, ("申请号", "专利号")),
        src.Field(
            "kind",
            "enum",
            True,
            ("事件", "法律状态", "event"),
            tuple(k.value for k in EventKind),
            KIND_ALIASES,
        ),
        src.Field("on", "date", True, ("生效日", "事件日期", "date")),
        src.Field("fee_year", "int", False, ("年度", "缴费年度")),
        src.Field(
            "outcome",
            "enum",
            False,
            ("决定结果",),
            tuple(o.value for o in InvalidationOutcome),
            OUTCOME_ALIASES,
        ),
        src.Field("owners", "list", False, ("权利人", "受让人")),
        src.Field("amount", "money", False, ("金额", "担保金额")),
        src.Field("reference", "text", False, ("登记号", "案号"), max_length=64),
        src.Field("party", "text", False, ("当事人", "请求人"), max_length=200),
        src.Field("note", "text", False, ("备注",), max_length=300),
        src.AS_OF,
    ),
    ("number", "kind", "on"),
    coded=False,
)


def _check_loader(actor: Actor) -> None:
    require_role(actor, [Role.ADMIN], "loading legal events")
    if not actor.is_system and actor.institution_code != "HUB":
        raise ValidationFailed(
            "legal events are loaded by the information hub's administrators", field="source"
        )


def load_legal_events(
    db: Database, actor: Actor, path: Path, *, today: dt.date | None = None
) -> LoadReport:
    """Load a file of legal-status events (CSV UTF-8/GBK, JSON lines, XLSX)."""
    _check_loader(actor)
    if not path.exists():
        raise ValidationFailed(f"no such file: {path}", field="file")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    previous = _previous(db, EVENT_SOURCE.name, digest)
    if previous is not None:
        return previous
    try:
        parsed = read(EVENT_SOURCE, path, data)
    except FileRejected as exc:
        return _rejected(db, actor, EVENT_SOURCE, path.name, digest, str(exc))
    return _load(db, actor, path.name, digest, parsed, today or dt.date.today())


def push_legal_events(
    db: Database,
    actor: Actor,
    records: list[dict[str, Any]],
    *,
    label: str = "api",
    today: dt.date | None = None,
) -> LoadReport:
    """An API push of legal events: JSON objects keyed by field names or Chinese aliases."""
    _check_loader(actor)
    if not records:
        raise ValidationFailed("no records", field="records")
    digest, parsed = parse_records(EVENT_SOURCE, records)
    previous = _previous(db, EVENT_SOURCE.name, digest)
    if previous is not None:
        return previous
    return _load(db, actor, label, digest, parsed, today or dt.date.today())


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        str(k): v if isinstance(v, str | int | bool | None) else str(v) for k, v in values.items()
    }


def _load(
    db: Database,
    actor: Actor,
    filename: str,
    digest: str,
    parsed: ReadResult,
    today: dt.date,
) -> LoadReport:
    from collections import Counter

    with db.transaction() as session:
        batch = LoadBatch(
            source=EVENT_SOURCE.name,
            filename=filename,
            content_sha256=digest,
            file_format=parsed.file_format,
            encoding=parsed.encoding,
            file_notes=list(parsed.notes),
            loaded_by=actor.username,
        )
        session.add(batch)
        session.flush()
        reasons: Counter[str] = Counter()
        notes: Counter[str] = Counter()
        quarantine: list[QuarantinedRow] = []
        patents: dict[str, int | None] = {}
        seen: set[tuple[int, str]] = set()
        read_count = loaded = duplicates = 0

        def bad(row: RawRow, why: list[str]) -> None:
            quarantine.append(
                QuarantinedRow(
                    batch_id=batch.id, row_number=row.number, raw=_jsonable(row.values), reasons=why
                )
            )
            for reason in why:
                reasons[reason_kind(reason)] += 1

        for row in parsed.rows:
            read_count += 1
            if row.problem:
                bad(row, [row.problem])
                continue
            result = src.validate_row(EVENT_SOURCE, row.values, today)
            if result.record is None:
                bad(row, result.reasons)
                continue
            record = result.record
            for note in result.normalisations:
                notes[reason_kind(note)] += 1
            try:
                event = LegalEvent(
                    kind=EventKind(record["kind"]),
                    on=record["on"],
                    fee_year=record["fee_year"],
                    outcome=InvalidationOutcome(record["outcome"]) if record["outcome"] else None,
                    owners=tuple(record["owners"] or ()),
                    amount=record["amount"],
                    reference=record["reference"] or "",
                    party=record["party"] or "",
                    note=record["note"] or "",
                )
            except ValueError as exc:
                bad(row, [f"kind: {exc}"])
                continue
            number = record["number"]
            if number not in patents:
                patents[number] = session.scalar(
                    select(PatentRow.id).where(PatentRow.number == number)
                )
            patent_id = patents[number]
            if patent_id is None:
                bad(row, [f"number: no patent record for {number} (load the patents first)"])
                continue
            key = event_key(event)
            if (patent_id, key) in seen or session.scalar(
                select(IpLegalEvent.id).where(
                    IpLegalEvent.patent_id == patent_id, IpLegalEvent.event_key == key
                )
            ):
                duplicates += 1
                continue
            seen.add((patent_id, key))
            session.add(
                IpLegalEvent(
                    patent_id=patent_id,
                    event_key=key,
                    kind=event.kind.value,
                    on_date=event.on,
                    fee_year=event.fee_year,
                    outcome=event.outcome.value if event.outcome else None,
                    owners=list(event.owners),
                    amount=event.amount,
                    reference=event.reference,
                    party=event.party,
                    note=event.note,
                    source="office",
                    as_of=record["as_of"],
                    batch_id=batch.id,
                )
            )
            loaded += 1
        session.add_all(quarantine)
        batch.read, batch.loaded, batch.updated = read_count, loaded, 0
        batch.quarantined, batch.duplicates = len(quarantine), duplicates
        batch.reasons = dict(sorted(reasons.items()))
        batch.normalisations = dict(sorted(notes.items()))
        batch.finished_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "ip.load_legal_events",
            f"batch:{batch.id}",
            reason=f"patent_events {filename}",
            after={"sha256": digest, "read": read_count, "loaded": loaded},
        )
        return _report_of(batch, repeat=False)


def record_platform_event(session: Session, patent_id: int, event: LegalEvent) -> None:
    """An event the platform itself knows (a pledge it registered or released)."""
    key = event_key(event)
    exists = session.scalar(
        select(IpLegalEvent.id).where(
            IpLegalEvent.patent_id == patent_id, IpLegalEvent.event_key == key
        )
    )
    if exists:
        return
    session.add(
        IpLegalEvent(
            patent_id=patent_id,
            event_key=key,
            kind=event.kind.value,
            on_date=event.on,
            fee_year=event.fee_year,
            outcome=None,
            owners=list(event.owners),
            amount=event.amount,
            reference=event.reference,
            party=event.party,
            note=event.note,
            source="platform",
            as_of=event.on,
        )
    )


# --- profile (high-value facts) -------------------------------------------------------------


def set_patent_profile(
    db: Database,
    actor: Actor,
    number: str,
    *,
    family: list[str] | None = None,
    foreign_family_granted: bool = False,
    strategic_emerging: bool = False,
    awards: list[str] | None = None,
    fee_payer_share: Decimal = Decimal(1),
) -> None:
    """The facts the high-value definition needs (hub administrators)."""
    _check_loader(actor)
    if not Decimal(0) < fee_payer_share <= 1:
        raise ValidationFailed("fee_payer_share must be in (0, 1]", field="fee_payer_share")
    with db.transaction() as session:
        row = find_patent(session, number)
        profile = session.scalar(select(IpPatentProfile).where(IpPatentProfile.patent_id == row.id))
        if profile is None:
            profile = IpPatentProfile(patent_id=row.id)
            session.add(profile)
        profile.family = list(family or [])
        profile.foreign_family_granted = foreign_family_granted
        profile.strategic_emerging = strategic_emerging
        profile.awards = list(awards or [])
        profile.fee_payer_share = fee_payer_share
        profile.updated_at = utcnow()
        audit.record(
            session,
            actor,
            "ip.set_patent_profile",
            f"patent:{row.number}",
            after={"strategic": strategic_emerging, "foreign": foreign_family_granted},
        )


# --- reading a patent ----------------------------------------------------------------------


@dataclass(frozen=True)
class PatentView:
    patent: dict[str, Any]
    as_of: dt.date
    status: dict[str, Any]
    high_value: dict[str, Any]
    events: list[dict[str, Any]]
    valuations: list[dict[str, Any]]
    pledges: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["as_of"] = self.as_of.isoformat()
        return out


def patent_summary(row: PatentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "title": row.title,
        "kind": row.kind,
        "filed_on": row.filed_on.isoformat(),
        "granted_on": row.granted_on.isoformat() if row.granted_on else None,
        "applicants": list(row.applicants or []),
        "ipc": row.ipc,
        "claims": row.claims,
        "enterprise_id": row.enterprise_id,
    }


def patent_view(db: Database, actor: Actor, number: str | int, as_of: dt.date) -> PatentView:
    """Status, remaining life and high-value flag on `as_of`, the event timeline, and the
    caller's own valuations and pledges of this patent."""
    from techfin.services.ip_pledges import pledges_of_patent
    from techfin.services.ip_valuation import valuations_of_patent

    with db.read() as session:
        row = find_patent(session, number)
        patent, events = load_domain(session, row)
        status = derive_status(patent, events, as_of)
        flag = high_value(patent, events, as_of)
        timeline = [e.to_dict() for e in events]
        return PatentView(
            patent=patent_summary(row),
            as_of=as_of,
            status=status.to_dict(),
            high_value=flag.to_dict(),
            events=timeline,
            valuations=valuations_of_patent(session, actor, row.id),
            pledges=pledges_of_patent(session, actor, row.id),
        )
