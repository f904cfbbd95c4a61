"""Training progress: a tqdm bar in a terminal, and during the site build a line the build prints.

The site build runs each lesson script in a Jupyter kernel, where no terminal shows a bar. It
names a file in LESSONS_PROGRESS_FILE, and every bar then keeps that file holding its latest
state ("kaiming: 40000/200000 steps, 20%, 1:10 left"), rewritten at most every two seconds;
the build reads it and prints it (site_build.lesson_runs).
"""

from __future__ import annotations

import os
from pathlib import Path

from tqdm import tqdm

PROGRESS_FILE_VARIABLE = "LESSONS_PROGRESS_FILE"
REPORT_EVERY = 2.0  # seconds between two reports to the build
REPORT_FORMAT = "{desc}: {n}/{total} steps, {percentage:.0f}%, {remaining} left"
LABEL_WIDTH = 60  # a label of several runs side by side is cut, so the line keeps its numbers


def progress_bar(total: int, label: str | None) -> tqdm:
    """A bar over `total` training steps, shown only when `label` names the run; update it with .update(n)."""
    report = os.environ.get(PROGRESS_FILE_VARIABLE)
    if label and report:
        short = label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"
        return tqdm(total=total, desc=short, file=_LatestLine(Path(report)), mininterval=REPORT_EVERY,
                    bar_format=REPORT_FORMAT)
    return tqdm(total=total, desc=label, disable=None if label else True, unit="step", mininterval=0.5)


class _LatestLine:
    """A file-like target for tqdm that keeps only the bar's latest line in `path`, whole at every moment."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, text: str) -> None:
        line = text.replace("\r", "").strip()
        if line:
            # One partial file per process: the workers of one script (engine.cores) report to the same line.
            partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
            partial.write_text(line + "\n", encoding="utf-8")
            partial.replace(self.path)

    def flush(self) -> None:
        pass
