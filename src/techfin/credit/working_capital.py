"""Working-capital loan sizing (流动资金贷款), step by step.

Implements the estimate of 流动资金贷款管理办法 (金融监管总局令2024年第2号), official-rules §7c,
for issue 7 item 4 (guidance art. 5: working-capital terms matched to the operating cycle):

    working capital = last year's sales revenue × (1 − last year's sales margin)
                      × (1 + expected sales growth) ÷ turnover
    turnover        = 360 ÷ (inventory days + receivable days − payable days
                             + prepayment days − advance-receipt days)
    new loan need   = working capital − own funds − existing working-capital loans − other sources

Receivable and advance-receipt days turn over on sales revenue; inventory, prepayment and
payable days on cost of sales; every balance is an AVERAGE of at least two balances (opening and
closing, or more period ends). The term is normally at most 36 months and at most 60 with a
recorded reason.

Loss-making start-ups cannot use that estimate (a negative margin is not an operating cycle).
`size_startup_working_capital` sizes them on another basis — confirmed orders, tax-declared
sales, equity raised — which is **bank policy, not the regulation**: its rates are defaults in
``credit/data/working_capital.yaml`` that a bank replaces, and the result says so.

Every intermediate is returned as a `Step` (name, formula with the numbers, value) so the
credit memo can show the arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.money import ZERO, Rounding, quantize, to_decimal

__all__ = [
    "StartupBasisInputs",
    "StartupSizing",
    "Step",
    "TermCheck",
    "WorkingCapitalInputs",
    "WorkingCapitalPolicy",
    "WorkingCapitalSizing",
    "average",
    "check_term",
    "load_policy",
    "size_startup_working_capital",
    "size_working_capital",
]


@dataclass(frozen=True)
class StartupPolicy:
    status: str
    orders_rate: Decimal
    tax_declared_sales_rate: Decimal
    equity_raised_rate: Decimal
    equity_lookback_months: int
    combine: str


@dataclass(frozen=True)
class WorkingCapitalPolicy:
    version: str
    source: str
    effective_from: dt.date
    days_in_year: int
    normal_max_term_months: int
    max_term_months: int
    startup: StartupPolicy


@cache
def _versions() -> tuple[WorkingCapitalPolicy, ...]:
    text = (resources.files("techfin.credit") / "data" / "working_capital.yaml").read_text("utf-8")
    out = []
    for v in yaml.safe_load(text)["versions"]:
        s = v["startup_basis"]
        out.append(
            WorkingCapitalPolicy(
                version=str(v["version"]),
                source=" ".join(str(v["source"]).split()),
                effective_from=v["effective_from"],
                days_in_year=int(v["days_in_year"]),
                normal_max_term_months=int(v["normal_max_term_months"]),
                max_term_months=int(v["max_term_months"]),
                startup=StartupPolicy(
                    status=str(s["status"]),
                    orders_rate=Decimal(str(s["orders_rate"])),
                    tax_declared_sales_rate=Decimal(str(s["tax_declared_sales_rate"])),
                    equity_raised_rate=Decimal(str(s["equity_raised_rate"])),
                    equity_lookback_months=int(s["equity_lookback_months"]),
                    combine=str(s["combine"]),
                ),
            )
        )
    return tuple(sorted(out, key=lambda p: p.effective_from))


def load_policy(as_of: dt.date | None = None) -> WorkingCapitalPolicy:
    """The rule version in force on `as_of` (latest when None)."""
    versions = _versions()
    if as_of is None:
        return versions[-1]
    for p in reversed(versions):
        if p.effective_from <= as_of:
            return p
    raise ValueError(f"as_of: no working-capital rule version in force on {as_of.isoformat()}")


@dataclass(frozen=True)
class Step:
    """One line of the arithmetic: what, how (with the numbers), and the value."""

    name: str
    formula: str
    value: Decimal


@dataclass(frozen=True)
class TermCheck:
    term_months: int
    allowed: bool
    normal_max_months: int
    max_months: int
    note: str


def check_term(
    term_months: int, *, extended_term_reason: str | None = None, as_of: dt.date | None = None
) -> TermCheck:
    """Check a working-capital loan term: ≤ 36 months normally; up to 60 with a recorded reason."""
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise ValueError(f"term_months: must be a whole number ≥ 1, got {term_months!r}")
    p = load_policy(as_of)
    normal, cap = p.normal_max_term_months, p.max_term_months
    if term_months <= normal:
        return TermCheck(term_months, True, normal, cap, f"within the normal {normal} months")
    if term_months > cap:
        return TermCheck(term_months, False, normal, cap, f"over the {cap}-month maximum")
    if extended_term_reason and extended_term_reason.strip():
        return TermCheck(
            term_months,
            True,
            normal,
            cap,
            f"over {normal} months, within {cap}: reason recorded: {extended_term_reason.strip()}",
        )
    return TermCheck(
        term_months,
        False,
        normal,
        cap,
        f"over the normal {normal} months: needs a recorded reason (at most {cap})",
    )


def average(balances: Sequence[Any], field: str = "balance") -> Decimal:
    """The mean of at least two balances (opening and closing, or more period ends)."""
    if isinstance(balances, str | bytes | int | Decimal) or len(balances) < 2:
        raise ValueError(
            f"{field}: give at least two balances (opening and closing) to average, "
            f"got {balances!r}"
        )
    values = [to_decimal(b, field) for b in balances]
    if any(v < 0 for v in values):
        raise ValueError(f"{field}: balances must not be negative")
    return sum(values, ZERO) / len(values)


def _amount(value: Any, field: str, *, positive: bool = False) -> Decimal:
    d = to_decimal(value, field)
    if d < 0 or (positive and d == 0):
        raise ValueError(f"{field}: must be {'positive' if positive else 'zero or more'}, got {d}")
    return d


def _fmt(d: Decimal, places: int = 2) -> str:
    return str(quantize(d, places, Rounding.HALF_UP))


@dataclass(frozen=True)
class WorkingCapitalInputs:
    """Last year's figures and the balances to average (amounts in yuan, rates as fractions)."""

    sales_revenue: Decimal
    cost_of_sales: Decimal
    sales_margin: Decimal
    expected_sales_growth: Decimal
    inventory: Sequence[Decimal]
    receivables: Sequence[Decimal]
    prepayments: Sequence[Decimal]
    payables: Sequence[Decimal]
    advance_receipts: Sequence[Decimal]
    own_funds: Decimal = ZERO
    existing_working_capital_loans: Decimal = ZERO
    other_sources: Decimal = ZERO
    term_months: int = 12
    extended_term_reason: str | None = None
    as_of: dt.date | None = None


