"""Stage 3 of the pipeline: the lecture's training loop, and a command line to run it.

    python -m engine.train --config kaiming            # 200,000 steps, progress bar
    python -m engine.train --config original --steps 0 --json   # the untrained net

Minibatch SGD as in the lecture: batches of 32, learning rate 0.1, then 0.01 for the
second half of the steps. `train` below is that loop as the lecture writes it, and the
reference. Every net the lessons train also trains on a fast path (engine.fastpath: the
backward pass written out by hand and compiled), which tests/test_fastpath.py holds to the
same numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from engine.data import DEFAULT_NAMES, DataError, Dataset, load_dataset
from engine.layers import Sequential
from engine.model import CONFIGS, DEFAULT_SEED, sample_names
from engine.progress import progress_bar
from engine.settings import SettingError, exit_on_setting_error, quick_mode, use_lesson_threads

FULL_STEPS = 200_000
BATCH_SIZE = 32
EVAL_CHUNK = 4096  # examples per forward pass when evaluating a split (see split_loss)


def lesson_steps(full: int) -> int:
    """How many steps a lesson script trains for: `full`, or a fiftieth of it in quick mode (LESSONS_QUICK)."""
    return max(full // 50, 100) if quick_mode() else full


def learning_rate(step: int, steps: int) -> float:
    return 0.1 if step < steps // 2 else 0.01


@dataclass
class TrainingRun:
    steps: int
    losses: torch.Tensor  # the minibatch loss of every step, before that step's update
    initial_loss: float  # the loss on the very first minibatch, before any update
    seconds: float  # wall time of the training


def train(
    model: Sequential,
    data: Dataset,
    steps: int,
    generator: torch.Generator,
    *,
    observe: Callable[[int, Sequential, float], None] | None = None,
    progress: str | None = None,
) -> TrainingRun:
    """Train `model` in place, as the lecture does; `observe(step, model, lr)`, if given, runs after each update."""
    X, Y = data.Xtr.to(model.device), data.Ytr.to(model.device)
    parameters = model.parameters()
    model.train()
    losses = torch.empty(steps)
    start = time.perf_counter()
    bar = progress_bar(steps, progress)
    for step in range(steps):
        # minibatch
        ix = torch.randint(0, len(X), (BATCH_SIZE,), generator=generator).to(X.device)
        lr = learning_rate(step, steps)
        losses[step] = sgd_step(model, parameters, X[ix], Y[ix], lr)
        if observe is not None:
            observe(step, model, lr)
        if step % 1000 == 999 or step == steps - 1:  # a bar redrawn every step would cost more than the step
            bar.set_postfix(loss=f"{losses[step]:.3f}", refresh=False)
            bar.update(step + 1 - bar.n)
    bar.close()
    seconds = time.perf_counter() - start
    initial_loss = losses[0].item() if steps else untrained_loss(model, X, Y, generator)
    return TrainingRun(steps, losses, initial_loss, seconds)


def sgd_step(model: Sequential, parameters: list[torch.Tensor], Xb: torch.Tensor, Yb: torch.Tensor, lr: float) -> torch.Tensor:
    """One step of the lecture's loop on the minibatch (Xb, Yb); returns its loss, before the update."""
    # forward pass
    loss = F.cross_entropy(model(Xb), Yb)
    # backward pass
    for p in parameters:
        p.grad = None
    loss.backward()
    # update: the lecture's p.data += -lr * p.grad, rounded once (as the fast path does)
    for p in parameters:
        p.data.add_(p.grad, alpha=-lr)
    return loss.detach()


@torch.no_grad()
def untrained_loss(model: Sequential, X: torch.Tensor, Y: torch.Tensor, generator: torch.Generator) -> float:
    """The loss on the minibatch the loop would draw first: what `--steps 0` reports."""
    ix = torch.randint(0, len(X), (BATCH_SIZE,), generator=generator).to(X.device)
    return F.cross_entropy(model(X[ix]), Y[ix]).item()


