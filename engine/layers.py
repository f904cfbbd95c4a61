"""From-scratch layers with torch.nn's names, so a learner can swap ours for PyTorch's.

Each layer remembers its last output in `.out` (the diagnostics read it) and lists its
trained tensors in `.parameters()`. Weights are stored as (fan_in, fan_out) so that a
layer computes `x @ W + b`, the way the lecture writes it; torch.nn.Linear stores the
transpose. Every random draw goes through one explicit generator, which makes a run
reproducible from its seed.
"""

from __future__ import annotations

import torch


class Module:
    training = True
    out: torch.Tensor | None = None

    def parameters(self) -> list[torch.Tensor]:
        return []


class Embedding(Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, *, generator: torch.Generator | None = None):
        self.weight = torch.randn((num_embeddings, embedding_dim), generator=generator)

    def __call__(self, ix: torch.Tensor) -> torch.Tensor:
        self.out = self.weight[ix]
        return self.out

    def parameters(self):
        return [self.weight]


class Flatten(Module):
    """(batch, block, embedding) → (batch, block·embedding): concatenate the context's embeddings."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = x.view(x.shape[0], -1)
        return self.out


class Linear(Module):
    """x @ W + b, with W ~ N(0, 1)·weight_std, weight_std = 1/sqrt(fan_in) unless told otherwise.

    The bias starts at zero. Given bias_std, it is drawn as N(0, 1)·bias_std instead
    (even when bias_std is 0), which replays the lecture's own random draws exactly.
    """

    def __init__(
        self,
        fan_in: int,
        fan_out: int,
        bias: bool = True,
        *,
        weight_std: float | None = None,
        bias_std: float | None = None,
        generator: torch.Generator | None = None,
    ):
        std = fan_in**-0.5 if weight_std is None else weight_std
        self.weight = torch.randn((fan_in, fan_out), generator=generator) * std
        if not bias:
            self.bias = None
        elif bias_std is None:
            self.bias = torch.zeros(fan_out)
        else:
            self.bias = torch.randn(fan_out, generator=generator) * bias_std

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = x @ self.weight
        if self.bias is not None:
            self.out = self.out + self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class Tanh(Module):
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = torch.tanh(x)
        return self.out


class BatchNorm1d(Module):
    """Normalise each feature over the batch, then scale by gamma and shift by beta.

    Training mode uses the batch's mean and biased variance and updates the running
    estimates (the running variance takes the unbiased batch variance, as PyTorch does);
    eval mode uses the running estimates, so one example's output no longer depends
    on its batchmates.
    """

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError("BatchNorm1d needs more than one example per batch in training mode")
            mean = x.mean(0)
            centred = x - mean
            var = (centred * centred).mean(0)  # biased; written out, it is faster than torch.var here
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * (n / (n - 1)), self.momentum)  # the unbiased variance
        else:
            centred, var = x - self.running_mean, self.running_var
        self.out = self.gamma * centred * torch.rsqrt(var + self.eps) + self.beta
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


def fold_batchnorm(linear: Linear, batchnorm: BatchNorm1d) -> Linear:
    """One Linear that computes batchnorm(linear(x)) as eval mode does, for inference.

    In eval mode BatchNorm is a fixed affine map per feature, gamma·(z − mean)/sqrt(var + eps) + beta,
    so it can be multiplied into the weights and bias before it: one matrix product instead of two steps.
    """
    scale = batchnorm.gamma.detach() / torch.sqrt(batchnorm.running_var + batchnorm.eps)
    bias = 0.0 if linear.bias is None else linear.bias.detach()
    folded = Linear(*linear.weight.shape, weight_std=0.0)
    folded.weight = linear.weight.detach() * scale
    folded.bias = (bias - batchnorm.running_mean) * scale + batchnorm.beta.detach()
    return folded


class LayerNorm(Module):
    """Normalise each example over its own features: no batch statistics, same in training and eval."""

    def __init__(self, dim: int, eps: float = 1e-5):
        self.eps = eps
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        var = x.var(-1, keepdim=True, unbiased=False)
        self.out = self.gamma * (x - mean) / torch.sqrt(var + self.eps) + self.beta
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Sequential(Module):
    """Layers applied in order; `retain_grads` keeps each output's gradient for the diagnostics."""

    def __init__(self, layers: list[Module]):
        self.layers = layers
        self.retain_grads = False
        for p in self.parameters():
            p.requires_grad_(True)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
            if self.retain_grads and x.requires_grad:
                x.retain_grad()
        self.out = x
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    @property
    def device(self) -> torch.device:
        return self.parameters()[0].device

    def _tensors(self) -> dict[str, torch.Tensor]:
        """Every tensor that training sets (weights and BatchNorm's running estimates), keyed "<layer>.<name>"."""
        return {
            f"{index}.{name}": value
            for index, layer in enumerate(self.layers)
            for name, value in vars(layer).items()
            if isinstance(value, torch.Tensor) and name != "out"
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {key: value.detach().clone() for key, value in self._tensors().items()}

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        mine = self._tensors()
        if mine.keys() != state.keys():
            raise ValueError(f"this state does not fit the net: it differs in {sorted(mine.keys() ^ state.keys())}")
        for key, value in state.items():
            mine[key].copy_(value)

    def train(self, mode: bool = True) -> "Sequential":
        for layer in [self, *self.layers]:
            layer.training = mode
        return self

    def eval(self) -> "Sequential":
        return self.train(False)

    def to(self, device: str | torch.device) -> "Sequential":
        for layer in self.layers:
            for name, value in vars(layer).items():
                if isinstance(value, torch.Tensor) and name != "out":
                    moved = value.detach().to(device).requires_grad_(value.requires_grad)
                    setattr(layer, name, moved)
        return self
