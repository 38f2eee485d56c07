"""Patent pledges: policies as data, registration refusals, collateral value and LTV (art. 15).

Official-rules §11: a pledge exists only once registered with the patent office; co-owned
patents need the co-owners' consent; the office refuses registration when the secured debt
runs past the patent's expiry, annual fees are unpaid or in grace, the patent is already
pledged, invalidation proceedings have started, or a preservation order is in force.
Pledge rates are bank policy (`pledge_policies.yaml`): collateral value = appraised value ×
pledge rate. LTV = loan ÷ appraised value; the policy (target) LTV of a pool is its
collateral value ÷ appraised value, and restoring it takes a repayment of
`loan − target LTV × value` (or a top-up of `loan ÷ target LTV − value`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from techfin.ip._data import load
from techfin.ip.dates import add_years
from techfin.ip.patents import LegalEvent, Patent
from techfin.ip.rules import PatentRules
from techfin.ip.status import LegalState, PatentStatus, derive_status
from techfin.ip.valuation import Valuation
from techfin.money import Rounding, quantize, to_decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class AlertRule:
    severity: str
    actions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PledgePolicy:
    """A bank's IP pledge policy. Defaults marked (unconfirmed) in the YAML are house choices.

    `pledge_rates` and `min_remaining_years` are keyed by IP type (`invention`,
    `utility_model`, `design`, `trademark`).
    """

    name: str
    label: str
    source: str
    version: str
    effective_from: date
    pledge_rates: Mapping[str, Decimal]
    max_term_years: int
    min_remaining_years: Mapping[str, int]
    co_owner_consent_required: bool
    fee_warning_days: int
    revaluation_months: int
    ltv_tolerance: Decimal
    alert_actions: Mapping[str, AlertRule]

    def pledge_rate(self, ip_type: str) -> Decimal:
        if ip_type not in self.pledge_rates:
            raise ValueError(f"policy {self.name}: no pledge rate for IP type {ip_type!r}")
        return self.pledge_rates[ip_type]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "source": self.source,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "pledge_rates": {k: str(v) for k, v in self.pledge_rates.items()},
            "max_term_years": self.max_term_years,
            "min_remaining_years": dict(self.min_remaining_years),
            "co_owner_consent_required": self.co_owner_consent_required,
            "fee_warning_days": self.fee_warning_days,
            "revaluation_months": self.revaluation_months,
            "ltv_tolerance": str(self.ltv_tolerance),
            "alert_actions": {
                k: {"severity": r.severity, "actions": list(r.actions)}
                for k, r in self.alert_actions.items()
            },
        }


@cache
def pledge_policies() -> dict[str, PledgePolicy]:
    raw = load("pledge_policies.yaml")
    actions = {
        str(k): AlertRule(str(v["severity"]), tuple(str(a) for a in v["actions"]))
        for k, v in raw["alert_actions"].items()
    }
    out = {}
    for name, p in raw["policies"].items():
        out[str(name)] = PledgePolicy(
            name=str(name),
            label=str(p["name"]),
            source=str(p["source"]).strip(),
            version=str(raw["version"]),
            effective_from=raw["effective_from"],
            pledge_rates={str(k): to_decimal(v) for k, v in p["pledge_rates"].items()},
            max_term_years=int(p["max_term_years"]),
            min_remaining_years={str(k): int(v) for k, v in p["min_remaining_years"].items()},
            co_owner_consent_required=bool(p["co_owner_consent_required"]),
            fee_warning_days=int(p["fee_warning_days"]),
            revaluation_months=int(p["revaluation_months"]),
            ltv_tolerance=to_decimal(p["ltv_tolerance"]),
            alert_actions=actions,
        )
    return out


def pledge_policy(name: str | None = None) -> PledgePolicy:
    """The named policy, or the default one (`house`)."""
    policies = pledge_policies()
    key = name or str(load("pledge_policies.yaml")["default"])
    if key not in policies:
        raise ValueError(f"pledge policy: unknown {key!r}; known: {', '.join(sorted(policies))}")
    return policies[key]


# --- registration -----------------------------------------------------------------------


class RefusalReason(StrEnum):
    DEBT_PAST_EXPIRY = "debt_past_expiry"
    FEES_UNPAID_OR_IN_GRACE = "fees_unpaid_or_in_grace"
    ALREADY_PLEDGED = "already_pledged"
    INVALIDATION_STARTED = "invalidation_started"
    PRESERVATION_ORDER = "preservation_order"
    CO_OWNER_CONSENT_MISSING = "co_owner_consent_missing"
    NOT_IN_FORCE = "not_in_force"


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: RefusalReason
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason.value, "message": self.message}


def registration_refusals(
    patent: Patent,
    events: Iterable[LegalEvent],
    *,
    applied_on: date,
    debt_maturity: date,
    consenting_co_owners: Iterable[str] = (),
    rules: PatentRules | None = None,
) -> tuple[Refusal, ...]:
    """The reasons the patent office would refuse to register this pledge (empty: none).

    Official reasons (§11): secured debt past the patent's expiry; annual fee unpaid or in
    grace; already pledged; invalidation started (requested, not yet decided); preservation
    order in force; co-owners' consent missing. A patent not in force is refused as well.
    """
    status = derive_status(patent, events, applied_on, rules)
    out: list[Refusal] = []
    if status.state in (LegalState.IN_GRACE, LegalState.LAPSED):
        out.append(
            Refusal(
                RefusalReason.FEES_UNPAID_OR_IN_GRACE,
                f"annual fee unpaid ({status.state.value}) on {applied_on}",
            )
        )
    if not status.in_force:
        out.append(Refusal(RefusalReason.NOT_IN_FORCE, f"patent is {status.state.value}"))
    if status.in_force and debt_maturity >= status.term_end:
        out.append(
            Refusal(
                RefusalReason.DEBT_PAST_EXPIRY,
                f"debt matures {debt_maturity}, the patent's term ends {status.term_end}",
            )
        )
    if status.pledged:
        out.append(
            Refusal(RefusalReason.ALREADY_PLEDGED, f"already pledged since {status.pledged_since}")
        )
    if status.invalidation_pending:
        out.append(
            Refusal(RefusalReason.INVALIDATION_STARTED, "invalidation request not yet decided")
        )
    if status.preservation_in_force:
        out.append(Refusal(RefusalReason.PRESERVATION_ORDER, "a preservation order is in force"))
    missing = [o for o in status.owners[1:] if o not in set(consenting_co_owners)]
    if missing:
        out.append(
            Refusal(
                RefusalReason.CO_OWNER_CONSENT_MISSING,
                "no consent from co-owner(s): " + ", ".join(missing),
            )
        )
    return tuple(out)


def policy_exceptions(
    status: PatentStatus,
    ip_type: str,
    policy: PledgePolicy,
    *,
    loan_start: date,
    loan_maturity: date,
) -> tuple[str, ...]:
    """Where a proposed pledge falls outside the bank's policy (not an office refusal)."""
    out: list[str] = []
    if ip_type not in policy.pledge_rates:
        out.append(f"policy {policy.name} takes no {ip_type} as collateral")
    if loan_maturity > add_years(loan_start, policy.max_term_years):
        out.append(f"loan term beyond the policy maximum of {policy.max_term_years} years")
    minimum = policy.min_remaining_years.get(ip_type, 0)
    if status.term_end < add_years(status.as_of, minimum):
        out.append(
            f"remaining legal life {status.remaining_years} years below the policy "
            f"minimum of {minimum}"
        )
    return tuple(out)


