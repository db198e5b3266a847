"""Long runs outside notebooks: capacity curves of infomorphic networks, saved as they complete.

Introduced in the chapter :ref:`ch-infomorphic`. A run trains, for every load of its grid, one
network per seed (all seeds at once, as one batched array program), recalls every stored pattern
with the teaching input off, and records the accuracy and the trained neurons' PID profile.
After each load the whole result is written to a temporary file that then atomically replaces
the results file (``os.replace``), so an interrupted run never leaves a corrupt file, and a rerun
with the same settings skips every finished load.

Command line (see ``python -m infobook capacity --help``)::

    python -m infobook capacity --goal redundancy --neurons 100 --seeds 20 --out results.nc
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .hopfield import loads_to_patterns, pattern_bank, published_alphas
from .infomorphic import (
    EPOCHS,
    LEARNING_RATE,
    W_TEACH,
    NeuronModel,
    evaluate,
    initial_weights,
    train,
)
from .pid import goal_vector

#: Variables recorded per load and seed by :func:`run_capacity`.
RESULT_VARS = ("a_cos", "a_theta", "stopped_at", "goal", "unq_T", "unq_R", "red", "syn", "res")


def run_settings(
    goal: str | Sequence[float],
    n_neurons: int,
    seeds: Sequence[int],
    *,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    w_teach: float = W_TEACH,
    bins_r: int = 60,
    dtype: str = "float32",
) -> dict[str, Any]:
    """The settings that define a run (stored in the file; a resume must match them)."""
    return {
        "goal": goal if isinstance(goal, str) else "custom",
        "goal_vector": [float(x) for x in goal_vector(goal)],
        "n_neurons": int(n_neurons),
        "seeds": [int(s) for s in seeds],
        "epochs": int(epochs),
        "lr": float(lr),
        "w_teach": float(w_teach),
        "bins_r": int(bins_r),
        "dtype": str(np.dtype(dtype)),
    }


def _command_line(argv: list[str]) -> str:
    """How this process was started: ``python -m infobook ...`` for the command line, else the
    script and its arguments (``python -c`` for inline code, whose text is not recorded)."""
    if not argv:
        return ""
    if Path(argv[0]).name == "__main__.py" and Path(argv[0]).parent.name == "infobook":
        return " ".join(["python -m infobook", *argv[1:]])
    return " ".join(["python", *argv])


def provenance() -> dict[str, str]:
    """Where and how a result is being computed: command, commit, machine, time (UTC)."""
    import datetime  # noqa: PLC0415
    import platform  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "command": _command_line(sys.argv),
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _empty(alphas: np.ndarray, seeds: list[int], settings: dict[str, Any]) -> Any:
    import xarray as xr  # noqa: PLC0415

    shape = (len(alphas), len(seeds))
    ds = xr.Dataset(
        {v: (("alpha", "seed"), np.full(shape, np.nan)) for v in RESULT_VARS},
        coords={"alpha": alphas, "seed": seeds},
    )
    ds["done"] = ("alpha", np.zeros(len(alphas), dtype=np.int8))
    ds["seconds"] = ("alpha", np.zeros(len(alphas)))
    ds.attrs["settings"] = json.dumps(settings, sort_keys=True)
    return ds


def save_atomic(ds: Any, path: Path) -> None:
    """Write ``ds`` as netCDF to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    ds.to_netcdf(tmp, engine="scipy")
    os.replace(tmp, path)


def load_results(path: Path) -> Any:
    """Read a results file into memory (the file is closed afterwards)."""
    import xarray as xr  # noqa: PLC0415

    with xr.open_dataset(path, engine="scipy") as ds:
        return ds.load()


def _previous_run(out: Path, settings: dict[str, Any]) -> Any | None:
    """The results already in ``out`` (None if there are none), provided they were computed
    with exactly ``settings``; a file from another run is an error, never overwritten."""
    if not out.exists():
        return None
    old = load_results(out)
    if json.loads(old.attrs["settings"]) != settings:
        raise ValueError(
            f"{out} holds a run with other settings ({old.attrs['settings']}); "
            "choose another --out or delete the file"
        )
    return old


