"""Long runs (infobook.experiments): the settings type, the run store, capacity curves, the
baseline and ceiling runs, goal sweeps in-process and on a dask LocalCluster, kill and resume,
and the Optuna study."""

import json
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest

from infobook import hopfield as hf
from infobook import infomorphic as im
from infobook import rules
from infobook.experiments import (
    baseline_f_max,
    baseline_scan,
    finished_ceilings,
    load_results,
    merge_baselines,
    run_baselines,
    run_capacity,
    run_fixed_point_ceiling,
    save_atomic,
    sweeps,
)
from infobook.experiments.settings import SweepSettings
from infobook.hopfield import capacity_from_scan
from infobook.infomorphic import Training

SETTINGS = SweepSettings(
    n_neurons=16,
    seeds=(0, 1),
    alphas=(0.5, 1.0, 1.5, 2.0),
    training=Training(epochs=40),
    stop_after=99,
)
GOALS = np.array(
    [
        [0, 0, 1, 0, 0],
        [1, 0, 1, 0, 0],
        [0, 0, 1, -1, 0],
        [-0.27, -0.68, 0.68, -0.77, -0.8],
        [0, 1, 0, 0, 0],
    ],
    dtype=float,
)


def test_grid_and_slices():
    grid = sweeps.goal_grid()
    assert grid.shape == (625, 5) and np.all(grid[:, 4] == 0)
    assert len({tuple(r) for r in grid}) == 625
    full = sweeps.goal_grid(res=None)
    assert full.shape == (3125, 5) and len({tuple(r) for r in full}) == 3125
    sl = sweeps.goal_slice("redundancy", ("unq_R", "syn"), values=[-1, 0, 1])
    assert sl.shape == (9, 5)
    np.testing.assert_array_equal(sl[:, [0, 2, 4]], np.tile([0, 1, 0], (9, 1)))
    np.testing.assert_array_equal(sl[4], [0, 0, 1, 0, 0])


def test_goal_capacity_equals_the_capacity_run(tmp_path):
    ds = run_capacity(
        tmp_path / "run.nc",
        "mutual_information",
        16,
        [0, 1],
        SETTINGS.alphas,
        epochs=40,
        progress=False,
    )
    expected = capacity_from_scan(ds).values
    np.testing.assert_array_equal(sweeps.goal_capacity("mutual_information", SETTINGS), expected)


def test_refinement_bisects_to_one_pattern():
    spec = SweepSettings(
        n_neurons=16,
        seeds=(0,),
        alphas=(0.5, 1.0, 1.5, 2.0),
        training=Training(epochs=40),
        refine=True,
    )
    coarse = sweeps.goal_capacity("redundancy", SETTINGS)[0]
    fine = sweeps.goal_capacity("redundancy", spec)[0]
    assert coarse <= fine < coarse + 0.5
    assert round(fine * 16) == fine * 16


