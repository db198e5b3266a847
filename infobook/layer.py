r"""Infomorphic neurons that learn a task: a hidden layer of neurons with up to three sources and
an infomorphic readout, on the handwritten digits of scikit-learn.

Introduced in the chapter :ref:`ch-three-sources`. Hidden neuron ``i`` has three inputs

* the feed-forward input :math:`F_i = w^F_i \cdot x + b_i` (the image ``x``, 64 pixels
  standardised on the training set),
* the context :math:`C_i = w^C_i \cdot c` (``c`` the one-hot label during training, zeros at
  test),
* the lateral input :math:`L_i = \sum_{j \ne i} w^L_{ij} h^{(1)}_j`, the other hidden neurons'
  outputs in a first pass of the same image made without lateral input,

and outputs :math:`Y_i = \pm 1`, +1 with probability :math:`\theta_i = \sigma(A_i)`, where

.. math::

    A = F \left[(1 - \alpha_C - \alpha_L) + 2\alpha_C\,\sigma(2FC) + 2\alpha_L\,\sigma(2FL)
    \right],

a bounded form of the context-modulated activation of Kay and Phillips (1997), equal to
:math:`F [1 + \alpha_C \tanh(FC) + \alpha_L \tanh(FL)]`: the feed-forward input drives,
context and lateral input only scale its gain (each within :math:`1 \pm \alpha`, never
flipping its sign), and with :math:`C = L = 0` the output
follows :math:`F` alone. The neuron's output to the readout and to its neighbours is the mean
:math:`h = 2\theta - 1`. Each neuron's joint table of (F, C, L, Y) over the training images is
binned as the Hopfield neuron's (equal bins between the smallest and largest value of each
source over the batch; only :math:`\theta` is differentiated), decomposed by
:func:`infobook.pid.sxpid3`, and the neuron ascends its own goal, a weighted sum of the atoms
(sources 1 = F, 2 = C, 3 = L). The bivariate variants drop the lateral (``sources="FC"``) or
the context input (``"FL"``) and use the two-source decomposition (source 1 = F).

The readout has one infomorphic neuron per class, the two-source neuron of the Hopfield
chapters: its label bit :math:`T = \pm 1` is the teaching input, added with the teaching weight
:math:`w_T` (2.3, as published), the hidden outputs make its second input
:math:`F = v \cdot h + b`, it outputs +1 with probability :math:`\sigma(w_T T + F)` and
maximises the redundancy of T and F; at test T = 0 and the largest F wins. (A readout whose
label only modulates the gain, like the hidden neurons' context, can learn the inverse of its
label, since PID cannot see a sign; the additive teaching input makes that unlikely, and a
readout neuron still anti-correlated with its label on the training set is flipped.) Each layer
learns from its own goal only, on inputs held fixed (no gradient crosses a layer).

The references of the chapter are trained here too: a network of the same size trained end to
end by backpropagation (softmax cross-entropy; no context or lateral weights), and the
infomorphic readout on the pixels themselves (no hidden layer) and on a fixed random
projection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import atoms as vocabulary
from .infomorphic import Adam
from .neuron import W_TEACH, sigmoid
from .pid import goal3_weights, goal_vector, pid3_goal_gradient, pid_goal_gradient, sxpid, sxpid3

#: Which inputs the hidden neurons have: all three, or context only, or lateral only.
SOURCES = ("FCL", "FC", "FL")
#: The networks of :func:`train_network`: infomorphic hidden layers and the references.
VARIANTS = ("infomorphic", "backprop", "readout_only", "random_projection")
#: The heuristic trivariate goal: the information about the output that the feed-forward input
#: and the label carry redundantly, and the lateral input does not.
HEURISTIC_GOAL: dict[str, float] = {"{1}{2}": 1.0}
#: Bivariate goals: with context only, the redundancy of F and the label; with lateral input
#: only (no label reaches the layer), the information F carries and the neighbours do not.
BIVARIATE_GOALS: dict[str, dict[str, float]] = {
    "FC": {"red": 1.0},
    "FL": {"unq1": 1.0},
}


@dataclass(frozen=True)
class Digits:
    """The digits task: standardised images (n, 64) and labels (n,) for training and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.y_train.max()) + 1


