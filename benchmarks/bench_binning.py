"""Cost of a training step under the three binnings of the joint table.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_binning.py

Milliseconds per network-step of ``infomorphic.train`` itself (the whole loop: goal and
gradient, Adam, one checkpoint recall at the end, no early stop) at N = 100, M = 160, float32,
a batch of 6 networks, for fixed, adaptive and soft binning (both soft gradients), with the
fused CPU kernel and with the array program. Medians of interleaved repeats, all cases measured
side by side in one run; ratios to fixed binning with the fused kernel.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from infobook import hopfield as hf
from infobook import infomorphic as im
from infobook.backend import tune_allocator

CASES = [
    ("fixed", "exact", "fused"),
    ("adaptive", "exact", "fused"),
    ("soft", "published", "fused"),
    ("soft", "exact", "fused"),
    ("fixed", "exact", "array"),
    ("adaptive", "exact", "array"),
    ("soft", "published", "array"),
    ("soft", "exact", "array"),
]


def ms_per_step(binning: str, gradient: str, kernel: str, pats, steps: int, seed: int) -> float:
    training = im.Training(
        epochs=steps, binning=binning, soft_gradient=gradient, kernel=kernel,
        early_stop=False, n_checkpoints=1,
    )  # fmt: skip
    t0 = time.perf_counter()
    im.train(pats, "redundancy", training=training, seed=seed)
    return 1e3 * (time.perf_counter() - t0) / (steps * pats.shape[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=6)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tune_allocator()
    pats = hf.random_patterns(160, 100, 0, batch=(args.batch,), dtype=np.float32)
    for case in CASES:  # warm-up: compile and allocate
        ms_per_step(*case, pats, 2, 0)
    times: dict[tuple[str, str, str], list[float]] = {c: [] for c in CASES}
    for r in range(args.repeats):
        for case in CASES:
            times[case].append(ms_per_step(*case, pats, args.steps, r + 1))
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"train(): N = 100, M = 160, float32, batch {args.batch}, {args.steps} steps x "
          f"{args.repeats} interleaved repeats; {platform.processor() or platform.machine()}, "
          f"OPENBLAS_NUM_THREADS={threads}")  # fmt: skip
    base = statistics.median(times[CASES[0]])
    print(f"{'binning':<10}{'gradient':<11}{'kernel':<8}{'ms/network-step':>17}{'x fixed':>9}")
    for case, ts in times.items():
        med = statistics.median(ts)
        gradient = case[1] if case[0] == "soft" else "-"
        print(f"{case[0]:<10}{gradient:<11}{case[2]:<8}{med:>17.2f}{med / base:>9.1f}")


if __name__ == "__main__":
    main()
