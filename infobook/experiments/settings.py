"""What defines a run: the one settings type of every resumable run, parsed once at the entry.

Introduced in the chapter :ref:`ch-infomorphic`. A :class:`RunSettings` is made (and validated)
by the public entry point of a run from the user's values and travels down as that object. It
is recorded in the run's results file as JSON (:meth:`RunSettings.record`); a run that resumes a
file must have the same settings, and :meth:`RunSettings.difference` names the first setting
that differs. One subclass per kind of run, each a frozen dataclass:

* :class:`CapacitySettings`: a capacity curve of one goal
  (:func:`~infobook.experiments.capacity.run_capacity`);
* :class:`SweepSettings`: the capacity of many goals
  (:func:`~infobook.experiments.sweeps.run_sweep`,
  :func:`~infobook.experiments.sweeps.optimise_goal`);
* :class:`BaselineSettings`: the baseline rules with clean and noisy cues
  (:func:`~infobook.experiments.baselines.run_baselines`);
* :class:`CeilingSettings`: the exact fixed-point capacity against N
  (:func:`~infobook.experiments.ceiling.run_fixed_point_ceiling`).

The two infomorphic kinds hold the training recipe :class:`infobook.infomorphic.Training`
(defined once, there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from ..hopfield import parse_alphas, parse_seeds, published_alphas
from ..infomorphic import Training
from ..layer import LayerSettings
from ..pid import OTHER_MEASURES, Goal

__all__ = [
    "BaselineSettings", "CapacitySettings", "CeilingSettings", "RunSettings", "SweepSettings",
    "parse_alphas", "parse_seeds",
]  # fmt: skip

#: How a capacity run visits the load grid (see :class:`CapacitySettings`).
SEARCHES = ("scan", "bisect")
#: Fractions of flipped cue bits recalled by the baseline runs (0 is the clean cue).
FLIP_FRACTIONS = tuple(float(f) for f in np.round(np.arange(0, 0.51, 0.02), 2))


def _training(value: Any) -> Training:
    if not isinstance(value, Training):
        raise TypeError(
            f"training must be an infobook.infomorphic.Training, got {type(value).__name__}"
        )
    return value


#: The fields of :class:`Training` recorded in every results file (others only when they differ
#: from their defaults, so that files written before they existed still match).
RECORDED_TRAINING = ("epochs", "lr", "w_teach", "bins_r", "binning", "dtype")
_MISSING = object()


def _size(name: str, value: Any, minimum: int = 2) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _markov(value: Any) -> float | None:
    """The correlation ``p`` of Markov-chain patterns (None: independent bits), checked."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValueError(f"markov must be a probability or None, got {value!r}")
    p = float(value)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"markov is the probability that neighbouring bits agree, in [0, 1], "
                         f"got {p}")  # fmt: skip
    return p


def record_difference(
    first: Mapping[str, Any] | str,
    second: Mapping[str, Any] | str,
    where_first: str = "in one,",
    where_second: str = "in the other",
) -> str | None:
    """None when two settings records (or their JSON) are equal, else a sentence naming the
    first setting, in sorted order, whose values differ, and both values."""
    a = json.loads(first) if isinstance(first, str) else first
    b = json.loads(second) if isinstance(second, str) else second
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, _MISSING), b.get(key, _MISSING)
        if x != y:
            shown_x = "nothing" if x is _MISSING else repr(x)
            shown_y = "nothing" if y is _MISSING else repr(y)
            return f"setting {key!r} is {shown_x} {where_first} {shown_y} {where_second}"
    return None


@dataclass(frozen=True)
class RunSettings:
    """Base of the settings of every run: recorded, compared and named the same way."""

    kind: ClassVar[str] = "run"

    def record(self) -> dict[str, Any]:
        """The settings as stored in a results file (JSON-compatible)."""
        raise NotImplementedError

    def to_json(self) -> str:
        """:meth:`record` as the JSON text of a results file's ``settings`` attribute."""
        return json.dumps(self.record(), sort_keys=True)

    def difference(self, stored: Mapping[str, Any] | str) -> str | None:
        """None when ``stored`` (a record or its JSON) equals these settings, else a sentence
        naming the first setting that differs and both of its values."""
        return record_difference(stored, self.record(), "in the file but", "in this run")


def _training_record(training: Training) -> dict[str, Any]:
    record = {k: getattr(training, k) for k in RECORDED_TRAINING}
    default = Training()
    for f in fields(Training):
        if f.name in RECORDED_TRAINING or f.name in ("kernel", "max_memory"):
            continue  # the kernel and the memory budget train the same networks
        value = getattr(training, f.name)
        if f.name == "soft_gradient" and training.binning != "soft":
            continue  # used by soft binning only
        if value != getattr(default, f.name):
            record[f.name] = list(value) if isinstance(value, tuple) else value
    return record


