"""Every published number the book quotes as a reference beside its own measurements.

The chapters draw and tabulate these values as references only; the book's own results are
always computed. Each constant says where it comes from. [BLU25] is the main paper: Blümel,
Schneider, Neuhaus, Ehrlich, Graetz, Wibral, Makkeh and Priesemann (2025), *Redundancy
Maximization as a Principle of Associative Memory Learning*, arXiv:2511.02584. Its capacities
are at N = 100 over 20 seeds, from clean cues, with a load stored when the mean overlap
a_cos >= 0.95.
"""

from __future__ import annotations

#: Capacity alpha_c at N = 100 of the Hebbian rule and of the goals named in
#: ``infobook.pid.NAMED_GOALS``, as published in [BLU25] (20 seeds).
CAPACITY: dict[str, float] = {
    "hebbian": 0.14,  # [BLU25] Fig. 1: Hebbian networks, the load where redundancy collapses
    "redundancy": 1.59,  # [BLU25] Fig. 2: G = red, the line drawn at 1.59
    "mutual_information": 1.62,  # [BLU25] Fig. 3: G = I(Y:T) = unq_T + red
    "optimized_i": 1.68,  # [BLU25] Fig. 4: optimised goal (i) [-0.27, -0.68, 0.68, -0.77, -0.80]
    "optimized_ii": 1.70,  # [BLU25] Fig. 4: optimised goal (ii) [0.48, -0.16, 0.25, 0.04, -0.63]
}

#: Goals that [BLU25] reports as storing no patterns (alpha_c near 0), in the book's words.
FAILS_TO_STORE: dict[str, str] = {
    "coinformation": "fails (near 0)",  # [BLU25] Fig. 3: G = I(Y:T:R) = red - syn
}

#: Asymptotic Hebbian capacity for N -> infinity (a small fraction of wrong bits allowed):
#: Amit, Gutfreund and Sompolinsky (1985), Phys. Rev. Lett. 55, 1530.
HEBBIAN_ASYMPTOTIC: float = 0.138

#: Largest fixed-point capacity of any couplings for unbiased patterns, zero margin,
#: N -> infinity: Gardner (1988), J. Phys. A 21, 257.
GARDNER_CAPACITY: float = 2.0

#: The ablation of the training recipe in [BLU25] (appendix, ablation table), as mean alpha_c
#: at N = 100; each row adds one change to the rows above it.
ABLATION: tuple[tuple[str, float], ...] = (
    ("stochastic recall, SGD (lr 0.1), adaptive binning, w_T learned from 1", 0.40),
    ("deterministic recall", 0.89),
    ("teaching weight w_T frozen", 0.92),
    ("w_T frozen at 2.3", 1.35),
    ("Adam (lr 0.05) instead of SGD", 1.65),
    ("soft (differentiable) binning", 1.60),
    ("optimised goal (ii)", 1.69),
)

#: Capacities at N = 100 of baseline rules that no publication states for this protocol (clean
#: cue, a_cos >= 0.95): measured with an independent implementation of the same protocol and
#: quoted as references for the baselines table, not as published values.
BASELINE_REFERENCE: dict[str, str] = {
    "pseudo_inverse": "0.98",  # projection rule with zero diagonal
    "storkey": "0.46",  # Storkey (1997) rule
    "descent_l2": "1.0-1.1",  # everything recalled up to 1.0, fails by 1.2; exact minimiser 1.10
    "mpf": "1.2-1.4",  # 40,000 steps as published: everything recalled to 1.2, fails by 1.5
    "lp_optimum": "≈ 1.68",  # exact per-neuron LP, 20 seeds: a_cos 0.991 at 1.64, 0.955 at 1.68
}


def capacity_reference(name: str) -> float | str:
    """The published alpha_c of a rule or named goal at N = 100.

    A number from :data:`CAPACITY`, or the paper's finding in words from
    :data:`FAILS_TO_STORE` where it reports no capacity.
    """
    if name in CAPACITY:
        return CAPACITY[name]
    if name in FAILS_TO_STORE:
        return FAILS_TO_STORE[name]
    raise KeyError(
        f"no published capacity for {name!r}; known: {', '.join([*CAPACITY, *FAILS_TO_STORE])}"
    )


#: Test error on MNIST of the networks of Schneider et al. (2025) [SCH25], *What should a
#: neuron aim for? Designing local objective functions based on information theory* (ICLR
#: 2025): 100 hidden neurons; trivariate infomorphic neurons with feed-forward, context (the
#: label) and lateral sources; the book's digits task is a smaller stand-in (MNIST is not
#: available offline), so these are references for the ordering, not for the numbers.
MNIST_TEST_ERROR: dict[str, float] = {
    "trivariate_optimised": 0.049,
    "backprop": 0.046,
    "trivariate_heuristic": 0.067,
    "context_only": 0.075,
    "lateral_only": 0.11,
    "readout_only": 0.083,
    "random_projection": 0.20,
}
