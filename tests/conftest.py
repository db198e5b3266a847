import os

# Chapters and tests must see figures; a stray Agg backend from the shell would hide them.
os.environ.pop("MPLBACKEND", None)
