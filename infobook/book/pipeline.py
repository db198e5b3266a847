"""The build of the book: locating chapters, staging, execution, vendoring, rendering, the CLI.

Chapters are executed with papermill and the site is rendered with Jupyter Book; the pipeline and
its steps are described in :mod:`infobook.book`, and the checks of the built site live in
:mod:`infobook.book.site_check`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..backend import MALLOC_TUNABLES
from .notes import ORIGIN_VARIABLE
from .parameters import ParameterError, chapter_parameters, check_overrides
from .site_check import check_site

#: The parameter sets of every chapter, ``book/params/<scale>/<chapter>.yaml``.
SCALES = ("ci", "full")
VENDOR_PACKAGES = {
    # file or folder inside node_modules -> place under _static/vendor
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist": "npm/@jupyter-widgets/html-manager/dist",
    "mathjax/es5": "mathjax",
}


# --------------------------------------------------------------------------- locating things


def find_root(start: Path | None = None) -> Path:
    """The book's root: the nearest folder upwards holding ``_toc.yml`` and ``_config.yml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "_config.yml").is_file():
            return folder
    raise FileNotFoundError(
        f"no book root (a folder with _toc.yml and _config.yml) at or above {here}; "
        "run from inside the infobook repository"
    )


def toc_documents(root: Path) -> list[str]:
    """Document names of ``_toc.yml`` in reading order (``book/01_pid``, ...)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    docs = [toc["root"]]

    def walk(entries: Iterable[dict[str, Any]]) -> None:
        for entry in entries or []:
            if "file" in entry:
                docs.append(str(Path(entry["file"]).with_suffix("")))
            for key in ("chapters", "sections", "parts"):
                if key in entry:
                    walk(entry[key])

    for key in ("chapters", "parts"):
        walk(toc.get(key, []))
    return docs


def is_notebook(path: Path) -> bool:
    """True for a MyST-markdown notebook (a jupytext header with a kernelspec)."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head and "jupytext:" in head


def chapters(root: Path) -> list[str]:
    """Names (``01_pid``, ...) of the executable chapters, in the order of ``_toc.yml``."""
    out = []
    for doc in toc_documents(root):
        path = root / f"{doc}.md"
        if is_notebook(path):
            out.append(path.stem)
    return out


def chapter_source(root: Path, name: str) -> Path:
    """The source file of a chapter given its name (``01_pid``) or path."""
    candidates = [Path(name), root / name, root / "book" / name, root / "book" / f"{name}.md"]
    for c in candidates:
        if c.is_file() and is_notebook(c):
            return c.resolve()
    raise FileNotFoundError(f"no chapter {name!r}; the chapters are {', '.join(chapters(root))}")


