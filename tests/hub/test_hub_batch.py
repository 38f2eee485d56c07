"""The hub's whole-registry kernels agree with the per-record ingest rules."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from techfin.batch import hub
from techfin.codes.uscc import validate
from techfin.enterprises import sources
from techfin.synth import generate

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def world():
    batches = list(generate(5, 600, as_of=dt.date(2026, 9, 30)))
    tables = {}
    for batch in batches[1:]:
        for name, table in batch.tables.items():
            tables.setdefault(name, []).append(pl.from_arrow(table))
    return {name: pl.concat(frames) for name, frames in tables.items()}


def _dirty(frame: pl.DataFrame) -> pl.DataFrame:
    codes = frame["uscc"].to_list()
    for i in range(0, len(codes), 7):
        codes[i] = codes[i][:-1] + ("0" if codes[i][-1] != "0" else "1")  # wrong check
    for i in range(3, len(codes), 11):
        codes[i] = codes[i].lower()  # normalised, then valid
    for i in range(5, len(codes), 13):
        codes[i] = codes[i][:17]  # 17 characters
    return frame.with_columns(pl.Series("uscc", codes))


def test_registry_kernel_agrees_with_per_record_validation(world):
    raw = _dirty(world["enterprises"].rename({"enterprise_id": "enterprise_key"}))
    clean, check = hub.validate_registry(raw, TODAY)
    source = sources.get("registry")
    accepted = set()
    for row in raw.to_dicts():
        result = sources.validate_row(source, {**row, "as_of": TODAY}, TODAY)
        if result.record is not None:
            accepted.add(result.record["uscc"])
    assert set(clean["uscc"]) == accepted
    assert check.read == raw.height and check.valid == len(accepted)
    assert check.normalised > 0 and check.reasons["wrong GB 32100 check character"] > 0


def test_resolution_by_code_agrees_with_the_per_record_rule(world):
    registry, _ = hub.validate_registry(
        world["enterprises"].rename({"enterprise_id": "enterprise_key"}), TODAY
    )
    codes = world["enterprises"].select("enterprise_id", "uscc")
    tax = _dirty(world["tax"].join(codes, on="enterprise_id").drop("enterprise_id"))
    joined, check = hub.resolve_by_code(registry, tax, "tax")
    known = set(registry["uscc"])
    expected = sum(1 for c in tax["uscc"] if (v := validate(c)).valid and v.normalised in known)
    assert joined.height == check.resolved == expected
    assert check.read == tax.height
    assert check.read - check.valid == sum(
        n for reason, n in check.reasons.items() if reason != "uscc: no registry record"
    )


def test_profiles_sum_the_last_four_quarters(world):
    registry, _ = hub.validate_registry(
        world["enterprises"].rename({"enterprise_id": "enterprise_key"}), TODAY
    )
    tax = world["tax"].rename({"enterprise_id": "enterprise_key"})
    profile = hub.build_profiles(registry, {"tax": tax}, "enterprise_key")
    one = int(registry["enterprise_key"][0])
    rows = tax.filter(pl.col("enterprise_key") == one).sort("year", "quarter").tail(4)
    expected = int((rows["vat_fen"] + rows["cit_fen"]).sum())
    got = profile.filter(pl.col("enterprise_key") == one)["tax_4q_fen"][0]
    assert got == expected and isinstance(got, int)
