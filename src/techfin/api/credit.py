"""API of the credit catalogue, pricing and the schedule calculator (issue 7 item 8).

Thin routes over the pure domain code of ``techfin.credit``: each parses its input with a
pydantic model, calls one domain function, and returns JSON with every amount and rate as a
decimal string. The request models and their conversion to domain objects live here and are
reused by the pages (``techfin.web.credit``) and the command line (``techfin.cli.credit``), so
the three faces accept the same fields and name the same field on bad input
(docs/decisions/0900-credit-faces-share-one-parser.md).

    GET  /api/products             the catalogue
    POST /api/products/check       a profile -> which products qualify and why not
    POST /api/schedule             terms -> rows, totals, annual_rate (``techfin schedule --json``)
    POST /api/pricing/quote        offered rate vs the risk-based floor, RAROC with/without subsidy
    POST /api/working-capital      working-capital sizing step by step (§7c or the start-up basis)
    GET  /api/lpr?date=YYYY-MM-DD  the LPR fixing in force on a date

All need a bearer token. Every bad input is ``application/problem+json`` naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from techfin.api.deps import current_actor, get_db
from techfin.services.context import Actor
from techfin.services.errors import ValidationFailed
from techfin.store.db import Database

if TYPE_CHECKING:
    from techfin.credit.pricing import LprTable
    from techfin.credit.products import Catalogue, Product, ProductCheck
    from techfin.credit.schedule import Schedule, Terms

router = APIRouter()
ActorDep = Annotated[Actor, Depends(current_actor)]
DbDep = Annotated[Database, Depends(get_db)]

M = TypeVar("M", bound=BaseModel)

# --------------------------------------------------------------------------- shared parsing

_FIELD_PREFIX = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_.\[\]]*(?:, [A-Za-z_][A-Za-z0-9_]*)*): (.+)$", re.S
)


def _loc_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query")]
    return ".".join(parts) or "body"


def parse(model: type[M], data: Any) -> M:
    """Validate `data` with `model`; the first error becomes ``ValidationFailed`` naming the
    field (``detail`` reads "field: reason")."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("body: expected a JSON object", field="body")
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        name = _loc_name(err.get("loc", ()))
        reason = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise ValidationFailed(f"{name}: {reason}", field=name) from None


def domain_error(
    exc: ValueError | ArithmeticError, renames: Mapping[str, str] | None = None
) -> ValidationFailed:
    """A domain ``ValueError`` ("field: reason", or a ``TermsError`` with ``.term``) as a
    ``ValidationFailed`` naming the request field (`renames` maps domain → request names)."""
    renames = renames or {}
    if not isinstance(exc, ValueError):  # Decimal overflow and the like
        return ValidationFailed("body: a number is out of range for the computation", field="body")
    text = str(exc)
    term = getattr(exc, "term", None)
    match = _FIELD_PREFIX.match(text)
    if term is None and match:
        term = match.group(1)
    if term is None:
        return ValidationFailed(f"body: {text}", field="body")
    base = re.split(r"[\[.]", term, maxsplit=1)[0]
    field = renames.get(term, renames.get(base, base) + term[len(base) :])
    reason = match.group(2) if match else text
    return ValidationFailed(f"{field}: {reason}", field=field)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# No amount, rate or count a person types is anywhere near this; beyond it Decimal arithmetic
# in the engines can overflow the context instead of giving a clear error.
_LIMIT = Decimal("1e15")


class _In(BaseModel):
    """Request models refuse unknown fields and numbers of absurd magnitude."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _sane_magnitude(cls, value: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, Decimal) and abs(v) > _LIMIT:
                raise ValueError(f"must be at most {_LIMIT:,.0f} in magnitude")
        return value


# --------------------------------------------------------------------------- catalogue


def product_json(p: Product) -> dict[str, Any]:
    """One catalogue product; sets as sorted lists, amounts as decimal strings (yuan)."""
    return {
        "code": p.code,
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "eligibility": {
            "titles_any": sorted(p.titles_any),
            "max_grade": p.max_grade,
            "sizes": [s for s in ("micro", "small", "medium", "large") if s in p.sizes],
            "min_years_operating": p.min_years_operating,
            "loss_making_allowed": p.loss_making_allowed,
            "requires": [{"feature": r.feature, "text": r.text} for r in p.requires],
        },
        "amount": {
            "min": str(p.amount_min),
            "max": str(p.amount_max),
            "share_of": None
            if p.amount_share_basis is None
            else {"basis": p.amount_share_basis, "share": _s(p.amount_share)},
        },
        "term_months": {"min": p.term_min_months, "max": p.term_max_months},
        "methods": sorted(p.methods),
        "interest_bases": sorted(p.interest_bases),
        "guarantee_types": [sorted(c) for c in p.guarantee_types],
        "collateral": list(p.collateral),
        "pricing": _plain(p.pricing),
        "risk_sharing": p.risk_sharing,
        "equity_link_required": p.equity_link_required,
        "source": p.source,
        "notes": p.notes,
    }


def _plain(value: Any) -> Any:
    """YAML pricing data as JSON (numbers other than whole ones as strings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float | Decimal):
        return str(value)
    return value


