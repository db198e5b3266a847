"""Command line of infobook: long runs outside notebooks.

    python -m infobook capacity --goal redundancy --neurons 100 --seeds 20 --out results.nc
    python -m infobook baselines --neurons 100 --seeds 20 --out baselines.nc
    python -m infobook ceiling --sizes 50,100,200,500 --seeds 10 --out ceiling.nc
    python -m infobook landscape --neurons 100 --seeds 6 --out landscape.nc [--scheduler ADDRESS]
    python -m infobook optimise --trials 200 --sampler tpe --storage sqlite:///study.db

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


def _client(address: str | None):
    if address is None:
        return None, None
    from distributed import Client, LocalCluster  # noqa: PLC0415

    if address.startswith("local:"):
        cluster = LocalCluster(
            n_workers=int(address.split(":")[1]), threads_per_worker=1, dashboard_address=None
        )
        return Client(cluster), cluster
    return Client(address), None


def _sweep_command(args) -> int:
    from . import sweeps  # noqa: PLC0415

    alphas = _alphas(args.alphas)
    spec = sweeps.CapacitySpec(
        n_neurons=args.neurons,
        seeds=tuple(range(args.seeds)),
        epochs=args.epochs,
        stop_after=args.stop_after,
        refine=args.refine,
        **({} if alphas is None else {"alphas": tuple(float(a) for a in alphas)}),
    )
    client, cluster = _client(args.scheduler)
    try:
        if args.command == "landscape":
            values = [float(v) for v in args.values.split(",")]
            if args.slice:
                center, axes = args.slice.split(":")
                goals = sweeps.goal_slice(_goal(center), tuple(axes.split(",")), values)
            else:
                res = None if args.res == "all" else float(args.res)
                goals = sweeps.goal_grid(values, res)
            ds = sweeps.run_sweep(args.out, goals, spec, client=client)
            med = sweeps.sweep_median(ds)
            best = int(np.nanargmax(med.values))
            gamma = [float(med[a][best]) for a in sweeps.ATOMS]
            print(
                f"{int(ds.done.sum())}/{ds.sizes['goal']} goals done, "
                f"{float(ds.seconds.sum()) / 3600:.2f} h of work; best median alpha_c "
                f"{float(med[best]):.3f} at {gamma}; saved {args.out}"
            )
        else:
            study = sweeps.optimise_goal(
                args.trials,
                spec,
                sampler=args.sampler,
                storage=args.storage,
                study_name=args.study,
                seed=args.seed,
                client=client,
            )
            print(
                f"best median alpha_c {study.best_value:.3f} at {study.best_params} "
                f"({len(study.trials)} trials in {args.storage})"
            )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return 0


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
        "lp_optimum, krauth_mezard, adatron, max_stability, mpf); 'infomorphic:GOAL' trains "
        "infomorphic networks on GOAL (a goal name) for --epochs steps",
    )
    b.add_argument("--epochs", type=int, default=5000, help="Adam steps of infomorphic rules")
    b.add_argument("--neurons", type=int, default=100)
    b.add_argument("--seeds", type=int, default=20, help="seeds 0 .. SEEDS-1")
    b.add_argument(
        "--alphas", default=None, help="'lo:hi:step' or a comma list (default 0.01:2.01:0.05)"
    )
    b.add_argument("--mpf-steps", type=int, default=40_000)
    b.add_argument("--out", type=Path, required=True, help="results file (netCDF)")
    b.add_argument(
        "--reuse",
        type=Path,
        action="append",
        default=[],
        help="results file of another baselines run with the same settings whose finished "
        "entries are taken instead of computed (repeatable; a later file wins)",
    )
    ceil = sub.add_parser(
        "ceiling", help="exact fixed-point capacity (every neuron separable) against N, with resume"
    )
    ceil.add_argument("--sizes", default="50,100,200,500", help="comma list of network sizes")
    ceil.add_argument("--seeds", type=int, default=10, help="seeds 0 .. SEEDS-1")
    ceil.add_argument("--max-load", type=float, default=2.4, help="patterns drawn: MAX_LOAD * N")
    ceil.add_argument("--out", type=Path, required=True, help="results file (netCDF)")
    for name, text in [
        ("landscape", "capacity over a grid of goals (or a 2-D slice), resumable, on dask"),
        ("optimise", "Optuna search for the goal of largest capacity, persisted, on dask"),
    ]:
        q = sub.add_parser(name, help=text)
        q.add_argument("--neurons", type=int, default=100)
        q.add_argument("--seeds", type=int, default=6, help="seeds 0 .. SEEDS-1")
        q.add_argument(
            "--alphas", default=None, help="'lo:hi:step' or a comma list (default 0.01:2.01:0.05)"
        )
        q.add_argument("--epochs", type=int, default=5000)
        q.add_argument(
            "--stop-after",
            type=int,
            default=2,
            help="stop a goal's scan once every seed failed this many loads in a row",
        )
        q.add_argument(
            "--refine",
            action="store_true",
            help="bisect each edge to one pattern (always on for optimise)",
        )
        q.add_argument(
            "--scheduler",
            default=None,
            help="address of a dask.distributed scheduler (tcp://host:8786); 'local:K' starts a "
            "local cluster of K worker processes; default: in-process",
        )
    land = sub.choices["landscape"]
    land.add_argument("--values", default="-1,-0.5,0,0.5,1", help="grid values of each weight")
    land.add_argument(
        "--res", default="0", help="fixed weight of H_res, or 'all' to vary it over --values too"
    )
    land.add_argument(
        "--slice",
        default=None,
        help="instead of the grid: a 2-D slice 'CENTER:AXIS1,AXIS2' around a goal name or five "
        "weights, e.g. 'redundancy:unq_R,syn' (values from --values)",
    )
    land.add_argument("--out", type=Path, required=True, help="results file (netCDF)")
    opt = sub.choices["optimise"]
    opt.add_argument("--trials", type=int, default=200)
    opt.add_argument("--sampler", default="tpe", choices=["tpe", "cmaes"])
    opt.add_argument("--storage", default="sqlite:///goal_study.db", help="Optuna storage URL")
    opt.add_argument("--study", default="goal-capacity", help="study name")
    opt.add_argument("--seed", type=int, default=0, help="seed of the sampler")
    args = parser.parse_args(argv)
    if args.command in ("landscape", "optimise"):
        return _sweep_command(args)
    if args.command == "baselines":
        from .hopfield import capacity_from_scan, get_rule  # noqa: PLC0415
        from .runs import BASELINE_RULES, baseline_scan, run_baselines  # noqa: PLC0415

        names = BASELINE_RULES if args.rules is None else args.rules.replace(" ", "").split(",")
        rules = {}
        for name in names:
            if name.startswith("infomorphic:"):
                from .infomorphic import make_rule  # noqa: PLC0415

                goal = _goal(name.split(":", 1)[1])
                label = goal if isinstance(goal, str) else ",".join(f"{g:g}" for g in goal)
                rules[f"G = {label} ({args.epochs} epochs)"] = make_rule(goal, epochs=args.epochs)
            else:
                rules[name] = get_rule(name)[1]
        ds = run_baselines(
            args.out,
            rules,
            args.neurons,
            args.seeds,
            _alphas(args.alphas),
            mpf_steps=args.mpf_steps,
            reuse=args.reuse,
        )
        for flip in (0.0, 0.1, 0.2):
            ac = capacity_from_scan(baseline_scan(ds, flip))
            text = ", ".join(
                f"{r} {float(ac.sel(rule=r).mean()):.3f} +- {float(ac.sel(rule=r).std()):.3f}"
                for r in ac.rule.values
            )
            print(f"alpha_c, {flip:.0%} of the cue flipped: {text}")
        print(f"total {float(ds.seconds.sum()):.0f} s; saved {args.out}")
    if args.command == "ceiling":
        from .rules import cover_network_capacity  # noqa: PLC0415
        from .runs import run_fixed_point_ceiling  # noqa: PLC0415

        sizes = [int(n) for n in args.sizes.replace(" ", "").split(",") if n]
        ds = run_fixed_point_ceiling(args.out, sizes, args.seeds, max_load=args.max_load)
        for n in sizes:
            ac = ds.alpha_c.sel(n_neurons=n)
            print(
                f"N = {n}: alpha_c = {float(ac.mean()):.3f} +- {float(ac.std()):.3f} (median "
                f"{float(ac.median()):.3f}; Cover, P(all) = 0.5: "
                f"{cover_network_capacity(n, 0.5):.3f})"
            )
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
