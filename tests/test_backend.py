"""Back-end selection: NumPy always, CuPy where it really runs, never imported by accident."""

import subprocess
import sys

import numpy as np
import pytest

from infobook import backend
from infobook.backend import BackendUnavailableError, array_namespace, get_backend, to_numpy
from infobook.distributions import random_pmf
from infobook.pid import pid_goal_gradient, sxpid

CUPY, WHY = backend.probe_cupy()
needs_gpu = pytest.mark.skipif(CUPY is None, reason=f"no usable CuPy here: {WHY}")


def test_import_infobook_never_imports_cupy():
    code = (
        "import sys, infobook, infobook.pid, infobook.book, infobook.distributions; "
        "import infobook.plotting; "
        "print('cupy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_numpy_is_always_available():
    b = get_backend("numpy")
    assert b.name == "numpy" and b.xp is np
    assert "NumPy" in b.reason


def test_auto_records_why(monkeypatch):
    monkeypatch.setattr(backend, "probe_cupy", lambda: (None, "CuPy is not importable (test)"))
    b = get_backend("auto")
    assert b.name == "numpy"
    assert "fell back to NumPy because CuPy is not importable (test)" in b.reason


def test_cupy_request_explains_how_to_fix(monkeypatch):
    monkeypatch.setattr(backend, "probe_cupy", lambda: (None, "no CUDA device is available"))
    with pytest.raises(
        BackendUnavailableError, match="no CUDA device.*gpu-cuda12.*INFOBOOK_BACKEND=numpy"
    ):
        get_backend("cupy")


def test_environment_variable_chooses(monkeypatch):
    monkeypatch.setenv("INFOBOOK_BACKEND", "numpy")
    assert get_backend().name == "numpy"
    monkeypatch.setenv("INFOBOOK_BACKEND", "tpu")
    with pytest.raises(ValueError, match="unknown back end 'tpu'.*INFOBOOK_BACKEND.*auto"):
        get_backend()


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match=r"choose one of \('auto', 'numpy', 'cupy'\)"):
        get_backend("torch")


def test_numpy_arrays_stay_numpy():
    x = np.ones(3)
    assert array_namespace(x) is np
    assert to_numpy(x) is not None


def test_real_probe_is_consistent_with_auto():
    b = get_backend("auto")
    assert (b.name == "cupy") == (CUPY is not None)
    assert b.reason


@needs_gpu
def test_sxpid_on_cupy_matches_numpy():
    p = random_pmf((64, 2, 60, 2), 0, zeros=0.4)
    ours = sxpid(p)
    theirs = sxpid(CUPY.asarray(p))
    for f in ours._fields:
        np.testing.assert_allclose(to_numpy(getattr(theirs, f)), getattr(ours, f), atol=1e-12)
    v, g = pid_goal_gradient(CUPY.asarray(p), "optimized_i")
    v0, g0 = pid_goal_gradient(p, "optimized_i")
    np.testing.assert_allclose(to_numpy(g), g0, atol=1e-10)
    np.testing.assert_allclose(to_numpy(v), v0, atol=1e-12)


def test_allocator_tuning_reports_what_it_did(monkeypatch):
    assert isinstance(backend.tune_allocator(), str)
    monkeypatch.setenv("INFOBOOK_TUNE_MALLOC", "0")
    assert backend.tune_allocator.__wrapped__() == "disabled by INFOBOOK_TUNE_MALLOC=0"


@needs_gpu
def test_infomorphic_step_on_cupy_matches_numpy():
    from infobook import hopfield as hf
    from infobook import infomorphic as im

    p = hf.random_patterns(160, 100, 0, batch=(3,), dtype=np.float32)
    w = im.initial_weights(100, 1, batch=(3,), dtype=np.float32) * 1000
    v0, g0 = im.goal_and_gradient(w, p, "redundancy")
    v1, g1 = im.goal_and_gradient(CUPY.asarray(w), CUPY.asarray(p), "redundancy")
    scale = float(np.abs(g0).max())
    np.testing.assert_allclose(to_numpy(g1), g0, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(to_numpy(v1), v0, rtol=1e-5, atol=1e-6)


@needs_gpu
def test_training_and_recall_on_cupy_match_numpy():
    from infobook import hopfield as hf
    from infobook import infomorphic as im

    p = hf.random_patterns(60, 50, 2, batch=(2,))
    w0 = im.initial_weights(50, 3, batch=(2,), dtype=np.float64)
    cpu = im.train(p, "redundancy", epochs=50, initial=w0, dtype=np.float64)
    gpu = im.train(
        CUPY.asarray(p), "redundancy", epochs=50, initial=CUPY.asarray(w0), dtype=np.float64
    )
    np.testing.assert_allclose(to_numpy(gpu.weights), cpu.weights, rtol=1e-9, atol=1e-12)
    cues = hf.corrupt(p, 5, seed=4)
    r_cpu = hf.recall(cpu.weights, cues)
    r_gpu = hf.recall(gpu.weights, CUPY.asarray(cues))
    np.testing.assert_array_equal(to_numpy(r_gpu.states), r_cpu.states)
