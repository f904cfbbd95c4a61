"""Both cores busy, never more: independent jobs run in worker processes, one per free core.

A net this small cannot use two cores (a second thread only adds synchronisation, and two
Python threads fight over the interpreter lock), but two nets can: one single-thread process
each. `run_on_cores` runs jobs that way. The site build runs every lesson script at once, and
several may want workers, so every worker first takes one of the machine's core slots (a lock
file in .cache/cores/, shared by every process of this checkout): however many scripts run,
at most one training process per core computes at once, and a core freed by one script's
job is taken by the next job of any script.

Biggest first. When several jobs wait for a core, the one with the most work takes the next
free one (each waiting job leaves a ticket with its size in .cache/cores/). A build ends when
its last job does; started last, the small ones fill both cores to the end, where a big one
would leave the other core idle for as long as it runs.

Workers are forked, so a job may be any function and carry anything the caller made, an
observer class defined in a lesson script included; a job sends its result back pickled.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import pickle
import threading
import time
import traceback
from contextlib import contextmanager
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable, TypeVar

import psutil
import torch
from tqdm import tqdm

from engine.settings import CACHE_ROOT

SLOTS_DIR = CACHE_ROOT / "cores"
Result = TypeVar("Result")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def core_slot(work: float = 0.0):
    """Hold one of the machine's core slots for the length of a with-block; wait until one is free
    and no waiting job has more `work` (any unit, the same for every job: see run_on_cores)."""
    SLOTS_DIR.mkdir(parents=True, exist_ok=True)
    ticket = SLOTS_DIR / f"waiting-{os.getpid()}-{threading.get_ident()}"
    ticket.write_text(repr(float(work)))
    try:
        while True:
            if not _bigger_job_waiting(work, ticket):
                for slot in range(cores()):
                    handle = open(SLOTS_DIR / f"{slot}.lock", "w")
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        handle.close()
                        continue
                    ticket.unlink(missing_ok=True)
                    try:
                        yield slot
                    finally:
                        fcntl.flock(handle, fcntl.LOCK_UN)
                        handle.close()
                    return
            time.sleep(0.05)
    finally:
        ticket.unlink(missing_ok=True)


def _bigger_job_waiting(work: float, mine: Path) -> bool:
    """Whether another live process waits with a ticket for more work than ours (a dead one's ticket is removed)."""
    for ticket in SLOTS_DIR.glob("waiting-*"):
        if ticket == mine:
            continue
        try:
            theirs = float(ticket.read_text())
        except (OSError, ValueError):  # gone, or being written
            continue
        if not psutil.pid_exists(int(ticket.name.split("-")[1])):
            ticket.unlink(missing_ok=True)
        elif theirs > work:
            return True
    return False


def run_on_cores(jobs: list[Callable[[], Result]], work: list[float] | None = None) -> list[Result]:
    """Each job's result, in order; jobs run in forked workers, at most one per core, each holding a core slot.

    `work[i]` is how much work job i is, in a unit every caller shares: steps × parameters of
    the net it trains (`training_work`). Bigger jobs start first, here and across processes.
    A single job runs in this process (a fork would only cost time). A job that raises stops
    the others; its traceback becomes the message of the RuntimeError raised here.
    """
    work = list(work) if work is not None else [0.0] * len(jobs)
    if len(jobs) <= 1:
        with core_slot(sum(work)):
            return [job() for job in jobs]
    fork = multiprocessing.get_context("fork")
    results: dict[int, Result] = {}
    waiting = sorted(enumerate(jobs), key=lambda item: -work[item[0]])
    running = {}  # the reading end of each running worker's pipe → (job index, process)
    try:
        while waiting or running:
            while waiting and len(running) < cores():
                index, job = waiting.pop(0)
                receive, send = fork.Pipe(duplex=False)
                process = fork.Process(target=_work, args=(job, work[index], send), daemon=True)
                process.start()
                send.close()
                running[receive] = index, process
            for receive in wait(list(running)):
                index, process = running.pop(receive)
                try:
                    ok, payload = pickle.loads(receive.recv_bytes())
                except EOFError:
                    ok, payload = False, f"the worker died (exit code {process.join() or process.exitcode})"
                receive.close()
                process.join()
                if not ok:
                    raise RuntimeError(f"a training job failed in its worker process:\n{payload}")
                results[index] = payload
    finally:
        for index, process in running.values():
            process.kill()
            process.join()
    return [results[index] for index in range(len(jobs))]


def _work(job: Callable[[], Result], work: float, send) -> None:
    torch.set_num_threads(1)  # one core per worker: the point of the worker
    # A lock of its own for tqdm's bars. The one it was forked with is shared with the parent,
    # and may be held by a thread this copy does not have; and a worker killed while it writes a
    # bar (run_on_cores stops the others when a job fails) would leave every bar there waiting.
    tqdm.set_lock(threading.RLock())
    try:
        with core_slot(work):
            message = (True, job())
    except BaseException:  # noqa: BLE001 — everything goes back to the parent, which raises it
        message = (False, traceback.format_exc())
    send.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    send.close()


def training_work(net, steps: int) -> float:
    """A training job's size for run_on_cores: steps × parameters (a step costs about that many multiply-adds, times six)."""
    return float(steps * sum(p.numel() for p in net.parameters()))
