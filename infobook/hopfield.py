r"""Hopfield networks: patterns, Hebbian weights, recall, metrics and capacity scans.

Introduced in the chapter :ref:`ch-hopfield`. Every function works on stacks of networks at
once: patterns have shape ``(..., M, N)`` (M patterns of N neurons, any leading axes for
independent networks), weights ``(..., N, N)`` and biases ``(..., N)``. States are ``+1/-1``
stored as floating-point numbers, so that recall is a batched matrix product.

Convention for every learning rule of the book: the local field of neuron ``i`` is
:math:`h_i = \sum_j W_{ij} s_j + b_i`, and recall updates :math:`s_i \leftarrow \mathrm{sign}(h_i)`.
The value taken at a zero field is explicit (``zero_field``): ``-1`` as in the published code,
``+1``, or ``0`` for "keep the previous state".

Weight rules, the Hebbian rule included, live in :mod:`infobook.rules`; ``hebbian_weights``,
``hebbian``, ``get_rule`` and ``RULES`` are re-exported here for the chapters on Hebbian memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import Backend, array_namespace, get_backend, to_numpy
from .neuron import sigmoid
from .rules import RULES as RULES
from .rules import Rule, get_rule
from .rules import hebbian as hebbian
from .rules import hebbian_weights as hebbian_weights

#: Overlap threshold of the metric a_theta and of "stored" in the capacity scan.
THETA = 0.95

ZERO_FIELD_CHOICES = (-1, 1, 0)


# --------------------------------------------------------------------------- patterns and cues


def random_patterns(
    n_patterns: int,
    n_neurons: int,
    seed: int | np.random.Generator = 0,
    *,
    bias: float = 0.5,
    batch: tuple[int, ...] = (),
    dtype: Any = np.float64,
) -> np.ndarray:
    """Random +-1 patterns with P(+1) = ``bias``, shape ``(*batch, n_patterns, n_neurons)``.

    The draw is ``rng.random(shape) < bias`` with ``rng = numpy.random.default_rng(seed)``, so the
    same seed gives the same patterns, and (without ``batch``) the first ``m`` patterns of a draw
    of ``M > m`` patterns are exactly the draw of ``m`` patterns: pattern sets are nested.
    """
    _check_sizes(n_patterns=n_patterns, n_neurons=n_neurons)
    if not 0.0 <= bias <= 1.0:
        raise ValueError(f"bias is a probability P(+1) in [0, 1], got {bias}")
    rng = np.random.default_rng(seed)
    draw = rng.random((*batch, n_patterns, n_neurons)) < bias
    return np.where(draw, 1.0, -1.0).astype(dtype)


def markov_patterns(
    n_patterns: int,
    n_neurons: int,
    p: float,
    seed: int | np.random.Generator = 0,
    *,
    batch: tuple[int, ...] = (),
    dtype: Any = np.float64,
) -> np.ndarray:
    r"""Correlated patterns as in Blümel et al. (2025): each pattern an unbiased +-1 Markov
    chain along the neuron index, :math:`s_1` fair and :math:`s_i = s_{i-1} b_i` with
    :math:`P(b_i = +1) = p`, so that :math:`P(s_i = s_{i-1}) = p` and
    :math:`\mathrm{corr}(s_i, s_j) = (2p - 1)^{|i - j|}` (``p = 0.5``: independent bits).

    Shape ``(*batch, n_patterns, n_neurons)``; one uniform draw per bit from
    ``default_rng(seed)``, so that (without ``batch``) the first ``m`` patterns of a draw of
    ``M > m`` are the draw of ``m``, as for :func:`random_patterns`.
    """
    _check_sizes(n_patterns=n_patterns, n_neurons=n_neurons)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p is the probability P(s_i = s_(i-1)) in [0, 1], got {p}")
    rng = np.random.default_rng(seed)
    u = rng.random((*batch, n_patterns, n_neurons))
    steps = np.where(u < p, 1.0, -1.0)
    steps[..., 0] = np.where(u[..., 0] < 0.5, 1.0, -1.0)
    return np.cumprod(steps, axis=-1).astype(dtype)


def pattern_bank(
    seeds: Sequence[int],
    max_patterns: int,
    n_neurons: int,
    *,
    bias: float = 0.5,
    markov: float | None = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """One bank of ``max_patterns`` patterns per seed, shape ``(len(seeds), max_patterns, N)``.

    Capacity scans store the first ``M`` patterns of each bank at load ``M / N``: pattern sets are
    nested across loads (common random numbers), which makes curves smooth in the load without
    changing any single measurement's distribution. With ``markov`` the patterns are the
    correlated Markov chains of :func:`markov_patterns` with that ``p``.
    """
    if markov is not None:
        if bias != 0.5:
            raise ValueError("Markov-chain patterns are unbiased: give bias or markov, not both")
        return np.stack(
            [markov_patterns(max_patterns, n_neurons, markov, s, dtype=dtype) for s in seeds]
        )
    return np.stack(
        [random_patterns(max_patterns, n_neurons, s, bias=bias, dtype=dtype) for s in seeds]
    )


def corrupt(patterns: Any, n_flips: int, seed: int | np.random.Generator = 0) -> Any:
    """Copies of ``patterns`` with exactly ``n_flips`` distinct bits flipped in each pattern."""
    xp = array_namespace(patterns)
    n = patterns.shape[-1]
    if not 0 <= n_flips <= n:
        raise ValueError(f"n_flips must lie in [0, {n}] for patterns of {n} neurons, got {n_flips}")
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random(patterns.shape), axis=-1)
    flip = np.zeros(patterns.shape, dtype=bool)
    np.put_along_axis(flip, order[..., :n_flips], True, axis=-1)
    return xp.where(xp.asarray(flip), -patterns, patterns)


# --------------------------------------------------------------------------- dynamics


def energy(weights: Any, states: Any, bias: Any | None = None) -> Any:
    r"""Hopfield energy :math:`E = -\tfrac12 s^T W s - b^T s`, shape ``(..., K)``."""
    h = states @ _swap(weights)
    e = -0.5 * (h * states).sum(axis=-1)
    if bias is not None:
        e = e - (bias[..., None, :] * states).sum(axis=-1)
    return e


def _sign(xp: Any, h: Any, previous: Any, zero_field: int) -> Any:
    out = xp.where(h > 0, 1.0, -1.0).astype(previous.dtype)
    if zero_field == 1:
        out = xp.where(h == 0, 1.0, out).astype(previous.dtype)
    elif zero_field == 0:
        out = xp.where(h == 0, previous, out)
    return out


def _swap(w: Any) -> Any:
    return array_namespace(w).swapaxes(w, -1, -2)


@dataclass(frozen=True)
class RecallResult:
    """Outcome of synchronous recall.

    Attributes
    ----------
    states : array (..., K, N)
        Final states.
    steps : array (..., K)
        Synchronous updates made before stopping.
    status : array (..., K) of int8
        1 = fixed point, 2 = two-cycle, 0 = stopped after ``max_steps``.
    """

    states: Any
    steps: Any
    status: Any


#: Mixed into every stochastic-recall generator's seed, so that no recall stream is the stream
#: of a pattern bank (those are seeded by the network's seed alone).
RECALL_TAG = 0x5EC411


def recall(
    weights: Any,
    cues: Any,
    bias: Any | None = None,
    *,
    max_steps: int | None = None,
    zero_field: int = -1,
    stochastic: bool = False,
    seed: int | Sequence[int] = 0,
    streams: Sequence[int] | None = None,
) -> RecallResult:
    """Synchronous recall :math:`s \\leftarrow \\mathrm{sign}(W s + b)` of a batch of cues.

    Each cue stops on its own at a fixed point, at a two-cycle (the state equals the one two
    steps before; the final state is the current one), or after ``max_steps`` (default N)
    updates. All cues of all networks are updated together as one batched product; a cue that
    has stopped is frozen.

    Parameters
    ----------
    weights : array (..., N, N)
    cues : array (..., K, N) of +-1
    bias : array (..., N) or None
    max_steps : int, default N
    zero_field : {-1, 1, 0}
        State given to a neuron whose field is exactly 0 (0 keeps its previous state).
    stochastic, seed, streams
        Stochastic recall: each neuron samples its new state, +1 with probability
        :math:`\\sigma(h)` of its field, instead of taking the sign; the stopping rules are
        the same. Network ``k`` of the batch (C order) draws from its own generator,
        ``default_rng([RECALL_TAG, *seed, streams[k]])`` (``streams`` None: the positions
        0, 1, ...), so that a network's draws depend on its own key only, and never coincide
        with the streams that made the patterns.
    """
    rngs = None
    if stochastic:
        batch = np.broadcast_shapes(weights.shape[:-2], cues.shape[:-2])
        size = int(np.prod(batch, dtype=int))
        keys = list(range(size)) if streams is None else [int(k) for k in streams]
        if len(keys) != size:
            raise ValueError(f"streams needs one key per network ({size}), got {len(keys)}")
        base = [int(seed)] if np.ndim(seed) == 0 else [int(v) for v in seed]
        rngs = [np.random.default_rng([RECALL_TAG, *base, k]) for k in keys]
    if zero_field not in ZERO_FIELD_CHOICES:
        raise ValueError(f"zero_field must be one of {ZERO_FIELD_CHOICES}, got {zero_field!r}")
    n = cues.shape[-1]
    if weights.shape[-2:] != (n, n):
        raise ValueError(
            f"weights of shape {tuple(weights.shape)} do not fit cues of {n} neurons; "
            "expected (..., N, N)"
        )
    if rngs is None and array_namespace(weights, cues) is np:
        return _recall_each(weights, cues, bias, max_steps, zero_field)
    wt = _swap(weights)

    def field(s: Any) -> Any:
        h = s @ wt
        return h if bias is None else h + bias[..., None, :]

    return iterate(field, cues.astype(weights.dtype), max_steps, zero_field, rngs)


def iterate(
    field: Callable[[Any], Any],
    cues: Any,
    max_steps: int | None = None,
    zero_field: int = -1,
    rngs: Sequence[np.random.Generator] | None = None,
) -> RecallResult:
    r"""Synchronous updates :math:`s \leftarrow \mathrm{sign}(h(s))` of a batch of cues under
    any field function ``h`` (..., K, N) -> (..., K, N), with the stopping rules of
    :func:`recall` (which calls it with the pairwise field; :mod:`infobook.dense` with the
    3-body one). ``rngs``: one generator per network for stochastic updates, or None."""
    xp = array_namespace(cues)
    if zero_field not in ZERO_FIELD_CHOICES:
        raise ValueError(f"zero_field must be one of {ZERO_FIELD_CHOICES}, got {zero_field!r}")
    max_steps = cues.shape[-1] if max_steps is None else int(max_steps)
    s = cues.copy()
    prev = xp.full_like(s, 0)
    active = xp.ones(s.shape[:-1], dtype=bool)
    steps = xp.zeros(s.shape[:-1], dtype=xp.int64)
    status = xp.zeros(s.shape[:-1], dtype=xp.int8)
    for _ in range(max_steps):
        h = field(s)
        if rngs is None:
            new = _sign(xp, h, s, zero_field)
        else:
            draws = np.stack([r.random(h.shape[-2:]) for r in rngs]).reshape(h.shape)
            u = xp.asarray(draws, dtype=h.dtype)
            new = xp.where(u < sigmoid(h), 1.0, -1.0).astype(s.dtype)
        fixed = xp.all(new == s, axis=-1) & active
        cycle = xp.all(new == prev, axis=-1) & active & ~fixed
        status = xp.where(fixed, 1, xp.where(cycle, 2, status)).astype(xp.int8)
        moving = active & ~fixed & ~cycle
        prev = xp.where(moving[..., None], s, prev)
        s = xp.where(moving[..., None], new, s)
        steps = steps + moving
        active = moving
        if not bool(active.any()):
            break
    return RecallResult(s, steps, status)


def _recall_each(
    weights: np.ndarray,
    cues: np.ndarray,
    bias: np.ndarray | None,
    max_steps: int | None,
    zero_field: int,
) -> RecallResult:
    """Deterministic synchronous recall on NumPy, network by network, each step computing the
    fields of the cues still moving only (the rules of :func:`iterate`, the same states, steps
    and status): near and beyond capacity a few cues wander for ``max_steps`` while the rest
    stopped after a few updates."""
    batch = np.broadcast_shapes(
        weights.shape[:-2], cues.shape[:-2], () if bias is None else bias.shape[:-1]
    )
    k, n = cues.shape[-2:]
    max_steps = n if max_steps is None else int(max_steps)
    size = int(np.prod(batch, dtype=int))
    w = np.broadcast_to(weights, (*batch, n, n)).reshape(size, n, n)
    s = np.array(np.broadcast_to(cues, (*batch, k, n)).reshape(size, k, n), dtype=weights.dtype)
    b = None if bias is None else np.broadcast_to(bias, (*batch, n)).reshape(size, n)
    steps = np.zeros((size, k), dtype=np.int64)
    status = np.zeros((size, k), dtype=np.int8)
    for net in range(size):
        wt, state = w[net].T, s[net]
        prev = np.zeros_like(state)
        idx = np.arange(k)
        for _ in range(max_steps):
            current = state[idx]
            h = current @ wt
            if b is not None:
                h = h + b[net]
            new = _sign(np, h, current, zero_field)
            fixed = (new == current).all(axis=-1)
            cycle = (new == prev[idx]).all(axis=-1) & ~fixed
            status[net, idx[fixed]] = 1
            status[net, idx[cycle]] = 2
            moving = ~(fixed | cycle)
            idx, new = idx[moving], new[moving]
            prev[idx] = current[moving]
            state[idx] = new
            steps[net, idx] += 1
            if idx.size == 0:
                break
    return RecallResult(
        s.reshape(*batch, k, n), steps.reshape(*batch, k), status.reshape(*batch, k)
    )


def recall_async(
    weights: Any,
    cues: Any,
    bias: Any | None = None,
    *,
    seed: int | np.random.Generator = 0,
    max_sweeps: int = 100,
    zero_field: int = 0,
    record_energy: bool = False,
) -> tuple[Any, Any]:
    """Asynchronous recall: neurons updated one at a time in a fresh random order each sweep.

    All cues (and networks) share the order of a sweep and are updated together. Stops after a
    sweep that changes nothing, or after ``max_sweeps``. Returns ``(states, energies)`` where
    ``energies`` (when ``record_energy``) has shape ``(n_updates + 1, ..., K)``: the energy after
    every single-neuron update, which never increases for symmetric weights with zero diagonal.
    """
    xp = array_namespace(weights, cues)
    if zero_field not in ZERO_FIELD_CHOICES:
        raise ValueError(f"zero_field must be one of {ZERO_FIELD_CHOICES}, got {zero_field!r}")
    rng = np.random.default_rng(seed)
    n = cues.shape[-1]
    s = cues.astype(weights.dtype, copy=True)
    energies = [energy(weights, s, bias)] if record_energy else []
    for _ in range(max_sweeps):
        changed = False
        for i in rng.permutation(n):
            h = (s * weights[..., None, i, :]).sum(axis=-1)
            if bias is not None:
                h = h + bias[..., None, i]
            new = _sign(xp, h, s[..., i], zero_field)
            if bool(xp.any(new != s[..., i])):
                changed = True
                s[..., i] = new
            if record_energy:
                energies.append(energy(weights, s, bias))
        if not changed:
            break
    return s, (xp.stack(energies) if record_energy else None)


# --------------------------------------------------------------------------- metrics


def overlap(states: Any, patterns: Any) -> Any:
    """Cosine similarity of +-1 vectors (the overlap ``s . xi / N``), shape ``(..., K)``."""
    return (states * patterns).mean(axis=-1)


def accuracy(states: Any, patterns: Any, theta: float = THETA) -> tuple[Any, Any]:
    """``(a_cos, a_theta)`` over the K patterns: the mean overlap, and the fraction of patterns
    with overlap >= theta."""
    m = overlap(states, patterns)
    return m.mean(axis=-1), (m >= theta).mean(axis=-1)


# --------------------------------------------------------------------------- rules and scans


def published_alphas() -> np.ndarray:
    """The published load grid alpha = 0.01, 0.06, ..., 2.01 (41 loads)."""
    return np.round(0.01 + 0.05 * np.arange(41), 2)


def parse_seeds(seeds: int | Sequence[int]) -> tuple[int, ...]:
    """Seeds ``0 .. seeds-1`` for an integer, else the given seeds; at least one, each an
    integer >= 0, no repeats."""
    if isinstance(seeds, bool):
        raise TypeError(f"seeds must be a number of seeds or a list of seeds, got {seeds!r}")
    if isinstance(seeds, int | np.integer):
        if seeds < 1:
            raise ValueError(f"the number of seeds must be >= 1, got {seeds}")
        return tuple(range(int(seeds)))
    try:
        out = tuple(int(s) for s in seeds)
    except (TypeError, ValueError):
        raise TypeError(f"seeds must be integers, got {seeds!r}") from None
    if not out:
        raise ValueError("no seeds given: pass a number of seeds or a non-empty list")
    if any(s < 0 for s in out) or len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct integers >= 0, got {list(out)}")
    return out


def parse_alphas(alphas: Sequence[float] | None, *, ascending: bool = True) -> np.ndarray:
    """A load grid (default: the published 0.01 ... 2.01 step 0.05, :func:`published_alphas`),
    rounded to 6 decimals; non-empty, finite and positive, and (with ``ascending``, as the long
    runs need) ascending without repeats."""
    if alphas is None:
        return published_alphas()
    try:
        arr = np.round(np.asarray(alphas, dtype=float).reshape(-1), 6)
    except (TypeError, ValueError):
        raise ValueError(f"loads must be numbers, got {alphas!r}") from None
    if arr.size == 0:
        raise ValueError("the load grid is empty; give at least one load alpha = M / N > 0")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"loads alpha = M / N must be finite and > 0, got {arr.tolist()}")
    if ascending and np.any(np.diff(arr) <= 0):
        raise ValueError(f"loads must be ascending without repeats, got {arr.tolist()}")
    return arr


def loads_to_patterns(alphas: Sequence[float], n_neurons: int) -> np.ndarray:
    """Number of patterns M = round(alpha N) (at least 1) for each load."""
    m = np.maximum(1, np.rint(np.asarray(alphas, dtype=float) * n_neurons).astype(int))
    return m


def grid_floor(patterns: Any, alphas: Sequence[float], n_neurons: int) -> np.ndarray:
    """The largest load of the grid ``alphas`` at which a network of ``n_neurons`` holds at
    most ``patterns`` patterns (:func:`loads_to_patterns`), for each entry of ``patterns``;
    0 where no load of the grid is that small, NaN where ``patterns`` is not finite.
    ``patterns`` are pattern counts: each is rounded to the nearest integer first, so that a
    count computed as ``alpha_c * N`` is read as the integer it stands for.

    Puts an exact capacity in patterns (the fixed-point ceiling) on the load grid on which a
    bisection finds a learning rule's capacity, so that the two compare like for like.
    """
    grid = np.sort(np.asarray(alphas, dtype=float))
    ms = loads_to_patterns(grid, n_neurons)
    p = np.asarray(patterns, dtype=float)
    counts = np.rint(np.where(np.isfinite(p), p, 0))  # alpha * N may miss the integer by 1 ulp
    at = np.searchsorted(ms, counts, side="right")
    floor = np.where(at > 0, grid[np.maximum(at - 1, 0)], 0.0)
    return np.where(np.isfinite(p), floor, np.nan)


def _check_sizes(**sizes: int) -> None:
    for name, v in sizes.items():
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


def measure_load(
    rule: str | Rule,
    patterns: Any,
    *,
    n_flips: int = 0,
    seed: int = 0,
    zero_field: int = -1,
    theta: float = THETA,
) -> dict[str, Any]:
    """Train a stack of networks on ``patterns`` (..., M, N) and recall every pattern.

    The cue is the stored pattern itself, or a copy with ``n_flips`` bits flipped. Returns
    per-network ``a_cos``, ``a_theta`` and the fraction of cues ending at a fixed point.
    """
    _, fn = get_rule(rule)
    w, b = fn(patterns)
    cues = patterns if n_flips == 0 else corrupt(patterns, n_flips, seed)
    res = recall(w, cues, b, zero_field=zero_field)
    a_cos, a_theta = accuracy(res.states, patterns, theta)
    return {"a_cos": a_cos, "a_theta": a_theta, "fixed": (res.status == 1).mean(axis=-1)}


def capacity_scan(
    rules: str | Rule | Sequence[str | Rule],
    n_neurons: int,
    alphas: Sequence[float] | None = None,
    seeds: Sequence[int] | int = 20,
    *,
    n_flips: int = 0,
    bias: float = 0.5,
    markov: float | None = None,
    zero_field: int = -1,
    theta: float = THETA,
    dtype: Any = np.float32,
    progress: bool = False,
    backend: str | Backend | None = None,
) -> Any:
    """Recall accuracy of fresh networks over a grid of loads and seeds.

    For each rule and load ``alpha``, every seed's network stores the first ``M = round(alpha N)``
    patterns of its bank (:func:`pattern_bank`, with ``bias`` or the Markov-chain correlation
    ``markov``), and all seeds are trained and recalled at once.
    ``backend`` (``"auto" | "numpy" | "cupy"``, a :class:`infobook.backend.Backend`, or None for
    the environment's choice) says where: the patterns move there once, the results come back
    as NumPy arrays; the attribute ``backend`` names the choice.

    Returns
    -------
    xarray.Dataset
        Variables ``a_cos``, ``a_theta`` and ``fixed`` with dims ``(rule, alpha, seed)``, and the
        number of patterns ``n_patterns(alpha)``. Use :func:`summarise` for medians and bands and
        :func:`capacity_from_scan` for alpha_c per seed.
    """
    import xarray as xr
    from tqdm.auto import tqdm

    _check_sizes(n_neurons=n_neurons)
    chosen = get_backend(backend, default="numpy")
    xp = chosen.xp
    if isinstance(rules, str) or callable(rules):
        rules = [rules]
    named = [get_rule(r) for r in rules]
    alphas = parse_alphas(alphas, ascending=False)
    seeds = list(parse_seeds(seeds))
    ms = loads_to_patterns(alphas, n_neurons)
    bank = pattern_bank(seeds, int(ms.max()), n_neurons, bias=bias, markov=markov, dtype=dtype)
    bank = xp.asarray(bank)
    out = {
        k: np.zeros((len(named), len(alphas), len(seeds))) for k in ("a_cos", "a_theta", "fixed")
    }
    total = len(named) * len(alphas)
    bar = tqdm(total=total, disable=not progress, desc="capacity scan")
    for r, (_, fn) in enumerate(named):
        for a, m in enumerate(ms):
            pats = bank[:, :m]
            res = measure_load(
                fn, pats, n_flips=n_flips, seed=int(m), zero_field=zero_field, theta=theta
            )
            for k in out:
                out[k][r, a] = to_numpy(res[k])
            bar.update()
    bar.close()
    coords = {"rule": [n for n, _ in named], "alpha": alphas, "seed": seeds}
    ds = xr.Dataset(
        {k: (("rule", "alpha", "seed"), v) for k, v in out.items()},
        coords=coords,
    )
    ds["n_patterns"] = ("alpha", ms)
    ds.attrs.update(
        n_neurons=n_neurons,
        n_flips=n_flips,
        bias=bias,
        markov="none" if markov is None else float(markov),
        theta=theta,
        zero_field=zero_field,
        backend=chosen.name,
    )
    return ds


def summarise(ds: Any, var: str = "a_cos", dim: str = "seed") -> Any:
    """Mean, median and central 90% band of ``var`` over ``dim`` (an ``xarray.Dataset``)."""
    x = ds[var]
    return (
        x.to_dataset(name="values")
        .assign(
            mean=x.mean(dim),
            median=x.median(dim),
            q05=x.quantile(0.05, dim=dim).drop_vars("quantile"),
            q95=x.quantile(0.95, dim=dim).drop_vars("quantile"),
        )
        .drop_vars("values")
    )


def capacity_from_scan(ds: Any, var: str = "a_cos", threshold: float = THETA) -> Any:
    """alpha_c per rule and seed: the largest load on the grid with ``var >= threshold``
    (0 where no load is stored)."""
    stored = ds[var] >= threshold
    alpha = ds["alpha"].broadcast_like(stored)
    return alpha.where(stored).max("alpha").fillna(0.0).rename("alpha_c")


def bisect_edge(
    stored: Callable[[int], bool], lo: int, hi: int, *, rel_tol: float = 0.0, checked: bool = False
) -> int:
    """Largest M in ``[lo, hi)`` with ``stored(M)``, by bisection, given that ``lo`` is stored
    and ``hi`` is not (checked unless ``checked``) and that storage is monotone in M between
    them; with ``rel_tol`` > 0 it stops once ``hi - lo <= rel_tol * lo`` (the stored end)."""
    if not 1 <= lo < hi:
        raise ValueError(f"need 1 <= lo < hi, got lo = {lo}, hi = {hi}")
    if not checked and not stored(lo):
        raise ValueError(f"the lower end M = {lo} is not stored; lower it")
    if not checked and stored(hi):
        raise ValueError(f"the upper end M = {hi} is stored; raise it")
    while hi - lo > max(1, rel_tol * lo):
        mid = (lo + hi) // 2
        if stored(mid):
            lo = mid
        else:
            hi = mid
    return lo


def capacity_bisect(
    rule: str | Rule,
    n_neurons: int,
    seed: int,
    lo: int,
    hi: int,
    *,
    theta: float = THETA,
    dtype: Any = np.float32,
    zero_field: int = -1,
    backend: str | Backend | None = None,
) -> int:
    """Largest number of patterns M in ``[lo, hi)`` with a_cos >= theta, by bisection.

    Assumes ``lo`` is stored and ``hi`` is not (checked), and that storage is monotone in M
    between them, as it is near the edge on average. Costs about log2(hi - lo) trainings.
    """
    xp = get_backend(backend, default="numpy").xp
    bank = random_patterns(hi, n_neurons, seed, dtype=dtype)  # the bank of pattern_bank([seed])
    bank = xp.asarray(bank)

    def stored(m: int) -> bool:
        res = measure_load(rule, bank[:m], zero_field=zero_field, theta=theta)
        return bool(res["a_cos"] >= theta)

    return bisect_edge(stored, lo, hi)


def stability_scan(
    rule: str | Rule,
    n_neurons: int,
    alphas: Sequence[float],
    seeds: Sequence[int] | int = 5,
    *,
    flip_fractions: Sequence[float] | None = None,
    look_ahead: int = 5,
    theta: float = THETA,
    dtype: Any = np.float32,
    zero_field: int = -1,
    backend: str | Backend | None = None,
) -> Any:
    """Robustness to noisy cues: the largest flipped fraction f still recalled, per load and seed.

    For each load and flip fraction f, every stored pattern is cued with ``round(f N)`` flipped
    bits and recalled; the mean overlap with the stored pattern is recorded. ``f_max`` is the
    largest f whose mean overlap exceeds ``theta``, scanning f upwards and stopping only when the
    next ``look_ahead`` fractions all fail (a look-ahead smoothing of isolated failures, as in the
    published code).

    Returns
    -------
    xarray.Dataset
        ``overlap`` with dims ``(alpha, seed, flip)`` and ``f_max`` with dims ``(alpha, seed)``.
    """
    import xarray as xr

    _, fn = get_rule(rule)
    _check_sizes(n_neurons=n_neurons)
    alphas = parse_alphas(alphas, ascending=False)
    seeds = list(parse_seeds(seeds))
    flips = (
        np.round(np.arange(0, 0.51, 0.02), 2)
        if flip_fractions is None
        else np.asarray(flip_fractions)
    )
    ms = loads_to_patterns(alphas, n_neurons)
    chosen = get_backend(backend, default="numpy")
    bank = chosen.xp.asarray(pattern_bank(seeds, int(ms.max()), n_neurons, dtype=dtype))
    ov = np.zeros((len(ms), len(seeds), len(flips)))
    for a, m in enumerate(ms):
        pats = bank[:, :m]
        w, b = fn(pats)
        for f, frac in enumerate(flips):
            cues = corrupt(pats, int(round(frac * n_neurons)), seed=1000 * int(m) + f)
            res = recall(w, cues, b, zero_field=zero_field)
            ov[a, :, f] = to_numpy(overlap(res.states, pats).mean(axis=-1))
    f_max = np.zeros((len(ms), len(seeds)))
    for a in range(len(ms)):
        for s in range(len(seeds)):
            f_max[a, s] = _f_max(ov[a, s], flips, theta, look_ahead)
    return xr.Dataset(
        {"overlap": (("alpha", "seed", "flip"), ov), "f_max": (("alpha", "seed"), f_max)},
        coords={"alpha": np.asarray(alphas, dtype=float), "seed": seeds, "flip": flips},
        attrs={
            "n_neurons": n_neurons,
            "theta": theta,
            "look_ahead": look_ahead,
            "backend": chosen.name,
        },
    )


def _f_max(overlaps: np.ndarray, flips: np.ndarray, theta: float, look_ahead: int) -> float:
    """Largest recalled flip fraction, scanning upwards until ``look_ahead`` failures in a row."""
    best, misses = 0.0, 0
    for frac, ov in zip(flips, overlaps, strict=True):
        if ov > theta:
            best, misses = float(frac), 0
        else:
            misses += 1
            if misses >= look_ahead:
                break
    return best