def catalogue_json(catalogue: Catalogue) -> dict[str, Any]:
    return {
        "version": catalogue.version,
        "source": catalogue.source,
        "effective_from": catalogue.effective_from.isoformat(),
        "products": [product_json(p) for p in catalogue.products],
    }


class EquityLinkIn(_In):
    co_investor: str
    round_name: str = ""
    investment_amount: Decimal
    option_type: str = "none"
    option_terms: str = ""


class ProfileIn(_In):
    """An enterprise profile for the product check (amounts in yuan)."""

    titles: list[str] = Field(default_factory=list, description="hnte, tech_sme, srdi, …")
    grade: str | None = Field(None, description="tech-flow grade T1 (best) … T10")
    size: str = "small"
    years_operating: int = 0
    loss_making: bool = False
    features: list[str] = Field(default_factory=list)
    requested_amount: Decimal | None = None
    requested_term_months: int | None = None
    offered_guarantee: list[str] | None = None
    policy_cash_value: Decimal | None = None
    confirmed_receivables: Decimal | None = None
    working_capital_need: Decimal | None = None
    equity_round_amount: Decimal | None = None
    acquisition_price: Decimal | None = None
    equity_link: EquityLinkIn | None = None


def check_products(body: ProfileIn) -> dict[str, Any]:
    """Run the product check; `ValidationFailed` names the profile field on bad input."""
    from techfin.credit.products import (
        EnterpriseProfile,
        EquityLink,
        eligible_products,
        load_catalogue,
    )

    link = None
    if body.equity_link is not None:
        e = body.equity_link
        link = EquityLink(
            e.co_investor, e.round_name, e.investment_amount, e.option_type, e.option_terms
        )
    profile = EnterpriseProfile(
        titles=frozenset(body.titles),
        grade=body.grade,
        size=body.size,
        years_operating=body.years_operating,
        loss_making=body.loss_making,
        features=frozenset(body.features),
        requested_amount=body.requested_amount,
        requested_term_months=body.requested_term_months,
        offered_guarantee=None
        if body.offered_guarantee is None
        else frozenset(body.offered_guarantee),
        policy_cash_value=body.policy_cash_value,
        confirmed_receivables=body.confirmed_receivables,
        working_capital_need=body.working_capital_need,
        equity_round_amount=body.equity_round_amount,
        acquisition_price=body.acquisition_price,
        equity_link=link,
    )
    try:
        checks = eligible_products(profile)
    except (ValueError, ArithmeticError) as exc:
        raise domain_error(exc) from None
    return {
        "catalogue_version": load_catalogue().version,
        "eligible": [c.code for c in checks if c.eligible],
        "products": [check_json(c) for c in checks],
    }


def check_json(c: ProductCheck) -> dict[str, Any]:
    return {
        "code": c.code,
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "eligible": c.eligible,
        "reasons": list(c.reasons),
        "max_amount": _s(c.max_amount),
        "notes": list(c.notes),
    }


# --------------------------------------------------------------------------- schedule

MethodName = Literal["annuity", "equal-principal", "flat", "interest-only", "bullet", "stepped"]
BasisName = Literal["per-period", "act-360", "act-365f", "30-360"]
RoundingName = Literal["half-even", "half-up", "up"]


class RateChangeIn(_In):
    date: dt.date
    rate: Decimal = Field(description="new annual rate, percent")


class PaymentStepIn(_In):
    periods: int
    payment: Decimal = Field(description="the payment in each of these periods, yuan")


