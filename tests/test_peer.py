"""The analytic gradient of infobook against PyTorch autograd of the identical step (optional)."""

import sys
from pathlib import Path

import numpy as np
import pytest

from infobook import hopfield as hf
from infobook import infomorphic as im
from infobook.pid import goal_vector

torch = pytest.importorskip("torch", reason="the optional PyTorch peer (torch==2.13.0) is absent")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import peer_torch  # noqa: E402


@pytest.mark.parametrize("goal", ["redundancy", "optimized_i", (0.2, -0.3, 0.9, 0.4, -0.6)])
def test_analytic_gradient_equals_autograd(goal):
    p = hf.random_patterns(40, 30, seed=1, batch=(2,))
    w = np.random.default_rng(2).normal(0, 1.5, (2, 30, 30)) * (1 - np.eye(30))
    value, grad = im.goal_and_gradient(w, p, goal)
    auto = peer_torch.gradient(w, p, goal_vector(goal)).numpy()
    np.testing.assert_allclose(grad, auto * (1 - np.eye(30)), rtol=1e-9, atol=1e-12)
    peer_value = peer_torch.goal_per_neuron(
        torch.as_tensor(w), torch.as_tensor(p), torch.as_tensor(goal_vector(goal))
    ).numpy()
    np.testing.assert_allclose(value, peer_value, atol=1e-12)


def test_training_trajectories_agree():
    p = hf.random_patterns(20, 16, seed=3, batch=(1,))
    w0 = im.initial_weights(16, 4, batch=(1,), dtype=np.float64)
    ours = im.train(p, "redundancy", epochs=25, initial=w0, dtype=np.float64, early_stop=False)
    peer = peer_torch.PeerTrainer(w0, p, goal_vector("redundancy"))
    for _ in range(25):
        peer.step()
    theirs = (peer.w.detach() * peer.off_diagonal).numpy()
    np.testing.assert_allclose(ours.weights, theirs, atol=1e-9)
