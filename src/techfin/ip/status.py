"""Legal status and remaining legal life of a patent, derived from its events for any date.

Rules (official-rules §2, §11; data in `patent_rules.yaml`):

- Term from the filing date: invention 20 years, utility model 10, design 15 (10 when filed
  before 2021-06-01). The patent is in force up to the day before `term_end`.
- Fee year k runs from the (k−1)-th filing anniversary; its fee is due on that anniversary.
  The fee of the year the patent is granted in is paid with the grant formalities, so the
  grant covers every fee year up to and including the one containing the grant date.
- A payment for year k counts when made no later than the end of its 6-month grace period.
  After the due date and up to the grace end the patent is *in grace* (still in force, a late
  fee accrues). Unpaid after the grace end, the patent has *lapsed* — and the lapse takes
  effect at the end of the last paid fee year, i.e. on the due date of the first unpaid year.
- A restoration (恢复权利, event `restored` with the restored fee year) revives the right.
- Waiver (`terminated`) and a decision declaring the patent wholly invalid end it as of the
  event date; when several endings apply the earliest wins.
- Notices from the office (`fee_due`, `fee_in_grace`, `lapsed`) do not set the status: it is
  recomputed from payments, and a notice that disagrees is reported in `discrepancies`.

`techfin.batch.ip` applies the same rules to a whole registry at once; tests hold them equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from techfin.ip.dates import add_years, full_years_between
from techfin.ip.patents import EventKind, InvalidationOutcome, LegalEvent, Patent, PatentType
from techfin.ip.patents import ordered as ordered_events
from techfin.ip.rules import PatentRules, patent_rules
from techfin.money import Rounding, quantize

DAYS_PER_YEAR = Decimal("365.25")


class LegalState(StrEnum):
    PENDING = "pending"  # not (yet) granted
    IN_FORCE = "in_force"
    IN_GRACE = "in_grace"  # in force, but this year's fee is unpaid past its due date
    LAPSED = "lapsed"  # terminated for unpaid annual fees
    EXPIRED = "expired"  # full term reached
    TERMINATED = "terminated"  # waived / abandoned
    INVALIDATED = "invalidated"  # declared wholly invalid

    @property
    def in_force(self) -> bool:
        return self in (LegalState.IN_FORCE, LegalState.IN_GRACE)


# When two endings fall on the same day, the first listed here is reported.
_END_PRECEDENCE = (
    LegalState.INVALIDATED,
    LegalState.TERMINATED,
    LegalState.LAPSED,
    LegalState.EXPIRED,
)


@dataclass(frozen=True, slots=True)
class PatentStatus:
    """What the events say about a patent on `as_of`.

    - `term_end`: first day out of force at full term; `ended_on`: first day out of force when
      the patent has ended (for a lapse: the due date of the first unpaid fee year).
    - `last_paid_fee_year`: the highest fee year paid without a gap (grant year included).
    - `next_fee_year`/`next_fee_due`/`grace_end`/`fee_amount_due`/`late_fee`: the first unpaid
      year (None when fully paid, not granted or ended); `late_fee` accrues in grace only.
    - `remaining_days`/`remaining_years`: legal life left (0 unless in force); years are
      days ÷ 365.25 rounded down to 0.01.
    """

    number: str
    as_of: date
    state: LegalState
    term_years: int
    term_end: date
    granted_on: date | None
    ended_on: date | None
    last_paid_fee_year: int | None
    next_fee_year: int | None
    next_fee_due: date | None
    grace_end: date | None
    fee_amount_due: Decimal | None
    late_fee: Decimal
    remaining_days: int
    remaining_years: Decimal
    owners: tuple[str, ...]
    pledged: bool
    pledged_since: date | None
    pledge_amounts: Decimal
    invalidation_pending: bool
    litigation_pending: bool
    preservation_in_force: bool
    transfers_since_pledge: int
    licences_since_pledge: int
    discrepancies: tuple[str, ...]
    rule_version: str

    @property
    def in_force(self) -> bool:
        return self.state.in_force

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, StrEnum):
                value = value.value
            out[name] = value
        return out


def derive_status(
    patent: Patent,
    events: Iterable[LegalEvent],
    as_of: date,
    rules: PatentRules | None = None,
) -> PatentStatus:
    """Derive the legal status of `patent` on `as_of` from the events dated on or before it."""
    rules = rules or patent_rules()
    evs = [e for e in ordered_events(events) if e.on <= as_of]
    filing = patent.filing_date
    term = rules.term_years(patent.patent_type, filing)
    term_end = add_years(filing, term)
    notes: list[str] = []

    granted_on = next((e.on for e in evs if e.kind is EventKind.GRANTED), None)
    grant_year = None if granted_on is None else full_years_between(filing, granted_on) + 1

    paid: set[int] = set(range(1, grant_year + 1)) if grant_year else set()
    for e in evs:
        if e.kind is EventKind.FEE_PAID and e.fee_year is not None:
            if e.on <= rules.grace_end(filing, e.fee_year):
                paid.add(e.fee_year)
            else:
                notes.append(
                    f"fee year {e.fee_year} paid on {e.on}, after its grace period: not counted"
                )
        elif e.kind is EventKind.RESTORED and e.fee_year is not None:
            paid.add(e.fee_year)
    last_paid = None
    if grant_year:
        last_paid = grant_year
        while last_paid + 1 in paid:
            last_paid += 1

    endings: list[tuple[date, LegalState]] = []
    next_year: int | None = None
    due: date | None = None
    grace: date | None = None
    in_grace = False
    if last_paid is not None and last_paid < term:
        next_year = last_paid + 1
        due = rules.fee_due(filing, next_year)
        grace = rules.grace_end(filing, next_year)
        if as_of > grace:
            endings.append((due, LegalState.LAPSED))
        elif as_of > due:
            in_grace = True
    for e in evs:
        if e.kind is EventKind.TERMINATED:
            endings.append((e.on, LegalState.TERMINATED))
            break
    for e in evs:
        if e.kind is EventKind.INVALIDATION_DECIDED and e.outcome is InvalidationOutcome.INVALID:
            endings.append((e.on, LegalState.INVALIDATED))
            break
    if granted_on is not None and as_of >= term_end:
        endings.append((term_end, LegalState.EXPIRED))

    ended_on: date | None = None
    if granted_on is None:
        state = LegalState.PENDING
    elif endings:
        ended_on, state = min(endings, key=lambda x: (x[0], _END_PRECEDENCE.index(x[1])))
    else:
        state = LegalState.IN_GRACE if in_grace else LegalState.IN_FORCE

    fee_due: Decimal | None = None
    late = Decimal(0)
    if state.in_force and next_year is not None and due is not None:
        fee_due = rules.annual_fee(
            patent.patent_type,
            next_year,
            payer_share=patent.fee_payer_share,
            grant_fee_year=grant_year,
        )
        if in_grace:
            late = rules.late_fee(fee_due, due, as_of)
    else:
        next_year, due, grace = None, None, None

    remaining_days = (term_end - as_of).days if state.in_force else 0
    remaining_years = quantize(Decimal(remaining_days) / DAYS_PER_YEAR, 2, Rounding.DOWN)

    # Flags: the last of an on/off pair of events (in applied order) decides.
    last: dict[EventKind, int] = {}
    for i, e in enumerate(evs):
        last[e.kind] = i

    def active(on: EventKind, off: EventKind) -> bool:
        return last.get(on, -1) > last.get(off, -1)

    pledged = active(EventKind.PLEDGE_REGISTERED, EventKind.PLEDGE_RELEASED)
    pledge_pos = last.get(EventKind.PLEDGE_REGISTERED, -1)
    pledged_since = evs[pledge_pos].on if pledged else None
    after = evs[pledge_pos + 1 :] if pledged else []
    owners = patent.owners
    for e in evs:
        if e.kind is EventKind.TRANSFERRED and e.owners:
            owners = e.owners
    pledge_amounts = sum(
        (e.amount for e in evs if e.kind is EventKind.PLEDGE_REGISTERED and e.amount is not None),
        Decimal(0),
    )

    if any(e.kind is EventKind.LAPSED for e in evs) and state is not LegalState.LAPSED:
        notes.append(f"the office recorded a lapse but payments show the patent {state.value}")
    for e in evs:
        if e.kind is EventKind.RESTORED and e.fee_year is not None:
            lapse_due = rules.grace_end(filing, e.fee_year)
            if e.on <= lapse_due:
                notes.append(
                    f"restoration on {e.on} for fee year {e.fee_year} within its grace period"
                )

    return PatentStatus(
        number=patent.number,
        as_of=as_of,
        state=state,
        term_years=term,
        term_end=term_end,
        granted_on=granted_on,
        ended_on=ended_on,
        last_paid_fee_year=last_paid,
        next_fee_year=next_year,
        next_fee_due=due,
        grace_end=grace,
        fee_amount_due=fee_due,
        late_fee=late,
        remaining_days=remaining_days,
        remaining_years=remaining_years,
        owners=owners,
        pledged=pledged,
        pledged_since=pledged_since,
        pledge_amounts=pledge_amounts,
        invalidation_pending=active(
            EventKind.INVALIDATION_REQUESTED, EventKind.INVALIDATION_DECIDED
        ),
        litigation_pending=active(EventKind.LITIGATION_FILED, EventKind.LITIGATION_CLOSED),
        preservation_in_force=active(EventKind.PRESERVATION_ORDERED, EventKind.PRESERVATION_LIFTED),
        transfers_since_pledge=sum(1 for e in after if e.kind is EventKind.TRANSFERRED),
        licences_since_pledge=sum(1 for e in after if e.kind is EventKind.LICENCE_RECORDED),
        discrepancies=tuple(notes),
        rule_version=rules.version,
    )


@dataclass(frozen=True, slots=True)
class HighValue:
    """The national high-value invention patent flag and the categories that met it."""

    high_value: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"high_value": self.high_value, "reasons": list(self.reasons)}


def high_value(
    patent: Patent,
    events: Iterable[LegalEvent],
    as_of: date,
    rules: PatentRules | None = None,
) -> HighValue:
    """高价值发明专利 per the national statistical definition (official-rules §11).

    An invention patent in force on `as_of` counts when any of: it belongs to a strategic
    emerging industry; a family member is granted abroad; it has been maintained over 10
    years; its pledge financing reaches the threshold (a house default, unconfirmed); it won a
    national science prize or the China Patent Award.
    """
    rules = rules or patent_rules()
    events = list(events)
    if patent.patent_type is not PatentType.INVENTION:
        return HighValue(False, ())
    status = derive_status(patent, events, as_of, rules)
    if not status.in_force:
        return HighValue(False, ())
    reasons: list[str] = []
    if patent.strategic_emerging:
        reasons.append("strategic_emerging_industry")
    if patent.foreign_family_granted:
        reasons.append("granted_family_member_abroad")
    if as_of >= add_years(patent.filing_date, rules.high_value_maintained_years):
        reasons.append("maintained_over_10_years")
    if status.pledge_amounts >= rules.high_value_pledge_threshold:
        reasons.append("high_pledge_financing")
    if rules.high_value_awards.intersection(patent.awards):
        reasons.append("national_award")
    return HighValue(bool(reasons), tuple(reasons))