@dataclass(frozen=True)
class WorkingCapitalSizing:
    basis: str
    rule_version: str
    steps: tuple[Step, ...]
    cycle_days: Decimal
    turnover: Decimal | None
    working_capital: Decimal
    new_loan_need: Decimal
    term: TermCheck

    def to_dict(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "rule_version": self.rule_version,
            "steps": [
                {"name": s.name, "formula": s.formula, "value": str(s.value)} for s in self.steps
            ],
            "cycle_days": str(self.cycle_days),
            "turnover": None if self.turnover is None else str(self.turnover),
            "working_capital": str(self.working_capital),
            "new_loan_need": str(self.new_loan_need),
            "term": {
                "term_months": self.term.term_months,
                "allowed": self.term.allowed,
                "note": self.term.note,
            },
        }


def size_working_capital(inputs: WorkingCapitalInputs) -> WorkingCapitalSizing:
    """Size a working-capital loan by the official estimate (§7c), showing every step.

    Days and turnover are kept at full precision and displayed to 2 and 4 places; amounts are
    rounded down to the fen (a limit never rounds up). A need below zero is shown as a step
    and the need is zero. A non-positive operating cycle (suppliers and customers fund the
    business) gives zero working capital and no turnover.
    """
    p = load_policy(inputs.as_of)
    year = Decimal(p.days_in_year)
    revenue = _amount(inputs.sales_revenue, "sales_revenue", positive=True)
    cost = _amount(inputs.cost_of_sales, "cost_of_sales", positive=True)
    margin = to_decimal(inputs.sales_margin, "sales_margin")
    growth = to_decimal(inputs.expected_sales_growth, "expected_sales_growth")
    if margin < 0:
        raise ValueError(
            "sales_margin: the enterprise made a loss; the §7c estimate does not apply — size "
            "it on another basis with size_startup_working_capital"
        )
    if margin >= 1:
        raise ValueError(f"sales_margin: must be below 1 (a fraction), got {margin}")
    if growth <= -1:
        raise ValueError(f"expected_sales_growth: must be above -1 (a fraction), got {growth}")
    own = _amount(inputs.own_funds, "own_funds")
    existing = _amount(inputs.existing_working_capital_loans, "existing_working_capital_loans")
    other = _amount(inputs.other_sources, "other_sources")

    steps: list[Step] = []
    days: dict[str, Decimal] = {}
    denominators = {
        "inventory": (cost, "cost of sales"),
        "receivables": (revenue, "sales revenue"),
        "prepayments": (cost, "cost of sales"),
        "payables": (cost, "cost of sales"),
        "advance_receipts": (revenue, "sales revenue"),
    }
    for name, (denominator, label) in denominators.items():
        balances = getattr(inputs, name)
        avg = average(balances, name)
        steps.append(
            Step(
                f"average {name}",
                f"mean of {', '.join(_fmt(to_decimal(b, name)) for b in balances)}",
                quantize(avg, 2),
            )
        )
        d = year * avg / denominator
        days[name] = d
        steps.append(
            Step(
                f"{name} days",
                f"{p.days_in_year} × {_fmt(avg)} ÷ {label} {_fmt(denominator)}",
                quantize(d, 2),
            )
        )
    cycle = (
        days["inventory"]
        + days["receivables"]
        - days["payables"]
        + days["prepayments"]
        - days["advance_receipts"]
    )
    steps.append(
        Step(
            "operating cycle days",
            "inventory + receivables − payables + prepayments − advance receipts = "
            f"{_fmt(days['inventory'])} + {_fmt(days['receivables'])} − "
            f"{_fmt(days['payables'])} + {_fmt(days['prepayments'])} − "
            f"{_fmt(days['advance_receipts'])}",
            quantize(cycle, 2),
        )
    )
    base = revenue * (1 - margin) * (1 + growth)
    steps.append(
        Step(
            "next year's funded cost of sales",
            f"{_fmt(revenue)} × (1 − {margin}) × (1 + {growth})",
            quantize(base, 2),
        )
    )
    turnover: Decimal | None
    if cycle > 0:
        turnover = year / cycle
        steps.append(
            Step(
                "turnover (times a year)",
                f"{p.days_in_year} ÷ {_fmt(cycle)}",
                quantize(turnover, 4),
            )
        )
        wc = base / turnover
        steps.append(
            Step("working capital", f"{_fmt(base)} ÷ {_fmt(turnover, 4)}", quantize(wc, 2))
        )
    else:
        turnover = None
        wc = ZERO
        steps.append(
            Step(
                "working capital",
                "operating cycle ≤ 0 days: suppliers and customers fund operations",
                ZERO,
            )
        )
    wc = quantize(wc, 2, Rounding.DOWN)
    gap = wc - own - existing - other
    steps.append(
        Step(
            "working-capital gap",
            f"{_fmt(wc)} − own funds {_fmt(own)} − existing working-capital loans "
            f"{_fmt(existing)} − other sources {_fmt(other)}",
            gap,
        )
    )
    need = max(gap, ZERO)
    steps.append(Step("new loan need", f"max({_fmt(gap)}, 0)", need))
    term = check_term(
        inputs.term_months, extended_term_reason=inputs.extended_term_reason, as_of=inputs.as_of
    )
    return WorkingCapitalSizing(
        basis="official estimate (流动资金贷款管理办法, §7c)",
        rule_version=p.version,
        steps=tuple(steps),
        cycle_days=cycle,
        turnover=turnover,
        working_capital=wc,
        new_loan_need=need,
        term=term,
    )