@torch.no_grad()
def split_loss(model: Sequential, data: Dataset, split: str) -> float:
    """Mean cross-entropy over a whole split, with BatchNorm in eval mode (its running estimates).

    Evaluated EVAL_CHUNK examples at a time: in eval mode each example's loss is its own, and a
    chunk's activations stay in cache, where the whole training split's (182,000 × 200 floats,
    150 MB a layer) would not. Measured: 2.5× faster, and 300 MB less peak memory.
    """
    X, Y = data.split(split)
    was_training = model.training
    model.eval()
    total = 0.0
    for start in range(0, len(X), EVAL_CHUNK):
        chunk = slice(start, start + EVAL_CHUNK)
        total += F.cross_entropy(model(X[chunk].to(model.device)), Y[chunk].to(model.device), reduction="sum").item()
    model.train(was_training)
    return total / len(X)


# ----------------------------------------------------------------------------------------------
# command line


def main(argv: list[str] | None = None) -> int:
    from engine.fastpath import train_config  # the same numbers as `train`, several times faster

    parser = argparse.ArgumentParser(prog="python -m engine.train", description="Train one configuration of the lesson's MLP.")
    parser.add_argument("--config", required=True, choices=list(CONFIGS), help="which initialisation to train")
    parser.add_argument("--data", type=Path, default=DEFAULT_NAMES, help="names file, one name per line (default: %(default)s)")
    parser.add_argument("--steps", type=whole_number(MAX_STEPS), default=FULL_STEPS, help="SGD steps (default: %(default)s; 0 evaluates the untrained net)")
    parser.add_argument("--seed", type=whole_number(MAX_SEED), default=DEFAULT_SEED, help="seed of the weights and minibatches (default: the lecture's)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: %(default)s)")
    parser.add_argument("--samples", type=whole_number(MAX_SAMPLES), default=10, help="names to sample after training (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    args = parser.parse_args(argv)

    try:
        use_lesson_threads()
        check_device(args.device)
        data = load_dataset(args.data)
    except SettingError as err:
        exit_on_setting_error(err)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    model, run = train_config(args.config, data, args.steps, args.seed, args.device, progress=not args.json)
    result = {
        "config": args.config,
        "data": str(args.data),
        "words": len(data.words),
        "params": sum(p.numel() for p in model.parameters()),
        "steps": run.steps,
        "seed": args.seed,
        "device": args.device,
        "initial_loss": run.initial_loss,
        "train_loss": split_loss(model, data, "train"),
        "val_loss": split_loss(model, data, "val"),
        "seconds": run.seconds,
        "samples": sample_names(model, torch.Generator().manual_seed(args.seed + 10), args.samples),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.config}: {result['params']:,} parameters, {run.steps:,} steps in {run.seconds:.1f} s")
        print(f"  initial loss {result['initial_loss']:.4f}   train {result['train_loss']:.4f}   val {result['val_loss']:.4f}")
        print("  samples: " + ", ".join(result["samples"]))
    return 0


MAX_STEPS = 100_000_000  # the per-step losses alone take 400 MB at this length
MAX_SEED = 2**63 - 1 - 10  # torch seeds are 64-bit; sampling seeds its generator with seed + 10
MAX_SAMPLES = 10_000


def whole_number(largest: int):
    """An argparse type: a whole number from 0 to `largest`, refused with a message that says so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not 0 <= value <= largest:
            raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {largest:,}, got {text!r}")
        return value

    return parse


def check_device(name: str) -> None:
    """Refuse, in one line, a device this torch cannot train on (a CPU-only build asked for cuda, say)."""
    try:
        device = torch.device(name)
        if device.type == "meta":
            raise ValueError("holds no data, so nothing can train on it")
        torch.empty(1, device=device)
    except (AssertionError, RuntimeError, ValueError) as err:  # torch says "not compiled with CUDA" as an AssertionError
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SettingError(f"--device {name}: {reason}") from None


if __name__ == "__main__":
    sys.exit(main())
