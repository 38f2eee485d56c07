"""Valuing a patent: income (relief from royalty, income share), cost, market, real option.

Guidance art. 15 asks banks to value IP properly; official-rules §11 names the methods:

- relief from royalty / income share (收益分成法):
  V = Σ_t revenue_t × rate_t × (1 − tax) ÷ (1 + r)^p_t, with p_t = t ("end") or t − ½ ("mid");
  for the income share, rate_t = profit_margin × share_rate × (1 − share_decline)^(t−1);
- cost approach: replacement cost × (1 − physical) × (1 − functional) × (1 − economic);
- market approach: mean of the comparables' prices, each times its adjustment factors;
- real option: Black–Scholes call on commercialisation — informational only, never a
  collateral basis (`Valuation.collateral_basis` is False; `techfin.ip.pledge` refuses it).

Inputs are `Decimal` (or int/str; floats are refused); every result is a `Valuation` with
`.value` rounded once, half-up, to 0.01 from the exact sum, its working (year by year for the
income methods, step by step otherwise; rows rounded for display), and a sensitivity table.
The economic life is the length of `revenues`: cap it by the remaining legal life with
`cap_to_legal_life` (a patent with no legal life left is worth nothing under these methods).
Royalty and discount reference bands by industry are data (`valuation_references.yaml`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from functools import cache
from typing import Any, Literal

from techfin.ip._data import load
from techfin.money import Rounding, quantize, to_decimal

Number = Decimal | int | str
Timing = Literal["end", "mid"]

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")
_PREC = 40  # working precision; results are rounded once at the end


@dataclass(frozen=True, slots=True)
class YearRow:
    """One year of an income valuation (amounts rounded to 0.01, factor to 6 places)."""

    year: int
    revenue: Decimal
    rate: Decimal  # royalty rate, or profit margin × share rate for the income share
    income: Decimal  # revenue × rate, before tax
    after_tax: Decimal
    period: Decimal  # discount period: t, or t − 0.5 with mid-year timing
    discount_factor: Decimal
    present_value: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {k: _json(getattr(self, k)) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the working of a non-income valuation."""

    label: str
    amount: Decimal
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "amount": str(self.amount), "note": self.note}


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """Value (0.01) for each pair of row and column settings; the base case is in the middle."""

    row_parameter: str
    row_values: tuple[str, ...]
    column_parameter: str
    column_values: tuple[str, ...]
    values: tuple[tuple[Decimal, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_parameter": self.row_parameter,
            "row_values": list(self.row_values),
            "column_parameter": self.column_parameter,
            "column_values": list(self.column_values),
            "values": [[str(v) for v in row] for row in self.values],
        }


@dataclass(frozen=True, slots=True)
class Valuation:
    """A valuation result: the value, the inputs as given, the working and the sensitivity."""

    method: str
    value: Decimal
    inputs: Mapping[str, Any]
    years: tuple[YearRow, ...] = ()
    steps: tuple[Step, ...] = ()
    sensitivity: Sensitivity | None = None
    collateral_basis: bool = True
    notes: tuple[str, ...] = ()
    reference_version: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "value": str(self.value),
            "inputs": {k: _json(v) for k, v in self.inputs.items()},
            "years": [row.to_dict() for row in self.years],
            "steps": [s.to_dict() for s in self.steps],
            "sensitivity": None if self.sensitivity is None else self.sensitivity.to_dict(),
            "collateral_basis": self.collateral_basis,
            "notes": list(self.notes),
            "reference_version": self.reference_version,
        }


# --- reference tables -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndustryReference:
    """Royalty and discount-rate bands for one industry, with their sources."""

    industry: str
    name_zh: str
    royalty_low: Decimal
    royalty_high: Decimal
    discount_low: Decimal
    discount_high: Decimal
    royalty_source: str
    discount_source: str
    version: str

    def notes_for(
        self, *, rate: Decimal | None = None, discount: Decimal | None = None
    ) -> tuple[str, ...]:
        """Plain-language notes when a rate falls outside this industry's band (judged)."""
        out: list[str] = []
        if rate is not None and not self.royalty_low <= rate <= self.royalty_high:
            out.append(
                f"royalty rate {rate} outside the {self.industry} band "
                f"{self.royalty_low}–{self.royalty_high}: justify it in the report"
            )
        if discount is not None and not self.discount_low <= discount <= self.discount_high:
            out.append(
                f"discount rate {discount} outside the {self.industry} band "
                f"{self.discount_low}–{self.discount_high} (house band, unconfirmed)"
            )
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {k: _json(getattr(self, k)) for k in self.__dataclass_fields__}