class ScheduleIn(_In):
    """The terms of ``techfin schedule`` with the same names and defaults (``rate`` and the
    subsidy figures in percent), plus what only the API takes: explicit ``due_dates`` (then
    ``installments`` may be left out) and ``interest_dates``, the ``stepped`` method with
    ``step_principal_percents`` or ``step_payments``, and ``subsidy_until``."""

    principal: Decimal = Field(description="amount disbursed, yuan")
    rate: Decimal = Field(description="annual interest rate, percent (12 = 12 %)")
    installments: int = Field(0, description="number of principal periods")
    start: dt.date = Field(description="disbursement date")
    frequency: str = "monthly"
    first_due: dt.date | None = None
    method: MethodName = "annuity"
    interest_basis: BasisName = "act-360"
    rounding: RoundingName = "half-up"
    decimals: int = 2
    installment_multiple: Decimal = Decimal(1)
    grace_principal: int = 0
    grace_interest: int = 0
    interest_free: int = 0
    rate_changes: list[RateChangeIn] = Field(default_factory=list)
    settle_interest: Literal["monthly", "quarterly"] | None = None
    settlement_day: int = 20
    subsidy_share: Decimal | None = Field(None, description="percent of each interest amount")
    subsidy_rate: Decimal | None = Field(None, description="percentage points of the rate")
    subsidy_payer: str = "subsidy"
    subsidy_until: dt.date | None = Field(None, description="subsidise interest accrued before")
    due_dates: list[dt.date] = Field(default_factory=list, description="explicit principal dates")
    periods_per_year: Decimal | None = Field(
        None, description="for the per-period basis with explicit due dates"
    )
    interest_dates: list[dt.date] = Field(
        default_factory=list, description="explicit interest settlement dates"
    )
    step_principal_percents: list[Decimal] = Field(
        default_factory=list, description="stepped: percent of principal per amortising period"
    )
    step_payments: list[PaymentStepIn] = Field(
        default_factory=list, description="stepped: runs of periods with a fixed payment"
    )


_SCHEDULE_RENAMES = {"annual_rate": "rate", "interest_settlement": "settle_interest"}


def schedule_terms(body: ScheduleIn) -> Terms:
    """The engine's ``Terms`` for the request; ``ValidationFailed`` names the request field."""
    from techfin.credit.daycount import InterestBasis
    from techfin.credit.schedule import (
        Frequency,
        InterestSettlement,
        Method,
        PaymentStep,
        RateChange,
        Subsidy,
        Terms,
    )
    from techfin.money import Rounding

    hundred = Decimal(100)
    try:
        settlement = None
        if body.settle_interest == "monthly":
            settlement = InterestSettlement.monthly(body.settlement_day)
        elif body.settle_interest == "quarterly":
            settlement = InterestSettlement.quarterly(body.settlement_day)
        subsidy = None
        if body.subsidy_share is not None or body.subsidy_rate is not None:
            subsidy = Subsidy(
                body.subsidy_payer,
                share=None if body.subsidy_share is None else body.subsidy_share / hundred,
                rate=None if body.subsidy_rate is None else body.subsidy_rate / hundred,
                until=body.subsidy_until,
            )
        return Terms(
            principal=body.principal,
            annual_rate=body.rate / hundred,
            start=body.start,
            installments=body.installments,
            method=Method(body.method),
            frequency=Frequency.parse(body.frequency),
            first_due=body.first_due,
            interest_basis=InterestBasis(body.interest_basis),
            interest_settlement=settlement,
            rounding=Rounding(body.rounding),
            decimals=body.decimals,
            installment_multiple=body.installment_multiple,
            grace_principal=body.grace_principal,
            grace_interest=body.grace_interest,
            interest_free=body.interest_free,
            rate_changes=tuple(RateChange(c.date, c.rate / hundred) for c in body.rate_changes),
            subsidy=subsidy,
            due_dates=tuple(body.due_dates),
            periods_per_year=body.periods_per_year,
            interest_dates=tuple(body.interest_dates),
            step_principal_percents=tuple(body.step_principal_percents),
            step_payments=tuple(PaymentStep(s.periods, s.payment) for s in body.step_payments),
        )
    except (ValueError, ArithmeticError) as exc:
        raise domain_error(exc, _SCHEDULE_RENAMES) from None


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    """The JSON of ``techfin schedule --json``: ``Schedule.to_dict()`` (rows, totals,
    annual_rate as a fraction) plus ``annual_rate_percent``, exactly as the CLI adds it."""
    data = schedule.to_dict()
    data["annual_rate_percent"] = str((schedule.annual_rate * 100).normalize())
    data["conventions_version"] = schedule.conventions_version
    return data


def compute_schedule(body: ScheduleIn) -> Schedule:
    from techfin.credit.schedule import build

    terms = schedule_terms(body)
    try:
        return build(terms)
    except (ValueError, ArithmeticError) as exc:
        raise domain_error(exc, _SCHEDULE_RENAMES) from None


# --------------------------------------------------------------------------- pricing


