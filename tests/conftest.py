import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_python(*args: str, env: dict | None = None, cwd: Path = REPO, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python <args>` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def dataset():
    from engine.data import load_dataset

    return load_dataset()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site, built once per test session in quick mode, strictly, as CI and a reader's build do."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "LESSONS_QUICK": "1"},
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return site