# --- collateral and LTV -----------------------------------------------------------------


def collateral_value(
    appraised: Valuation | Decimal | int | str, ip_type: str, policy: PledgePolicy
) -> Decimal:
    """Appraised value × pledge rate for the IP type, rounded down to 0.01.

    A `Valuation` whose method is not a collateral basis (the real option) is refused.
    """
    if isinstance(appraised, Valuation):
        if not appraised.collateral_basis:
            raise ValueError(
                f"{appraised.method} values are informational and never a collateral basis"
            )
        value = appraised.value
    else:
        value = to_decimal(appraised, "appraised")
    if value < 0:
        raise ValueError("appraised: must not be negative")
    return quantize(value * policy.pledge_rate(ip_type), 2, Rounding.DOWN)


def ltv(loan: Decimal, value: Decimal) -> Decimal | None:
    """Loan ÷ value to 4 places, half-up; None when there is no value to lend against."""
    if value <= 0:
        return None if loan > 0 else ZERO
    return quantize(loan / value, 4, Rounding.HALF_UP)


def repayment_to_restore(loan: Decimal, value: Decimal, target_ltv: Decimal) -> Decimal:
    """`loan − target LTV × value`, at least 0, rounded up to 0.01 so the LTV is restored."""
    return quantize(max(ZERO, loan - target_ltv * value), 2, Rounding.UP)


