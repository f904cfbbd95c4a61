"""The fast path against the reference loop (engine.train.train, autograd), and side by side against alone."""

import pytest
import torch

from engine.fastpath import MLPStack, layout, train_config, train_configs, train_side_by_side
from engine.layers import BatchNorm1d, Embedding, Flatten, Linear, Sequential, Tanh
from engine.model import CONFIGS, DEFAULT_SEED, build_deep_net, build_mlp
from engine.train import train

TOL = dict(atol=2e-6, rtol=1e-5)


def mlp_with_batchnorm_and_hidden_bias(generator):
    """The variant lesson 05 looks at: BatchNorm after a hidden layer that kept its bias."""
    return Sequential(
        [Embedding(27, 10, generator=generator), Flatten(), Linear(30, 200, bias_std=0.01, generator=generator),
         BatchNorm1d(200, momentum=0.001), Tanh(), Linear(200, 27, weight_std=0.01, bias_std=0.0, generator=generator)]
    )


def tensors(model):
    """Every tensor training changes: the parameters and BatchNorm's running estimates."""
    found = list(model.parameters())
    for layer in model.layers:
        if isinstance(layer, BatchNorm1d):
            found += [layer.running_mean, layer.running_var]
    return found


def build(name):
    generator = torch.Generator().manual_seed(DEFAULT_SEED)
    if name == "batchnorm_with_bias":
        return mlp_with_batchnorm_and_hidden_bias(generator), generator
    return build_mlp(name, generator), generator


def fast(model, dataset, steps, generator):
    return train_side_by_side([model], dataset, steps, [generator])[0]


@pytest.mark.parametrize("name", [*CONFIGS, "batchnorm_with_bias"])
def test_one_step_matches_autograd(dataset, name):
    by_hand, generator = build(name)
    by_autograd, _ = build(name)
    run_hand = fast(by_hand, dataset, 1, generator)
    run_auto = train(by_autograd, dataset, 1, build(name)[1])
    assert run_hand.initial_loss == pytest.approx(run_auto.initial_loss, rel=1e-6)
    for mine, reference in zip(tensors(by_hand), tensors(by_autograd)):
        assert torch.allclose(mine, reference.detach(), **TOL)


# Not `original`: its saturated start magnifies rounding differences (about 1e-4 after 200 steps).
@pytest.mark.parametrize("name", ["kaiming", "batchnorm", "batchnorm_with_bias"])
def test_many_steps_stay_with_autograd(dataset, name):
    by_hand, generator = build(name)
    by_autograd, generator_auto = build(name)
    run_hand = fast(by_hand, dataset, 200, generator)
    run_auto = train(by_autograd, dataset, 200, generator_auto)
    assert torch.allclose(run_hand.losses, run_auto.losses, rtol=1e-5)
    for mine, reference in zip(tensors(by_hand), tensors(by_autograd)):
        assert torch.allclose(mine, reference.detach(), atol=1e-5, rtol=1e-5)


def test_minibatches_drawn_a_chunk_at_a_time_are_the_loops_draws(dataset):
    """The fast path draws DRAW_CHUNK minibatches at once; across a chunk's edge they are still the loop's."""
    from engine.fastpath import DRAW_CHUNK

    steps = DRAW_CHUNK + 50
    by_hand, generator = build("kaiming")
    run_fast = fast(by_hand, dataset, steps, generator)
    by_loop, generator_loop = build("kaiming")
    run_loop = train(by_loop, dataset, steps, generator_loop)
    assert torch.allclose(run_fast.losses, run_loop.losses, rtol=1e-4)


def test_side_by_side_is_bit_for_bit_alone(dataset):
    together = train_configs(list(CONFIGS), dataset, 300, progress=False)
    for name in CONFIGS:
        model, run = train_config(name, dataset, 300, progress=False)
        assert torch.equal(run.losses, together[name][1].losses), name
        for mine, theirs in zip(tensors(model), tensors(together[name][0])):
            assert torch.equal(mine, theirs), name


def test_side_by_side_in_any_order_and_generators_end_where_alone(dataset):
    """BatchNorm first, and two nets in one generator state: each still trains as it would alone."""
    names = ["batchnorm", "kaiming", "tanh_fix"]
    built = [build(name) for name in names]
    runs = train_side_by_side([m for m, _ in built], dataset, 150, [g for _, g in built])
    for name, (model, generator), run in zip(names, built, runs):
        alone, alone_generator = build(name)
        alone_run = fast(alone, dataset, 150, alone_generator)
        assert torch.equal(run.losses, alone_run.losses), name
        assert torch.equal(generator.get_state(), alone_generator.get_state()), name


def test_only_the_lectures_mlp_is_stacked():
    assert layout(build_mlp("kaiming", torch.Generator().manual_seed(0))) is not None
    assert layout(build_deep_net(torch.Generator().manual_seed(0))) is None
    watched = build_mlp("kaiming", torch.Generator().manual_seed(0))
    watched.retain_grads = True  # a net whose gradients someone reads trains through autograd
    assert layout(watched) is None
    wider = build_mlp("kaiming", torch.Generator().manual_seed(0), n_hidden=100)
    with pytest.raises(ValueError, match="the lecture's MLP only"):
        train_side_by_side([watched], None, 1, [torch.Generator()])
    with pytest.raises(ValueError, match="same sizes"):
        MLPStack([build_mlp("kaiming", torch.Generator().manual_seed(0)), wider])
    with pytest.raises(ValueError, match="BatchNorm must come after"):
        MLPStack([build_mlp("batchnorm", torch.Generator().manual_seed(0)), build_mlp("kaiming", torch.Generator().manual_seed(0))])


@pytest.mark.parametrize("name", CONFIGS)
def test_a_thousand_steps_stay_with_the_reference_loop(dataset, name):
    """Every configuration, 1,000 steps: the fast path's losses are the loop's, within 1e-4.

    `original` starts saturated, which magnifies rounding differences step by step (up to a few
    thousandths in a single minibatch's loss); its loss averaged over the last 100 steps still agrees.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        by_hand, generator = build(name)
        by_loop, generator_loop = build(name)
        run_fast = fast(by_hand, dataset, 1000, generator)
        run_loop = train(by_loop, dataset, 1000, generator_loop)
    finally:
        torch.set_num_threads(threads)
    assert abs(run_fast.losses[-100:].mean() - run_loop.losses[-100:].mean()) < 1e-4
    if name != "original":
        assert (run_fast.losses - run_loop.losses).abs().max() < 1e-4
