"""The book pipeline: chapter execution with papermill and the checks of the built site."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from infobook.book import (
    ParameterError,
    chapter_parameters,
    chapter_source,
    chapters,
    check_overrides,
    check_site,
    current_execution,
    execute_chapter,
    find_root,
    load_parameters,
    parameter_file,
    toc_documents,
)
from infobook.book.parameters import parameters_cell

ROOT = find_root(Path(__file__).parent)


def test_toc_lists_every_chapter_once():
    docs = toc_documents(ROOT)
    assert docs[0] == "book/intro"
    assert len(docs) == len(set(docs))
    assert "01_pid" in chapters(ROOT)
    for doc in docs:
        assert (ROOT / f"{doc}.md").is_file(), doc


def test_command_line_lists_the_chapters_in_toc_order():
    out = subprocess.run(
        [sys.executable, "-m", "infobook.book", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == chapters(ROOT)
    numbers = [name.split("_")[0] for name in chapters(ROOT)]
    assert numbers == sorted(numbers), "chapter files are numbered in the order of _toc.yml"


def test_unknown_chapter_names_the_chapters():
    with pytest.raises(FileNotFoundError, match="01_pid"):
        chapter_source(ROOT, "99_nothing")


@pytest.mark.slow
@pytest.mark.parametrize("name", chapters(ROOT))
def test_chapter_executes_at_ci_scale_without_errors(tmp_path, name):
    """Notebook tier: each chapter runs top to bottom through papermill at its CI parameters,
    with no error and no stderr output. The notebook that ``make book`` executed is checked
    instead of running the chapter again when it is current (same chapter source, parameters
    and library, by fingerprint); any change to them runs the chapter here."""
    out = current_execution(ROOT, name, "ci")
    if out is None:
        params = load_parameters(parameter_file(ROOT, name, "ci"))
        out = tmp_path / f"{name}.ipynb"
        execute_chapter(chapter_source(ROOT, name), out, params, cwd=ROOT / "book")
    nb = nbformat.read(out, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", cell.source[:200]
            if output["output_type"] == "stream":
                assert output["name"] == "stdout", f"stderr in {name}: {output['text'][:300]}"
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 3, f"{name} produced only {images} figures"
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "remove-cell" in injected[0].metadata["tags"]


def write_site(tmp_path, body, extra=None):
    html = tmp_path / "html"
    (html / "book").mkdir(parents=True)
    (html / "index.html").write_text('<a href="book/a.html">a</a>')
    (html / "book" / "a.html").write_text(f"<html><body><h1 id='top'>A</h1>{body}</body></html>")
    for name, content in (extra or {}).items():
        p = html / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
    return html


def test_check_site_accepts_a_sound_site(tmp_path):
    html = write_site(
        tmp_path,
        '<img src="../img/x.png"><a href="#top">up</a><a href="../index.html">home</a>'
        '<span class="math notranslate">\\(\\gamma_\\mathrm{red}\\)</span><br>'
        '<div class="proof theorem"><ul><li>a list in a theorem is fine</li></ul></div>'
        '<details class="hide"><div class="cell_input"><pre>' + "y" * 120 + "</pre></div></details>"
        '<div class="cell_output"><pre>' + "z" * 120 + "</pre></div>"
        "<pre>\\frac{a}{b} in a code block</pre>",
        {"img/x.png": b"\x89PNG data"},
    )
    assert check_site(html, ["index", "book/a"]) == []


@pytest.mark.parametrize(
    "body,extra,expected",
    [
        ('<div class="output stderr">oops</div>', None, "error output"),
        ('<div class="output traceback">x</div>', None, "error output"),
        ("<pre>Traceback (most recent call last):</pre>", None, "traceback"),
        ('<img src="../img/none.png">', None, "missing or empty"),
        ('<img src="../img/empty.png">', {"img/empty.png": b""}, "missing or empty"),
        ('<a href="b.html">b</a>', None, "broken link"),
        ('<a href="#nowhere">b</a>', None, "missing anchor"),
        ('<script src="https://cdn.example.org/x.js"></script>', None, "from the network"),
        ("<p>climbs $G_i = \\gamma_{T}\\,\\mathrm{unq}_T$ by Adam</p>", None, "raw TeX"),
        ("<p>the weight \\gamma_\\mathrm{red} stays</p>", None, "raw TeX"),
        (
            '<div class="proof definition admonition"><p>x</p><ul><li>y</li></ul></div>',
            None,
            "Markdown list",
        ),
        (
            '<div class="cell_input"><div class="highlight"><pre>'
            + "x" * 95
            + "</pre></div></div>",
            None,
            "wider than 88",
        ),
    ],
)
def test_check_site_finds_each_problem(tmp_path, body, extra, expected):
    html = write_site(tmp_path, body, extra)
    problems = check_site(html, ["index", "book/a"])
    assert any(expected in p for p in problems), problems


def test_check_site_finds_missing_pages(tmp_path):
    html = write_site(tmp_path, "")
    assert any(
        "missing page for book/b" in p for p in check_site(html, ["index", "book/a", "book/b"])
    )
    assert "has not been built" in check_site(tmp_path / "nothing", ["index"])[0]


# ----------------------------------------------------------------- parameters


@pytest.mark.parametrize("name", chapters(ROOT))
def test_parameters_cells_parse_cleanly_for_papermill_and_for_us(name, caplog):
    import jupytext
    from papermill.translators import PythonTranslator

    nb = jupytext.read(chapter_source(ROOT, name))
    ours = chapter_parameters(nb)
    with caplog.at_level("WARNING"):
        theirs = PythonTranslator.inspect(parameters_cell(nb))
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert [p.name for p in theirs] == list(ours)
    for scale in ("ci", "full"):  # both parameter sets fit the cell
        check_overrides(name, ours, load_parameters(parameter_file(ROOT, name, scale)))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"n_randm": 7}, "unknown parameter 'n_randm'.*did you mean 'n_random'.*seed, n_random"),
        ({"n_random": "many"}, "'n_random'.*must be an integer.*got 'many'"),
        ({"n_random": 2.5}, "must be an integer"),
        ({"scale": 3}, "must be a text"),
    ],
)
def test_overrides_are_checked_against_the_parameters_cell(overrides, match):
    defaults = chapter_parameters(chapter_source(ROOT, "01_pid"))
    with pytest.raises(ParameterError, match=match):
        check_overrides("01_pid", defaults, overrides)
    check_overrides("01_pid", defaults, {"n_random": 7, "scale": "full"})


def test_list_parameters_keep_their_element_types():
    defaults = {"alphas": [0.1, 0.5], "names": ["a"], "sizes": [10, 20]}
    check_overrides("x", defaults, {"alphas": [1, 2.5], "names": ["b", "c"], "sizes": []})
    with pytest.raises(ParameterError, match="alphas"):
        check_overrides("x", defaults, {"alphas": ["one"]})
    with pytest.raises(ParameterError, match="sizes"):
        check_overrides("x", defaults, {"sizes": 10})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("n_randm: 7\n", "did you mean 'n_random'"),
        ("n_random: many\n", "must be an integer"),
        ("n_random: [1\n", "not valid YAML"),
    ],
)
def test_run_refuses_bad_overrides_in_one_line_before_running(tmp_path, text, says):
    params = tmp_path / "p.yaml"
    params.write_text(text)
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "infobook.book", "run", "01_pid", "--params", str(params),
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2
    assert says in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_changed_chapter_is_not_taken_from_the_last_build(tmp_path):
    """The fingerprint follows the source, the parameters and the library."""
    from infobook.book.pipeline import chapter_fingerprint

    params = load_parameters(parameter_file(ROOT, "01_pid", "ci"))
    base = chapter_fingerprint(ROOT, "01_pid", params)
    assert chapter_fingerprint(ROOT, "01_pid", params) == base
    assert chapter_fingerprint(ROOT, "01_pid", {**params, "seed": 1}) != base
    assert chapter_fingerprint(ROOT, "02_hopfield", params) != base


@pytest.mark.slow
def test_a_page_rerun_with_overrides_says_so(tmp_path):
    params = tmp_path / "mine.yaml"
    params.write_text("n_random: 7\n")
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "infobook.book", "run", "01_pid", "--params", str(params),
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Executing" in proc.stderr  # papermill's progress bar follows the cells
    text = out.read_text()
    assert "overrides in `mine.yaml`" in text and "overridden: `n_random = 7`" in text
    assert "Parameter set: `ci`" not in text


def test_an_endless_wait_for_a_kernel_message_is_made_of_short_waits():
    """A missed socket notification must not hang a build: a wait with no timeout becomes
    waits of one slice each, repeated until the message comes; a wait with a timeout is
    passed on unchanged."""
    import asyncio
    from queue import Empty

    from jupyter_client import AsyncKernelClient
    from jupyter_client.channels import AsyncZMQSocketChannel

    from infobook.book.pipeline import _sliced, _waits_in_slices

    asked = []

    async def get_msg(self, timeout=None):
        asked.append(timeout)
        if len(asked) < 3:
            raise Empty
        return {"msg": "reply"}

    sliced = _sliced(get_msg, slice_s=0.5)
    assert asyncio.run(sliced(None)) == {"msg": "reply"}
    assert asked == [0.5, 0.5, 0.5]
    asked.clear()
    asked.extend([None, None])  # the next call returns at once
    assert asyncio.run(sliced(None, timeout=7)) == {"msg": "reply"}
    assert asked == [None, None, 7]

    # the client that papermill's nbclient uses reads both channels through the patched class
    client = AsyncKernelClient()
    assert client.shell_channel_class is AsyncZMQSocketChannel
    assert client.iopub_channel_class is AsyncZMQSocketChannel
    original = AsyncZMQSocketChannel.get_msg
    with _waits_in_slices():
        assert AsyncZMQSocketChannel.get_msg is not original
    assert AsyncZMQSocketChannel.get_msg is original
