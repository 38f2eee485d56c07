"""SME size classification (中小企业划型, 工信部联企业〔2011〕300号), all 16 industry groups.

`classify(industry, employees=..., revenue=..., assets=...)` returns large / medium / small /
micro with the reason. Units: persons and 万元 (`Decimal`). The thresholds are data
(`data/sme_size_2011.yaml`); see docs/recognition.md for the table and the semantics:
large only when every ceiling metric is reached (an SME is below either ceiling); medium and
small need all their lower bounds; micro when either falls short of small.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from .common import count, money
from .rules import RuleSet, load

Size = Literal["large", "medium", "small", "micro"]

METRIC_LABELS = {
    "employees": "从业人员 employees",
    "revenue": "营业收入 revenue (万元)",
    "assets": "资产总额 total assets (万元)",
}

_CODE = re.compile(r"^[A-Ta-t]?\d{2,4}$|^[A-Ta-t]$")


@dataclass(frozen=True, slots=True)
class SizeResult:
    """Outcome of `classify`: `size`, whether an SME, the reason and the rule version."""

    industry: str
    industry_name: str
    size: Size
    is_sme: bool
    reason: str
    inputs: dict[str, int | Decimal]
    rule_version: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "industry": self.industry,
            "industry_name": self.industry_name,
            "size": self.size,
            "is_sme": self.is_sme,
            "reason": self.reason,
            "inputs": {
                k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.inputs.items()
            },
            "rule_version": self.rule_version,
            "source": self.source,
        }


def groups(rules: RuleSet | None = None) -> dict[str, dict[str, Any]]:
    """The 16 industry groups by English key, with Chinese name and thresholds."""
    data: dict[str, dict[str, Any]] = (rules or load("sme_size")).data["groups"]
    return data


def resolve_industry(industry: str, rules: RuleSet | None = None) -> str:
    """The English group key for a Chinese group name, English key or GB/T 4754 code."""
    if not isinstance(industry, str) or not industry.strip():
        raise ValueError("industry: expected a group name, English key or GB/T 4754 code")
    text = industry.strip()
    table = groups(rules)
    if text in table:
        return text
    for key, group in table.items():
        if text == group["name"] or text in group.get("aliases", []):
            return key
    if _CODE.match(text):
        try:
            from techfin.codes.industry import sme_size_group
        except ImportError as exc:  # pragma: no cover - depends on the codes package
            raise ValueError(
                f"industry: {text!r} looks like a GB/T 4754 code but the code table "
                "(techfin.codes.industry) is not available"
            ) from exc
        key = str(sme_size_group(text.upper()))
        if key not in table:
            raise ValueError(f"industry: code {text!r} maps to unknown group {key!r}")
        return key
    raise ValueError(
        f"industry: unknown industry {industry!r} (use one of the 16 group names, their "
        "English keys, or a GB/T 4754 code)"
    )


def _fmt(value: int | Decimal) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def classify(
    industry: str,
    *,
    employees: int | None = None,
    revenue: Decimal | int | str | None = None,
    assets: Decimal | int | str | None = None,
    as_of: dt.date | None = None,
) -> SizeResult:
    """Classify an enterprise as large / medium / small / micro.

    `industry`: a group name of the notice (e.g. 工业), its English key (e.g. `industry`) or a
    GB/T 4754 code (mapped with `techfin.codes.industry.sme_size_group`). `employees` in
    persons, `revenue` (营业收入) and `assets` (资产总额) in 万元. Only the metrics the group's
    thresholds use are needed; a missing one raises `ValueError` naming it.
    """
    rules = load("sme_size", as_of)
    key = resolve_industry(industry, rules)
    group = groups(rules)[key]
    supplied: dict[str, int | Decimal | None] = {
        "employees": count("employees", employees, required=False),
        "revenue": money("revenue", revenue, required=False),
        "assets": money("assets", assets, required=False),
    }
    needed = sorted(
        set(group["sme_ceiling"]) | set(group["medium"]) | set(group["small"]),
        key=list(METRIC_LABELS).index,
    )
    values: dict[str, int | Decimal] = {}
    for metric in needed:
        v = supplied[metric]
        if v is None:
            raise ValueError(f"{metric}: required for the {group['name']} ({key}) thresholds")
        values[metric] = v

    def reaches(bounds: dict[str, Any]) -> bool:
        return all(values[m] >= Decimal(str(t)) for m, t in bounds.items())

    def describe(bounds: dict[str, Any], joiner: str) -> str:
        return joiner.join(f"{m} ≥ {t}" for m, t in bounds.items())

    shown = ", ".join(f"{m} {_fmt(v)}" for m, v in values.items())
    name = group["name"]
    size: Size
    if reaches(group["sme_ceiling"]):
        size = "large"
        reason = (
            f"{name}: {shown} reaches every SME ceiling ({describe(group['sme_ceiling'], ' and ')})"
        )
    elif reaches(group["medium"]):
        size = "medium"
        meets = describe(group["medium"], " and ")
        reason = f"{name}: {shown} is below an SME ceiling and meets {meets}"
    elif reaches(group["small"]):
        size = "small"
        reason = (
            f"{name}: {shown} is below the medium bounds ({describe(group['medium'], ' and ')}) "
            f"and meets {describe(group['small'], ' and ')}"
        )
    else:
        size = "micro"
        reason = f"{name}: {shown} falls short of small ({describe(group['small'], ' and ')})"
    return SizeResult(
        industry=key,
        industry_name=name,
        size=size,
        is_sme=size != "large",
        reason=reason,
        inputs=values,
        rule_version=rules.version,
        source=rules.source,
    )
