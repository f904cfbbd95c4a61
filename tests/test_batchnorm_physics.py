"""What BatchNorm does to real batches of names, checked on the nets the pages train."""

import pytest
import torch
import torch.nn.functional as F

from engine.diagnostics import tanh_layer_stats
from engine.layers import Linear
from engine.model import GAINS, build_deep_net, build_mlp, swap_in_layernorm


@pytest.fixture(scope="module")
def real_batch(dataset):
    ix = torch.randint(0, len(dataset.Xtr), (256,), generator=torch.Generator().manual_seed(0))
    return dataset.Xtr[ix], dataset.Ytr[ix]


def deep_net_layers(X, gain, batchnorm):
    net = build_deep_net(torch.Generator().manual_seed(0), gain=gain, batchnorm=batchnorm)
    with torch.no_grad():
        net(X)
    return tanh_layer_stats(net)


def test_with_batchnorm_every_gain_gives_every_layer_the_same_spread(real_batch):
    stds = [row["std"] for gain in GAINS.values() for row in deep_net_layers(real_batch[0], gain, batchnorm=True)]
    assert max(stds) - min(stds) < 0.03
    assert 0.55 < min(stds) and max(stds) < 0.75


def test_without_batchnorm_the_gain_decides_the_spread(real_batch):
    layers = {gain: deep_net_layers(real_batch[0], gain, batchnorm=False) for gain in GAINS.values()}
    last_stds = [layers[gain][-1]["std"] for gain in GAINS.values()]
    assert max(last_stds) - min(last_stds) > 0.5
    # gain 0.5 shrinks layer by layer; gain 3 saturates many more units than BatchNorm lets through
    assert [row["std"] for row in layers[0.5]] == sorted((row["std"] for row in layers[0.5]), reverse=True)
    assert layers[0.5][-1]["std"] < 0.1
    assert layers[3.0][-1]["saturated"] > 3 * deep_net_layers(real_batch[0], 3.0, batchnorm=True)[-1]["saturated"]


def test_batchnorm_couples_the_batch_and_layernorm_does_not(real_batch):
    X, _ = real_batch
    example = X[:1]
    in_batch_a, in_batch_b = torch.cat([example, X[1:32]]), torch.cat([example, X[32:63]])
    batchnorm_net = build_mlp("batchnorm", torch.Generator().manual_seed(0))
    layernorm_net = swap_in_layernorm(batchnorm_net)
    with torch.no_grad():
        moved = (batchnorm_net(in_batch_a)[0] - batchnorm_net(in_batch_b)[0]).abs().max()
        unmoved = (layernorm_net(in_batch_a)[0] - layernorm_net(in_batch_b)[0]).abs().max()
    assert moved > 1e-2
    assert unmoved < 1e-6


def test_a_bias_before_batchnorm_gets_no_gradient(real_batch):
    X, Y = real_batch
    net = build_mlp("batchnorm", torch.Generator().manual_seed(0))
    hidden = next(layer for layer in net.layers if isinstance(layer, Linear))
    hidden.bias = torch.randn(hidden.weight.shape[1], generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    F.cross_entropy(net(X), Y).backward()
    assert hidden.bias.grad.abs().max() < 1e-6
    assert hidden.weight.grad.abs().mean() > 1e-4

