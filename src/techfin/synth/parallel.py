"""Generate chunks in worker processes, yielding them in order with bounded memory.

Each chunk depends only on (seed, size, as_of, chunk number), so the output is identical to
`techfin.synth.generate` whatever the number of workers. At most `jobs + 1` chunks are in
flight, so memory stays bounded when the writer is slower than the generators.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date

from techfin.synth import CHUNK_SIZE, Batch, generate, generate_chunk, world_batch


def _chunk(seed: int, enterprises: int, chunk: int, as_of: date, chunk_size: int) -> Batch:
    return generate_chunk(seed, enterprises, chunk, as_of=as_of, chunk_size=chunk_size)


def generate_parallel(
    seed: int, enterprises: int, *, as_of: date, jobs: int = 1, chunk_size: int = CHUNK_SIZE
) -> Iterator[Batch]:
    """Like `generate`, with chunks made by `jobs` processes (jobs=1: in this process)."""
    if jobs <= 1:
        yield from generate(seed, enterprises, as_of=as_of, chunk_size=chunk_size)
        return
    yield world_batch(seed)
    n_chunks = -(-enterprises // chunk_size)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[Batch]] = deque()
        next_chunk = 0
        while next_chunk < n_chunks or pending:
            while next_chunk < n_chunks and len(pending) < jobs + 1:
                pending.append(
                    pool.submit(_chunk, seed, enterprises, next_chunk, as_of, chunk_size)
                )
                next_chunk += 1
            yield pending.popleft().result()
