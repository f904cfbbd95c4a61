"""The computations behind the expected answers and the known mistakes.

Plain arithmetic where a learner works by hand; torch where the answer is an experiment
(a network's statistics, which parameters receive gradient, which layers couple a batch).
The keyword arguments that switch a step off or swap it replay the known mistakes.
"""

from __future__ import annotations

import math

import torch

from engine.data import BLOCK_SIZE, VOCAB_SIZE
from engine.diagnostics import tanh_layer_stats
from engine.layers import BatchNorm1d, LayerNorm
from engine.model import build_deep_net

from practice.exercise import Table


def cross_entropy(symbols, logits, target) -> float:
    """−ln softmax(logits)[target], written as log-sum-exp minus the target's logit."""
    return logsumexp(logits) - logits[symbols.index(target)]


def logsumexp(logits) -> float:
    top = max(logits)  # subtracted first so that exp never overflows
    return top + math.log(sum(math.exp(z - top) for z in logits))


def mean(xs) -> float:
    return sum(xs) / len(xs)


def variance(xs, ddof: int = 0) -> float:
    m = mean(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - ddof)


def batchnorm(batch, gamma, beta, eps, ddof: int = 0) -> list[float]:
    """BatchNorm's training-mode forward pass for one feature; ddof=1 is the unbiased-variance mistake."""
    m, v = mean(batch), variance(batch, ddof)
    return [gamma * (x - m) / math.sqrt(v + eps) + beta for x in batch]


def shares_saturated(table: Table, threshold: float, signed: bool = False) -> list[float]:
    """Per unit (column): the share of examples with |h| > threshold (h > threshold if signed)."""
    columns = list(zip(*table.values))
    return [mean([(h if signed else abs(h)) > threshold for h in column]) for column in columns]


def units_where(shares, rule) -> set[int]:
    return {unit for unit, share in enumerate(shares, start=1) if rule(share)}


def fold(W, b, gamma, beta, running_mean, running_var, eps, *, scale_rows=False, keep_mean=True, std=True):
    """W′ and b′ of a Linear (x @ W + b, W is fan_in × fan_out) with an eval-mode BatchNorm folded in.

    BatchNorm scales each output feature j by gamma_j / sqrt(var_j + eps): column j of W.
    The keyword arguments replay the known mistakes.
    """
    scale = [g / (math.sqrt(v + eps) if std else v + eps) for g, v in zip(gamma, running_var)]
    W_folded = [[w * scale[i if scale_rows else j] for j, w in enumerate(row)] for i, row in enumerate(W)]
    shift = running_mean if keep_mean else [0.0] * len(b)
    b_folded = [(bj - mj) * s + bt for bj, mj, s, bt in zip(b, shift, scale, beta)]
    return [w for row in W_folded for w in row] + b_folded


# The mystery initialisation: the lesson's deeper network with a gain it should not have.
# Its statistics are measured here, on a seeded batch, rather than typed.
MYSTERY_GAIN = 3.0
MYSTERY_BATCH = 1000


def mystery_summary() -> Table:
    """Std and % saturated of each tanh layer: what the lesson's histograms are read for."""
    generator = torch.Generator().manual_seed(0)
    net = build_deep_net(generator, gain=MYSTERY_GAIN)
    with torch.no_grad():
        net(torch.randint(0, VOCAB_SIZE, (MYSTERY_BATCH, BLOCK_SIZE), generator=generator))
    rows = tuple(
        (f"tanh layer {number}", (round(layer["std"], 2), round(100 * layer["saturated"])))
        for number, layer in enumerate(tanh_layer_stats(net), start=1)
    )
    return Table(("layer", "std of h", "% saturated"), rows)


# How the lesson reads such a summary. A healthy tanh stack keeps a steady std with a few
# per cent saturated; these thresholds sit far from the healthy values on either side.
TOO_SATURATED_PERCENT = 20
COLLAPSED_STD_RATIO = 0.5  # the last layer's std below half the first's: shrinking towards zero

MYSTERY_OPTIONS = {
    "a": "The weights are too small: the activations shrink towards zero.",
    "b": "The weights are too large: the units are pushed into tanh's flat tails.",
    "c": "Healthy: the weights were drawn with std \\( (5/3)/\\sqrt{\\text{fan\\_in}} \\).",
    "d": "The learning rate is too high.",
}


def diagnose(summary: Table) -> str:
    (first_std, _), (last_std, last_saturated) = summary.values[0], summary.values[-1]
    if last_saturated > TOO_SATURATED_PERCENT:
        return "b"
    if last_std < COLLAPSED_STD_RATIO * first_std:
        return "a"
    return "c"


# Same example, different batchmates: which changes make its output depend on it alone?
# Each option is a layer to try and the batch size to try it with.
_FEATURES = 4
BATCHMATE_CHANGES = {
    "a": ("Switch the network to eval mode, so BatchNorm uses its running mean and variance.",
          lambda: _eval(BatchNorm1d(_FEATURES)), 32),
    "b": ("Lower BatchNorm's momentum from 0.1 to 0.001.", lambda: BatchNorm1d(_FEATURES, momentum=0.001), 32),
    "c": ("Raise BatchNorm's eps from 1e-5 to 1e-3.", lambda: BatchNorm1d(_FEATURES, eps=1e-3), 32),
    "d": ("Use batches of 256 instead of 32.", lambda: BatchNorm1d(_FEATURES), 256),
    "e": ("Replace BatchNorm with LayerNorm, which normalises each example over its own features.",
          lambda: LayerNorm(_FEATURES), 32),
}


def _eval(layer):
    layer.training = False
    return layer


def changes_that_decouple() -> set[str]:
    """Run each change on one example inside two different batches; keep those where its output agrees."""
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(1, _FEATURES, generator=generator)
    decoupled = set()
    for label, (_, make_layer, batch_size) in BATCHMATE_CHANGES.items():
        outputs = []
        for _ in range(2):
            batchmates = torch.randn(batch_size - 1, _FEATURES, generator=generator)
            outputs.append(make_layer()(torch.cat([example, batchmates]))[0])
        if torch.allclose(*outputs):
            decoupled.add(label)
    return decoupled


# An MLP whose every weight and bias starts at zero: which parameters get a gradient?
ZERO_INIT_PARAMETERS = {"W1": "hidden weights", "b1": "hidden biases", "W2": "output weights", "b2": "output biases"}


def parameters_with_gradient(fan_in: int, hidden: int, vocab_size: int, batch: int) -> set[str]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, fan_in, generator=generator)
    y = torch.randint(0, vocab_size, (batch,), generator=generator)
    shapes = {"W1": (fan_in, hidden), "b1": (hidden,), "W2": (hidden, vocab_size), "b2": (vocab_size,)}
    p = {name: torch.zeros(shape, requires_grad=True) for name, shape in shapes.items()}
    logits = torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    torch.nn.functional.cross_entropy(logits, y).backward()
    return {name for name, tensor in p.items() if tensor.grad.abs().max() > 0}
