"""Run the lesson scripts, each at most once per change of what it depends on.

    python -m site_build.lesson_runs               # every script, full length
    python -m site_build.lesson_runs --quick       # every script, a fiftieth of the steps (tests, CI)
    python -m site_build.lesson_runs 01_confident_start --force

A script's result lives in .cache/lessons/<script>-<key>/ (record.json, figures/, and
code/ with the executed notebook), where the key hashes the script, the engine folder,
the names file, the mode and the library versions. A second run with nothing changed
executes nothing. Each script runs as a notebook in a Jupyter kernel, so one execution
yields both its figures and numbers (see engine.record) and the executed notebook that
the site renders. This module needs no MkDocs: the site's build calls `run_lessons`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import psutil

from engine.progress import PROGRESS_FILE_VARIABLE
from engine.record import RECORD_FILE
from engine.settings import CACHE_ROOT, DEFAULT_NAMES, REPO_ROOT, SettingError, engine_files, inputs_digest, lesson_threads, quick_mode
from site_build import kernels

LESSONS_DIR = REPO_ROOT / "lessons"
CACHE_DIR = CACHE_ROOT / "lessons"
NOTEBOOK_DIR = "code"  # the executed notebook and a copy of the script, as the site serves them
PROGRESS_EVERY = 5.0  # seconds between two progress lines of a running script


class LessonError(RuntimeError):
    """A lesson script failed; the message names the script and the cell."""


@dataclass(frozen=True)
class LessonResult:
    slug: str  # the script's name without .py, e.g. "01_confident_start"
    script: Path
    dir: Path  # holds notebook.ipynb, record.json and figures/
    ran: bool  # False when the result came from the cache
    seconds: float

    @property
    def record(self) -> dict:
        return json.loads((self.dir / RECORD_FILE).read_text())

    @property
    def notebook(self) -> Path:
        return self.dir / NOTEBOOK_DIR / f"{self.slug}.ipynb"

    @property
    def source(self) -> Path:
        return self.dir / NOTEBOOK_DIR / f"{self.slug}.py"


def lesson_scripts() -> list[Path]:
    """Every lesson script, in the order of the lesson: lessons/ holds nothing else."""
    return sorted(LESSONS_DIR.glob("*.py"))


def cache_key(script: Path, quick: bool, data: Path = DEFAULT_NAMES) -> str:
    """What a script's result depends on: itself, the engine, the names, the mode and the libraries."""
    return inputs_digest([script, *engine_files(), data], f"quick={quick}")


