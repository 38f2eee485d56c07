"""Same seed → byte-identical Parquet; chunks independent of scheduling."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import techfin.synth as synth
from techfin.synth.parallel import generate_parallel
from techfin.synth.parquet import table_path, write_batches

AS_OF = date(2026, 9, 30)


def _digests(out: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256(table_path(out, name).read_bytes()).hexdigest()
        for name in synth.SCHEMAS
    }


def _write(out: Path, seed: int, n: int = 1_500) -> dict[str, int]:
    return write_batches(
        synth.generate(seed, n, as_of=AS_OF, chunk_size=600), out, metadata={"seed": str(seed)}
    )


def test_same_seed_gives_byte_identical_parquet(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "w.parquet", tmp_path / "b" / "w.parquet"
    a.parent.mkdir()
    b.parent.mkdir()
    counts_a = _write(a, 11)
    counts_b = _write(b, 11)
    assert counts_a == counts_b
    assert counts_a["enterprises"] == 1_500
    assert all(counts_a[t] > 0 for t in synth.SCHEMAS), counts_a
    assert _digests(a) == _digests(b)


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    _write(a, 11, 300)
    _write(b, 12, 300)
    assert _digests(a)["enterprises"] != _digests(b)["enterprises"]
    # the demo world's structure does not depend on the seed, its people do
    ua = pq.read_table(table_path(a, "users")).column("username").to_pylist()
    ub = pq.read_table(table_path(b, "users")).column("username").to_pylist()
    assert ua == ub


def test_chunk_alone_equals_chunk_in_sequence() -> None:
    batches = list(synth.generate(5, 2_000, as_of=AS_OF, chunk_size=700))
    assert [b.chunk for b in batches] == [-1, 0, 1, 2]
    assert [b.enterprises for b in batches] == [0, 700, 700, 600]
    alone = synth.generate_chunk(5, 2_000, 2, as_of=AS_OF, chunk_size=700)
    for name, t in batches[3].tables.items():
        assert t.equals(alone.tables[name]), name


def test_parallel_workers_give_the_same_batches() -> None:
    serial = list(synth.generate(9, 900, as_of=AS_OF, chunk_size=300))
    parallel = list(generate_parallel(9, 900, as_of=AS_OF, jobs=2, chunk_size=300))
    assert len(serial) == len(parallel) == 4
    for s, p in zip(serial, parallel, strict=True):
        assert s.tables.keys() == p.tables.keys()
        for name in s.tables:
            assert s.tables[name].equals(p.tables[name]), (s.chunk, name)


def test_interrupted_write_leaves_no_finished_looking_file(tmp_path: Path) -> None:
    out = tmp_path / "w.parquet"

    def broken():
        it = synth.generate(3, 200, as_of=AS_OF, chunk_size=100)
        yield next(it)
        yield next(it)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_batches(broken(), out)
    assert list(tmp_path.iterdir()) == []


def test_parquet_metadata_holds_the_run_parameters(tmp_path: Path) -> None:
    out = tmp_path / "w.parquet"
    _write(out, 4, 100)
    meta = pq.read_schema(out).metadata
    assert meta[b"techfin.synth.seed"] == b"4"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"seed": -1, "enterprises": 10}, "seed"),
        ({"seed": True, "enterprises": 10}, "seed"),
        ({"seed": 1, "enterprises": -5}, "enterprises"),
        ({"seed": 1, "enterprises": 10, "chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        list(synth.generate(as_of=AS_OF, **kwargs))


def test_fen_to_yuan_is_exact() -> None:
    assert str(synth.fen_to_yuan(123456789)) == "1234567.89"
    assert str(synth.fen_to_yuan(-5)) == "-0.05"
