import json
import sys

import pytest

from tests.conftest import run_python

# Run in a fresh process with one thread that has imported what the fork server preloads, as a
# lesson runner's worker is (a test worker has threads, and `kernels` never forks from a process
# that has).
KERNEL_FACTS = r"""
import json, os, subprocess, sys, tempfile
import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient
from site_build import kernels

for module in kernels.PRELOAD:  # as a runner's worker has them, forked from the fork server
    __import__(module)
CELL = '''import json, os, signal, sys
import matplotlib
print(json.dumps({"cwd": os.getcwd(), "path": sys.path, "backend": matplotlib.get_backend(),
                  "probe": os.environ.get("PROBE"), "own_session": os.getsid(0) == os.getpid(), "parent": os.getppid(),
                  "pid": os.getpid()}))'''
os.environ["PROBE"] = "set before the kernel starts"
facts = {}
for name, manager in (("forked", kernels.kernel_manager), ("jupyter", KernelManager)):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    with tempfile.TemporaryDirectory() as sockets, tempfile.TemporaryDirectory() as work:
        kernel = manager(kernel_name="python3", transport="ipc", ip=f"{sockets}/kernel")
        NotebookClient(notebook, km=kernel, resources={"metadata": {"path": work}}, shutdown_kernel="immediate").execute(
            stderr=subprocess.DEVNULL, cleanup_kc=True)
        fact = json.loads(notebook.cells[0].outputs[0]["text"])
        fact["cwd"] = fact["cwd"] == os.path.realpath(work)
        fact["parent"] = fact["parent"] == os.getpid()
        fact["provisioner"] = type(kernel.provisioner).__name__ if kernel.provisioner else None
        try:
            os.kill(fact.pop("pid"), 0)
            fact["stopped"] = False
        except ProcessLookupError:
            fact["stopped"] = True
        facts[name] = fact
print(json.dumps(facts))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="kernels are forked on Linux only")
def test_a_forked_kernel_is_the_kernel_jupyter_starts_and_stops_with_its_notebook():
    result = run_python("-c", KERNEL_FACTS)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout)
    forked, jupyter = facts["forked"], facts["jupyter"]
    assert forked.pop("provisioner") == "ForkedKernel" and jupyter.pop("provisioner") in (None, "LocalProvisioner")
    assert forked.pop("path") == jupyter.pop("path")
    assert forked == jupyter == {"cwd": True, "backend": "module://matplotlib_inline.backend_inline",
                                 "probe": "set before the kernel starts", "own_session": True, "parent": True, "stopped": True}
