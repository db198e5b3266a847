"""Published reference numbers: one module, each with its source, read by the chapters."""

import pytest

from infobook import published
from infobook.pid import NAMED_GOALS


def test_every_named_goal_has_a_published_reference():
    for goal in NAMED_GOALS:
        ref = published.capacity_reference(goal)
        assert isinstance(ref, float | str)
    assert published.capacity_reference("redundancy") == published.CAPACITY["redundancy"]
    assert isinstance(published.capacity_reference("coinformation"), str)


def test_references_are_plausible_numbers():
    for name, value in published.CAPACITY.items():
        assert 0 < value < 2, name
    assert published.GARDNER_CAPACITY == 2.0
    assert 0.13 < published.HEBBIAN_ASYMPTOTIC < 0.15
    assert all(0 < v < 2 for _, v in published.ABLATION)


def test_unknown_reference_is_refused():
    with pytest.raises((KeyError, ValueError)):
        published.capacity_reference("no such goal")
