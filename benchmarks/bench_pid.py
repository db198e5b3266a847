"""Time the batched I^sx decomposition and its goal gradient.

    python benchmarks/bench_pid.py [--batch 10000] [--repeats 7] [--backend auto|numpy|cupy]

Prints the median and spread of the wall time of one call on a batch of random 2 x 60 x 2 pmfs
(the shape of a Hopfield neuron's histogram), measured side by side in one run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from infobook.backend import get_backend
from infobook.distributions import random_pmf
from infobook.pid import pid_goal_gradient, sxpid


def timeit(fn, repeats: int, sync) -> list[float]:
    fn()  # warm-up (and kernel compilation on the GPU)
    sync()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--backend", default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    b = get_backend(args.backend)
    xp = b.xp
    p = xp.asarray(random_pmf((args.batch, 2, 60, 2), args.seed, zeros=0.5))

    def sync() -> None:
        if b.name == "cupy":
            xp.cuda.Stream.null.synchronize()

    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.system()}, "
        f"numpy {np.__version__}; back end: {b.name} ({b.reason})"
    )
    print(f"batch: {args.batch} pmfs of shape 2x60x2, float64, {args.repeats} repeats")
    print(f"{'operation':<34} {'median ms':>10} {'min ms':>9} {'max ms':>9} {'us/pmf':>8}")
    for label, fn in [
        ("sxpid (5 atoms)", lambda: sxpid(p, validate=False)),
        ("sxpid with input validation", lambda: sxpid(p)),
        (
            "pid_goal_gradient (value + grad)",
            lambda: pid_goal_gradient(p, "redundancy", validate=False),
        ),
    ]:
        t = timeit(fn, args.repeats, sync)
        med = statistics.median(t)
        print(
            f"{label:<34} {med * 1e3:>10.1f} {min(t) * 1e3:>9.1f} {max(t) * 1e3:>9.1f} "
            f"{med / args.batch * 1e6:>8.1f}"
        )


if __name__ == "__main__":
    main()