def top_up_needed(loan: Decimal, value: Decimal, target_ltv: Decimal) -> Decimal | None:
    """Extra appraised value that restores the target LTV; None when the target is 0."""
    if target_ltv <= 0:
        return None
    return quantize(max(ZERO, loan / target_ltv - value), 2, Rounding.UP)


@dataclass(frozen=True, slots=True)
class PledgedItem:
    """One item of a pledge pool with its latest appraised value.

    It counts at zero while its pledge is not registered (a pledge exists only once
    registered, §11) and once the right is no longer in force.
    """

    number: str
    ip_type: str
    appraised_value: Decimal
    in_force: bool = True
    registered: bool = True

    @property
    def effective(self) -> bool:
        return self.in_force and self.registered


@dataclass(frozen=True, slots=True)
class Position:
    """LTV position of a loan (its balance and its collateral) or of a pool (all it secures)."""

    loan: Decimal
    appraised_value: Decimal
    collateral_value: Decimal
    ltv: Decimal | None
    target_ltv: Decimal
    breach: bool
    repayment_to_restore: Decimal
    top_up_needed: Decimal | None
    policy: str  # name@version of the policy applied

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (str(v) if isinstance(v, Decimal) else v)
            for k, v in ((k, getattr(self, k)) for k in self.__dataclass_fields__)
        }


def position(
    loan: Decimal | Sequence[Decimal], items: Sequence[PledgedItem], policy: PledgePolicy
) -> Position:
    """LTV of a loan over the items securing it, or of a pool over all loans it secures.

    Items not in force or not registered count at 0. The target LTV is the pool's collateral
    value ÷ appraised value (its value-weighted pledge rate); with no value left, the target
    is the weighted rate the items would have had at their last appraisal. A breach is LTV
    above target plus the policy tolerance.
    """
    balance = loan if isinstance(loan, Decimal) else sum(loan, ZERO)
    live = [i for i in items if i.effective]
    value = sum((i.appraised_value for i in live), ZERO)
    collateral = sum((collateral_value(i.appraised_value, i.ip_type, policy) for i in live), ZERO)
    basis = value if value > 0 else sum((i.appraised_value for i in items), ZERO)
    basis_coll = (
        collateral
        if value > 0
        else sum((i.appraised_value * policy.pledge_rate(i.ip_type) for i in items), ZERO)
    )
    # Decide on the exact target: a loan exactly equal to the collateral value is no breach
    # (rounding the target down first made it one). The rounded figure is for display.
    exact = basis_coll / basis if basis > 0 else ZERO
    target = quantize(exact, 4, Rounding.DOWN)
    current = ltv(balance, value)
    breach = balance > 0 and (value <= 0 or balance > (exact + policy.ltv_tolerance) * value)
    return Position(
        loan=balance,
        appraised_value=value,
        collateral_value=collateral,
        ltv=current,
        target_ltv=target,
        breach=breach,
        repayment_to_restore=repayment_to_restore(balance, value, exact),
        top_up_needed=top_up_needed(balance, value, exact),
        policy=f"{policy.name}@{policy.version}",
    )
