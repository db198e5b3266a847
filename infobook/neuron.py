r"""The infomorphic Hopfield neuron's fixed parts, shared by both kernels of the training step.

Introduced in the chapter :ref:`ch-infomorphic`. Neuron ``i`` has a teaching input
:math:`T_i = w_T\,\xi_i` with a fixed weight :math:`w_T` and a recurrent input
:math:`R_i = \sum_{j \ne i} W_{ij} s_j` (zero diagonal, no bias); it outputs +1 with probability
:math:`\theta_i = \sigma(T_i + R_i)`. This module holds the logistic function, the initial
weights, the zero-diagonal mask, the neuron model (teaching weight and binning) and the forward
pass; :mod:`infobook.infomorphic` (the array program) and :mod:`infobook.fused` (the compiled
CPU kernel) both build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import array_namespace
from .histogram import BINNINGS, DEFAULT_RANGE, adaptive_index, bin_index, joint_pmf, soft_pmf

#: The published teaching weight.
W_TEACH = 2.3
#: Soft binning: temperatures of the bin memberships of T and R (input units; T's is so small
#: that its membership is a hard indicator).
SOFT_TAU = (1e-5, 0.5)
#: Soft binning: the padding (input units) that widens each source's range on either side.
SOFT_PADDING = 1.0
#: The gradients of soft binning: ``exact`` (every path, the edges followed to the entries at
#: the min and max of R), ``published`` (the source-only probabilities and the edges held
#: constant) and ``theta`` (a diagnostic: the memberships held constant too, so that only the
#: output probability is differentiated, as under hard bins).
SOFT_GRADIENTS = ("exact", "published", "theta")


def sigmoid(x: Any) -> Any:
    """Numerically stable logistic function."""
    xp = array_namespace(x)
    e = xp.exp(-xp.abs(x))  # never overflows
    s = 1.0 / (1.0 + e)
    neg = x < 0  # select by exact 0/1 products (much faster than ``where`` on NumPy)
    return ((~neg) * s + neg * (e * s)).astype(x.dtype)


def off_diagonal(n: int, dtype: Any = "float64", xp: Any = None) -> Any:
    """The mask ``1 - I`` of shape (n, n) in the array module ``xp`` (default NumPy):
    multiplying by it removes self-coupling."""
    xp = np if xp is None else xp
    return 1 - xp.eye(n, dtype=dtype)


def zero_diagonal(w: Any) -> Any:
    """``w`` (..., N, N) with its diagonal set to 0 (no self-coupling)."""
    xp = array_namespace(w)
    return w * off_diagonal(w.shape[-1], w.dtype, xp)


def initial_weights(
    n_neurons: int,
    seed: int | np.random.Generator = 0,
    *,
    batch: tuple[int, ...] = (),
    scale: float = 1e-3,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Weights uniform in :math:`\\pm\\,\\mathrm{scale}/\\sqrt{N}` with zero diagonal.

    For a batch, network ``k`` (in C order over ``batch``) draws from
    ``default_rng([seed, k])``, so a network's initial weights do not depend on the batch it
    is trained in.
    """
    if isinstance(seed, np.random.Generator):
        rngs = [seed] * int(np.prod(batch, dtype=int))
    else:
        rngs = [
            np.random.default_rng([int(seed), k]) for k in range(int(np.prod(batch, dtype=int)))
        ]
    bound = scale / np.sqrt(n_neurons)
    w = np.stack([r.uniform(-bound, bound, (n_neurons, n_neurons)) for r in rngs])
    w = w.reshape(*batch, n_neurons, n_neurons)
    w = w * off_diagonal(n_neurons)
    return w.astype(dtype)


