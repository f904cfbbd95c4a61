"""One training process per core: the core slots, and jobs in worker processes."""

import os
import threading
import time

import pytest

from engine import cores


@pytest.fixture(autouse=True)
def slots_of_our_own(tmp_path, monkeypatch):
    """Slots apart from the checkout's, which a build running beside the tests may hold."""
    monkeypatch.setattr(cores, "SLOTS_DIR", tmp_path / "cores")


def test_a_slot_is_free_only_when_fewer_than_cores_are_held():
    got = threading.Event()

    def another():
        with cores.core_slot():
            got.set()

    held = [cores.core_slot() for _ in range(cores.cores())]
    for slot in held:
        slot.__enter__()
    waiter = threading.Thread(target=another)
    waiter.start()
    assert not got.wait(0.5), "every core is taken: nobody else may start"
    held[0].__exit__(None, None, None)
    assert got.wait(5), "a freed core is taken"
    waiter.join()
    for slot in held[1:]:
        slot.__exit__(None, None, None)


def spans(seconds):
    start = time.time()
    time.sleep(seconds)
    return os.getpid(), start, time.time()


def test_jobs_run_in_order_in_workers_never_more_at_once_than_cores():
    jobs = [lambda: spans(0.3) for _ in range(cores.cores() + 2)]
    results = cores.run_on_cores(jobs)
    assert len(results) == len(jobs) and all(pid != os.getpid() for pid, _, _ in results)
    for _, start, _ in results:
        running = sum(1 for _, s, e in results if s <= start < e)
        assert running <= cores.cores()
    assert cores.run_on_cores([lambda: os.getpid()]) == [os.getpid()], "one job runs here: a fork would only cost time"


def test_a_failing_job_raises_with_its_traceback():
    def broken():
        raise ValueError("no such net")

    with pytest.raises(RuntimeError, match="ValueError: no such net"):
        cores.run_on_cores([lambda: 1, broken])


@pytest.mark.skipif(cores.cores() < 2, reason="the two jobs must run at once")
def test_a_worker_killed_inside_a_progress_bar_leaves_this_process_its_bars(tmp_path):
    """A failing job stops the others at once (SIGKILL), whatever they are doing. tqdm holds a
    lock while it writes a bar, shared by every process forked after it was made: a worker killed
    then kept it held, and the next bar here waited for ever (seen in a test run)."""
    from tqdm import tqdm

    from engine.progress import progress_bar

    tqdm.get_lock()  # made before the workers are forked, as by any bar shown before them
    writing = tmp_path / "writing"

    def writes_a_bar():
        with tqdm.get_lock():
            writing.touch()
            time.sleep(60)

    def fails_while_the_other_writes():
        deadline = time.monotonic() + 30
        while not writing.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise ValueError("stopped while the other wrote its bar")

    with pytest.raises(RuntimeError, match="stopped while"):
        cores.run_on_cores([writes_a_bar, fails_while_the_other_writes])
    shown = threading.Event()
    threading.Thread(target=lambda: (progress_bar(1, None).close(), shown.set()), daemon=True).start()
    assert shown.wait(10), "a bar in this process waits for a lock that a killed worker held"


def test_the_biggest_waiting_job_takes_the_next_free_core():
    order = []

    def waiter(work):
        with cores.core_slot(work):
            order.append(work)

    held = [cores.core_slot() for _ in range(cores.cores())]
    for slot in held:
        slot.__enter__()
    threads = [threading.Thread(target=waiter, args=(work,)) for work in (1.0, 3.0, 2.0)]
    for thread in threads:
        thread.start()
    while len(list(cores.SLOTS_DIR.glob("waiting-*"))) < 3:  # all three have left their tickets
        time.sleep(0.01)
    held[0].__exit__(None, None, None)  # one core free: the waiters take it one after another
    for thread in threads:
        thread.join(10)
    assert order == [3.0, 2.0, 1.0], "the biggest first, whatever order they came in"
    assert not list(cores.SLOTS_DIR.glob("waiting-*")), "every ticket removed"
    for slot in held[1:]:
        slot.__exit__(None, None, None)


def test_a_dead_processs_ticket_is_not_waited_for(tmp_path):
    cores.SLOTS_DIR.mkdir(parents=True, exist_ok=True)
    dead = cores.SLOTS_DIR / "waiting-999999999-1"
    dead.write_text("1e30")
    with cores.core_slot(1.0):
        pass
    assert not dead.exists()
