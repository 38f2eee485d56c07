"""Floating-rate loans on the platform: LPR + a spread fixed for the loan's life, repriced on its
repricing dates (official-rules §7b; decisions 1140–1142).

The approver's rate terms are a small JSON descriptor, carried from the approval
(`orig_applications.approved_rate_terms`) to the contract (`orig_contracts.terms["rate"]`) and
the loan (`loans.terms["floating"]`, and each schedule change's terms):

    {"rate_type": "floating", "spread_bp": "-20", "lpr_tenor": "1y",
     "repricing": {"rule": "periodic", "months": 12}}

A fixed rate is `{"rate_type": "fixed"}` (or no descriptor at all: every loan made before).
The LPR always comes from the platform's table (`services.market.lpr_table`), never from the
packaged file alone. This module is the validation and the arithmetic shared by origination
and servicing; it opens no transaction of its own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from techfin.credit.pricing import (
    FloatingRate,
    LprFixing,
    LprTable,
    LprTenor,
    Repricing,
    RepricingRule,
)
from techfin.services.errors import ValidationFailed

__all__ = [
    "RATE_TYPES",
    "describe",
    "describe_parts",
    "floating_of",
    "initial_rate",
    "parse_rate_terms",
    "rate_on",
]

RATE_TYPES = ("fixed", "floating")
#: House sanity bound on the spread (unconfirmed): a spread beyond ±30 percentage points is a typo.
MAX_SPREAD_BP = Decimal(3000)
#: House bound on the repricing period (unconfirmed): at most every ten years.
MAX_REPRICING_MONTHS = 120
_HUNDRED = Decimal(100)


def _spread(value: Any) -> Decimal:
    if value is None or str(value).strip() == "":
        raise ValidationFailed(
            "a floating rate needs its spread in basis points", field="spread_bp"
        )
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"spread_bp: not a number: {value!r}", field="spread_bp") from None
    if not d.is_finite() or abs(d) > MAX_SPREAD_BP:
        raise ValidationFailed(
            f"spread_bp: basis points between -{MAX_SPREAD_BP} and {MAX_SPREAD_BP}, got {value}",
            field="spread_bp",
        )
    if d != d.quantize(Decimal("0.01")):
        raise ValidationFailed(
            f"spread_bp: at most two decimals of a basis point, got {value}", field="spread_bp"
        )
    q = d.quantize(Decimal("0.01"))
    if q == q.to_integral_value():
        q = q.quantize(Decimal(1))
    return q + 0  # "+ 0" turns -0 into 0


def parse_rate_terms(
    *,
    rate_type: str | None,
    spread_bp: Any = None,
    lpr_tenor: str | None = None,
    repricing_months: Any = None,
    repricing_rule: str | None = None,
) -> dict[str, Any]:
    """The approver's rate terms, validated (each error names its field)."""
    kind = (rate_type or "fixed").strip()
    if kind not in RATE_TYPES:
        raise ValidationFailed(
            f"rate_type: one of {', '.join(RATE_TYPES)}, got {rate_type!r}", field="rate_type"
        )
    if kind == "fixed":
        given = {
            "spread_bp": spread_bp,
            "lpr_tenor": lpr_tenor,
            "repricing_months": repricing_months,
            "repricing_rule": repricing_rule,
        }
        for name, value in given.items():
            if value not in (None, ""):
                raise ValidationFailed(
                    f"{name} is for a floating rate; give rate_type floating", field=name
                )
        return {"rate_type": "fixed"}
    spread = _spread(spread_bp)
    tenor_text = (lpr_tenor or "1y").strip()
    try:
        tenor = LprTenor(tenor_text)
    except ValueError:
        raise ValidationFailed(
            f"lpr_tenor: one of 1y, 5y+, got {lpr_tenor!r}", field="lpr_tenor"
        ) from None
    rule_text = (repricing_rule or "periodic").strip()
    try:
        rule = RepricingRule(rule_text)
    except ValueError:
        raise ValidationFailed(
            f"repricing_rule: one of periodic, january-1, got {repricing_rule!r}",
            field="repricing_rule",
        ) from None
    months = 12
    if rule is RepricingRule.PERIODIC:
        if repricing_months not in (None, ""):
            try:
                months = int(str(repricing_months).strip())
            except ValueError:
                raise ValidationFailed(
                    f"repricing_months: a whole number of months, got {repricing_months!r}",
                    field="repricing_months",
                ) from None
            if not 1 <= months <= MAX_REPRICING_MONTHS:
                raise ValidationFailed(
                    f"repricing_months: between 1 and {MAX_REPRICING_MONTHS}, got {months}",
                    field="repricing_months",
                )
    elif repricing_months not in (None, ""):
        raise ValidationFailed(
            "repricing_months: not with the january-1 rule (each 1 January)",
            field="repricing_months",
        )
    return {
        "rate_type": "floating",
        "spread_bp": str(spread),
        "lpr_tenor": str(tenor),
        "repricing": {"rule": str(rule), "months": months},
    }


