"""Day-end detector for pledged patents: alerts with the actions the pledge policy asks.

For each pledged patent on a business date (official-rules §11 "events that call for
revaluation or action"): fee due soon, in grace, or unpaid (lapsed); the right ended
otherwise; invalidation requested; litigation or a preservation order; a transfer or licence
recorded after the pledge; remaining legal life below the policy minimum; periodic
revaluation due. At pool level: LTV above the policy target (repay `loan − target × value`
or top up). The functions are pure and deterministic: running them twice for a date gives
the same alerts, each with a stable `key` the alert queue can de-duplicate on.
`techfin.batch.ip.monitor_registry` computes the same patent alerts for a whole registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from techfin.ip.dates import add_months, add_years
from techfin.ip.patents import EventKind, LegalEvent, Patent
from techfin.ip.patents import ordered as ordered_events
from techfin.ip.pledge import PledgedItem, PledgePolicy, Position, position
from techfin.ip.rules import PatentRules
from techfin.ip.status import LegalState, PatentStatus, derive_status


class AlertKind(StrEnum):
    FEE_DUE = "fee_due"
    FEE_IN_GRACE = "fee_in_grace"
    LAPSED = "lapsed"
    RIGHT_ENDED = "right_ended"
    INVALIDATION = "invalidation"
    LITIGATION = "litigation"
    PRESERVATION = "preservation"
    TRANSFER = "transfer"
    LICENCE = "licence"
    REMAINING_LIFE_LOW = "remaining_life_low"
    REVALUATION_DUE = "revaluation_due"
    LTV_BREACH = "ltv_breach"


# Bit positions used by the batch kernel (one bit per patent-level kind).
ALERT_BITS: dict[AlertKind, int] = {kind: i for i, kind in enumerate(AlertKind)}


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert. `since` is when the condition arose (stable across day-end runs)."""

    subject: str  # patent number, or pool id for LTV alerts
    kind: AlertKind
    severity: str
    actions: tuple[str, ...]
    since: date
    as_of: date
    detail: str
    amount: Decimal | None = None  # repayment that restores the target LTV

    @property
    def key(self) -> str:
        return f"{self.subject}:{self.kind.value}:{self.since.isoformat()}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "subject": self.subject,
            "kind": self.kind.value,
            "severity": self.severity,
            "actions": list(self.actions),
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "detail": self.detail,
            "amount": None if self.amount is None else str(self.amount),
        }


def detect_alerts(
    patent: Patent,
    events: Iterable[LegalEvent],
    as_of: date,
    policy: PledgePolicy,
    *,
    last_valued_on: date | None = None,
    rules: PatentRules | None = None,
) -> tuple[Alert, ...]:
    """Alerts for one patent on `as_of`; none unless it is pledged on that date.

    Revaluation is due `policy.revaluation_months` after `last_valued_on` (at once if the
    patent was never valued).
    """
    evs = [e for e in ordered_events(events) if e.on <= as_of]
    status = derive_status(patent, evs, as_of, rules)
    if not status.pledged or status.pledged_since is None:
        return ()
    found: list[tuple[AlertKind, date, str]] = []

    def last_of(kind: EventKind) -> date:
        return next(e.on for e in reversed(evs) if e.kind is kind)

    if status.state is LegalState.IN_FORCE and status.next_fee_due is not None:
        days = (status.next_fee_due - as_of).days
        if 0 <= days <= policy.fee_warning_days:
            found.append(
                (
                    AlertKind.FEE_DUE,
                    status.next_fee_due,
                    f"fee year {status.next_fee_year} ({status.fee_amount_due} yuan) due "
                    f"{status.next_fee_due}",
                )
            )
    if status.state is LegalState.IN_GRACE and status.next_fee_due is not None:
        found.append(
            (
                AlertKind.FEE_IN_GRACE,
                status.next_fee_due,
                f"fee year {status.next_fee_year} unpaid since {status.next_fee_due}; grace "
                f"ends {status.grace_end}; late fee so far {status.late_fee} yuan",
            )
        )
    if status.ended_on is not None:
        kind = AlertKind.LAPSED if status.state is LegalState.LAPSED else AlertKind.RIGHT_ENDED
        found.append(
            (kind, status.ended_on, f"patent {status.state.value} as of {status.ended_on}")
        )
    if status.invalidation_pending:
        found.append(
            (
                AlertKind.INVALIDATION,
                last_of(EventKind.INVALIDATION_REQUESTED),
                "invalidation requested, not yet decided",
            )
        )
    if status.litigation_pending:
        found.append(
            (AlertKind.LITIGATION, last_of(EventKind.LITIGATION_FILED), "litigation pending")
        )
    if status.preservation_in_force:
        found.append(
            (
                AlertKind.PRESERVATION,
                last_of(EventKind.PRESERVATION_ORDERED),
                "preservation order in force",
            )
        )
    after = _after_pledge(evs)
    for kind, event_kind, what in (
        (AlertKind.TRANSFER, EventKind.TRANSFERRED, "transfer"),
        (AlertKind.LICENCE, EventKind.LICENCE_RECORDED, "licence"),
    ):
        hits = [e for e in after if e.kind is event_kind]
        if hits:
            found.append((kind, hits[0].on, f"{len(hits)} {what}(s) recorded since the pledge"))
    minimum = policy.min_remaining_years.get(patent.patent_type.value, 0)
    if status.in_force and status.term_end < add_years(as_of, minimum):
        found.append(
            (
                AlertKind.REMAINING_LIFE_LOW,
                add_years(status.term_end, -minimum) + timedelta(days=1),
                f"remaining legal life {status.remaining_years} years < policy {minimum}",
            )
        )
    due = (
        status.pledged_since
        if last_valued_on is None
        else add_months(last_valued_on, policy.revaluation_months)
    )
    if as_of >= due:
        found.append(
            (
                AlertKind.REVALUATION_DUE,
                due,
                "never valued" if last_valued_on is None else f"last valued {last_valued_on}",
            )
        )
    return tuple(
        _alert(patent.number, k, since, as_of, detail, policy) for k, since, detail in found
    )


