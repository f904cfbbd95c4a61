"""Both cores busy, never more: independent jobs run in worker processes, one per free core.

A net this small cannot use two cores (a second thread only adds synchronisation, and two
Python threads fight over the interpreter lock), but two nets can: one single-thread process
each. `run_on_cores` runs jobs that way. The site build runs two lesson scripts at a time, and
both may want workers, so every worker first takes one of the machine's core slots (a lock
file in .cache/cores/, shared by every process of this checkout): however many scripts run,
at most one training process per core computes at once, and a core freed by one script's
job is taken by the next job of either script.

Workers are forked, so a job may be any function and carry anything the caller made, an
observer class defined in a lesson script included; a job sends its result back pickled.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import pickle
import time
import traceback
from contextlib import contextmanager
from multiprocessing.connection import wait
from typing import Callable, TypeVar

import torch

from engine.settings import CACHE_ROOT

SLOTS_DIR = CACHE_ROOT / "cores"
Result = TypeVar("Result")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def core_slot():
    """Hold one of the machine's core slots for the length of a with-block; wait until one is free."""
    SLOTS_DIR.mkdir(parents=True, exist_ok=True)
    while True:
        for slot in range(cores()):
            handle = open(SLOTS_DIR / f"{slot}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield slot
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        time.sleep(0.05)


def run_on_cores(jobs: list[Callable[[], Result]]) -> list[Result]:
    """Each job's result, in order; jobs run in forked workers, at most one per core, each holding a core slot.

    A single job runs in this process (a fork would only cost time). A job that raises stops
    the others; its traceback becomes the message of the RuntimeError raised here.
    """
    if len(jobs) <= 1:
        with core_slot():
            return [job() for job in jobs]
    fork = multiprocessing.get_context("fork")
    results: dict[int, Result] = {}
    waiting = list(enumerate(jobs))
    running = {}  # the reading end of each running worker's pipe → (job index, process)
    try:
        while waiting or running:
            while waiting and len(running) < cores():
                index, job = waiting.pop(0)
                receive, send = fork.Pipe(duplex=False)
                process = fork.Process(target=_work, args=(job, send), daemon=True)
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


def _work(job: Callable[[], Result], send) -> None:
    torch.set_num_threads(1)  # one core per worker: the point of the worker
    try:
        with core_slot():
            message = (True, job())
    except BaseException:  # noqa: BLE001 — everything goes back to the parent, which raises it
        message = (False, traceback.format_exc())
    send.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    send.close()