def load_digits_task(test_fraction: float = 0.3, split_seed: int = 0) -> Digits:
    """scikit-learn's 1797 handwritten digits (8 x 8, shipped with the package: nothing is
    downloaded), split once into training and test sets stratified by class
    (``split_seed``), the pixels standardised with the training set's mean and spread."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise ImportError(
            f"the digits task needs scikit-learn ({exc}); pip install 'infobook[book]'"
        ) from None
    if not 0 < float(test_fraction) < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    data = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(
        data.data, data.target, test_size=float(test_fraction), random_state=int(split_seed),
        stratify=data.target,
    )  # fmt: skip
    mean, sd = x_tr.mean(0), x_tr.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return Digits((x_tr - mean) / sd, y_tr.astype(int), (x_te - mean) / sd, y_te.astype(int))


def validation_split(task: Digits, fraction: float = 0.25, seed: int = 0) -> Digits:
    """The training set split again into training and validation parts (the validation part in
    the place of the test set), for choosing a goal without looking at the test set."""
    from sklearn.model_selection import train_test_split

    x_tr, x_va, y_tr, y_va = train_test_split(
        task.x_train, task.y_train, test_size=fraction, random_state=int(seed),
        stratify=task.y_train,
    )  # fmt: skip
    return Digits(x_tr, y_tr, x_va, y_va)


@dataclass(frozen=True)
class LayerSettings:
    """One network of the chapter, validated where it is made.

    Attributes
    ----------
    variant : one of :data:`VARIANTS`
    n_hidden : hidden neurons (20 to 100 in the chapter)
    sources : one of :data:`SOURCES` (infomorphic hidden layers)
    goal : the hidden neurons' goal, atom name -> weight: three-source names
        (:data:`infobook.atoms.THREE_SOURCE`) for ``"FCL"``, two-source ones
        (:data:`infobook.atoms.GENERIC`, source 1 = F) otherwise; None: the heuristic goal
        (:data:`HEURISTIC_GOAL`) or :data:`BIVARIATE_GOALS`
    bins : bins of F, C and L (C's and L's unused where the source is absent)
    readout_bins : bins of the readout neurons' F
    readout_teach : the readout neurons' teaching weight
    alpha_c, alpha_l : gain modulation by context and lateral input
    epochs, lr : full-batch Adam steps and learning rate of the hidden layer (the learning
        rate also of the backpropagation network)
    epochs_backprop : Adam steps of the backpropagation network
    epochs_readout, lr_readout, decay : the same for the readouts, and the softmax
        regression's weight decay
    init_scale : scale of the initial weights (per input, times 1/sqrt(fan-in))
    """

    variant: str = "infomorphic"
    n_hidden: int = 50
    sources: str = "FCL"
    goal: Mapping[str, float] | None = None
    bins: tuple[int, int, int] = (8, 10, 3)
    readout_bins: int = 20
    readout_teach: float = W_TEACH
    alpha_c: float = 0.3
    alpha_l: float = 0.3
    epochs: int = 400
    lr: float = 0.01
    epochs_readout: int = 1000
    epochs_backprop: int = 1000
    lr_readout: float = 0.05
    decay: float = 1e-3
    init_scale: float = 1.0
    goal_vector: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        if self.variant not in VARIANTS:
            raise ValueError(
                f"unknown variant {self.variant!r}; choose one of {', '.join(VARIANTS)}"
            )
        if self.sources not in SOURCES:
            raise ValueError(
                f"unknown sources {self.sources!r}; choose one of {', '.join(SOURCES)}"
            )
        for name in ("n_hidden", "epochs", "readout_bins", "epochs_readout", "epochs_backprop"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
            put(self, name, int(v))
        bins = tuple(int(b) for b in self.bins)
        if len(bins) != 3 or min(bins) < 1:
            raise ValueError(f"bins are three positive integers (F, C, L), got {self.bins!r}")
        put(self, "bins", bins)
        for name in (
            "alpha_c",
            "alpha_l",
            "lr",
            "init_scale",
            "lr_readout",
            "decay",
            "readout_teach",
        ):
            v = float(getattr(self, name))
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
            put(self, name, v)
        if self.alpha_c + self.alpha_l > 1:
            raise ValueError("alpha_c + alpha_l must not exceed 1 (the gain stays positive)")
        goal = self.goal
        if goal is None:
            goal = HEURISTIC_GOAL if self.sources == "FCL" else BIVARIATE_GOALS[self.sources]
        goal = {str(k): float(v) for k, v in dict(goal).items()}
        if self.sources == "FCL":
            vector = goal3_weights(goal)
        else:
            unknown = [k for k in goal if k not in vocabulary.GENERIC]
            if unknown:
                raise ValueError(
                    f"a bivariate goal names the atoms {', '.join(vocabulary.GENERIC)} (source 1 "
                    f"= F); got {unknown}"
                )
            vector = goal_vector([goal.get(k, 0.0) for k in vocabulary.GENERIC])
        put(self, "goal", goal)
        put(self, "goal_vector", vector)


# --------------------------------------------------------------------------- the neurons


def _bin(x: np.ndarray, bins: int) -> np.ndarray:
    """Equal bins between each column's smallest and largest value (constant column: bin 0)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    width = np.where(hi > lo, hi - lo, 1.0)
    return np.clip(((x - lo) / width * bins).astype(int), 0, bins - 1)


