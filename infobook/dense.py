r"""The 3-body ("dense") Hopfield network: a recurrent input made of products of two states.

Introduced in the chapter :ref:`ch-three-sources`. Neuron ``i`` receives

.. math::

    R_i = \sum_{j < k;\ j, k \ne i} W_{i, jk}\, s_j s_k + b_i,

a weight for every pair of the other neurons (the terms holding :math:`s_i` are removed; the
:math:`j = k` terms of the full sum are the constant :math:`s_j^2 = 1` and act as the bias
:math:`b_i`). Each neuron is a perceptron on the :math:`D = \binom{N-1}{2} + 1` features
:math:`(s_j s_k, 1)`, so the counting bound of Cover puts its capacity near :math:`2D`
patterns, about :math:`N^2` where the pairwise network stores :math:`2N`; the weights number
:math:`N \binom{N-1}{2} + N`, of order :math:`N^3`.

The infomorphic neuron is the two-source neuron of :mod:`infobook.neuron` with this input in
place of the pairwise one: its teaching input :math:`T_i = w_T \xi_i`, the same binning, goals
and gradients (:func:`infobook.infomorphic.input_gradient`), only the last product with the
states replaced by one with the pair features. The Hebbian 3-body memory is the cubic
dense associative memory, :math:`W_{i, jk} = \sum_\mu \xi^\mu_i \xi^\mu_j \xi^\mu_k / N^2`
summed over every ``j, k`` other than ``i`` (the ``j = k`` terms give its bias).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import atoms
from .backend import array_namespace, to_numpy
from .hopfield import RecallResult, accuracy, bisect_edge, corrupt, iterate, random_patterns
from .infomorphic import Adam, Training, _check_patterns, checkpoints, input_gradient
from .neuron import tables
from .pid import Goal, sxpid
from .rules import cover_separable_probability

#: The rules of a 3-body network that :func:`measure_load` knows.
DENSE_RULES = ("hebbian", "hebbian_no_bias", "infomorphic")


def pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The indices ``(j, k)``, ``j < k``, of the :math:`\\binom{N}{2}` pairs of N neurons."""
    if int(n) != n or n < 3:
        raise ValueError(f"a 3-body network needs N >= 3 neurons, got {n!r}")
    j, k = np.triu_indices(int(n), 1)
    return j, k


def pair_mask(n: int, dtype: Any = "float64", xp: Any = np) -> Any:
    """(N, P): 0 where pair ``p`` holds neuron ``i`` (the terms holding :math:`s_i` removed),
    else 1."""
    j, k = pairs(n)
    i = np.arange(n)[:, None]
    return xp.asarray(((j[None] != i) & (k[None] != i)).astype(dtype))


def pair_features(states: Any) -> Any:
    """The products :math:`s_j s_k` of every pair ``j < k``: (..., K, N) -> (..., K, P)."""
    j, k = pairs(states.shape[-1])
    return states[..., j] * states[..., k]