@dataclass(frozen=True)
class CapacitySettings(RunSettings):
    """A capacity curve of one goal: networks of ``n_neurons``, one per seed, trained with
    ``training`` at every load."""

    kind: ClassVar[str] = "capacity"
    goal: Goal = field(default_factory=lambda: Goal.parse("redundancy"))
    n_neurons: int = 100
    seeds: tuple[int, ...] = tuple(range(20))
    training: Training = field(default_factory=Training)
    #: ``"scan"``: every load of the grid, all seeds at once; ``"bisect"``: each seed's edge
    #: by bisection on the grid (see :func:`~infobook.experiments.capacity.next_probe`).
    search: str = "scan"

    def __post_init__(self) -> None:
        _training(self.training)
        if self.search not in SEARCHES:
            raise ValueError(f"unknown search {self.search!r}; choose one of {', '.join(SEARCHES)}")
        object.__setattr__(self, "goal", Goal.parse(self.goal))
        object.__setattr__(self, "n_neurons", _size("n_neurons", self.n_neurons))
        object.__setattr__(self, "seeds", parse_seeds(self.seeds))

    def record(self) -> dict[str, Any]:
        return {
            "goal": self.goal.name,
            "goal_vector": list(self.goal.weights),
            "n_neurons": self.n_neurons,
            "seeds": list(self.seeds),
            **_training_record(self.training),
            **({} if self.search == "scan" else {"search": self.search}),
        }


@dataclass(frozen=True)
class SweepSettings(RunSettings):
    """How the capacity of each goal of a sweep is measured (the book's protocol, at a chosen
    scale).

    Loads are visited in ascending order, all seeds trained at once at each load. The scan stops
    once every seed has failed ``stop_after`` loads in a row (later loads count as not stored:
    capacity curves fall steeply past their edge, and the published sweeps stopped at the first
    failure). ``alpha_c`` per seed is the largest stored load. With ``refine``, each seed's edge
    is then bisected to one pattern between its largest stored load and the next load.

    With ``search="bisect"`` the loads are not scanned: each seed's edge is found by bisection on
    the grid instead (:func:`~infobook.experiments.sweeps.goal_capacity` says how), and
    ``stop_after`` is not used.

    ``recall_flips`` > 0 measures the associative capacity instead: a load is stored when the
    networks recall their patterns from cues with ``round(recall_flips N)`` bits flipped
    (a_cos >= 0.95 against the patterns, the recurrent input and recall started at the cues;
    the training is unchanged, so with clean training its early stop still comes at perfect
    recall from the clean patterns, as in the baseline runs;
    network ``s``'s cues at M patterns from ``default_rng([CUE_TAG, M, s])``, with
    :data:`infobook.experiments.sweeps.CUE_TAG`).
    """

    kind: ClassVar[str] = "sweep"
    n_neurons: int = 100
    seeds: tuple[int, ...] = tuple(range(6))
    alphas: tuple[float, ...] = field(default_factory=lambda: tuple(published_alphas().tolist()))
    training: Training = field(default_factory=Training)
    stop_after: int = 2
    refine: bool = False
    search: str = "scan"
    recall_flips: float = 0.0

    def __post_init__(self) -> None:
        _training(self.training)
        flips = float(self.recall_flips)
        if not 0 <= flips < 1:
            raise ValueError(f"recall_flips is a fraction of the bits in [0, 1), got {flips}")
        if flips and round(flips * int(self.n_neurons)) == 0:
            raise ValueError(
                f"recall_flips {flips} flips no bit of {self.n_neurons} neurons; give at least "
                f"{0.5 / int(self.n_neurons):.3g}"
            )
        object.__setattr__(self, "recall_flips", flips)
        if self.search not in SEARCHES:
            raise ValueError(f"unknown search {self.search!r}; choose one of {', '.join(SEARCHES)}")
        object.__setattr__(self, "n_neurons", _size("n_neurons", self.n_neurons))
        object.__setattr__(self, "seeds", parse_seeds(self.seeds))
        alphas = tuple(float(a) for a in parse_alphas(self.alphas).tolist())
        object.__setattr__(self, "alphas", alphas)
        object.__setattr__(self, "stop_after", _size("stop_after", self.stop_after, 1))
        object.__setattr__(self, "refine", bool(self.refine))

    def record(self) -> dict[str, Any]:
        return {
            "n_neurons": self.n_neurons,
            "seeds": list(self.seeds),
            "alphas": list(self.alphas),
            **_training_record(self.training),
            "stop_after": self.stop_after,
            "refine": self.refine,
            **({} if self.search == "scan" else {"search": self.search}),
            **({"recall_flips": self.recall_flips} if self.recall_flips else {}),
        }


