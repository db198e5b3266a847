r"""Baseline learning rules for Hopfield networks, in one convention.

Introduced for the chapter on baselines. Every rule takes patterns of shape ``(..., M, N)`` (+-1,
leading axes are independent networks) and returns ``(weights, biases)`` of shapes
``(..., N, N)`` and ``(..., N)``, used by :func:`infobook.hopfield.recall` as
:math:`h = W s + b`. Except for the ``trivial`` control, no rule uses self-coupling
(:math:`W_{ii} = 0`).

* ``hebbian``: :math:`W = \sum_\mu \xi^\mu \xi^{\mu T}`, zero diagonal (Amit et al. 1985).
* ``pseudo_inverse``: the projection :math:`W = \Xi^{+} \Xi` onto the span of the patterns,
  diagonal set to zero (Personnaz et al. 1986).
* ``storkey``: Storkey's (1997) incremental rule with local fields.
* ``descent_l2``: per neuron the ridge regression
  :math:`\min \tfrac12 \sum_\mu (h_i^\mu - \xi_i^\mu)^2 + \tfrac a2 (|w_i|^2 + b_i^2)`,
  a = 0.001, in closed form (Tolmachev & Manton 2020).
* ``mpf``: minimum probability flow (Hillar et al. 2012), gradient descent on its objective.
* ``krauth_mezard``: the min-over perceptron (Krauth & Mézard 1987), per neuron.
* ``gardner``: the perceptron rule with margin :math:`\kappa` (Gardner 1988).
* ``adatron``: AdaTron, run to convergence: the maximal-stability perceptron.
* ``lp_optimum``: a linear program per neuron that finds weights making every pattern a fixed
  point whenever such weights exist (SciPy's HiGHS).
* ``max_stability``: the exact maximal-stability weights of every neuron (what AdaTron converges
  to), by least distance programming with SciPy's non-negative least squares.
* ``noise_perceptron``: training with noise, a perceptron rule whose updates see freshly
  corrupted patterns with the clean bit as target (Gardner, Stroud and Wallace 1989).
* ``trivial``: the identity matrix, a control that "recalls" every clean cue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .backend import array_namespace, to_numpy
from .neuron import zero_diagonal as _zero_diag

#: A learning rule: patterns (..., M, N) -> (weights (..., N, N), biases (..., N)).
Rule = Callable[[Any], tuple[Any, Any]]


def _no_bias(w: Any) -> Any:
    xp = array_namespace(w)
    return xp.zeros(w.shape[:-1], dtype=w.dtype)


def hebbian_weights(patterns: Any, *, normalise: bool = False) -> Any:
    r"""Hebbian weights :math:`W = \sum_\mu \xi^\mu \xi^{\mu T}` with zero diagonal.

    ``patterns`` has shape ``(..., M, N)``; the result ``(..., N, N)``. With ``normalise`` the
    weights are divided by N (recall does not change; fields do). Introduced in the chapter
    :ref:`ch-hopfield`.
    """
    xp = array_namespace(patterns)
    w = xp.swapaxes(patterns, -1, -2) @ patterns
    n = patterns.shape[-1]
    w = w * (1 - xp.eye(n, dtype=w.dtype))
    return w / n if normalise else w


def hebbian(patterns: Any) -> tuple[Any, Any]:
    """The Hebbian rule in the book's rule convention: ``(weights, biases)``, biases zero."""
    xp = array_namespace(patterns)
    w = hebbian_weights(patterns)
    return w, xp.zeros(w.shape[:-1], dtype=w.dtype)


def pseudo_inverse(patterns: Any) -> tuple[Any, Any]:
    """Projection rule :math:`W = \\Xi^+ \\Xi` with the diagonal set to zero, no bias."""
    xp = array_namespace(patterns)
    w = xp.linalg.pinv(patterns) @ patterns
    return _zero_diag(w), _no_bias(w)


