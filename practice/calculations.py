"""The computations behind the expected answers and the known mistakes.

Plain arithmetic where a learner works by hand; torch where the answer is an experiment
(a network's statistics, which parameters receive gradient, which layers couple a batch).
The keyword arguments that switch a step off or swap it replay the known mistakes.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from engine.data import BLOCK_SIZE, VOCAB_SIZE, load_dataset
from engine.diagnostics import tanh_layer_stats
from engine.layers import BatchNorm1d, LayerNorm
from engine.model import N_EMBD, N_HIDDEN, TANH_GAIN, build_deep_net

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


def deep_net_stats(gain: float) -> list[dict]:
    """tanh_layer_stats of the lesson's deeper net drawn at `gain`, after one seeded batch of MYSTERY_BATCH."""
    generator = torch.Generator().manual_seed(0)
    net = build_deep_net(generator, gain=gain)
    with torch.no_grad():
        net(torch.randint(0, VOCAB_SIZE, (MYSTERY_BATCH, BLOCK_SIZE), generator=generator))
    return tanh_layer_stats(net)


def mystery_summary() -> Table:
    """Std and % saturated of each tanh layer: what the lesson's histograms are read for."""
    rows = tuple(
        (f"tanh layer {number}", (round(layer["std"], 2), round(100 * layer["saturated"])))
        for number, layer in enumerate(deep_net_stats(MYSTERY_GAIN), start=1)
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


def all_zero_mlp(fan_in: int, hidden: int, vocab_size: int) -> dict[str, torch.Tensor]:
    shapes = {"W1": (fan_in, hidden), "b1": (hidden,), "W2": (hidden, vocab_size), "b2": (vocab_size,)}
    return {name: torch.zeros(shape, requires_grad=True) for name, shape in shapes.items()}


def mlp_logits(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def parameters_with_gradient(fan_in: int, hidden: int, vocab_size: int, batch: int) -> set[str]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, fan_in, generator=generator)
    y = torch.randint(0, vocab_size, (batch,), generator=generator)
    p = all_zero_mlp(fan_in, hidden, vocab_size)
    torch.nn.functional.cross_entropy(mlp_logits(p, x), y).backward()
    return {name for name, tensor in p.items() if tensor.grad.abs().max() > 0}


# The all-zero MLP trained to the end: only b2 ever learns, so the net makes one prediction
# for every context. Where its loss settles is measured on a sample of the real training set.
ZERO_INIT_STEPS = 100
ZERO_INIT_LEARNING_RATE = 5.0
ZERO_INIT_EXAMPLES = 500  # a random sample of the training set, one batch for every step


def next_character_entropy() -> float:
    """−Σ p ln p over how often each character comes next in the training set: the best loss without context."""
    return entropy(load_dataset().Ytr)


def previous_character_entropy() -> float:
    """The loss of the best prediction from the previous character alone (a bigram model), on the training set."""
    data = load_dataset()
    pairs = torch.zeros(VOCAB_SIZE, VOCAB_SIZE, dtype=torch.float64)
    pairs.index_put_((data.Xtr[:, -1], data.Ytr), torch.ones(len(data.Ytr), dtype=torch.float64), accumulate=True)
    joint = pairs / pairs.sum()
    conditional = joint / joint.sum(1, keepdim=True).clamp_min(1e-300)
    seen = joint > 0
    return -(joint[seen] * conditional[seen].log()).sum().item()


@lru_cache(maxsize=1)
def all_zero_settled_loss() -> tuple[float, float]:
    """Train the lecture's MLP from all-zero W1, b1, W2, b2 (random embeddings) by gradient descent on a random
    sample of the training set; return its loss at the end and the entropy of the sample's next characters."""
    data = load_dataset()
    generator = torch.Generator().manual_seed(0)
    ix = torch.randint(0, len(data.Ytr), (ZERO_INIT_EXAMPLES,), generator=generator)
    X, Y = data.Xtr[ix], data.Ytr[ix]
    embedded = torch.randn(VOCAB_SIZE, N_EMBD, generator=generator)[X].view(len(X), -1)
    p = all_zero_mlp(N_EMBD * BLOCK_SIZE, N_HIDDEN, VOCAB_SIZE)
    for _ in range(ZERO_INIT_STEPS):
        loss = torch.nn.functional.cross_entropy(mlp_logits(p, embedded), Y)
        grads = torch.autograd.grad(loss, list(p.values()))
        with torch.no_grad():
            for tensor, grad in zip(p.values(), grads):
                tensor -= ZERO_INIT_LEARNING_RATE * grad
    return loss.item(), entropy(Y)


def entropy(targets: torch.Tensor) -> float:
    counts = torch.bincount(targets, minlength=VOCAB_SIZE).double()
    p = counts[counts > 0] / counts.sum()
    return -(p * p.log()).sum().item()


def zero_init_options() -> dict[str, tuple[str, float | None]]:
    """Where the all-zero net's loss might settle: label → (the claim, the loss it names)."""
    uniform, unigram, bigram = math.log(VOCAB_SIZE), next_character_entropy(), previous_character_entropy()
    return {
        "a": (f"At \\( \\ln {VOCAB_SIZE} = {uniform:.2f} \\): with every weight and bias at zero, nothing can learn.",
              uniform),
        "b": (f"At {unigram:.2f}: the net learns how often each character comes next in the training set, and "
              "predicts those frequencies whatever the context.", unigram),
        "c": (f"At {bigram:.2f}: the net learns to predict the next character from the previous one, since the "
              "context still reaches it through the embeddings.", bigram),
        "d": ("Near the loss of a normally initialised net, only later: the noise of the minibatches soon "
              "makes the units differ.", None),
    }


def where_the_all_zero_net_settles() -> str:
    """The option whose loss is nearest the measured one (the sample's own entropy stands in for the training set's)."""
    settled, sample_entropy = all_zero_settled_loss()
    settled += next_character_entropy() - sample_entropy
    named = {label: loss for label, (_, loss) in zero_init_options().items() if loss is not None}
    return min(named, key=lambda label: abs(named[label] - settled))


# Compounding through depth: a stack of linear layers, each drawn with std gain/sqrt(fan_in).
def stacked_std(gain: float, layers: int) -> float:
    """The output's std for a unit-std input: each layer multiplies it by the gain."""
    return gain**layers


def measured_stacked_std(gain: float, layers: int, width: int = 100, batch: int = 1000) -> float:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, width, generator=generator, dtype=torch.float64)
    for _ in range(layers):
        x = x @ (torch.randn(width, width, generator=generator, dtype=torch.float64) * gain / math.sqrt(width))
    return x.std().item()


