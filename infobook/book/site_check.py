"""The offline checks of the built site (:func:`check_site`) and the HTML parser they use."""

from __future__ import annotations

import html.parser
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass
class _Page(html.parser.HTMLParser):
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    bad_outputs: list[str] = field(default_factory=list)
    text: str = ""

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        classes = (a.get("class") or "").split()
        if "output" in classes and ({"stderr", "traceback"} & set(classes)):
            self.bad_outputs.append(" ".join(classes))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") == "stylesheet":
            self.scripts.append(a["href"])


def _parse(path: Path) -> _Page:
    page = _Page(text=path.read_text(encoding="utf-8", errors="replace"))
    page.feed(page.text)
    return page


def check_site(html_dir: Path, documents: list[str]) -> list[str]:
    """Problems of the built site (an empty list when it is sound).

    Checks that every document of the table of contents has a page, that no page shows a
    traceback or stderr output, that every image exists and is non-empty, that every internal
    link (and its anchor) resolves inside the site, and that no script or stylesheet is loaded
    from the network.
    """
    problems: list[str] = []
    if not html_dir.is_dir():
        return [f"{html_dir} does not exist: the book has not been built"]
    for doc in documents:
        if not (html_dir / f"{doc}.html").is_file():
            problems.append(f"missing page for {doc}")
    pages = {p: _parse(p) for p in html_dir.rglob("*.html") if "_static" not in p.parts}
    for path, page in pages.items():
        rel = path.relative_to(html_dir)
        if "Traceback (most recent call last)" in page.text:
            problems.append(f"{rel}: shows a Python traceback")
        for cls in page.bad_outputs:
            problems.append(f"{rel}: has an error output ({cls})")
        for src in page.images:
            if src.startswith("data:"):
                if len(src) < 100:
                    problems.append(f"{rel}: empty inline image")
                continue
            target = (path.parent / unquote(urlsplit(src).path)).resolve()
            if not target.is_file() or target.stat().st_size == 0:
                problems.append(f"{rel}: image {src} missing or empty")
        for src in page.scripts:
            if urlsplit(src).scheme in ("http", "https") or src.startswith("//"):
                problems.append(f"{rel}: loads {src} from the network")
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//") or href.startswith("mailto:"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{rel}: broken link {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                anchors = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in anchors:
                    problems.append(f"{rel}: link {href} points to a missing anchor")
    return problems
