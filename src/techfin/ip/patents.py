"""Patents and their legal-status events, as immutable values (guidance art. 15).

A `Patent` holds what does not change with time (number, type, filing date, owners at filing,
IPC classes, claims, citations, family, the facts the high-value definition needs). Everything
that happens to it afterwards is a `LegalEvent`; status and remaining life are *derived* from
the events for any as-of date by `techfin.ip.status.derive_status`. Both are frozen dataclasses
with `to_dict()`/`from_dict()` so the store, the API and ingest can carry them as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from techfin.money import to_decimal


class PatentType(StrEnum):
    """Patent type (the type digit of the application number: 1/8 invention, 2/9 utility, 3)."""

    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"


TYPE_DIGITS: dict[str, PatentType] = {
    "1": PatentType.INVENTION,
    "8": PatentType.INVENTION,
    "2": PatentType.UTILITY_MODEL,
    "9": PatentType.UTILITY_MODEL,
    "3": PatentType.DESIGN,
}


class EventKind(StrEnum):
    """Legal-status events recorded against a patent (patent office and court records)."""

    GRANTED = "granted"
    FEE_PAID = "fee_paid"  # fee_year = the fee year paid for
    FEE_DUE = "fee_due"  # office notice; informational (status is derived from payments)
    FEE_IN_GRACE = "fee_in_grace"  # office notice; informational
    LAPSED = "lapsed"  # office notice of termination for unpaid fees; checked, not trusted
    RESTORED = "restored"  # restoration of rights (恢复权利); fee_year = the year restored
    TRANSFERRED = "transferred"  # owners = the new owners
    LICENCE_RECORDED = "licence_recorded"
    PLEDGE_REGISTERED = "pledge_registered"  # amount = secured amount, reference = reg. no.
    PLEDGE_RELEASED = "pledge_released"
    INVALIDATION_REQUESTED = "invalidation_requested"
    INVALIDATION_DECIDED = "invalidation_decided"  # outcome: InvalidationOutcome
    LITIGATION_FILED = "litigation_filed"
    LITIGATION_CLOSED = "litigation_closed"
    PRESERVATION_ORDERED = "preservation_ordered"
    PRESERVATION_LIFTED = "preservation_lifted"
    TERMINATED = "terminated"  # waiver / abandonment by the patentee


class InvalidationOutcome(StrEnum):
    UPHELD = "upheld"  # 维持有效
    PARTIALLY_INVALID = "partially_invalid"  # 部分无效: stays in force with fewer claims
    INVALID = "invalid"  # 全部无效: deemed never to have existed


@dataclass(frozen=True, slots=True)
class Patent:
    """A patent (or application) as filed. Co-owners are `owners[1:]`.

    `strategic_emerging`, `foreign_family_granted` and `awards` feed the national high-value
    definition; ingest sets them from the office's concordance and award lists.
    `fee_payer_share` is the share of annual fees the owner pays after the fee reduction
    (1, 0.30 for qualifying enterprises, 0.15 for individuals).
    """

    number: str
    patent_type: PatentType
    filing_date: date
    title: str = ""
    owners: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()
    claims: int | None = None
    forward_citations: int = 0
    family: tuple[str, ...] = ()
    foreign_family_granted: bool = False
    strategic_emerging: bool = False
    awards: tuple[str, ...] = ()
    fee_payer_share: Decimal = Decimal(1)

    @property
    def co_owners(self) -> tuple[str, ...]:
        return self.owners[1:]

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "patent_type": self.patent_type.value,
            "filing_date": self.filing_date.isoformat(),
            "title": self.title,
            "owners": list(self.owners),
            "ipc": list(self.ipc),
            "claims": self.claims,
            "forward_citations": self.forward_citations,
            "family": list(self.family),
            "foreign_family_granted": self.foreign_family_granted,
            "strategic_emerging": self.strategic_emerging,
            "awards": list(self.awards),
            "fee_payer_share": str(self.fee_payer_share),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Patent:
        return cls(
            number=str(data["number"]),
            patent_type=PatentType(data["patent_type"]),
            filing_date=_date(data["filing_date"]),
            title=str(data.get("title", "")),
            owners=tuple(data.get("owners", ())),
            ipc=tuple(data.get("ipc", ())),
            claims=data.get("claims"),
            forward_citations=int(data.get("forward_citations", 0)),
            family=tuple(data.get("family", ())),
            foreign_family_granted=bool(data.get("foreign_family_granted", False)),
            strategic_emerging=bool(data.get("strategic_emerging", False)),
            awards=tuple(data.get("awards", ())),
            fee_payer_share=to_decimal(data.get("fee_payer_share", 1), "fee_payer_share"),
        )


def checked_patent(
    number: str, filing_date: date, *, patent_type: PatentType | None = None, **fields: Any
) -> Patent:
    """Build a `Patent` after validating its number with `techfin.codes.patent.validate`.

    The type is read from the number's type digit unless given. Raises `ValueError` with the
    validator's errors when the number is invalid. The codes module is imported lazily.
    """
    from techfin.codes import patent as patent_codes

    check = patent_codes.validate(number)
    if not check.valid:
        raise ValueError(f"patent number {number!r}: " + "; ".join(check.errors))
    normalised = str(check.normalised)
    if patent_type is None:
        digits = normalised.split(".")[0]
        digit = digits[4] if len(digits) == 12 else digits[2]
        if digit not in TYPE_DIGITS:
            raise ValueError(f"patent number {number!r}: unknown type digit {digit!r}")
        patent_type = TYPE_DIGITS[digit]
    return Patent(number=normalised, patent_type=patent_type, filing_date=filing_date, **fields)


@dataclass(frozen=True, slots=True)
class LegalEvent:
    """One legal-status event. `on` is the date it takes effect (as recorded by the office).

    Which optional fields matter depends on `kind`: `fee_year` for FEE_PAID and RESTORED,
    `outcome` for INVALIDATION_DECIDED, `owners` for TRANSFERRED, `amount` and `reference`
    for PLEDGE_REGISTERED.
    """

    kind: EventKind
    on: date
    fee_year: int | None = None
    outcome: InvalidationOutcome | None = None
    owners: tuple[str, ...] = ()
    amount: Decimal | None = None
    reference: str = ""
    party: str = ""
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind in (EventKind.FEE_PAID, EventKind.RESTORED) and (
            self.fee_year is None or self.fee_year < 1
        ):
            raise ValueError(f"{self.kind.value} event on {self.on}: fee_year (≥ 1) is required")
        if self.kind is EventKind.INVALIDATION_DECIDED and self.outcome is None:
            raise ValueError(f"invalidation_decided event on {self.on}: outcome is required")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "on": self.on.isoformat(),
            "fee_year": self.fee_year,
            "outcome": self.outcome.value if self.outcome else None,
            "owners": list(self.owners),
            "amount": None if self.amount is None else str(self.amount),
            "reference": self.reference,
            "party": self.party,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LegalEvent:
        outcome = data.get("outcome")
        amount = data.get("amount")
        fee_year = data.get("fee_year")
        return cls(
            kind=EventKind(data["kind"]),
            on=_date(data["on"]),
            fee_year=None if fee_year is None else int(fee_year),
            outcome=None if outcome is None else InvalidationOutcome(outcome),
            owners=tuple(data.get("owners", ())),
            amount=None if amount is None else to_decimal(amount, "amount"),
            reference=str(data.get("reference", "")),
            party=str(data.get("party", "")),
            note=str(data.get("note", "")),
        )


def ordered(events: Iterable[LegalEvent]) -> list[LegalEvent]:
    """Events in the order they are applied: by date, then as given (a stable sort)."""
    return sorted(events, key=lambda e: e.on)


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
