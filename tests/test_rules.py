"""Baseline rules: one convention, exact solutions where they exist, MPF's gradient."""

import numpy as np
import pytest
from scipy.optimize import nnls

from infobook import hopfield as hf
from infobook import rules


def fixed_point_fraction(rule, patterns):
    w, b = rule(patterns)
    h = patterns @ np.swapaxes(w, -1, -2) + b[..., None, :]
    return float(((h * patterns) > 0).mean())


@pytest.mark.parametrize("name", sorted(set(rules.RULES) - {"mpf"}))
def test_every_rule_has_the_convention_and_is_batched(name):
    p = hf.random_patterns(6, 24, seed=1, batch=(2,))
    w, b = rules.RULES[name](p)
    assert w.shape == (2, 24, 24) and b.shape == (2, 24)
    if name != "trivial":
        assert np.all(np.diagonal(w, axis1=-2, axis2=-1) == 0), "self-coupling must stay excluded"
    w1, b1 = rules.RULES[name](p[1])
    np.testing.assert_allclose(w[1], w1, atol=1e-8)
    np.testing.assert_allclose(b[1], b1, atol=1e-8)


@pytest.mark.parametrize(
    "name", ["krauth_mezard", "gardner", "adatron", "lp_optimum", "max_stability"]
)
def test_perceptron_rules_make_every_pattern_a_fixed_point_when_possible(name):
    p = hf.random_patterns(40, 50, seed=2)  # alpha = 0.8: linearly separable w.h.p.
    assert fixed_point_fraction(rules.RULES[name], p) == 1.0
    w, b = rules.RULES[name](p)
    res = hf.recall(w, p, b)
    assert np.all(res.status == 1) and np.all(res.steps == 0)


def test_krauth_mezard_reaches_its_margin():
    p = hf.random_patterns(30, 60, seed=3)
    w, _ = rules.krauth_mezard(p, margin=1.0)
    c, _ = rules._neuron_inputs(p)
    assert float((c @ w[..., None])[..., 0].min()) > 1.0


def test_krauth_mezard_equals_the_direct_min_over_rule():
    """The embedding-form implementation against the rule as written: learn the least stable
    pattern of every neuron, w_i += c_i^mu / N, recomputing all stabilities each time."""
    p = hf.random_patterns(20, 16, seed=7, batch=(2,))
    c, _ = rules._neuron_inputs(p)
    n = p.shape[-1]
    w = np.zeros((2, n, n))
    for _ in range(100 * 20):
        stab = (c @ w[..., None])[..., 0]
        worst = stab.argmin(axis=-1)
        active = np.take_along_axis(stab, worst[..., None], axis=-1)[..., 0] <= 1.0
        if not active.any():
            break
        pick = np.take_along_axis(c, worst[..., None, None], axis=-2)[..., 0, :]
        w = w + active[..., None] * pick / n
    np.testing.assert_allclose(rules.krauth_mezard(p)[0], w, atol=1e-9)


def test_adatron_maximises_the_stability():
    p = hf.random_patterns(30, 60, seed=4)
    best = float(rules.stabilities(rules.adatron(p)[0], p).min(axis=-1).mean())
    for other in ("krauth_mezard", "gardner", "lp_optimum"):
        w, _ = rules.RULES[other](p)
        assert best >= float(rules.stabilities(w, p).min(axis=-1).mean()) - 1e-6
    exact = float(rules.stabilities(rules.max_stability(p)[0], p).min(axis=-1).mean())
    assert exact == pytest.approx(best, abs=1e-6)


def test_max_stability_is_where_adatron_converges():
    p = hf.random_patterns(30, 40, seed=4, batch=(2,))
    w, _ = rules.max_stability(p)
    w_ada, _ = rules.adatron(p, max_sweeps=20_000, tol=1e-12)
    np.testing.assert_allclose(w, w_ada, rtol=0, atol=1e-9 * float(np.abs(w).max()))


def test_max_stability_satisfies_the_optimality_conditions_near_capacity():
    """KKT certificate, computed apart from the solver: every stability is >= 1 and the weights
    are a non-negative combination of the inputs whose stability is exactly 1 (so no shorter
    weight vector satisfies the constraints); checked where margins are tiny (alpha = 1.7)."""
    n = 40
    p = hf.random_patterns(68, n, seed=11)
    w, _ = rules.max_stability(p)
    wl, _ = rules.lp_optimum(p)
    separable = rules.stabilities(wl, p).min(axis=-1) > 0
    assert 0 < separable.sum() < n, "the test needs both kinds of neuron"
    c, _ = rules._neuron_inputs(p)
    kappas = []
    for i in np.flatnonzero(separable):
        g = np.delete(c[i], i, axis=1)
        wi = np.delete(w[i], i)
        s = g @ wi
        assert s.min() >= 1 - 1e-7
        active = np.abs(s - 1) < 1e-7
        lam, resid = nnls(g[active].T, wi)
        assert resid <= 1e-7 * np.linalg.norm(wi)
        kappas.append(1 / np.linalg.norm(wi))
    assert min(kappas) < 0.1  # some neurons are at the edge


