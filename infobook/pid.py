r"""Partial information decomposition with the shared-exclusion measure :math:`I^{sx}`, for two
sources (:func:`sxpid`) and three (:func:`sxpid3`).

Introduced in the chapter :ref:`ch-pid`. The measure is that of Makkeh, Gutknecht and Wibral
(2021), *Introducing a differentiable measure of pointwise shared information*, Phys. Rev. E 103,
032149, for two sources :math:`S_1, S_2` and a target :math:`Y`.

Every function takes a joint pmf ``p`` of shape ``(..., n_s1, n_s2, n_target)`` (target last) and
works over any leading batch axes, on NumPy or CuPy arrays alike (the module of ``p`` is used).
All values are in bits. Cells with ``p == 0`` contribute exactly nothing: no epsilon is added.

The pointwise redundancy of a realisation :math:`(s_1, s_2, y)` is

.. math::

    i^{sx}_\cap = \log_2 \frac{P(y \mid S_1 = s_1 \lor S_2 = s_2)}{p(y)}
               = \underbrace{-\log_2 P(s_1 \lor s_2)}_{i^+}
                 - \underbrace{\left(-\log_2 P(s_1 \lor s_2 \mid y)\right)}_{i^-},

with :math:`P(s_1 \lor s_2) = p(s_1) + p(s_2) - p(s_1, s_2)`. The other lattice nodes are local
mutual informations, and the atoms follow by Möbius inversion:
``red = I({1}{2})``, ``unq1 = I(Y:S1) - red``, ``unq2 = I(Y:S2) - red``,
``syn = I(Y:S1,S2) - I(Y:S1) - I(Y:S2) + red`` and ``res = H(Y | S1, S2)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import atoms as vocabulary
from .backend import array_namespace

LN2 = math.log(2.0)

#: Order of the atoms in a goal vector, as published: [unq_T, unq_R, red, syn, H_res]
#: with source 1 = the teaching input T and source 2 = the recurrent input R
#: (``infobook.atoms.GENERIC``).
GOAL_ATOMS: tuple[str, ...] = vocabulary.GENERIC

#: Named goals of the infomorphic chapters (weights in the order of :data:`GOAL_ATOMS`).
NAMED_GOALS: dict[str, tuple[float, float, float, float, float]] = {
    "redundancy": (0.0, 0.0, 1.0, 0.0, 0.0),
    "mutual_information": (1.0, 0.0, 1.0, 0.0, 0.0),  # I(Y:T) = unq_T + red
    "coinformation": (0.0, 0.0, 1.0, -1.0, 0.0),  # I(Y:T:R) = red - syn
    "optimized_i": (-0.27, -0.68, 0.68, -0.77, -0.80),
    "optimized_ii": (0.48, -0.16, 0.25, 0.04, -0.63),
}

NORMALISATION_TOL = 1e-4  # loose enough for finite-difference steps on raw entries


class Atoms(NamedTuple):
    """The five averaged quantities of a two-source decomposition, in bits.

    ``red + unq1 + unq2 + syn + res == H(Y)``. Each field has the batch shape of the input.
    """

    red: Any
    unq1: Any
    unq2: Any
    syn: Any
    res: Any

    def goal_vector_order(self) -> tuple[Any, Any, Any, Any, Any]:
        """The atoms in the published goal order ``[unq1, unq2, red, syn, res]``."""
        return (self.unq1, self.unq2, self.red, self.syn, self.res)


class LatticeAtoms(NamedTuple):
    """Four lattice atoms (no residual entropy), used for the informative and misinformative
    parts, which are each averaged separately and satisfy ``atoms = informative - misinformative``.
    """

    red: Any
    unq1: Any
    unq2: Any
    syn: Any


_ATOM_DOCS = {
    "red": "Redundancy: the information both sources carry about the target.",
    "unq1": "Unique information of source 1 (the teaching input T of a Hopfield neuron).",
    "unq2": "Unique information of source 2 (the recurrent input R of a Hopfield neuron).",
    "syn": "Synergy: the information only the two sources together carry.",
    "res": "Residual entropy H(Y | S1, S2): what neither source explains.",
}
for _name, _text in _ATOM_DOCS.items():
    getattr(Atoms, _name).__doc__ = _text
    if _name != "res":
        getattr(LatticeAtoms, _name).__doc__ = _text


class PointwiseSxPID(NamedTuple):
    """Pointwise (local) quantities, each of the shape of ``p`` (0 where ``p == 0``).

    ``atoms`` holds the local atoms ``red, unq1, unq2, syn`` and the local residual
    ``res = -log2 p(y | s1, s2)``; ``informative`` and ``misinformative`` the local parts
    :math:`i^+` and :math:`i^-` of the four lattice atoms, with ``atoms = informative -
    misinformative`` for each of them. Averaging any field with weights ``p`` gives the
    averaged quantity.
    """

    atoms: Atoms
    informative: LatticeAtoms
    misinformative: LatticeAtoms


PointwiseSxPID.atoms.__doc__ = "Local atoms and local residual, each of the shape of p."
PointwiseSxPID.informative.__doc__ = "Local informative parts i+ of the four lattice atoms."
PointwiseSxPID.misinformative.__doc__ = "Local misinformative parts i- of the four lattice atoms."


# --------------------------------------------------------------------------- validation


def validate_pmf(p: Any, *, tol: float = NORMALISATION_TOL, n_sources: int = 2) -> Any:
    """Check that ``p`` is a joint pmf of shape ``(..., n_s1, ..., n_target)`` with
    ``n_sources`` source axes (2, or 3 for :func:`sxpid3`).

    Returns ``p`` as a floating array of its own module. Raises :class:`ValueError` naming the
    problem: too few axes, an empty axis, NaN or infinite entries, negative entries, or a pmf
    whose entries do not sum to 1 within ``tol`` (per batch element), or entries that are not
    real numbers.
    """
    xp = array_namespace(p)
    try:
        p = xp.asarray(p)
    except (TypeError, ValueError):
        raise ValueError(
            f"the pmf must be an array of real numbers, got {type(p).__name__}"
        ) from None
    if p.dtype.kind not in "fiub":
        raise ValueError(f"the pmf must hold real numbers, got dtype {p.dtype}")
    if p.dtype.kind != "f":
        p = p.astype(xp.float64)
    k = n_sources + 1
    count = {3: "three", 4: "four"}.get(k, str(k))
    layout = ", ".join(f"n_s{i + 1}" for i in range(n_sources))
    if p.ndim < k:
        raise ValueError(
            f"the pmf must have at least {count} axes (..., {layout}, n_target), got shape "
            f"{tuple(p.shape)}; add singleton axes or reshape the joint distribution"
        )
    if min(p.shape[-k:]) < 1:
        raise ValueError(f"the pmf has an empty axis: shape {tuple(p.shape)}")
    if not bool(xp.all(xp.isfinite(p))):
        raise ValueError("the pmf contains NaN or infinite entries")
    if bool(xp.any(p < 0)):
        worst = float(p.min())
        raise ValueError(
            f"the pmf has negative entries (smallest {worst:.3g}); probabilities are >= 0"
        )
    totals = p.sum(axis=tuple(range(-k, 0)))
    err = xp.abs(totals - 1.0)
    if bool(xp.any(err > tol)):
        bad = float(err.max())
        raise ValueError(
            f"the pmf does not sum to 1 (largest deviation {bad:.3g} > tolerance {tol:g}); "
            f"divide by its sum over the last {k} axes"
        )
    return p


@dataclass(frozen=True)
class Goal:
    """A validated goal :math:`G = \\sum_k \\gamma_k \\, \\mathrm{atom}_k`.

    Made once at a public entry point by :meth:`parse` and passed down as it is: every function
    that takes a goal accepts a :class:`Goal` and uses it unchanged.

    Attributes
    ----------
    weights : tuple of 5 floats
        :math:`\\gamma` in the order of :data:`GOAL_ATOMS` ``[unq1, unq2, red, syn, res]``.
    name : str
        The name in :data:`NAMED_GOALS`, or ``"custom"`` for weights given as numbers.
    """

    weights: tuple[float, float, float, float, float]
    name: str = "custom"

    @classmethod
    def parse(cls, goal: Goal | str | Sequence[float] | Any) -> Goal:
        """A goal from a name of :data:`NAMED_GOALS`, five finite weights, or a :class:`Goal`
        (returned as it is).

        Raises
        ------
        ValueError
            For an unknown name, a vector that does not have five entries, or non-finite weights.
        """
        if isinstance(goal, Goal):
            return goal
        if isinstance(goal, str):
            key = goal.strip().lower()
            if key not in NAMED_GOALS:
                raise ValueError(
                    f"unknown goal {goal!r}; choose one of {sorted(NAMED_GOALS)} "
                    "or give five weights [unq_T, unq_R, red, syn, res]"
                )
            return cls(tuple(float(x) for x in NAMED_GOALS[key]), key)
        try:
            g = np.asarray(goal, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a goal must be a name or five numbers, got {goal!r}") from exc
        if g.shape != (5,):
            raise ValueError(
                "a goal vector needs exactly five weights [unq_T, unq_R, red, syn, res], "
                f"got shape {g.shape}"
            )
        if not np.all(np.isfinite(g)):
            raise ValueError(f"goal weights must be finite, got {g.tolist()}")
        return cls(tuple(float(x) for x in g))

    @property
    def vector(self) -> np.ndarray:
        """The weights as a float64 array."""
        return np.asarray(self.weights, dtype=np.float64)

    @property
    def label(self) -> str:
        """The name, or the weights ``unq_T,unq_R,red,syn,res`` of a custom goal."""
        if self.name != "custom":
            return self.name
        return ",".join(f"{w:g}" for w in self.weights)

    def node_weights(self) -> tuple[float, float, float, float, float]:
        """The goal as weights of the lattice nodes and the residual,
        ``(c_red, c_1, c_2, c_12, gamma_res)`` (see :func:`pid_goal_gradient`)."""
        g_unq1, g_unq2, g_red, g_syn, g_res = self.weights
        return (g_red - g_unq1 - g_unq2 + g_syn, g_unq1 - g_syn, g_unq2 - g_syn, g_syn, g_res)

    def of(self, atoms: Atoms) -> Any:
        """The value of the goal for decomposed ``atoms`` (any batch shape)."""
        values = atoms.goal_vector_order()
        return sum(w * a for w, a in zip(self.weights, values, strict=True))


def goal_vector(goal: Goal | str | Sequence[float] | Any) -> np.ndarray:
    """The weights ``[unq1, unq2, red, syn, res]`` of a goal
    (see :meth:`infobook.pid.Goal.parse`)."""
    return Goal.parse(goal).vector


# --------------------------------------------------------------------------- core


def _safe_log2(xp: Any, x: Any, mask: Any) -> Any:
    """log2(x) where ``mask``, exactly 0 elsewhere (no epsilon, no warnings)."""
    return xp.where(mask, xp.log2(xp.where(mask, x, 1.0)), 0.0)


class _Marginals(NamedTuple):
    p: Any
    mask: Any  # p > 0
    p12: Any  # p(s1, s2)       (..., 1, n1, n2)   (internal layout: target axis first)
    p1y: Any  # p(s1, y)        (..., ny, n1, 1)
    p2y: Any  # p(s2, y)        (..., ny, 1, n2)
    p1: Any  # p(s1)           (..., 1, n1, 1)
    p2: Any  # p(s2)           (..., 1, 1, n2)
    py: Any  # p(y)            (..., ny, 1, 1)
    union: Any  # P(s1 or s2)    (..., 1, n1, n2)
    union_y: Any  # P(s1 or s2, y) (..., ny, n1, n2)


def _sum_keep(xp: Any, x: Any, axis: int) -> Any:
    """``x.sum(axis, keepdims=True)`` for axis in (-3, -2, -1), as a product with a vector of
    ones: NumPy's reductions over short inner axes are an order of magnitude slower."""
    n = x.shape[axis]
    if n <= 4:  # a few slice additions
        index = [slice(None)] * x.ndim
        out = None
        for k in range(n):
            index[axis] = slice(k, k + 1)
            out = x[tuple(index)] if out is None else out + x[tuple(index)]
        return out
    ones = xp.ones(n, dtype=x.dtype)
    return xp.expand_dims(xp.moveaxis(x, axis, -1) @ ones, axis)


