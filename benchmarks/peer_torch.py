"""The identical infomorphic training step written with PyTorch autograd: the performance peer.

This is how the step is commonly written (forward pass in PyTorch, gradient by autograd, Adam
from ``torch.optim``): the histogram of (teaching bin, recurrent bin, output) per neuron is built
with ``scatter_add`` of the output probabilities, the I^sx atoms are computed from it, and the
goal is maximised. It is independent of ``infobook``'s analytic gradient and serves both as the
speed reference of ``bench_infomorphic.py`` and as a cross-check of the gradient
(``tests/test_peer.py``). Needs the optional ``torch==2.13.0`` (CPU build).
"""

from __future__ import annotations

import math

import torch

LN2 = math.log(2.0)


def _log2(x: torch.Tensor) -> torch.Tensor:
    return torch.log2(torch.where(x > 0, x, torch.ones_like(x)))


def sxpid_goal(p: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
    """Goal gamma . [unq1, unq2, red, syn, res] of pmfs p (..., n1, n2, ny), in bits."""
    p12 = p.sum(-1, keepdim=True)
    p1y = p.sum(-2, keepdim=True)
    p2y = p.sum(-3, keepdim=True)
    p1 = p12.sum(-2, keepdim=True)
    p2 = p12.sum(-3, keepdim=True)
    py = p1y.sum(-3, keepdim=True)
    union = p1 + p2 - p12
    union_y = p1y + p2y - p
    mask = p > 0

    def avg(local: torch.Tensor) -> torch.Tensor:
        return (torch.where(mask, p * local, torch.zeros_like(p))).sum((-3, -2, -1))

    red = avg(_log2(union_y) - _log2(union) - _log2(py))
    i1 = avg(_log2(p1y) - _log2(p1) - _log2(py))
    i2 = avg(_log2(p2y) - _log2(p2) - _log2(py))
    i12 = avg(_log2(p) - _log2(p12) - _log2(py))
    res = avg(_log2(p12) - _log2(p))
    atoms = torch.stack([i1 - red, i2 - red, red, i12 - i1 - i2 + red, res], dim=-1)
    return (atoms * goal).sum(-1)


def goal_per_neuron(
    weights: torch.Tensor,
    patterns: torch.Tensor,
    goal: torch.Tensor,
    w_teach: float = 2.3,
    bins_r: int = 60,
    lo: float = -20.0,
    hi: float = 20.0,
) -> torch.Tensor:
    """G_i for every neuron of stacked networks: weights (B, N, N), patterns (B, M, N)."""
    b, m, n = patterns.shape
    teach = w_teach * patterns
    rec = patterns @ weights.transpose(-1, -2)
    theta = torch.sigmoid(teach + rec)
    with torch.no_grad():
        t_idx = torch.clamp(torch.floor((teach - lo) * (2 / (hi - lo))), 0, 1).long()
        r_idx = torch.clamp(torch.floor((rec - lo) * (bins_r / (hi - lo))), 0, bins_r - 1).long()
        cell = (t_idx * bins_r + r_idx).transpose(-1, -2)  # (B, N, M)
    th = theta.transpose(-1, -2)  # (B, N, M)
    plus = torch.zeros(b, n, 2 * bins_r, dtype=weights.dtype).scatter_add(-1, cell, th / m)
    total = torch.zeros(b, n, 2 * bins_r, dtype=weights.dtype).scatter_add(
        -1, cell, torch.full_like(th, 1.0 / m)
    )
    pmf = torch.stack([total - plus, plus], dim=-1).reshape(b, n, 2, bins_r, 2)
    return sxpid_goal(pmf, goal)


class PeerTrainer:
    """Full-batch Adam ascent on the goal, one autograd step per call of :meth:`step`."""

    def __init__(self, weights, patterns, goal, lr: float = 0.05):
        self.w = torch.nn.Parameter(torch.as_tensor(weights).clone())
        self.patterns = torch.as_tensor(patterns)
        self.goal = torch.as_tensor(goal, dtype=self.w.dtype)
        n = self.w.shape[-1]
        self.off_diagonal = 1 - torch.eye(n, dtype=self.w.dtype)
        self.opt = torch.optim.Adam([self.w], lr=lr, maximize=True)

    def step(self) -> None:
        self.opt.zero_grad()
        g = goal_per_neuron(self.w * self.off_diagonal, self.patterns, self.goal).sum()
        g.backward()
        self.opt.step()


def gradient(weights, patterns, goal) -> torch.Tensor:
    """Autograd gradient of sum_i G_i with respect to the (off-diagonal) weights."""
    w = torch.as_tensor(weights).clone().requires_grad_(True)
    p = torch.as_tensor(patterns)
    n = w.shape[-1]
    off = 1 - torch.eye(n, dtype=w.dtype)
    goal_per_neuron(w * off, p, torch.as_tensor(goal, dtype=w.dtype)).sum().backward()
    return w.grad
