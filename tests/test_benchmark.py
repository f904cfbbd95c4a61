"""The benchmark's plumbing on tiny runs: no timing is asserted, only that it measures and checks what it says."""

import json
import pickle
import re
import sys

import pytest
import torch

import benchmark.__main__ as bench
from engine.settings import REPO_ROOT
from engine.model import CONFIGS
from tests.conftest import once_per_run


@pytest.fixture(scope="module")
def in_process():
    """Run the benchmark's workers in this process (a fresh process each costs seconds), threads restored after."""
    threads = torch.get_num_threads()

    def worker(kind, configs, steps, threads_setting="engine", evaluate=True):
        spec = {"kind": kind, "configs": configs, "steps": steps, "threads": threads_setting, "evaluate": evaluate}
        result = bench.run_worker(threads, spec)
        torch.set_num_threads(threads)
        return {**result, "wall_seconds": result["seconds"], "peak_mib": 1.0}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bench, "worker", worker)
        yield


@pytest.fixture(scope="module")
def short_loss_log(in_process, tmp_path_factory):
    """One short loss log per test run, whichever worker asks first (it takes seconds of training)."""

    def make(path):
        path.write_bytes(pickle.dumps(bench.loss_logs(300, loop_threads=1, log=lambda _: None)))

    return pickle.loads(once_per_run(tmp_path_factory, "short_loss_log.pickle", make).read_bytes())


def test_a_worker_process_reports_its_losses_threads_and_memory(one_torch_thread):
    result = bench.worker("loop", ["kaiming"], 50, threads="default")
    kaiming = result["configs"]["kaiming"]
    assert result["peak_mib"] > 10 and kaiming["us_per_step"] > 0 and 2.0 < kaiming["val_loss"] < 4.0
    # "default": torch's own thread count, as this process had it before the tests set 1
    assert result["threads"] == one_torch_thread


def test_loop_and_engine_agree_on_a_short_loss_log(short_loss_log):
    log = short_loss_log
    assert set(log["agreement"]) == set(CONFIGS)
    assert log["all_agree"], log["agreement"]
    for name in CONFIGS:  # same weights, same minibatches: only rounding differs
        assert log["agreement"][name]["val_gap"] < 1e-3
        # The loss log's lecture-seed runs, trained in workers with the other seeds, are those same nets.
        assert log["runs"]["seeds"]["configs"][name]["val_loss"] == log["runs"]["engine"]["configs"][name]["val_loss"]
    assert len(log["runs"]["seeds"]["configs"]) == 3 * len(CONFIGS)


def test_agreement_flags_a_difference():
    same = bench.agreement_of({"train_loss": 2.10, "val_loss": 2.15}, {"train_loss": 2.105, "val_loss": 2.151})
    different = bench.agreement_of({"train_loss": 2.10, "val_loss": 2.15}, {"train_loss": 2.10, "val_loss": 2.17})
    assert same["agrees"] and not different["agrees"]
    assert different["val_gap"] == pytest.approx(0.02)


def test_report_has_every_row_and_json_round_trips(in_process, short_loss_log, tmp_path):
    results = {
        "machine": bench.machine(),
        "step_times": {"steps": 20, "repeats": 1, "table": bench.step_times(20, 1, log=lambda _: None)},
        "loss_log": short_loss_log,
        "site": {
            "quick": True,
            "cold": {"seconds": 60.0, "peak_mib": 900.0},
            "warm": {"seconds": 4.0, "peak_mib": 300.0},
            "serve": {"seconds": [1.2, 1.0, 1.1], "median_seconds": 1.1, "peak_mib": 250.0},
        },
    }
    table = bench.report(results)
    for row in ["| kaiming |", "| batchnorm |", "| deep |", "| deep_batchnorm |", "lecture's loop, one after another", "fast path, one after another",
                "3 seeds as the loss log trains them", "cold `mkdocs build`", "warm rebuild", "mkdocs serve"]:
        assert row in table
    verdicts = {what: met for what, _, met in bench.targets(results)}
    assert len(verdicts) == 6 and verdicts["cold full build ≤ 150 s"].startswith("not measured")  # a quick build is no cold build
    for name in CONFIGS:
        assert f"| {name} |" in table
    # The README's speed table is this function's output: the same rows, in the same order.
    full_length = {**results, "site": {**results["site"], "quick": False}}
    def labels(table):  # each row's first cell, its numbers (this test's short run has fewer steps) aside
        return [re.sub(r"[\d,]+", "N", line.split("|")[1].strip()) for line in table.splitlines() if line.startswith("|")]

    generated = labels(bench.readme_table(full_length))
    readme = (REPO_ROOT / "README.md").read_text()
    in_readme = labels(readme[readme.index("| measurement | lecture's loop"):])
    assert in_readme == generated
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(results))
    assert json.loads(path.read_text())["step_times"]["table"]["kaiming"]["speedup"] > 0


def test_the_edited_page_is_restored_whatever_happens(tmp_path):
    page = tmp_path / "page.md"
    page.write_bytes(b"# A page\n")
    with pytest.raises(RuntimeError):
        with bench.temporary_line(page, "\n\ntoken\n"):
            assert page.read_text().endswith("token\n")
            raise RuntimeError("the server went away")
    assert page.read_bytes() == b"# A page\n"
    with bench.temporary_line(page, "\n\ntoken\n"):  # someone else saves the page meanwhile: keep their edit
        page.write_text(page.read_text() + "their line\n")
    assert page.read_text() == "# A page\ntheir line\n"


def test_the_served_page_exists():
    assert (REPO_ROOT / "docs" / bench.EDITED_PAGE).exists()


def test_a_failing_command_says_so():
    with pytest.raises(RuntimeError, match="exit 3"):
        bench.measured([sys.executable, "-c", "import sys; print('broken'); sys.exit(3)"])


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exit:
        bench.main(["--help"])
    out = capsys.readouterr().out
    assert exit.value.code == 0 and "--quick" in out and "--json" in out


def test_a_site_that_does_not_build_leaves_the_training_numbers(in_process, short_loss_log, monkeypatch, capsys):
    def broken(quick, log):
        raise RuntimeError("mkdocs build … failed (exit 1):\nERROR - page.md: no value named 'x'\nAborted with a BuildError!")

    monkeypatch.setattr(bench, "site_builds", broken)
    monkeypatch.setattr(bench, "step_times", lambda steps, repeats, log: table_of_zeros())
    monkeypatch.setattr(bench, "loss_logs", lambda steps, threads, log: short_loss_log)
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "the site did not build" in out and "Aborted with a BuildError!" in out and "| kaiming |" in out


def table_of_zeros():
    row = {v: {"us_per_step": 1.0, "threads": 1, "peak_mib": 1.0} for v in ("engine", "loop_default", "loop_1")}
    return {name: {**row, "loop_faster": "loop_1", "speedup": 1.0} for name in bench.STEP_NETS}
