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
from .histogram import DEFAULT_RANGE, bin_index, joint_pmf

#: The published teaching weight.
W_TEACH = 2.3


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
    """Fixed settings of the infomorphic neuron: the teaching weight and the binning of T and R
    (``bins_t`` and ``bins_r`` equal bins on ``value_range``, clamped)."""

    w_teach: float = W_TEACH
    bins_t: int = 2
    bins_r: int = 60
    value_range: tuple[float, float] = DEFAULT_RANGE

    def __post_init__(self) -> None:
        if not np.isfinite(self.w_teach):
            raise ValueError(f"the teaching weight must be finite, got {self.w_teach}")
        for name in ("bins_t", "bins_r"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        lo, hi = self.value_range
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ValueError(f"the bin range must be finite with hi > lo, got {self.value_range}")


def forward(
    weights: Any, patterns: Any, model: NeuronModel | None = None, cues: Any | None = None
) -> dict[str, Any]:
    """Inputs, output probabilities, bins and per-neuron pmfs for the stored patterns
    (``model`` None: the published neuron, :class:`NeuronModel` with its defaults). With
    ``cues`` (the shape of ``patterns``, e.g. corrupted copies) the recurrent input is computed
    from the cues while the teaching input and the target stay the patterns.

    Returns a dict with ``theta`` (..., M, N), ``t_index``/``r_index`` (..., M, N) and ``pmf``
    (..., N, bins_t, bins_r, 2).
    """
    model = NeuronModel() if model is None else model
    xp = array_namespace(weights, patterns)
    n = patterns.shape[-1]
    if weights.shape[-2:] != (n, n):
        raise ValueError(
            f"weights of shape {tuple(weights.shape)} do not fit patterns of {n} neurons; "
            "expected (..., N, N)"
        )
    teach = model.w_teach * patterns
    rec = (patterns if cues is None else cues) @ xp.swapaxes(weights, -1, -2)
    theta = sigmoid(teach + rec)
    t_index = bin_index(teach, model.bins_t, model.value_range)
    r_index = bin_index(rec, model.bins_r, model.value_range)
    pmf = joint_pmf(t_index, r_index, theta, model.bins_t, model.bins_r).astype(weights.dtype)
    return {"theta": theta, "t_index": t_index, "r_index": r_index, "pmf": pmf}
