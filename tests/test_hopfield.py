"""Hopfield machinery: patterns, cues, Hebbian weights, recall, metrics, scans."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infobook import hopfield as hf


def test_patterns_are_seeded_nested_and_biased():
    a = hf.random_patterns(30, 50, seed=4)
    assert set(np.unique(a)) == {-1.0, 1.0}
    np.testing.assert_array_equal(a, hf.random_patterns(30, 50, seed=4))
    np.testing.assert_array_equal(a[:10], hf.random_patterns(10, 50, seed=4))
    assert not np.array_equal(a, hf.random_patterns(30, 50, seed=5))
    b = hf.random_patterns(400, 100, seed=0, bias=0.8)
    assert abs((b > 0).mean() - 0.8) < 0.01
    bank = hf.pattern_bank([3, 4], 20, 50)
    np.testing.assert_array_equal(bank[1], hf.random_patterns(20, 50, seed=4))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"n_patterns": 0, "n_neurons": 10}, "n_patterns"),
        ({"n_patterns": 3, "n_neurons": 2.5}, "n_neurons"),
        ({"n_patterns": 3, "n_neurons": 10, "bias": 1.5}, "bias"),
    ],
)
def test_bad_sizes_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hf.random_patterns(**kwargs)


def test_corrupt_flips_exactly_k_bits():
    p = hf.random_patterns(50, 80, seed=1)
    for k in (0, 1, 13, 80):
        c = hf.corrupt(p, k, seed=2)
        assert np.all((c != p).sum(axis=-1) == k)
    with pytest.raises(ValueError, match="n_flips"):
        hf.corrupt(p, 81)


def test_stored_patterns_are_fixed_points_at_small_load():
    p = hf.random_patterns(5, 200, seed=3)
    res = hf.recall(hf.hebbian_weights(p), p)
    np.testing.assert_array_equal(res.states, p)
    assert np.all(res.status == 1) and np.all(res.steps == 0)


def test_recall_repairs_a_few_flipped_bits_at_low_load():
    p = hf.random_patterns(8, 200, seed=5)
    w = hf.hebbian_weights(p)
    cues = hf.corrupt(p, 20, seed=6)
    res = hf.recall(w, cues)
    np.testing.assert_array_equal(res.states, p)
    a_cos, a_theta = hf.accuracy(res.states, p)
    assert a_cos == 1.0 and a_theta == 1.0


def test_recall_is_batched_over_networks_and_cues():
    p = hf.random_patterns(20, 60, seed=7, batch=(4,))
    w = hf.hebbian_weights(p)
    cues = hf.corrupt(p, 10, seed=8)
    batched = hf.recall(w, cues)
    for k in range(4):
        single = hf.recall(w[k], cues[k])
        np.testing.assert_array_equal(batched.states[k], single.states)
        np.testing.assert_array_equal(batched.steps[k], single.steps)


def test_two_cycle_is_detected():
    # two neurons coupled negatively with synchronous updates oscillate
    w = np.array([[0.0, -1.0], [-1.0, 0.0]])
    res = hf.recall(w, np.array([[1.0, 1.0]]))
    assert res.status[0] == 2
    assert res.steps[0] <= 2


def test_zero_field_convention_is_explicit():
    w = np.zeros((3, 3))
    cue = np.array([[1.0, -1.0, 1.0]])
    assert np.all(hf.recall(w, cue, zero_field=-1).states == -1)
    assert np.all(hf.recall(w, cue, zero_field=1).states == 1)
    np.testing.assert_array_equal(hf.recall(w, cue, zero_field=0).states, cue)
    with pytest.raises(ValueError, match="zero_field"):
        hf.recall(w, cue, zero_field=2)
    with pytest.raises(ValueError, match="do not fit"):
        hf.recall(np.zeros((4, 4)), cue)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30))
def test_energy_never_increases_under_asynchronous_updates(seed, m):
    p = hf.random_patterns(m, 40, seed=seed)
    w = hf.hebbian_weights(p)
    cues = hf.random_patterns(6, 40, seed=seed + 1)
    _, energies = hf.recall_async(w, cues, seed=seed, record_energy=True, max_sweeps=20)
    assert np.all(np.diff(energies, axis=0) <= 1e-9)


def test_asynchronous_recall_ends_at_fixed_points():
    p = hf.random_patterns(6, 100, seed=9)
    w = hf.hebbian_weights(p)
    states, _ = hf.recall_async(w, hf.corrupt(p, 15, seed=1), seed=2)
    assert np.all(hf.recall(w, states, zero_field=0).steps == 0)


def test_capacity_scan_is_tidy_and_hebbian_capacity_is_classical():
    ds = hf.capacity_scan("hebbian", 100, None, 20)
    assert ds.a_cos.dims == ("rule", "alpha", "seed")
    assert ds.sizes == {"rule": 1, "alpha": 41, "seed": 20}
    ac = hf.capacity_from_scan(ds).sel(rule="hebbian")
    assert 0.12 <= float(ac.mean()) <= 0.17
    s = hf.summarise(ds)
    assert set(s.data_vars) == {"mean", "median", "q05", "q95"}
    assert np.all(s["q05"] <= s["median"]) and np.all(s["median"] <= s["q95"])


def test_capacity_bisect_lies_between_grid_points():
    ds = hf.capacity_scan("hebbian", 100, [0.11, 0.16, 0.21, 0.26], [3])
    m = hf.capacity_bisect("hebbian", 100, 3, 5, 40)
    a_cos = ds.a_cos.sel(rule="hebbian", seed=3)
    assert all(bool(a_cos.sel(alpha=a) >= 0.95) for a in ds.alpha.values if a * 100 <= 5)
    assert 10 <= m < 40
    with pytest.raises(ValueError, match="upper end"):
        hf.capacity_bisect("hebbian", 100, 3, 5, 6)


def test_stability_falls_with_load():
    ds = hf.stability_scan("hebbian", 100, [0.03, 0.08, 0.13, 0.3], 4)
    f = ds.f_max.mean("seed").values
    assert f[0] >= f[1] >= f[2] >= f[3]
    assert f[0] >= 0.3 and f[3] == 0.0


def test_f_max_look_ahead_tolerates_isolated_failures():
    flips = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    assert hf._f_max(np.array([1, 1, 0.9, 1, 0.5]), flips, 0.95, 2) == 0.3
    assert hf._f_max(np.array([1, 1, 0.9, 1, 0.5]), flips, 0.95, 1) == 0.1
    assert hf._f_max(np.array([0.5, 1, 1, 1, 1]), flips, 0.95, 1) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alphas": []}, "empty"),
        ({"alphas": [0.1, -0.2]}, "> 0"),
        ({"alphas": [0.1, float("nan")]}, "finite"),
        ({"alphas": ["a"]}, "numbers"),
        ({"seeds": 0}, "seeds must be >= 1"),
        ({"seeds": []}, "no seeds"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"n_neurons": 0}, "n_neurons"),
    ],
)
def test_scans_refuse_bad_grids_and_seeds(kwargs, match):
    args = {"n_neurons": 20, "alphas": [0.1], "seeds": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        hf.capacity_scan("hebbian", **args)


def test_long_runs_need_ascending_loads():
    with pytest.raises(ValueError, match="ascending"):
        hf.parse_alphas([0.5, 0.1])
    np.testing.assert_array_equal(hf.parse_alphas([0.5, 0.1], ascending=False), [0.5, 0.1])
    np.testing.assert_array_equal(hf.parse_alphas(None), hf.published_alphas())


def test_markov_patterns_have_the_published_correlations():
    p = 0.8
    x = hf.markov_patterns(4000, 12, p, seed=3)
    assert set(np.unique(x)) == {-1.0, 1.0}
    assert abs(x.mean()) < 0.02  # unbiased
    for lag in (1, 2, 5):
        corr = float((x[:, :-lag] * x[:, lag:]).mean())
        assert corr == pytest.approx((2 * p - 1) ** lag, abs=0.03)
    np.testing.assert_array_equal(hf.markov_patterns(10, 12, p, seed=3), x[:10])  # nested
    bank = hf.pattern_bank([3], 4000, 12, markov=p)
    np.testing.assert_array_equal(bank[0], x)
    independent = hf.markov_patterns(4000, 12, 0.5, seed=1)
    assert abs(float((independent[:, :-1] * independent[:, 1:]).mean())) < 0.03
    with pytest.raises(ValueError, match="P\\(s_i"):
        hf.markov_patterns(5, 5, 1.5)
    with pytest.raises(ValueError, match="not both"):
        hf.pattern_bank([0], 5, 5, bias=0.7, markov=0.6)


@pytest.mark.parametrize("zero_field", [-1, 1, 0])
def test_recall_of_the_moving_cues_only_equals_the_whole_batch_update(zero_field):
    # NumPy recall updates only the cues still moving, network by network; the batched
    # update of every cue (iterate, the path of CuPy and stochastic recall) is the reference
    rng = np.random.default_rng(3)
    shapes = [((), ()), ((3,), ()), ((3,), (3,)), ((2, 2), (1,)), ((), (4,)), ((2,), (2,))]
    seen = set()
    for k, (w_batch, c_batch) in enumerate(shapes):
        n, m = 25, 18
        w = rng.normal(size=(*w_batch, n, n)) * (1 - np.eye(n))
        if k == 1:
            w = np.round(w)  # integer weights: exact zero fields occur
        if k == 5:
            w = w + np.swapaxes(w, -1, -2)  # symmetric: two-cycles occur
        cues = rng.choice([-1.0, 1.0], (*c_batch, m, n))
        bias = rng.normal(size=(*w_batch, n)) if k == 2 else None
        max_steps = 6 if k == 3 else None
        got = hf.recall(w, cues, bias, zero_field=zero_field, max_steps=max_steps)
        wt = np.swapaxes(w, -1, -2)

        def field(s, wt=wt, bias=bias):
            return s @ wt if bias is None else s @ wt + bias[..., None, :]

        ref = hf.iterate(field, cues, max_steps, zero_field)
        for a, b in [(got.states, ref.states), (got.steps, ref.steps), (got.status, ref.status)]:
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, b)
        seen |= {int(v) for v in got.status.ravel()}
    assert seen == {0, 1, 2}  # fixed points, two-cycles and cues stopped at max_steps
    # a batch of biases alone makes a batch of networks; integer weights stay integer states
    w = np.round(rng.normal(size=(25, 25)) * 3).astype(int) * (1 - np.eye(25, dtype=int))
    cues = rng.choice([-1, 1], (18, 25))
    bias = rng.normal(size=(3, 25))
    got = hf.recall(w, cues, bias, zero_field=zero_field)
    ref = hf.iterate(lambda s: s @ w.T + bias[..., None, :], cues, None, zero_field)
    assert got.states.shape == ref.states.shape == (3, 18, 25)
    assert got.states.dtype == ref.states.dtype
    np.testing.assert_array_equal(got.states, ref.states)
    np.testing.assert_array_equal(got.steps, ref.steps)


def test_grid_floor_puts_a_pattern_count_on_the_load_grid():
    grid = hf.published_alphas()  # 0.01 ... 2.01, step 0.05
    # at N = 100 the loads 1.61 and 1.66 hold 161 and 166 patterns
    floors = hf.grid_floor([161, 165, 166, 0, 10_000, np.nan, np.inf], grid, 100)
    np.testing.assert_allclose(floors[:5], [1.61, 1.61, 1.66, 0.0, 2.01])
    assert np.isnan(floors[5:]).all()
    # a count given as alpha_c * N is read as the integer it stands for
    assert hf.grid_floor([1.66 * 100 - 1e-9], grid, 100)[0] == 1.66
    # at small N several loads hold the same number of patterns: the largest of them
    small = hf.grid_floor([5, 6], grid, 10)  # 0.46 and 0.51 both hold 5 at N = 10
    np.testing.assert_allclose(small, [0.51, 0.61])
    # the floor is the largest load whose patterns fit, whatever the grid's order
    for m in range(0, 210):
        f = hf.grid_floor([m], grid[::-1], 100)[0]
        fits = grid[hf.loads_to_patterns(grid, 100) <= m]
        assert f == (fits.max() if fits.size else 0.0)
