"""Stream synthetic batches to Parquet files, byte-for-byte reproducibly.

Layout (docs/synth.md): the enterprise table goes to `OUT` (e.g. `world.parquet`); every
other table to `OUT` with `.<table>` before the suffix (`world.financials.parquet`, …). All
tables are always written, empty ones included, so a reader can rely on the set of files.

Reproducibility: the writer options are fixed here (zstd level 3, dictionary encoding,
statistics, format 2.6, 1 MiB pages), each batch becomes its own row group(s), and the file
metadata holds only the run's parameters (seed, size, as-of date, parameter version) — no
timestamps, host names or paths. Files are written under a `.part` name and renamed when
complete, so an interrupted run leaves no file that looks finished.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from techfin.synth import Batch
from techfin.synth.schema import SCHEMAS

WRITER_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
    "store_schema": True,
}
ROW_GROUP_SIZE = 1 << 20
MAIN_TABLE = "enterprises"


def table_path(out: Path, name: str) -> Path:
    """Where table `name` goes for the output file `out`."""
    if name == MAIN_TABLE:
        return out
    stem = out.name[: -len(".parquet")] if out.name.endswith(".parquet") else out.name
    return out.with_name(f"{stem}.{name}.parquet")


def write_batches(
    batches: Iterable[Batch],
    out: Path,
    *,
    metadata: dict[str, str] | None = None,
    on_batch: Callable[[Batch], None] | None = None,
) -> dict[str, int]:
    """Write every batch's tables; return rows written per table (all tables, in schema order)."""
    out = Path(out)
    meta = {f"techfin.synth.{k}": str(v) for k, v in sorted((metadata or {}).items())}
    writers: dict[str, pq.ParquetWriter] = {}
    parts: dict[str, Path] = {}
    counts = dict.fromkeys(SCHEMAS, 0)

    def writer(name: str) -> pq.ParquetWriter:
        if name not in writers:
            path = table_path(out, name)
            part = path.with_name(path.name + ".part")
            parts[name] = part
            schema = SCHEMAS[name].with_metadata(meta) if meta else SCHEMAS[name]
            writers[name] = pq.ParquetWriter(part, schema, **WRITER_OPTIONS)
        return writers[name]

    done = False
    try:
        for batch in batches:
            for name in SCHEMAS:  # a fixed order, whatever order the batch lists them in
                t = batch.tables.get(name)
                if t is None:
                    continue
                w = writer(name)
                if t.num_rows:
                    w.write_table(t.cast(w.schema), row_group_size=ROW_GROUP_SIZE)
                counts[name] += t.num_rows
            if on_batch is not None:
                on_batch(batch)
        for name in SCHEMAS:
            writer(name)
        done = True
    finally:
        for w in writers.values():
            w.close()
        for name, part in parts.items():
            if done:
                os.replace(part, table_path(out, name))
            else:
                part.unlink(missing_ok=True)
    return counts


def read_table(out: Path, name: str) -> pa.Table:
    """Read one table written by `write_batches`."""
    return pq.read_table(table_path(Path(out), name))
