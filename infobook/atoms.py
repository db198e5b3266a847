"""The atom vocabulary of the book: names, order, colours and labels of the PID atoms.

Introduced in the chapter :ref:`ch-pid`. A two-source decomposition has four lattice atoms and the
residual entropy. Where the sources are generic (the chapter on PID, :mod:`infobook.pid`) they
are called ``unq1`` and ``unq2``; in a Hopfield neuron source 1 is the teaching input T and
source 2 the recurrent input R, and the same atoms are called ``unq_T`` and ``unq_R``. Every
module, figure and results file uses these names, and only this module translates between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The atoms in the published goal order, generic sources.
GENERIC: tuple[str, ...] = ("unq1", "unq2", "red", "syn", "res")
#: The same atoms for a Hopfield neuron (source 1 = teaching input T, source 2 = recurrent R).
NEURON: tuple[str, ...] = ("unq_T", "unq_R", "red", "syn", "res")

#: The 18 atoms of a three-source decomposition, named by their antichains of the redundancy
#: lattice (sources 1, 2, 3 in axis order, each set's digits ascending), bottom to top; the
#: residual entropy ``res`` is not an atom of the lattice and comes last.
THREE_SOURCE: tuple[str, ...] = (
    "{1}{2}{3}",
    "{1}{2}",
    "{1}{3}",
    "{2}{3}",
    "{1}{23}",
    "{2}{13}",
    "{3}{12}",
    "{1}",
    "{2}",
    "{3}",
    "{12}{13}{23}",
    "{12}{13}",
    "{12}{23}",
    "{13}{23}",
    "{12}",
    "{13}",
    "{23}",
    "{123}",
    "res",
)

_TO_NEURON = dict(zip(GENERIC, NEURON, strict=True))
_TO_GENERIC = dict(zip(NEURON, GENERIC, strict=True))

_COLORS = {
    "red": "#d62728",
    "unq1": "#1f77b4",
    "unq2": "#2ca02c",
    "syn": "#9467bd",
    "res": "#7f7f7f",
}
#: One colour per atom, used for that atom in every figure of the book (both vocabularies).
COLORS: dict[str, str] = _COLORS | {_TO_NEURON[k]: v for k, v in _COLORS.items()}

#: Display labels, generic sources.
LABELS: dict[str, str] = {
    "red": "redundancy",
    "unq1": "unique $S_1$",
    "unq2": "unique $S_2$",
    "syn": "synergy",
    "res": "residual $H(Y|S_1,S_2)$",
    "unq_T": "unique $T$",
    "unq_R": "unique $R$",
}
#: Display labels of a Hopfield neuron's atoms (the residual entropy as :math:`H_{res}`).
NEURON_LABELS: dict[str, str] = {
    "unq_T": "unique $T$",
    "unq_R": "unique $R$",
    "red": "redundancy",
    "syn": "synergy",
    "res": "$H_{res}$",
}


def to_neuron(name: str) -> str:
    """The neuron name of an atom (``unq1`` -> ``unq_T``); neuron names pass unchanged."""
    if name in _TO_GENERIC:
        return name
    if name not in _TO_NEURON:
        raise ValueError(f"unknown atom {name!r}; the atoms are {', '.join(GENERIC + NEURON[:2])}")
    return _TO_NEURON[name]


def to_generic(name: str) -> str:
    """The generic name of an atom (``unq_T`` -> ``unq1``); generic names pass unchanged."""
    if name in _TO_NEURON:
        return name
    if name not in _TO_GENERIC:
        raise ValueError(f"unknown atom {name!r}; the atoms are {', '.join(GENERIC + NEURON[:2])}")
    return _TO_GENERIC[name]


def index(name: str) -> int:
    """Position of an atom (either vocabulary) in the published goal order."""
    return GENERIC.index(to_generic(name))


def neuron_profile(values: Mapping[str, Any] | Any, reduce_axis: int | None = -1) -> dict[str, Any]:
    """The atoms of a decomposition under their neuron names, in goal order.

    ``values`` is a mapping from generic names or an object with the generic names as
    attributes (:class:`infobook.pid.Atoms`). With ``reduce_axis`` each value is averaged over
    that axis (the neuron axis of a network's per-neuron atoms); ``None`` keeps them as they are.
    """
    out = {}
    for generic, neuron in zip(GENERIC, NEURON, strict=True):
        v = values[generic] if isinstance(values, Mapping) else getattr(values, generic)
        out[neuron] = v if reduce_axis is None else v.mean(axis=reduce_axis)
    return out
