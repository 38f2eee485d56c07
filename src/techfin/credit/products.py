"""The tech credit product catalogue as data, the product check, and loan tags.

Implements issue 7 item 5 (guidance art. 5: credit, IP-pledge, policy-pledge, supply-chain,
working-capital, medium/long-term, revolving, equity-linked, talent and M&A loans). Each
product in ``credit/data/products.yaml`` carries its eligibility (titles, size, features),
amount and term limits, allowed repayment methods and interest bases, guarantee types,
collateral requirements, pricing rule and whether risk sharing applies. The limits there are
bank policy defaults, not official numbers (except the M&A pilot's 80 % / 10 years).

Which grades a product serves, and how much of its maximum a grade may borrow (the grade's
limit multiple), are the grade policy's (``credit/data/grade_policy.yaml``, decision 0608);
`Product.max_grade` is derived from it for display.

`eligible_products(profile)` says which products an enterprise qualifies for and, for each
that it does not, every reason why. First loan (首贷) is not a product but a tag taken from the
credit register: see `loan_tags`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.credit.accrual import DEFAULT_ALLOCATION_ORDER
from techfin.credit.grade_policy import grade_levers, load_grade_policy
from techfin.money import Rounding, quantize, to_decimal

__all__ = [
    "FEATURES",
    "GUARANTEE_TYPES",
    "SIZES",
    "TITLES",
    "EnterpriseProfile",
    "EquityLink",
    "Product",
    "ProductCheck",
    "eligible_products",
    "get_product",
    "load_catalogue",
    "loan_tags",
]

TITLES = frozenset({"hnte", "tech_sme", "innovative_sme", "srdi", "little_giant"})
SIZES = ("micro", "small", "medium", "large")
GUARANTEE_TYPES = frozenset({"credit", "guarantee", "mortgage", "pledge"})
FEATURES = frozenset(
    {
        "pledgeable_ip",
        "pledgeable_policy",
        "core_enterprise_receivables",
        "high_tech_manufacturing",
        "external_equity_round",
        "recognised_talent",
        "acquisition_target",
    }
)
AMOUNT_BASES = frozenset(
    {
        "policy_cash_value",
        "confirmed_receivables",
        "working_capital_need",
        "equity_round_amount",
        "acquisition_price",
    }
)
METHODS = frozenset(
    {"annuity", "equal-principal", "flat", "interest-only", "bullet", "stepped", "revolving"}
)
INTEREST_BASES = frozenset({"per-period", "act-360", "act-365f", "30-360"})


def _grade_rank(grade: str) -> int:
    if not (grade.startswith("T") and grade[1:].isdigit() and 1 <= int(grade[1:]) <= 10):
        raise ValueError(f"grade: {grade!r} is not one of T1 … T10")
    return int(grade[1:])


@dataclass(frozen=True)
class Requirement:
    feature: str
    text: str


@dataclass(frozen=True)
class Product:
    code: str
    name_zh: str
    name_en: str
    titles_any: frozenset[str]
    max_grade: str | None  # derived from grade_policy.yaml (worst grade served; None: no grade)
    sizes: frozenset[str]
    min_years_operating: int
    loss_making_allowed: bool
    requires: tuple[Requirement, ...]
    amount_min: Decimal
    amount_max: Decimal
    amount_share_basis: str | None
    amount_share: Decimal | None
    term_min_months: int
    term_max_months: int
    methods: frozenset[str]
    interest_bases: frozenset[str]
    guarantee_types: tuple[frozenset[str], ...]
    collateral: tuple[str, ...]
    pricing: Mapping[str, Any]
    risk_sharing: bool
    equity_link_required: bool = False
    source: str | None = None
    notes: str | None = None
    # Servicing terms of the product (official-rules §7b): penalty interest = contract rate ×
    # (1 + markup), markup 30–50 %; 50 % when the product does not say (house default).
    penalty_markup: Decimal = Decimal("0.50")
    # The order a payment fills what is due (Civil Code art. 561: costs → interest → principal
    # unless the contract agrees otherwise); every bucket of
    # `accrual.DEFAULT_ALLOCATION_ORDER` exactly once, principal last (house rule, decision 1105).
    allocation_order: tuple[str, ...] = DEFAULT_ALLOCATION_ORDER


def _product(raw: Mapping[str, Any], max_grade: str | None) -> Product:
    code = str(raw["code"])

    def bad(msg: str) -> ValueError:
        return ValueError(f"products.yaml: {code}: {msg}")

    titles = frozenset(raw["titles_any"])
    if titles - TITLES:
        raise bad(f"unknown titles {sorted(titles - TITLES)}")
    sizes = frozenset(raw["sizes"])
    if sizes - set(SIZES):
        raise bad(f"unknown sizes {sorted(sizes - set(SIZES))}")
    reqs = tuple(Requirement(str(r["feature"]), str(r["text"])) for r in raw["requires"])
    unknown = {r.feature for r in reqs} - FEATURES
    if unknown:
        raise bad(f"unknown features {sorted(unknown)}")
    combos = tuple(frozenset(c) for c in raw["guarantee_types"])
    for c in combos:
        if not c or c - GUARANTEE_TYPES:
            raise bad(f"bad guarantee combination {sorted(c)}")
        if "credit" in c and len(c) > 1:
            raise bad("credit (unsecured) cannot combine with security")
    methods = frozenset(raw["methods"])
    if methods - METHODS:
        raise bad(f"unknown methods {sorted(methods - METHODS)}")
    bases = frozenset(raw["interest_bases"])
    if bases - INTEREST_BASES:
        raise bad(f"unknown interest bases {sorted(bases - INTEREST_BASES)}")
    amount = raw["amount"]
    share = amount.get("share_of")
    if share is not None and share["basis"] not in AMOUNT_BASES:
        raise bad(f"unknown amount basis {share['basis']!r}")
    if "max_grade" in raw:
        raise bad("max_grade is no longer a product key: grades live in grade_policy.yaml")
    return Product(
        code=code,
        name_zh=str(raw["name_zh"]),
        name_en=str(raw["name_en"]),
        titles_any=titles,
        max_grade=max_grade,
        sizes=sizes,
        min_years_operating=int(raw["min_years_operating"]),
        loss_making_allowed=bool(raw["loss_making_allowed"]),
        requires=reqs,
        amount_min=Decimal(str(amount["min"])),
        amount_max=Decimal(str(amount["max"])),
        amount_share_basis=None if share is None else str(share["basis"]),
        amount_share=None if share is None else Decimal(str(share["share"])),
        term_min_months=int(raw["term_months"]["min"]),
        term_max_months=int(raw["term_months"]["max"]),
        methods=methods,
        interest_bases=bases,
        guarantee_types=combos,
        collateral=tuple(str(c) for c in raw["collateral"]),
        pricing=dict(raw["pricing"]),
        risk_sharing=bool(raw["risk_sharing"]),
        equity_link_required=bool(raw.get("equity_link", {}).get("co_investor_required", False)),
        source=raw.get("source"),
        notes=raw.get("notes"),
        penalty_markup=_markup(raw),
        allocation_order=_allocation_order(raw),
    )


def _markup(raw: Mapping[str, Any]) -> Decimal:
    value = Decimal(str(raw.get("penalty_markup", "0.50")))
    if not Decimal("0.30") <= value <= Decimal("0.50"):
        raise ValueError(
            f"product {raw.get('code')}: penalty_markup must be between 0.30 and 0.50, got {value}"
        )
    return value


def _allocation_order(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The product's agreed payment allocation order (default: `DEFAULT_ALLOCATION_ORDER`).

    The law lets the parties agree any order (Civil Code art. 561, "除当事人另有约定外");
    the house rule enforced here (decision 1105) is narrower: each bucket exactly once, and
    principal last — a payment never repays principal while costs or any interest (ordinary,
    penalty or compound) are still due. Costs and the interest buckets may be reordered.
    """
    code = raw.get("code")
    value = raw.get("allocation_order")
    if value is None:
        return DEFAULT_ALLOCATION_ORDER

    def bad(msg: str) -> ValueError:
        return ValueError(f"products.yaml: {code}: allocation_order: {msg}")

    if not isinstance(value, list | tuple) or not all(isinstance(b, str) for b in value):
        raise bad("must be a list of bucket names")
    order = tuple(value)
    known = set(DEFAULT_ALLOCATION_ORDER)
    unknown = [b for b in order if b not in known]
    if unknown:
        raise bad(
            f"unknown bucket(s) {', '.join(unknown)} "
            f"(buckets are {', '.join(DEFAULT_ALLOCATION_ORDER)})"
        )
    twice = sorted({b for b in order if order.count(b) > 1})
    if twice:
        raise bad(f"{', '.join(twice)} named more than once")
    missing = [b for b in DEFAULT_ALLOCATION_ORDER if b not in order]
    if missing:
        raise bad(f"{', '.join(missing)} missing (name every bucket exactly once)")
    if order[-1] != "principal":
        raise bad(
            "principal must come last: a payment may not repay principal while costs or "
            "interest are due (house rule, decision 1105)"
        )
    return order