def n_weights(n: int) -> int:
    r"""Free parameters of a 3-body network of N neurons: :math:`N \binom{N-1}{2} + N`."""
    return int(n) * ((int(n) - 1) * (int(n) - 2) // 2) + int(n)


def field(weights: Any, bias: Any, states: Any, features: Any | None = None) -> Any:
    """The 3-body input :math:`R` (..., K, N) of networks with ``weights`` (..., N, P) (pairs
    holding the neuron are ignored) and ``bias`` (..., N) in ``states`` (..., K, N);
    ``features``: the states' pair features if already at hand."""
    xp = array_namespace(weights, states)
    n = states.shape[-1]
    phi = pair_features(states) if features is None else features
    w = weights * pair_mask(n, weights.dtype, xp)
    return phi @ xp.swapaxes(w, -1, -2) + bias[..., None, :]


def recall(weights: Any, bias: Any, cues: Any, *, max_steps: int | None = None) -> RecallResult:
    """Synchronous recall of a 3-body network from ``cues`` (..., K, N), with the stopping rules
    of :func:`infobook.hopfield.recall` (a field of exactly 0 gives -1)."""
    n = cues.shape[-1]
    _check_weights(weights, bias, n)
    return iterate(lambda s: field(weights, bias, s), cues.astype(weights.dtype), max_steps)


def _check_weights(weights: Any, bias: Any, n: int) -> None:
    p = n * (n - 1) // 2
    if weights.shape[-2:] != (n, p) or bias.shape[-1:] != (n,):
        raise ValueError(
            f"3-body weights of shape {tuple(weights.shape)} and bias {tuple(bias.shape)} do "
            f"not fit {n} neurons; expected (..., {n}, {p}) and (..., {n})"
        )


def hebbian(patterns: Any, *, bias: bool = True) -> tuple[Any, Any]:
    r"""The Hebbian 3-body memory, the cubic dense associative memory of Krotov and Hopfield
    without the terms holding :math:`s_i`: the full sum :math:`R_i = \sum_{j, k \ne i}
    W_{i, jk} s_j s_k` with :math:`W_{i, jk} = \sum_\mu \xi^\mu_i \xi^\mu_j \xi^\mu_k /
    N^2`, that is pair weights :math:`2 W_{i, jk}` (``j < k``) and the bias of its ``j = k``
    terms, :math:`b_i = (N - 1) \sum_\mu \xi^\mu_i / N^2` (computed in float64). With
    ``bias=False`` the bias is left out: it carries no pattern's signal, only the noise
    :math:`\sum_\mu \xi^\mu_i`."""
    xp = array_namespace(patterns)
    n = patterns.shape[-1]
    x = patterns.astype(xp.float64)
    w = 2 * (xp.swapaxes(x, -1, -2) @ pair_features(x)) / n**2
    b = (n - 1) * x.sum(axis=-2) / n**2 if bias else xp.zeros_like(w[..., 0])
    return w.astype(patterns.dtype), b.astype(patterns.dtype)


def goal_and_gradient(
    weights: Any,
    bias: Any,
    patterns: Any,
    goal: Goal | str | Sequence[float],
    training: Training | None = None,
    features: Any | None = None,
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Every neuron's goal (..., N) and its exact gradient with respect to the 3-body weights
    (..., N, P) and the bias (..., N), with the forward pass, for the neuron model of
    ``training`` (default :class:`infobook.infomorphic.Training`'s)."""
    training = Training() if training is None else training
    goal = Goal.parse(goal)
    model = training.model
    xp = array_namespace(weights, patterns)
    phi = pair_features(patterns) if features is None else features
    rec = field(weights, bias, patterns, phi)
    fw = tables(model.w_teach * patterns, rec, model, weights.dtype)
    value, d_rec, _ = input_gradient(fw, goal, model)  # (..., N, M)
    n = patterns.shape[-1]
    grad = (d_rec @ phi) * pair_mask(n, weights.dtype, xp)
    return value, grad.astype(weights.dtype), d_rec.sum(axis=-1).astype(weights.dtype), fw


@dataclass
class DenseResult:
    """Trained 3-body networks: weights (..., N, P), bias (..., N), the step each stopped at
    and the goal and atoms (neuron means) at the end."""

    weights: Any
    bias: Any
    stopped_at: np.ndarray
    profile: dict[str, np.ndarray]


def train(
    patterns: Any,
    goal: Goal | str | Sequence[float] = "redundancy",
    *,
    training: Training | None = None,
    seed: int = 0,
) -> DenseResult:
    """Train one 3-body infomorphic network on ``patterns`` (M, N) by full-batch Adam ascent
    on the goal (the recipe of :class:`infobook.infomorphic.Training`: epochs, learning rate,
    teaching weight, binning; initial weights of scale ``init_scale`` from
    ``default_rng([seed, 3])``), stopped at the first checkpoint where its clean recall is
    perfect."""
    training = Training() if training is None else training
    if training.optimizer != "adam" or training.learn_teach or training.cue_flips:
        raise ValueError("the 3-body neuron is trained with Adam, a frozen teaching weight and "
                         "clean patterns; leave optimizer, learn_teach and cue_flips at their "
                         "defaults")  # fmt: skip
    goal = Goal.parse(goal)
    patterns = _check_patterns(patterns, training.dtype)
    if patterns.ndim != 2:
        raise ValueError(
            f"the 3-body neuron trains one network at a time: patterns of shape (M, N), got "
            f"{tuple(patterns.shape)}"
        )
    xp = array_namespace(patterns)
    *batch, m, n = patterns.shape
    p = n * (n - 1) // 2
    rng = np.random.default_rng([int(seed), 3])
    w = xp.asarray(training.init_scale * rng.standard_normal((*batch, n, p)), training.dtype)
    b = xp.zeros((*batch, n), dtype=training.dtype)
    phi = pair_features(patterns)
    opt_w = Adam(training.lr, *training.betas, training.eps)
    opt_b = Adam(training.lr, *training.betas, training.eps)
    active = xp.ones(tuple(batch), dtype=bool)
    stopped = np.full(tuple(batch), training.epochs, dtype=int)
    done = 0
    for step in checkpoints(training.epochs, training.n_checkpoints):
        for _ in range(int(step) - done):
            _, gw, gb, _ = goal_and_gradient(w, b, patterns, goal, training, phi)
            w = opt_w.step(w, gw, active)
            b = opt_b.step(b[..., None], gb[..., None], active)[..., 0]
        done = int(step)
        if training.early_stop:
            a_cos, _ = accuracy(recall(w, b, patterns).states, patterns)
            finished = (a_cos >= 1.0) & active
            stopped = np.where(to_numpy(finished), done, stopped)
            active = active & ~finished
            if not bool(active.any()):
                break
    value, _, _, fw = goal_and_gradient(w, b, patterns, goal, training, phi)
    profile = atoms.neuron_profile(sxpid(fw["pmf"], validate=False))
    profile = {k: to_numpy(v) for k, v in profile.items()} | {"goal": to_numpy(value.mean(-1))}
    return DenseResult(w, b, stopped, profile)


def measure_load(
    rule: str,
    n_neurons: int,
    n_patterns: int,
    seed: int,
    *,
    flips: Sequence[float] = (0.0,),
    goal: Goal | str | Sequence[float] = "redundancy",
    training: Training | None = None,
) -> dict[str, Any]:
    """Train one 3-body network (``rule`` in :data:`DENSE_RULES`) on the first ``n_patterns``
    patterns of seed ``seed``'s bank (:func:`infobook.hopfield.random_patterns`) and recall
    every pattern from cues with each fraction ``flips`` of its bits flipped (corruption seeded
    by ``seed`` and the load). Returns ``a_cos`` per flip fraction (mean over patterns) and,
    for the infomorphic rule, the training's ``stopped_at`` and final PID ``profile``."""
    if rule not in DENSE_RULES:
        raise ValueError(f"unknown 3-body rule {rule!r}; choose one of {', '.join(DENSE_RULES)}")
    training = Training() if training is None else training
    pats = random_patterns(int(n_patterns), int(n_neurons), int(seed), dtype=training.dtype)
    out: dict[str, Any] = {}
    if rule in ("hebbian", "hebbian_no_bias"):
        w, b = hebbian(pats, bias=rule == "hebbian")
    else:
        res = train(pats, goal, training=training, seed=seed)
        w, b = res.weights, res.bias
        out.update(stopped_at=int(res.stopped_at), profile=res.profile)
    a = []
    for f in flips:
        k = int(round(float(f) * n_neurons))
        cues = pats if k == 0 else corrupt(pats, k, [int(seed), int(n_patterns), 7])
        a.append(float(accuracy(recall(w, b, cues).states, pats)[0]))
    out["a_cos"] = np.array(a)
    return out


def capacity(
    rule: str,
    n_neurons: int,
    seed: int,
    *,
    flips: float = 0.0,
    threshold: float = 0.95,
    start: int | None = None,
    rel_tol: float = 0.02,
    **options: Any,
) -> tuple[int, int]:
    """The largest number of patterns one 3-body network stores at a_cos >= ``threshold``
    from cues with a fraction ``flips`` of flipped bits, and the number of trainings it took.

    From ``start`` (default a quarter of :func:`counting_ceiling`) the load is halved until it
    is stored (0 when even one pattern is not) or doubled until it is not (up to four times the
    ceiling, returned as is if still stored), then bisected to ``rel_tol``
    (:func:`infobook.hopfield.bisect_edge`); storage is taken as monotone in the load near
    the edge, as the capacity curves are on average."""
    ceiling = counting_ceiling(n_neurons)
    trainings = 0

    def stored(m: int) -> bool:
        nonlocal trainings
        trainings += 1
        res = measure_load(rule, n_neurons, m, seed, flips=(flips,), **options)
        return bool(res["a_cos"][0] >= threshold)

    m = max(1, int(start if start is not None else ceiling // 4))
    if stored(m):
        lo, hi = m, 2 * m
        while stored(hi):
            if hi >= 4 * ceiling:
                return hi, trainings
            lo, hi = hi, 2 * hi
    else:
        lo, hi = m // 2, m
        while lo >= 1 and not stored(lo):
            lo, hi = lo // 2, lo
        if lo < 1:
            return 0, trainings
    if hi - lo <= 1:
        return lo, trainings
    return bisect_edge(stored, lo, hi, rel_tol=rel_tol, checked=True), trainings


def counting_ceiling(n_neurons: int, probability: float = 0.5) -> int:
    r"""Cover's counting for a 3-body network: the largest M at which all N neurons, each a
    perceptron on :math:`D = \binom{N-1}{2} + 1` features, separate M random patterns with
    probability at least ``probability`` (neurons treated as independent; the pair features of
    random patterns taken as points in general position)."""
    d = (n_neurons - 1) * (n_neurons - 2) // 2 + 1
    lo, hi = d, 4 * d  # separable for sure at D; bisect on the monotone probability
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok = cover_separable_probability(mid, d) ** n_neurons >= probability
        lo, hi = (mid, hi) if ok else (lo, mid)
    return lo
