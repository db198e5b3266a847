"""The exact fixed-point ceiling against the network size: one network per size and seed, saved
after each and resumed.

Introduced in the chapter :ref:`ch-baselines`.

Command line (see ``python -m infobook ceiling --help``)::

    python -m infobook ceiling --sizes 50,100,200,500 --seeds 10 --out ceiling.nc
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Backend, get_backend
from ..hopfield import pattern_bank
from ..rules import fixed_point_capacity
from .settings import CeilingSettings
from .store import RunStore, load_results


def _template(sizes: list[int], seeds: Sequence[int]) -> Any:
    import xarray as xr

    shape = (len(sizes), len(seeds))
    dims = ("n_neurons", "seed")
    ds = xr.Dataset(
        {"capacity": (dims, np.full(shape, np.nan)), "seconds": (dims, np.zeros(shape))},
        coords={"n_neurons": sizes, "seed": list(seeds)},
    )
    ds["done"] = (dims, np.zeros(shape, dtype=np.int8))
    return ds


def run_fixed_point_ceiling(
    out: Path | str,
    sizes: Sequence[int],
    seeds: Sequence[int] | int = 10,
    *,
    max_load: float = 2.4,
    markov: float | None = None,
    backend: str | Backend | None = None,
    progress: bool = True,
    on_network_done: Callable[[int, int], None] | None = None,
) -> Any:
    """Exact fixed-point capacity (:func:`infobook.rules.fixed_point_capacity`) of one network
    per seed and size, saved after each network and resumed like
    :func:`infobook.experiments.capacity.run_capacity`.

    Network ``(N, seed)`` stores the first M patterns of ``pattern_bank([seed], M_max, N)``
    (the banks of the capacity scans) with ``M_max = ceil(max_load N)``; with ``markov`` the
    banks hold the correlated Markov-chain patterns of that ``p``
    (:func:`infobook.hopfield.markov_patterns`). Returns a dataset with
    ``capacity`` (in patterns; NaN until done), ``alpha_c = capacity / N``, ``done`` and
    ``seconds``, dims ``(n_neurons, seed)``. The least distance programs are SciPy's and run
    on the CPU: ``backend`` is accepted like everywhere and recorded in the provenance.
    """
    try:
        sizes = [int(n) for n in sizes]
    except (TypeError, ValueError):
        raise ValueError(f"sizes must be integers, got {sizes!r}") from None
    if not sizes or min(sizes) < 2 or len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes must be distinct network sizes >= 2, got {sizes}")
    settings = CeilingSettings(seeds, max_load, markov)
    chosen = get_backend(backend, default="numpy")
    store = RunStore(out, settings, _template(sizes, settings.seeds))
    todo = store.begin(backend=f"{chosen.reason}; the exact solvers run on the CPU (SciPy)")
    ds = store.ds
    bar = store.progress("fixed-point ceiling", progress)
    for key in todo:
        n, s = key["n_neurons"], key["seed"]
        t0 = time.perf_counter()
        bank = pattern_bank([s], int(np.ceil(settings.max_load * n)), n, markov=settings.markov)
        ds["capacity"].loc[key] = float(fixed_point_capacity(bank)[0])
        store.finish(key, time.perf_counter() - t0)
        bar.update()
        if on_network_done is not None:
            on_network_done(n, s)
    bar.close()
    ds["alpha_c"] = ds.capacity / ds.n_neurons
    return ds


def load_ceiling(path: Path | str) -> Any:
    """A results file of :func:`run_fixed_point_ceiling`, with ``alpha_c = capacity / N``."""
    ds = load_results(path)
    ds["alpha_c"] = ds.capacity / ds.n_neurons
    return ds


def finished_ceilings(paths: Iterable[Path | str]) -> dict[tuple[int, int], int]:
    """The exact ceiling, in patterns, of every finished network of the ceiling files
    ``paths`` that exist, keyed by ``(N, seed)``; a later file's entry wins. The seed names
    the network's pattern bank, so a capacity run with the same seed and N has the same
    patterns and compares with this ceiling network by network."""
    out: dict[tuple[int, int], int] = {}
    for path in map(Path, paths):
        if not path.exists():
            continue
        ds = load_results(path)
        done = ds.done.values == 1
        for i, j in zip(*np.nonzero(done), strict=True):
            n, seed = int(ds.n_neurons.values[i]), int(ds.seed.values[j])
            out[n, seed] = int(ds.capacity.values[i, j])
    return out
