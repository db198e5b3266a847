"""Long runs outside notebooks, each resumable through one mechanism.

Introduced in the chapter :ref:`ch-infomorphic`. The subpackage owns what every long run shares:

* :mod:`~infobook.experiments.settings`: the settings type of every run (:class:`RunSettings`),
  parsed once at the entry point and recorded in the results file;
* :mod:`~infobook.experiments.store`: the results file (:class:`RunStore`): open or create,
  refuse other settings, copy, merge and reuse finished entries, provenance, atomic saves,
  progress;

and the runs built on them: capacity curves of one goal (:mod:`~infobook.experiments.capacity`),
the baseline rules (:mod:`~infobook.experiments.baselines`), the exact fixed-point ceiling
(:mod:`~infobook.experiments.ceiling`), sweeps over goals with Optuna optimisation
(:mod:`~infobook.experiments.sweeps`), the capacity of 3-body networks
(:mod:`~infobook.experiments.dense`), the digits networks with their goal search
(:mod:`~infobook.experiments.digits`) and trained neurons under several PID measures
(:mod:`~infobook.experiments.measures`). ``python -m infobook`` is their command line.
"""

from .baselines import (
    ALWAYS_RECALLED,
    BASELINE_RULES,
    FLIP_FRACTIONS,
    baseline_f_max,
    baseline_scan,
    capacity_summary,
    latest_baselines,
    merge_baselines,
    run_baselines,
)
from .capacity import (
    RESULT_VARS,
    capacity_curve,
    capacity_settings,
    run_capacity,
    stored_run_summary,
)
from .ceiling import finished_ceilings, load_ceiling, run_fixed_point_ceiling
from .measures import run_measures
from .settings import (
    BaselineSettings,
    CapacitySettings,
    CeilingSettings,
    MeasureSettings,
    RunSettings,
    SweepSettings,
    parse_alphas,
    parse_seeds,
)
from .store import RunStore, load_results, merge_results, provenance, save_atomic
from .sweeps import (
    ATOMS,
    GRID_VALUES,
    goal_capacity,
    goal_grid,
    goal_slice,
    optimise_goal,
    parse_goals,
    run_sweep,
    sweep_median,
)

__all__ = [
    "ALWAYS_RECALLED", "ATOMS", "BASELINE_RULES", "BaselineSettings", "CapacitySettings",
    "CeilingSettings", "FLIP_FRACTIONS", "GRID_VALUES", "MeasureSettings", "RESULT_VARS",
    "RunSettings", "RunStore", "SweepSettings", "baseline_f_max", "baseline_scan",
    "capacity_curve", "capacity_settings", "capacity_summary", "finished_ceilings",
    "goal_capacity", "goal_grid", "goal_slice", "latest_baselines", "load_ceiling",
    "load_results", "merge_baselines",
    "merge_results", "optimise_goal", "parse_alphas", "parse_goals", "parse_seeds", "provenance",
    "run_baselines", "run_capacity", "run_fixed_point_ceiling", "run_measures", "run_sweep",
    "save_atomic", "stored_run_summary", "sweep_median",
]  # fmt: skip