@cache
def industry_references() -> dict[str, IndustryReference]:
    """All industry bands from `valuation_references.yaml`."""
    raw = load("valuation_references.yaml")
    out = {}
    for key, row in raw["industries"].items():
        out[str(key)] = IndustryReference(
            industry=str(key),
            name_zh=str(row["name_zh"]),
            royalty_low=to_decimal(row["royalty"][0]),
            royalty_high=to_decimal(row["royalty"][1]),
            discount_low=to_decimal(row["discount"][0]),
            discount_high=to_decimal(row["discount"][1]),
            royalty_source=str(raw["royalty_source"]),
            discount_source=str(raw["discount_source"]).strip(),
            version=str(raw["version"]),
        )
    return out


def industry_reference(industry: str) -> IndustryReference:
    refs = industry_references()
    if industry not in refs:
        raise ValueError(f"industry: unknown {industry!r}; known: {', '.join(sorted(refs))}")
    return refs[industry]


@cache
def _steps() -> dict[str, Decimal]:
    raw = load("valuation_references.yaml")
    return {str(k): to_decimal(v) for k, v in raw["sensitivity"].items()}


def _reference_version() -> str:
    return str(load("valuation_references.yaml")["version"])


# --- legal life -------------------------------------------------------------------------


def cap_to_legal_life(revenues: Sequence[Number], remaining_years: Number) -> tuple[Decimal, ...]:
    """Cut a revenue forecast to the remaining legal life (economic life ≤ legal life).

    Whole years are kept; a final part-year keeps that fraction of its revenue (and stays
    discounted as a full year: conservative). Zero remaining life leaves nothing to value.
    """
    life = to_decimal(remaining_years, "remaining_years")
    if life < 0:
        raise ValueError("remaining_years: must not be negative")
    values = [to_decimal(r, f"revenues[{i}]") for i, r in enumerate(revenues)]
    whole = int(life)
    fraction = life - whole
    capped = values[:whole]
    if fraction > 0 and len(values) > whole:
        capped.append(values[whole] * fraction)
    return tuple(capped)


# --- income methods ---------------------------------------------------------------------


def relief_from_royalty(
    *,
    revenues: Sequence[Number],
    royalty_rate: Number,
    tax_rate: Number,
    discount_rate: Number,
    timing: Timing = "end",
) -> Valuation:
    """Relief from royalty (许可费节省法): the after-tax royalties the owner saves, discounted.

    Each year: revenue × royalty_rate × (1 − tax_rate) ÷ (1 + discount_rate)^p.
    """
    revs = _revenues(revenues)
    royalty = _rate(royalty_rate, "royalty_rate")
    tax = _rate(tax_rate, "tax_rate", upper=ONE)
    r = _discount(discount_rate)
    _timing(timing)

    def rates(roy: Decimal) -> list[Decimal]:
        return [roy] * len(revs)

    rows, exact = _income(revs, rates(royalty), tax, r, timing)
    step_rate, step_disc = _steps()["rate_step"], _steps()["discount_step"]
    sens = _grid(
        "royalty_rate",
        _around(royalty, step_rate),
        "discount_rate",
        _around(r, step_disc),
        lambda a, b: _income(revs, rates(a), tax, b, timing, working=False)[1],
    )
    return Valuation(
        method="relief_from_royalty",
        value=_cents(exact),
        inputs={
            "revenues": list(revs),
            "royalty_rate": royalty,
            "tax_rate": tax,
            "discount_rate": r,
            "timing": timing,
        },
        years=rows,
        sensitivity=sens,
        reference_version=_reference_version(),
    )


