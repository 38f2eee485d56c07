"""What a tech-flow grade means for credit: the one home of the grade levers (decision 0608).

``credit/data/grade_policy.yaml`` maps each grade T1 (best) … T10, and ``ungraded`` (rating
pending), to its eligible products, limit multiple, pricing adjustment (bp) and delegated
authority factor. The approval route shown to people is derived here, never stored:
``decline`` when no product is eligible, ``committee`` when the authority factor is 0, else
``delegated``. Pricing, product eligibility, origination authority and the rating faces read
this module; the rating engine only grades.

Products named here are checked against the catalogue by `credit.products.load_catalogue`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "GRADES",
    "UNGRADED",
    "GradeLevers",
    "GradePolicy",
    "grade_levers",
    "load_grade_policy",
]

GRADES = tuple(f"T{i}" for i in range(1, 11))
UNGRADED = "ungraded"
ROUTES = ("delegated", "committee", "decline")


@dataclass(frozen=True)
class GradeLevers:
    """One grade's levers (``grade`` is T1 … T10 or ``ungraded``)."""

    grade: str
    eligible_products: tuple[str, ...]
    limit_multiple: Decimal
    pricing_adjustment_bp: int
    authority_factor: Decimal

    @property
    def approval_route(self) -> str:
        if not self.eligible_products:
            return "decline"
        if self.authority_factor == 0:
            return "committee"
        return "delegated"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals as strings, the derived route included."""
        return {
            "grade": self.grade,
            "eligible_products": list(self.eligible_products),
            "limit_multiple": str(self.limit_multiple),
            "pricing_adjustment_bp": self.pricing_adjustment_bp,
            "authority_factor": str(self.authority_factor),
            "approval_route": self.approval_route,
        }


@dataclass(frozen=True)
class GradePolicy:
    version: str
    source: str
    effective_from: dt.date
    grades: Mapping[str, GradeLevers]
    ungraded: GradeLevers

    @property
    def ref(self) -> str:
        return f"grade_policy@{self.version}"

    def levers(self, grade: str | None) -> GradeLevers:
        """The levers of a grade T1 … T10, or of no grade (None / ``ungraded``)."""
        if grade is None or grade == UNGRADED:
            return self.ungraded
        try:
            return self.grades[grade]
        except KeyError:
            raise ValueError(f"grade: {grade!r} is not one of T1 … T10") from None

    def products(self) -> frozenset[str]:
        """Every product code the policy names."""
        out = set(self.ungraded.eligible_products)
        for lv in self.grades.values():
            out |= set(lv.eligible_products)
        return frozenset(out)

    def max_grade(self, product: str) -> str | None:
        """The worst grade a product serves; None when it needs no grade (listed as ``ungraded``).

        Raises when the product is served at no grade at all.
        """
        if product in self.ungraded.eligible_products:
            return None
        served = [g for g in GRADES if product in self.grades[g].eligible_products]
        if not served:
            raise ValueError(f"grade_policy.yaml: product {product!r} is served at no grade")
        return served[-1]


def _levers(grade: str, raw: Mapping[str, Any]) -> GradeLevers:
    def bad(msg: str) -> ValueError:
        return ValueError(f"grade_policy.yaml: {grade}: {msg}")

    keys = {"eligible_products", "limit_multiple", "pricing_adjustment_bp", "authority_factor"}
    if set(raw) != keys:
        raise bad(f"needs exactly {', '.join(sorted(keys))}")
    products = tuple(str(p) for p in raw["eligible_products"] or [])
    if len(set(products)) != len(products):
        raise bad("a product is listed twice")
    multiple = Decimal(str(raw["limit_multiple"]))
    if not Decimal(0) < multiple <= 1:
        raise bad(f"limit_multiple must be in (0, 1], got {multiple}")
    bp = raw["pricing_adjustment_bp"]
    if isinstance(bp, bool) or not isinstance(bp, int):
        raise bad(f"pricing_adjustment_bp must be a whole number of bp, got {bp!r}")
    factor = Decimal(str(raw["authority_factor"]))
    if factor < 0:
        raise bad(f"authority_factor must not be negative, got {factor}")
    return GradeLevers(grade, products, multiple, bp, factor)


def parse_grade_policy(raw: Mapping[str, Any]) -> GradePolicy:
    """Build and check a grade policy from its YAML mapping."""
    if set(raw["grades"]) != set(GRADES):
        raise ValueError("grade_policy.yaml: grades must be exactly T1 … T10")
    grades = {g: _levers(g, raw["grades"][g]) for g in GRADES}
    ungraded = _levers(UNGRADED, raw["ungraded"])
    # Served at a grade ⇒ served at every better grade; needs no grade ⇒ served at every grade.
    for worse, better in zip(GRADES[1:], GRADES[:-1], strict=True):
        lost = set(grades[worse].eligible_products) - set(grades[better].eligible_products)
        if lost:
            raise ValueError(
                f"grade_policy.yaml: {', '.join(sorted(lost))} served at {worse} but not {better}"
            )
    for g in GRADES:
        lacking = set(ungraded.eligible_products) - set(grades[g].eligible_products)
        if lacking:
            raise ValueError(
                f"grade_policy.yaml: {', '.join(sorted(lacking))} needs no grade but is not "
                f"served at {g}"
            )
    return GradePolicy(
        version=str(raw["version"]),
        source=str(raw["source"]),
        effective_from=raw["effective_from"],
        grades=grades,
        ungraded=ungraded,
    )


@cache
def load_grade_policy() -> GradePolicy:
    """The packaged grade policy (``credit/data/grade_policy.yaml``), validated on load."""
    text = (resources.files("techfin.credit") / "data" / "grade_policy.yaml").read_text("utf-8")
    return parse_grade_policy(yaml.safe_load(text))


def grade_levers(grade: str | None) -> GradeLevers:
    """The levers of a grade T1 … T10 (None: no grade yet)."""
    return load_grade_policy().levers(grade)
