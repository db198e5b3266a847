"""Command line of infobook: long runs outside notebooks.

    python -m infobook capacity --goal redundancy --neurons 100 --seeds 20 --out results.nc
    python -m infobook baselines --neurons 100 --seeds 20 --out baselines.nc
    python -m infobook ceiling --sizes 50,100,200,500 --seeds 10 --out ceiling.nc
    python -m infobook landscape --neurons 100 --seeds 6 --out landscape.nc [--scheduler ADDRESS]
    python -m infobook optimise --trials 200 --sampler tpe --storage sqlite:///study.db

Results are written after every finished entry (atomically); rerunning the same command resumes.
Every value is parsed and checked here, once; a bad one is answered with one line and exit
status 2 (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .backend import BACKEND_CHOICES, BackendUnavailableError
from .histogram import BINNINGS
from .neuron import SOFT_GRADIENTS

#: Cost of one network-step (ms) per binning, used for the estimates printed before a run
#: (N = 100, M = 160, one core; measured in benchmarks/RESULTS.md).
MS_PER_NETWORK_STEP = {"fixed": 0.5, "adaptive": 0.55, "soft": 3.5}


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Defaults in the help (where there is one to show), descriptions as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, argparse.SUPPRESS, False, [])
        if shown and "(default" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the usage is one ``--help`` away)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _goal(text: str):
    parts = [p for p in text.replace(" ", "").split(",") if p]
    if len(parts) == 5:
        try:
            return [float(p) for p in parts]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"a goal of five weights must be numbers 'unq_T,unq_R,red,syn,res', got {text!r}"
            ) from None
    if len(parts) != 1:
        raise argparse.ArgumentTypeError(
            f"give a goal name or five weights 'unq_T,unq_R,red,syn,res', got {text!r}"
        )
    from .pid import Goal

    try:
        return Goal.parse(text).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), got {text!r}")
    return value


def _start_goals(text: str) -> list[tuple[str, float | None]]:
    from .pid import NAMED_GOALS

    out = []
    for item in (t for t in text.split(",") if t):
        name, _, flips = item.partition("@")
        if name not in NAMED_GOALS:
            raise argparse.ArgumentTypeError(
                f"unknown goal {name!r}; choose among {', '.join(NAMED_GOALS)}"
            )
        out.append((name, _fraction(flips) if flips else None))
    return out


def _fraction_range(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected 'lo,hi', got {text!r}")
    lo, hi = (_fraction(p) for p in parts)
    if lo > hi:
        raise argparse.ArgumentTypeError(f"expected lo <= hi, got {text!r}")
    return lo, hi


def _alphas(text: str):
    """'lo:hi:step' or a comma list of loads, each > 0."""
    try:
        if ":" in text:
            lo, hi, step = (float(x) for x in text.split(":"))
        else:
            values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"loads are 'lo:hi:step' or a comma list of numbers, got {text!r}"
        ) from None
    if ":" in text:
        if not (np.isfinite([lo, hi, step]).all() and step > 0):
            raise argparse.ArgumentTypeError(f"the step of 'lo:hi:step' must be > 0, got {text!r}")
        if not 0 < lo <= hi:
            raise argparse.ArgumentTypeError(
                f"'lo:hi:step' needs 0 < lo <= hi (loads are M / N > 0), got {text!r}"
            )
        values = np.round(np.arange(lo, hi + step / 2, step), 6).tolist()
    if not values or not all(np.isfinite(v) and v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"loads must be numbers > 0, got {text!r}")
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise argparse.ArgumentTypeError(f"loads must be ascending without repeats, got {text!r}")
    return values


def _rules(text: str) -> list[str]:
    """A comma list of rule names of ``infobook.rules.RULES`` or ``infomorphic:GOAL``, GOAL a
    goal name or five weights in brackets, ``infomorphic:[unq_T,unq_R,red,syn,res]``."""
    import re

    from .rules import RULES

    names = [r for r in re.split(r",(?![^\[]*\])", text.replace(" ", "")) if r]
    if not names:
        raise argparse.ArgumentTypeError("the list of rules is empty")
    for name in names:
        if name.startswith("infomorphic:"):
            _rule_goal(name)
        elif name not in RULES:
            raise argparse.ArgumentTypeError(
                f"unknown learning rule {name!r}; choose from {', '.join(sorted(RULES))} or "
                "infomorphic:GOAL (a goal name or five weights '[unq_T,unq_R,red,syn,res]')"
            )
    return names


def _rule_goal(name: str):
    """The goal of an ``infomorphic:GOAL`` rule: a name, or five weights in brackets."""
    goal = name.split(":", 1)[1]
    if goal.startswith("[") != goal.endswith("]"):
        raise argparse.ArgumentTypeError(f"unbalanced brackets in the rule {name!r}")
    if goal.startswith("["):
        weights = _goal(goal[1:-1])
        if not isinstance(weights, list):
            raise argparse.ArgumentTypeError(
                f"brackets hold five weights 'unq_T,unq_R,red,syn,res', got {goal!r}"
            )
        return weights
    try:
        float(goal)
        bare_number = True
    except ValueError:
        bare_number = False
    if "," in goal or bare_number:
        raise argparse.ArgumentTypeError(
            f"five goal weights in a list of rules go in brackets, "
            f"infomorphic:[unq_T,unq_R,red,syn,res]; got {name!r}"
        )
    return _goal(goal)


def _number_list(kind: type, what: str):
    """A parser of comma lists of ``kind`` (int or float), non-empty and finite."""

    def parse(text: str) -> list:
        try:
            values = [kind(x) for x in text.replace(" ", "").split(",") if x]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a comma list of {what}, got {text!r}"
            ) from None
        if not values or not all(np.isfinite(values)):
            raise argparse.ArgumentTypeError(
                f"expected a comma list of finite {what}, got {text!r}"
            )
        return values

    return parse


_int_list = _number_list(int, "integers")
_float_list = _number_list(float, "numbers")


def _results_path(text: str) -> Path:
    path = Path(text)
    if path.suffix != ".nc":
        raise argparse.ArgumentTypeError(
            f"results are netCDF files: the name must end in .nc, got {text!r}"
        )
    return path


def _slice(text: str):
    """'CENTER:AXIS1,AXIS2'."""
    from .atoms import NEURON

    if text.count(":") != 1:
        raise argparse.ArgumentTypeError(
            f"a slice is 'CENTER:AXIS1,AXIS2', e.g. 'redundancy:unq_R,syn', got {text!r}"
        )
    center, axes_text = text.split(":")
    axes = tuple(a for a in axes_text.replace(" ", "").split(",") if a)
    if len(axes) != 2 or len(set(axes)) != 2 or any(a not in NEURON for a in axes):
        raise argparse.ArgumentTypeError(
            f"a slice needs two different axes of {', '.join(NEURON)}, got {axes_text!r}"
        )
    return _goal(center), axes


def _client(address: str | None):
    if address is None:
        return None, None
    from distributed import Client, LocalCluster

    if address.startswith("local:"):
        cluster = LocalCluster(
            n_workers=int(address.split(":")[1]), threads_per_worker=1, dashboard_address=None
        )
        return Client(cluster), cluster
    return Client(address), None


def _estimate(network_steps: float, binning: str = "fixed", n_neurons: int = 100) -> str:
    """The cost of a run, from the measured cost of a step at N = 100, M = 160, scaled by
    N^2 (a step's work grows as N M, and the loads as M ~ N)."""
    scale = (n_neurons / 100) ** 2
    hours = network_steps * MS_PER_NETWORK_STEP[binning] * scale / 1000 / 3600
    when = f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"
    return f"at most {network_steps:,.0f} network-steps, up to about {when} on one core"


def _training_options(args) -> dict:
    return {
        "epochs": args.epochs,
        "lr": args.lr,
        "w_teach": args.w_teach,
        "bins_r": args.bins,
        "binning": args.binning,
        "soft_gradient": args.soft_gradient,
        "optimizer": args.optimizer,
        "learn_teach": args.learn_teach,
        "recall": args.recall,
        "dtype": args.dtype,
    }


def _sweep_command(args) -> int:
    from .experiments import sweeps
    from .experiments.settings import SweepSettings, parse_alphas
    from .infomorphic import Training

    spec = SweepSettings(
        n_neurons=args.neurons,
        seeds=args.seeds,
        alphas=tuple(parse_alphas(args.alphas).tolist()),
        training=Training(**_training_options(args), cue_flips=args.cue_flips),
        stop_after=args.stop_after,
        refine=args.refine,
        search=args.search,
        recall_flips=args.recall_flips,
    )
    client, cluster = _client(args.scheduler)
    try:
        if args.command == "landscape":
            if args.slice:
                center, axes = args.slice
                goals = sweeps.goal_slice(center, axes, args.values)
            else:
                res = None if args.res == "all" else float(args.res)
                goals = sweeps.goal_grid(args.values, res)
            loads = len(spec.alphas)
            if args.search == "bisect":
                loads = int(np.ceil(np.log2(loads))) + 2
            steps = len(goals) * len(args.seeds) * loads * args.epochs
            cost = _estimate(steps, args.binning, args.neurons)
            print(f"landscape of {len(goals)} goals x {len(args.seeds)} seeds: {cost}")
            ds = sweeps.run_sweep(args.out, goals, spec, client=client, backend=args.backend)
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
                train_flips=args.search_train_flips,
                start=args.start,
                backend=args.backend,
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


def _capacity_command(args) -> int:
    from .experiments import capacity_settings, run_capacity
    from .experiments.capacity import capacity_from_bisection
    from .experiments.settings import parse_alphas
    from .hopfield import capacity_from_scan

    settings = capacity_settings(
        args.goal, args.neurons, args.seeds, args.search, **_training_options(args)
    )
    alphas = parse_alphas(args.alphas)
    loads = len(alphas) if args.search == "scan" else int(np.ceil(np.log2(len(alphas)))) + 2
    steps = loads * len(args.seeds) * args.epochs
    print(f"capacity of {settings.goal.label}: {loads} loads x {len(args.seeds)} networks, "
          f"{_estimate(steps, args.binning, args.neurons)} (early stops make it less)")  # fmt: skip
    ds = run_capacity(
        args.out, alphas=alphas, settings=settings, backend=args.backend,
        retrain_nonfinite=args.retrain_nonfinite,
    )  # fmt: skip
    ac = capacity_from_scan(ds) if args.search == "scan" else capacity_from_bisection(ds)
    print(
        f"alpha_c = {float(ac.mean()):.3f} +- {float(ac.std()):.3f} (mean +- sd over "
        f"{ac.sizes['seed']} seeds); total {float(ds.seconds.sum()):.0f} s; saved {args.out}"
    )
    return 0


def _baselines_command(args) -> int:
    from .experiments import BASELINE_RULES, baseline_scan, run_baselines
    from .hopfield import capacity_from_scan
    from .rules import get_rule

    names = BASELINE_RULES if args.rules is None else args.rules
    rules = {}
    for name in names:
        if name.startswith("infomorphic:"):
            from .infomorphic import make_rule

            goal = _rule_goal(name)  # a goal name or five weights
            shown = goal if isinstance(goal, str) else "[" + ", ".join(f"{w:g}" for w in goal) + "]"
            label = f"G = {shown} ({args.epochs} epochs"
            label += f", {args.cue_flips:.0%} cue flips)" if args.cue_flips else ")"
            if label in rules:
                raise ValueError(f"two rules of --rules are both {label!r}: give each once")
            rules[label] = make_rule(goal, epochs=args.epochs, cue_flips=args.cue_flips)
        else:
            rules[name] = get_rule(name)[1]
    ds = run_baselines(
        args.out,
        rules,
        args.neurons,
        args.seeds,
        args.alphas,
        mpf_steps=args.mpf_steps,
        markov=args.markov,
        stop_after=args.stop_after,
        reuse=args.reuse,
        backend=args.backend,
    )
    for flip in (0.0, 0.1, 0.2):
        ac = capacity_from_scan(baseline_scan(ds, flip))
        text = ", ".join(
            f"{r} {float(ac.sel(rule=r).mean()):.3f} +- {float(ac.sel(rule=r).std()):.3f}"
            for r in ac.rule.values
        )
        print(f"alpha_c, {flip:.0%} of the cue flipped: {text}")
    print(f"total {float(ds.seconds.sum()):.0f} s; saved {args.out}")
    return 0


def _ceiling_command(args) -> int:
    from .experiments import run_fixed_point_ceiling
    from .rules import cover_network_capacity

    ds = run_fixed_point_ceiling(
        args.out, args.sizes, args.seeds, max_load=args.max_load, markov=args.markov,
        backend=args.backend,
    )  # fmt: skip
    for n in args.sizes:
        ac = ds.alpha_c.sel(n_neurons=n)
        print(
            f"N = {n}: alpha_c = {float(ac.mean()):.3f} +- {float(ac.std()):.3f} (median "
            f"{float(ac.median()):.3f}; Cover, P(all) = 0.5: "
            f"{cover_network_capacity(n, 0.5):.3f})"
        )
    print(f"total {float(ds.seconds.sum()):.0f} s; saved {args.out}")
    return 0


def _measures_command(args) -> int:
    from .experiments import MeasureSettings, run_measures
    from .experiments.settings import parse_alphas
    from .infomorphic import Training

    alphas = {} if args.alphas is None else {"alphas": tuple(parse_alphas(args.alphas).tolist())}
    settings = MeasureSettings(
        n_neurons=args.neurons, seeds=args.seeds, analysed=args.analysed,
        measures=tuple(args.measures), goal=args.goal,
        training=Training(**_training_options(args)), **alphas,
    )  # fmt: skip
    ds = run_measures(args.out, settings, backend=args.backend)
    red = ds.bits.sel(atom="red").mean(("seed", "neuron"))
    for measure in settings.measures:
        values = ", ".join(f"{v:.2f}" for v in red.sel(measure=measure).values)
        print(f"red under {measure} against the load: {values}")
    print(f"total {float(ds.seconds.sum()):.0f} s; saved {args.out}")
    return 0


def _dense_command(args) -> int:
    from .experiments.dense import run_dense_capacity
    from .experiments.settings import DenseSettings
    from .infomorphic import Training

    training = Training(epochs=args.epochs, lr=args.lr, w_teach=args.w_teach, bins_r=args.bins)
    settings = DenseSettings(args.seeds, args.goal, training)
    ds = run_dense_capacity(
        args.out, args.rules, args.sizes, args.flips, settings, backend=args.backend
    )
    for rule in ds.rule.values:
        for n in ds.n_neurons.values:
            for f in ds.flips.values:
                ac = ds.alpha_c.sel(rule=rule, n_neurons=n, flips=f)
                print(
                    f"{rule}, N = {n}, {f:.0%} flipped: alpha_c = {float(ac.mean()):.2f} +- "
                    f"{float(ac.std()):.2f} (counting ceiling "
                    f"{int(ds.ceiling.sel(n_neurons=n)) / n:.2f})"
                )
    print(f"total {float(ds.seconds.sum()):.0f} s; saved {args.out}")
    return 0


def _digits_command(args) -> int:
    from dataclasses import replace

    from .experiments.digits import (
        NETWORKS,
        SEARCH_ATOMS,
        best_goal,
        check_networks,
        optimise_digits_goal,
        run_digits,
    )
    from .experiments.digits import summary as digits_summary
    from .experiments.settings import DigitsSettings
    from .layer import LayerSettings

    layer = LayerSettings(epochs=args.epochs, bins=tuple(args.bins))
    goal = args.goal
    networks = list(NETWORKS) if args.networks is None else args.networks
    base = DigitsSettings(args.seeds, tuple(args.sizes), layer)
    if args.optimise and goal is not None:
        raise ValueError("give either --goal or --optimise (which finds the goal), not both")
    if not args.optimise and goal is None and "trivariate_optimised" in networks:
        networks.remove("trivariate_optimised")
        print("no --goal and no --optimise: the optimised network is left out")
    placeholder = dict.fromkeys(SEARCH_ATOMS[:1], 1.0) if args.optimise else goal
    check_networks(networks, replace(base, goal=placeholder))  # before any training
    if args.optimise:
        study = optimise_digits_goal(args.optimise, base, storage=args.study)
        goal = best_goal(study)
        print(f"best goal after {len(study.trials)} trials (validation accuracy "
              f"{study.best_value:.3f}): {goal}")  # fmt: skip
    settings = DigitsSettings(args.seeds, tuple(args.sizes), layer, goal)
    ds = run_digits(args.out, settings, networks, backend=args.backend)
    for readout in ("infomorphic", "logistic"):
        table = digits_summary(ds, readout).map(lambda v: f"{100 * v[0]:.1f} +- {100 * v[1]:.1f}")
        print(f"test accuracy (%), {readout} readout (backprop: its own):")
        print(table.to_string())
    print(f"total {float(ds.seconds.sum()):.0f} s; saved {args.out}")
    return 0


def _seeds(text: str) -> tuple[int, ...]:
    """``K`` (seeds 0 .. K-1) or ``LO:HI`` (seeds LO .. HI-1, for example fresh seeds)."""
    lo, sep, hi = text.strip().partition(":")
    try:
        first, stop = (int(lo), int(hi)) if sep else (0, int(lo))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seeds are a number K (seeds 0 .. K-1) or a range LO:HI, got {text!r}"
        ) from None
    if not sep and stop < 1:
        raise argparse.ArgumentTypeError(f"the number of seeds must be >= 1, got {text!r}")
    if first < 0 or stop <= first:
        raise argparse.ArgumentTypeError(
            f"seeds LO:HI need 0 <= LO < HI (at least one seed), got {text!r}"
        )
    return tuple(range(first, stop))