def storkey(patterns: Any) -> tuple[Any, Any]:
    r"""Storkey's rule: for each pattern in turn,
    :math:`\Delta W_{ij} = \frac1N (\xi_i \xi_j - \xi_i h_{ji} - h_{ij} \xi_j)` with the local field
    :math:`h_{ij} = \sum_{k \ne i, j} W_{ik} \xi_k`; zero diagonal, no bias."""
    xp = array_namespace(patterns)
    *batch, m, n = patterns.shape
    w = xp.zeros((*batch, n, n), dtype=patterns.dtype)
    for mu in range(m):
        x = patterns[..., mu, :]  # (..., N)
        field = (w @ x[..., None])[..., 0]  # (..., N): sum_k W_ik x_k
        diag = xp.diagonal(w, axis1=-2, axis2=-1)
        # h_ij = field_i - W_ii x_i - W_ij x_j
        h = (field - diag * x)[..., :, None] - w * x[..., None, :]
        outer = x[..., :, None] * x[..., None, :]
        dw = (outer - x[..., :, None] * xp.swapaxes(h, -1, -2) - h * x[..., None, :]) / n
        w = _zero_diag(w + dw)
    return w, _no_bias(w)


def descent_l2(patterns: Any, *, reg: float = 1e-3, scale: float = 1.0) -> tuple[Any, Any]:
    r"""Descent L2 in closed form: per neuron, ridge regression of :math:`\xi_i` on the other
    neurons' states and a bias,
    :math:`\min_{w_i, b_i} \tfrac12 \sum_\mu (\lambda h_i^\mu - \xi_i^\mu)^2
    + \tfrac a2(|w_i|^2 + b_i^2)`
    with :math:`\lambda` = ``scale`` and :math:`a` = ``reg``. All neurons of all networks are
    solved as one batched linear system (the own column is zeroed, which with the ridge term pins
    :math:`W_{ii} = 0`)."""
    xp = array_namespace(patterns)
    *batch, m, n = patterns.shape
    ones = xp.ones((*batch, m, 1), dtype=patterns.dtype)
    x = scale * xp.concatenate([patterns, ones], axis=-1)  # (..., M, N+1)
    gram = xp.swapaxes(x, -1, -2) @ x  # (..., N+1, N+1)
    rhs = xp.swapaxes(x, -1, -2) @ patterns  # (..., N+1, N): column i is X^T xi_i
    keep = 1 - xp.eye(n + 1, dtype=patterns.dtype)[:n]  # (N, N+1): row i drops feature i
    g = gram[..., None, :, :] * keep[:, :, None] * keep[:, None, :]  # (..., N, N+1, N+1)
    g = g + reg * xp.eye(n + 1, dtype=patterns.dtype)
    r = xp.swapaxes(rhs, -1, -2) * keep  # (..., N, N+1)
    sol = xp.linalg.solve(g, r[..., None])[..., 0]  # (..., N, N+1)
    w = sol[..., :n] * scale
    b = sol[..., n] * scale
    return _zero_diag(w), b


# ----------------------------------------------------------------------- minimum probability flow


def mpf_objective(j: Any, theta: Any, x: Any) -> Any:
    r"""MPF objective
    :math:`K = \frac1M \sum_\mu \sum_i \exp(\tfrac12 (E(x^\mu) - E(x^\mu_{\bar i})))`
    on binary states ``x`` (..., M, N) in {0, 1}, with
    :math:`E(x) = -\tfrac12 x^T J x + \theta^T x`,
    ``j`` symmetric with zero diagonal; :math:`x_{\bar i}` is ``x`` with bit ``i`` flipped."""
    d = 1 - 2 * x
    field = x @ j - theta[..., None, :]  # (Jx)_i - theta_i ; J symmetric
    return (array_namespace(x).exp(0.5 * d * field)).sum(axis=(-2, -1)) / x.shape[-2]


def mpf_gradient(j: Any, theta: Any, x: Any) -> tuple[Any, Any]:
    """Gradient of :func:`mpf_objective` with respect to the symmetric coupling ``j`` (each pair
    ``J_ij = J_ji`` one parameter, zero diagonal) and to ``theta``."""
    xp = array_namespace(x)
    m = x.shape[-2]
    d = 1 - 2 * x
    e = xp.exp(0.5 * d * (x @ j - theta[..., None, :]))  # (..., M, N)
    a = 0.5 * e * d
    g = xp.swapaxes(a, -1, -2) @ x / m  # dK/dJ_kl as if independent: sum_mu a_k x_l
    gj = _zero_diag(g + xp.swapaxes(g, -1, -2))
    gt = -a.sum(axis=-2) / m
    return gj, gt


