"""Binned joint pmfs of (teaching input, recurrent input, output): bins, clamping, counts."""

import numpy as np
import pytest

from infobook.histogram import bin_index, joint_pmf


def test_bin_index_clamps_and_splits_at_zero():
    x = np.array([-100.0, -20.0, -1e-9, 0.0, 19.99, 20.0, 1e6])
    np.testing.assert_array_equal(bin_index(x, 60), [0, 0, 29, 30, 59, 59, 59])
    np.testing.assert_array_equal(bin_index(np.array([-1.0, 1.0]), 2), [0, 1])
    with pytest.raises(ValueError, match="bins"):
        bin_index(x, 0)


def test_joint_pmf_counts_by_hand():
    t = np.array([[0, 1], [0, 0], [1, 1]])  # (M=3, N=2)
    r = np.array([[2, 0], [2, 1], [0, 1]])
    pp = np.array([[1.0, 0.25], [0.0, 0.5], [0.5, 1.0]])
    p = joint_pmf(t, r, pp, 2, 3)
    assert p.shape == (2, 2, 3, 2)
    # neuron 0: (t=0, r=2) twice with P(+)=1, 0; (t=1, r=0) once with 0.5
    assert p[0, 0, 2, 1] == pytest.approx(1 / 3) and p[0, 0, 2, 0] == pytest.approx(1 / 3)
    assert p[0, 1, 0, 1] == pytest.approx(0.5 / 3)
    np.testing.assert_allclose(p.sum(axis=(-3, -2, -1)), 1.0)


def test_joint_pmf_is_batched():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, (3, 10, 4))
    r = rng.integers(0, 5, (3, 10, 4))
    pp = rng.random((3, 10, 4))
    p = joint_pmf(t, r, pp, 2, 5)
    for k in range(3):
        np.testing.assert_allclose(p[k], joint_pmf(t[k], r[k], pp[k], 2, 5))