def parameter_file(root: Path, chapter: str, scale: str) -> Path:
    """``book/params/<scale>/<chapter>.yaml``."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {SCALES}")
    return root / "book" / "params" / scale / f"{chapter}.yaml"


def load_parameters(path: Path | None) -> dict[str, Any]:
    """Read a flat YAML mapping of parameter overrides (empty for ``None``)."""
    if path is None:
        return {}
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no parameter file {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ParameterError(
            f"{path} is not valid YAML{line}; write one 'name: value' per line"
        ) from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: a parameter file must be a mapping of name: value")
    return data


# --------------------------------------------------------------------------- execution


#: Longest single wait for a kernel message, in seconds (see :func:`_waits_in_slices`).
WAIT_SLICE = 2.0


def _sliced(get_msg: Any, slice_s: float = WAIT_SLICE) -> Any:
    """``get_msg`` of a kernel channel whose endless waits (``timeout=None``) are made of
    waits of at most ``slice_s`` seconds, repeated until a message comes."""
    from queue import Empty

    async def get_msg_sliced(self: Any, timeout: float | None = None) -> Any:
        if timeout is not None:
            return await get_msg(self, timeout)
        while True:
            try:
                return await get_msg(self, slice_s)
            except Empty:
                continue

    return get_msg_sliced


@contextlib.contextmanager
def _waits_in_slices() -> Iterator[None]:
    """While executing a chapter, wait for kernel messages in slices (:func:`_sliced`).

    nbclient waits for a cell's reply and output with no timeout, and an asynchronous zmq wait
    wakes only on its socket's notification: a notification that is missed leaves the kernel
    idle and the build waiting forever (seen once on the widget cell of the first chapter; the
    upstream report is jupyter/nbclient#312). A wait that ends by its timeout polls the socket
    itself, so slices of a few seconds turn a missed notification into a delay of one slice.
    """
    from jupyter_client.channels import AsyncZMQSocketChannel

    original = AsyncZMQSocketChannel.get_msg
    AsyncZMQSocketChannel.get_msg = _sliced(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        AsyncZMQSocketChannel.get_msg = original  # type: ignore[method-assign]


def execute_chapter(
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path | None = None,
    origin: str = "",
    progress: bool = False,
) -> float:
    """Execute one chapter with papermill; returns the wall time in seconds.

    The MyST-markdown source is read with jupytext; every name of ``parameters`` must be a
    parameter of the chapter's ``parameters`` cell with a value of a compatible type
    (:func:`infobook.book.parameters.check_overrides`, checked before any cell runs); papermill
    injects them after that cell and writes the executed notebook to ``output``. ``origin``
    says where the values came from (a parameter set or a file) for the page's note; with
    ``progress`` a bar follows the cells.
    """
    import json

    import jupytext
    import papermill

    nb = jupytext.read(source)
    check_overrides(source.stem, chapter_parameters(nb), parameters)
    os.environ.pop("MPLBACKEND", None)  # an Agg backend here would drop every figure
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    # the kernel learns where its parameters came from, and runs with the tuned allocator of
    # infobook.backend.tune_allocator (a process that runs only this chapter)
    extra = {ORIGIN_VARIABLE: json.dumps({"origin": origin, "overrides": parameters})}
    if os.environ.get("INFOBOOK_TUNE_MALLOC", "1") != "0":
        given = os.environ.get("GLIBC_TUNABLES")
        extra["GLIBC_TUNABLES"] = f"{given}:{MALLOC_TUNABLES}" if given else MALLOC_TUNABLES
    before = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        with _waits_in_slices():
            papermill.execute_notebook(
                nb,
                str(output),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(cwd or source.parent),
                progress_bar=progress,
                log_output=False,
                # the kernel's start-up notice about TCP on the loopback is not for readers
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.perf_counter() - t0
    _hide_injected_parameters(output)
    return seconds


def chapter_fingerprint(root: Path, name: str, parameters: dict[str, Any]) -> str:
    """A digest of everything an executed chapter depends on: its source, its parameters,
    every file of the library (code and style), the committed results it may read, and the
    versions of the packages that compute it. Two executions with the same fingerprint compute
    the same page."""
    import hashlib
    import importlib.metadata
    import json

    digest = hashlib.sha256()
    digest.update(chapter_source(root, name).read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    package = Path(__file__).resolve().parents[1]
    files = [*package.rglob("*.py"), *package.rglob("*.mplstyle")]
    files += list((root / "book" / "results").glob("*"))
    for path in sorted(files):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    for dist in ("numpy", "scipy", "matplotlib", "pandas", "xarray", "numba", "dit", "optuna"):
        try:
            digest.update(f"{dist}=={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist} absent".encode())
    return digest.hexdigest()


def _stamp(notebook: Path) -> Path:
    return notebook.with_suffix(".fingerprint")


def current_execution(root: Path, name: str, scale: str = "ci") -> Path | None:
    """The notebook of ``name`` that the last ``build`` at ``scale`` executed, if it is current
    (its fingerprint matches the chapter, parameters and library as they are now), else None."""
    notebook = root / "_build" / "src" / "book" / f"{name}.ipynb"
    stamp = _stamp(notebook)
    if not (notebook.is_file() and stamp.is_file()):
        return None
    params = load_parameters(parameter_file(root, name, scale))
    return notebook if stamp.read_text() == chapter_fingerprint(root, name, params) else None


def _hide_injected_parameters(path: Path) -> None:
    """Tag papermill's injected-parameters cell ``remove-cell``: the page shows the values in
    use through :func:`infobook.book.notes.parameter_note` instead of a second parameters cell."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)


# --------------------------------------------------------------------------- vendoring


def vendor_scripts(root: Path, static_dir: Path) -> None:
    """Install the scripts pinned in ``package.json``; copy them to ``static_dir/vendor``."""
    modules = root / "node_modules"
    if not all((modules / src).exists() for src in VENDOR_PACKAGES):
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "npm is needed once to vendor MathJax and the widget scripts for the offline site; "
                "install Node.js (Debian: apt-get install nodejs npm)"
            )
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root, check=True
        )
    vendor = static_dir / "vendor"
    for src, dst in VENDOR_PACKAGES.items():
        s, d = modules / src, vendor / dst
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True, ignore=shutil.ignore_patterns("sre", "*.map"))
        else:
            shutil.copy2(s, d)
    assets = Path(__file__).parent / "assets"
    shutil.copy2(assets / "widgets-offline.js", vendor / "widgets-offline.js")
    shutil.copy2(assets / "infobook.css", static_dir / "infobook.css")  # -> _static/infobook.css


# --------------------------------------------------------------------------- staging and build