def _json_goal(text: str) -> dict[str, float]:
    import json

    try:
        goal = json.loads(text)
        if not isinstance(goal, dict):
            raise ValueError
        return {str(k): float(v) for k, v in goal.items()}
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"a goal is a JSON object of atom weights, e.g. '{{\"{{1}}{{2}}\": 1}}', got {text!r}"
        ) from None


def _markov_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--markov",
        type=_fraction,
        default=None,
        help="correlated patterns: unbiased Markov chains along the neuron index whose "
        "neighbouring bits agree with this probability p (default: independent fair bits)",
    )


def _common(p: argparse.ArgumentParser, seeds: int) -> None:
    p.add_argument(
        "--seeds",
        type=_seeds,
        default=str(seeds),
        help="networks per load: a number K (seeds 0 .. K-1) or a range LO:HI (seeds "
        "LO .. HI-1, fresh networks for a held-out check)",
    )
    p.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default=None,
        help="array back end (default: the environment variable INFOBOOK_BACKEND, else auto, "
        "which picks CuPy where a GPU works and NumPy elsewhere; recorded in the results file)",
    )
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")


def _training(p: argparse.ArgumentParser, loads: str = "the published grid 0.01:2.01:0.05") -> None:
    p.add_argument("--neurons", type=_int_at_least(2), default=100, help="network size N")
    p.add_argument(
        "--alphas",
        type=_alphas,
        default=None,
        help=f"loads M/N, 'lo:hi:step' or a comma list (default: {loads})",
    )
    p.add_argument("--epochs", type=_int_at_least(1), default=5000, help="Adam steps at most")
    p.add_argument("--lr", type=_positive_float, default=0.05, help="Adam's learning rate")
    p.add_argument(
        "--w-teach",
        type=float,
        default=2.3,
        help="teaching weight w_T (fixed, or the initial value with --learn-teach)",
    )
    p.add_argument("--bins", type=_int_at_least(1), default=60, help="bins of the recurrent input")
    p.add_argument(
        "--binning",
        default="fixed",
        choices=list(BINNINGS),
        help="estimator of each neuron's joint table",
    )
    p.add_argument(
        "--soft-gradient",
        default="exact",
        choices=list(SOFT_GRADIENTS),
        help="with --binning soft: the exact gradient or the published one",
    )
    p.add_argument(
        "--optimizer",
        default="adam",
        choices=["adam", "sgd"],
        help="ascent rule (sgd: W += lr grad)",
    )
    p.add_argument(
        "--learn-teach",
        action="store_true",
        help="learn the teaching weight of every neuron, starting at --w-teach",
    )
    p.add_argument(
        "--recall",
        default="deterministic",
        choices=["deterministic", "stochastic"],
        help="recall by the sign of the field, or each neuron sampling its state",
    )
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="precision")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m infobook``."""
    parser = _Parser(prog="python -m infobook", description=__doc__, formatter_class=_Formatter)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, formatter_class=_Formatter)

    c = command(
        "capacity",
        "capacity curve of infomorphic networks, resumable. At the defaults: 41 loads x 20 "
        "networks of 100 neurons x at most 5000 Adam steps, about an hour on one core.",
    )
    c.add_argument(
        "--goal",
        type=_goal,
        default="redundancy",
        help="goal name (redundancy, mutual_information, coinformation, optimized_i, "
        "optimized_ii) or five weights 'unq_T,unq_R,red,syn,res'",
    )
    c.add_argument(
        "--search",
        default="scan",
        choices=["scan", "bisect"],
        help="train every load of the grid, or find each seed's edge by bisection on it "
        "(about log2(loads) + 2 trainings per seed)",
    )
    c.add_argument(
        "--retrain-nonfinite",
        action="store_true",
        help="train again the finished entries of --out whose goal is not finite (a training "
        "that ended in NaN weights); the provenance records how many",
    )
    _training(c)
    _common(c, 20)
    c.add_argument("--out", type=_results_path, required=True, help="results file (netCDF, .nc)")

    b = command(
        "baselines",
        "capacity and noisy-cue recall of the baseline rules, resumable. At the defaults: 9 "
        "rules x 41 loads x 20 networks; minimum probability flow alone takes hours.",
    )
    b.add_argument(
        "--rules",
        type=_rules,
        default=None,
        help="comma list of rule names (default: hebbian, pseudo_inverse, storkey, descent_l2, "
        "lp_optimum, krauth_mezard, adatron, max_stability, mpf); 'infomorphic:GOAL' trains "
        "infomorphic networks on GOAL (a goal name, or five weights in brackets, "
        "'infomorphic:[unq_T,unq_R,red,syn,res]') for --epochs steps",
    )
    b.add_argument(
        "--epochs", type=_int_at_least(1), default=5000, help="Adam steps of infomorphic rules"
    )
    b.add_argument(
        "--cue-flips",
        type=_fraction,
        default=0.0,
        help="infomorphic rules train on cues with this fraction of bits flipped, a fresh "
        "corruption each step (0: the clean patterns, as published)",
    )
    b.add_argument("--neurons", type=_int_at_least(2), default=100, help="network size N")
    b.add_argument(
        "--alphas",
        type=_alphas,
        default=None,
        help="loads M/N, 'lo:hi:step' or a comma list (default: the published grid 0.01:2.01:0.05)",
    )
    b.add_argument(
        "--mpf-steps", type=_int_at_least(1), default=40_000, help="gradient steps of MPF"
    )
    _markov_option(b)
    b.add_argument(
        "--stop-after",
        type=_int_at_least(1),
        default=None,
        help="once every network of a rule has failed from the clean cue at this many loads in "
        "a row, its higher loads count as not stored, untrained (default: train every load)",
    )
    _common(b, 20)
    b.add_argument("--out", type=_results_path, required=True, help="results file (netCDF, .nc)")
    b.add_argument(
        "--reuse",
        type=Path,
        action="append",
        default=[],
        help="results file of another baselines run with the same settings whose finished "
        "entries are taken instead of computed (repeatable; a later file wins)",
    )

    ceil = command(
        "ceiling",
        "exact fixed-point capacity (every neuron separable) against N, resumable. At the "
        "defaults about 15 minutes; N = 500 costs about a minute per network.",
    )
    ceil.add_argument(
        "--sizes", type=_int_list, default=[50, 100, 200, 500], help="comma list of network sizes"
    )
    ceil.add_argument(
        "--max-load", type=_positive_float, default=2.4, help="patterns drawn: MAX_LOAD * N"
    )
    _markov_option(ceil)
    _common(ceil, 10)
    ceil.add_argument("--out", type=_results_path, required=True, help="results file (netCDF, .nc)")

    meas = command(
        "measures",
        "networks trained on a goal across the load, their neurons' tables decomposed with "
        "every PID measure (I^sx and dit's I_min, MMI, PM, BROJA), resumable. At the defaults "
        "(N = 100, 5 seeds, 12 loads, 10 neurons each) about half an hour on one core.",
    )
    meas.add_argument(
        "--goal",
        type=_goal,
        default="redundancy",
        help="goal of the training: a goal name or five weights 'unq_T,unq_R,red,syn,res'",
    )
    meas.add_argument(
        "--analysed", type=_int_at_least(1), default=10, help="neurons analysed per network"
    )
    meas.add_argument(
        "--measures",
        type=lambda t: [m for m in t.split(",") if m],
        default=["sx", "I_min", "MMI", "PM", "BROJA"],
        help="comma list of PID measures (sx, I_min, MMI, PM, BROJA)",
    )
    _training(meas, loads="0.1, 0.3, ... 1.9, 2.2, 2.6")
    _common(meas, 5)
    meas.add_argument("--out", type=_results_path, required=True, help="results file (netCDF, .nc)")

    d = command(
        "dense",
        "capacity of 3-body networks (Hebbian and infomorphic) against N, from clean and "
        "corrupted cues, resumable. At the defaults (N = 30, 40; 5 seeds) about half an hour.",
    )
    d.add_argument(
        "--rules",
        type=lambda t: [r for r in t.split(",") if r],
        default=["hebbian", "infomorphic"],
        help="comma list of hebbian, hebbian_no_bias, infomorphic",
    )
    d.add_argument("--sizes", type=_int_list, default=[30, 40], help="comma list of sizes N")
    d.add_argument(
        "--flips",
        type=lambda t: [_fraction(x) for x in t.split(",") if x],
        default=[0.0, 0.1],
        help="comma list of fractions of flipped cue bits",
    )
    d.add_argument("--goal", type=_goal, default="redundancy", help="goal of the infomorphic rule")
    d.add_argument("--epochs", type=_int_at_least(1), default=5000, help="Adam steps at most")
    d.add_argument("--lr", type=_positive_float, default=0.05, help="Adam's learning rate")
    d.add_argument("--w-teach", type=float, default=2.3, help="teaching weight w_T")
    d.add_argument("--bins", type=_int_at_least(1), default=60, help="bins of the 3-body input")
    _common(d, 5)
    d.add_argument("--out", type=_results_path, required=True, help="results file (netCDF, .nc)")

    g = command(
        "digits",
        "the infomorphic networks of the digits task (trivariate, bivariate) beside "
        "backpropagation, a readout alone and a random projection, resumable; with --optimise "
        "an Optuna search for the trivariate goal first. About 20 minutes at the defaults.",
    )
    g.add_argument("--sizes", type=_int_list, default=[20, 50, 100], help="hidden layer sizes")
    g.add_argument(
        "--networks",
        type=lambda t: [n for n in t.split(",") if n],
        default=None,
        help="comma list of networks (default: all seven)",
    )
    g.add_argument("--epochs", type=_int_at_least(1), default=400, help="steps of hidden layers")
    g.add_argument(
        "--bins",
        type=_int_list,
        default=[8, 10, 3],
        help="bins of F, C and L",
    )
    g.add_argument("--goal", type=_json_goal, default=None, help="the optimised goal, as JSON")
    g.add_argument(
        "--optimise",
        type=_int_at_least(0),
        default=0,
        help="Optuna trials of the goal search on a validation split (0: none)",
    )
    g.add_argument(
        "--study",
        default="sqlite:///digits_goal.db",
        help="Optuna storage of the goal search (resumed when it exists)",
    )
    _common(g, 5)
    g.add_argument("--out", type=_results_path, required=True, help="results file (netCDF, .nc)")

    for name, text in [
        (
            "landscape",
            "capacity over a grid of goals (or a 2-D slice), resumable, on dask. The grid of "
            "625 goals x 6 seeds is many core-hours: see the estimate printed at the start.",
        ),
        (
            "optimise",
            "Optuna search for the goal of largest capacity, persisted in SQLite, on dask. "
            "Each trial is one goal's capacity (minutes to an hour on one core).",
        ),
    ]:
        q = command(name, text)
        _training(q)
        q.add_argument(
            "--stop-after",
            type=_int_at_least(1),
            default=2,
            help="stop a goal's scan once every seed failed this many loads in a row",
        )
        q.add_argument(
            "--refine",
            action="store_true",
            help="bisect each edge to one pattern (always on for optimise)",
        )
        q.add_argument(
            "--search",
            default="scan",
            choices=["scan", "bisect"],
            help="scan the loads upwards, or find each seed's edge by bisection on the grid "
            "(a screening load first: goals that store nothing cost two trainings per seed)",
        )
        q.add_argument(
            "--cue-flips",
            type=_fraction,
            default=0.0,
            help="train on cues with this fraction of bits flipped, a fresh corruption each "
            "step (0: the clean patterns, as published)",
        )
        q.add_argument(
            "--recall-flips",
            type=_fraction,
            default=0.0,
            help="measure the associative capacity: a load is stored when the patterns are "
            "recalled from cues with this fraction of bits flipped (0: clean cues)",
        )
        q.add_argument(
            "--scheduler",
            default=None,
            help="address of a dask.distributed scheduler (tcp://host:8786); 'local:K' starts a "
            "local cluster of K worker processes; default: in-process",
        )
        _common(q, 6)
    land = sub.choices["landscape"]
    land.add_argument(
        "--values", type=_float_list, default=[-1, -0.5, 0, 0.5, 1], help="grid values of a weight"
    )
    land.add_argument(
        "--res", default="0", help="fixed weight of H_res, or 'all' to vary it over --values too"
    )
    land.add_argument(
        "--slice",
        type=_slice,
        default=None,
        help="instead of the grid: a 2-D slice 'CENTER:AXIS1,AXIS2' around a goal name or five "
        "weights, e.g. 'redundancy:unq_R,syn' (values from --values)",
    )
    land.add_argument("--out", type=_results_path, required=True, help="results file (netCDF, .nc)")
    opt = sub.choices["optimise"]
    opt.add_argument("--trials", type=_int_at_least(1), default=200, help="complete trials wanted")
    opt.add_argument("--sampler", default="tpe", choices=["tpe", "cmaes"], help="Optuna sampler")
    opt.add_argument("--storage", default="sqlite:///goal_study.db", help="Optuna storage URL")
    opt.add_argument("--study", default="goal-capacity", help="study name")
    opt.add_argument("--seed", type=int, default=0, help="seed of the sampler")
    opt.add_argument(
        "--start",
        type=_start_goals,
        default=[],
        help="comma list of goals a new study tries first, each a goal name with its training "
        "noise as NAME@FLIPS when that is searched (e.g. redundancy@0.1,optimized_ii@0.1)",
    )
    opt.add_argument(
        "--search-train-flips",
        type=_fraction_range,
        default=None,
        help="also search the training's cue noise over 'lo,hi' (fractions of the bits), a "
        "sixth parameter of every trial",
    )
    return parser


COMMANDS = {
    "capacity": _capacity_command,
    "baselines": _baselines_command,
    "ceiling": _ceiling_command,
    "dense": _dense_command,
    "measures": _measures_command,
    "digits": _digits_command,
    "landscape": _sweep_command,
    "optimise": _sweep_command,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "landscape" and args.res != "all":
        try:
            float(args.res)
        except ValueError:
            parser.error(f"argument --res: expected a number or 'all', got {args.res!r}")
    from .backend import get_backend, tune_allocator

    tune_allocator()  # this process only runs our kernels: keep freed memory in the heap
    try:
        args.backend = get_backend(args.backend, default="auto")  # chosen once, passed down
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        parser.exit(130, f"{parser.prog} {args.command}: interrupted; finished work is saved\n")
    except Exception as exc:  # every failure is one line; --debug shows the traceback
        if args.debug:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        if not isinstance(exc, (ValueError, TypeError, OSError, BackendUnavailableError)):
            message = f"{type(exc).__name__}: {message}"
        parser.exit(2, f"{parser.prog} {args.command}: error: {message}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
