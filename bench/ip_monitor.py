"""Day-end IP monitoring: 1,000,000 patents × 10 events (issue 6, item 9).

Runs on the same synthetic registry, in one process run:
- techfin vectorised kernel (`techfin.batch.ip.monitor_registry`), 1 process;
- the same kernel over 2 worker processes (fork; chunks of the registry);
- the per-patent domain functions (`derive_status` + `detect_alerts`) on a sample, the
  baseline a plain Python loop gives, extrapolated to patents/s.
Prints median seconds, patents/s and ratios, and checks kernel = per-patent on the sample.

    .venv/bin/python bench/ip_monitor.py [--patents 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time
from datetime import date

import numpy as np

from techfin.batch.ip import (
    STATES,
    Registry,
    RegistryStatus,
    alert_kinds,
    monitor_registry,
    patent_at,
    synthetic_registry,
)
from techfin.ip.monitor import detect_alerts
from techfin.ip.pledge import pledge_policy
from techfin.ip.status import derive_status

AS_OF = date(2026, 11, 27)
_REG: Registry | None = None


def _work(bounds: tuple[int, int]) -> RegistryStatus:
    assert _REG is not None
    return monitor_registry(_REG.slice(*bounds), AS_OF, pledge_policy())


def _median(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    global _REG
    ap = argparse.ArgumentParser()
    ap.add_argument("--patents", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sample", type=int, default=20_000)
    args = ap.parse_args()
    policy = pledge_policy()
    t = time.perf_counter()
    reg = synthetic_registry(args.patents, events_per_patent=10, seed=2026)
    _REG = reg
    print(
        f"registry: {reg.size:,} patents, {len(reg.ev_date):,} events "
        f"(generated in {time.perf_counter() - t:.1f} s)"
    )
    with open("/proc/cpuinfo") as fh:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "?"
        )
    print(f"machine: nproc={os.cpu_count()} cpu={cpu}  as of {AS_OF}")

    out = monitor_registry(reg, AS_OF, policy)
    one = _median(lambda: monitor_registry(reg, AS_OF, policy), args.repeat)

    half = reg.size // 2
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:

        def two() -> None:
            parts = pool.map(_work, [(0, half), (half, reg.size)])
            assert sum(len(p.state) for p in parts) == reg.size

        two()
        two_s = _median(two, args.repeat)

    sample = min(args.sample, reg.size)
    domain = [patent_at(reg, i) for i in range(sample)]

    def loop() -> list[tuple[object, ...]]:
        res = []
        for patent, events, valued in domain:
            s = derive_status(patent, events, AS_OF)
            a = detect_alerts(patent, events, AS_OF, policy, last_valued_on=valued)
            res.append((s.state, s.remaining_days, frozenset(x.kind for x in a)))
        return res

    loop_s = _median(loop, 1)
    mismatches = 0
    for i, (state, remaining, kinds) in enumerate(loop()):
        got = (
            STATES[int(out.state[i])],
            int(out.remaining_days[i]),
            frozenset(alert_kinds(int(out.alerts[i]))),
        )
        mismatches += got != (state, remaining, kinds)

    loop_rate = sample / loop_s
    print()
    print(f"{'implementation':<44}{'median s':>10}{'patents/s':>14}{'vs loop':>10}")
    rows = [
        ("techfin kernel, 1 process (NumPy)", one, reg.size / one),
        ("techfin kernel, 2 processes (fork)", two_s, reg.size / two_s),
        (f"per-patent domain functions ({sample:,} sample)", loop_s, loop_rate),
    ]
    for name, secs, rate in rows:
        print(f"{name:<44}{secs:>10.3f}{rate:>14,.0f}{rate / loop_rate:>9.0f}x")
    pledged = int(out.pledged.sum())
    print()
    print(
        f"pledged patents: {pledged:,}; with alerts: {int((out.alerts > 0).sum()):,}; "
        f"states: "
        + ", ".join(
            f"{STATES[i].value} {int(c):,}"
            for i, c in enumerate(np.bincount(out.state, minlength=7))
        )
    )
    print(f"kernel vs per-patent on the sample: {mismatches} mismatches")


if __name__ == "__main__":
    main()
