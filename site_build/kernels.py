"""Where the lesson runner's workers and kernels come from.

Each lesson script runs in a Jupyter kernel, driven by a worker process (site_build.lesson_runs).
Started as a new Python, every kernel imports torch, numba and IPython for itself (about 2
CPU-seconds) and every worker Jupyter's client (half a second), seven times in a build. On
Linux they are forked instead: the workers from multiprocessing's fork server, which imports
those libraries once, and each kernel from its worker (`ForkedKernel`). A kernel forked from a
worker that has them is the kernel `python -m ipykernel_launcher` would start, without the
imports (tests/test_kernels.py holds the two alike). Running the seven scripts in quick mode
took 52 CPU-seconds with new Pythons and takes 41 forked.

The fork server imports site_build.preload: third-party libraries and numba's typed lists,
nothing of the project's own, so that `mkdocs serve` never runs an edited script against a
stale engine. It lives as long as the process that started it: under `mkdocs serve`, idle
between builds, holding its libraries (about 300 MB). Elsewhere (macOS, Windows) workers and
kernels start as new Pythons.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import traceback
import uuid
from typing import Any

FORKED = sys.platform == "linux"
PRELOAD = ["site_build.preload"]  # what the fork server imports once for every worker and kernel


def worker_context() -> multiprocessing.context.BaseContext:
    """How the runner starts its workers: never forked from the runner itself, whose threads
    (`mkdocs serve`'s, a test run's) could leave a lock held in the copy for ever."""
    if not FORKED:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def kernel_manager(**options):
    """A jupyter_client KernelManager whose kernel, on Linux, is forked from this process."""
    from jupyter_client import KernelManager

    kernel_id = str(uuid.uuid4())
    manager = KernelManager(kernel_id=kernel_id, **options)
    if FORKED and threading.active_count() == 1:  # a fork copies only the thread that makes it
        manager.provisioner = _forked_kernel_class()(kernel_id=kernel_id, kernel_spec=manager.kernel_spec, parent=manager)
    return manager


def _forked_kernel_class():
    from jupyter_client.provisioning import LocalProvisioner

    class ForkedKernel(LocalProvisioner):
        """jupyter_client's local kernel, forked from this process instead of run as `cmd`."""

        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            env = {**kwargs.get("env", os.environ), "JPY_PARENT_PID": str(os.getpid())}
            # The kernel exits if this process dies. ipykernel reads JPY_PARENT_PID when it is
            # imported, which for a forked kernel was before the variable was set: say it again.
            cmd = [*cmd, f"--IPKernelApp.parent_handle={os.getpid()}"]
            self.process = ForkedProcess.start(cmd, env, str(kwargs.get("cwd") or os.getcwd()), kwargs.get("stdout"),
                                               kwargs.get("stderr"))
            self.pid = self.pgid = self.process.pid  # a session of its own, as jupyter_client starts a kernel
            self.cwd = kwargs.get("cwd", os.getcwd())
            return self.connection_info

    return ForkedKernel


class ForkedProcess:
    """The part of subprocess.Popen that jupyter_client uses, for a kernel forked from this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    @classmethod
    def start(cls, cmd: list[str], env: dict[str, str], cwd: str, stdout=None, stderr=None) -> ForkedProcess:
        """Fork, and run in the child the kernel that `cmd` (`python -m ipykernel_launcher …`) starts."""
        arguments = cmd[cmd.index("ipykernel_launcher") + 1:]
        pid = os.fork()
        if pid:
            return cls(pid)
        status = 1
        try:
            os.setsid()  # as jupyter_client starts a kernel: a Ctrl-C at the terminal is not for it
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            for fd, target in ((1, stdout), (2, stderr)):
                if target == subprocess.DEVNULL:
                    os.dup2(devnull, fd)
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            # A new Python's first entry is its own script's folder or working folder, which
            # ipykernel_launcher removes; this one's is the runner's.
            del sys.path[0]
            sys.argv = [cmd[0], *arguments]
            from ipykernel.kernelapp import launch_new_instance

            launch_new_instance(argv=arguments)
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)  # never back into the worker's code: the kernel was its copy

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(9)

    def terminate(self) -> None:
        self.send_signal(15)
