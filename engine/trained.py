"""The lecture's MLP configurations, each trained once and kept, so that every page quotes one run.

Several pages look at the same trained nets: the loss log compares all five, the confident
start follows `original` and `softmax_fix`, the BatchNorm page opens up `batchnorm`. The
first script that asks for a configuration trains it (on the fast path, engine.fastpath); every later one
loads that very net, with its per-step losses, from .cache/nets/. A kept net is keyed by
everything that made it: the engine's code, the names file, the library versions, the
number of steps and the seed.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import torch

from engine.cores import run_on_cores
from engine.data import Dataset
from engine.fastpath import train_fast, warm_up
from engine.layers import Sequential
from engine.model import DEFAULT_SEED, build_mlp
from engine.settings import CACHE_ROOT, engine_files, inputs_digest
from engine.train import TrainingRun

NETS_DIR = CACHE_ROOT / "nets"


def trained_mlps(
    configs: list[str], data: Dataset, steps: int, seed: int = DEFAULT_SEED, *, progress: bool = True
) -> dict[str, tuple[Sequential, TrainingRun]]:
    """Each configuration trained for `steps` as `engine.fastpath.train_config` trains it: kept, or trained now."""
    return trained_mlps_by_seed(configs, data, steps, [seed], progress=progress)[seed]


def trained_mlps_by_seed(
    configs: list[str], data: Dataset, steps: int, seeds: list[int], *, progress: bool = True
) -> dict[int, dict[str, tuple[Sequential, TrainingRun]]]:
    """Every configuration trained with every seed, by seed: `result[seed][config]` is (net, run).

    A run with seed s is the one `train_config(config, data, steps, s)` gives (weights and
    minibatches drawn from a generator seeded s), and it is kept under its seed: asking for
    seeds [DEFAULT_SEED, DEFAULT_SEED + 1] reuses the DEFAULT_SEED nets that `trained_mlps` made.
    The missing nets train in worker processes, one per core at a time (engine.cores).
    """
    key = inputs_digest([*engine_files(), data.path], steps)
    paths = {(name, seed): NETS_DIR / f"{name}-{steps}-{seed}-{key}.pt" for seed in seeds for name in configs}
    with _store_lock():  # another script may be training the same nets right now: wait for it
        missing = [pair for pair, path in paths.items() if not path.exists()]
        if missing:
            warm_up()  # compiled once here, not in every worker
        run_on_cores([partial(_train_and_keep, name, seed, data, steps, paths[name, seed], progress) for name, seed in missing])
        return {seed: {name: _load(name, paths[name, seed]) for name in configs} for seed in seeds}


def _train_and_keep(name: str, seed: int, data: Dataset, steps: int, path: Path, progress: bool) -> None:
    """Train one configuration with one seed, as `train_config` does, and keep it; runs in a worker process."""
    generator = torch.Generator().manual_seed(seed)
    model = build_mlp(name, generator)
    _keep(path, model, train_fast(model, data, steps, generator, progress=f"{name} (seed {seed})" if progress else None))


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
