"""Stage 3 of the pipeline: the one training loop, and a command line to run it.

    python -m lessons.train --config kaiming            # 200,000 steps, progress bar
    python -m lessons.train --config original --steps 0 --json   # the untrained net

Minibatch SGD as in the lecture: batches of 32, learning rate 0.1, then 0.01 for the
second half of the steps. Every lesson script trains through `train_side_by_side` (`train`
is one net of it, `train_config` one configuration), so a page's numbers come from the same
loop the command line runs.
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

from lessons.backprop import MLPStack, has_batchnorm, layout
from lessons.data import DEFAULT_NAMES, DataError, Dataset, load_dataset
from lessons.layers import Sequential
from lessons.model import CONFIGS, DEFAULT_SEED, build_mlp, sample_names

FULL_STEPS = 200_000
BATCH_SIZE = 32
DRAW_CHUNK = 1000  # minibatches drawn at once (see _Minibatches)
EVAL_CHUNK = 4096  # examples per forward pass when evaluating a split (see split_loss)

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
    seconds: float  # wall time of the training; nets trained side by side share it evenly


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
    return train_side_by_side([model], data, steps, [generator], observe=observe, progress=progress)[0]


def train_side_by_side(
    models: list[Sequential],
    data: Dataset,
    steps: int,
    generators: list[torch.Generator],
    *,
    observe: Callable[[int, Sequential, float], None] | None = None,
    progress: str | None = None,
) -> list[TrainingRun]:
    """The one training loop: train each net in place on the minibatches its own generator draws.

    Each net (and its generator) ends exactly as training it alone would leave it. Unobserved
    nets of the lecture's MLP layout train as one batched net with the backward pass written
    out by hand (lessons.backprop): the same arithmetic as autograd, without its per-operation
    bookkeeping. Anything else trains through autograd, one net after another in each step.
    """
    device = models[0].parameters()[0].device
    X, Y = data.Xtr.to(device), data.Ytr.to(device)
    for model in models:
        model.train()
    layouts = {layout(model) for model in models}
    fast = observe is None and len(layouts) == 1 and None not in layouts
    # The stack wants the nets with BatchNorm last: train in that order, report in the caller's.
    order = sorted(range(len(models)), key=lambda k: fast and has_batchnorm(models[k]))
    models, generators = [models[k] for k in order], [generators[k] for k in order]
    stack = MLPStack(models) if fast else None
    step_all = stack.step if fast else _autograd_step(models)
    minibatches = _Minibatches(generators, X, Y)
    losses = torch.empty(len(models), max(steps, 1))
    start = time.perf_counter()
    bar = tqdm(total=steps, desc=progress, disable=None if progress else True, unit="step", mininterval=0.5)
    for step in range(steps):
        if step % DRAW_CHUNK == 0:
            Xs, Ys = minibatches.draw(min(DRAW_CHUNK, steps - step))
        lr = learning_rate(step, steps)
        losses[:, step] = step_all(Xs[step % DRAW_CHUNK], Ys[step % DRAW_CHUNK], lr)
        if observe is not None:
            for model in models:
                observe(step, model, lr)
        if step % 1000 == 999 or step == steps - 1:  # a progress bar redrawn every step would cost more than the step
            bar.set_postfix(loss=" ".join(f"{loss:.3f}" for loss in losses[:, step].tolist()), refresh=False)
            bar.update(step + 1 - bar.n)
    bar.close()
    if stack is not None:
        stack.write_back()
    if steps == 0:  # nothing trained: the first minibatch's loss of each untouched net
        Xs, Ys = minibatches.draw(1)
        with torch.no_grad():
            for k, model in enumerate(models):
                losses[k, 0] = F.cross_entropy(model(Xs[0, k]), Ys[0, k])
    minibatches.close()
    seconds = (time.perf_counter() - start) / len(models)
    runs = {k: TrainingRun(steps, row[:steps], row[0].item(), seconds) for k, row in zip(order, losses)}
    return [runs[k] for k in range(len(models))]


def _autograd_step(models: list[Sequential]):
    """One SGD step of each net through autograd, as the lecture writes it (with one fused update)."""
    parameters = [model.parameters() for model in models]

    def step_all(Xb: torch.Tensor, Yb: torch.Tensor, lr: float) -> torch.Tensor:
        losses = []
        for k, model in enumerate(models):
            loss = F.cross_entropy(model(Xb[k]), Yb[k])
            for p in parameters[k]:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                torch._foreach_add_(parameters[k], [p.grad for p in parameters[k]], alpha=-lr)
            losses.append(loss.detach())
        return torch.stack(losses)

    return step_all


class _Minibatches:
    """Every net's minibatches, drawn from its own generator as the lecture does: randint(0, n, (32,)) each step.

    They are drawn DRAW_CHUNK steps at a time, which gives the same numbers in the same order
    (one (1000, 32) draw is 1000 draws of 32; tests/test_train.py checks it) for a fraction of
    the per-step cost. Generators in the same state would draw the same indices (the loss log's
    first four configurations draw the same number of weights from the same seed), so they draw
    once, and `close` leaves every generator where its own draws would have left it.
    """

    def __init__(self, generators: list[torch.Generator], X: torch.Tensor, Y: torch.Tensor):
        self.X, self.Y = X, Y
        self.leaders, self.which = [], []  # the generators that draw; which one draws for each net
        for generator in generators:
            state = generator.get_state()
            same = [j for j, leader in enumerate(self.leaders) if torch.equal(leader.get_state(), state)]
            if not same:
                self.leaders.append(generator)
            self.which.append(same[0] if same else len(self.leaders) - 1)
        self.generators = generators

    def draw(self, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The next `steps` minibatches of every net: inputs (steps, K, 32, block) and targets (steps, K, 32)."""
        drawn = [torch.randint(0, len(self.X), (steps, BATCH_SIZE), generator=g) for g in self.leaders]
        ix = torch.stack([drawn[j] for j in self.which], dim=1).to(self.X.device)
        return self.X[ix], self.Y[ix]

    def close(self) -> None:
        for generator, j in zip(self.generators, self.which):
            if generator is not self.leaders[j]:
                generator.set_state(self.leaders[j].get_state())


