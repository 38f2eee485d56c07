"""Bank–tax and bank–customs signals (银税互动 / 银关合作; guidance art. 16) for a
"信易贷"-style credit line, as named, documented features for the rating.

Pure functions over an enterprise's quarterly tax and customs records as the hub holds them
(yuan, `Decimal`). Each feature in `CATALOGUE` has a definition, a unit, its source and its
missing rule; `tax_customs_signals` returns them all, with `None` where the missing rule says
so — never a guessed value.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class Feature:
    name: str
    definition: str
    unit: str
    source: str
    missing: str


CATALOGUE: tuple[Feature, ...] = (
    Feature(
        "tax_paid_12m",
        "VAT + corporate income tax paid over the last 4 quarters",
        "yuan",
        "tax",
        "None when fewer than 4 quarters of tax records",
    ),
    Feature(
        "tax_paid_growth",
        "tax_paid_12m ÷ the same sum over the 4 quarters before − 1",
        "fraction",
        "tax",
        "None when fewer than 8 quarters or the earlier sum is 0",
    ),
    Feature(
        "tax_credit_grade",
        "latest tax credit grade (A, B, M, C, D)",
        "grade",
        "tax",
        "None when never graded",
    ),
    Feature(
        "tax_credit_good",
        "1 when the latest grade is A or B, else 0",
        "flag",
        "tax",
        "None when never graded",
    ),
    Feature(
        "tax_history_quarters",
        "number of quarters with tax records",
        "quarters",
        "tax",
        "0 when none",
    ),
    Feature(
        "zero_tax_quarters_8",
        "quarters with no VAT and no CIT among the last 8",
        "quarters",
        "tax",
        "None when fewer than 8 quarters",
    ),
    Feature(
        "declared_revenue_12m",
        "sales declared for VAT over the last 4 quarters",
        "yuan",
        "tax",
        "None when fewer than 4 quarters declare revenue",
    ),
    Feature(
        "revenue_growth",
        "declared_revenue_12m ÷ the 4 quarters before − 1",
        "fraction",
        "tax",
        "None when fewer than 8 quarters or the earlier sum is 0",
    ),
    Feature(
        "revenue_stability",
        "coefficient of variation (population σ ÷ mean) of declared "
        "revenue over the last 8 quarters; lower is steadier",
        "ratio",
        "tax",
        "None when fewer than 8 quarters or the mean is 0",
    ),
    Feature(
        "exports_12m",
        "exports over the last 4 quarters",
        "yuan",
        "customs",
        "0 when the enterprise has no customs records (most tech SMEs do not export)",
    ),
    Feature(
        "export_growth",
        "exports_12m ÷ the 4 quarters before − 1",
        "fraction",
        "customs",
        "None when the earlier sum is 0 or fewer than 8 quarters",
    ),
    Feature(
        "export_share",
        "exports_12m ÷ declared_revenue_12m",
        "fraction",
        "customs + tax",
        "None when declared_revenue_12m is None or 0",
    ),
    Feature(
        "imports_12m",
        "imports over the last 4 quarters",
        "yuan",
        "customs",
        "0 when no customs records",
    ),
    Feature(
        "customs_active_quarters_8",
        "quarters with exports or imports among the last 8",
        "quarters",
        "customs",
        "0 when no customs records",
    ),
)


def _q(value: Decimal) -> Decimal:
    return value.quantize(FOUR, rounding=ROUND_HALF_EVEN)


def _sum(rows: Sequence[Mapping[str, Any]], *fields: str) -> Decimal:
    return sum((Decimal(r.get(f) or 0) for r in rows for f in fields), Decimal(0))


def _growth(recent: Decimal, earlier: Decimal) -> Decimal | None:
    return None if earlier == 0 else _q(recent / earlier - 1)


def _by_quarter(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(rows, key=lambda r: str(r["quarter"]))


def tax_customs_signals(
    tax: Sequence[Mapping[str, Any]], customs: Sequence[Mapping[str, Any]]
) -> dict[str, Decimal | int | str | None]:
    """The catalogue's features from quarterly `tax` rows (`quarter`, `vat`, `cit`,
    `declared_revenue`, `tax_credit_grade`) and `customs` rows (`quarter`, `exports`, `imports`)."""
    t = _by_quarter(tax)
    c = _by_quarter(customs)
    out: dict[str, Decimal | int | str | None] = {}
    last4, prev4, last8 = t[-4:], t[-8:-4], t[-8:]
    out["tax_history_quarters"] = len(t)
    out["tax_paid_12m"] = _sum(last4, "vat", "cit") if len(t) >= 4 else None
    out["tax_paid_growth"] = (
        _growth(_sum(last4, "vat", "cit"), _sum(prev4, "vat", "cit")) if len(t) >= 8 else None
    )
    graded = [r["tax_credit_grade"] for r in t if r.get("tax_credit_grade")]
    out["tax_credit_grade"] = graded[-1] if graded else None
    out["tax_credit_good"] = (1 if graded[-1] in ("A", "B") else 0) if graded else None
    out["zero_tax_quarters_8"] = (
        sum(1 for r in last8 if not (r.get("vat") or 0) and not (r.get("cit") or 0))
        if len(t) >= 8
        else None
    )
    declared = [r for r in t if r.get("declared_revenue") is not None]
    d4, dprev, d8 = declared[-4:], declared[-8:-4], declared[-8:]
    out["declared_revenue_12m"] = _sum(d4, "declared_revenue") if len(declared) >= 4 else None
    out["revenue_growth"] = (
        _growth(_sum(d4, "declared_revenue"), _sum(dprev, "declared_revenue"))
        if len(declared) >= 8
        else None
    )
    if len(declared) >= 8:
        values = [Decimal(r["declared_revenue"]) for r in d8]
        mean = statistics.mean(values)
        out["revenue_stability"] = None if mean == 0 else _q(statistics.pstdev(values) / mean)
    else:
        out["revenue_stability"] = None
    c4, cprev, c8 = c[-4:], c[-8:-4], c[-8:]
    exports = _sum(c4, "exports")
    out["exports_12m"] = exports
    out["export_growth"] = _growth(exports, _sum(cprev, "exports")) if len(c) >= 8 else None
    revenue = out["declared_revenue_12m"]
    out["export_share"] = (
        _q(exports / revenue) if isinstance(revenue, Decimal) and revenue != 0 else None
    )
    out["imports_12m"] = _sum(c4, "imports")
    out["customs_active_quarters_8"] = sum(
        1 for r in c8 if (r.get("exports") or 0) or (r.get("imports") or 0)
    )
    return out