def mpf(patterns: Any, *, lr: float = 0.08, steps: int = 40_000) -> tuple[Any, Any]:
    """Minimum probability flow as published: gradient descent (learning rate 0.08, 40,000 steps)
    from J = 0, theta = 0 on x = (xi + 1)/2, then :math:`W = J/2`,
    :math:`b_i = \\tfrac12 \\sum_j J_{ij} - \\theta_i`."""
    xp = array_namespace(patterns)
    x = (patterns + 1) / 2
    *batch, _, n = patterns.shape
    j = xp.zeros((*batch, n, n), dtype=patterns.dtype)
    theta = xp.zeros((*batch, n), dtype=patterns.dtype)
    for _ in range(steps):
        gj, gt = mpf_gradient(j, theta, x)
        j = j - lr * gj
        theta = theta - lr * gt
    return j / 2, 0.5 * j.sum(axis=-1) - theta


# --------------------------------------------------------------------------- perceptron rules


def _neuron_inputs(patterns: Any) -> tuple[Any, Any]:
    """Per-neuron training sets: inputs ``c[..., i, mu, :] = xi_i^mu * xi^mu`` with column i
    zeroed (no self-coupling), shape (..., N, M, N); a pattern is a fixed point of neuron i when
    ``c[i, mu] @ w_i > 0``."""
    xp = array_namespace(patterns)
    n = patterns.shape[-1]
    target = xp.swapaxes(patterns, -1, -2)[..., :, :, None]  # (..., N, M, 1)
    c = target * patterns[..., None, :, :]  # (..., N, M, N)
    return c * (1 - xp.eye(n, dtype=patterns.dtype))[:, None, :], target


def stabilities(weights: Any, patterns: Any) -> Any:
    r"""Normalised stabilities :math:`\gamma_i^\mu = \xi_i^\mu h_i^\mu / |w_i|` (..., N, M)."""
    xp = array_namespace(weights)
    h = patterns @ xp.swapaxes(weights, -1, -2)  # (..., M, N)
    norm = xp.sqrt((weights * weights).sum(axis=-1))  # (..., N)
    norm = xp.where(norm > 0, norm, 1.0)
    return xp.swapaxes(h * patterns, -1, -2) / norm[..., :, None]


def krauth_mezard(patterns: Any, *, margin: float = 1.0, max_sweeps: int = 100) -> tuple[Any, Any]:
    r"""Min-over perceptron: each neuron repeatedly learns its least stable pattern,
    :math:`w_i \mathrel{+}= \frac1N \xi_i^\mu \xi^\mu`, until every unnormalised stability
    :math:`\xi_i^\mu h_i^\mu` exceeds ``margin`` (then every pattern is a fixed point), or after
    ``max_sweeps * M`` updates. All neurons and networks update together."""
    xp = array_namespace(patterns)
    c, _ = _neuron_inputs(patterns)  # (..., N, M, N)
    n, m = c.shape[-1], c.shape[-2]
    # embedding form: w_i = (1/N) sum_mu x^mu c^mu, so the stabilities are C x with the
    # correlation matrix C = c c^T / N, and learning pattern mu adds column mu of C to them:
    # O(M) per update instead of O(M N)
    corr = c @ xp.swapaxes(c, -1, -2) / n  # (..., N, M, M)
    x = xp.zeros(corr.shape[:-1], dtype=patterns.dtype)  # (..., N, M)
    stab = xp.zeros_like(x)
    index = xp.arange(m)
    for _ in range(max_sweeps * m):
        worst = xp.argmin(stab, axis=-1)  # (..., N)
        low = xp.take_along_axis(stab, worst[..., None], axis=-1)[..., 0]
        active = low <= margin
        if not bool(active.any()):
            break
        step = active.astype(x.dtype)[..., None]
        x = x + step * (index == worst[..., None])
        stab = stab + step * xp.take_along_axis(corr, worst[..., None, None], axis=-1)[..., 0]
    w = (xp.swapaxes(c, -1, -2) @ x[..., None])[..., 0] / n
    return w, _no_bias(w)


