"""Loan pricing: LPR, repricing, FTP with the tech-loan subsidy, risk-based floor and RAROC.

Implements issue 7 item 6 under official-rules §7b and guidance art. 10:

- the LPR table (1-year and 5-year-plus monthly fixings) is data, ``credit/data/lpr.csv``, with
  each fixing's confidence; `LprTable.in_force` gives the fixing in force on a date (the latest
  published on or before it);
- a loan's rate is either fixed or LPR + a spread fixed for the loan's life (it may be
  negative), reset on repricing dates (each anniversary, every N months, or each 1 January);
- FTP is a curve by term (the repricing term for floating loans) plus a liquidity premium by
  contractual term; the tech-loan FTP discount is a **head-office subsidy credited to the
  branch**, never a second cut in the customer's rate — the floor is computed on the full FTP,
  and the subsidy shows up in the branch's RAROC;
- risk-based floor = FTP + expected loss (PD × LGD) + capital charge + operating cost, each
  part shown against the offered rate; RAROC with and without the subsidy;
- grade-driven adjustments: a grade T1 (best) … T10 maps to a spread adjustment, read from
  the grade policy ``credit/data/grade_policy.yaml`` (the one home of grade levers, 0608).

FTP, capital and cost parameters are bank policy in ``credit/data/pricing_policy.yaml``
(illustrative defaults, not official numbers).
Rates are annual ``Decimal`` fractions (0.035 = 3.5 %).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.credit.grade_policy import GRADES, grade_levers, load_grade_policy
from techfin.money import ZERO, Rounding, quantize, to_decimal

__all__ = [
    "BP",
    "FixedRate",
    "FloatingRate",
    "FtpQuote",
    "LprFixing",
    "LprTable",
    "LprTenor",
    "PricingPolicy",
    "PricingQuote",
    "RatePeriod",
    "Repricing",
    "RepricingRule",
    "ftp_quote",
    "grade_adjustment",
    "load_lpr_table",
    "load_pricing_policy",
    "price_loan",
    "rate_path",
    "repricing_dates",
]

BP = Decimal("0.0001")
_HUNDRED = Decimal(100)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- LPR


class LprTenor(StrEnum):
    ONE_YEAR = "1y"
    FIVE_YEAR_PLUS = "5y+"


@dataclass(frozen=True)
class LprFixing:
    """One monthly LPR fixing; rates as fractions; `confidence` as recorded in the data."""

    fixing_date: dt.date
    one_year: Decimal
    five_year_plus: Decimal
    confidence: str

    def rate(self, tenor: LprTenor) -> Decimal:
        return self.one_year if LprTenor(tenor) is LprTenor.ONE_YEAR else self.five_year_plus


@dataclass(frozen=True)
class LprTable:
    fixings: tuple[LprFixing, ...]

    def __post_init__(self) -> None:
        if not self.fixings:
            raise ValueError("LPR table: no fixings")
        dates = [f.fixing_date for f in self.fixings]
        if dates != sorted(set(dates)):
            raise ValueError("LPR table: fixing dates must be unique and in order")

    @property
    def first_date(self) -> dt.date:
        return self.fixings[0].fixing_date

    @property
    def last_date(self) -> dt.date:
        return self.fixings[-1].fixing_date

    def valid_until(self) -> dt.date:
        """The first date the table cannot answer: one month after the last fixing, when the
        next fixing would have been published."""
        return _add_months(self.last_date, 1)

    def in_force(self, on: dt.date, *, allow_stale: bool = False) -> LprFixing:
        """The fixing in force on `on`: the latest published on or before that date.

        A date from one month after the last fixing on raises ``ValueError`` (the next fixing
        is missing from the table) unless ``allow_stale``.
        """
        if on < self.first_date:
            raise ValueError(
                f"date: {on.isoformat()} is before the first LPR fixing "
                f"({self.first_date.isoformat()})"
            )
        if on >= self.valid_until() and not allow_stale:
            raise ValueError(
                f"date: {on.isoformat()} needs an LPR fixing after "
                f"{self.last_date.isoformat()}, the last in the table; enter the next fixing "
                "(/market/lpr on the platform, or credit/data/lpr.csv in a release)"
            )
        lo, hi = 0, len(self.fixings)
        while lo < hi:  # first fixing with date > on
            mid = (lo + hi) // 2
            if self.fixings[mid].fixing_date <= on:
                lo = mid + 1
            else:
                hi = mid
        return self.fixings[lo - 1]


def _parse_lpr_csv(text: str) -> LprTable:
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append(
            LprFixing(
                fixing_date=dt.date.fromisoformat(row["fixing_date"]),
                one_year=Decimal(row["lpr_1y"]) / _HUNDRED,
                five_year_plus=Decimal(row["lpr_5y_plus"]) / _HUNDRED,
                confidence=row["confidence"],
            )
        )
    return LprTable(tuple(rows))


@cache
def load_lpr_table() -> LprTable:
    """The packaged LPR table (``credit/data/lpr.csv``; percent in the file, fractions here)."""
    text = (resources.files("techfin.credit") / "data" / "lpr.csv").read_text("utf-8")
    return _parse_lpr_csv(text)


# --------------------------------------------------------------------------- rate terms


class RepricingRule(StrEnum):
    PERIODIC = "periodic"  # every `months` months from the value date (12 = each anniversary)
    JANUARY_FIRST = "january-1"  # each 1 January


@dataclass(frozen=True)
class Repricing:
    rule: RepricingRule = RepricingRule.PERIODIC
    months: int = 12

    def __post_init__(self) -> None:
        if self.months < 1:
            raise ValueError(f"repricing months: must be ≥ 1, got {self.months}")

    @property
    def term_months(self) -> int:
        """The repricing term used to look up FTP for a floating loan."""
        return 12 if self.rule is RepricingRule.JANUARY_FIRST else self.months


@dataclass(frozen=True)
class FixedRate:
    rate: Decimal

    def __post_init__(self) -> None:
        r = to_decimal(self.rate, "rate")
        if r <= 0:
            raise ValueError(f"rate: must be positive, got {r}")


@dataclass(frozen=True)
class FloatingRate:
    """LPR + a spread in basis points fixed for the loan's life (may be negative)."""

    spread_bp: Decimal
    tenor: LprTenor = LprTenor.ONE_YEAR
    repricing: Repricing = field(default_factory=Repricing)

    @property
    def spread(self) -> Decimal:
        return to_decimal(self.spread_bp, "spread_bp") * BP


