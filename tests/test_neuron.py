"""The infomorphic neuron's fixed parts: logistic function, initial weights, zero diagonal, the
neuron model and the forward pass."""

import numpy as np
import pytest

from infobook import neuron
from infobook.histogram import bin_index


def test_initial_weights_do_not_depend_on_the_batch():
    a = neuron.initial_weights(20, 3, batch=(4,))
    assert a.shape == (4, 20, 20) and np.all(np.diagonal(a, axis1=1, axis2=2) == 0)
    assert np.abs(a).max() <= 1e-3 / np.sqrt(20)
    np.testing.assert_array_equal(neuron.initial_weights(20, 3, batch=(2,)), a[:2])


def test_sigmoid_is_stable_and_keeps_the_dtype():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=np.float32)
    s = neuron.sigmoid(x)
    assert s.dtype == np.float32 and np.all(np.isfinite(s))
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-6)
    np.testing.assert_allclose(neuron.sigmoid(-x), 1 - s, atol=1e-7)


def test_zero_diagonal_and_its_mask():
    w = np.arange(18.0).reshape(2, 3, 3)
    z = neuron.zero_diagonal(w)
    assert np.all(np.diagonal(z, axis1=-2, axis2=-1) == 0)
    np.testing.assert_array_equal(z + np.eye(3) * w, w)
    np.testing.assert_array_equal(neuron.off_diagonal(3), 1 - np.eye(3))


def test_forward_pass_is_the_model():
    rng = np.random.default_rng(0)
    p = np.where(rng.random((2, 7, 5)) < 0.5, 1.0, -1.0)
    w = neuron.zero_diagonal(rng.normal(size=(2, 5, 5)))
    model = neuron.NeuronModel(w_teach=1.5, bins_r=8)
    fw = neuron.forward(w, p, model)
    rec = np.einsum("bij,bmj->bmi", w, p)
    np.testing.assert_allclose(fw["theta"], 1 / (1 + np.exp(-(1.5 * p + rec))))
    np.testing.assert_array_equal(fw["r_index"], bin_index(rec, 8))
    np.testing.assert_allclose(fw["pmf"].sum(axis=(-3, -2, -1)), 1.0)
    assert fw["pmf"].shape == (2, 5, 2, 8, 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bins_r": 0}, "bins_r"),
        ({"bins_t": 2.5}, "bins_t"),
        ({"value_range": (1.0, -1.0)}, "hi > lo"),
        ({"w_teach": float("nan")}, "teaching weight"),
    ],
)
def test_bad_neuron_models_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        neuron.NeuronModel(**kwargs)
