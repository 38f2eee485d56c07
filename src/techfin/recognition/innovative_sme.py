"""Innovative SME evaluation (创新型中小企业, MIIT 2022 附件1, still in use).

Six items in three sections: innovation (core IP 20, R&D ÷ revenue 20), growth (main revenue
growth 20, debt ratio 10), specialisation (strategic emerging field 10/5, main-business share
20). Pass: total ≥ 60 with innovation ≥ 20, growth ≥ 15 and specialisation ≥ 15, or a direct
path; eligibility (an SME registered in China, not on the abnormal/dishonesty lists, no
prohibited products, no major incident or tax offence in 3 years) applies either way. A
boundary value belongs to the higher-scoring band. Money in 万元, ratios as Decimal fractions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .common import (
    Check,
    Notes,
    assumed_absent,
    assumed_present,
    band_at_least,
    band_at_most,
    count,
    flag,
    ip_band,
    money,
    pct,
    ratio,
    signed_ratio,
)
from .rules import load


@dataclass(frozen=True, slots=True)
class InnovativeSmeResult:
    """Outcome of `evaluate`: parts by item and section, pass/fail with reasons."""

    passed: bool
    total: int
    parts: dict[str, int]
    sections: dict[str, int]
    reasons: list[str]
    direct_qualification: str | None
    eligible: bool
    eligibility: list[Check]
    assumptions: list[str]
    rule_version: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": "innovative_sme",
            "passed": self.passed,
            "total": self.total,
            "parts": dict(self.parts),
            "sections": dict(self.sections),
            "reasons": list(self.reasons),
            "direct_qualification": self.direct_qualification,
            "eligible": self.eligible,
            "eligibility": [c.to_dict() for c in self.eligibility],
            "assumptions": list(self.assumptions),
            "rule_version": self.rule_version,
            "source": self.source,
        }


def evaluate(
    *,
    high_value_ip: int | None = None,
    class1_ip_own: int | None = None,
    class1_ip: int | None = None,
    class2_ip: int | None = None,
    rd_to_revenue: Decimal | int | str | None = None,
    revenue_growth: Decimal | int | str | None = None,
    debt_ratio: Decimal | int | str | None = None,
    strategic_emerging: bool | None = None,
    main_business_share: Decimal | int | str | None = None,
    science_award: bool | None = None,
    honours: bool | None = None,
    rd_institution: bool | None = None,
    equity_raised_3y: Decimal | int | str | None = None,
    is_sme: bool | None = None,
    abnormal_or_dishonest: bool | None = None,
    prohibited_products: bool | None = None,
    major_incident: bool | None = None,
    as_of: dt.date | None = None,
) -> InnovativeSmeResult:
    """Evaluate an enterprise against the innovative-SME table.

    Scored inputs (required; missing → `ValueError`): `high_value_ip`, `class1_ip_own`,
    `class1_ip` (all class-I, including the first two), `class2_ip` (counts of valid IP related
    to the main products); `rd_to_revenue`, `revenue_growth` (main-business revenue growth,
    may be negative), `debt_ratio`, `main_business_share` (Decimal fractions);
    `strategic_emerging` (main products in the NBS 2018 strategic emerging industries).

    Direct paths (default: not claimed): `science_award`, `honours`, `rd_institution`,
    `equity_raised_3y` (万元). Eligibility and negative conditions, assumed met when not
    supplied (listed in `assumptions`): `is_sme`, `abnormal_or_dishonest`,
    `prohibited_products`, `major_incident` (True when the bad thing applies).
    """
    rules = load("innovative_sme", as_of)
    d = rules.data
    hv = count("high_value_ip", high_value_ip)
    own = count("class1_ip_own", class1_ip_own)
    c1 = count("class1_ip", class1_ip)
    c2 = count("class2_ip", class2_ip)
    rd = ratio("rd_to_revenue", rd_to_revenue, at_most_one=False)
    growth = signed_ratio("revenue_growth", revenue_growth)
    debt = ratio("debt_ratio", debt_ratio, at_most_one=False)
    se = flag("strategic_emerging", strategic_emerging)
    if se is None:
        raise ValueError(
            "strategic_emerging: required (true when the main products are in a "
            "strategic emerging industry)"
        )
    share = ratio("main_business_share", main_business_share)
    equity = money("equity_raised_3y", equity_raised_3y, required=False)
    assert hv is not None and own is not None and c1 is not None and c2 is not None
    notes = Notes()
    reasons: list[str] = []

    _, ip_pts, ip_why = ip_band(
        d["core_ip"], high_value_ip=hv, class1_ip_own=own, class1_ip=c1, class2_ip=c2
    )
    reasons.append(f"core IP: {ip_why} → {ip_pts}")
    b = band_at_least(rd, d["rd_to_revenue"])
    rd_pts = int(b["points"])
    reasons.append(f"R&D ÷ revenue {pct(rd)} → band {b['band']}, {rd_pts}")
    b = band_at_least(growth, d["revenue_growth"])
    g_pts = int(b["points"])
    reasons.append(f"main revenue growth {pct(growth)} → band {b['band']}, {g_pts}")
    b = band_at_most(debt, d["debt_ratio"])
    debt_pts = int(b["points"])
    reasons.append(f"debt ratio {pct(debt)} → band {b['band']}, {debt_pts}")
    field_pts = int(d["field"]["strategic_emerging" if se else "other"])
    reasons.append(f"field: {'strategic emerging' if se else 'other'} → {field_pts}")
    b = band_at_least(share, d["main_business_share"])
    share_pts = int(b["points"])
    reasons.append(f"main-business share {pct(share)} → band {b['band']}, {share_pts}")
    parts = {
        "core_ip": ip_pts,
        "rd": rd_pts,
        "revenue_growth": g_pts,
        "debt_ratio": debt_pts,
        "field": field_pts,
        "main_business_share": share_pts,
    }
    sections = {
        "innovation": ip_pts + rd_pts,
        "growth": g_pts + debt_pts,
        "specialisation": field_pts + share_pts,
    }
    total = sum(parts.values())
    p = d["pass"]
    short = [
        name
        for name, got, need in (
            ("innovation", sections["innovation"], p["innovation_at_least"]),
            ("growth", sections["growth"], p["growth_at_least"]),
            ("specialisation", sections["specialisation"], p["specialisation_at_least"]),
        )
        if got < need
    ]
    score_pass = total >= p["total_at_least"] and not short
    if score_pass:
        reasons.append(f"total {total} ≥ 60 and every section at its minimum: the score passes")
    else:
        why = [f"total {total} < 60"] if total < p["total_at_least"] else []
        why += [f"{s} {sections[s]} below its minimum" for s in short]
        reasons.append("the score fails: " + "; ".join(why))

    direct: str | None = None
    dq = d["direct_qualification"]
    for key, value in (
        ("science_award", science_award),
        ("honours", honours),
        ("rd_institution", rd_institution),
    ):
        if flag(key, value):
            direct = key
            reasons.append(f"direct path: {dq[key]}")
            break
    if direct is None and equity is not None and equity >= dq["equity_raised_3y_at_least"]:
        direct = "equity_raised_3y"
        reasons.append(f"direct path: equity raised in 3 years {equity} ≥ 500 万元")

    checks = [
        assumed_present(
            notes,
            "is_sme",
            "an SME registered in China (2011 size standard)",
            flag("is_sme", is_sme),
        ),
        assumed_absent(
            notes,
            "abnormal_or_dishonest",
            "not on the abnormal-operation or serious-dishonesty lists",
            flag("abnormal_or_dishonest", abnormal_or_dishonest),
        ),
        assumed_absent(
            notes,
            "prohibited_products",
            "no prohibited, restricted or obsolete products",
            flag("prohibited_products", prohibited_products),
        ),
        assumed_absent(
            notes,
            "major_incident",
            "no major safety, quality or pollution incident or tax offence in 3 years",
            flag("major_incident", major_incident),
        ),
    ]
    eligible = all(c.met for c in checks)
    if not eligible:
        reasons.append("not eligible: " + ", ".join(c.key for c in checks if not c.met))
    return InnovativeSmeResult(
        passed=eligible and (score_pass or direct is not None),
        total=total,
        parts=parts,
        sections=sections,
        reasons=reasons,
        direct_qualification=direct,
        eligible=eligible,
        eligibility=checks,
        assumptions=notes.assumptions,
        rule_version=rules.version,
        source=rules.source,
    )
