"""Loan risk classification floors (五级分类) under the 2023 rules.

Implements the floors of 商业银行金融资产风险分类办法 (2023 No. 1, in force from 2023-07-01),
summarised in official-rules §7, for issue 9 item 4. The rules say what a loan must be classed
*at least*; staff then judge the final class (never better than the floor) with review and
sign-off. `classify` returns that floor with every rule that raised it; `judged_class_allowed`
checks a judged class against it.

The thresholds live in ``credit/data/classification.yaml`` (one entry per rule version, with its
source and effective dates); the result records the version applied.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.money import to_decimal

__all__ = [
    "FACT_NAMES",
    "Classification",
    "ClassificationRules",
    "Reason",
    "RiskClass",
    "classify",
    "judged_class_allowed",
    "load_rules",
]


class RiskClass(StrEnum):
    """The five classes, best first. 关注 is special mention."""

    NORMAL = "normal"  # 正常
    SPECIAL_MENTION = "special_mention"  # 关注
    SUBSTANDARD = "substandard"  # 次级
    DOUBTFUL = "doubtful"  # 可疑
    LOSS = "loss"  # 损失

    @property
    def rank(self) -> int:
        """0 for normal … 4 for loss: a larger rank is a worse class."""
        return _ORDER.index(self)

    @property
    def non_performing(self) -> bool:
        """Substandard, doubtful and loss are non-performing (不良)."""
        return self.rank >= 2

    @property
    def label_zh(self) -> str:
        return _ZH[self]


_ORDER = [
    RiskClass.NORMAL,
    RiskClass.SPECIAL_MENTION,
    RiskClass.SUBSTANDARD,
    RiskClass.DOUBTFUL,
    RiskClass.LOSS,
]
_ZH = {
    RiskClass.NORMAL: "正常",
    RiskClass.SPECIAL_MENTION: "关注",
    RiskClass.SUBSTANDARD: "次级",
    RiskClass.DOUBTFUL: "可疑",
    RiskClass.LOSS: "损失",
}


def _worse(a: RiskClass, b: RiskClass) -> RiskClass:
    return a if a.rank >= b.rank else b


@dataclass(frozen=True)
class ClassificationRules:
    """One version of the classification floors (see ``data/classification.yaml``)."""

    version: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None
    special_mention_dpd_over: int
    operational_delay_max_days: int
    substandard_dpd_over: int
    doubtful_dpd_over: int
    loss_dpd_over: int
    cross_bank_overdue_share_over: Decimal
    cross_bank_dpd_over: int
    whole_borrower_npl_share_over: Decimal
    restructuring_observation_months: int
    upgrade_min_periods: int
    upgrade_min_months: int

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


@cache
def _all_rules() -> tuple[ClassificationRules, ...]:
    text = (resources.files("techfin.credit") / "data" / "classification.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    out = []
    for v in raw["versions"]:
        out.append(
            ClassificationRules(
                version=str(v["version"]),
                source=" ".join(str(v["source"]).split()),
                effective_from=v["effective_from"],
                effective_to=v.get("effective_to"),
                special_mention_dpd_over=int(v["special_mention_dpd_over"]),
                operational_delay_max_days=int(v["operational_delay_max_days"]),
                substandard_dpd_over=int(v["substandard_dpd_over"]),
                doubtful_dpd_over=int(v["doubtful_dpd_over"]),
                loss_dpd_over=int(v["loss_dpd_over"]),
                cross_bank_overdue_share_over=Decimal(str(v["cross_bank_overdue_share_over"])),
                cross_bank_dpd_over=int(v["cross_bank_dpd_over"]),
                whole_borrower_npl_share_over=Decimal(str(v["whole_borrower_npl_share_over"])),
                restructuring_observation_months=int(v["restructuring_observation_months"]),
                upgrade_min_periods=int(v["upgrade_min_periods"]),
                upgrade_min_months=int(v["upgrade_min_months"]),
            )
        )
    return tuple(sorted(out, key=lambda r: r.effective_from))


def load_rules(as_of: dt.date | None = None) -> ClassificationRules:
    """The rule version in force on `as_of` (the latest version when `as_of` is None)."""
    rules = _all_rules()
    if as_of is None:
        return rules[-1]
    for r in reversed(rules):
        if r.in_force(as_of):
            return r
    raise ValueError(
        f"as_of: no classification rule version in force on {as_of.isoformat()} "
        f"(earliest is {rules[0].version} from {rules[0].effective_from.isoformat()})"
    )


@dataclass(frozen=True)
class Reason:
    """One rule that was evaluated: its code, the floor it sets, and why, in words.

    A rule that excepts the loan (the operational-delay exception) is recorded with floor
    ``normal`` so the record shows it was considered.
    """

    code: str
    floor: RiskClass
    text: str


@dataclass(frozen=True)
class Classification:
    """The floor class (``.value``), the reasons that set it, and the rule version applied."""

    value: RiskClass
    reasons: tuple[Reason, ...]
    rule_version: str

    @property
    def non_performing(self) -> bool:
        return self.value.non_performing

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value.value,
            "label_zh": self.value.label_zh,
            "non_performing": self.non_performing,
            "rule_version": self.rule_version,
            "reasons": [
                {"code": r.code, "floor": r.floor.value, "text": r.text} for r in self.reasons
            ],
        }


#: Fact names `classify` accepts besides ``days_past_due`` (see `classify` for meanings).
FACT_NAMES: frozenset[str] = frozenset(
    {
        "as_of",
        "operational_delay_cause",
        "unapproved_change_of_use",
        "new_loan_repays_old",
        "eligible_renewal",
        "npl_at_other_bank",
        "corporate_borrower",
        "debt_all_banks",
        "debt_over_90_days_all_banks",
        "credit_impaired",
        "claims_at_bank",
        "non_performing_claims_at_bank",
        "restructured",
        "restructuring_observation_start",
        "previous_class",
        "arrears_paid_on",
        "on_time_periods_since_arrears_paid",
        "repayment_period_months",
    }
)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _bool(facts: dict[str, Any], name: str, default: bool = False) -> bool:
    value = facts.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false, got {value!r}")
    return value


def _date(facts: dict[str, Any], name: str) -> dt.date | None:
    value = facts.get(name)
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(f"{name}: expected a date, got {value!r}")
    return value


def _amount(facts: dict[str, Any], name: str) -> Decimal | None:
    value = facts.get(name)
    if value is None:
        return None
    amount = to_decimal(value, name)
    if amount < 0:
        raise ValueError(f"{name}: must not be negative, got {amount}")
    return amount


def _int(facts: dict[str, Any], name: str) -> int | None:
    value = facts.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: must not be negative, got {value}")
    return value


def _share(part: Decimal, whole: Decimal, part_name: str, whole_name: str) -> Decimal:
    if part > whole:
        raise ValueError(f"{part_name}: {part} exceeds {whole_name} {whole}")
    return part / whole if whole > 0 else Decimal(0)


def classify(*, days_past_due: int, **facts: Any) -> Classification:
    """Return the floor class of one loan with the reasons, under the rules in force on `as_of`.

    Facts (all optional; an unknown name raises ``ValueError`` naming it):

    - ``as_of`` (date): classification date; selects the rule version and is needed for the
      restructuring observation period and the upgrade test.
    - ``operational_delay_cause`` (str): a recorded, proven operational or technical cause of the
      delay; excepts overdue of at most 7 days from the special-mention floor.
    - ``unapproved_change_of_use`` (bool): funds used for another purpose without approval.
    - ``new_loan_repays_old`` (bool): the loan repays another one (借新还旧); with
      ``eligible_renewal`` (bool) true it is an eligible small-business renewal (§7a) and sets
      no floor.
    - ``npl_at_other_bank`` (bool): the borrower has a non-performing claim at another bank.
    - ``corporate_borrower`` (bool, default true): the cross-bank and whole-borrower rules apply
      to non-retail borrowers only.
    - ``debt_all_banks`` and ``debt_over_90_days_all_banks`` (amounts): the borrower's debt at
      all banks and the part more than 90 days overdue (credit register); a share above 20 %
      makes the loan non-performing.
    - ``credit_impaired`` (bool): the asset is credit-impaired.
    - ``claims_at_bank`` and ``non_performing_claims_at_bank`` (amounts): the borrower's claims
      at this bank and the part classed non-performing; a share above 10 % makes all of them
      non-performing (whole-borrower rule).
    - ``restructured`` (bool) with ``restructuring_observation_start`` (date): at least
      substandard until the observation period (12 months) has passed on ``as_of``.
    - ``previous_class`` (class name): the loan's class before this run. If it was
      non-performing, it may only rise above substandard once arrears are paid
      (``arrears_paid_on``) and then paid on time for at least 2 periods
      (``on_time_periods_since_arrears_paid``) and at least max(2 periods, 6 months) of time,
      given the period length ``repayment_period_months``.
    """
    unknown = sorted(set(facts) - FACT_NAMES)
    if unknown:
        raise ValueError(f"unknown classification fact(s): {', '.join(unknown)}")
    if isinstance(days_past_due, bool) or not isinstance(days_past_due, int):
        raise ValueError(f"days_past_due: expected a whole number, got {days_past_due!r}")
    if days_past_due < 0:
        raise ValueError(f"days_past_due: must not be negative, got {days_past_due}")

    as_of = _date(facts, "as_of")
    rules = load_rules(as_of)
    reasons: list[Reason] = []

    def raise_to(code: str, floor: RiskClass, text: str) -> None:
        reasons.append(Reason(code, floor, text))

    # 1. Days past due.
    dpd = days_past_due
    if dpd > rules.loss_dpd_over:
        raise_to("dpd_loss", RiskClass.LOSS, f"{dpd} days past due > {rules.loss_dpd_over}")
    elif dpd > rules.doubtful_dpd_over:
        raise_to(
            "dpd_doubtful", RiskClass.DOUBTFUL, f"{dpd} days past due > {rules.doubtful_dpd_over}"
        )
    elif dpd > rules.substandard_dpd_over:
        raise_to(
            "dpd_substandard",
            RiskClass.SUBSTANDARD,
            f"{dpd} days past due > {rules.substandard_dpd_over}",
        )
    elif dpd > rules.special_mention_dpd_over:
        cause = facts.get("operational_delay_cause")
        if cause is not None and not isinstance(cause, str):
            raise ValueError(f"operational_delay_cause: expected text, got {cause!r}")
        if cause and cause.strip() and dpd <= rules.operational_delay_max_days:
            raise_to(
                "operational_delay_excepted",
                RiskClass.NORMAL,
                f"{dpd} days past due ≤ {rules.operational_delay_max_days} with a recorded "
                f"operational or technical cause: {cause.strip()}",
            )
        else:
            extra = ""
            if cause and cause.strip():
                extra = " (operational cause recorded, but only delays of at most "
                extra += f"{rules.operational_delay_max_days} days are excepted)"
            raise_to("overdue", RiskClass.SPECIAL_MENTION, f"{dpd} days past due{extra}")

    # 2. Use of funds and refinancing.
    if _bool(facts, "unapproved_change_of_use"):
        raise_to("change_of_use", RiskClass.SPECIAL_MENTION, "unapproved change of use of funds")
    eligible_renewal = _bool(facts, "eligible_renewal")
    if _bool(facts, "new_loan_repays_old") and not eligible_renewal:
        raise_to(
            "new_loan_repays_old",
            RiskClass.SPECIAL_MENTION,
            "new loan repays an old one (借新还旧) and is not an eligible small-business renewal",
        )
    if _bool(facts, "npl_at_other_bank"):
        raise_to(
            "npl_at_other_bank",
            RiskClass.SPECIAL_MENTION,
            "the borrower has a non-performing claim at another bank",
        )

    # 3. Impairment and the cross-bank and whole-borrower rules.
    if _bool(facts, "credit_impaired"):
        raise_to("credit_impaired", RiskClass.SUBSTANDARD, "the asset is credit-impaired")
    corporate = _bool(facts, "corporate_borrower", default=True)
    debt_all = _amount(facts, "debt_all_banks")
    debt_90 = _amount(facts, "debt_over_90_days_all_banks")
    if (debt_all is None) != (debt_90 is None):
        raise ValueError(
            "debt_all_banks and debt_over_90_days_all_banks: give both or neither "
            "(the cross-bank rule needs the share)"
        )
    if debt_all is not None and debt_90 is not None:
        share = _share(debt_90, debt_all, "debt_over_90_days_all_banks", "debt_all_banks")
        limit = rules.cross_bank_overdue_share_over
        if corporate and share > limit:
            raise_to(
                "cross_bank_overdue",
                RiskClass.SUBSTANDARD,
                f"{_pct(share)} of the borrower's debt at all banks is more than "
                f"{rules.cross_bank_dpd_over} days overdue (> {_pct(limit)})",
            )
    claims = _amount(facts, "claims_at_bank")
    npl_claims = _amount(facts, "non_performing_claims_at_bank")
    if (claims is None) != (npl_claims is None):
        raise ValueError(
            "claims_at_bank and non_performing_claims_at_bank: give both or neither "
            "(the whole-borrower rule needs the share)"
        )
    if claims is not None and npl_claims is not None:
        share = _share(npl_claims, claims, "non_performing_claims_at_bank", "claims_at_bank")
        limit = rules.whole_borrower_npl_share_over
        if corporate and share > limit:
            raise_to(
                "whole_borrower",
                RiskClass.SUBSTANDARD,
                f"{_pct(share)} of the borrower's claims at the bank are non-performing "
                f"(> {_pct(limit)}): all its claims are non-performing",
            )

    # 4. Restructuring.
    if _bool(facts, "restructured"):
        start = _date(facts, "restructuring_observation_start")
        if start is None or as_of is None:
            raise ValueError(
                "restructuring_observation_start and as_of: both are needed for a restructured loan"
            )
        end = _add_months(start, rules.restructuring_observation_months)
        if as_of < end:
            raise_to(
                "restructured_observation",
                RiskClass.SUBSTANDARD,
                f"restructured; observation period {start.isoformat()} – {end.isoformat()} "
                f"has not ended on {as_of.isoformat()}",
            )

    # 5. Upgrade history of a loan that was non-performing.
    previous = facts.get("previous_class")
    if previous is not None:
        try:
            prev = RiskClass(previous)
        except ValueError:
            names = ", ".join(c.value for c in RiskClass)
            raise ValueError(f"previous_class: {previous!r} is not one of {names}") from None
        if prev.non_performing:
            _check_upgrade(facts, rules, as_of, prev, raise_to)

    floor = RiskClass.NORMAL
    for r in reasons:
        floor = _worse(floor, r.floor)
    return Classification(value=floor, reasons=tuple(reasons), rule_version=rules.version)


def _check_upgrade(
    facts: dict[str, Any],
    rules: ClassificationRules,
    as_of: dt.date | None,
    prev: RiskClass,
    raise_to: Any,
) -> None:
    paid_on = _date(facts, "arrears_paid_on")
    if paid_on is None:
        raise_to(
            "upgrade_arrears_unpaid",
            RiskClass.SUBSTANDARD,
            f"was {prev.value}; arrears not paid, so it stays non-performing",
        )
        return
    if as_of is None:
        raise ValueError("as_of: needed to test the upgrade of a non-performing loan")
    periods = _int(facts, "on_time_periods_since_arrears_paid") or 0
    period_months = _int(facts, "repayment_period_months")
    if period_months is None or period_months == 0:
        raise ValueError(
            "repayment_period_months: needed (≥ 1) to test the upgrade of a non-performing loan"
        )
    months = max(rules.upgrade_min_periods * period_months, rules.upgrade_min_months)
    due = _add_months(paid_on, months)
    if periods < rules.upgrade_min_periods or as_of < due:
        raise_to(
            "upgrade_history_short",
            RiskClass.SUBSTANDARD,
            f"was {prev.value}; arrears paid {paid_on.isoformat()}, then {periods} on-time "
            f"period(s); an upgrade needs ≥ {rules.upgrade_min_periods} periods and "
            f"{months} months (to {due.isoformat()})",
        )


def _pct(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.01'))} %"


def judged_class_allowed(floor: RiskClass | str, judged: RiskClass | str) -> bool:
    """True when a judged class is at or below the floor (judged ≥ floor in badness).

    Staff may class a loan worse than the floor, never better.
    """
    return RiskClass(judged).rank >= RiskClass(floor).rank
