"""A catalogue of canonical two-source distributions, shared by the tests and the chapters.

Introduced in the chapter :ref:`ch-pid`. Every pmf has shape ``(n_s1, n_s2, n_target)``
(target last), the layout that :func:`infobook.pid.sxpid` takes. The sources are uniform unless
said otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def pmf_from_function(
    f: Callable[[int, int], int | tuple[int, ...]], n_s1: int = 2, n_s2: int = 2
) -> np.ndarray:
    """The pmf of ``y = f(s1, s2)`` with independent uniform sources.

    ``f`` may return a tuple (the target is then the pair, relabelled to 0, 1, ...).
    """
    outcomes = [(a, b, f(a, b)) for a in range(n_s1) for b in range(n_s2)]
    labels = sorted({o[2] for o in outcomes}, key=repr)
    index = {lab: k for k, lab in enumerate(labels)}
    p = np.zeros((n_s1, n_s2, len(labels)))
    for a, b, y in outcomes:
        p[a, b, index[y]] += 1.0 / (n_s1 * n_s2)
    return p


def _rdn() -> np.ndarray:
    # s1 = s2 = y, one fair bit copied three times
    p = np.zeros((2, 2, 2))
    p[0, 0, 0] = p[1, 1, 1] = 0.5
    return p


#: name -> (constructor, one-line description)
CATALOGUE: dict[str, tuple[Callable[[], np.ndarray], str]] = {
    "XOR": (lambda: pmf_from_function(lambda a, b: a ^ b), "y = s1 xor s2"),
    "AND": (lambda: pmf_from_function(lambda a, b: a & b), "y = s1 and s2"),
    "OR": (lambda: pmf_from_function(lambda a, b: a | b), "y = s1 or s2"),
    "COPY": (lambda: pmf_from_function(lambda a, b: (a, b)), "y = (s1, s2), four outcomes"),
    "RDN": (_rdn, "s1 = s2 = y, one fair bit"),
    "UNQ": (lambda: pmf_from_function(lambda a, b: a), "y = s1, s2 independent noise"),
    "SUM": (lambda: pmf_from_function(lambda a, b: a + b), "y = s1 + s2 in {0, 1, 2}"),
    "NAND": (lambda: pmf_from_function(lambda a, b: 1 - (a & b)), "y = not (s1 and s2)"),
    "SUM3": (lambda: pmf_from_function(lambda a, b: (a + b) % 3, 3, 3), "y = s1 + s2 mod 3"),
}


def canonical(name: str) -> np.ndarray:
    """The pmf of a canonical gate by name (see :data:`CATALOGUE`), case-insensitive."""
    key = name.strip().upper()
    if key not in CATALOGUE:
        raise ValueError(f"unknown distribution {name!r}; choose one of {sorted(CATALOGUE)}")
    return CATALOGUE[key][0]()


def random_pmf(
    shape: tuple[int, ...], seed: int | np.random.Generator = 0, *, zeros: float = 0.0
) -> np.ndarray:
    """Random pmfs of shape ``(..., n_s1, n_s2, n_target)``, Dirichlet(1) over the last three axes.

    Parameters
    ----------
    shape : tuple
        At least three axes; leading axes are a batch of independent pmfs.
    seed : int or Generator
        Seed of the random draws.
    zeros : float
        Fraction of cells set exactly to zero before normalising (at least one cell is kept).
    """
    if len(shape) < 3 or min(shape) < 1:
        raise ValueError(f"shape needs at least three non-empty axes, got {shape}")
    if not 0.0 <= zeros < 1.0:
        raise ValueError(f"zeros must be a fraction in [0, 1), got {zeros}")
    rng = np.random.default_rng(seed)
    p = rng.exponential(size=shape)
    if zeros > 0:
        drop = rng.random(shape) < zeros
        flat = drop.reshape(-1, int(np.prod(shape[-3:])))
        flat[:, 0] &= ~flat.all(axis=1)  # keep one cell per pmf
        p = np.where(flat.reshape(shape), 0.0, p)
    return p / p.sum(axis=(-3, -2, -1), keepdims=True)


def gate_mixture(weights: dict[str, float] | Any, noise: float = 0.0) -> np.ndarray:
    """A convex mixture of binary gates, smoothed towards the uniform pmf.

    ``weights`` maps names of 2x2x2 gates (RDN, UNQ, XOR, AND, OR, NAND) to non-negative
    weights; ``noise`` in [0, 1] mixes in the uniform distribution. The chapter's explorer sweeps
    this family, which runs from pure redundancy through pure unique information to pure synergy.
    """
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must lie in [0, 1], got {noise}")
    total = 0.0
    p = np.zeros((2, 2, 2))
    for name, w in dict(weights).items():
        q = canonical(name)
        if q.shape != (2, 2, 2):
            raise ValueError(f"{name} is not a binary gate with a binary target")
        if w < 0:
            raise ValueError(f"mixture weights must be >= 0, got {name}: {w}")
        p += w * q
        total += w
    if total <= 0:
        raise ValueError("at least one mixture weight must be positive")
    p /= total
    return (1.0 - noise) * p + noise / 8.0


def to_dit(p: np.ndarray) -> Any:
    """Convert a ``(n_s1, n_s2, n_target)`` pmf into a ``dit.Distribution`` over (s1, s2, y).

    Zero cells are left out; outcomes are tuples of integer labels. Needs the optional ``dit``.
    """
    import dit

    p = np.asarray(p, dtype=float)
    idx = np.argwhere(p > 0)
    outcomes = [tuple(int(v) for v in row) for row in idx]
    return dit.Distribution(outcomes, [float(p[tuple(row)]) for row in idx])
