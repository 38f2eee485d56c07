"""专精特新 SME recognition (MIIT ladder), two rule versions chosen by `as_of`:

- `srdi-2022` (工信部企业〔2022〕63号 附件2, 2022-06-01 … 2026-03-31): four conditions (≥ 2 years
  in the niche; last year's R&D ≥ 100万 and ≥ 3 % of revenue; revenue ≥ 1000万 or ≥ 2000万
  equity raised in 2 years; the 100-point score ≥ 60 or a direct path). The score has
  specialisation 25, refinement 25, distinctiveness 15 (set by each province: an input, or the
  full [0, 15] range when absent) and innovation 35.
- `srdi-2026` (工信部企业〔2026〕2号, from 2026-04-01) — **unconfirmed**: the thresholds are
  configurable data (`data/srdi_2026.yaml`) with official-rules §6's values as defaults:
  innovative title, ≥ 3 years in the niche, revenue ≥ 1500万 (or ≥ 2000万 equity in 2 years),
  main business ≥ 80 %, debt ratio ≤ 80 %, R&D ≥ 100万 and ≥ 3 % in each of 2 years, ≥ 1
  class-I IP.

Money in 万元, ratios as Decimal fractions, yearly series oldest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from .common import (
    Check,
    Notes,
    ScoreItem,
    assumed_present,
    band_at_least,
    band_at_most,
    count,
    flag,
    ip_band,
    money,
    pct,
    ratio,
    series,
    signed_ratio,
)
from .rules import RuleSet, frac, load

Verdict = Literal["passes", "fails", "needs provincial review"]


@dataclass(frozen=True, slots=True)
class SrdiResult:
    """Outcome of `srdi.evaluate` (and `little_giant.evaluate`): conditions, the score
    interval where the version has a score, verdict and reasons."""

    title: str
    verdict: Verdict
    passed: bool
    conditions: list[Check]
    items: list[ScoreItem]
    score_min: int | None
    score_max: int | None
    reasons: list[str]
    assumptions: list[str]
    rule_version: str
    source: str
    confirmed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "verdict": self.verdict,
            "passed": self.passed,
            "conditions": [c.to_dict() for c in self.conditions],
            "items": [i.to_dict() for i in self.items],
            "score": None
            if self.score_min is None
            else {"min": self.score_min, "max": self.score_max},
            "reasons": list(self.reasons),
            "assumptions": list(self.assumptions),
            "rule_version": self.rule_version,
            "source": self.source,
            "confirmed": self.confirmed,
        }


def threshold(key: str, label: str, ok: bool, detail: str) -> Check:
    return Check(key, label, "met" if ok else "not met", detail)


def _ge(value: Decimal | int | Fraction, limit: Any) -> bool:
    return Fraction(value) >= frac(limit)


def _le(value: Decimal | int | Fraction, limit: Any) -> bool:
    return Fraction(value) <= frac(limit)


def _verdict(checks: list[Check]) -> tuple[Verdict, str]:
    failed = [c.key for c in checks if c.status == "not met"]
    unknown = [c.key for c in checks if c.status == "unknown"]
    if failed:
        return "fails", "not met: " + ", ".join(failed)
    if unknown:
        return "needs provincial review", "undecided: " + ", ".join(unknown)
    return "passes", "all conditions met"


def _each_year_rd(
    crit: dict[str, Any], rd: Sequence[Decimal], rev: Sequence[Decimal]
) -> tuple[bool, str]:
    amount = crit.get("rd_amount_each_year_at_least", 0)
    need = frac(crit["rd_to_revenue_each_year_at_least"])
    parts: list[str] = []
    ok = True
    for i, (r, v) in enumerate(zip(rd, rev, strict=True)):
        year_ok = r >= amount and v > 0 and Fraction(r) / Fraction(v) >= need
        ok = ok and year_ok
        share = pct(Fraction(r) / Fraction(v)) if v > 0 else "n/a (no revenue)"
        parts.append(f"Y{i + 1}: R&D {r} 万元, {share}")
    return ok, "; ".join(parts)


def _evaluate_2026(rules: RuleSet, notes: Notes, inp: dict[str, Any]) -> list[Check]:
    c = rules.data["criteria"]
    rev: list[Decimal] = inp["revenues"]
    checks = [
        assumed_present(
            notes, "innovative_title", "holds the innovative-SME title", inp["is_innovative_sme"]
        ),
    ]
    niche = inp["niche_years"]
    checks.append(
        threshold(
            "niche_years",
            "≥ 3 years in its niche",
            niche >= c["niche_years_at_least"],
            f"{niche} years (needs {c['niche_years_at_least']})",
        )
    )
    eq = inp["equity_raised_2y"] or Decimal(0)
    ok = rev[-1] >= c["revenue_at_least"] or eq >= c["equity_raised_2y_at_least"]
    checks.append(
        threshold(
            "revenue",
            "revenue ≥ 1500万 or ≥ 2000万 equity in 2 years",
            ok,
            f"revenue {rev[-1]} 万元, equity raised in 2 years {eq} 万元",
        )
    )
    share = inp["main_business_share"]
    checks.append(
        threshold(
            "main_business_share",
            "main business ≥ 80 %",
            _ge(share, c["main_business_share_at_least"]),
            pct(share),
        )
    )
    debt = inp["debt_ratio"]
    checks.append(
        threshold("debt_ratio", "debt ratio ≤ 80 %", _le(debt, c["debt_ratio_at_most"]), pct(debt))
    )
    ok, why = _each_year_rd(c, inp["rd_expenses"], rev)
    checks.append(threshold("rd", "R&D ≥ 100万 and ≥ 3 % in each of 2 years", ok, why))
    c1 = inp["class1_ip"]
    checks.append(
        threshold("class1_ip", "≥ 1 class-I IP", c1 >= c["class1_ip_at_least"], f"{c1} class-I IP")
    )
    return checks


def _score_2022(rules: RuleSet, inp: dict[str, Any]) -> list[ScoreItem]:
    it = rules.data["items"]
    items: list[ScoreItem] = []

    def add(key: str, label: str, pts: int, top: int, why: str) -> None:
        items.append(ScoreItem(key, label, "-", pts, pts, top, why))

    share = inp["main_business_share"]
    add(
        "main_business_share",
        "专: main-business share",
        int(band_at_least(share, it["main_business_share"])["points"]),
        5,
        pct(share),
    )
    g = inp["main_revenue_growth_2y"]
    add(
        "main_revenue_growth_2y",
        "专: 2-year average main revenue growth",
        int(band_at_least(g, it["main_revenue_growth_2y"])["points"]),
        10,
        pct(g),
    )
    ny = it["niche_years"]
    years = inp["niche_years"]
    add(
        "niche_years",
        "专: years in the niche",
        min(ny["maximum"], years // ny["per_years"]),
        5,
        f"{years} years, 1 point per full {ny['per_years']} years",
    )
    kf = inp["key_field"]
    fields = it["key_field"]
    if kf not in fields:
        raise ValueError(f"key_field: expected one of {sorted(fields)}, got {kf!r}")
    add("key_field", "专: field of the main products", int(fields[kf]), 5, kf)
    level = inp["digital_level"]
    dl = it["digital_level"]
    add(
        "digital_level",
        "精: digital level",
        int(dl[str(min(level, 3))]) if level >= 1 else 0,
        5,
        f"level {level}",
    )
    q = it["quality"]
    add(
        "quality",
        "精: quality management",
        min(q["maximum"], q["per_item"] * inp["quality_items"]),
        5,
        f"{inp['quality_items']} of 4 items",
    )
    nm = inp["net_margin"]
    add(
        "net_margin",
        "精: net margin",
        int(band_at_least(nm, it["net_margin"])["points"]),
        10,
        pct(nm),
    )
    debt = inp["debt_ratio"]
    add(
        "debt_ratio",
        "精: debt ratio",
        int(band_at_most(debt, it["debt_ratio"])["points"]),
        5,
        pct(debt),
    )
    dist = inp["distinctiveness"]
    top = int(it["distinctiveness"]["maximum"])
    if dist is None:
        items.append(
            ScoreItem(
                "distinctiveness",
                "特: provincial distinctiveness",
                "?",
                0,
                top,
                top,
                "set by the province, not supplied",
                judged=True,
            )
        )
    else:
        if not 0 <= dist <= top:
            raise ValueError(f"distinctiveness: expected points 0–{top}, got {dist}")
        items.append(
            ScoreItem(
                "distinctiveness",
                "特: provincial distinctiveness",
                "-",
                dist,
                dist,
                top,
                "supplied by the province",
                judged=True,
            )
        )
    _, ip_pts, ip_why = ip_band(
        it["core_ip"],
        high_value_ip=inp["high_value_ip"],
        class1_ip_own=inp["class1_ip_own"],
        class1_ip=inp["class1_ip"],
        class2_ip=inp["class2_ip"],
    )
    add("core_ip", "新: core IP", ip_pts, 10, ip_why)
    rd_last, rev_last = inp["rd_expenses"][-1], inp["revenues"][-1]
    share_rd = Fraction(rd_last) / Fraction(rev_last) if rev_last > 0 else Fraction(0)
    rd_pts = 0
    for band in it["rd"]:
        if "amount_at_least" not in band:
            rd_pts = int(band["points"])
            break
        if rd_last >= band["amount_at_least"] or share_rd >= frac(band["ratio_at_least"]):
            rd_pts = int(band["points"])
            break
    add(
        "rd",
        "新: R&D (amount or share of revenue)",
        rd_pts,
        15,
        f"last year's R&D {rd_last} 万元, {pct(share_rd)} of revenue",
    )
    rs = inp["rd_staff_ratio"]
    add(
        "rd_staff_ratio",
        "新: R&D staff share",
        int(band_at_least(rs, it["rd_staff_ratio"])["points"]),
        5,
        pct(rs),
    )
    inst = inp["rd_institution"]
    if inst not in it["rd_institution"]:
        raise ValueError(f"rd_institution: expected one of {sorted(it['rd_institution'])}")
    add("rd_institution", "新: R&D institution level", int(it["rd_institution"][inst]), 10, inst)
    return items


def evaluate(
    *,
    niche_years: int | None = None,
    revenues: Sequence[Decimal | int | str] | None = None,
    rd_expenses: Sequence[Decimal | int | str] | None = None,
    main_business_share: Decimal | int | str | None = None,
    debt_ratio: Decimal | int | str | None = None,
    high_value_ip: int | None = None,
    class1_ip_own: int | None = None,
    class1_ip: int | None = None,
    class2_ip: int | None = None,
    equity_raised_2y: Decimal | int | str | None = None,
    main_revenue_growth_2y: Decimal | int | str | None = None,
    key_field: str | bool | None = None,
    digital_level: int | None = None,
    quality_items: int | None = None,
    net_margin: Decimal | int | str | None = None,
    distinctiveness: int | None = None,
    rd_staff_ratio: Decimal | int | str | None = None,
    rd_institution: str | None = None,
    science_award: bool | None = None,
    maker_china_top500: bool | None = None,
    is_innovative_sme: bool | None = None,
    as_of: dt.date | None = None,
) -> SrdiResult:
    """Evaluate against the 专精特新 version in force on `as_of` (newest when None).

    Both versions (required): `niche_years`, `revenues` and `rd_expenses` (last 2 years in
    万元, oldest first), `main_business_share`, `debt_ratio`, and the IP counts
    (`high_value_ip`, `class1_ip_own`, `class1_ip`, `class2_ip`; 2026 uses `class1_ip`).
    `equity_raised_2y` (万元) is an alternative to the revenue threshold (absent = 0).
    `is_innovative_sme` is assumed when not supplied (listed in `assumptions`).

    2022 score inputs (required for that version): `main_revenue_growth_2y` (average, may be
    negative), `key_field` ('key' = 补短板/锻长板/填空白 in key chains, 'six_bases' = 工业六基 /
    老字号 / serves a chain leader, 'other'; True/False mean 'key'/'other'), `digital_level`
    (1, 2, 3+), `quality_items` (0–4), `net_margin`,
    `rd_staff_ratio`, `rd_institution` (national/provincial/municipal/below_municipal/none);
    `distinctiveness` (0–15, provincial; absent → [0, 15] and possibly "needs provincial
    review"). Direct paths: `science_award`, `maker_china_top500`, 2-year average R&D ≥ 1000万,
    equity ≥ 6000万 in 2 years.
    """
    rules = load("srdi", as_of)
    notes = Notes()
    inp: dict[str, Any] = {
        "niche_years": count("niche_years", niche_years),
        "revenues": series("revenues", revenues, 2),
        "rd_expenses": series("rd_expenses", rd_expenses, 2),
        "main_business_share": ratio("main_business_share", main_business_share),
        "debt_ratio": ratio("debt_ratio", debt_ratio, at_most_one=False),
        "high_value_ip": count("high_value_ip", high_value_ip),
        "class1_ip_own": count("class1_ip_own", class1_ip_own),
        "class1_ip": count("class1_ip", class1_ip),
        "class2_ip": count("class2_ip", class2_ip),
        "equity_raised_2y": money("equity_raised_2y", equity_raised_2y, required=False),
        "is_innovative_sme": flag("is_innovative_sme", is_innovative_sme),
    }
    reasons: list[str] = []
    items: list[ScoreItem] = []
    smin: int | None = None
    smax: int | None = None
    if rules.version == "srdi-2026" or "criteria" in rules.data:
        checks = _evaluate_2026(rules, notes, inp)
        if not rules.confirmed:
            reasons.append(f"{rules.version} thresholds are unconfirmed defaults (configurable)")
    else:
        inp.update(
            main_revenue_growth_2y=signed_ratio("main_revenue_growth_2y", main_revenue_growth_2y),
            key_field={True: "key", False: "other"}.get(key_field, key_field)
            if isinstance(key_field, bool)
            else key_field,
            digital_level=count("digital_level", digital_level),
            quality_items=count("quality_items", quality_items),
            net_margin=signed_ratio("net_margin", net_margin),
            distinctiveness=count("distinctiveness", distinctiveness, required=False),
            rd_staff_ratio=ratio("rd_staff_ratio", rd_staff_ratio),
            rd_institution=rd_institution,
        )
        if inp["key_field"] is None:
            raise ValueError("key_field: required (main products in a key field)")
        if rd_institution is None:
            raise ValueError("rd_institution: required")
        if inp["quality_items"] > 4:
            raise ValueError("quality_items: at most 4")
        c = rules.data["conditions"]
        checks = [
            assumed_present(
                notes,
                "innovative_title",
                "holds the innovative-SME title",
                inp["is_innovative_sme"],
            )
        ]
        ny = inp["niche_years"]
        checks.append(
            threshold(
                "niche_years",
                "≥ 2 years in its niche",
                ny >= c["niche_years_at_least"],
                f"{ny} years",
            )
        )
        rd_last, rev_last = inp["rd_expenses"][-1], inp["revenues"][-1]
        ok = (
            rd_last >= c["rd_amount_at_least"]
            and rev_last > 0
            and (Fraction(rd_last) / Fraction(rev_last) >= frac(c["rd_to_revenue_at_least"]))
        )
        checks.append(
            threshold(
                "rd",
                "last year's R&D ≥ 100万 and ≥ 3 % of revenue",
                ok,
                f"R&D {rd_last} 万元, revenue {rev_last} 万元",
            )
        )
        eq = inp["equity_raised_2y"] or Decimal(0)
        ok = rev_last >= c["revenue_at_least"] or eq >= c["equity_raised_2y_at_least"]
        checks.append(
            threshold(
                "revenue",
                "revenue ≥ 1000万 or ≥ 2000万 equity in 2 years",
                ok,
                f"revenue {rev_last} 万元, equity raised {eq} 万元",
            )
        )
        items = _score_2022(rules, inp)
        smin = sum(i.min for i in items)
        smax = sum(i.max for i in items)
        dp = rules.data["direct_paths"]
        direct = None
        if flag("science_award", science_award):
            direct = "science_award"
        elif flag("maker_china_top500", maker_china_top500):
            direct = "maker_china_top500"
        elif sum(inp["rd_expenses"], Decimal(0)) >= 2 * dp["rd_avg_2y_at_least"]:
            direct = "rd_avg_2y"
        elif eq >= dp["equity_raised_2y_at_least"]:
            direct = "equity_raised_2y"
        need = int(c["score_at_least"])
        if direct is not None:
            checks.append(
                Check(
                    "score",
                    "score ≥ 60 or a direct path",
                    "met",
                    f"direct path {direct}; score [{smin}, {smax}]",
                )
            )
        elif smin >= need:
            checks.append(
                Check(
                    "score",
                    "score ≥ 60 or a direct path",
                    "met",
                    f"score [{smin}, {smax}] ≥ {need}",
                )
            )
        elif smax < need:
            checks.append(
                Check(
                    "score",
                    "score ≥ 60 or a direct path",
                    "not met",
                    f"score [{smin}, {smax}] < {need}",
                )
            )
        else:
            checks.append(
                Check(
                    "score",
                    "score ≥ 60 or a direct path",
                    "unknown",
                    f"score [{smin}, {smax}]: the provincial distinctiveness points decide",
                )
            )
    verdict, why = _verdict(checks)
    reasons.append(why)
    return SrdiResult(
        title="srdi",
        verdict=verdict,
        passed=verdict == "passes",
        conditions=checks,
        items=items,
        score_min=smin,
        score_max=smax,
        reasons=reasons,
        assumptions=notes.assumptions,
        rule_version=rules.version,
        source=rules.source,
        confirmed=rules.confirmed,
    )
