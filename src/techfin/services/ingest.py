"""Ingest of shared data into the hub (guidance art. 16): files and API pushes.

One batch is one transaction: its good rows, its quarantined rows (kept whole, with reasons)
and its report land together or not at all. Re-loading the same content is a no-op that
returns the first report (idempotent by SHA-256 of the content). Records of coded sources are
joined to the registry by their validated credit code; a code with no registry record is
quarantined (load the registry first). A record that repeats one on file is a duplicate; one
with the same key and different values replaces it when its as-of date is not older.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from techfin.enterprises import sources as src
from techfin.services import audit
from techfin.services.authz import require_role
from techfin.services.context import Actor, Role
from techfin.services.errors import NotFound, ValidationFailed
from techfin.services.readers import FileRejected, RawRow, ReadResult, read
from techfin.store.db import Database
from techfin.store.tables import (
    AnnualFinancials,
    CourtRecord,
    CreditRegisterLoan,
    CustomsRecord,
    Enterprise,
    FundingRound,
    GrantedTitle,
    LoadBatch,
    Patent,
    QuarantinedRow,
    Shareholder,
    SocialSecurityRecord,
    TaxRecord,
    TechTransferProject,
    UtilityRecord,
    utcnow,
)

MODELS: dict[str, Any] = {
    "registry": Enterprise,
    "financials": AnnualFinancials,
    "social_security": SocialSecurityRecord,
    "tax": TaxRecord,
    "customs": CustomsRecord,
    "utilities": UtilityRecord,
    "patents": Patent,
    "credit_register": CreditRegisterLoan,
    "court": CourtRecord,
    "tech_transfer": TechTransferProject,
    "funding": FundingRound,
    "titles": GrantedTitle,
    "shareholders": Shareholder,
}
PATENT_KINDS = {"1": "invention", "8": "invention", "2": "utility", "9": "utility", "3": "design"}
MAX_FILE_BYTES = 2 * 1024**3
Progress = Callable[[int, int], None]


@dataclass
class LoadReport:
    batch: int | None
    source: str
    filename: str
    read: int = 0
    loaded: int = 0
    updated: int = 0
    quarantined: int = 0
    duplicates: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    normalisations: dict[str, int] = field(default_factory=dict)
    file_notes: list[str] = field(default_factory=list)
    repeat: bool = False
    rejected: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _report_of(batch: LoadBatch, repeat: bool) -> LoadReport:
    rejected = next(
        (n[len("rejected: ") :] for n in batch.file_notes if n.startswith("rejected: ")), None
    )
    return LoadReport(
        batch=batch.id,
        source=batch.source,
        filename=batch.filename,
        read=batch.read,
        loaded=batch.loaded,
        updated=batch.updated,
        quarantined=batch.quarantined,
        duplicates=batch.duplicates,
        reasons=dict(batch.reasons),
        normalisations=dict(batch.normalisations),
        file_notes=list(batch.file_notes),
        repeat=repeat,
        rejected=rejected,
    )


_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|\d[\d\-:./Q]*")


def reason_kind(reason: str) -> str:
    """The reason with its particular values taken out, to count like reasons together."""
    return _VALUE.sub("…", reason)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dt.date | dt.datetime):
            out[str(key)] = value.isoformat()
        elif isinstance(value, Decimal):
            out[str(key)] = str(value)
        elif value is None or isinstance(value, str | int | float | bool | list):
            out[str(key)] = value
        else:
            out[str(key)] = str(value)
    return out


def _check_actor(actor: Actor) -> None:
    require_role(actor, [Role.ADMIN], "loading shared data")
    if not actor.is_system and actor.institution_code != "HUB":
        raise ValidationFailed(
            "shared data is loaded by the information hub's administrators", field="source"
        )


def ingest_file(
    db: Database,
    actor: Actor,
    source_name: str,
    path: Path,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    _check_actor(actor)
    source = _source(source_name)
    if not path.exists():
        raise ValidationFailed(f"no such file: {path}", field="file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationFailed("file larger than 2 GB: split it", field="file")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    previous = _previous(db, source.name, digest)
    if previous is not None:
        return previous
    try:
        parsed = read(source, path, data)
    except FileRejected as exc:
        return _rejected(db, actor, source, path.name, digest, str(exc))
    return _load(db, actor, source, path.name, digest, parsed, today or dt.date.today(), progress)


def ingest_records(
    db: Database,
    actor: Actor,
    source_name: str,
    records: list[dict[str, Any]],
    *,
    label: str = "api",
    today: dt.date | None = None,
) -> LoadReport:
    """An API push: a list of JSON objects keyed by field names (or their Chinese aliases)."""
    _check_actor(actor)
    source = _source(source_name)
    if not records:
        raise ValidationFailed("no records", field="records")
    digest, parsed = parse_records(source, records)
    previous = _previous(db, source.name, digest)
    if previous is not None:
        return previous
    return _load(db, actor, source, label, digest, parsed, today or dt.date.today(), None)


def parse_records(source: src.Source, records: list[Any]) -> tuple[str, ReadResult]:
    """An API push as rows for `source`: the SHA-256 of its canonical JSON (for idempotency)
    and the records keyed by field name (field names or their Chinese headers accepted)."""
    canonical = json.dumps(records, sort_keys=True, ensure_ascii=False, default=str).encode()
    mapping = source.header_map()
    rows = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            rows.append(RawRow(number, {"value": str(record)[:500]}, "not a JSON object"))
            continue
        values = {}
        for key, value in record.items():
            name = mapping.get(src.header_key(str(key)))
            if name:
                values[name] = value
        rows.append(RawRow(number, values))
    return hashlib.sha256(canonical).hexdigest(), ReadResult("json", "utf-8", rows)


def _source(name: str) -> src.Source:
    try:
        return src.get(name)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="source") from None


def _previous(db: Database, source: str, digest: str) -> LoadReport | None:
    with db.read() as session:
        batch = session.scalar(
            select(LoadBatch).where(LoadBatch.source == source, LoadBatch.content_sha256 == digest)
        )
        return _report_of(batch, repeat=True) if batch else None


def _rejected(
    db: Database, actor: Actor, source: src.Source, filename: str, digest: str, reason: str
) -> LoadReport:
    with db.transaction() as session:
        batch = LoadBatch(
            source=source.name,
            filename=filename,
            content_sha256=digest,
            file_format="?",
            reasons={f"file: {reason_kind(reason)}": 1},
            file_notes=[f"rejected: {reason}"],
            loaded_by=actor.username,
            finished_at=utcnow(),
        )
        session.add(batch)
        session.flush()
        audit.record(
            session,
            actor,
            "ingest.reject",
            f"batch:{batch.id}",
            reason=reason,
            after={"source": source.name, "file": filename, "sha256": digest},
        )
        return _report_of(batch, repeat=False)


def _load(
    db: Database,
    actor: Actor,
    source: src.Source,
    filename: str,
    digest: str,
    parsed: ReadResult,
    today: dt.date,
    progress: Progress | None,
) -> LoadReport:
    with db.transaction() as session:
        batch = LoadBatch(
            source=source.name,
            filename=filename,
            content_sha256=digest,
            file_format=parsed.file_format,
            encoding=parsed.encoding,
            file_notes=list(parsed.notes),
            loaded_by=actor.username,
        )
        session.add(batch)
        session.flush()
        loader = _BatchLoader(session, source, batch, today)
        total = len(parsed.rows)
        for index, row in enumerate(parsed.rows, start=1):
            loader.row(row)
            if progress and (index % 1000 == 0 or index == total):
                progress(index, total)
        loader.finish()
        batch.finished_at = utcnow()
        audit.record(
            session,
            actor,
            "ingest.load",
            f"batch:{batch.id}",
            reason=f"{source.name} {filename}",
            after={
                "sha256": digest,
                "read": batch.read,
                "loaded": batch.loaded,
                "updated": batch.updated,
                "quarantined": batch.quarantined,
                "duplicates": batch.duplicates,
            },
        )
        return _report_of(batch, repeat=False)


class _BatchLoader:
    def __init__(self, session: Session, source: src.Source, batch: LoadBatch, today: dt.date):
        self.session = session
        self.source = source
        self.batch = batch
        self.today = today
        self.model = MODELS[source.name]
        self.reasons: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.seen: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
        self.pending: list[tuple[RawRow, dict[str, Any]]] = []
        self.read = self.loaded = self.updated = self.duplicates = 0
        self.quarantine_rows: list[dict[str, Any]] = []

    def quarantine(self, row: RawRow, reasons: list[str]) -> None:
        self.quarantine_rows.append(
            {
                "batch_id": self.batch.id,
                "row_number": row.number,
                "raw": _jsonable(row.values),
                "reasons": reasons,
            }
        )
        for reason in reasons:
            self.reasons[reason_kind(reason)] += 1

    def row(self, row: RawRow) -> None:
        self.read += 1
        if row.problem:
            self.quarantine(row, [row.problem])
            return
        result = src.validate_row(self.source, row.values, self.today)
        if result.record is None:
            self.quarantine(row, result.reasons)
            return
        for note in result.normalisations:
            self.notes[reason_kind(note)] += 1
        key = src.natural_key(self.source, result.record)
        if key in self.seen:
            first_number, first = self.seen[key]
            if first == result.record:
                self.duplicates += 1
            else:
                self.quarantine(
                    row, [f"same key as row {first_number} of this file with different values"]
                )
            return
        self.seen[key] = (row.number, result.record)
        self.pending.append((row, result.record))
        if len(self.pending) >= 5000:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        enterprise_ids = self._enterprise_ids([r for _, r in pending])
        inserts: list[dict[str, Any]] = []
        for row, record in pending:
            values = self._to_columns(record, enterprise_ids)
            if isinstance(values, str):
                self.quarantine(row, [values])
                continue
            existing = self._existing(values)
            if existing is None:
                inserts.append(values)
                continue
            same = all(getattr(existing, k) == v for k, v in values.items() if k != "batch_id")
            if same:
                self.duplicates += 1
            elif values["as_of"] >= existing.as_of:
                for k, v in values.items():
                    setattr(existing, k, v)
                self.updated += 1
            else:
                self.quarantine(row, [f"older than the record on file (as_of {existing.as_of})"])
        if inserts:
            self.session.execute(insert(self.model), inserts)
            self.loaded += len(inserts)

    def _enterprise_ids(self, records: Iterable[dict[str, Any]]) -> dict[str, int]:
        codes = {r["uscc"] for r in records if r.get("uscc")}
        if not codes or self.source.name == "registry":
            return {}
        found: dict[str, int] = {}
        codes_list = sorted(codes)
        for start in range(0, len(codes_list), 900):
            chunk = codes_list[start : start + 900]
            found.update(
                self.session.execute(
                    select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(chunk))
                ).all()
            )
        return found

    def _to_columns(self, record: dict[str, Any], ids: dict[str, int]) -> dict[str, Any] | str:
        values = {k: v for k, v in record.items() if k != "uscc"}
        values["batch_id"] = self.batch.id
        name = self.source.name
        if name == "registry":
            values["uscc"] = record["uscc"]
            values["former_names"] = record.get("former_names") or []
            for key in ("name_en", "province", "area_code", "legal_form"):
                values[key] = values.get(key) or ""
            values["status"] = values.get("status") or "active"
            values["source"] = "registry"
            return values
        uscc = record.get("uscc")
        enterprise_id = ids.get(uscc) if uscc else None
        if (self.source.coded or uscc) and enterprise_id is None:
            return f"uscc: no registry record for {uscc} (load the registry first)"
        if name == "patents":
            values["enterprise_id"] = enterprise_id
            values["kind"] = PATENT_KINDS.get(record["number"][4], "invention")
            values["title"] = values.get("title") or ""
            values["status"] = values.get("status") or ""
            values["ipc"] = values.get("ipc") or ""
        elif name == "funding":
            values["enterprise_id"] = enterprise_id
            values["lead_investor"] = values.get("lead_investor") or ""
        elif name == "tech_transfer":
            pass
        else:
            values["enterprise_id"] = enterprise_id
        if name == "shareholders":
            holder = record.get("shareholder_uscc")
            values["shareholder_enterprise_id"] = (
                self.session.scalar(select(Enterprise.id).where(Enterprise.uscc == holder))
                if holder
                else None
            )
        if name == "court":
            values["court"] = values.get("court") or ""
            values["status"] = values.get("status") or ""
        return values

    def _existing(self, values: dict[str, Any]) -> Any:
        model = self.model
        key_columns = {
            "registry": ("uscc",),
            "patents": ("number",),
            "tech_transfer": ("project_id",),
            "funding": ("investee_name", "stage", "closed_on"),
            "financials": ("enterprise_id", "year"),
            "credit_register": ("enterprise_id", "lender", "loan_ref"),
            "court": ("enterprise_id", "case_no", "kind"),
            "titles": ("enterprise_id", "title", "certificate_no"),
            "shareholders": ("enterprise_id", "shareholder_name"),
        }.get(self.source.name, ("enterprise_id", "quarter"))
        query = select(model)
        for column in key_columns:
            query = query.where(getattr(model, column) == values[column])
        return self.session.scalar(query)

    def finish(self) -> None:
        self.flush()
        if self.quarantine_rows:
            self.session.execute(insert(QuarantinedRow), self.quarantine_rows)
        b = self.batch
        b.read, b.loaded, b.updated = self.read, self.loaded, self.updated
        b.quarantined, b.duplicates = len(self.quarantine_rows), self.duplicates
        b.reasons = dict(sorted(self.reasons.items()))
        b.normalisations = dict(sorted(self.notes.items()))


def batches(db: Database, actor: Actor, limit: int = 100) -> list[LoadReport]:
    require_role(actor, [Role.ADMIN, Role.REGULATOR], "reading load reports")
    with db.read() as session:
        rows = session.scalars(select(LoadBatch).order_by(LoadBatch.id.desc()).limit(limit))
        return [_report_of(b, repeat=False) for b in rows]


def batch_detail(db: Database, actor: Actor, batch_id: int, limit: int = 500) -> dict[str, Any]:
    require_role(actor, [Role.ADMIN, Role.REGULATOR], "reading load reports")
    with db.read() as session:
        batch = session.get(LoadBatch, batch_id)
        if batch is None:
            raise NotFound("load batch not found")
        rows = session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.batch_id == batch_id)
            .order_by(QuarantinedRow.row_number)
            .limit(limit)
        )
        return {
            "report": _report_of(batch, repeat=False).to_dict(),
            "started_at": batch.started_at,
            "loaded_by": batch.loaded_by,
            "quarantine": [{"row": q.row_number, "reasons": q.reasons, "raw": q.raw} for q in rows],
        }