def _to_user(xp: Any, x: Any) -> Any:
    """Internal layout (..., ny, n1, n2) back to the user layout (..., n1, n2, ny)."""
    return xp.moveaxis(x, -3, -1)


def _marginals(xp: Any, p: Any) -> _Marginals:
    """Marginals of a pmf given in the user's layout (..., n_s1, n_s2, n_target).

    Internally the target axis is moved first, (..., n_target, n_s1, n_s2), so that NumPy's
    broadcast loops run over the long recurrent-bin axis instead of a target axis of length 2
    (several times faster); every field below is in that internal layout.
    """
    p = xp.ascontiguousarray(xp.moveaxis(p, -1, -3))
    p12 = _sum_keep(xp, p, -3)  # (..., 1, n1, n2)
    p1y = _sum_keep(xp, p, -1)  # (..., ny, n1, 1)
    p2y = _sum_keep(xp, p, -2)  # (..., ny, 1, n2)
    p1 = _sum_keep(xp, p12, -1)
    p2 = _sum_keep(xp, p12, -2)
    py = _sum_keep(xp, p1y, -2)
    union = p1 + p2 - p12
    union_y = p1y + p2y - p
    return _Marginals(p, p > 0, p12, p1y, p2y, p1, p2, py, union, union_y)


def _local_parts(xp: Any, m: _Marginals) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Local informative (i+) and misinformative (i-) parts of the four lattice nodes
    ({1}{2}, {1}, {2}, {12}), each of the shape of p and 0 where p == 0."""
    mask = m.mask
    plus = (
        -_safe_log2(xp, m.union, mask),
        -_safe_log2(xp, m.p1, mask),
        -_safe_log2(xp, m.p2, mask),
        -_safe_log2(xp, m.p12, mask),
    )
    # i- = -log2 P(event | y) = -log2 P(event, y) + log2 p(y)
    log_py = _safe_log2(xp, m.py, mask)
    minus = (
        -_safe_log2(xp, m.union_y, mask) + log_py,
        -_safe_log2(xp, m.p1y, mask) + log_py,
        -_safe_log2(xp, m.p2y, mask) + log_py,
        -_safe_log2(xp, m.p, mask) + log_py,
    )
    return plus, minus


def _mobius(nodes: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
    red, i1, i2, i12 = nodes
    return red, i1 - red, i2 - red, i12 - i1 - i2 + red


def _average(p: Any, local: Any) -> Any:
    return (p * local).sum(axis=(-3, -2, -1))


def _log2_pos(xp: Any, x: Any) -> Any:
    """log2(x) where x > 0 and exactly 0 where x == 0, on x's own shape."""
    # x + (x <= 0) is x where x > 0 and exactly 1 where x == 0: the same as a masked log, and an
    # order of magnitude faster than ``where`` on NumPy
    return xp.log2(x + (x <= 0))


