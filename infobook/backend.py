"""Array back ends: NumPy everywhere, CuPy on a GPU.

Introduced in the chapter :ref:`ch-pid`.

The back end is chosen by a string, ``"auto" | "numpy" | "cupy"``, or by the environment
variable ``INFOBOOK_BACKEND`` when no string is given. ``"auto"`` probes CuPy with a tiny real
kernel (so a missing CUDA toolkit or driver is caught, not only a missing package) and falls back
to NumPy, recording why in :attr:`Backend.reason`. Asking for ``"cupy"`` where it cannot work
raises :class:`BackendUnavailableError` with the reason and how to fix it.

CuPy is imported lazily: ``import infobook`` never imports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np

BACKEND_CHOICES = ("auto", "numpy", "cupy")
ENV_VAR = "INFOBOOK_BACKEND"

_CUPY_HINT = (
    "Install the GPU extra that matches the host's CUDA major version, "
    "`pip install 'infobook[gpu-cuda12]'` or `pip install 'infobook[gpu-cuda13]'` "
    "(add `cupy-cuda12x[ctk]` / `cupy-cuda13x[ctk]` when the host has no CUDA toolkit), "
    "or use the NumPy back end: backend='numpy' or INFOBOOK_BACKEND=numpy."
)


class BackendUnavailableError(RuntimeError):
    """The requested array back end cannot run on this machine."""


@dataclass(frozen=True)
class Backend:
    """A chosen array back end.

    Attributes
    ----------
    name : str
        ``"numpy"`` or ``"cupy"``.
    xp : module
        The array module (``numpy`` or ``cupy``).
    reason : str
        Why this back end was chosen (for ``auto``: why CuPy was or was not used).
    """

    name: str
    xp: ModuleType
    reason: str

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """Move ``x`` onto this back end."""
        return self.xp.asarray(x, dtype=dtype)


@lru_cache(maxsize=1)
def probe_cupy() -> tuple[ModuleType | None, str]:
    """Try CuPy for real: import it, find a device, compile and run a tiny kernel.

    Returns
    -------
    (module or None, reason)
        The ``cupy`` module when everything worked, else ``None``; and a sentence saying what
        happened. The result is cached for the life of the process.
    """
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken installation
        return None, f"CuPy is not importable ({type(exc).__name__}: {exc})"
    try:
        if not cupy.is_available():
            return None, "CuPy is installed but no CUDA device is available"
        kernel = cupy.ElementwiseKernel("T x", "T y", "y = x * x + 1", "infobook_probe")
        out = kernel(cupy.arange(4, dtype=cupy.float32))
        if cupy.asnumpy(out).tolist() != [1.0, 2.0, 5.0, 10.0]:
            return None, "CuPy's probe kernel returned wrong values"
    except Exception as exc:  # CUDARuntimeError, NVRTC/compile errors, driver mismatch
        return None, f"CuPy cannot run a kernel here ({type(exc).__name__}: {exc})"
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    if isinstance(name, bytes):
        name = name.decode()
    return cupy, f"CuPy probe kernel ran on {name}"


def get_backend(name: str | Backend | None = None, *, default: str = "auto") -> Backend:
    """Choose the array back end.

    Parameters
    ----------
    name : {"auto", "numpy", "cupy"}, Backend or None
        ``None`` reads the environment variable ``INFOBOOK_BACKEND`` (unset: ``default``); a
        :class:`Backend` already chosen is returned as it is.
    default : str
        The choice when neither ``name`` nor the environment says: ``"auto"`` here; the
        library's scans and long runs pass ``"numpy"``, so that a page computes the same
        numbers on every machine unless a back end is asked for.

    Raises
    ------
    ValueError
        For a name that is not one of the choices.
    BackendUnavailableError
        For ``"cupy"`` when CuPy cannot run here; the message says why and how to fix it.
    """
    if isinstance(name, Backend):
        return name
    source = "argument"
    if name is None:
        name = os.environ.get(ENV_VAR) or None
        source = f"environment variable {ENV_VAR}"
        if name is None:
            name, source = default, "default"
    key = str(name).strip().lower()
    if key not in BACKEND_CHOICES:
        raise ValueError(
            f"unknown back end {name!r} (from the {source}); choose one of {BACKEND_CHOICES}"
        )
    if key == "numpy":
        return Backend("numpy", np, f"NumPy requested by {source}")
    cupy, why = probe_cupy()
    if key == "cupy":
        if cupy is None:
            raise BackendUnavailableError(
                f"the CuPy back end was requested but {why}. {_CUPY_HINT}"
            )
        return Backend("cupy", cupy, why)
    if cupy is None:
        return Backend("numpy", np, f"auto: fell back to NumPy because {why}")
    return Backend("cupy", cupy, f"auto: {why}")


def array_namespace(*arrays: Any) -> ModuleType:
    """The array module of the given arrays (``cupy`` for CuPy arrays, else ``numpy``).

    Does not import CuPy: a CuPy array can only exist when CuPy is already imported.
    """
    for a in arrays:
        if type(a).__module__.split(".")[0] == "cupy":
            import cupy

            return cupy
    return np


def to_numpy(x: Any) -> np.ndarray:
    """Copy an array of either back end to a NumPy array (for plots and tables)."""
    if type(x).__module__.split(".")[0] == "cupy":
        return x.get()
    return np.asarray(x)


#: The same tuning for a process about to start, as glibc's tunables (the book's pipeline
#: starts the kernels that execute the chapters with it; see :func:`tune_allocator`).
MALLOC_TUNABLES = (
    f"glibc.malloc.mmap_threshold={32 << 20}:glibc.malloc.trim_threshold={1 << 30}"
    f":glibc.malloc.top_pad={64 << 20}"
)


@lru_cache(maxsize=1)
def tune_allocator() -> str:
    """Keep freed memory in the process heap (glibc), instead of returning every large temporary
    array to the operating system and faulting its pages in again on the next allocation.

    The batched kernels create many temporaries of a few megabytes per step; with glibc's
    defaults each one is a fresh ``mmap`` whose pages are zeroed on first touch, which costs
    about as much as the arithmetic itself. Raising the mmap and trim thresholds roughly halves
    the time of a training step on NumPy. The cost: the process keeps its peak heap.

    It changes the whole process, so no library function calls it: the command line
    (``python -m infobook``), dask workers of a sweep and the benchmarks do, the book's pipeline
    starts the chapters' kernels with :data:`MALLOC_TUNABLES`, and a user's long-running
    script may call it. Measured on the project's machine: 300 training steps of 4 networks
    (N = 100, M = 150) take 4.9 s tuned and 50 s untuned while another process loads the
    machine. A no-op (with the reason returned) on other C libraries or when
    ``INFOBOOK_TUNE_MALLOC=0``.
    """
    if os.environ.get("INFOBOOK_TUNE_MALLOC", "1") == "0":
        return "disabled by INFOBOOK_TUNE_MALLOC=0"
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
        ok = (
            libc.mallopt(m_mmap_threshold, 32 << 20)  # the largest value glibc accepts
            and libc.mallopt(m_trim_threshold, 1 << 30)
            and libc.mallopt(m_top_pad, 64 << 20)
        )
    except (OSError, AttributeError) as exc:
        return f"not tuned: {exc}"
    return "tuned glibc malloc thresholds" if ok else "not tuned: mallopt refused"
