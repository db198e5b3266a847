"""Sweeps over PID goals: the capacity of many goals, in-process or on a ``dask.distributed``
cluster, saved as they complete and resumed; goal optimisation with Optuna.

Introduced in the chapter :ref:`ch-goal-landscape`. The unit of work is one goal: all of its
seeds are trained together (one batched array program per load) and its capacity per seed is
returned. A sweep runs the units one after the other in this process, or, given a
``dask.distributed.Client``, spreads them over the client's workers unchanged; either way each
finished goal is written at once to a netCDF file (atomically, as in :mod:`infobook.runs`), and
rerunning the same sweep skips the finished goals.

Command line (see ``python -m infobook landscape --help``)::

    python -m infobook landscape --neurons 100 --seeds 6 --out landscape.nc \\
        --scheduler tcp://10.0.0.1:8786
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .hopfield import loads_to_patterns, pattern_bank, published_alphas
from .infomorphic import EPOCHS, LEARNING_RATE, W_TEACH, evaluate, initial_weights, train
from .pid import goal_vector
from .runs import load_results, provenance, save_atomic

#: Names of the five goal weights, in the published order.
ATOMS = ("unq_T", "unq_R", "red", "syn", "res")
#: Values of each weight on the published landscape grid.
GRID_VALUES = (-1.0, -0.5, 0.0, 0.5, 1.0)


def goal_grid(values: Sequence[float] = GRID_VALUES, res: float | None = 0.0) -> np.ndarray:
    """Every goal ``[unq_T, unq_R, red, syn, res]`` with the first four weights from ``values``
    and the residual-entropy weight ``res``, shape ``(len(values)**4, 5)``; with ``res=None``
    the residual-entropy weight runs over ``values`` too, ``(len(values)**5, 5)``. The first
    weight varies slowest."""
    if res is None:
        return np.asarray(list(itertools.product(values, repeat=5)), dtype=float)
    rows = [(*combo, res) for combo in itertools.product(values, repeat=4)]
    return np.asarray(rows, dtype=float)


def goal_slice(
    center: Sequence[float],
    axes: tuple[str, str] = ("unq_R", "syn"),
    values: Sequence[float] | None = None,
) -> np.ndarray:
    """Goals that vary two weights of ``center`` over ``values`` (default -1 ... 1 step 0.1),
    the first axis slowest; shape ``(len(values)**2, 5)``."""
    center = np.asarray(goal_vector(center), dtype=float)
    values = np.round(np.arange(-1, 1.001, 0.1), 2) if values is None else np.asarray(values)
    i, j = (ATOMS.index(a) for a in axes)
    rows = []
    for a, b in itertools.product(values, values):
        g = center.copy()
        g[i], g[j] = a, b
        rows.append(g)
    return np.asarray(rows, dtype=float)


@dataclass(frozen=True)
class CapacitySpec:
    """How the capacity of one goal is measured (the book's protocol, at a chosen scale).

    Loads are visited in ascending order, all seeds trained at once at each load. The scan stops
    once every seed has failed ``stop_after`` loads in a row (later loads count as not stored:
    capacity curves fall steeply past their edge, and the published sweeps stopped at the first
    failure). ``alpha_c`` per seed is the largest stored load. With ``refine``, each seed's edge
    is then bisected to one pattern between its largest stored load and the next load.
    """

    n_neurons: int = 100
    seeds: tuple[int, ...] = tuple(range(6))
    alphas: tuple[float, ...] = field(default_factory=lambda: tuple(published_alphas().tolist()))
    epochs: int = EPOCHS
    lr: float = LEARNING_RATE
    w_teach: float = W_TEACH
    bins_r: int = 60
    dtype: str = "float32"
    stop_after: int = 2
    refine: bool = False

    def settings(self) -> dict[str, Any]:
        d = asdict(self)
        d["seeds"] = [int(s) for s in self.seeds]
        d["alphas"] = [round(float(a), 6) for a in self.alphas]
        return d


def _train_kwargs(spec: CapacitySpec) -> dict[str, Any]:
    return dict(
        epochs=spec.epochs,
        lr=spec.lr,
        w_teach=spec.w_teach,
        bins_r=spec.bins_r,
        dtype=np.dtype(spec.dtype),
    )


def _stored(goal: Any, pats: np.ndarray, init: np.ndarray, spec: CapacitySpec) -> np.ndarray:
    """Train networks from ``init`` on ``pats`` and say which recall with a_cos >= 0.95."""
    from .hopfield import THETA  # noqa: PLC0415
    from .infomorphic import NeuronModel  # noqa: PLC0415

    res = train(pats, goal, initial=init, **_train_kwargs(spec))
    ev = evaluate(res.weights, pats, goal, NeuronModel(spec.w_teach, 2, spec.bins_r))
    return np.asarray(ev["a_cos"], dtype=float) >= THETA


def goal_capacity(goal: str | Sequence[float], spec: CapacitySpec) -> np.ndarray:
    """alpha_c of ``goal`` for every seed of ``spec`` (see :class:`CapacitySpec`)."""
    g = goal_vector(goal)
    seeds = list(spec.seeds)
    alphas = np.asarray(spec.alphas, dtype=float)
    ms = loads_to_patterns(alphas, spec.n_neurons)
    dtype = np.dtype(spec.dtype)
    bank = pattern_bank(seeds, int(ms.max()), spec.n_neurons, dtype=dtype)
    init = np.stack([initial_weights(spec.n_neurons, s, dtype=dtype) for s in seeds])
    best = np.zeros(len(seeds), dtype=int)  # largest stored M per seed (0: none)
    nxt = np.full(len(seeds), -1, dtype=int)  # first failing M above it (-1: none seen)
    misses = np.zeros(len(seeds), dtype=int)
    for m in ms:
        ok = _stored(g, bank[:, :m], init, spec)
        best = np.where(ok, m, best)
        nxt = np.where(~ok & (nxt < best), m, nxt)
        misses = np.where(ok, 0, misses + 1)
        if misses.min() >= spec.stop_after:
            break
    if spec.refine:
        for k in range(len(seeds)):
            lo, hi = int(best[k]), int(nxt[k])
            while lo > 0 and hi > lo + 1:
                mid = (lo + hi) // 2
                ok = _stored(g, bank[k : k + 1, :mid], init[k : k + 1], spec)[0]
                lo, hi = (mid, hi) if ok else (lo, mid)
            best[k] = lo
    return best / spec.n_neurons


def _empty(goals: np.ndarray, spec: CapacitySpec) -> Any:
    import xarray as xr  # noqa: PLC0415

    k, s = len(goals), len(spec.seeds)
    ds = xr.Dataset(
        {
            "alpha_c": (("goal", "seed"), np.full((k, s), np.nan)),
            "gamma": (("goal", "atom"), goals),
            "done": ("goal", np.zeros(k, dtype=np.int8)),
            "seconds": ("goal", np.zeros(k)),
        },
        coords={"goal": np.arange(k), "seed": list(spec.seeds), "atom": list(ATOMS)},
    )
    ds.attrs["settings"] = json.dumps(spec.settings(), sort_keys=True)
    return ds


def _unit(goal: np.ndarray, spec: CapacitySpec) -> tuple[np.ndarray, float]:
    """One unit of work (runs on a worker): the capacity of one goal and its wall time."""
    from .backend import tune_allocator  # noqa: PLC0415

    tune_allocator()
    t0 = time.perf_counter()
    ac = goal_capacity(np.asarray(goal, dtype=float), spec)
    return ac, time.perf_counter() - t0


def run_sweep(
    out: Path | str,
    goals: Sequence[Sequence[float]] | np.ndarray,
    spec: CapacitySpec,
    *,
    client: Any | None = None,
    progress: bool = True,
    on_goal_done: Callable[[int], None] | None = None,
) -> Any:
    """alpha_c of every goal of ``goals`` for every seed, saved after each goal, resumable.

    Parameters
    ----------
    out : path
        netCDF results file: ``alpha_c`` (dims ``goal, seed``), the goal weights ``gamma``
        (``goal, atom``), ``done`` and ``seconds`` per goal; attributes ``settings`` (the spec)
        and ``provenance``. An existing file must hold the same spec and goals; its finished
        goals are kept and not recomputed.
    goals : array (K, 5)
        Goal weights ``[unq_T, unq_R, red, syn, res]`` (e.g. :func:`goal_grid`).
    spec : CapacitySpec
        The measurement.
    client : dask.distributed.Client or None
        Spread the goals over the client's workers (each goal is one task); None: in-process.
    on_goal_done : callable or None
        Called with the goal's index after it is saved.
    """
    from tqdm.auto import tqdm  # noqa: PLC0415

    out = Path(out)
    goals = np.asarray(goals, dtype=float)
    if goals.ndim != 2 or goals.shape[1] != 5:
        raise ValueError(
            f"goals must have shape (K, 5) [unq_T, unq_R, red, syn, res], got {goals.shape}"
        )
    for g in goals:
        goal_vector(g)  # finite weights, or a clear error before any work
    ds = _empty(goals, spec)
    if out.exists():
        old = load_results(out)
        same = old.attrs["settings"] == ds.attrs["settings"]
        if not same or old.gamma.shape != ds.gamma.shape or not np.array_equal(old.gamma, goals):
            raise ValueError(
                f"{out} holds a sweep with other settings or goals; choose another --out or "
                "delete the file"
            )
        ds = old
    todo = [int(i) for i in np.flatnonzero(ds.done.values == 0)]
    history = json.loads(ds.attrs.get("provenance", "[]"))
    if todo:
        history.append(provenance() | {"workers": _workers(client)})
    ds.attrs["provenance"] = json.dumps(history)
    bar = tqdm(total=len(todo), disable=not progress, desc=f"sweep of {len(goals)} goals")

    def record(i: int, ac: np.ndarray, seconds: float) -> None:
        ds["alpha_c"][i] = ac
        ds["done"][i] = 1
        ds["seconds"][i] = seconds
        save_atomic(ds, out)
        bar.update()
        if on_goal_done is not None:
            on_goal_done(i)

    if client is None:
        for i in todo:
            record(i, *_unit(goals[i], spec))
    else:
        from distributed import as_completed  # noqa: PLC0415

        futures = {
            client.submit(_unit, goals[i], spec, key=f"goal-{i}-{out.name}-{time.time_ns()}"): i
            for i in todo
        }
        try:
            for fut in as_completed(futures):
                record(futures[fut], *fut.result())
        finally:
            for fut in futures:
                fut.cancel()
    bar.close()
    return ds


def _workers(client: Any | None) -> str:
    if client is None:
        return "in-process"
    info = client.scheduler_info()
    threads = sum(w.get("nthreads", 0) for w in info.get("workers", {}).values())
    workers = len(info.get("workers", {}))
    return f"dask {info.get('address', '?')}: {workers} workers, {threads} threads"


def sweep_median(ds: Any) -> Any:
    """Median alpha_c over seeds per goal, with the goal weights as coordinates (finished goals
    only), ready for ``.set_index`` / ``.unstack`` into a landscape."""
    done = ds.sel(goal=ds.done.values == 1)
    med = done.alpha_c.median("seed")
    for a in ATOMS:
        med = med.assign_coords({a: ("goal", done.gamma.sel(atom=a).values)})
    return med


# --------------------------------------------------------------------------- optimisation


def optimise_goal(
    n_trials: int,
    spec: CapacitySpec,
    *,
    sampler: str = "tpe",
    storage: str | None = "sqlite:///goal_study.db",
    study_name: str = "goal-capacity",
    seed: int = 0,
    client: Any | None = None,
    parallel: int | None = None,
    bounds: tuple[float, float] = (-1.0, 1.0),
) -> Any:
    """Black-box maximisation of the median alpha_c over the five goal weights with Optuna.

    ``sampler`` is ``"tpe"`` or ``"cmaes"`` (seeded with ``seed``). The study is persisted in
    ``storage`` (an Optuna storage URL; SQLite by default, None: in memory) under
    ``study_name``, so rerunning continues it until ``n_trials`` trials are complete; trials left
    running by an interrupted run are marked failed and not counted. Trials are asked in rounds
    of ``parallel`` (default: the client's worker count, or 1) and evaluated together, on the
    client's workers when a ``dask.distributed`` client is given. The objective scans the
    loads of ``spec`` and then bisects each seed's edge to one pattern (``spec`` with
    ``refine=True``): a coarse load grid plus bisection costs far less than a fine grid.

    Returns the ``optuna.Study``; ``study.best_params`` holds the weights by atom name.
    """
    import optuna  # noqa: PLC0415

    samplers = {
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
    }
    if sampler not in samplers:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {sorted(samplers)}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        sampler=samplers[sampler](),
        direction="maximize",
        load_if_exists=True,
    )
    spec = replace(spec, refine=True)
    settings = json.dumps(spec.settings(), sort_keys=True)
    if study.user_attrs.get("settings", settings) != settings:
        raise ValueError(
            f"study {study_name!r} in {storage} was run with other settings "
            f"({study.user_attrs['settings']}); choose another --study or --storage"
        )
    study.set_user_attr("settings", settings)
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    if parallel is None:
        parallel = 1 if client is None else max(1, len(client.scheduler_info()["workers"]))

    def complete() -> int:
        return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))

    while complete() < n_trials:
        k = min(parallel, n_trials - complete())
        trials = [study.ask() for _ in range(k)]
        goals = [np.array([t.suggest_float(a, *bounds) for a in ATOMS]) for t in trials]
        if client is None:
            results = [_unit(g, spec) for g in goals]
        else:
            results = client.gather([client.submit(_unit, g, spec, pure=False) for g in goals])
        for t, (ac, _) in zip(trials, results, strict=True):
            t.set_user_attr("alpha_c", [float(x) for x in ac])
            study.tell(t, float(np.median(ac)))
    return study
