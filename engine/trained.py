"""The lecture's MLP configurations, each trained once and kept, so that every page quotes one run.

Several pages look at the same trained nets: the loss log compares all five, the confident
start follows `original` and `softmax_fix`, the BatchNorm page opens up `batchnorm`. The
first script that asks for a configuration trains it (on the fast path); every later one
loads that very net, with its per-step losses, from .cache/nets/. A kept net is keyed by
everything that made it: the engine's code, the names file, the library versions, the
number of steps and the seed.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path

import torch

from engine.data import Dataset
from engine.fastpath import train_configs
from engine.layers import Sequential
from engine.model import DEFAULT_SEED, build_mlp
from engine.settings import CACHE_ROOT, engine_files, inputs_digest
from engine.train import TrainingRun

NETS_DIR = CACHE_ROOT / "nets"


def trained_mlps(
    configs: list[str], data: Dataset, steps: int, seed: int = DEFAULT_SEED, *, progress: bool = True
) -> dict[str, tuple[Sequential, TrainingRun]]:
    """Each configuration trained for `steps` as `engine.fastpath.train_configs` trains it: kept, or trained now."""
    key = inputs_digest([*engine_files(), data.path], steps, seed)
    paths = {name: NETS_DIR / f"{name}-{steps}-{seed}-{key}.pt" for name in configs}
    with _store_lock():  # another script may be training the same nets right now: wait for it
        missing = [name for name in configs if not paths[name].exists()]
        if missing:
            for name, (net, run) in train_configs(missing, data, steps, seed, progress=progress).items():
                _keep(paths[name], net, run)
        return {name: _load(name, paths[name]) for name in configs}


def _keep(path: Path, net: Sequential, run: TrainingRun) -> None:
    for stale in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.pt"):  # the same run, made by older code
        stale.unlink()
    tmp = path.with_suffix(".partial")
    torch.save({"state": net.state_dict(), "losses": run.losses, "initial_loss": run.initial_loss, "seconds": run.seconds}, tmp)
    tmp.replace(path)


def _load(name: str, path: Path) -> tuple[Sequential, TrainingRun]:
    kept = torch.load(path)
    net = build_mlp(name, torch.Generator().manual_seed(0))  # the shapes; the kept weights replace the draws
    net.load_state_dict(kept["state"])
    return net, TrainingRun(len(kept["losses"]), kept["losses"], kept["initial_loss"], kept["seconds"])


@contextmanager
def _store_lock():
    NETS_DIR.mkdir(parents=True, exist_ok=True)
    with open(NETS_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
