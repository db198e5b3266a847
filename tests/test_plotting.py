"""The figure helpers: the book's style, atom bars, the median-and-band curve."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from infobook import atoms, plotting
from infobook.distributions import canonical
from infobook.pid import sxpid


def test_band_draws_the_median_and_the_central_90_percent():
    values = xr.DataArray(
        np.arange(30.0).reshape(3, 10), dims=("alpha", "seed"), coords={"alpha": [1, 2, 3]}
    )
    fig, ax = plt.subplots()
    line, fill = plotting.band(ax, values.alpha, values, color="C1", label="x")
    np.testing.assert_allclose(line.get_ydata(), values.median("seed"))
    assert line.get_label() == "x" and fill.get_label().startswith("_")
    lo = values.quantile(0.05, dim="seed").values
    hi = values.quantile(0.95, dim="seed").values
    verts = fill.get_paths()[0].vertices[:, 1]
    assert verts.min() == lo.min() and verts.max() == hi.max()
    plt.close(fig)


def test_style_and_atom_colours():
    plotting.use_style()
    assert pd.get_option("display.max_colwidth") is None
    assert plotting.ATOM_COLORS is atoms.COLORS
    fig, ax = plt.subplots()
    bars = plotting.atom_bar(ax, sxpid(canonical("XOR")))
    assert len(bars) == 4
    plt.close(fig)
