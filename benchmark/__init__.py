"""How fast the engine trains and the site builds: `python -m benchmark` (see benchmark/__main__.py)."""
