r"""Infomorphic Hopfield neurons: gradient ascent on a weighted sum of PID atoms.

Introduced in the chapter :ref:`ch-infomorphic`. The model of Blümel et al. (2025,
arXiv:2511.02584), section 2; the neuron's fixed parts are in :mod:`infobook.neuron`:

* neuron ``i`` has a teaching input :math:`T_i = w_T\,\xi_i` with a **fixed** weight
  :math:`w_T` (default 2.3) and a recurrent input :math:`R_i = \sum_{j \ne i} W_{ij} s_j` (zero
  diagonal, no bias, W not symmetric); its output is +1 with probability
  :math:`\theta_i = \sigma(T_i + R_i)`;
* per neuron, the joint pmf of (teaching bin, recurrent bin, output) over the M stored patterns
  (state = the pattern itself) is :math:`p(t, r, y) = \frac1M \sum_\mu 1[T^\mu \in t]\,
  1[R^\mu \in r]\, P(y \mid \mu)`, with T in 2 and R in 60 equal bins on [-20, 20], clamped;
* the goal :math:`G_i = \gamma \cdot [\mathrm{unq}_T, \mathrm{unq}_R, \mathrm{red}, \mathrm{syn},
  H_\mathrm{res}]` of that pmf is climbed by full-batch Adam (learning rate 0.05).

The gradient is exact, by the chain rule: :math:`\partial G_i / \partial \theta_{\mu i} =
\frac1M\,[g_i(t_{\mu i}, r_{\mu i}, +) - g_i(t_{\mu i}, r_{\mu i}, -)]` with
:math:`g_i = \partial G_i / \partial p_i` from :func:`infobook.pid.pid_goal_gradient`, then
:math:`\partial\theta/\partial R = \theta(1 - \theta)` and :math:`\partial R_{\mu i} / \partial
W_{ij} = \xi^\mu_j`. Bins are not differentiated (the source marginal does not depend on W).

Everything runs on stacks of networks: patterns ``(..., M, N)``, weights ``(..., N, N)``.
Default precision float32, as in the paper; float64 works the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import atoms, fused
from .backend import array_namespace, to_numpy
from .histogram import DEFAULT_RANGE
from .hopfield import accuracy, recall
from .neuron import (
    SOFT_TAU,
    W_TEACH,
    NeuronModel,
    forward,
    initial_weights,
    off_diagonal,
    sigmoid,
)  # fmt: skip
from .pid import Goal, pid_goal_gradient, sxpid

__all__ = [
    "Adam", "EPOCHS", "KERNELS", "LEARNING_RATE", "MAX_MEMORY", "NeuronModel", "SGD", "TrainResult",
    "Training", "W_TEACH", "checkpoints", "evaluate", "forward", "goal_and_gradient",
    "initial_weights", "make_rule", "sigmoid", "step_memory", "train",
]  # fmt: skip

LEARNING_RATE = 0.05
EPOCHS = 5000
#: Default memory budget of one batched training step, in bytes (see :func:`step_memory`).
MAX_MEMORY = 2 * 2**30
#: Ways to compute a step: the array program (NumPy or CuPy; the reference), the fused CPU
#: kernel of :mod:`infobook.fused`, or ``auto``: fused for NumPy arrays, the array program for
#: CuPy arrays.
KERNELS = ("auto", "array", "fused")
DTYPES = ("float32", "float64")
#: Ascent rules: Adam (the published recipe) or plain gradient ascent.
OPTIMIZERS = ("adam", "sgd")
#: Recall at the checkpoints and in every measurement: the sign of the field, or each neuron
#: sampling its state from the sigmoid of its field (the first row of the paper's ablation).
RECALLS = ("deterministic", "stochastic")


def _use_fused(kernel: str, xp: Any) -> bool:
    if kernel == "array":
        return False
    if kernel == "fused" and xp is not np:
        raise ValueError("the fused kernel runs on NumPy arrays only; use kernel='array' on CuPy")
    return xp is np


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


@dataclass(frozen=True)
class Training:
    """The training recipe of infomorphic networks, validated once where it is made.

    Attributes
    ----------
    epochs, lr
        Number of full-batch Adam steps (default 5000) and learning rate (default 0.05).
    w_teach, bins_t, bins_r, value_range, binning, soft_gradient
        The neuron model (:class:`infobook.neuron.NeuronModel`): fixed teaching weight and
        the estimator of the joint table: ``binning="fixed"`` (default), ``"adaptive"`` or
        ``"soft"``, and for soft binning the gradient, ``soft_gradient="exact"`` (default),
        ``"published"`` or the diagnostic ``"theta"`` (see
        :data:`infobook.neuron.SOFT_GRADIENTS`).
    dtype
        ``"float32"`` (default, as published) or ``"float64"``.
    n_checkpoints
        About this many log-spaced steps at which the history is recorded (and early stopping
        is checked).
    early_stop
        Stop a network (freeze its weights) at the first checkpoint where it recalls every
        pattern perfectly (a_cos = 1, teaching input off).
    betas, eps, init_scale
        Adam's moment decays and epsilon; scale of the initial weights.
    max_memory
        Memory budget in bytes of one batched step (default 2 GiB; None: no limit). A batch whose
        step would need more (:func:`step_memory` per network) is trained in consecutive chunks
        of networks; the networks are independent, so the result is the same.
    kernel
        ``"auto" | "array" | "fused"``: how each step is computed (see
        :func:`goal_and_gradient`); the same networks either way.
    cue_flips, noise_seed
        Training on corrupted cues (0: off, the published rule): at every step the recurrent
        input of each network is computed from a fresh copy of its patterns with
        ``round(cue_flips N)`` bits flipped per pattern, while the teaching input and the
        target stay the clean bits; network ``k`` of a batch draws its corruptions from
        ``default_rng([noise_seed, key])``, its key the ``ids`` of :func:`train` (default: its
        position ``k``), so that a network's noise does not depend on its batch. Early
        stopping and the history then recall from one fixed corrupted copy (from
        ``default_rng([noise_seed, 1, key])``) instead of the clean patterns.
    optimizer
        ``"adam"`` (default, as published) or ``"sgd"``: plain ascent ``W += lr * grad``.
    learn_teach
        Learn the teaching weight too, one per neuron, starting at ``w_teach`` (default False:
        frozen, as published); trained by the array program with the same optimizer.
    recall, recall_seed
        ``"deterministic"`` (default: the sign of the field) or ``"stochastic"`` (each neuron
        samples +1 with probability sigma(field), from ``default_rng(recall_seed)``) for the
        checkpoints' recall and, through :meth:`recall_options`, every measurement of a run.
    """

    epochs: int = EPOCHS
    lr: float = LEARNING_RATE
    w_teach: float = W_TEACH
    bins_t: int = 2
    bins_r: int = 60
    value_range: tuple[float, float] = DEFAULT_RANGE
    binning: str = "fixed"
    soft_gradient: str = "exact"
    dtype: str = "float32"
    n_checkpoints: int = 15
    early_stop: bool = True
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    init_scale: float = 1e-3
    max_memory: int | None = MAX_MEMORY
    kernel: str = "auto"
    cue_flips: float = 0.0
    noise_seed: int = 0
    optimizer: str = "adam"
    learn_teach: bool = False
    recall: str = "deterministic"
    recall_seed: int = 0

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "epochs", _positive_int("epochs", self.epochs))
        put(self, "lr", _positive_float("the learning rate lr", self.lr))
        put(self, "n_checkpoints", _positive_int("n_checkpoints", self.n_checkpoints))
        put(self, "eps", _positive_float("eps", self.eps))
        put(self, "init_scale", _positive_float("init_scale", self.init_scale, allow_zero=True))
        put(self, "value_range", tuple(float(v) for v in self.value_range))
        for name in ("bins_t", "bins_r"):
            put(self, name, _positive_int(name, getattr(self, name)))
        put(self, "w_teach", float(self.w_teach))
        try:
            dtype = str(np.dtype(self.dtype))
        except TypeError:
            dtype = str(self.dtype)
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        put(self, "dtype", dtype)
        betas = tuple(float(b) for b in self.betas)
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        put(self, "betas", betas)
        if self.kernel not in KERNELS:
            raise ValueError(f"unknown kernel {self.kernel!r}; choose one of {', '.join(KERNELS)}")
        if self.max_memory is not None:
            put(self, "max_memory", _positive_int("max_memory", self.max_memory))
        flips = _positive_float("cue_flips", self.cue_flips, allow_zero=True)
        if flips >= 1:
            raise ValueError(f"cue_flips is a fraction of the bits in [0, 1), got {flips}")
        put(self, "cue_flips", flips)
        put(self, "noise_seed", _positive_int("noise_seed", self.noise_seed, 0))
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        if self.recall not in RECALLS:
            raise ValueError(f"unknown recall {self.recall!r}; choose one of {', '.join(RECALLS)}")
        put(self, "learn_teach", bool(self.learn_teach))
        put(self, "recall_seed", _positive_int("recall_seed", self.recall_seed, 0))
        if self.learn_teach and self.kernel == "fused":
            raise ValueError("a learned teaching weight is trained by the array program; use "
                             "kernel='auto' or 'array'")  # fmt: skip
        _ = self.model  # validates the neuron model

    def recall_options(
        self, purpose: Sequence[int] = (2,), ids: Sequence[int] | None = None
    ) -> dict[str, Any]:
        """The recall of this recipe as options of :func:`evaluate`: with stochastic recall
        the draws of network ``ids[k]`` come from ``[recall_seed, *purpose, ids[k]]`` (see
        :func:`infobook.hopfield.recall`). :func:`train`'s checkpoints use purpose ``(1,
        step)``, so that early stopping and the final measurement (purpose ``(2,)``, the
        default) never share draws."""
        return {
            "stochastic": self.recall == "stochastic",
            "seed": [self.recall_seed, *purpose],
            "streams": None if ids is None else list(ids),
        }

    @property
    def model(self) -> NeuronModel:
        """The neuron model of this recipe."""
        return NeuronModel(
            self.w_teach, self.bins_t, self.bins_r, self.value_range, self.binning,
            self.soft_gradient,
        )  # fmt: skip


def step_memory(
    n_neurons: int,
    n_patterns: int,
    bins_t: int = 2,
    bins_r: int = 60,
    dtype: Any = np.float32,
    binning: str = "fixed",
) -> int:
    """Estimated peak memory, in bytes, of one training step of ONE network: the temporaries of
    :func:`goal_and_gradient` (about 20 bytes per pattern and neuron and 60 per pmf cell and
    neuron at float32, measured with ``tracemalloc``; soft binning's array program adds about
    34 bytes per pattern, neuron and recurrent bin for its memberships) and about ten N x N
    arrays (weights, gradient, masks, Adam's moments).
    float64 counts double. :func:`train` splits a batch into chunks that fit a budget with it.
    """
    scale = np.dtype(dtype).itemsize / 4
    cells = bins_t * bins_r * 2
    per_neuron = 20 * n_patterns + 60 * cells
    if binning == "soft":
        per_neuron += 34 * n_patterns * bins_r
    return int(scale * (n_neurons * per_neuron + 40 * n_neurons * n_neurons))


def goal_and_gradient(
    weights: Any,
    patterns: Any,
    goal: Goal | str | Sequence[float] = "redundancy",
    *,
    w_teach: float = W_TEACH,
    bins_t: int = 2,
    bins_r: int = 60,
    value_range: tuple[float, float] = DEFAULT_RANGE,
    binning: str = "fixed",
    soft_gradient: str = "exact",
    kernel: str = "auto",
    cues: Any | None = None,
) -> tuple[Any, Any]:
    r"""The goal of every neuron and its exact gradient with respect to the recurrent weights.

    Parameters
    ----------
    weights : array (..., N, N)
        Recurrent weights (the diagonal is ignored and gets gradient 0).
    patterns : array (..., M, N) of +-1
        Stored patterns (the neurons' states while learning).
    goal : Goal, str or 5 floats
        A name of :data:`infobook.pid.NAMED_GOALS` or weights ``[unq_T, unq_R, red, syn, H_res]``.
    w_teach, bins_t, bins_r, value_range, binning, soft_gradient
        The neuron model (see :class:`infobook.neuron.NeuronModel`): teaching weight and the
        estimator of the joint table (``binning="fixed" | "adaptive" | "soft"``; with soft
        binning, ``soft_gradient="exact" | "published" | "theta"``).
    kernel : {"auto", "array", "fused"}
        ``"array"``: the array program below (NumPy or CuPy), the reference; ``"fused"``: the
        same mathematics in two compiled CPU passes over each neuron's populated cells
        (:mod:`infobook.fused`, NumPy only, several times faster); ``"auto"`` (default):
        fused for NumPy arrays, the array program for CuPy arrays.
    cues : array (..., M, N) of +-1 or None
        States the recurrent input is computed from, :math:`R = W \tilde\xi` (for example
        corrupted copies of the patterns); the teaching input and the output's target stay the
        patterns, and :math:`\partial R / \partial W_{ij} = \tilde\xi_j`. None: the patterns.

    Returns
    -------
    (goal, gradient)
        ``goal`` of shape (..., N): :math:`G_i` in bits; ``gradient`` of shape (..., N, N):
        :math:`\partial \sum_k G_k / \partial W_{ij}`. Under fixed and adaptive binning only
        :math:`G_i` depends on row ``i``; under soft binning the shared edges couple the
        neurons (the exact gradient follows them).
    """
    goal = Goal.parse(goal)
    model = NeuronModel(w_teach, bins_t, bins_r, tuple(value_range), binning, soft_gradient)
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
    xp = array_namespace(weights, patterns)
    weights = xp.asarray(weights)
    as_float = weights.dtype.name if weights.dtype.kind == "f" else None
    kind = getattr(patterns, "dtype", np.dtype(float)).kind
    patterns = _check_patterns(patterns, None if kind == "f" else as_float)
    if cues is not None:
        cues = _check_patterns(cues, str(patterns.dtype))
        if cues.shape != patterns.shape:
            raise ValueError(
                f"cues of shape {tuple(cues.shape)} must have the shape of the patterns "
                f"{tuple(patterns.shape)}"
            )
    if weights.ndim < 2 or not bool(xp.all(xp.isfinite(weights))):
        raise ValueError(
            f"weights must be a finite array of shape (..., N, N), got shape {weights.shape}"
        )
    use_fused = _use_fused(kernel, xp)
    if use_fused:  # the compiled kernel takes one floating dtype
        weights, patterns = np.asarray(weights), np.asarray(patterns)
        if weights.dtype.kind != "f":
            weights = weights.astype(np.float64)
        patterns = patterns.astype(weights.dtype, copy=False)
        if cues is not None:
            cues = np.asarray(cues).astype(weights.dtype, copy=False)
    return _goal_and_gradient(weights, patterns, goal, model, use_fused, cues)


def _goal_and_gradient(
    weights: Any,
    patterns: Any,
    goal: Goal,
    model: NeuronModel,
    use_fused: bool,
    cues: Any | None = None,
    teach: Any | None = None,
) -> tuple[Any, ...]:
    """:func:`goal_and_gradient` for validated arguments (floating arrays of one dtype). With
    ``teach`` (..., N), a teaching weight per neuron, it also returns the gradient with respect
    to it (the array program; the teaching input's bins do not move with it: fixed bins hold
    +-w_T in their halves, adaptive ones scale it away and soft ones are hard indicators)."""
    if use_fused and teach is None:
        return fused.goal_and_gradient(weights, patterns, goal, model, cues)
    xp = array_namespace(weights, patterns)
    fw = forward(weights, patterns, model, cues, teach)
    states = patterns if cues is None else cues
    value, d_rec, d_logit = input_gradient(fw, goal, model)
    grad = d_rec @ states  # sum_mu d_rec[i, mu] x[mu, j]
    grad = grad * off_diagonal(patterns.shape[-1], grad.dtype, xp)
    out = (value.astype(weights.dtype), grad.astype(weights.dtype))
    if teach is None:
        return out
    d_teach = (d_logit * xp.swapaxes(patterns, -1, -2)).sum(axis=-1)  # dT / dw_T = xi
    return (*out, d_teach.astype(weights.dtype))


def input_gradient(fw: dict[str, Any], goal: Goal, model: NeuronModel) -> tuple[Any, Any, Any]:
    r"""The goal of every neuron and its gradient with respect to the neuron's recurrent input,
    from a forward pass ``fw`` (:func:`infobook.neuron.forward` or
    :func:`infobook.neuron.tables`), whatever the input is made of.

    Returns ``(value, d_rec, d_logit)``: ``value`` (..., N) in bits, :math:`\partial \sum_i
    G_i / \partial R_{\mu i}` and the part of it that flows through :math:`\theta` alone,
    both of shape (..., N, M) (neurons first, ready to multiply the states the input is a
    linear function of).
    """
    xp = array_namespace(fw["rec"])
    soft = model.binning == "soft"
    value, g = pid_goal_gradient(
        fw["pmf"],
        goal,
        validate=False,
        sources_constant=soft and model.soft_gradient == "published",
    )  # fmt: skip  (g: (..., N, nt, nr, 2))
    m = fw["rec"].shape[-2]
    theta = xp.swapaxes(fw["theta"], -1, -2)  # (..., N, M)
    if soft:
        d_rec, d_logit = (xp.swapaxes(d, -1, -2) for d in _soft_rec_gradient(fw, g, model))
        return value, d_rec, d_logit
    bins_t, bins_r = model.bins_t, model.bins_r
    diff = (g[..., 1] - g[..., 0]).reshape(*g.shape[:-3], bins_t * bins_r)  # (..., N, cells)
    cell = xp.swapaxes(fw["t_index"] * bins_r + fw["r_index"], -1, -2)  # (..., N, M)
    d_theta = xp.take_along_axis(diff, cell, axis=-1) / m  # dG_i / dtheta_{mu i}
    d_rec = d_theta * theta * (1 - theta)  # (..., N, M)
    return value, d_rec, d_rec


def _soft_rec_gradient(fw: dict[str, Any], g: Any, model: NeuronModel) -> tuple[Any, Any]:
    r"""Soft binning: :math:`\partial \sum_i G_i / \partial R_{\mu i}` and the part of it
    that flows through :math:`\theta` alone (the gradient with respect to the logit), each
    of shape (..., M, N), from the forward pass ``fw`` and :math:`g = \partial G / \partial
    p` (..., N, nt, nr, 2).

    The table :math:`p(t, r, y) = \frac1M \sum_\mu a_t a_r P(y \mid \mu)` depends on
    :math:`R_{\mu i}` through :math:`\theta` and through the memberships :math:`a_r`; the
    memberships of T are hard indicators (their derivative vanishes) and T does not depend on
    W. With :math:`v_r = \partial G / \partial a_r = \frac1M \sum_t a_t [\theta g(t, r, +)
    + (1 - \theta) g(t, r, -)]` and :math:`\bar v = \sum_r a_r v_r`, the normalisation gives
    :math:`\partial G / \partial x = \sum_r a_r (1 - s_r)\, \partial z_r / \partial x\,
    (v_r - \bar v)` for any quantity ``x`` that moves the arguments :math:`z_r = (w/2 - |R -
    c_r|)/\tau` of the sigmoids. The exact gradient also follows the edges: the lower edge is
    the smallest R of the network minus the padding, so its derivative is added at that entry
    (and the upper edge's at the largest).
    """
    xp = array_namespace(g)
    theta, rec = fw["theta"], fw["rec"]  # (..., M, N)
    a_t, a_r, s_r = fw["a_t"], fw["a_r"], fw["s_r"]  # (..., M, N, bins)
    m, n = theta.shape[-2:]
    g0, g1 = g[..., 0], g[..., 1]  # (..., N, nt, nr)
    d_theta = xp.einsum("...mit,...mir,...itr->...mi", a_t, a_r, g1 - g0) / m
    v = (
        xp.einsum("...mit,...itr->...mir", a_t * theta[..., None], g1)
        + xp.einsum("...mit,...itr->...mir", a_t * (1 - theta[..., None]), g0)
    ) / m
    centred = a_r * (1 - s_r) * (v - (a_r * v).sum(axis=-1, keepdims=True))
    tau = SOFT_TAU[1]
    lo, hi = fw["edges_r"]
    nr = model.bins_r
    width = (hi - lo) / nr
    centres = lo[..., None] + (xp.arange(nr, dtype=rec.dtype) + 0.5) * width[..., None]
    sign = xp.sign(rec[..., None] - centres[..., None, None, :])  # (..., M, N, nr)
    d_logit = d_theta * theta * (1 - theta)
    if model.soft_gradient == "theta":
        return d_logit, d_logit
    d_rec = d_logit + (centred * (-sign / tau)).sum(axis=-1)
    if model.soft_gradient == "exact":
        frac = (xp.arange(nr, dtype=rec.dtype) + 0.5) / nr
        dz_lo = (sign * (1 - frac) - 0.5 / nr) / tau
        dz_hi = (sign * frac + 0.5 / nr) / tau
        d_lo = (centred * dz_lo).sum(axis=(-3, -2, -1))  # (...)
        d_hi = (centred * dz_hi).sum(axis=(-3, -2, -1))
        flat = d_rec.reshape(-1, m * n)
        rows = xp.arange(flat.shape[0])
        flat_rec = rec.reshape(-1, m * n)
        flat[rows, xp.argmin(flat_rec, axis=-1)] += d_lo.reshape(-1)
        flat[rows, xp.argmax(flat_rec, axis=-1)] += d_hi.reshape(-1)
        d_rec = flat.reshape(d_rec.shape)
    return d_rec, d_logit


@dataclass
class Adam:
    """Adam as in the common implementations (bias-corrected moments, eps added after the root),
    here for gradient *ascent*."""

    lr: float = LEARNING_RATE
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    m: Any = None
    v: Any = None
    t: int = 0

    def step(
        self, params: Any, grad: Any, active: Any | None = None, *, inplace: bool = False
    ) -> Any:
        """One ascent step; ``active`` (batch shape) freezes networks that are done.
        ``inplace``: update ``params`` (a C-contiguous NumPy stack (..., N, N) of the gradient's
        dtype) and the moments in place with the compiled kernel, the same numbers; for other
        arrays (CuPy) it is ignored. Either way the updated parameters are returned."""
        xp = array_namespace(params)
        if self.m is None:
            self.m, self.v = xp.zeros_like(params), xp.zeros_like(params)
        self.t += 1
        if inplace and xp is np and not params.flags.c_contiguous:
            raise ValueError("an in-place Adam step needs C-contiguous parameters")
        if inplace and xp is np:
            t = params.dtype.type
            flat = params.reshape(-1, params.shape[-2] * params.shape[-1])  # a view
            on = np.ones(flat.shape[0], dtype=bool)
            if active is not None:
                on = np.broadcast_to(np.asarray(active).reshape(-1), on.shape)
            fused._adam(
                flat, grad.reshape(flat.shape), self.m.reshape(flat.shape),
                self.v.reshape(flat.shape), on, t(self.lr), t(self.beta1), t(1 - self.beta1),
                t(self.beta2), t(1 - self.beta2), t(1 - self.beta1**self.t),
                t(1 - self.beta2**self.t), t(self.eps),
            )  # fmt: skip
            return params
        m = self.beta1 * self.m + (1 - self.beta1) * grad
        v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        m_hat = m / (1 - self.beta1**self.t)
        v_hat = v / (1 - self.beta2**self.t)
        new = params + self.lr * m_hat / (xp.sqrt(v_hat) + self.eps)
        if active is None:
            self.m, self.v = m, v
            return new.astype(params.dtype)
        mask = active[..., None, None]
        self.m, self.v = xp.where(mask, m, self.m), xp.where(mask, v, self.v)
        return xp.where(mask, new, params).astype(params.dtype)


@dataclass
class SGD:
    """Plain full-batch gradient ascent, ``params + lr * grad``, with the interface of
    :class:`Adam`."""

    lr: float = 0.1

    def step(
        self, params: Any, grad: Any, active: Any | None = None, *, inplace: bool = False
    ) -> Any:
        xp = array_namespace(params)
        if inplace and xp is np:
            where = True if active is None else np.asarray(active)[..., None, None]
            np.add(params, self.lr * grad, out=params, where=where)
            return params
        new = params + self.lr * grad
        if active is None:
            return new.astype(params.dtype)
        return xp.where(active[..., None, None], new, params).astype(params.dtype)


def checkpoints(epochs: int, n: int = 15) -> np.ndarray:
    """About ``n`` log-spaced steps in [1, epochs] (always including ``epochs``)."""
    if epochs < 1:
        return np.array([], dtype=int)
    return np.unique(np.concatenate([np.geomspace(1, epochs, n).round().astype(int), [epochs]]))


@dataclass
class TrainResult:
    """Trained weights and the training history at the checkpoints.

    ``history`` holds, per checkpoint step (first axis), the goal summed over neurons divided by N
    (``goal``), the neuron-averaged atoms ``unq_T, unq_R, red, syn, res`` and the recall accuracy
    ``a_cos`` and ``a_theta``, each with the batch shape of the networks. ``stopped_at`` is the
    step at which each network stopped (early stop or the last epoch).
    """

    weights: Any
    steps: np.ndarray
    history: dict[str, np.ndarray] = field(default_factory=dict)
    stopped_at: np.ndarray | None = None
    #: The learned teaching weights (..., N) when the recipe learns them, else None.
    w_teach: Any | None = None


def evaluate(
    weights: Any,
    patterns: Any,
    goal: Goal | str | Sequence[float],
    model: NeuronModel,
    cues: Any | None = None,
    *,
    stochastic: bool = False,
    seed: int | Sequence[int] = 0,
    streams: Sequence[int] | None = None,
    teach: Any | None = None,
) -> dict[str, Any]:
    """Goal, neuron-averaged atoms (named as in :data:`infobook.atoms.NEURON`) and recall
    accuracy of networks (teaching input off), from the patterns or, given ``cues``, with the
    recurrent input from the cues and recall started at them (accuracy against the patterns).
    ``stochastic``, ``seed``, ``streams``: stochastic recall (see
    :func:`infobook.hopfield.recall`);
    ``teach`` (..., N): learned teaching weights for the PID profile."""
    goal = Goal.parse(goal)
    fw = forward(weights, patterns, model, cues, teach)
    decomposition = sxpid(fw["pmf"], validate=False)
    xp = array_namespace(weights)
    start = patterns if cues is None else cues
    bias = xp.zeros(weights.shape[:-1], dtype=weights.dtype)
    res = recall(weights, start, bias, stochastic=stochastic, seed=seed, streams=streams)
    a_cos, a_theta = accuracy(res.states, patterns)
    return {
        "goal": goal.of(decomposition).mean(axis=-1),
        **atoms.neuron_profile(decomposition),
        "a_cos": a_cos,
        "a_theta": a_theta,
    }


def _check_patterns(patterns: Any, dtype: str | None) -> Any:
    """Patterns as a floating array of ``dtype`` (None: their own floating dtype, float64 for
    integers) of shape (..., M, N), every entry +-1."""
    xp = array_namespace(patterns)
    try:
        arr = xp.asarray(patterns)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"patterns must be an array of +-1, got {type(patterns).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"patterns must hold numbers +-1, got dtype {arr.dtype}")
    if arr.ndim < 2:
        raise ValueError(
            f"patterns must have shape (..., M, N) (M patterns of N neurons), got shape "
            f"{tuple(arr.shape)}; for one pattern use patterns[None, :]"
        )
    m, n = arr.shape[-2:]
    if m < 1 or n < 2 or 0 in arr.shape:
        raise ValueError(
            f"patterns need at least one pattern of at least two neurons, got shape "
            f"{tuple(arr.shape)}"
        )
    if dtype is None:
        dtype = arr.dtype if arr.dtype.kind == "f" else "float64"
    arr = arr.astype(dtype, copy=False)
    if not bool(xp.all(xp.abs(arr) == 1)):
        raise ValueError(
            "patterns must hold only +1 and -1 (for 0/1 patterns use 2 * x - 1); found other "
            "values (or NaN)"
        )
    return arr


def train(
    patterns: Any,
    goal: Goal | str | Sequence[float] = "redundancy",
    *,
    training: Training | None = None,
    seed: int = 0,
    initial: Any | None = None,
    ids: Sequence[int] | None = None,
    **options: Any,
) -> TrainResult:
    """Train infomorphic networks by full-batch Adam ascent on the goal.

    Parameters
    ----------
    patterns : array (..., M, N) of +-1
        Patterns to store; leading axes are independent networks trained together as one array
        program (NumPy or CuPy, following the array type).
    goal : Goal, str or 5 floats
        Name from :data:`infobook.pid.NAMED_GOALS` or weights ``[unq_T, unq_R, red, syn, H_res]``.
    training : Training or None
        The recipe, made once by the caller; or None to make it here from ``options``.
    seed : int
        Seed of the initial weights (:func:`infobook.neuron.initial_weights`), ignored when
        ``initial`` is given.
    initial : array (..., N, N) or None
        Explicit initial weights (the diagonal is set to 0).
    ids : sequence of int or None
        One key per network (C order), naming its stochastic-recall streams at the checkpoints
        and its cue-noise streams (default: the positions 0, 1, ...); a run passes the
        networks' seeds, so that a network's draws do not depend on the batch it is trained in.
    **options
        The fields of :class:`Training` when ``training`` is None: ``epochs=5000, lr=0.05,
        w_teach=2.3, bins_t=2, bins_r=60, value_range=(-20, 20), dtype="float32",
        n_checkpoints=15, early_stop=True, betas=(0.9, 0.999), eps=1e-8, init_scale=1e-3,
        max_memory=2 GiB, kernel="auto"``, and ``binning``, ``soft_gradient``, ``cue_flips``,
        ``noise_seed``, ``optimizer``, ``learn_teach``, ``recall``, ``recall_seed``.

    Returns
    -------
    TrainResult
    """
    if training is None:
        try:
            training = Training(**options)
        except TypeError as exc:
            names = ", ".join(Training.__dataclass_fields__)
            raise TypeError(f"{exc}; the options of train() are {names}") from None
    elif options:
        raise TypeError(
            f"give the recipe either as training=Training(...) or as options, not both "
            f"(got training and {', '.join(sorted(options))})"
        )
    goal = Goal.parse(goal)
    patterns = _check_patterns(patterns, training.dtype)
    xp = array_namespace(patterns)
    *batch, m, n = patterns.shape
    if initial is None:
        w = xp.asarray(
            initial_weights(
                n, seed, batch=tuple(batch), scale=training.init_scale, dtype=training.dtype
            )
        )
    else:
        w = xp.asarray(initial, dtype=training.dtype)
        if w.shape != (*batch, n, n):
            raise ValueError(
                f"initial weights of shape {tuple(w.shape)} do not fit patterns of shape "
                f"{tuple(patterns.shape)}; expected {(*batch, n, n)}"
            )
        if not bool(xp.all(xp.isfinite(w))):
            raise ValueError("initial weights must be finite")
        w = w * off_diagonal(n, w.dtype, xp)
    use_fused = _use_fused(training.kernel, xp)
    size = int(np.prod(batch, dtype=int))
    keys = list(range(size)) if ids is None else [int(k) for k in ids]
    if len(keys) != size:
        raise ValueError(f"ids needs one key per network ({size}), got {len(keys)}")
    return _train(patterns, goal, training, w, use_fused, keys=keys)


class _Corruption:
    """Fresh corrupted copies of a batch's patterns, one generator per network."""

    def __init__(self, patterns: Any, flips: float, seeds: list[list[int]]) -> None:
        self.flips = int(round(flips * patterns.shape[-1]))
        self.patterns = patterns
        self.rngs = [np.random.default_rng(s) for s in seeds]

    def draw(self) -> Any:
        """The patterns with ``flips`` distinct bits of each flipped, drawn afresh."""
        xp = array_namespace(self.patterns)
        *batch, m, n = self.patterns.shape
        if self.flips == 0:
            return self.patterns
        keys = np.stack([r.random((m, n)) for r in self.rngs]).reshape(*batch, m, n)
        chosen = np.argpartition(keys, self.flips - 1, axis=-1)[..., : self.flips]
        sign = np.ones((*batch, m, n))
        np.put_along_axis(sign, chosen, -1.0, axis=-1)
        return self.patterns * xp.asarray(sign, dtype=self.patterns.dtype)


def _train(
    patterns: Any,
    goal: Goal,
    training: Training,
    w: Any,
    use_fused: bool,
    first: int = 0,
    keys: Sequence[int] | None = None,
) -> TrainResult:
    """:func:`train` for validated arguments: patterns and initial weights of the recipe's
    dtype, of shapes (..., M, N) and (..., N, N); ``first`` is the index of the batch's first
    network (for its corruption streams), ``keys`` the networks' recall streams."""
    xp = array_namespace(patterns)
    *batch, m, n = patterns.shape
    model = training.model
    size = int(np.prod(batch, dtype=int))
    per_network = step_memory(n, m, model.bins_t, model.bins_r, training.dtype, model.binning)
    budget = training.max_memory
    if budget is not None and size > 1 and size * per_network > budget:
        chunk = max(1, int(budget // per_network))
        whole = replace(training, max_memory=None)
        flat_p, flat_w = patterns.reshape(size, m, n), w.reshape(size, n, n)
        keys = list(range(first, first + size)) if keys is None else list(keys)
        parts = [
            _train(
                flat_p[k : k + chunk],
                goal,
                whole,
                flat_w[k : k + chunk],
                use_fused,
                first + k,
                keys[k : k + chunk],
            )  # fmt: skip
            for k in range(0, size, chunk)
        ]
        return _merge(parts, tuple(batch), xp)
    epochs = training.epochs
    opt = _optimizer(training)
    teach = opt_teach = None
    if training.learn_teach:
        teach = xp.full((*batch, n), training.w_teach, dtype=w.dtype)
        opt_teach = _optimizer(training)
    steps = checkpoints(epochs, training.n_checkpoints)
    active = xp.ones(tuple(batch), dtype=bool)
    stopped_at = np.full(tuple(batch), epochs, dtype=int)
    history: dict[str, list[np.ndarray]] = {}
    noisy = training.cue_flips > 0
    corruption = eval_cues = None
    if noisy:
        seed = training.noise_seed
        streams = list(range(first, first + size)) if keys is None else list(keys)
        corruption = _Corruption(patterns, training.cue_flips, [[seed, k] for k in streams])
        # early stopping and the history recall from one fixed corrupted copy
        fixed = [[seed, 1, k] for k in streams]
        eval_cues = _Corruption(patterns, training.cue_flips, fixed).draw()
    # the compiled loop: what does not change is made once, weights and moments in place
    fast = use_fused and teach is None and model.binning != "soft" and xp is np
    if fast:
        stepper = fused.Step(patterns.reshape(size, m, n), goal, model)
        w = np.array(w, order="C", copy=True)
    done = 0
    for step in steps:
        # networks that stopped early are frozen: compute gradients for the active ones only
        ids = xp.nonzero(active.reshape(-1))[0]
        every = int(ids.size) == size
        for _ in range(int(step) - done):
            cues = corruption.draw() if noisy else None  # every network draws, every step
            if teach is not None:
                _, grad, grad_t = _goal_and_gradient(w, patterns, goal, model, False, cues, teach)
                teach = opt_teach.step(teach[..., None], grad_t[..., None], active)[..., 0]
            elif fast:
                flat_c = None if cues is None else cues.reshape(size, m, n)
                _, grad = stepper(w.reshape(size, n, n), None if every else ids, flat_c)
                w = opt.step(w, grad.reshape(w.shape), active, inplace=True)
                continue
            elif every:
                _, grad = _goal_and_gradient(w, patterns, goal, model, use_fused, cues)
            else:
                flat_w, flat_p = w.reshape(-1, n, n), patterns.reshape(-1, m, n)
                flat_c = None if cues is None else cues.reshape(-1, m, n)[ids]
                _, sub = _goal_and_gradient(
                    flat_w[ids], flat_p[ids], goal, model, use_fused, flat_c
                )
                grad = xp.zeros_like(flat_w)
                grad[ids] = sub
                grad = grad.reshape(w.shape)
            w = opt.step(w, grad, active)
        done = int(step)
        ev = evaluate(
            w, patterns, goal, model, eval_cues, teach=teach,
            **training.recall_options((1, done), keys),
        )  # fmt: skip
        for k, v in ev.items():
            history.setdefault(k, []).append(to_numpy(v))
        if training.early_stop:
            finished = (ev["a_cos"] >= 1.0) & active
            stopped_at = np.where(to_numpy(finished), done, stopped_at)
            active = active & ~finished
        if not bool(active.any()):
            steps = steps[steps <= done]
            break
    return TrainResult(
        weights=w,
        steps=np.asarray(steps[: len(history["goal"])]),
        history={k: np.stack(v) for k, v in history.items()},
        stopped_at=stopped_at,
        w_teach=teach,
    )


def _optimizer(training: Training) -> Adam | SGD:
    if training.optimizer == "sgd":
        return SGD(training.lr)
    return Adam(training.lr, training.betas[0], training.betas[1], training.eps)


def _merge(parts: list[TrainResult], batch: tuple[int, ...], xp: Any) -> TrainResult:
    """Join the results of consecutive chunks of one batch. A chunk that stopped early has fewer
    checkpoints; its networks were frozen, so its last row holds for the later checkpoints."""
    longest = max(parts, key=lambda r: len(r.steps))
    rows = len(longest.steps)
    history = {}
    for key in longest.history:
        padded = []
        for r in parts:
            h = r.history[key]
            tail = np.repeat(h[-1:], rows - h.shape[0], axis=0)
            padded.append(np.concatenate([h, tail]))
        history[key] = np.concatenate(padded, axis=1).reshape(rows, *batch)
    return TrainResult(
        weights=xp.concatenate([r.weights for r in parts]).reshape(
            *batch, *parts[0].weights.shape[-2:]
        ),
        steps=longest.steps,
        history=history,
        stopped_at=np.concatenate([r.stopped_at for r in parts]).reshape(batch),
        w_teach=None
        if parts[0].w_teach is None
        else xp.concatenate([r.w_teach for r in parts]).reshape(*batch, -1),
    )


def make_rule(goal: Goal | str | Sequence[float] = "redundancy", **options: Any):
    """A learning rule ``patterns -> (weights, biases)`` for
    :func:`infobook.hopfield.capacity_scan`, training infomorphic networks on ``goal`` with the
    recipe ``Training(**options)`` (biases zero: the teaching input is off at recall)."""
    goal = Goal.parse(goal)
    training = Training(**options)

    def rule(patterns: Any) -> tuple[Any, Any]:
        res = train(patterns, goal, training=training)
        xp = array_namespace(res.weights)
        return res.weights, xp.zeros(res.weights.shape[:-1], dtype=res.weights.dtype)

    rule.__name__ = goal.name if goal.name != "custom" else f"goal[{goal.label}]"
    return rule
