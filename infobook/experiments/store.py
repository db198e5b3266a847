"""The one mechanism of resumable runs: a results file that owns its settings, its finished
entries, its provenance and its atomic saves.

Introduced in the chapter :ref:`ch-infomorphic`. A run is a grid of *entries* (for a capacity
curve one per load, for the baselines one per rule and load, for the ceiling one per size and
seed, for a sweep one per goal), each marked ``done`` when finished, with its wall time in
``seconds``. :class:`RunStore` opens or creates the file, refuses a file with other settings
(naming the setting that differs) or one that is not a results file, copies finished entries
from the file and from other files (reuse, merge), records one provenance entry per invocation
that adds work, saves atomically after every entry (a temporary file renamed over the results
file, so an interrupted run never leaves a corrupt file) and shows progress starting at
"k/n already done".
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .settings import RunSettings, record_difference

#: Suffix of every results file (netCDF, written with SciPy's engine).
SUFFIX = ".nc"


def _command_line(argv: list[str]) -> str:
    """How this process was started: ``python -m infobook ...`` for the command line, else the
    script and its arguments (``python -c`` for inline code, whose text is not recorded)."""
    if not argv:
        return ""
    if Path(argv[0]).name == "__main__.py" and Path(argv[0]).parent.name == "infobook":
        return " ".join(["python -m infobook", *argv[1:]])
    return " ".join(["python", *argv])


def provenance(**extra: str) -> dict[str, str]:
    """Where and how a result is being computed: command, commit, machine, time (UTC), and any
    ``extra`` entries (the back end chosen, the workers of a cluster)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "command": _command_line(sys.argv),
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **extra,
    }


def check_results_path(path: Path | str) -> Path:
    """``path`` as a :class:`~pathlib.Path`, refused unless it names a netCDF file (``.nc``)."""
    path = Path(path)
    if path.suffix != SUFFIX:
        raise ValueError(
            f"results are written as netCDF: the file name must end in {SUFFIX}, got {str(path)!r}"
        )
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the name of a results file ending in {SUFFIX}")
    return path


