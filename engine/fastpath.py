"""The lecture's MLP trained fast: its backward pass written out by hand, several nets side by side.

Autograd records every operation of the forward pass and replays it backwards. For a net
this small that bookkeeping costs more than the arithmetic, so this module trains the
lecture's MLP with the gradients derived by hand instead, the way the next lecture
("becoming a backprop ninja") derives them, in its variable names.

One twist: `MLPStack` trains K nets at once. Each tensor gets a leading dimension of K (net
k's W1 is `W1[k]`), and torch.bmm multiplies K pairs of matrices in one call, so the fixed
cost of each operation is paid once for all K nets. Nets with BatchNorm ride along: they come
last in the stack, and only their slice is normalised. Each net keeps its own weights and its
own minibatches, and its numbers are bit for bit the ones it gets when trained alone;
tests/test_fastpath.py checks that, every gradient against autograd, and the losses against
engine.train's loop, the reference.

    train_config("kaiming", data)                 one configuration, as `python -m engine.train` runs it
    train_configs(["kaiming", "batchnorm"], data) several, side by side
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from engine.data import Dataset
from engine.layers import BatchNorm1d, Embedding, Flatten, Linear, Sequential, Tanh
from engine.model import DEFAULT_SEED, build_mlp
from engine.progress import progress_bar
from engine.train import BATCH_SIZE, FULL_STEPS, TrainingRun, learning_rate

DRAW_CHUNK = 1000  # minibatches drawn at once (see Minibatches)
PADDED_VOCAB = 32  # the output layer's width on the fast path (see MLPStack)
_TWO, _MINUS_ONE = torch.tensor(2.0), torch.tensor(-1.0)  # as tensors: a Python scalar costs a conversion at every use

_PLAIN = [Embedding, Flatten, Linear, Tanh, Linear]
_NORMALISED = [Embedding, Flatten, Linear, BatchNorm1d, Tanh, Linear]


def layout(model: Sequential) -> tuple | None:
    """The sizes a net must share with others to train beside them, or None if it is not the lecture's MLP.

    The lecture's MLP is Embedding → Flatten → Linear → (BatchNorm1d) → Tanh → Linear with an
    output bias; its gradients are not kept for inspection (`retain_grads`).
    """
    kinds = [type(layer) for layer in model.layers]
    if kinds not in (_PLAIN, _NORMALISED) or model.layers[-1].bias is None or model.retain_grads:
        return None
    embedding, hidden, output = model.layers[0], model.layers[2], model.layers[-1]
    return tuple(embedding.weight.shape), tuple(hidden.weight.shape), tuple(output.weight.shape), hidden.weight.device


def has_batchnorm(model: Sequential) -> bool:
    return isinstance(model.layers[3], BatchNorm1d)


class MLPStack:
    """K of the lecture's MLPs of one `layout` as one batched net, trained by hand-written backprop.

    Nets with BatchNorm must come after those without, so that they are one slice of the stack.
    """

    def __init__(self, models: list[Sequential]):
        if not models or any(layout(m) is None or layout(m) != layout(models[0]) for m in models):
            raise ValueError("MLPStack takes one or more of the lecture's MLPs, all of the same sizes")
        normalised = [has_batchnorm(m) for m in models]
        if normalised != sorted(normalised):
            raise ValueError("MLPStack: the nets with BatchNorm must come after those without")
        norms = [m.layers[3] for m in models if has_batchnorm(m)]
        if len({(norm.eps, norm.momentum) for norm in norms}) > 1:
            raise ValueError("MLPStack: the nets with BatchNorm must share its eps and momentum")
        self.models = models
        K = len(models)
        self.bn = slice(K - len(norms), K) if norms else None  # the nets with BatchNorm
        self.eps, self.momentum = (norms[0].eps, norms[0].momentum) if norms else (None, None)

        def stack(tensors):  # net k's tensor becomes slice k of one (K, ...) tensor
            return torch.stack([t.detach() for t in tensors]).contiguous()

        # Biases and BatchNorm's vectors are stored as (K, 1, features), to broadcast over the batch.
        hidden = [m.layers[2] for m in models]
        self.C = stack(m.layers[0].weight for m in models)
        self.W1 = stack(layer.weight for layer in hidden)
        # A net without a hidden bias (BatchNorm's beta replaces it) gets one fixed at zero: adding 0 changes nothing.
        self.b1 = stack(torch.zeros_like(layer.weight[0]) if layer.bias is None else layer.bias for layer in hidden)[:, None]
        self.b1_trains = torch.tensor([layer.bias is not None for layer in hidden], dtype=self.b1.dtype, device=self.b1.device).view(K, 1, 1)
        # The output layer padded to PADDED_VOCAB logits: zero weights and a bias of -1e9, whose
        # softmax is exactly 0, so the padding never learns and changes no loss; MKL multiplies
        # 32 columns markedly faster than 27.
        W2 = stack(m.layers[-1].weight for m in models)
        b2 = stack(m.layers[-1].bias for m in models)[:, None]
        self.vocab = W2.shape[2]
        padding = max(PADDED_VOCAB - self.vocab, 0)
        self.W2 = F.pad(W2, (0, padding)).contiguous()
        self.b2 = F.pad(b2, (0, padding), value=-1e9).contiguous()
        self.all_b1_train = bool(self.b1_trains.all())
        if norms:
            self.bngain = stack(norm.gamma for norm in norms)[:, None]
            self.bnbias = stack(norm.beta for norm in norms)[:, None]
            self.bnmean_running = stack(norm.running_mean for norm in norms)[:, None]
            self.bnvar_running = stack(norm.running_var for norm in norms)[:, None]
        vocab = self.C.shape[1]
        # Row of the stacked embedding table where net k's rows start: C.view(K·vocab, n_embd)[k·vocab + ix] is C[k][ix].
        self.row_offsets = (torch.arange(K, device=self.C.device) * vocab).view(K, 1, 1)
        self.minus_ones = torch.empty(0)  # made once per minibatch shape, for the softmax's backward

    def step(self, Xb: torch.Tensor, Yb: torch.Tensor, lr: float, picked: torch.Tensor) -> None:
        """One SGD step of every net on its own minibatch: Xb (K, n, block), Yb (K, n).

        Writes into `picked` (K, n, 1) the log-probability each net gave each target, before the
        update: each net's loss is minus their mean (train_side_by_side takes it for many steps at once).
        """
        C, W1, b1, W2, b2, bn = self.C, self.W1, self.b1, self.W2, self.b2, self.bn
        K, n = Yb.shape
        # forward pass, as lecture 3 writes it
        rows = (Xb if K == 1 else Xb + self.row_offsets).reshape(-1)
        embcat = C.view(-1, C.shape[2]).index_select(0, rows).view(K, n, -1)  # C[Xb], (K, n, block·n_embd)
        if bn is None:  # 2·hpreact straight from the product (doubling is exact), for tanh as a sigmoid below
            hpreact = torch.baddbmm(b1, embcat, W1, beta=2, alpha=2)
        else:  # the nets with BatchNorm normalise their slice
            hpreact = torch.baddbmm(b1, embcat, W1)
            hprebn = hpreact[bn]
            bnmean = hprebn.mean(1, keepdim=True)
            bndiff = hprebn - bnmean
            # Biased variance, as BatchNorm1d normalises with; written out because torch.var takes
            # about 50 µs on a 32×200 batch (a slow reduction), as long as the rest of a net's step.
            bnvar = (bndiff * bndiff).mean(1, keepdim=True)
            bnvar_inv = (bnvar + self.eps).rsqrt()
            bnraw = bndiff * bnvar_inv
            hpreact[bn] = torch.addcmul(self.bnbias, self.bngain, bnraw)  # overwrites hprebn, which nothing below needs
            # The running estimates, as BatchNorm1d keeps them (the variance unbiased).
            self.bnmean_running.lerp_(bnmean, self.momentum)
            self.bnvar_running.lerp_(bnvar * (n / (n - 1)), self.momentum)
            hpreact.mul_(_TWO)
        # h = tanh(hpreact) = 2·sigmoid(2·hpreact) − 1: here torch.tanh takes several times as long as torch.sigmoid.
        h = torch.add(_MINUS_ONE, hpreact.sigmoid_(), alpha=2)
        logits = torch.baddbmm(b2, h, W2)
        logprobs = logits.log_softmax(2)
        target = Yb.unsqueeze(2)
        torch.gather(logprobs, 2, target, out=picked)

        # backward pass, as lecture 4 derives it; each gradient goes straight into its update
        dlogits = logprobs.exp_()  # softmax …
        if self.minus_ones.shape != target.shape:
            self.minus_ones = torch.full(target.shape, -1.0, device=target.device)
        dlogits.scatter_add_(2, target, self.minus_ones)  # … minus one at the target …
        dlogits /= n  # … over n, because the loss is the batch's mean
        dh = torch.bmm(dlogits, W2.transpose(1, 2))  # before W2 moves
        W2.baddbmm_(h.transpose(1, 2), dlogits, alpha=-lr)  # W2 −= lr · hᵀ·dlogits
        b2.add_(dlogits.sum(1, keepdim=True), alpha=-lr)
        dhpreact = torch.addcmul(dh, dh, h * h, value=-1)  # (1 − h²)·dh, as tanh' = 1 − tanh², in two operations, not three
        if bn is not None:  # through BatchNorm, for its slice
            dbnout = dhpreact[bn]
            dbngain = (bnraw * dbnout).sum(1, keepdim=True)
            dbnbias = dbnout.sum(1, keepdim=True)
            # Lecture 4's one-line BatchNorm backward, without its n/(n−1): the forward normalised by the biased variance.
            dhpreact[bn] = self.bngain * bnvar_inv / n * (n * dbnout - dbnbias - bnraw * dbngain)
            self.bngain.add_(dbngain, alpha=-lr)
            self.bnbias.add_(dbnbias, alpha=-lr)
        dhprebn = dhpreact
        dembcat = torch.bmm(dhprebn, W1.transpose(1, 2))  # before W1 moves
        W1.baddbmm_(embcat.transpose(1, 2), dhprebn, alpha=-lr)
        db1 = dhprebn.sum(1, keepdim=True)
        b1.add_(db1 if self.all_b1_train else db1 * self.b1_trains, alpha=-lr)  # a fixed zero bias stays zero
        C.view(-1, C.shape[2]).index_add_(0, rows, dembcat.view(-1, C.shape[2]), alpha=-lr)  # each example's rows of C

    @torch.no_grad()
    def write_back(self) -> None:
        """Copy the trained weights (and running estimates) into each net's own tensors, in place."""
        first_bn = self.bn.start if self.bn is not None else len(self.models)
        for k, model in enumerate(self.models):
            embedding, hidden, output = model.layers[0], model.layers[2], model.layers[-1]
            output_weight, output_bias = self.W2[k, :, : self.vocab], self.b2[k, :, : self.vocab]
            pairs = [(embedding.weight, self.C[k]), (hidden.weight, self.W1[k]), (output.weight, output_weight), (output.bias, output_bias)]
            if hidden.bias is not None:
                pairs.append((hidden.bias, self.b1[k]))
            if k >= first_bn:
                norm, j = model.layers[3], k - first_bn
                pairs += [(norm.gamma, self.bngain[j]), (norm.beta, self.bnbias[j])]
                pairs += [(norm.running_mean, self.bnmean_running[j]), (norm.running_var, self.bnvar_running[j])]
            for mine, stacked in pairs:
                mine.copy_(stacked.view_as(mine))


