"""Goal sweeps: the capacity of a goal, in-process and on a dask LocalCluster, kill and resume,
and the Optuna study."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from infobook import sweeps
from infobook.hopfield import capacity_from_scan
from infobook.runs import load_results, run_capacity

SPEC = sweeps.CapacitySpec(
    n_neurons=16, seeds=(0, 1), alphas=(0.5, 1.0, 1.5, 2.0), epochs=40, stop_after=99
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
        SPEC.alphas,
        epochs=40,
        progress=False,
    )
    expected = capacity_from_scan(ds).values
    np.testing.assert_array_equal(sweeps.goal_capacity("mutual_information", SPEC), expected)


def test_refinement_bisects_to_one_pattern():
    spec = sweeps.CapacitySpec(
        n_neurons=16, seeds=(0,), alphas=(0.5, 1.0, 1.5, 2.0), epochs=40, refine=True
    )
    coarse = sweeps.goal_capacity("redundancy", SPEC)[0]
    fine = sweeps.goal_capacity("redundancy", spec)[0]
    assert coarse <= fine < coarse + 0.5
    assert round(fine * 16) == fine * 16


def test_sweep_on_a_local_cluster_equals_the_in_process_sweep(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = sweeps.run_sweep(tmp_path / "local.nc", GOALS, SPEC, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        remote = sweeps.run_sweep(
            tmp_path / "remote.nc", GOALS, SPEC, client=client, progress=False
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
        from infobook import sweeps
        spec = sweeps.CapacitySpec(n_neurons=16, seeds=(0, 1), alphas=(0.5, 1.0, 1.5, 2.0),
                                   epochs=40, stop_after=99)
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
    resumed = sweeps.run_sweep(out, GOALS, SPEC, progress=False, on_goal_done=recomputed.append)
    assert recomputed == [2, 3, 4]
    fresh = sweeps.run_sweep(tmp_path / "fresh.nc", GOALS, SPEC, progress=False)
    np.testing.assert_array_equal(resumed.alpha_c.values, fresh.alpha_c.values)
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(ValueError, match="other settings or goals"):
        sweeps.run_sweep(out, GOALS[:3], SPEC, progress=False)


def test_bad_goals_fail_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="shape"):
        sweeps.run_sweep(tmp_path / "x.nc", np.zeros((3, 4)), SPEC, progress=False)
    with pytest.raises(ValueError):
        sweeps.run_sweep(tmp_path / "x.nc", [[0, 0, np.nan, 0, 0]], SPEC, progress=False)
    assert not (tmp_path / "x.nc").exists()


@pytest.mark.parametrize("sampler", ["tpe", "cmaes"])
def test_optimisation_is_persisted_and_resumes(tmp_path, sampler):
    pytest.importorskip("optuna")
    spec = sweeps.CapacitySpec(n_neurons=12, seeds=(0,), alphas=(0.5, 1.0, 1.5), epochs=20)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = sweeps.optimise_goal(3, spec, sampler=sampler, storage=storage, seed=1)
    assert len(study.trials) == 3
    again = sweeps.optimise_goal(5, spec, sampler=sampler, storage=storage, seed=1)
    assert len(again.trials) == 5  # two new trials, the first three kept
    assert set(again.best_params) == set(sweeps.ATOMS)
    best = again.best_trial
    assert best.value == float(np.median(best.user_attrs["alpha_c"]))
    other = sweeps.CapacitySpec(n_neurons=12, seeds=(0,), alphas=(0.5, 1.0, 1.5), epochs=21)
    with pytest.raises(ValueError, match="other settings"):
        sweeps.optimise_goal(6, other, sampler=sampler, storage=storage, seed=1)
    with pytest.raises(ValueError, match="unknown sampler"):
        sweeps.optimise_goal(1, spec, sampler="grid", storage=None)
