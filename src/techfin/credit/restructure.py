"""Renewal without prior repayment, extension and restructuring (issue 9 item 2), pure.

Official-rules §7a distinguishes three ways a loan about to mature (or in trouble) goes on:

- **Renewal without prior repayment (无还本续贷)**: a process, not a product. The borrower
  applies before maturity, the bank investigates in advance, and the new loan and guarantee
  contracts are signed before maturity; the new loan repays the old one on its maturity date.
  Scope (2024 notice): small and micro enterprises' working-capital and business loans and
  medium enterprises' working-capital loans, maturing by 2027-09-30. The renewed loan stays
  正常 (normal) when the borrower is lawful, still operating, has not diverted funds, missed
  interest or evaded debt. `check_renewal` is the eligibility check, `renew` builds the new
  loan's schedule. Scope, dates and process flags are versioned data (``data/renewal.yaml``).
- **Extension (展期)**: the same contract with a later maturity and a new schedule (`extend`).
  The cumulative-extension limits come from the 1996 General Rules on Loans (art. 12) — not in
  official-rules.md, so the data file marks them unconfirmed.
- **Restructuring (重组)** for a borrower in financial difficulty with a concession (including
  借新还旧 for such a borrower): classification floor substandard from the start of an
  observation period of at least a year (official-rules §7), via
  `techfin.credit.classification.classify` (`restructure`).

Every result carries the new `Terms` and the `Schedule` from `techfin.credit.schedule.build`
and the rule version applied; persisting it (an audited command) is the service layer's job.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.credit.classification import Classification, classify, load_rules
from techfin.credit.daycount import add_months
from techfin.credit.schedule import Frequency, Method, Schedule, Terms, build
from techfin.money import ZERO, to_decimal

__all__ = [
    "Check",
    "Concession",
    "Extension",
    "ExtensionRequest",
    "ExtensionRules",
    "NotAllowed",
    "Renewal",
    "RenewalDecision",
    "RenewalRequest",
    "RenewalRules",
    "Restructuring",
    "RestructuringRequest",
    "check_extension",
    "check_renewal",
    "extend",
    "extension_rules",
    "renew",
    "renewal_rules",
    "renewal_terms",
    "restructure",
]

SIZES = ("micro", "small", "medium", "large")
PURPOSES = ("working_capital", "business", "fixed_asset", "project", "other")


# --------------------------------------------------------------------------------------------
# Rule data


@dataclass(frozen=True)
class RenewalRules:
    version: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None
    scope: tuple[tuple[frozenset[str], frozenset[str]], ...]
    maturity_to: dt.date
    application_before_maturity: bool
    investigation_before_maturity: bool
    contracts_before_maturity: bool
    max_amount_share_of_outstanding: Decimal

    def in_scope(self, size: str, purpose: str) -> bool:
        return any(size in sizes and purpose in purposes for sizes, purposes in self.scope)

    def scope_text(self) -> str:
        parts = [f"{'/'.join(sorted(s))} × {'/'.join(sorted(p))}" for s, p in self.scope]
        return "; ".join(parts)


@dataclass(frozen=True)
class ExtensionRules:
    version: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None
    short_term_months: int
    medium_term_months: int
    medium_term_share: Decimal
    long_term_cap_months: int
    application_before_maturity: bool


def _text(name: str) -> dict[str, Any]:
    raw = (resources.files("techfin.credit") / "data" / name).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(raw)
    return data


def _in_force(versions: Sequence[Any], on: dt.date | None, what: str) -> Any:
    ordered = sorted(versions, key=lambda v: v.effective_from)
    if on is None:
        return ordered[-1]
    for v in reversed(ordered):
        if v.effective_from <= on and (v.effective_to is None or on < v.effective_to):
            return v
    raise ValueError(f"as_of: no {what} rule version in force on {on.isoformat()}")


@cache
def _renewal_versions() -> tuple[RenewalRules, ...]:
    out = []
    for v in _text("renewal.yaml")["renewal_versions"]:
        out.append(
            RenewalRules(
                version=str(v["version"]),
                source=" ".join(str(v["source"]).split()),
                effective_from=v["effective_from"],
                effective_to=v.get("effective_to"),
                scope=tuple(
                    (frozenset(map(str, s["sizes"])), frozenset(map(str, s["purposes"])))
                    for s in v["scope"]
                ),
                maturity_to=v["maturity_to"],
                application_before_maturity=bool(v["application_before_maturity"]),
                investigation_before_maturity=bool(v["investigation_before_maturity"]),
                contracts_before_maturity=bool(v["contracts_before_maturity"]),
                max_amount_share_of_outstanding=to_decimal(
                    str(v["max_amount_share_of_outstanding"]), "max_amount_share_of_outstanding"
                ),
            )
        )
    return tuple(out)


@cache
def _extension_versions() -> tuple[ExtensionRules, ...]:
    out = []
    for v in _text("renewal.yaml")["extension_versions"]:
        out.append(
            ExtensionRules(
                version=str(v["version"]),
                source=" ".join(str(v["source"]).split()),
                effective_from=v["effective_from"],
                effective_to=v.get("effective_to"),
                short_term_months=int(v["short_term_months"]),
                medium_term_months=int(v["medium_term_months"]),
                medium_term_share=to_decimal(str(v["medium_term_share"]), "medium_term_share"),
                long_term_cap_months=int(v["long_term_cap_months"]),
                application_before_maturity=bool(v["application_before_maturity"]),
            )
        )
    return tuple(out)


def renewal_rules(as_of: dt.date | None = None) -> RenewalRules:
    """The renewal rule version in force on ``as_of`` (latest when None)."""
    rules: RenewalRules = _in_force(_renewal_versions(), as_of, "renewal")
    return rules


def extension_rules(as_of: dt.date | None = None) -> ExtensionRules:
    """The extension rule version in force on ``as_of`` (latest when None)."""
    rules: ExtensionRules = _in_force(_extension_versions(), as_of, "extension")
    return rules


# --------------------------------------------------------------------------------------------
# Common


@dataclass(frozen=True)
class Check:
    """One condition: its code, whether it holds, and why, in words."""

    code: str
    passed: bool
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "passed": self.passed, "text": self.text}


class NotAllowed(ValueError):
    """The request fails a condition; ``checks`` lists every condition with its result."""

    def __init__(self, what: str, checks: Sequence[Check]) -> None:
        failed = [c.text for c in checks if not c.passed]
        super().__init__(f"{what} not allowed: " + "; ".join(failed))
        self.checks = tuple(checks)


def _check_terms_start(terms: Terms, start: dt.date, what: str) -> None:
    if terms.start != start:
        raise ValueError(
            f"terms.start: the {what} starts on {start.isoformat()}, got {terms.start}"
        )


# --------------------------------------------------------------------------------------------
# Renewal without prior repayment


@dataclass(frozen=True)
class RenewalRequest:
    """The facts of a renewal application (all recorded by staff or the borrower).

    ``borrower_size``: micro / small / medium / large (SME size rules, official-rules §3);
    ``purpose``: working_capital / business / fixed_asset / project / other.
    ``investigation_done_on`` and ``contracts_signed_on`` are None until done.
    The five booleans are the conditions for the renewed loan to stay normal.
    """

    loan_id: str
    borrower_size: str
    purpose: str
    maturity: dt.date
    outstanding_principal: Decimal
    applied_on: dt.date
    investigation_done_on: dt.date | None = None
    contracts_signed_on: dt.date | None = None
    lawful: bool = True
    operating: bool = True
    funds_diverted: bool = False
    missed_interest: bool = False
    evaded_debt: bool = False
    days_past_due: int = 0

    def __post_init__(self) -> None:
        if self.borrower_size not in SIZES:
            raise ValueError(f"borrower_size: {self.borrower_size!r} is not one of {SIZES}")
        if self.purpose not in PURPOSES:
            raise ValueError(f"purpose: {self.purpose!r} is not one of {PURPOSES}")
        if to_decimal(self.outstanding_principal, "outstanding_principal") <= 0:
            raise ValueError("outstanding_principal: must be positive")
        if self.days_past_due < 0:
            raise ValueError("days_past_due: must not be negative")


@dataclass(frozen=True)
class RenewalDecision:
    """``eligible``: scope and process hold (the renewal may be done as 无还本续贷).
    ``stays_normal``: eligible and the borrower's conditions hold, so the renewal itself sets
    no classification floor (an eligible small-business renewal, official-rules §7)."""

    loan_id: str
    eligible: bool
    stays_normal: bool
    checks: tuple[Check, ...]
    rule_version: str
    source: str

    def classification_facts(self) -> dict[str, Any]:
        """Facts for `classification.classify` on the new loan (it repays the old one)."""
        return {"new_loan_repays_old": True, "eligible_renewal": self.stays_normal}

    def to_dict(self) -> dict[str, Any]:
        return {
            "loan_id": self.loan_id,
            "eligible": self.eligible,
            "stays_normal": self.stays_normal,
            "checks": [c.to_dict() for c in self.checks],
            "rule_version": self.rule_version,
            "source": self.source,
        }


def check_renewal(request: RenewalRequest) -> RenewalDecision:
    """Check a renewal application against the rules in force on its application date.

    Scope and process checks decide ``eligible``; the borrower conditions (lawful, operating,
    no diverted funds, no missed interest, no debt evasion) decide ``stays_normal``. A request
    that is eligible but fails a condition is a refinancing of a borrower in difficulty —
    restructuring, not renewal (official-rules §7a).
    """
    r = request
    rules = renewal_rules(r.applied_on)
    m = r.maturity.isoformat()
    process: list[Check] = [
        Check(
            "scope",
            rules.in_scope(r.borrower_size, r.purpose),
            f"{r.borrower_size} enterprise, {r.purpose} loan"
            + (" is" if rules.in_scope(r.borrower_size, r.purpose) else " is not")
            + f" in scope ({rules.scope_text()})",
        ),
        Check(
            "maturity_window",
            r.maturity <= rules.maturity_to,
            f"matures {m}; the scope covers loans maturing by {rules.maturity_to.isoformat()}",
        ),
    ]
    if rules.application_before_maturity:
        process.append(
            Check(
                "applied_before_maturity",
                r.applied_on < r.maturity,
                f"applied {r.applied_on.isoformat()}, maturity {m}",
            )
        )
    if rules.investigation_before_maturity:
        done = r.investigation_done_on
        process.append(
            Check(
                "advance_investigation",
                done is not None and done < r.maturity,
                "advance investigation "
                + (f"done {done.isoformat()}" if done else "not recorded")
                + f" (needed before {m})",
            )
        )
    if rules.contracts_before_maturity:
        signed = r.contracts_signed_on
        process.append(
            Check(
                "contracts_before_maturity",
                signed is not None and signed < r.maturity,
                "new loan and guarantee contracts "
                + (f"signed {signed.isoformat()}" if signed else "not signed")
                + f" (needed before {m})",
            )
        )
    conditions = [
        Check("lawful", r.lawful, "borrower operates lawfully" if r.lawful else "not lawful"),
        Check(
            "operating",
            r.operating,
            "borrower still operating" if r.operating else "borrower no longer operating",
        ),
        Check(
            "no_diversion",
            not r.funds_diverted,
            "funds diverted from their purpose" if r.funds_diverted else "no diversion of funds",
        ),
        Check(
            "no_missed_interest",
            not r.missed_interest,
            "interest payments missed" if r.missed_interest else "interest paid as due",
        ),
        Check(
            "no_debt_evasion",
            not r.evaded_debt,
            "borrower evaded debt" if r.evaded_debt else "no debt evasion",
        ),
    ]
    eligible = all(c.passed for c in process)
    stays_normal = eligible and all(c.passed for c in conditions)
    return RenewalDecision(
        loan_id=r.loan_id,
        eligible=eligible,
        stays_normal=stays_normal,
        checks=(*process, *conditions),
        rule_version=rules.version,
        source=rules.source,
    )


@dataclass(frozen=True)
class Renewal:
    """The renewed loan: its terms and schedule (starting on the old maturity date, repaying
    the old loan), the decision, and the classification floor of the new loan."""

    decision: RenewalDecision
    terms: Terms
    schedule: Schedule
    classification: Classification


def renewal_terms(
    request: RenewalRequest,
    *,
    annual_rate: Decimal,
    installments: int,
    method: Method = Method.INTEREST_ONLY,
    frequency: Frequency | None = None,
    principal: Decimal | None = None,
    **more: Any,
) -> Terms:
    """The renewed loan's terms: starting on the old maturity date, lending the outstanding
    principal (or ``principal``), at ``annual_rate`` for ``installments`` periods. ``more``
    passes any other `Terms` field (interest settlement, rounding, …)."""
    return Terms(
        principal=request.outstanding_principal if principal is None else principal,
        annual_rate=annual_rate,
        start=request.maturity,
        installments=installments,
        method=method,
        frequency=frequency or Frequency(),
        **more,
    )


def renew(request: RenewalRequest, terms: Terms) -> Renewal:
    """Build the renewed loan for an eligible request; raise `NotAllowed` otherwise.

    ``terms`` are the new loan's terms: they start on the old loan's maturity date and
    lend at most ``max_amount_share_of_outstanding`` × the outstanding principal.
    """
    decision = check_renewal(request)
    if not decision.eligible:
        raise NotAllowed("renewal without prior repayment", decision.checks)
    _check_terms_start(terms, request.maturity, "renewed loan")
    rules = renewal_rules(request.applied_on)
    cap = request.outstanding_principal * rules.max_amount_share_of_outstanding
    if terms.principal > cap:
        raise ValueError(
            f"terms.principal: {terms.principal} is above {cap} "
            f"({rules.max_amount_share_of_outstanding} × outstanding principal)"
        )
    facts = decision.classification_facts()
    classification = classify(days_past_due=request.days_past_due, as_of=request.maturity, **facts)
    return Renewal(decision, terms, build(terms), classification)


# --------------------------------------------------------------------------------------------
# Extension (展期)


@dataclass(frozen=True)
class ExtensionRequest:
    """Extend a loan's maturity: the same contract, a new schedule from ``as_of``.

    ``original_start`` and ``original_maturity`` are the contract's; ``previous_maturity`` is
    the maturity before this request (differs from the original after an earlier extension).
    """

    loan_id: str
    original_start: dt.date
    original_maturity: dt.date
    new_maturity: dt.date
    applied_on: dt.date
    previous_maturity: dt.date | None = None

    def __post_init__(self) -> None:
        if self.original_maturity <= self.original_start:
            raise ValueError("original_maturity: must be after original_start")
        current = self.previous_maturity or self.original_maturity
        if self.new_maturity <= current:
            raise ValueError(f"new_maturity: must be after the current maturity {current}")


def _months_between(a: dt.date, b: dt.date) -> int:
    """Whole calendar months from a to b (b's day before a's day counts one less)."""
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if add_months(a, months) > b:
        months -= 1
    return months


def check_extension(request: ExtensionRequest) -> tuple[tuple[Check, ...], str]:
    """Check an extension request; returns the checks and the rule version applied.

    Cumulative extension (new maturity − original maturity) is capped by the original term:
    up to 12 months → at most the original term; up to 60 months → at most half of it; longer
    → at most 36 months (data, unconfirmed: 贷款通则 art. 12).
    """
    r = request
    rules = extension_rules(r.applied_on)
    current = r.previous_maturity or r.original_maturity
    term_months = _months_between(r.original_start, r.original_maturity)
    term_days = (r.original_maturity - r.original_start).days
    if term_months <= rules.short_term_months:
        limit = r.original_maturity + dt.timedelta(days=term_days)
        rule = "short-term loan: cumulative extension at most the original term"
    elif term_months <= rules.medium_term_months:
        half = int(Decimal(term_days) * rules.medium_term_share)
        limit = r.original_maturity + dt.timedelta(days=half)
        rule = f"medium-term loan: cumulative extension at most {rules.medium_term_share} × term"
    else:
        limit = add_months(r.original_maturity, rules.long_term_cap_months)
        rule = f"long-term loan: cumulative extension at most {rules.long_term_cap_months} months"
    checks = [
        Check(
            "extension_limit",
            r.new_maturity <= limit,
            f"{rule}: new maturity {r.new_maturity.isoformat()}, latest {limit.isoformat()}",
        )
    ]
    if rules.application_before_maturity:
        checks.append(
            Check(
                "applied_before_maturity",
                r.applied_on < current,
                f"applied {r.applied_on.isoformat()}, maturity {current.isoformat()}",
            )
        )
    return tuple(checks), rules.version


@dataclass(frozen=True)
class Extension:
    loan_id: str
    checks: tuple[Check, ...]
    terms: Terms
    schedule: Schedule
    rule_version: str


def extend(
    request: ExtensionRequest,
    current: Schedule,
    *,
    outstanding_principal: Decimal,
    as_of: dt.date,
    annual_rate: Decimal | None = None,
) -> Extension:
    """A new schedule for the same contract to ``new_maturity`` (raise `NotAllowed` when a
    check fails).

    The principal outstanding on ``as_of`` is re-amortised from ``as_of`` over the current
    schedule's principal dates still ahead, continued at the same frequency, with the new
    maturity as the last date. ``annual_rate`` changes the rate (default: the contract's rate
    in force on ``as_of``).
    """
    checks, version = check_extension(request)
    if not all(c.passed for c in checks):
        raise NotAllowed("extension", checks)
    t = current.terms
    principal = to_decimal(outstanding_principal, "outstanding_principal")
    if principal <= ZERO:
        raise ValueError("outstanding_principal: must be positive")
    dates = [d for d in t.principal_dates() if as_of < d < request.new_maturity]
    anchor = dates[-1] if dates else max(as_of, t.principal_dates()[-1])
    k = 1
    while True:
        nxt = t.frequency.step(anchor, k)
        if nxt >= request.new_maturity:
            break
        if nxt > as_of:
            dates.append(nxt)
        k += 1
    dates.append(request.new_maturity)
    rate = annual_rate
    if rate is None:
        rate = t.annual_rate
        for change in t.rate_changes:
            if change.effective <= as_of:
                rate = change.annual_rate
    terms = dataclasses.replace(
        t,
        method=Method.ANNUITY if t.method is Method.STEPPED else t.method,
        principal=principal,
        annual_rate=rate,
        start=as_of,
        installments=0,
        first_due=None,
        due_dates=tuple(sorted(set(dates))),
        periods_per_year=t.ppy if not t.interest_basis.is_day_count else t.periods_per_year,
        interest_dates=(),
        grace_principal=0,
        grace_interest=0,
        interest_free=0,
        rate_changes=tuple(rc for rc in t.rate_changes if as_of < rc.effective < dates[-1]),
        step_payments=(),
        step_principal_percents=(),
    )
    return Extension(request.loan_id, checks, terms, build(terms), version)


# --------------------------------------------------------------------------------------------
# Restructuring (重组)


class Concession(StrEnum):
    """What the bank gives up for a borrower in difficulty."""

    RATE_REDUCTION = "rate_reduction"
    TERM_EXTENSION = "term_extension"
    PRINCIPAL_FORGIVENESS = "principal_forgiveness"
    INTEREST_FORGIVENESS = "interest_forgiveness"
    INTEREST_CAPITALISED = "interest_capitalised"
    PAYMENT_DEFERRAL = "payment_deferral"
    NEW_LOAN_REPAYS_OLD = "new_loan_repays_old"


@dataclass(frozen=True)
class RestructuringRequest:
    """A restructuring for a borrower in financial difficulty.

    ``old_terms`` is the loan's current schedule terms; ``new_terms`` the restructured loan's
    (starting on ``as_of``). ``difficulty_evidence`` records why the borrower is in financial
    difficulty (required). ``concessions`` adds concessions the terms cannot show (interest
    forgiven, payments deferred); rate reduction, term extension, principal forgiveness and
    capitalised interest are detected from the terms.
    """

    loan_id: str
    as_of: dt.date
    old_terms: Terms
    new_terms: Terms
    outstanding_principal: Decimal
    difficulty_evidence: str
    unpaid_interest: Decimal = ZERO
    concessions: tuple[Concession, ...] = ()
    days_past_due: int = 0


@dataclass(frozen=True)
class Restructuring:
    loan_id: str
    terms: Terms
    schedule: Schedule
    concessions: tuple[Concession, ...]
    observation_start: dt.date
    observation_end: dt.date
    classification: Classification

    def classification_facts(self) -> dict[str, Any]:
        """Facts to pass to `classification.classify` for this loan from now on."""
        return {"restructured": True, "restructuring_observation_start": self.observation_start}


def restructure(request: RestructuringRequest) -> Restructuring:
    """Restructure a loan: new schedule, concessions, observation period and floor.

    The floor is at least substandard while the observation period runs (a year from
    ``as_of``, the classification rules' figure); `observation_end` is also at least the
    second principal date of the new schedule, since the 2023 rules want the period to span
    two repayment periods.
    """
    r = request
    if not r.difficulty_evidence.strip():
        raise ValueError(
            "difficulty_evidence: restructuring needs the borrower's financial difficulty "
            "recorded (otherwise use an extension or a renewal)"
        )
    _check_terms_start(r.new_terms, r.as_of, "restructured loan")
    found: list[Concession] = list(r.concessions)
    old, new = r.old_terms, r.new_terms
    if new.annual_rate < old.annual_rate:
        found.append(Concession.RATE_REDUCTION)
    if new.principal_dates()[-1] > old.principal_dates()[-1]:
        found.append(Concession.TERM_EXTENSION)
    outstanding = to_decimal(r.outstanding_principal, "outstanding_principal")
    if new.principal < outstanding:
        found.append(Concession.PRINCIPAL_FORGIVENESS)
    elif new.principal > outstanding:
        extra = new.principal - outstanding
        if extra > r.unpaid_interest:
            raise ValueError(
                f"new_terms.principal: exceeds outstanding principal by {extra}, more than the "
                f"unpaid interest {r.unpaid_interest} that could be capitalised"
            )
        found.append(Concession.INTEREST_CAPITALISED)
    concessions = tuple(dict.fromkeys(found))
    if not concessions:
        raise ValueError(
            "concessions: none found; a restructuring needs a concession (lower rate, longer "
            "term, forgiveness, capitalisation or deferral)"
        )
    schedule = build(new)
    rules = load_rules(r.as_of)
    end = add_months(r.as_of, rules.restructuring_observation_months)
    principal_rows = [row.due_date for row in schedule.rows if row.principal > 0]
    if len(principal_rows) >= 2:
        end = max(end, principal_rows[1])
    classification = classify(
        days_past_due=r.days_past_due,
        as_of=r.as_of,
        restructured=True,
        restructuring_observation_start=r.as_of,
    )
    return Restructuring(
        loan_id=r.loan_id,
        terms=new,
        schedule=schedule,
        concessions=concessions,
        observation_start=r.as_of,
        observation_end=end,
        classification=classification,
    )