def stage(root: Path, src: Path) -> None:
    """Copy everything Jupyter Book needs, except the chapter sources, into ``src``."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy2(root / name, src / name)
    notebooks = {f"{c}.md" for c in chapters(root)}

    def ignore(folder: str, names: list[str]) -> list[str]:
        skip = {"params", "__pycache__", ".ipynb_checkpoints"}
        return [n for n in names if n in skip or (Path(folder).name == "book" and n in notebooks)]

    shutil.copytree(root / "book", src / "book", ignore=ignore)
    # the recorded benchmark results, included by the appendix "Performance"
    (src / "benchmarks").mkdir()
    shutil.copy2(root / "benchmarks" / "RESULTS.md", src / "benchmarks" / "RESULTS.md")


def build(root: Path, scale: str = "ci", *, only: list[str] | None = None) -> None:
    """Execute every chapter at ``scale``, render ``_build/html`` and check the result."""
    build_dir = root / "_build"
    src = build_dir / "src"
    print(f"[book] staging sources into {src.relative_to(root)}", flush=True)
    stage(root, src)
    # Not "_static": Jupyter Book would add every .js file found there to every page.
    vendor_scripts(root, src / "_vendor")
    names = chapters(root)
    for name in names:  # every parameter set checked before any chapter runs
        check_overrides(
            name,
            chapter_parameters(chapter_source(root, name)),
            load_parameters(parameter_file(root, name, scale)),
        )
    for name in names:
        if only and name not in only:
            continue
        source = chapter_source(root, name)
        params = load_parameters(parameter_file(root, name, scale))
        out = src / "book" / f"{name}.ipynb"
        print(f"[book] executing {name} with the {scale} parameter set ...", flush=True)
        try:
            seconds = execute_chapter(
                source,
                out,
                params,
                cwd=src / "book",
                origin=f"the `{scale}` parameter set",
                progress=True,
            )
        except Exception as exc:
            raise SystemExit(
                f"[book] chapter {name} failed: {exc}\n"
                f"[book] the partly executed notebook is {out.relative_to(root)}"
            ) from None
        _stamp(out).write_text(chapter_fingerprint(root, name, params))
        print(f"[book]   {name} done in {seconds:.1f} s", flush=True)
    print("[book] rendering with Jupyter Book", flush=True)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(jb) if jb.exists() else "jupyter-book", "build", str(src),
        "--path-output", str(root), "-W", "-n", "--keep-going",
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    html_dir = build_dir / "html"
    problems = check_site(html_dir, toc_documents(root))
    if problems:
        raise SystemExit("[book] the built site has problems:\n  " + "\n  ".join(problems))
    print(f"[book] site checked: {len(toc_documents(root))} pages, open {html_dir / 'index.html'}")


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """Run one command of ``python -m infobook.book`` (build, run, check or list).

    Returns the exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m infobook.book",
        description=(
            "Executing the chapters with papermill and rendering the book with Jupyter Book."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="execute every chapter and render _build/html")
    b.add_argument("--scale", choices=SCALES, default="ci")
    b.add_argument(
        "--only", nargs="*", help="execute only these chapters (others render unexecuted)"
    )
    r = sub.add_parser("run", help="execute one chapter with a parameter file")
    r.add_argument("chapter", help="chapter name, e.g. 01_pid")
    r.add_argument("--params", type=Path, help="YAML file of parameter overrides")
    r.add_argument("--scale", choices=SCALES, help="use book/params/<scale>/<chapter>.yaml")
    r.add_argument(
        "--out", type=Path, help="executed notebook (default _build/run/<chapter>.ipynb)"
    )
    sub.add_parser("check", help="check an already built _build/html")
    sub.add_parser("list", help="list the chapters")
    args = parser.parse_args(argv)
    try:
        return _command(parser, args)
    except (ParameterError, FileNotFoundError, ValueError) as exc:
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")


def _command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    root = find_root()
    if args.command == "build":
        build(root, args.scale, only=args.only)
    elif args.command == "run":
        source = chapter_source(root, args.chapter)
        name = source.stem
        if args.params and args.scale:
            parser.error("give --params or --scale, not both")
        pfile = args.params or (parameter_file(root, name, args.scale) if args.scale else None)
        params = load_parameters(pfile)
        check_overrides(name, chapter_parameters(source), params)  # before anything else
        out = args.out or root / "_build" / "run" / f"{name}.ipynb"
        if args.scale:
            origin = f"the `{args.scale}` parameter set"
        elif pfile:
            origin = f"the overrides in `{Path(pfile).name}`"
        else:
            origin = "the defaults of its parameters cell"
        print(f"executing {name} with {pfile or 'its default parameters'} -> {out}")
        seconds = execute_chapter(
            source, out, params, cwd=source.parent, origin=origin, progress=True
        )
        print(f"done in {seconds:.1f} s; open {out} in JupyterLab to read it")
    elif args.command == "check":
        problems = check_site(root / "_build" / "html", toc_documents(root))
        print("\n".join(problems) or "site OK")
        return 1 if problems else 0
    elif args.command == "list":
        print("\n".join(chapters(root)))
    return 0
