"""Training fast: the reference loop's numbers, with the backward pass written out and compiled.

Autograd records every operation of the forward pass and replays it backwards. For nets this
small that bookkeeping, and the fixed cost of each torch operation, take far longer than the
arithmetic. So `train_fast` trains any net of the shape

    Embedding → Flatten → Linear → [BatchNorm1d] → [Tanh] → … → Linear → [BatchNorm1d]

(the lecture's MLP in every configuration, and the deeper tanh stacks with and without
BatchNorm) with engine.compiled's loop: the gradients derived by hand, as the next lecture
("becoming a backprop ninja") derives them, many steps per call, in place on the net's own
tensors. It draws the same minibatches as engine.train.train, from the same generator, and
tests/test_fastpath.py holds its losses and weights to that loop, the reference.

Observers. The pages look inside the nets while they train. An observer that has a method
`wants(step)` is called only at the steps it wants, and those steps run the reference loop's
own step (`engine.train.sgd_step`, through autograd), so the observer sees exactly what it
would see under `engine.train.train`: every layer's `.out`, every weight's `.grad` and, with
`net.retain_grads`, the gradients at the layers' outputs. Every other step takes the fast
path. An observer without `wants` is called at every step.

An observer that looks only at each Tanh layer's `.out` and each Linear weight's `.grad` (and
the weights themselves) can say so (`compiled_view = True`): its steps then take the compiled
step too, which fills in those, the same numbers to float rounding, and sets every other
`.out` and `.grad` to None. A step while `net.retain_grads` is set still runs the reference step.

    train_fast(net, data, steps, generator, observe=watcher)               one net
    train_all({"plain": Training(net, generator, watcher)}, data, steps)   several, one per core
    train_config("kaiming", data)                                          a configuration, as `python -m engine.train` runs it
    split_loss(net, data, "val")                                           engine.train.split_loss, compiled
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from engine import compiled
from engine.cores import run_on_cores, training_work
from engine.data import Dataset
from engine.layers import BatchNorm1d, Embedding, Flatten, Linear, Sequential, Tanh
from engine.model import DEFAULT_SEED, build_mlp
from engine.progress import progress_bar
from engine.settings import CACHE_ROOT
from engine.train import BATCH_SIZE, FULL_STEPS, TrainingRun, learning_rate, sgd_step, train, untrained_loss
from engine.train import split_loss as reference_split_loss

DRAW_CHUNK = 1000  # minibatches drawn at once (see Minibatches)
EVAL_CHUNK = 512  # examples per pass in split_loss: their activations stay in the core's cache
COMPILE_LOCK = CACHE_ROOT / "compile.lock"  # see warm_up


@dataclass
class _Block:
    linear: Linear
    norm: BatchNorm1d | None
    tanh: Tanh | None


def _blocks(model: Sequential) -> list[_Block] | None:
    """The net as Linear → [BatchNorm1d] → [Tanh] blocks after its Embedding and Flatten, or None if it is not that shape."""
    layers = model.layers
    if len(layers) < 3 or not isinstance(layers[0], Embedding) or not isinstance(layers[1], Flatten):
        return None
    found, i = [], 2
    while i < len(layers):
        if not isinstance(layers[i], Linear):
            return None
        block = _Block(layers[i], None, None)
        i += 1
        if i < len(layers) and isinstance(layers[i], BatchNorm1d):
            block.norm, i = layers[i], i + 1
        if i < len(layers) and isinstance(layers[i], Tanh):
            block.tanh, i = layers[i], i + 1
        found.append(block)
    return found


def trains_fast(model: Sequential) -> bool:
    """Whether `train_fast` has a fast path for this net: its shape, in float32 on the CPU (else it runs the reference loop)."""
    return _blocks(model) is not None and all(p.device.type == "cpu" and p.dtype == torch.float32 for p in model.parameters())


class CompiledNet:
    """A net's tensors as the compiled loop takes them: numpy views, so that training moves the net's own numbers."""

    def __init__(self, model: Sequential):
        warm_up()
        blocks = _blocks(model)
        if blocks is None or not trains_fast(model):
            raise ValueError("the fast path trains Embedding → Flatten → (Linear → [BatchNorm1d] → [Tanh])… nets in float32 on the CPU")
        empty = np.empty(0, np.float32)

        def view(tensor):
            return tensor.detach().numpy()

        norms = [b.norm for b in blocks]
        self.arrays = (
            view(model.layers[0].weight),
            compiled.listed(view(b.linear.weight) for b in blocks),
            compiled.listed(empty if b.linear.bias is None else view(b.linear.bias) for b in blocks),
            compiled.listed(empty if norm is None else view(norm.gamma) for norm in norms),
            compiled.listed(empty if norm is None else view(norm.beta) for norm in norms),
            compiled.listed(empty if norm is None else view(norm.running_mean) for norm in norms),
            compiled.listed(empty if norm is None else view(norm.running_var) for norm in norms),
            np.array([0.0 if norm is None else norm.momentum for norm in norms], np.float32),
            np.array([0.0 if norm is None else norm.eps for norm in norms], np.float32),
            np.array([b.tanh is not None for b in blocks]),
        )
        self.model, self.blocks = model, blocks
        self.keep_nothing = compiled.listed(np.empty((0, 0), np.float32) for _ in blocks)

    def train(self, Xs: np.ndarray, Ys: np.ndarray, lrs: np.ndarray, losses: np.ndarray) -> None:
        """SGD on each minibatch of Xs (steps, n, block) and Ys (steps, n) at lrs (steps,); each step's loss into losses."""
        compiled.train_steps(*self.arrays, Xs, Ys, lrs, losses, self.keep_nothing, self.keep_nothing)

    def train_and_show(self, X: np.ndarray, Y: np.ndarray, lr: np.ndarray, loss: np.ndarray) -> None:
        """One step, as `train` with one minibatch; then each Tanh layer's `.out` and each Linear weight's
        `.grad` are this step's, and every other layer's `.out` and parameter's `.grad` is None."""
        n = X.shape[1]
        outs = [np.empty((n, b.linear.weight.shape[1]) if b.tanh is not None else (0, 0), np.float32) for b in self.blocks]
        grads = [np.empty(tuple(b.linear.weight.shape), np.float32) for b in self.blocks]
        compiled.train_steps(*self.arrays, X, Y, lr, loss, compiled.listed(outs), compiled.listed(grads))
        for layer in self.model.layers:
            layer.out = None
        for p in self.model.parameters():
            p.grad = None
        for block, out, grad in zip(self.blocks, outs, grads):
            if block.tanh is not None:
                block.tanh.out = torch.from_numpy(out)
            block.linear.weight.grad = torch.from_numpy(grad)

    def loss_sum(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The summed cross-entropy on inputs X (rows, block) and targets Y (rows,), in eval mode."""
        C, weights, biases, gains, shifts, running_means, running_vars, _, epses, tanh_after = self.arrays
        return compiled.split_loss_sum(C, weights, biases, gains, shifts, running_means, running_vars, epses, tanh_after, X, Y, EVAL_CHUNK)


def train_fast(
    model: Sequential,
    data: Dataset,
    steps: int,
    generator: torch.Generator,
    *,
    observe: Callable[[int, Sequential, float], None] | None = None,
    progress: str | None = None,
) -> TrainingRun:
    """Train `model` in place as engine.train.train does, on the same minibatches, only faster.

    The observer's steps (see the module's docstring), and any step while `model.retain_grads`
    is set, run the reference loop's step. A net the fast path does not know (`trains_fast`)
    trains through engine.train.train.
    """
    if not trains_fast(model):
        return train(model, data, steps, generator, observe=observe, progress=progress)
    model.train()
    fast, parameters = CompiledNet(model), model.parameters()
    wants = getattr(observe, "wants", lambda step: True) if observe is not None else (lambda step: False)
    compiled_view = getattr(observe, "compiled_view", False)
    minibatches = Minibatches(generator, data.Xtr, data.Ytr)
    losses = torch.empty(steps)
    lrs = np.array([learning_rate(step, steps) for step in range(steps)], np.float32)
    start = time.perf_counter()
    bar = progress_bar(steps, progress)
    for chunk_start in range(0, steps, DRAW_CHUNK):
        Xs, Ys = minibatches.draw(min(DRAW_CHUNK, steps - chunk_start))
        i = 0
        while i < len(Xs):
            step = chunk_start + i
            if model.retain_grads or wants(step):  # a step the observer looks at
                if compiled_view and not model.retain_grads:
                    fast.train_and_show(Xs[i:i + 1], Ys[i:i + 1], lrs[step:step + 1], losses[step:step + 1].numpy())
                else:  # the reference step
                    losses[step] = sgd_step(model, parameters, torch.from_numpy(Xs[i]), torch.from_numpy(Ys[i]), float(lrs[step]))
                if observe is not None:
                    observe(step, model, float(lrs[step]))
                i += 1
                continue
            end = i + 1  # a stretch of steps nobody looks at: one call of the compiled loop
            while end < len(Xs) and not wants(chunk_start + end):
                end += 1
            stretch = slice(chunk_start + i, chunk_start + end)
            fast.train(Xs[i:end], Ys[i:end], lrs[stretch], losses[stretch].numpy())
            i = end
        bar.set_postfix(loss=f"{losses[chunk_start + len(Xs) - 1]:.3f}", refresh=False)
        bar.update(chunk_start + len(Xs) - bar.n)
    bar.close()
    seconds = time.perf_counter() - start
    initial_loss = losses[0].item() if steps else untrained_loss(model, data.Xtr, data.Ytr, generator)
    return TrainingRun(steps, losses, initial_loss, seconds)


def split_loss(model: Sequential, data: Dataset, split: str) -> float:
    """engine.train.split_loss, compiled: the mean cross-entropy over a split in eval mode, for nets `trains_fast` knows.

    Through torch, the training split's 182,000 examples take about half a second for the
    lecture's MLP (torch's tanh alone is a quarter of it); this is several times faster.
    Other nets go through engine.train.split_loss.
    """
    if not trains_fast(model):
        return reference_split_loss(model, data, split)
    X, Y = data.split(split)
    return CompiledNet(model).loss_sum(X.numpy(), Y.numpy()) / len(X)


class Minibatches:
    """A net's minibatches, drawn from its generator as the lecture does: randint(0, n, (32,)) each step.

    They are drawn DRAW_CHUNK steps at a time, which gives the same numbers in the same order
    (one (1000, 32) draw is 1000 draws of 32; tests/test_fastpath.py checks it) for a fraction
    of the per-step cost.
    """

    def __init__(self, generator: torch.Generator, X: torch.Tensor, Y: torch.Tensor):
        self.generator, self.X, self.Y = generator, X.numpy(), Y.numpy()

    def draw(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `steps` minibatches: inputs (steps, 32, block) and targets (steps, 32)."""
        ix = torch.randint(0, len(self.X), (steps, BATCH_SIZE), generator=self.generator).numpy()
        return self.X[ix], self.Y[ix]