def income_share(
    *,
    revenues: Sequence[Number],
    profit_margin: Number,
    share_rate: Number,
    share_decline: Number = 0,
    tax_rate: Number,
    discount_rate: Number,
    timing: Timing = "end",
) -> Valuation:
    """Income share (收益分成法): the patent's share of the profit its products earn.

    Each year: revenue × profit_margin × share_t × (1 − tax_rate) ÷ (1 + discount_rate)^p,
    where share_t = share_rate × (1 − share_decline)^(t−1) (the share falls by that fraction of
    itself each year as the technology ages; 0 keeps it flat).
    """
    revs = _revenues(revenues)
    margin = _rate(profit_margin, "profit_margin", upper=ONE)
    share = _rate(share_rate, "share_rate", upper=ONE)
    decline = _rate(share_decline, "share_decline", upper=ONE)
    tax = _rate(tax_rate, "tax_rate", upper=ONE)
    r = _discount(discount_rate)
    _timing(timing)

    def rates(s: Decimal) -> list[Decimal]:
        return [margin * s * (ONE - decline) ** t for t in range(len(revs))]

    rows, exact = _income(revs, rates(share), tax, r, timing)
    step_rate, step_disc = _steps()["rate_step"], _steps()["discount_step"]
    sens = _grid(
        "share_rate",
        _around(share, step_rate),
        "discount_rate",
        _around(r, step_disc),
        lambda a, b: _income(revs, rates(a), tax, b, timing, working=False)[1],
    )
    return Valuation(
        method="income_share",
        value=_cents(exact),
        inputs={
            "revenues": list(revs),
            "profit_margin": margin,
            "share_rate": share,
            "share_decline": decline,
            "tax_rate": tax,
            "discount_rate": r,
            "timing": timing,
        },
        years=rows,
        sensitivity=sens,
        reference_version=_reference_version(),
    )


def _income(
    revs: Sequence[Decimal],
    rates: Sequence[Decimal],
    tax: Decimal,
    r: Decimal,
    timing: Timing,
    working: bool = True,
) -> tuple[tuple[YearRow, ...], Decimal]:
    rows: list[YearRow] = []
    total = ZERO
    with localcontext() as ctx:
        ctx.prec = _PREC
        growth = ONE + r
        # (1 + r)^p built by multiplication: one fractional power at most (mid-year)
        compounded = growth.sqrt() if timing == "mid" else growth
        for t, (revenue, rate) in enumerate(zip(revs, rates, strict=True), start=1):
            period = Decimal(t) - HALF if timing == "mid" else Decimal(t)
            if t > 1:
                compounded *= growth
            factor = ONE / compounded
            income = revenue * rate
            after = income * (ONE - tax)
            pv = after * factor
            total += pv
            if not working:
                continue
            rows.append(
                YearRow(
                    year=t,
                    revenue=revenue,
                    rate=rate,
                    income=_cents(income),
                    after_tax=_cents(after),
                    period=period,
                    discount_factor=quantize(factor, 6),
                    present_value=_cents(pv),
                )
            )
    return tuple(rows), total


# --- cost and market --------------------------------------------------------------------


def cost_approach(
    *,
    replacement_cost: Number,
    physical: Number = 0,
    functional: Number = 0,
    economic: Number = 0,
) -> Valuation:
    """Replacement cost less obsolescence, the three rates applied one after the other.

    value = replacement_cost × (1 − physical) × (1 − functional) × (1 − economic).
    """
    cost = to_decimal(replacement_cost, "replacement_cost")
    if cost < 0:
        raise ValueError("replacement_cost: must not be negative")
    rates = {
        "physical": _rate(physical, "physical", upper=ONE),
        "functional": _rate(functional, "functional", upper=ONE),
        "economic": _rate(economic, "economic", upper=ONE),
    }

    def value_of(c: Decimal, functional_rate: Decimal) -> Decimal:
        return c * (ONE - rates["physical"]) * (ONE - functional_rate) * (ONE - rates["economic"])

    steps = [Step("replacement cost", _cents(cost))]
    running = cost
    for name, rate in rates.items():
        less = running * rate
        running -= less
        steps.append(
            Step(f"less {name} obsolescence", _cents(-less), f"{rate} of {_cents(running + less)}")
        )
    steps.append(Step("value", _cents(running)))
    rel = _steps()["relative_step"]
    sens = _grid(
        "replacement_cost",
        (cost * (ONE - rel), cost, cost * (ONE + rel)),
        "functional",
        tuple(v for v in _around(rates["functional"], rel) if v <= ONE),
        value_of,
    )
    return Valuation(
        method="cost_approach",
        value=_cents(running),
        inputs={"replacement_cost": cost, **rates},
        steps=tuple(steps),
        sensitivity=sens,
        reference_version=_reference_version(),
    )