def _sum3(x: Any) -> Any:
    return x.sum(axis=(-3, -2, -1))


class _NodeAverages(NamedTuple):
    """Averaged lattice nodes ({1}{2}, {1}, {2}, {12}) and residual entropy, in bits, plus the
    logarithms the gradient reuses."""

    red: Any
    i1: Any
    i2: Any
    i12: Any
    res: Any
    log_union_y: Any
    log_p: Any
    log_union: Any
    log_p12: Any
    log_p1y: Any
    log_p1: Any
    log_p2y: Any
    log_p2: Any
    log_py: Any


def _node_averages(xp: Any, m: _Marginals) -> _NodeAverages:
    """Node averages with full-size work only where it is unavoidable.

    Each average :math:`\\sum p \\log_2 f` whose ``f`` depends on a marginal only is taken over
    that marginal (``sum_y p(s1, s2, y) = p(s1, s2)`` and so on); only ``log2 P(s1 or s2, y)``
    and ``log2 p`` are evaluated at every cell.
    """
    log_union_y = _log2_pos(xp, m.union_y)
    log_p = _log2_pos(xp, m.p)
    log_union = _log2_pos(xp, m.union)
    log_p12 = _log2_pos(xp, m.p12)
    log_p1y, log_p1 = _log2_pos(xp, m.p1y), _log2_pos(xp, m.p1)
    log_p2y, log_p2 = _log2_pos(xp, m.p2y), _log2_pos(xp, m.p2)
    log_py = _log2_pos(xp, m.py)
    h_y = _sum3(m.py * log_py)  # -H(Y)
    sum_p_log_p = _sum3(m.p * log_p)
    sum_p12_log_p12 = _sum3(m.p12 * log_p12)
    red = _sum3(m.p * log_union_y) - _sum3(m.p12 * log_union) - h_y
    i1 = _sum3(m.p1y * log_p1y) - _sum3(m.p1 * log_p1) - h_y
    i2 = _sum3(m.p2y * log_p2y) - _sum3(m.p2 * log_p2) - h_y
    i12 = sum_p_log_p - sum_p12_log_p12 - h_y
    res = sum_p12_log_p12 - sum_p_log_p
    return _NodeAverages(
        red,
        i1,
        i2,
        i12,
        res,
        log_union_y,
        log_p,
        log_union,
        log_p12,
        log_p1y,
        log_p1,
        log_p2y,
        log_p2,
        log_py,
    )


