"""What the lesson runner's fork server loads once, for every worker and kernel (site_build.kernels).

The third-party libraries a lesson kernel imports, and numba's typed lists of the float32 arrays
the fast path hands its compiled loop (engine.compiled.listed): numba compiles a typed list's
methods for each item type the first time a process makes one, about half a CPU-second per
kernel, and a kernel forked from here has them. Nothing of the project's own is loaded: each
worker imports it afresh, so that `mkdocs serve` never runs an edited script against a stale
engine. Nor is matplotlib: it reads its backend from the environment, which the kernel sets on
start.
"""

import os

# A typed list loads SciPy's OpenBLAS, which reads its thread count then: one, as engine.compiled
# sets it for the compiled loop (measured: with two, the seven quick scripts took 60% more CPU).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import ipykernel.kernelapp  # noqa: E402, F401
import jupytext  # noqa: E402, F401
import nbclient  # noqa: E402, F401
import numpy as np  # noqa: E402
import psutil  # noqa: E402, F401
import torch  # noqa: E402, F401
from numba.typed import List  # noqa: E402

for empty in (np.empty(0, np.float32), np.empty((0, 0), np.float32)):  # a vector, a matrix
    List().append(empty)