def save_atomic(ds: Any, path: Path | str) -> None:
    """Write ``ds`` as netCDF to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    ds.to_netcdf(tmp, engine="scipy")
    os.replace(tmp, path)


def load_results(path: Path | str) -> Any:
    """Read a results file into memory (the file is closed afterwards).

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    ValueError
        When the file is not a results file of this package (not netCDF, or no settings).
    """
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file {path}")
    try:
        with xr.open_dataset(path, engine="scipy") as ds:
            ds = ds.load()
    except Exception as exc:  # scipy and xarray raise several kinds for a foreign file
        raise ValueError(
            f"{path} is not a results file of infobook (it cannot be read as netCDF: "
            f"{type(exc).__name__}); give another file"
        ) from None
    if "settings" not in ds.attrs or "done" not in ds:
        raise ValueError(
            f"{path} is a netCDF file but not a results file of infobook (it has no run "
            "settings); give another file"
        )
    return ds


def copy_finished(dst: Any, src: Any) -> int:
    """Copy into ``dst`` every entry that ``src`` has finished and ``dst`` has not, an entry
    being a point of the dims of ``done`` that both datasets hold; returns how many were
    copied."""
    dims = dst.done.dims
    common = [np.intersect1d(src[d].values, dst[d].values) for d in dims]
    copied = 0
    names = [v for v in dst.data_vars if v in src.data_vars]
    for key in itertools.product(*common):
        here = dict(zip(dims, key, strict=True))
        if int(src.done.sel(here)) == 1 and int(dst.done.sel(here)) == 0:
            dst.loc[here] = src.sel(here)[names]
            copied += 1
    return copied


class RunStore:
    """A resumable results file of one run.

    The dataset being filled is the attribute ``ds``; a run writes an entry's values into it
    and calls :meth:`finish`.

    Parameters
    ----------
    path : path
        The results file (netCDF, ``.nc``); created on the first save.
    settings : RunSettings
        What defines the run; an existing file must hold the same.
    template : xarray.Dataset
        The empty run: its variables (NaN until computed), ``done`` (int8, 0) and ``seconds``
        over the entry dims.
    identity : mapping of str to str
        Variables besides the settings that an existing file must hold unchanged, each with
        what it is (``{"gamma": "goals"}`` for a sweep).
    """

    def __init__(
        self,
        path: Path | str,
        settings: RunSettings,
        template: Any,
        *,
        identity: Mapping[str, str] | None = None,
    ) -> None:
        self.path = check_results_path(path)
        self.settings = settings
        self.identity = dict(identity or {})
        self.ds = template
        self.ds.attrs["settings"] = settings.to_json()
        self.history: list[dict[str, str]] = []
        self._retrained = ""
        if self.path.exists():
            old = load_results(self.path)
            self._check(old, self.path, "choose another --out or delete the file")
            copied = copy_finished(self.ds, old)
            finished = int((old.done == 1).sum())
            if copied < finished:
                raise ValueError(
                    f"{self.path} holds {finished - copied} finished entries outside this run's "
                    f"grid (of {', '.join(self.dims)}), which resuming would drop; give a grid "
                    "that includes them, or another --out"
                )
            self.history = json.loads(old.attrs.get("provenance", "[]"))
        self.ds.attrs["provenance"] = json.dumps(self.history)

    def _check(self, other: Any, path: Path, fix: str) -> None:
        diff = self.settings.difference(other.attrs["settings"])
        if diff is not None:
            raise ValueError(f"{path} holds a run with other settings: {diff}; {fix}")
        _check_identity(other, self.ds, self.identity, path, fix)

    # ------------------------------------------------------------------ entries

    @property
    def dims(self) -> tuple[str, ...]:
        """The entry dims (those of ``done``)."""
        return tuple(self.ds.done.dims)

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, as a mapping from entry dim to coordinate, in C order."""
        values = [self.ds[d].values.tolist() for d in self.dims]
        return [dict(zip(self.dims, k, strict=True)) for k in itertools.product(*values)]

    def is_done(self, key: Mapping[str, Any]) -> bool:
        """Whether the entry ``key`` is finished."""
        return bool(int(self.ds.done.sel(key)))

    def todo(self) -> list[dict[str, Any]]:
        """The entries not finished yet, in C order."""
        return [k for k in self.entries() if not self.is_done(k)]

    def n_done(self) -> int:
        """How many entries are finished."""
        return int((self.ds.done == 1).sum())

    # ------------------------------------------------------------------ other files

    def reuse(self, paths: Iterable[Path | str], mark: str = "reused_from") -> int:
        """Take the finished entries of other results files with the same settings, a later
        file's before an earlier one's, this file's own before any; their provenance entries
        are appended, each marked with ``mark`` and the file name. Returns how many entries
        were taken."""
        paths = [Path(p) for p in paths]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise FileNotFoundError(f"results files to reuse do not exist: {', '.join(missing)}")
        taken = 0
        for path in reversed(paths):
            other = load_results(path)
            self._check(other, path, "it cannot be reused")
            copied = copy_finished(self.ds, other)
            if copied:
                taken += copied
                for entry in json.loads(other.attrs.get("provenance", "[]")):
                    self.history.append({**entry, mark: path.name})
        self.ds.attrs["provenance"] = json.dumps(self.history)
        return taken

    def retrain_nonfinite(self, var: str = "goal") -> int:
        """Mark the finished entries whose ``var`` is not finite (a training that ended in NaN
        weights) as not done, so that this invocation trains them again; the next provenance
        entry says how many. Returns that number."""
        bad = ~np.isfinite(self.ds[var])
        wider = [d for d in bad.dims if d not in self.dims]  # an entry spans these (seeds)
        bad = (bad.any(wider) if wider else bad) & (self.ds.done == 1)
        count = int(bad.sum())
        if count:
            for name, values in self.ds.data_vars.items():
                measured = name not in ("done", "seconds") and name not in self.identity
                if measured and values.dtype.kind == "f" and set(self.dims) <= set(values.dims):
                    self.ds[name] = values.where(~bad)
            self.ds["done"] = self.ds.done.where(~bad, 0).astype(np.int8)
            self.ds["seconds"] = self.ds.seconds.where(~bad, 0.0)
            self._retrained = f"{count} entries whose {var} was not finite"
        return count

    # ------------------------------------------------------------------ running

    def begin(self, **extra: str) -> list[dict[str, Any]]:
        """Start an invocation: returns the entries to compute, and records a provenance entry
        (with ``extra``) when there are any."""
        todo = self.todo()
        if todo:
            if self._retrained:
                extra = {**extra, "retrained": self._retrained}
            self.history.append(provenance(**extra))
            self.ds.attrs["provenance"] = json.dumps(self.history)
        return todo

    def progress(self, desc: str, enabled: bool = True) -> Any:
        """A progress bar over all entries, starting at those already done (and saying so)."""
        from tqdm.auto import tqdm

        total, done = len(self.entries()), self.n_done()
        if enabled and done:
            left = "nothing left to compute" if done == total else "resuming"
            print(f"{self.path.name}: {done}/{total} entries already done, {left}", flush=True)
        return tqdm(total=total, initial=done, disable=not enabled, desc=desc)

    def finish(self, key: Mapping[str, Any], seconds: float) -> None:
        """Mark the entry ``key`` finished with its wall time, and save."""
        self.ds["done"].loc[key] = 1
        self.ds["seconds"].loc[key] = seconds
        self.save()

    def save(self) -> None:
        """Write the whole run atomically."""
        save_atomic(self.ds, self.path)


def _check_identity(other: Any, ds: Any, identity: Mapping[str, str], path: Path, fix: str) -> None:
    for name, what in identity.items():
        if name not in other:
            raise ValueError(f"{path} has no {what} ({name!r}); {fix}")
        a, b = other[name].values, ds[name].values
        if a.shape != b.shape or not np.array_equal(a, b):
            raise ValueError(f"{path} holds a run with other {what} ({name!r}); {fix}")


#: Variables besides the settings that tell runs apart, by what they are (a sweep's goals).
IDENTITY = {"gamma": "goals"}


def merge_results(target: Path | str, source: Path | str) -> Any:
    """Copy the finished entries of the results file ``source`` into ``target``.

    For runs split over processes or machines, each with its own file: both must hold the same
    settings; ``target``'s coordinates are kept, so only entries it has are copied, and entries
    it has finished already are left as they are. ``source``'s provenance entries are appended
    to ``target``'s, each marked with ``merged_from``. Saved atomically; returns the merged
    dataset.
    """
    target, source = Path(target), Path(source)
    tgt, src = load_results(target), load_results(source)
    diff = record_difference(tgt.attrs["settings"], src.attrs["settings"])
    if diff is not None:
        raise ValueError(
            f"{source} was computed with other settings than {target} ({diff}); they cannot "
            "be merged"
        )
    identity = {k: v for k, v in IDENTITY.items() if k in tgt or k in src}
    _check_identity(src, tgt, identity, source, "they cannot be merged")
    if copy_finished(tgt, src):
        history = json.loads(tgt.attrs.get("provenance", "[]"))
        for entry in json.loads(src.attrs.get("provenance", "[]")):
            history.append({**entry, "merged_from": source.name})
        tgt.attrs["provenance"] = json.dumps(history)
        save_atomic(tgt, target)
    return tgt
