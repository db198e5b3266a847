"""Binned joint pmfs of (teaching input, recurrent input, output) for many neurons at once.

Introduced in the chapter :ref:`ch-hebbian-pid`; the infomorphic learning rule uses the same
estimator. A neuron's two sources are binned on a fixed range with values outside clamped into
the edge bins, and the output enters through its probability of being +1, so that

.. math::

    p(t_\\mathrm{bin}, r_\\mathrm{bin}, y) = \\frac{1}{M} \\sum_\\mu
        1[T^\\mu \\in t_\\mathrm{bin}]\\, 1[R^\\mu \\in r_\\mathrm{bin}]\\, P(Y = y \\mid \\mu).

Output axis order: index 0 is y = -1, index 1 is y = +1.
"""

from __future__ import annotations

from typing import Any

from .backend import array_namespace

DEFAULT_RANGE = (-20.0, 20.0)
#: The three estimators of a neuron's joint table (see :class:`infobook.neuron.NeuronModel`).
BINNINGS = ("fixed", "adaptive", "soft")


def bin_index(x: Any, bins: int, value_range: tuple[float, float] = DEFAULT_RANGE) -> Any:
    """Index of the equal-width bin of ``x`` on ``value_range``, clamped to ``[0, bins - 1]``.

    The right edge of each bin is open, so with an even number of bins on a symmetric range,
    0 falls into the upper half: a value and its sign never share a bin across zero.
    """
    if bins < 1:
        raise ValueError(f"the number of bins must be >= 1, got {bins}")
    lo, hi = value_range
    if not hi > lo:
        raise ValueError(f"the bin range must have hi > lo, got {value_range}")
    xp = array_namespace(x)
    idx = xp.floor((x - lo) * (bins / (hi - lo)))
    return xp.clip(idx, 0, bins - 1).astype(xp.int64)


def adaptive_index(x: Any, bins: int, axis: int = -2) -> Any:
    """Adaptive binning: ``x`` divided by its largest absolute value along ``axis`` (the
    patterns of each neuron), so that it lies in [-1, 1], then the index of its right-closed
    equal-width bin of [-1, 1] (``(-1, -1 + 2/bins]`` is bin 0, -1 itself falls into bin 0).
    An input that is 0 for every pattern is left at 0."""
    if bins < 1:
        raise ValueError(f"the number of bins must be >= 1, got {bins}")
    xp = array_namespace(x)
    scale = xp.max(xp.abs(x), axis=axis, keepdims=True)
    u = x / xp.where(scale > 0, scale, 1)
    idx = xp.ceil((u + 1) * (bins / 2)) - 1
    return xp.clip(idx, 0, bins - 1).astype(xp.int64)


def soft_pmf(a_t: Any, a_r: Any, p_plus: Any) -> Any:
    """Per-neuron joint pmf from soft bin memberships.

    ``a_t`` (..., M, N, n_t) and ``a_r`` (..., M, N, n_r) are each sample's membership weights
    of the bins of either source (each summing to 1 over its bins, so that their product sums
    to 1 over the joint grid); ``p_plus`` (..., M, N) is P(Y = +1). Returns (..., N, n_t, n_r,
    2): :math:`p(t, r, y) = \\frac1M \\sum_\\mu a_t(\\mu, t)\\, a_r(\\mu, r)\\,
    P(y \\mid \\mu)`, target last. With one-hot memberships it is :func:`joint_pmf`.
    """
    xp = array_namespace(p_plus)
    m = p_plus.shape[-2]
    plus = xp.einsum("...mit,...mir,...mi->...itr", a_t, a_r, p_plus)
    minus = xp.einsum("...mit,...mir,...mi->...itr", a_t, a_r, 1 - p_plus)
    return xp.stack([minus, plus], axis=-1) / m


def joint_pmf(t_index: Any, r_index: Any, p_plus: Any, n_t: int, n_r: int) -> Any:
    """Per-neuron joint pmf from bin indices and output probabilities.

    Parameters
    ----------
    t_index, r_index : integer arrays of shape (..., M, N)
        Bin of the teaching and recurrent input of each of N neurons for each of M samples.
    p_plus : array of shape (..., M, N)
        P(Y = +1) of each neuron for each sample (0 or 1 for a deterministic output).
    n_t, n_r : int
        Number of bins of each source.

    Returns
    -------
    array of shape (..., N, n_t, n_r, 2)
        One pmf per neuron (summing to 1 over the last three axes), target last.
    """
    xp = array_namespace(p_plus)
    *batch, m, n = p_plus.shape
    cells = n_t * n_r
    flat_cell = t_index * n_r + r_index  # (..., M, N)
    n_groups = 1
    for b in batch:
        n_groups *= b
    group = xp.arange(n_groups * n, dtype=xp.int64).reshape(*batch, 1, n)
    key = (group * cells + flat_cell).reshape(-1)
    weights_plus = p_plus.reshape(-1)
    plus = xp.bincount(key, weights=weights_plus, minlength=n_groups * n * cells)
    total = xp.bincount(key, minlength=n_groups * n * cells).astype(plus.dtype)
    plus = plus.reshape(*batch, n, n_t, n_r)
    minus = total.reshape(*batch, n, n_t, n_r) - plus
    return xp.stack([minus, plus], axis=-1) / m
