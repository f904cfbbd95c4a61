"""Stage 2 of the pipeline: the networks, and the initialisations the lesson compares.

`build_mlp` makes the lecture's character-level MLP: embed each of the 3 context
characters in 10 numbers, a hidden layer of 200 tanh units, 27 logits. A named
`InitConfig` says how its weights start; the five of the lecture's loss log are in
`CONFIGS`, in the order the lecture fixes things. `build_deep_net` makes the deeper
stack of tanh layers that the later pages open up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.data import BLOCK_SIZE, VOCAB, VOCAB_SIZE
from engine.layers import BatchNorm1d, Embedding, Flatten, LayerNorm, Linear, Sequential, Tanh

N_EMBD = 10
N_HIDDEN = 200
DEFAULT_SEED = 2147483647  # the lecture's torch.Generator().manual_seed(2147483647)

# Gain that keeps tanh's activations at a steady scale through depth (torch.nn.init.calculate_gain("tanh")).
TANH_GAIN = 5 / 3
MAX_NAME_LENGTH = 40  # an untrained net may never pick the end symbol

# The gains the pages compare, by the label a figure shows: too small, linear's, tanh's, too large.
GAINS = {"0.5": 0.5, "1": 1.0, "5/3": TANH_GAIN, "3": 3.0}

# The lecture's deeper net: 5 hidden tanh layers of 100 units; the pages that examine it at
# initialisation all draw its weights from this seed.
DEEP_LAYERS = 5
DEEP_WIDTH = 100
DEEP_NET_SEED = 7


def kaiming_std(fan_in: int, gain: float = TANH_GAIN) -> float:
    """The weight std that keeps a layer's output at the scale of its input: gain / sqrt(fan_in)."""
    return gain / math.sqrt(fan_in)


@dataclass(frozen=True)
class InitConfig:
    name: str
    label: str  # what this configuration changes, as the loss log's row reads
    hidden_weight_std: float
    hidden_bias_std: float | None  # None: the hidden layer has no bias
    output_weight_std: float
    output_bias_std: float
    batchnorm: bool = False


_FAN_IN = N_EMBD * BLOCK_SIZE
CONFIGS = {
    c.name: c
    for c in [
        InitConfig("original", "every parameter N(0, 1)", 1.0, 1.0, 1.0, 1.0),
        InitConfig("softmax_fix", "output layer scaled down: confident start fixed", 1.0, 1.0, 0.01, 0.0),
        InitConfig("tanh_fix", "hidden layer scaled down by hand: saturation fixed", 0.2, 0.01, 0.01, 0.0),
        InitConfig("kaiming", "hidden weights × (5/3)/sqrt(fan_in)", kaiming_std(_FAN_IN), 0.01, 0.01, 0.0),
        InitConfig("batchnorm", "BatchNorm between the hidden layer and its tanh", kaiming_std(_FAN_IN), None, 0.01, 0.0, True),
    ]
}


def build_mlp(config: InitConfig | str, generator: torch.Generator, n_hidden: int = N_HIDDEN) -> Sequential:
    """The lecture's MLP, drawing its weights in the lecture's order (C, W1, b1, W2, b2)."""
    if isinstance(config, str):
        config = CONFIGS[config]
    embedding = Embedding(VOCAB_SIZE, N_EMBD, generator=generator)
    hidden = Linear(
        _FAN_IN,
        n_hidden,
        bias=config.hidden_bias_std is not None,
        weight_std=config.hidden_weight_std,
        bias_std=config.hidden_bias_std,
        generator=generator,
    )
    output = Linear(
        n_hidden,
        VOCAB_SIZE,
        weight_std=config.output_weight_std,
        bias_std=config.output_bias_std,
        generator=generator,
    )
    # A batch of 32 gives noisy statistics: the lecture lets the running estimates move slowly.
    normalise = [BatchNorm1d(n_hidden, momentum=0.001)] if config.batchnorm else []
    return Sequential([embedding, Flatten(), hidden, *normalise, Tanh(), output])


def build_deep_net(
    generator: torch.Generator,
    *,
    gain: float = TANH_GAIN,
    batchnorm: bool = False,
    n_layers: int = DEEP_LAYERS,
    width: int = DEEP_WIDTH,
    weight_std: float | None = None,
) -> Sequential:
    """n_layers hidden tanh layers of `width` units, weights gain/sqrt(fan_in) (or a fixed weight_std).

    With BatchNorm each linear layer drops its bias (BatchNorm's beta replaces it) and is
    followed by a BatchNorm1d, the output layer's included. The output starts less confident:
    its weights (or its BatchNorm's gamma) are scaled by 0.1, as in the lecture.
    """
    layers = [Embedding(VOCAB_SIZE, N_EMBD, generator=generator), Flatten()]
    fan_in = _FAN_IN
    for _ in range(n_layers):
        std = kaiming_std(fan_in, gain) if weight_std is None else weight_std
        layers.append(Linear(fan_in, width, bias=not batchnorm, weight_std=std, generator=generator))
        if batchnorm:
            layers.append(BatchNorm1d(width))
        layers.append(Tanh())
        fan_in = width
    output = Linear(fan_in, VOCAB_SIZE, bias=not batchnorm, generator=generator)
    layers.append(output)
    if batchnorm:
        layers.append(BatchNorm1d(VOCAB_SIZE))
        layers[-1].gamma *= 0.1
    else:
        output.weight *= 0.1
    return Sequential(layers)


def swap_in_layernorm(model: Sequential) -> Sequential:
    """The same layers, with every BatchNorm1d replaced by a LayerNorm over the same features."""
    return Sequential([LayerNorm(layer.gamma.numel()) if isinstance(layer, BatchNorm1d) else layer for layer in model.layers])


@torch.no_grad()
def sample_names(model: Sequential, generator: torch.Generator, count: int = 10) -> list[str]:
    """Generate names one character at a time, each drawn from the model's softmax."""
    was_training = model.training
    model.eval()
    device = model.parameters()[0].device
    names = []
    for _ in range(count):
        context, chars = [0] * BLOCK_SIZE, []
        while len(chars) < MAX_NAME_LENGTH:
            probs = torch.softmax(model(torch.tensor([context], device=device)), dim=1).cpu()
            ix = torch.multinomial(probs, num_samples=1, generator=generator).item()
            if ix == 0:
                break
            chars.append(VOCAB[ix])
            context = context[1:] + [ix]
        names.append("".join(chars))
    model.train(was_training)
    return names
