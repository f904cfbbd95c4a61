"""How fast the engine trains and the site builds, against the lecture's loop.

    python -m benchmark                    # full length: about 20 minutes on 2 cores
    python -m benchmark --quick            # about 3 minutes: fewer steps, a quick-mode site
    python -m benchmark --json bench.json  # also write every number as JSON

Measured side by side in one run, on this machine:

1. µs per training step of `kaiming` and `batchnorm` (the lecture's MLP) and of the depth pages'
   five-layer nets without and with BatchNorm: the fast path (engine.fastpath's compiled loop)
   against the lecture's loop (engine.train.train: autograd, a Python loop over the parameters
   for the update), the loop timed at torch's default thread count and at one thread.
2. The whole loss log (all five configurations, 200,000 steps each): the lecture's loop at its
   faster thread setting, one configuration after another, against the fast path, one after
   another, and with the loss log's three seeds as the lesson trains them (`trained_mlps_by_seed`:
   one worker process per core); and whether their final train and val losses agree within 0.01
   (same weights, same minibatches: only rounding differs).
3. A cold `mkdocs build` (empty caches), a warm rebuild (nothing changed), and the time from
   saving a Markdown page to the rebuilt page under `mkdocs serve`.
4. Each of issue 15's targets against what this run measured, and the README's speed table.

Every measurement runs in a fresh process, so each has its own peak memory (the largest
process's resident set, lesson kernels included) and its own thread setting. Timings on a
shared machine are noisy: the step timings interleave the variants and keep each one's best
of several runs. This is a benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import torch

from engine import cores, trained
from engine.data import load_dataset
from engine.fastpath import split_loss as fast_split_loss
from engine.fastpath import train_config, train_fast
from engine.model import CONFIGS, DEFAULT_SEED, build_deep_net, build_mlp
from engine.trained import trained_mlps_by_seed
from engine.settings import REPO_ROOT, SettingError, exit_on_setting_error, lesson_threads, use_lesson_threads
from engine.train import FULL_STEPS, split_loss, train

AGREEMENT = 0.01  # the largest difference in a final loss that still counts as the same result
EDITED_PAGE = "index.md"  # the page the serve measurement edits (and restores): the home page


# ----------------------------------------------------------------------------------------------
# what runs in each measured process


def run_worker(default_threads: int, spec: dict) -> dict:
    """Train what `spec` asks for in this process; one result per net, plus the total time.

    kind "loop": the lecture's loop (engine.train.train) on spec["threads"] threads ("default":
    torch's own choice). kind "engine": the fast path for each net in turn (`train_config` for a
    configuration, `train_fast` for a deep net); kind "seeds": what the loss log runs, `trained_mlps_by_seed` with SEEDS on an empty
    cache (one worker process per core), its results keyed "<config>" for the lecture's seed and
    "<config>@<seed>" for the others. The engine kinds run on the lessons' thread setting.
    With spec["evaluate"], each net's final train and val losses too.
    """
    if spec["kind"] == "loop":
        torch.set_num_threads(default_threads if spec["threads"] == "default" else int(spec["threads"]))
    else:
        use_lesson_threads()
    data, steps, names = load_dataset(), spec["steps"], spec["configs"]
    start = time.perf_counter()
    if spec["kind"] == "loop":
        trained = {}
        for name in names:
            generator = torch.Generator().manual_seed(DEFAULT_SEED)
            model = build_net(name, generator)
            trained[name] = model, train(model, data, steps, generator)
    elif spec["kind"] == "seeds":
        with tempfile.TemporaryDirectory(prefix="benchmark-nets-") as nets_dir, _nets_kept_in(Path(nets_dir)):
            by_seed = trained_mlps_by_seed(names, data, steps, SEEDS, progress=False)
        trained = {(name if seed == DEFAULT_SEED else f"{name}@{seed}"): net_run for seed, nets in by_seed.items() for name, net_run in nets.items()}
    else:
        trained = {}
        for name in names:
            if name in CONFIGS:
                trained[name] = train_config(name, data, steps, progress=False)
            else:
                generator = torch.Generator().manual_seed(DEFAULT_SEED)
                model = build_net(name, generator)
                trained[name] = model, train_fast(model, data, steps, generator)
    training_wall = time.perf_counter() - start
    # Each side evaluates as it trains: the lecture's loop through torch, the engine as the lessons do.
    evaluate = split_loss if spec["kind"] == "loop" else fast_split_loss
    results = {}
    for name, (model, run) in trained.items():
        results[name] = {"seconds": run.seconds}
        if spec["evaluate"]:
            results[name] |= {"train_loss": evaluate(model, data, "train"), "val_loss": evaluate(model, data, "val")}
    for result in results.values():
        result["us_per_step"] = result["seconds"] / steps * 1e6
    return {"configs": results, "seconds": time.perf_counter() - start, "training_wall": training_wall, "threads": torch.get_num_threads()}


SEEDS = [DEFAULT_SEED, DEFAULT_SEED + 1, DEFAULT_SEED + 2]  # the loss log's seeds (lessons/04_loss_log.py)
DEEP_NETS = {"deep": False, "deep_batchnorm": True}  # the depth pages' nets, by whether they have BatchNorm


def build_net(name: str, generator: torch.Generator):
    """A configuration of the lecture's MLP, or one of the depth pages' deep nets."""
    return build_mlp(name, generator) if name in CONFIGS else build_deep_net(generator, batchnorm=DEEP_NETS[name])


class _nets_kept_in:
    """Keep trained nets (and the core slots) in another folder for the length of a with-block."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.saved = trained.NETS_DIR, cores.SLOTS_DIR
        trained.NETS_DIR, cores.SLOTS_DIR = self.folder / "nets", self.folder / "cores"

    def __exit__(self, *exc):
        trained.NETS_DIR, cores.SLOTS_DIR = self.saved


