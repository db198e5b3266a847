"""Command line of infobook: long runs outside notebooks.

    python -m infobook capacity --goal redundancy --neurons 100 --seeds 20 --out results.nc
    python -m infobook baselines --neurons 100 --seeds 20 --out baselines.nc

Results are written after every load (atomically); rerunning the same command resumes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def _goal(text: str):
    parts = [p for p in text.replace(" ", "").split(",") if p]
    if len(parts) == 5:
        try:
            return [float(p) for p in parts]
        except ValueError:
            pass
    return text


def _alphas(text: str | None):
    if text is None:
        return None
    if ":" in text:
        lo, hi, step = (float(x) for x in text.split(":"))
        return np.round(np.arange(lo, hi + step / 2, step), 6)
    return [float(x) for x in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infobook", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("capacity", help="capacity curve of infomorphic networks, with resume")
    c.add_argument(
        "--goal",
        default="redundancy",
        help="goal name (redundancy, mutual_information, coinformation, optimized_i, "
        "optimized_ii) or five weights 'unq_T,unq_R,red,syn,res'",
    )
    c.add_argument("--neurons", type=int, default=100)
    c.add_argument("--seeds", type=int, default=20, help="seeds 0 .. SEEDS-1")
    c.add_argument(
        "--alphas", default=None, help="'lo:hi:step' or a comma list (default 0.01:2.01:0.05)"
    )
    c.add_argument("--epochs", type=int, default=5000)
    c.add_argument("--lr", type=float, default=0.05)
    c.add_argument("--w-teach", type=float, default=2.3)
    c.add_argument("--bins", type=int, default=60)
    c.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    c.add_argument("--out", type=Path, required=True, help="results file (netCDF)")
    b = sub.add_parser(
        "baselines", help="capacity and noisy-cue recall of the baseline rules, with resume"
    )
    b.add_argument(
        "--rules",
        default=None,
        help="comma list of rule names (default: hebbian, pseudo_inverse, storkey, descent_l2, "
        "lp_optimum, krauth_mezard, adatron, mpf)",
    )
    b.add_argument("--neurons", type=int, default=100)
    b.add_argument("--seeds", type=int, default=20, help="seeds 0 .. SEEDS-1")
    b.add_argument(
        "--alphas", default=None, help="'lo:hi:step' or a comma list (default 0.01:2.01:0.05)"
    )
    b.add_argument("--mpf-steps", type=int, default=40_000)
    b.add_argument("--out", type=Path, required=True, help="results file (netCDF)")
    args = parser.parse_args(argv)
    if args.command == "baselines":
        from .hopfield import capacity_from_scan  # noqa: PLC0415
        from .runs import BASELINE_RULES, baseline_scan, run_baselines  # noqa: PLC0415

        rules = BASELINE_RULES if args.rules is None else args.rules.replace(" ", "").split(",")
        ds = run_baselines(
            args.out,
            rules,
            args.neurons,
            args.seeds,
            _alphas(args.alphas),
            mpf_steps=args.mpf_steps,
        )
        for flip in (0.0, 0.1, 0.2):
            ac = capacity_from_scan(baseline_scan(ds, flip))
            text = ", ".join(
                f"{r} {float(ac.sel(rule=r).mean()):.3f} +- {float(ac.sel(rule=r).std()):.3f}"
                for r in ac.rule.values
            )
            print(f"alpha_c, {flip:.0%} of the cue flipped: {text}")
        print(f"total {float(ds.seconds.sum()):.0f} s; saved {args.out}")
    if args.command == "capacity":
        from .hopfield import capacity_from_scan  # noqa: PLC0415
        from .runs import run_capacity  # noqa: PLC0415

        ds = run_capacity(
            args.out,
            _goal(args.goal),
            args.neurons,
            args.seeds,
            _alphas(args.alphas),
            epochs=args.epochs,
            lr=args.lr,
            w_teach=args.w_teach,
            bins_r=args.bins,
            dtype=args.dtype,
        )
        ac = capacity_from_scan(ds)
        print(
            f"alpha_c = {float(ac.mean()):.3f} +- {float(ac.std()):.3f} (mean +- sd over "
            f"{ac.sizes['seed']} seeds); total {float(ds.seconds.sum()):.0f} s; saved {args.out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
