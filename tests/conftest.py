import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> int:
    """One thread, as the lesson scripts and the command line run (engine.settings.lesson_threads):
    the nets here are tiny, so a second thread only adds synchronisation, and under xdist each
    worker already has a core of its own. (A fixture, so that xdist's controller, which runs no
    test, does not import torch.) Its value is the thread count torch had chosen for itself."""
    import torch

    default = torch.get_num_threads()
    torch.set_num_threads(1)
    return default


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config):
    """`pytest` alone runs the whole suite on every core, in pytest-xdist's workers.

    A file or a test named on the command line runs in this one process, where -s and --pdb
    work; `-n` decides for itself. Work stealing keeps every core busy to the end, whatever
    the tests cost; `pytest_collection_modifyitems` puts the site's tests first.
    """
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    is_worker = hasattr(config, "workerinput")
    if whole_suite and not is_worker and config.pluginmanager.has_plugin("xdist") and config.option.numprocesses is None:
        config.option.numprocesses = "logical"
        config.option.dist = "worksteal"
    return (yield)


def pytest_collection_modifyitems(items):
    """Tests of the built site first: under xdist the worker that gets them starts the build at
    once, while the others run the rest; they steal site tests only after it is built."""
    items.sort(key=lambda item: "built_site" not in item.fixturenames)


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


def once_per_run(tmp_path_factory, name: str, make) -> Path:
    """`name` in the run's temporary folder, made by `make(path)` the first time any test asks.

    xdist's workers share it: the first to ask makes it while holding a lock; the others wait for
    the lock and find it there. `make` writes to a partial path, renamed once whole, so a failure
    leaves nothing that looks made.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # a worker's is <the run's>/popen-gw<n>
    made = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not made.exists():
            partial = shared / f"{name}.partial"
            make(partial)
            partial.rename(made)
    return made


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site, built once per test run in quick mode, strictly, as CI and a reader's build do."""

    def build(site_dir: Path) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "LESSONS_QUICK": "1"},
            timeout=1200,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    return once_per_run(tmp_path_factory, "site", build)
