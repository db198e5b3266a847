"""The book's figure style, the fixed colour of every PID atom, and shared figure helpers.

Introduced in the chapter :ref:`ch-pid`; every chapter calls :func:`use_style` once.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from . import atoms

#: One colour per PID atom, used for that atom in every figure of the book, under both names
#: of :mod:`infobook.atoms` (``unq1`` and ``unq_T`` share a colour).
ATOM_COLORS: dict[str, str] = atoms.COLORS


def use_style() -> None:
    """Apply the book's matplotlib style (``infobook.mplstyle``), and let pandas show every
    table cell whole (no "..." in long texts of a results table)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    pd.set_option("display.max_colwidth", None)

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


def band(
    ax: Any,
    x: Any,
    values: Any,
    *,
    label: str | None = None,
    color: Any = None,
    alpha: float = 0.2,
    dim: str = "seed",
    **line_kwargs: Any,
) -> tuple[Any, Any]:
    """Draw the median of ``values`` over ``dim`` as a line, with its central 90 % band shaded.

    The band runs from the 5 % to the 95 % quantile over ``dim``, the book's way of showing the
    spread of a curve over independent networks (the seeds); it takes the colour of the line and
    no legend entry. Introduced in the chapter :ref:`ch-hopfield`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    x : array_like
        Positions on the horizontal axis (the loads, say), one per point of the curve.
    values : xarray.DataArray or xarray.Dataset
        The values, with a dimension ``dim`` to summarise over; or the summary returned by
        ``infobook.hopfield.summarise`` (variables ``median``, ``q05`` and ``q95``).
    label : str, optional
        Legend label of the median line.
    color : optional
        Colour of the line and the band; by default the next colour of the axes' cycle.
    alpha : float
        Opacity of the band.
    dim : str
        Dimension of ``values`` that the median and the quantiles run over (unused for a
        summary).
    **line_kwargs
        Further arguments of the median line (``marker``, ``ms``, ``ls``, ...).

    Returns
    -------
    line : matplotlib.lines.Line2D
        The median line.
    shade : matplotlib.collections.PolyCollection
        The band.
    """
    if hasattr(values, "data_vars"):  # the summary of infobook.hopfield.summarise
        median, low, high = values["median"], values["q05"], values["q95"]
    else:
        median = values.median(dim)
        low, high = values.quantile(0.05, dim), values.quantile(0.95, dim)
    (line,) = ax.plot(x, median, color=color, label=label, **line_kwargs)
    shade = ax.fill_between(
        x, low, high, color=line.get_color() if color is None else color, alpha=alpha
    )
    return line, shade