def train_config(
    config: str, data: Dataset, steps: int = FULL_STEPS, seed: int = DEFAULT_SEED, device: str = "cpu", progress=True
) -> tuple[Sequential, TrainingRun]:
    """Build one of the loss log's configurations and train it: what the command line runs."""
    return train_configs([config], data, steps, seed, device, progress)[config]


def train_configs(
    configs: list[str], data: Dataset, steps: int = FULL_STEPS, seed: int = DEFAULT_SEED, device: str = "cpu", progress=True
) -> dict[str, tuple[Sequential, TrainingRun]]:
    """Build several configurations and train them side by side; each ends exactly as `train_config` leaves it.

    Each net draws its weights and then its minibatches from its own generator seeded `seed`,
    as the lecture does.
    """
    generators = [torch.Generator().manual_seed(seed) for _ in configs]
    models = [build_mlp(name, generator).to(device) for name, generator in zip(configs, generators)]
    runs = train_side_by_side(models, data, steps, generators, progress=", ".join(configs) if progress else None)
    return {name: (model, run) for name, model, run in zip(configs, models, runs)}


def train_side_by_side(
    models: list[Sequential], data: Dataset, steps: int, generators: list[torch.Generator], *, progress: str | None = None
) -> list[TrainingRun]:
    """Train each net in place on the minibatches its own generator draws, as engine.train.train would.

    The nets must be the lecture's MLP, all of one `layout`. Each net (and its generator) ends
    exactly as training it alone would leave it.
    """
    layouts = {layout(model) for model in models}
    if len(layouts) != 1 or None in layouts:
        raise ValueError("the fast path trains the lecture's MLP only, all nets of the same sizes; use engine.train.train")
    X, Y = data.Xtr.to(models[0].device), data.Ytr.to(models[0].device)
    for model in models:
        model.train()
    # The stack wants the nets with BatchNorm last: train in that order, report in the caller's.
    order = sorted(range(len(models)), key=lambda k: has_batchnorm(models[k]))
    models, generators = [models[k] for k in order], [generators[k] for k in order]
    stack = MLPStack(models)
    minibatches = Minibatches(generators, X, Y)
    losses = torch.empty(len(models), max(steps, 1))
    picked = torch.empty(DRAW_CHUNK, len(models), BATCH_SIZE, 1)  # each step's log-probabilities of the targets
    start = time.perf_counter()
    bar = progress_bar(steps, progress)
    for step in range(steps):
        i = step % DRAW_CHUNK
        if i == 0:
            Xs, Ys = minibatches.draw(min(DRAW_CHUNK, steps - step))
        stack.step(Xs[i], Ys[i], learning_rate(step, steps), picked[i])
        if i == len(Xs) - 1:  # a chunk's losses at once, and the bar (redrawn every step, it would cost more than the step)
            losses[:, step - i : step + 1] = -picked[: i + 1].mean((2, 3)).T
            bar.set_postfix(loss=" ".join(f"{loss:.3f}" for loss in losses[:, step].tolist()), refresh=False)
            bar.update(step + 1 - bar.n)
    bar.close()
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


class Minibatches:
    """Every net's minibatches, drawn from its own generator as the lecture does: randint(0, n, (32,)) each step.

    They are drawn DRAW_CHUNK steps at a time, which gives the same numbers in the same order
    (one (1000, 32) draw is 1000 draws of 32; tests/test_fastpath.py checks it) for a fraction of
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
