"""Infomorphic layers on the digits task (infobook.layer): the joint table, the hidden and
readout gradients against central differences with the cells held, the bivariate path through
the two-source decomposition, the networks and their reproducibility, and bad input."""

import numpy as np
import pytest

from infobook import layer as L
from infobook.pid import pid3_goal_gradient, pid_goal_gradient, sxpid, sxpid3


@pytest.fixture(scope="module")
def task():
    full = L.load_digits_task()
    keep = np.random.default_rng(0).permutation(len(full.y_train))[:300]
    return L.Digits(full.x_train[keep], full.y_train[keep], full.x_test[:100], full.y_test[:100])


def test_digits_split_is_fixed_and_standardised():
    a, b = L.load_digits_task(), L.load_digits_task()
    assert a.x_train.shape == (1257, 64) and a.x_test.shape == (540, 64)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    np.testing.assert_allclose(a.x_train.mean(0), 0, atol=1e-12)
    assert set(np.unique(a.y_train)) == set(range(10))
    va = L.validation_split(a)
    assert len(va.y_train) + len(va.y_test) == len(a.y_train)


def test_joint_table_is_a_pmf_with_the_output_probabilities():
    rng = np.random.default_rng(1)
    f, c, ell = rng.standard_normal((3, 200, 4))
    theta = rng.random((200, 4))
    pmf, cell = L.joint_table(f, c, ell, theta, (5, 3, 2))
    assert pmf.shape == (4, 5, 3, 2, 2)
    np.testing.assert_allclose(pmf.sum(axis=(1, 2, 3, 4)), 1.0)
    np.testing.assert_allclose(pmf[..., 1].sum(axis=(1, 2, 3)), theta.mean(0))
    counts = np.stack([np.bincount(cell[:, i], minlength=30) for i in range(4)]) / 200
    np.testing.assert_allclose(pmf.sum(-1).reshape(4, -1), counts)


def _goal_with_cells_held(layer, x, oh, s, cell, h1):
    """The hidden layer's summed goal with every sample kept in the cell it had and the
    lateral input's first pass held (a previous output, fixed for the learning rule)."""
    fw = layer.inputs(x, oh, s, h1)
    nb = L._active_bins(s)
    n = fw["theta"].shape[1]
    size = int(np.prod(nb))
    flat = cell + (np.arange(n) * size)[None]
    up = np.bincount(flat.ravel(), fw["theta"].ravel(), n * size)
    down = np.bincount(flat.ravel(), (1 - fw["theta"]).ravel(), n * size)
    pmf = np.stack([down, up], -1).reshape(n, *nb, 2) / x.shape[0]
    if s.sources == "FCL":
        return float(pid3_goal_gradient(pmf, s.goal, validate=False)[0].sum())
    axis = 3 if s.sources == "FC" else 2
    return float(pid_goal_gradient(pmf.squeeze(axis), s.goal_vector, validate=False)[0].sum())