@dataclass(frozen=True)
class Catalogue:
    version: str
    source: str
    effective_from: dt.date
    products: tuple[Product, ...]


@cache
def load_catalogue() -> Catalogue:
    """The packaged catalogue (``credit/data/products.yaml``), validated on load."""
    text = (resources.files("techfin.credit") / "data" / "products.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    codes = [str(p["code"]) for p in raw["products"]]
    if len(set(codes)) != len(codes):
        raise ValueError("products.yaml: duplicate product codes")
    grades = load_grade_policy()
    unknown = grades.products() - set(codes)
    if unknown:
        raise ValueError(
            f"grade_policy.yaml names products not in the catalogue: {', '.join(sorted(unknown))}"
        )
    products = tuple(_product(p, grades.max_grade(str(p["code"]))) for p in raw["products"])
    return Catalogue(str(raw["version"]), str(raw["source"]), raw["effective_from"], products)


def get_product(code: str) -> Product:
    for p in load_catalogue().products:
        if p.code == code:
            return p
    codes = ", ".join(p.code for p in load_catalogue().products)
    raise ValueError(f"product: {code!r} is not one of {codes}")


@dataclass(frozen=True)
class EquityLink:
    """The equity side of a loan alongside external investment (投贷联动), recorded with it."""

    co_investor: str
    round_name: str
    investment_amount: Decimal
    option_type: str = "none"  # none / warrant (认股选择权) / option
    option_terms: str = ""


@dataclass(frozen=True)
class EnterpriseProfile:
    """What the product check needs to know about an enterprise and what it asks for.

    Amounts in yuan. `features` name facts from FEATURES; the basis amounts cap products
    whose limit is a share of something (receivables, price, …).
    """

    titles: frozenset[str] = frozenset()
    grade: str | None = None
    size: str = "small"
    years_operating: int = 0
    loss_making: bool = False
    features: frozenset[str] = frozenset()
    requested_amount: Decimal | None = None
    requested_term_months: int | None = None
    offered_guarantee: frozenset[str] | None = None
    policy_cash_value: Decimal | None = None
    confirmed_receivables: Decimal | None = None
    working_capital_need: Decimal | None = None
    equity_round_amount: Decimal | None = None
    acquisition_price: Decimal | None = None
    equity_link: EquityLink | None = None

    def validate(self) -> None:
        if self.titles - TITLES:
            raise ValueError(f"titles: unknown {sorted(self.titles - TITLES)}")
        if self.features - FEATURES:
            raise ValueError(f"features: unknown {sorted(self.features - FEATURES)}")
        if self.size not in SIZES:
            raise ValueError(f"size: {self.size!r} is not one of {', '.join(SIZES)}")
        if self.grade is not None:
            _grade_rank(self.grade)
        if self.years_operating < 0:
            raise ValueError("years_operating: must not be negative")
        if self.offered_guarantee is not None and (
            not self.offered_guarantee or self.offered_guarantee - GUARANTEE_TYPES
        ):
            raise ValueError(
                f"offered_guarantee: must be a non-empty set of {sorted(GUARANTEE_TYPES)}"
            )
        if self.requested_amount is not None and to_decimal(self.requested_amount) <= 0:
            raise ValueError("requested_amount: must be positive")
        if self.requested_term_months is not None and self.requested_term_months < 1:
            raise ValueError("requested_term_months: must be ≥ 1")


@dataclass(frozen=True)
class ProductCheck:
    """Whether the enterprise qualifies for one product, why not, and its cap for this profile."""

    code: str
    name_zh: str
    name_en: str
    eligible: bool
    reasons: tuple[str, ...] = ()
    max_amount: Decimal | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _fmt(amount: Decimal) -> str:
    return f"{quantize(amount, 2):,}"


def check_product(product: Product, profile: EnterpriseProfile) -> ProductCheck:
    """Check one product against a profile; every failing condition gives a reason."""
    why: list[str] = []
    notes: list[str] = []
    p = product
    if p.titles_any and not (profile.titles & p.titles_any):
        why.append(f"needs one of the titles {', '.join(sorted(p.titles_any))}")
    levers = grade_levers(profile.grade)
    if p.code not in levers.eligible_products:
        if profile.grade is None:
            why.append(f"needs a tech-flow grade (T1 … {p.max_grade})")
        else:
            why.append(f"grade {profile.grade} is worse than the product's {p.max_grade}")
    if profile.size not in p.sizes:
        served = ", ".join(s for s in SIZES if s in p.sizes)
        why.append(f"size {profile.size} is not served (serves {served})")
    if profile.years_operating < p.min_years_operating:
        why.append(
            f"operating {profile.years_operating} year(s); needs at least {p.min_years_operating}"
        )
    if profile.loss_making and not p.loss_making_allowed:
        why.append("not for a loss-making borrower")
    for r in p.requires:
        if r.feature not in profile.features:
            why.append(r.text)

    # The grade's limit multiple scales the product's maximum (never raises it).
    cap = grade_cap = quantize(p.amount_max * levers.limit_multiple, 2, Rounding.DOWN)
    if cap < p.amount_max:
        notes.append(
            f"grade {profile.grade or 'none'}: at most {levers.limit_multiple} × the product's "
            f"maximum {_fmt(p.amount_max)} = {_fmt(cap)}"
        )
        if cap < p.amount_min:
            why.append(
                f"the grade's maximum {_fmt(cap)} is below the product's minimum "
                f"{_fmt(p.amount_min)}"
            )
    if p.amount_share_basis is not None and p.amount_share is not None:
        basis_value = getattr(profile, p.amount_share_basis)
        if basis_value is None:
            notes.append(
                f"amount is also capped at {p.amount_share} × {p.amount_share_basis} (not given)"
            )
        else:
            share_cap = quantize(to_decimal(basis_value) * p.amount_share, 2, Rounding.DOWN)
            cap = min(cap, share_cap)
            if share_cap < p.amount_min:
                why.append(
                    f"{p.amount_share} × {p.amount_share_basis} = {_fmt(share_cap)} is below "
                    f"the minimum {_fmt(p.amount_min)}"
                )
    if profile.requested_amount is not None:
        amount = to_decimal(profile.requested_amount, "requested_amount")
        if amount < p.amount_min:
            why.append(f"amount {_fmt(amount)} is below the minimum {_fmt(p.amount_min)}")
        elif amount > cap:
            by_grade = ""
            if cap == grade_cap < p.amount_max:
                by_grade = (
                    f" (grade {profile.grade or 'none'}: {levers.limit_multiple} × the "
                    f"product's maximum {_fmt(p.amount_max)})"
                )
            why.append(f"amount {_fmt(amount)} is above the maximum {_fmt(cap)}{by_grade}")
    if profile.requested_term_months is not None:
        t = profile.requested_term_months
        if not p.term_min_months <= t <= p.term_max_months:
            why.append(f"term {t} months is outside {p.term_min_months}–{p.term_max_months} months")
    if profile.offered_guarantee is not None and profile.offered_guarantee not in set(
        p.guarantee_types
    ):
        allowed = "; ".join(" + ".join(sorted(c)) for c in p.guarantee_types)
        why.append(
            f"guarantee {' + '.join(sorted(profile.offered_guarantee))} is not accepted "
            f"(accepts {allowed})"
        )
    if p.equity_link_required and profile.equity_link is None:
        notes.append("the co-investor and any option / warrant terms are recorded with the loan")
    elif p.equity_link_required and profile.equity_link is not None:
        link = profile.equity_link
        if not link.co_investor.strip():
            why.append("the co-investor must be named")
        if link.option_type not in {"none", "warrant", "option"}:
            why.append(f"option type {link.option_type!r} is not none, warrant or option")
        elif link.option_type != "none" and not link.option_terms.strip():
            why.append("the option / warrant terms must be recorded")
    return ProductCheck(
        code=p.code,
        name_zh=p.name_zh,
        name_en=p.name_en,
        eligible=not why,
        reasons=tuple(why),
        max_amount=cap,
        notes=tuple(notes),
    )


def eligible_products(profile: EnterpriseProfile) -> list[ProductCheck]:
    """Check every catalogue product: eligible ones and, for the others, every reason why not."""
    profile.validate()
    return [check_product(p, profile) for p in load_catalogue().products]


def loan_tags(
    *,
    prior_bank_loan: bool,
    guarantee_types: Collection[str],
    term_months: int,
    renewal_without_repayment: bool = False,
    tech_borrower: bool = False,
) -> frozenset[str]:
    """Statistical tags of a loan, taken from facts, not from the product.

    - ``first_loan`` (首贷): the credit register shows no prior bank loan for the borrower;
    - ``credit_loan`` (信用贷款): unsecured, guarantee type credit only;
    - ``medium_long_term`` (中长期): original term over one year;
    - ``renewal`` (续贷): a renewal without prior repayment (a process, §7a);
    - ``tech_loan``: the borrower is a recognised tech enterprise.
    """
    types = frozenset(guarantee_types)
    if not types or types - GUARANTEE_TYPES:
        raise ValueError(f"guarantee_types: must be a non-empty set of {sorted(GUARANTEE_TYPES)}")
    if term_months < 1:
        raise ValueError("term_months: must be ≥ 1")
    tags = set()
    if not prior_bank_loan:
        tags.add("first_loan")
    if types == {"credit"}:
        tags.add("credit_loan")
    if term_months > 12:
        tags.add("medium_long_term")
    if renewal_without_repayment:
        tags.add("renewal")
    if tech_borrower:
        tags.add("tech_loan")
    return frozenset(tags)