def _prepare(p: Any, validate: bool) -> tuple[Any, Any]:
    xp = array_namespace(p)
    if validate:
        p = validate_pmf(p)
    else:
        p = xp.asarray(p)
        if p.dtype.kind != "f":
            p = p.astype(xp.float64)
    return xp, p


def sxpid(p: Any, *, validate: bool = True) -> Atoms:
    r"""Two-source :math:`I^{sx}` decomposition of the pmf ``p``, in bits.

    Parameters
    ----------
    p : array of shape (..., n_s1, n_s2, n_target)
        Joint pmf, target last, batched over any leading axes; NumPy or CuPy.
    validate : bool
        Check the input (see :func:`validate_pmf`). Switch off only in inner loops whose input is
        a pmf by construction.

    Returns
    -------
    Atoms
        ``red, unq1, unq2, syn, res``, each of the batch shape ``p.shape[:-3]``; ``res`` is
        :math:`H(Y \mid S_1, S_2)`.

    Examples
    --------
    >>> from infobook.distributions import canonical
    >>> round(float(sxpid(canonical("XOR")).red), 9)
    -0.584962501
    """
    xp, p = _prepare(p, validate)
    n = _node_averages(xp, _marginals(xp, p))
    red, unq1, unq2, syn = _mobius((n.red, n.i1, n.i2, n.i12))
    return Atoms(red, unq1, unq2, syn, n.res)


