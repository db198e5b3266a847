"""The built site, opened in a real headless browser (Debian's chromium driven by playwright).

Checks that each chapter page renders its math (MathJax, vendored, no CDN), shows its figures,
draws its widgets, and logs no console errors, with every request outside the loopback
recorded as a failure.
Skips, with the reason, where the site has not been built or no browser is installed.
"""

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from infobook.book import chapters, check_site, find_root, toc_documents

ROOT = find_root(Path(__file__).parent)
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (HTML / "index.html").is_file(),
        reason="the site has not been built (run `make book` first)",
    ),
]


def test_site_passes_static_checks():
    assert check_site(HTML, toc_documents(ROOT)) == []


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))

    class Quiet(handler.func):  # type: ignore[misc, valid-type]
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def open_page(browser, url):
    page = browser.new_page()
    errors, external = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def watch(request):
        if urlsplit(request.url).hostname not in ("127.0.0.1", "localhost", None):
            external.append(request.url)

    def missing(response):
        if response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    page.on("request", watch)
    page.on("response", missing)
    page.goto(url, wait_until="networkidle")
    return page, errors, external


@pytest.mark.parametrize("chapter", chapters(ROOT))
def test_chapter_renders_offline(browser, server, chapter):
    page, errors, external = open_page(browser, f"{server}/book/{chapter}.html")
    page.wait_for_selector("mjx-container", timeout=20_000)
    n_math = page.locator("mjx-container").count()
    # every formula Sphinx emitted (span/div.math) must hold MathJax's typeset output
    n_source = page.locator(".math").count()
    untypeset = page.evaluate(
        "[...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container'))"
        ".length"
    )
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.getAttribute('src'), e.complete && e.naturalWidth > 0])"
    )
    raw_tex = page.evaluate("document.querySelector('article').innerText.includes('\\\\frac')")
    page.close()
    assert n_source >= 5, f"only {n_source} formulas on the page"
    assert untypeset == 0, f"{untypeset} of {n_source} formulas were not typeset"
    assert n_math >= n_source
    assert not raw_tex, "raw TeX is visible: MathJax did not typeset the page"
    assert images, "no figures on the page"
    broken = [src for src, ok in images if not ok]
    assert not broken, f"images that did not load: {broken}"
    assert not external, f"the page asked the network for {external}"
    assert not errors, f"console errors: {errors}"


def test_widgets_are_drawn_without_a_kernel(browser, server):
    page, errors, external = open_page(browser, f"{server}/book/01_pid.html")
    page.wait_for_selector(".widget-slider", timeout=20_000)
    sliders = page.locator(".widget-slider").count()
    widget_images = page.locator(".jupyter-widgets img, .widget-output img").count()
    page.close()
    assert sliders >= 5
    assert widget_images >= 1, "the explorer's last figure is not embedded"
    assert not external and not errors
