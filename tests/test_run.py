import pytest

from lessons import run
from lessons.run import LessonError, cache_key, lesson_scripts, run_lessons


def test_scripts_are_numbered_and_found():
    scripts = lesson_scripts()
    assert scripts and scripts[0].name == "01_confident_start.py"
    assert all(s.stem[:2].isdigit() for s in scripts)


def test_cache_key_follows_every_input(tmp_path, monkeypatch):
    script = lesson_scripts()[0]
    key = cache_key(script, quick=True)
    assert key == cache_key(script, quick=True)
    assert key != cache_key(script, quick=False)
    edited = tmp_path / script.name
    edited.write_text(script.read_text() + "\n# an edit\n")
    assert cache_key(edited, quick=True) != key
    engine = tmp_path / "engine.py"
    engine.write_text("x = 1\n")
    monkeypatch.setattr(run, "ENGINE_FILES", [*run.ENGINE_FILES, engine])
    assert cache_key(script, quick=True) != key


def test_build_only_modules_do_not_invalidate_runs():
    names = {p.name for p in run.ENGINE_FILES}
    assert {"data.py", "model.py", "train.py", "record.py"} <= names
    assert not names & {"run.py", "pages.py", "bench.py"}


def test_unknown_script_name():
    with pytest.raises(LessonError, match="no lesson script named 'nope'"):
        run_lessons(["nope"])


def test_a_failing_script_names_itself_and_leaves_no_result(tmp_path, monkeypatch):
    broken = tmp_path / "99_broken.py"
    broken.write_text("# %%\nx = 1\n# %%\nraise ValueError('deliberately broken')\n")
    monkeypatch.setattr(run, "lesson_scripts", lambda: [broken])
    monkeypatch.setattr(run, "REPO_ROOT", tmp_path)
    with pytest.raises(LessonError, match="99_broken.py: cell 2 failed: ValueError: deliberately broken"):
        run_lessons(quick=True, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("99_broken*"))