def sxpid_pointwise(p: Any, *, validate: bool = True) -> PointwiseSxPID:
    """Pointwise (local) :math:`I^{sx}` atoms and their informative / misinformative parts.

    Every field has the shape of ``p`` and is 0 where ``p == 0``. The ``p``-weighted sums over the
    last three axes give :func:`sxpid`'s atoms and :func:`sxpid_parts`' parts.
    """
    xp, p = _prepare(p, validate)
    m = _marginals(xp, p)
    plus, minus = _local_parts(xp, m)
    local = [a - b for a, b in zip(plus, minus, strict=True)]
    res = _safe_log2(xp, m.p12, m.mask) - _safe_log2(xp, m.p, m.mask)

    def user(atoms: Sequence[Any]) -> list[Any]:
        return [_to_user(xp, a) for a in atoms]

    return PointwiseSxPID(
        atoms=Atoms(*user([*_mobius(local), res])),
        informative=LatticeAtoms(*user(_mobius(plus))),
        misinformative=LatticeAtoms(*user(_mobius(minus))),
    )


def sxpid_parts(p: Any, *, validate: bool = True) -> tuple[LatticeAtoms, LatticeAtoms]:
    """Averaged informative and misinformative parts of the four lattice atoms.

    Returns ``(informative, misinformative)``; for every atom ``a``,
    ``a = informative.a - misinformative.a``.
    """
    xp, p = _prepare(p, validate)
    m = _marginals(xp, p)
    plus, minus = _local_parts(xp, m)
    inf = LatticeAtoms(*_mobius([_average(m.p, a) for a in plus]))
    mis = LatticeAtoms(*_mobius([_average(m.p, b) for b in minus]))
    return inf, mis


# --------------------------------------------------------------------------- goals and gradients


def pid_goal(p: Any, goal: Goal | str | Sequence[float], *, validate: bool = True) -> Any:
    """The goal :math:`G = \\sum_k \\gamma_k \\, \\mathrm{atom}_k` of the pmf ``p`` (batch shape).

    ``goal`` is a :class:`Goal`, a name from :data:`NAMED_GOALS` or five weights
    ``[unq1, unq2, red, syn, res]``.
    """
    return Goal.parse(goal).of(sxpid(p, validate=validate))


def pid_goal_gradient(
    p: Any,
    goal: Goal | str | Sequence[float],
    *,
    validate: bool = True,
    sources_constant: bool = False,
) -> tuple[Any, Any]:
    r"""The goal :math:`G(p)` and its exact gradient :math:`\partial G / \partial p`.

    The goal is written over the lattice nodes,
    :math:`G = c_\cap I_\cap + c_1 I(Y{:}S_1) + c_2 I(Y{:}S_2) + c_{12} I(Y{:}S_1,S_2)
    + \gamma_\mathrm{res} H(Y\mid S_1,S_2)` with :math:`c_\cap = \gamma_\mathrm{red}
    - \gamma_{\mathrm{unq}1} - \gamma_{\mathrm{unq}2} + \gamma_\mathrm{syn}`,
    :math:`c_k = \gamma_{\mathrm{unq}k} - \gamma_\mathrm{syn}`,
    :math:`c_{12} = \gamma_\mathrm{syn}`,
    and each node is differentiated analytically, treating every entry of ``p`` as an independent
    variable (marginals computed from ``p``). In nats, for a cell :math:`z = (a, b, c)`:

    * :math:`\partial I(Y{:}S_1,S_2) / \partial p_z = \ln \frac{p(a,b,c)}{p(a,b)\,p(c)} - 1`,
      and likewise for :math:`I(Y{:}S_1)`, :math:`I(Y{:}S_2)`;
    * :math:`\partial H(Y\mid S_1,S_2)/\partial p_z = -\ln p(c \mid a, b)`;
    * :math:`\partial I_\cap / \partial p_z = \ln \frac{V_z}{U_{ab}\,p(c)}
      + \sum_{s_2} r_{a s_2 c} + \sum_{s_1} r_{s_1 b c} - r_{abc}
      - \sum_{s_2} q_{a s_2} - \sum_{s_1} q_{s_1 b} + q_{ab} - 1`,
      with :math:`U = P(s_1 \lor s_2)`, :math:`V = P(s_1 \lor s_2, y)`, :math:`r = p / V` and
      :math:`q = p(s_1, s_2) / U`.

    The result is divided by :math:`\ln 2` (bits). With ``sources_constant`` the probabilities
    of the sources alone (:math:`p(s_1)`, :math:`p(s_2)`, :math:`p(s_1, s_2)`, :math:`U`) are
    held constant where they stand inside a logarithm, as the published soft-binning code
    does: the :math:`q` sums drop out (the other differences are constants, which vanish along
    every direction that keeps ``p`` normalised). Whenever the source marginal cannot move (as
    under fixed binning) both gradients give the same :math:`g(\cdot, +) - g(\cdot, -)`.

    Cells with ``p == 0`` get gradient 0: there
    the derivative is one-sided and, for the entropy-like terms, infinite; callers whose
    ``p`` is built from strictly positive probabilities (as a sigmoid output) never meet it.

    Returns
    -------
    (value, gradient)
        ``value`` of the batch shape and ``gradient`` of the shape of ``p``.
    """
    c_red, c_1, c_2, c_12, g_res = Goal.parse(goal).node_weights()
    xp, p = _prepare(p, validate)
    m = _marginals(xp, p)
    n = _node_averages(xp, m)
    value = c_red * n.red + c_1 * n.i1 + c_2 * n.i2 + c_12 * n.i12 + g_res * n.res

    # Collect every term of the gradient (bits) on the smallest shape it lives on, then add the
    # broadcast pieces to the two full-size logarithms once. r = p / P(s1 or s2, y) per cell and
    # q = p(s1, s2) / P(s1 or s2) enter the redundancy's correction sums (nats, hence / LN2).
    # denominators vanish only where the numerators do (union_y >= p, union >= p12)
    r = m.p / (m.union_y + (m.union_y <= 0))
    q = m.p12 / (m.union + (m.union <= 0))
    q_corr = _sum_keep(xp, q, -1) + _sum_keep(xp, q, -2) - q  # sums over s2, s1
    if sources_constant:
        q_corr = 0.0 * q_corr
    small_12 = -c_red * n.log_union + (g_res - c_12) * n.log_p12 - (c_red / LN2) * q_corr
    small_1y = c_1 * (n.log_p1y - n.log_p1) + (c_red / LN2) * _sum_keep(xp, r, -1)
    small_2y = c_2 * (n.log_p2y - n.log_p2) + (c_red / LN2) * _sum_keep(xp, r, -2)
    c_all = c_red + c_1 + c_2 + c_12
    small_y = -c_all * n.log_py - c_all / LN2
    grad = c_red * n.log_union_y + (c_12 - g_res) * n.log_p - (c_red / LN2) * r
    grad = grad + small_12 + small_1y + small_2y + small_y
    grad = grad * m.mask  # finite everywhere, so masking by product is exact
    return value, _to_user(xp, grad)