@torch.no_grad()
def split_loss(model: Sequential, data: Dataset, split: str) -> float:
    """Mean cross-entropy over a whole split, with BatchNorm in eval mode (its running estimates).

    Evaluated EVAL_CHUNK examples at a time: in eval mode each example's loss is its own, and a
    chunk's activations stay in cache, where the whole training split's (182,000 × 200 floats,
    150 MB a layer) would not. Measured: 2.5× faster, and 300 MB less peak memory.
    """
    X, Y = data.split(split)
    device = model.parameters()[0].device
    was_training = model.training
    model.eval()
    total = 0.0
    for start in range(0, len(X), EVAL_CHUNK):
        chunk = slice(start, start + EVAL_CHUNK)
        total += F.cross_entropy(model(X[chunk].to(device)), Y[chunk].to(device), reduction="sum").item()
    model.train(was_training)
    return total / len(X)


def train_config(
    config: str, data: Dataset, steps: int = FULL_STEPS, seed: int = DEFAULT_SEED, device: str = "cpu", progress=True
) -> tuple[Sequential, TrainingRun]:
    """Build one of the loss log's configurations and train it: what the command line and the scripts share."""
    return train_configs([config], data, steps, seed, device, progress)[config]


def train_configs(
    configs: list[str], data: Dataset, steps: int = FULL_STEPS, seed: int = DEFAULT_SEED, device: str = "cpu", progress=True
) -> dict[str, tuple[Sequential, TrainingRun]]:
    """Build several configurations and train them side by side; each ends exactly as `train_config` leaves it.

    Each net draws its weights and then its minibatches from its own generator seeded `seed`,
    as the lecture does, and all of them train as one batched net.
    """
    generators = [torch.Generator().manual_seed(seed) for _ in configs]
    models = [build_mlp(name, generator).to(device) for name, generator in zip(configs, generators)]
    runs = train_side_by_side(models, data, steps, generators, progress=", ".join(configs) if progress else None)
    return {name: (model, run) for name, model, run in zip(configs, models, runs)}


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
