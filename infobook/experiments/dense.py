"""Capacity of 3-body networks against their size, one network per rule, size, cue corruption
and seed, saved after each and resumed.

Introduced in the chapter :ref:`ch-three-sources`. Command line (see
``python -m infobook dense --help``)::

    python -m infobook dense --rules hebbian,infomorphic --sizes 30,40 --flips 0,0.1 \\
        --seeds 5 --out dense_capacity.nc
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Backend, get_backend
from ..dense import DENSE_RULES, capacity, counting_ceiling, n_weights
from .settings import DenseSettings
from .store import RunStore, load_results


def _template(rules: list[str], sizes: list[int], flips: list[float], seeds: Sequence[int]) -> Any:
    import xarray as xr

    dims = ("rule", "n_neurons", "flips", "seed")
    shape = (len(rules), len(sizes), len(flips), len(seeds))
    ds = xr.Dataset(
        {
            "capacity": (dims, np.full(shape, np.nan)),
            "trainings": (dims, np.zeros(shape, dtype=np.int64)),
            "seconds": (dims, np.zeros(shape)),
            "done": (dims, np.zeros(shape, dtype=np.int8)),
        },
        coords={"rule": rules, "n_neurons": sizes, "flips": flips, "seed": list(seeds)},
    )
    return ds


def _parse(rules: Sequence[str], sizes: Sequence[int], flips: Sequence[float]) -> tuple:
    rules = [str(r) for r in rules]
    unknown = [r for r in rules if r not in DENSE_RULES]
    if unknown or not rules or len(set(rules)) != len(rules):
        raise ValueError(f"rules must be distinct names of {', '.join(DENSE_RULES)}, got {rules}")
    try:
        sizes = [int(n) for n in sizes]
        flips = [float(f) for f in flips]
    except (TypeError, ValueError):
        raise ValueError(
            f"sizes must be integers and flips fractions, got {sizes}, {flips}"
        ) from None
    if not sizes or min(sizes) < 3 or len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes must be distinct network sizes >= 3, got {sizes}")
    if not flips or any(not 0 <= f < 0.5 for f in flips) or len(set(flips)) != len(flips):
        raise ValueError(f"flips must be distinct fractions of the bits in [0, 0.5), got {flips}")
    return rules, sizes, flips


def run_dense_capacity(
    out: Path | str,
    rules: Sequence[str] = DENSE_RULES,
    sizes: Sequence[int] = (30, 40),
    flips: Sequence[float] = (0.0, 0.1),
    settings: DenseSettings | None = None,
    *,
    backend: str | Backend | None = None,
    progress: bool = True,
    on_entry_done: Callable[[dict[str, Any]], None] | None = None,
) -> Any:
    """The capacity (:func:`infobook.dense.capacity`) of one 3-body network per rule, size,
    flip fraction and seed, saved after each and resumed like
    :func:`infobook.experiments.capacity.run_capacity`. Network ``(N, seed)`` stores the first
    M patterns of :func:`infobook.hopfield.random_patterns` ``(M, N, seed)``.

    Returns a dataset with ``capacity`` (patterns; NaN until done), ``alpha_c = capacity / N``,
    ``trainings`` and ``seconds`` per entry, dims ``(rule, n_neurons, flips, seed)``, and per
    size the counting ceiling ``ceiling`` and the number of weights ``n_weights``.
    """
    rules, sizes, flips = _parse(rules, sizes, flips)
    settings = DenseSettings() if settings is None else settings
    chosen = get_backend(backend, default="numpy")
    store = RunStore(out, settings, _template(rules, sizes, flips, settings.seeds))
    todo = store.begin(backend=f"{chosen.reason}; the 3-body runs use NumPy")
    ds = store.ds
    bar = store.progress("3-body capacity", progress)
    for key in todo:
        t0 = time.perf_counter()
        m, k = capacity(
            key["rule"], key["n_neurons"], key["seed"], flips=key["flips"],
            rel_tol=settings.rel_tol, goal=settings.goal, training=settings.training,
        )  # fmt: skip
        ds["capacity"].loc[key] = float(m)
        ds["trainings"].loc[key] = k
        store.finish(key, time.perf_counter() - t0)
        bar.update()
        if on_entry_done is not None:
            on_entry_done(key)
    bar.close()
    return _derived(ds)


def _derived(ds: Any) -> Any:
    ds["alpha_c"] = ds.capacity / ds.n_neurons
    ds["ceiling"] = ("n_neurons", [counting_ceiling(int(n)) for n in ds.n_neurons.values])
    ds["n_weights"] = ("n_neurons", [n_weights(int(n)) for n in ds.n_neurons.values])
    return ds


def load_dense(path: Path | str) -> Any:
    """A results file of :func:`run_dense_capacity`, with ``alpha_c``, ``ceiling`` and
    ``n_weights``."""
    return _derived(load_results(path))