@dataclass(frozen=True)
class StartupBasisInputs:
    """Facts for a loss-making start-up; give at least one of the three bases (yuan)."""

    confirmed_orders: Decimal | None = None
    advance_receipts_on_orders: Decimal = ZERO
    tax_declared_sales_12m: Decimal | None = None
    equity_raised_recent: Decimal | None = None
    existing_working_capital_loans: Decimal = ZERO
    other_sources: Decimal = ZERO
    term_months: int = 12
    extended_term_reason: str | None = None
    as_of: dt.date | None = None


@dataclass(frozen=True)
class StartupSizing:
    basis: str
    policy_status: str
    rule_version: str
    steps: tuple[Step, ...]
    bases: dict[str, Decimal]
    combined: Decimal
    new_loan_need: Decimal
    term: TermCheck


def size_startup_working_capital(inputs: StartupBasisInputs) -> StartupSizing:
    """Size a loss-making start-up's working-capital loan on an alternative basis.

    This is **bank policy, not the §7c estimate**: each basis given (orders net of advance
    receipts × orders rate; last 12 months' tax-declared sales × rate; equity raised from
    investors in the look-back window × rate) gives an amount; they are combined as the policy
    says (default: the lowest, the most prudent); existing working-capital loans and other
    sources are deducted. Rates are defaults in ``data/working_capital.yaml``.
    """
    p = load_policy(inputs.as_of)
    sp = p.startup
    steps: list[Step] = []
    bases: dict[str, Decimal] = {}
    if inputs.confirmed_orders is not None:
        orders = _amount(inputs.confirmed_orders, "confirmed_orders")
        advance = _amount(inputs.advance_receipts_on_orders, "advance_receipts_on_orders")
        if advance > orders:
            raise ValueError("advance_receipts_on_orders: exceeds confirmed_orders")
        v = quantize((orders - advance) * sp.orders_rate, 2, Rounding.DOWN)
        bases["orders"] = v
        steps.append(
            Step(
                "orders basis",
                f"(confirmed orders {_fmt(orders)} − advance receipts {_fmt(advance)}) × "
                f"{sp.orders_rate}",
                v,
            )
        )
    if inputs.tax_declared_sales_12m is not None:
        sales = _amount(inputs.tax_declared_sales_12m, "tax_declared_sales_12m")
        v = quantize(sales * sp.tax_declared_sales_rate, 2, Rounding.DOWN)
        bases["tax_declared_sales"] = v
        steps.append(
            Step(
                "tax-declared sales basis",
                f"sales declared in the last 12 months {_fmt(sales)} × "
                f"{sp.tax_declared_sales_rate}",
                v,
            )
        )
    if inputs.equity_raised_recent is not None:
        equity = _amount(inputs.equity_raised_recent, "equity_raised_recent")
        v = quantize(equity * sp.equity_raised_rate, 2, Rounding.DOWN)
        bases["equity_raised"] = v
        steps.append(
            Step(
                "equity-raised basis",
                f"equity raised in the last {sp.equity_lookback_months} months {_fmt(equity)} × "
                f"{sp.equity_raised_rate}",
                v,
            )
        )
    if not bases:
        raise ValueError(
            "confirmed_orders, tax_declared_sales_12m, equity_raised_recent: give at least one"
        )
    if sp.combine == "min":
        combined = min(bases.values())
    elif sp.combine == "max":
        combined = max(bases.values())
    else:  # pragma: no cover - policy data error
        raise ValueError(f"startup_basis.combine: unknown rule {sp.combine!r}")
    steps.append(
        Step(
            f"combined ({sp.combine} of the bases)",
            ", ".join(f"{k} {_fmt(v)}" for k, v in bases.items()),
            combined,
        )
    )
    existing = _amount(inputs.existing_working_capital_loans, "existing_working_capital_loans")
    other = _amount(inputs.other_sources, "other_sources")
    gap = combined - existing - other
    steps.append(
        Step(
            "gap",
            f"{_fmt(combined)} − existing working-capital loans {_fmt(existing)} − other "
            f"sources {_fmt(other)}",
            gap,
        )
    )
    need = max(gap, ZERO)
    steps.append(Step("new loan need", f"max({_fmt(gap)}, 0)", need))
    return StartupSizing(
        basis="alternative basis for a loss-making start-up (bank policy, not the §7c estimate)",
        policy_status=sp.status,
        rule_version=p.version,
        steps=tuple(steps),
        bases=bases,
        combined=combined,
        new_loan_need=need,
        term=check_term(
            inputs.term_months,
            extended_term_reason=inputs.extended_term_reason,
            as_of=inputs.as_of,
        ),
    )
