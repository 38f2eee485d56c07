"""Industry codes: GB/T 4754-2017 国民经济行业分类 as data, and the mappings official rules use.

- The classification (20 sections A–T, 97 divisions, 473 groups, 1381 classes, with Chinese
  names) is packaged data: `data/gbt4754_2017.csv` with its source in `data/gbt4754_2017.yaml`.
- `sme_size_group(code)` maps a code to one of the 16 industry groups of the 2011 SME-size
  notice (工信部联企业〔2011〕300号), used with official-rules §3 by the recognition module.
- `high_tech_manufacturing(code)` gives the NBS 高技术产业(制造业)分类(2017) category, or None.
- `strategic_emerging(code)` gives the NBS 战略性新兴产业分类(2018) fields the code's class
  draws on. This table is APPROXIMATE (unconfirmed, see `data/strategic_emerging_2018.yaml`):
  the official correspondence is at product level.

Every mapping is a versioned data file with its source; `rule_versions()` reports them so an
evaluation can record what it applied. Registry data often writes a class with its section
letter (`C3973`, `I6513`); that form is accepted and normalised (and `validate` says so).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

import yaml

from techfin.codes.check import CodeCheck, normalise_text

Level = Literal["section", "division", "group", "class"]
_LEVEL_BY_LENGTH: Final[dict[int, Level]] = {1: "section", 2: "division", 3: "group", 4: "class"}
SME_SIZE_GROUPS: Final = (
    "agriculture",
    "industry",
    "construction",
    "wholesale",
    "retail",
    "transport",
    "warehousing",
    "postal",
    "accommodation",
    "catering",
    "information_transmission",
    "software_it_services",
    "real_estate_development",
    "property_management",
    "leasing_business_services",
    "other",
)


class UnknownIndustryCode(ValueError):
    """The code is not in GB/T 4754-2017."""


class OutOfScope(ValueError):
    """The code is valid but the rule set does not cover it (e.g. finance for SME size)."""


@dataclass(frozen=True, slots=True)
class Industry:
    """One node of GB/T 4754-2017."""

    code: str
    name: str
    level: Level
    section: str
    parent: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "section": self.section,
            "parent": self.parent,
        }


def _read(name: str) -> str:
    return resources.files("techfin.codes").joinpath(f"data/{name}").read_text("utf-8")


@cache
def _yaml(name: str) -> dict[str, Any]:
    """Parsed once per process (callers only read it)."""
    data: dict[str, Any] = yaml.safe_load(_read(name))
    return data


@cache
def _table() -> dict[str, Industry]:
    rows = list(csv.DictReader(io.StringIO(_read("gbt4754_2017.csv"))))
    table: dict[str, Industry] = {}
    section = ""
    for row in rows:
        code, name = row["code"], row["name"]
        level = _LEVEL_BY_LENGTH[len(code)]
        if level == "section":
            section = code
            parent: str | None = None
        elif level == "division":
            parent = section
        elif level == "group":
            parent = code[:2]
        else:
            group = code[:3]
            if group not in table:
                # A group holding a single class (code xx0) shares the class's name.
                table[group] = Industry(group, name, "group", section, code[:2])
            parent = group
        table[code] = Industry(code, name, level, section, parent)
    return table


@cache
def _children() -> dict[str | None, list[str]]:
    result: dict[str | None, list[str]] = {}
    for item in _table().values():
        result.setdefault(item.parent, []).append(item.code)
    for codes in result.values():
        codes.sort()
    return result


def all_codes(level: Level | None = None) -> list[str]:
    """Every code (of one level when given), sorted."""
    return sorted(c for c, i in _table().items() if level is None or i.level == level)


def _normalise(code: str) -> tuple[str, list[str], str | None]:
    """Returns (normalised code, notes, error or None)."""
    text, notes = normalise_text(code, separators=" .-")
    if len(text) == 5 and text[0].isalpha() and text[1:].isdigit():
        # `C3973`: section letter + class, as many registry extracts write it.
        letter, rest = text[0], text[1:]
        item = _table().get(rest)
        if item is None:
            return text, notes, f"unknown class '{rest}' in GB/T 4754-2017"
        if item.section != letter:
            return (
                text,
                notes,
                f"section letter '{letter}' does not match class {rest}, which is in section"
                f" {item.section}",
            )
        notes.append(f"section letter '{letter}' prefix removed")
        text = rest
    elif 3 <= len(text) <= 4 and text[0].isalpha() and text[1:].isdigit():
        letter, rest = text[0], text[1:]
        item = _table().get(rest)
        if item is not None and item.section == letter:
            notes.append(f"section letter '{letter}' prefix removed")
            text = rest
    return text, notes, None


def lookup(code: str) -> Industry | None:
    """The industry for a section letter, division, group or class code; None if unknown."""
    text, _, error = _normalise(code)
    if error is not None:
        return None
    return _table().get(text)


def _require(code: str) -> Industry:
    item = lookup(code)
    if item is None:
        raise UnknownIndustryCode(f"'{code}' is not a GB/T 4754-2017 code")
    return item


def parent_chain(code: str) -> list[Industry]:
    """The code and its ancestors, section first: e.g. I → 65 → 651 → 6513."""
    item = _require(code)
    chain = [item]
    table = _table()
    while chain[-1].parent is not None:
        chain.append(table[chain[-1].parent])
    return list(reversed(chain))


def children(code: str | None = None) -> list[Industry]:
    """Direct children of a code; the 20 sections when `code` is None."""
    key = None if code is None else _require(code).code
    table = _table()
    return [table[c] for c in _children().get(key, [])]


def classes_under(code: str) -> list[str]:
    """All class codes (4 digits) at or below `code`."""
    item = _require(code)
    if item.level == "class":
        return [item.code]
    out: list[str] = []
    stack = [item.code]
    kids = _children()
    while stack:
        current = stack.pop()
        for child in kids.get(current, []):
            if len(child) == 4:
                out.append(child)
            else:
                stack.append(child)
    return sorted(out)


def validate(code: str) -> CodeCheck:
    """Check an industry code and explain it (level, name, parent chain)."""
    text, notes, error = _normalise(code)
    errors: list[str] = []
    parts: dict[str, str | int | None] = {}
    if error is not None:
        errors.append(error)
    elif not text:
        errors.append("empty code: expected a section letter or 2-4 digits")
    elif not ((len(text) == 1 and text.isalpha()) or (2 <= len(text) <= 4 and text.isdigit())):
        errors.append(
            f"'{text}' is not of the form of a GB/T 4754 code (a section letter A-T, or a"
            " 2-digit division, 3-digit group or 4-digit class)"
        )
    else:
        item = _table().get(text)
        if item is None:
            errors.append(f"'{text}' is not a code in GB/T 4754-2017")
        else:
            parts.update(level=item.level, name=item.name, section=item.section)
            for node in parent_chain(text):
                parts[node.level] = node.code
                parts[f"{node.level}_name"] = node.name
    return CodeCheck(
        kind="industry",
        input=code,
        normalised=text,
        valid=not errors,
        errors=errors,
        warnings=[],
        normalisations=notes,
        parts=parts,
        rule_version=str(_yaml("gbt4754_2017.yaml")["version"]),
    )


# ---------------------------------------------------------------------------------------------
# Mappings


@cache
def _sme() -> tuple[dict[str, str], dict[str, str]]:
    data = _yaml("sme_size_groups_2011.yaml")
    prefixes: dict[str, str] = {}
    for key, spec in data["groups"].items():
        for prefix in spec["codes"]:
            prefixes[str(prefix)] = key
    excluded = {str(k): str(v) for k, v in data["excluded"].items()}
    return prefixes, excluded


def _ancestors_first_specific(item: Industry) -> Iterator[str]:
    for node in reversed(parent_chain(item.code)):
        yield node.code


def sme_size_group(code: str) -> str:
    """The 2011 SME-size industry group key for a GB/T 4754-2017 code.

    One of `SME_SIZE_GROUPS` (agriculture, industry, …, other). Raises `UnknownIndustryCode`
    for a code not in the classification and `OutOfScope` for industries the notice does not
    cover (railway transport 53; finance J, which has its own 2015 rules). For a section or
    division that spans several groups (e.g. K real estate) the section-level answer is
    returned only when every class below agrees; otherwise `OutOfScope` says to give a finer
    code.
    """
    item = _require(code)
    prefixes, excluded = _sme()
    groups = {_sme_for_class(c, prefixes, excluded) for c in classes_under(item.code)}
    if len(groups) == 1:
        (group,) = groups
        if group.startswith("!"):
            raise OutOfScope(f"{item.code} {item.name}: {group[1:]}")
        return group
    raise OutOfScope(f"{item.code} {item.name} spans several SME-size groups; give a finer code")


def _sme_for_class(code: str, prefixes: dict[str, str], excluded: dict[str, str]) -> str:
    item = _table()[code]
    for key in _ancestors_first_specific(item):
        if key in excluded:
            return "!" + excluded[key]
        if key in prefixes:
            return prefixes[key]
    raise AssertionError(f"class {code} has no SME-size group")  # data file is complete


@cache
def _high_tech() -> dict[str, str]:
    data = _yaml("high_tech_manufacturing_2017.yaml")
    out: dict[str, str] = {}
    for spec in data["categories"].values():
        for cls in spec["classes"]:
            out[str(cls)] = str(spec["name"])
    return out


def high_tech_manufacturing(code: str) -> str | None:
    """The NBS 2017 high-tech manufacturing category name for a code, or None.

    For a group or division the category is returned only when every class below is in that
    same category (e.g. 397 电子器件制造 → 电子及通信设备制造业; 27 → 医药制造业).
    """
    item = _require(code)
    table = _high_tech()
    names = {table.get(c) for c in classes_under(item.code)}
    if len(names) == 1:
        return names.pop()
    return None


@dataclass(frozen=True, slots=True)
class StrategicMatch:
    """One strategic-emerging field a class draws on; `partial` when only some products count."""

    field: str
    name: str
    partial: bool


@cache
def _strategic() -> dict[str, list[StrategicMatch]]:
    data = _yaml("strategic_emerging_2018.yaml")
    out: dict[str, list[StrategicMatch]] = {}
    for key, spec in data["fields"].items():
        for raw in spec["classes"]:
            text = str(raw)
            partial = text.endswith("*")
            cls = text.rstrip("*")
            out.setdefault(cls, []).append(StrategicMatch(key, str(spec["name"]), partial))
    return out


def strategic_emerging_matches(code: str) -> list[StrategicMatch]:
    """Fields (with the partial flag) for a class code; for coarser codes, fields every class
    below shares, marked partial if any class is."""
    item = _require(code)
    table = _strategic()
    per_class = [table.get(c, []) for c in classes_under(item.code)]
    if not per_class:
        return []
    common = set.intersection(*({m.field for m in ms} for ms in per_class))
    result = []
    for field_key in sorted(common):
        matches = [m for ms in per_class for m in ms if m.field == field_key]
        result.append(StrategicMatch(field_key, matches[0].name, any(m.partial for m in matches)))
    return result


def strategic_emerging(code: str) -> list[str]:
    """Names of the NBS 2018 strategic emerging industry fields a code falls in (may be empty).

    APPROXIMATE (unconfirmed): see `data/strategic_emerging_2018.yaml`. Use
    `strategic_emerging_matches` to see whether only some products of the class count.
    """
    return [m.name for m in strategic_emerging_matches(code)]


def rule_versions() -> dict[str, str]:
    """Version of each data file behind this module, for an evaluation to record."""
    return {
        "gbt4754": str(_yaml("gbt4754_2017.yaml")["version"]),
        "sme_size_groups": str(_yaml("sme_size_groups_2011.yaml")["version"]),
        "high_tech_manufacturing": str(_yaml("high_tech_manufacturing_2017.yaml")["version"]),
        "strategic_emerging": str(_yaml("strategic_emerging_2018.yaml")["version"]),
    }
