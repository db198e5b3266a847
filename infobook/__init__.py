"""infobook: the library behind the research book on redundancy maximisation in associative memory.

Every kernel of the book lives here; the chapters import it. Importing this package never imports
CuPy (see :mod:`infobook.backend`).
"""

from .backend import (
    Backend,
    BackendUnavailableError,
    array_namespace,
    get_backend,
    to_numpy,
    tune_allocator,
)
from .distributions import CATALOGUE, canonical, gate_mixture, random_pmf
from .pid import (
    GOAL_ATOMS,
    NAMED_GOALS,
    Atoms,
    Goal,
    goal_vector,
    pid_goal,
    pid_goal_gradient,
    sxpid,
    sxpid_parts,
    sxpid_pointwise,
    validate_pmf,
)

__version__ = "0.1.0"

__all__ = [
    "Atoms",
    "Backend",
    "BackendUnavailableError",
    "CATALOGUE",
    "GOAL_ATOMS",
    "Goal",
    "NAMED_GOALS",
    "array_namespace",
    "canonical",
    "gate_mixture",
    "get_backend",
    "goal_vector",
    "pid_goal",
    "pid_goal_gradient",
    "random_pmf",
    "sxpid",
    "sxpid_parts",
    "sxpid_pointwise",
    "to_numpy",
    "tune_allocator",
    "validate_pmf",
]
