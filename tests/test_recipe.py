"""The knobs of the paper's ablation (SGD, a learned teaching weight, stochastic recall) and
capacity runs by bisection on the load grid."""

import json

import numpy as np
import pytest

from infobook import hopfield as hf
from infobook import infomorphic as im
from infobook.experiments.capacity import (
    capacity_from_bisection,
    next_probe,
    replay_bisection,
    run_capacity,
)
from infobook.experiments.store import load_results, save_atomic


def _patterns(b=2, m=8, n=16, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).choice([-1.0, 1.0], (b, m, n)).astype(dtype)


def test_sgd_is_plain_gradient_ascent():
    pats = _patterns()
    w0 = im.initial_weights(16, 3, batch=(2,), scale=0.5, dtype=np.float64)
    _, grad = im.goal_and_gradient(w0, pats, "redundancy")
    res = im.train(pats, "redundancy", initial=w0, epochs=1, optimizer="sgd", lr=0.3,
                   dtype="float64", early_stop=False)  # fmt: skip
    np.testing.assert_allclose(res.weights, w0 + 0.3 * grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("binning", ["fixed", "adaptive", "soft"])
def test_learned_teaching_weight_follows_its_gradient(binning):
    """One SGD step of the teaching weights against central differences of the summed goal
    in a common shift of every neuron's teaching weight."""
    pats = _patterns(b=1, m=10, n=12, seed=4)
    w0 = im.initial_weights(12, 1, batch=(1,), scale=3.0, dtype=np.float64)
    lr, w_t, h = 1e-3, 1.7, 1e-6
    res = im.train(pats, "redundancy", initial=w0, epochs=1, optimizer="sgd", lr=lr,
                   learn_teach=True, w_teach=w_t, binning=binning, bins_r=10,
                   dtype="float64", early_stop=False)  # fmt: skip
    step = (res.w_teach - w_t) / lr  # the gradient per neuron

    def total(x):
        return im.goal_and_gradient(w0, pats, "redundancy", w_teach=x, binning=binning,
                                    bins_r=10)[0].sum()  # fmt: skip

    fd = (total(w_t + h) - total(w_t - h)) / (2 * h)
    assert abs(step.sum() - fd) < 1e-6 * max(1.0, abs(fd))
    assert res.w_teach.shape == (1, 12) and np.ptp(res.w_teach) > 0  # one weight per neuron


def test_frozen_teaching_weight_is_the_published_recipe():
    res = im.train(_patterns(), "redundancy", epochs=20)
    assert res.w_teach is None
    with pytest.raises(ValueError, match="array program"):
        im.Training(learn_teach=True, kernel="fused")
    with pytest.raises(ValueError, match="unknown optimizer"):
        im.Training(optimizer="rmsprop")
    with pytest.raises(ValueError, match="unknown recall"):
        im.Training(recall="noisy")


def test_stochastic_recall_streams_are_per_network_and_not_the_patterns():
    """A network's draws depend on its own key only (not on the batch it is recalled in), and
    never replay the uniforms that made a seed's patterns."""
    rng = np.random.default_rng(1)
    w = rng.normal(0, 0.01, (3, 20, 20)) * (1 - np.eye(20))
    cues = np.stack([hf.random_patterns(8, 20, s) for s in (0, 1, 2)])
    together = hf.recall(w, cues, stochastic=True, seed=0, streams=[0, 1, 2], max_steps=1)
    alone = hf.recall(w[2:], cues[2:], stochastic=True, seed=0, streams=[2], max_steps=1)
    assert (together.states[2] == alone.states[0]).all()
    # weak fields: a recall stream equal to the pattern stream would copy the patterns
    overlap = hf.overlap(together.states, cues)
    assert float(np.abs(overlap).mean()) < 0.3


def test_stochastic_recall_is_seeded_and_samples_the_sigmoid():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 1, (30, 30)) * (1 - np.eye(30))
    cues = rng.choice([-1.0, 1.0], (5, 30))
    a = hf.recall(w, cues, stochastic=True, seed=7).states
    b = hf.recall(w, cues, stochastic=True, seed=7).states
    c = hf.recall(w, cues, stochastic=True, seed=8).states
    assert (a == b).all() and not (a == c).all()
    # saturated fields: the sample is the sign
    big = hf.recall(1e4 * w, cues, stochastic=True, seed=1).states
    assert (big == hf.recall(1e4 * w, cues).states).all()
    # zero field: a fair coin per neuron (1000 cues, one step)
    many = np.ones((1000, 30))
    s = hf.recall(np.zeros((30, 30)), many, stochastic=True, seed=2, max_steps=1).states
    assert abs(float((s == 1).mean()) - 0.5) < 0.02


def test_next_probe_finds_the_largest_stored_load_of_a_monotone_grid():
    for n in (1, 2, 5, 41):
        for edge in range(-1, n):
            results: dict[int, bool] = {}
            while True:
                probe, largest = next_probe(results, n)
                if probe is None:
                    break
                assert probe not in results
                results[probe] = probe <= edge
            assert largest == edge
            assert len(results) <= int(np.ceil(np.log2(n + 1))) + 1


