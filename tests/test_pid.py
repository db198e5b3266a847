"""infobook.pid against dit's PID_SX, the published gate table, the axioms, finite differences."""

import itertools

import dit
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from infobook import atoms
from infobook.distributions import CATALOGUE, canonical, random_pmf, to_dit
from infobook.pid import (
    ATOMS3,
    GOAL_ATOMS,
    NAMED_GOALS,
    goal_vector,
    pid3_goal_gradient,
    pid_goal,
    pid_goal_gradient,
    sxpid,
    sxpid3,
    sxpid3_pointwise,
    sxpid_parts,
    sxpid_pointwise,
)

# Makkeh, Gutknecht and Wibral (2021): (red, unq1, unq2, syn) for uniform inputs.
GATE_TABLE = {
    "XOR": (-0.584962501, 0.584962501, 0.584962501, 0.415037499),
    "AND": (0.122556249, 0.188721876, 0.188721876, 0.311278124),
    "COPY": (0.415037499, 0.584962501, 0.584962501, 0.415037499),
    "RDN": (1.0, 0.0, 0.0, 0.0),
    "UNQ": (0.415037499, 0.584962501, -0.415037499, 0.415037499),
}
NODE_RED, NODE_1, NODE_2, NODE_12 = ((0,), (1,)), ((0,),), ((1,),), ((0, 1),)


def dit_atoms(p):
    """(red, unq1, unq2, syn) from dit's independent implementation."""
    r = dit.pid.PID_SX(to_dit(p), [[0], [1]], [2])
    return np.array([r.get_pi(NODE_RED), r.get_pi(NODE_1), r.get_pi(NODE_2), r.get_pi(NODE_12)])


def entropy_bits(q):
    q = q[q > 0]
    return float(-(q * np.log2(q)).sum())


def mutual_information(p, axes_source):
    """I(Y : sources) in bits, sources given by the axes kept among (0, 1)."""
    drop = tuple(a for a in (0, 1) if a not in axes_source)
    joint = p.sum(axis=drop) if drop else p
    src = joint.sum(axis=-1)
    py = p.sum(axis=(0, 1))
    return entropy_bits(src.ravel()) + entropy_bits(py) - entropy_bits(joint.ravel())


@pytest.mark.parametrize("name", sorted(GATE_TABLE))
def test_gate_table_from_spec(name):
    a = sxpid(canonical(name))
    np.testing.assert_allclose([a.red, a.unq1, a.unq2, a.syn], GATE_TABLE[name], atol=5e-10)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_catalogue_against_dit(name):
    p = canonical(name)
    a = sxpid(p)
    np.testing.assert_allclose([a.red, a.unq1, a.unq2, a.syn], dit_atoms(p), atol=1e-9)


@pytest.mark.parametrize(
    "shape,zeros,seed",
    [
        ((2, 2, 2), 0.0, 0),
        ((3, 2, 2), 0.2, 1),
        ((2, 5, 3), 0.0, 2),
        ((4, 3, 2), 0.4, 3),
        ((2, 60, 2), 0.85, 4),
        ((5, 4, 3), 0.5, 5),
    ],
)
def test_random_pmfs_against_dit(shape, zeros, seed):
    batch = random_pmf((2, *shape), seed, zeros=zeros)
    got = sxpid(batch)
    for k in range(2):
        want = dit_atoms(batch[k])
        np.testing.assert_allclose(
            [got.red[k], got.unq1[k], got.unq2[k], got.syn[k]], want, atol=1e-9
        )


def test_pointwise_against_dit():
    p = random_pmf((3, 2, 2), 11, zeros=0.2)
    r = dit.pid.PID_SX(to_dit(p), [[0], [1]], [2], pointwise=True)
    pw = sxpid_pointwise(p)
    for node, field in [(NODE_RED, "red"), (NODE_1, "unq1"), (NODE_2, "unq2"), (NODE_12, "syn")]:
        for outcome, value in r.get_pw_pi(node).items():
            assert getattr(pw.atoms, field)[outcome] == pytest.approx(value, abs=1e-9)
    for outcome, value in r.get_pw_red_plus(NODE_RED).items():
        assert pw.informative.red[outcome] == pytest.approx(value, abs=1e-9)
    for outcome, value in r.get_pw_red_minus(NODE_RED).items():
        assert pw.misinformative.red[outcome] == pytest.approx(value, abs=1e-9)