# Reading an update:data ratio: log10 of std(lr · grad) / std(weights); about −3 is healthy.
UPDATE_RATIO_OPTIONS = {
    "a": "About −2 or higher: each step changes the weights by a hundredth or more. Lower the learning rate.",
    "b": "About −3: a thousandth per step, the rule of thumb. Leave the learning rate as it is.",
    "c": "About −4 or lower: the weights barely move. Raise the learning rate.",
}


def update_ratio_verdict(log10_ratio: float) -> str:
    if log10_ratio > -2.5:
        return "a"
    if log10_ratio < -3.5:
        return "c"
    return "b"


def log10_update_ratio(learning_rate: float, grad_std: float, weight_std: float) -> float:
    return math.log10(learning_rate * grad_std / weight_std)


# Reading the histograms of three stacks: one layer's std and saturated share each.
SHAPE_GAINS = {"P": 5 / 3, "Q": 3.0, "R": 0.5}  # the gain each stack was drawn with; the learner sees only P, Q, R
SHAPE_LAYER = 3
SHAPE_OPTIONS = {
    "a": ("saturated", "collapsing", "healthy"),
    "b": ("healthy", "collapsing", "saturated"),
    "c": ("healthy", "saturated", "collapsing"),
    "d": ("collapsing", "healthy", "saturated"),
}
COLLAPSED_STD = 0.2  # a tanh layer's std this small: a spike at 0, a signal fading layer after layer


def layer_summaries(gains: dict[str, float] = SHAPE_GAINS, layer: int = SHAPE_LAYER) -> Table:
    """The std and % saturated of one tanh layer of the lesson's deeper net, one row per gain."""
    rows = []
    for name, gain in gains.items():
        stats = deep_net_stats(gain)[layer - 1]
        rows.append((f"stack {name}", (round(stats["std"], 2), round(100 * stats["saturated"]))))
    return Table(("network", f"std of layer {layer}", "% saturated"), tuple(rows))


def shape_of(std: float, saturated_percent: float) -> str:
    if saturated_percent > TOO_SATURATED_PERCENT:
        return "saturated"
    if std < COLLAPSED_STD:
        return "collapsing"
    return "healthy"


def shapes_option(summary: Table) -> str:
    shapes = tuple(shape_of(*values) for values in summary.values)
    return next(label for label, option in SHAPE_OPTIONS.items() if option == shapes)


# BatchNorm's two identities, checked on a real layer: a bias before it changes nothing, and
# scaling the weights before it leaves the output alone and divides their gradient.
def after_rescaling(output: float, weight_grad: float, scale: float, shift: float) -> list[float]:
    """[the same output, W's gradient divided by the scale, the bias's gradient: 0], whatever the shift."""
    return [output, weight_grad / scale, 0.0]


