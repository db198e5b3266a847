"""The command line ``python -m infobook.book build|run|check|list``."""

import sys

from .pipeline import main

sys.exit(main())
