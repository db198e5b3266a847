"""Infomorphic neurons: exact gradient, Adam, batched training, named goals, resumable runs."""

import numpy as np
import pytest

from infobook import hopfield as hf
from infobook import infomorphic as im
from infobook.pid import NAMED_GOALS, sxpid


def random_weights(n, seed, scale=2.0, batch=()):
    w = np.random.default_rng(seed).normal(0, scale, (*batch, n, n))
    return w * (1 - np.eye(n))


def total_goal(w, p, goal):
    return float(im.goal_and_gradient(w, p, goal)[0].sum())


@pytest.mark.parametrize("goal", [*sorted(NAMED_GOALS), (0.3, -0.5, 0.8, 0.1, -0.4)])
def test_gradient_against_central_differences(goal):
    n = 7
    p = hf.random_patterns(11, n, seed=1)
    w = random_weights(n, 2)
    _, grad = im.goal_and_gradient(w, p, goal)
    h = 1e-6
    fd = np.zeros_like(w)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            up, down = w.copy(), w.copy()
            up[i, j] += h
            down[i, j] -= h
            fd[i, j] = (total_goal(up, p, goal) - total_goal(down, p, goal)) / (2 * h)
    rel = np.abs(grad - fd).max() / np.abs(fd).max()
    assert rel <= 1e-6
    assert np.all(np.diag(grad) == 0)


def test_goal_matches_the_pid_of_the_hand_built_pmf():
    n, m = 6, 9
    p = hf.random_patterns(m, n, seed=3)
    w = random_weights(n, 4)
    value, _ = im.goal_and_gradient(w, p, "redundancy")
    for i in range(n):
        t = 2.3 * p[:, i]
        r = p @ w[i]
        theta = 1 / (1 + np.exp(-(t + r)))
        tb = np.clip(np.floor((t + 20) / 20), 0, 1).astype(int)
        rb = np.clip(np.floor((r + 20) * 60 / 40), 0, 59).astype(int)
        q = np.zeros((2, 60, 2))
        for mu in range(m):
            q[tb[mu], rb[mu], 1] += theta[mu] / m
            q[tb[mu], rb[mu], 0] += (1 - theta[mu]) / m
        assert value[i] == pytest.approx(float(sxpid(q).red), abs=1e-10)


def test_batched_goal_and_gradient_equal_single_networks():
    p = hf.random_patterns(10, 8, seed=5, batch=(3,))
    w = random_weights(8, 6, batch=(3,))
    v, g = im.goal_and_gradient(w, p, "optimized_ii")
    for k in range(3):
        vk, gk = im.goal_and_gradient(w[k], p[k], "optimized_ii")
        np.testing.assert_allclose(v[k], vk, atol=1e-12)
        np.testing.assert_allclose(g[k], gk, atol=1e-12)


