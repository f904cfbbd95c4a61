"""Stage 5 of the pipeline: how a lesson script hands its figures and numbers to the pages.

A script makes one `Record` and passes every figure and every number a page quotes
through it. They land in one folder: `figures/<name>.png` and `record.json`, which holds
the numbers and each figure's alt text. The site's build reads that folder, so no number
on a page is ever typed by hand.

Where the folder is: $LESSONS_OUT_DIR when the pipeline runs the script (python -m
lessons.run, or the site's build); otherwise lesson-output/<slug>/ under the repo.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

from lessons.data import REPO_ROOT

RECORD_FILE = "record.json"

# One look for every figure: it must read on a light page and on a dark one, so figures
# keep their own white background; fixed fonts and no timestamps keep the bytes stable.
plt.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.dpi": 110,
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.25,
        "font.size": 10,
        "axes.titlesize": 11,
        "legend.frameon": False,
        "svg.hashsalt": "lessons",
    }
)


class Record:
    def __init__(self, slug: str):
        self.slug = slug
        default = REPO_ROOT / "lesson-output" / slug
        self.dir = Path(os.environ.get("LESSONS_OUT_DIR") or default)
        (self.dir / "figures").mkdir(parents=True, exist_ok=True)
        self.numbers: dict[str, object] = {}
        self.figures: dict[str, str] = {}

    def number(self, key: str, value):
        """Keep a value for the pages: a number, a string (a Markdown table, say) or JSON data for a widget."""
        if hasattr(value, "item"):
            value = value.item()
        self.numbers[key] = value
        self._save()
        return value

    def figure(self, fig, name: str, alt: str) -> Path:
        """Save `fig` as figures/<name>.png with its alt text, and show it in a notebook."""
        path = self.dir / "figures" / f"{name}.png"
        _save_png(fig, path)
        plt.close(fig)
        self.figures[name] = alt
        self._save()
        if "ipykernel" in sys.modules:
            _show_in_notebook(path, f"{self.slug}/{name}", alt)
        return path

    def _save(self) -> None:
        text = json.dumps({"slug": self.slug, "numbers": self.numbers, "figures": self.figures}, indent=1)
        tmp = self.dir / (RECORD_FILE + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(self.dir / RECORD_FILE)


def _save_png(fig, path: Path) -> None:
    """A 256-colour PNG: a third of the size of matplotlib's, and the same bytes on every run."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    image = Image.open(buffer).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, format="PNG", optimize=True)


def _show_in_notebook(path: Path, figure: str, alt: str) -> None:
    from IPython.display import display

    data = base64.b64encode(path.read_bytes()).decode()
    # The HTML form carries the alt text, which a bare image output cannot; data-figure lets
    # the site point the image at the figure file it already serves instead of inlining it.
    markup = f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" data-figure="{figure}">'
    display({"text/html": markup, "image/png": data}, raw=True)