def test_next_probe_uses_earlier_entries_and_is_not_fooled_by_low_loads():
    # the lowest load fails (a single pattern), the middle ones store: alpha_c is the edge above
    ok = [False, True, True, True, True, False, False]
    results: dict[int, bool] = {}
    while (probe := next_probe(results, 7)[0]) is not None:
        results[probe] = ok[probe]
    assert next_probe(results, 7) == (None, 4) and 0 not in results
    assert next_probe({2: True, 3: False}, 7) == (None, 2)


def test_bisection_run_trains_the_scan_networks_and_resumes(tmp_path):
    kw = {"goal": "redundancy", "n_neurons": 16, "seeds": [0, 1], "alphas": [0.25, 0.5, 1.0, 1.5],
          "epochs": 150, "progress": False}  # fmt: skip
    scan = run_capacity(tmp_path / "scan.nc", **kw)
    calls = []

    def stop_after_one(alpha):
        calls.append(alpha)
        if len(calls) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_capacity(tmp_path / "bis.nc", search="bisect", on_load_done=stop_after_one, **kw)
    assert int(load_results(tmp_path / "bis.nc").done.sum()) == 2  # both seeds of one load
    bis = run_capacity(tmp_path / "bis.nc", search="bisect", **kw)
    done = bis.done.values == 1
    assert done.sum() < done.size  # not every load was trained
    np.testing.assert_allclose(bis.a_cos.values[done], scan.a_cos.values[done], atol=1e-6)
    replay, _ = replay_bisection(scan)
    np.testing.assert_allclose(capacity_from_bisection(bis).values, replay)


def test_entries_that_ended_in_nan_are_retrained_when_asked(tmp_path):
    kw = {"goal": "redundancy", "n_neurons": 16, "seeds": [0, 1], "alphas": [0.25, 0.5, 1.0],
          "epochs": 100, "progress": False, "search": "bisect"}  # fmt: skip
    path = tmp_path / "bis.nc"
    first = run_capacity(path, **kw)
    done = np.argwhere(first.done.values == 1)
    a, k = (int(v) for v in done[0])
    spoilt = first.copy(deep=True)
    spoilt["goal"][a, k] = np.nan  # as a training that ended in NaN weights records it
    spoilt["a_cos"][a, k] = 0.0
    save_atomic(spoilt, path)
    again = run_capacity(path, **kw)  # without the flag a finished entry stays as it is
    assert np.isnan(again.goal.values[a, k])
    fixed = run_capacity(path, retrain_nonfinite=True, **kw)
    np.testing.assert_allclose(fixed.goal.values[a, k], first.goal.values[a, k], rtol=1e-6)
    assert fixed.a_cos.values[a, k] == first.a_cos.values[a, k]
    assert (fixed.done.values == first.done.values).all()
    last = json.loads(fixed.attrs["provenance"])[-1]
    assert last["retrained"] == "1 entries whose goal was not finite"


def test_bisection_replayed_on_the_committed_scans_gives_their_capacities():
    """The committed fixed-binning curves (41 loads x 20 seeds): the bisection's answer from
    their entries equals the scan's for at least 19 of 20 seeds of each."""
    from pathlib import Path

    from infobook.hopfield import capacity_from_scan

    root = Path(__file__).resolve().parents[1] / "book" / "results"
    for name in ("redundancy", "mutual_information", "coinformation", "optimized_i"):
        ds = load_results(root / f"capacity_{name}_N100.nc")
        scan = capacity_from_scan(ds).values
        found, probes = replay_bisection(ds)
        same = int(np.isclose(found, scan).sum())
        assert probes.max() <= int(np.ceil(np.log2(ds.sizes["alpha"] + 1))) + 1
        assert same >= 19, name


def test_sweep_bisection_agrees_with_the_scan_and_screens_failing_goals(monkeypatch):
    from infobook.experiments import sweeps
    from infobook.experiments.settings import SweepSettings

    grid = tuple(np.round(np.arange(0.25, 2.01, 0.25), 2).tolist())
    kw = {"n_neurons": 16, "seeds": (0, 1, 2), "alphas": grid,
          "training": im.Training(epochs=200)}  # fmt: skip
    scan = sweeps.goal_capacity("redundancy", SweepSettings(stop_after=99, **kw))
    bis = sweeps.goal_capacity("redundancy", SweepSettings(search="bisect", **kw))
    assert np.abs(bis - scan).max() <= 0.25 + 1e-9  # at most one grid step apart
    calls = []
    real = sweeps._stored

    def counted(goal, pats, init, spec, ids):
        calls.append(pats.shape[-2])
        return real(goal, pats, init, spec, ids)

    monkeypatch.setattr(sweeps, "_stored", counted)
    nothing = sweeps.goal_capacity([0, 0, -1, 0, 0], SweepSettings(search="bisect", **kw))
    assert (nothing == 0).all()
    assert calls == [12, 8]  # the screening load (first M >= 10) and the one below it
    assert "search" in SweepSettings(search="bisect", **kw).record()
    assert "search" not in SweepSettings(**kw).record()