def train_config(
    config: str, data: Dataset, steps: int = FULL_STEPS, seed: int = DEFAULT_SEED, device: str = "cpu", progress=True
) -> tuple[Sequential, TrainingRun]:
    """Build one of the loss log's configurations and train it, as the lecture does: weights, then minibatches, from one generator seeded `seed`."""
    generator = torch.Generator().manual_seed(seed)
    model = build_mlp(config, generator).to(device)
    return model, train_fast(model, data, steps, generator, progress=config if progress else None)


def warm_up() -> None:
    """Compile the loop, or load it from numba's cache, once in this process: workers forked later inherit it.

    Every process that trains fast comes here first (CompiledNet does), and processes take turns
    (engine.compiled.warm_up): on a fresh checkout one compiles, the others load what it saved.
    Then one net's arrays are listed as the loop takes them, which in a new process compiles
    numba's typed-list code too (about half a second).
    """
    global _warm
    if _warm:
        return
    compiled.warm_up(COMPILE_LOCK)
    _warm = True
    CompiledNet(build_mlp("batchnorm", torch.Generator().manual_seed(0)))


_warm = False  # whether this process has the compiled loop (see warm_up)


# ----------------------------------------------------------------------------------------------
# independent nets, one per core


@dataclass
class Training:
    """One net to train: its generator (which drew its weights and now draws its minibatches) and its observer."""

    net: Sequential
    generator: torch.Generator
    observe: Callable[[int, Sequential, float], None] | None = None
    progress: str | None = None


def train_all(trainings: dict[str, Training], data: Dataset, steps: int) -> dict[str, TrainingRun]:
    """Train every net as `train_fast` would, each in a worker process of its own, at most one per core.

    Each net, its generator and its observer end as training them here would leave them: the
    net's tensors and the generator's state are copied back, and the observer's attributes
    are what it recorded in the worker.
    """
    names = list(trainings)
    warm_up()
    jobs = [_TrainingJob(trainings[name], data, steps) for name in names]
    results = run_on_cores(jobs, work=[training_work(trainings[name].net, steps) for name in names])
    runs = {}
    for name, (state, generator_state, observed, run) in zip(names, results):
        training = trainings[name]
        training.net.load_state_dict(state)
        training.generator.set_state(generator_state)
        if training.observe is not None and observed is not training.observe:
            vars(training.observe).update(vars(observed))
        runs[name] = run
    return runs


@dataclass
class _TrainingJob:
    training: Training
    data: Dataset
    steps: int

    def __call__(self):
        t = self.training
        run = train_fast(t.net, self.data, self.steps, t.generator, observe=t.observe, progress=t.progress)
        return t.net.state_dict(), t.generator.get_state(), t.observe, run
