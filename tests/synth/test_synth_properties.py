"""Properties over random seeds, sizes, chunkings and as-of dates (small worlds)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import techfin.synth as synth
from techfin.codes import patent, uscc


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**63 - 1),
    size=st.integers(1, 250),
    chunk=st.integers(1, 120),
    as_of=st.dates(date(2012, 1, 1), date(2032, 12, 31)),
)
def test_invariants_hold_for_any_world(seed: int, size: int, chunk: int, as_of: date) -> None:
    batches = list(synth.generate(seed, size, as_of=as_of, chunk_size=chunk))
    assert batches[0].chunk == -1
    assert sum(b.enterprises for b in batches) == size
    tables = {
        n: pl.from_arrow(pa.concat_tables([b.tables[n] for b in batches[1:]]))
        for n in ("enterprises", "financials", "patents", "patent_events", "titles", "tax")
    }
    ent = tables["enterprises"]
    assert ent["enterprise_id"].to_list() == list(range(1, size + 1))
    codes = ent["uscc"].to_list()
    assert uscc.validate_many(codes).valid_count == size and len(set(codes)) == size
    assert (ent["registered_on"] <= as_of).all()
    f = tables["financials"]
    assert (f["total_assets_fen"] == f["total_liabilities_fen"] + f["net_assets_fen"]).all()
    assert set(f["year"].to_list()) <= {as_of.year - 3, as_of.year - 2, as_of.year - 1}
    p = tables["patents"]
    for number in p["application_no"].to_list()[:50]:
        assert patent.check_digit(number[:12]) == number[13]
    assert p["application_no"].n_unique() == p.height
    if p.height:
        assert p["filed_on"].max() <= as_of
        assert tables["patent_events"]["event_on"].max() <= as_of
    t = tables["titles"]
    if t.height:
        assert t["issued_on"].max() <= as_of
    q = tables["tax"]
    if q.height:
        last = q.select(pl.col("year") * 10 + pl.col("quarter")).max().item()
        quarter = (as_of.month - 1) // 3 + 1
        assert last <= as_of.year * 10 + quarter