def gardner(patterns: Any, *, kappa: float = 0.0, max_sweeps: int = 1000) -> tuple[Any, Any]:
    r"""Perceptron rule with margin: every pattern whose normalised stability is below
    :math:`\kappa` is learned, :math:`w_i \mathrel{+}= \frac1N \xi_i^\mu \xi^\mu`, in parallel
    sweeps until none is (possible only for :math:`\kappa < \kappa_{max}(\alpha)`) or
    ``max_sweeps``. For kappa = 0 a tiny positive threshold keeps the zero start moving."""
    xp = array_namespace(patterns)
    c, _ = _neuron_inputs(patterns)
    *batch, n, m, _ = c.shape
    w = xp.zeros((*batch, n, n), dtype=patterns.dtype)
    for _ in range(max_sweeps):
        norm = xp.sqrt((w * w).sum(axis=-1))[..., None]  # (..., N, 1)
        stab = (c @ w[..., None])[..., 0]
        wrong = stab <= xp.maximum(kappa * norm, 1e-12)
        if not bool(wrong.any()):
            break
        w = w + (xp.swapaxes(c, -1, -2) @ wrong.astype(c.dtype)[..., None])[..., 0] / n
    return w, _no_bias(w)


def adatron(
    patterns: Any, *, rate: float = 1.0, max_sweeps: int = 2000, tol: float = 1e-6
) -> tuple[Any, Any]:
    r"""AdaTron to convergence: the maximal-stability perceptron of every neuron.

    Embedding strengths :math:`x^\mu \ge 0` with :math:`w_i = \frac1N \sum_\mu x^\mu \xi_i^\mu
    \xi^\mu`, updated one pattern after the other (Anlauf and Biehl's sequential form),
    :math:`x^\mu \leftarrow \max(0, x^\mu + \eta\,(1 - (C x)^\mu) / C^{\mu\mu})` with the
    correlation matrix :math:`C^{\mu\nu} = \frac1N c^\mu \cdot c^\nu` of the neuron's inputs;
    with :math:`\eta = 1` each update maximises the dual objective along its coordinate. Sweeps
    over the patterns until the largest change in a sweep is below ``tol`` or ``max_sweeps``.
    Every neuron of every network updates together (array code over neurons). Near the capacity
    the margin tends to 0 and convergence slows: the sequential updates get there in about a
    tenth of the sweeps that parallel ones need.
    """
    xp = array_namespace(patterns)
    c, _ = _neuron_inputs(patterns)
    n, m = c.shape[-1], c.shape[-2]
    corr = c @ xp.swapaxes(c, -1, -2) / n  # (..., N, M, M), symmetric
    diag = xp.diagonal(corr, axis1=-2, axis2=-1).copy()  # (..., N, M)
    x = xp.zeros(corr.shape[:-1], dtype=patterns.dtype)  # (..., N, M)
    stab = xp.zeros_like(x)  # C x
    buf = xp.empty_like(x)
    for _ in range(max_sweeps):
        change = xp.zeros(x.shape[:-1], dtype=x.dtype)
        for mu in range(m):
            old = x[..., mu]
            new = xp.maximum(0.0, old + rate * (1.0 - stab[..., mu]) / diag[..., mu])
            d = new - old
            x[..., mu] = new
            xp.multiply(d[..., None], corr[..., mu, :], out=buf)  # row mu = column mu
            stab += buf
            change = xp.maximum(change, xp.abs(d))
        if float(change.max()) < tol:
            break
    w = (xp.swapaxes(c, -1, -2) @ x[..., None])[..., 0] / n
    return w, _no_bias(w)


def _per_neuron(patterns: Any, solve: Callable[[np.ndarray], np.ndarray]) -> tuple[Any, Any]:
    """Weights from ``solve(inputs)``, one neuron at a time on the CPU: ``inputs`` holds the rows
    :math:`\\xi_i^\\mu \\xi^\\mu_{-i}` (M, N - 1) of neuron i (its own column removed), and
    ``solve`` returns the neuron's N - 1 weights. Same shapes, dtype and backend as the patterns."""
    from .backend import to_numpy

    pats = to_numpy(patterns).astype(float)
    *batch, m, n = pats.shape
    flat = pats.reshape(-1, m, n)
    w = np.zeros((flat.shape[0], n, n))
    for k, p in enumerate(flat):
        for i in range(n):
            w[k, i, np.arange(n) != i] = solve(np.delete(p, i, axis=1) * p[:, i : i + 1])
    xp = array_namespace(patterns)
    w = xp.asarray(w.reshape(*batch, n, n), dtype=patterns.dtype)
    return w, _no_bias(w)


