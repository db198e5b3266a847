r"""What a Hebbian neuron computes: the PID of its teaching and recurrent input about its output.

Introduced in the chapter :ref:`ch-hebbian-pid` (Figure 1 of Blümel et al. 2025). For neuron
``i`` and stored pattern :math:`\mu`, the two sources are the teaching input
:math:`T = \xi^\mu_i` and the recurrent input :math:`R = \sum_{j \ne i} W_{ij} \xi^\mu_j` under
unnormalised Hebbian weights, and the target is the output after one update,
:math:`Y = \mathrm{sign}(R)` (a zero field gives -1).

Two estimators:

* :func:`binned_neuron_pid`: histograms over the M patterns per neuron (T in 2 bins, R in 60
  equal bins on [-20, 20], clamped), averaged over neurons, as in the paper;
* :func:`hebbian_pid_exact`: the exact distribution of R, which is
  :math:`R = t(N-1) + (2k - L)` with :math:`L = (N-1)(M-1)` and
  :math:`k \sim \mathrm{Binomial}(L, 1/2)`, decomposed by :func:`infobook.pid.sxpid` at full
  resolution or after the same binning (the infinite-data limit of the binned estimator).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from . import atoms
from .backend import Backend, array_namespace, get_backend, to_numpy
from .histogram import DEFAULT_RANGE, bin_index, joint_pmf
from .hopfield import accuracy, loads_to_patterns, parse_alphas, parse_seeds, pattern_bank, recall
from .pid import Atoms, sxpid
from .rules import hebbian_weights

#: Names of the five quantities in the figure, in the published goal order.
PID_FIELDS = atoms.NEURON


def hebbian_sources(patterns: Any, weights: Any | None = None) -> tuple[Any, Any, Any]:
    """Teaching input, recurrent input and output of every neuron for every stored pattern.

    ``patterns`` (..., M, N) -> ``(T, R, Y)`` each (..., M, N); ``Y = sign(R)`` with sign(0) = -1.
    ``weights`` are the patterns' Hebbian weights, computed when not given.
    """
    xp = array_namespace(patterns)
    w = hebbian_weights(patterns) if weights is None else weights
    r = patterns @ xp.swapaxes(w, -1, -2)
    y = xp.where(r > 0, 1.0, -1.0).astype(patterns.dtype)
    return patterns, r, y


def binned_neuron_pid(
    t: Any,
    r: Any,
    p_plus: Any,
    *,
    bins_t: int = 2,
    bins_r: int = 60,
    value_range: tuple[float, float] = DEFAULT_RANGE,
) -> Atoms:
    """Per-neuron I^sx atoms from binned sources.

    ``t``, ``r`` and ``p_plus`` = P(Y = +1) have shape (..., M, N); the result's fields have shape
    (..., N). Both sources are binned on ``value_range`` with clamping
    (:func:`infobook.histogram.bin_index`).
    """
    p = joint_pmf(
        bin_index(t, bins_t, value_range), bin_index(r, bins_r, value_range), p_plus, bins_t, bins_r
    )
    return sxpid(p, validate=False)


def neuron_pid_profile(decomposition: Atoms) -> dict[str, Any]:
    """Average the per-neuron atoms over the neuron axis (last), named as in the figure
    (:func:`infobook.atoms.neuron_profile`)."""
    return atoms.neuron_profile(decomposition)


def hebbian_pid_scan(
    n_neurons: int,
    alphas: Sequence[float],
    seeds: Sequence[int] | int = 20,
    *,
    bins_r: int = 60,
    value_range: tuple[float, float] = DEFAULT_RANGE,
    with_recall: bool = True,
    backend: str | Backend | None = None,
) -> Any:
    """Figure 1: the neuron-averaged PID of Hebbian networks across loads and seeds.

    Returns an ``xarray.Dataset`` with the five quantities of :data:`PID_FIELDS` and (with
    ``with_recall``) the recall accuracy ``a_cos``, each with dims ``(alpha, seed)``. The
    computation runs on ``backend`` (see :func:`infobook.backend.get_backend`); the patterns
    move there once.
    """
    import xarray as xr

    seeds = list(parse_seeds(seeds))
    alphas = parse_alphas(alphas, ascending=False)
    ms = loads_to_patterns(alphas, n_neurons)
    chosen = get_backend(backend, default="numpy")
    xp = chosen.xp
    bank = xp.asarray(pattern_bank(seeds, int(ms.max()), n_neurons, dtype=np.float32))
    data = {k: np.zeros((len(ms), len(seeds))) for k in (*PID_FIELDS, "a_cos")}
    for a, m in enumerate(ms):
        pats = bank[:, :m]
        w = hebbian_weights(pats)
        t, r, y = hebbian_sources(pats, w)
        atoms = binned_neuron_pid(
            t, r, (y > 0).astype(xp.float64), bins_r=bins_r, value_range=value_range
        )
        for k, v in neuron_pid_profile(atoms).items():
            data[k][a] = to_numpy(v)
        if with_recall:
            data["a_cos"][a] = to_numpy(accuracy(recall(w, pats).states, pats)[0])
    if not with_recall:
        data.pop("a_cos")
    return xr.Dataset(
        {k: (("alpha", "seed"), v) for k, v in data.items()},
        coords={"alpha": np.asarray(alphas, dtype=float), "seed": seeds},
        attrs={
            "n_neurons": n_neurons,
            "bins_r": bins_r,
            "range": list(value_range),
            "backend": chosen.name,
        },
    )


def _exact_field_distribution(n_neurons: int, n_patterns: int) -> tuple[np.ndarray, np.ndarray]:
    """Support and pmf of the field R given t = +1: R = (N-1) + 2k - L, k ~ Binomial(L, 1/2)."""
    big_l = (n_neurons - 1) * (n_patterns - 1)
    k = np.arange(big_l + 1)
    r = (n_neurons - 1) + 2 * k - big_l
    return r.astype(float), stats.binom.pmf(k, big_l, 0.5)


def hebbian_pid_exact(
    n_neurons: int,
    n_patterns: int,
    *,
    bins_r: int | None = None,
    value_range: tuple[float, float] = DEFAULT_RANGE,
) -> Atoms:
    """Exact I^sx atoms of a Hebbian neuron (T uniform +-1, R its exact field, Y = sign R).

    With ``bins_r`` the field is binned exactly as the binned estimator bins it (the limit of
    infinitely many patterns per neuron); with ``None`` at full resolution (the analytic curve).
    """
    r_plus, pmf_plus = _exact_field_distribution(n_neurons, n_patterns)
    # t = -1 mirrors t = +1: R -> -R
    support = np.union1d(r_plus, -r_plus)
    n_r = len(support)
    p = np.zeros((2, n_r, 2))
    idx_plus = np.searchsorted(support, r_plus)
    idx_minus = np.searchsorted(support, -r_plus)
    y_plus = (r_plus > 0).astype(int)  # sign(0) = -1 -> index 0
    y_minus = (-r_plus > 0).astype(int)
    np.add.at(p, (1, idx_plus, y_plus), 0.5 * pmf_plus)
    np.add.at(p, (0, idx_minus, y_minus), 0.5 * pmf_plus)
    if bins_r is not None:
        b = bin_index(support, bins_r, value_range)
        binned = np.zeros((2, bins_r, 2))
        np.add.at(binned, (slice(None), b, slice(None)), p)
        p = binned
    # drop empty field values to keep the pmf small
    keep = p.sum(axis=(0, 2)) > 0
    return sxpid(p[:, keep, :] / p.sum())


def hebbian_red_closed_form(n_neurons: int, n_patterns: int) -> float:
    r"""The closed form of the exact redundancy (bits), for cross-checking
    :func:`hebbian_pid_exact`:

    .. math::

        \mathrm{red} = \sum_r P(r \mid t{=}{+}1)\, \log_2
        \frac{2\,(P(r \mid t{=}{-}1) + P(\mathrm{sign}\, r \mid t{=}{+}1))}{P(r \mid t{=}{-}1) + 1}.

    It assumes p(y) = 1/2, which holds exactly when R = 0 is impossible ((N-1)(M) odd).
    """
    r, pmf = _exact_field_distribution(n_neurons, n_patterns)
    lookup = dict(zip(-r, pmf, strict=True))  # P(r | t = -1) = P(-r | t = +1)
    p_minus = np.array([lookup.get(v, 0.0) for v in r])
    p_pos = pmf[r > 0].sum()
    p_sign = np.where(r > 0, p_pos, 1.0 - p_pos)
    mask = pmf > 0
    terms = np.log2(2 * (p_minus + p_sign) / (p_minus + 1.0))
    return float((pmf[mask] * terms[mask]).sum())