@dataclass(frozen=True)
class BaselineSettings(RunSettings):
    """The baseline rules, one network per seed and load, recalled from clean cues and cues
    with a fraction ``flips`` of their bits flipped (see
    :func:`~infobook.experiments.baselines.run_baselines`)."""

    kind: ClassVar[str] = "baselines"
    n_neurons: int = 100
    seeds: tuple[int, ...] = tuple(range(20))
    flips: tuple[float, ...] = FLIP_FRACTIONS
    look_ahead: int = 5
    mpf_steps: int = 40_000
    dtype: str = "float64"
    #: The patterns: None for independent fair bits, else the correlation ``p`` of the
    #: Markov-chain patterns of :func:`infobook.hopfield.markov_patterns`.
    markov: float | None = None
    #: None: every load of the grid is trained. K: once every network of a rule has failed
    #: (clean cue) at K loads in a row, its higher loads count as not stored, untrained.
    stop_after: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_neurons", _size("n_neurons", self.n_neurons))
        object.__setattr__(self, "seeds", parse_seeds(self.seeds))
        flips = [float(f) for f in np.round(np.asarray(self.flips, float).reshape(-1), 6)]
        if not flips or any(not 0 <= f <= 1 for f in flips):
            raise ValueError(f"flip fractions must lie in [0, 1], at least one, got {flips}")
        object.__setattr__(self, "flips", tuple(flips))
        object.__setattr__(self, "look_ahead", _size("look_ahead", self.look_ahead, 1))
        object.__setattr__(self, "mpf_steps", _size("mpf_steps", self.mpf_steps, 1))
        object.__setattr__(self, "dtype", Training(dtype=self.dtype).dtype)
        object.__setattr__(self, "markov", _markov(self.markov))
        if self.stop_after is not None:
            object.__setattr__(self, "stop_after", _size("stop_after", self.stop_after, 1))
            if 0.0 not in self.flips:
                raise ValueError("stop_after reads the clean cue: include the flip fraction 0")

    def record(self) -> dict[str, Any]:
        return {
            "n_neurons": self.n_neurons,
            "seeds": list(self.seeds),
            "flips": list(self.flips),
            "look_ahead": self.look_ahead,
            "mpf_steps": self.mpf_steps,
            "dtype": self.dtype,
            **({} if self.markov is None else {"markov": self.markov}),
            **({} if self.stop_after is None else {"stop_after": self.stop_after}),
        }


@dataclass(frozen=True)
class CeilingSettings(RunSettings):
    """The exact fixed-point capacity of one network per seed and size, each storing the first
    patterns of a bank of ``ceil(max_load N)``."""

    kind: ClassVar[str] = "ceiling"
    seeds: tuple[int, ...] = tuple(range(10))
    max_load: float = 2.4
    #: The patterns, as in :class:`BaselineSettings`: None for independent fair bits, else
    #: the correlation ``p`` of Markov-chain patterns.
    markov: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", parse_seeds(self.seeds))
        load = float(self.max_load)
        if not (np.isfinite(load) and load > 0):
            raise ValueError(f"max_load must be a positive load M/N, got {self.max_load}")
        object.__setattr__(self, "max_load", load)
        object.__setattr__(self, "markov", _markov(self.markov))

    def record(self) -> dict[str, Any]:
        return {
            "max_load": self.max_load,
            "seeds": list(self.seeds),
            **({} if self.markov is None else {"markov": self.markov}),
        }


@dataclass(frozen=True)
class MeasureSettings(RunSettings):
    """Networks trained on ``goal`` at every load of ``alphas`` (one per seed), whose first
    ``analysed`` neurons' binned tables are decomposed with each PID measure of ``measures``
    (see :func:`~infobook.experiments.measures.run_measures`)."""

    kind: ClassVar[str] = "measures"
    n_neurons: int = 100
    seeds: tuple[int, ...] = tuple(range(5))
    alphas: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.3, 1.5, 1.7, 1.9, 2.2, 2.6)
    analysed: int = 10
    measures: tuple[str, ...] = ("sx", "I_min", "MMI", "PM", "BROJA")
    goal: Goal = field(default_factory=lambda: Goal.parse("redundancy"))
    training: Training = field(default_factory=Training)

    def __post_init__(self) -> None:
        _training(self.training)
        object.__setattr__(self, "n_neurons", _size("n_neurons", self.n_neurons))
        object.__setattr__(self, "seeds", parse_seeds(self.seeds))
        alphas = tuple(float(a) for a in parse_alphas(self.alphas).tolist())
        object.__setattr__(self, "alphas", alphas)
        analysed = _size("the number of analysed neurons", self.analysed, 1)
        if analysed > self.n_neurons:
            raise ValueError(
                f"cannot analyse {analysed} neurons of networks of {self.n_neurons}; give at "
                f"most {self.n_neurons}"
            )
        object.__setattr__(self, "analysed", analysed)
        measures = tuple(str(m) for m in self.measures)
        unknown = [m for m in measures if m not in OTHER_MEASURES]
        if not measures or unknown or len(set(measures)) != len(measures):
            raise ValueError(
                f"measures must be distinct names of {', '.join(OTHER_MEASURES)}, got "
                f"{list(self.measures)}"
            )
        object.__setattr__(self, "measures", measures)
        object.__setattr__(self, "goal", Goal.parse(self.goal))

    def record(self) -> dict[str, Any]:
        return {
            "n_neurons": self.n_neurons,
            "seeds": list(self.seeds),
            "alphas": list(self.alphas),
            "analysed": self.analysed,
            "measures": list(self.measures),
            "goal": self.goal.name,
            "goal_vector": list(self.goal.weights),
            **_training_record(self.training),
        }


