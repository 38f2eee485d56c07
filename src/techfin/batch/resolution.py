"""Name-based entity resolution over Parquet files in bounded memory (issue 3, item 6).

Records that carry a credit code are joined by `techfin.batch.hub.resolve_by_code`; this runs
`techfin.enterprises.resolution.resolve` on the records that do not: the registry is parsed
once, the splink model is trained once on a sample of the records, then the records are scored
chunk by chunk with that model and each chunk's candidates and parts are written to Parquet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from techfin.enterprises.resolution import ResolutionConfig, prepare_registry, resolve

__all__ = ["BatchResolution", "resolve_parquet"]


@dataclass
class BatchResolution:
    """What `resolve_parquet` did: counts, timings, the model it scored with, the files."""

    records: int = 0
    parts: int = 0
    auto_merged: int = 0
    review: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def records_per_second(self) -> float:
        total = sum(self.seconds.values())
        return self.records / total if total else 0.0


def resolve_parquet(
    registry: Path,
    records: Path,
    out: Path,
    *,
    config: ResolutionConfig | None = None,
    train_rows: int = 200_000,
    chunk_rows: int = 250_000,
    model: dict[str, Any] | None = None,
) -> BatchResolution:
    """Resolve the uncoded `records` Parquet against the `registry` Parquet.

    Writes `candidates-NNNN.parquet` and `parts-NNNN.parquet` per chunk under `out`. The model
    is trained on the first `train_rows` records unless `model` is given.
    """
    config = config or ResolutionConfig()
    out.mkdir(parents=True, exist_ok=True)
    report = BatchResolution()
    t = time.perf_counter()
    aliases = prepare_registry(pl.read_parquet(registry))
    report.seconds["prepare_registry"] = time.perf_counter() - t
    scan = pl.scan_parquet(records)
    total = int(scan.select(pl.len()).collect().item())
    if model is None:
        t = time.perf_counter()
        sample = scan.slice(0, train_rows).collect()
        model = resolve(aliases, sample, config).model
        report.seconds["train"] = time.perf_counter() - t
    report.model = model
    t = time.perf_counter()
    for i, offset in enumerate(range(0, total, chunk_rows)):
        chunk = scan.slice(offset, chunk_rows).collect()
        res = resolve(aliases, chunk, config, model=model)
        cand_path, parts_path = out / f"candidates-{i:04d}.parquet", out / f"parts-{i:04d}.parquet"
        res.candidates.write_parquet(cand_path)
        res.parts.write_parquet(parts_path)
        report.files += [cand_path, parts_path]
        report.records += chunk.height
        report.parts += res.parts.height
        report.auto_merged += res.auto_merged().height
        report.review += res.review_queue().height
    report.seconds["score"] = time.perf_counter() - t
    return report
