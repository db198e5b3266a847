"""The baseline rules measured like the infomorphic ones: capacity from clean cues and from
cues with flipped bits, one network per seed and load, saved per (rule, load) and resumed.

Introduced in the chapter :ref:`ch-baselines`.

Command line (see ``python -m infobook baselines --help``)::

    python -m infobook baselines --neurons 100 --seeds 20 --out baselines.nc
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Backend, get_backend, to_numpy
from ..hopfield import (
    THETA,
    _f_max,
    accuracy,
    capacity_from_scan,
    corrupt,
    loads_to_patterns,
    pattern_bank,
    recall,
)
from ..rules import get_rule, mpf
from .settings import FLIP_FRACTIONS, BaselineSettings, parse_alphas
from .store import RunStore, load_results, merge_results

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
#: Flip fractions always recalled, whatever the look-ahead says (the clean and noisy tables).
ALWAYS_RECALLED = (0.0, 0.1, 0.2)


def _template(rules: list[str], alphas: np.ndarray, settings: BaselineSettings) -> Any:
    import xarray as xr

    seeds, flips = list(settings.seeds), list(settings.flips)
    shape = (len(rules), len(alphas), len(seeds), len(flips))
    dims = ("rule", "alpha", "seed", "flip")
    ds = xr.Dataset(
        {v: (dims, np.full(shape, np.nan)) for v in ("a_cos", "a_theta", "fixed")},
        coords={"rule": rules, "alpha": alphas, "seed": seeds, "flip": flips},
    )
    ds["done"] = (("rule", "alpha"), np.zeros((len(rules), len(alphas)), dtype=np.int8))
    ds["seconds"] = (("rule", "alpha"), np.zeros((len(rules), len(alphas))))
    return ds


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
    markov: float | None = None,
    stop_after: int | None = None,
    backend: str | Backend | None = None,
    progress: bool = True,
    on_load_done: Callable[[str, float], None] | None = None,
    reuse: Sequence[Path | str] = (),
) -> Any:
    """Capacity and robustness of the baseline rules, one network per seed and load, saved as
    each (rule, load) completes and resumed like
    :func:`infobook.experiments.capacity.run_capacity`.

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
    clean cue and 10 % and 20 %, which are always recalled. The patterns move to ``backend``
    once; rules solved by SciPy (the exact optima) run on the CPU whatever it is.

    ``markov``: the patterns are the correlated Markov chains of
    :func:`infobook.hopfield.markov_patterns` with this ``p`` (default: independent fair
    bits). ``stop_after``: once every network of a rule has failed from the clean cue (a_cos
    below 0.95) at ``stop_after`` finished loads in a row, its higher loads are marked done
    without training and count as not stored (NaN, which :func:`baseline_scan` reads as a
    failure; such an entry has ``seconds`` 0, and ``on_load_done`` is not called for it);
    this assumes, as the capacity does, that a curve does not rise again past its edge, and the
    skipped loads are the expensive ones. Default: every load is trained.

    Returns the dataset with ``a_cos``, ``a_theta`` and ``fixed`` (dims ``rule, alpha, seed,
    flip``), ``done`` and ``seconds`` (dims ``rule, alpha``). :func:`baseline_scan` turns it into
    the per-rule views that :func:`infobook.hopfield.capacity_from_scan` reads, and
    :func:`baseline_f_max` gives the stability ``f_max``.
    """
    # names of infobook.rules.RULES, or a mapping from names to rules (callables); a mapping's
    # names label the results, so they should say everything that defines the rule
    named = (
        {str(k): v for k, v in rules.items()}
        if isinstance(rules, Mapping)
        else {str(r): get_rule(r)[1] for r in rules}  # unknown names fail before any work
    )
    if not named:
        raise ValueError("no rules given: pass rule names or a mapping from names to rules")
    settings = BaselineSettings(
        n_neurons, seeds, tuple(flips), look_ahead, mpf_steps, dtype, markov, stop_after
    )
    chosen = get_backend(backend, default="numpy")
    alphas = parse_alphas(alphas)
    rule_names = list(named)
    store = RunStore(out, settings, _template(rule_names, alphas, settings))
    store.reuse(reuse)
    todo = store.begin(backend=chosen.reason)
    n, flip_list = settings.n_neurons, list(settings.flips)
    ms = loads_to_patterns(alphas, n)
    patterns_at = dict(zip(alphas.tolist(), ms.tolist(), strict=True))
    xp = chosen.xp
    bank = pattern_bank(settings.seeds, int(ms.max()), n, markov=settings.markov,
                        dtype=settings.dtype)  # fmt: skip
    bank = xp.asarray(bank)
    ds = store.ds
    bar = store.progress(f"baselines N={n}", progress)
    for key in todo:
        rule, alpha = key["rule"], key["alpha"]
        m = int(patterns_at[float(alpha)])
        bar.set_postfix(rule=rule, alpha=float(alpha), M=m)
        if settings.stop_after is not None and _past_edge(ds, rule, alpha, settings.stop_after):
            store.finish(key, 0.0)  # not trained: counts as not stored
            bar.update()
            continue
        pats = bank[:, :m]
        t0 = time.perf_counter()
        if named[rule] is mpf:
            w, b = mpf(pats, steps=settings.mpf_steps)
        else:
            w, b = named[rule](pats)
        misses = np.zeros(len(settings.seeds), dtype=int)
        for f, frac in enumerate(flip_list):
            if misses.min() >= settings.look_ahead and frac not in ALWAYS_RECALLED:
                continue
            cues = corrupt(pats, int(round(frac * n)), seed=1000 * m + f)
            res = recall(w, cues, b)
            a_cos, a_theta = accuracy(res.states, pats, THETA)
            a_cos = np.asarray(to_numpy(a_cos), dtype=float)
            sel = {"rule": rule, "alpha": alpha, "flip": frac}
            ds["a_cos"].loc[sel] = a_cos
            ds["a_theta"].loc[sel] = np.asarray(to_numpy(a_theta), dtype=float)
            fixed = (res.status == 1).mean(axis=-1)
            ds["fixed"].loc[sel] = np.asarray(to_numpy(fixed), dtype=float)
            misses = np.where(a_cos > THETA, 0, misses + 1)
        store.finish(key, time.perf_counter() - t0)
        bar.update()
        if on_load_done is not None:
            on_load_done(rule, float(alpha))
    bar.close()
    return ds


def _past_edge(ds: Any, rule: str, alpha: Any, stop_after: int) -> bool:
    """Whether every network of ``rule`` failed from the clean cue at the ``stop_after``
    finished loads just below ``alpha`` (a skipped load counts as failed)."""
    below = ds.sel(rule=rule).where(ds.alpha < alpha, drop=True)
    if below.sizes["alpha"] < stop_after:
        return False
    last = below.isel(alpha=slice(-stop_after, None))
    if not bool((last.done == 1).all()):
        return False
    clean = last.a_cos.sel(flip=0.0).fillna(-1.0)
    return bool((clean < THETA).all())


def merge_baselines(target: Path | str, source: Path | str) -> Any:
    """Copy the finished (rule, load) entries of the baseline run ``source`` into ``target``
    (:func:`infobook.experiments.store.merge_results`).

    For runs split over processes or machines, each with its own file (for example
    ``--alphas 0.01:1.21:0.05`` and ``--alphas 1.26:2.01:0.05``): both files must hold the same
    settings; ``target``'s coordinates are kept, so only rules and loads that it has are copied,
    and entries it has finished already are left as they are.
    """
    return merge_results(target, source)


def baseline_scan(ds: Any, flip: float = 0.0) -> Any:
    """The scan of every rule at one cue-noise level: ``a_cos``, ``a_theta`` (dims ``rule,
    alpha, seed``) as :func:`infobook.hopfield.capacity_scan` returns them; loads not yet done
    and skipped levels count as not stored."""
    view = ds[["a_cos", "a_theta"]].sel(flip=flip, method="nearest").fillna(-1.0)
    return view.where(ds.done == 1, -1.0)


def baseline_f_max(ds: Any, theta: float | None = None, look_ahead: int | None = None) -> Any:
    """``f_max`` per rule, load and seed from a :func:`run_baselines` dataset: the largest flip
    fraction recalled with mean overlap above ``theta``, with the run's look-ahead."""
    import xarray as xr

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


def latest_baselines(paths: Sequence[Path | str]) -> dict[str, Any]:
    """Each rule's run from results files of :func:`run_baselines`, a later file's before an
    earlier one's: maps every rule with at least one finished load to the dataset it is read
    from. Files that do not exist are skipped."""
    latest: dict[str, Any] = {}
    for path in paths:
        if not Path(path).exists():
            continue
        ds = load_results(path)
        for rule in ds.rule.values:
            if int(ds.done.sel(rule=rule).sum()):
                latest[str(rule)] = ds
    return latest


def capacity_summary(
    ds: Any, rule: str, flips: Sequence[float] = (0.0, 0.1, 0.2)
) -> dict[str, Any]:
    """``alpha_c`` (mean and sd over seeds) of one rule of a :func:`run_baselines` dataset at
    each cue-noise level of ``flips``, and how many of its loads are finished."""
    cells = {}
    for f in flips:
        ac = capacity_from_scan(baseline_scan(ds, f).sel(rule=rule))
        cells[float(f)] = (float(ac.mean()), float(ac.std()))
    return {
        "alpha_c": cells,
        "done": int(ds.done.sel(rule=rule).sum()),
        "loads": int(ds.sizes["alpha"]),
    }