class QuoteIn(_In):
    """A loan to price. Give a fixed rate in percent, or a spread over the LPR in basis points
    (fixed for the loan's life, may be negative). ``pd``, ``lgd`` and ``risk_weight`` are
    fractions (0.02 = 2 %)."""

    amount: Decimal = Field(description="yuan")
    term_months: int
    start: dt.date = Field(description="value date: the LPR in force on it is used")
    fixed_rate_percent: Decimal | None = None
    spread_bp: Decimal | None = None
    tenor: Literal["1y", "5y+"] = "1y"
    repricing: Literal["periodic", "january-1"] = "periodic"
    repricing_months: int = Field(12, ge=1)
    pd: Decimal = Field(description="probability of default, a fraction")
    lgd: Decimal = Field(description="loss given default, a fraction")
    tech_loan: bool = False
    grade: str | None = None
    risk_weight: Decimal | None = None


_QUOTE_RENAMES = {
    "date": "start",
    "as_of": "start",
    "rate": "fixed_rate_percent",
    "months": "repricing_months",
}


def quote_loan(body: QuoteIn, table: LprTable | None = None) -> dict[str, Any]:
    """Price the loan; the floor part by part vs the offered rate, RAROC with/without subsidy.

    `table`: the LPR table (the packaged one when omitted; the API passes the platform's)."""
    from techfin.credit.pricing import (
        FixedRate,
        FloatingRate,
        LprTenor,
        Repricing,
        RepricingRule,
        price_loan,
    )

    if (body.fixed_rate_percent is None) == (body.spread_bp is None):
        raise ValidationFailed(
            "fixed_rate_percent: give either fixed_rate_percent or spread_bp (over the LPR)",
            field="fixed_rate_percent",
        )
    try:
        rate: FixedRate | FloatingRate
        if body.fixed_rate_percent is not None:
            rate = FixedRate(body.fixed_rate_percent / Decimal(100))
        else:
            assert body.spread_bp is not None
            rate = FloatingRate(
                body.spread_bp,
                LprTenor(body.tenor),
                Repricing(RepricingRule(body.repricing), body.repricing_months),
            )
        quote = price_loan(
            amount=body.amount,
            term_months=body.term_months,
            rate=rate,
            start=body.start,
            pd=body.pd,
            lgd=body.lgd,
            tech_loan=body.tech_loan,
            grade=body.grade,
            risk_weight=body.risk_weight,
            table=table,
        )
    except (ValueError, ArithmeticError) as exc:
        raise domain_error(exc, _QUOTE_RENAMES) from None
    data = quote.to_dict()
    data["economic_capital"] = str(quote.economic_capital)
    data["rate_type"] = "fixed" if body.fixed_rate_percent is not None else "floating"
    return data


# --------------------------------------------------------------------------- working capital


class OfficialWorkingCapitalIn(_In):
    """Last year's figures and balances for the §7c estimate (yuan; margin and growth as
    fractions)."""

    basis: Literal["official"] = "official"
    sales_revenue: Decimal
    cost_of_sales: Decimal
    sales_margin: Decimal
    expected_sales_growth: Decimal
    inventory: list[Decimal]
    receivables: list[Decimal]
    prepayments: list[Decimal]
    payables: list[Decimal]
    advance_receipts: list[Decimal]
    own_funds: Decimal = Decimal(0)
    existing_working_capital_loans: Decimal = Decimal(0)
    other_sources: Decimal = Decimal(0)
    term_months: int = 12
    extended_term_reason: str | None = None
    as_of: dt.date | None = None


class StartupWorkingCapitalIn(_In):
    """A loss-making start-up: at least one of orders, tax-declared sales, equity raised."""

    basis: Literal["startup"]
    confirmed_orders: Decimal | None = None
    advance_receipts_on_orders: Decimal = Decimal(0)
    tax_declared_sales_12m: Decimal | None = None
    equity_raised_recent: Decimal | None = None
    existing_working_capital_loans: Decimal = Decimal(0)
    other_sources: Decimal = Decimal(0)
    term_months: int = 12
    extended_term_reason: str | None = None
    as_of: dt.date | None = None


