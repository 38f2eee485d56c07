"""The loan schedule engine: ``build(terms) -> Schedule`` (guidance art. 5; issue 7 item 1).

One engine for every loan in techfin (web calculator, API, CLI, batch reconciliation). Pure and
exact: amounts are ``Decimal`` yuan rounded explicitly by the terms; no I/O except reading the
packaged conventions file (``schedule_conventions.yaml``, official-rules §7b), whose version
every schedule records.

What the terms say (see ``docs/schedule.md`` for a banker's walk-through):

- method: annuity (等额本息), equal principal (等额本金), flat (add-on interest), interest-only
  with a balloon (按期付息到期还本), bullet (利随本清: everything at maturity), stepped
  (principal percentages or payment steps per period);
- principal dates every N days / weeks / months from a first due date (a broken first period
  when it is not one period after disbursement), or explicit dates;
- interest settlement dates independent of the principal dates (e.g. the 20th of each month or
  of each quarter's last month): the rows are then the union of both sets of dates and every
  row settles the interest accrued to it;
- interest basis (``techfin.credit.daycount``), rounding mode / decimals / installment multiple
  (the last installment absorbs the remainder so principal repays exactly);
- grace counted in principal periods from the first: on principal (interest only; the annuity
  is computed over the remaining periods), on interest payment (interest accrues, no compounding,
  and is collected with the first row after the grace), interest-free (waived);
- rate changes from a date with re-amortisation of the annuity over the remaining periods;
- a third-party interest subsidy (贴息) splitting each row's interest between payers.

``Schedule.annual_rate`` is the borrower's effective annual rate: the IRR of the borrower's own
cash flows (disbursement in, payments net of any subsidy out) on their actual dates, annualised
as (1 + r)^(days/365) (the XIRR convention), as a fraction rounded to 6 decimals.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from itertools import pairwise
from typing import Any

import yaml

from techfin.credit.daycount import (
    InterestBasis,
    add_days,
    add_months,
    basis_days,
    year_fraction,
)
from techfin.money import ZERO, Rounding, quantize, round_to_multiple, to_decimal

ONE = Decimal(1)
HUNDRED = Decimal(100)
DAYS_360 = Decimal(360)
DAYS_365 = Decimal(365)


class TermsError(ValueError):
    """Invalid loan terms; ``term`` names the offending field."""

    def __init__(self, term: str, message: str) -> None:
        super().__init__(f"{term}: {message}")
        self.term = term


# --------------------------------------------------------------------------------------------
# Conventions (packaged rule data)


@dataclass(frozen=True)
class Conventions:
    version: str
    source: str
    default_interest_basis: InterestBasis
    settlement_day: int
    quarter_settlement_months: tuple[int, ...]
    rate_sanity_cap: Decimal
    max_installments: int


@cache
def conventions() -> Conventions:
    """The packaged schedule conventions (official-rules §7b)."""
    text = (
        resources.files("techfin.credit")
        .joinpath("schedule_conventions.yaml")
        .read_text(encoding="utf-8")
    )
    raw = yaml.safe_load(text)
    return Conventions(
        version=str(raw["version"]),
        source=str(raw["source"]).strip(),
        default_interest_basis=InterestBasis(raw["default_interest_basis"]),
        settlement_day=int(raw["settlement_day"]),
        quarter_settlement_months=tuple(int(m) for m in raw["quarter_settlement_months"]),
        rate_sanity_cap=to_decimal(str(raw["rate_sanity_cap"]), "rate_sanity_cap"),
        max_installments=int(raw["max_installments"]),
    )


# --------------------------------------------------------------------------------------------
# Terms


class Method(StrEnum):
    ANNUITY = "annuity"
    EQUAL_PRINCIPAL = "equal-principal"
    FLAT = "flat"
    INTEREST_ONLY = "interest-only"
    BULLET = "bullet"
    STEPPED = "stepped"


class FrequencyUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_NAMED_FREQUENCIES: dict[str, tuple[FrequencyUnit, int]] = {
    "daily": (FrequencyUnit.DAY, 1),
    "weekly": (FrequencyUnit.WEEK, 1),
    "biweekly": (FrequencyUnit.WEEK, 2),
    "fortnightly": (FrequencyUnit.WEEK, 2),
    "monthly": (FrequencyUnit.MONTH, 1),
    "bimonthly": (FrequencyUnit.MONTH, 2),
    "quarterly": (FrequencyUnit.MONTH, 3),
    "semiannual": (FrequencyUnit.MONTH, 6),
    "half-yearly": (FrequencyUnit.MONTH, 6),
    "annual": (FrequencyUnit.MONTH, 12),
    "yearly": (FrequencyUnit.MONTH, 12),
}


@dataclass(frozen=True)
class Frequency:
    """Principal dates every ``every`` days, weeks or months."""

    unit: FrequencyUnit = FrequencyUnit.MONTH
    every: int = 1

    def __post_init__(self) -> None:
        if self.every < 1:
            raise TermsError("frequency", f"every must be at least 1, got {self.every}")

    @classmethod
    def parse(cls, text: str) -> Frequency:
        """``monthly``, ``quarterly``, ``weekly``, ``daily``, … or ``every-N-days|weeks|months``."""
        key = text.strip().lower()
        if key in _NAMED_FREQUENCIES:
            unit, every = _NAMED_FREQUENCIES[key]
            return cls(unit, every)
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "every" and parts[1].isdigit():
            unit_name = parts[2].rstrip("s")
            if unit_name in ("day", "week", "month"):
                return cls(FrequencyUnit(unit_name), int(parts[1]))
        names = ", ".join(_NAMED_FREQUENCIES)
        raise TermsError("frequency", f"unknown {text!r}; use {names} or every-N-days|weeks|months")

    @property
    def periods_per_year(self) -> Decimal:
        """12 ÷ N for months, 52 ÷ N for weeks, 365 ÷ N for days (per-period basis)."""
        per = {FrequencyUnit.MONTH: 12, FrequencyUnit.WEEK: 52, FrequencyUnit.DAY: 365}
        return Decimal(per[self.unit]) / Decimal(self.every)

    def step(self, anchor: date, periods: int) -> date:
        """``anchor`` moved by ``periods`` periods (months keep the anchor's day, clamped)."""
        if self.unit is FrequencyUnit.MONTH:
            return add_months(anchor, periods * self.every)
        days = periods * self.every * (7 if self.unit is FrequencyUnit.WEEK else 1)
        return add_days(anchor, days)

    def label(self) -> str:
        return f"every-{self.every}-{self.unit.value}s"


@dataclass(frozen=True)
class InterestSettlement:
    """Interest settlement days (结息日): ``day`` of each month listed in ``months``.

    ``InterestSettlement.monthly()`` is the 20th of every month, ``.quarterly()`` the 20th of
    March, June, September and December (official-rules §7b).
    """

    day: int = 20
    months: tuple[int, ...] = tuple(range(1, 13))

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise TermsError("interest_settlement", f"day must be 1–31, got {self.day}")
        if not self.months or any(not 1 <= m <= 12 for m in self.months):
            raise TermsError("interest_settlement", "months must be a non-empty subset of 1–12")

    @classmethod
    def monthly(cls, day: int | None = None) -> InterestSettlement:
        return cls(conventions().settlement_day if day is None else day)

    @classmethod
    def quarterly(cls, day: int | None = None) -> InterestSettlement:
        conv = conventions()
        return cls(conv.settlement_day if day is None else day, conv.quarter_settlement_months)

    def dates(self, after: date, before: date) -> list[date]:
        """Settlement dates strictly after ``after`` and strictly before ``before``."""
        out: list[date] = []
        probe = date(after.year, after.month, 1)
        months = set(self.months)
        while probe < before:
            if probe.month in months:
                d = add_months(probe, 0, self.day)
                if after < d < before:
                    out.append(d)
            probe = add_months(probe, 1, 1)
        return out


@dataclass(frozen=True)
class RateChange:
    """From ``effective`` (inclusive) interest accrues at ``annual_rate`` (a fraction)."""

    effective: date
    annual_rate: Decimal


@dataclass(frozen=True)
class PaymentStep:
    """``periods`` consecutive amortising periods each paying ``payment`` (stepped method)."""

    periods: int
    payment: Decimal


@dataclass(frozen=True)
class Subsidy:
    """A third party (``payer``) pays part of each interest amount (贴息).

    Either a ``share`` of the interest (0.5 = half) or ``rate`` points of the annual rate
    (0.02 = two percentage points, never more than the loan rate), optionally only for
    interest accrued before ``until``.
    """

    payer: str
    share: Decimal | None = None
    rate: Decimal | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if not self.payer.strip():
            raise TermsError("subsidy", "payer must be named")
        if (self.share is None) == (self.rate is None):
            raise TermsError("subsidy", "give exactly one of share or rate")
        if self.share is not None and not ZERO < self.share <= ONE:
            raise TermsError("subsidy", f"share must be in (0, 1], got {self.share}")
        if self.rate is not None and self.rate <= ZERO:
            raise TermsError("subsidy", f"rate must be positive, got {self.rate}")


@dataclass(frozen=True)
class Terms:
    """Everything a schedule depends on. Validated on construction (errors name the term).

    ``annual_rate`` is a fraction (0.0435 = 4.35 %). ``installments`` counts principal
    periods; ``due_dates`` replaces frequency-generated principal dates. ``interest_basis``
    defaults to ACT/360, the Chinese corporate convention (official-rules §7b).
    ``installment_multiple`` rounds the level amount (the installment for annuity and stepped
    payments, the principal part for equal principal and flat) to a multiple such as 1 yuan;
    ``None`` means ``10**-decimals``; ``installment_rounding`` rounds that level amount
    (default: ``rounding``; ``UP`` with a multiple of 1 is frappe/lending's ceiling EMI).
    ``annuity_basis`` sizes the level installment (default:
    the interest basis, which gives the most even payments; ``PER_PERIOD`` gives the textbook
    PMT at rate ÷ periods per year that Fineract and frappe/lending use). ``rate_cap``
    defaults to the packaged sanity cap (36 %, unconfirmed house figure).
    """

    principal: Decimal
    annual_rate: Decimal
    start: date
    installments: int = 0
    method: Method = Method.ANNUITY
    frequency: Frequency = field(default_factory=Frequency)
    first_due: date | None = None
    due_dates: tuple[date, ...] = ()
    periods_per_year: Decimal | None = None
    interest_basis: InterestBasis = InterestBasis.ACT_360
    annuity_basis: InterestBasis | None = None
    interest_settlement: InterestSettlement | None = None
    interest_dates: tuple[date, ...] = ()
    rounding: Rounding = Rounding.HALF_UP
    decimals: int = 2
    installment_multiple: Decimal | None = None
    installment_rounding: Rounding | None = None
    grace_principal: int = 0
    grace_interest: int = 0
    interest_free: int = 0
    rate_changes: tuple[RateChange, ...] = ()
    step_principal_percents: tuple[Decimal, ...] = ()
    step_payments: tuple[PaymentStep, ...] = ()
    subsidy: Subsidy | None = None
    rate_cap: Decimal | None = None

    def __post_init__(self) -> None:
        _validate(self)

    # Derived -------------------------------------------------------------------------------

    @property
    def effective_rate_cap(self) -> Decimal:
        return conventions().rate_sanity_cap if self.rate_cap is None else self.rate_cap

    @property
    def period_count(self) -> int:
        return len(self.due_dates) if self.due_dates else self.installments

    @property
    def ppy(self) -> Decimal:
        if self.periods_per_year is not None:
            return self.periods_per_year
        return self.frequency.periods_per_year

    def principal_dates(self) -> list[date]:
        """The principal period end dates P1…Pn (also used to count grace periods)."""
        if self.due_dates:
            return list(self.due_dates)
        first = self.first_due or self.frequency.step(self.start, 1)
        return [self.frequency.step(first, k) for k in range(self.installments)]

    @property
    def first_regular_start(self) -> date:
        """Start of the regular period ending on the first due date (per-period basis)."""
        if self.due_dates or self.first_due is None:
            return self.start
        return self.frequency.step(self.first_due, -1)


MAX_PRINCIPAL = Decimal("1e15")  # a thousand trillion yuan: above it an amount is a typo


def _validate(t: Terms) -> None:
    conv = conventions()
    if not t.principal.is_finite() or t.principal <= ZERO:
        raise TermsError("principal", f"must be positive, got {t.principal}")
    if t.principal >= MAX_PRINCIPAL:
        raise TermsError("principal", f"{t.principal} is not a plausible loan amount (< 1e15)")
    cap = t.effective_rate_cap
    if t.annual_rate < ZERO:
        raise TermsError("annual_rate", f"must not be negative, got {t.annual_rate}")
    if t.annual_rate > cap:
        raise TermsError(
            "annual_rate",
            f"{t.annual_rate} ({t.annual_rate * 100:f} %) is above the sanity cap {cap} "
            f"({cap * 100:f} %)",
        )
    if not 0 <= t.decimals <= 6:
        raise TermsError("decimals", f"must be between 0 and 6, got {t.decimals}")
    if t.principal != t.principal.quantize(ONE.scaleb(-t.decimals)):
        raise TermsError(
            "principal", f"{t.principal} has more than {t.decimals} decimals (the rounding unit)"
        )
    if t.installment_multiple is not None and t.installment_multiple <= ZERO:
        raise TermsError("installment_multiple", f"must be positive, got {t.installment_multiple}")
    if t.due_dates:
        if t.installments not in (0, len(t.due_dates)):
            raise TermsError(
                "installments",
                f"{t.installments} disagrees with the {len(t.due_dates)} explicit due dates",
            )
        if t.due_dates[0] <= t.start:
            raise TermsError("due_dates", "the first due date must be after disbursement")
        if any(b <= a for a, b in zip(t.due_dates, t.due_dates[1:], strict=False)):
            raise TermsError("due_dates", "must be strictly increasing")
        if t.interest_basis is InterestBasis.PER_PERIOD and t.periods_per_year is None:
            raise TermsError(
                "periods_per_year", "needed for the per-period basis with explicit due dates"
            )
    elif t.installments < 1:
        raise TermsError("installments", f"must be at least 1, got {t.installments}")
    n = t.period_count
    if n > conv.max_installments:
        raise TermsError("installments", f"{n} is above the maximum {conv.max_installments}")
    if t.first_due is not None and t.first_due <= t.start:
        raise TermsError("first_due", f"{t.first_due} is not after the disbursement date {t.start}")
    if t.periods_per_year is not None and t.periods_per_year <= ZERO:
        raise TermsError("periods_per_year", "must be positive")
    for name, value in (
        ("grace_principal", t.grace_principal),
        ("grace_interest", t.grace_interest),
        ("interest_free", t.interest_free),
    ):
        if value < 0:
            raise TermsError(name, f"must not be negative, got {value}")
        if value and value >= n:
            raise TermsError(
                name, f"{value} periods is not shorter than the term of {n} installments"
            )
    if t.grace_principal and t.method in (Method.INTEREST_ONLY, Method.BULLET):
        raise TermsError("grace_principal", f"means nothing for the {t.method} method")
    maturity = t.principal_dates()[-1]
    previous = t.start
    for i, change in enumerate(t.rate_changes):
        term = f"rate_changes[{i}]"
        if change.effective <= previous:
            what = "disbursement" if i == 0 else "the previous change"
            raise TermsError(term, f"effective {change.effective} is not after {what}")
        if change.effective >= maturity:
            raise TermsError(term, f"effective {change.effective} is not before maturity")
        if not ZERO <= change.annual_rate <= cap:
            raise TermsError(term, f"rate {change.annual_rate} outside 0…{cap}")
        previous = change.effective
    separate = t.interest_settlement is not None or bool(t.interest_dates)
    if t.interest_settlement is not None and t.interest_dates:
        raise TermsError("interest_dates", "give either interest_settlement or interest_dates")
    if t.annuity_basis is InterestBasis.PER_PERIOD and t.due_dates and t.periods_per_year is None:
        raise TermsError(
            "periods_per_year", "needed for the per-period annuity basis with explicit due dates"
        )
    if separate and t.interest_basis is InterestBasis.PER_PERIOD:
        raise TermsError(
            "interest_basis",
            "per-period interest needs interest settled on the principal dates; "
            "use a day-count basis (act-360) with separate settlement dates",
        )
    if separate and t.method is Method.FLAT:
        raise TermsError("interest_settlement", "flat (add-on) interest follows the installments")
    if t.method is Method.FLAT and t.rate_changes:
        raise TermsError("rate_changes", "flat (add-on) interest is fixed at the start")
    if t.interest_dates:
        if any(b <= a for a, b in zip(t.interest_dates, t.interest_dates[1:], strict=False)):
            raise TermsError("interest_dates", "must be strictly increasing")
        if t.interest_dates[0] <= t.start or t.interest_dates[-1] > maturity:
            raise TermsError("interest_dates", "must fall after disbursement, up to maturity")
    amortising = n - t.grace_principal
    if t.method is Method.STEPPED:
        if bool(t.step_principal_percents) == bool(t.step_payments):
            raise TermsError(
                "step_principal_percents",
                "the stepped method needs either principal percentages or payment steps",
            )
        if t.step_principal_percents:
            if len(t.step_principal_percents) != amortising:
                raise TermsError(
                    "step_principal_percents",
                    f"{len(t.step_principal_percents)} values for {amortising} amortising periods",
                )
            if any(p < ZERO for p in t.step_principal_percents):
                raise TermsError("step_principal_percents", "must not be negative")
            if sum(t.step_principal_percents, ZERO) != HUNDRED:
                raise TermsError("step_principal_percents", "must add up to 100")
        else:
            if sum(s.periods for s in t.step_payments) != amortising:
                raise TermsError(
                    "step_payments", f"periods must add up to {amortising} amortising periods"
                )
            if any(s.periods < 1 or s.payment <= ZERO for s in t.step_payments):
                raise TermsError("step_payments", "each step needs periods ≥ 1 and a payment > 0")
    elif t.step_principal_percents or t.step_payments:
        raise TermsError("method", "steps are given but the method is not stepped")


# --------------------------------------------------------------------------------------------
# Schedule


@dataclass(frozen=True)
class Row:
    """One due date. ``interest`` is the whole interest due; with a subsidy, ``subsidy`` of it
    is paid by the third party and the borrower pays ``payment - subsidy``."""

    n: int
    due_date: date
    days: int
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance: Decimal
    subsidy: Decimal | None = None

    @property
    def borrower_interest(self) -> Decimal:
        return self.interest - (self.subsidy or ZERO)

    @property
    def borrower_payment(self) -> Decimal:
        return self.payment - (self.subsidy or ZERO)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "due_date": self.due_date.isoformat(),
            "days": self.days,
            "principal": str(self.principal),
            "interest": str(self.interest),
            "payment": str(self.payment),
            "balance": str(self.balance),
        }
        if self.subsidy is not None:
            out["subsidy"] = str(self.subsidy)
            out["borrower_interest"] = str(self.borrower_interest)
            out["borrower_payment"] = str(self.borrower_payment)
        return out