def _least_slack(inputs: np.ndarray) -> np.ndarray:
    """Weights of the linear program min sum(s) s.t. inputs @ w >= 1 - s, s >= 0 (HiGHS)."""
    from scipy.optimize import linprog

    m, d = inputs.shape
    cost = np.concatenate([np.zeros(d), np.ones(m)])
    bounds = [(None, None)] * d + [(0, None)] * m
    a_ub = np.hstack([-inputs, -np.eye(m)])
    res = linprog(cost, A_ub=a_ub, b_ub=-np.ones(m), bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"linear program failed: {res.message}")
    return res.x[:d]


def lp_optimum(patterns: Any) -> tuple[Any, Any]:
    r"""Exact optimum by linear programming, one neuron at a time (SciPy's HiGHS).

    For neuron i it minimises the total slack :math:`\sum_\mu s_\mu` subject to
    :math:`\xi_i^\mu\, w_i \cdot \xi^\mu \ge 1 - s_\mu`, :math:`s \ge 0`, with no bias and no
    self-coupling. Zero slack is reached exactly when some weights make every pattern a fixed
    point of the neuron (linear separability); then these weights do. Runs on the CPU.
    """
    return _per_neuron(patterns, _least_slack)


def _max_stability_neuron(inputs: np.ndarray) -> np.ndarray | None:
    r"""Minimal-norm weights with ``inputs @ w >= 1`` (None when there are none), by least
    distance programming: with :math:`E = [G^T; 1^T]` and :math:`f = (0, \dots, 0, 1)`, the
    non-negative least squares solution u of :math:`\min |E u - f|` gives the residual
    :math:`r = E u - f`, and :math:`w = -r_{1:d} / r_{d+1}` unless r = 0, which certifies that
    no such weights exist (Lawson and Hanson 1974, ch. 23). Lawson and Hanson's active-set NNLS
    ends after finitely many steps, so the result is exact up to rounding, however small the
    margin. ``u / (1 - 1^T u)`` are the embedding strengths (Lagrange multipliers)."""
    from scipy.optimize import nnls

    m, d = inputs.shape
    e = np.vstack([inputs.T, np.ones((1, m))])
    f = np.zeros(d + 1)
    f[-1] = 1.0
    try:
        u, _ = nnls(e, f, maxiter=50 * (m + d))
    except RuntimeError as err:  # the iteration limit, far above what random patterns need
        raise RuntimeError(
            f"the least distance program of a neuron ({m} patterns, {d} inputs) did not finish: "
            f"{err}; the patterns may be degenerate (repeated or all equal)"
        ) from err
    r = e @ u - f
    if r[-1] > -1e-12:  # r = 0 up to rounding: the constraints are incompatible
        return None
    w = -r[:-1] / r[-1]
    # The margins of a solution are 1 up to rounding, which grows with |w|: a nearly degenerate
    # neuron (|w| ~ 1e4) lands at 1 - 2e-7. Separability is the sign, so any clearly positive
    # margin is a solution; a spurious r[-1] < 0 of an infeasible set gives no such w.
    return w if float((inputs @ w).min()) >= 0.5 else None


def max_stability(patterns: Any, *, fallback: bool = True) -> tuple[Any, Any]:
    r"""Exact maximal-stability weights, one neuron at a time: the point AdaTron and
    Krauth-Mézard converge to, reached in finitely many steps however small the margin.

    For neuron i: :math:`\min |w_i|^2` subject to :math:`\xi_i^\mu\, w_i \cdot \xi^\mu \ge 1`
    for every pattern (no bias, no self-coupling), which maximises the smallest normalised
    stability :math:`\min_\mu \xi_i^\mu h_i^\mu / |w_i| = 1 / |w_i|`; solved as a least
    distance program by SciPy's non-negative least squares (Lawson and Hanson's active-set
    method). A neuron for which no weights make every pattern a fixed point has no
    maximal-stability solution; it gets the least-slack weights of :func:`lp_optimum` (with
    ``fallback=False``: zero weights, which is cheaper when only the margins are wanted). So
    every pattern is a fixed point exactly when the LP optimum makes it one, and where it is, the
    margins are as large as they can be. Runs on the CPU.
    """

    def solve(inputs: np.ndarray) -> np.ndarray:
        w = _max_stability_neuron(inputs)
        if w is None:
            return _least_slack(inputs) if fallback else np.zeros(inputs.shape[1])
        return w

    return _per_neuron(patterns, solve)