def run_capacity(
    out: Path | str,
    goal: str | Sequence[float] = "redundancy",
    n_neurons: int = 100,
    seeds: Sequence[int] | int = 20,
    alphas: Sequence[float] | None = None,
    *,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    w_teach: float = W_TEACH,
    bins_r: int = 60,
    dtype: str = "float32",
    progress: bool = True,
    on_load_done: Callable[[float], None] | None = None,
) -> Any:
    """Measure a capacity curve, resuming from ``out`` when it holds a run with the same settings.

    Returns the dataset (dims ``alpha``, ``seed``) with :data:`RESULT_VARS`, the per-load flag
    ``done`` and wall time ``seconds``; its attribute ``settings`` records the run's settings.
    ``on_load_done(alpha)`` is called after each load is saved (for tests and callers that want
    to follow progress).
    """
    from tqdm.auto import tqdm  # noqa: PLC0415

    out = Path(out)
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    alphas = published_alphas() if alphas is None else np.round(np.asarray(alphas, float), 6)
    settings = run_settings(
        goal, n_neurons, seeds, epochs=epochs, lr=lr, w_teach=w_teach, bins_r=bins_r, dtype=dtype
    )
    old = _previous_run(out, settings)
    if old is not None:
        ds = _empty(alphas, seeds, settings)
        common = np.intersect1d(old.alpha.values, alphas)
        finished = [a for a in common if int(old.done.sel(alpha=a)) == 1]
        if finished:
            ds.loc[{"alpha": finished}] = old.sel(alpha=finished)[list(ds.data_vars)]
        ds.attrs["provenance"] = old.attrs.get("provenance", "[]")
    else:
        ds = _empty(alphas, seeds, settings)
    todo = [a for a in alphas if int(ds.done.sel(alpha=a)) == 0]
    ms = loads_to_patterns(alphas, n_neurons)
    bank = pattern_bank(seeds, int(ms.max()), n_neurons, dtype=np.dtype(dtype))
    model = NeuronModel(w_teach, 2, bins_r)
    # each network's initial weights come from its own seed, whatever batch it is trained in
    init = np.stack([initial_weights(n_neurons, s, dtype=np.dtype(dtype)) for s in seeds])
    # one provenance entry per invocation that added loads to this file
    history = json.loads(ds.attrs.get("provenance", "[]"))
    if todo:
        history.append(provenance())
    ds.attrs["provenance"] = json.dumps(history)
    bar = tqdm(todo, disable=not progress, desc=f"capacity {settings['goal']} N={n_neurons}")
    patterns_at = dict(zip(alphas.tolist(), ms.tolist(), strict=True))
    for alpha in bar:
        m = int(patterns_at[float(alpha)])
        bar.set_postfix(alpha=float(alpha), M=m)
        pats = bank[:, :m]
        t0 = time.perf_counter()
        res = train(
            pats,
            goal,
            epochs=epochs,
            lr=lr,
            w_teach=w_teach,
            bins_r=bins_r,
            dtype=np.dtype(dtype),
            initial=init,
        )
        ev = evaluate(res.weights, pats, goal, model)
        row = {k: np.asarray(ev[k], dtype=float) for k in RESULT_VARS if k in ev}
        row["stopped_at"] = res.stopped_at.astype(float)
        for k, v in row.items():
            ds[k].loc[{"alpha": alpha}] = v
        ds["done"].loc[{"alpha": alpha}] = 1
        ds["seconds"].loc[{"alpha": alpha}] = time.perf_counter() - t0
        save_atomic(ds, out)
        if on_load_done is not None:
            on_load_done(float(alpha))
    bar.close()
    return ds


