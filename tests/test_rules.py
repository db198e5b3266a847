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


def small_baselines(path, **kwargs):
    from infobook.runs import run_baselines

    return run_baselines(
        path, ["hebbian", "krauth_mezard"], 24, 3, [0.1, 0.5, 1.0], progress=False, **kwargs
    )


def test_baseline_run_agrees_with_the_scan_and_resumes(tmp_path):
    from infobook.runs import baseline_f_max, baseline_scan, load_results

    class Stop(Exception):
        pass

    seen = []

    def interrupt_after_two(rule, alpha):
        seen.append((rule, alpha))
        if len(seen) == 2:
            raise Stop

    out = tmp_path / "baselines.nc"
    with pytest.raises(Stop):
        small_baselines(out, on_load_done=interrupt_after_two)
    assert int(load_results(out).done.sum()) == 2  # readable after the interruption
    computed = []
    full = small_baselines(out, on_load_done=lambda r, a: computed.append((r, a)))
    assert len(computed) == 4 and set(computed).isdisjoint(seen)
    fresh = small_baselines(tmp_path / "fresh.nc")
    np.testing.assert_array_equal(full.a_cos.values, fresh.a_cos.values)
    # the clean cue equals the capacity scan of the same rules, seeds and loads
    scan = hf.capacity_scan(["hebbian", "krauth_mezard"], 24, [0.1, 0.5, 1.0], 3, dtype=np.float64)
    np.testing.assert_allclose(baseline_scan(full).a_cos.values, scan.a_cos.values)
    # f_max equals the stability scan's on the same flip grid and cue seeds
    stab = hf.stability_scan("krauth_mezard", 24, [0.1, 0.5, 1.0], 3, dtype=np.float64)
    np.testing.assert_allclose(
        baseline_f_max(full).sel(rule="krauth_mezard").values, stab.f_max.values
    )
    with pytest.raises(ValueError, match="other settings"):
        small_baselines(out, mpf_steps=10)
    from infobook.runs import run_baselines

    with pytest.raises(ValueError, match="unknown learning rule"):
        run_baselines(tmp_path / "x.nc", ["nonsense"], 24, 3, [0.1], progress=False)
    assert not (tmp_path / "x.nc").exists()


def test_baseline_runs_split_over_loads_merge_into_the_single_run(tmp_path):
    from infobook.runs import load_results, merge_baselines, run_baselines

    def run(path, alphas):
        return run_baselines(path, ["hebbian", "pseudo_inverse"], 20, 2, alphas, progress=False)

    whole = run(tmp_path / "whole.nc", [0.1, 0.3, 0.5, 0.7])
    run(tmp_path / "low.nc", [0.1, 0.3, 0.5, 0.7])  # the target grid, interrupted below
    low = load_results(tmp_path / "low.nc").load()
    low["done"].loc[{"alpha": [0.5, 0.7]}] = 0  # as if stopped after the first two loads
    low["a_cos"].loc[{"alpha": [0.5, 0.7]}] = np.nan
    from infobook.runs import save_atomic

    save_atomic(low, tmp_path / "low.nc")
    run(tmp_path / "high.nc", [0.5, 0.7])  # the other loads in a second process
    merged = merge_baselines(tmp_path / "low.nc", tmp_path / "high.nc")
    assert int(merged.done.sum()) == 8
    np.testing.assert_array_equal(merged.a_cos.values, whole.a_cos.values)
    assert load_results(tmp_path / "low.nc").done.sum() == 8  # saved
    prov = load_results(tmp_path / "low.nc").attrs["provenance"]
    assert "merged_from" in prov and "high.nc" in prov
    # a run with other settings is refused
    run_baselines(tmp_path / "other.nc", ["hebbian"], 20, 3, [0.1], progress=False)
    with pytest.raises(ValueError, match="other settings"):
        merge_baselines(tmp_path / "low.nc", tmp_path / "other.nc")


def test_baseline_run_reuses_the_finished_entries_of_other_files(tmp_path):
    """Rules run as processes of their own, each into its own file, feed one run: their entries
    are taken, not computed, a later file's before an earlier one's."""
    from infobook.runs import run_baselines

    def run(path, rules, alphas=(0.1, 0.5), **kw):
        return run_baselines(path, rules, 20, 2, list(alphas), progress=False, **kw)

    whole = run(tmp_path / "whole.nc", ["hebbian", "storkey", "pseudo_inverse"])
    run(tmp_path / "a.nc", ["hebbian", "storkey"])
    b = run(tmp_path / "b.nc", ["storkey"], alphas=(0.5,))
    b_val = float(b.a_cos.sel(rule="storkey", alpha=0.5, flip=0.0, seed=0))
    # mark b's entry so that taking it (rather than a's or a recomputation) is visible
    from infobook.runs import load_results, save_atomic

    marked = load_results(tmp_path / "b.nc").load()
    marked["a_cos"].loc[{"rule": "storkey", "alpha": 0.5, "flip": 0.0, "seed": 0}] = -b_val
    save_atomic(marked, tmp_path / "b.nc")
    computed = []
    out = run(
        tmp_path / "out.nc",
        ["hebbian", "storkey", "pseudo_inverse"],
        reuse=[tmp_path / "a.nc", tmp_path / "b.nc"],
        on_load_done=lambda r, a: computed.append(r),
    )
    assert computed == ["pseudo_inverse", "pseudo_inverse"]  # only what no file had
    assert float(out.a_cos.sel(rule="storkey", alpha=0.5, flip=0.0, seed=0)) == -b_val
    rest = out.a_cos.where(~((out.rule == "storkey") & (out.alpha == 0.5)))
    np.testing.assert_array_equal(rest.values, whole.a_cos.where(~rest.isnull()).values)
    assert "reused_from" in out.attrs["provenance"] and "b.nc" in out.attrs["provenance"]
    run(tmp_path / "other.nc", ["hebbian"], alphas=(0.1,), mpf_steps=10)
    with pytest.raises(ValueError, match="cannot be reused"):
        run(tmp_path / "x.nc", ["hebbian"], reuse=[tmp_path / "other.nc"])
    with pytest.raises(FileNotFoundError, match="missing.nc"):
        run(tmp_path / "x.nc", ["hebbian"], reuse=[tmp_path / "missing.nc"])
    assert not (tmp_path / "x.nc").exists()


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


def test_fixed_point_ceiling_run_resumes_and_matches_the_direct_computation(tmp_path):
    from infobook.runs import load_results, run_fixed_point_ceiling

    class Stop(Exception):
        pass

    out = tmp_path / "ceiling.nc"
    seen = []

    def stop_after_three(n, s):
        seen.append((n, s))
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        run_fixed_point_ceiling(out, [12, 20], 2, progress=False, on_network_done=stop_after_three)
    assert int(load_results(out).done.sum()) == 3
    again = []
    ds = run_fixed_point_ceiling(
        out, [12, 20], 2, progress=False, on_network_done=lambda n, s: again.append((n, s))
    )
    assert again == [(20, 1)]
    for n in (12, 20):
        direct = rules.fixed_point_capacity(hf.pattern_bank([0, 1], int(np.ceil(2.4 * n)), n))
        np.testing.assert_array_equal(ds.capacity.sel(n_neurons=n).values, direct)
    np.testing.assert_allclose(ds.alpha_c.values, ds.capacity.values / [[12], [20]])
    with pytest.raises(ValueError, match="other settings"):
        run_fixed_point_ceiling(out, [12], 2, max_load=2.0, progress=False)
    with pytest.raises(ValueError, match="sizes"):
        run_fixed_point_ceiling(tmp_path / "x.nc", [1], 2, progress=False)