def max_stability_margin(patterns: Any) -> Any:
    r"""The largest achievable smallest stability :math:`\kappa_{max}` of every neuron (..., N):
    the smallest normalised stability of :func:`max_stability`'s weights, and 0 for a neuron
    that cannot make every pattern a fixed point (its :math:`\kappa_{max}` is negative)."""
    w, _ = max_stability(patterns, fallback=False)
    return stabilities(w, patterns).min(axis=-1)


def _separable(bank: np.ndarray, i: int, m: int) -> bool:
    """Whether neuron i can make each of the first m patterns of ``bank`` (M, N) a fixed point."""
    inputs = np.delete(bank[:m], i, axis=1) * bank[:m, i : i + 1]
    return _max_stability_neuron(inputs) is not None


def fixed_point_capacity(bank: Any) -> np.ndarray:
    r"""The exact fixed-point capacity of each network: the largest M such that weights exist
    (no bias, no self-coupling) that make each of the first M patterns of ``bank`` (..., M_max,
    N) a fixed point, that is, such that every neuron's first M training points are linearly
    separable; returns integers of shape ``bank.shape[:-2]`` (M_max when all of them are).

    Separability of nested pattern sets can only be lost as M grows, so each neuron has a
    threshold :math:`M_i` and the network's capacity is :math:`\min_i M_i`. Neurons are
    visited in turn against the smallest threshold found so far: one least distance program
    (:func:`max_stability`'s) per neuron that keeps it, a bisection only for a neuron that
    lowers it. This is the quantity Cover's counting predicts
    (:func:`cover_network_capacity`); the book's recall criterion (:math:`a_{\cos} \ge 0.95`,
    a mean overlap over the patterns) tolerates a few wrong bits or lost patterns and so can
    lie above it. Runs on the CPU.
    """
    from .backend import to_numpy

    pats = to_numpy(bank).astype(float)
    *batch, m_max, n = pats.shape
    flat = pats.reshape(-1, m_max, n)
    out = np.zeros(flat.shape[0], dtype=int)
    for k, p in enumerate(flat):
        best = m_max  # every neuron seen so far separates its first `best` patterns
        for i in range(n):
            if _separable(p, i, best):
                continue
            lo, hi = 0, best  # separable at lo (0 patterns), not at hi
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _separable(p, i, mid) else (lo, mid)
            best = lo
        out[k] = best
    return out.reshape(batch) if batch else out.reshape(())


def _digest(patterns: np.ndarray) -> list[int]:
    """Four 32-bit words of a SHA-256 digest of a network's patterns (a seed that follows the
    network, not its place in a batch)."""
    import hashlib

    raw = hashlib.sha256(np.ascontiguousarray(patterns, dtype=np.float64).tobytes()).digest()
    return [int(v) for v in np.frombuffer(raw[:16], dtype=np.uint32)]


def noise_perceptron(
    patterns: Any, *, flips: float = 0.1, sweeps: int = 2000, seed: int = 0
) -> tuple[Any, Any]:
    r"""Training with noise (Gardner, Stroud and Wallace 1989): a perceptron rule whose every
    update sees freshly corrupted patterns with the clean bit as target.

    Each sweep presents all M patterns at once, each with ``round(flips N)`` distinct bits
    flipped (a fresh corruption per sweep; each network draws from a generator seeded by
    ``seed`` and a digest of its own patterns, so that it learns the same weights whatever
    batch it is trained in); every neuron whose field
    on a corrupted cue does not have the sign of its clean bit,
    :math:`\xi_i^\mu \sum_{j \ne i} W_{ij} \tilde\xi_j^\mu \le 0`, moves its weights by
    :math:`\xi_i^\mu \tilde\xi^\mu / N`. With noise the errors never all vanish, so the rule
    returns the average of the weights over the second half of the sweeps (the averaged
    perceptron, which settles where the last iterate keeps fluctuating). No bias, no
    self-coupling. ``flips = 0`` is the plain batch perceptron on the clean patterns.
    """
    if not 0.0 <= float(flips) < 1.0:
        raise ValueError(f"flips is a fraction of the bits in [0, 1), got {flips}")
    if int(sweeps) != sweeps or sweeps < 2:
        raise ValueError(f"sweeps must be an integer >= 2, got {sweeps!r}")
    xp = array_namespace(patterns)
    x = xp.asarray(patterns)
    *batch, m, n = x.shape
    k = int(round(float(flips) * n))
    host = to_numpy(x).reshape(-1, m, n)
    rngs = [np.random.default_rng([int(seed), *_digest(net)]) for net in host]
    mask = 1 - xp.eye(n, dtype=x.dtype)
    w = xp.zeros((*batch, n, n), dtype=x.dtype)
    total = xp.zeros_like(w)
    start = int(sweeps) // 2
    for t in range(int(sweeps)):
        if k:
            keys = np.stack([r.random((m, n)) for r in rngs]).reshape(x.shape)
            chosen = np.argpartition(keys, k - 1, axis=-1)[..., :k]
            sign = np.ones(x.shape)
            np.put_along_axis(sign, chosen, -1.0, axis=-1)
            cues = x * xp.asarray(sign, dtype=x.dtype)
        else:
            cues = x
        h = cues @ xp.swapaxes(w, -1, -2)  # (..., M, N): field of neuron i on cue mu
        wrong = ((x * h) <= 0).astype(x.dtype) * x  # xi_i where neuron i errs
        w = w + (xp.swapaxes(wrong, -1, -2) @ cues) * mask / n
        if t >= start:
            total = total + w
    w = total / (int(sweeps) - start)
    return w, _no_bias(w)