def _gain(f: np.ndarray, c: np.ndarray, ell: np.ndarray, a_c: float, a_l: float) -> tuple:
    """The activation A and its derivatives with respect to F, C and L."""
    sc, sl = sigmoid(2 * f * c), sigmoid(2 * f * ell)
    gain = (1 - a_c - a_l) + 2 * a_c * sc + 2 * a_l * sl
    dsc, dsl = 4 * a_c * sc * (1 - sc), 4 * a_l * sl * (1 - sl)
    a = f * gain
    return a, gain + f * (dsc * c + dsl * ell), f * f * dsc, f * f * dsl


def joint_table(
    f: np.ndarray, c: np.ndarray, ell: np.ndarray, theta: np.ndarray, bins: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each neuron's pmf of (F, C, L, Y), shape (N, nf, nc, nl, 2), from inputs and output
    probabilities (B, N), and every sample's flat cell (B, N)."""
    nf, nc, nl = bins
    b, n = f.shape
    cell = (_bin(f, nf) * nc + _bin(c, nc)) * nl + _bin(ell, nl)
    flat = cell + (np.arange(n) * nf * nc * nl)[None]
    size = n * nf * nc * nl
    up = np.bincount(flat.ravel(), theta.ravel(), size)
    down = np.bincount(flat.ravel(), (1 - theta).ravel(), size)
    pmf = np.stack([down, up], -1).reshape(n, nf, nc, nl, 2) / b
    return pmf, cell


def _pid_gradient(pmf: np.ndarray, settings: LayerSettings) -> tuple[np.ndarray, np.ndarray]:
    """Goal per neuron and dG/dpmf for the hidden layer's sources."""
    if settings.sources == "FCL":
        return pid3_goal_gradient(pmf, settings.goal, validate=False)
    axis = 3 if settings.sources == "FC" else 2  # the absent source has one bin
    value, g = pid_goal_gradient(pmf.squeeze(axis), settings.goal_vector, validate=False)
    return value, np.expand_dims(g, axis)


def decompose(pmf: np.ndarray, sources: str) -> dict[str, np.ndarray]:
    """The atoms of each neuron's table: three-source names for ``"FCL"``, two-source ones
    otherwise (each of shape (N,))."""
    if sources == "FCL":
        return sxpid3(pmf, validate=False)
    axis = 3 if sources == "FC" else 2
    a = sxpid(pmf.squeeze(axis), validate=False)
    return dict(zip(vocabulary.GENERIC, a.goal_vector_order(), strict=True))


@dataclass
class HiddenLayer:
    """The weights of an infomorphic hidden layer (feed-forward, bias, context, lateral)."""

    w_f: np.ndarray
    b_f: np.ndarray
    w_c: np.ndarray
    w_l: np.ndarray

    def inputs(
        self,
        x: np.ndarray,
        onehot: np.ndarray | None,
        s: LayerSettings,
        h1: np.ndarray | None = None,
    ) -> dict:
        """Both passes for images ``x`` (B, 64) and one-hot labels (None: zeros, as at test):
        the sources F, C, L, the activation, its derivatives and the outputs. ``h1``: the
        first pass's outputs, if given (the lateral input is a previous output: the learning
        rule treats it as fixed)."""
        f = x @ self.w_f + self.b_f
        c = np.zeros_like(f) if onehot is None or "C" not in s.sources else onehot @ self.w_c
        a_c = s.alpha_c if "C" in s.sources else 0.0
        a_l = s.alpha_l if "L" in s.sources else 0.0
        zero = np.zeros_like(f)
        if h1 is None:  # the first pass, without lateral input
            h1 = 2 * sigmoid(_gain(f, c, zero, a_c, 0.0)[0]) - 1
        w_l = self.w_l * (1 - np.eye(self.w_l.shape[0]))
        ell = h1 @ w_l if "L" in s.sources else zero
        a, d_f, d_c, d_l = _gain(f, c, ell, a_c, a_l)
        theta = sigmoid(a)
        return {"f": f, "c": c, "l": ell, "h1": h1, "theta": theta, "h": 2 * theta - 1,
                "d_f": d_f, "d_c": d_c, "d_l": d_l}  # fmt: skip

    def table(self, fw: dict, s: LayerSettings) -> np.ndarray:
        return joint_table(fw["f"], fw["c"], fw["l"], fw["theta"], _active_bins(s))[0]


def _active_bins(s: LayerSettings) -> tuple[int, int, int]:
    nf, nc, nl = s.bins
    return nf, nc if "C" in s.sources else 1, nl if "L" in s.sources else 1


def hidden_step(
    layer: HiddenLayer, x: np.ndarray, onehot: np.ndarray, s: LayerSettings
) -> tuple[np.ndarray, dict[str, np.ndarray], dict]:
    """The hidden neurons' goals (N,) and the gradient of their sum with respect to every
    weight, on a batch of images with their labels."""
    fw = layer.inputs(x, onehot, s)
    pmf, cell = joint_table(fw["f"], fw["c"], fw["l"], fw["theta"], _active_bins(s))
    value, g = _pid_gradient(pmf, s)
    n = pmf.shape[0]
    diff = (g[..., 1] - g[..., 0]).reshape(n, -1)  # (N, cells)
    d_theta = np.take_along_axis(diff, cell.T, axis=1).T / x.shape[0]  # (B, N)
    d_a = d_theta * fw["theta"] * (1 - fw["theta"])
    grads = {
        "w_f": x.T @ (d_a * fw["d_f"]),
        "b_f": (d_a * fw["d_f"]).sum(0),
        "w_c": onehot.T @ (d_a * fw["d_c"]) if "C" in s.sources else np.zeros_like(layer.w_c),
        "w_l": (fw["h1"].T @ (d_a * fw["d_l"])) * (1 - np.eye(n))
        if "L" in s.sources
        else np.zeros_like(layer.w_l),
    }
    return value, grads, fw


@dataclass
class Readout:
    """The infomorphic readout: one neuron per class (weights (H, K), bias (K,)), and the sign
    of each neuron fixed after training."""

    w: np.ndarray
    b: np.ndarray
    sign: np.ndarray

    def field(self, h: np.ndarray) -> np.ndarray:
        return h @ self.w + self.b

    def predict(self, h: np.ndarray) -> np.ndarray:
        return np.argmax(self.sign * self.field(h), axis=1)


def readout_step(
    ro: Readout, h: np.ndarray, y: np.ndarray, s: LayerSettings
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The readout neurons' goals (redundancy of the label bit and F) and gradients."""
    k = ro.w.shape[1]
    f = ro.field(h)
    c = np.where(y[:, None] == np.arange(k)[None], 1.0, -1.0)
    theta = sigmoid(s.readout_teach * c + f)
    # the hidden layer's table with two bins for the label bit and no third source
    pmf, cell = joint_table(f, c, np.zeros_like(f), theta, (s.readout_bins, 2, 1))
    value, g = pid_goal_gradient(pmf[..., 0, :], "redundancy", validate=False)
    diff = (g[..., 1] - g[..., 0]).reshape(k, -1)
    d_theta = np.take_along_axis(diff, cell.T, axis=1).T / h.shape[0]
    d_f = d_theta * theta * (1 - theta)
    return value, {"w": h.T @ d_f, "b": d_f.sum(0)}


def _init(rng: np.random.Generator, fan_in: int, shape: tuple, scale: float) -> np.ndarray:
    return scale * rng.standard_normal(shape) / np.sqrt(fan_in)


#: The readouts fitted on every network's hidden outputs (or pixels): the infomorphic one and a
#: softmax regression (cross-entropy, the readout's own local goal as well).
READOUTS = ("infomorphic", "logistic")


@dataclass
class TrainedNetwork:
    """A trained network of the chapter: test and training accuracy per readout (one entry,
    ``"backprop"``, for the end-to-end network), the mean goal of the hidden layer per step
    (None for the references), and what is needed to look inside it."""

    settings: LayerSettings
    seed: int
    test_accuracy: dict[str, float]
    train_accuracy: dict[str, float]
    history: np.ndarray | None = None
    hidden: HiddenLayer | None = None
    readout: Readout | None = None


def _onehot(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[y]


def train_readout(
    h: np.ndarray, y: np.ndarray, k: int, s: LayerSettings, rng: np.random.Generator
) -> Readout:
    """The infomorphic readout trained on features ``h`` (B, H) with labels ``y``, its signs
    fixed at the end."""
    ro = Readout(_init(rng, h.shape[1], (h.shape[1], k), 0.1), np.zeros(k), np.ones(k))
    opts = {name: Adam(s.lr_readout) for name in ("w", "b")}
    for _ in range(s.epochs_readout):
        _, grads = readout_step(ro, h, y, s)
        for name, opt in opts.items():
            setattr(ro, name, opt.step(getattr(ro, name), grads[name]))
    c = np.where(y[:, None] == np.arange(k)[None], 1.0, -1.0)
    f = ro.field(h)
    ro.sign = np.where(((f - f.mean(0)) * c).sum(0) < 0, -1.0, 1.0)
    return ro


def train_logistic(
    h: np.ndarray, y: np.ndarray, k: int, s: LayerSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression on features ``h``: full-batch Adam on the mean log likelihood, with
    the weight decay ``s.decay``; returns weights (H, K) and bias (K,)."""
    w, b = np.zeros((h.shape[1], k)), np.zeros(k)
    ow, ob = Adam(s.lr_readout), Adam(s.lr_readout)
    oh = _onehot(y, k)
    for _ in range(s.epochs_readout):
        z = h @ w + b
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        dz = (oh - p) / h.shape[0]
        w = ow.step(w, h.T @ dz - s.decay * w)
        b = ob.step(b, dz.sum(0))
    return w, b


def train_network(task: Digits, settings: LayerSettings, seed: int = 0) -> TrainedNetwork:
    """Train one network of ``settings.variant`` on ``task`` from initial weights of ``seed``
    and measure its accuracy on the test set (context input zero there).

    An infomorphic hidden layer is trained first, by its own goal; both readouts
    (:data:`READOUTS`) then learn from its outputs with the context input zero, as at test
    (no gradient reaches the hidden layer either way).
    """
    if not isinstance(task, Digits):
        raise TypeError(f"task must be a Digits (load_digits_task()), got {type(task).__name__}")
    rng = np.random.default_rng([int(seed), 19])
    if settings.variant == "backprop":
        return _backprop(task, settings, rng, seed)
    k, d = task.n_classes, task.x_train.shape[1]
    n = settings.n_hidden
    x, y, oh = task.x_train, task.y_train, _onehot(task.y_train, task.n_classes)
    layer = None
    history = None
    if settings.variant == "infomorphic":
        sc = settings.init_scale
        layer = HiddenLayer(
            _init(rng, d, (d, n), sc), np.zeros(n), _init(rng, k, (k, n), sc),
            _init(rng, n, (n, n), sc),
        )  # fmt: skip
        opts = {name: Adam(settings.lr) for name in ("w_f", "b_f", "w_c", "w_l")}
        history = []
        for _ in range(settings.epochs):
            value, grads, _ = hidden_step(layer, x, oh, settings)
            history.append(float(value.mean()))
            for name, opt in opts.items():
                setattr(layer, name, opt.step(getattr(layer, name), grads[name]))
        history = np.array(history)
    elif settings.variant == "random_projection":
        proj = _init(rng, d, (d, n), 1.0)

    def features(images: np.ndarray) -> np.ndarray:
        if layer is not None:
            return layer.inputs(images, None, settings)["h"]
        if settings.variant == "random_projection":
            return np.tanh(images @ proj)
        return images

    h_train, h_test = features(x), features(task.x_test)
    ro = train_readout(h_train, y, k, settings, rng)
    w, b = train_logistic(h_train, y, k, settings)
    test = {
        "infomorphic": float((ro.predict(h_test) == task.y_test).mean()),
        "logistic": float((np.argmax(h_test @ w + b, 1) == task.y_test).mean()),
    }
    train = {
        "infomorphic": float((ro.predict(h_train) == y).mean()),
        "logistic": float((np.argmax(h_train @ w + b, 1) == y).mean()),
    }
    return TrainedNetwork(settings, int(seed), test, train, history, layer, ro)


def _backprop(
    task: Digits, s: LayerSettings, rng: np.random.Generator, seed: int
) -> TrainedNetwork:
    """The same architecture (64 -> n_hidden tanh -> 10) trained end to end by
    backpropagation of the softmax cross-entropy with weight decay ``s.decay``, full-batch
    Adam (``s.epochs_backprop`` steps at ``s.lr``)."""
    k, d, n = task.n_classes, task.x_train.shape[1], s.n_hidden
    params = {
        "w1": _init(rng, d, (d, n), 1.0), "b1": np.zeros(n),
        "w2": _init(rng, n, (n, k), 1.0), "b2": np.zeros(k),
    }  # fmt: skip
    opts = {name: Adam(s.lr) for name in params}
    x, oh = task.x_train, _onehot(task.y_train, k)

    def forward(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.tanh(images @ params["w1"] + params["b1"])
        return h, h @ params["w2"] + params["b2"]

    for _ in range(s.epochs_backprop):
        h, z = forward(x)
        z = z - z.max(1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        dz = (oh - p) / x.shape[0]  # ascent on the log likelihood
        dh = (dz @ params["w2"].T) * (1 - h * h)
        grads = {
            "w2": h.T @ dz - s.decay * params["w2"], "b2": dz.sum(0),
            "w1": x.T @ dh - s.decay * params["w1"], "b1": dh.sum(0),
        }  # fmt: skip
        for name, opt in opts.items():
            params[name] = opt.step(params[name], grads[name])

    def accuracy(images: np.ndarray, labels: np.ndarray) -> float:
        return float((np.argmax(forward(images)[1], 1) == labels).mean())

    return TrainedNetwork(
        s, int(seed), {"backprop": accuracy(task.x_test, task.y_test)},
        {"backprop": accuracy(x, task.y_train)},
    )  # fmt: skip


def hidden_profile(net: TrainedNetwork, task: Digits) -> dict[str, np.ndarray]:
    """The PID atoms of each trained hidden neuron on the training images, label present (the
    condition it learned in), in bits, shape (N,) each."""
    if net.hidden is None:
        raise ValueError("only infomorphic networks have a hidden layer to decompose")
    s = net.settings
    fw = net.hidden.inputs(task.x_train, _onehot(task.y_train, task.n_classes), s)
    return decompose(net.hidden.table(fw, s), s.sources)