def repricing_dates(start: dt.date, maturity: dt.date, repricing: Repricing) -> list[dt.date]:
    """Repricing dates strictly after `start` and strictly before `maturity`."""
    if maturity <= start:
        raise ValueError("maturity: must be after the start date")
    out: list[dt.date] = []
    if repricing.rule is RepricingRule.JANUARY_FIRST:
        d = dt.date(start.year + 1, 1, 1)
        while d < maturity:
            out.append(d)
            d = dt.date(d.year + 1, 1, 1)
    else:
        k = 1
        d = _add_months(start, repricing.months)
        while d < maturity:
            out.append(d)
            k += 1
            d = _add_months(start, repricing.months * k)
    return out


@dataclass(frozen=True)
class RatePeriod:
    """The contract rate from `start` (inclusive) to `end` (exclusive)."""

    start: dt.date
    end: dt.date
    rate: Decimal
    lpr: LprFixing | None
    projected: bool = False


def rate_path(
    terms: FixedRate | FloatingRate,
    start: dt.date,
    maturity: dt.date,
    *,
    table: LprTable | None = None,
    assume_flat: bool = False,
) -> list[RatePeriod]:
    """The contract rate over the loan's life, one period per repricing.

    A floating loan takes the LPR in force on the value date and on each repricing date, plus
    its spread. Repricing dates beyond the LPR table raise ``ValueError`` unless
    ``assume_flat``, in which case the last fixing is used and the period is marked projected.
    """
    if maturity <= start:
        raise ValueError("maturity: must be after the start date")
    if isinstance(terms, FixedRate):
        return [RatePeriod(start, maturity, to_decimal(terms.rate, "rate"), None)]
    tbl = table or load_lpr_table()
    bounds = [start, *repricing_dates(start, maturity, terms.repricing), maturity]
    out = []
    for a, b in itertools.pairwise(bounds):
        projected = a >= tbl.valid_until()
        if projected and not assume_flat:
            raise ValueError(
                f"date: repricing on {a.isoformat()} needs an LPR fixing after "
                f"{tbl.last_date.isoformat()}; pass assume_flat=True to project the last one"
            )
        fixing = tbl.in_force(a, allow_stale=assume_flat)
        rate = fixing.rate(terms.tenor) + terms.spread
        if rate <= 0:
            raise ValueError(f"spread_bp: gives a rate of {rate} on {a.isoformat()}")
        out.append(RatePeriod(a, b, rate, fixing, projected))
    return out


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class PricingPolicy:
    version: str
    source: str
    effective_from: dt.date
    ftp_curve: tuple[tuple[int, Decimal], ...]
    liquidity_premium: tuple[tuple[int | None, Decimal], ...]
    tech_ftp_discount: Decimal
    capital_ratio: Decimal
    hurdle_rate: Decimal
    default_risk_weight: Decimal
    operating_cost: Decimal
    base_spread_bp: Decimal