# The measured process records torch's default thread count before anything sets it.
_WORKER = (
    "import json, sys, torch\n"
    "default_threads = torch.get_num_threads()\n"
    "from benchmark.__main__ import run_worker\n"
    "print(json.dumps(run_worker(default_threads, json.loads(sys.argv[1]))))\n"
)


def measured(argv: list[str], *, env: dict | None = None, cwd: Path = REPO_ROOT) -> dict:
    """Run a command to the end: its wall seconds, the peak resident set of its largest process, its output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env={**os.environ, **(env or {})})
        # wait4 gives this child's resource usage: ru_maxrss is the largest peak of it and its descendants.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv[:4]))} … failed (exit {process.returncode}):\n{output[-3000:]}")
    return {"seconds": seconds, "peak_mib": _kib_to_mib(usage.ru_maxrss), "output": output}


def _kib_to_mib(kib: int) -> float:
    return kib / 1024  # Linux reports ru_maxrss in KiB


def worker(kind: str, configs: list[str], steps: int, threads: str | int = "engine", evaluate: bool = True) -> dict:
    """`run_worker` in a fresh process; its result plus the process's wall time and peak memory."""
    spec = {"kind": kind, "configs": configs, "steps": steps, "threads": threads, "evaluate": evaluate}
    run = measured([sys.executable, "-c", _WORKER, json.dumps(spec)])
    result = json.loads(run["output"].strip().splitlines()[-1])
    return {**result, "wall_seconds": run["seconds"], "peak_mib": run["peak_mib"]}


# ----------------------------------------------------------------------------------------------
# the measurements


STEP_NETS = ["kaiming", "batchnorm", *DEEP_NETS]  # one configuration, the BatchNorm MLP, the depth pages' two nets


