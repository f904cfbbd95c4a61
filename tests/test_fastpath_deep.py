"""The deep nets' fast path against the reference loop (engine.train.train), observers included, and one net per core against alone."""

import pytest
import torch

from engine.diagnostics import grad_to_data_ratio, tanh_layer_stats
from engine.fastpath_deep import Training, blocks, train_all, train_fast, trains_fast
from engine.layers import Linear
from engine.model import DEFAULT_SEED, build_deep_net, build_mlp, swap_in_layernorm
from engine.train import train

KINDS = {
    "deep": lambda g: build_deep_net(g),
    "deep_batchnorm": lambda g: build_deep_net(g, batchnorm=True),
    "deep_gain_3": lambda g: build_deep_net(g, gain=3.0),
    "mlp_batchnorm": lambda g: build_mlp("batchnorm", g),
}


@pytest.fixture(autouse=True)
def one_thread():
    """As the lessons and the workers run: one thread (a thread count can change a reduction's rounding)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build(kind, seed=DEFAULT_SEED):
    generator = torch.Generator().manual_seed(seed)
    return KINDS[kind](generator), generator


@pytest.mark.parametrize("kind", ["deep", "deep_batchnorm"])
def test_a_thousand_steps_stay_with_the_reference_loop(dataset, kind):
    fast_net, fast_generator = build(kind)
    loop_net, loop_generator = build(kind)
    fast_run = train_fast(fast_net, dataset, 1000, fast_generator)
    loop_run = train(loop_net, dataset, 1000, loop_generator)
    assert (fast_run.losses - loop_run.losses).abs().max() < 1e-4
    assert fast_run.initial_loss == pytest.approx(loop_run.initial_loss, abs=1e-6)
    for mine, reference in zip(fast_net.state_dict().values(), loop_net.state_dict().values()):
        assert torch.allclose(mine, reference, atol=1e-4)  # BatchNorm's running estimates included
    assert torch.equal(fast_generator.get_state(), loop_generator.get_state())


class Recorder:
    """An observer that wants a few steps and records what the loop shows it there."""

    def __init__(self, at):
        self.at, self.seen = at, {}

    def wants(self, step):
        return step in self.at

    def __call__(self, step, net, lr):
        if step in self.at:
            weights = [layer.weight for layer in net.layers if isinstance(layer, Linear)]
            self.seen[step] = ([grad_to_data_ratio(w) for w in weights], [s["std"] for s in tanh_layer_stats(net)])


@pytest.mark.parametrize("kind", ["deep", "deep_batchnorm", "mlp_batchnorm"])
def test_an_observer_sees_at_its_steps_what_the_loop_shows_it(dataset, kind):
    at = {0, 1, 57, 299}
    fast_net, fast_generator = build(kind)
    loop_net, loop_generator = build(kind)
    fast_seen, loop_seen = Recorder(at), Recorder(at)
    fast_run = train_fast(fast_net, dataset, 300, fast_generator, observe=fast_seen)
    loop_run = train(loop_net, dataset, 300, loop_generator, observe=loop_seen)
    assert (fast_run.losses - loop_run.losses).abs().max() < 1e-4
    assert fast_seen.seen.keys() == at
    for step in at:
        for mine, reference in zip(sum(fast_seen.seen[step], []), sum(loop_seen.seen[step], [])):
            assert mine == pytest.approx(reference, rel=1e-3), step


def test_an_observer_without_wants_is_called_at_every_step(dataset):
    net, generator = build("deep")
    steps = []
    train_fast(net, dataset, 20, generator, observe=lambda step, net, lr: steps.append(step))
    assert steps == list(range(20))


def test_one_net_per_core_ends_as_each_alone(dataset):
    """Trained in worker processes, each net, generator and observer ends as train_fast leaves it in this process."""
    kinds = ["deep", "deep_batchnorm", "deep_gain_3"]
    trainings = {}
    for kind in kinds:
        net, generator = build(kind)
        trainings[kind] = Training(net, generator, observe=Recorder({0, 10}))
    runs = train_all(trainings, dataset, 120)
    for kind in kinds:
        net, generator = build(kind)
        observer = Recorder({0, 10})
        run = train_fast(net, dataset, 120, generator, observe=observer)
        assert torch.equal(runs[kind].losses, run.losses), kind
        for key, value in net.state_dict().items():
            assert torch.equal(trainings[kind].net.state_dict()[key], value), (kind, key)
        assert torch.equal(trainings[kind].generator.get_state(), generator.get_state())
        assert trainings[kind].observe.seen == observer.seen


def test_nets_of_other_shapes_train_through_the_reference_loop(dataset):
    layernorm_net = swap_in_layernorm(build_deep_net(torch.Generator().manual_seed(0), batchnorm=True))
    assert trains_fast(build_deep_net(torch.Generator().manual_seed(0))) and blocks(layernorm_net) is None
    reference = swap_in_layernorm(build_deep_net(torch.Generator().manual_seed(0), batchnorm=True))
    run = train_fast(layernorm_net, dataset, 30, torch.Generator().manual_seed(1))
    loop_run = train(reference, dataset, 30, torch.Generator().manual_seed(1))
    assert torch.equal(run.losses, loop_run.losses)


def test_a_failing_job_names_its_error(dataset):
    net, generator = build("deep")

    def broken(step, net, lr):
        raise ValueError("the watcher broke")

    trainings = {"a": Training(net, generator, observe=broken), "b": Training(*build("deep"))}
    with pytest.raises(RuntimeError, match="the watcher broke"):
        train_all(trainings, dataset, 5)


def test_a_net_whose_gradients_are_kept_trains_through_the_loop_step(dataset):
    """retain_grads asks for every layer's gradient: the loop's own step gives it, with or without an observer."""
    net, generator = build("deep")
    net.retain_grads = True
    loop_net, loop_generator = build("deep")
    loop_net.retain_grads = True
    assert torch.equal(train_fast(net, dataset, 5, generator).losses, train(loop_net, dataset, 5, loop_generator).losses)
    assert net.layers[3].out.grad is not None