@dataclass(frozen=True)
class Totals:
    principal: Decimal
    interest: Decimal
    payment: Decimal
    subsidy: Decimal | None = None

    def to_dict(self) -> dict[str, str]:
        out = {
            "principal": str(self.principal),
            "interest": str(self.interest),
            "payment": str(self.payment),
        }
        if self.subsidy is not None:
            out["subsidy"] = str(self.subsidy)
            out["borrower_interest"] = str(self.interest - self.subsidy)
            out["borrower_payment"] = str(self.payment - self.subsidy)
        return out


@dataclass(frozen=True)
class Schedule:
    terms: Terms
    rows: tuple[Row, ...]
    conventions_version: str

    @cached_property
    def totals(self) -> Totals:
        subsidy = None
        if self.terms.subsidy is not None:
            subsidy = sum((r.subsidy or ZERO for r in self.rows), ZERO)
        return Totals(
            principal=sum((r.principal for r in self.rows), ZERO),
            interest=sum((r.interest for r in self.rows), ZERO),
            payment=sum((r.payment for r in self.rows), ZERO),
            subsidy=subsidy,
        )

    @cached_property
    def annual_rate(self) -> Decimal:
        """Borrower's effective annual rate (IRR of own cash flows, XIRR convention)."""
        flows = [(self.terms.start, self.terms.principal)]
        flows += [(r.due_date, -r.borrower_payment) for r in self.rows]
        return effective_annual_rate(flows)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals.to_dict(),
            "annual_rate": str(self.annual_rate),
        }
        if self.terms.subsidy is not None:
            out["subsidy_payer"] = self.terms.subsidy.payer
        return out


