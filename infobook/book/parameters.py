"""A chapter's parameters: read from its ``parameters`` cell, and overrides checked against them
before any cell runs.

A chapter's parameters cell holds literals only, one per line, each commented
(``n_random = 50  # number of random pmfs``). :func:`chapter_parameters` reads their names and
default values; :func:`check_overrides` refuses an override whose name the cell does not define
(naming the nearest one and every valid name) or whose value has an incompatible type.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ParameterError(ValueError):
    """An override that does not fit the chapter's parameters cell."""


def parameters_cell(nb: Any) -> Any:
    """The cell tagged ``parameters`` of a notebook (an error when there is none)."""
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    raise ParameterError("the chapter has no cell tagged 'parameters'")


def chapter_parameters(source: Path | Any) -> dict[str, Any]:
    """Names and default values of a chapter's parameters, in the order of its parameters cell.

    ``source`` is the chapter file or a notebook already read.
    """
    if isinstance(source, str | Path):
        import jupytext

        source = jupytext.read(Path(source))
    tree = ast.parse(parameters_cell(source).source)
    out: dict[str, Any] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            raise ParameterError(
                f"the parameters cell may hold only 'name = literal' lines, found "
                f"{ast.unparse(node)!r}"
            )
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            raise ParameterError(f"cannot read the parameter {ast.unparse(target)!r}")
        try:
            out[target.id] = ast.literal_eval(node.value)
        except ValueError:
            raise ParameterError(
                f"the parameter {target.id!r} must be a literal (a number, text, list, ...), "
                f"got {ast.unparse(node.value)!r}"
            ) from None
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _compatible(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    kind, given = _kind(default), _kind(value)
    if kind != given:
        return False
    if kind == "number" and isinstance(default, int) and not isinstance(value, int):
        return False  # an integer parameter stays an integer
    if kind == "list" and default and value:
        kinds = {_kind(x) for x in default}
        return all(_kind(x) in kinds or kinds == {"None"} for x in value)
    return True


def _describe(value: Any) -> str:
    kind = _kind(value)
    if kind == "number":
        return "an integer" if isinstance(value, int) else "a number"
    return {
        "text": "a text",
        "list": "a list",
        "mapping": "a mapping",
        "bool": "true or false",
    }.get(kind, kind)


def check_overrides(
    chapter: str, defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> None:
    """Refuse overrides that the parameters cell of ``chapter`` does not define, or whose value
    does not have the type of the default (integers stay integers; numbers, texts, lists and
    true/false stay what they are; list elements keep the elements' types).

    Raises
    ------
    ParameterError
        With one line naming the parameter, the nearest valid name and every valid name.
    """
    names = list(defaults)
    for name, value in overrides.items():
        if name not in defaults:
            near = difflib.get_close_matches(str(name), names, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise ParameterError(
                f"unknown parameter {name!r} for chapter {chapter}; {hint}"
                f"its parameters are {', '.join(names)}"
            )
        default = defaults[name]
        if not _compatible(default, value):
            raise ParameterError(
                f"parameter {name!r} of chapter {chapter} must be {_describe(default)} like its "
                f"default {default!r}, got {value!r}"
            )