@pytest.mark.parametrize("seed", [12, 13, 14])
def test_max_stability_stores_exactly_where_the_lp_optimum_does(seed):
    p = hf.random_patterns(70, 40, seed=seed)  # alpha = 1.75, around the finite-size edge
    stab = rules.stabilities(rules.max_stability(p)[0], p).min(axis=-1)
    stab_lp = rules.stabilities(rules.lp_optimum(p)[0], p).min(axis=-1)
    np.testing.assert_array_equal(stab > 0, stab_lp > 0)
    np.testing.assert_array_less(stab_lp[stab_lp > 0] - 1e-9, stab[stab_lp > 0])
    margin = rules.max_stability_margin(p)
    np.testing.assert_allclose(margin, np.where(stab > 0, stab, 0.0), atol=1e-12)


def test_lp_optimum_beats_hebbian_and_descent_at_high_load():
    p = hf.random_patterns(70, 50, seed=5)  # alpha = 1.4
    assert fixed_point_fraction(rules.lp_optimum, p) > fixed_point_fraction(rules.descent_l2, p)
    assert fixed_point_fraction(rules.descent_l2, p) > fixed_point_fraction(rules.hebbian, p)


def test_descent_l2_is_the_ridge_minimiser():
    p = hf.random_patterns(15, 12, seed=6)
    w, b = rules.descent_l2(p)
    i = 3
    x = np.hstack([np.delete(p, i, axis=1), np.ones((15, 1))])
    sol = np.linalg.solve(x.T @ x + 1e-3 * np.eye(12), x.T @ p[:, i])
    np.testing.assert_allclose(np.delete(w[i], i), sol[:-1], atol=1e-10)
    assert b[i] == pytest.approx(sol[-1], abs=1e-10)


def test_pseudo_inverse_stores_up_to_n_as_projection():
    p = hf.random_patterns(20, 40, seed=7)
    w = np.linalg.pinv(p) @ p
    np.testing.assert_allclose(p @ w.T, p, atol=1e-10)  # with its diagonal: an exact projection


def test_storkey_beats_hebbian():
    ds = hf.capacity_scan(["hebbian", "storkey"], 100, [0.16, 0.26, 0.36], 3, dtype=np.float64)
    a = ds.a_cos.mean("seed")
    assert float(a.sel(rule="storkey", alpha=0.26)) > float(a.sel(rule="hebbian", alpha=0.26))


def test_trivial_control_recalls_every_clean_cue():
    p = hf.random_patterns(200, 30, seed=8)
    w, b = rules.trivial(p)
    np.testing.assert_array_equal(hf.recall(w, p, b).states, p)


def test_mpf_gradient_against_central_differences():
    rng = np.random.default_rng(9)
    x = (hf.random_patterns(7, 6, seed=9) + 1) / 2
    a = rng.normal(size=(6, 6))
    j = (a + a.T) * (1 - np.eye(6))
    theta = rng.normal(size=6)
    gj, gt = rules.mpf_gradient(j, theta, x)
    h = 1e-6
    for k, l in [(0, 1), (2, 5), (4, 3)]:
        e = np.zeros((6, 6))
        e[k, l] = e[l, k] = h
        fd = (rules.mpf_objective(j + e, theta, x) - rules.mpf_objective(j - e, theta, x)) / (2 * h)
        assert gj[k, l] == pytest.approx(fd, rel=1e-7, abs=1e-9)
    for k in (0, 5):
        e = np.zeros(6)
        e[k] = h
        fd = (rules.mpf_objective(j, theta + e, x) - rules.mpf_objective(j, theta - e, x)) / (2 * h)
        assert gt[k] == pytest.approx(fd, rel=1e-7, abs=1e-9)


def test_mpf_learns_to_store_patterns():
    p = hf.random_patterns(12, 40, seed=10, batch=(2,))
    w, b = rules.mpf(p, steps=1500)
    res = hf.recall(w, p, b)
    assert np.all(hf.accuracy(res.states, p)[0] == 1.0)