def effective_annual_rate(flows: Sequence[tuple[date, Decimal]]) -> Decimal:
    """The rate r with Σ flow / (1 + r)^(days/365) = 0, days counted from the first flow.

    A rate, not money: solved in binary floating point (Newton with a bisection fallback) and
    returned as a ``Decimal`` fraction rounded half-even to 6 decimals (0.0001 %).
    """
    if not flows:
        raise ValueError("flows: empty")
    t0 = flows[0][0]
    pts = [((d - t0).days / 365.0, float(a)) for d, a in flows]

    def npv(r: float) -> float:
        return math.fsum(a * math.pow(1.0 + r, -t) for t, a in pts)

    if abs(npv(0.0)) < 1e-9:
        return Decimal("0.000000")
    lo, hi = -0.99, 1.0
    while npv(hi) > 0 and hi < 1e6:
        hi *= 2
    f_lo, f_hi = npv(lo), npv(hi)
    if f_lo * f_hi > 0:
        raise ValueError("flows: no internal rate of return")
    r = 0.1
    for _ in range(100):
        f = npv(r)
        d = math.fsum(-t * a * math.pow(1.0 + r, -t - 1) for t, a in pts)
        if d == 0 or not math.isfinite(f):
            break
        nxt = r - f / d
        if not lo < nxt < hi:
            break
        if abs(nxt - r) < 1e-13:
            r = nxt
            return Decimal(repr(r)).quantize(Decimal("0.000001"))
        r = nxt
    for _ in range(200):  # bisection fallback
        mid = (lo + hi) / 2
        if npv(mid) * f_lo > 0:
            lo, f_lo = mid, npv(mid)
        else:
            hi = mid
    return Decimal(repr((lo + hi) / 2)).quantize(Decimal("0.000001"))


