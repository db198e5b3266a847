"""Capacity curves of infomorphic networks: one goal, every load of a grid, saved as they
complete.

Introduced in the chapter :ref:`ch-infomorphic`. A run trains, for every load of its grid, one
network per seed (all seeds at once, as one batched array program), recalls every stored pattern
with the teaching input off, and records the accuracy and the trained neurons' PID profile;
:class:`~infobook.experiments.store.RunStore` saves it after each load and resumes it.

Command line (see ``python -m infobook capacity --help``)::

    python -m infobook capacity --goal redundancy --neurons 100 --seeds 20 --out results.nc
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import atoms
from ..backend import Backend, get_backend, to_numpy
from ..hopfield import THETA, capacity_from_scan, loads_to_patterns, pattern_bank
from ..infomorphic import Training, evaluate, initial_weights, train
from ..pid import Goal
from .settings import CapacitySettings, parse_alphas
from .store import RunStore, load_results

#: Variables recorded per load and seed by :func:`run_capacity`.
RESULT_VARS = ("a_cos", "a_theta", "stopped_at", "goal", *atoms.NEURON)


def capacity_settings(
    goal: Goal | str | Sequence[float],
    n_neurons: int,
    seeds: int | Sequence[int],
    search: str = "scan",
    **training: Any,
) -> CapacitySettings:
    """The settings of a capacity curve, from a goal, a size, seeds, the search (``"scan"`` or
    ``"bisect"``) and the fields of :class:`infobook.infomorphic.Training` (``epochs``,
    ``lr``, ``w_teach``, ``bins_r``, ``binning``, ``dtype``, ...)."""
    return CapacitySettings(Goal.parse(goal), n_neurons, seeds, Training(**training), search)


def _template(alphas: np.ndarray, seeds: Sequence[int], per_seed: bool = False) -> Any:
    import xarray as xr

    shape = (len(alphas), len(seeds))
    ds = xr.Dataset(
        {v: (("alpha", "seed"), np.full(shape, np.nan)) for v in RESULT_VARS},
        coords={"alpha": alphas, "seed": list(seeds)},
    )
    dims = ("alpha", "seed") if per_seed else ("alpha",)
    ds["done"] = (dims, np.zeros(shape if per_seed else len(alphas), dtype=np.int8))
    ds["seconds"] = (dims, np.zeros(shape if per_seed else len(alphas)))
    return ds


def next_probe(results: Mapping[int, bool], n_loads: int) -> tuple[int | None, int]:
    """Bisection of one seed's edge on a grid of ``n_loads`` ascending loads.

    ``results`` maps the grid indices measured so far to whether the load was stored. Returns
    ``(probe, largest)``: the next index to measure (None once decided) and the index of the
    largest stored load (-1: none). The interval between the largest stored index ``lo``
    (-1 before any) and the smallest failed index above it ``hi`` (``n_loads`` before any) is
    halved until they are neighbours, starting from the middle of the grid. Where storage is
    monotone in the load this is the scan's answer (the largest stored load) from about
    log2(n_loads) + 1 trainings instead of n_loads. It is not monotone at the lowest loads
    (one or a few patterns make a degenerate table: G = red stores no single pattern), which
    a bisection from the middle never visits unless nothing above them is stored.
    """
    stored = [k for k, ok in results.items() if ok]
    lo = max(stored) if stored else -1
    above = [k for k, ok in results.items() if not ok and k > lo]
    hi = min(above) if above else n_loads
    if hi - lo <= 1:
        return None, lo
    return (lo + hi) // 2, lo


def next_batch(propose: Callable[[int], int | None], n_seeds: int) -> tuple[int, list[int]] | None:
    """One round of a lockstep search over seeds: ``propose(k)`` is seed ``k``'s next grid
    index (None: decided). Returns the lowest proposed index and the seeds that propose it (they
    train as one batch; the lowest first, being the cheapest and the one that decides seeds that
    store nothing), or None once every seed is decided."""
    proposals: dict[int, list[int]] = {}
    for k in range(n_seeds):
        index = propose(k)
        if index is not None:
            proposals.setdefault(index, []).append(k)
    if not proposals:
        return None
    index = min(proposals)
    return index, proposals[index]


def replay_bisection(scan: Any, var: str = "a_cos", threshold: float = THETA) -> tuple[Any, Any]:
    """What a bisection would answer on a full scan (dims ``alpha``, ``seed``; every load
    measured): per seed, the alpha_c that :func:`next_probe` settles on when the scan's own
    entries answer its probes, and how many of them it needed. Returns two arrays over the
    seeds; compare the first with :func:`infobook.hopfield.capacity_from_scan`."""
    alphas = scan.alpha.values
    found, probes = [], []
    for k in range(scan.sizes["seed"]):
        ok = scan[var].values[:, k] >= threshold
        known: dict[int, bool] = {}
        while (probe := next_probe(known, len(alphas))[0]) is not None:
            known[probe] = bool(ok[probe])
        largest = next_probe(known, len(alphas))[1]
        found.append(0.0 if largest < 0 else float(alphas[largest]))
        probes.append(len(known))
    return np.array(found), np.array(probes)


def capacity_from_bisection(ds: Any, var: str = "a_cos", threshold: float = THETA) -> Any:
    """alpha_c per seed of a bisection run (``done`` per load and seed): the load that
    :func:`next_probe` settles on from the measured entries, NaN for a seed not yet decided."""
    import xarray as xr

    alphas = ds.alpha.values
    out = []
    for seed in ds.seed.values:
        col = ds.sel(seed=seed)
        done = np.flatnonzero(col.done.values == 1)
        results = {int(k): bool(col[var].values[k] >= threshold) for k in done}
        probe, largest = next_probe(results, len(alphas))
        value = np.nan if probe is not None else (0.0 if largest < 0 else alphas[largest])
        out.append(value)
    return xr.DataArray(np.array(out), coords={"seed": ds.seed.values}, dims="seed",
                        name="alpha_c")  # fmt: skip


def run_capacity(
    out: Path | str,
    goal: Goal | str | Sequence[float] = "redundancy",
    n_neurons: int = 100,
    seeds: Sequence[int] | int = 20,
    alphas: Sequence[float] | None = None,
    *,
    settings: CapacitySettings | None = None,
    backend: str | Backend | None = None,
    progress: bool = True,
    on_load_done: Callable[[float], None] | None = None,
    retrain_nonfinite: bool = False,
    **training: Any,
) -> Any:
    """Measure a capacity curve, resuming from ``out`` when it holds a run with the same settings.

    The run is defined by ``settings`` or, when it is None, by ``goal``, ``n_neurons``, ``seeds``
    and the recipe ``training`` (fields of :class:`infobook.infomorphic.Training`: ``epochs``,
    ``lr``, ``w_teach``, ``bins_r``, ``dtype``, ...). ``alphas`` is the load grid (default the
    published one). The networks are trained on ``backend`` (see
    :func:`infobook.backend.get_backend`; the choice is recorded in the provenance): the
    patterns move there once, the results come back at each save.

    Returns the dataset (dims ``alpha``, ``seed``) with :data:`RESULT_VARS`, the per-load flag
    ``done`` and wall time ``seconds``; its attribute ``settings`` records the run's settings.
    ``on_load_done(alpha)`` is called after each load is saved (for tests and callers that want
    to follow progress). ``retrain_nonfinite``: train again the finished entries whose goal is
    not finite (their training ended in NaN weights), the count recorded in the provenance.
    """
    if settings is None:
        settings = capacity_settings(goal, n_neurons, seeds, **training)
    elif training:
        raise TypeError("give the run's settings or its training options, not both")
    chosen = get_backend(backend, default="numpy")
    alphas = parse_alphas(alphas)
    n, seeds, recipe = settings.n_neurons, settings.seeds, settings.training
    bisect = settings.search == "bisect"
    store = RunStore(out, settings, _template(alphas, seeds, per_seed=bisect))
    if retrain_nonfinite:
        store.retrain_nonfinite("goal")
    todo = store.begin(backend=chosen.reason)
    xp = chosen.xp
    ms = loads_to_patterns(alphas, n)
    bank = xp.asarray(pattern_bank(seeds, int(ms.max()), n, dtype=np.dtype(recipe.dtype)))
    # each network's initial weights come from its own seed, whatever batch it is trained in
    init = np.stack(
        [initial_weights(n, s, scale=recipe.init_scale, dtype=recipe.dtype) for s in seeds]
    )
    init = xp.asarray(init)
    patterns_at = dict(zip(alphas.tolist(), ms.tolist(), strict=True))
    if bisect:
        _bisect(store, settings, alphas, bank, init, patterns_at, progress, on_load_done)
        return store.ds
    bar = store.progress(f"capacity {settings.goal.label} N={n}", progress)
    for key in todo:
        alpha = key["alpha"]
        m = int(patterns_at[float(alpha)])
        bar.set_postfix(alpha=float(alpha), M=m)
        pats = bank[:, :m]
        t0 = time.perf_counter()
        res = train(pats, settings.goal, training=recipe, initial=init, ids=seeds)
        ev = evaluate(
            res.weights, pats, settings.goal, recipe.model, teach=res.w_teach,
            **recipe.recall_options(ids=seeds),
        )  # fmt: skip
        row = {k: np.asarray(to_numpy(ev[k]), dtype=float) for k in RESULT_VARS if k in ev}
        row["stopped_at"] = res.stopped_at.astype(float)
        for k, v in row.items():
            store.ds[k].loc[key] = v
        store.finish(key, time.perf_counter() - t0)
        bar.update()
        if on_load_done is not None:
            on_load_done(float(alpha))
    bar.close()
    return store.ds


def _bisect(store, settings, alphas, bank, init, patterns_at, progress, on_load_done) -> None:
    """The bisection search of :func:`run_capacity`: in rounds, every undecided seed proposes
    its next load (:func:`next_probe`); the seeds that propose the same load are trained as one
    batch; each (load, seed) entry is saved as it completes."""
    recipe = settings.training
    seeds = list(settings.seeds)
    ds = store.ds

    def known(k: int) -> dict[int, bool]:
        col = ds.isel(seed=k)
        done = np.flatnonzero(col.done.values == 1)
        return {int(i): bool(col.a_cos.values[i] >= THETA) for i in done}

    bar = store.progress(f"capacity {settings.goal.label} N={settings.n_neurons} (bisection)",
                         progress)  # fmt: skip
    bar.total = None  # the number of trainings is known only at the end
    while (
        batch := next_batch(lambda k: next_probe(known(k), len(alphas))[0], len(seeds))
    ) is not None:
        index, members = batch
        alpha = float(alphas[index])
        m = int(patterns_at[alpha])
        bar.set_postfix(alpha=alpha, M=m, seeds=len(members))
        pats = bank[members, :m]
        t0 = time.perf_counter()
        ids = [seeds[k] for k in members]
        res = train(pats, settings.goal, training=recipe, initial=init[members], ids=ids)
        ev = evaluate(
            res.weights, pats, settings.goal, recipe.model, teach=res.w_teach,
            **recipe.recall_options(ids=ids),
        )  # fmt: skip
        seconds = (time.perf_counter() - t0) / len(members)
        for j, k in enumerate(members):
            key = {"alpha": alphas[index], "seed": seeds[k]}
            for name in RESULT_VARS:
                if name == "stopped_at":
                    ds[name].loc[key] = float(res.stopped_at[j])
                elif name in ev:
                    ds[name].loc[key] = float(to_numpy(ev[name])[j])
            ds["done"].loc[key] = 1
            ds["seconds"].loc[key] = seconds
        store.save()
        bar.update(len(members))
        if on_load_done is not None:
            on_load_done(alpha)
    bar.close()


def capacity_curve(
    goal: Goal | str | Sequence[float],
    n_neurons: int,
    seeds: Sequence[int] | int,
    alphas: Sequence[float] | None = None,
    *,
    results_file: Path | str | None = None,
    cache_dir: Path | str | None = None,
    backend: str | Backend | None = None,
    **training: Any,
) -> tuple[Any, str]:
    """A capacity curve for a chapter: read from ``results_file`` when it holds exactly this run,
    otherwise computed now (resumable in ``cache_dir`` when given).

    Returns ``(dataset, provenance)`` where ``provenance`` is a sentence for the page saying
    where the numbers come from.
    """
    settings = capacity_settings(goal, n_neurons, seeds, **training)
    alphas_arr = parse_alphas(alphas)
    if results_file is not None and Path(results_file).exists():
        ds = load_results(Path(results_file))
        same = settings.difference(ds.attrs["settings"]) is None
        covered = np.isin(alphas_arr, ds.alpha.values).all()
        if same and covered and bool((ds.done.sel(alpha=alphas_arr) == 1).all()):
            ds = ds.sel(alpha=alphas_arr)
            return ds, (
                f"read from `{Path(results_file).name}`, computed by `python -m infobook capacity` "
                f"({float(ds.seconds.sum()) / 60:.0f} min of training)"
            )
    record = settings.record()
    name = record["goal"] + "_" + "_".join(f"{x:g}" for x in record["goal_vector"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if cache_dir is None else Path(cache_dir)
        ds = run_capacity(
            folder / f"{name}_N{settings.n_neurons}.nc",
            alphas=alphas_arr,
            settings=settings,
            backend=backend,
            progress=False,
        )
    return ds, f"computed while this page was built ({float(ds.seconds.sum()):.0f} s of training)"


def stored_run_summary(path: Path | str) -> dict[str, Any]:
    """What a results file of :func:`run_capacity` holds, for a page that reports it.

    Returns a dict with the dataset (``ds``: a scan's finished loads only; a bisection's every
    load, NaN where not trained), ``search`` (``"scan"`` or ``"bisect"``), ``complete`` (a
    scan: every load of its grid done; a bisection: every seed decided), ``alpha_c`` per seed
    (a scan: over the finished loads, ``None`` unless complete; a bisection: NaN for a seed
    not decided yet), ``decided`` (seeds with an alpha_c), the largest finished load, the
    total training time in minutes, its settings and the list of provenance entries
    (command, commit, machine, UTC time of each invocation).
    """
    ds = load_results(Path(path))
    settings = json.loads(ds.attrs["settings"])
    search = settings.get("search", "scan")
    trained = ds.done.values == 1
    if search == "bisect":
        finished = ds
        alpha_c = capacity_from_bisection(ds)
        decided = int(np.isfinite(alpha_c.values).sum())
        complete = decided == ds.sizes["seed"]
        loads = trained.any(axis=1)
    else:
        finished = ds.isel(alpha=np.flatnonzero(trained))
        complete = bool(trained.all())
        alpha_c = capacity_from_scan(finished) if complete else None
        decided = ds.sizes["seed"] if complete else 0
        loads = trained
    return {
        "ds": finished,
        "search": search,
        "complete": complete,
        "alpha_c": alpha_c,
        "decided": decided,
        "last_alpha": float(ds.alpha.values[loads].max()) if loads.any() else float("nan"),
        "minutes": float(ds.seconds.sum()) / 60,
        "settings": settings,
        "provenance": json.loads(ds.attrs.get("provenance", "[]")),
    }
