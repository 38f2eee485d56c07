"""Shared pieces of every recognition result: input parsing, checks, score items, bands.

Conventions of the public API (see docs/recognition.md):
- money in 万元 (ten thousand yuan) as `Decimal` (int and str are accepted, float is refused);
  the platform stores yuan and converts at its boundary with `techfin.money.yuan_to_wan`;
- ratios as `Decimal` fractions (`Decimal("0.05")` = 5 %);
- every comparison with a threshold is exact (`Decimal`/`Fraction`, never float);
- a scored input that is missing raises `ValueError` naming it; an eligibility or negative
  condition that is not supplied is assumed met and listed in the result's `assumptions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from techfin.money import to_decimal

from .rules import frac

Status = Literal["met", "not met", "unknown"]


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of a rule set: `met`, `not met` or `unknown`, with its reason.

    `assumed` is True when the caller did not supply the input and the condition was taken
    as met (it is then also listed in the result's `assumptions`)."""

    key: str
    label: str
    status: Status
    reason: str
    assumed: bool = False

    @property
    def met(self) -> bool:
        return self.status == "met"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "status": self.status,
            "reason": self.reason,
            "assumed": self.assumed,
        }


@dataclass(frozen=True, slots=True)
class ScoreItem:
    """One scored item: the band reached and the points, as an interval [min, max].

    `min == max` for an exact item; an expert-judged item (or a band whose points within the
    band are set by experts) has `min < max` unless the caller supplied the expert's points.
    """

    key: str
    label: str
    band: str
    min: int
    max: int
    maximum: int
    reason: str
    judged: bool = False

    @property
    def exact(self) -> bool:
        return self.min == self.max

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "band": self.band,
            "min": self.min,
            "max": self.max,
            "maximum": self.maximum,
            "exact": self.exact,
            "judged": self.judged,
            "reason": self.reason,
        }


@dataclass(slots=True)
class Notes:
    """Collects assumptions while an evaluation runs."""

    assumptions: list[str] = field(default_factory=list)


def require(name: str, value: Any) -> Any:
    if value is None:
        raise ValueError(f"{name}: required (a scored input must be supplied)")
    return value


def money(name: str, value: Any, *, required: bool = True) -> Decimal | None:
    """An amount in 万元; negative amounts are refused (net assets use `signed_money`)."""
    if value is None:
        if required:
            raise ValueError(f"{name}: required (an amount in 万元)")
        return None
    amount = to_decimal(value, name)
    if amount < 0:
        raise ValueError(f"{name}: must not be negative, got {amount}")
    return amount


def signed_money(name: str, value: Any) -> Decimal:
    if value is None:
        raise ValueError(f"{name}: required (an amount in 万元)")
    return to_decimal(value, name)


def ratio(name: str, value: Any, *, required: bool = True, at_most_one: bool = True) -> Any:
    """A ratio as a Decimal fraction (0.05 = 5 %)."""
    if value is None:
        if required:
            raise ValueError(f"{name}: required (a Decimal fraction, 0.05 = 5 %)")
        return None
    r = to_decimal(value, name)
    if r < 0:
        raise ValueError(f"{name}: must not be negative, got {r}")
    if at_most_one and r > 1:
        raise ValueError(f"{name}: a fraction must be at most 1 (0.05 = 5 %), got {r}")
    return r


def count(name: str, value: Any, *, required: bool = True) -> int | None:
    if value is None:
        if required:
            raise ValueError(f"{name}: required (a whole number)")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, Decimal | str) and to_decimal(value, name) == int(
            to_decimal(value, name)
        ):
            value = int(to_decimal(value, name))
        else:
            raise ValueError(f"{name}: expected a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: must not be negative, got {value}")
    return int(value)


