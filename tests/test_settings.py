import os

import pytest

from engine.settings import SettingError, lesson_threads, quick_mode
from tests.conftest import run_python


@pytest.mark.parametrize("text, quick", [("", False), ("0", False), ("false", False), ("No", False), ("off", False),
                                         ("1", True), ("true", True), ("YES", True), ("on", True)])
def test_quick_mode_reads_the_usual_spellings(monkeypatch, text, quick):
    monkeypatch.setenv("LESSONS_QUICK", text)
    assert quick_mode() is quick


def test_quick_mode_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("LESSONS_QUICK", "maybe")
    with pytest.raises(SettingError, match="LESSONS_QUICK='maybe': expected 1, true"):
        quick_mode()


@pytest.mark.parametrize("text", ["", "abc", "0", "-1", "1.5", str(10**5)])
def test_a_thread_count_must_be_a_whole_number_up_to_the_cores(monkeypatch, text):
    monkeypatch.setenv("LESSONS_THREADS", text)
    with pytest.raises(SettingError, match=f"from 1 to {os.cpu_count()}"):
        lesson_threads()


def test_one_thread_by_default(monkeypatch):
    monkeypatch.delenv("LESSONS_THREADS", raising=False)
    assert lesson_threads() == 1


def test_importing_the_engine_changes_nothing():
    code = (
        "import torch, matplotlib; before = (torch.get_num_threads(), dict(matplotlib.rcParams));"
        "import engine.train, engine.fastpath, engine.record, engine.plots, engine.trained, site_build.pages;"
        "assert (torch.get_num_threads(), dict(matplotlib.rcParams)) == before"
    )
    result = run_python("-c", code, env={"LESSONS_THREADS": "abc"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("argv", [["-m", "engine.train", "--config", "kaiming", "--steps", "0"], ["lessons/03_healthy_depth.py"],
                                  ["-m", "site_build.lesson_runs", "--quick", "03_healthy_depth"]])
def test_every_entry_point_reports_a_bad_thread_count_in_one_line(argv, tmp_path):
    result = run_python(*argv, env={"LESSONS_THREADS": "100000", "LESSONS_OUT_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: LESSONS_THREADS='100000'") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
