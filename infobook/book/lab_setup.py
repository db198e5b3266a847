"""Make JupyterLab open the book's MyST-markdown chapters as notebooks by default.

Run by ``make env`` as ``python -m infobook.book.lab_setup <venv>``: writes
``<venv>/share/jupyter/lab/settings/overrides.json`` so that double-clicking ``book/01_pid.md``
opens the Jupytext notebook view (jupytext is installed by the ``lab`` extra).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {
        "defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}
    }
}


def write_overrides(prefix: Path) -> Path:
    """Merge the override into ``prefix/share/jupyter/lab/settings/overrides.json``."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.is_file() else {}
    for plugin, settings in OVERRIDES.items():
        current.setdefault(plugin, {}).update(settings)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(f"wrote {write_overrides(Path(sys.argv[1] if len(sys.argv) > 1 else sys.prefix))}")
