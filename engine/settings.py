"""What the environment decides: quick mode, torch's thread count, and where results are cached.

Nothing here acts when imported. The entry points (a lesson script's `start_lesson`, the
command line, the site build) call `use_lesson_threads()`; an unusable setting raises
`SettingError`, whose message is one line naming the variable and what it accepts.
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ENGINE_DIR = Path(__file__).resolve().parent
DEFAULT_NAMES = REPO_ROOT / "data" / "names.txt"  # the names every script trains on (engine.data)
# Lesson runs in <root>/lessons, trained nets in <root>/nets; LESSONS_CACHE_DIR moves the root.
CACHE_ROOT = Path(os.environ.get("LESSONS_CACHE_DIR") or REPO_ROOT / ".cache")

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class SettingError(ValueError):
    """An environment variable we cannot use; the message names it and what it accepts."""


def quick_mode() -> bool:
    """LESSONS_QUICK: train every net for a fiftieth of its steps (tests and CI); off by default."""
    text = os.environ.get("LESSONS_QUICK", "")
    if text.strip().lower() in _TRUE | _FALSE:
        return text.strip().lower() in _TRUE
    raise SettingError(f"LESSONS_QUICK={text!r}: expected 1, true, yes or on (quick runs), or 0, false, no or off")


def lesson_threads() -> int:
    """LESSONS_THREADS: torch's thread count, one by default, at most one per core.

    The lesson's matrices are tiny (32×30 by 30×200), so a step is dominated by per-operation
    overhead and a second thread only adds synchronisation: measured on a 2-core machine, two
    threads were never faster, and up to ten times slower while the other core was busy.
    """
    text = os.environ.get("LESSONS_THREADS", "1")
    cores = os.cpu_count() or 1
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if not 1 <= threads <= cores:
        raise SettingError(f"LESSONS_THREADS={text!r}: expected a whole number from 1 to {cores} (this machine's cores)")
    return threads


def use_lesson_threads() -> None:
    import torch  # here, not at the top: the site build reads settings without needing torch

    torch.set_num_threads(lesson_threads())


def exit_on_setting_error(err: SettingError) -> None:
    """How a command-line entry point reports a bad setting: one line on stderr, exit status 2."""
    print(f"error: {err}", file=sys.stderr)
    raise SystemExit(2)


def inputs_digest(paths: list[Path], *extra: object) -> str:
    """A short hash of files' names and bytes, the versions of the libraries that shape results, and `extra`.

    Pillow is in because figures are quantised by it; numpy because matplotlib draws through it;
    numba and SciPy because they compile and multiply the fast path's steps.
    """
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(repr((sys.version_info[:2], library_versions(), extra)).encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def library_versions() -> list[str]:
    """Read once per process: each lookup parses a package's metadata (a few ms; the build hashes a dozen inputs)."""
    return [metadata.version(name) for name in ("torch", "matplotlib", "pillow", "numpy", "numba", "scipy")]


def engine_files() -> list[Path]:
    """Every module of the engine: what a lesson script or a trained net depends on besides its own inputs."""
    return sorted(ENGINE_DIR.glob("*.py"))