def step_times(steps: int, repeats: int, log=print) -> dict:
    """µs per step of the fast path and the lecture's loop (default threads, one thread), interleaved; best of `repeats`."""
    variants = {"engine": ("engine", "engine"), "loop_default": ("loop", "default"), "loop_1": ("loop", 1)}
    best = {}
    for repeat in range(repeats):
        for name in STEP_NETS:
            for variant, (kind, threads) in variants.items():
                # The loop runs a fifth of the steps: its µs per step is steady, and at torch's default
                # thread count on a busy machine a step can take ten times as long.
                result = worker(kind, [name], steps if kind == "engine" else max(steps // 5, 200), threads, evaluate=False)
                us = result["configs"][name]["us_per_step"]
                log(f"  {name:14s} {variant:17s} run {repeat + 1}/{repeats}: {us:6.1f} µs/step on {result['threads']} thread(s)")
                key = (name, variant)
                if key not in best or us < best[key]["us_per_step"]:
                    best[key] = {"us_per_step": us, "threads": result["threads"], "peak_mib": result["peak_mib"]}
    table = {}
    for name in STEP_NETS:
        row = {variant: best[name, variant] for variant in variants}
        faster = min(("loop_default", "loop_1"), key=lambda v: row[v]["us_per_step"])
        row["loop_faster"] = faster
        row["speedup"] = row[faster]["us_per_step"] / row["engine"]["us_per_step"]
        table[name] = row
    return table


def loss_logs(steps: int, loop_threads, log=print) -> dict:
    """The whole loss log four ways, with each configuration's final losses and their agreement.

    The lecture's loop and the fast path, one configuration after another, train the five configurations with the lecture's seed; "seeds" trains what the loss log trains,
    every configuration with each of SEEDS, as the lesson does. The loop would take as long for
    each seed (same nets, same number of steps), so its time for all of SEEDS is counted as
    len(SEEDS) times its one-seed time rather than measured (another half hour at full length).
    "training" counts the training only; "total" adds evaluating every net on the full train
    and val splits.
    """
    names = list(CONFIGS)
    runs = {}
    for label, threads in [("loop", loop_threads), ("engine", "engine"), ("seeds", "engine")]:
        count = len(names) * (len(SEEDS) if label == "seeds" else 1)
        log(f"  loss log, {label} ({count} × {steps:,} steps) …")
        run = worker(label, names, steps, threads)
        # In workers the nets share the time: what the caller waits is the wall time.
        run["training_seconds"] = run["training_wall"] if label == "seeds" else sum(result["seconds"] for result in run["configs"].values())
        runs[label] = run
        log(f"    {run['training_seconds']:.1f} s training, {run['seconds']:.1f} s in all")
    agreement = {name: agreement_of(runs["loop"]["configs"][name], runs["engine"]["configs"][name]) for name in names}
    agreement_seeds = {name: agreement_of(runs["loop"]["configs"][name], runs["seeds"]["configs"][name]) for name in names}
    loop = runs["loop"]
    speedup = {
        label: {"training": loop["training_seconds"] / run["training_seconds"], "total": loop["seconds"] / run["seconds"]}
        for label, run in runs.items()
        if label != "seeds"
    }
    speedup["seeds"] = {
        "training": len(SEEDS) * loop["training_seconds"] / runs["seeds"]["training_seconds"],
        "total": len(SEEDS) * loop["seconds"] / runs["seeds"]["seconds"],
    }
    return {
        "steps": steps,
        "seeds": SEEDS,
        "runs": runs,
        "agreement": agreement,
        "all_agree": all(a["agrees"] for a in [*agreement.values(), *agreement_seeds.values()]),
        "speedup": speedup,
    }


def agreement_of(loop: dict, engine: dict) -> dict:
    """Do two runs of one configuration end with the same train and val losses, within AGREEMENT?"""
    gaps = {split: abs(loop[f"{split}_loss"] - engine[f"{split}_loss"]) for split in ("train", "val")}
    return {**{f"{split}_gap": gap for split, gap in gaps.items()}, "agrees": all(gap <= AGREEMENT for gap in gaps.values())}


def site_builds(quick: bool, log=print) -> dict:
    """A cold build, a warm rebuild and the edit-to-page time under `mkdocs serve`, all on fresh caches.

    Every cache a fresh clone lacks starts empty: the lesson runs and the site's pieces
    (LESSONS_CACHE_DIR), numba's compiled loop (NUMBA_CACHE_DIR), and mkdocs-jupyter's rendered
    notebooks (kept under .cache/mkdocs-jupyter of the working directory, so the builds run in a
    scratch directory).
    """
    with tempfile.TemporaryDirectory(prefix="lessons-benchmark-") as scratch:
        scratch = Path(scratch)
        env = {"LESSONS_CACHE_DIR": str(scratch / "cache"), "NUMBA_CACHE_DIR": str(scratch / "numba"),
               "LESSONS_QUICK": "1" if quick else "0"}
        build = [sys.executable, "-m", "mkdocs", "build", "-f", str(REPO_ROOT / "mkdocs.yml"), "--site-dir", str(scratch / "site")]
        log(f"  cold mkdocs build{' (quick mode)' if quick else ''} …")
        cold = measured(build, env=env, cwd=scratch)
        cold["scripts"] = {slug: int(seconds) for slug, seconds in re.findall(r"(\d\d_\w+): done in (\d+) s$", cold["output"], re.M)}
        log(f"    {cold['seconds']:.1f} s ({', '.join(f'{slug} {s} s' for slug, s in cold['scripts'].items())})")
        # If someone edits the engine meanwhile (a shared checkout), a rebuild retrains: that is not
        # a warm rebuild, so build again until one runs no lesson script.
        for attempt in range(1, 4):
            warm = measured(build, env=env, cwd=scratch)
            warm["retrained_before"] = attempt - 1
            if "lesson script(s)" not in warm["output"]:
                break
            log(f"  rebuild {attempt} retrained: the engine or a script changed during the benchmark")
        log(f"  warm rebuild: {warm['seconds']:.1f} s")
        serve = serve_edit_times(env, scratch, trials=1 if quick else 3, log=log)
    return {
        "cold": {k: v for k, v in cold.items() if k != "output"},
        "warm": {k: v for k, v in warm.items() if k != "output"},
        "serve": serve,
        "quick": quick,
    }


def serve_edit_times(env: dict, cwd: Path, trials: int, log=print) -> dict:
    """Start `mkdocs serve`, append a unique line to a real page, time until the served page shows it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    argv = [sys.executable, "-m", "mkdocs", "serve", "-f", str(REPO_ROOT / "mkdocs.yml"), "-a", f"127.0.0.1:{port}"]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env={**os.environ, **env})
    seconds = []
    try:
        _wait_for(lambda: _fetch(url) is not None, timeout=900, what=f"mkdocs serve on {url}", server=server)
        # The site is served under site_url's path; "/" only redirects there. Poll the page itself:
        # the server logs each redirect as a warning, and a warning during a rebuild fails it (strict mode).
        with urllib.request.urlopen(url, timeout=5) as response:
            url = response.geturl()
        page = REPO_ROOT / "docs" / EDITED_PAGE
        for _ in range(trials):
            token = f"bench-{uuid.uuid4().hex[:12]}"
            with temporary_line(page, f"\n\n{token}\n"):
                saved = time.perf_counter()
                _wait_for(lambda: token in (_fetch(url) or ""), timeout=120, what=f"{token} on {url}", server=server)
                seconds.append(time.perf_counter() - saved)
            _wait_for(lambda: token not in (_fetch(url) or ""), timeout=120, what=f"{url} without {token}", server=server)
            log(f"  edit → served page: {seconds[-1]:.2f} s")
    finally:
        if server.returncode is None:  # still running (an exited server was reaped by poll, and raised above)
            server.terminate()
            _, _, usage = os.wait4(server.pid, 0)
            server.returncode = -15
    return {"seconds": seconds, "median_seconds": statistics.median(seconds), "peak_mib": _kib_to_mib(usage.ru_maxrss)}


class temporary_line:
    """Append `text` to a file for the length of a with-block, then take it out again, whatever happens.

    If someone else saved the file in the meantime, only our text is removed, not their edit.
    """

    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text

    def __enter__(self):
        self.original = self.path.read_bytes()
        self.path.write_bytes(self.original + self.text.encode())
        return self

    def __exit__(self, *exc):
        now = self.path.read_bytes()
        self.path.write_bytes(self.original if now == self.original + self.text.encode() else now.replace(self.text.encode(), b""))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode(errors="replace")
    except OSError:
        return None


def _wait_for(condition, timeout: float, what: str, poll: float = 0.05, server: subprocess.Popen | None = None) -> None:
    """Wait until `condition()`; fail after `timeout` seconds, or at once if `server` has exited."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"mkdocs serve exited (status {server.returncode}) while waiting for {what}")
        if time.perf_counter() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(poll)


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")] if cpuinfo.exists() else []
    return {
        "cpu": names[0] if names else platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


# ----------------------------------------------------------------------------------------------
# the report


def report(results: dict) -> str:
    """The benchmark's table, as printed."""
    m = results["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']:.0f} GiB; torch {m['torch']}; load average {m['load_average'][0]:.2f} at start", ""]
    steps = results["step_times"]
    lines += [f"µs per training step (best of {steps['repeats']} runs of {steps['steps']:,} steps, the loop's of a fifth as many; peak memory in MiB)", ""]
    lines += ["| config | engine | loop, default threads | loop, 1 thread | fast path speed-up vs faster loop |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, row in steps["table"].items():
        cells = [f"{row[v]['us_per_step']:.0f} µs ({row[v]['peak_mib']:.0f} MiB)" for v in ("engine", "loop_default", "loop_1")]
        cells[1] += f" [{row['loop_default']['threads']} threads]"
        lines.append(f"| {name} | {' | '.join(cells)} | {row['speedup']:.2f}× |")
    log = results["loss_log"]
    runs = log["runs"]
    seeds = len(log["seeds"])
    lines += ["", f"the whole loss log: {len(CONFIGS)} configurations × {log['steps']:,} steps, one seed or {seeds} (total: with evaluation)", ""]
    lines += ["| run | nets | training s | µs per net-step | total s | peak MiB | speed-up, training | speed-up, total |"]
    lines += ["| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    labels = {
        "loop": f"lecture's loop, one after another ({runs['loop']['threads']} thread(s))",
        "engine": "fast path, one after another (`train_config`)",
        "seeds": f"fast path, {seeds} seeds as the loss log trains them (`trained_mlps_by_seed`, one worker per core)",
    }
    for label, run in runs.items():
        nets = len(run["configs"])
        speedup = log["speedup"][label]
        lines.append(
            f"| {labels[label]} | {nets} | {run['training_seconds']:.1f} | {run['training_seconds'] / log['steps'] / nets * 1e6:.0f} | {run['seconds']:.1f} "
            f"| {run['peak_mib']:.0f} | {speedup['training']:.2f}× | {speedup['total']:.2f}× |"
        )
    loop = runs["loop"]
    lines.append(f"| lecture's loop, {seeds} seeds one after another ({seeds} × its one-seed time, not run) | {seeds * len(loop['configs'])} "
                 f"| {seeds * loop['training_seconds']:.1f} | | {seeds * loop['seconds']:.1f} | | | |")
    lines += ["", f"agreement of final losses, fast path vs loop (within {AGREEMENT})", ""]
    lines += ["| config | loop train | engine train | loop val | engine val | agrees |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name, a in log["agreement"].items():
        t, e = runs["loop"]["configs"][name], runs["engine"]["configs"][name]
        lines.append(f"| {name} | {t['train_loss']:.4f} | {e['train_loss']:.4f} | {t['val_loss']:.4f} | {e['val_loss']:.4f} | {'yes' if a['agrees'] else 'NO'} |")
    lines += ["", "targets (issue 15)", "", "| target | measured | met |", "| --- | ---: | --- |"]
    lines += [f"| {what} | {value} | {met} |" for what, value, met in targets(results)]
    if "site_error" in results:
        lines += ["", "the site did not build, so it was not measured: " + " / ".join(results["site_error"])]
    if "site" in results:
        site = results["site"]
        lines += ["", f"the site{' (quick mode)' if site['quick'] else ''}", "", "| step | seconds | peak MiB |", "| --- | ---: | ---: |"]
        scripts = ", ".join(f"{slug} {seconds} s" for slug, seconds in site["cold"].get("scripts", {}).items())
        lines.append(f"| cold `mkdocs build` (empty caches; scripts: {scripts}) | {site['cold']['seconds']:.1f} | {site['cold']['peak_mib']:.0f} |")
        retrained = site["warm"].get("retrained_before", 0)
        note = f" (after {retrained} rebuild(s) that retrained: files changed during the benchmark)" if retrained else ""
        lines.append(f"| warm rebuild (nothing changed){note} | {site['warm']['seconds']:.1f} | {site['warm']['peak_mib']:.0f} |")
        serve = site["serve"]
        each = ", ".join(f"{s:.2f}" for s in serve["seconds"])
        lines.append(f"| Markdown edit → page under `mkdocs serve` (median of {each}) | {serve['median_seconds']:.2f} | {serve['peak_mib']:.0f} |")
    return "\n".join(lines)


def readme_table(results: dict) -> str:
    """The README's speed table, as this run measured it: paste it over the old one."""
    table, log = results["step_times"]["table"], results["loss_log"]
    labels = {"kaiming": "`kaiming`", "batchnorm": "`batchnorm` MLP", "deep": "deep net (5 × 100 tanh)", "deep_batchnorm": "deep net with BatchNorm"}
    lines = ["| measurement | lecture's loop | fast path |", "| --- | ---: | ---: |"]
    for name, label in labels.items():
        row = table[name]
        loop = row[row["loop_faster"]]["us_per_step"]
        lines.append(f"| {label}, µs per step | {loop:,.0f} | {row['engine']['us_per_step']:,.0f} ({row['speedup']:.2f}×) |")
    seeds, loop, fast = len(log["seeds"]), log["runs"]["loop"], log["runs"]["seeds"]
    lines.append(f"| loss log, {len(CONFIGS)} configurations × {seeds} seeds × {log['steps']:,} steps | {seeds} × {loop['training_seconds']:,.0f} s "
                 f"| {fast['training_seconds']:,.0f} s ({log['speedup']['seeds']['training']:.1f}×) |")
    if "site" in results:
        site = results["site"]
        quick = " (quick mode)" if site["quick"] else ""
        lines.append(f"| cold `mkdocs build`{quick}: empty caches, every lesson trained | | {site['cold']['seconds']:,.0f} s |")
        lines.append(f"| warm rebuild, nothing changed | | {site['warm']['seconds']:.1f} s |")
        lines.append(f"| Markdown edit shown by `mkdocs serve` | | {site['serve']['median_seconds']:.2f} s |")
    return "\n".join(lines)


def targets(results: dict) -> list[tuple[str, str, str]]:
    """Each of the issue's speed targets: what it asks, what this run measured, and whether that meets it."""
    def row(what, value, unit, ok, valid=True):
        return what, f"{value:.2f}{unit}", ("yes" if ok else "NO") if valid else "not measured at full length (--quick)"

    table, log = results["step_times"]["table"], results["loss_log"]
    rows = [
        row("one configuration (`kaiming`): fast path ≥ 2.5× the lecture's loop", table["kaiming"]["speedup"], "×", table["kaiming"]["speedup"] >= 2.5),
        row(f"the loss log with {len(log['seeds'])} seeds ≥ 5× the loop one after another", log["speedup"]["seeds"]["training"], "×", log["speedup"]["seeds"]["training"] >= 5),
        row("the five-layer BatchNorm net ≥ 2.5× its autograd loop", table["deep_batchnorm"]["speedup"], "×", table["deep_batchnorm"]["speedup"] >= 2.5),
    ]
    if "site" in results:
        site, full = results["site"], not results["site"]["quick"]
        rows += [
            row("cold full build ≤ 150 s", site["cold"]["seconds"], " s", site["cold"]["seconds"] <= 150, full),
            row("warm rebuild ≤ 3 s", site["warm"]["seconds"], " s", site["warm"]["seconds"] <= 3),
            row("Markdown edit shown by `mkdocs serve` ≤ 1.5 s", site["serve"]["median_seconds"], " s", site["serve"]["median_seconds"] <= 1.5),
        ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and a quick-mode site: a few minutes")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every measurement to PATH as JSON")
    args = parser.parse_args(argv)
    try:
        lesson_threads()  # the engine's workers read it: a bad value is one line here, not a traceback in each
    except SettingError as err:
        exit_on_setting_error(err)
    log = lambda text: print(text, file=sys.stderr, flush=True)  # progress on stderr, the table on stdout

    results = {"machine": machine(), "quick": args.quick}
    step_steps, repeats = (2_000, 1) if args.quick else (10_000, 3)
    log("step times …")
    table = step_times(step_steps, repeats, log=log)
    results["step_times"] = {"steps": step_steps, "repeats": repeats, "table": table}
    # The loop's faster thread setting, judged on both configurations together.
    faster = min(("loop_default", "loop_1"), key=lambda v: sum(row[v]["us_per_step"] for row in table.values()))
    threads = "default" if faster == "loop_default" else 1
    log("loss log …")
    results["loss_log"] = loss_logs(2_000 if args.quick else FULL_STEPS, threads, log=log)
    log("site …")
    try:
        results["site"] = site_builds(args.quick, log=log)
    except (RuntimeError, TimeoutError) as err:  # a page broken mid-edit: keep the training numbers measured so far
        results["site_error"] = str(err).strip().splitlines()[-3:]
        log(f"  the site did not build: {' / '.join(results['site_error'])}")
    results["machine"]["load_average_end"] = os.getloadavg()
    results["peak_mib_self"] = _kib_to_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

    print(report(results))
    print("\nthe README's speed table\n\n" + readme_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if not results["loss_log"]["all_agree"]:
        print(f"\nerror: the engine's and the loop's final losses differ by more than {AGREEMENT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
