"""Industry tags for guidance article 2: high-tech manufacturing (NBS 2017), strategic
emerging industries (NBS 2018), green tech and agri tech.

The industry side of the NBS classifications comes from `techfin.codes.industry`
(`high_tech_manufacturing(code)`, `strategic_emerging(code)`); green tech and agri tech are
techfin's documented rules (`data/tags_2024.yaml`: GB/T 4754 prefixes, and IPC/CPC classes —
WIPO IPC Green Inventory, CPC Y02, IPC A01 … — of the enterprise's valid patents).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .rules import load


@dataclass(frozen=True, slots=True)
class Tag:
    """One tag with why it was given."""

    key: str
    label: str
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class TagResult:
    """All tags of an enterprise, with the rule version of the green/agri rules."""

    tags: list[Tag]
    industry_code: str | None
    rule_version: str
    source: str

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.tags]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tags": [t.to_dict() for t in self.tags],
            "industry_code": self.industry_code,
            "rule_version": self.rule_version,
            "source": self.source,
        }


def _norm_ipc(value: str) -> str:
    return re.sub(r"[\s/]", "", value.upper().replace("／", "/"))


def _code_digits(code: str) -> tuple[str, str]:
    c = code.strip().upper()
    letter = c[0] if c[:1].isalpha() else ""
    return letter, c[1:] if letter else c


def _industry_matches(code: str | None, prefixes: dict[str, str]) -> list[str]:
    if not code:
        return []
    letter, digits = _code_digits(code)
    out: list[str] = []
    for prefix, label in prefixes.items():
        p = str(prefix)
        if (p.isalpha() and letter == p) or (p.isdigit() and digits.startswith(p)):
            out.append(f"industry {code} matches {p} ({label})")
    return out


def _ipc_matches(classes: Iterable[str], prefixes: dict[str, str], min_ip: int) -> list[str]:
    hits: list[str] = []
    for cls in classes:
        n = _norm_ipc(cls)
        for prefix, label in prefixes.items():
            if n.startswith(_norm_ipc(str(prefix))):
                hits.append(f"patent class {cls} matches {prefix} ({label})")
                break
    return hits if len(hits) >= min_ip else []


def high_tech_manufacturing(code: str) -> str | None:
    """The NBS 2017 high-tech manufacturing category of a GB/T 4754 code, or None."""
    from techfin.codes.industry import high_tech_manufacturing as lookup

    result = lookup(code)
    return None if result is None else str(result)


def strategic_emerging(code: str) -> list[str]:
    """The NBS 2018 strategic emerging industry categories of a GB/T 4754 code."""
    from techfin.codes.industry import strategic_emerging as lookup

    return [str(x) for x in lookup(code)]


def tag(
    industry_code: str | None = None,
    ipc_classes: Sequence[str] = (),
    *,
    as_of: dt.date | None = None,
) -> TagResult:
    """Tags for an enterprise from its GB/T 4754 industry code and the IPC/CPC classes of its
    valid patents (one entry per patent: its main class, e.g. "H01M 10/05")."""
    rules = load("tags", as_of)
    tags: list[Tag] = []
    sei: list[str] = []
    if industry_code:
        htm = high_tech_manufacturing(industry_code)
        if htm:
            tags.append(
                Tag(
                    "high_tech_manufacturing",
                    "高技术制造业 high-tech manufacturing",
                    [f"industry {industry_code}: NBS 2017 category {htm}"],
                )
            )
        sei = strategic_emerging(industry_code)
        if sei:
            tags.append(
                Tag(
                    "strategic_emerging",
                    "战略性新兴产业 strategic emerging industries",
                    [f"industry {industry_code}: NBS 2018 {c}" for c in sei],
                )
            )
    for key in ("green_tech", "agri_tech"):
        rule = rules.data[key]
        why = _industry_matches(industry_code, rule["industry_prefixes"])
        why += [
            f"strategic emerging category {c}"
            for c in sei
            if any(str(c).startswith(str(p)) for p in rule.get("strategic_emerging_prefixes", []))
        ]
        why += _ipc_matches(ipc_classes, rule["ipc_prefixes"], int(rule["min_ip"]))
        if why:
            tags.append(Tag(key, str(rule["label"]), why))
    return TagResult(tags, industry_code, rules.version, rules.source)