@dataclass(frozen=True)
class NeuronModel:
    """Fixed settings of the infomorphic neuron: the teaching weight and the estimator of its
    joint table, ``bins_t`` bins of T and ``bins_r`` of R formed one of three ways
    (``binning``):

    * ``"fixed"`` (default): equal bins on ``value_range``, values outside clamped into the
      end bins; only the output probability is differentiated;
    * ``"adaptive"``: each neuron's T and R divided by their largest absolute value over the
      patterns, then right-closed equal bins on [-1, 1]; only the output probability is
      differentiated;
    * ``"soft"``: for each source, edges at the smallest and largest value over all patterns
      and neurons of the network, widened by :data:`SOFT_PADDING`; a sample's membership of
      bin ``b`` (centre ``c_b``, width ``w``) is :math:`\\sigma((w/2 - |x - c_b|)/\\tau)`
      with :math:`\\tau` from :data:`SOFT_TAU`, normalised over the bins; the table is
      differentiable in the inputs too. ``soft_gradient`` picks the exact gradient or the
      published one (see :data:`SOFT_GRADIENTS`).

    ``value_range`` is used by fixed binning only.
    """

    w_teach: float = W_TEACH
    bins_t: int = 2
    bins_r: int = 60
    value_range: tuple[float, float] = DEFAULT_RANGE
    binning: str = "fixed"
    soft_gradient: str = "exact"

    def __post_init__(self) -> None:
        if self.binning not in BINNINGS:
            raise ValueError(
                f"unknown binning {self.binning!r}; choose one of {', '.join(BINNINGS)}"
            )
        if self.soft_gradient not in SOFT_GRADIENTS:
            raise ValueError(
                f"unknown soft_gradient {self.soft_gradient!r}; choose one of "
                f"{', '.join(SOFT_GRADIENTS)}"
            )
        if not np.isfinite(self.w_teach):
            raise ValueError(f"the teaching weight must be finite, got {self.w_teach}")
        for name in ("bins_t", "bins_r"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        lo, hi = self.value_range
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ValueError(f"the bin range must be finite with hi > lo, got {self.value_range}")


def soft_edges(x: Any, padding: float = SOFT_PADDING) -> tuple[Any, Any]:
    """Soft binning's range of a source per network: the smallest and largest value of ``x``
    (..., M, N) over its patterns and neurons, widened by ``padding``; each of shape (...)."""
    return x.min(axis=(-2, -1)) - padding, x.max(axis=(-2, -1)) + padding


def soft_memberships(x: Any, lo: Any, hi: Any, bins: int, tau: float) -> tuple[Any, Any]:
    """Soft bin memberships of the samples ``x`` (..., M, N) for ``bins`` equal bins between the
    edges ``lo`` and ``hi`` (shape (...)).

    Returns ``(a, s)`` of shape (..., M, N, bins): the raw memberships
    :math:`s_b = \\sigma((w/2 - |x - c_b|)/\\tau)` in ``s`` and their normalisation over
    the bins, :math:`a_b = s_b / \\sum_k s_k`, in ``a``. Every sample lies between the edges,
    so its own bin has :math:`s_b \\ge 1/2`."""
    xp = array_namespace(x)
    width = (hi - lo) / bins
    centres = lo[..., None] + (xp.arange(bins, dtype=x.dtype) + 0.5) * width[..., None]
    dist = xp.abs(x[..., None] - centres[..., None, None, :])
    s = sigmoid((width[..., None, None, None] / 2 - dist) / tau)
    return s / s.sum(axis=-1, keepdims=True), s


def forward(
    weights: Any,
    patterns: Any,
    model: NeuronModel | None = None,
    cues: Any | None = None,
    teach: Any | None = None,
) -> dict[str, Any]:
    """Inputs, output probabilities, bins and per-neuron pmfs for the stored patterns
    (``model`` None: the published neuron, :class:`NeuronModel` with its defaults). With
    ``cues`` (the shape of ``patterns``, e.g. corrupted copies) the recurrent input is computed
    from the cues while the teaching input and the target stay the patterns. ``teach``
    (..., N): a teaching weight per neuron (a learned one) in place of ``model.w_teach``.

    Returns a dict with the inputs ``teach`` and ``rec`` and ``theta`` (..., M, N), and
    ``pmf`` (..., N, bins_t, bins_r, 2); with fixed or adaptive binning also the bins
    ``t_index``/``r_index`` (..., M, N); with soft binning the memberships ``a_t``, ``s_t``,
    ``a_r``, ``s_r`` (..., M, N, bins) and the edges ``edges_t``, ``edges_r`` (pairs of arrays
    of the batch shape) (see :func:`soft_memberships`).
    """
    model = NeuronModel() if model is None else model
    xp = array_namespace(weights, patterns)
    n = patterns.shape[-1]
    if weights.shape[-2:] != (n, n):
        raise ValueError(
            f"weights of shape {tuple(weights.shape)} do not fit patterns of {n} neurons; "
            "expected (..., N, N)"
        )
    w_teach = model.w_teach if teach is None else teach[..., None, :]
    teach = w_teach * patterns
    rec = (patterns if cues is None else cues) @ xp.swapaxes(weights, -1, -2)
    return tables(teach, rec, model, weights.dtype)


def tables(teach: Any, rec: Any, model: NeuronModel, dtype: Any = None) -> dict[str, Any]:
    """The rest of :func:`forward` for given inputs ``teach`` and ``rec`` (..., M, N), however
    the recurrent input was formed (pairwise here, from products of states in
    :mod:`infobook.dense`): the output probabilities, the bins (or memberships) and the pmfs,
    of ``dtype`` (default: that of ``rec``), under the binning of ``model``."""
    dtype = rec.dtype if dtype is None else dtype
    theta = sigmoid(teach + rec)
    out = {"teach": teach, "rec": rec, "theta": theta}
    if model.binning == "soft":
        tau_t, tau_r = SOFT_TAU
        edges_t, edges_r = soft_edges(teach), soft_edges(rec)
        a_t, s_t = soft_memberships(teach, *edges_t, model.bins_t, tau_t)
        a_r, s_r = soft_memberships(rec, *edges_r, model.bins_r, tau_r)
        pmf = soft_pmf(a_t, a_r, theta).astype(dtype)
        out.update(a_t=a_t, s_t=s_t, a_r=a_r, s_r=s_r, edges_t=edges_t, edges_r=edges_r)
        return {**out, "pmf": pmf}
    if model.binning == "adaptive":
        t_index = adaptive_index(teach, model.bins_t)
        r_index = adaptive_index(rec, model.bins_r)
    else:
        t_index = bin_index(teach, model.bins_t, model.value_range)
        r_index = bin_index(rec, model.bins_r, model.value_range)
    pmf = joint_pmf(t_index, r_index, theta, model.bins_t, model.bins_r).astype(dtype)
    return {**out, "t_index": t_index, "r_index": r_index, "pmf": pmf}