@dataclass(frozen=True)
class DenseSettings(RunSettings):
    """The capacity of 3-body networks: for every rule, size, cue corruption and seed, the
    largest number of patterns stored at a_cos >= 0.95 (see
    :func:`~infobook.experiments.dense.run_dense_capacity`); the infomorphic rule trained with
    ``goal`` and ``training``. The edge is found to a relative tolerance ``rel_tol``."""

    kind: ClassVar[str] = "dense"
    seeds: tuple[int, ...] = tuple(range(5))
    goal: Goal = field(default_factory=lambda: Goal.parse("redundancy"))
    training: Training = field(default_factory=Training)
    rel_tol: float = 0.02

    def __post_init__(self) -> None:
        t = _training(self.training)
        if t.optimizer != "adam" or t.learn_teach or t.cue_flips or t.recall != "deterministic":
            raise ValueError(
                "the 3-body neuron is trained with Adam, a frozen teaching weight and clean "
                "patterns, and recalled deterministically; leave optimizer, learn_teach, "
                "cue_flips and recall at their defaults"
            )
        object.__setattr__(self, "seeds", parse_seeds(self.seeds))
        object.__setattr__(self, "goal", Goal.parse(self.goal))
        tol = float(self.rel_tol)
        if not (np.isfinite(tol) and 0 <= tol < 1):
            raise ValueError(f"rel_tol must lie in [0, 1), got {self.rel_tol!r}")
        object.__setattr__(self, "rel_tol", tol)

    def record(self) -> dict[str, Any]:
        return {
            "seeds": list(self.seeds),
            "goal": self.goal.name,
            "goal_vector": list(self.goal.weights),
            **_training_record(self.training),
            "rel_tol": self.rel_tol,
        }


@dataclass(frozen=True)
class DigitsSettings(RunSettings):
    """The networks of the digits task (see :func:`~infobook.experiments.digits.run_digits`):
    sizes, seeds, the shared settings ``layer`` of every network (bins, modulation, steps),
    the optimised trivariate goal (atom name -> weight, or None before the search), and the
    fixed split of the data."""

    kind: ClassVar[str] = "digits"
    seeds: tuple[int, ...] = tuple(range(5))
    sizes: tuple[int, ...] = (20, 50, 100)
    layer: LayerSettings = field(default_factory=LayerSettings)
    goal: Mapping[str, float] | None = None
    test_fraction: float = 0.3
    split_seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.layer, LayerSettings):
            raise TypeError(f"layer must be a LayerSettings, got {type(self.layer).__name__}")
        object.__setattr__(self, "seeds", parse_seeds(self.seeds))
        sizes = tuple(_size("a hidden layer size", int(n), 1) for n in self.sizes)
        if not sizes or len(set(sizes)) != len(sizes):
            raise ValueError(f"sizes must be distinct positive integers, got {self.sizes!r}")
        object.__setattr__(self, "sizes", sizes)
        if self.goal is not None:
            LayerSettings(goal=self.goal)  # validates the atom names
            goal = {str(k): round(float(v), 6) for k, v in sorted(dict(self.goal).items())}
            object.__setattr__(self, "goal", goal)
        fraction = float(self.test_fraction)
        if not 0 < fraction < 1:
            raise ValueError(f"test_fraction must lie in (0, 1), got {self.test_fraction!r}")
        object.__setattr__(self, "test_fraction", fraction)
        object.__setattr__(self, "split_seed", _size("split_seed", self.split_seed, 0))

    def record(self) -> dict[str, Any]:
        layer = {
            f.name: (list(v) if isinstance(v := getattr(self.layer, f.name), tuple) else v)
            for f in fields(LayerSettings)
            if f.init and f.name not in ("variant", "n_hidden", "sources", "goal")
        }
        return {
            "seeds": list(self.seeds),
            "sizes": list(self.sizes),
            **layer,
            "goal": self.goal,
            "test_fraction": self.test_fraction,
            "split_seed": self.split_seed,
        }