# --------------------------------------------------------------------------------------------
# The engine


# An exact ratio num / den of Decimals (both exact under the build's 60-digit context).
_Ratio = tuple[Decimal, Decimal]
_ZERO_RATIO: _Ratio = (ZERO, ONE)
_UNIT_DAYS = {FrequencyUnit.MONTH: 12, FrequencyUnit.WEEK: 52, FrequencyUnit.DAY: 365}


def _add(a: _Ratio, b: _Ratio) -> _Ratio:
    if a[1] == b[1]:
        return (a[0] + b[0], a[1])
    return (a[0] * b[1] + b[0] * a[1], a[1] * b[1])


class _Engine:
    """State for one build. Interest is exact: a row's interest is the ratio
    balance × Σ(rate × days) ÷ 360 (or ÷ 365, or × N ÷ 12 per period) kept as an exact
    numerator/denominator pair and divided once, then rounded once."""

    def __init__(self, t: Terms) -> None:
        self.t = t
        self.mode = t.rounding
        self.rmode = t.rounding.decimal_mode
        self.exp = ONE.scaleb(-t.decimals)
        self.periods = t.principal_dates()
        self.n = len(self.periods)
        self.bounds = [t.start, *self.periods]
        self.changes = list(t.rate_changes)
        self.change_dates = [c.effective for c in self.changes]
        sub = t.subsidy
        self.sub_share = sub.share if sub is not None else None
        self.sub_rate = sub.rate if sub is not None else None
        self.sub_until = sub.until if sub is not None else None
        self.annuity_basis = t.annuity_basis or t.interest_basis
        self.fractions: list[_Ratio] = []
        if InterestBasis.PER_PERIOD in (t.interest_basis, self.annuity_basis):
            if t.periods_per_year is not None:
                one: _Ratio = (ONE, t.periods_per_year)
            else:
                f = t.frequency
                one = (Decimal(f.every), Decimal(_UNIT_DAYS[f.unit]))
            self.fractions = [one] * self.n
            regular = t.first_regular_start
            if regular != t.start:
                self.fractions[0] = (
                    one[0] * (self.bounds[1] - t.start).days,
                    one[1] * (self.bounds[1] - regular).days,
                )

    def q(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.exp, rounding=self.rmode)

    def qr(self, amount: _Ratio) -> Decimal:
        return (amount[0] / amount[1]).quantize(self.exp, rounding=self.rmode)

    def level(self, amount: Decimal) -> Decimal:
        mode = self.t.installment_rounding or self.mode
        if self.t.installment_multiple is not None:
            return round_to_multiple(amount, self.t.installment_multiple, mode)
        return amount.quantize(self.exp, rounding=mode.decimal_mode)

    def rate_at(self, d: date, known: int) -> Decimal:
        rate = self.t.annual_rate
        for change in self.changes[:known]:
            if change.effective <= d:
                rate = change.annual_rate
            else:
                break
        return rate

    def known_before(self, d: date) -> int:
        """How many rate changes take effect before ``d`` (are known for a period ending d)."""
        return bisect_left(self.change_dates, d)

    def period_index(self, d: date) -> int:
        """1-based principal period containing the date d (P_{k-1} < d <= P_k)."""
        return min(bisect_left(self.periods, d), self.n - 1) + 1

    def accrual_factor(
        self, a: date, b: date, known: int, basis: InterestBasis | None = None
    ) -> tuple[_Ratio, _Ratio]:
        """(Σ rate × fraction, Σ subsidised rate × fraction) over [a, b), exactly.

        The span is cut only where it must be (a known rate change, the subsidy's end, and for
        per-period a period boundary), so an uncut row is exactly the basis formula.
        """
        basis = basis or self.t.interest_basis
        per_period = basis is InterestBasis.PER_PERIOD
        cuts = [a, b]
        for c in self.changes[:known]:
            if a < c.effective < b:
                cuts.append(c.effective)
        until = self.sub_until
        if until is not None and a < until < b:
            cuts.append(until)
        if per_period:
            i = bisect_right(self.bounds, a)
            while i < len(self.bounds) and self.bounds[i] < b:
                cuts.append(self.bounds[i])
                i += 1
        points = sorted(set(cuts)) if len(cuts) > 2 else cuts
        whole = _ZERO_RATIO
        subsidised = _ZERO_RATIO
        has_sub = self.sub_share is not None or self.sub_rate is not None
        for x, y in pairwise(points):
            rate = self.rate_at(x, known)
            if per_period:
                k = self.period_index(y) - 1
                frac = self.fractions[k]
                span = (self.bounds[k + 1] - self.bounds[k]).days
                days = (y - x).days
                if days != span:
                    frac = (frac[0] * days, frac[1] * span)
            else:
                frac = (
                    Decimal(basis_days(x, y, basis)),
                    DAYS_365 if basis is InterestBasis.ACT_365F else DAYS_360,
                )
            part = (rate * frac[0], frac[1])
            whole = _add(whole, part)
            if has_sub and (until is None or x < until):
                if self.sub_share is not None:
                    subsidised = _add(subsidised, (part[0] * self.sub_share, part[1]))
                elif self.sub_rate is not None:
                    subsidised = _add(subsidised, (min(self.sub_rate, rate) * frac[0], frac[1]))
        return whole, subsidised

    # Level amounts ------------------------------------------------------------------------

    def annuity(self, k: int, balance: Decimal, known: int) -> Decimal:
        """Level installment for periods k..n (1-based) from ``balance``, rates as known:
        A = B × Π(1 + f_j) ÷ Σ_j Π_{i>j}(1 + f_i) — the textbook PMT when every f is equal."""
        denominator = ZERO
        tail = ONE
        for j in range(self.n, k - 1, -1):
            denominator += tail
            if j > self.t.interest_free:
                exact, _ = self.accrual_factor(
                    self.bounds[j - 1], self.bounds[j], known, self.annuity_basis
                )
                tail *= ONE + exact[0] / exact[1]
        return self.level(balance * tail / denominator)


def build(terms: Terms) -> Schedule:
    """Build the schedule for ``terms`` (pure; ``Decimal``; see module docstring)."""
    with localcontext() as ctx:
        ctx.prec = 60  # products of amounts, rates and day counts stay exact
        return _build(terms)


def _build(t: Terms) -> Schedule:
    e = _Engine(t)
    n = e.n
    periods = e.periods
    maturity = periods[-1]
    method = t.method

    principal_row_dates = [maturity] if method is Method.BULLET else list(periods)
    if t.interest_settlement is not None:
        interest_row_dates = t.interest_settlement.dates(t.start, maturity)
    else:
        interest_row_dates = list(t.interest_dates)
    if interest_row_dates:
        row_dates = sorted(set(principal_row_dates) | set(interest_row_dates))
    else:
        row_dates = principal_row_dates
    principal_dates = set(principal_row_dates)

    amortising_from = t.grace_principal + 1  # first period that repays principal
    amortising = n - t.grace_principal

    # Flat (add-on) interest: the whole term's interest spread evenly over the installments.
    flat_interest_each = ZERO
    flat_total_q = ZERO
    if method is Method.FLAT:
        total_factor, _ = e.accrual_factor(t.start, maturity, 0)
        flat_total = (t.principal * total_factor[0], total_factor[1])
        flat_interest_each = e.qr((flat_total[0], flat_total[1] * n))
        flat_total_q = e.qr(flat_total)

    equal_principal = ZERO
    if method in (Method.EQUAL_PRINCIPAL, Method.FLAT):
        equal_principal = e.level(t.principal / amortising)

    step_payment_by_period: dict[int, Decimal] = {}
    if t.step_payments:
        k = amortising_from
        for step in t.step_payments:
            for _ in range(step.periods):
                step_payment_by_period[k] = step.payment
                k += 1

    installment: Decimal | None = None
    installment_known = -1

    balance = e.q(t.principal)
    deferred_whole = _ZERO_RATIO
    deferred_sub = _ZERO_RATIO
    prev = t.start
    rows: list[Row] = []
    flat_charged = ZERO
    has_subsidy = t.subsidy is not None
    level_method = method is Method.ANNUITY or (method is Method.STEPPED and bool(t.step_payments))

    for idx, d in enumerate(row_dates, start=1):
        k = e.period_index(d)
        known = e.known_before(d)
        # Interest accrued over [prev, d) on the balance outstanding in it (exact).
        whole = _ZERO_RATIO
        sub_part = _ZERO_RATIO
        factor = _ZERO_RATIO
        if method is Method.FLAT:
            if d in principal_dates:
                remaining = flat_total_q - flat_charged
                this = remaining if k == n else min(flat_interest_each, remaining)
                flat_charged += this
                whole = (this, ONE)
                if e.sub_share is not None:
                    sub_part = (this * e.sub_share, ONE)
                elif e.sub_rate is not None and t.annual_rate:
                    sub_part = (this * min(e.sub_rate, t.annual_rate), t.annual_rate)
                if e.sub_until is not None and d > e.sub_until:
                    sub_part = _ZERO_RATIO
        else:
            factor, f_sub = e.accrual_factor(prev, d, known)
            whole = (balance * factor[0], factor[1])
            if has_subsidy:
                sub_part = (balance * f_sub[0], f_sub[1])
        if k <= t.interest_free:
            whole = _ZERO_RATIO
            sub_part = _ZERO_RATIO
        deferred_whole = _add(deferred_whole, whole)
        if has_subsidy:
            deferred_sub = _add(deferred_sub, sub_part)
        if k <= t.grace_interest and d != maturity:
            interest = e.q(ZERO)
            subsidy = interest
        else:
            interest = e.qr(deferred_whole)
            subsidy = min(e.qr(deferred_sub), interest) if has_subsidy else interest
            deferred_whole = _ZERO_RATIO
            deferred_sub = _ZERO_RATIO

        principal = ZERO
        if d in principal_dates and k >= amortising_from:
            if k == n:
                principal = balance
            elif level_method:
                if method is Method.ANNUITY:
                    if installment is None or installment_known != known:
                        installment = e.annuity(k, balance, known)
                        installment_known = known
                    level_payment = installment
                else:
                    level_payment = step_payment_by_period[k]
                if k <= t.interest_free:
                    period_interest = ZERO
                else:
                    if prev != e.bounds[k - 1]:  # the row is not the whole principal period
                        factor, _ = e.accrual_factor(e.bounds[k - 1], d, known)
                    period_interest = e.qr((balance * factor[0], factor[1]))
                principal = level_payment - period_interest
                if principal < ZERO:
                    if method is Method.STEPPED:
                        raise TermsError(
                            "step_payments",
                            f"payment {level_payment} in period {k} does not cover the "
                            f"interest {period_interest}",
                        )
                    principal = ZERO
            elif method in (Method.EQUAL_PRINCIPAL, Method.FLAT):
                principal = equal_principal
            elif method is Method.STEPPED:
                pct = t.step_principal_percents[k - amortising_from]
                principal = e.q(t.principal * pct / HUNDRED)
            # INTEREST_ONLY and BULLET repay only at maturity (k == n above).
            principal = min(principal, balance)
        balance -= principal
        rows.append(
            Row(
                n=idx,
                due_date=d,
                days=(d - prev).days,
                principal=e.q(principal),
                interest=interest,
                payment=e.q(principal + interest),
                balance=e.q(balance),
                subsidy=subsidy if has_subsidy else None,
            )
        )
        prev = d

    return Schedule(terms=t, rows=tuple(rows), conventions_version=conventions().version)


def basis_interest(
    balance: Decimal,
    start: date,
    end: date,
    annual_rate: Decimal,
    basis: InterestBasis,
    periods_per_year: Decimal | None = None,
    decimals: int = 2,
    rounding: Rounding = Rounding.HALF_UP,
) -> Decimal:
    """The basis formula for one row, for checking: balance × rate × fraction, rounded.

    For per-period, a regular period (``periods_per_year`` required).
    """
    if basis is InterestBasis.PER_PERIOD:
        if periods_per_year is None:
            raise ValueError("periods_per_year: required for per-period")
        frac = ONE / periods_per_year
    else:
        frac = year_fraction(start, end, basis)
    return quantize(balance * annual_rate * frac, decimals, rounding)


__all__ = [
    "Frequency",
    "FrequencyUnit",
    "InterestBasis",
    "InterestSettlement",
    "Method",
    "PaymentStep",
    "RateChange",
    "Row",
    "Schedule",
    "Subsidy",
    "Terms",
    "TermsError",
    "Totals",
    "basis_days",
    "basis_interest",
    "build",
    "conventions",
    "effective_annual_rate",
]
