"""The atom vocabulary: two names for the same atoms, translated in one place."""

import numpy as np
import pytest

from infobook import atoms
from infobook.distributions import canonical
from infobook.pid import GOAL_ATOMS, sxpid


def test_the_two_vocabularies_name_the_same_atoms_in_goal_order():
    assert GOAL_ATOMS == atoms.GENERIC
    for generic, neuron in zip(atoms.GENERIC, atoms.NEURON, strict=True):
        assert atoms.to_neuron(generic) == neuron and atoms.to_generic(neuron) == generic
        assert atoms.to_neuron(neuron) == neuron and atoms.to_generic(generic) == generic
        assert atoms.COLORS[generic] == atoms.COLORS[neuron]
        assert atoms.index(generic) == atoms.index(neuron)
    assert set(atoms.NEURON_LABELS) == set(atoms.NEURON)


def test_unknown_atoms_are_named():
    with pytest.raises(ValueError, match="unknown atom 'unq3'"):
        atoms.to_neuron("unq3")
    with pytest.raises(ValueError, match="unknown atom"):
        atoms.to_generic("redundancy")


def test_neuron_profile_averages_over_neurons_under_neuron_names():
    p = np.stack([canonical("XOR"), canonical("AND"), canonical("RDN")])
    d = sxpid(p)
    profile = atoms.neuron_profile(d)
    assert list(profile) == list(atoms.NEURON)
    assert profile["unq_T"] == pytest.approx(float(d.unq1.mean()))
    assert profile["red"] == pytest.approx(float(d.red.mean()))
    raw = atoms.neuron_profile(d._asdict(), reduce_axis=None)
    np.testing.assert_array_equal(raw["unq_R"], d.unq2)