# --------------------------------------------------------------------------- three sources


def _parse_antichain(name: str) -> tuple[frozenset[int], ...]:
    """``"{1}{23}"`` -> (frozenset({0}), frozenset({1, 2})) (sources counted from 0)."""
    parts = name.strip("{}").split("}{")
    return tuple(frozenset(int(c) - 1 for c in part) for part in parts)


#: The antichains of the three-source lattice, bottom to top, as tuples of source sets.
ANTICHAINS3: tuple[tuple[frozenset[int], ...], ...] = tuple(
    _parse_antichain(n) for n in vocabulary.THREE_SOURCE[:-1]
)
#: Atom names of :func:`sxpid3` (the antichains of :data:`infobook.atoms.THREE_SOURCE`).
ATOMS3: tuple[str, ...] = vocabulary.THREE_SOURCE[:-1]


def _below(a: tuple[frozenset[int], ...], b: tuple[frozenset[int], ...]) -> bool:
    """The lattice order of Williams and Beer: ``a <= b`` when every set of ``b`` contains a set
    of ``a`` (more redundant nodes lie lower)."""
    return all(any(x <= y for x in a) for y in b)


def _mobius3() -> np.ndarray:
    """The matrix ``M`` with ``atoms = M @ nodes``: Moebius inversion of
    ``I(alpha) = sum_{beta <= alpha} pi(beta)`` on the 18-node lattice."""

    zeta = np.array([[_below(b, a) for b in ANTICHAINS3] for a in ANTICHAINS3], dtype=float)
    return np.linalg.inv(zeta).round(12) + 0.0  # integer entries


_MOBIUS3 = _mobius3()
_SUBSETS3 = tuple(frozenset(s) for k in (1, 2, 3) for s in itertools.combinations(range(3), k))


def _union_terms(antichain: tuple[frozenset[int], ...]) -> list[tuple[int, frozenset[int]]]:
    """Inclusion-exclusion of the event "some set of the antichain agrees with the realisation":
    a list of (sign, set of sources whose marginal enters)."""
    terms = []
    for k in range(1, len(antichain) + 1):
        for chosen in itertools.combinations(antichain, k):
            terms.append(((-1) ** (k + 1), frozenset().union(*chosen)))
    return terms


def _marginal3(xp: Any, p: Any, keep: frozenset[int], with_target: bool) -> Any:
    """The marginal of ``p`` (..., n1, n2, n3, ny) on the sources ``keep`` (and the target),
    summed over the other axes with ``keepdims`` so that it broadcasts to ``p``."""
    axes = tuple(-4 + s for s in range(3) if s not in keep)
    if not with_target:
        axes = (*axes, -1)
    return p.sum(axis=axes, keepdims=True) if axes else p