def flag(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{name}: expected true/false, got {value!r}")


def series(name: str, values: Any, length: int, *, signed: bool = False) -> list[Decimal]:
    """A yearly series, oldest first (Y1 … Yn), of exactly `length` amounts in 万元."""
    if values is None:
        raise ValueError(f"{name}: required ({length} yearly amounts in 万元, oldest first)")
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ValueError(f"{name}: expected a list of {length} yearly amounts, oldest first")
    if len(values) != length:
        raise ValueError(f"{name}: expected {length} yearly amounts, got {len(values)}")
    out: list[Decimal] = []
    for i, v in enumerate(values):
        item = f"{name}[{i}]"
        out.append(signed_money(item, v) if signed else money(item, v))  # type: ignore[arg-type]
    return out


def pct(value: Any) -> str:
    """A fraction as a percentage for reasons (exact; trailing zeros dropped)."""
    p = Decimal(str(value)) * 100 if not isinstance(value, Fraction) else None
    if p is None:
        assert isinstance(value, Fraction)
        if (value * 100).denominator == 1:
            return f"{value * 100} %"
        return f"{float(value * 100):.4g} %"
    text = format(p.normalize(), "f")
    return f"{text} %"


def band_at_least(value: Fraction | Decimal | int, bands: Iterable[Mapping[str, Any]]) -> Any:
    """The first band (listed from the highest threshold down) whose `at_least` the value
    reaches; a band without `at_least` is the catch-all. Returns the band mapping."""
    v = Fraction(value)
    for band in bands:
        if "at_least" not in band or v >= frac(band["at_least"]):
            return band
    raise ValueError("rule data: no catch-all band")


def band_at_most(value: Fraction | Decimal | int, bands: Iterable[Mapping[str, Any]]) -> Any:
    """The first band (listed from the lowest ceiling up) whose `at_most` the value does not
    exceed; a band without `at_most` is the catch-all."""
    v = Fraction(value)
    for band in bands:
        if "at_most" not in band or v <= frac(band["at_most"]):
            return band
    raise ValueError("rule data: no catch-all band")


def assumed_absent(
    notes: Notes, key: str, label: str, value: bool | None, *, bad_when: bool = True
) -> Check:
    """A negative condition (e.g. "no major incident"): `value` is whether the bad thing
    happened. Not supplied → assumed absent and listed in assumptions."""
    if value is None:
        notes.assumptions.append(f"{key}: not supplied, assumed {label}")
        return Check(key, label, "met", "not supplied: assumed met", assumed=True)
    if value == bad_when:
        return Check(key, label, "not met", "reported by the caller")
    return Check(key, label, "met", "confirmed by the caller")


def assumed_present(notes: Notes, key: str, label: str, value: bool | None) -> Check:
    """An eligibility condition (e.g. "registered in China"): `value` is whether it holds."""
    if value is None:
        notes.assumptions.append(f"{key}: not supplied, assumed {label}")
        return Check(key, label, "met", "not supplied: assumed met", assumed=True)
    if value:
        return Check(key, label, "met", "confirmed by the caller")
    return Check(key, label, "not met", "reported by the caller")


def jsonable(value: Any) -> Any:
    """Plain JSON values: Decimal → str, Fraction → str, dataclasses via `to_dict`."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Fraction):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def signed_ratio(name: str, value: Any) -> Decimal:
    """A ratio that may be negative (growth, margin), as a Decimal fraction."""
    if value is None:
        raise ValueError(f"{name}: required (a Decimal fraction, 0.05 = 5 %)")
    return to_decimal(value, name)


def ip_band(
    table: Mapping[str, Any],
    *,
    high_value_ip: int,
    class1_ip_own: int,
    class1_ip: int,
    class2_ip: int,
) -> tuple[str, int, str]:
    """The MIIT core-IP item: (band key, points, reason), checking the counts agree."""
    if high_value_ip > class1_ip or class1_ip_own > class1_ip:
        raise ValueError(
            "class1_ip: must include the high-value and own-developed class-I IP "
            f"(high_value_ip {high_value_ip}, class1_ip_own {class1_ip_own}, "
            f"class1_ip {class1_ip})"
        )
    if high_value_ip >= 1:
        return (
            "high_value_class1",
            int(table["high_value_class1"]),
            f"{high_value_ip} high-value class-I IP",
        )
    if class1_ip_own >= 1:
        return "own_class1", int(table["own_class1"]), f"{class1_ip_own} own-developed class-I IP"
    if class1_ip >= 1:
        return "class1", int(table["class1"]), f"{class1_ip} class-I IP (none own-developed)"
    if class2_ip >= 1:
        return "class2", int(table["class2"]), f"no class-I IP, {class2_ip} class-II IP"
    return "none", int(table["none"]), "no valid IP"
