"""The lesson engine: names → examples → networks → training → diagnostics → figures and numbers.

    lessons.data         names file → vocabulary, context windows, train/val/test split
    lessons.layers       from-scratch layers with torch.nn's API
    lessons.model        the lecture's MLP, its initialisations, the deeper tanh stack
    lessons.train        the one training loop; `python -m lessons.train`
    lessons.backprop     the lecture's MLP trained by hand-written backprop, several nets side by side
    lessons.diagnostics  what the histograms measure: saturation, per-layer statistics
    lessons.record       how a lesson script hands its figures and numbers to the pages
    lessons.run          run every lesson script once per change (`python -m lessons.run`)
    lessons.pages        fill the pages' placeholders from the runs, typeset math (no MkDocs in it)
    lessons.bench        how fast all of this is (`python -m lessons.bench`)

The numbered scripts beside these modules (01_*.py, …) are the lessons themselves.
"""

import os

import torch

# The lesson's matrices are tiny (32×30 by 30×200), so each step is dominated by
# per-operation overhead, and a second thread only adds synchronisation: measured on a
# 2-core machine, two threads were never faster, and up to ten times slower while the
# other core was busy.
torch.set_num_threads(int(os.environ.get("LESSONS_THREADS", "1")))
