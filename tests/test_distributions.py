"""The catalogue of canonical distributions shared by tests and chapters."""

import numpy as np
import pytest

from infobook.distributions import CATALOGUE, canonical, gate_mixture, random_pmf, to_dit


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_gate_is_a_pmf_with_uniform_sources(name):
    p = canonical(name)
    assert p.ndim == 3 and np.all(p >= 0) and p.sum() == pytest.approx(1.0)
    for axes in ((1, 2), (0, 2)):  # each source on its own is uniform
        marginal = p.sum(axis=axes)
        np.testing.assert_allclose(marginal, np.full(marginal.shape, 1 / marginal.size))
    d = to_dit(p)
    assert sum(d.pmf) == pytest.approx(1.0)


def test_random_pmfs_are_seeded_pmfs():
    a, b = random_pmf((2, 3, 2), 4), random_pmf((2, 3, 2), 4)
    np.testing.assert_array_equal(a, b)
    assert a.sum() == pytest.approx(1.0) and not np.array_equal(a, random_pmf((2, 3, 2), 5))


def test_gate_mixture_mixes_and_adds_noise():
    np.testing.assert_allclose(gate_mixture({"XOR": 1.0}), canonical("XOR"))
    half = gate_mixture({"XOR": 1.0, "RDN": 1.0})
    np.testing.assert_allclose(half, 0.5 * canonical("XOR") + 0.5 * canonical("RDN"))
    noisy = gate_mixture({"XOR": 1.0}, noise=1.0)
    np.testing.assert_allclose(noisy, np.full((2, 2, 2), 1 / 8))


def test_unknown_gate_names_the_catalogue():
    with pytest.raises((KeyError, ValueError), match="XOR"):
        canonical("XNOR")
