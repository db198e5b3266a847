"""Time synchronous recall of many cues in one network, and a whole Hebbian capacity curve.

    python benchmarks/bench_recall.py [--cues 10000] [--neurons 100] [--repeats 5]

Recall is one batched matrix product per synchronous step over all cues (no Python loop per
pattern). Prints medians over repeats, measured side by side in one run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from infobook import hopfield as hf


def median_time(fn, repeats: int) -> tuple[float, float, float]:
    fn()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return statistics.median(t), min(t), max(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--cues", type=int, default=10_000)
    ap.add_argument("--neurons", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    n = args.neurons
    print(f"machine: {platform.machine()}, numpy {np.__version__}; N = {n}, {args.repeats} repeats")
    print(f"{'case':<52} {'median s':>9} {'min s':>8} {'max s':>8}")
    for alpha in (0.05, 0.14, 0.5):
        m = max(1, round(alpha * n))
        for dtype in (np.float32, np.float64):
            pats = hf.random_patterns(m, n, args.seed, dtype=dtype)
            w = hf.hebbian_weights(pats)
            idx = np.random.default_rng(args.seed).integers(0, m, args.cues)
            cues = hf.corrupt(pats[idx], n // 10, seed=args.seed)
            med, lo, hi = median_time(lambda w=w, cues=cues: hf.recall(w, cues), args.repeats)
            label = f"recall {args.cues} cues (10% flipped), alpha={alpha}, {np.dtype(dtype).name}"
            print(f"{label:<52} {med:>9.3f} {lo:>8.3f} {hi:>8.3f}")
    med, lo, hi = median_time(
        lambda: hf.capacity_scan("hebbian", n, None, 20), max(1, args.repeats // 2)
    )
    print(
        f"{'Hebbian capacity curve, 41 loads x 20 networks':<52} {med:>9.3f} {lo:>8.3f} {hi:>8.3f}"
    )


if __name__ == "__main__":
    main()