def floating_of(descriptor: dict[str, Any] | None) -> FloatingRate | None:
    """The domain's `FloatingRate` for a descriptor (None for a fixed rate)."""
    if not descriptor or descriptor.get("rate_type", "floating") != "floating":
        return None
    rep = descriptor.get("repricing") or {}
    return FloatingRate(
        spread_bp=Decimal(str(descriptor["spread_bp"])),
        tenor=LprTenor(str(descriptor.get("lpr_tenor") or "1y")),
        repricing=Repricing(
            RepricingRule(str(rep.get("rule") or "periodic")), int(rep.get("months") or 12)
        ),
    )


def describe(descriptor: dict[str, Any] | None) -> str:
    """ "LPR 1Y + 25 bp, repriced every 12 months" (English; the page translates the parts)."""
    f = floating_of(descriptor)
    if f is None:
        return "fixed"
    tenor = "1Y" if f.tenor is LprTenor.ONE_YEAR else "5Y+"
    bp = Decimal(str(f.spread_bp))
    sign = "+" if bp >= 0 else "−"
    when = (
        "repriced each 1 January"
        if f.repricing.rule is RepricingRule.JANUARY_FIRST
        else f"repriced every {f.repricing.months} months"
    )
    return f"LPR {tenor} {sign} {abs(bp)} bp, {when}"


def describe_parts(descriptor: dict[str, Any] | None) -> dict[str, Any] | None:
    """The pieces a page translates: {"lpr": "LPR 1Y + 25 bp", "rule", "months"}."""
    f = floating_of(descriptor)
    if f is None:
        return None
    text = describe(descriptor)
    return {
        "lpr": text.split(",")[0],
        "rule": str(f.repricing.rule),
        "months": f.repricing.months,
    }


def rate_on(
    table: LprTable, f: FloatingRate, on: dt.date, *, allow_stale: bool = False
) -> tuple[Decimal, LprFixing]:
    """LPR in force on `on` (the chosen tenor) + the spread; `ValueError` when the table cannot
    answer that date (unless `allow_stale`: the last fixing)."""
    fixing = table.in_force(on, allow_stale=allow_stale)
    return fixing.rate(f.tenor) + f.spread, fixing


def initial_rate(
    table: LprTable, f: FloatingRate, on: dt.date, *, field: str = "value_date"
) -> tuple[Decimal, LprFixing]:
    """The rate a floating loan starts at on its value date `on`: refused (naming `field`) when
    the platform's LPR table cannot answer that date, and naming `spread_bp` when the rate
    would not be positive."""
    try:
        rate, fixing = rate_on(table, f, on)
    except ValueError as exc:
        raise ValidationFailed(
            f"{field}: the floating rate needs the LPR in force on {on.isoformat()}: {exc}",
            field=field,
        ) from exc
    check_positive(rate, f, fixing)
    return rate, fixing


def check_positive(rate: Decimal, f: FloatingRate, fixing: LprFixing) -> None:
    if rate <= 0:
        raise ValidationFailed(
            f"spread_bp: LPR {fixing.rate(f.tenor) * _HUNDRED} % "
            f"({fixing.fixing_date.isoformat()}) "
            f"{'+' if f.spread_bp >= 0 else '−'} {abs(Decimal(str(f.spread_bp)))} bp gives a "
            f"rate of {rate * _HUNDRED} %, not above zero",
            field="spread_bp",
        )


def fixing_dict(fixing: LprFixing, f: FloatingRate) -> dict[str, Any]:
    return {
        "fixing_date": fixing.fixing_date.isoformat(),
        "lpr": str(fixing.rate(f.tenor)),
        "tenor": str(f.tenor),
    }
