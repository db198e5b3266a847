"""A Sphinx extension for the book's own build (listed in ``_config.yml``): one copy of each script.

Jupyter Book 1 registers sphinx-thebe's inline configuration script twice, which makes the
browser report "Identifier 'THEBE_JS_URL' has already been declared" on every page. This drops
repeated script entries from each page before it is written.
"""

from __future__ import annotations

from typing import Any


def _dedupe_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for js in scripts:
        # the same script is registered once with filename None and once with "" as its name
        key = (
            str(getattr(js, "filename", js) or ""),
            repr(sorted(getattr(js, "attributes", {}).items())),
        )
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