def market_approach(
    *,
    comparables: Sequence[Number],
    adjustments: Sequence[Number | Mapping[str, Number]],
) -> Valuation:
    """Mean of comparable transaction prices, each multiplied by its adjustment factors.

    `adjustments[i]` is one factor or a mapping of named factors (technology, time, remaining
    life, transaction terms …) for `comparables[i]`; factors multiply (1 = no adjustment).
    """
    prices = [to_decimal(c, f"comparables[{i}]") for i, c in enumerate(comparables)]
    if not prices:
        raise ValueError("comparables: at least one is needed")
    if len(adjustments) != len(prices):
        raise ValueError(
            f"adjustments: one per comparable expected ({len(prices)}), got {len(adjustments)}"
        )
    factors: list[Decimal] = []
    details: list[dict[str, Decimal]] = []
    for i, adj in enumerate(adjustments):
        named = (
            {str(k): to_decimal(v, f"adjustments[{i}].{k}") for k, v in adj.items()}
            if isinstance(adj, Mapping)
            else {"factor": to_decimal(adj, f"adjustments[{i}]")}
        )
        product = ONE
        for name, f in named.items():
            if f < 0:
                raise ValueError(f"adjustments[{i}].{name}: must not be negative")
            product *= f
        factors.append(product)
        details.append(named)

    def stat(scale: Decimal, how: str) -> Decimal:
        adjusted = sorted(p * f * scale for p, f in zip(prices, factors, strict=True))
        if how == "mean":
            return sum(adjusted, ZERO) / len(adjusted)
        mid = len(adjusted) // 2
        if len(adjusted) % 2:
            return adjusted[mid]
        return (adjusted[mid - 1] + adjusted[mid]) / 2

    steps = [
        Step(
            f"comparable {i + 1}",
            _cents(p * f),
            f"{p} × {' × '.join(f'{k} {v}' for k, v in d.items())}",
        )
        for i, (p, f, d) in enumerate(zip(prices, factors, details, strict=True))
    ]
    with localcontext() as ctx:
        ctx.prec = _PREC
        exact = stat(ONE, "mean")
        steps.append(Step("value (mean of adjusted prices)", _cents(exact)))
        rel = _steps()["relative_step"]
        scales = (ONE - rel, ONE, ONE + rel)
        sens = Sensitivity(
            row_parameter="adjustment_scale",
            row_values=tuple(str(s) for s in scales),
            column_parameter="statistic",
            column_values=("mean", "median"),
            values=tuple(tuple(_cents(stat(s, how)) for how in ("mean", "median")) for s in scales),
        )
    return Valuation(
        method="market_approach",
        value=_cents(exact),
        inputs={
            "comparables": prices,
            "adjustments": [{k: str(v) for k, v in d.items()} for d in details],
        },
        steps=tuple(steps),
        sensitivity=sens,
        reference_version=_reference_version(),
    )


# --- real option ------------------------------------------------------------------------


def real_option(
    *,
    pv_cash_flows: Number,
    investment: Number,
    years: Number,
    volatility: Number,
    risk_free: Number,
) -> Valuation:
    """Black–Scholes value of the option to commercialise (informational only).

    C = S·N(d1) − K·e^(−rT)·N(d2), d1 = (ln(S/K) + (r + σ²/2)T) ÷ (σ√T), d2 = d1 − σ√T, with
    S = pv_cash_flows, K = investment, T = years, σ = volatility, r = risk_free (continuous).
    Logarithms and roots are Decimal; N(·) uses `math.erfc` in binary floating point (about 16
    significant digits, far finer than the inputs). `collateral_basis` is always False.
    """
    s = to_decimal(pv_cash_flows, "pv_cash_flows")
    k = to_decimal(investment, "investment")
    t = to_decimal(years, "years")
    sigma = to_decimal(volatility, "volatility")
    r = to_decimal(risk_free, "risk_free")
    for name, v in (("pv_cash_flows", s), ("investment", k), ("years", t), ("volatility", sigma)):
        if v < 0:
            raise ValueError(f"{name}: must not be negative")

    with localcontext() as ctx:
        ctx.prec = _PREC
        exact, parts = _black_scholes(s, k, t, sigma, r)
        steps = [Step(name, quantize(v, 6), "") for name, v in parts]
        steps.append(Step("value (call)", _cents(exact)))
        sens = _grid(
            "volatility",
            _around(sigma, _steps()["volatility_step"]),
            "risk_free",
            _around(r, _steps()["risk_free_step"], floor=None),
            lambda a, b: _black_scholes(s, k, t, a, b)[0],
        )
    return Valuation(
        method="real_option",
        value=_cents(exact),
        inputs={
            "pv_cash_flows": s,
            "investment": k,
            "years": t,
            "volatility": sigma,
            "risk_free": r,
        },
        steps=tuple(steps),
        sensitivity=sens,
        collateral_basis=False,
        notes=("real-option values inform; they are never a collateral basis (§11)",),
        reference_version=_reference_version(),
    )


