"""The fused CPU kernel (infobook.fused) against the array program it replaces."""

import numpy as np
import pytest

from infobook import fused
from infobook import hopfield as hf
from infobook import infomorphic as im
from infobook.neuron import NeuronModel
from infobook.pid import NAMED_GOALS, Goal

GOALS = [*NAMED_GOALS, [0.3, -0.7, 0.9, 0.2, -0.4], [-1.0, 1.0, -0.5, 0.8, 0.6]]


def _case(shape, n, m, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    p = rng.choice([-1.0, 1.0], (*shape, m, n)).astype(dtype)
    w = rng.normal(0, scale, (*shape, n, n)) * (1 - np.eye(n))
    return w.astype(dtype), p


def _both(w, p, goal, **kw):
    a = im.goal_and_gradient(w, p, goal, kernel="array", **kw)
    f = im.goal_and_gradient(w, p, goal, kernel="fused", **kw)
    return a, f


def _rel(x, y):
    return float(np.abs(x - y).max() / max(np.abs(x).max(), 1e-300))


@pytest.mark.parametrize("goal", GOALS, ids=str)
@pytest.mark.parametrize("shape", [(), (3,), (2, 2)], ids=str)
def test_fused_equals_the_array_program_in_float64(goal, shape):
    w, p = _case(shape, 30, 45, 0.6, np.float64, 1)
    (va, ga), (vf, gf) = _both(w, p, goal)
    assert vf.shape == va.shape and gf.shape == ga.shape
    assert vf.dtype == va.dtype and gf.dtype == ga.dtype
    assert _rel(va, vf) < 1e-12
    assert _rel(ga, gf) < 1e-12


@pytest.mark.parametrize("goal", GOALS, ids=str)
def test_fused_equals_the_array_program_in_float32(goal):
    w, p = _case((4,), 100, 160, 0.3, np.float32, 2)
    (va, ga), (vf, gf) = _both(w, p, goal)
    assert vf.dtype == np.float32 and gf.dtype == np.float32
    assert _rel(va, vf) < 1e-5
    assert _rel(ga, gf) < 1e-5


def test_saturated_outputs_and_clamped_inputs_are_handled_alike():
    # large weights: recurrent inputs far outside [-20, 20] (clamped into the edge bins) and
    # outputs that are exactly 0 or 1, so some cells have p = 0 at one output (masked gradient)
    w, p = _case((2,), 40, 60, 8.0, np.float64, 3)
    fw = im.forward(w, p)
    assert np.any(np.abs(fw["theta"] - 0.5) == 0.5)  # exact saturation occurs
    one_sided = (fw["pmf"].sum(-1) > 0) & (fw["pmf"].min(-1) == 0)
    assert one_sided.any()
    for goal in ("redundancy", "optimized_ii", [0.5, 0.5, -1.0, 1.0, 1.0]):
        (va, ga), (vf, gf) = _both(w, p, goal)
        assert _rel(va, vf) < 1e-12
        assert _rel(ga, gf) < 1e-12


def test_other_binnings_and_shared_weights():
    w, p = _case((), 25, 40, 0.5, np.float64, 4)
    pats = np.stack([p, -p, p[::-1]])  # one weight matrix for a batch of pattern sets
    kw = dict(w_teach=1.7, bins_t=3, bins_r=17, value_range=(-6.0, 9.0))
    (va, ga), (vf, gf) = _both(w, pats, "optimized_i", **kw)
    assert vf.shape == (3, 25) and gf.shape == (3, 25, 25)
    assert _rel(va, vf) < 1e-12 and _rel(ga, gf) < 1e-12


def test_training_with_either_kernel_gives_the_same_networks():
    p = hf.random_patterns(30, 40, 5, batch=(3,), dtype=np.float64)
    a = im.train(p, "redundancy", epochs=60, dtype=np.float64, kernel="array")
    f = im.train(p, "redundancy", epochs=60, dtype=np.float64, kernel="fused")
    np.testing.assert_allclose(f.weights, a.weights, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(f.stopped_at, a.stopped_at)


def test_nan_weights_give_nan_not_a_crash():
    """Inside training a diverging neuron must not crash the kernel (the public entry point
    refuses non-finite weights before they get here)."""
    from infobook.neuron import NeuronModel
    from infobook.pid import Goal

    w, p = _case((), 20, 30, 0.5, np.float64, 6)
    w[3, 5] = np.nan
    value, _ = fused.goal_and_gradient(w, p, Goal.parse("redundancy"), NeuronModel())
    assert np.isnan(value[3]) and np.isfinite(np.delete(value, 3)).all()
    with pytest.raises(ValueError, match="finite"):
        im.goal_and_gradient(w, p, "redundancy", kernel="fused")


def test_unknown_kernel_is_refused():
    w, p = _case((), 10, 12, 0.5, np.float64, 7)
    with pytest.raises(ValueError, match="unknown kernel 'numba'.*auto, array, fused"):
        im.goal_and_gradient(w, p, "redundancy", kernel="numba")


def test_the_step_of_some_networks_equals_their_rows_of_the_whole_stack():
    # train() computes the gradients of the networks still active only
    w, p = _case((5,), 30, 40, 0.4, np.float32, 9)
    cues = hf.corrupt(p, 3, seed=4).astype(np.float32)
    goal = Goal.parse("optimized_ii")
    for c in (None, cues):
        step = fused.Step(p, goal, NeuronModel())
        whole_v, whole_g = (a.copy() for a in step(w, cues=c))
        ids = np.array([1, 3, 4])
        v, g = step(w, ids, c)
        np.testing.assert_array_equal(v[ids], whole_v[ids])
        np.testing.assert_array_equal(g[ids], whole_g[ids])
        # and the whole stack is the array program's, to float32 rounding
        ref_v, ref_g = im.goal_and_gradient(w, p, goal, kernel="array", cues=c)
        assert _rel(whole_g, ref_g) < 1e-5
        assert _rel(whole_v, ref_v) < 1e-5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_adam_and_sgd_give_the_numbers_of_the_array_step(dtype):
    rng = np.random.default_rng(5)
    active = np.array([True, True, False, True])
    for make in (lambda: im.Adam(0.05), lambda: im.SGD(0.3)):
        ref_opt, opt = make(), make()
        w_ref = rng.normal(size=(4, 12, 12)).astype(dtype)
        w = w_ref.copy()
        for t in range(40):
            g = rng.normal(size=w.shape).astype(dtype)
            if t == 15:
                active[1] = False
            w_ref = ref_opt.step(w_ref, g, active)
            assert opt.step(w, g, active, inplace=True) is w
        assert w.dtype == dtype
        np.testing.assert_array_equal(w, w_ref)
        np.testing.assert_array_equal(w[2], w_ref[2])
