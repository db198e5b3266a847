"""The digits task: every network of the three-source chapter over sizes and seeds, saved after
each and resumed; and the Optuna search for the trivariate goal, on a validation split.

Introduced in the chapter :ref:`ch-three-sources`. Command line (see
``python -m infobook digits --help``)::

    python -m infobook digits --optimise 40 --study sqlite:///digits_goal.db \\
        --sizes 20,50,100 --seeds 5 --out digits.nc
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Backend, get_backend
from ..layer import LayerSettings, load_digits_task, train_network, validation_split
from .settings import DigitsSettings, parse_seeds, record_difference
from .store import RunStore, load_results

#: The networks of the chapter, by name: what :class:`infobook.layer.LayerSettings` they take
#: besides the shared settings (the optimised goal is filled in from the run's settings).
NETWORKS: dict[str, dict[str, Any]] = {
    "backprop": {"variant": "backprop"},
    "readout_only": {"variant": "readout_only"},
    "random_projection": {"variant": "random_projection"},
    "lateral_only": {"variant": "infomorphic", "sources": "FL"},
    "context_only": {"variant": "infomorphic", "sources": "FC"},
    "trivariate_heuristic": {"variant": "infomorphic", "sources": "FCL"},
    "trivariate_optimised": {"variant": "infomorphic", "sources": "FCL"},
}
#: The atoms whose weights the goal search sets (the others 0): every atom in which the
#: feed-forward input (source 1) takes part without the lateral one alone, and the residual.
SEARCH_ATOMS = ("{1}{2}{3}", "{1}{2}", "{1}{3}", "{1}", "{1}{23}", "{12}", "{123}", "res")
#: The goals a new search tries first: the heuristic goal, and the redundancy of the image and
#: the label whatever the lateral input holds (the atoms {1}{2} and {1}{2}{3}).
START_GOALS: tuple[dict[str, float], ...] = (
    {"{1}{2}": 1.0},
    {"{1}{2}": 1.0, "{1}{2}{3}": 1.0},
)


def network_settings(name: str, settings: DigitsSettings, n_hidden: int) -> LayerSettings:
    """The :class:`~infobook.layer.LayerSettings` of network ``name`` at ``n_hidden``."""
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; choose from {', '.join(NETWORKS)}")
    extra = {"goal": None, **NETWORKS[name]}  # None: each network's default goal
    if name == "trivariate_optimised":
        if settings.goal is None:
            raise ValueError("the optimised network needs a goal: run the search first "
                             "(--optimise) or give --goal")  # fmt: skip
        extra["goal"] = dict(settings.goal)
    return replace(settings.layer, n_hidden=int(n_hidden), **extra)


def check_networks(networks: Sequence[str], settings: DigitsSettings) -> list[str]:
    """The names of ``networks``, refused (before any work) when one is unknown, repeated, or
    needs a goal that ``settings`` does not have, or when there are none."""
    names = [str(n) for n in networks]
    if not names:
        raise ValueError(f"no networks to train; choose from {', '.join(NETWORKS)}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"networks named more than once: {', '.join(repeated)}")
    for name in names:
        network_settings(name, settings, settings.sizes[0])
    return names


def _template(networks: list[str], sizes: list[int], seeds: Sequence[int]) -> Any:
    import xarray as xr

    dims = ("network", "n_hidden", "seed")
    shape = (len(networks), len(sizes), len(seeds))
    nan = np.full(shape, np.nan)
    return xr.Dataset(
        {
            "test_infomorphic": (dims, nan.copy()),
            "test_logistic": (dims, nan.copy()),
            "train_infomorphic": (dims, nan.copy()),
            "train_logistic": (dims, nan.copy()),
            "seconds": (dims, np.zeros(shape)),
            "done": (dims, np.zeros(shape, dtype=np.int8)),
        },
        coords={"network": networks, "n_hidden": sizes, "seed": list(seeds)},
    )


def run_digits(
    out: Path | str,
    settings: DigitsSettings,
    networks: Sequence[str] = tuple(NETWORKS),
    *,
    backend: str | Backend | None = None,
    progress: bool = True,
) -> Any:
    """Train every network of ``networks`` at every size and seed of ``settings`` on the
    digits task and record its test and training accuracy with each readout (backpropagation
    has one: it is stored under both names); saved after each network and resumed like every
    run (:class:`~infobook.experiments.store.RunStore`). The networks are NumPy programs;
    ``backend`` is accepted like everywhere and recorded in the provenance."""
    networks = check_networks(networks, settings)
    store = RunStore(out, settings, _template(networks, list(settings.sizes), settings.seeds))
    chosen = get_backend(backend, default="numpy")
    todo = store.begin(backend=f"{chosen.reason}; the digits networks run on NumPy")
    ds = store.ds
    task = load_digits_task(settings.test_fraction, settings.split_seed)
    bar = store.progress("digits", progress)
    for key in todo:
        t0 = time.perf_counter()
        net = train_network(task, network_settings(key["network"], settings, key["n_hidden"]),
                            key["seed"])  # fmt: skip
        for part, acc in (("test", net.test_accuracy), ("train", net.train_accuracy)):
            for readout in ("infomorphic", "logistic"):
                ds[f"{part}_{readout}"].loc[key] = acc.get(readout, acc.get("backprop"))
        store.finish(key, time.perf_counter() - t0)
        bar.update()
    bar.close()
    return ds


def load_digits_results(path: Path | str) -> Any:
    """A results file of :func:`run_digits`."""
    return load_results(path)


def optimise_digits_goal(
    n_trials: int,
    settings: DigitsSettings,
    *,
    storage: str | None = "sqlite:///digits_goal.db",
    study_name: str = "digits-goal",
    n_hidden: int = 50,
    seed: int = 0,
    network_seeds: Sequence[int] = (0, 1, 2),
    atoms: Sequence[str] = SEARCH_ATOMS,
    progress: bool = True,
) -> Any:
    """Optuna's TPE search (seeded by ``seed``) for the trivariate goal whose networks classify
    the validation split of the training set best (:func:`infobook.layer.validation_split`;
    the test set is never seen): weights of ``atoms`` in [-1, 1], each trial judged by the mean
    validation accuracy (infomorphic readout) of networks of ``n_hidden`` from each seed of
    ``network_seeds`` (several, so that a goal is not chosen for one lucky initialisation).
    A new study first tries the heuristic goal and the redundancy of image and label whatever
    the lateral input holds (:data:`START_GOALS`). Persisted in ``storage`` under
    ``study_name`` and continued until ``n_trials`` trials are complete; trials left running
    by an interrupted run are marked failed. Returns the study."""
    import optuna
    from tqdm.auto import tqdm

    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"the number of trials must be an integer >= 1, got {n_trials!r}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=study_name, storage=storage, direction="maximize", load_if_exists=True
    )
    # a resumed study continues the sampler's stream instead of repeating its first draws
    study.sampler = optuna.samplers.TPESampler(seed=int(seed) * 1_000_003 + len(study.trials))
    network_seeds = parse_seeds(network_seeds)
    record = search_record(settings, n_hidden, atoms, network_seeds)
    stored = study.user_attrs.get("settings", record)
    if stored != record:
        diff = record_difference(stored, record, "in the study but", "in this search")
        raise ValueError(f"study {study_name!r} in {storage} was run with other settings: "
                         f"{diff}; choose another study name or storage")  # fmt: skip
    study.set_user_attr("settings", record)
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    if not study.trials:
        for start in START_GOALS:
            study.enqueue_trial({a: float(start.get(a, 0.0)) for a in atoms})
    task = validation_split(load_digits_task(settings.test_fraction, settings.split_seed))
    base = replace(
        settings.layer, variant="infomorphic", sources="FCL", n_hidden=int(n_hidden), goal=None
    )

    def complete() -> int:
        return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))

    bar = tqdm(total=n_trials, initial=min(complete(), n_trials), disable=not progress,
               desc="digits goal")  # fmt: skip
    while complete() < n_trials:
        trial = study.ask()
        goal = {a: trial.suggest_float(a, -1.0, 1.0) for a in atoms}
        if not any(goal.values()):
            study.tell(trial, 0.0)
            continue
        nets = [train_network(task, replace(base, goal=goal), k) for k in network_seeds]
        study.tell(trial, float(np.mean([n.test_accuracy["infomorphic"] for n in nets])))
        bar.update()
        bar.set_postfix(best=f"{study.best_value:.3f}")
    bar.close()
    return study


def search_record(
    settings: DigitsSettings, n_hidden: int, atoms: Sequence[str], network_seeds: Sequence[int]
) -> str:
    """The settings of a goal search, as stored in its study (JSON): what its trainings use,
    without the sizes and seeds of the table run."""
    record = settings.record()
    for unused in ("sizes", "seeds", "goal"):
        record.pop(unused)
    return json.dumps({**record, "n_hidden": int(n_hidden), "atoms": list(atoms)}, sort_keys=True)


def best_goal(study: Any) -> dict[str, float]:
    """The goal of a study's best trial, atom name -> weight."""
    return {k: float(v) for k, v in study.best_params.items()}


def summary(ds: Any, readout: str = "infomorphic") -> Any:
    """Mean and (sample) standard deviation over seeds of the test accuracy with ``readout``,
    as a pandas table of pairs (networks by sizes)."""
    import pandas as pd

    x = ds[f"test_{readout}"]
    rows = {}
    for name in ds.network.values:
        rows[str(name)] = {
            int(n): (float(x.sel(network=name, n_hidden=n).mean()),
                     float(x.sel(network=name, n_hidden=n).std(ddof=1)))
            for n in ds.n_hidden.values
        }  # fmt: skip
    return pd.DataFrame(rows).T
