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
from functools import partial
from pathlib import Path

import torch

from engine.cores import run_on_cores, training_work
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
    NETS_DIR.mkdir(parents=True, exist_ok=True)
    while missing := [path for path in paths.values() if not path.exists()]:
        # Train the missing nets no other script is training; then wait for the others, and
        # train any whose training failed elsewhere. A script waits only for the nets it needs.
        claimed = {path: lock for path in missing if (lock := _claim(path))}
        if claimed:
            warm_up()  # compiled once here, not in every worker
            mine = [(name, seed) for (name, seed), path in paths.items() if path in claimed]
            jobs = [partial(_train_and_keep, name, seed, data, steps, paths[name, seed], claimed[paths[name, seed]], progress)
                    for name, seed in mine]
            work = [training_work(build_mlp(name, torch.Generator().manual_seed(0)), steps) for name, _ in mine]
            try:
                run_on_cores(jobs, work)
            finally:
                for lock in claimed.values():
                    lock.close()
        else:
            with open(_lock_file(missing[0])) as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another script holds it while it trains that net
    return {seed: {name: _load(name, paths[name, seed]) for name in configs} for seed in seeds}


def _train_and_keep(name: str, seed: int, data: Dataset, steps: int, path: Path, lock, progress: bool) -> None:
    """Train one configuration with one seed, as `train_config` does, keep it, and let waiting scripts have it; runs in a worker process."""
    generator = torch.Generator().manual_seed(seed)
    model = build_mlp(name, generator)
    _keep(path, model, train_fast(model, data, steps, generator, progress=f"{name} (seed {seed})" if progress else None))
    fcntl.flock(lock, fcntl.LOCK_UN)  # the lock is shared with the process that claimed it: this releases it there too


def _lock_file(path: Path) -> Path:
    return path.with_suffix(".lock")


def _claim(path: Path):
    """The net's lock, held, if no other process holds it and the net is still missing; else None."""
    lock = open(_lock_file(path), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    if path.exists():  # trained by another process between our look and our lock
        lock.close()
        return None
    return lock


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
