"""The note on each chapter page that names the parameters which produced it."""

from __future__ import annotations

import json
import os
from typing import Any

#: Set by :func:`infobook.book.pipeline.execute_chapter` for the chapter's kernel.
ORIGIN_VARIABLE = "INFOBOOK_PARAMETER_ORIGIN"


def parameter_note(scale: str, chapter: str, **parameters: Any) -> Any:
    """A Markdown note saying which parameters produced the page, and how to rerun it.

    Chapters display it right after their parameters cell. Where the page was executed by the
    book's pipeline, the note names the origin of the values (a parameter set, or a file of
    overrides with the names it overrode); opened by hand, it says the values are the
    parameters cell's own.
    """
    from IPython.display import Markdown

    shown = ", ".join(f"`{k} = {v!r}`" for k, v in parameters.items())
    other = "full" if scale == "ci" else "ci"
    what = "small, for continuous integration" if scale == "ci" else "the published scale"
    record = json.loads(os.environ.get(ORIGIN_VARIABLE) or "{}")
    origin = record.get("origin", "")
    overrides = record.get("overrides", {})
    if origin.startswith("the `") and origin.endswith("parameter set"):
        head = f"**Parameter set: `{scale}`** ({what})."
    elif origin and overrides:
        changed = ", ".join(f"`{k} = {v!r}`" for k, v in overrides.items())
        head = (
            f"**Parameters: {origin}** over the values of the chapter's parameters cell; "
            f"overridden: {changed}."
        )
    else:
        head = f"**Parameters: the values of the chapter's parameters cell** (scale `{scale}`)."
    return Markdown(
        f"{head} Values: {shown}. To recompute this page with the `{other}` set, run "
        f"`make run CH={chapter} SCALE={other}`."
    )
