"""Reading shared-data files: CSV (UTF-8 or GBK/GB18030), JSON lines, XLSX.

A reader returns the raw rows (header → cell text or value) with their row numbers, the
per-row problems it met (a row cut off, a line that is not JSON), and notes about the file
(the encoding it was decoded from, columns ignored). File-level problems that make the file
unreadable as a whole (no header, merged header cells, a required column missing) raise
`FileRejected` with the reason.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techfin.enterprises.sources import Source, header_key


class FileRejected(ValueError):
    """The file as a whole cannot be read for this source."""


@dataclass
class RawRow:
    number: int  # 1-based line/row number in the file, header included
    values: dict[str, Any]
    problem: str | None = None  # set when the row itself is broken


@dataclass
class ReadResult:
    file_format: str
    encoding: str
    rows: list[RawRow]
    notes: list[str] = field(default_factory=list)


FORMATS = {".csv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}


def file_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise FileRejected(
            f"unsupported file type {path.suffix or '(none)'}: use .csv, .jsonl or .xlsx"
        ) from None


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK), else refuse."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig", []
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030", ["decoded as GBK/GB18030 and stored as UTF-8"]
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"not UTF-8 and not GBK: undecodable byte at offset {exc.start}"
        ) from None


def _map_headers(source: Source, headers: list[str]) -> tuple[list[str | None], list[str]]:
    mapping = source.header_map()
    mapped: list[str | None] = []
    notes: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        name = mapping.get(header_key(header)) if header is not None else None
        if name is None:
            if header not in (None, ""):
                notes.append(f"column {header!r} ignored: not a field of source {source.name}")
            mapped.append(None)
            continue
        if name in seen:
            raise FileRejected(f"columns {seen[name]!r} and {header!r} both mean {name}")
        seen[name] = str(header)
        if str(header) != name:
            notes.append(f"column {header!r} read as {name}")
        mapped.append(name)
    missing = [
        f"{f.name} ({f.aliases[0]})" if f.aliases else f.name
        for f in source.fields
        if f.required and f.name not in seen
    ]
    if missing:
        raise FileRejected(f"missing required column(s): {', '.join(missing)}")
    return mapped, notes


def read_csv(source: Source, data: bytes) -> ReadResult:
    text, encoding, notes = decode(data)
    if not text.strip():
        raise FileRejected("the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise FileRejected(f"header row is not valid CSV: {exc}") from None
    names, header_notes = _map_headers(source, [h.strip() for h in headers])
    ends_cleanly = text.endswith(("\n", "\r"))
    rows: list[RawRow] = []
    raw_rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            raw_rows.append((reader.line_num, cells))
    except csv.Error as exc:
        rows.append(RawRow(reader.line_num, {}, f"not valid CSV: {exc}"))
    for index, (line, cells) in enumerate(raw_rows):
        if not any(c.strip() for c in cells):
            continue
        values = {name: cells[i] for i, name in enumerate(names) if name and i < len(cells)}
        raw = {
            headers[i] if i < len(headers) else f"column {i + 1}": c for i, c in enumerate(cells)
        }
        problem = None
        if len(cells) != len(headers):
            last = index == len(raw_rows) - 1
            problem = (
                f"row cut off: expected {len(headers)} fields, got {len(cells)} "
                "(the file ends mid-row)"
                if last and not ends_cleanly and len(cells) < len(headers)
                else f"expected {len(headers)} fields, got {len(cells)}"
            )
        rows.append(RawRow(line, values if problem is None else raw, problem))
    return ReadResult("csv", encoding, rows, notes + header_notes)


def read_jsonl(source: Source, data: bytes) -> ReadResult:
    text, encoding, notes = decode(data)
    rows: list[RawRow] = []
    lines = text.splitlines()
    header_notes: list[str] = []
    names_checked = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            cut = number == len(lines) and not text.endswith("\n")
            reason = (
                "line cut off (the file ends mid-record)" if cut else f"not valid JSON: {exc.msg}"
            )
            rows.append(RawRow(number, {"line": line[:500]}, reason))
            continue
        if not isinstance(value, dict):
            rows.append(RawRow(number, {"line": line[:500]}, "not a JSON object"))
            continue
        if not names_checked:
            _, header_notes = _map_headers(source, list(value.keys()))
            names_checked = True
        mapping = source.header_map()
        mapped = {}
        for key, cell in value.items():
            name = mapping.get(header_key(key))
            if name:
                mapped[name] = cell
        rows.append(RawRow(number, mapped))
    if not rows:
        raise FileRejected("the file holds no records")
    return ReadResult("jsonl", encoding, rows, notes + header_notes)


def read_xlsx(source: Source, data: bytes) -> ReadResult:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileRejected(f"not a readable .xlsx workbook: {type(exc).__name__}") from None
    sheet = workbook.worksheets[0]
    header_row = None
    for row in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 20)):
        if any(c.value not in (None, "") for c in row):
            header_row = row[0].row
            break
    if header_row is None:
        raise FileRejected("the first sheet is empty")
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= header_row <= merged.max_row:
            raise FileRejected(
                f"header cells {merged.coord} are merged: give each column its own header cell"
            )
    headers = [
        str(c.value).strip() if c.value is not None else ""
        for c in next(sheet.iter_rows(min_row=header_row, max_row=header_row))
    ]
    names, header_notes = _map_headers(source, headers)
    rows: list[RawRow] = []
    for cells in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        number = header_row + 1 + len(rows)
        if all(v in (None, "") for v in cells):
            rows.append(RawRow(number, {}, "__blank__"))
            continue
        values = {name: cells[i] for i, name in enumerate(names) if name and i < len(cells)}
        rows.append(RawRow(number, values))
    rows = [r for r in rows if r.problem != "__blank__"]
    notes = (
        [f"sheet {sheet.title!r} read; other sheets ignored"]
        if len(workbook.worksheets) > 1
        else []
    )
    return ReadResult("xlsx", "xlsx", rows, notes + header_notes)


def read(source: Source, path: Path, data: bytes) -> ReadResult:
    kind = file_format(path)
    if kind == "csv":
        return read_csv(source, data)
    if kind == "jsonl":
        return read_jsonl(source, data)
    return read_xlsx(source, data)
