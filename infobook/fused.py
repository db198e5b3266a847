r"""A fused CPU kernel for the infomorphic training step (Numba).

The array path of :func:`infobook.infomorphic.goal_and_gradient` (NumPy or CuPy) builds every
neuron's pmf on the full grid of 2 x 60 x 2 cells and runs some fifty array passes over it. On a
CPU most of that time is memory traffic and work on empty cells: after a few steps a neuron's
M = 160 patterns populate only about 36 of its 120 (teaching, recurrent) bins. This module
visits only the populated cells, neuron by neuron, in two compiled passes:

1. ``_histogram``: the histogram of (teaching bin, recurrent bin) weighted by the output
   probability, the marginals, and the argument of every logarithm the goal and its gradient
   need, packed into one buffer; one vectorised ``numpy.log2`` then takes all of them at once
   (scalar logarithms in compiled code are several times slower);
2. ``_goal_gradient``: the :math:`I^{sx}` node averages and the goal, the exact gradient
   :math:`\partial G / \partial p` at the populated cells, reduced to the difference
   :math:`g(t, r, +) - g(t, r, -)` that the chain rule needs, and :math:`\partial G /
   \partial R_{\mu i}` for every pattern,

while the two dense products (:math:`R = W \xi^\top` before, :math:`\nabla_W = (\partial G /
\partial R)\, \xi` after) stay with BLAS. The mathematics is that of
:func:`infobook.pid.pid_goal_gradient` term by term (its docstring has the formulas), with the
same masking of empty cells; the histogram and logarithms are accumulated in float64. In float64
the two paths agree to rounding (about 1e-15), in float32 to about 1e-6 relative
(``tests/test_fused.py``).

Numba is an ordinary dependency of the package. Compiled code is cached next to this module
(first use compiles for a few seconds).
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np

from .neuron import SOFT_PADDING, SOFT_TAU, NeuronModel, sigmoid
from .pid import Goal

LN2 = math.log(2.0)
#: Networks are processed a few at a time, about this many (neuron, pattern) pairs per chunk, so
#: that their arrays stay in the CPU's cache between the passes of a step.
CHUNK_ELEMENTS = 2**16


def _njit(fn):
    return numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "arcp"})(fn)


def _log_slots(nt: int, nr: int) -> int:
    """Log arguments per neuron at most: 6 per (teaching, recurrent) cell, 3 per bin of either
    source and 2 for the output (see ``_histogram``)."""
    return 6 * nt * nr + 3 * nt + 3 * nr + 2


@_njit
def _histogram(
    theta,
    rec,
    pat,
    w_teach,
    lo,
    scale_t,
    scale_r,
    nt,
    nr,
    pmf,
    cells,
    n_cells,
    rbins,
    n_rbins,
    cell_of,
    args,
    offsets,
):
    """Phase 1, per neuron: histogram, pmf at the populated cells and the arguments of every
    logarithm the goal and gradient need, packed one neuron after the other into ``args``.

    ``theta``, ``rec``, ``pat`` are (B, N, M), neuron-major (one neuron's samples contiguous).
    Outputs per neuron ``j = b * N + i``: ``pmf[j, k]`` = p(cell, y=-1), p(cell, y=+1) of its
    k-th populated cell ``cells[j, k] = (cell, teaching bin, recurrent bin)`` (``n_cells[j]``
    of them), its populated recurrent bins ``rbins[j, :n_rbins[j]]``, every pattern's cell
    ``cell_of[j]``, and its log arguments from ``args[offsets[j]]`` on (a zero probability is
    written as 1, so its logarithm is 0, as :mod:`infobook.pid` sets log 0 to 0 where p = 0).
    Returns the number of arguments written.
    """
    nb, n, m = rec.shape
    n_all = nt * nr
    top_t = nt - 1.0
    top_r = nr - 1.0
    inv_m = 1.0 / m
    cnt = np.zeros(n_all)
    plus = np.zeros(n_all)
    seen_r = np.zeros(nr, dtype=np.bool_)
    tb = np.zeros(m, dtype=np.int64)
    rb = np.zeros(m, dtype=np.int64)
    p1y = np.zeros((nt, 2))
    p2y = np.zeros((nr, 2))
    off = 0
    for b in range(nb):
        for i in range(n):
            j = b * n + i
            for mu in range(m):  # bins as infobook.histogram.bin_index, in the inputs' precision
                ut = (w_teach * pat[b, i, mu] - lo) * scale_t
                ur = (rec[b, i, mu] - lo) * scale_r
                ut = ut if ut > 0.0 else 0.0  # also NaN -> bin 0 (written to vectorise)
                ut = ut if ut < top_t else top_t
                ur = ur if ur > 0.0 else 0.0
                ur = ur if ur < top_r else top_r
                tb[mu] = np.int64(ut)
                rb[mu] = np.int64(ur)
                cell_of[j, mu] = tb[mu] * nr + rb[mu]
            k_cells = 0
            for mu in range(m):
                c = cell_of[j, mu]
                # append c if new, without a branch (mispredicted branches cost more here)
                cells[j, k_cells, 0] = c
                cells[j, k_cells, 1] = tb[mu]
                cells[j, k_cells, 2] = rb[mu]
                k_cells += cnt[c] == 0.0
                cnt[c] += 1.0
                plus[c] += theta[b, i, mu]
            n_cells[j] = k_cells
            for t in range(nt):
                p1y[t, 0] = 0.0
                p1y[t, 1] = 0.0
            for k in range(k_cells):
                r = cells[j, k, 2]
                p2y[r, 0] = 0.0
                p2y[r, 1] = 0.0
            k_r = 0
            for k in range(k_cells):
                c = cells[j, k, 0]
                t = cells[j, k, 1]
                r = cells[j, k, 2]
                a1 = plus[c] * inv_m
                a0 = (cnt[c] - plus[c]) * inv_m
                cnt[c] = 0.0  # clean for the next neuron
                plus[c] = 0.0
                pmf[j, k, 0] = a0
                pmf[j, k, 1] = a1
                rbins[j, k_r] = r  # append r if new, without a branch
                k_r += not seen_r[r]
                seen_r[r] = True
                p1y[t, 0] += a0
                p1y[t, 1] += a1
                p2y[r, 0] += a0
                p2y[r, 1] += a1
            n_rbins[j] = k_r
            offsets[j] = off
            for k in range(k_cells):
                c = cells[j, k, 0]
                t = cells[j, k, 1]
                r = cells[j, k, 2]
                a0 = pmf[j, k, 0]
                a1 = pmf[j, k, 1]
                pc = a0 + a1
                args[off] = p1y[t, 0] + p1y[t, 1] + p2y[r, 0] + p2y[r, 1] - pc  # P(s1 or s2)
                args[off + 1] = pc
                args[off + 2] = p1y[t, 0] + p2y[r, 0] - a0 if a0 > 0.0 else 1.0  # P(s1|s2, y)
                args[off + 3] = p1y[t, 1] + p2y[r, 1] - a1 if a1 > 0.0 else 1.0
                args[off + 4] = a0 if a0 > 0.0 else 1.0
                args[off + 5] = a1 if a1 > 0.0 else 1.0
                off += 6
            py0 = 0.0
            py1 = 0.0
            for t in range(nt):
                for y in range(2):
                    args[off + y] = p1y[t, y] if p1y[t, y] > 0.0 else 1.0
                pt = p1y[t, 0] + p1y[t, 1]
                args[off + 2] = pt if pt > 0.0 else 1.0
                off += 3
                py0 += p1y[t, 0]
                py1 += p1y[t, 1]
            args[off] = py0 if py0 > 0.0 else 1.0
            args[off + 1] = py1 if py1 > 0.0 else 1.0
            off += 2
            for k in range(k_r):
                r = rbins[j, k]
                seen_r[r] = False
                for y in range(2):
                    args[off + y] = p2y[r, y] if p2y[r, y] > 0.0 else 1.0
                args[off + 2] = p2y[r, 0] + p2y[r, 1]
                off += 3
    return off


@_njit
def _goal_gradient(
    theta, pmf, cells, n_cells, rbins, n_rbins, cell_of, logs, offsets, nt, nr, coef, value, d_rec
):
    """Phase 2, per neuron: the goal and dG/dR_{mu i} from phase 1's pmf and ``logs`` (the
    base-2 logarithms of its ``args``). Follows :func:`infobook.pid.pid_goal_gradient` term by
    term; only populated cells are visited (the others contribute nothing and get gradient 0).
    """
    nb, n, m = theta.shape
    c_red, c_1, c_2, c_12, g_res = coef[0], coef[1], coef[2], coef[3], coef[4]
    c_all = c_red + c_1 + c_2 + c_12
    k_red = c_red / LN2
    inv_m = 1.0 / m
    p1y = np.zeros((nt, 2))
    p1 = np.zeros(nt)
    rs1 = np.zeros((nt, 2))
    qs1 = np.zeros(nt)
    l1y = np.zeros((nt, 2))
    l1 = np.zeros(nt)
    p2y = np.zeros((nr, 2))
    rs2 = np.zeros((nr, 2))
    qs2 = np.zeros(nr)
    l2y = np.zeros((nr, 2))
    l2 = np.zeros(nr)
    ncell = cells.shape[1]
    q = np.zeros(ncell)
    r0 = np.zeros(ncell)
    r1 = np.zeros(ncell)
    diff = np.zeros(nt * nr)
    xt_y = np.zeros((nt, 2))
    zr_y = np.zeros((nr, 2))
    for b in range(nb):
        for i in range(n):
            j = b * n + i
            k_cells = n_cells[j]
            k_r = n_rbins[j]
            for t in range(nt):
                p1y[t, 0] = 0.0
                p1y[t, 1] = 0.0
                rs1[t, 0] = 0.0
                rs1[t, 1] = 0.0
                qs1[t] = 0.0
            for k in range(k_r):
                r = rbins[j, k]
                p2y[r, 0] = 0.0
                p2y[r, 1] = 0.0
                rs2[r, 0] = 0.0
                rs2[r, 1] = 0.0
                qs2[r] = 0.0
            for k in range(k_cells):
                c = cells[j, k, 0]
                t = cells[j, k, 1]
                r = cells[j, k, 2]
                p1y[t, 0] += pmf[j, k, 0]
                p1y[t, 1] += pmf[j, k, 1]
                p2y[r, 0] += pmf[j, k, 0]
                p2y[r, 1] += pmf[j, k, 1]
            # logs of the marginals, in the order phase 1 wrote them
            off = offsets[j] + 6 * k_cells
            s_1y = 0.0
            s_1 = 0.0
            for t in range(nt):
                p1[t] = p1y[t, 0] + p1y[t, 1]
                l1y[t, 0] = logs[off]
                l1y[t, 1] = logs[off + 1]
                l1[t] = logs[off + 2]
                off += 3
                s_1y += p1y[t, 0] * l1y[t, 0] + p1y[t, 1] * l1y[t, 1]
                s_1 += p1[t] * l1[t]
            lpy0 = logs[off]
            lpy1 = logs[off + 1]
            off += 2
            py0 = 0.0
            py1 = 0.0
            for t in range(nt):
                py0 += p1y[t, 0]
                py1 += p1y[t, 1]
            h_y = py0 * lpy0 + py1 * lpy1  # -H(Y)
            s_2y = 0.0
            s_2 = 0.0
            for k in range(k_r):
                r = rbins[j, k]
                l2y[r, 0] = logs[off]
                l2y[r, 1] = logs[off + 1]
                l2[r] = logs[off + 2]
                off += 3
                s_2y += p2y[r, 0] * l2y[r, 0] + p2y[r, 1] * l2y[r, 1]
                s_2 += (p2y[r, 0] + p2y[r, 1]) * l2[r]
            # node averages over the populated cells, and the ratios of the redundancy's gradient
            s_uy = 0.0
            s_12u = 0.0
            s_pp = 0.0
            s_1212 = 0.0
            off = offsets[j]
            for k in range(k_cells):
                c = cells[j, k, 0]
                t = cells[j, k, 1]
                r = cells[j, k, 2]
                a0 = pmf[j, k, 0]
                a1 = pmf[j, k, 1]
                pc = a0 + a1
                u = p1[t] + p2y[r, 0] + p2y[r, 1] - pc
                qq = pc / u
                q[k] = qq
                qs1[t] += qq
                qs2[r] += qq
                s_12u += pc * logs[off]
                s_1212 += pc * logs[off + 1]
                s_uy += a0 * logs[off + 2] + a1 * logs[off + 3]
                s_pp += a0 * logs[off + 4] + a1 * logs[off + 5]
                off += 6
                ra = a0 / (p1y[t, 0] + p2y[r, 0] - a0) if a0 > 0.0 else 0.0
                rb = a1 / (p1y[t, 1] + p2y[r, 1] - a1) if a1 > 0.0 else 0.0
                r0[k] = ra
                r1[k] = rb
                rs1[t, 0] += ra
                rs1[t, 1] += rb
                rs2[r, 0] += ra
                rs2[r, 1] += rb
            red = s_uy - s_12u - h_y
            i1 = s_1y - s_1 - h_y
            i2 = s_2y - s_2 - h_y
            i12 = s_pp - s_1212 - h_y
            res = s_1212 - s_pp
            value[b, i] = c_red * red + c_1 * i1 + c_2 * i2 + c_12 * i12 + g_res * res
            # dG/dp at both outputs of each populated cell (0 where p = 0) and their difference;
            # the terms that live on a marginal are summed per bin first
            for t in range(nt):
                for y in range(2):
                    xt_y[t, y] = c_1 * (l1y[t, y] - l1[t]) + k_red * (rs1[t, y] - qs1[t])
            for k in range(k_r):
                r = rbins[j, k]
                for y in range(2):
                    zr_y[r, y] = c_2 * (l2y[r, y] - l2[r]) + k_red * (rs2[r, y] - qs2[r])
            o0 = -c_all * lpy0
            o1 = -c_all * lpy1
            off = offsets[j]
            for k in range(k_cells):
                c = cells[j, k, 0]
                t = cells[j, k, 1]
                r = cells[j, k, 2]
                g0 = (
                    c_red * logs[off + 2]
                    + (c_12 - g_res) * logs[off + 4]
                    - k_red * r0[k]
                    + xt_y[t, 0]
                    + zr_y[r, 0]
                    + o0
                )
                g1 = (
                    c_red * logs[off + 3]
                    + (c_12 - g_res) * logs[off + 5]
                    - k_red * r1[k]
                    + xt_y[t, 1]
                    + zr_y[r, 1]
                    + o1
                )
                a0 = pmf[j, k, 0]
                a1 = pmf[j, k, 1]
                if a0 > 0.0 and a1 > 0.0:  # the terms common to both outputs cancel
                    diff[c] = g1 - g0
                else:
                    common = (
                        -c_red * logs[off]
                        + (g_res - c_12) * logs[off + 1]
                        + k_red * q[k]
                        - c_all / LN2
                    )
                    d1 = g1 + common if a1 > 0.0 else 0.0
                    d0 = g0 + common if a0 > 0.0 else 0.0
                    diff[c] = d1 - d0
                off += 6
            # chain rule through p(t, r, y) -> theta -> R
            for mu in range(m):
                th = theta[b, i, mu]
                d_rec[b, i, mu] = diff[cell_of[j, mu]] * inv_m * th * (1.0 - th)


# ----------------------------------------------------------------------------- soft binning


@_njit
def _memberships(x, lo, width, inv_tau, nb, qpow, a, s, e):
    """Soft memberships of one sample ``x`` (see :func:`infobook.neuron.soft_memberships`):
    raw ``s[b] = 1 / (1 + e[b])`` with ``e[b] = exp((|x - c_b| - w/2) / tau)``, normalised into
    ``a``. Returns ``ka``, the first bin whose centre is >= x (bins below have x > c_b).

    The centres are equally spaced, so on either side of x the ``e`` form a geometric series:
    two exponentials per sample and the powers ``qpow[k] = exp(k w / tau)`` of the network
    replace ``nb`` exponentials, unless ``w / tau`` is so large that the series would
    underflow (the teaching input's hard memberships); then every ``e`` is taken directly.
    """
    half = 0.5 * width
    u = (x - lo) / width - 0.5  # x in units of bins from the first centre
    ka = int(math.ceil(u))
    ka = 0 if ka < 0 else ka
    ka = nb if ka > nb else ka
    if width * inv_tau > 1000.0:
        for b in range(nb):
            c = lo + (b + 0.5) * width
            # clamped both ways: exp(-700) already gives s = 1 exactly, and the slow path of
            # exp for huge negative arguments is avoided
            z = (abs(x - c) - half) * inv_tau
            e[b] = math.exp(700.0 if z > 700.0 else (-700.0 if z < -700.0 else z))
    else:
        if ka < nb:
            up = math.exp((lo + (ka + 0.5) * width - x - half) * inv_tau)
            for b in range(ka, nb):
                e[b] = up * qpow[b - ka]
        if ka > 0:
            dn = math.exp((x - lo - (ka - 0.5) * width - half) * inv_tau)
            for b in range(ka):
                e[b] = dn * qpow[ka - 1 - b]
    total = 0.0
    for b in range(nb):
        sb = 1.0 / (1.0 + e[b])
        s[b] = sb
        total += sb
    inv = 1.0 / total
    for b in range(nb):
        a[b] = s[b] * inv
    return ka


@_njit
def _powers(width, inv_tau, nb, qpow):
    q = math.exp(min(width * inv_tau, 700.0))
    v = 1.0
    for k in range(nb + 1):
        qpow[k] = v
        v = min(v * q, 1e300)


@_njit
def _teach_memberships(w_teach, lo_t, wt, inv_tau_t, nt, qt, a_tab):
    """Memberships of the two values of the teaching input, ``a_tab[0]`` for
    :math:`-w_T` (pattern bit -1) and ``a_tab[1]`` for :math:`+w_T`."""
    s_t = np.empty(nt)
    e_t = np.empty(nt)
    a_t = np.empty(nt)
    for k in range(2):
        a_t[:] = 0.0
        _memberships((2.0 * k - 1.0) * w_teach, lo_t, wt, inv_tau_t, nt, qt, a_t, s_t, e_t)
        a_tab[k] = a_t


@_njit
def _network_bins(edges, w_teach, nt, nr, inv_tau_t, inv_tau_r, qt, qr, a_tab):
    """One network's soft bins from its ``edges`` (lo_t, hi_t, lo_r, hi_r): the powers of both
    sources' series into ``qt`` and ``qr``, the teaching input's two memberships into
    ``a_tab``; returns the lower edge and the bin width of R."""
    lo_t, wt = edges[0], (edges[1] - edges[0]) / nt
    lo_r, wr = edges[2], (edges[3] - edges[2]) / nr
    _powers(wt, inv_tau_t, nt, qt)
    _powers(wr, inv_tau_r, nr, qr)
    _teach_memberships(w_teach, lo_t, wt, inv_tau_t, nt, qt, a_tab)
    return lo_r, wr


@_njit
def _soft_table(theta, rec, pat, w_teach, edges, nt, nr, inv_tau_t, inv_tau_r, pmf):
    """Soft binning, forward: ``pmf[b, i, t, y, r]`` (recurrent bins last, contiguous) of every
    neuron from ``theta``, ``rec`` and the pattern bits ``pat`` (B, N, M) (the teaching input
    is ``w_teach * pat``: two values, whose memberships are computed once per network);
    ``edges[b] = (lo_t, hi_t, lo_r, hi_r)``."""
    nb, n, m = rec.shape
    a_r = np.empty(nr)
    s_r = np.empty(nr)
    e_r = np.empty(nr)
    qt = np.empty(nt + 1)
    qr = np.empty(nr + 1)
    a_tab = np.empty((2, nt))
    acc = np.empty((nt, 2, nr))
    inv_m = 1.0 / m
    for b in range(nb):
        lo_r, wr = _network_bins(edges[b], w_teach, nt, nr, inv_tau_t, inv_tau_r, qt, qr, a_tab)
        for i in range(n):
            acc[:] = 0.0
            for mu in range(m):
                a_t = a_tab[1] if pat[b, i, mu] > 0 else a_tab[0]
                _memberships(rec[b, i, mu], lo_r, wr, inv_tau_r, nr, qr, a_r, s_r, e_r)
                th = theta[b, i, mu] * inv_m
                th0 = inv_m - th
                for t in range(nt):
                    at = a_t[t]
                    if at == 0.0:
                        continue
                    p1 = at * th
                    p0 = at * th0
                    row0 = acc[t, 0]
                    row1 = acc[t, 1]
                    for r in range(nr):
                        row0[r] += p0 * a_r[r]
                        row1[r] += p1 * a_r[r]
            pmf[b, i] = acc


@_njit
def _soft_backward(
    theta,
    rec,
    pat,
    w_teach,
    edges,
    nt,
    nr,
    inv_tau_t,
    inv_tau_r,
    g,
    exact,
    through,
    d_rec,
    d_edge,
):
    """Soft binning, backward: ``d_rec[b, i, mu]`` = dG/dR through theta and the memberships
    of R (the formulas of :func:`infobook.infomorphic._soft_rec_gradient`; the memberships'
    path weighted by ``through``, 0 or 1), and, when ``exact``, ``d_edge[b] = (dG/dlo_r,
    dG/dhi_r)``. ``g`` is dG/dp laid out as the table,
    (B, N, nt, 2, nr)."""
    nb, n, m = rec.shape
    a_r = np.empty(nr)
    s_r = np.empty(nr)
    e_r = np.empty(nr)
    qt = np.empty(nt + 1)
    qr = np.empty(nr + 1)
    a_tab = np.empty((2, nt))
    v = np.empty(nr)
    w_diff = np.empty(nr)
    cen = np.empty(nr)
    g0 = np.empty((nt, nr))
    gd = np.empty((nt, nr))
    inv_m = 1.0 / m
    half_n = 0.5 / nr
    for b in range(nb):
        lo_r, wr = _network_bins(edges[b], w_teach, nt, nr, inv_tau_t, inv_tau_r, qt, qr, a_tab)
        d_lo = 0.0
        d_hi = 0.0
        for i in range(n):
            for t in range(nt):
                for r in range(nr):
                    g0[t, r] = g[b, i, t, 0, r]
                    gd[t, r] = g[b, i, t, 1, r] - g[b, i, t, 0, r]
            for mu in range(m):
                x = rec[b, i, mu]
                a_t = a_tab[1] if pat[b, i, mu] > 0 else a_tab[0]
                ka = _memberships(x, lo_r, wr, inv_tau_r, nr, qr, a_r, s_r, e_r)
                th = theta[b, i, mu]
                for r in range(nr):
                    v[r] = 0.0
                    w_diff[r] = 0.0
                for t in range(nt):
                    at = a_t[t]
                    if at == 0.0:
                        continue
                    for r in range(nr):  # theta g1 + (1 - theta) g0 = g0 + theta (g1 - g0)
                        v[r] += at * (g0[t, r] + th * gd[t, r])
                        w_diff[r] += at * gd[t, r]
                d_theta = 0.0
                v_bar = 0.0
                for r in range(nr):
                    d_theta += a_r[r] * w_diff[r]
                    v_bar += a_r[r] * v[r]
                # a_r (1 - s_r) (v_r - v_bar) / M, with 1 - s_r = e_r s_r (no cancellation);
                # far from x, e_r overflows to inf and s_r = a_r = 0: the term is 0 (not inf * 0)
                for r in range(nr):
                    if s_r[r] == 0.0:
                        cen[r] = 0.0
                    else:
                        cen[r] = a_r[r] * e_r[r] * s_r[r] * (v[r] - v_bar) * inv_m
                below = 0.0  # bins whose centre is below x: sign(x - c) = +1
                below_w = 0.0
                for r in range(ka):
                    below += cen[r]
                    below_w += cen[r] * (r + 0.5)
                above = 0.0  # the others: -1, or 0 at a centre that equals x
                above_w = 0.0
                for r in range(ka, nr):
                    above += cen[r]
                    above_w += cen[r] * (r + 0.5)
                if ka < nr and lo_r + (ka + 0.5) * wr == x:
                    above -= cen[ka]
                    above_w -= cen[ka] * (ka + 0.5)
                    total = below + above + cen[ka]
                else:
                    total = below + above
                signed = below - above  # sum_r sign_r cen_r
                signed_w = (below_w - above_w) / nr  # sum_r sign_r frac_r cen_r
                d_rec[b, i, mu] = d_theta * inv_m * th * (1.0 - th) - through * signed * inv_tau_r
                if exact:
                    d_lo += (signed - signed_w - half_n * total) * inv_tau_r
                    d_hi += (signed_w + half_n * total) * inv_tau_r
        d_edge[b, 0] = d_lo
        d_edge[b, 1] = d_hi


@_njit
def _dense_offsets(nt, nr):
    """Where each kind of log argument starts in a neuron's row of :func:`_dense_args`."""
    o_1y = 6 * nt * nr
    o_1 = o_1y + 2 * nt
    o_2y = o_1 + nt
    o_2 = o_2y + 2 * nr
    return 2 * nt * nr, 4 * nt * nr, 5 * nt * nr, o_1y, o_1, o_2y, o_2, o_2 + nr


@_njit
def _dense_args(table, args):
    """The dense PID, phase 1: every neuron's marginals of ``table`` (B, N, nt, 2, nr), written
    as the arguments of their logarithms into ``args`` (B, N, 6 nt nr + 3 nt + 3 nr + 2), in
    the order V, p (nt, 2, nr), U, p12 (nt, nr), p1y (nt, 2), p1 (nt), p2y (nr, 2), p2 (nr),
    py (2); a zero probability is written as 1 (log 0 -> 0, as :mod:`infobook.pid` sets it)."""
    nb, n, nt, _, nr = table.shape
    o_p, o_u, o_12, o_1y, o_1, o_2y, o_2, o_y = _dense_offsets(nt, nr)
    p1y = np.empty((nt, 2))
    p2y = np.empty((nr, 2))
    for b in range(nb):
        for i in range(n):
            p = table[b, i]
            a = args[b, i]
            p1y[:] = 0.0
            p2y[:] = 0.0
            for t in range(nt):
                for y in range(2):
                    for r in range(nr):
                        v = p[t, y, r]
                        p1y[t, y] += v
                        p2y[r, y] += v
            for t in range(nt):
                p1 = p1y[t, 0] + p1y[t, 1]
                for r in range(nr):
                    p2 = p2y[r, 0] + p2y[r, 1]
                    p12 = p[t, 0, r] + p[t, 1, r]
                    k = t * nr + r
                    u = p1 + p2 - p12
                    a[o_u + k] = u if u > 0.0 else 1.0
                    a[o_12 + k] = p12 if p12 > 0.0 else 1.0
                    for y in range(2):
                        v = p[t, y, r]
                        vy = p1y[t, y] + p2y[r, y] - v
                        a[(t * 2 + y) * nr + r] = vy if vy > 0.0 else 1.0
                        a[o_p + (t * 2 + y) * nr + r] = v if v > 0.0 else 1.0
            py0 = 0.0
            py1 = 0.0
            for t in range(nt):
                for y in range(2):
                    a[o_1y + 2 * t + y] = p1y[t, y] if p1y[t, y] > 0.0 else 1.0
                p1 = p1y[t, 0] + p1y[t, 1]
                a[o_1 + t] = p1 if p1 > 0.0 else 1.0
                py0 += p1y[t, 0]
                py1 += p1y[t, 1]
            for r in range(nr):
                for y in range(2):
                    a[o_2y + 2 * r + y] = p2y[r, y] if p2y[r, y] > 0.0 else 1.0
                p2 = p2y[r, 0] + p2y[r, 1]
                a[o_2 + r] = p2 if p2 > 0.0 else 1.0
            a[o_y] = py0 if py0 > 0.0 else 1.0
            a[o_y + 1] = py1 if py1 > 0.0 else 1.0


@_njit
def _dense_goal_gradient(table, logs, coef, sources_constant, value, grad):
    """The dense PID, phase 2: the goal ``value`` (B, N) and dG/dp ``grad`` (B, N, nt, 2, nr)
    from the table and the base-2 logarithms of phase 1's arguments; the formulas of
    :func:`infobook.pid.pid_goal_gradient`, term by term."""
    nb, n, nt, _, nr = table.shape
    c_red, c_1, c_2, c_12, g_res = coef[0], coef[1], coef[2], coef[3], coef[4]
    c_all = c_red + c_1 + c_2 + c_12
    k_red = c_red / LN2
    o_p, o_u, o_12, o_1y, o_1, o_2y, o_2, o_y = _dense_offsets(nt, nr)
    p1y = np.empty((nt, 2))
    p2y = np.empty((nr, 2))
    q = np.empty((nt, nr))
    q_t = np.empty(nt)
    q_r = np.empty(nr)
    r_t = np.empty((nt, 2))
    r_r = np.empty((nr, 2))
    ratio = np.empty((nt, 2, nr))
    for b in range(nb):
        for i in range(n):
            p = table[b, i]
            lg = logs[b, i]
            p1y[:] = 0.0
            p2y[:] = 0.0
            q_t[:] = 0.0
            q_r[:] = 0.0
            r_t[:] = 0.0
            r_r[:] = 0.0
            s_v = 0.0  # sum p log V
            s_p = 0.0  # sum p log p
            for t in range(nt):
                for y in range(2):
                    for r in range(nr):
                        v = p[t, y, r]
                        p1y[t, y] += v
                        p2y[r, y] += v
                        j = (t * 2 + y) * nr + r
                        s_v += v * lg[j]
                        s_p += v * lg[o_p + j]
            s_u = 0.0  # sum p12 log U
            s_12 = 0.0  # sum p12 log p12
            for t in range(nt):
                p1 = p1y[t, 0] + p1y[t, 1]
                for r in range(nr):
                    p12 = p[t, 0, r] + p[t, 1, r]
                    k = t * nr + r
                    s_u += p12 * lg[o_u + k]
                    s_12 += p12 * lg[o_12 + k]
                    u = p1 + p2y[r, 0] + p2y[r, 1] - p12
                    qq = p12 / u if u > 0.0 else 0.0
                    q[t, r] = qq
                    q_t[t] += qq
                    q_r[r] += qq
                    for y in range(2):
                        v = p[t, y, r]
                        vy = p1y[t, y] + p2y[r, y] - v
                        rr = v / vy if vy > 0.0 else 0.0
                        ratio[t, y, r] = rr
                        r_t[t, y] += rr
                        r_r[r, y] += rr
            s_1y = 0.0
            s_1 = 0.0
            py0 = 0.0
            py1 = 0.0
            for t in range(nt):
                s_1y += p1y[t, 0] * lg[o_1y + 2 * t] + p1y[t, 1] * lg[o_1y + 2 * t + 1]
                s_1 += (p1y[t, 0] + p1y[t, 1]) * lg[o_1 + t]
                py0 += p1y[t, 0]
                py1 += p1y[t, 1]
            s_2y = 0.0
            s_2 = 0.0
            for r in range(nr):
                s_2y += p2y[r, 0] * lg[o_2y + 2 * r] + p2y[r, 1] * lg[o_2y + 2 * r + 1]
                s_2 += (p2y[r, 0] + p2y[r, 1]) * lg[o_2 + r]
            lpy0 = lg[o_y]
            lpy1 = lg[o_y + 1]
            h_y = py0 * lpy0 + py1 * lpy1
            red = s_v - s_u - h_y
            i1 = s_1y - s_1 - h_y
            i2 = s_2y - s_2 - h_y
            i12 = s_p - s_12 - h_y
            res = s_12 - s_p
            value[b, i] = c_red * red + c_1 * i1 + c_2 * i2 + c_12 * i12 + g_res * res
            small_y0 = -c_all * lpy0 - c_all / LN2
            small_y1 = -c_all * lpy1 - c_all / LN2
            for t in range(nt):
                for r in range(nr):
                    k = t * nr + r
                    q_corr = 0.0 if sources_constant else q_t[t] + q_r[r] - q[t, r]
                    small_12 = -c_red * lg[o_u + k] + (g_res - c_12) * lg[o_12 + k] - k_red * q_corr
                    for y in range(2):
                        j = (t * 2 + y) * nr + r
                        if p[t, y, r] > 0.0:
                            small_1y = (
                                c_1 * (lg[o_1y + 2 * t + y] - lg[o_1 + t]) + k_red * r_t[t, y]
                            )
                            small_2y = (
                                c_2 * (lg[o_2y + 2 * r + y] - lg[o_2 + r]) + k_red * r_r[r, y]
                            )
                            g = (
                                c_red * lg[j]
                                + (c_12 - g_res) * lg[o_p + j]
                                - k_red * ratio[t, y, r]
                                + small_12
                                + small_1y
                                + small_2y
                                + (small_y0 if y == 0 else small_y1)
                            )
                            grad[b, i, t, y, r] = g
                        else:
                            grad[b, i, t, y, r] = 0.0


def _dense_pid_gradient(table, goal, sources_constant):
    """The goal and dG/dp of every neuron's full table (B, N, nt, 2, nr), compiled: the
    equivalent of :func:`infobook.pid.pid_goal_gradient` on tables whose cells are all
    populated (as soft binning makes them), in two passes around one vectorised ``log2``."""
    nb, n, nt, _, nr = table.shape
    args = np.empty((nb, n, _log_slots(nt, nr)))
    _dense_args(table, args)
    logs = np.log2(args)
    value = np.empty((nb, n))
    grad = np.empty_like(table)
    coef = np.array(goal.node_weights())
    _dense_goal_gradient(table, logs, coef, sources_constant, value, grad)
    return value, grad


def _soft_goal_and_gradient(w, pats, states, goal, model, dtype):
    """Soft binning on the CPU: the compiled table, PID and backward pass (float64; every
    cell of the table is populated)."""
    size, m, n = pats.shape
    nt, nr = int(model.bins_t), int(model.bins_r)
    inv_tau_t, inv_tau_r = 1.0 / SOFT_TAU[0], 1.0 / SOFT_TAU[1]
    pat_t = np.ascontiguousarray(np.swapaxes(pats, -1, -2)).astype(np.float64)  # (B, N, M)
    rec = w.astype(np.float64) @ np.swapaxes(states, -1, -2).astype(np.float64)
    teach = model.w_teach * pat_t
    theta = sigmoid(teach + rec)
    flat = rec.reshape(size, -1)
    t_flat = teach.reshape(size, -1)
    edges = np.stack(
        [t_flat.min(-1) - SOFT_PADDING, t_flat.max(-1) + SOFT_PADDING,
         flat.min(-1) - SOFT_PADDING, flat.max(-1) + SOFT_PADDING], axis=-1,
    )  # fmt: skip
    table = np.empty((size, n, nt, 2, nr))
    w_teach = float(model.w_teach)
    _soft_table(theta, rec, pat_t, w_teach, edges, nt, nr, inv_tau_t, inv_tau_r, table)
    exact = model.soft_gradient == "exact"
    through = 0.0 if model.soft_gradient == "theta" else 1.0  # the memberships' path
    value, g = _dense_pid_gradient(table, goal, model.soft_gradient == "published")
    d_rec = np.empty_like(rec)
    d_edge = np.zeros((size, 2))
    _soft_backward(
        theta, rec, pat_t, w_teach, edges, nt, nr, inv_tau_t, inv_tau_r, g, exact, through,
        d_rec, d_edge,
    )  # fmt: skip
    if exact:  # the edges follow the smallest and largest R of each network (row i, pattern mu)
        d_flat = d_rec.reshape(size, -1)
        rows = np.arange(size)
        d_flat[rows, flat.argmin(-1)] += d_edge[:, 0]
        d_flat[rows, flat.argmax(-1)] += d_edge[:, 1]
    grad = (d_rec @ states.astype(np.float64)).astype(dtype)
    idx = np.arange(n)
    grad[:, idx, idx] = 0
    return value.astype(dtype), grad


_SCRATCH = threading.local()


def _scratch(neurons: int, m: int, nt: int, nr: int) -> tuple[np.ndarray, ...]:
    """Scratch arrays of the two phases, kept per thread between calls of the same size (fresh
    pages of a new array each step cost more than the work on them)."""
    key = (neurons, m, nt, nr)
    if getattr(_SCRATCH, "key", None) != key:
        _SCRATCH.key = key
        _SCRATCH.arrays = (
            np.empty((neurons, nt * nr, 2)),  # pmf
            np.empty((neurons, nt * nr + 1, 3), dtype=np.int64),  # cells
            np.empty((neurons, nr + 1), dtype=np.int64),  # rbins
            np.empty(neurons, dtype=np.int64),  # n_cells
            np.empty(neurons, dtype=np.int64),  # n_rbins
            np.empty((neurons, m), dtype=np.int64),  # cell_of
            np.empty(neurons, dtype=np.int64),  # offsets
            np.empty(neurons * _log_slots(nt, nr)),  # args
        )
    return _SCRATCH.arrays


class Step:
    """The fused goal and gradient of a fixed stack of networks' patterns, for many weights.

    What does not change between the steps of a training run is made once here: the
    neuron-major patterns and teaching input, the scratch arrays of the two compiled passes and
    the output buffers. ``step(weights)`` returns ``(goal, gradient)`` for weights (size, N, N)
    of the patterns' dtype; the arrays returned are this object's buffers, overwritten by the
    next call. ``ids`` restricts a call to some networks (the others' rows are left as they
    were); ``cues`` (size, M, N) gives the states the recurrent input is computed from.
    Fixed and adaptive binning (soft binning has its own kernels, see
    :func:`goal_and_gradient`).
    """

    def __init__(self, patterns: np.ndarray, goal: Goal, model: NeuronModel) -> None:
        if model.binning == "soft":
            raise ValueError("Step covers fixed and adaptive binning; soft binning is "
                             "computed by goal_and_gradient")  # fmt: skip
        size, m, n = patterns.shape
        dtype = patterns.dtype
        self.pats = np.ascontiguousarray(patterns)
        self.pat_t = np.ascontiguousarray(np.swapaxes(self.pats, -1, -2))  # (size, N, M)
        self.teach_t = (model.w_teach * self.pat_t).astype(dtype)
        self.model, self.dtype = model, dtype
        self.coef = np.array(goal.node_weights())
        self.nt, self.nr = int(model.bins_t), int(model.bins_r)
        lo, hi = (float(v) for v in model.value_range)
        t = dtype.type
        if model.binning == "adaptive":
            # right-closed bins of x / max|x| on [-1, 1] are the right-open bins of
            # -x / max|x| in reverse order, and the PID does not depend on the order of bins
            w_bin, lo, hi = -float(np.sign(model.w_teach)), -1.0, 1.0
        else:
            w_bin = model.w_teach
        self.bin_args = (t(w_bin), t(lo), t(self.nt / (hi - lo)), t(self.nr / (hi - lo)))
        # a few networks at a time: their (N, M) arrays stay in the CPU's cache between passes
        self.chunk = max(1, CHUNK_ELEMENTS // (n * m))
        self.scratch = _scratch(self.chunk * n, m, self.nt, self.nr)
        c = min(self.chunk, size)
        self.rec = np.empty((c, n, m), dtype=dtype)
        self.x = np.empty((c, n, m), dtype=dtype)
        self.theta = np.empty((c, n, m), dtype=dtype)
        self.neg = np.empty((c, n, m), dtype=bool)
        self.d_rec = np.empty((c, n, m), dtype=dtype)
        self.logs = np.empty(self.scratch[-1].shape)
        self.value = np.zeros((size, n))
        self.grad = np.empty((size, n, n), dtype=dtype)
        self.diagonal = np.arange(n)

    def _sigmoid(self, k: int) -> np.ndarray:
        """theta = sigmoid(teaching + recurrent input) of the chunk's first ``k`` networks, in
        the buffers, the same numbers as :func:`infobook.neuron.sigmoid`."""
        x, e, s, neg = self.x[:k], self.d_rec[:k], self.theta[:k], self.neg[:k]
        np.less(x, 0, out=neg)
        np.abs(x, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)  # never overflows
        np.add(e, 1.0, out=s)
        np.divide(1.0, s, out=s)
        np.multiply(e, s, out=e)
        # select by exact 0/1 products (a masked copy is several times slower)
        np.multiply(neg, e, out=e)
        np.logical_not(neg, out=neg)
        np.multiply(neg, s, out=s)
        np.add(s, e, out=s)
        return s

    def __call__(
        self, weights: np.ndarray, ids: np.ndarray | None = None, cues: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        size = self.pats.shape[0]
        order = np.arange(size) if ids is None else np.asarray(ids)
        whole = ids is None
        pmf, cells, rbins, n_cells, n_rbins, cell_of, offsets, args = self.scratch
        for a in range(0, order.size, self.chunk):
            if whole:
                z = slice(a, min(a + self.chunk, size))
            else:
                z = order[a : a + self.chunk]
            k = len(range(size)[z]) if whole else z.size
            rec, x, d_rec = self.rec[:k], self.x[:k], self.d_rec[:k]
            w = weights[z]
            if cues is None:
                states = self.pats[z]
                np.matmul(w, self.pat_t[z], out=rec)  # R of neuron i for pattern mu
            else:
                states = cues[z]
                np.matmul(w, np.swapaxes(states, -1, -2), out=rec)
            np.add(self.teach_t[z], rec, out=x)
            theta = self._sigmoid(k)
            if self.model.binning == "adaptive":
                scale = np.abs(rec).max(axis=-1, keepdims=True)
                binned = -rec / np.where(scale > 0, scale, 1)
            else:
                binned = rec
            used = _histogram(
                theta, binned, self.pat_t[z], *self.bin_args, self.nt, self.nr, pmf, cells,
                n_cells, rbins, n_rbins, cell_of, args, offsets,
            )  # fmt: skip
            logs = np.log2(args[:used], out=self.logs[:used])  # every logarithm at once
            value = self.value[z] if whole else np.empty((k, self.value.shape[1]))
            _goal_gradient(
                theta, pmf, cells, n_cells, rbins, n_rbins, cell_of, logs, offsets, self.nt,
                self.nr, self.coef, value, d_rec,
            )  # fmt: skip
            if whole:
                g = np.matmul(d_rec, states, out=self.grad[z])
            else:
                self.value[z] = value
                g = np.matmul(d_rec, states)
            g[:, self.diagonal, self.diagonal] = 0
            if not whole:
                self.grad[z] = g
        return self.value, self.grad


def goal_and_gradient(
    weights: np.ndarray,
    patterns: np.ndarray,
    goal: Goal,
    model: NeuronModel,
    cues: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The fused equivalent of :func:`infobook.infomorphic.goal_and_gradient` for NumPy arrays
    of a floating dtype. Same shapes and dtypes in and out. With ``cues`` (the shape of
    ``patterns``) the recurrent input is computed from them, the teaching input from the
    patterns."""
    dtype = weights.dtype
    m, n = patterns.shape[-2:]
    if weights.ndim < 2 or weights.shape[-2:] != (n, n):
        raise ValueError(
            f"weights of shape {tuple(weights.shape)} do not fit patterns of {n} neurons; "
            "expected (..., N, N)"
        )
    batch = np.broadcast_shapes(weights.shape[:-2], patterns.shape[:-2])
    size = int(np.prod(batch, dtype=int))
    w = np.ascontiguousarray(np.broadcast_to(weights, (*batch, n, n)).reshape(size, n, n))
    pats = np.ascontiguousarray(np.broadcast_to(patterns, (*batch, m, n)).reshape(size, m, n))
    if cues is None:
        states = None
    else:
        states = np.ascontiguousarray(
            np.broadcast_to(cues.astype(dtype, copy=False), (*batch, m, n)).reshape(size, m, n)
        )
    if model.binning == "soft":
        value, grad = _soft_goal_and_gradient(w, pats, pats if states is None else states,
                                              goal, model, dtype)  # fmt: skip
        return value.reshape(*batch, n), grad.reshape(*batch, n, n)
    value, grad = Step(pats.astype(dtype, copy=False), goal, model)(w, cues=states)
    return value.astype(dtype).reshape(*batch, n), grad.reshape(*batch, n, n)


@numba.njit(cache=True, nogil=True, error_model="numpy")  # no fastmath: Adam.step's numbers
def _adam(w, g, m, v, active, lr, b1, b1c, b2, b2c, c1, c2, eps):
    """One in-place Adam ascent step of the networks ``active`` (see
    :class:`infobook.infomorphic.Adam`) on arrays (networks, parameters): every scalar of the
    arrays' dtype and the operations in the order of the array program, so the numbers are
    the same (no division check, so that the loop vectorises)."""
    nb, size = w.shape
    for b in range(nb):
        if not active[b]:
            continue
        for k in range(size):
            gk = g[b, k]
            mm = b1 * m[b, k] + b1c * gk
            vv = b2 * v[b, k] + b2c * gk * gk
            m[b, k] = mm
            v[b, k] = vv
            w[b, k] = w[b, k] + lr * (mm / c1) / (np.sqrt(vv / c2) + eps)
