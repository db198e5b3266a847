"""The 3-body neuron (infobook.dense): its input against an explicit triple sum, its exact
gradient against central differences, training and recall, the counting ceiling, the capacity
search and the resumable run."""

import itertools
from math import comb

import numpy as np
import pytest

from infobook import dense
from infobook.hopfield import bisect_edge, random_patterns
from infobook.infomorphic import Training
from infobook.rules import cover_separable_probability


def _explicit_field(w, b, s):
    """R_i = sum over pairs j < k, both != i, of W[i, pair(j, k)] s_j s_k + b_i."""
    n = s.shape[-1]
    index = {p: q for q, p in enumerate(itertools.combinations(range(n), 2))}
    out = np.zeros(s.shape)
    for mu, i in itertools.product(range(s.shape[0]), range(n)):
        total = b[i]
        for j, k in itertools.combinations([x for x in range(n) if x != i], 2):
            total += w[i, index[(j, k)]] * s[mu, j] * s[mu, k]
        out[mu, i] = total
    return out


def test_field_is_the_triple_sum_without_the_neuron_itself():
    rng = np.random.default_rng(0)
    n = 6
    w = rng.standard_normal((n, comb(n, 2)))
    b = rng.standard_normal(n)
    s = random_patterns(5, n, 1, dtype=np.float64)
    np.testing.assert_allclose(dense.field(w, b, s), _explicit_field(w, b, s), atol=1e-12)
    # products of two states cannot see a global flip
    np.testing.assert_allclose(dense.field(w, b, -s), dense.field(w, b, s), atol=1e-12)
    assert dense.n_weights(n) == n * comb(n - 1, 2) + n


def test_gradient_equals_central_differences():
    n, m = 7, 12
    pats = random_patterns(m, n, 3, dtype=np.float64)
    rng = np.random.default_rng(4)
    w = 0.3 * rng.standard_normal((n, comb(n, 2)))
    b = 0.1 * rng.standard_normal(n)
    training = Training(dtype="float64")
    goal = (0.48, -0.16, 0.25, 0.04, -0.63)
    _, gw, gb, fw = dense.goal_and_gradient(w, b, pats, goal, training)
    cells = fw["r_index"]

    def total(w_, b_):
        v, _, _, f = dense.goal_and_gradient(w_, b_, pats, goal, training)
        assert np.array_equal(f["r_index"], cells)  # a step too small to move a bin
        return float(v.sum())

    h = 1e-6
    mask = dense.pair_mask(n)
    checked = [(0, 20), (2, 5), (6, 0), (3, 14)]
    assert all(mask[i, p] == 1 for i, p in checked)  # pairs not holding the neuron
    for i, p in checked:
        e = np.zeros_like(w)
        e[i, p] = h
        fd = (total(w + e, b) - total(w - e, b)) / (2 * h)
        assert gw[i, p] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    for i in (1, 4):
        e = np.zeros_like(b)
        e[i] = h
        fd = (total(w, b + e) - total(w, b - e)) / (2 * h)
        assert gb[i] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert np.all(gw[mask == 0] == 0)  # pairs holding the neuron get no gradient


def test_infomorphic_training_stores_far_beyond_two_body_capacity():
    n, m = 12, 30  # M / N = 2.5, beyond any pairwise network's 2
    res = dense.measure_load("infomorphic", n, m, 0, training=Training(epochs=2000))
    assert res["a_cos"][0] == 1.0 and res["stopped_at"] < 2000
    assert res["profile"]["red"].shape == ()  # the neuron mean of the atoms


def test_hebbian_memory_is_the_cubic_sum_over_the_other_neurons():
    n = 7
    pats = random_patterns(9, n, 2, dtype=np.float64)
    w, b = dense.hebbian(pats)
    s = random_patterns(4, n, 5, dtype=np.float64)
    full = np.zeros((4, n))
    for i in range(n):
        others = [j for j in range(n) if j != i]
        a = s[:, others] @ pats[:, others].T  # (states, patterns): overlap without neuron i
        full[:, i] = (a**2) @ pats[:, i] / n**2
    np.testing.assert_allclose(dense.field(w, b, s), full, atol=1e-12)
    w0, b0 = dense.hebbian(pats, bias=False)
    np.testing.assert_array_equal(w0, w)
    assert np.all(b0 == 0) and np.all(b == (n - 1) * pats.sum(0) / n**2)


def test_hebbian_memory_recalls_a_light_load_and_fails_a_heavy_one():
    light = dense.measure_load("hebbian", 30, 20, 0, flips=(0.0, 0.1))
    heavy = dense.measure_load("hebbian", 30, 400, 0)
    assert np.all(light["a_cos"] >= 0.99) and heavy["a_cos"][0] < 0.9


def test_counting_ceiling_is_covers_bound_on_the_pair_features():
    for n in (8, 20):
        d = comb(n - 1, 2) + 1
        m = dense.counting_ceiling(n)
        assert cover_separable_probability(m, d) ** n >= 0.5
        assert cover_separable_probability(m + 1, d) ** n < 0.5
        assert 1.5 * d < m < 2 * d


def test_bisect_edge_finds_a_threshold_to_the_tolerance():
    calls = []

    def stored(m):
        calls.append(m)
        return m <= 137

    assert bisect_edge(stored, 1, 1000) == 137
    edge = bisect_edge(stored, 64, 256, rel_tol=0.05, checked=True)
    assert 137 * 0.95 <= edge <= 137
    with pytest.raises(ValueError, match="lower end"):
        bisect_edge(stored, 200, 300)


def test_capacity_search_and_resumable_run(tmp_path):
    from infobook.experiments.dense import load_dense, run_dense_capacity
    from infobook.experiments.settings import DenseSettings

    m, trainings = dense.capacity("hebbian", 12, 0)
    assert m >= 1 and trainings >= 2
    res = dense.measure_load("hebbian", 12, m, 0)
    assert res["a_cos"][0] >= 0.95
    out = tmp_path / "dense.nc"
    settings = DenseSettings(seeds=(0, 1))
    ds = run_dense_capacity(out, ["hebbian"], [10, 12], [0.0], settings, progress=False)
    assert (
        int(ds.done.sum()) == 4
        and float(ds.capacity.sel(rule="hebbian", n_neurons=12, flips=0.0, seed=0)) == m
    )
    again = run_dense_capacity(out, ["hebbian"], [10, 12], [0.0], settings, progress=False)
    assert float(again.seconds.sum()) == float(ds.seconds.sum())  # nothing recomputed
    loaded = load_dense(out)
    assert int(loaded.ceiling.sel(n_neurons=12)) == dense.counting_ceiling(12)


def test_bad_input_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="N >= 3"):
        dense.pairs(2)
    with pytest.raises(ValueError, match="unknown 3-body rule"):
        dense.measure_load("storkey", 10, 5, 0)
    with pytest.raises(ValueError, match="do not fit"):
        dense.recall(np.zeros((5, 3)), np.zeros(5), np.ones((2, 5)))
    with pytest.raises(ValueError, match="Adam"):
        dense.train(random_patterns(4, 6, 0), training=Training(optimizer="sgd"))
    with pytest.raises(ValueError, match="one network at a time"):
        dense.train(np.stack([random_patterns(4, 6, 0)] * 2))
    from infobook.experiments.settings import DenseSettings

    for bad in (Training(cue_flips=0.1), Training(recall="stochastic"), Training(learn_teach=True)):
        with pytest.raises(ValueError, match="defaults"):
            DenseSettings(training=bad)
