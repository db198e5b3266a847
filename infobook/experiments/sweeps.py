"""Sweeps over PID goals: the capacity of many goals, in-process or on a ``dask.distributed``
cluster, saved as they complete and resumed; goal optimisation with Optuna.

Introduced in the chapter :ref:`ch-goal-landscape`. The unit of work is one goal: all of its
seeds are trained together (one batched array program per load) and its capacity per seed is
returned. A sweep runs the units one after the other in this process, or, given a
``dask.distributed.Client``, spreads them over the client's workers unchanged; either way each
finished goal is written at once to its results file by
:class:`~infobook.experiments.store.RunStore`, and rerunning the same sweep skips the finished
goals.

Command line (see ``python -m infobook landscape --help``)::

    python -m infobook landscape --neurons 100 --seeds 6 --out landscape.nc \\
        --scheduler tcp://10.0.0.1:8786
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import atoms
from ..backend import Backend, array_namespace, get_backend
from ..hopfield import THETA, corrupt, loads_to_patterns, pattern_bank
from ..infomorphic import evaluate, initial_weights, train
from ..pid import Goal
from .capacity import next_batch, next_probe
from .settings import SweepSettings
from .store import IDENTITY, RunStore

#: Names of the five goal weights, in the published order (:data:`infobook.atoms.NEURON`).
ATOMS = atoms.NEURON
#: Values of each weight on the published landscape grid.
GRID_VALUES = (-1.0, -0.5, 0.0, 0.5, 1.0)
#: Mixed into the seed of the corrupted cues of an associative sweep (``recall_flips``), so that
#: they never coincide with a pattern bank's or a recall's stream.
CUE_TAG = 0xC0E5


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
    center = Goal.parse(center).vector
    values = np.round(np.arange(-1, 1.001, 0.1), 2) if values is None else np.asarray(values)
    if len(axes) != 2 or len(set(axes)) != 2:
        raise ValueError(f"a slice needs two different axes, got {tuple(axes)}")
    if any(a not in ATOMS for a in axes):
        raise ValueError(f"unknown slice axes {tuple(axes)}; choose two of {', '.join(ATOMS)}")
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"slice values must be finite numbers, at least one, got {values}")
    i, j = (ATOMS.index(a) for a in axes)
    rows = []
    for a, b in itertools.product(values, values):
        g = center.copy()
        g[i], g[j] = a, b
        rows.append(g)
    return np.asarray(rows, dtype=float)


def _stored(
    goal: Goal, pats: Any, init: Any, spec: SweepSettings, ids: Sequence[int]
) -> np.ndarray:
    """Train networks from ``init`` on ``pats`` and say which recall with a_cos >= 0.95
    (``ids``: the networks' seeds, for their recall streams)."""
    from ..backend import to_numpy

    res = train(pats, goal, training=spec.training, initial=init, ids=ids)
    cues = None
    if spec.recall_flips:  # each network's cues from its own seed, whatever its batch
        xp = array_namespace(pats)
        m, n = pats.shape[-2:]
        k = int(round(spec.recall_flips * n))
        cues = xp.stack([corrupt(pats[j], k, seed=[CUE_TAG, m, s]) for j, s in enumerate(ids)])
    ev = evaluate(
        res.weights, pats, goal, spec.training.model, cues, teach=res.w_teach,
        **spec.training.recall_options(ids=ids),
    )  # fmt: skip
    return np.asarray(to_numpy(ev["a_cos"]), dtype=float) >= THETA


def goal_capacity(
    goal: Goal | str | Sequence[float],
    spec: SweepSettings,
    backend: str | Backend | None = None,
) -> np.ndarray:
    """alpha_c of ``goal`` for every seed of ``spec`` (see :class:`SweepSettings`), computed on
    ``backend``.

    With ``spec.search == "bisect"`` each seed first trains at the screening load, the first
    load of the grid with at least 10 patterns (0.11 on the published grid at N = 100; fewer
    patterns make a degenerate table); where that fails it trains at the load below, and a
    seed that stores neither has alpha_c = 0 (a goal that stores nothing costs two cheap
    trainings per seed).
    Otherwise the edge above is bisected with
    :func:`~infobook.experiments.capacity.next_probe`; seeds that propose the same load train
    as one batch.
    """
    g = Goal.parse(goal)
    xp = get_backend(backend, default="numpy").xp
    seeds = list(spec.seeds)
    alphas = np.asarray(spec.alphas, dtype=float)
    ms = loads_to_patterns(alphas, spec.n_neurons)
    recipe = spec.training
    bank = xp.asarray(pattern_bank(seeds, int(ms.max()), spec.n_neurons, dtype=recipe.dtype))
    init = np.stack(
        [
            initial_weights(spec.n_neurons, s, scale=recipe.init_scale, dtype=recipe.dtype)
            for s in seeds
        ]
    )
    init = xp.asarray(init)
    if spec.search == "bisect":
        best, nxt = _bisect_grid(g, bank, init, ms, spec)
    else:
        best, nxt = _scan_grid(g, bank, init, ms, spec)
    if spec.refine:
        for k in range(len(seeds)):
            lo, hi = int(best[k]), int(nxt[k])
            while lo > 0 and hi > lo + 1:
                mid = (lo + hi) // 2
                ok = _stored(g, bank[k : k + 1, :mid], init[k : k + 1], spec, [seeds[k]])[0]
                lo, hi = (mid, hi) if ok else (lo, mid)
            best[k] = lo
    return best / spec.n_neurons


def _scan_grid(g, bank, init, ms, spec) -> tuple[np.ndarray, np.ndarray]:
    """Ascending scan: largest stored M per seed (0: none) and the first failing M above it
    (-1: none seen)."""
    n_seeds = bank.shape[0]
    best = np.zeros(n_seeds, dtype=int)
    nxt = np.full(n_seeds, -1, dtype=int)
    misses = np.zeros(n_seeds, dtype=int)
    for m in ms:
        ok = _stored(g, bank[:, :m], init, spec, spec.seeds)
        best = np.where(ok, m, best)
        nxt = np.where(~ok & (nxt < best), m, nxt)
        misses = np.where(ok, 0, misses + 1)
        if misses.min() >= spec.stop_after:
            break
    return best, nxt


def _bisect_grid(g, bank, init, ms, spec) -> tuple[np.ndarray, np.ndarray]:
    """Bisection on the grid (see :func:`goal_capacity`): the same two arrays as
    :func:`_scan_grid`."""
    n_seeds, n_loads = bank.shape[0], len(ms)
    screen = int(np.argmax(ms >= 10)) if (ms >= 10).any() else 0
    known: list[dict[int, bool]] = [{} for _ in range(n_seeds)]

    def proposal(k: int) -> int | None:
        res = known[k]
        if screen not in res:
            return screen
        if not any(res.values()):  # nothing stored yet: the load below the screen, then stop
            below = screen - 1
            return below if below >= 0 and below not in res else None
        return next_probe(res, n_loads)[0]

    while (batch := next_batch(proposal, n_seeds)) is not None:
        index, members = batch
        ids = [spec.seeds[k] for k in members]
        ok = _stored(g, bank[members, : ms[index]], init[members], spec, ids)
        for j, k in enumerate(members):
            known[k][index] = bool(ok[j])
    best = np.zeros(n_seeds, dtype=int)
    nxt = np.full(n_seeds, -1, dtype=int)
    for k in range(n_seeds):
        stored = [i for i, ok in known[k].items() if ok]
        if stored:
            lo = max(stored)
            best[k] = ms[lo]
            nxt[k] = ms[lo + 1] if lo + 1 < n_loads else -1
    return best, nxt


def _template(goals: np.ndarray, spec: SweepSettings) -> Any:
    import xarray as xr

    k, s = len(goals), len(spec.seeds)
    return xr.Dataset(
        {
            "alpha_c": (("goal", "seed"), np.full((k, s), np.nan)),
            "gamma": (("goal", "atom"), goals),
            "done": ("goal", np.zeros(k, dtype=np.int8)),
            "seconds": ("goal", np.zeros(k)),
        },
        coords={"goal": np.arange(k), "seed": list(spec.seeds), "atom": list(ATOMS)},
    )


def _unit(goal: np.ndarray, spec: SweepSettings, backend: str | None) -> tuple[np.ndarray, float]:
    """One unit of work (runs on a worker): the capacity of one goal and its wall time. On a
    dask worker, a process that runs nothing but these units, the allocator is tuned first
    (:func:`infobook.backend.tune_allocator`); in the caller's own process it is left alone."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        pass
    else:
        from ..backend import tune_allocator

        tune_allocator()
    t0 = time.perf_counter()
    ac = goal_capacity(Goal.parse(goal), spec, backend)
    return ac, time.perf_counter() - t0


def parse_goals(goals: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """Goal weights as an array (K, 5), K >= 1, every row a valid goal (a clear error before
    any work)."""
    try:
        goals = np.asarray(goals, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            "goals must be rows of five numbers [unq_T, unq_R, red, syn, res]"
        ) from None
    if goals.ndim != 2 or goals.shape[1] != 5 or goals.shape[0] == 0:
        raise ValueError(
            f"goals must have shape (K, 5) [unq_T, unq_R, red, syn, res], K >= 1, got {goals.shape}"
        )
    for g in goals:
        Goal.parse(g)
    return goals


def run_sweep(
    out: Path | str,
    goals: Sequence[Sequence[float]] | np.ndarray,
    spec: SweepSettings,
    *,
    client: Any | None = None,
    backend: str | Backend | None = None,
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
    spec : SweepSettings
        The measurement.
    client : dask.distributed.Client or None
        Spread the goals over the client's workers (each goal is one task); None: in-process.
    backend : {"auto", "numpy", "cupy"} or None
        The array back end of each unit of work, chosen where it runs (see
        :func:`infobook.backend.get_backend`); this process's choice is recorded.
    on_goal_done : callable or None
        Called with the goal's index after it is saved.
    """
    goals = parse_goals(goals)
    if not isinstance(spec, SweepSettings):
        raise TypeError(f"spec must be a SweepSettings, got {type(spec).__name__}")
    here = get_backend(backend, default="numpy")  # a clear error before any work
    backend = here.name
    backend = here.name  # what every unit of work uses (a name: units may run elsewhere)
    store = RunStore(out, spec, _template(goals, spec), identity=IDENTITY)
    workers = describe_workers(client)
    if client is not None:
        workers += f"; each worker runs the back end {backend}"
    todo = [int(k["goal"]) for k in store.begin(backend=here.reason, workers=workers)]
    ds = store.ds
    bar = store.progress(f"sweep of {len(goals)} goals", progress)

    def record(i: int, ac: np.ndarray, seconds: float) -> None:
        ds["alpha_c"][i] = ac
        store.finish({"goal": i}, seconds)
        bar.update()
        if on_goal_done is not None:
            on_goal_done(i)

    if client is None:
        for i in todo:
            record(i, *_unit(goals[i], spec, backend))
    else:
        from distributed import as_completed

        futures = {
            client.submit(
                _unit, goals[i], spec, backend, key=f"goal-{i}-{store.path.name}-{time.time_ns()}"
            ): i
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


def describe_workers(client: Any | None) -> str:
    """Where the units of work run: in-process, or the workers and threads of a dask client."""
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
    spec: SweepSettings,
    *,
    sampler: str = "tpe",
    storage: str | None = "sqlite:///goal_study.db",
    study_name: str = "goal-capacity",
    seed: int = 0,
    client: Any | None = None,
    parallel: int | None = None,
    bounds: tuple[float, float] = (-1.0, 1.0),
    train_flips: tuple[float, float] | None = None,
    start: Sequence[tuple[Goal | str | Sequence[float], float | None]] = (),
    backend: str | Backend | None = None,
    progress: bool = True,
) -> Any:
    """Black-box maximisation of the median alpha_c over the five goal weights with Optuna.

    ``train_flips`` (lo, hi): search the training's cue noise too, a sixth parameter
    ``train_flips`` in [lo, hi] that each trial trains with (``Training.cue_flips``); with
    ``spec.recall_flips`` the objective is then the associative capacity of goal and training
    noise together. ``start``: (goal, training noise or None) pairs a new study tries first
    (known goals, before the sampler's own proposals); the weights are clipped to ``bounds``.

    ``sampler`` is ``"tpe"`` or ``"cmaes"`` (seeded with ``seed``). The study is persisted in
    ``storage`` (an Optuna storage URL; SQLite by default, None: in memory) under
    ``study_name``, so rerunning continues it until ``n_trials`` trials are complete; trials left
    running by an interrupted run are marked failed and not counted. Trials are asked in rounds
    of ``parallel`` (default: the client's worker count, or 1) and evaluated together, on the
    client's workers when a ``dask.distributed`` client is given. The objective scans the
    loads of ``spec`` and then bisects each seed's edge to one pattern (``spec`` with
    ``refine=True``): a coarse load grid plus bisection costs far less than a fine grid.

    Each unit of work runs on ``backend`` (see :func:`run_sweep`). With ``progress`` a bar
    counts the complete trials, starting at those of an earlier run, and shows the best so far.

    Returns the ``optuna.Study``; ``study.best_params`` holds the weights by atom name.
    """
    import optuna
    from tqdm.auto import tqdm

    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"the number of trials must be an integer >= 1, got {n_trials!r}")
    if not isinstance(spec, SweepSettings):
        raise TypeError(f"spec must be a SweepSettings, got {type(spec).__name__}")
    here = get_backend(backend, default="numpy")  # a clear error before any work
    backend = here.name

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
    if study.trials:  # a resumed study continues the sampler's stream, not its first draws
        seed = int(seed) * 1_000_003 + len(study.trials)
        study.sampler = samplers[sampler]()
    spec = replace(spec, refine=True)
    if train_flips is not None:
        lo, hi = (float(v) for v in train_flips)
        if not 0 <= lo <= hi < 1:
            raise ValueError(f"train_flips must be 0 <= lo <= hi < 1, got {train_flips!r}")
        if spec.training.cue_flips:
            raise ValueError(
                "the training's cue noise is either searched (train_flips) or fixed "
                f"(cue_flips = {spec.training.cue_flips}), not both"
            )
        train_flips = (lo, hi)
    settings = spec.to_json()
    stored = study.user_attrs.get("settings", settings)
    if stored != settings:
        raise ValueError(
            f"study {study_name!r} in {storage} was run with other settings: "
            f"{spec.difference(stored)}; choose another --study or --storage"
        )
    searched = None if train_flips is None else list(train_flips)
    if study.trials and study.user_attrs.get("train_flips") != searched:
        raise ValueError(
            f"study {study_name!r} in {storage} searched the training noise over "
            f"{study.user_attrs.get('train_flips')}, not {searched}; choose another --study"
        )
    if not study.trials:
        for goal, flips in start:
            weights = np.clip(Goal.parse(goal).weights, *bounds).tolist()
            params = dict(zip(ATOMS, weights, strict=True))
            if train_flips is not None:
                if flips is None:
                    raise ValueError("a start goal needs its training noise when it is searched")
                params["train_flips"] = float(np.clip(flips, *train_flips))
            study.enqueue_trial(params)
    study.set_user_attr("train_flips", searched)
    study.set_user_attr("settings", settings)
    study.set_user_attr("backend", here.reason)
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    if parallel is None:
        parallel = 1 if client is None else max(1, len(client.scheduler_info()["workers"]))

    def complete() -> int:
        return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))

    already = complete()
    if progress and already:
        print(f"study {study_name!r}: {already}/{n_trials} trials already done", flush=True)
    bar = tqdm(
        total=n_trials, initial=min(already, n_trials), disable=not progress, desc="optimise"
    )
    while complete() < n_trials:
        k = min(parallel, n_trials - complete())
        trials = [study.ask() for _ in range(k)]
        goals = [np.array([t.suggest_float(a, *bounds) for a in ATOMS]) for t in trials]
        specs = [spec] * k
        if train_flips is not None:
            specs = [
                replace(
                    spec,
                    training=replace(
                        spec.training, cue_flips=t.suggest_float("train_flips", *train_flips)
                    ),
                )
                for t in trials
            ]
        if client is None:
            results = [_unit(g, sp, backend) for g, sp in zip(goals, specs, strict=True)]
        else:
            futures = [
                client.submit(_unit, g, sp, backend, pure=False)
                for g, sp in zip(goals, specs, strict=True)
            ]
            results = client.gather(futures)
        for t, (ac, _) in zip(trials, results, strict=True):
            t.set_user_attr("alpha_c", [float(x) for x in ac])
            study.tell(t, float(np.median(ac)))
        bar.update(k)
        bar.set_postfix(best=f"{study.best_value:.3f}")
    bar.close()
    return study
