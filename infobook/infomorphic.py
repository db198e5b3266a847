r"""Infomorphic Hopfield neurons: gradient ascent on a weighted sum of PID atoms.

Introduced in the chapter :ref:`ch-infomorphic`. The model of Blümel et al. (2025), section 2 of
the book's specification:

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import fused
from .backend import array_namespace, to_numpy, tune_allocator
from .histogram import DEFAULT_RANGE, bin_index, joint_pmf
from .hopfield import accuracy, recall
from .pid import goal_vector, pid_goal_gradient, sxpid

W_TEACH = 2.3
LEARNING_RATE = 0.05
EPOCHS = 5000
#: Default memory budget of one batched training step, in bytes (see :func:`step_memory`).
MAX_MEMORY = 2 * 2**30
#: Ways to compute a step: the array program (NumPy or CuPy; the reference), the fused CPU
#: kernel of :mod:`infobook.fused`, or ``auto``: fused for NumPy arrays when Numba is present.
KERNELS = ("auto", "array", "fused")


def _use_fused(kernel: str, xp: Any) -> bool:
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
    if kernel == "array":
        return False
    on_numpy = xp is np
    if kernel == "fused":
        if not on_numpy:
            raise ValueError(
                "the fused kernel runs on NumPy arrays only; use kernel='array' on CuPy"
            )
        if not fused.available():
            raise RuntimeError(f"kernel='fused' is not available: {fused.why_unavailable()}")
        return True
    return on_numpy and fused.available()


def step_memory(
    n_neurons: int, n_patterns: int, bins_t: int = 2, bins_r: int = 60, dtype: Any = np.float32
) -> int:
    """Estimated peak memory, in bytes, of one training step of ONE network: the temporaries of
    :func:`goal_and_gradient` (about 20 bytes per pattern and neuron and 60 per pmf cell and
    neuron at float32, measured with ``tracemalloc``) and about ten N x N arrays (weights,
    gradient, masks, Adam's moments).
    float64 counts double. :func:`train` splits a batch into chunks that fit a budget with it.
    """
    scale = np.dtype(dtype).itemsize / 4
    cells = bins_t * bins_r * 2
    per_neuron = 20 * n_patterns + 60 * cells
    return int(scale * (n_neurons * per_neuron + 40 * n_neurons * n_neurons))


def sigmoid(x: Any) -> Any:
    """Numerically stable logistic function."""
    xp = array_namespace(x)
    e = xp.exp(-xp.abs(x))  # never overflows
    s = 1.0 / (1.0 + e)
    neg = x < 0  # select by exact 0/1 products (much faster than ``where`` on NumPy)
    return ((~neg) * s + neg * (e * s)).astype(x.dtype)


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
    w = w * (1 - np.eye(n_neurons))
    return w.astype(dtype)


@dataclass(frozen=True)
class NeuronModel:
    """Fixed settings of the infomorphic neuron (teaching weight and binning)."""

    w_teach: float = W_TEACH
    bins_t: int = 2
    bins_r: int = 60
    value_range: tuple[float, float] = DEFAULT_RANGE


def forward(weights: Any, patterns: Any, model: NeuronModel = NeuronModel()) -> dict[str, Any]:
    """Inputs, output probabilities, bins and per-neuron pmfs for the stored patterns.

    Returns a dict with ``theta`` (..., M, N), ``t_index``/``r_index`` (..., M, N) and ``pmf``
    (..., N, bins_t, bins_r, 2).
    """
    xp = array_namespace(weights, patterns)
    n = patterns.shape[-1]
    if weights.shape[-2:] != (n, n):
        raise ValueError(
            f"weights of shape {tuple(weights.shape)} do not fit patterns of {n} neurons; "
            "expected (..., N, N)"
        )
    teach = model.w_teach * patterns
    rec = patterns @ xp.swapaxes(weights, -1, -2)
    theta = sigmoid(teach + rec)
    t_index = bin_index(teach, model.bins_t, model.value_range)
    r_index = bin_index(rec, model.bins_r, model.value_range)
    pmf = joint_pmf(t_index, r_index, theta, model.bins_t, model.bins_r).astype(weights.dtype)
    return {"theta": theta, "t_index": t_index, "r_index": r_index, "pmf": pmf}


def goal_and_gradient(
    weights: Any,
    patterns: Any,
    goal: str | Sequence[float] = "redundancy",
    *,
    w_teach: float = W_TEACH,
    bins_t: int = 2,
    bins_r: int = 60,
    value_range: tuple[float, float] = DEFAULT_RANGE,
    kernel: str = "auto",
) -> tuple[Any, Any]:
    r"""The goal of every neuron and its exact gradient with respect to the recurrent weights.

    Parameters
    ----------
    weights : array (..., N, N)
        Recurrent weights (the diagonal is ignored and gets gradient 0).
    patterns : array (..., M, N) of +-1
        Stored patterns (the neurons' states while learning).
    goal : str or 5 floats
        A name of :data:`infobook.pid.NAMED_GOALS` or weights ``[unq_T, unq_R, red, syn, H_res]``.
    w_teach, bins_t, bins_r, value_range
        The neuron model (see :class:`NeuronModel`).
    kernel : {"auto", "array", "fused"}
        ``"array"``: the array program below (NumPy or CuPy), the reference; ``"fused"``: the
        same mathematics in two compiled CPU passes over each neuron's populated cells
        (:mod:`infobook.fused`, NumPy only, several times faster); ``"auto"`` (default):
        fused for NumPy arrays when Numba is installed, else the array program.

    Returns
    -------
    (goal, gradient)
        ``goal`` of shape (..., N): :math:`G_i` in bits; ``gradient`` of shape (..., N, N):
        :math:`\partial G_i / \partial W_{ij}` in row ``i`` (only :math:`G_i` depends on row ``i``,
        so this is also the gradient of :math:`\sum_i G_i`).
    """
    xp = array_namespace(weights, patterns)
    if _use_fused(kernel, xp):
        weights, patterns = np.asarray(weights), np.asarray(patterns)
        if weights.dtype.kind != "f":
            weights = weights.astype(np.float64)
        patterns = patterns.astype(weights.dtype, copy=False)
        return fused.goal_and_gradient(
            weights,
            patterns,
            goal_vector(goal),
            w_teach=w_teach,
            bins_t=bins_t,
            bins_r=bins_r,
            value_range=tuple(value_range),
        )
    model = NeuronModel(w_teach, bins_t, bins_r, tuple(value_range))
    fw = forward(weights, patterns, model)
    value, g = pid_goal_gradient(fw["pmf"], goal, validate=False)  # g: (..., N, nt, nr, 2)
    m = patterns.shape[-2]
    diff = (g[..., 1] - g[..., 0]).reshape(*g.shape[:-3], bins_t * bins_r)  # (..., N, cells)
    cell = xp.swapaxes(fw["t_index"] * bins_r + fw["r_index"], -1, -2)  # (..., N, M)
    d_theta = xp.take_along_axis(diff, cell, axis=-1) / m  # dG_i / dtheta_{mu i}, (..., N, M)
    theta = xp.swapaxes(fw["theta"], -1, -2)
    d_rec = d_theta * theta * (1 - theta)  # (..., N, M)
    grad = d_rec @ patterns  # (..., N, N): sum_mu d_rec[i, mu] xi[mu, j]
    grad = grad * (1 - xp.eye(patterns.shape[-1], dtype=grad.dtype))
    return value.astype(weights.dtype), grad.astype(weights.dtype)


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

    def step(self, params: Any, grad: Any, active: Any | None = None) -> Any:
        """One ascent step; ``active`` (batch shape) freezes networks that are done."""
        xp = array_namespace(params)
        if self.m is None:
            self.m, self.v = xp.zeros_like(params), xp.zeros_like(params)
        self.t += 1
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


def evaluate(weights: Any, patterns: Any, goal: Any, model: NeuronModel) -> dict[str, Any]:
    """Goal, neuron-averaged atoms and recall accuracy of networks (teaching input off)."""
    fw = forward(weights, patterns, model)
    atoms = sxpid(fw["pmf"], validate=False)
    g = goal_vector(goal)
    values = atoms.goal_vector_order()
    total = sum(float(w) * a for w, a in zip(g, values, strict=True))
    xp = array_namespace(weights)
    res = recall(weights, patterns, xp.zeros(weights.shape[:-1], dtype=weights.dtype))
    a_cos, a_theta = accuracy(res.states, patterns)
    return {
        "goal": total.mean(axis=-1),
        "unq_T": atoms.unq1.mean(axis=-1),
        "unq_R": atoms.unq2.mean(axis=-1),
        "red": atoms.red.mean(axis=-1),
        "syn": atoms.syn.mean(axis=-1),
        "res": atoms.res.mean(axis=-1),
        "a_cos": a_cos,
        "a_theta": a_theta,
    }


def train(
    patterns: Any,
    goal: str | Sequence[float] = "redundancy",
    *,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    seed: int = 0,
    initial: Any | None = None,
    w_teach: float = W_TEACH,
    bins_t: int = 2,
    bins_r: int = 60,
    value_range: tuple[float, float] = DEFAULT_RANGE,
    dtype: Any = np.float32,
    n_checkpoints: int = 15,
    early_stop: bool = True,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    init_scale: float = 1e-3,
    max_memory: int | None = MAX_MEMORY,
    kernel: str = "auto",
) -> TrainResult:
    """Train infomorphic networks by full-batch Adam ascent on the goal.

    Parameters
    ----------
    patterns : array (..., M, N) of +-1
        Patterns to store; leading axes are independent networks trained together as one array
        program (NumPy or CuPy, following the array type).
    goal : str or 5 floats
        Name from :data:`infobook.pid.NAMED_GOALS` or weights ``[unq_T, unq_R, red, syn, H_res]``.
    epochs, lr : int, float
        Number of full-batch Adam steps (default 5000) and learning rate (default 0.05).
    seed : int
        Seed of the initial weights (:func:`initial_weights`), ignored when ``initial`` is given.
    initial : array (..., N, N) or None
        Explicit initial weights (the diagonal is set to 0).
    w_teach, bins_t, bins_r, value_range
        The neuron model: fixed teaching weight and binning of T and R.
    dtype : numpy dtype
        float32 (default, as published) or float64.
    n_checkpoints : int
        About this many log-spaced steps at which the history is recorded.
    early_stop : bool
        Stop a network (freeze its weights) at the first checkpoint where it recalls every
        pattern perfectly (a_cos = 1, teaching input off).
    betas, eps, init_scale
        Adam's moment decays and epsilon; scale of the initial weights.
    max_memory : int or None
        Memory budget in bytes of one batched step (default 2 GiB; None: no limit). A batch whose
        step would need more (:func:`step_memory` per network) is trained in consecutive chunks
        of networks; the networks are independent, so the result is the same.
    kernel : {"auto", "array", "fused"}
        How each step is computed (see :func:`goal_and_gradient`); the same networks either way.

    Returns
    -------
    TrainResult
    """
    tune_allocator()
    xp = array_namespace(patterns)
    patterns = xp.asarray(patterns, dtype=dtype)
    *batch, m, n = patterns.shape
    model = NeuronModel(w_teach, bins_t, bins_r, tuple(value_range))
    if initial is None:
        w = xp.asarray(initial_weights(n, seed, batch=tuple(batch), scale=init_scale, dtype=dtype))
    else:
        w = xp.asarray(initial, dtype=dtype)
        if w.shape != (*batch, n, n):
            raise ValueError(
                f"initial weights of shape {tuple(w.shape)} do not fit patterns of shape "
                f"{tuple(patterns.shape)}; expected {(*batch, n, n)}"
            )
        w = w * (1 - xp.eye(n, dtype=w.dtype))
    goal_vector(goal)  # validate early
    _use_fused(kernel, xp)  # and the kernel
    size = int(np.prod(batch, dtype=int))
    per_network = step_memory(n, m, bins_t, bins_r, dtype)
    if max_memory is not None and size > 1 and size * per_network > max_memory:
        chunk = max(1, int(max_memory // per_network))
        kwargs = dict(
            epochs=epochs,
            lr=lr,
            w_teach=w_teach,
            bins_t=bins_t,
            bins_r=bins_r,
            value_range=value_range,
            dtype=dtype,
            n_checkpoints=n_checkpoints,
            early_stop=early_stop,
            betas=betas,
            eps=eps,
            max_memory=None,
            kernel=kernel,
        )
        flat_p, flat_w = patterns.reshape(size, m, n), w.reshape(size, n, n)
        parts = [
            train(flat_p[k : k + chunk], goal, initial=flat_w[k : k + chunk], **kwargs)
            for k in range(0, size, chunk)
        ]
        return _merge(parts, tuple(batch), xp)
    opt = Adam(lr, betas[0], betas[1], eps)
    steps = checkpoints(epochs, n_checkpoints)
    active = xp.ones(tuple(batch), dtype=bool)
    stopped_at = np.full(tuple(batch), epochs, dtype=int)
    history: dict[str, list[np.ndarray]] = {}
    done = 0
    kwargs = dict(
        w_teach=w_teach, bins_t=bins_t, bins_r=bins_r, value_range=value_range, kernel=kernel
    )
    for step in steps:
        # networks that stopped early are frozen: compute gradients for the active ones only
        ids = xp.nonzero(active.reshape(-1))[0]
        every = int(ids.size) == int(np.prod(batch, dtype=int))
        for _ in range(int(step) - done):
            if every:
                _, grad = goal_and_gradient(w, patterns, goal, **kwargs)
            else:
                flat_w, flat_p = w.reshape(-1, n, n), patterns.reshape(-1, m, n)
                _, sub = goal_and_gradient(flat_w[ids], flat_p[ids], goal, **kwargs)
                grad = xp.zeros_like(flat_w)
                grad[ids] = sub
                grad = grad.reshape(w.shape)
            w = opt.step(w, grad, active)
        done = int(step)
        ev = evaluate(w, patterns, goal, model)
        for k, v in ev.items():
            history.setdefault(k, []).append(to_numpy(v))
        if early_stop:
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
    )


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
    )


def make_rule(goal: str | Sequence[float] = "redundancy", **train_kwargs: Any):
    """A learning rule ``patterns -> (weights, biases)`` for
    :func:`infobook.hopfield.capacity_scan`, training infomorphic networks on ``goal`` (biases
    zero: the teaching input is off at recall)."""

    def rule(patterns: Any) -> tuple[Any, Any]:
        res = train(patterns, goal, **train_kwargs)
        xp = array_namespace(res.weights)
        return res.weights, xp.zeros(res.weights.shape[:-1], dtype=res.weights.dtype)

    rule.__name__ = (
        goal if isinstance(goal, str) else "goal[" + ",".join(f"{g:g}" for g in goal) + "]"
    )
    return rule