def trivial(patterns: Any) -> tuple[Any, Any]:
    """Control: the identity matrix (self-coupling only). Every clean cue is a fixed point, so
    clean-cue "capacity" is unlimited; it shows why self-coupling must stay excluded."""
    xp = array_namespace(patterns)
    n = patterns.shape[-1]
    w = xp.broadcast_to(xp.eye(n, dtype=patterns.dtype), (*patterns.shape[:-2], n, n)).copy()
    return w, _no_bias(w)


#: Every rule by name.
RULES: dict[str, Rule] = {
    "hebbian": hebbian,
    "pseudo_inverse": pseudo_inverse,
    "storkey": storkey,
    "descent_l2": descent_l2,
    "mpf": mpf,
    "krauth_mezard": krauth_mezard,
    "gardner": gardner,
    "adatron": adatron,
    "lp_optimum": lp_optimum,
    "max_stability": max_stability,
    "noise_perceptron": noise_perceptron,
    "trivial": trivial,
}


def get_rule(rule: str | Rule) -> tuple[str, Rule]:
    """A rule by name (see :data:`RULES`) or a callable ``patterns -> (weights, biases)``,
    with its name."""
    if callable(rule):
        return getattr(rule, "__name__", "custom"), rule
    if rule not in RULES:
        raise ValueError(
            f"unknown learning rule {rule!r}; choose one of {sorted(RULES)} or pass a callable"
        )
    return rule, RULES[rule]


# --------------------------------------------------------------------------- theory


def cover_separable_probability(n_patterns: int, n_inputs: int) -> float:
    r"""Cover's counting: the probability that ``n_patterns`` random points in general position
    in ``n_inputs`` dimensions, labelled at random, are linearly separable by a hyperplane through
    the origin, :math:`C(M, D) / 2^M` with :math:`C(M, D) = 2 \sum_{k<D} \binom{M-1}{k}`."""
    from scipy import stats

    if n_patterns <= n_inputs:
        return 1.0
    # 2 * sum_{k<D} binom(M-1, k) / 2^M = P(Binomial(M-1, 1/2) <= D-1)
    return float(stats.binom.cdf(n_inputs - 1, n_patterns - 1, 0.5))


def cover_network_capacity(n_neurons: int, probability: float = 0.5) -> float:
    """Largest load M/N at which all N neurons of a network (N - 1 inputs each, no bias) are
    separable with at least ``probability``, treating neurons as independent (Cover's counting)."""
    best = 0
    for m in range(1, 4 * n_neurons):
        if cover_separable_probability(m, n_neurons - 1) ** n_neurons >= probability:
            best = m
        else:
            break
    return best / n_neurons


def gardner_capacity(kappa: float) -> float:
    r"""Gardner's capacity for unbiased patterns at stability margin :math:`\kappa`:
    :math:`\alpha_c(\kappa) = 1 / \int_{-\kappa}^\infty Dt\, (t + \kappa)^2` (2 at kappa = 0)."""
    from scipy import integrate, stats

    val, _ = integrate.quad(lambda t: stats.norm.pdf(t) * (t + kappa) ** 2, -kappa, np.inf)
    return 1.0 / val