def _after_pledge(evs: Sequence[LegalEvent]) -> Sequence[LegalEvent]:
    for i in range(len(evs) - 1, -1, -1):
        if evs[i].kind is EventKind.PLEDGE_REGISTERED:
            return evs[i + 1 :]
    return ()


def _alert(
    subject: str,
    kind: AlertKind,
    since: date,
    as_of: date,
    detail: str,
    policy: PledgePolicy,
    amount: Decimal | None = None,
) -> Alert:
    rule = policy.alert_actions.get(kind.value)
    return Alert(
        subject=subject,
        kind=kind,
        severity=rule.severity if rule else "warning",
        actions=rule.actions if rule else (),
        since=since,
        as_of=as_of,
        detail=detail,
        amount=amount,
    )


@dataclass(frozen=True, slots=True)
class Holding:
    """A patent in a pledge pool with its latest appraisal."""

    patent: Patent
    events: tuple[LegalEvent, ...]
    appraised_value: Decimal
    last_valued_on: date | None = None


@dataclass(frozen=True, slots=True)
class PoolReport:
    pool_id: str
    as_of: date
    position: Position
    statuses: tuple[PatentStatus, ...]
    alerts: tuple[Alert, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pool_id": self.pool_id,
            "as_of": self.as_of.isoformat(),
            "position": self.position.to_dict(),
            "statuses": [s.to_dict() for s in self.statuses],
            "alerts": [a.to_dict() for a in self.alerts],
        }


def monitor_pool(
    pool_id: str,
    loan: Decimal | Sequence[Decimal],
    holdings: Sequence[Holding],
    as_of: date,
    policy: PledgePolicy,
    *,
    rules: PatentRules | None = None,
) -> PoolReport:
    """Day-end for one pledge pool: each patent's alerts, then the pool's LTV position.

    Patents no longer in force count at zero value. An LTV breach raises `ltv_breach` with
    the repayment `loan − target LTV × value` as its amount (top-up is in the detail).
    """
    statuses = tuple(derive_status(h.patent, h.events, as_of, rules) for h in holdings)
    alerts: list[Alert] = []
    for h in holdings:
        alerts.extend(
            detect_alerts(
                h.patent, h.events, as_of, policy, last_valued_on=h.last_valued_on, rules=rules
            )
        )
    items = [
        PledgedItem(h.patent.number, h.patent.patent_type.value, h.appraised_value, s.in_force)
        for h, s in zip(holdings, statuses, strict=True)
    ]
    pos = position(loan, items, policy)
    if pos.breach:
        alerts.append(
            _alert(
                pool_id,
                AlertKind.LTV_BREACH,
                as_of,
                as_of,
                f"LTV {pos.ltv if pos.ltv is not None else 'unbounded'} above target "
                f"{pos.target_ltv}: repay {pos.repayment_to_restore} or add "
                f"{pos.top_up_needed} of appraised value",
                policy,
                pos.repayment_to_restore,
            )
        )
    return PoolReport(pool_id, as_of, pos, statuses, tuple(alerts))
