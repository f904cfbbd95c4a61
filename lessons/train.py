"""Stage 3 of the pipeline: the one training loop, and a command line to run it.

    python -m lessons.train --config kaiming            # 200,000 steps, progress bar
    python -m lessons.train --config original --steps 0 --json   # the untrained net

Minibatch SGD as in the lecture: batches of 32, learning rate 0.1, then 0.01 for the
second half of the steps. Every lesson script trains through `train`, so a page's
numbers come from the same loop the command line runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from tqdm import tqdm

from lessons.data import DEFAULT_NAMES, DataError, Dataset, load_dataset
from lessons.layers import Sequential
from lessons.model import CONFIGS, DEFAULT_SEED, build_mlp, sample_names

FULL_STEPS = 200_000
BATCH_SIZE = 32

# Quick mode (LESSONS_QUICK=1) is for tests and CI: every run is 1/50 of its length.
# The published site is always built from full-length runs.
QUICK = os.environ.get("LESSONS_QUICK", "") not in ("", "0")


def lesson_steps(full: int) -> int:
    """The number of steps a lesson script trains for: `full`, or a fiftieth of it in quick mode."""
    return max(full // 50, 100) if QUICK else full


def learning_rate(step: int, steps: int) -> float:
    return 0.1 if step < steps // 2 else 0.01


@dataclass
class TrainingRun:
    steps: int
    losses: torch.Tensor  # the minibatch loss of every step, before that step's update
    initial_loss: float  # the loss on the very first minibatch, before any update
    seconds: float


def train(
    model: Sequential,
    data: Dataset,
    steps: int,
    generator: torch.Generator,
    *,
    observe: Callable[[int, Sequential, float], None] | None = None,
    progress: str | None = None,
) -> TrainingRun:
    """Train `model` in place; `observe(step, model, lr)`, if given, runs after each update."""
    X, Y = data.Xtr, data.Ytr
    device = model.parameters()[0].device
    if X.device != device:
        X, Y = X.to(device), Y.to(device)
    parameters = model.parameters()
    losses = torch.empty(max(steps, 1))
    model.train()
    start = time.perf_counter()
    bar = tqdm(total=steps, desc=progress, disable=None if progress else True, unit="step", mininterval=0.5)
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (BATCH_SIZE,), generator=generator).to(device)
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = learning_rate(step, steps)
        with torch.no_grad():
            torch._foreach_add_(parameters, [p.grad for p in parameters], alpha=-lr)
        losses[step] = loss.detach()
        if observe is not None:
            observe(step, model, lr)
        if step % 1000 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        bar.update(1)
    bar.close()
    if steps == 0:  # nothing trained: the first minibatch's loss of the untouched net
        ix = torch.randint(0, X.shape[0], (BATCH_SIZE,), generator=generator).to(device)
        with torch.no_grad():
            losses[0] = F.cross_entropy(model(X[ix]), Y[ix])
    return TrainingRun(steps, losses[:steps], losses[0].item(), time.perf_counter() - start)


@torch.no_grad()
def split_loss(model: Sequential, data: Dataset, split: str) -> float:
    """Mean cross-entropy over a whole split, with BatchNorm in eval mode (its running estimates)."""
    X, Y = data.split(split)
    device = model.parameters()[0].device
    was_training = model.training
    model.eval()
    loss = F.cross_entropy(model(X.to(device)), Y.to(device)).item()
    model.train(was_training)
    return loss


def train_config(
    config: str, data: Dataset, steps: int = FULL_STEPS, seed: int = DEFAULT_SEED, device: str = "cpu", progress=True
) -> tuple[Sequential, TrainingRun]:
    """Build one of the loss log's configurations and train it: what the command line and the scripts share."""
    generator = torch.Generator().manual_seed(seed)
    model = build_mlp(config, generator).to(device)
    run = train(model, data, steps, generator, progress=config if progress else None)
    return model, run


# ----------------------------------------------------------------------------------------------
# command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons.train", description="Train one configuration of the lesson's MLP.")
    parser.add_argument("--config", required=True, choices=list(CONFIGS), help="which initialisation to train")
    parser.add_argument("--data", type=Path, default=DEFAULT_NAMES, help="names file, one name per line (default: %(default)s)")
    parser.add_argument("--steps", type=_non_negative_int, default=FULL_STEPS, help="SGD steps (default: %(default)s; 0 evaluates the untrained net)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the weights and minibatches (default: the lecture's)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: %(default)s)")
    parser.add_argument("--samples", type=_non_negative_int, default=10, help="names to sample after training (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    args = parser.parse_args(argv)

    try:
        data = load_dataset(args.data)
        device = torch.device(args.device)
        torch.empty(1, device=device)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (RuntimeError, ValueError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"error: --device {args.device}: {first_line}", file=sys.stderr)
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


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
