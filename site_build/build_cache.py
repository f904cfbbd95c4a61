"""What the build makes from inputs that rarely change, kept on disk by a hash of those inputs.

A rebuild with nothing changed reads each of these back instead of making it again: the
Practice page (whose answers come from experiments), the notebooks' pages (nbconvert), the Anki
package, the math font. Each is one file, `<name>-<key>.<suffix>`; making a new one removes the
one it replaces, so the cache holds one per name, as .cache/lessons/ holds one result per script.
The theme's templates are kept compiled too, by Jinja's own cache, which keys each by its source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import jinja2

from engine.settings import CACHE_ROOT

SITE_CACHE = CACHE_ROOT / "site"  # the Practice page, the notebooks' pages, the Anki package
TEMPLATE_CACHE = CACHE_ROOT / "templates"


def cached(folder: Path, name: str, key: str, make: Callable[[], bytes]) -> bytes:
    """The bytes kept as folder/`name` with {} replaced by `key`; made by `make()` and kept when there are none."""
    path = folder / name.format(key)
    if path.exists():
        return path.read_bytes()
    data = make()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(name.format("*")):
        stale.unlink(missing_ok=True)
    # Whole or not at all, even with two builds writing at once (a test run and a serve).
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return data


def compiled_templates() -> jinja2.BytecodeCache:
    """Where Jinja keeps the theme's templates compiled, so that a build does not compile them again."""
    TEMPLATE_CACHE.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(TEMPLATE_CACHE))