def size_working_capital(data: Any) -> dict[str, Any]:
    """Size from a JSON object whose ``basis`` is ``official`` (default) or ``startup``."""
    from techfin.credit import working_capital as wc

    if not isinstance(data, Mapping):
        raise ValidationFailed("body: expected a JSON object", field="body")
    basis = data.get("basis", "official")
    if basis not in ("official", "startup"):
        raise ValidationFailed(f"basis: {basis!r} is not one of official, startup", field="basis")
    try:
        if basis == "official":
            o = parse(OfficialWorkingCapitalIn, data)
            sizing = wc.size_working_capital(
                wc.WorkingCapitalInputs(**{k: v for k, v in o.model_dump().items() if k != "basis"})
            )
            return {"basis_kind": "official", **sizing.to_dict()}
        s = parse(StartupWorkingCapitalIn, data)
        start = wc.size_startup_working_capital(
            wc.StartupBasisInputs(**{k: v for k, v in s.model_dump().items() if k != "basis"})
        )
    except (ValueError, ArithmeticError) as exc:
        raise domain_error(exc) from None
    return {
        "basis_kind": "startup",
        "basis": start.basis,
        "policy_status": start.policy_status,
        "rule_version": start.rule_version,
        "steps": [
            {"name": x.name, "formula": x.formula, "value": str(x.value)} for x in start.steps
        ],
        "bases": {k: str(v) for k, v in start.bases.items()},
        "combined": str(start.combined),
        "new_loan_need": str(start.new_loan_need),
        "term": {
            "term_months": start.term.term_months,
            "allowed": start.term.allowed,
            "note": start.term.note,
        },
    }


# --------------------------------------------------------------------------- LPR


def lpr_in_force(on: dt.date, table: LprTable | None = None) -> dict[str, Any]:
    """The fixing in force on `on` from `table` (the packaged table when omitted)."""
    from techfin.credit.pricing import load_lpr_table

    table = table or load_lpr_table()
    try:
        fixing = table.in_force(on)
    except (ValueError, ArithmeticError) as exc:
        raise domain_error(exc) from None
    return {
        "date": on.isoformat(),
        "fixing_date": fixing.fixing_date.isoformat(),
        "one_year": str(fixing.one_year),
        "five_year_plus": str(fixing.five_year_plus),
        "one_year_percent": str((fixing.one_year * 100).normalize()),
        "five_year_plus_percent": str((fixing.five_year_plus * 100).normalize()),
        "confidence": fixing.confidence,
        "table": {
            "first_fixing": table.first_date.isoformat(),
            "last_fixing": table.last_date.isoformat(),
            "valid_until": table.valid_until().isoformat(),
        },
    }


# --------------------------------------------------------------------------- routes


@router.get("/api/products", tags=["credit"])
def products(actor: ActorDep) -> dict[str, Any]:
    """The tech credit product catalogue (bank policy data with its version and source)."""
    from techfin.credit.products import load_catalogue

    return catalogue_json(load_catalogue())


@router.post("/api/products/check", tags=["credit"])
def products_check(body: ProfileIn, actor: ActorDep) -> dict[str, Any]:
    """Which products the profile qualifies for and, for the others, every reason why not."""
    return check_products(body)


@router.post("/api/schedule", tags=["credit"])
def schedule(body: ScheduleIn, actor: ActorDep) -> dict[str, Any]:
    """A repayment schedule: the same JSON as ``techfin schedule --json``."""
    return schedule_json(compute_schedule(body))


@router.post("/api/pricing/quote", tags=["credit"])
def pricing_quote(body: QuoteIn, actor: ActorDep, db: DbDep) -> dict[str, Any]:
    """The offered rate against the risk-based floor part by part, and RAROC with and without
    the head-office tech subsidy."""
    return quote_loan(body, _platform_lpr_table(db))


_WC_SCHEMA = {
    "oneOf": [
        OfficialWorkingCapitalIn.model_json_schema(),
        StartupWorkingCapitalIn.model_json_schema(),
    ]
}


@router.post(
    "/api/working-capital",
    tags=["credit"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _WC_SCHEMA}},
        }
    },
)
def working_capital(
    actor: ActorDep,
    body: Annotated[
        dict[str, Any],
        Body(
            description="basis: official (§7c estimate, default) or startup; see "
            "OfficialWorkingCapitalIn / StartupWorkingCapitalIn"
        ),
    ],
) -> dict[str, Any]:
    """Working-capital sizing step by step (§7c; the start-up basis is bank policy)."""
    return size_working_capital(body)


@router.get("/api/lpr", tags=["credit"])
def lpr(
    actor: ActorDep,
    db: DbDep,
    date: Annotated[dt.date | None, Query(description="YYYY-MM-DD; today when omitted")] = None,
) -> dict[str, Any]:
    """The LPR fixing in force on a date (the latest published on or before it): the packaged
    table extended by the fixings confirmed on the platform (`/api/lpr/fixings`)."""
    return lpr_in_force(date or dt.date.today(), _platform_lpr_table(db))


def _platform_lpr_table(db: Database) -> LprTable:
    from techfin.services.market import lpr_table

    with db.transaction() as session:
        return lpr_table(session)
