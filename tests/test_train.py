import json
import math

import pytest
import torch

from engine.data import DEFAULT_NAMES
from engine.fastpath import train_config
from engine.model import CONFIGS, DEFAULT_SEED, build_mlp
from engine.train import learning_rate, main, split_loss, train
from tests.conftest import run_python


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`python -m engine.train <argv>` in this process (a fresh one costs seconds of importing torch): exit status, stdout, stderr.

    Anything main lets escape other than SystemExit fails the test, as a traceback would. main sets
    torch's thread count (LESSONS_THREADS) as the command line does; the test's is restored after.
    """
    threads = torch.get_num_threads()
    try:
        status = main(list(argv))
    except SystemExit as exit:
        status = exit.code
    finally:
        torch.set_num_threads(threads)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


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


def test_split_loss_in_chunks_is_the_mean_over_the_split(dataset):
    net, _ = train_config("batchnorm", dataset, steps=100, progress=False)
    net.eval()
    with torch.no_grad():
        whole = torch.nn.functional.cross_entropy(net(dataset.Xval), dataset.Yval).item()
    net.train()
    assert split_loss(net, dataset, "val") == pytest.approx(whole, abs=1e-6)
    assert net.training  # left as it was


def test_the_loop_is_the_lectures_code(dataset):
    """Our layers and loop against the lecture's tensors typed out: same draws, same minibatches, same losses."""
    steps = 300
    generator = torch.Generator().manual_seed(DEFAULT_SEED)
    run = train(build_mlp("kaiming", generator), dataset, steps, generator)
    g = torch.Generator().manual_seed(DEFAULT_SEED)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g) * (5 / 3) / 30**0.5
    b1 = torch.randn(200, generator=g) * 0.01
    W2 = torch.randn((200, 27), generator=g) * 0.01
    b2 = torch.randn(27, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    for i in range(steps):
        ix = torch.randint(0, dataset.Xtr.shape[0], (32,), generator=g)
        logits = torch.tanh(C[dataset.Xtr[ix]].view(32, -1) @ W1 + b1) @ W2 + b2
        loss = torch.nn.functional.cross_entropy(logits, dataset.Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -learning_rate(i, steps) * p.grad
        assert loss.item() == pytest.approx(run.losses[i].item(), rel=1e-4), f"step {i}"


def test_cli_reproduces_the_loss_log_row(dataset, capsys):
    """The loss log's nets and the command line's come from one function: same numbers, to the last bit."""
    status, stdout, stderr = run_cli(capsys, "--config", "batchnorm", "--steps", "300", "--json")
    assert status == 0, stderr
    out = json.loads(stdout)
    model, run = train_config("batchnorm", dataset, 300, progress=False)
    assert out["initial_loss"] == run.initial_loss
    assert out["val_loss"] == split_loss(model, dataset, "val")


def test_cli_json_contract(capsys):
    status, stdout, stderr = run_cli(capsys, "--config", "original", "--steps", "0", "--json")
    assert status == 0, stderr
    out = json.loads(stdout)
    for key in ["config", "data", "words", "params", "steps", "initial_loss", "train_loss", "val_loss", "seconds"]:
        assert key in out
    assert out["config"] == "original" and out["steps"] == 0 and out["words"] == 32952
    assert out["params"] == 11897
    assert out["data"] == str(DEFAULT_NAMES)
    # --steps 0: the split losses are the untrained net's, far above the baseline like its first batch
    assert out["train_loss"] > 3 * math.log(27) and out["seed"] == DEFAULT_SEED


def test_cli_trains_on_any_names_file(tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(["anna", "bob", "carl", "dora", "emil", "fay", "gus", "hal", "ida", "jo"] * 3) + "\n")
    status, stdout, stderr = run_cli(capsys, "--config", "kaiming", "--data", str(names), "--steps", "200", "--json")
    assert status == 0, stderr
    out = json.loads(stdout)
    assert out["words"] == 30 and out["steps"] == 200 and out["train_loss"] < out["initial_loss"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "/nonexistent/names.txt"], "no such file"),
        (["--device", "nonsense"], "--device nonsense"),
        (["--config", "nope"], "invalid choice: 'nope'"),
        (["--steps", "-3"], "argument --steps: expected a whole number from 0 to 100,000,000, got '-3'"),
        (["--steps", "abc"], "argument --steps: expected a whole number"),
        (["--steps", "1000000000000"], "argument --steps: expected a whole number from 0 to 100,000,000"),
        (["--steps", str(10**30)], "argument --steps: expected a whole number"),
        (["--seed", str(2**64 - 1)], "argument --seed: expected a whole number from 0 to"),
        (["--seed", str(-(2**63) - 1)], "argument --seed: expected a whole number from 0 to"),
        (["--device", "cuda" if not torch.cuda.is_available() else "meta"], "error: --device"),
        (["--device", "meta"], "error: --device meta: holds no data"),
        (["--data", "/dev/zero"], "/dev/zero: not a regular file"),
    ],
)
def test_cli_bad_arguments_fail_with_one_clear_line(args, message, capsys):
    base = {"--config": "kaiming", "--steps": "0"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    status, _, stderr = run_cli(capsys, *argv)
    assert status != 0
    assert message in stderr
    assert "Traceback" not in stderr


def test_cli_bad_names_file(tmp_path):
    """As a user runs it, in a fresh process: exit status 2 and one line on stderr, nothing else."""
    bad = tmp_path / "names.txt"
    bad.write_text("anna\nBob\n")
    result = run_python("-m", "engine.train", "--config", "kaiming", "--data", str(bad), "--steps", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {bad}, line 2: character 'B' is outside a–z (the vocabulary is lowercase a–z, one name per line)"


def test_a_symlink_loop_is_blamed_on_the_data_file(tmp_path, capsys):
    loop = tmp_path / "names.txt"
    loop.symlink_to(tmp_path / "other.txt")
    (tmp_path / "other.txt").symlink_to(loop)
    status, _, stderr = run_cli(capsys, "--config", "kaiming", "--data", str(loop), "--steps", "0")
    assert status == 2 and stderr.strip().startswith(f"error: {loop}: cannot be read")
