"""Network-steps per second of infomorphic training, and the wall time of a capacity curve.

    python benchmarks/bench_infomorphic.py          # steps/s, N = 100, M = 160, batches 1, 20, 820
    python benchmarks/bench_infomorphic.py --scaling  # and cost and memory against N and M
    python benchmarks/bench_infomorphic.py --curve  # and time a whole G = red capacity curve
                                                    # (41 loads x 20 seeds x <= 5000 steps)
    python benchmarks/bench_infomorphic.py --train  # only train() itself against the peer

Run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for the one-core comparison (the peer uses
as many threads as OMP_NUM_THREADS, default 1). One network-step is one full-batch evaluation of
the goal and its gradient plus one Adam update for one network. Medians over repeats, all cases
measured side by side in one run, their repeats interleaved (the PyTorch peer of
benchmarks/peer_torch.py when torch is installed). Without
--curve, the wall time of the curve recorded by `python -m infobook capacity` in
book/results/capacity_redundancy_N100.nc is printed when that file exists.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from infobook import hopfield as hf
from infobook import infomorphic as im
from infobook.backend import tune_allocator


def steps_per_second(
    batch: int, n: int, m: int, steps: int, rounds, dtype, kernel: str = "auto"
) -> list[float] | None:
    """Network-steps per second of infobook, one rate per round (initial weights seeded by the
    round; round 0 is a warm-up and not reported)."""
    pats = hf.random_patterns(m, n, 0, batch=(batch,), dtype=dtype)
    rates = []
    for r in rounds:
        w = im.initial_weights(n, r, batch=(batch,), dtype=dtype)
        opt = im.Adam()
        t0 = time.perf_counter()
        for _ in range(steps):
            _, g = im.goal_and_gradient(w, pats, "redundancy", kernel=kernel)
            w = opt.step(w, g)
        if r:  # the first round is a warm-up
            rates.append(batch * steps / (time.perf_counter() - t0))
    return rates


def peer_steps_per_second(batch: int, n: int, m: int, steps: int, rounds, dtype):
    """The same step with PyTorch autograd (benchmarks/peer_torch.py), or None without torch."""
    try:
        import peer_torch
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    from infobook.pid import goal_vector

    pats = hf.random_patterns(m, n, 0, batch=(batch,), dtype=dtype)
    rates = []
    for r in rounds:
        trainer = peer_torch.PeerTrainer(
            im.initial_weights(n, r, batch=(batch,), dtype=dtype), pats, goal_vector("redundancy")
        )
        t0 = time.perf_counter()
        for _ in range(steps):
            trainer.step()
        if r:
            rates.append(batch * steps / (time.perf_counter() - t0))
    return rates


def peak_memory(batch: int, n: int, m: int, dtype, kernel: str = "array") -> int:
    """Peak bytes allocated by NumPy during one goal-and-gradient evaluation (tracemalloc; the
    fused kernel's scratch arrays count when they are made, not when reused by a later step)."""
    import tracemalloc

    pats = hf.random_patterns(m, n, 0, batch=(batch,), dtype=dtype)
    w = im.initial_weights(n, 0, batch=(batch,), dtype=dtype) * 1000
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        im.goal_and_gradient(w, pats, "redundancy", kernel=kernel)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def scaling(repeats: int) -> None:
    """Cost per network-step and memory against the network size N (M = 1.6 N) and the number
    of patterns M (N = 100), one network, float32, with the default kernel."""
    print()
    print("default kernel: fused (NumPy arrays)")
    print(f"{'N':>5} {'M':>5} {'ms/net-step':>12} {'peak MiB':>9} {'estimate MiB':>13}")
    cases = [(n, int(1.6 * n)) for n in (100, 200, 500, 1000)]
    cases += [(100, m) for m in (40, 80, 320)]
    for n, m in cases:
        steps = max(2, int(3000 / n))
        rate = statistics.median(steps_per_second(1, n, m, steps, range(repeats + 1), np.float32))
        peak = peak_memory(1, n, m, np.float32, kernel="auto")
        est = im.step_memory(n, m, dtype=np.float32)
        print(f"{n:>5} {m:>5} {1e3 / rate:>12.2f} {peak / 2**20:>9.1f} {est / 2**20:>13.1f}")


def train_ms(batch: int, n: int, m: int, steps: int, seed: int, kernel: str) -> float:
    """Milliseconds per network-step of ``infomorphic.train`` itself: the whole loop (goal and
    gradient, Adam, the recall at its two checkpoints, steps 1 and ``steps``), no early stop."""
    pats = hf.random_patterns(m, n, 0, batch=(batch,), dtype=np.float32)
    training = im.Training(epochs=steps, n_checkpoints=2, early_stop=False, kernel=kernel)
    t0 = time.perf_counter()
    im.train(pats, "redundancy", training=training, seed=seed)
    return 1e3 * (time.perf_counter() - t0) / (steps * batch)


def peer_train_ms(batch: int, n: int, m: int, steps: int, seed: int) -> float | None:
    """The peer's loop of ``steps`` autograd Adam steps (no recall), ms per network-step."""
    rates = peer_steps_per_second(batch, n, m, steps, [seed], np.float32)
    return None if rates is None else 1e3 / rates[0]


def train_loop(n: int, m: int, steps: int, repeats: int, batches: tuple[int, ...]) -> None:
    """The training loop as users see it, ``train()``, against the peer, repeats interleaved."""
    print()
    print(f"train(): N = {n}, M = {m}, float32, {steps} steps, 2 checkpoints, no early stop, "
          f"{repeats} interleaved repeats")  # fmt: skip
    print(f"{'case':<40} {'median':>8} {'min':>7} {'max':>7}  ms/network-step")
    for batch in batches:
        cases = {
            "train(), default kernel (fused)": lambda s, b=batch: train_ms(
                b, n, m, steps, s, "auto"
            ),
            "train(), array program": lambda s, b=batch: train_ms(b, n, m, steps, s, "array"),
            "peer/PyTorch step loop": lambda s, b=batch: peer_train_ms(b, n, m, steps, s),
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        for r in range(repeats + 1):  # round 0 is a warm-up
            for who, fn in cases.items():
                got = fn(r + 1)
                if r and got is not None:
                    times[who].append(got)
        for who, ts in times.items():
            if ts:
                med = statistics.median(ts)
                print(f"{who + f', batch {batch}':<40} {med:>8.3f} {min(ts):>7.3f} {max(ts):>7.3f}")
        ours = statistics.median(times["train(), default kernel (fused)"])
        peer = times["peer/PyTorch step loop"]
        if peer:
            print(f"ratio peer/train(), batch {batch}: {statistics.median(peer) / ours:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, default=100)
    ap.add_argument("--patterns", type=int, default=160)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--batches", default="1,20,820", help="comma-separated batch sizes (default 1,20,820)"
    )
    ap.add_argument("--curve", action="store_true", help="time a whole G = red capacity curve")
    ap.add_argument("--scaling", action="store_true", help="cost and memory against N and M")
    ap.add_argument(
        "--train", action="store_true",
        help="only the training loop train() against the peer (batches 6 and 20, 300 steps)",
    )  # fmt: skip
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"N = {args.neurons}, M = {args.patterns}, {args.steps} steps x {args.repeats} repeats")
    print(f"allocator: {tune_allocator()}")
    if args.train:
        train_loop(args.neurons, args.patterns, 300, args.repeats, (6, 20))
        return
    print(f"{'case':<36} {'net-steps/s':>11} {'min':>8} {'max':>8} {'ms/net-step':>12}")
    medians = {}
    for dtype in (np.float32, np.float64):
        for batch in [int(b) for b in args.batches.split(",")]:
            steps = max(2, args.steps * 20 // batch) if batch > 20 else args.steps
            reps = min(args.repeats, 2) if batch > 20 else args.repeats
            cases = [
                ("infobook/fused", lambda *a: steps_per_second(*a, kernel="fused")),
                ("infobook/NumPy", lambda *a: steps_per_second(*a, kernel="array")),
                ("peer/PyTorch", peer_steps_per_second),
            ]
            # rounds interleaved over the cases, so that a slow spell of a shared machine
            # falls on all of them alike; round 0 is a warm-up
            rates: dict[str, list[float]] = {}
            for r in range(reps + 1):
                for who, fn in cases:
                    got = fn(batch, args.neurons, args.patterns, steps, [r], dtype)
                    if got is not None:
                        rates.setdefault(who, []).extend(got)
            for who, _ in cases:
                r = rates.get(who)
                if not r:
                    continue
                med = statistics.median(r)
                medians[(who, batch, np.dtype(dtype).name)] = med
                label = f"{who}, batch {batch}, {np.dtype(dtype).name}"
                print(f"{label:<36} {med:>11.0f} {min(r):>8.0f} {max(r):>8.0f} {1e3 / med:>12.2f}")
    for (who, batch, dt), med in medians.items():
        peer = medians.get(("peer/PyTorch", batch, dt))
        if who.startswith("infobook/") and peer:
            print(f"ratio {who}/peer, batch {batch}, {dt}: {med / peer:.2f}x")
    per = im.step_memory(args.neurons, args.patterns, dtype=np.float32)
    peak20 = peak_memory(20, args.neurons, args.patterns, np.float32)
    fused20 = peak_memory(20, args.neurons, args.patterns, np.float32, kernel="auto")
    chunks = -(-820 * per // im.MAX_MEMORY)
    print(
        f"memory, float32: measured peak of one step for a batch of 20: {peak20 / 2**20:.0f} MiB "
        f"(array path), {fused20 / 2**20:.0f} MiB (default kernel); "
        f"estimate for 820 networks: {820 * per / 2**30:.2f} GiB "
        f"(budget {im.MAX_MEMORY / 2**30:.0f} GiB: {chunks} chunk(s))"
    )
    if args.scaling:
        scaling(args.repeats)
    if args.curve:
        from infobook.experiments import run_capacity
        from infobook.hopfield import capacity_from_scan

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            ds = run_capacity(Path(tmp) / "curve.nc", "redundancy", args.neurons, 20)
            wall = time.perf_counter() - t0
        ac = capacity_from_scan(ds)
        print(
            f"whole G = red curve (41 loads x 20 seeds): {wall / 60:.1f} min, "
            f"alpha_c = {float(ac.mean()):.3f} +- {float(ac.std()):.3f}"
        )
    else:
        path = (
            Path(__file__).resolve().parents[1] / "book" / "results" / "capacity_redundancy_N100.nc"
        )
        if path.exists():
            from infobook.experiments import load_results

            ds = load_results(path)
            done = int(ds.done.sum())
            print(
                f"recorded run {path.name}: {done}/{ds.sizes['alpha']} loads, "
                f"{float(ds.seconds.sum()) / 60:.1f} min of training (see its settings attribute)"
            )


if __name__ == "__main__":
    main()