def _normal_cdf(x: Decimal) -> Decimal:
    return Decimal(repr(0.5 * math.erfc(-float(x) / math.sqrt(2.0))))


def _black_scholes(
    s: Decimal, k: Decimal, t: Decimal, sigma: Decimal, r: Decimal
) -> tuple[Decimal, list[tuple[str, Decimal]]]:
    discount = (-r * t).exp()
    if s == 0:
        return ZERO, [("discount factor e^(−rT)", discount)]
    if k == 0:
        return s, [("discount factor e^(−rT)", discount)]
    if t == 0 or sigma == 0:
        intrinsic = max(s - k * discount, ZERO)
        return intrinsic, [("discount factor e^(−rT)", discount)]
    vol_t = sigma * t.sqrt()
    d1 = ((s / k).ln() + (r + sigma * sigma / 2) * t) / vol_t
    d2 = d1 - vol_t
    n1, n2 = _normal_cdf(d1), _normal_cdf(d2)
    value = s * n1 - k * discount * n2
    return max(value, ZERO), [
        ("d1", d1),
        ("d2", d2),
        ("N(d1)", n1),
        ("N(d2)", n2),
        ("discount factor e^(−rT)", discount),
    ]


# --- helpers ----------------------------------------------------------------------------


def _cents(x: Decimal) -> Decimal:
    return quantize(x, 2, Rounding.HALF_UP)


def _json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, list | tuple):
        return [_json(x) for x in v]
    return v


def _revenues(revenues: Sequence[Number]) -> list[Decimal]:
    if isinstance(revenues, str | bytes):
        raise ValueError("revenues: expected a sequence of amounts")
    out = [to_decimal(r, f"revenues[{i}]") for i, r in enumerate(revenues)]
    for i, r in enumerate(out):
        if r < 0:
            raise ValueError(f"revenues[{i}]: must not be negative")
    return out


def _rate(value: Number, name: str, upper: Decimal | None = None) -> Decimal:
    rate = to_decimal(value, name)
    if rate < 0:
        raise ValueError(f"{name}: must not be negative")
    if upper is not None and rate > upper:
        raise ValueError(f"{name}: must be at most {upper}")
    return rate


def _discount(value: Number) -> Decimal:
    rate = to_decimal(value, "discount_rate")
    if rate <= -1:
        raise ValueError("discount_rate: must be above −1")
    return rate


def _timing(timing: str) -> None:
    if timing not in ("end", "mid"):
        raise ValueError(f"timing: expected 'end' or 'mid', got {timing!r}")


def _around(base: Decimal, step: Decimal, floor: Decimal | None = ZERO) -> tuple[Decimal, ...]:
    values = (base - step, base, base + step)
    return tuple(v for v in values if floor is None or v >= floor)


def _grid(
    row_name: str,
    rows: Sequence[Decimal],
    col_name: str,
    cols: Sequence[Decimal],
    fn: Callable[[Decimal, Decimal], Decimal],
) -> Sensitivity:
    with localcontext() as ctx:
        ctx.prec = _PREC
        values = tuple(tuple(_cents(fn(a, b)) for b in cols) for a in rows)
    return Sensitivity(
        row_parameter=row_name,
        row_values=tuple(str(a) for a in rows),
        column_parameter=col_name,
        column_values=tuple(str(b) for b in cols),
        values=values,
    )
