"""Stage 4 of the pipeline: what the lesson measures inside a network.

Each function turns tensors into the few numbers a histogram is read for, so that a
figure, a page and a test all quote the same computation.
"""

from __future__ import annotations

import math

import torch

from engine.layers import BatchNorm1d, Linear, Sequential, Tanh

SATURATED = 0.97  # |tanh| above this: the local derivative 1 - tanh² is below 0.06. The one threshold of the lesson.


def uniform_loss(vocab_size: int) -> float:
    """The loss of a uniform guess over the vocabulary: −ln(1/V)."""
    return -math.log(1 / vocab_size)


def tanh_derivative(x: float | torch.Tensor):
    """The local derivative of tanh at x: 1 − tanh(x)²."""
    t = torch.tanh(torch.as_tensor(x, dtype=torch.float64))
    return 1 - t**2


def saturation_share(h: torch.Tensor, threshold: float = SATURATED) -> float:
    """The share of tanh outputs in the flat tails, where |h| > threshold."""
    return (h.abs() > threshold).float().mean().item()


def dead_units(h: torch.Tensor, threshold: float = SATURATED) -> int:
    """Units saturated for every example of the batch: every example passes them almost no gradient."""
    return int((h.abs() > threshold).all(dim=0).sum().item())


def smoothed_log10(losses: torch.Tensor, window: int) -> torch.Tensor:
    """log10 of the loss, averaged over consecutive windows (the lecture's loss plot)."""
    usable = len(losses) // window * window
    return losses[:usable].log10().view(-1, window).mean(1)


def tanh_layer_stats(net, threshold: float = SATURATED) -> list[dict]:
    """Mean, std and % saturated of every tanh layer's last output (the lecture's forward-pass printout)."""
    rows = []
    for index, layer in enumerate(net.layers):
        if isinstance(layer, Tanh):
            h = layer.out.detach()
            rows.append(
                {
                    "layer": index,
                    "mean": h.mean().item(),
                    "std": h.std().item(),
                    "saturated": saturation_share(h, threshold),
                }
            )
    return rows


def tanh_gradient_stats(net) -> list[dict]:
    """Mean and std of the gradient at every tanh layer's output (needs net.retain_grads and a backward pass)."""
    rows = []
    for index, layer in enumerate(net.layers):
        if isinstance(layer, Tanh):
            g = layer.out.grad
            rows.append({"layer": index, "mean": g.mean().item(), "std": g.std().item()})
    return rows


def grad_to_data_ratio(parameter: torch.Tensor) -> float:
    """std of the parameter's gradient / std of the parameter: how big a step the gradient asks for."""
    return (parameter.grad.std() / parameter.detach().std()).item()


def update_to_data_ratio(parameter: torch.Tensor, lr: float) -> float:
    """log10 of (std of this step's update) / (std of the parameter): about −3 is healthy."""
    return math.log10((lr * parameter.grad).std().item() / parameter.data.std().item())


def hidden_weights(net: Sequential) -> list[torch.Tensor]:
    """The weight matrices of every linear layer but the output layer."""
    return [layer.weight for layer in net.layers if isinstance(layer, Linear)][:-1]


@torch.no_grad()
def calibrate_batchnorm(net: Sequential, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact mean and (unbiased) variance of the first BatchNorm's input over all of X: a calibration pass.

    The running estimates that training keeps approximate these; the layer before BatchNorm
    runs in eval mode, so measuring changes nothing in the net.
    """
    was_training = net.training
    net.eval()
    net(X)  # fills every layer's .out
    net.train(was_training)
    index = next(i for i, layer in enumerate(net.layers) if isinstance(layer, BatchNorm1d))
    before = net.layers[index - 1].out
    return before.mean(0), before.var(0)
