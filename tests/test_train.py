import json
import math

import pytest
import torch

from lessons.data import DEFAULT_NAMES
from lessons.model import DEFAULT_SEED
from lessons.train import learning_rate, split_loss, train_config
from tests.conftest import run_python


def test_learning_rate_drops_at_half_way():
    assert learning_rate(0, 200_000) == 0.1
    assert learning_rate(99_999, 200_000) == 0.1
    assert learning_rate(100_000, 200_000) == 0.01


def test_softmax_fix_starts_at_the_uniform_baseline(dataset):
    _, run = train_config("softmax_fix", dataset, steps=0, progress=False)
    assert abs(run.initial_loss - math.log(27)) < 0.05


def test_original_starts_confidently_wrong(dataset):
    _, run = train_config("original", dataset, steps=0, progress=False)
    assert run.initial_loss >= 3 * math.log(27)


def test_training_lowers_the_loss_and_is_deterministic(dataset):
    net_a, run_a = train_config("kaiming", dataset, steps=300, progress=False)
    net_b, run_b = train_config("kaiming", dataset, steps=300, progress=False)
    assert torch.equal(run_a.losses, run_b.losses)
    assert run_a.losses[-50:].mean() < run_a.initial_loss - 0.5
    assert split_loss(net_a, dataset, "val") < 3.0


def test_cli_json_contract():
    result = run_python("-m", "lessons.train", "--config", "original", "--steps", "0", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for key in ["config", "data", "words", "params", "steps", "initial_loss", "train_loss", "val_loss", "seconds"]:
        assert key in out
    assert out["config"] == "original" and out["steps"] == 0 and out["words"] == 32952
    assert out["params"] == 11897
    assert out["data"] == str(DEFAULT_NAMES)
    # --steps 0: the split losses are the untrained net's, far above the baseline like its first batch
    assert out["train_loss"] > 3 * math.log(27) and out["seed"] == DEFAULT_SEED


def test_cli_trains_on_any_names_file(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(["anna", "bob", "carl", "dora", "emil", "fay", "gus", "hal", "ida", "jo"] * 3) + "\n")
    result = run_python("-m", "lessons.train", "--config", "kaiming", "--data", str(names), "--steps", "200", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["words"] == 30 and out["steps"] == 200 and out["train_loss"] < out["initial_loss"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "/nonexistent/names.txt"], "no such file"),
        (["--device", "nonsense"], "--device nonsense"),
        (["--config", "nope"], "invalid choice: 'nope'"),
        (["--steps", "-3"], "must be 0 or more"),
    ],
)
def test_cli_bad_arguments_fail_with_one_clear_line(args, message):
    base = {"--config": "kaiming", "--steps": "0"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    result = run_python("-m", "lessons.train", *argv)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_bad_names_file(tmp_path):
    bad = tmp_path / "names.txt"
    bad.write_text("anna\nBob\n")
    result = run_python("-m", "lessons.train", "--config", "kaiming", "--data", str(bad), "--steps", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {bad}, line 2: character 'B' is outside a–z (the vocabulary is lowercase a–z, one name per line)"
