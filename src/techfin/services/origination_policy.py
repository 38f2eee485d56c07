"""Origination policy as data, and the pure rules that read it (no database, no I/O beyond the
packaged ``credit/data/approval_policy.yaml``).

Guidance art. 9 (tech sub-branches with delegated approval authority), art. 11 (a separate
approval channel with dedicated reviewers and approvers), art. 13 (a tech expert advisory
committee). The guidance fixes no amounts: every number in the policy file is a house default
(unconfirmed) that a bank replaces; each application records the policy version it applied.

- exposure (敞口) = amount − Σ low-risk collateral × its haircut, never below zero;
- delegated authority on exposure = base (the branch's `delegated_limits["exposure_yuan"]`,
  else the policy default for its kind) × grade factor × product factor; the grade factor is
  the grade policy's `authority_factor` (``credit/data/grade_policy.yaml``, decision 0608)
  unless the branch's own limits give one;
- routing climbs from the application's branch through its parents; the first level whose
  authority covers the exposure decides; above the head office it goes to the credit committee;
- the credit committee decides once a quorum (chair included) has voted: the chair's reject is a
  veto; otherwise approvals must exceed the majority share of votes cast;
- the expert committee is asked for when any trigger fires (amount, grade, novel technology).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.credit.grade_policy import grade_levers
from techfin.money import ZERO, Rounding, quantize, to_decimal

GRADES = tuple(f"T{i}" for i in range(1, 11))


def grade_rank(grade: str) -> int:
    if grade not in GRADES:
        raise ValueError(f"grade: {grade!r} is not one of T1 … T10")
    return GRADES.index(grade) + 1


@dataclass(frozen=True)
class Policy:
    version: str
    source: str
    effective_from: dt.date
    raw: Mapping[str, Any]

    def dec(self, *path: str) -> Decimal:
        node: Any = self.raw
        for p in path:
            node = node[p]
        return to_decimal(node, ".".join(path))

    @property
    def committee_quorum(self) -> int:
        return int(self.raw["credit_committee"]["quorum"])

    @property
    def expert_count(self) -> int:
        return int(self.raw["expert_committee"]["experts"])


def _check(raw: Mapping[str, Any]) -> None:
    quorum = int(raw["credit_committee"]["quorum"])
    if quorum < 3:
        raise ValueError("approval_policy.yaml: committee quorum must be ≥ 3 (chair never alone)")
    majority = to_decimal(raw["credit_committee"]["majority"])
    if not Decimal("0.5") <= majority < 1:
        raise ValueError("approval_policy.yaml: majority must be in [0.5, 1)")
    for kind in ("tech_subbranch", "branch", "head_office"):
        to_decimal(raw["delegated_authority"]["by_branch_kind"][kind])
    for key in ("grade_factor", "ungraded_factor"):
        if key in raw["delegated_authority"]:
            raise ValueError(
                f"approval_policy.yaml: delegated_authority.{key} moved to grade_policy.yaml "
                "(authority_factor, decision 0608)"
            )


@cache
def load_policy() -> Policy:
    """The packaged approval policy (validated on load)."""
    text = (resources.files("techfin.credit") / "data" / "approval_policy.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    _check(raw)
    return Policy(str(raw["version"]), str(raw["source"]), raw["effective_from"], raw)


# --- exposure ----------------------------------------------------------------------------------


def exposure(amount: Decimal, collateral: Iterable[Mapping[str, Any]], policy: Policy) -> Decimal:
    """敞口: the amount less low-risk collateral (each at value × haircut), never below zero.

    Collateral that is not low-risk (IP, property, guarantees) does not reduce exposure.
    """
    low = policy.raw["low_risk_collateral"]
    covered = ZERO
    for item in collateral:
        kind = str(item.get("kind", ""))
        if kind in low:
            value = to_decimal(item.get("value", 0), "collateral value")
            covered += quantize(value * to_decimal(low[kind]), 2, Rounding.DOWN)
    return max(ZERO, to_decimal(amount, "amount") - covered)


# --- channel -----------------------------------------------------------------------------------


def tech_channel(
    valid_titles: Iterable[str], grade: str | None, policy: Policy
) -> tuple[bool, str]:
    """Whether an application goes to the separate tech channel, and why."""
    rule = policy.raw["tech_channel"]
    titles = sorted(set(valid_titles) & set(rule["granted_titles"]))
    if titles:
        return True, f"granted title {', '.join(titles)}"
    if grade is not None and grade_rank(grade) <= grade_rank(str(rule["max_grade"])):
        return True, f"grade {grade} at or better than {rule['max_grade']}"
    return False, "no granted tech title and no tech grade good enough"


# --- delegated authority -------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One level of the approval hierarchy: a branch with its kind and delegated limits."""

    branch_id: int | None
    name: str
    kind: str
    delegated_limits: Mapping[str, Any]