def _policy_from(v: dict[str, Any]) -> PricingPolicy:
    def dec(x: Any) -> Decimal:
        return Decimal(str(x))

    curve = tuple(sorted((int(p["months"]), dec(p["rate"])) for p in v["ftp_curve"]))
    lp = tuple(
        (None if p["up_to_months"] is None else int(p["up_to_months"]), dec(p["premium"]))
        for p in v["liquidity_premium"]
    )
    return PricingPolicy(
        version=str(v["version"]),
        source=str(v["source"]),
        effective_from=v["effective_from"],
        ftp_curve=curve,
        liquidity_premium=lp,
        tech_ftp_discount=dec(v["tech_ftp_discount"]),
        capital_ratio=dec(v["capital_ratio"]),
        hurdle_rate=dec(v["hurdle_rate"]),
        default_risk_weight=dec(v["default_risk_weight"]),
        operating_cost=dec(v["operating_cost"]),
        base_spread_bp=dec(v["base_spread_bp"]),
    )


@cache
def _policies() -> tuple[PricingPolicy, ...]:
    text = (resources.files("techfin.credit") / "data" / "pricing_policy.yaml").read_text("utf-8")
    out = [_policy_from(v) for v in yaml.safe_load(text)["versions"]]
    return tuple(sorted(out, key=lambda p: p.effective_from))


def load_pricing_policy(as_of: dt.date | None = None) -> PricingPolicy:
    """The pricing policy version in force on `as_of` (latest when None)."""
    ps = _policies()
    if as_of is None:
        return ps[-1]
    for p in reversed(ps):
        if p.effective_from <= as_of:
            return p
    raise ValueError(f"as_of: no pricing policy in force on {as_of.isoformat()}")


def grade_adjustment(grade: str) -> Decimal:
    """The spread adjustment (a rate fraction; negative = cheaper) for a grade T1 … T10, from
    the grade policy (``credit/data/grade_policy.yaml``, decision 0608)."""
    if grade not in GRADES:
        raise ValueError(f"grade: {grade!r} is not one of {', '.join(GRADES)}")
    return Decimal(grade_levers(grade).pricing_adjustment_bp) * BP


# --------------------------------------------------------------------------- FTP