def _prepare3(p: Any, validate: bool) -> tuple[Any, Any]:
    xp = array_namespace(p)
    if validate:
        p = validate_pmf(p, n_sources=3)
    else:
        p = xp.asarray(p)
        if p.dtype.kind != "f":
            p = p.astype(xp.float64)
    return xp, p


def _nodes3(xp: Any, p: Any) -> tuple[dict[int, tuple[Any, Any]], Any, Any]:
    """Per node: the union probabilities (P(union), P(union, y)) at every cell of ``p``; and
    p(y), p(s1, s2, s3) at every cell."""
    marg = {s: _marginal3(xp, p, s, False) for s in _SUBSETS3}
    marg_y = {s: _marginal3(xp, p, s, True) for s in _SUBSETS3}
    unions = {}
    for k, antichain in enumerate(ANTICHAINS3):
        u = u_y = 0
        for sign, keep in _union_terms(antichain):
            u = u + sign * marg[keep]
            u_y = u_y + sign * marg_y[keep]
        unions[k] = (u + 0 * p, u_y + 0 * p)
    py = p.sum(axis=(-4, -3, -2), keepdims=True)
    return unions, py, marg[frozenset({0, 1, 2})]


def sxpid3_pointwise(p: Any, *, validate: bool = True) -> dict[str, Any]:
    r"""Pointwise three-source :math:`I^{sx}` atoms, each of the shape of ``p`` (0 where
    ``p == 0``), named as in :data:`ATOMS3`, and the local residual ``res = -log2 p(y | s)``.

    The local redundancy of an antichain :math:`\alpha = \{a_1\}\{a_2\}\dots` is
    :math:`\log_2 P(y \mid \bigvee_k S_{a_k} = s_{a_k}) / p(y)`, the union's probability taken by
    inclusion-exclusion over the marginals; the atoms follow by Moebius inversion on the
    18-node lattice. The ``p``-weighted sum of each over the last four axes gives :func:`sxpid3`.
    """
    xp, p = _prepare3(p, validate)
    mask = p > 0
    unions, py, ps = _nodes3(xp, p)
    log_py = _safe_log2(xp, py + 0 * p, mask)
    nodes = [
        _safe_log2(xp, u_y, mask) - _safe_log2(xp, u, mask) - log_py for u, u_y in unions.values()
    ]
    out = {}
    for k, name in enumerate(ATOMS3):
        atom = 0
        for j, w in enumerate(_MOBIUS3[k]):
            if w:
                atom = atom + float(w) * nodes[j]
        out[name] = atom * mask
    out["res"] = _safe_log2(xp, ps + 0 * p, mask) - _safe_log2(xp, p, mask)
    return out


def sxpid3(p: Any, *, validate: bool = True) -> dict[str, Any]:
    r"""Three-source :math:`I^{sx}` decomposition of ``p``, in bits.

    Parameters
    ----------
    p : array of shape (..., n_s1, n_s2, n_s3, n_target)
        Joint pmf, target last, batched over any leading axes; NumPy or CuPy.
    validate : bool
        Check the input (see :func:`validate_pmf`).

    Returns
    -------
    dict
        The 18 atoms named by their antichains (:data:`ATOMS3`, ``"{1}{2}{3}"`` ... ``"{123}"``)
        and ``"res"`` :math:`= H(Y \mid S_1, S_2, S_3)`, each of the batch shape. The atoms sum
        to :math:`I(Y : S_1, S_2, S_3)` and, with ``res``, to :math:`H(Y)`.
    """
    local = sxpid3_pointwise(p, validate=validate)
    p = array_namespace(p).asarray(p)
    return {k: (p * v).sum(axis=(-4, -3, -2, -1)) for k, v in local.items()}


def goal3_weights(goal: Mapping[str, float]) -> np.ndarray:
    """The weights of a three-source goal by atom name (any of :data:`ATOMS3` and ``"res"``;
    the others 0) as a vector in the order of :data:`infobook.atoms.THREE_SOURCE`."""
    if not isinstance(goal, Mapping):
        raise TypeError(
            f"a three-source goal maps atom names to weights, e.g. {{'{{1}}{{2}}': 1.0}}; got "
            f"{type(goal).__name__}"
        )
    names = vocabulary.THREE_SOURCE
    unknown = [k for k in goal if k not in names]
    if unknown:
        raise ValueError(f"unknown three-source atoms {unknown}; the atoms are {', '.join(names)}")
    g = np.array([float(goal.get(k, 0.0)) for k in names])
    if not np.all(np.isfinite(g)):
        raise ValueError(f"goal weights must be finite, got {dict(goal)}")
    return g


