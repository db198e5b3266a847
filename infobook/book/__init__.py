"""The book's build tooling, kept apart from the science modules of ``infobook``.

The pipeline, run by ``make book`` (``python -m infobook.book build``):

1. **stage** the book sources into ``_build/src`` (configuration, bibliography, pages);
2. **execute** every chapter (a MyST-markdown notebook, read with jupytext) with papermill, with
   the parameter set of the chosen scale (``book/params/<scale>/<chapter>.yaml``), writing the
   executed notebook into the staging tree in place of its source;
3. **vendor** MathJax, RequireJS and the ipywidgets HTML manager (pinned in ``package.json``)
   from the npm registry into the site's ``_static/vendor`` so that math and widgets render with
   no CDN;
4. **render** the static site with Jupyter Book into ``_build/html``;
5. **check** the built site: every page of ``_toc.yml`` present, no traceback or stderr output,
   every image present and non-empty, every internal link and anchor resolvable offline, and no
   script loaded from the network.

A single chapter is rerun with other parameters by ``python -m infobook.book run 01_pid
--params book/params/full/01_pid.yaml`` (what ``make run`` calls).

The submodules: :mod:`infobook.book.pipeline` (locating, staging, executing, vendoring, rendering
and the command line), :mod:`infobook.book.site_check` (the checks of the built site),
:mod:`infobook.book.notes` (the parameter note each chapter shows),
:mod:`infobook.book.sphinx_ext` (a Sphinx extension listed in ``_config.yml``) and
:mod:`infobook.book.lab_setup` (JupyterLab opens the chapters as notebooks).
"""

from .notes import parameter_note
from .parameters import ParameterError, chapter_parameters, check_overrides
from .pipeline import (
    SCALES,
    VENDOR_PACKAGES,
    build,
    chapter_source,
    chapters,
    current_execution,
    execute_chapter,
    find_root,
    is_notebook,
    load_parameters,
    main,
    parameter_file,
    stage,
    toc_documents,
    vendor_scripts,
)
from .site_check import check_site

__all__ = [
    "ParameterError",
    "SCALES",
    "chapter_parameters",
    "check_overrides",
    "VENDOR_PACKAGES",
    "build",
    "chapter_source",
    "chapters",
    "check_site",
    "current_execution",
    "execute_chapter",
    "find_root",
    "is_notebook",
    "load_parameters",
    "main",
    "parameter_file",
    "parameter_note",
    "stage",
    "toc_documents",
    "vendor_scripts",
]