def test_fixed_point_capacity_is_the_largest_load_with_every_neuron_separable():
    """Against brute force: the LP's verdict for every neuron at every number of patterns."""
    n = 16
    bank = hf.pattern_bank([0, 1, 2], 40, n)
    got = rules.fixed_point_capacity(bank)
    assert got.shape == (3,)
    for k in range(3):
        ok = [
            bool((rules.stabilities(rules.lp_optimum(bank[k, :m])[0], bank[k, :m]) > 0).all())
            for m in range(1, 41)
        ]
        expected = ok.index(False) if False in ok else 40  # ok[m - 1] is M = m
        assert all(ok[:expected]) and not any(ok[expected:])  # monotone in M
        assert got[k] == expected
    assert int(rules.fixed_point_capacity(bank[0])) == got[0]
    assert int(rules.fixed_point_capacity(bank[0, :10])) == 10  # all separable: M_max


def test_a_nearly_degenerate_neuron_is_separable_despite_rounding():
    """Correlated patterns where neuron 48 is separable with a margin of about 1e-4: the least
    distance program's margins come out at 1 - 2e-7 for it; an LP (HiGHS) confirms the weights
    exist, and the ceiling counts the pattern."""
    from scipy.optimize import linprog

    bank = hf.pattern_bank([10], 171, 100, markov=0.6)[0]
    inputs = np.delete(bank, 48, axis=1) * bank[:, 48:49]
    w = rules._max_stability_neuron(inputs)
    assert w is not None and (inputs @ w).min() > 0.999
    lp = linprog(np.zeros(99), A_ub=-inputs, b_ub=-np.ones(171), bounds=(None, None))
    assert lp.status == 0  # feasible: weights with every margin >= 1 exist
    assert rules._separable(bank, 48, 171)


def test_hebbian_weights_are_symmetric_with_zero_diagonal_and_batched():
    p = hf.random_patterns(7, 30, seed=0, batch=(3,))
    w = hf.hebbian_weights(p)
    assert w.shape == (3, 30, 30)
    np.testing.assert_array_equal(w, np.swapaxes(w, -1, -2))
    assert np.all(np.diagonal(w, axis1=-2, axis2=-1) == 0)
    np.testing.assert_array_equal(w[1], hf.hebbian_weights(p[1]))


def test_unknown_rule_lists_the_rules():
    with pytest.raises(ValueError, match="unknown learning rule 'hebian'.*hebbian"):
        hf.capacity_scan("hebian", 50, [0.1], 1)


def test_training_with_noise_repairs_corrupted_cues():
    """The noise-trained perceptron (fresh 10 % corruptions, clean targets) repairs cues with
    10 % of their bits flipped at alpha = 0.5, N = 100, and beats the clean batch perceptron
    trained for as long."""
    p = hf.pattern_bank(range(3), 50, 100)
    cues = hf.corrupt(p, 10, seed=5)
    scores = {}
    for flips in (0.0, 0.1):
        w, b = rules.noise_perceptron(p, flips=flips, sweeps=1000, seed=1)
        assert np.all(b == 0) and np.all(np.diagonal(w, axis1=-2, axis2=-1) == 0)
        scores[flips] = float(hf.accuracy(hf.recall(w, cues, b).states, p)[0].mean())
    assert scores[0.1] >= 0.95 and scores[0.1] > scores[0.0], scores
    w0, _ = rules.noise_perceptron(p[:, :20], flips=0.0, sweeps=400)
    assert fixed_point_fraction(lambda q: (w0, np.zeros(w0.shape[:-1])), p[:, :20]) == 1.0
    with pytest.raises(ValueError, match="flips"):
        rules.noise_perceptron(p, flips=1.0)
    with pytest.raises(ValueError, match="sweeps"):
        rules.noise_perceptron(p, sweeps=1)


def test_gardner_stability_inverts_the_capacity():
    for kappa in (0.0, 0.3, 0.5, 1.0):
        alpha = rules.gardner_capacity(kappa)
        assert rules.gardner_stability(alpha) == pytest.approx(kappa, abs=1e-6)
    with pytest.raises(ValueError, match="load"):
        rules.gardner_stability(2.5)


def test_diluted_theory_of_basins():
    """The diluted max-stability network repairs a 10 % cue up to alpha about 0.58 (Kepler and
    Abbott's map with Gardner's stabilities); the one-step repairable fraction falls with the
    load."""
    caps = [rules.diluted_associative_capacity(f) for f in (0.05, 0.1, 0.2)]
    assert caps[1] == pytest.approx(0.58, abs=0.01)
    assert caps[0] > caps[1] > caps[2]
    assert rules.diluted_recall(0.3, 0.1) == pytest.approx(1.0, abs=1e-6)
    assert rules.diluted_recall(0.7, 0.1) < 0.5
    repair = [rules.one_step_repair(a) for a in (0.5, 1.0, 1.5, 1.9)]
    assert all(a > b for a, b in zip(repair, repair[1:], strict=False))