def authority(level: Level, grade: str | None, product: str, policy: Policy) -> Decimal:
    """The exposure this level may approve for this grade and product."""
    rules = policy.raw["delegated_authority"]
    limits = level.delegated_limits or {}
    base_raw = limits.get("exposure_yuan")
    if base_raw is None:
        base_raw = rules["by_branch_kind"].get(level.kind, 0)
    base = to_decimal(base_raw, "exposure_yuan")
    product_factors = {**rules["product_factor"], **(limits.get("product_factor") or {})}
    # The grade's factor comes from the grade policy (decision 0608); a branch's own
    # `delegated_limits.grade_factor` wins for that branch.
    gf = grade_levers(grade).authority_factor
    own = limits.get("grade_factor") or {}
    if grade is not None and grade in own:
        gf = to_decimal(own[grade], "grade_factor")
    pf = to_decimal(product_factors.get(product, 1))
    return quantize(base * gf * pf, 2, Rounding.DOWN)


def route(
    exposure_amount: Decimal,
    levels: Sequence[Level],
    grade: str | None,
    product: str,
    policy: Policy,
) -> dict[str, Any]:
    """Climb from the first level (the application's branch) until the authority covers the
    exposure; beyond the last level the credit committee decides.

    Returns the deciding level (`branch_id`, or `committee`), whether it escalated, and each
    level's authority for the file.
    """
    steps = []
    for i, level in enumerate(levels):
        a = authority(level, grade, product, policy)
        steps.append(
            {
                "branch_id": level.branch_id,
                "name": level.name,
                "kind": level.kind,
                "authority": str(a),
            }
        )
        if exposure_amount <= a and a > 0:
            return {
                "decider": "approver",
                "branch_id": level.branch_id,
                "branch_name": level.name,
                "authority": str(a),
                "escalated": i > 0,
                "exposure": str(exposure_amount),
                "levels": steps,
            }
    return {
        "decider": "committee",
        "branch_id": None,
        "branch_name": "",
        "authority": None,
        "escalated": True,
        "exposure": str(exposure_amount),
        "levels": steps,
    }


# --- credit committee ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    user_id: int
    approve: bool
    chair: bool


def tally(votes: Sequence[Vote], policy: Policy) -> tuple[str, str]:
    """('pending' | 'approved' | 'rejected', why). Decided once the quorum has voted and the
    chair is among them; the chair's reject is a veto; the chair cannot approve alone."""
    rules = policy.raw["credit_committee"]
    quorum = int(rules["quorum"])
    majority = to_decimal(rules["majority"])
    chair = [v for v in votes if v.chair]
    if rules.get("chair_veto", True) and chair and not chair[0].approve:
        return "rejected", "the chair vetoed"
    if len(votes) < quorum or not chair:
        why = f"{len(votes)} of {quorum} votes needed"
        if not chair:
            why += "; the chair has not voted"
        return "pending", why
    approvals = sum(1 for v in votes if v.approve)
    if Decimal(approvals) > majority * len(votes):
        return "approved", f"{approvals} of {len(votes)} approve (quorum {quorum})"
    return "rejected", f"only {approvals} of {len(votes)} approve (quorum {quorum})"


# --- expert committee ----------------------------------------------------------------------------


def expert_triggers(
    amount: Decimal, grade: str | None, novel_technology: bool, policy: Policy
) -> list[str]:
    """Why policy asks the expert committee to advise (empty: not required)."""
    rules = policy.raw["expert_committee"]
    why = []
    threshold = to_decimal(rules["amount_at_least"])
    if amount >= threshold:
        why.append(f"amount {amount:,.2f} ≥ {threshold:,.2f}")
    if grade is not None and grade_rank(grade) >= grade_rank(str(rules["grade_at_or_worse"])):
        why.append(f"grade {grade} at or worse than {rules['grade_at_or_worse']}")
    if novel_technology and rules.get("novel_technology", True):
        why.append("novel technology")
    return why


@dataclass(frozen=True)
class Opinion:
    expert: str
    score: int
    support: bool
    opinion: str


def advice(opinions: Sequence[Opinion]) -> dict[str, Any]:
    """The committee's advice: mean score, the majority view, and the dissenting opinions."""
    if not opinions:
        return {"opinions": 0}
    support = [o for o in opinions if o.support]
    oppose = [o for o in opinions if not o.support]
    majority_support = len(support) >= len(oppose)
    dissent = oppose if majority_support else support
    mean = quantize(Decimal(sum(o.score for o in opinions)) / len(opinions), 1)
    return {
        "opinions": len(opinions),
        "mean_score": str(mean),
        "support": len(support),
        "oppose": len(oppose),
        "recommendation": "support" if majority_support else "oppose",
        "dissent": [{"expert": o.expert, "opinion": o.opinion, "score": o.score} for o in dissent],
    }


# --- disbursement ------------------------------------------------------------------------------


def payment_mode(amount: Decimal, policy: Policy) -> str:
    """受托支付 (`entrusted`, the bank pays the counterparty) above the threshold, else
    自主支付 (`self`)."""
    threshold = policy.dec("disbursement", "entrusted_payment_above")
    return "entrusted" if amount > threshold else "self"


def group_of(enterprise_id: int, links: Iterable[tuple[int, int]]) -> set[int]:
    """The enterprises connected to `enterprise_id` through shareholder links (either way)."""
    adj: dict[int, set[int]] = {}
    for a, b in links:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    seen = {enterprise_id}
    todo = [enterprise_id]
    while todo:
        for n in adj.get(todo.pop(), ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen
