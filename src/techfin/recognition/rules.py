"""Official rule sets as versioned data: load them and pick the version in force.

Every rule set used by `techfin.recognition` lives in a YAML file under
`techfin/recognition/data/` with its `rule_set` name, a `version` id, the `source` document,
and `effective_from` / `effective_to` dates. Code never hard-codes a threshold: it reads the
version in force on the evaluation's `as_of` date and records the version id in its result.

To add a version (for example when MIIT revises a table), add a new YAML file with the same
`rule_set`, a new `version` and its `effective_from`; close the previous one with
`effective_to` (the day before). See docs/recognition.md, "Adding a rule version".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One version of one official rule set, as loaded from its data file."""

    rule_set: str
    version: str
    title: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None
    confirmed: bool
    data: dict[str, Any]

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def describe(self) -> dict[str, Any]:
        """The identification an evaluation records (JSON-serialisable)."""
        return {
            "rule_set": self.rule_set,
            "version": self.version,
            "title": self.title,
            "source": self.source,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "confirmed": self.confirmed,
        }


def _as_date(value: Any, field: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@cache
def all_rule_sets() -> tuple[RuleSet, ...]:
    """Every rule-set version shipped in the package data (cached)."""
    found: list[RuleSet] = []
    folder = resources.files("techfin.recognition").joinpath("data")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        raw = yaml.safe_load(entry.read_text(encoding="utf-8"))
        start = _as_date(raw["effective_from"], "effective_from")
        assert start is not None
        found.append(
            RuleSet(
                rule_set=str(raw["rule_set"]),
                version=str(raw["version"]),
                title=str(raw["title"]),
                source=str(raw["source"]),
                effective_from=start,
                effective_to=_as_date(raw.get("effective_to"), "effective_to"),
                confirmed=bool(raw.get("confirmed", True)),
                data=raw,
            )
        )
    return tuple(found)


def versions(rule_set: str) -> list[RuleSet]:
    """All versions of `rule_set`, oldest first."""
    return sorted(
        (r for r in all_rule_sets() if r.rule_set == rule_set), key=lambda r: r.effective_from
    )


def load(rule_set: str, as_of: dt.date | None = None, version: str | None = None) -> RuleSet:
    """The version of `rule_set` in force on `as_of` (the newest one when `as_of` is None),
    or exactly `version` when given. Raises `ValueError` when none applies."""
    candidates = versions(rule_set)
    if not candidates:
        raise ValueError(f"rule_set: unknown rule set {rule_set!r}")
    if version is not None:
        for r in candidates:
            if r.version == version:
                return r
        known = ", ".join(r.version for r in candidates)
        raise ValueError(f"version: {rule_set} has no version {version!r} (known: {known})")
    if as_of is None:
        return candidates[-1]
    for r in reversed(candidates):
        if r.in_force(as_of):
            return r
    raise ValueError(f"as_of: no version of {rule_set} is in force on {as_of.isoformat()}")


def frac(value: Any) -> Fraction:
    """A threshold from a data file (written as a string like "0.05") as an exact Fraction."""
    if isinstance(value, float):
        raise TypeError("rule data must write fractional thresholds as strings, not floats")
    return Fraction(Decimal(str(value)))
