"""The note on each chapter page that names the parameter set which produced it."""

from __future__ import annotations

from typing import Any


def parameter_note(scale: str, chapter: str, **parameters: Any) -> Any:
    """A Markdown note saying which parameter set produced the page, and how to rerun it.

    Chapters display it right after their parameters cell.
    """
    from IPython.display import Markdown

    shown = ", ".join(f"`{k} = {v!r}`" for k, v in parameters.items())
    other = "full" if scale == "ci" else "ci"
    what = "small, for continuous integration" if scale == "ci" else "the published scale"
    return Markdown(
        f"**Parameter set: `{scale}`** ({what}). "
        f"Values: {shown}. To recompute this page with the `{other}` set, run "
        f"`make run CH={chapter} SCALE={other}`."
    )