def capacity_curve(
    goal: str | Sequence[float],
    n_neurons: int,
    seeds: Sequence[int] | int,
    alphas: Sequence[float] | None = None,
    *,
    epochs: int = EPOCHS,
    results_file: Path | str | None = None,
    cache_dir: Path | str | None = None,
    **kwargs: Any,
) -> tuple[Any, str]:
    """A capacity curve for a chapter: read from ``results_file`` when it holds exactly this run,
    otherwise computed now (resumable in ``cache_dir`` when given).

    Returns ``(dataset, provenance)`` where ``provenance`` is a sentence for the page saying
    where the numbers come from.
    """
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    alphas_arr = published_alphas() if alphas is None else np.round(np.asarray(alphas, float), 6)
    wanted = run_settings(goal, n_neurons, seeds, epochs=epochs, **kwargs)
    if results_file is not None and Path(results_file).exists():
        ds = load_results(Path(results_file))
        same = json.loads(ds.attrs["settings"]) == wanted
        covered = np.isin(alphas_arr, ds.alpha.values).all()
        if same and covered and bool((ds.done.sel(alpha=alphas_arr) == 1).all()):
            ds = ds.sel(alpha=alphas_arr)
            return ds, (
                f"read from `{Path(results_file).name}`, computed by `python -m infobook capacity` "
                f"({float(ds.seconds.sum()) / 60:.0f} min of training)"
            )
    import tempfile  # noqa: PLC0415

    name = wanted["goal"] + "_" + "_".join(f"{x:g}" for x in wanted["goal_vector"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if cache_dir is None else Path(cache_dir)
        ds = run_capacity(
            folder / f"{name}_N{n_neurons}.nc",
            goal,
            n_neurons,
            seeds,
            alphas_arr,
            epochs=epochs,
            progress=False,
            **kwargs,
        )
    return ds, f"computed while this page was built ({float(ds.seconds.sum()):.0f} s of training)"


# --------------------------------------------------------------------------- baseline rules

#: Rules measured by :func:`run_baselines` by default (names of :data:`infobook.rules.RULES`).
BASELINE_RULES = (
    "hebbian",
    "pseudo_inverse",
    "storkey",
    "descent_l2",
    "lp_optimum",
    "krauth_mezard",
    "adatron",
    "max_stability",
    "mpf",
)
#: Fractions of flipped cue bits recalled by :func:`run_baselines` (0 is the clean cue).
FLIP_FRACTIONS = tuple(float(f) for f in np.round(np.arange(0, 0.51, 0.02), 2))
#: Flip fractions always recalled, whatever the look-ahead says (the clean and noisy tables).
ALWAYS_RECALLED = (0.0, 0.1, 0.2)


def _empty_baselines(rules: list[str], alphas: np.ndarray, seeds: list[int], settings: dict) -> Any:
    import xarray as xr  # noqa: PLC0415

    flips = np.asarray(settings["flips"])
    shape = (len(rules), len(alphas), len(seeds), len(flips))
    dims = ("rule", "alpha", "seed", "flip")
    ds = xr.Dataset(
        {v: (dims, np.full(shape, np.nan)) for v in ("a_cos", "a_theta", "fixed")},
        coords={"rule": rules, "alpha": alphas, "seed": seeds, "flip": flips},
    )
    ds["done"] = (("rule", "alpha"), np.zeros((len(rules), len(alphas)), dtype=np.int8))
    ds["seconds"] = (("rule", "alpha"), np.zeros((len(rules), len(alphas))))
    ds.attrs["settings"] = json.dumps(settings, sort_keys=True)
    return ds


def _copy_finished(dst: Any, src: Any) -> int:
    """Copy into ``dst`` every entry that ``src`` has finished and ``dst`` has not, an entry
    being a point of the dims of ``done`` (for baselines (rule, load)) that both datasets hold;
    returns how many were copied."""
    dims = dst.done.dims
    common = [np.intersect1d(src[d].values, dst[d].values) for d in dims]
    copied = 0
    for key in itertools.product(*common):
        here = dict(zip(dims, key, strict=True))
        if int(src.done.sel(here)) == 1 and int(dst.done.sel(here)) == 0:
            dst.loc[here] = src.sel(here)[list(dst.data_vars)]
            copied += 1
    return copied


def run_baselines(
    out: Path | str,
    rules: Sequence[str] | Mapping[str, Callable[[Any], tuple[Any, Any]]] = BASELINE_RULES,
    n_neurons: int = 100,
    seeds: Sequence[int] | int = 20,
    alphas: Sequence[float] | None = None,
    *,
    flips: Sequence[float] = FLIP_FRACTIONS,
    look_ahead: int = 5,
    mpf_steps: int = 40_000,
    dtype: str = "float64",
    progress: bool = True,
    on_load_done: Callable[[str, float], None] | None = None,
    reuse: Sequence[Path | str] = (),
) -> Any:
    """Capacity and robustness of the baseline rules, one network per seed and load, saved as
    each (rule, load) completes and resumed like :func:`run_capacity`.

    ``reuse`` names other results files of this function with the same settings (for example a
    rule run as a process of its own): their finished (rule, load) entries are taken instead of
    computed, a later file's before an earlier one's, and ``out``'s own before any. Their
    provenance is appended, each entry marked ``reused_from``. A file with other settings is an
    error.

    ``rules`` holds names of :data:`infobook.rules.RULES` or maps names to rules (callables
    from patterns to weights and biases, such as :func:`infobook.infomorphic.make_rule`).
    Every network is trained once; each stored pattern is then cued with ``round(f N)`` of its
    bits flipped for every fraction ``f`` of ``flips`` (0 = the clean cue; the flips of level
    ``f`` at load ``M`` come from seed ``1000 M + index of f``, as in
    :func:`infobook.hopfield.stability_scan`) and recalled synchronously. Levels past the point
    where every network has failed ``look_ahead`` levels in a row are skipped (NaN), except the
    clean cue and 10 % and 20 %, which are always recalled.

    Returns the dataset with ``a_cos``, ``a_theta`` and ``fixed`` (dims ``rule, alpha, seed,
    flip``), ``done`` and ``seconds`` (dims ``rule, alpha``). :func:`baseline_scan` turns it into
    the per-rule views that :func:`infobook.hopfield.capacity_from_scan` reads, and
    :func:`baseline_f_max` gives the stability ``f_max``.
    """
    from tqdm.auto import tqdm  # noqa: PLC0415

    from .hopfield import THETA, accuracy, corrupt, get_rule, recall  # noqa: PLC0415
    from .rules import mpf  # noqa: PLC0415

    out = Path(out)
    # names of infobook.rules.RULES, or a mapping from names to rules (callables); a mapping's
    # names label the results, so they should say everything that defines the rule
    named = (
        {str(k): v for k, v in rules.items()}
        if isinstance(rules, Mapping)
        else {str(r): get_rule(r)[1] for r in rules}  # unknown names fail before any work
    )
    if not named:
        raise ValueError("no rules given: pass rule names or a mapping from names to rules")
    rules = list(named)
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    alphas = published_alphas() if alphas is None else np.round(np.asarray(alphas, float), 6)
    flips = [float(f) for f in np.round(np.asarray(flips, float), 6)]
    settings = {
        "n_neurons": int(n_neurons),
        "seeds": seeds,
        "flips": flips,
        "look_ahead": int(look_ahead),
        "mpf_steps": int(mpf_steps),
        "dtype": str(np.dtype(dtype)),
    }
    ds = _empty_baselines(rules, alphas, seeds, settings)
    old = _previous_run(out, settings)
    if old is not None:
        _copy_finished(ds, old)
        ds.attrs["provenance"] = old.attrs.get("provenance", "[]")
    history = json.loads(ds.attrs.get("provenance", "[]"))
    missing = [str(p) for p in reuse if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"results files to reuse do not exist: {', '.join(missing)}")
    for path in reversed([Path(p) for p in reuse]):
        other = load_results(path)
        if json.loads(other.attrs["settings"]) != settings:
            raise ValueError(
                f"{path} holds a run with other settings ({other.attrs['settings']}) than "
                f"this one ({json.dumps(settings, sort_keys=True)}); it cannot be reused"
            )
        if _copy_finished(ds, other):
            for entry in json.loads(other.attrs.get("provenance", "[]")):
                history.append({**entry, "reused_from": path.name})
    todo = [(r, a) for r in rules for a in alphas if int(ds.done.sel(rule=r, alpha=a)) == 0]
    if todo:
        history.append(provenance())
    ds.attrs["provenance"] = json.dumps(history)
    ms = loads_to_patterns(alphas, n_neurons)
    patterns_at = dict(zip(alphas.tolist(), ms.tolist(), strict=True))
    bank = pattern_bank(seeds, int(ms.max()), n_neurons, dtype=np.dtype(dtype))
    bar = tqdm(todo, disable=not progress, desc=f"baselines N={n_neurons}")
    for rule, alpha in bar:
        m = int(patterns_at[float(alpha)])
        bar.set_postfix(rule=rule, alpha=float(alpha), M=m)
        pats = bank[:, :m]
        t0 = time.perf_counter()
        if named[rule] is mpf:
            w, b = mpf(pats, steps=mpf_steps)
        else:
            w, b = named[rule](pats)
        misses = np.zeros(len(seeds), dtype=int)
        for f, frac in enumerate(flips):
            if misses.min() >= look_ahead and frac not in ALWAYS_RECALLED:
                continue
            cues = corrupt(pats, int(round(frac * n_neurons)), seed=1000 * m + f)
            res = recall(w, cues, b)
            a_cos, a_theta = accuracy(res.states, pats, THETA)
            a_cos = np.asarray(a_cos, dtype=float)
            sel = {"rule": rule, "alpha": alpha, "flip": frac}
            ds["a_cos"].loc[sel] = a_cos
            ds["a_theta"].loc[sel] = np.asarray(a_theta, dtype=float)
            ds["fixed"].loc[sel] = np.asarray((res.status == 1).mean(axis=-1), dtype=float)
            misses = np.where(a_cos > THETA, 0, misses + 1)
        ds["done"].loc[{"rule": rule, "alpha": alpha}] = 1
        ds["seconds"].loc[{"rule": rule, "alpha": alpha}] = time.perf_counter() - t0
        save_atomic(ds, out)
        if on_load_done is not None:
            on_load_done(rule, float(alpha))
    bar.close()
    return ds


def merge_baselines(target: Path | str, source: Path | str) -> Any:
    """Copy the finished (rule, load) entries of the baseline run ``source`` into ``target``.

    For runs split over processes or machines, each with its own file (for example
    ``--alphas 0.01:1.21:0.05`` and ``--alphas 1.26:2.01:0.05``): both files must hold the same
    settings; ``target``'s coordinates are kept, so only rules and loads that it has are copied,
    and entries it has finished already are left as they are. ``source``'s provenance entries are
    appended to ``target``'s, each marked with ``merged_from``. Saved atomically; returns the
    merged dataset.
    """
    target, source = Path(target), Path(source)
    tgt, src = load_results(target).load(), load_results(source).load()
    if json.loads(tgt.attrs["settings"]) != json.loads(src.attrs["settings"]):
        raise ValueError(
            f"{source} was computed with other settings than {target} "
            f"({src.attrs['settings']} against {tgt.attrs['settings']}); they cannot be merged"
        )
    if _copy_finished(tgt, src):
        history = json.loads(tgt.attrs.get("provenance", "[]"))
        for entry in json.loads(src.attrs.get("provenance", "[]")):
            history.append({**entry, "merged_from": source.name})
        tgt.attrs["provenance"] = json.dumps(history)
        save_atomic(tgt, target)
    return tgt


def baseline_scan(ds: Any, flip: float = 0.0) -> Any:
    """The scan of every rule at one cue-noise level: ``a_cos``, ``a_theta`` (dims ``rule,
    alpha, seed``) as :func:`infobook.hopfield.capacity_scan` returns them; loads not yet done
    and skipped levels count as not stored."""
    view = ds[["a_cos", "a_theta"]].sel(flip=flip, method="nearest").fillna(-1.0)
    return view.where(ds.done == 1, -1.0)


def baseline_f_max(ds: Any, theta: float | None = None, look_ahead: int | None = None) -> Any:
    """``f_max`` per rule, load and seed from a :func:`run_baselines` dataset: the largest flip
    fraction recalled with mean overlap above ``theta``, with the run's look-ahead."""
    import xarray as xr  # noqa: PLC0415

    from .hopfield import THETA, _f_max  # noqa: PLC0415

    theta = THETA if theta is None else theta
    look_ahead = (
        json.loads(ds.attrs["settings"])["look_ahead"] if look_ahead is None else look_ahead
    )
    flips = ds.flip.values
    ov = ds.a_cos.fillna(-1.0).transpose("rule", "alpha", "seed", "flip").values
    f_max = np.apply_along_axis(lambda o: _f_max(o, flips, theta, look_ahead), -1, ov)
    out = xr.DataArray(
        f_max,
        dims=("rule", "alpha", "seed"),
        coords={k: ds[k] for k in ("rule", "alpha", "seed")},
        name="f_max",
    )
    return out.where(ds.done == 1)


def stored_run_summary(path: Path | str) -> dict[str, Any]:
    """What a results file of :func:`run_capacity` holds, for a page that reports it.

    Returns a dict with the dataset (``ds``, finished loads only), ``complete`` (every load of
    its grid done), ``alpha_c`` per seed over the finished loads (``None`` unless complete),
    the largest finished load, the total training time in minutes, its settings and the list of
    provenance entries (command, commit, machine, UTC time of each invocation).
    """
    from .hopfield import capacity_from_scan  # noqa: PLC0415

    ds = load_results(Path(path))
    done = ds.done.values == 1
    finished = ds.isel(alpha=np.flatnonzero(done))
    complete = bool(done.all())
    return {
        "ds": finished,
        "complete": complete,
        "alpha_c": capacity_from_scan(finished) if complete else None,
        "last_alpha": float(finished.alpha.max()) if done.any() else float("nan"),
        "minutes": float(ds.seconds.sum()) / 60,
        "settings": json.loads(ds.attrs["settings"]),
        "provenance": json.loads(ds.attrs.get("provenance", "[]")),
    }


# --------------------------------------------------------------------------- fixed-point ceiling


def run_fixed_point_ceiling(
    out: Path | str,
    sizes: Sequence[int],
    seeds: Sequence[int] | int = 10,
    *,
    max_load: float = 2.4,
    progress: bool = True,
    on_network_done: Callable[[int, int], None] | None = None,
) -> Any:
    """Exact fixed-point capacity (:func:`infobook.rules.fixed_point_capacity`) of one network
    per seed and size, saved after each network and resumed like :func:`run_capacity`.

    Network ``(N, seed)`` stores the first M patterns of ``pattern_bank([seed], M_max, N)``
    (the banks of the capacity scans) with ``M_max = ceil(max_load N)``. Returns a dataset with
    ``capacity`` (in patterns; NaN until done), ``alpha_c = capacity / N``, ``done`` and
    ``seconds``, dims ``(n_neurons, seed)``.
    """
    import xarray as xr  # noqa: PLC0415
    from tqdm.auto import tqdm  # noqa: PLC0415

    from .rules import fixed_point_capacity  # noqa: PLC0415

    out = Path(out)
    sizes = [int(n) for n in sizes]
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not sizes or min(sizes) < 2:
        raise ValueError(f"sizes must be network sizes >= 2, got {sizes}")
    if not max_load > 0:
        raise ValueError(f"max_load must be a positive load M/N, got {max_load}")
    settings = {"max_load": float(max_load), "seeds": seeds}
    shape = (len(sizes), len(seeds))
    dims = ("n_neurons", "seed")
    ds = xr.Dataset(
        {"capacity": (dims, np.full(shape, np.nan)), "seconds": (dims, np.zeros(shape))},
        coords={"n_neurons": sizes, "seed": seeds},
    )
    ds["done"] = (dims, np.zeros(shape, dtype=np.int8))
    ds.attrs["settings"] = json.dumps(settings, sort_keys=True)
    old = _previous_run(out, settings)
    history = []
    if old is not None:
        history = json.loads(old.attrs.get("provenance", "[]"))
        _copy_finished(ds, old)
    todo = [(n, s) for n in sizes for s in seeds if not int(ds.done.sel(n_neurons=n, seed=s))]
    if todo:
        history.append(provenance())
    ds.attrs["provenance"] = json.dumps(history)
    for n, s in tqdm(todo, disable=not progress, desc="fixed-point ceiling"):
        t0 = time.perf_counter()
        bank = pattern_bank([s], int(np.ceil(max_load * n)), n)
        here = {"n_neurons": n, "seed": s}
        ds["capacity"].loc[here] = float(fixed_point_capacity(bank)[0])
        ds["seconds"].loc[here] = time.perf_counter() - t0
        ds["done"].loc[here] = 1
        save_atomic(ds, out)
        if on_network_done is not None:
            on_network_done(n, s)
    ds["alpha_c"] = ds.capacity / ds.n_neurons
    return ds
