import threading
import time

import torch

from engine import trained
from engine.fastpath import train_config
from engine.model import DEFAULT_SEED


def test_a_configuration_is_trained_once_and_loaded_after(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(trained, "NETS_DIR", tmp_path)
    first = trained.trained_mlps(["kaiming", "batchnorm"], dataset, 120, progress=False)
    kept = sorted(p.name for p in tmp_path.glob("*.pt"))
    assert len(kept) == 2
    calls = []
    monkeypatch.setattr(trained, "run_on_cores", lambda jobs, work: calls.append(jobs) or [job() for job in jobs])
    again = trained.trained_mlps(["batchnorm"], dataset, 120, progress=False)
    assert calls == [], "a kept net is loaded, not trained again"
    net, run = again["batchnorm"]
    reference, reference_run = first["batchnorm"]
    assert torch.equal(run.losses, reference_run.losses) and run.initial_loss == reference_run.initial_loss
    for key, value in reference.state_dict().items():
        assert torch.equal(net.state_dict()[key], value), key  # BatchNorm's running estimates included
    trained.trained_mlps(["kaiming"], dataset, 60, progress=False)
    assert len(calls[-1]) == 1, "another length is another run"


def test_kept_nets_are_what_training_gives(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(trained, "NETS_DIR", tmp_path)
    net, run = trained.trained_mlps(["tanh_fix"], dataset, 80, progress=False)["tanh_fix"]
    fresh, fresh_run = train_config("tanh_fix", dataset, 80, progress=False)
    assert torch.equal(run.losses, fresh_run.losses)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), fresh.parameters()))


def test_several_seeds_train_in_workers_and_each_is_its_own_run(dataset, tmp_path, monkeypatch):
    """Three seeds of two configurations, trained in worker processes: each net is train_config's with its seed."""
    monkeypatch.setattr(trained, "NETS_DIR", tmp_path)
    seeds = [DEFAULT_SEED, DEFAULT_SEED + 1, DEFAULT_SEED + 2]
    by_seed = trained.trained_mlps_by_seed(["kaiming", "batchnorm"], dataset, 80, seeds, progress=False)
    assert list(by_seed) == seeds and len(list(tmp_path.glob("*.pt"))) == 6
    for seed in seeds:
        alone = {name: train_config(name, dataset, 80, seed, progress=False) for name in ["kaiming", "batchnorm"]}
        for name, (net, run) in by_seed[seed].items():
            assert torch.equal(run.losses, alone[name][1].losses), (name, seed)
            for key, value in alone[name][0].state_dict().items():
                assert torch.equal(net.state_dict()[key], value), (name, seed, key)
    assert not torch.equal(by_seed[seeds[0]]["kaiming"][1].losses, by_seed[seeds[1]]["kaiming"][1].losses)
    # The lecture's seed is the very run trained_mlps keeps: asking for it alone trains nothing.
    monkeypatch.setattr(trained, "run_on_cores", lambda jobs, work: 1 / 0)
    net, run = trained.trained_mlps(["kaiming"], dataset, 80, progress=False)["kaiming"]
    assert torch.equal(run.losses, by_seed[DEFAULT_SEED]["kaiming"][1].losses)


def test_a_net_another_script_is_training_is_waited_for_not_trained_again(dataset, tmp_path, monkeypatch):
    """Two scripts asking for overlapping nets: each trains what nobody else is training and waits only for the rest."""
    monkeypatch.setattr(trained, "NETS_DIR", tmp_path)
    paths = {}
    real_run_on_cores = trained.run_on_cores

    def recording(jobs, work):
        paths.setdefault("trained here", []).extend(job.args[4].name for job in jobs)
        return real_run_on_cores(jobs, work)

    monkeypatch.setattr(trained, "run_on_cores", recording)
    trained.trained_mlps(["kaiming"], dataset, 40, progress=False)  # how its file is named
    (kaiming_path,) = tmp_path.glob("kaiming-*.pt")
    tanh_fix_path = kaiming_path.with_name(kaiming_path.name.replace("kaiming", "tanh_fix"))
    other_script = trained._claim(tanh_fix_path)  # "another script" is training tanh_fix
    assert other_script is not None and trained._claim(tanh_fix_path) is None
    result = {}
    asking = threading.Thread(target=lambda: result.update(trained.trained_mlps(["softmax_fix", "tanh_fix"], dataset, 40, progress=False)))
    asking.start()
    time.sleep(1.0)
    assert asking.is_alive(), "it waits for the net the other script is training"
    trained._train_and_keep("tanh_fix", DEFAULT_SEED, dataset, 40, tanh_fix_path, other_script, False)  # which then finishes
    asking.join(timeout=60)
    other_script.close()
    assert set(result) == {"softmax_fix", "tanh_fix"}
    assert [name.split("-")[0] for name in paths["trained here"]] == ["kaiming", "softmax_fix"]