def batchnorm_identities(scale: float, shift: float) -> dict[str, float]:
    """Measure, on a random layer: the largest change of the output and the ratio of W's gradients."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(32, 10, generator=generator, dtype=torch.float64)
    W0 = torch.randn(10, 5, generator=generator, dtype=torch.float64)
    b0 = torch.randn(5, generator=generator, dtype=torch.float64)
    target = torch.randn(32, 5, generator=generator, dtype=torch.float64)
    runs = []
    for W_scale, b_shift in ((1.0, 0.0), (scale, shift)):
        W = (W0 * W_scale).requires_grad_()
        b = (b0 + b_shift).requires_grad_()
        y = torch.nn.functional.batch_norm(x @ W + b, None, None, training=True, eps=1e-12)
        ((y - target) ** 2).sum().backward()
        runs.append((y.detach(), W.grad, b.grad))
    (y1, gW1, _), (y2, gW2, gb2) = runs
    return dict(output_change=(y2 - y1).abs().max().item(), grad_ratio=(gW1 / gW2).mean().item(),
                bias_grad=gb2.abs().max().item())


# Spot the bug: each snippet is run, and judged against what it is meant to do.
def _not_fan_in_init(ns):
    return abs(ns["W1"].std().item() - TANH_GAIN / math.sqrt(30)) > 0.02


def _not_batchnorm1d(ns):
    reference = torch.nn.functional.batch_norm(ns["x"], None, None, training=True, eps=1e-5)
    return not torch.allclose(ns["xhat"], reference, atol=1e-6)


def _dead_bias(ns):
    return ns["b1"].grad.abs().max().item() < 1e-4  # zero up to float32 rounding


def _forgot_eval(ns):
    one_at_a_time = torch.cat([ns["model"](ns["Xval"][i:i + 2])[:1] for i in range(0, 8, 2)])
    return not torch.allclose(ns["logits"][0:8:2], one_at_a_time, atol=1e-6)


def _output_scale(ns):
    loss = torch.nn.functional.cross_entropy(ns["h"] @ ns["W2"] + ns["b2"], ns["Y"]).item()
    return abs(loss - math.log(VOCAB_SIZE)) > 0.05


def _relu_init(ns):
    return abs(ns["W"].std().item() - math.sqrt(2) / 10) > 0.01


_BUG_SETUP = """
torch.manual_seed(0)
x = torch.randn(32, 200)
embcat = torch.randn(32, 30)
W1 = torch.randn(30, 200) * (5/3) / 30**0.5
b1 = torch.zeros(200, requires_grad=True)
h = torch.tanh(torch.randn(32, 200))
Y = torch.randint(0, 27, (32,))
Xval = torch.randn(64, 30)
model = torch.nn.Sequential(torch.nn.Linear(30, 200, bias=False), torch.nn.BatchNorm1d(200), torch.nn.Tanh(),
                            torch.nn.Linear(200, 27))
"""
_BUG_AFTER = {
    "c": "torch.nn.functional.batch_norm(hpreact, None, None, training=True).tanh().sum().backward()",
}
BUG_SNIPPETS = {
    "a": ("A tanh layer with 30 inputs and 200 units, meant to follow the lesson's Kaiming rule, "
          "gain/√fan_in:", "W1 = torch.randn(30, 200) * (5/3) / 200**0.5", _not_fan_in_init),
    "b": ("BatchNorm's normalisation of a batch `x` in training mode, written to match torch.nn.BatchNorm1d:",
          "xhat = (x - x.mean(0)) / torch.sqrt(x.var(0) + 1e-5)", _not_batchnorm1d),
    "c": ("The hidden layer's pre-activation, fed to a BatchNorm:", "hpreact = embcat @ W1 + b1", _dead_bias),
    "d": ("The validation logits of a model with BatchNorm, right after the training loop:",
          "with torch.no_grad(): logits = model(Xval)", _forgot_eval),
    "e": ("The output layer of a fresh network with 200 hidden units and 27 symbols:",
          "W2 = torch.randn(200, 27) * 0.01; b2 = torch.zeros(27)", _output_scale),
    "f": ("A ReLU layer with 100 inputs and 50 units, meant to follow Kaiming's rule for ReLU:",
          "W = torch.randn(100, 50) * 2**0.5 / 100**0.5", _relu_init),
}


def needs_a_fix(label: str, code: str | None = None) -> bool:
    """Run snippet `label` (or other code in its place) after a common setup, and judge what it did."""
    _, shown, is_buggy = BUG_SNIPPETS[label]
    namespace = {"torch": torch}
    exec(_BUG_SETUP, namespace)  # noqa: S102 - our own literal snippets, shown on the page as they run
    exec((code or shown) + "\n" + _BUG_AFTER.get(label, ""), namespace)  # noqa: S102
    return is_buggy(namespace)


def snippets_that_need_a_fix() -> set[str]:
    return {label for label in BUG_SNIPPETS if needs_a_fix(label)}


def eval_batchnorm(x, running_mean, running_var, gamma, beta, eps) -> float:
    """BatchNorm's eval-mode output for one value: the running estimates in place of the batch's."""
    return gamma * (x - running_mean) / math.sqrt(running_var + eps) + beta


def train_and_eval(batch, running_mean, running_var, gamma, beta, eps, *, eval_var=None, eval_eps=None) -> list[float]:
    """The last example's BatchNorm output in training mode (inside its batch) and in eval mode.

    eval_var and eval_eps replay the known mistakes of the eval-mode step.
    """
    eval_var = running_var if eval_var is None else eval_var
    eval_eps = eps if eval_eps is None else eval_eps
    evaluated = eval_batchnorm(batch[-1], running_mean, eval_var, gamma, beta, eval_eps)
    return [batchnorm(batch, gamma, beta, eps)[-1], evaluated]
