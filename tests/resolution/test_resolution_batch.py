"""Chunked resolution from Parquet agrees with one resolve() call with the same model."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from techfin.batch.resolution import resolve_parquet
from techfin.enterprises.resolution import resolve
from techfin.enterprises.resolution_eval import make_eval_set


def test_chunks_agree_with_one_call(tmp_path: Path) -> None:
    es = make_eval_set(17, 600)
    reg, rec = tmp_path / "registry.parquet", tmp_path / "records.parquet"
    es.registry.write_parquet(reg)
    es.records.write_parquet(rec)
    report = resolve_parquet(reg, rec, tmp_path / "out", train_rows=400, chunk_rows=150)
    assert report.records == es.records.height
    assert len(report.files) == 2 * -(-es.records.height // 150)
    chunked = pl.concat(
        [pl.read_parquet(f) for f in report.files if f.name.startswith("candidates")]
    ).sort(["record_key", "part", "rank"])
    whole = resolve(es.registry, es.records, model=report.model).candidates.sort(
        ["record_key", "part", "rank"]
    )
    assert chunked.equals(whole)
    assert report.auto_merged == whole.filter(pl.col("band") == "auto_merge").height > 0
