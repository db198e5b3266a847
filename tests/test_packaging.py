"""The project's own files install everything, and they agree with each other."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from infobook.book import SCALES, chapters, find_root, parameter_file

ROOT = find_root(Path(__file__).parent)


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_the_same_extras_as_the_makefile():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lines = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    extras_env = set()
    for line in pip_lines:
        m = re.fullmatch(r"-e \.\[([\w,-]+)\]", line.strip())
        assert m, f"environment.yml should install the package with extras, got {line!r}"
        extras_env |= set(m.group(1).split(","))
    make = (ROOT / "Makefile").read_text()
    extras_make = set(
        re.search(r"pip install --quiet -e '\.\[([\w,-]+)\]'", make).group(1).split(",")
    )
    assert extras_env == extras_make
    declared = set(pyproject()["project"]["optional-dependencies"])
    assert extras_env <= declared


def test_cupy_is_never_a_hard_dependency():
    project = pyproject()["project"]
    assert not any("cupy" in d for d in project["dependencies"])
    extras = project["optional-dependencies"]
    assert any("cupy-cuda12x" in d for d in extras["gpu-cuda12"])
    assert any("cupy-cuda13x" in d for d in extras["gpu-cuda13"])


def test_jupyter_book_is_version_one():
    book = pyproject()["project"]["optional-dependencies"]["book"]
    assert "jupyter-book>=1.0.4,<2" in book


def test_ci_runs_exactly_the_readme_commands():
    ci = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [
        ln for ln in ci if ln and not ln.startswith("#") and not ln.startswith(("set ", "cd "))
    ]
    assert commands == ["make book", "make test"]
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme


def test_every_chapter_has_both_parameter_sets_matching_its_parameters_cell():
    import jupytext

    for name in chapters(ROOT):
        nb = jupytext.read(ROOT / "book" / f"{name}.md")
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, f"{name} needs exactly one cell tagged 'parameters'"
        names = set(re.findall(r"^(\w+)\s*=", cells[0].source, flags=re.M))
        assert "scale" in names, f"{name}: the parameters cell must define `scale`"
        for scale in SCALES:
            params = yaml.safe_load(parameter_file(ROOT, name, scale).read_text())
            assert params["scale"] == scale
            unknown = set(params) - names
            assert not unknown, (
                f"{name} ({scale}): parameters not in the parameters cell: {unknown}"
            )


def test_chapter_code_cells_are_lint_clean(tmp_path):
    """The chapters' code, converted with jupytext, passes ruff (errors, unused names, and lines
    of at most 88 columns: the width of a code cell on the page)."""
    import shutil
    import subprocess
    import sys

    import jupytext

    for name in chapters(ROOT):
        nb = jupytext.read(ROOT / "book" / f"{name}.md")
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        (tmp_path / f"{name}.py").write_text("\n\n\n".join(code) + "\n")
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    out = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "E9,F,B,E501",
            "--line-length",
            "88",
            "--ignore",
            "B018",  # a bare expression at the end of a cell is how a notebook displays it
            "--output-format",
            "concise",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout


def test_config_files_name_modules_and_package_data_that_exist():
    """The Sphinx extensions of ``_config.yml``, the ``python -m`` modules of the Makefile and the
    package data of ``pyproject.toml`` exist where those files say (the build tooling lives in
    ``infobook.book``)."""
    import importlib.util

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    ours = [e for e in config["sphinx"]["extra_extensions"] if e.startswith("infobook")]
    assert ours, "the book's own Sphinx extension is not listed in _config.yml"
    modules = ours + re.findall(r"-m (infobook[\w.]*)", (ROOT / "Makefile").read_text())
    for module in modules:
        assert importlib.util.find_spec(module) is not None, f"no module {module}"
    for package, patterns in pyproject()["tool"]["setuptools"]["package-data"].items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: nothing matches {pattern!r}"


def test_chapter_code_reads_published_capacities_from_the_module():
    """Code cells take the published capacities from ``infobook.published``, never as typed
    literals (prose may quote them). The Hebbian 0.14 is left out: it is also an ordinary load."""
    import jupytext

    from infobook import published

    values = {v for k, v in published.CAPACITY.items() if k != "hebbian"}
    values.add(published.HEBBIAN_ASYMPTOTIC)
    numbers = "|".join(re.escape(repr(v)) for v in sorted(values))
    literal = re.compile(rf"(?<![\w.])({numbers})0*(?!\d)")
    for name in chapters(ROOT):
        nb = jupytext.read(ROOT / "book" / f"{name}.md")
        for cell in nb.cells:
            if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
                continue
            found = literal.findall(cell.source)
            assert not found, f"{name}: published values {found} typed in a code cell"


@pytest.mark.parametrize("name", chapters(ROOT))
def test_chapters_round_trip_through_jupytext_byte_for_byte(name):
    """Opening a chapter in JupyterLab (jupytext's contents manager, with the project's pinned
    jupytext and the kernel of its environment) and saving it leaves the file unchanged."""
    import jupytext
    import nbformat

    path = ROOT / "book" / f"{name}.md"
    text = path.read_text()
    # JupyterLab holds the notebook as JSON (nbformat writes its keys sorted) and saves it back
    nb = nbformat.reads(nbformat.writes(jupytext.reads(text, fmt="md:myst")), as_version=4)
    # what JupyterLab sets when the notebook's kernel starts
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    assert jupytext.writes(nb, fmt="md:myst") == text
    assert f"jupytext_version: {jupytext.__version__}" in text


@pytest.mark.slow
def test_the_readme_papermill_lines_work_as_written():
    """The README's plain papermill commands, run from the repository root as written (with the
    chapter's ci parameter set in place of the full one)."""
    import subprocess

    text = (ROOT / "README.md").read_text()
    start = text.index("same run with papermill alone")
    block = text[text.index("```bash", start) + len("```bash") :]
    block = block[: block.index("```")]
    assert "papermill" in block and "mkdir -p _build/run" in block
    # as written, but with the small parameter set (the full one takes minutes)
    assert "book/params/full/01_pid.yaml" in block
    block = block.replace("book/params/full/01_pid.yaml", "book/params/ci/01_pid.yaml")
    out = ROOT / "_build" / "run" / "01_pid.ipynb"
    out.unlink(missing_ok=True)
    proc = subprocess.run(
        ["bash", "-e", "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.is_file() and out.stat().st_size > 10_000


@pytest.mark.parametrize("name", chapters(ROOT))
def test_chapters_survive_the_jupytext_command_line_round_trip(name, tmp_path):
    """md -> ipynb -> md with the project's jupytext command, byte for byte."""
    import subprocess
    import sys

    jupytext = str(Path(sys.executable).with_name("jupytext"))
    source = ROOT / "book" / f"{name}.md"
    for args in (
        [str(source), "--to", "ipynb", "-o", str(tmp_path / "x.ipynb")],
        [str(tmp_path / "x.ipynb"), "--to", "md:myst", "-o", str(tmp_path / "x.md")],
    ):
        subprocess.run([jupytext, "--quiet", *args], check=True, capture_output=True)
    assert (tmp_path / "x.md").read_bytes() == source.read_bytes()
