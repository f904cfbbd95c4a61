"""Deep stacks of tanh layers trained fast: the backward pass written out by hand, one net per core.

The later pages train the lecture's deeper net (5 hidden tanh layers of 100 units, with and
without BatchNorm) for as long as the MLP. Through autograd that is most of a build, so
`train_fast` trains any net of the shape

    Embedding → Flatten → Linear → [BatchNorm1d] → [Tanh] → … → Linear → [BatchNorm1d]

with its gradients derived by hand, as engine.fastpath does for the MLP, and in place on the
net's own tensors. BatchNorm's forward and backward are torch's fused operations
(`native_batch_norm` and its backward), which compute what engine.layers.BatchNorm1d and
autograd compute, in one call each. tests/test_fastpath_deep.py holds the losses and weights
to engine.train's loop, the reference.

Observers. The pages look inside the nets while they train. An observer that has a method
`wants(step)` is called only at the steps it wants, and those steps run the reference loop's
own step (`engine.train.sgd_step`, through autograd), so the observer sees exactly what it
would see under `engine.train.train`: every layer's `.out`, every weight's `.grad` and, with
`net.retain_grads`, the gradients at the layers' outputs. Every other step takes the fast
path. An observer without `wants` is called at every step.

    train_fast(net, data, steps, generator, observe=watcher)        one net
    train_all({"plain": Training(net, generator, watcher)}, data, steps)   several, one per core
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch

from engine.cores import run_on_cores
from engine.data import Dataset
from engine.fastpath import DRAW_CHUNK, Minibatches, layout, train_side_by_side
from engine.layers import BatchNorm1d, Embedding, Flatten, Linear, Sequential, Tanh
from engine.progress import progress_bar
from engine.train import TrainingRun, learning_rate, sgd_step, train, untrained_loss


@dataclass
class _Block:
    """One Linear, the BatchNorm1d after it (if any), and whether a Tanh follows; detached aliases of their tensors."""

    weight: torch.Tensor
    bias: torch.Tensor | None
    norm: BatchNorm1d | None
    tanh: bool

    def __post_init__(self):
        self.weight_t = self.weight.t()  # a view: it follows the weight's in-place updates


def blocks(model: Sequential) -> list[_Block] | None:
    """The net as Linear → [BatchNorm1d] → [Tanh] blocks after its Embedding and Flatten, or None if it is not that shape."""
    layers = model.layers
    if len(layers) < 3 or not isinstance(layers[0], Embedding) or not isinstance(layers[1], Flatten):
        return None
    found, i = [], 2
    while i < len(layers):
        if not isinstance(layers[i], Linear):
            return None
        linear, norm, tanh = layers[i], None, False
        i += 1
        if i < len(layers) and isinstance(layers[i], BatchNorm1d):
            norm, i = layers[i], i + 1
        if i < len(layers) and isinstance(layers[i], Tanh):
            tanh, i = True, i + 1
        bias = None if linear.bias is None else linear.bias.detach()
        found.append(_Block(linear.weight.detach(), bias, norm, tanh))
    return found


class DeepStep:
    """One SGD step of such a net, by hand-written backprop, updating the net's tensors in place."""

    def __init__(self, model: Sequential):
        found = blocks(model)
        if found is None:
            raise ValueError("DeepStep trains Embedding → Flatten → (Linear → [BatchNorm1d] → [Tanh])… nets only")
        self.blocks = found
        self.C = model.layers[0].weight.detach()
        self.norms = [
            (b.norm.gamma.detach(), b.norm.beta.detach(), b.norm.running_mean, b.norm.running_var) if b.norm else None
            for b in found
        ]
        self.minus_ones = torch.empty(0)  # made once per minibatch shape, for the softmax's backward

    @torch.no_grad()
    def step(self, Xb: torch.Tensor, Yb: torch.Tensor, lr: float) -> torch.Tensor:
        """Forward, backward and update on the minibatch (Xb (n, block), Yb (n,)); returns the loss before the update."""
        n = Xb.shape[0]
        rows = Xb.reshape(-1)
        x = self.C.index_select(0, rows).view(n, -1)  # C[Xb], flattened: (n, block·n_embd)
        saved = []  # what the backward pass needs of each block
        for block, norm in zip(self.blocks, self.norms):
            # tanh(z) = 2·sigmoid(2z) − 1: here torch.tanh takes several times as long as torch.sigmoid.
            # Doubling is exact in floating point, so 2z may come straight out of the product.
            doubled = block.tanh and norm is None and block.bias is not None
            if doubled:
                z = torch.addmm(block.bias, x, block.weight, beta=2, alpha=2)
            else:
                z = torch.mm(x, block.weight) if block.bias is None else torch.addmm(block.bias, x, block.weight)
            pre_norm = stats = None
            if norm is not None:
                gamma, beta, running_mean, running_var = norm
                # Also moves the running estimates, as BatchNorm1d does (the variance unbiased).
                pre_norm = z
                z, *stats = torch.native_batch_norm(z, gamma, beta, running_mean, running_var, True, block.norm.momentum, block.norm.eps)
            if block.tanh:
                z = torch.add(_MINUS_ONE, (z if doubled else z.mul_(_TWO)).sigmoid_(), alpha=2)
            saved.append((x, pre_norm, stats, z))
            x = z
        logprobs = x.log_softmax(1)
        target = Yb.view(-1, 1)
        loss = -logprobs.gather(1, target).mean()

        # backward pass: softmax minus one at the target, over n (the loss is the batch's mean) …
        grad = logprobs.exp_()
        if self.minus_ones.shape != target.shape:
            self.minus_ones = torch.full(target.shape, -1.0)
        grad.scatter_add_(1, target, self.minus_ones)
        grad /= n
        vectors, vector_grads = [], []  # biases and BatchNorm's gamma and beta: updated together, at the end
        for index in range(len(self.blocks) - 1, -1, -1):  # … then each block, last first
            block, norm, (x, pre_norm, stats, h) = self.blocks[index], self.norms[index], saved[index]
            if block.tanh:
                grad = torch.addcmul(grad, grad, h * h, value=-1)  # (1 − h²)·grad: tanh' = 1 − tanh²
            if norm is not None:
                gamma, beta, running_mean, running_var = norm
                grad, dgamma, dbeta = torch.ops.aten.native_batch_norm_backward(
                    grad, pre_norm, gamma, running_mean, running_var, *stats, True, block.norm.eps, [True, True, True]
                )
                vectors += [gamma, beta]
                vector_grads += [dgamma, dbeta]
            grad_in = torch.mm(grad, block.weight_t)  # before the weight moves
            block.weight.addmm_(x.t(), grad, alpha=-lr)  # W −= lr · xᵀ·grad, the gradient fused into the update
            if block.bias is not None:
                vectors.append(block.bias)
                vector_grads.append(grad.sum(0))
            grad = grad_in
        self.C.index_add_(0, rows, grad.view(len(rows), -1), alpha=-lr)  # each example's rows of C
        torch._foreach_add_(vectors, vector_grads, alpha=-lr)
        return loss


