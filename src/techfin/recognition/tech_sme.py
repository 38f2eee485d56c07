"""Tech-based SME evaluation (科技型中小企业, 国科发政〔2017〕115号 and the 2022 工作指引).

`evaluate(...)` scores tech staff (20), R&D (50, the higher of R&D/sales and R&D/total cost)
and tech results (30); it passes at 60 or more with a non-zero tech-staff score, or through a
direct-qualification path; the size eligibility (≤ 500 staff, sales and total assets ≤ 2亿)
and the negative conditions apply either way. Money in 万元, ratios as Decimal fractions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .common import (
    Check,
    Notes,
    assumed_absent,
    assumed_present,
    band_at_least,
    count,
    flag,
    money,
    pct,
    ratio,
)
from .rules import load

NEGATIVE_CONDITIONS = {
    "prohibited_products": "no prohibited, restricted or obsolete products (禁止、限制、淘汰类)",
    "major_incident": "no major safety, quality or environmental incident in the past year",
    "misconduct": "no serious research misconduct or dishonesty record",
    "abnormal_operation": "not on the abnormal-operation list (经营异常名录)",
    "serious_dishonesty": "not on the serious-dishonesty list (严重违法失信名单)",
}


@dataclass(frozen=True, slots=True)
class TechSmeResult:
    """Outcome of `evaluate`: total score, parts, pass/fail, reasons, eligibility, assumptions."""

    passed: bool
    total: int
    parts: dict[str, int]
    reasons: list[str]
    direct_qualification: str | None
    eligible: bool
    eligibility: list[Check]
    assumptions: list[str]
    rule_version: str
    source: str
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": "tech_sme",
            "passed": self.passed,
            "total": self.total,
            "parts": dict(self.parts),
            "reasons": list(self.reasons),
            "direct_qualification": self.direct_qualification,
            "eligible": self.eligible,
            "eligibility": [c.to_dict() for c in self.eligibility],
            "assumptions": list(self.assumptions),
            "rule_version": self.rule_version,
            "source": self.source,
            "inputs": {
                k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.inputs.items()
            },
        }


def evaluate(
    *,
    employees: int | None = None,
    sales: Decimal | int | str | None = None,
    total_assets: Decimal | int | str | None = None,
    tech_staff_ratio: Decimal | int | str | None = None,
    rd_to_sales: Decimal | int | str | None = None,
    rd_to_cost: Decimal | int | str | None = None,
    class1_ip: int | None = None,
    class2_ip: int | None = None,
    hnte_certificate: bool | None = None,
    national_award: bool | None = None,
    provincial_rd_institution: bool | None = None,
    led_standard: bool | None = None,
    registered_in_china: bool | None = None,
    prohibited_products: bool | None = None,
    major_incident: bool | None = None,
    misconduct: bool | None = None,
    abnormal_operation: bool | None = None,
    serious_dishonesty: bool | None = None,
    as_of: dt.date | None = None,
) -> TechSmeResult:
    """Evaluate an enterprise against the tech-based SME criteria.

    Scored inputs (required; missing → `ValueError` naming it): `employees` (persons),
    `sales` and `total_assets` (万元), `tech_staff_ratio`, `rd_to_sales`, `rd_to_cost`
    (Decimal fractions), `class1_ip` and `class2_ip` (counts of valid IP: class I = invention
    patents, plant varieties, new drugs, first-grade protected TCM, IC layout designs;
    class II = utility models, designs, software copyrights).

    Direct-qualification flags (`hnte_certificate`, `national_award`,
    `provincial_rd_institution`, `led_standard`) default to not claimed. The eligibility and
    negative conditions (`registered_in_china`, and `prohibited_products`, `major_incident`,
    `misconduct`, `abnormal_operation`, `serious_dishonesty`: True when the bad thing
    happened) are assumed met when not supplied and listed in `assumptions`.
    """
    rules = load("tech_sme", as_of)
    d = rules.data
    staff = count("employees", employees)
    sales_ = money("sales", sales)
    assets_ = money("total_assets", total_assets)
    tsr = ratio("tech_staff_ratio", tech_staff_ratio)
    r_sales = ratio("rd_to_sales", rd_to_sales, at_most_one=False)
    r_cost = ratio("rd_to_cost", rd_to_cost)
    ip1 = count("class1_ip", class1_ip)
    ip2 = count("class2_ip", class2_ip)
    assert staff is not None and sales_ is not None and assets_ is not None
    assert ip1 is not None and ip2 is not None
    notes = Notes()

    elig = d["eligibility"]
    checks: list[Check] = []

    def ceiling(key: str, label: str, value: int | Decimal, limit: int, unit: str) -> Check:
        ok = value <= limit
        return Check(
            key,
            label,
            "met" if ok else "not met",
            f"{value} {unit} {'≤' if ok else '>'} {limit} {unit}",
        )

    checks.append(ceiling("employees", "staff ≤ 500", staff, elig["employees_at_most"], "persons"))
    checks.append(ceiling("sales", "sales ≤ 2亿", sales_, elig["sales_at_most"], "万元"))
    checks.append(
        ceiling("total_assets", "total assets ≤ 2亿", assets_, elig["total_assets_at_most"], "万元")
    )
    checks.append(
        assumed_present(
            notes,
            "registered_in_china",
            "a resident enterprise registered in China",
            flag("registered_in_china", registered_in_china),
        )
    )
    negatives = {
        "prohibited_products": prohibited_products,
        "major_incident": major_incident,
        "misconduct": misconduct,
        "abnormal_operation": abnormal_operation,
        "serious_dishonesty": serious_dishonesty,
    }
    for key, value in negatives.items():
        checks.append(assumed_absent(notes, key, NEGATIVE_CONDITIONS[key], flag(key, value)))
    eligible = all(c.met for c in checks)

    reasons: list[str] = []
    ts_band = band_at_least(tsr, d["tech_staff"]["bands"])
    ts_pts = int(ts_band["points"])
    reasons.append(f"tech staff {pct(tsr)} → band {ts_band['band']}, {ts_pts} points")
    s_band = band_at_least(r_sales, d["rd"]["to_sales"])
    c_band = band_at_least(r_cost, d["rd"]["to_cost"])
    rd_pts = max(int(s_band["points"]), int(c_band["points"]))
    reasons.append(
        f"R&D/sales {pct(r_sales)} → {s_band['points']}, R&D/total cost {pct(r_cost)} → "
        f"{c_band['points']}; the higher counts: {rd_pts} points"
    )
    if ip1 >= 1:
        res_pts = int(d["results"]["class1_points"])
        reasons.append(f"{ip1} class-I IP → band A, {res_pts} points")
    else:
        r_band = band_at_least(ip2, d["results"]["class2"])
        res_pts = int(r_band["points"])
        reasons.append(
            f"no class-I IP, {ip2} class-II IP → band {r_band['band']}, {res_pts} points"
        )
    parts = {"tech_staff": ts_pts, "rd": rd_pts, "results": res_pts}
    total = ts_pts + rd_pts + res_pts
    score_pass = total >= d["pass"]["total_at_least"] and ts_pts != 0
    if score_pass:
        reasons.append(f"total {total} ≥ 60 with a non-zero tech-staff score: the score passes")
    elif ts_pts == 0:
        reasons.append(f"total {total}: the tech-staff score is 0, so the score fails")
    else:
        reasons.append(f"total {total} < 60: the score fails")

    direct: str | None = None
    claims = {
        "hnte_certificate": hnte_certificate,
        "national_award": national_award,
        "provincial_rd_institution": provincial_rd_institution,
        "led_standard": led_standard,
    }
    for key, value in claims.items():
        if flag(key, value):
            direct = key
            reasons.append(f"direct qualification: {d['direct_qualification'][key]}")
            break
    if not eligible:
        failed = ", ".join(c.key for c in checks if not c.met)
        reasons.append(f"not eligible ({failed}): fails whatever the score")
    passed = eligible and (score_pass or direct is not None)
    return TechSmeResult(
        passed=passed,
        total=total,
        parts=parts,
        reasons=reasons,
        direct_qualification=direct,
        eligible=eligible,
        eligibility=checks,
        assumptions=notes.assumptions,
        rule_version=rules.version,
        source=rules.source,
        inputs={
            "employees": staff,
            "sales": sales_,
            "total_assets": assets_,
            "tech_staff_ratio": tsr,
            "rd_to_sales": r_sales,
            "rd_to_cost": r_cost,
            "class1_ip": ip1,
            "class2_ip": ip2,
        },
    )