@pytest.mark.parametrize("sources", L.SOURCES)
def test_hidden_gradient_equals_central_differences(task, sources):
    goal = {"{1}{2}": 0.7, "{1}": -0.3, "{12}": 0.4, "res": -0.2} if sources == "FCL" else None
    s = L.LayerSettings(n_hidden=5, sources=sources, goal=goal, bins=(4, 5, 3))
    rng = np.random.default_rng(2)
    x, y = task.x_train[:80], task.y_train[:80]
    oh = np.eye(10)[y]
    layer = L.HiddenLayer(
        0.3 * rng.standard_normal((64, 5)), 0.1 * rng.standard_normal(5),
        rng.standard_normal((10, 5)), rng.standard_normal((5, 5)),
    )  # fmt: skip
    value, grads, fw = L.hidden_step(layer, x, oh, s)
    _, cell = L.joint_table(fw["f"], fw["c"], fw["l"], fw["theta"], L._active_bins(s))
    h1 = fw["h1"]
    assert _goal_with_cells_held(layer, x, oh, s, cell, fw["h1"]) == pytest.approx(
        float(value.sum())
    )
    h = 1e-6
    names = (
        ["w_f", "b_f"] + (["w_c"] if "C" in sources else []) + (["w_l"] if "L" in sources else [])
    )
    for name in names:
        w0 = getattr(layer, name)
        corners = [(0,) * w0.ndim, tuple(d - 1 for d in w0.shape)]
        for idx in [(0, 1), (4, 3)] if name == "w_l" else corners:
            plus, minus = w0.copy(), w0.copy()
            plus[idx] += h
            minus[idx] -= h
            setattr(layer, name, plus)
            g_plus = _goal_with_cells_held(layer, x, oh, s, cell, h1)
            setattr(layer, name, minus)
            g_minus = _goal_with_cells_held(layer, x, oh, s, cell, h1)
            setattr(layer, name, w0)
            assert grads[name][idx] == pytest.approx(
                (g_plus - g_minus) / (2 * h), rel=1e-5, abs=1e-9
            )


def test_bivariate_tables_decompose_as_two_sources():
    rng = np.random.default_rng(3)
    p = rng.random((3, 4, 5, 1, 2))
    p /= p.sum(axis=(1, 2, 3, 4), keepdims=True)
    two = L.decompose(p, "FC")
    ref = sxpid(p[:, :, :, 0], validate=False)
    np.testing.assert_allclose(two["red"], ref.red)
    np.testing.assert_allclose(two["unq1"], ref.unq1)
    q = rng.random((3, 4, 2, 3, 2))
    q /= q.sum(axis=(1, 2, 3, 4), keepdims=True)
    three = L.decompose(q, "FCL")
    np.testing.assert_allclose(three["{1}{2}"], sxpid3(q, validate=False)["{1}{2}"])


def test_networks_learn_and_are_reproducible(task):
    s = L.LayerSettings(n_hidden=10, epochs=20, epochs_readout=200, bins=(4, 10, 2))
    a = L.train_network(task, s, 3)
    b = L.train_network(task, s, 3)
    assert a.test_accuracy == b.test_accuracy
    assert a.history[-1] > a.history[0]  # the goal rose
    assert a.train_accuracy["logistic"] > 0.8
    bp = L.train_network(task, L.LayerSettings(variant="backprop", n_hidden=10, epochs=200), 0)
    assert bp.train_accuracy["backprop"] > 0.95 and bp.test_accuracy["backprop"] > 0.8
    ro = L.train_network(task, L.LayerSettings(variant="readout_only", epochs_readout=300), 0)
    assert ro.test_accuracy["infomorphic"] > 0.6 and set(ro.readout.sign) <= {-1.0, 1.0}
    profile = L.hidden_profile(a, task)
    assert profile["{1}{2}"].shape == (10,)


def test_bad_settings_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="unknown variant"):
        L.LayerSettings(variant="deep")
    with pytest.raises(ValueError, match="bivariate goal"):
        L.LayerSettings(sources="FC", goal={"{1}{2}": 1})
    with pytest.raises(ValueError, match="unknown three-source atoms"):
        L.LayerSettings(goal={"{4}": 1})
    with pytest.raises(ValueError, match="three positive integers"):
        L.LayerSettings(bins=(4, 4))
    with pytest.raises(ValueError, match="must not exceed 1"):
        L.LayerSettings(alpha_c=0.7, alpha_l=0.6)
    with pytest.raises(TypeError, match="Digits"):
        L.train_network(np.zeros((3, 64)), L.LayerSettings())


