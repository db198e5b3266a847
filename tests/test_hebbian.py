"""The PID of Hebbian neurons: binned estimator, exact distribution, closed form."""

import numpy as np
import pytest

from infobook import hebbian as hb
from infobook import hopfield as hf
from infobook.histogram import bin_index, joint_pmf
from infobook.pid import sxpid


@pytest.mark.parametrize("m", [3, 15, 31, 99])
def test_exact_matches_closed_form_when_no_zero_field(m):
    # (N - 1) M odd: R = 0 is impossible and p(y) = 1/2 exactly
    assert float(hb.hebbian_pid_exact(100, m).red) == pytest.approx(
        hb.hebbian_red_closed_form(100, m), abs=1e-12
    )


def test_exact_structure():
    a = hb.hebbian_pid_exact(100, 41)
    assert abs(float(a.res)) < 1e-12  # Y is a function of R
    i_yt = float(a.red + a.unq1)
    assert float(a.syn) == pytest.approx(float(a.red) - i_yt, abs=1e-12)
    assert float(hb.hebbian_pid_exact(100, 2).red) == pytest.approx(1.0, abs=1e-9)


def test_binned_estimator_converges_to_the_exact_binned_value():
    # pool many networks' neurons: the binned estimate approaches the exact binned distribution
    n, m = 100, 21
    pats = hf.random_patterns(m, n, seed=0, batch=(40,), dtype=np.float32)
    t, r, y = hb.hebbian_sources(pats)
    tt = np.moveaxis(t, 0, -1).reshape(m, -1).T.reshape(1, -1)
    rr = np.moveaxis(r, 0, -1).reshape(m, -1).T.reshape(1, -1)
    yy = np.moveaxis(y, 0, -1).reshape(m, -1).T.reshape(1, -1)
    pooled = hb.binned_neuron_pid(tt.T, rr.T, (yy.T > 0).astype(float))
    exact = hb.hebbian_pid_exact(n, m, bins_r=60)
    assert float(pooled.red[0]) == pytest.approx(float(exact.red), abs=0.01)


def test_scan_shapes_and_low_load_redundancy():
    ds = hb.hebbian_pid_scan(100, [0.11, 0.16, 1.01], 5)
    assert set(ds.data_vars) == {"unq_T", "unq_R", "red", "syn", "res", "a_cos"}
    assert ds.red.dims == ("alpha", "seed")
    assert float(ds.red.sel(alpha=0.16).median()) > 0.9
    assert float(ds.red.sel(alpha=1.01).median()) < 0.7
    assert float(ds.unq_R.sel(alpha=1.01).median()) > 0.3


def test_hebbian_sources_match_definition():
    p = hf.random_patterns(10, 30, seed=2)
    t, r, y = hb.hebbian_sources(p)
    w = hf.hebbian_weights(p)
    np.testing.assert_allclose(r, p @ w.T)
    np.testing.assert_array_equal(y, np.where(r > 0, 1, -1))
    atoms = hb.binned_neuron_pid(t, r, (y > 0).astype(float))
    assert atoms.red.shape == (30,)
    manual = sxpid(joint_pmf(bin_index(t, 2), bin_index(r, 60), (y > 0).astype(float), 2, 60))
    np.testing.assert_allclose(atoms.red, manual.red)
