"""The three estimators of a neuron's joint table: fixed, adaptive and soft binning.

The soft table and both of its gradients are checked against an independent implementation
written here with plain loops (memberships, table and the goal over the lattice nodes), the
exact gradient against central finite differences, and the fused CPU kernels against the
array program.
"""

import json

import numpy as np
import pytest

from infobook import infomorphic as im
from infobook.experiments.settings import CapacitySettings
from infobook.histogram import adaptive_index
from infobook.neuron import SOFT_PADDING, SOFT_TAU, NeuronModel, forward
from infobook.pid import Goal

GOALS = ["redundancy", "coinformation", "optimized_ii", [0.3, -0.7, 0.9, 0.2, -0.4]]


def _case(n=6, m=9, scale=0.8, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    p = rng.choice([-1.0, 1.0], (m, n))
    w = rng.normal(0, scale, (n, n)) * (1 - np.eye(n))
    return w.astype(dtype), p.astype(dtype)


# --------------------------------------------------------------- an independent soft table


def _logistic(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _edges(x):
    return x.min() - SOFT_PADDING, x.max() + SOFT_PADDING


def _soft_table(w, pats, bins_r, w_teach=2.3, edges=None):
    """p[i, t, r, y] with plain loops; ``edges`` (lo_t, hi_t, lo_r, hi_r) fixed or None."""
    m, n = pats.shape
    teach = w_teach * pats
    rec = pats @ w.T
    if edges is None:
        edges = (*_edges(teach), *_edges(rec))
    tau_t, tau_r = SOFT_TAU
    p = np.zeros((n, 2, bins_r, 2))
    for i in range(n):
        for mu in range(m):
            memberships = []
            for x, lo, hi, k, tau in (
                (teach[mu, i], edges[0], edges[1], 2, tau_t),
                (rec[mu, i], edges[2], edges[3], bins_r, tau_r),
            ):
                width = (hi - lo) / k
                s = np.array(
                    [_logistic((width / 2 - abs(x - (lo + (b + 0.5) * width))) / tau)
                     for b in range(k)]
                )  # fmt: skip
                memberships.append(s / s.sum())
            theta = _logistic(teach[mu, i] + rec[mu, i])
            for t in range(2):
                for r in range(bins_r):
                    a = memberships[0][t] * memberships[1][r]
                    p[i, t, r, 0] += a * (1 - theta) / m
                    p[i, t, r, 1] += a * theta / m
    return p, edges


def _nodes(p, frozen=None):
    """The goal's lattice nodes in bits (red, I(Y:T), I(Y:R), I(Y:T,R), H_res) per neuron; the
    source-only probabilities inside the logarithms from ``frozen`` when given."""
    p12 = p.sum(-1)
    p1y, p2y = p.sum(2), p.sum(1)
    p1, p2, py = p12.sum(2), p12.sum(1), p1y.sum(1)
    union = p1[:, :, None] + p2[:, None, :] - p12
    union_y = p1y[:, :, None, :] + p2y[:, None, :, :] - p
    src = (p1, p2, p12, union) if frozen is None else frozen
    f1, f2, f12, fu = src
    lg = np.log2
    h_y = (py * lg(py)).sum(-1)
    red = (p * lg(union_y)).sum((1, 2, 3)) - (p12 * lg(fu)).sum((1, 2)) - h_y
    i1 = (p1y * lg(p1y)).sum((1, 2)) - (p1 * lg(f1)).sum(1) - h_y
    i2 = (p2y * lg(p2y)).sum((1, 2)) - (p2 * lg(f2)).sum(1) - h_y
    i12 = (p * lg(p)).sum((1, 2, 3)) - (p12 * lg(f12)).sum((1, 2)) - h_y
    res = (p12 * lg(f12)).sum((1, 2)) - (p * lg(p)).sum((1, 2, 3))
    return np.stack([red, i1, i2, i12, res]), (p1, p2, p12, union)


def _goal_of(p, goal, frozen=None):
    nodes, sources = _nodes(p, frozen)
    return np.asarray(Goal.parse(goal).node_weights()) @ nodes, sources


def _fd(f, w, h=1e-6):
    g = np.zeros_like(w)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            if i != j:
                e = np.zeros_like(w)
                e[i, j] = h
                g[i, j] = (f(w + e) - f(w - e)) / (2 * h)
    return g


def _rel(x, y):
    return float(np.abs(x - y).max() / np.abs(y).max())


def test_soft_table_equals_an_independent_implementation():
    w, p = _case()
    fw = forward(w, p, NeuronModel(bins_r=12, binning="soft"))
    table, _ = _soft_table(w, p, 12)
    np.testing.assert_allclose(fw["pmf"], table, rtol=1e-12, atol=1e-15)
    assert np.allclose(fw["pmf"].sum((1, 2, 3)), 1.0)
    # the teaching input's memberships are hard indicators
    assert set(np.unique(fw["a_t"])) <= {0.0, 1.0}


@pytest.mark.parametrize("goal", GOALS, ids=str)
def test_exact_soft_gradient_matches_finite_differences(goal):
    w, p = _case()
    kw = {"bins_r": 12, "binning": "soft", "kernel": "array"}
    value, grad = im.goal_and_gradient(w, p, goal, **kw)
    table, _ = _soft_table(w, p, 12)
    np.testing.assert_allclose(value, _goal_of(table, goal)[0], rtol=1e-10, atol=1e-12)
    fd = _fd(lambda x: im.goal_and_gradient(x, p, goal, **kw)[0].sum(), w)
    assert _rel(grad, fd) < 1e-6


@pytest.mark.parametrize("goal", GOALS, ids=str)
def test_published_soft_gradient_holds_sources_and_edges_constant(goal):
    """Central differences of the independent goal with the edges and every source-only
    probability inside a logarithm frozen at the current weights."""
    w, p = _case()
    table, edges = _soft_table(w, p, 12)
    _, frozen = _goal_of(table, goal)

    def held(x):
        return _goal_of(_soft_table(x, p, 12, edges=edges)[0], goal, frozen)[0].sum()

    _, grad = im.goal_and_gradient(
        w, p, goal, bins_r=12, binning="soft", soft_gradient="published", kernel="array"
    )
    assert _rel(grad, _fd(held, w)) < 1e-6
    _, exact = im.goal_and_gradient(w, p, goal, bins_r=12, binning="soft", kernel="array")
    assert _rel(grad, exact) > 1e-3  # the two gradients differ on this network


def test_theta_only_soft_gradient_holds_the_memberships_constant():
    """The diagnostic gradient: central differences of the goal of the soft table whose
    memberships (and edges) are frozen at the current weights, only theta moving."""
    w, p = _case()
    fw = forward(w, p, NeuronModel(bins_r=12, binning="soft"))
    a_t, a_r = fw["a_t"], fw["a_r"]

    def held(x):
        theta = 1 / (1 + np.exp(-(2.3 * p + p @ x.T)))
        plus = np.einsum("mit,mir,mi->itr", a_t, a_r, theta) / p.shape[0]
        minus = np.einsum("mit,mir,mi->itr", a_t, a_r, 1 - theta) / p.shape[0]
        return _goal_of(np.stack([minus, plus], -1), "coinformation")[0].sum()

    _, grad = im.goal_and_gradient(
        w, p, "coinformation", bins_r=12, binning="soft", soft_gradient="theta", kernel="array"
    )
    assert _rel(grad, _fd(held, w)) < 1e-6


@pytest.mark.parametrize("binning", ["fixed", "adaptive"])
def test_hard_binnings_differentiate_theta_only(binning):
    w, p = _case()
    kw = {"bins_r": 12, "binning": binning, "kernel": "array"}
    _, grad = im.goal_and_gradient(w, p, "redundancy", **kw)
    fd = _fd(lambda x: im.goal_and_gradient(x, p, "redundancy", **kw)[0].sum(), w)
    assert _rel(grad, fd) < 1e-6


def test_adaptive_bins_are_right_closed_on_the_scaled_input():
    x = np.array([[-4.0], [-2.0], [0.0], [1.0], [4.0]])  # max |x| = 4
    # x / 4 = -1, -0.5, 0, 0.25, 1 on 4 bins of [-1, 1]: (-1, -0.5], (-0.5, 0], (0, 0.5], (0.5, 1]
    assert adaptive_index(x, 4)[:, 0].tolist() == [0, 0, 1, 2, 3]
    assert adaptive_index(np.zeros((3, 1)), 4)[:, 0].tolist() == [1, 1, 1]
    # the scale of R does not matter
    w, p = _case()
    a = forward(w, p, NeuronModel(bins_r=12, binning="adaptive"))["pmf"]
    b = forward(0.5 * w, p, NeuronModel(bins_r=12, binning="adaptive"))["r_index"]
    assert (forward(w, p, NeuronModel(bins_r=12, binning="adaptive"))["r_index"] == b).all()
    assert np.allclose(a.sum((1, 2, 3)), 1.0)


@pytest.mark.parametrize("binning,soft_gradient", [
    ("fixed", "exact"), ("adaptive", "exact"), ("soft", "exact"), ("soft", "published"),
    ("soft", "theta"),
])  # fmt: skip
@pytest.mark.parametrize("goal", GOALS, ids=str)
def test_fused_kernels_equal_the_array_program(binning, soft_gradient, goal):
    rng = np.random.default_rng(3)
    p = rng.choice([-1.0, 1.0], (3, 30, 20))
    w = rng.normal(0, 0.7, (3, 20, 20)) * (1 - np.eye(20))
    kw = {"binning": binning, "soft_gradient": soft_gradient, "bins_r": 16}
    for dtype, tol in ((np.float64, 1e-11), (np.float32, 2e-5)):
        va, ga = im.goal_and_gradient(w.astype(dtype), p.astype(dtype), goal, kernel="array", **kw)
        vf, gf = im.goal_and_gradient(w.astype(dtype), p.astype(dtype), goal, kernel="fused", **kw)
        assert vf.dtype == va.dtype == gf.dtype == ga.dtype == dtype
        assert _rel(vf, va) < tol and _rel(gf, ga) < tol


@pytest.mark.parametrize("soft_gradient", ["exact", "published"])
def test_fused_soft_gradient_stays_finite_when_the_recurrent_input_spreads_far(soft_gradient):
    # bins wider than about 19 input units (tau_r = 0.5): far from a sample the series of its
    # memberships overflows to inf where its membership is exactly 0; the backward pass once
    # multiplied the two (NaN), which ended long soft-binning trainings in NaN weights
    rng = np.random.default_rng(8)
    p = rng.choice([-1.0, 1.0], (2, 40, 30))
    w = rng.normal(0, 60.0, (2, 30, 30)) * (1 - np.eye(30))
    rec = p @ np.swapaxes(w, -1, -2)
    assert (rec.max(axis=(-2, -1)) - rec.min(axis=(-2, -1)) > 60 * 19).all()
    kw = {"binning": "soft", "soft_gradient": soft_gradient}
    va, ga = im.goal_and_gradient(w, p, "optimized_i", kernel="array", **kw)
    vf, gf = im.goal_and_gradient(w, p, "optimized_i", kernel="fused", **kw)
    assert np.isfinite(gf).all() and np.isfinite(vf).all()
    assert _rel(vf, va) < 1e-11 and _rel(gf, ga) < 1e-9


@pytest.mark.parametrize("binning", ["fixed", "adaptive", "soft"])
def test_training_climbs_the_goal_with_every_binning(binning):
    rng = np.random.default_rng(0)
    pats = rng.choice([-1.0, 1.0], (2, 12, 30)).astype(np.float32)
    res = im.train(pats, "redundancy", binning=binning, epochs=150, early_stop=False)
    goal = res.history["goal"]
    assert np.isfinite(goal).all() and np.isfinite(res.weights).all()
    assert (goal[-1] > goal[0] + 0.2).all()
    assert (res.history["a_cos"][-1] > 0.9).all()  # few patterns: stored


def test_binning_is_validated_and_recorded():
    with pytest.raises(ValueError, match="unknown binning 'hard'"):
        im.Training(binning="hard")
    with pytest.raises(ValueError, match="soft_gradient"):
        NeuronModel(soft_gradient="autograd")
    fixed = json.loads(CapacitySettings().to_json())
    assert fixed["binning"] == "fixed" and "soft_gradient" not in fixed
    soft = CapacitySettings(training=im.Training(binning="soft", soft_gradient="published"))
    record = soft.record()
    assert record["binning"] == "soft" and record["soft_gradient"] == "published"
    assert "binning" in (CapacitySettings().difference(record) or "")


def test_step_memory_covers_the_soft_array_program():
    import tracemalloc

    rng = np.random.default_rng(0)
    p = rng.choice([-1.0, 1.0], (2, 80, 50)).astype(np.float32)
    w = rng.normal(0, 0.3, (2, 50, 50)).astype(np.float32)
    kw = {"binning": "soft", "kernel": "array"}
    im.goal_and_gradient(w, p, "redundancy", **kw)
    tracemalloc.start()
    im.goal_and_gradient(w, p, "redundancy", **kw)
    peak = tracemalloc.get_traced_memory()[1] / 2
    tracemalloc.stop()
    estimate = im.step_memory(50, 80, binning="soft")
    assert 0.7 * estimate < peak < 1.3 * estimate
