"""Whole-registry hub kernels (issue 3, scale): validate a registry and the other sources from
Parquet, join them to the registry by validated credit code, and build per-enterprise profile
aggregates — with Polars and the vectorised credit-code check, in bounded memory per source.

The per-record path (`techfin.services.ingest`) and these kernels apply the same credit-code
rules (`techfin.codes.uscc`: `validate` and `validate_many` agree row by row, which the codes
tests prove). Money stays integer fen here; nothing is float.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from techfin.codes import industry
from techfin.codes.uscc import validate_many


@dataclass
class Check:
    """What a kernel did with one source."""

    source: str
    read: int
    valid: int
    resolved: int = 0
    unknown_enterprise: int = 0
    normalised: int = 0
    duplicates: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def normalise_codes(codes: pl.Series) -> tuple[pl.Series, np.ndarray, dict[str, int], int]:
    """Normalised codes (fixes applied), the valid mask, reason counts and how many were fixed."""
    check = validate_many(codes.to_arrow())
    normalised = codes
    if check.fixes:
        values = codes.to_list()
        for row, fixed in check.fixes.items():
            values[row] = fixed
        normalised = pl.Series(codes.name, values, dtype=pl.String)
    return normalised, check.valid, check.reason_counts(), len(check.fixes)


def validate_registry(frame: pl.DataFrame, today: dt.date) -> tuple[pl.DataFrame, Check]:
    """Valid registry rows (one per credit code) and the check. Refused: a bad code, a missing
    name, an industry code that is not a GB/T 4754-2017 class, a registration date in the future.
    """
    codes, valid, reasons, fixed = normalise_codes(frame["uscc"])
    classes = pl.Series(industry.all_codes("class")).implode()
    name_ok = frame["name"].is_not_null() & (frame["name"].str.strip_chars().str.len_chars() > 0)
    industry_ok = frame["industry_code"].is_in(classes)
    date_ok = frame["registered_on"] <= today
    checks: dict[str, pl.Series] = {
        "name: required": ~name_ok,
        "industry_code: not a GB/T 4754-2017 class": ~industry_ok,
        "registered_on: in the future": ~date_ok,
    }
    ok = pl.Series(valid) & name_ok & industry_ok & date_ok
    for reason, bad in checks.items():
        count = int(bad.sum())
        if count:
            reasons[reason] = count
    clean = frame.with_columns(codes.alias("uscc")).filter(ok)
    deduplicated = clean.unique(subset="uscc", keep="first", maintain_order=True)
    return deduplicated, Check(
        source="registry",
        read=frame.height,
        valid=deduplicated.height,
        resolved=deduplicated.height,
        normalised=fixed,
        duplicates=clean.height - deduplicated.height,
        reasons=reasons,
    )


def resolve_by_code(
    registry: pl.DataFrame, records: pl.DataFrame, source: str, key: str = "enterprise_key"
) -> tuple[pl.DataFrame, Check]:
    """Join records carrying a credit code to the registry (column `key` added); records with a
    bad code or a code not in the registry are counted, not joined."""
    codes, valid, reasons, fixed = normalise_codes(records["uscc"])
    good = records.with_columns(codes.alias("uscc")).filter(pl.Series(valid))
    joined = good.join(registry.select("uscc", key), on="uscc", how="inner")
    unknown = good.height - joined.height
    if unknown:
        reasons["uscc: no registry record"] = unknown
    return joined, Check(
        source=source,
        read=records.height,
        valid=good.height,
        resolved=joined.height,
        unknown_enterprise=unknown,
        normalised=fixed,
        reasons=reasons,
    )


def build_profiles(
    registry: pl.DataFrame, sources: dict[str, pl.DataFrame], key: str
) -> pl.DataFrame:
    """One row per enterprise: the latest annual and quarterly aggregates of each source."""
    profile = registry.select(key, "uscc", "name", "industry_code", "registered_on")
    if "financials" in sources:
        last = (
            sources["financials"]
            .sort("year")
            .group_by(key)
            .agg(
                pl.col("year").last().alias("fin_year"),
                pl.col("revenue_fen").last().alias("revenue_fen"),
                pl.col("rd_expense_fen").last().alias("rd_expense_fen"),
                pl.col("employees").last().alias("employees"),
                pl.col("revenue_fen").alias("_rev"),
            )
            .with_columns(
                pl.when(pl.col("_rev").list.len() >= 2)
                .then(pl.col("_rev").list.get(-1) - pl.col("_rev").list.get(-2))
                .otherwise(None)
                .alias("revenue_change_fen")
            )
            .drop("_rev")
        )
        profile = profile.join(last, on=key, how="left")
    quarterly = {
        "social_security": [pl.col("insured_end").last().alias("insured_staff")],
        "tax": [(pl.col("vat_fen") + pl.col("cit_fen")).tail(4).sum().alias("tax_4q_fen")],
        "customs": [pl.col("exports_fen").tail(4).sum().alias("exports_4q_fen")],
        "utilities": [pl.col("power_kwh").tail(4).sum().alias("power_4q_kwh")],
    }
    for name, aggregates in quarterly.items():
        if name in sources:
            frame = sources[name].sort("year", "quarter").group_by(key).agg(aggregates)
            profile = profile.join(frame, on=key, how="left")
    if "credit_register" in sources:
        cr = (
            sources["credit_register"]
            .group_by(key)
            .agg(
                pl.col("balance_fen").sum().alias("bank_debt_fen"),
                pl.col("overdue_days").max().alias("max_overdue_days"),
                pl.col("lender").n_unique().alias("lenders"),
            )
        )
        profile = profile.join(cr, on=key, how="left")
    return profile


def run(
    registry_path: Path,
    source_paths: dict[str, Path],
    today: dt.date,
    key: str = "enterprise_key",
) -> tuple[pl.DataFrame, list[Check]]:
    """Validate the registry, resolve each source by code, build the profiles."""
    registry_raw = pl.read_parquet(registry_path)
    registry, registry_check = validate_registry(registry_raw, today)
    if key not in registry.columns:
        registry = registry.with_row_index(key)
    checks = [registry_check]
    resolved: dict[str, pl.DataFrame] = {}
    for name, path in source_paths.items():
        frame, check = resolve_by_code(registry, pl.read_parquet(path), name, key)
        resolved[name] = frame
        checks.append(check)
    return build_profiles(registry, resolved, key), checks
