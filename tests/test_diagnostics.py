import math

import pytest
import torch

from engine.diagnostics import (
    dead_units,
    saturation_share,
    smoothed_log10,
    tanh_derivative,
    tanh_gradient_stats,
    tanh_layer_stats,
    uniform_loss,
    update_to_data_ratio,
)
from engine.model import build_deep_net


def test_uniform_loss_is_ln_v():
    assert uniform_loss(27) == pytest.approx(math.log(27)) == pytest.approx(3.2958, abs=1e-4)


def test_tanh_derivative_against_autograd():
    x = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.tanh(x).sum().backward()
    assert torch.allclose(tanh_derivative(x.detach()), x.grad)
    assert tanh_derivative(2).item() == pytest.approx(0.0707, abs=1e-4)


def test_saturation_and_dead_units():
    h = torch.tensor([[0.99, 0.1, -0.995], [-0.98, 0.2, 0.999]])
    assert saturation_share(h) == pytest.approx(4 / 6)
    assert dead_units(h, 0.99) == 1  # only the last unit is past 0.99 for both examples


def test_smoothed_log10_averages_windows():
    losses = torch.tensor([10.0, 10.0, 100.0, 100.0, 1.0])
    assert smoothed_log10(losses, 2).tolist() == [1.0, 2.0]


def test_layer_statistics_of_a_deep_net():
    net = build_deep_net(torch.Generator().manual_seed(0))
    net.retain_grads = True
    torch.nn.functional.cross_entropy(net(torch.randint(0, 27, (64, 3))), torch.randint(0, 27, (64,))).backward()
    acts, grads = tanh_layer_stats(net), tanh_gradient_stats(net)
    assert len(acts) == len(grads) == 5
    assert all(0 <= row["saturated"] <= 1 and row["std"] > 0 for row in acts)
    weight = net.layers[2].weight
    expected = math.log10((0.1 * weight.grad).std().item() / weight.data.std().item())
    assert update_to_data_ratio(weight, 0.1) == pytest.approx(expected)
