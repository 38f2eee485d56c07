"""techfin.synth: a deterministic synthetic world of China's tech SMEs.

`generate(seed, enterprises, as_of=...)` yields `Batch`es of Arrow tables: first the world
(institutions, branches, users, experts), then one batch per chunk of `CHUNK_SIZE`
enterprises with every table recorded about them (financials, social security, tax, customs,
utilities, titles, patents and their legal events, funding rounds, credit-register loans,
court records, expert conflicts, and `truth` labels for rating tests). Each chunk has its own
seeded generator derived from (seed, chunk number), so the output depends only on the seed, the
size and `as_of` — `generate_chunk` can run chunks in any order or in other processes.

Figures come from `params.yaml` (each marked sourced / guess / design; docs/synth.md). Money
is integer fen (`*_fen` columns); `fen_to_yuan` converts one value exactly. Users carry
plain-text demo passwords: hash them on load.

The generator is pure: no clock, no I/O except the packaged data files. Writing Parquet is in
`techfin.synth.parquet`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pyarrow as pa

from techfin.synth.params import Params, load_params
from techfin.synth.schema import SCHEMAS

__all__ = [
    "CHUNK_SIZE",
    "SCHEMAS",
    "Batch",
    "fen_to_yuan",
    "generate",
    "generate_chunk",
    "load_params",
    "world_batch",
]

CHUNK_SIZE = 20_000  # ≈ 0.5 GB peak per chunk in flight (docs/decisions/0702)


@dataclass(frozen=True)
class Batch:
    """One slice of the world: `tables` maps a table name to its rows for this slice.

    `chunk` is -1 for the world batch, else the chunk number; `enterprises` is how many
    enterprises the chunk holds (0 for the world batch).
    """

    chunk: int
    enterprises: int
    tables: Mapping[str, pa.Table]
    params_version: str

    def rows(self, name: str) -> list[dict[str, object]]:
        """Rows of one table as dicts (empty when the batch lacks it) — for small loaders."""
        t = self.tables.get(name)
        return [] if t is None else t.to_pylist()


def fen_to_yuan(fen: int) -> Decimal:
    """An integer amount of fen as an exact `Decimal` of yuan (2 places)."""
    return Decimal(int(fen)).scaleb(-2)


def _check(seed: int, enterprises: int, as_of: date) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError("seed: must be a non-negative integer")
    if isinstance(enterprises, bool) or not isinstance(enterprises, int) or enterprises < 0:
        raise ValueError("enterprises: must be a non-negative integer")
    if enterprises > 50_000_000:
        raise ValueError("enterprises: at most 50,000,000")
    if not isinstance(as_of, date) or as_of.year < 2010:
        raise ValueError("as_of: must be a date in 2010 or later")


def world_batch(seed: int, *, params: Params | None = None) -> Batch:
    """Only the world batch (institutions, branches, users, experts)."""
    from techfin.synth.world import build_world

    p = params or load_params()
    return Batch(chunk=-1, enterprises=0, tables=build_world(p, seed), params_version=p.version)


def generate_chunk(
    seed: int,
    enterprises: int,
    chunk: int,
    *,
    as_of: date,
    chunk_size: int = CHUNK_SIZE,
    params: Params | None = None,
) -> Batch:
    """Chunk number `chunk` of the world `generate(seed, enterprises, as_of=as_of)` yields."""
    from techfin.synth.firms import build_context
    from techfin.synth.firms import generate_chunk as _chunk

    _check(seed, enterprises, as_of)
    p = params or load_params()
    ctx = build_context(p, seed, as_of, enterprises, chunk_size)
    if not 0 <= chunk < ctx.n_chunks or enterprises == 0:
        raise ValueError(f"chunk: must be in 0..{ctx.n_chunks - 1}")
    n = min(chunk_size, enterprises - chunk * chunk_size)
    return Batch(chunk=chunk, enterprises=n, tables=_chunk(ctx, chunk), params_version=p.version)


def generate(
    seed: int,
    enterprises: int,
    *,
    as_of: date,
    chunk_size: int = CHUNK_SIZE,
    params: Params | None = None,
) -> Iterator[Batch]:
    """Yield the world batch, then one batch per chunk of enterprises, in order.

    Memory is bounded by one chunk; the same (seed, enterprises, as_of, chunk_size, params)
    always yields identical tables.
    """
    from techfin.synth.firms import build_context
    from techfin.synth.firms import generate_chunk as _chunk

    _check(seed, enterprises, as_of)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError("chunk_size: must be a positive integer")
    p = params or load_params()
    yield world_batch(seed, params=p)
    if enterprises == 0:
        return
    ctx = build_context(p, seed, as_of, enterprises, chunk_size)
    for chunk in range(ctx.n_chunks):
        n = min(chunk_size, enterprises - chunk * chunk_size)
        yield Batch(chunk=chunk, enterprises=n, tables=_chunk(ctx, chunk), params_version=p.version)


def table_names() -> tuple[str, ...]:
    """Every table the generator can produce, in a fixed order."""
    return tuple(SCHEMAS)