def pid3_goal_gradient(
    p: Any, goal: Mapping[str, float], *, validate: bool = True
) -> tuple[Any, Any]:
    r"""A three-source goal :math:`G = \sum_\alpha \gamma_\alpha \pi_\alpha
    + \gamma_\mathrm{res} H_\mathrm{res}` of ``p`` and its exact gradient
    :math:`\partial G / \partial p`.

    The goal is rewritten over the lattice nodes, :math:`G = \sum_\alpha c_\alpha I(\alpha) +
    \gamma_\mathrm{res} H_\mathrm{res}` with :math:`c = M^\top \gamma` (``M`` the Moebius
    matrix), and each node :math:`I(\alpha) = \sum_x p_x [\log U^y_\alpha(x) - \log
    U_\alpha(x) - \log p(y_x)]` is differentiated with every entry of ``p`` independent: the
    unions :math:`U` are sums of marginals, so :math:`\partial I(\alpha) / \partial p_z` is the
    local node value plus :math:`\sum_J \pm` marginal sums of :math:`p / U^y` and :math:`p / U`
    over the cells that agree with ``z`` on the sources of each inclusion-exclusion term, minus
    one nat. Cells with ``p == 0`` get gradient 0 (see :func:`pid_goal_gradient`).

    Returns
    -------
    (value, gradient)
        ``value`` of the batch shape, ``gradient`` of the shape of ``p``, in bits.
    """
    gamma = goal3_weights(goal)
    xp, p = _prepare3(p, validate)
    mask = p > 0
    unions, py, ps = _nodes3(xp, p)
    coef = _MOBIUS3.T @ gamma[:-1]
    g_res = gamma[-1]
    log_py = _safe_log2(xp, py + 0 * p, mask)
    value = 0
    grad = 0
    for k, antichain in enumerate(ANTICHAINS3):
        c = float(coef[k])
        if c == 0:
            continue
        u, u_y = unions[k]
        local = _safe_log2(xp, u_y, mask) - _safe_log2(xp, u, mask) - log_py
        value = value + c * (p * local).sum(axis=(-4, -3, -2, -1))
        r_y = p / (u_y + (u_y <= 0))  # p / U^y, 0 where p == 0
        r = p / (u + (u <= 0))
        corr = 0
        for sign, keep in _union_terms(antichain):
            corr = corr + sign * (_marginal3(xp, r_y, keep, True) - _marginal3(xp, r, keep, False))
        # d/dp_z of sum_x p_x log p(y_x) is log p(y_z) + 1 (in nats); everything in bits
        grad = grad + c * (local + (corr - 1.0) / LN2)
    if g_res:
        h = _safe_log2(xp, ps + 0 * p, mask) - _safe_log2(xp, p, mask)
        value = value + g_res * (p * h).sum(axis=(-4, -3, -2, -1))
        grad = grad + g_res * h
    grad = (grad + 0 * p) * mask
    value = value + 0 * p.sum(axis=(-4, -3, -2, -1))
    return value, grad


# --------------------------------------------------------------------------- other measures

#: Other two-source PID measures, by the book's names, as classes of the ``dit`` package (the
#: reference implementations: Williams and Beer's I_min, the minimum mutual information, the
#: pointwise PM measure of Finn and Lizier, BROJA's optimisation, and I^sx itself).
OTHER_MEASURES: dict[str, str] = {
    "I_min": "PID_WB",
    "MMI": "PID_MMI",
    "PM": "PID_PM",
    "BROJA": "PID_BROJA",
    "sx": "PID_SX",
}


def pid_measure(p: Any, measure: str = "I_min", *, validate: bool = True) -> Atoms:
    """The two-source decomposition of ``p`` (..., n_s1, n_s2, n_target) under another PID
    measure of :data:`OTHER_MEASURES`, computed by ``dit`` one pmf at a time (slow: use it on
    a neuron's binned table, not inside training), with the residual entropy ``res`` of
    :func:`sxpid` (the same for every measure). NumPy only; needs ``dit`` (the ``book`` and
    ``test`` extras).
    """
    if measure not in OTHER_MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(OTHER_MEASURES)}")
    try:
        import dit
        import dit.pid
    except ImportError as exc:
        raise ImportError(
            f"pid_measure needs the dit package ({exc}); pip install 'infobook[book]'"
        ) from None
    from .backend import to_numpy
    from .distributions import to_dit

    p = to_numpy(validate_pmf(p) if validate else np.asarray(p, dtype=float))
    cls = getattr(dit.pid, OTHER_MEASURES[measure])
    nodes = {"red": ((0,), (1,)), "unq1": ((0,),), "unq2": ((1,),), "syn": ((0, 1),)}
    batch = p.shape[:-3]
    out = {k: np.zeros(batch) for k in nodes}
    for idx in np.ndindex(batch):
        q = p[idx]
        q = q / q.sum()
        result = cls(to_dit(q), [[0], [1]], [2])
        for name, node in nodes.items():
            out[name][idx] = float(result.get_pi(node))
    res = sxpid(p, validate=False).res
    return Atoms(out["red"], out["unq1"], out["unq2"], out["syn"], np.asarray(res))
