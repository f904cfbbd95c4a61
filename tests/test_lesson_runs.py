import os
import time

import pytest

from engine.settings import ENGINE_DIR
from site_build import lesson_runs as run
from site_build.lesson_runs import LessonError, cache_key, lesson_scripts, run_lessons


def test_lessons_holds_the_scripts_and_nothing_else():
    scripts = lesson_scripts()
    assert scripts and scripts[0].name == "01_confident_start.py"
    assert {p.name for p in run.LESSONS_DIR.iterdir() if p.name != "__pycache__"} == {s.name for s in scripts}
    assert all(s.stem[:2].isdigit() for s in scripts)


def test_cache_key_follows_every_input(tmp_path, monkeypatch):
    script = lesson_scripts()[0]
    key = cache_key(script, quick=True)
    assert key == cache_key(script, quick=True)
    assert key != cache_key(script, quick=False)
    edited = tmp_path / script.name
    edited.write_text(script.read_text() + "\n# an edit\n")
    assert cache_key(edited, quick=True) != key
    engine = tmp_path / "engine"
    engine.mkdir()
    for module in ENGINE_DIR.glob("*.py"):
        (engine / module.name).write_bytes(module.read_bytes())
    monkeypatch.setattr("engine.settings.ENGINE_DIR", engine)
    assert cache_key(script, quick=True) == key
    (engine / "plots.py").write_text((engine / "plots.py").read_text() + "\n# a new colour\n")
    assert cache_key(script, quick=True) != key, "every module of the engine folder counts, with no list to keep"


def test_unknown_script_name():
    with pytest.raises(LessonError, match="no lesson script named 'nope'"):
        run_lessons(["nope"])


@pytest.mark.parametrize("threads", ["", "abc", "0", "-1", "1.5", "100000"])
def test_a_bad_thread_count_is_one_message(monkeypatch, threads):
    monkeypatch.setenv("LESSONS_THREADS", threads)
    with pytest.raises(LessonError, match=r"LESSONS_THREADS=.*expected a whole number from 1 to"):
        run_lessons(["01_confident_start"])


def test_a_failing_script_names_itself_and_leaves_no_result(tmp_path, monkeypatch):
    broken = tmp_path / "99_broken.py"
    broken.write_text("# %%\nx = 1\n# %%\nraise ValueError('deliberately broken')\n")
    monkeypatch.setattr(run, "lesson_scripts", lambda: [broken])
    monkeypatch.setattr(run, "REPO_ROOT", tmp_path)
    with pytest.raises(LessonError, match="99_broken.py: cell 2 failed: ValueError: deliberately broken"):
        run_lessons(quick=True, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("99_broken*"))


def test_a_running_script_reports_its_cell_and_its_training_every_few_seconds(tmp_path, monkeypatch):
    demo = tmp_path / "99_demo.py"
    demo.write_text(
        "# %%\nimport time\n\nfrom engine.progress import progress_bar\n"
        "# %%\nbar = progress_bar(30, 'demo run')\nfor _ in range(30):\n    time.sleep(0.1)\n    bar.update(1)\nbar.close()\n"
    )
    monkeypatch.setattr(run, "lesson_scripts", lambda: [demo])
    lines = []
    run_lessons(quick=True, cache_dir=tmp_path / "cache", log=lines.append, progress_every=0.3)
    assert any(line.startswith("  99_demo: cell 2/2 · demo run: ") and "/30 steps" in line for line in lines), lines
    assert lines[-1].startswith("  99_demo: done in ")
    assert not list((tmp_path / "cache").glob("*.progress")), "the progress files go with the run"


def test_ctrl_c_stops_promptly_with_one_line_and_leaves_no_half_result(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from tests.conftest import REPO

    env = {**os.environ, "LESSONS_CACHE_DIR": str(tmp_path)}
    # As a terminal starts it, with Ctrl-C not ignored. A test run started in the background by a
    # non-interactive shell (`pytest &`) ignores SIGINT, and a child inherits that: the runner would
    # never hear the Ctrl-C. A handler, unlike an ignore, is reset in the child.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        runner = subprocess.Popen([sys.executable, "-m", "site_build.lesson_runs", "--quick", "06_deeper_network", "07_weight_scale_sweep"],
                                  cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 60
    while not list((tmp_path / "lessons").glob("*.partial")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # the kernels are up and training
    started = psutil.Process(runner.pid).children(recursive=True)  # workers, kernels, the nets' processes
    runner.send_signal(signal.SIGINT)
    start = time.monotonic()
    _, err = runner.communicate(timeout=30)
    assert time.monotonic() - start < 10, err[-2000:]  # what the runner said, should it be slow
    assert runner.returncode == 130
    assert err.strip().splitlines()[-1].startswith("interrupted:") and "Traceback" not in err
    assert not list((tmp_path / "lessons").glob("*.partial"))
    left = run.wait_until_dead(started, timeout=5)
    assert not left, f"still running after the runner stopped: {[' '.join(p.cmdline())[:80] for p in left]}"


def test_a_killed_process_is_dead_at_once_even_before_it_is_collected():
    import subprocess

    import psutil

    # A grandchild whose parent has exited, as a kernel is once its worker is killed.
    parent = subprocess.run(["bash", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True)
    orphan = psutil.Process(int(parent.stdout))
    orphan.kill()
    start = time.monotonic()
    assert run.wait_until_dead([orphan], timeout=5) == []
    assert time.monotonic() - start < 0.5
    alive = subprocess.Popen(["sleep", "60"])
    try:
        assert run.wait_until_dead([psutil.Process(alive.pid)], timeout=0.2) == [psutil.Process(alive.pid)]
    finally:
        alive.kill()
        alive.wait()


def test_each_script_that_runs_is_handed_on_as_soon_as_it_is_done_and_a_kept_one_is_not(tmp_path, monkeypatch):
    scripts = []
    for name in ("98_first", "99_second"):
        scripts.append(tmp_path / f"{name}.py")
        scripts[-1].write_text(f"# %%\nfrom engine.record import start_lesson\n\nstart_lesson({name!r}).value('x', 1)\n")
    monkeypatch.setattr(run, "lesson_scripts", lambda: scripts)
    done = []
    results = run_lessons(quick=True, cache_dir=tmp_path / "cache", on_done=done.append)
    assert sorted(result.slug for result in done) == ["98_first", "99_second"]
    assert all(result.notebook.exists() and results[result.slug] == result for result in done)
    done.clear()
    run_lessons(quick=True, cache_dir=tmp_path / "cache", on_done=done.append)
    assert done == [], "a result read back from the cache has nothing new to hand on"


def test_the_loop_is_compiled_ahead_unless_numbas_cache_is_newer_than_its_source(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    source = tmp_path / "compiled.py"
    source.write_text("# the loop\n")
    assert not run.loop_compiled(source), "nothing compiled yet"
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    old_index = cache / "compiled.train_steps-50.py311.nbi"  # from an earlier version of the source
    old_index.write_bytes(b"")
    os.utime(old_index, (time.time() - 100, time.time() - 100))
    assert not run.loop_compiled(source)
    for name in ("compiled.train_steps-83.py311.nbi", "compiled.split_loss_sum-241.py311.nbi"):
        (cache / name).write_bytes(b"")
    assert run.loop_compiled(source)
    os.utime(source, (time.time() + 10, time.time() + 10))  # the source changed since
    assert not run.loop_compiled(source)
    os.utime(source, (time.time() - 10, time.time() - 10))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert not run.loop_compiled(source)
