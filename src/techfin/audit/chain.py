"""The audit chain: pure hashing of audit entries.

Every command appends an entry; each entry's hash covers its own fields and the previous
entry's hash, so editing, deleting or reordering any entry breaks every hash after it.
`verify` walks a sequence of entries and returns the first broken one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "role",
    "institution",
    "command",
    "target",
    "reason",
    "before_digest",
    "after_digest",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace; Decimals and dates as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of a before/after state (empty string for none)."""
    if value is None:
        return ""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the hashed fields of one entry, previous hash included."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify(entries: Iterable[Mapping[str, Any]]) -> ChainBreak | None:
    """Return the first broken entry of a chain ordered by `seq`, or None when intact."""
    previous = GENESIS
    expected_seq = 1
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            return ChainBreak(expected_seq, f"entry {expected_seq} is missing (found {seq})")
        if entry["prev_hash"] != previous:
            return ChainBreak(seq, "previous-hash link does not match the entry before it")
        if entry_hash(entry) != entry["entry_hash"]:
            return ChainBreak(seq, "entry content does not match its hash (edited)")
        previous = str(entry["entry_hash"])
        expected_seq += 1
    return None