@dataclass(frozen=True)
class FtpQuote:
    """FTP for a loan: base by (repricing) term + liquidity premium by contractual term; the
    tech discount is paid by head office to the branch (branch cost = gross − subsidy)."""

    ftp_term_months: int
    base: Decimal
    liquidity_premium: Decimal
    gross: Decimal
    tech_subsidy: Decimal
    to_branch: Decimal


def _interpolate(curve: tuple[tuple[int, Decimal], ...], months: int) -> Decimal:
    if months <= curve[0][0]:
        return curve[0][1]
    if months >= curve[-1][0]:
        return curve[-1][1]
    for (m0, r0), (m1, r1) in itertools.pairwise(curve):
        if m0 <= months <= m1:
            return r0 + (r1 - r0) * Decimal(months - m0) / Decimal(m1 - m0)
    raise AssertionError("unreachable")  # pragma: no cover


def ftp_quote(
    *,
    term_months: int,
    floating: FloatingRate | None = None,
    tech_loan: bool = False,
    policy: PricingPolicy | None = None,
) -> FtpQuote:
    """FTP for a loan of `term_months` (contractual); a floating loan uses its repricing term."""
    if term_months < 1:
        raise ValueError(f"term_months: must be ≥ 1, got {term_months}")
    p = policy or load_pricing_policy()
    ftp_term = term_months if floating is None else min(floating.repricing.term_months, term_months)
    base = _interpolate(p.ftp_curve, ftp_term)
    lp = ZERO
    for up_to, premium in p.liquidity_premium:
        if up_to is None or term_months <= up_to:
            lp = premium
            break
    gross = base + lp
    subsidy = p.tech_ftp_discount if tech_loan else ZERO
    return FtpQuote(ftp_term, base, lp, gross, subsidy, gross - subsidy)


# --------------------------------------------------------------------------- the quote


@dataclass(frozen=True)
class PricingQuote:
    """The offered rate against the risk-based floor, part by part, and the loan's RAROC."""

    policy_version: str
    offered_rate: Decimal
    lpr: LprFixing | None
    spread: Decimal | None
    ftp: FtpQuote
    expected_loss: Decimal
    capital_charge: Decimal
    operating_cost: Decimal
    floor: Decimal
    margin_over_floor: Decimal
    meets_floor: bool
    economic_capital: Decimal
    raroc_without_subsidy: Decimal
    raroc_with_subsidy: Decimal
    annual_subsidy_amount: Decimal
    grade: str | None
    grade_adjustment: Decimal | None
    indicative_rate: Decimal | None
    # the grade policy the adjustment came from (``grade_policy@<version>``); None: no grade
    grade_policy: str | None = None

    @property
    def floor_parts(self) -> list[tuple[str, Decimal]]:
        return [
            ("FTP (base + liquidity premium, before the tech subsidy)", self.ftp.gross),
            ("expected loss (PD × LGD)", self.expected_loss),
            ("capital charge (risk weight × capital ratio × hurdle)", self.capital_charge),
            ("operating cost", self.operating_cost),
        ]

    def to_dict(self) -> dict[str, Any]:
        def s(x: Decimal | None) -> str | None:
            return None if x is None else str(quantize(x, 6))

        return {
            "policy_version": self.policy_version,
            "offered_rate": s(self.offered_rate),
            "lpr": None
            if self.lpr is None
            else {
                "fixing_date": self.lpr.fixing_date.isoformat(),
                "one_year": s(self.lpr.one_year),
                "five_year_plus": s(self.lpr.five_year_plus),
                "confidence": self.lpr.confidence,
            },
            "spread": s(self.spread),
            "ftp": {
                "term_months": self.ftp.ftp_term_months,
                "base": s(self.ftp.base),
                "liquidity_premium": s(self.ftp.liquidity_premium),
                "gross": s(self.ftp.gross),
                "tech_subsidy": s(self.ftp.tech_subsidy),
                "to_branch": s(self.ftp.to_branch),
            },
            "floor_parts": [{"part": n, "rate": s(v)} for n, v in self.floor_parts],
            "floor": s(self.floor),
            "margin_over_floor": s(self.margin_over_floor),
            "meets_floor": self.meets_floor,
            "raroc_without_subsidy": s(self.raroc_without_subsidy),
            "raroc_with_subsidy": s(self.raroc_with_subsidy),
            "annual_subsidy_amount": str(self.annual_subsidy_amount),
            "grade": self.grade,
            "grade_adjustment": s(self.grade_adjustment),
            "grade_policy": self.grade_policy,
            "indicative_rate": s(self.indicative_rate),
        }


