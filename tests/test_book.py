"""The book pipeline: chapter execution with papermill and the checks of the built site."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from infobook.book import (
    chapter_source,
    chapters,
    check_site,
    execute_chapter,
    find_root,
    load_parameters,
    parameter_file,
    toc_documents,
)

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
    """Notebook tier: each chapter runs top to bottom through papermill at its CI parameters
    (shrunk further where a parameter is a size), with no error and no stderr output."""
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
        '<img src="../img/x.png"><a href="#top">up</a><a href="../index.html">home</a>',
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