def test_adam_matches_the_textbook_update():
    opt = im.Adam(lr=0.1)
    w = np.array([[0.0, 1.0], [2.0, 0.0]])
    g1, g2 = np.array([[0.0, 0.5], [-1.0, 0.0]]), np.array([[0.0, 0.1], [0.3, 0.0]])
    w1 = opt.step(w, g1)
    w2 = opt.step(w1, g2)
    m, v, x = 0.0, 0.0, w.copy()
    for t, g in enumerate([g1, g2], start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x = x + 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(w2, x)


def test_training_stores_patterns_well_above_hebbian_capacity():
    # N = 50 at alpha = 0.8: Hebbian networks fail, redundancy maximisation succeeds
    p = hf.random_patterns(40, 50, seed=0, batch=(2,), dtype=np.float32)
    res = im.train(p, "redundancy", epochs=400, seed=1)
    assert res.weights.dtype == np.float32
    assert np.all(res.history["a_cos"][-1] == 1.0)
    assert np.all(res.stopped_at < 400)  # early stop at a checkpoint
    assert res.history["red"][-1].min() > 0.8
    hebb = hf.measure_load("hebbian", p)
    assert np.all(hebb["a_cos"] < 0.95)


def test_training_from_an_explicit_matrix_is_deterministic_and_batched():
    p = hf.random_patterns(30, 20, seed=2, batch=(3,))
    w0 = im.initial_weights(20, 9, batch=(3,), dtype=np.float64)
    a = im.train(p, "mutual_information", epochs=40, initial=w0, dtype=np.float64, early_stop=False)
    b = im.train(
        p[1], "mutual_information", epochs=40, initial=w0[1], dtype=np.float64, early_stop=False
    )
    np.testing.assert_allclose(a.weights[1], b.weights, atol=1e-12)
    np.testing.assert_array_equal(a.steps, im.checkpoints(40))
    assert a.history["goal"].shape == (len(a.steps), 3)


def test_stored_state_maximises_coinformation():
    # Y = T = sign(R) gives red = 1 bit and syn = 0: co-information red - syn at its maximum
    p = hf.random_patterns(20, 50, seed=4, dtype=np.float64)
    w = 30.0 * hf.hebbian_weights(p) / 50  # strongly stored, far below capacity
    stored, _ = im.goal_and_gradient(w, p, "coinformation")
    start, _ = im.goal_and_gradient(im.initial_weights(50, 0, dtype=np.float64), p, "coinformation")
    assert stored.mean() > 0.7 and stored.mean() > start.mean() + 0.5


def test_bad_input():
    p = hf.random_patterns(5, 10, seed=0)
    with pytest.raises(ValueError, match="unknown goal"):
        im.train(p, "redundant")
    with pytest.raises(ValueError, match="do not fit"):
        im.train(p, initial=np.zeros((9, 9)))
    with pytest.raises(ValueError, match="do not fit"):
        im.goal_and_gradient(np.zeros((3, 3)), p)


def test_batched_training_with_early_stops_equals_single_networks():
    # frozen networks are skipped in the gradient; the others must not notice
    p = hf.random_patterns(36, 40, seed=11, batch=(3,))
    w0 = im.initial_weights(40, 12, batch=(3,), dtype=np.float64)
    batched = im.train(p, "redundancy", epochs=200, initial=w0, dtype=np.float64)
    for k in range(3):
        single = im.train(p[k], "redundancy", epochs=200, initial=w0[k], dtype=np.float64)
        assert batched.stopped_at[k] == single.stopped_at
        np.testing.assert_array_equal(batched.weights[k], single.weights)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_loop_equals_the_step_by_step_loop_of_the_public_functions(dtype):
    # train()'s compiled loop (buffers made once, Adam in place) gives the very numbers of
    # goal_and_gradient followed by Adam.step, step after step
    p = hf.random_patterns(50, 40, seed=21, batch=(3,))
    epochs = 60
    res = im.train(p, "optimized_i", epochs=epochs, early_stop=False, dtype=dtype, seed=3)
    w = im.initial_weights(40, 3, batch=(3,), dtype=dtype)
    opt = im.Adam()
    for _ in range(epochs):
        _, g = im.goal_and_gradient(w, p.astype(dtype), "optimized_i", kernel="fused")
        w = opt.step(w, g)
    assert res.weights.dtype == dtype
    np.testing.assert_array_equal(res.weights, w)


def test_chunked_training_equals_one_batch():
    # a memory budget below the batch's need splits it into chunks of networks trained one
    # after the other; chunks that stop early are padded with their frozen last values
    p = hf.random_patterns(30, 40, seed=13, batch=(2, 3))
    w0 = im.initial_weights(40, 14, batch=(2, 3), dtype=np.float64)
    whole = im.train(p, "redundancy", epochs=300, initial=w0, dtype=np.float64, max_memory=None)
    budget = 2 * im.step_memory(40, 30, dtype=np.float64)  # two networks per chunk
    chunked = im.train(p, "redundancy", epochs=300, initial=w0, dtype=np.float64, max_memory=budget)
    np.testing.assert_array_equal(chunked.weights, whole.weights)
    np.testing.assert_array_equal(chunked.stopped_at, whole.stopped_at)
    np.testing.assert_array_equal(chunked.steps, whole.steps)
    for key, h in whole.history.items():
        np.testing.assert_array_equal(chunked.history[key], h, err_msg=key)
    last = whole.stopped_at.reshape(-1, 2).max(axis=1)  # last stop of each two-network chunk
    assert last.min() < last.max(), "want a chunk that stops early, so its history is padded"


@pytest.mark.parametrize(
    ("n", "m", "dtype"), [(100, 160, np.float32), (60, 30, np.float64), (400, 640, np.float32)]
)
def test_step_memory_estimate_bounds_the_measured_peak(n, m, dtype):
    import tracemalloc

    p = hf.random_patterns(m, n, seed=15, batch=(4,), dtype=dtype)
    w = im.initial_weights(n, 16, batch=(4,), dtype=dtype) * 1000
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        im.goal_and_gradient(w, p, "redundancy", kernel="array")
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    estimate = 4 * im.step_memory(n, m, dtype=dtype)
    assert 0.5 * estimate <= peak <= 1.2 * estimate, (peak, estimate)


@pytest.mark.parametrize(
    ("patterns", "kwargs", "error", "match"),
    [
        (np.ones((0, 10)), {}, ValueError, "at least one pattern"),
        (np.full((4, 10), np.nan), {}, ValueError, r"\+1 and -1"),
        (np.ones(10), {}, ValueError, "shape"),
        (np.ones((4, 10)) * 2.5, {}, ValueError, r"\+1 and -1"),
        ((np.arange(40).reshape(4, 10) % 2).astype(float), {}, ValueError, "2 \\* x - 1"),
        (np.ones((4, 10)), {"epochs": 0}, ValueError, "epochs"),
        (np.ones((4, 10)), {"lr": -0.05}, ValueError, "learning rate"),
        (np.ones((4, 10)), {"lr": float("nan")}, ValueError, "learning rate"),
        (np.ones((4, 10)), {"dtype": int}, ValueError, "dtype"),
        (np.ones((4, 10)), {"kernel": "gpu"}, ValueError, "kernel"),
        (np.ones((4, 10)), {"bins_r": 0}, ValueError, "bins_r"),
        (np.ones((4, 10)), {"w_teach": float("inf")}, ValueError, "teaching weight"),
        (np.ones((4, 10)), {"epoch": 5}, TypeError, "options of train"),
        ("patterns", {}, TypeError, "numbers"),
    ],
)
def test_train_refuses_bad_input_at_the_entry(patterns, kwargs, error, match):
    with pytest.raises(error, match=match):
        im.train(patterns, **kwargs)


def test_integer_patterns_train_like_float_ones():
    p = hf.random_patterns(6, 12, seed=3)
    a = im.train(p.astype(np.int64), epochs=20)
    b = im.train(p, epochs=20)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert np.abs(a.weights).max() > 0


def test_goal_and_gradient_refuses_bad_input():
    p = hf.random_patterns(5, 10, seed=0)
    w = np.zeros((10, 10))
    with pytest.raises(ValueError, match=r"\+1 and -1"):
        im.goal_and_gradient(w, p * 3)
    with pytest.raises(ValueError, match="finite"):
        im.goal_and_gradient(np.full((10, 10), np.nan), p)
    with pytest.raises(ValueError, match="kernel"):
        im.goal_and_gradient(w, p, kernel="gpu")
    with pytest.raises(ValueError, match="bins_r"):
        im.goal_and_gradient(w, p, bins_r=0)


# ----------------------------------------------------------------- training on corrupted cues


def test_gradient_with_cues_against_central_differences():
    rng = np.random.default_rng(5)
    p = hf.random_patterns(12, 8, seed=2)
    cues = hf.corrupt(p, 2, seed=3)
    w = rng.normal(0, 2, (8, 8)) * (1 - np.eye(8))
    for kernel in ("array", "fused"):
        _, grad = im.goal_and_gradient(w, p, "redundancy", cues=cues, kernel=kernel)
        fd = np.zeros_like(w)
        for i, j in zip(*np.nonzero(1 - np.eye(8)), strict=True):
            up, down = w.copy(), w.copy()
            up[i, j] += 1e-6
            down[i, j] -= 1e-6
            g_up = im.goal_and_gradient(up, p, cues=cues, kernel=kernel)[0].sum()
            g_down = im.goal_and_gradient(down, p, cues=cues, kernel=kernel)[0].sum()
            fd[i, j] = (g_up - g_down) / 2e-6
        assert np.abs(grad - fd).max() <= 1e-6 * np.abs(fd).max()
    a = im.goal_and_gradient(w, p, "redundancy", cues=cues, kernel="array")
    b = im.goal_and_gradient(w, p, "redundancy", cues=cues, kernel="fused")
    np.testing.assert_allclose(a[0], b[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-10, atol=1e-12)
    same = im.goal_and_gradient(w, p, "redundancy", cues=p)
    np.testing.assert_array_equal(same[1], im.goal_and_gradient(w, p, "redundancy")[1])


def test_cue_noise_training_is_seeded_and_independent_of_chunking():
    p = hf.random_patterns(20, 30, seed=4, batch=(3,), dtype=np.float64)
    kw = dict(epochs=60, cue_flips=0.1, noise_seed=7, dtype=np.float64)
    a = im.train(p, **kw)
    b = im.train(p, **kw)
    np.testing.assert_array_equal(a.weights, b.weights)
    per = im.step_memory(30, 20, dtype=np.float64)
    chunked = im.train(p, **kw, max_memory=per)  # one network per chunk
    np.testing.assert_allclose(chunked.weights, a.weights, rtol=1e-12, atol=1e-15)
    other = im.train(p, **(kw | {"noise_seed": 8}))
    assert not np.allclose(other.weights, a.weights)
    clean = im.train(p, epochs=60, dtype=np.float64)
    assert not np.allclose(clean.weights, a.weights)
    assert np.all(np.diagonal(a.weights, axis1=-2, axis2=-1) == 0)  # no self-coupling


def test_a_networks_cue_noise_follows_its_key_not_its_place_in_the_batch():
    # the sweeps' bisection trains subsets of the seeds: network 11 alone gets the noise it
    # gets in the batch of 10, 11, 12
    p = hf.random_patterns(20, 30, seed=4, batch=(3,), dtype=np.float64)
    init = im.initial_weights(30, 2, batch=(3,), dtype=np.float64)
    kw = dict(epochs=40, cue_flips=0.1, noise_seed=7, dtype=np.float64, early_stop=False)
    batch = im.train(p, initial=init, ids=[10, 11, 12], **kw)
    alone = im.train(p[1:2], initial=init[1:2], ids=[11], **kw)
    np.testing.assert_allclose(alone.weights[0], batch.weights[1], rtol=1e-12, atol=1e-15)
    moved = im.train(p[1:2], initial=init[1:2], ids=[10], **kw)
    assert not np.allclose(moved.weights[0], batch.weights[1])


def test_training_on_corrupted_cues_repairs_more_of_a_corrupted_cue():
    """At alpha = 0.5, N = 100, networks trained on 10 % corrupted cues repair cues with 10 % of
    their bits flipped better than networks trained on clean patterns (teaching input off at
    recall, zero diagonal: nothing but the recurrent weights recalls)."""
    p = hf.pattern_bank(range(3), 50, 100, dtype=np.float32)
    cues = hf.corrupt(p, 10, seed=123)
    scores = {}
    for flips in (0.0, 0.1):
        rule = im.make_rule("redundancy", epochs=1500, cue_flips=flips, early_stop=False)
        w, b = rule(p)
        assert np.all(b == 0) and np.all(np.diagonal(w, axis1=-2, axis2=-1) == 0)
        scores[flips] = float(hf.accuracy(hf.recall(w, cues, b).states, p)[0].mean())
    assert scores[0.1] > scores[0.0] + 0.03, scores


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"cue_flips": 1.0}, "cue_flips"), ({"cue_flips": -0.1}, "cue_flips"),
     ({"noise_seed": -1}, "noise_seed")],
)  # fmt: skip
def test_bad_cue_noise_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        im.Training(**kwargs)