def gardner_stability(alpha: float) -> float:
    r"""Gardner's maximal stability :math:`\kappa_{max}(\alpha)` of unbiased patterns: the
    :math:`\kappa` at which :func:`gardner_capacity` equals ``alpha`` (0 at alpha = 2)."""
    from scipy import optimize, stats

    if not 0 < alpha <= 2:
        raise ValueError(f"the load must lie in (0, 2] for a stability margin, got {alpha}")
    if alpha == 2:
        return 0.0

    def capacity(k: float) -> float:  # the integral of gardner_capacity in closed form
        return 1.0 / ((1 + k * k) * stats.norm.cdf(k) + k * stats.norm.pdf(k))

    return float(optimize.brentq(lambda k: capacity(k) - alpha, 0.0, 50.0))


def diluted_overlap_map(m: float, kappa: float) -> float:
    r"""One synchronous step of a strongly diluted network whose couplings have Gardner's
    maximal stability :math:`\kappa` (Kepler and Abbott 1988; Gardner 1989): the overlap after
    the step from overlap ``m``,

    .. math::

        m' = \Phi(\kappa)\,\mathrm{erf}\!\left(\frac{m\kappa}{\sqrt{2(1-m^2)}}\right)
             + \int_\kappa^\infty Dt\;\mathrm{erf}\!\left(\frac{m t}{\sqrt{2(1-m^2)}}\right),

    the stabilities being :math:`\kappa` for the fraction :math:`\Phi(\kappa)` of patterns that
    sit at the margin and Gaussian above it. In a diluted network successive steps are
    independent, so iterating the map is exact there; in a fully connected one it is the first
    step only.
    """
    from scipy import integrate, special, stats

    if m >= 1:
        return 1.0
    s = np.sqrt(2 * (1 - m * m))
    tail, _ = integrate.quad(
        lambda t: stats.norm.pdf(t) * special.erf(m * t / s), kappa, np.inf, limit=200
    )
    return float(stats.norm.cdf(kappa) * special.erf(m * kappa / s) + tail)


def diluted_recall(alpha: float, flips: float, steps: int = 100) -> float:
    """Final overlap of the diluted max-stability network at load ``alpha`` from a cue with a
    fraction ``flips`` of its bits flipped (:func:`diluted_overlap_map` iterated ``steps``
    times from ``m = 1 - 2 flips``)."""
    kappa = gardner_stability(alpha)
    m = 1.0 - 2.0 * flips
    for _ in range(int(steps)):
        nxt = diluted_overlap_map(m, kappa)
        if abs(nxt - m) < 1e-12:
            break
        m = nxt
    return float(m)


def diluted_associative_capacity(flips: float, threshold: float = 0.95) -> float:
    """The largest load at which the diluted max-stability network repairs a cue with a
    fraction ``flips`` of its bits flipped to an overlap of at least ``threshold`` (bisection
    in the load; :func:`diluted_recall`)."""
    lo, hi = 0.01, 2.0
    if diluted_recall(lo, flips) < threshold:
        return 0.0
    for _ in range(20):  # to about 2e-6 in the load
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if diluted_recall(mid, flips) >= threshold else (lo, mid)
    return lo


def one_step_repair(alpha: float) -> float:
    r"""The fraction of flipped cue bits that one synchronous step repairs at Gardner's maximal
    stability :math:`\kappa = \kappa_{max}(\alpha)`: the ``f`` at which the one-step error of a
    neuron at the margin, :math:`H(m\kappa/\sqrt{1-m^2})` with :math:`m = 1 - 2f` (the
    Gaussian tail :math:`H`), equals ``f``; below it the first step leaves fewer wrong bits
    than the cue had. 0.499 stands for "every cue up to one half"."""
    from scipy import optimize, stats

    kappa = gardner_stability(alpha)
    if kappa == 0:
        return 0.0

    def excess(f: float) -> float:
        m = 1 - 2 * f
        return stats.norm.sf(m * kappa / np.sqrt(1 - m * m)) - f

    if excess(0.499) < 0:
        return 0.499
    return float(optimize.brentq(excess, 1e-9, 0.499))
