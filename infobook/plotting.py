"""The book's figure style and the fixed colour of every PID atom.

Introduced in the chapter :ref:`ch-pid`; every chapter calls :func:`use_style` once.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

#: One colour per PID atom, used for that atom in every figure of the book.
ATOM_COLORS: dict[str, str] = {
    "red": "#d62728",
    "unq1": "#1f77b4",
    "unq2": "#2ca02c",
    "syn": "#9467bd",
    "res": "#7f7f7f",
}

#: Display labels of the atoms (source 1 = teaching input T, source 2 = recurrent input R in
#: the Hopfield chapters; generic S1, S2 in the chapter on PID).
ATOM_LABELS: dict[str, str] = {
    "red": "redundancy",
    "unq1": "unique $S_1$",
    "unq2": "unique $S_2$",
    "syn": "synergy",
    "res": "residual $H(Y|S_1,S_2)$",
}


def use_style() -> None:
    """Apply the book's matplotlib style (``infobook.mplstyle``)."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    with resources.as_file(resources.files("infobook") / "infobook.mplstyle") as path:
        plt.style.use(str(path))


def atom_bar(
    ax: Any,
    atoms: Any,
    *,
    title: str | None = None,
    fields: tuple[str, ...] = ("red", "unq1", "unq2", "syn"),
) -> Any:
    """Draw the atoms of one decomposition as coloured bars on ``ax``."""
    values = [float(getattr(atoms, f)) for f in fields]
    bars = ax.bar(range(len(fields)), values, color=[ATOM_COLORS[f] for f in fields])
    ax.set_xticks(range(len(fields)), [f for f in fields])
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_ylabel("bits")
    if title:
        ax.set_title(title)
    return bars
