"""专精特新 "little giant" (小巨人) recognition, 2026 criteria (工信部企业〔2026〕2号, from
2026-04-01) — **unconfirmed**: every threshold is configurable data
(`data/little_giant_2026.yaml`) with official-rules §6's values as defaults: revenue ≥ 5000万,
main business ≥ 90 %, 2-year revenue CAGR ≥ 5 %, debt ratio ≤ 75 %, 2-year R&D ≥ 1200万 and
≥ 3 % of revenue each year, ≥ 4 class-I IP, market share ≥ 10 % or top 3, and the 专精特新
title. The 2022 criteria are not encoded (an `as_of` before 2026-04-01 raises `ValueError`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from .common import Check, Notes, assumed_present, count, flag, pct, ratio, series
from .rules import frac, load
from .srdi import SrdiResult, _each_year_rd, _verdict, threshold


def evaluate(
    *,
    revenues: Sequence[Decimal | int | str] | None = None,
    rd_expenses: Sequence[Decimal | int | str] | None = None,
    main_business_share: Decimal | int | str | None = None,
    debt_ratio: Decimal | int | str | None = None,
    class1_ip: int | None = None,
    market_share: Decimal | int | str | None = None,
    market_rank: int | None = None,
    is_srdi: bool | None = None,
    as_of: dt.date | None = None,
) -> SrdiResult:
    """Evaluate against the little-giant criteria.

    Required: `revenues` (3 yearly amounts in 万元, oldest first: Y0, Y1, Y2, for the 2-year
    CAGR; the last is last year's revenue), `rd_expenses` (last 2 years, 万元, oldest first),
    `main_business_share`, `debt_ratio`, `class1_ip`, and at least one of `market_share`
    (fraction of the niche market) or `market_rank` (1 = first). `is_srdi` (holds the 专精特新
    title) is assumed when not supplied and listed in `assumptions`.
    """
    rules = load("little_giant", as_of)
    c = rules.data["criteria"]
    notes = Notes()
    rev = series("revenues", revenues, 3)
    rd = series("rd_expenses", rd_expenses, 2)
    share = ratio("main_business_share", main_business_share)
    debt = ratio("debt_ratio", debt_ratio, at_most_one=False)
    c1 = count("class1_ip", class1_ip)
    ms = ratio("market_share", market_share, required=False)
    rank = count("market_rank", market_rank, required=False)
    if ms is None and rank is None:
        raise ValueError("market_share: required (or market_rank)")
    assert c1 is not None
    checks: list[Check] = [
        assumed_present(notes, "srdi_title", "holds the 专精特新 title", flag("is_srdi", is_srdi))
    ]
    checks.append(
        threshold(
            "revenue",
            "revenue ≥ 5000万",
            rev[-1] >= c["revenue_at_least"],
            f"last year's revenue {rev[-1]} 万元",
        )
    )
    checks.append(
        threshold(
            "main_business_share",
            "main business ≥ 90 %",
            Fraction(share) >= frac(c["main_business_share_at_least"]),
            pct(share),
        )
    )
    growth = 1 + frac(c["revenue_cagr_2y_at_least"])
    ok = rev[0] > 0 and Fraction(rev[2]) >= Fraction(rev[0]) * growth * growth
    checks.append(
        threshold(
            "revenue_cagr",
            "2-year revenue CAGR ≥ 5 %",
            ok,
            f"Y0 {rev[0]} → Y2 {rev[2]} 万元 (needs Y2 ≥ Y0 × (1 + "
            f"{c['revenue_cagr_2y_at_least']})²)",
        )
    )
    checks.append(
        threshold(
            "debt_ratio",
            "debt ratio ≤ 75 %",
            Fraction(debt) <= frac(c["debt_ratio_at_most"]),
            pct(debt),
        )
    )
    total_rd = sum(rd, Decimal(0))
    each_ok, why = _each_year_rd(c, rd, rev[1:])
    checks.append(
        threshold(
            "rd",
            "2-year R&D ≥ 1200万 and ≥ 3 % each year",
            total_rd >= c["rd_total_2y_at_least"] and each_ok,
            f"2-year R&D {total_rd} 万元; {why}",
        )
    )
    checks.append(
        threshold("class1_ip", "≥ 4 class-I IP", c1 >= c["class1_ip_at_least"], f"{c1} class-I IP")
    )
    ok = (ms is not None and Fraction(ms) >= frac(c["market_share_at_least"])) or (
        rank is not None and 1 <= rank <= c["market_rank_at_most"]
    )
    checks.append(
        threshold(
            "market",
            "market share ≥ 10 % or top 3",
            ok,
            f"share {pct(ms) if ms is not None else 'n/a'}, rank "
            f"{rank if rank is not None else 'n/a'}",
        )
    )
    verdict, why = _verdict(checks)
    reasons = [why]
    if not rules.confirmed:
        reasons.append(f"{rules.version} thresholds are unconfirmed defaults (configurable)")
    return SrdiResult(
        title="little_giant",
        verdict=verdict,
        passed=verdict == "passes",
        conditions=checks,
        items=[],
        score_min=None,
        score_max=None,
        reasons=reasons,
        assumptions=notes.assumptions,
        rule_version=rules.version,
        source=rules.source,
        confirmed=rules.confirmed,
    )
