"""Tables of the rating platform (issue 5 items 2, 4, 5): model versions under maker-checker
with champion/challenger per segment, stored ratings that record the model, rule and feature
catalogue versions they used, and grade overrides under maker-checker.

Everything carries `institution_id`: a bank's models, ratings and overrides are its own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from techfin.store.base import Base, utcnow


class RatingModelVersion(Base):
    """A fitted statistical scorecard (techfin.rating JSON) submitted by its developer and
    approved or rejected by an independent validator (never the developer)."""

    __tablename__ = "rating_model_versions"
    __table_args__ = (UniqueConstraint("institution_id", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(32))  # all | startup | growth | mature
    model_json: Mapped[str] = mapped_column(Text)
    model_sha256: Mapped[str] = mapped_column(String(64))
    training_data_sha256: Mapped[str] = mapped_column(String(64))
    features: Mapped[list[Any]] = mapped_column(JSON, default=list)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(String(500), default="")
    developer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    developer: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # submitted | approved | rejected
    validator_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    validator: Mapped[str] = mapped_column(String(64), default="")
    validation_note: Mapped[str] = mapped_column(Text, default="")
    validated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    role: Mapped[str] = mapped_column(String(16), default="none")  # champion | challenger | none
    role_set_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class EnterpriseRating(Base):
    """One rating of an enterprise by an institution, with everything needed to reproduce it."""

    __tablename__ = "enterprise_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(16))
    expert_rule: Mapped[str] = mapped_column(String(80))  # id@version
    feature_catalogue: Mapped[str] = mapped_column(String(80))  # id@version
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("rating_model_versions.id"))
    model_ref: Mapped[str] = mapped_column(String(140), default="")  # name@version
    features: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    features_sha256: Mapped[str] = mapped_column(String(64))
    expert_score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    expert_grade: Mapped[str] = mapped_column(String(8))
    statistical_score: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    statistical_pd: Mapped[Decimal | None] = mapped_column(Numeric(10, 8))
    master_grade: Mapped[str] = mapped_column(String(8), default="")
    blended_pd: Mapped[Decimal | None] = mapped_column(Numeric(10, 8))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    grade: Mapped[str] = mapped_column(String(8))  # the model's grade (before any override)
    final_grade: Mapped[str] = mapped_column(String(8))  # after an approved override
    dimension_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons_up: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reasons_down: Mapped[list[Any]] = mapped_column(JSON, default=list)
    statistical_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    knockouts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    challengers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rated_by: Mapped[str] = mapped_column(String(64))
    rated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RatingOverride(Base):
    """A request to change a rating's grade (reason required) and its decision by a second
    person (never the requester)."""

    __tablename__ = "rating_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("enterprise_ratings.id"), index=True)
    from_grade: Mapped[str] = mapped_column(String(8))
    to_grade: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(8))  # up | down
    notches: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
