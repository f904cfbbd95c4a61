import math

import torch

from engine.data import VOCAB
from engine.layers import BatchNorm1d, Linear
from engine.model import CONFIGS, DEFAULT_SEED, build_deep_net, build_mlp, kaiming_std, sample_names


def test_loss_log_configurations_in_lecture_order():
    assert list(CONFIGS) == ["original", "softmax_fix", "tanh_fix", "kaiming", "batchnorm"]
    assert math.isclose(CONFIGS["kaiming"].hidden_weight_std, (5 / 3) / math.sqrt(30))
    assert round(kaiming_std(30), 3) == 0.304


def test_mlp_shape_and_parameter_count():
    net = build_mlp("original", torch.Generator().manual_seed(1))
    # C 27×10, W1 30×200, b1 200, W2 200×27, b2 27
    assert sum(p.numel() for p in net.parameters()) == 270 + 6000 + 200 + 5400 + 27
    assert net(torch.zeros((5, 3), dtype=torch.long)).shape == (5, 27)


def test_batchnorm_config_drops_the_hidden_bias():
    net = build_mlp("batchnorm", torch.Generator().manual_seed(1))
    hidden = [layer for layer in net.layers if isinstance(layer, Linear)][0]
    assert hidden.bias is None
    assert any(isinstance(layer, BatchNorm1d) for layer in net.layers)


def test_mlp_draws_the_lectures_random_stream():
    """Same seed, same order of draws as the lecture's C, W1, b1, W2, b2."""
    g = torch.Generator().manual_seed(DEFAULT_SEED)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g) * 0.2
    b1 = torch.randn(200, generator=g) * 0.01
    W2 = torch.randn((200, 27), generator=g) * 0.01
    b2 = torch.randn(27, generator=g) * 0
    net = build_mlp("tanh_fix", torch.Generator().manual_seed(DEFAULT_SEED))
    for ours, lecture in zip(net.parameters(), [C, W1, b1, W2, b2]):
        assert torch.equal(ours.detach(), lecture)


def test_config_scales_are_what_they_say():
    for name, config in CONFIGS.items():
        net = build_mlp(name, torch.Generator().manual_seed(0))
        hidden, output = [layer for layer in net.layers if isinstance(layer, Linear)]
        assert abs(hidden.weight.std().item() / config.hidden_weight_std - 1) < 0.05
        assert abs(output.weight.std().item() / config.output_weight_std - 1) < 0.05


def test_deep_net_layers():
    net = build_deep_net(torch.Generator().manual_seed(0), batchnorm=True)
    assert sum(isinstance(layer, Linear) for layer in net.layers) == 6
    assert sum(isinstance(layer, BatchNorm1d) for layer in net.layers) == 6
    assert net(torch.zeros((4, 3), dtype=torch.long)).shape == (4, 27)


def test_samples_are_names_over_the_vocabulary():
    net = build_mlp("kaiming", torch.Generator().manual_seed(0))
    names = sample_names(net, torch.Generator().manual_seed(0), count=5)
    assert len(names) == 5 and all(set(name) <= set(VOCAB[1:]) for name in names)
