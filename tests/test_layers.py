"""Our from-scratch layers against torch.nn: same outputs, same gradients, same running statistics."""

import pytest
import torch

from engine.layers import BatchNorm1d, LayerNorm, Linear, Sequential, Tanh, fold_batchnorm

TOL = dict(atol=1e-5, rtol=1e-5)


def batch(rows=32, cols=8, seed=0, scale=3.0, shift=1.5):
    """A batch far from unit Gaussian, so that normalising it is not a no-op."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn((rows, cols), generator=g) * scale + shift).requires_grad_(True)


def twin(x):
    return x.detach().clone().requires_grad_(True)


def upstream(shape, seed=1):
    """A random gradient arriving from above, so that every output element's gradient matters."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def compare_forward_and_backward(ours, theirs, x, seed=1):
    """Run both layers on the same batch and one upstream gradient; their outputs and input gradients agree."""
    x_t = twin(x)
    out, out_t = ours(x), theirs(x_t)
    torch.testing.assert_close(out, out_t, **TOL)
    grad = upstream(out.shape, seed=seed)
    out.backward(grad)
    out_t.backward(grad)
    torch.testing.assert_close(x.grad, x_t.grad, **TOL)


def test_linear_matches_torch_on_the_same_weights():
    ours = Linear(8, 5, bias_std=1.0, generator=torch.Generator().manual_seed(0))
    Sequential([ours])  # marks the parameters as trainable
    theirs = torch.nn.Linear(8, 5)
    with torch.no_grad():
        theirs.weight.copy_(ours.weight.T)  # torch stores (fan_out, fan_in), we store (fan_in, fan_out)
        theirs.bias.copy_(ours.bias)
    compare_forward_and_backward(ours, theirs, batch())
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad.T, **TOL)
    torch.testing.assert_close(ours.bias.grad, theirs.bias.grad, **TOL)


def test_linear_default_init_is_one_over_sqrt_fan_in():
    layer = Linear(400, 300, generator=torch.Generator().manual_seed(0))
    assert abs(layer.weight.std().item() * 400**0.5 - 1) < 0.02
    assert torch.equal(layer.bias, torch.zeros(300))
    assert len(Linear(4, 3, bias=False).parameters()) == 1


def test_tanh_matches_torch():
    compare_forward_and_backward(Tanh(), torch.tanh, batch())


def trainable_batchnorm(dim, seed=2):
    """Our BatchNorm1d and torch's, with the same non-trivial gamma and beta."""
    ours = BatchNorm1d(dim)
    theirs = torch.nn.BatchNorm1d(dim)
    g = torch.Generator().manual_seed(seed)
    gamma, beta = torch.rand(dim, generator=g) + 0.5, torch.randn(dim, generator=g)
    ours.gamma, ours.beta = gamma.clone().requires_grad_(True), beta.clone().requires_grad_(True)
    with torch.no_grad():
        theirs.weight.copy_(gamma)
        theirs.bias.copy_(beta)
    return ours, theirs


def test_batchnorm_matches_torch_in_training_then_eval():
    ours, theirs = trainable_batchnorm(8)
    for step in range(5):
        x = batch(seed=10 + step, shift=1.5 + step)  # the statistics drift, as during training
        x_t = twin(x)
        ours.gamma.grad = ours.beta.grad = None
        theirs.zero_grad()
        out, out_t = ours(x), theirs(x_t)
        torch.testing.assert_close(out, out_t, **TOL)
        grad = upstream(out.shape, seed=step)
        out.backward(grad)
        out_t.backward(grad)
        torch.testing.assert_close(x.grad, x_t.grad, **TOL)
        torch.testing.assert_close(ours.gamma.grad, theirs.weight.grad, **TOL)
        torch.testing.assert_close(ours.beta.grad, theirs.bias.grad, **TOL)
        torch.testing.assert_close(ours.running_mean, theirs.running_mean, **TOL)
        torch.testing.assert_close(ours.running_var, theirs.running_var, **TOL)

    ours.training = False
    theirs.eval()
    compare_forward_and_backward(ours, theirs, batch(seed=99, rows=7))
    # Eval mode leaves the running estimates alone.
    torch.testing.assert_close(ours.running_mean, theirs.running_mean, **TOL)


def test_batchnorm_momentum_is_torchs():
    ours, theirs = BatchNorm1d(4, momentum=0.001), torch.nn.BatchNorm1d(4, momentum=0.001)
    x = batch(cols=4)
    ours(x)
    theirs(twin(x))
    torch.testing.assert_close(ours.running_mean, theirs.running_mean, **TOL)
    torch.testing.assert_close(ours.running_var, theirs.running_var, **TOL)


def test_batchnorm_refuses_a_batch_of_one_in_training_only():
    layer = BatchNorm1d(4)
    with pytest.raises(ValueError, match="more than one example"):
        layer(torch.randn(1, 4))
    layer.training = False
    assert layer(torch.randn(1, 4)).shape == (1, 4)


def test_layernorm_matches_torch():
    ours = LayerNorm(8)
    theirs = torch.nn.LayerNorm(8)
    g = torch.Generator().manual_seed(3)
    gamma, beta = torch.rand(8, generator=g) + 0.5, torch.randn(8, generator=g)
    ours.gamma, ours.beta = gamma.clone().requires_grad_(True), beta.clone().requires_grad_(True)
    with torch.no_grad():
        theirs.weight.copy_(gamma)
        theirs.bias.copy_(beta)
    compare_forward_and_backward(ours, theirs, batch())
    torch.testing.assert_close(ours.gamma.grad, theirs.weight.grad, **TOL)
    torch.testing.assert_close(ours.beta.grad, theirs.bias.grad, **TOL)


@pytest.mark.parametrize("bias", [False, True])
def test_folding_batchnorm_keeps_eval_outputs(bias):
    g = torch.Generator().manual_seed(4)
    linear = Linear(8, 6, bias=bias, bias_std=1.0 if bias else None, generator=g)
    norm, _ = trainable_batchnorm(6)
    for step in range(20):  # give the running estimates something other than their 0 and 1 start
        norm(linear(batch(seed=20 + step)).detach())
    norm.training = False
    x = batch(seed=50, rows=5)
    with torch.no_grad():
        torch.testing.assert_close(fold_batchnorm(linear, norm)(x), norm(linear(x)), **TOL)
