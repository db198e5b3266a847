"""Trained networks under several PID measures: networks trained on one goal across the load,
the binned tables of some of their neurons decomposed with every measure, saved per load and
resumed.

Introduced in the chapter :ref:`ch-size-structure`. The measures other than this book's
:math:`I^\\mathrm{sx}` are those of the ``dit`` package (:func:`infobook.pid.pid_measure`), on
the very tables the training climbs (fixed binning: 2 x 60 bins on [-20, 20]).

Command line (see ``python -m infobook measures --help``)::

    python -m infobook measures --neurons 100 --seeds 5 --out measures.nc
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import atoms
from ..backend import Backend, get_backend, to_numpy
from ..hopfield import loads_to_patterns, pattern_bank
from ..infomorphic import evaluate, initial_weights, train
from ..neuron import forward
from ..pid import pid_measure, sxpid
from .settings import MeasureSettings
from .store import RunStore


def _template(settings: MeasureSettings) -> Any:
    import xarray as xr

    shape = (len(settings.alphas), len(settings.seeds))
    bits_shape = (*shape, settings.analysed, len(settings.measures), len(atoms.NEURON))
    return xr.Dataset(
        {
            "bits": (("alpha", "seed", "neuron", "measure", "atom"), np.full(bits_shape, np.nan)),
            "a_cos": (("alpha", "seed"), np.full(shape, np.nan)),
            "done": ("alpha", np.zeros(len(settings.alphas), dtype=np.int8)),
            "seconds": ("alpha", np.zeros(len(settings.alphas))),
        },
        coords={
            "alpha": list(settings.alphas),
            "seed": list(settings.seeds),
            "neuron": np.arange(settings.analysed),
            "measure": list(settings.measures),
            "atom": list(atoms.NEURON),
        },
    )


def decompose(tables: np.ndarray, measure: str) -> np.ndarray:
    """The atoms (..., 5) of tables (..., 2, bins, 2) under ``measure`` (``"sx"``: this book's
    :func:`infobook.pid.sxpid`, the others through ``dit``), in the order of
    :data:`infobook.atoms.NEURON`."""
    result = sxpid(tables) if measure == "sx" else pid_measure(tables, measure)
    profile = atoms.neuron_profile(result, reduce_axis=None)
    return np.stack([np.asarray(profile[a], dtype=float) for a in atoms.NEURON], axis=-1)


def run_measures(
    out: Path | str,
    settings: MeasureSettings | None = None,
    *,
    backend: str | Backend | None = None,
    progress: bool = True,
    on_load_done: Callable[[float], None] | None = None,
) -> Any:
    """Train one network per seed at every load of ``settings`` (the capacity runs' pattern
    banks and initial weights, all seeds as one batch) and decompose the binned tables of its
    first ``settings.analysed`` neurons with every measure; each load is saved as it completes
    and a rerun resumes. Returns the dataset: ``bits`` (alpha, seed, neuron, measure, atom), the
    networks' recall accuracy ``a_cos`` (alpha, seed), ``done`` and ``seconds`` per load. The
    networks train on ``backend`` (recorded in the provenance); the decompositions run on the
    CPU."""
    settings = MeasureSettings() if settings is None else settings
    chosen = get_backend(backend, default="numpy")
    store = RunStore(out, settings, _template(settings))
    todo = store.begin(backend=f"{chosen.reason}; the PID measures run on the CPU")
    n, seeds, recipe = settings.n_neurons, list(settings.seeds), settings.training
    ms = loads_to_patterns(np.asarray(settings.alphas), n)
    patterns_at = dict(zip(settings.alphas, ms.tolist(), strict=True))
    xp = chosen.xp
    bank = xp.asarray(pattern_bank(seeds, int(ms.max()), n, dtype=np.dtype(recipe.dtype)))
    init = np.stack([initial_weights(n, s, scale=recipe.init_scale, dtype=recipe.dtype)
                     for s in seeds])  # fmt: skip
    init = xp.asarray(init)
    ds = store.ds
    bar = store.progress(f"measures N={n}", progress)
    for key in todo:
        alpha = float(key["alpha"])
        m = int(patterns_at[alpha])
        bar.set_postfix(alpha=alpha, M=m)
        t0 = time.perf_counter()
        pats = bank[:, :m]
        res = train(pats, settings.goal, training=recipe, initial=init, ids=seeds)
        ev = evaluate(
            res.weights, pats, settings.goal, recipe.model, teach=res.w_teach,
            **recipe.recall_options(ids=seeds),
        )  # fmt: skip
        fw = forward(res.weights, pats, recipe.model, teach=res.w_teach)
        tables = to_numpy(fw["pmf"])[:, : settings.analysed]
        tables = tables.astype(np.float64)  # the float32 table, normalised in float64
        tables /= tables.sum(axis=(-3, -2, -1), keepdims=True)
        for measure in settings.measures:
            ds["bits"].loc[{"alpha": alpha, "measure": measure}] = decompose(tables, measure)
        ds["a_cos"].loc[{"alpha": alpha}] = np.asarray(to_numpy(ev["a_cos"]), dtype=float)
        store.finish(key, time.perf_counter() - t0)
        bar.update()
        if on_load_done is not None:
            on_load_done(alpha)
    bar.close()
    return ds