def test_sweep_on_a_local_cluster_equals_the_in_process_sweep(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = sweeps.run_sweep(tmp_path / "local.nc", GOALS, SETTINGS, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        remote = sweeps.run_sweep(
            tmp_path / "remote.nc", GOALS, SETTINGS, client=client, progress=False
        )
    np.testing.assert_array_equal(remote.alpha_c.values, local.alpha_c.values)
    assert remote.done.values.tolist() == [1] * len(GOALS)
    assert "2 workers" in load_results(tmp_path / "remote.nc").attrs["provenance"]


def test_a_killed_sweep_resumes_without_recomputing(tmp_path):
    out = tmp_path / "sweep.nc"
    script = textwrap.dedent(
        f"""
        import os, signal
        import numpy as np
        from infobook.experiments import sweeps
        from infobook.experiments.settings import SweepSettings
        from infobook.infomorphic import Training
        spec = SweepSettings(n_neurons=16, seeds=(0, 1), alphas=(0.5, 1.0, 1.5, 2.0),
                             training=Training(epochs=40), stop_after=99)
        goals = np.array({GOALS.tolist()})
        done = []
        def kill(i):
            done.append(i)
            if len(done) == 2:
                os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, no exception handlers
        sweeps.run_sweep({str(out)!r}, goals, spec, progress=False, on_goal_done=kill)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=600)
    assert proc.returncode == -9, proc.stderr.decode()
    partial = load_results(out)  # a readable file with the two finished goals
    assert partial.done.values.tolist() == [1, 1, 0, 0, 0]
    recomputed = []
    resumed = sweeps.run_sweep(out, GOALS, SETTINGS, progress=False, on_goal_done=recomputed.append)
    assert recomputed == [2, 3, 4]
    fresh = sweeps.run_sweep(tmp_path / "fresh.nc", GOALS, SETTINGS, progress=False)
    np.testing.assert_array_equal(resumed.alpha_c.values, fresh.alpha_c.values)
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(ValueError, match="other goals"):
        sweeps.run_sweep(out, GOALS[:3], SETTINGS, progress=False)


def test_bad_goals_fail_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        sweeps.run_sweep(tmp_path / "x.nc", np.zeros((3, 4)), SETTINGS, progress=False)
    with pytest.raises(ValueError):
        sweeps.run_sweep(tmp_path / "x.nc", [[0, 0, np.nan, 0, 0]], SETTINGS, progress=False)
    assert not (tmp_path / "x.nc").exists()


@pytest.mark.parametrize("sampler", ["tpe", "cmaes"])
def test_optimisation_is_persisted_and_resumes(tmp_path, sampler):
    pytest.importorskip("optuna")
    spec = SweepSettings(
        n_neurons=12, seeds=(0,), alphas=(0.5, 1.0, 1.5), training=Training(epochs=20)
    )
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = sweeps.optimise_goal(3, spec, sampler=sampler, storage=storage, seed=1)
    assert len(study.trials) == 3
    again = sweeps.optimise_goal(5, spec, sampler=sampler, storage=storage, seed=1)
    assert len(again.trials) == 5  # two new trials, the first three kept
    assert set(again.best_params) == set(sweeps.ATOMS)
    best = again.best_trial
    assert best.value == float(np.median(best.user_attrs["alpha_c"]))
    other = SweepSettings(
        n_neurons=12, seeds=(0,), alphas=(0.5, 1.0, 1.5), training=Training(epochs=21)
    )
    with pytest.raises(ValueError, match="other settings"):
        sweeps.optimise_goal(6, other, sampler=sampler, storage=storage, seed=1)
    with pytest.raises(ValueError, match="unknown sampler"):
        sweeps.optimise_goal(1, spec, sampler="grid", storage=None)


def test_associative_sweep_recalls_from_each_seeds_own_corrupted_cues():
    # the capacity of a goal from cues with 3 of 24 bits flipped equals an independent loop:
    # train each load, corrupt each network's patterns from its own seed, recall, a_cos
    alphas = (0.1, 0.2, 0.3, 0.4)
    spec = SweepSettings(
        n_neurons=24, seeds=(3, 5), alphas=alphas, training=Training(epochs=60),
        stop_after=5, recall_flips=0.125,
    )  # fmt: skip
    got = sweeps.goal_capacity("redundancy", spec)
    ms = hf.loads_to_patterns(np.array(alphas), 24)
    bank = hf.pattern_bank([3, 5], int(ms.max()), 24, dtype="float32")
    init = np.stack([im.initial_weights(24, s, dtype="float32") for s in (3, 5)])
    expected = np.zeros(2)
    for m in ms:
        res = im.train(bank[:, :m], "redundancy", epochs=60, initial=init)
        for k, s in enumerate((3, 5)):
            cue = hf.corrupt(bank[k, :m], 3, seed=[sweeps.CUE_TAG, int(m), s])
            end = hf.recall(res.weights[k], cue).states
            a_cos, _ = hf.accuracy(end, bank[k, :m])
            if float(a_cos) >= hf.THETA:
                expected[k] = m / 24
    assert (expected > 0).all()  # some loads are stored from the corrupted cues
    np.testing.assert_allclose(got, expected)
    clean = sweeps.goal_capacity("redundancy", replace(spec, recall_flips=0.0))
    assert (clean > got).all()  # and fewer than from clean cues
    assert json.loads(spec.to_json())["recall_flips"] == 0.125
    assert "recall_flips" not in json.loads(replace(spec, recall_flips=0.0).to_json())
    with pytest.raises(ValueError, match="recall_flips"):
        SweepSettings(recall_flips=1.5)


def test_optimisation_can_search_the_training_noise_too(tmp_path):
    pytest.importorskip("optuna")
    spec = SweepSettings(
        n_neurons=12, seeds=(0,), alphas=(0.3, 0.6), training=Training(epochs=20),
        recall_flips=0.1,
    )  # fmt: skip
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = sweeps.optimise_goal(
        3, spec, storage=storage, seed=2, train_flips=(0.05, 0.3), start=[("redundancy", 0.1)]
    )
    assert study.trials[0].params == {**dict.fromkeys(sweeps.ATOMS, 0.0), "red": 1.0,
                                      "train_flips": 0.1}  # fmt: skip
    for t in study.trials:
        assert 0.05 <= t.params["train_flips"] <= 0.3
        assert set(t.params) == {*sweeps.ATOMS, "train_flips"}
    with pytest.raises(ValueError, match="training noise"):
        sweeps.optimise_goal(4, spec, storage=storage, seed=2)
    with pytest.raises(ValueError, match="train_flips"):
        sweeps.optimise_goal(1, spec, storage=None, train_flips=(0.3, 0.1))
    noisy = replace(spec, training=Training(epochs=20, cue_flips=0.1))
    with pytest.raises(ValueError, match="not both"):
        sweeps.optimise_goal(1, noisy, storage=None, train_flips=(0.0, 0.2))
    with pytest.raises(ValueError, match="flips no bit"):
        SweepSettings(n_neurons=12, recall_flips=0.03)


# ----------------------------------------------------------------- capacity curves


def small_run(path, **kwargs):
    return run_capacity(
        path, "redundancy", 20, 2, [0.5, 1.0, 1.5], epochs=30, progress=False, **kwargs
    )


def test_run_resumes_without_recomputing_and_never_corrupts(tmp_path):
    out = tmp_path / "run.nc"
    seen = []

    class Stop(Exception):
        pass

    def interrupt_after_first(alpha):
        seen.append(alpha)
        if len(seen) == 1:
            raise Stop

    with pytest.raises(Stop):
        small_run(out, on_load_done=interrupt_after_first)
    partial = load_results(out)  # readable after the interruption
    assert partial.done.values.tolist() == [1, 0, 0]
    computed = []
    full = small_run(out, on_load_done=computed.append)
    assert computed == [1.0, 1.5]
    history = json.loads(full.attrs["provenance"])  # one entry per invocation that added loads
    assert len(history) == 2 and {"command", "commit", "machine", "utc"} <= set(history[0])
    np.testing.assert_array_equal(full.a_cos.sel(alpha=0.5), partial.a_cos.sel(alpha=0.5))
    fresh = small_run(tmp_path / "fresh.nc")
    np.testing.assert_array_equal(full.a_cos.values, fresh.a_cos.values)
    with pytest.raises(ValueError, match="other settings"):
        run_capacity(out, "redundancy", 20, 2, [0.5], epochs=31, progress=False)
    assert not list(tmp_path.glob(".*.tmp"))


# ----------------------------------------------------------------- baselines and ceiling


def small_baselines(path, **kwargs):

    return run_baselines(
        path, ["hebbian", "krauth_mezard"], 24, 3, [0.1, 0.5, 1.0], progress=False, **kwargs
    )


def test_baseline_run_agrees_with_the_scan_and_resumes(tmp_path):

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

    with pytest.raises(ValueError, match="unknown learning rule"):
        run_baselines(tmp_path / "x.nc", ["nonsense"], 24, 3, [0.1], progress=False)
    assert not (tmp_path / "x.nc").exists()


def test_baseline_run_on_correlated_patterns_skips_loads_past_every_networks_edge(tmp_path):
    alphas = [0.1, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    args = (["hebbian", "lp_optimum"], 20, 3, alphas)
    opts = {"flips": (0.0, 0.1), "markov": 0.8, "progress": False}
    full = run_baselines(tmp_path / "full.nc", *args, **opts)
    trained = []
    short = run_baselines(tmp_path / "short.nc", *args, **opts, stop_after=2,
                          on_load_done=lambda r, a: trained.append((r, a)))  # fmt: skip
    clean = full.a_cos.sel(flip=0.0)
    for rule in ("hebbian", "lp_optimum"):
        fails = (clean.sel(rule=rule) < hf.THETA).all("seed").values
        # the first load after two loads in a row where every network failed
        edge = next(i + 2 for i in range(len(alphas) - 2) if fails[i] and fails[i + 1])
        assert [a for r, a in trained if r == rule] == alphas[:edge]
        assert (short.seconds.sel(rule=rule).values[edge:] == 0).all()
        assert short.a_cos.sel(rule=rule).isel(alpha=slice(edge, None)).isnull().all()
        np.testing.assert_array_equal(
            short.a_cos.sel(rule=rule).isel(alpha=slice(0, edge)).values,
            full.a_cos.sel(rule=rule).isel(alpha=slice(0, edge)).values,
        )
    # the capacity is the same: the skipped loads were failures anyway
    np.testing.assert_array_equal(
        capacity_from_scan(baseline_scan(short)).values,
        capacity_from_scan(baseline_scan(full)).values,
    )
    # the patterns are the Markov chains of the seeds, and the setting is recorded
    direct = hf.capacity_scan(["hebbian"], 20, alphas, 3, markov=0.8, dtype=np.float64)
    np.testing.assert_allclose(
        baseline_scan(full).a_cos.sel(rule="hebbian").values, direct.a_cos.values[0]
    )
    assert json.loads(full.attrs["settings"])["markov"] == 0.8
    assert "markov" not in json.loads(small_baselines(tmp_path / "iid.nc").attrs["settings"])
    with pytest.raises(ValueError, match="other settings"):
        run_baselines(tmp_path / "short.nc", *args, **opts)
    with pytest.raises(ValueError, match="flip fraction 0"):
        run_baselines(tmp_path / "x.nc", *args, flips=(0.1,), stop_after=2, progress=False)

    # interrupted and resumed, the run skips the same loads and trains none twice
    class Stop(Exception):
        pass

    first = []

    def stop_in_lp(rule, alpha):
        first.append((rule, alpha))
        if rule == "lp_optimum" and alpha == 1.0:
            raise Stop

    resumed = tmp_path / "resumed.nc"
    with pytest.raises(Stop):
        run_baselines(resumed, *args, **opts, stop_after=2, on_load_done=stop_in_lp)
    rest = []
    again = run_baselines(resumed, *args, **opts, stop_after=2,
                          on_load_done=lambda r, a: rest.append((r, a)))  # fmt: skip
    assert set(first).isdisjoint(rest) and sorted(first + rest) == sorted(trained)
    np.testing.assert_array_equal(again.a_cos.values, short.a_cos.values)
    np.testing.assert_array_equal(again.done.values, short.done.values)


def test_baseline_runs_split_over_loads_merge_into_the_single_run(tmp_path):

    def run(path, alphas):
        return run_baselines(path, ["hebbian", "pseudo_inverse"], 20, 2, alphas, progress=False)

    whole = run(tmp_path / "whole.nc", [0.1, 0.3, 0.5, 0.7])
    run(tmp_path / "low.nc", [0.1, 0.3, 0.5, 0.7])  # the target grid, interrupted below
    low = load_results(tmp_path / "low.nc").load()
    low["done"].loc[{"alpha": [0.5, 0.7]}] = 0  # as if stopped after the first two loads
    low["a_cos"].loc[{"alpha": [0.5, 0.7]}] = np.nan

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

    def run(path, rules, alphas=(0.1, 0.5), **kw):
        return run_baselines(path, rules, 20, 2, list(alphas), progress=False, **kw)

    whole = run(tmp_path / "whole.nc", ["hebbian", "storkey", "pseudo_inverse"])
    run(tmp_path / "a.nc", ["hebbian", "storkey"])
    b = run(tmp_path / "b.nc", ["storkey"], alphas=(0.5,))
    b_val = float(b.a_cos.sel(rule="storkey", alpha=0.5, flip=0.0, seed=0))
    # mark b's entry so that taking it (rather than a's or a recomputation) is visible

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


def test_fixed_point_ceiling_run_resumes_and_matches_the_direct_computation(tmp_path):

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
    partial = finished_ceilings([out, tmp_path / "absent.nc"])  # finished networks only
    assert sorted(partial) == sorted(seen)
    again = []
    ds = run_fixed_point_ceiling(
        out, [12, 20], 2, progress=False, on_network_done=lambda n, s: again.append((n, s))
    )
    assert again == [(20, 1)]
    for n in (12, 20):
        direct = rules.fixed_point_capacity(hf.pattern_bank([0, 1], int(np.ceil(2.4 * n)), n))
        np.testing.assert_array_equal(ds.capacity.sel(n_neurons=n).values, direct)
    np.testing.assert_allclose(ds.alpha_c.values, ds.capacity.values / [[12], [20]])
    assert finished_ceilings([out]) == {
        (n, s): int(ds.capacity.sel(n_neurons=n, seed=s)) for n in (12, 20) for s in (0, 1)
    }
    with pytest.raises(ValueError, match="other settings"):
        run_fixed_point_ceiling(out, [12], 2, max_load=2.0, progress=False)
    # correlated patterns: the banks are the seeds' Markov chains
    corr = run_fixed_point_ceiling(tmp_path / "corr.nc", [20], 2, markov=0.7, progress=False)
    bank = hf.pattern_bank([0, 1], 48, 20, markov=0.7)
    np.testing.assert_array_equal(corr.capacity.values[0], rules.fixed_point_capacity(bank))
    assert json.loads(corr.attrs["settings"])["markov"] == 0.7
    assert "markov" not in json.loads(ds.attrs["settings"])
    with pytest.raises(ValueError, match="other settings"):
        run_fixed_point_ceiling(tmp_path / "corr.nc", [20], 2, progress=False)
    with pytest.raises(ValueError, match="sizes"):
        run_fixed_point_ceiling(tmp_path / "x.nc", [1], 2, progress=False)


# ----------------------------------------------------------------- settings and store


def test_settings_name_the_setting_that_differs():
    from infobook.experiments import capacity_settings

    a = capacity_settings("redundancy", 20, 2, epochs=30)
    assert a.difference(a.record()) is None and a.difference(a.to_json()) is None
    b = capacity_settings("redundancy", 20, 2, epochs=31)
    assert b.difference(a.record()) == "setting 'epochs' is 30 in the file but 31 in this run"
    c = capacity_settings("redundancy", 20, 2, epochs=30, betas=(0.8, 0.999))
    assert "'betas' is nothing in the file" in c.difference(a.record())
    # the kernel and the memory budget train the same networks: not part of the settings
    assert capacity_settings("redundancy", 20, 2, epochs=30, kernel="array").record() == (
        a.record()
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda p: run_capacity(p, seeds=0, progress=False), "seeds must be >= 1"),
        (lambda p: run_capacity(p, n_neurons=1, progress=False), "n_neurons"),
        (lambda p: run_capacity(p, alphas=[], progress=False), "empty"),
        (lambda p: run_capacity(p, alphas=[0.5, 0.2], progress=False), "ascending"),
        (lambda p: run_capacity(p, goal="nope", progress=False), "unknown goal"),
        (lambda p: run_capacity(p, lr=0, progress=False), "learning rate"),
        (lambda p: run_capacity(p.with_suffix(".csv"), progress=False), r"\.nc"),
        (lambda p: run_capacity(p, backend="gpu", progress=False), "back end"),
        (lambda p: run_baselines(p, [], progress=False), "no rules"),
        (lambda p: run_baselines(p, ["hebbian"], flips=[1.5], progress=False), r"\[0, 1\]"),
        (lambda p: run_fixed_point_ceiling(p, [], progress=False), "sizes"),
        (lambda p: run_fixed_point_ceiling(p, [10], max_load=0, progress=False), "max_load"),
        (lambda p: sweeps.run_sweep(p, [], SETTINGS, progress=False), "K >= 1"),
        (lambda p: sweeps.optimise_goal(0, SETTINGS, storage=None), "trials"),
    ],
)
def test_long_runs_refuse_bad_input_before_any_work(tmp_path, call, match):
    path = tmp_path / "run.nc"
    with pytest.raises((ValueError, TypeError), match=match):
        call(path)
    assert not path.exists()


def test_a_file_that_is_not_a_results_file_is_named(tmp_path):
    bad = tmp_path / "bad.nc"
    bad.write_text("hello")
    with pytest.raises(ValueError, match="not a results file"):
        load_results(bad)
    with pytest.raises(ValueError, match="not a results file"):
        run_capacity(bad, "redundancy", 8, 1, [0.5], epochs=2, progress=False)
    assert bad.read_text() == "hello"  # never overwritten


# ----------------------------------------------------------------- other PID measures


def test_measures_run_decomposes_the_trained_tables_and_resumes(tmp_path):
    pytest.importorskip("dit")
    from infobook.experiments import MeasureSettings, run_measures
    from infobook.neuron import forward
    from infobook.pid import pid_measure, sxpid

    settings = MeasureSettings(
        n_neurons=12, seeds=(0, 1), alphas=(0.5, 1.5), analysed=2, measures=("sx", "MMI"),
        training=Training(epochs=40),
    )  # fmt: skip
    calls = []

    def stop_after_one(alpha):
        calls.append(alpha)
        if len(calls) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_measures(tmp_path / "m.nc", settings, progress=False, on_load_done=stop_after_one)
    assert int(load_results(tmp_path / "m.nc").done.sum()) == 1
    ds = run_measures(tmp_path / "m.nc", settings, progress=False)
    assert int(ds.done.sum()) == 2
    # load 1.5, seed 1, recomputed directly
    bank = hf.pattern_bank([0, 1], 18, 12, dtype="float32")
    init = np.stack([im.initial_weights(12, s, dtype="float32") for s in (0, 1)])
    res = im.train(bank, "redundancy", epochs=40, initial=init)
    tables = forward(res.weights, bank, Training().model)["pmf"][1, :2].astype(float)
    tables /= tables.sum(axis=(-3, -2, -1), keepdims=True)
    sx, mmi = sxpid(tables), pid_measure(tables, "MMI")
    got = ds.bits.sel(alpha=1.5, seed=1)
    np.testing.assert_allclose(got.sel(measure="sx", atom="red"), sx.red, atol=1e-9)
    np.testing.assert_allclose(got.sel(measure="MMI", atom="red"), mmi.red, atol=1e-9)
    np.testing.assert_allclose(got.sel(measure="MMI", atom="unq_T"), mmi.unq1, atol=1e-9)
    # every measure splits the same mutual information I(Y:T) = red + unq_T
    i_yt = got.sel(atom="red") + got.sel(atom="unq_T")
    np.testing.assert_allclose(i_yt.sel(measure="sx"), i_yt.sel(measure="MMI"), atol=1e-9)
    with pytest.raises(ValueError, match="other settings"):
        run_measures(tmp_path / "m.nc", replace(settings, analysed=1), progress=False)
