"""The offline checks of the built site (:func:`check_site`) and the HTML parser they use."""

from __future__ import annotations

import html.parser
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Characters of a code line that fit a code cell at the page's width (1400 px window).
CODE_COLUMNS = 88
#: TeX that was not turned into math: a command, or a $...$ pair, in the page's prose.
RAW_TEX = re.compile(
    r"\\(?:mathrm|mathbf|frac|gamma|alpha|theta|sigma|sum|log|left|right|cdot|lor|mid|le|ge|"
    r"partial|infty|sqrt|text|underbrace|operatorname|xi|mu)(?![A-Za-z])|\$[^$]*\\[A-Za-z]+[^$]*\$"
)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip
_NOT_PROSE = {"script", "style", "pre", "code", "svg", "math", "textarea"}


@dataclass
class _Page(html.parser.HTMLParser):
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    bad_outputs: list[str] = field(default_factory=list)
    text: str = ""
    prose: list[str] = field(default_factory=list)
    lists_in_definitions: int = 0
    code_lines: list[str] = field(default_factory=list)
    _stack: list[tuple[str, bool, bool, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def _flags(self) -> tuple[bool, bool, bool]:
        """(outside prose, inside a definition, inside visible code) of the current element."""
        if not self._stack:
            return False, False, False
        return self._stack[-1][1:]

    def handle_endtag(self, tag: str) -> None:
        for k in range(len(self._stack) - 1, -1, -1):
            if self._stack[k][0] == tag:
                del self._stack[k:]
                return

    def handle_data(self, data: str) -> None:
        not_prose, _, visible_code = self._flags()
        if not not_prose:
            self.prose.append(data)
        elif visible_code and self._stack and self._stack[-1][0] in ("pre", "span", "code"):
            self.code_lines.append(data)

    def _push(self, tag: str, classes: list[str]) -> None:
        if tag in _VOID:
            return
        not_prose, in_definition, visible_code = self._flags()
        not_prose = (
            not_prose
            or tag in _NOT_PROSE
            or bool({"math", "sig", "highlight", "MathJax", "output"} & set(classes))
        )
        in_definition = in_definition or ("definition" in classes and "proof" in classes)
        if tag == "details":
            visible_code = False
        elif "cell_input" in classes and not any(t == "details" for t, *_ in self._stack):
            visible_code = True
        self._stack.append((tag, not_prose, in_definition, visible_code))
        if tag in ("ul", "ol") and in_definition:
            self.lists_in_definitions += 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._push(tag, (a.get("class") or "").split())
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
    link (and its anchor) resolves inside the site, that no script or stylesheet is loaded
    from the network, that no prose shows raw TeX (math that was not parsed as math), that no
    definition holds a Markdown list (a formula line starting with ``+`` or ``-`` becomes one),
    and that no visible code cell has a line wider than :data:`CODE_COLUMNS` characters.
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
        prose = " ".join("".join(page.prose).split())
        for m in RAW_TEX.finditer(prose):
            start = max(0, m.start() - 30)
            problems.append(f"{rel}: raw TeX in the text: ...{prose[start : m.end() + 30]}...")
        if page.lists_in_definitions:
            problems.append(f"{rel}: a definition holds a Markdown list (a line starting '+ '?)")
        wide = [line for line in "".join(page.code_lines).split("\n") if len(line) > CODE_COLUMNS]
        for line in wide[:3]:
            problems.append(
                f"{rel}: a visible code line is wider than {CODE_COLUMNS} columns: {line[:60]}..."
            )
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
