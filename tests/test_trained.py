import torch

from engine import trained
from engine.fastpath import train_configs


def test_a_configuration_is_trained_once_and_loaded_after(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(trained, "NETS_DIR", tmp_path)
    first = trained.trained_mlps(["kaiming", "batchnorm"], dataset, 120, progress=False)
    kept = sorted(p.name for p in tmp_path.glob("*.pt"))
    assert len(kept) == 2
    calls = []
    monkeypatch.setattr(trained, "train_configs", lambda *args, **kwargs: calls.append(args) or train_configs(*args, **kwargs))
    again = trained.trained_mlps(["batchnorm"], dataset, 120, progress=False)
    assert not calls, "a kept net is loaded, not trained again"
    net, run = again["batchnorm"]
    reference, reference_run = first["batchnorm"]
    assert torch.equal(run.losses, reference_run.losses) and run.initial_loss == reference_run.initial_loss
    for key, value in reference.state_dict().items():
        assert torch.equal(net.state_dict()[key], value), key  # BatchNorm's running estimates included
    trained.trained_mlps(["kaiming"], dataset, 60, progress=False)
    assert len(calls) == 1, "another length is another run"


def test_kept_nets_are_what_training_gives(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(trained, "NETS_DIR", tmp_path)
    net, run = trained.trained_mlps(["tanh_fix"], dataset, 80, progress=False)["tanh_fix"]
    fresh, fresh_run = train_configs(["tanh_fix"], dataset, 80, progress=False)["tanh_fix"]
    assert torch.equal(run.losses, fresh_run.losses)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), fresh.parameters()))
