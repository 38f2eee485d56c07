"""High-tech enterprise recognition (高新技术企业, 国科发火〔2016〕32号 and 工作指引〔2016〕195号).

`evaluate(...)` checks the eight conditions (each met / not met / unknown, with its reason) and
computes the innovation score (100 points) as exact parts plus an interval [min, max] for the
parts experts judge. The verdict is "passes", "fails" or "needs expert review": the score must
be ABOVE 70 (70 fails), so the score condition is met when min > 70, not met when max ≤ 70,
and unknown in between. Money in 万元 (`Decimal`), ratios as `Decimal` fractions; every
comparison is exact (`Fraction`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from .common import (
    Check,
    Notes,
    ScoreItem,
    assumed_absent,
    assumed_present,
    count,
    flag,
    jsonable,
    pct,
    ratio,
    series,
)
from .rules import RuleSet, frac, load

Verdict = Literal["passes", "fails", "needs expert review"]
EXPERT_ITEMS = (
    "ip_quantity",
    "ip_acquisition",
    "ip_standards",
    "conversion",
    "growth_net_assets",
    "growth_sales",
)


@dataclass(frozen=True, slots=True)
class HnteResult:
    """Outcome of `evaluate`.

    - `conditions`: the eight conditions, each `met` / `not met` / `unknown` with a reason;
    - `items`: every score item as an interval; `score_min` / `score_max` the total interval
      (the IP section capped at 30); `score_exact` the sum of the exact items and
      `score_judged` the [min, max] of the expert-judged ones (before the IP cap);
    - `verdict`: "passes" / "fails" / "needs expert review", explained by `reason`.
    """

    verdict: Verdict
    reason: str
    conditions: list[Check]
    items: list[ScoreItem]
    score_min: int
    score_max: int
    score_exact: int
    score_judged: tuple[int, int]
    assumptions: list[str]
    rule_version: str
    source: str
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def passes(self) -> bool:
        return self.verdict == "passes"

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": "hnte",
            "verdict": self.verdict,
            "reason": self.reason,
            "conditions": [c.to_dict() for c in self.conditions],
            "score": {
                "min": self.score_min,
                "max": self.score_max,
                "exact": self.score_exact,
                "judged": list(self.score_judged),
                "must_be_above": 70,
            },
            "items": [i.to_dict() for i in self.items],
            "assumptions": list(self.assumptions),
            "rule_version": self.rule_version,
            "source": self.source,
            "inputs": jsonable(self.inputs),
        }


def growth_rate(values: Sequence[Decimal]) -> Fraction | None:
    """g = ½(Y2/Y1 + Y3/Y2) − 1; Y1 = 0 → Y3/Y2 − 1; Y2 = 0 → None (the item scores 0).

    A negative Y1 or Y2 (negative net assets) also gives None: the ratio of a negative base
    does not measure growth (decision 0203)."""
    y1, y2, y3 = (Fraction(v) for v in values)
    if y2 <= 0 or y1 < 0:
        return None
    if y1 == 0:
        return y3 / y2 - 1
    return (y2 / y1 + y3 / y2) / 2 - 1


def _growth_band(g: Fraction | None, bands: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    if g is None:
        return bands[-1]
    for band in bands:
        if "at_least" in band and g >= frac(band["at_least"]):
            return band
        if "above" in band and g > frac(band["above"]):
            return band
        if "at_least" not in band and "above" not in band:
            return band
    raise ValueError("rule data: no catch-all growth band")


def _expert_item(
    key: str, label: str, value: int | str | None, bands: Mapping[str, Sequence[int]], top: int
) -> ScoreItem:
    if value is None:
        return ScoreItem(key, label, "?", 0, top, top, "expert-judged, not supplied", judged=True)
    param = {"ip_advancement": "tech_advancement", "ip_core_support": "core_support"}[key]
    if isinstance(value, str):
        band = value.strip().upper()
        if band not in bands:
            raise ValueError(f"{param}: expected points 0–{top} or a band {'/'.join(bands)}")
        lo, hi = bands[band]
        return ScoreItem(key, label, band, lo, hi, top, f"experts' band {band}", judged=True)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise ValueError(f"{param}: expected points 0–{top} or a band letter, got {value!r}")
    band = next((b for b, (lo, hi) in bands.items() if lo <= value <= hi), "?")
    return ScoreItem(key, label, band, value, value, top, "experts' points supplied", judged=True)


def _pin(item: ScoreItem, pins: Mapping[str, int]) -> ScoreItem:
    """Apply an expert's points within the band's range (outside it → ValueError)."""
    if item.key not in pins:
        return item
    p = pins[item.key]
    if isinstance(p, bool) or not isinstance(p, int) or not item.min <= p <= item.max:
        raise ValueError(
            f"expert_points[{item.key}]: {p!r} is outside band {item.band}'s range "
            f"[{item.min}, {item.max}]"
        )
    return ScoreItem(
        item.key,
        item.label,
        item.band,
        p,
        p,
        item.maximum,
        f"{item.reason}; experts set {p}",
        judged=True,
    )


def _score(
    rules: RuleSet,
    *,
    class1_ip: int,
    class2_ip: int,
    ip_acquisition: str | None,
    standards: bool | None,
    tech_advancement: int | str | None,
    core_support: int | str | None,
    conversions_3y: int,
    rd_management: int | None,
    net_assets: Sequence[Decimal],
    sales: Sequence[Decimal],
    pins: Mapping[str, int],
) -> list[ScoreItem]:
    inn = rules.data["innovation"]
    ip = inn["ip"]
    items: list[ScoreItem] = []
    items.append(
        _expert_item(
            "ip_advancement", "IP: technical advancement", tech_advancement, ip["expert_bands"], 8
        )
    )
    items.append(
        _expert_item(
            "ip_core_support", "IP: core-support role", core_support, ip["expert_bands"], 8
        )
    )
    q = ip["quantity"]
    if class1_ip >= q["class1"]["at_least"]:
        qb = q["class1"]
        why = f"{class1_ip} class-I IP"
    else:
        qb = next(b for b in q["class2"] if "at_least" not in b or class2_ip >= b["at_least"])
        why = f"no class-I IP, {class2_ip} class-II IP"
    lo, hi = qb["points"]
    items.append(
        ScoreItem(
            "ip_quantity",
            "IP: quantity",
            qb["band"],
            lo,
            hi,
            8,
            f"{why} → band {qb['band']}",
            judged=lo != hi,
        )
    )
    if class1_ip + class2_ip == 0:
        way = "none"
    elif ip_acquisition is None:
        raise ValueError(
            "ip_acquisition: required when the enterprise holds IP ('own' or 'transferred')"
        )
    elif ip_acquisition not in ("own", "transferred"):
        raise ValueError(f"ip_acquisition: expected 'own' or 'transferred', got {ip_acquisition!r}")
    else:
        way = ip_acquisition
    ab = ip["acquisition"][way]
    lo, hi = ab["points"]
    items.append(
        ScoreItem(
            "ip_acquisition",
            "IP: how acquired",
            ab["band"],
            lo,
            hi,
            6,
            f"acquisition: {way}",
            judged=lo != hi,
        )
    )
    if standards is None:
        lo, hi = 0, ip["standards"]["took_part"][1]
        items.append(
            ScoreItem(
                "ip_standards",
                "IP: standards bonus",
                "?",
                lo,
                hi,
                2,
                "participation in standards not supplied",
                judged=True,
            )
        )
    else:
        lo, hi = ip["standards"]["took_part" if standards else "did_not"]
        items.append(
            ScoreItem(
                "ip_standards",
                "IP: standards bonus",
                "A" if standards else "B",
                lo,
                hi,
                2,
                "took part in drafting standards" if standards else "no standards work",
                judged=lo != hi,
            )
        )
    conv = inn["conversion"]
    years = int(conv["years"])
    cb = next(
        b for b in conv["bands"] if "at_least" not in b or conversions_3y >= b["at_least"] * years
    )
    lo, hi = cb["points"]
    avg = Fraction(conversions_3y, years)
    items.append(
        ScoreItem(
            "conversion",
            "conversion of results",
            cb["band"],
            lo,
            hi,
            30,
            f"{conversions_3y} conversions in {years} years, yearly average "
            f"{float(avg):.4g} → band {cb['band']}",
            judged=lo != hi,
        )
    )
    if rd_management is None:
        items.append(
            ScoreItem(
                "rd_management",
                "R&D organisation and management",
                "?",
                0,
                20,
                20,
                "expert-judged, not supplied",
                judged=True,
            )
        )
    else:
        if (
            isinstance(rd_management, bool)
            or not isinstance(rd_management, int)
            or not (0 <= rd_management <= 20)
        ):
            raise ValueError(f"rd_management: expected points 0–20, got {rd_management!r}")
        items.append(
            ScoreItem(
                "rd_management",
                "R&D organisation and management",
                "-",
                rd_management,
                rd_management,
                20,
                "experts' points supplied",
                judged=True,
            )
        )
    gr = inn["growth"]
    for key, label, vals in (
        ("growth_net_assets", "growth: net assets", net_assets),
        ("growth_sales", "growth: sales", sales),
    ):
        g = growth_rate(vals)
        gb = _growth_band(g, gr["bands"])
        lo, hi = gb["points"]
        if g is None:
            why = "Y2 ≤ 0 or Y1 < 0: the item scores 0"
        else:
            why = f"g = {pct(g)} → band {gb['band']}"
        items.append(ScoreItem(key, label, gb["band"], lo, hi, 10, why, judged=lo != hi))
    unknown = set(pins) - set(EXPERT_ITEMS)
    if unknown:
        raise ValueError(f"expert_points: unknown items {sorted(unknown)} (known: {EXPERT_ITEMS})")
    return [_pin(i, pins) for i in items]


def evaluate(
    *,
    tech_staff_ratio: Decimal | int | str | None = None,
    rd_expenses: Sequence[Decimal | int | str] | None = None,
    sales: Sequence[Decimal | int | str] | None = None,
    high_tech_revenue_ratio: Decimal | int | str | None = None,
    class1_ip: int | None = None,
    class2_ip: int | None = None,
    ip_acquisition: str | None = None,
    conversions_3y: int | None = None,
    net_assets: Sequence[Decimal | int | str] | None = None,
    standards: bool | None = None,
    tech_advancement: int | str | None = None,
    core_support: int | str | None = None,
    rd_management: int | None = None,
    expert_points: Mapping[str, int] | None = None,
    domestic_rd_share: Decimal | int | str | None = None,
    registered_on: dt.date | None = None,
    owns_core_ip: bool | None = None,
    in_supported_field: bool | None = None,
    major_incident: bool | None = None,
    as_of: dt.date | None = None,
) -> HnteResult:
    """Evaluate an enterprise against the high-tech enterprise criteria.

    Required (missing → `ValueError` naming it): `tech_staff_ratio` (tech staff ÷ staff),
    `rd_expenses` and `sales` (the last 3 years in 万元, oldest first; zeros for years before
    the enterprise existed), `high_tech_revenue_ratio` (high-tech product/service revenue ÷
    total revenue, last year), `class1_ip`, `class2_ip`, `ip_acquisition` ('own' when any IP
    comes from own R&D, 'transferred' when all was bought/transferred/donated; needed only when
    IP is held), `conversions_3y` (conversions of results over 3 years) and `net_assets`
    (3 year-end amounts in 万元, oldest first; may be negative).

    Expert-judged, optional (absent → the full range enters the interval): `tech_advancement`
    and `core_support` (points 0–8 or band 'A'–'E'), `rd_management` (0–20), `standards`
    (took part in drafting standards), and `expert_points` pinning the points experts gave
    within a band for any of `ip_quantity`, `ip_acquisition`, `ip_standards`, `conversion`,
    `growth_net_assets`, `growth_sales` (outside the band → `ValueError`).

    Eligibility and negative conditions, assumed met when not supplied (listed in
    `assumptions`): `registered_on` (with `as_of`: at least one year before), `owns_core_ip`
    (otherwise derived from the IP counts), `in_supported_field` (国家重点支持的高新技术领域),
    `domestic_rd_share` (≥ 60 %), `major_incident` (True when one happened in the past year).
    """
    rules = load("hnte", as_of)
    cond = rules.data["conditions"]
    tsr = ratio("tech_staff_ratio", tech_staff_ratio)
    rd = series("rd_expenses", rd_expenses, 3)
    sal = series("sales", sales, 3)
    htr = ratio("high_tech_revenue_ratio", high_tech_revenue_ratio)
    ip1 = count("class1_ip", class1_ip)
    ip2 = count("class2_ip", class2_ip)
    conv = count("conversions_3y", conversions_3y)
    na = series("net_assets", net_assets, 3, signed=True)
    dom = ratio("domestic_rd_share", domestic_rd_share, required=False)
    assert ip1 is not None and ip2 is not None and conv is not None
    notes = Notes()

    items = _score(
        rules,
        class1_ip=ip1,
        class2_ip=ip2,
        ip_acquisition=ip_acquisition,
        standards=flag("standards", standards),
        tech_advancement=tech_advancement,
        core_support=core_support,
        conversions_3y=conv,
        rd_management=rd_management,
        net_assets=na,
        sales=sal,
        pins=dict(expert_points or {}),
    )
    ip_cap = int(rules.data["innovation"]["ip"]["maximum"])
    ip_items = [i for i in items if i.key.startswith("ip_")]
    other = [i for i in items if not i.key.startswith("ip_")]
    score_min = min(ip_cap, sum(i.min for i in ip_items)) + sum(i.min for i in other)
    score_max = min(ip_cap, sum(i.max for i in ip_items)) + sum(i.max for i in other)
    exact = sum(i.min for i in items if i.exact)
    judged = (sum(i.min for i in items if not i.exact), sum(i.max for i in items if not i.exact))

    checks: list[Check] = []
    # 1. registered at least one year
    if registered_on is None:
        checks.append(
            assumed_present(notes, "registered_one_year", "registered at least one year", None)
        )
    else:
        if as_of is None:
            raise ValueError("as_of: required to check registered_on (registered ≥ 1 year)")
        years = int(cond["registered_years_at_least"])
        try:
            anniversary = registered_on.replace(year=registered_on.year + years)
        except ValueError:  # 29 February
            anniversary = dt.date(registered_on.year + years, 3, 1)
        ok = anniversary <= as_of
        checks.append(
            Check(
                "registered_one_year",
                "registered at least one year",
                "met" if ok else "not met",
                f"registered {registered_on.isoformat()}, {years}-year anniversary "
                f"{anniversary.isoformat()} {'≤' if ok else '>'} {as_of.isoformat()}",
            )
        )
    # 2. core IP
    if owns_core_ip is None:
        if ip1 + ip2 > 0:
            checks.append(
                Check(
                    "core_ip",
                    "owns core IP",
                    "met",
                    f"holds {ip1} class-I and {ip2} class-II IP; their core role is "
                    "judged by experts (item ip_core_support)",
                )
            )
        else:
            checks.append(Check("core_ip", "owns core IP", "not met", "holds no IP"))
    else:
        checks.append(
            Check(
                "core_ip",
                "owns core IP",
                "met" if owns_core_ip else "not met",
                "stated by the caller",
            )
        )
    # 3. supported field
    checks.append(
        assumed_present(
            notes,
            "supported_field",
            "technology in the state-supported high-tech fields",
            flag("in_supported_field", in_supported_field),
        )
    )
    # 4. tech staff
    need = frac(cond["tech_staff_ratio_at_least"])
    ok = Fraction(tsr) >= need
    checks.append(
        Check(
            "tech_staff",
            "tech staff ≥ 10 % of staff",
            "met" if ok else "not met",
            f"{pct(tsr)} {'≥' if ok else '<'} {pct(need)}",
        )
    )
    # 5. R&D intensity (+ domestic share)
    total_sales = sum(sal, Decimal(0))
    total_rd = sum(rd, Decimal(0))
    last = sal[-1]
    tier = next(
        t for t in cond["rd_intensity"] if "sales_at_most" not in t or last <= t["sales_at_most"]
    )
    tier_need = frac(tier["at_least"])
    tier_text = (
        f"last year's sales {last} 万元 ≤ {tier['sales_at_most']} 万元"
        if "sales_at_most" in tier
        else f"last year's sales {last} 万元 > 20000 万元"
    )
    if total_sales == 0:
        rd_status: Literal["met", "not met"] = "not met"
        rd_reason = "no sales in the last 3 years: the R&D ratio cannot be met"
    else:
        intensity = Fraction(total_rd) / Fraction(total_sales)
        ok = intensity >= tier_need
        rd_status = "met" if ok else "not met"
        rd_reason = (
            f"3-year R&D {total_rd} ÷ sales {total_sales} = {pct(intensity)} "
            f"{'≥' if ok else '<'} {pct(tier_need)} ({tier_text})"
        )
    dom_need = frac(cond["domestic_rd_share_at_least"])
    if dom is None:
        notes.assumptions.append("domestic_rd_share: not supplied, assumed ≥ 60 % of R&D in China")
        rd_reason += "; domestic R&D share assumed ≥ 60 %"
    elif Fraction(dom) < dom_need:
        rd_status = "not met"
        rd_reason += f"; domestic R&D share {pct(dom)} < {pct(dom_need)}"
    else:
        rd_reason += f"; domestic R&D share {pct(dom)} ≥ {pct(dom_need)}"
    checks.append(
        Check(
            "rd_intensity",
            "R&D ÷ sales by tier, domestic R&D ≥ 60 %",
            rd_status,
            rd_reason,
            assumed=dom is None,
        )
    )
    # 6. high-tech revenue
    need = frac(cond["high_tech_revenue_ratio_at_least"])
    ok = Fraction(htr) >= need
    checks.append(
        Check(
            "high_tech_revenue",
            "high-tech revenue ≥ 60 % of revenue",
            "met" if ok else "not met",
            f"{pct(htr)} {'≥' if ok else '<'} {pct(need)}",
        )
    )
    # 7. innovation score above 70
    bar = int(cond["innovation_score_above"])
    if score_min > bar:
        checks.append(
            Check(
                "innovation_score",
                "innovation score above 70",
                "met",
                f"score [{score_min}, {score_max}]: even the minimum is above {bar}",
            )
        )
    elif score_max <= bar:
        checks.append(
            Check(
                "innovation_score",
                "innovation score above 70",
                "not met",
                f"score [{score_min}, {score_max}]: even the maximum is not above "
                f"{bar} ({bar} fails)",
            )
        )
    else:
        checks.append(
            Check(
                "innovation_score",
                "innovation score above 70",
                "unknown",
                f"score [{score_min}, {score_max}] straddles {bar}: the expert-judged items decide",
            )
        )
    # 8. no major incident
    checks.append(
        assumed_absent(
            notes,
            "no_major_incident",
            "no major safety, quality or environmental incident in the prior year",
            flag("major_incident", major_incident),
        )
    )

    failed = [c.key for c in checks if c.status == "not met"]
    unknown = [c.key for c in checks if c.status == "unknown"]
    verdict: Verdict
    if failed:
        verdict = "fails"
        reason = "not met: " + ", ".join(failed)
    elif unknown:
        verdict = "needs expert review"
        reason = "undecided: " + ", ".join(unknown) + f" (score [{score_min}, {score_max}])"
    else:
        verdict = "passes"
        reason = f"all eight conditions met (score [{score_min}, {score_max}] above {bar})"
    return HnteResult(
        verdict=verdict,
        reason=reason,
        conditions=checks,
        items=items,
        score_min=score_min,
        score_max=score_max,
        score_exact=exact,
        score_judged=judged,
        assumptions=notes.assumptions,
        rule_version=rules.version,
        source=rules.source,
        inputs={
            "tech_staff_ratio": tsr,
            "rd_expenses": rd,
            "sales": sal,
            "high_tech_revenue_ratio": htr,
            "class1_ip": ip1,
            "class2_ip": ip2,
            "ip_acquisition": ip_acquisition,
            "conversions_3y": conv,
            "net_assets": na,
        },
    )