def test_pointwise_and_parts_average_to_atoms():
    p = random_pmf((4, 3, 5, 2), 3, zeros=0.3)
    a, pw = sxpid(p), sxpid_pointwise(p)
    inf, mis = sxpid_parts(p)
    for f in ("red", "unq1", "unq2", "syn"):
        avg = (p * getattr(pw.atoms, f)).sum(axis=(-3, -2, -1))
        np.testing.assert_allclose(avg, getattr(a, f), atol=1e-12)
        np.testing.assert_allclose(getattr(inf, f) - getattr(mis, f), getattr(a, f), atol=1e-12)
    np.testing.assert_allclose((p * pw.atoms.res).sum(axis=(-3, -2, -1)), a.res, atol=1e-12)
    # informative and misinformative redundancy are non-negative (they are -log of probabilities)
    assert np.all(inf.red >= -1e-12) and np.all(mis.red >= -1e-12)


def test_batch_axes_match_single_calls():
    p = random_pmf((2, 3, 2, 4, 2), 7)
    batched = sxpid(p)
    assert batched.red.shape == (2, 3)
    for i, j in itertools.product(range(2), range(3)):
        single = sxpid(p[i, j])
        for f in single._fields:
            assert getattr(batched, f)[i, j] == pytest.approx(float(getattr(single, f)), abs=1e-14)


def test_empty_cells_are_exact():
    # Embedding a gate in a bigger alphabet with empty rows must not change anything.
    p = canonical("AND")
    big = np.zeros((4, 3, 3))
    big[:2, :2, :2] = p
    a, b = sxpid(p), sxpid(big)
    for f in a._fields:
        assert abs(float(getattr(a, f)) - float(getattr(b, f))) <= 1e-12
        assert np.isfinite(getattr(b, f))
    value, grad = pid_goal_gradient(big, "redundancy")
    assert np.all(np.isfinite(grad)) and np.isfinite(value)


def test_one_sided_and_degenerate_distributions():
    # Deterministic target: all atoms zero, no NaN.
    p = np.zeros((2, 2, 2))
    p[:, :, 0] = 0.25
    a = sxpid(p)
    assert all(abs(float(x)) < 1e-15 for x in a)
    # A single cell
    q = np.zeros((1, 1, 1))
    q[0, 0, 0] = 1.0
    assert all(float(x) == 0.0 for x in sxpid(q))


# --------------------------------------------------------------------------- properties

pmf_shapes = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3))


