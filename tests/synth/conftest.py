"""A shared synthetic world for the synth tests (generated once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pytest

import techfin.synth as synth

AS_OF = date(2026, 9, 30)
SEED = 20261127
SIZE = 24_000
CHUNK = 10_000  # three chunks, the last one short


@dataclass(frozen=True)
class World:
    tables: dict[str, pa.Table]
    batches: list[synth.Batch]

    def df(self, name: str):  # polars DataFrame
        import polars as pl

        return pl.from_arrow(self.tables[name])


@pytest.fixture(scope="session")
def world() -> World:
    batches = list(synth.generate(SEED, SIZE, as_of=AS_OF, chunk_size=CHUNK))
    names = sorted({n for b in batches for n in b.tables})
    tables = {n: pa.concat_tables([b.tables[n] for b in batches if n in b.tables]) for n in names}
    return World(tables=tables, batches=batches)