_TWO, _MINUS_ONE = torch.tensor(2.0), torch.tensor(-1.0)  # as tensors, scalars cost a conversion at every use


def trains_fast(model: Sequential) -> bool:
    """Whether `train_fast` has a fast path for this net (else it runs the reference loop)."""
    return blocks(model) is not None


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
    is set, run the reference loop's step. The lecture's MLP without an observer trains on
    engine.fastpath's stack; a net of no known shape trains through engine.train.train.
    """
    if observe is None and layout(model) is not None:
        return train_side_by_side([model], data, steps, [generator], progress=progress)[0]
    if not trains_fast(model):
        return train(model, data, steps, generator, observe=observe, progress=progress)
    X, Y = data.Xtr.to(model.device), data.Ytr.to(model.device)
    model.train()
    fast, parameters = DeepStep(model), model.parameters()
    wants = getattr(observe, "wants", lambda step: True) if observe is not None else (lambda step: False)
    minibatches = Minibatches([generator], X, Y)
    losses = torch.empty(steps)
    start = time.perf_counter()
    bar = progress_bar(steps, progress)
    for step in range(steps):
        if step % DRAW_CHUNK == 0:
            Xs, Ys = minibatches.draw(min(DRAW_CHUNK, steps - step))
        Xb, Yb = Xs[step % DRAW_CHUNK, 0], Ys[step % DRAW_CHUNK, 0]
        lr = learning_rate(step, steps)
        if model.retain_grads or wants(step):
            losses[step] = sgd_step(model, parameters, Xb, Yb, lr)
            if observe is not None:
                observe(step, model, lr)
        else:
            losses[step] = fast.step(Xb, Yb, lr)
        if step % 1000 == 999 or step == steps - 1:  # a bar redrawn every step would cost more than the step
            bar.set_postfix(loss=f"{losses[step]:.3f}", refresh=False)
            bar.update(step + 1 - bar.n)
    bar.close()
    minibatches.close()
    seconds = time.perf_counter() - start
    initial_loss = losses[0].item() if steps else untrained_loss(model, X, Y, generator)
    return TrainingRun(steps, losses, initial_loss, seconds)


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
    jobs = [_TrainingJob(trainings[name], data, steps) for name in names]
    results = run_on_cores(jobs)
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