def _fraction(value: Any, name: str) -> Decimal:
    d = to_decimal(value, name)
    if not 0 <= d <= 1:
        raise ValueError(f"{name}: must be a fraction between 0 and 1, got {d}")
    return d


def price_loan(
    *,
    amount: Decimal,
    term_months: int,
    rate: FixedRate | FloatingRate,
    start: dt.date,
    pd: Decimal,
    lgd: Decimal,
    tech_loan: bool = False,
    grade: str | None = None,
    risk_weight: Decimal | None = None,
    table: LprTable | None = None,
    policy: PricingPolicy | None = None,
) -> PricingQuote:
    """Price one loan: offered rate on `start` vs the risk-based floor, and RAROC.

    RAROC = (offered − branch FTP − expected loss − operating cost) ÷ economic capital, where
    economic capital = risk weight × capital ratio; "without subsidy" charges the full FTP,
    "with subsidy" the FTP less the head-office tech discount. The floor always uses the full
    FTP so the tech discount never lowers the customer's rate a second time.
    """
    amt = to_decimal(amount, "amount")
    if amt <= 0:
        raise ValueError(f"amount: must be positive, got {amt}")
    pd_ = _fraction(pd, "pd")
    lgd_ = _fraction(lgd, "lgd")
    p = policy or load_pricing_policy(start)
    rw = p.default_risk_weight if risk_weight is None else to_decimal(risk_weight, "risk_weight")
    if rw <= 0:
        raise ValueError(f"risk_weight: must be positive, got {rw}")
    tbl = table or load_lpr_table()

    lpr: LprFixing | None = None
    spread: Decimal | None = None
    if isinstance(rate, FloatingRate):
        lpr = tbl.in_force(start)
        spread = rate.spread
        offered = lpr.rate(rate.tenor) + spread
        if offered <= 0:
            raise ValueError(f"spread_bp: gives a rate of {offered}")
        ftp = ftp_quote(term_months=term_months, floating=rate, tech_loan=tech_loan, policy=p)
    else:
        offered = to_decimal(rate.rate, "rate")
        ftp = ftp_quote(term_months=term_months, tech_loan=tech_loan, policy=p)

    el = pd_ * lgd_
    capital = rw * p.capital_ratio
    cc = capital * p.hurdle_rate
    oc = p.operating_cost
    floor = ftp.gross + el + cc + oc
    raroc_without = (offered - ftp.gross - el - oc) / capital
    raroc_with = (offered - ftp.to_branch - el - oc) / capital

    adj: Decimal | None = None
    indicative: Decimal | None = None
    if grade is not None:
        adj = grade_adjustment(grade)
        indicative = tbl.in_force(start).one_year + p.base_spread_bp * BP + adj
    return PricingQuote(
        policy_version=p.version,
        offered_rate=offered,
        lpr=lpr,
        spread=spread,
        ftp=ftp,
        expected_loss=el,
        capital_charge=cc,
        operating_cost=oc,
        floor=floor,
        margin_over_floor=offered - floor,
        meets_floor=offered >= floor,
        economic_capital=capital,
        raroc_without_subsidy=raroc_without,
        raroc_with_subsidy=raroc_with,
        annual_subsidy_amount=quantize(amt * ftp.tech_subsidy, 2, Rounding.HALF_UP),
        grade=grade,
        grade_adjustment=adj,
        indicative_rate=indicative,
        grade_policy=None if grade is None else load_grade_policy().ref,
    )