@st.composite
def pmfs(draw):
    shape = draw(pmf_shapes)
    raw = draw(arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    if raw.sum() <= 1e-3:
        raw = raw + 1.0
    return raw / raw.sum()


@settings(max_examples=150, deadline=None)
@given(pmfs())
def test_consistency_equations(p):
    a = sxpid(p)
    i1 = mutual_information(p, (0,))
    i2 = mutual_information(p, (1,))
    i12 = mutual_information(p, (0, 1))
    hy = entropy_bits(p.sum(axis=(0, 1)))
    assert a.red + a.unq1 + a.unq2 + a.syn == pytest.approx(i12, abs=1e-9)
    assert a.red + a.unq1 == pytest.approx(i1, abs=1e-9)
    assert a.red + a.unq2 == pytest.approx(i2, abs=1e-9)
    assert a.red + a.unq1 + a.unq2 + a.syn + a.res == pytest.approx(hy, abs=1e-9)
    assert a.res >= -1e-12


@settings(max_examples=100, deadline=None)
@given(pmfs())
def test_symmetry_under_swapping_sources(p):
    a, b = sxpid(p), sxpid(np.swapaxes(p, 0, 1))
    assert a.red == pytest.approx(b.red, abs=1e-12)
    assert a.unq1 == pytest.approx(b.unq2, abs=1e-12)
    assert a.unq2 == pytest.approx(b.unq1, abs=1e-12)
    assert a.syn == pytest.approx(b.syn, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(pmfs(), st.randoms(use_true_random=False))
def test_invariance_under_relabelling(p, rnd):
    perms = [rnd.sample(range(n), n) for n in p.shape]
    q = p[np.ix_(*perms)]
    a, b = sxpid(p), sxpid(q)
    for f in a._fields:
        assert getattr(a, f) == pytest.approx(getattr(b, f), abs=1e-12)


# --------------------------------------------------------------------------- goals and gradients


def test_goal_vectors_and_names():
    assert goal_vector("redundancy").tolist() == [0, 0, 1, 0, 0]
    assert goal_vector([1, 2, 3, 4, 5]).tolist() == [1, 2, 3, 4, 5]
    assert set(NAMED_GOALS) >= {
        "redundancy",
        "mutual_information",
        "coinformation",
        "optimized_i",
        "optimized_ii",
    }
    assert GOAL_ATOMS == ("unq1", "unq2", "red", "syn", "res")


def test_goal_value_is_weighted_sum_of_atoms():
    p = random_pmf((5, 2, 6, 2), 4)
    a = sxpid(p)
    g = np.array([0.3, -0.7, 1.1, -0.2, 0.5])
    want = sum(w * x for w, x in zip(g, a.goal_vector_order(), strict=True))
    np.testing.assert_allclose(pid_goal(p, g), want, atol=1e-12)
    value, _ = pid_goal_gradient(p, g)
    np.testing.assert_allclose(value, want, atol=1e-12)
    # mutual_information is I(Y:S1)
    v = pid_goal(p, "mutual_information")
    np.testing.assert_allclose(v, a.red + a.unq1, atol=1e-12)


def central_difference(p, goal, h=1e-5):
    """Five-point central differences of the goal, one entry of p at a time (error O(h^4))."""

    def f(q):
        return pid_goal(q, goal, validate=False)

    grad = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        steps = []
        for k in (2, 1, -1, -2):
            q = p.copy()
            q[idx] += k * h
            steps.append(f(q))
        grad[idx] = (-steps[0] + 8 * steps[1] - 8 * steps[2] + steps[3]) / (12 * h)
    return grad


@pytest.mark.parametrize("goal", [*sorted(NAMED_GOALS), (0.3, -0.7, 1.1, -0.2, 0.5)])
@pytest.mark.parametrize("shape,seed", [((2, 2, 2), 0), ((2, 6, 2), 1), ((3, 4, 3), 2)])
def test_gradient_against_central_differences(goal, shape, seed):
    p = random_pmf(shape, seed)
    _, grad = pid_goal_gradient(p, goal)
    fd = central_difference(p, goal)
    np.testing.assert_allclose(grad, fd, atol=1e-7, rtol=1e-7)


@pytest.mark.parametrize("goal", ["redundancy", (1.0, 1.0, 1.0, 1.0, 1.0), (0, 0, 0, 0, 1)])
def test_gradient_of_each_atom(goal):
    p = random_pmf((2, 5, 2), 9)
    _, grad = pid_goal_gradient(p, goal)
    np.testing.assert_allclose(grad, central_difference(p, goal), atol=1e-7, rtol=1e-7)


def test_gradient_is_batched():
    p = random_pmf((3, 2, 4, 2), 5)
    v, g = pid_goal_gradient(p, "optimized_ii")
    assert v.shape == (3,) and g.shape == p.shape
    for k in range(3):
        vk, gk = pid_goal_gradient(p[k], "optimized_ii")
        np.testing.assert_allclose(g[k], gk, atol=1e-14)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.full((2, 2, 2), -0.125), "negative"),
        (np.array([[[0.5, np.nan], [0.25, 0.25]], [[0, 0], [0, 0]]]), "NaN"),
        (np.array([[[0.5, np.inf], [0.25, 0.25]], [[0, 0], [0, 0]]]), "infinite"),
        (np.full((2, 2, 2), 0.2), "sum to 1"),
        (np.full((2, 2), 0.25), "three axes"),
        (np.zeros((2, 0, 2)), "empty axis"),
        (np.full((2, 2, 2), "a"), "real numbers"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(bad, match):
    with pytest.raises(ValueError, match=match):
        sxpid(bad)


def test_unknown_goal_names_the_choices():
    p = canonical("XOR")
    with pytest.raises(ValueError, match="unknown goal 'redundancey'.*redundancy"):
        pid_goal(p, "redundancey")
    with pytest.raises(ValueError, match="five weights"):
        pid_goal_gradient(p, [1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        pid_goal(p, [1, 2, 3, np.nan, 0])


def test_batch_of_ten_thousand_is_one_call():
    p = random_pmf((10_000, 2, 60, 2), 0, zeros=0.5)
    a = sxpid(p)
    assert a.red.shape == (10_000,)
    assert np.all(np.isfinite(a.red))
    for k in (0, 4321, 9999):  # each batch element is the single-pmf decomposition
        single = sxpid(p[k])
        for f in a._fields:
            assert getattr(a, f)[k] == pytest.approx(float(getattr(single, f)), abs=1e-13)


def test_float32_input_stays_close():
    p = random_pmf((4, 2, 6, 2), 8)
    a64 = sxpid(p)
    a32 = sxpid(p.astype(np.float32))
    assert a32.red.dtype == np.float32
    np.testing.assert_allclose(a32.red, a64.red, atol=1e-5)


# --------------------------------------------------------------------------- three sources


def _node3(name):
    """dit's name of an antichain: "{1}{23}" -> ((0,), (1, 2))."""
    return tuple(tuple(sorted(int(c) - 1 for c in part)) for part in name.strip("{}").split("}{"))


def _dit_sx3(p):
    import dit
    from dit.pid import PID_SX

    outcomes, probs = [], []
    for idx in itertools.product(*(range(n) for n in p.shape)):
        if p[idx] > 0:
            outcomes.append(tuple(idx))
            probs.append(p[idx])
    d = dit.Distribution(outcomes, probs)
    r = PID_SX(d, [[0], [1], [2]], [3])
    return np.array([r.get_pi(_node3(n)) for n in ATOMS3])


def _gate3(fn, n_out):
    p = np.zeros((2, 2, 2, n_out))
    for a, b, c in itertools.product(range(2), repeat=3):
        p[a, b, c, fn(a, b, c)] += 1 / 8
    return p


GATES3 = {
    "parity": _gate3(lambda a, b, c: (a + b + c) % 2, 2),
    "copy": _gate3(lambda a, b, c: 4 * a + 2 * b + c, 8),
    "and": _gate3(lambda a, b, c: a & b & c, 2),
    "copy_first": _gate3(lambda a, b, c: a, 2),
}


def test_three_source_lattice_and_names():
    assert len(ATOMS3) == 18 and ATOMS3[0] == "{1}{2}{3}" and ATOMS3[-1] == "{123}"
    assert atoms.THREE_SOURCE == (*ATOMS3, "res")
    # the zeta matrix is unitriangular in this order, so the order is a linear extension
    from infobook.pid import _MOBIUS3

    assert np.allclose(np.diag(_MOBIUS3), 1) and np.allclose(np.triu(_MOBIUS3, 1), 0)


@pytest.mark.parametrize("name", sorted(GATES3))
def test_three_source_gates_against_dit(name):
    p = GATES3[name]
    ours = sxpid3(p)
    np.testing.assert_allclose([float(ours[a]) for a in ATOMS3], _dit_sx3(p), atol=1e-9)


def test_three_source_redundancy_gate_is_all_redundant():
    p = np.zeros((2, 2, 2, 2))
    p[0, 0, 0, 0] = p[1, 1, 1, 1] = 0.5
    ours = sxpid3(p)
    assert float(ours["{1}{2}{3}"]) == pytest.approx(1.0, abs=1e-12)
    assert all(abs(float(ours[a])) < 1e-12 for a in ATOMS3[1:])
    np.testing.assert_allclose([float(ours[a]) for a in ATOMS3], _dit_sx3(p), atol=1e-9)


@pytest.mark.parametrize(
    ("shape", "zeros", "seed"),
    [((2, 2, 2, 2), 0, 0), ((2, 3, 2, 2), 5, 1), ((3, 2, 2, 3), 10, 2), ((2, 2, 4, 2), 3, 3)],
)
def test_three_source_random_pmfs_against_dit(shape, zeros, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
    p.flat[rng.choice(p.size, zeros, replace=False)] = 0
    p /= p.sum()
    ours = sxpid3(p)
    np.testing.assert_allclose([float(ours[a]) for a in ATOMS3], _dit_sx3(p), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_three_source_atoms_sum_to_the_mutual_information(seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(24) * 0.5).reshape(2, 3, 2, 2)
    d = sxpid3(p)
    py = p.sum(axis=(0, 1, 2))
    ps = p.sum(axis=-1, keepdims=True)
    mask = p > 0
    mi = float((p[mask] * np.log2(p[mask] / (ps * py)[mask])).sum())
    assert sum(float(d[a]) for a in ATOMS3) == pytest.approx(mi, abs=1e-10)
    h_y = -float((py[py > 0] * np.log2(py[py > 0])).sum())
    assert sum(float(v) for v in d.values()) == pytest.approx(h_y, abs=1e-10)
    local = sxpid3_pointwise(p)
    for a in ATOMS3:
        assert float((p * local[a]).sum()) == pytest.approx(float(d[a]), abs=1e-12)


def test_an_independent_third_source_leaves_the_two_source_nodes():
    """With S3 independent of (S1, S2, Y), the nodes without source 3 are the two-source
    nodes: red = I({1}{2}), I(Y:S1) = I({1}), I(Y:S1,S2) = I({12})."""
    rng = np.random.default_rng(7)
    p2 = rng.dirichlet(np.ones(12)).reshape(2, 3, 2)
    q = np.array([0.3, 0.7])
    p3 = p2[:, :, None, :] * q[None, None, :, None]
    d3, d2 = sxpid3(p3), sxpid(p2)
    from infobook.pid import _MOBIUS3

    nodes = np.linalg.inv(_MOBIUS3) @ np.array([float(d3[a]) for a in ATOMS3])
    node = dict(zip(ATOMS3, nodes, strict=True))
    assert node["{1}{2}"] == pytest.approx(float(d2.red), abs=1e-12)
    assert node["{1}"] == pytest.approx(float(d2.red + d2.unq1), abs=1e-12)
    assert node["{2}"] == pytest.approx(float(d2.red + d2.unq2), abs=1e-12)
    both = float(d2.red + d2.unq1 + d2.unq2 + d2.syn)
    assert node["{12}"] == pytest.approx(both, abs=1e-12)
    assert float(d3["res"]) == pytest.approx(float(d2.res), abs=1e-12)


def test_three_source_is_batched():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(16), size=(2, 3)).reshape(2, 3, 2, 2, 2, 2)
    d = sxpid3(p)
    for i, j in itertools.product(range(2), range(3)):
        single = sxpid3(p[i, j])
        for a in atoms.THREE_SOURCE:
            assert float(d[a][i, j]) == pytest.approx(float(single[a]), abs=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_source_gradient_against_central_differences(seed):
    rng = np.random.default_rng(seed)
    # entries away from 0, where central differences of the logarithms are accurate
    p = (0.5 * rng.dirichlet(np.ones(24)) + 0.5 / 24).reshape(2, 3, 2, 2)
    goal = {a: float(w) for a, w in zip(atoms.THREE_SOURCE, rng.normal(size=19), strict=True)}
    value, grad = pid3_goal_gradient(p, goal)
    d = sxpid3(p)
    assert float(value) == pytest.approx(sum(w * float(d[a]) for a, w in goal.items()), abs=1e-12)
    h = 1e-6
    fd = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[idx] += h
        down[idx] -= h
        fd[idx] = (
            pid3_goal_gradient(up, goal, validate=False)[0]
            - pid3_goal_gradient(down, goal, validate=False)[0]
        ) / (2 * h)
    assert np.abs(grad - fd).max() <= 1e-6 * np.abs(fd).max()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: sxpid3(np.full((2, 2, 2), 0.125)), ValueError, "four axes"),
        (lambda: sxpid3(np.full((2, 2, 2, 2), 0.1)), ValueError, "sum to 1"),
        (lambda: sxpid3(np.full((2, 2, 2, 2), -1 / 16)), ValueError, "negative"),
        (lambda: pid3_goal_gradient(GATES3["and"], {"{1}{4}": 1.0}), ValueError, "unknown"),
        (lambda: pid3_goal_gradient(GATES3["and"], "redundancy"), TypeError, "atom names"),
        (lambda: pid3_goal_gradient(GATES3["and"], {"res": np.inf}), ValueError, "finite"),
    ],
)
def test_three_source_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- other measures


def test_other_measures_agree_where_they_must():
    from infobook.pid import OTHER_MEASURES, pid_measure

    p = np.stack([random_pmf((2, 3, 2), s) for s in range(3)])
    ours, via_dit = sxpid(p), pid_measure(p, "sx")
    for f in ("red", "unq1", "unq2", "syn", "res"):
        np.testing.assert_allclose(getattr(via_dit, f), getattr(ours, f), atol=1e-9)
    mi = ours.red + ours.unq1 + ours.unq2 + ours.syn  # I(Y:S1,S2), the same for every measure
    i1, i2 = ours.red + ours.unq1, ours.red + ours.unq2
    for name in OTHER_MEASURES:
        d = pid_measure(p[:1], name)
        total = d.red + d.unq1 + d.unq2 + d.syn
        np.testing.assert_allclose(total, mi[:1], atol=1e-6)
        np.testing.assert_allclose(d.red + d.unq1, i1[:1], atol=1e-6)
    mmi = pid_measure(p, "MMI")
    np.testing.assert_allclose(mmi.red, np.minimum(i1, i2), atol=1e-9)
    with pytest.raises(ValueError, match="unknown measure 'Imin'.*I_min"):
        pid_measure(p, "Imin")
