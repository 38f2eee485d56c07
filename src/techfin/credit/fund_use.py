"""Use of loan funds (贷款资金用途) after disbursement: evidence against purpose (issue 9 item 6).

A bank records evidence of how a loan's money was used (invoice, payment voucher: amount,
description, payee and a category of use). `assess` compares that evidence with the rules in
``credit/data/fund_use_rules.yaml`` and returns findings, each naming the evidence item and the
rule with its source:

- ``prohibited``: the evidence's category is prohibited for this kind of loan (e.g. fixed-asset
  or equity investment with a working-capital loan; securities, futures, wealth products, real
  estate, lending on or fields the state prohibits with any loan), or repays this bank's own
  loan (借新还旧) when the loan is not a renewal without prior repayment;
- ``suspected``: the description or payee carries a keyword of a category prohibited for this
  loan (房地产, 证券, 理财, 股权投资, 借款, …) while the evidence claims another category — a
  suspicion for staff to check, not a conclusion;
- ``unevidenced``: once the evidence window after disbursement has closed (the approval
  policy's ``use_of_funds_evidence_days``), the part of the principal no evidence covers.

The window closes at the day-end of disbursement date + window days (the same day the
origination watch counts the loan as overdue): on that day and after, an unevidenced amount is a
finding; on the day before, it is not.

Pure: no database, no clock. Amounts are ``Decimal`` (floats refused), rounded to the fen
half-up. A prohibition applies to evidence recorded on or after its ``effective_from``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.money import ZERO, cents, to_decimal

__all__ = [
    "REVIEW_OUTCOMES",
    "UNSPECIFIED",
    "Assessment",
    "Category",
    "Evidence",
    "Finding",
    "FundUseRules",
    "Review",
    "apply_reviews",
    "assess",
    "check_category",
    "load_rules",
    "screen",
]

UNSPECIFIED = "unspecified"
FINDING_KINDS = ("prohibited", "suspected", "unevidenced")


# --------------------------------------------------------------------------------------------
# Rule data


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    prohibited_for: tuple[str, ...] = ()
    only_on_renewal: bool = False
    source: str = ""
    confirmed: bool = False
    effective_from: dt.date | None = None
    keywords: tuple[str, ...] = ()
    keywords_ignored_for: tuple[str, ...] = ()
    not_within: tuple[str, ...] = ()  # phrases in which a keyword is not a hit

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from is None or self.effective_from <= on

    def cite(self) -> str:
        return self.source + ("" if self.confirmed else " [unconfirmed]")


@dataclass(frozen=True)
class FundUseRules:
    version: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None
    loan_kinds: Mapping[str, tuple[str, str]]  # kind → (zh, en)
    product_kinds: Mapping[str, str]
    default_kind: str
    categories: Mapping[str, Category]

    def category(self, code: str) -> Category:
        found = self.categories.get(code)
        if found is None:
            raise ValueError(f"category: unknown {code!r}; one of {', '.join(self.categories)}")
        return found

    def loan_kind(self, product_code: str) -> str:
        return self.product_kinds.get(product_code, self.default_kind)

    def kind_label(self, kind: str) -> str:
        return self.loan_kinds[kind][1].lower()


def _date(value: Any, what: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"fund_use_rules.yaml: {what}: expected a date, got {value!r}")


def _category(raw: Mapping[str, Any], kinds: Mapping[str, Any]) -> Category:
    code = str(raw["code"])
    prohibited = tuple(str(k) for k in raw.get("prohibited_for", ()))
    for kind in prohibited:
        if kind not in kinds:
            raise ValueError(f"fund_use_rules.yaml: category {code}: unknown loan kind {kind!r}")
    only_on_renewal = bool(raw.get("only_on_renewal", False))
    source = " ".join(str(raw.get("source", "")).split())
    if (prohibited or only_on_renewal) and not source:
        raise ValueError(f"fund_use_rules.yaml: category {code}: a prohibition needs its source")
    words = raw.get("keywords") or {}
    keywords = tuple(str(w) for lang in ("zh", "en") for w in words.get(lang, ()))
    if keywords and not prohibited:
        raise ValueError(f"fund_use_rules.yaml: category {code}: keywords only screen prohibitions")
    return Category(
        code=code,
        zh=str(raw["zh"]),
        en=str(raw["en"]),
        prohibited_for=prohibited,
        only_on_renewal=only_on_renewal,
        source=source,
        confirmed=bool(raw.get("confirmed", False)),
        effective_from=_date(raw.get("effective_from"), f"{code}.effective_from"),
        keywords=keywords,
        keywords_ignored_for=tuple(str(c) for c in raw.get("keywords_ignored_for", ())),
        not_within=tuple(str(p) for p in raw.get("not_within", ())),
    )


@cache
def _versions() -> tuple[FundUseRules, ...]:
    text = (resources.files("techfin.credit") / "data" / "fund_use_rules.yaml").read_text("utf-8")
    out = []
    for v in yaml.safe_load(text)["versions"]:
        kinds = {str(k): (str(x["zh"]), str(x["en"])) for k, x in v["loan_kinds"].items()}
        products = {str(k): str(x) for k, x in v["product_kinds"].items()}
        default = products.pop("default")
        for product, kind in {**products, "default": default}.items():
            if kind not in kinds:
                raise ValueError(f"fund_use_rules.yaml: {product}: unknown loan kind {kind!r}")
        categories = {}
        for raw in v["categories"]:
            c = _category(raw, kinds)
            if c.code in categories:
                raise ValueError(f"fund_use_rules.yaml: category {c.code} listed twice")
            categories[c.code] = c
        if UNSPECIFIED not in categories or categories[UNSPECIFIED].prohibited_for:
            raise ValueError("fund_use_rules.yaml: a permitted `unspecified` category is required")
        for c in categories.values():
            unknown = [x for x in c.keywords_ignored_for if x not in categories]
            if unknown:
                raise ValueError(f"fund_use_rules.yaml: {c.code}: unknown category {unknown[0]}")
        out.append(
            FundUseRules(
                version=str(v["version"]),
                source=" ".join(str(v["source"]).split()),
                effective_from=v["effective_from"],
                effective_to=v.get("effective_to"),
                loan_kinds=kinds,
                product_kinds=products,
                default_kind=default,
                categories=categories,
            )
        )
    return tuple(sorted(out, key=lambda r: r.effective_from))


def load_rules(as_of: dt.date | None = None) -> FundUseRules:
    """The use-of-funds rule version in force on ``as_of`` (latest when None)."""
    versions = _versions()
    if as_of is None:
        return versions[-1]
    for v in reversed(versions):
        if v.effective_from <= as_of and (v.effective_to is None or as_of < v.effective_to):
            return v
    raise ValueError(f"as_of: no use-of-funds rule version in force on {as_of.isoformat()}")


def check_category(code: str | None, as_of: dt.date | None = None) -> str:
    """The category code, validated against the rules (``unspecified`` when blank)."""
    value = (code or "").strip() or UNSPECIFIED
    load_rules(as_of).category(value)
    return value


# --------------------------------------------------------------------------------------------
# Input and output


@dataclass(frozen=True)
class Evidence:
    """One item of use-of-funds evidence. ``ref`` names it in findings (e.g. ``#12``)."""

    ref: str
    amount: Decimal
    description: str
    recorded_on: dt.date
    payee: str = ""
    category: str = UNSPECIFIED


@dataclass(frozen=True)
class Finding:
    kind: str  # prohibited | suspected | unevidenced
    rule: str  # the category (or `unevidenced`)
    on: dt.date
    amount: Decimal
    reason: str
    source: str
    evidence: str | None = None  # the evidence item's ref

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "on": self.on.isoformat(),
            "amount": str(self.amount),
            "reason": self.reason,
            "source": self.source,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Assessment:
    loan_kind: str
    as_of: dt.date
    principal: Decimal
    evidenced: Decimal
    unevidenced: Decimal
    window_days: int
    window_closes_on: dt.date
    findings: tuple[Finding, ...]
    rule_version: str

    @property
    def off_purpose(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind in ("prohibited", "suspected"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "loan_kind": self.loan_kind,
            "as_of": self.as_of.isoformat(),
            "principal": str(self.principal),
            "evidenced": str(self.evidenced),
            "unevidenced": str(self.unevidenced),
            "window_days": self.window_days,
            "window_closes_on": self.window_closes_on.isoformat(),
            "findings": [f.to_dict() for f in self.findings],
            "rule_version": self.rule_version,
        }


# --------------------------------------------------------------------------------------------
# Assessment


def _yuan(amount: Decimal) -> str:
    return f"CNY {amount:,.2f}"


def _describe(e: Evidence) -> str:
    payee = f" to {e.payee}" if e.payee else ""
    what = f"{_yuan(e.amount)}{payee}, “{e.description}”"
    return f"evidence {e.ref} of {e.recorded_on.isoformat()} ({what})"


def _hits(keyword: str, text: str) -> bool:
    if keyword.isascii():
        return re.search(rf"\b{re.escape(keyword)}\b", text, flags=re.IGNORECASE) is not None
    return keyword in text


def _without(text: str, phrases: Sequence[str]) -> str:
    for phrase in phrases:
        text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    return text


def screen(rules: FundUseRules, loan_kind: str, e: Evidence) -> list[tuple[Category, str]]:
    """Keyword hits of categories prohibited for this loan kind (in force on the evidence's
    date) in the description and payee, other than the category the evidence declares. English
    keywords match whole words, any case; a keyword inside one of the category's `not_within`
    phrases (借款合同 for 借款) is not a hit."""
    text = f"{e.description}\n{e.payee}"
    out = []
    for c in rules.categories.values():
        if (
            not c.keywords
            or c.code == e.category
            or e.category in c.keywords_ignored_for
            or loan_kind not in c.prohibited_for
            or not c.in_force(e.recorded_on)
        ):
            continue
        rest = _without(text, c.not_within)
        hit = next((k for k in c.keywords if _hits(k, rest)), None)
        if hit is not None:
            out.append((c, hit))
    return out


def assess(
    *,
    loan_kind: str,
    principal: Decimal,
    disbursed_on: dt.date,
    as_of: dt.date,
    evidence: Sequence[Evidence],
    window_days: int,
    renewal: bool = False,
    rules: FundUseRules | None = None,
) -> Assessment:
    """Compare the evidence recorded up to ``as_of`` with the rules (pure).

    ``loan_kind`` is a kind in the rules (``FundUseRules.loan_kind(product_code)`` maps a
    product); ``renewal`` says the loan was renewed without prior repayment (无还本续贷), the
    one case in which repaying this bank's own loan is a permitted use.
    """
    r = rules or load_rules(as_of)
    if loan_kind not in r.loan_kinds:
        raise ValueError(f"loan_kind: unknown {loan_kind!r}; one of {', '.join(r.loan_kinds)}")
    total = to_decimal(principal, "principal")
    if total <= 0:
        raise ValueError(f"principal: must be positive, got {principal}")
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 0:
        raise ValueError(f"window_days: expected a non-negative whole number, got {window_days!r}")
    kind_label = r.kind_label(loan_kind)
    findings: list[Finding] = []
    evidenced = ZERO
    for e in sorted(evidence, key=lambda x: x.recorded_on):  # stable: input order within a day
        if e.recorded_on > as_of:
            continue
        amount = to_decimal(e.amount, f"evidence {e.ref} amount")
        if amount <= 0:
            raise ValueError(f"evidence {e.ref} amount: must be positive, got {amount}")
        e = dataclasses.replace(e, amount=cents(amount))
        evidenced += e.amount
        c = r.category(e.category)
        if c.only_on_renewal and not renewal and c.in_force(e.recorded_on):
            findings.append(
                Finding(
                    "prohibited",
                    c.code,
                    e.recorded_on,
                    e.amount,
                    f"{_describe(e)}: category {c.code} ({c.zh}) is permitted only on a renewal "
                    "without prior repayment; this loan is not one, so this is 借新还旧, "
                    "an unapproved change of use",
                    c.cite(),
                    e.ref,
                )
            )
        elif loan_kind in c.prohibited_for and c.in_force(e.recorded_on):
            findings.append(
                Finding(
                    "prohibited",
                    c.code,
                    e.recorded_on,
                    e.amount,
                    f"{_describe(e)}: category {c.code} ({c.zh}) is prohibited for a {kind_label}",
                    c.cite(),
                    e.ref,
                )
            )
        for hit, keyword in screen(r, loan_kind, e):
            findings.append(
                Finding(
                    "suspected",
                    hit.code,
                    e.recorded_on,
                    e.amount,
                    f"{_describe(e)}: declared {e.category}, but “{keyword}” suggests "
                    f"{hit.code} ({hit.zh}), prohibited for a {kind_label}; check the voucher",
                    hit.cite(),
                    e.ref,
                )
            )
    evidenced = cents(evidenced)
    unevidenced = max(ZERO, cents(total) - evidenced)
    closes = disbursed_on + dt.timedelta(days=window_days)
    if as_of >= closes and unevidenced > 0:
        findings.append(
            Finding(
                "unevidenced",
                "unevidenced",
                as_of,
                unevidenced,
                f"{_yuan(unevidenced)} of {_yuan(cents(total))} not evidenced by "
                f"{as_of.isoformat()}: the {window_days}-day evidence window after disbursement "
                f"on {disbursed_on.isoformat()} closed on {closes.isoformat()}",
                "approval policy: disbursement.use_of_funds_evidence_days (house rule, "
                "unconfirmed)",
                None,
            )
        )
    return Assessment(
        loan_kind=loan_kind,
        as_of=as_of,
        principal=cents(total),
        evidenced=evidenced,
        unevidenced=unevidenced,
        window_days=window_days,
        window_closes_on=closes,
        findings=tuple(findings),
        rule_version=r.version,
    )


# --------------------------------------------------------------------------------------------
# Staff reviews of suspected uses

REVIEW_OUTCOMES = ("cleared", "confirmed")


@dataclass(frozen=True)
class Review:
    """Staff's conclusion on one evidence item after checking its voucher: ``cleared`` (the use is
    within purpose) or ``confirmed`` (an unapproved change of use)."""

    evidence: str  # the evidence item's ref
    outcome: str
    on: dt.date
    by: str
    note: str

    def __post_init__(self) -> None:
        if self.outcome not in REVIEW_OUTCOMES:
            raise ValueError(f"outcome: one of {', '.join(REVIEW_OUTCOMES)}, got {self.outcome!r}")
        if not self.note.strip():
            raise ValueError("note: say what the voucher showed")


def apply_reviews(assessment: Assessment, reviews: Sequence[Review]) -> Assessment:
    """The assessment after staff reviews made up to its ``as_of`` (the latest review of an
    item counts; reviews are given in the order they were made).

    Only *suspected* findings (keyword hits) are reviewed: ``cleared`` drops them, ``confirmed``
    makes them *prohibited* (a recorded change of use) with the review in the reason. A use
    recorded in a prohibited category and principal left unevidenced are facts, not suspicions:
    reviews leave them as they are (pure).
    """
    latest: dict[str, Review] = {}
    for r in reviews:
        if r.on <= assessment.as_of:
            latest[r.evidence] = r
    if not latest:
        return assessment
    out: list[Finding] = []
    for f in assessment.findings:
        review = latest.get(f.evidence or "")
        if f.kind != "suspected" or review is None:
            out.append(f)
        elif review.outcome == "confirmed":
            out.append(
                dataclasses.replace(
                    f,
                    kind="prohibited",
                    reason=f"{f.reason} — confirmed on {review.on.isoformat()} by {review.by}: "
                    f"{review.note.strip()}",
                )
            )
    return dataclasses.replace(assessment, findings=tuple(out))