def test_digits_run_resumes_and_optimised_network_needs_a_goal(tmp_path):
    from infobook.experiments.digits import network_settings, run_digits, summary
    from infobook.experiments.settings import DigitsSettings

    base = L.LayerSettings(epochs=3, epochs_readout=20, bins=(3, 10, 2))
    settings = DigitsSettings(seeds=(0,), sizes=(6,), layer=base)
    with pytest.raises(ValueError, match="needs a goal"):
        network_settings("trivariate_optimised", settings, 6)
    out = tmp_path / "d.nc"
    ds = run_digits(out, settings, ["readout_only", "context_only"], progress=False)
    assert int(ds.done.sum()) == 2 and float(ds.test_logistic.min()) > 0.3
    again = run_digits(out, settings, ["readout_only", "context_only"], progress=False)
    assert float(again.seconds.sum()) == float(ds.seconds.sum())
    assert summary(again, "logistic").shape == (2, 1)


def test_readout_gradient_equals_central_differences(task):
    s = L.LayerSettings(readout_bins=6)
    rng = np.random.default_rng(5)
    h, y = np.tanh(task.x_train[:90, :12]), task.y_train[:90]
    ro = L.Readout(0.5 * rng.standard_normal((12, 10)), 0.1 * rng.standard_normal(10), np.ones(10))
    value, grads = L.readout_step(ro, h, y, s)
    f0 = ro.field(h)
    lo, hi = f0.min(0), f0.max(0)
    c = np.where(y[:, None] == np.arange(10)[None], 1.0, -1.0)
    cell = np.clip(((f0 - lo) / (hi - lo) * 6).astype(int), 0, 5) * 2 + (c > 0)

    def total(w, b):
        f = h @ w + b
        theta = L.sigmoid(s.readout_teach * c + f)
        flat = cell + (np.arange(10) * 12)[None]
        up = np.bincount(flat.ravel(), theta.ravel(), 120)
        down = np.bincount(flat.ravel(), (1 - theta).ravel(), 120)
        pmf = np.stack([down, up], -1).reshape(10, 6, 2, 2) / 90
        return float(pid_goal_gradient(pmf, "redundancy", validate=False)[0].sum())

    assert total(ro.w, ro.b) == pytest.approx(float(value.sum()))
    e = 1e-6
    for idx in [(0, 0), (5, 3), (11, 9)]:
        dw = np.zeros_like(ro.w)
        dw[idx] = e
        fd = (total(ro.w + dw, ro.b) - total(ro.w - dw, ro.b)) / (2 * e)
        assert grads["w"][idx] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    db = np.zeros(10)
    db[4] = e
    fd = (total(ro.w, ro.b + db) - total(ro.w, ro.b - db)) / (2 * e)
    assert grads["b"][4] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_goal_search_resumes_without_repeating_and_refuses_other_settings(tmp_path):
    from infobook.experiments.digits import best_goal, optimise_digits_goal
    from infobook.experiments.settings import DigitsSettings

    base = L.LayerSettings(epochs=2, epochs_readout=5, bins=(3, 10, 2))
    settings = DigitsSettings(layer=base)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    atoms = ("{1}{2}", "{1}{2}{3}")
    kw = dict(storage=storage, n_hidden=4, atoms=atoms, network_seeds=(0,), progress=False)
    first = optimise_digits_goal(3, settings, **kw)
    starts = [t.params for t in first.trials[:2]]
    assert starts == [{"{1}{2}": 1.0, "{1}{2}{3}": 0.0}, {"{1}{2}": 1.0, "{1}{2}{3}": 1.0}]
    again = optimise_digits_goal(5, settings, **kw)
    params = [tuple(t.params.values()) for t in again.trials]
    assert len(params) == 5 and len(set(params)) == 5  # the resumed trials are new draws
    assert set(best_goal(again)) == set(atoms) and first.study_name == again.study_name
    other = DigitsSettings(sizes=(7,), seeds=(3,), layer=base)  # the table's grid: no matter
    assert len(optimise_digits_goal(5, other, **kw).trials) == 5
    with pytest.raises(ValueError, match="'epochs' is 2 in the study but 3"):
        optimise_digits_goal(
            5,
            DigitsSettings(layer=L.LayerSettings(epochs=3, bins=(3, 10, 2), epochs_readout=5)),
            **kw,
        )