def run_lessons(
    names: list[str] | None = None, *, quick: bool = False, force: bool = False, cache_dir: Path = CACHE_DIR, log=print,
    progress_every: float = PROGRESS_EVERY, on_done=None,
) -> dict[str, LessonResult]:
    """Run the scripts whose inputs changed, all at once, and reuse the rest.

    All at once, more than cores: their training holds the machine's core slots (engine.cores),
    so at most one net trains per core, while the scripts that train nothing, a script's
    plotting, or its wait for nets that another is training fill whatever core is free.

    While scripts run, `log` hears every `progress_every` seconds which cell each is in and how
    far its training has got; `on_done`, if given, is called with each script's result as soon
    as that script has run."""
    try:
        lesson_threads()  # a bad LESSONS_THREADS is reported here, once, not by every script's first cell
    except SettingError as err:
        raise LessonError(str(err)) from None
    scripts = lesson_scripts()
    if names:
        known = {s.stem: s for s in scripts}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise LessonError(f"no lesson script named {unknown[0]!r}; the scripts are: {', '.join(known)}")
        scripts = [known[n] for n in names]

    results, todo = {}, []
    for script in scripts:
        mode = "-quick" if quick else ""
        out = cache_dir / f"{script.stem}{mode}-{cache_key(script, quick)}"
        if (out / RECORD_FILE).exists() and not force:
            results[script.stem] = LessonResult(script.stem, script, out, False, 0.0)
        else:
            todo.append((script, out))
    if todo:
        # Longest first, by the last run's time, so the two cores finish close together. Scripts
        # never timed go first, later lessons (the deeper networks, the longest runs) leading.
        durations_file = cache_dir / f"durations{'-quick' if quick else ''}.json"
        durations = json.loads(durations_file.read_text()) if durations_file.exists() else {}
        todo.reverse()
        todo.sort(key=lambda item: -durations.get(item[0].stem, float("inf")))
        log(f"running {len(todo)} lesson script(s){' (quick mode)' if quick else ''}: {', '.join(s.stem for s, _ in todo)}")
        # The fast path's loop is compiled once per checkout (numba keeps it): start that now, in a
        # process that needs no torch, so that it is done, or nearly, when the first script wants it.
        compiling = None if loop_compiled() else subprocess.Popen(
            [sys.executable, "-m", "engine.compiled"], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        # Ctrl-C reaches the workers too; they ignore it and this process stops them, so that a
        # learner sees one line instead of a traceback from every worker.
        pool = ProcessPoolExecutor(len(todo), mp_context=kernels.worker_context(),
                                   initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
        try:
            # The workers start (in submit) with Ctrl-C blocked, and keep it so: one still importing
            # when it came would die of it, breaking the pool, and this process would not stop
            # promptly. A Ctrl-C that comes meanwhile reaches this process when the block ends.
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                pending = {pool.submit(_execute, script, out, quick, _shown(script)): (script, out) for script, out in todo}
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            while pending:
                finished, _ = wait(pending, timeout=progress_every, return_when=FIRST_COMPLETED)
                for future in finished:
                    script, out = pending.pop(future)
                    seconds = future.result()
                    log(f"  {script.stem}: done in {seconds:.0f} s")
                    results[script.stem] = LessonResult(script.stem, script, out, True, seconds)
                    durations[script.stem] = round(seconds, 1)
                    if on_done is not None:
                        on_done(results[script.stem])
                if not finished:  # what each running script is doing, every few seconds
                    for script, out in pending.values():
                        if _progress_dir(out).exists():  # its worker has started it
                            log(f"  {script.stem}: {_progress(out)}")
        except BaseException:
            _kill_workers_and_kernels(pool)
            for _, out in todo:  # the half-made results of the scripts that were running
                shutil.rmtree(out.with_name(out.name + ".partial"), ignore_errors=True)
            raise
        finally:
            pool.shutdown(cancel_futures=True)
            if compiling:
                compiling.kill()  # long done, unless the build stopped early; a script that needs the loop compiles it itself
                compiling.wait()
            for _, out in todo:
                shutil.rmtree(_progress_dir(out), ignore_errors=True)
        durations_file.write_text(json.dumps(durations, indent=1) + "\n")
        _prune(cache_dir, {r.dir for r in results.values()})
    return dict(sorted(results.items()))


def loop_compiled(source: Path = REPO_ROOT / "engine" / "compiled.py") -> bool:
    """Whether numba's cache holds the fast path's loop, judged without importing numba (which
    takes seconds): an index file beside the source written since the source last changed (the
    loop's functions are compiled together, and older indexes stay behind).

    A wrong guess costs only time: a script that finds the cache stale compiles the loop itself.
    With NUMBA_CACHE_DIR numba keeps its cache elsewhere, and the loop is compiled ahead."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return False
    indexes = source.with_name("__pycache__").glob(f"{source.stem}.*.nbi")
    return max((index.stat().st_mtime for index in indexes), default=0.0) >= source.stat().st_mtime


def _shown(script: Path) -> str:
    """The script as an error message names it: relative to the repository when it is inside."""
    try:
        return str(script.relative_to(REPO_ROOT))
    except ValueError:
        return str(script)


def _execute(script: Path, out: Path, quick: bool, shown: str | None = None) -> float:
    """Execute one script as a notebook; the result folder appears only if it succeeds.

    `shown` names the script in an error; the caller works it out, since a worker started afresh
    knows the repository only as it is on disk."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    start = time.perf_counter()
    work = out.with_name(out.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    notebook = jupytext.read(script)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    progress = _progress_dir(out)
    progress.mkdir(parents=True, exist_ok=True)
    code_cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]

    def report_cell(cell, cell_index, **_):
        # A new cell: its number, and no bar until the cell starts one.
        (progress / "bar").unlink(missing_ok=True)
        (progress / "cell").write_text(f"cell {code_cells.index(cell_index) + 1 if cell_index in code_cells else '?'}/{len(code_cells)}")

    os.environ.update(LESSONS_OUT_DIR=str(work), LESSONS_QUICK="1" if quick else "0",
                      **{PROGRESS_FILE_VARIABLE: str(progress / "bar")})
    try:
        # A local socket file, not TCP: nothing of the kernel's traffic leaves this process tree.
        with tempfile.TemporaryDirectory() as sockets:
            kernel = kernels.kernel_manager(kernel_name="python3", transport="ipc", ip=f"{sockets}/kernel")
            client = NotebookClient(notebook, km=kernel, timeout=None, resources={"metadata": {"path": str(work)}},
                                    on_cell_execute=report_cell, shutdown_kernel="immediate")
            # The kernel's own log (not the cells' output, which the notebook keeps) is noise here.
            # The kernel stops as soon as the script is done, not when the whole run is.
            client.execute(stderr=subprocess.DEVNULL, cleanup_kc=True)
    except CellExecutionError as err:
        shutil.rmtree(work, ignore_errors=True)
        failed = next(
            (i for i, cell in enumerate(notebook.cells, 1) if any(o.get("output_type") == "error" for o in cell.get("outputs", []))),
            "?",
        )
        raise LessonError(f"{shown or _shown(script)}: cell {failed} failed: {err.ename}: {err.evalue}") from None
    (work / NOTEBOOK_DIR).mkdir()
    nbformat.write(notebook, work / NOTEBOOK_DIR / f"{script.stem}.ipynb")
    shutil.copyfile(script, work / NOTEBOOK_DIR / script.name)
    shutil.rmtree(out, ignore_errors=True)
    work.rename(out)
    return time.perf_counter() - start


def _progress_dir(out: Path) -> Path:
    """Where a running script's worker and kernel say how far they have got: `cell` and `bar`."""
    return out.with_name(out.name + ".progress")


def _progress(out: Path) -> str:
    """"cell 12/30 · kaiming: 40000/200000 steps, 20%, 01:10 left", from what the script last reported."""
    parts = []
    for name in ("cell", "bar"):
        try:
            parts.append((_progress_dir(out) / name).read_text(encoding="utf-8").strip())
        except OSError:
            continue
    return " · ".join(part for part in parts if part) or "starting"


def _kill_workers_and_kernels(pool: ProcessPoolExecutor) -> None:
    """Stop every script that is running, now: its worker, and the kernel executing it.

    SIGKILL, because a worker inside nbclient outlives SIGTERM; the kernels too, because each
    runs in a session of its own and would go on writing into its result folder for a moment.
    """
    workers = [psutil.Process(worker.pid) for worker in list(pool._processes.values()) if worker.is_alive()]
    running = workers + [child for worker in workers for child in worker.children(recursive=True)]
    for process in running:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    wait_until_dead(running, timeout=5)  # before their half-made results are removed


def wait_until_dead(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to `timeout` seconds for the processes to end; those still running then.

    A killed process whose parent died too is dead at once, but stays listed, a zombie, until
    the system's first process collects it: in a second or two on some machines, never in a
    container started without an init. psutil.wait_procs would wait for that.
    """
    deadline = time.monotonic() + timeout
    while True:
        running = [process for process in processes if _running(process)]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.02)


def _running(process: psutil.Process) -> bool:
    """Alive, and the process it was (is_running: not a new one that has taken its pid)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _prune(cache_dir: Path, keep: set[Path]) -> None:
    """Drop results that an edit made stale, so the cache keeps one result per script and mode."""
    for path in cache_dir.glob("*-*"):
        slug = path.name.rsplit("-", 1)[0]
        if path not in keep and any(k.name.rsplit("-", 1)[0] == slug for k in keep):
            shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_build.lesson_runs", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scripts to run, e.g. 01_confident_start (default: all)")
    parser.add_argument("--quick", action="store_true", help="a fiftieth of the training steps (default when LESSONS_QUICK=1)")
    parser.add_argument("--force", action="store_true", help="run even if the cache has a result")
    args = parser.parse_args(argv)
    try:
        results = run_lessons(args.names, quick=args.quick or quick_mode(), force=args.force)
    except (LessonError, SettingError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the scripts that were running left no result; finished ones stay cached", file=sys.stderr)
        return 130
    for result in results.values():
        print(f"{result.slug}: {'ran' if result.ran else 'cached'} → {result.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
