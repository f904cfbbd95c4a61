"""Stage 5 of the pipeline: how a lesson script hands its figures and numbers to the pages.

A script starts with `record = start_lesson("<script>")` and passes every value and figure
a page quotes through it. They land in one folder: `figures/<name>.png` and `record.json`,
which holds the values and each figure's alt text. The site's build reads that folder, so
no number on a page is ever typed by hand.

Values are structured: `record.value("final", {"kaiming": {"train": 2.03, …}})` is quoted by
a page as `{{ 04_loss_log.final.kaiming.train:.4f }}`, and by an alt text as
`{{ final.kaiming.train:.4f }}`: a dotted path into the value (an item of a list by its
index), then an optional format spec.

Where the folder is: $LESSONS_OUT_DIR when the site build runs the script; otherwise
lesson-output/<script>/ under the repo.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import sys
from pathlib import Path

from engine.settings import REPO_ROOT, SettingError, use_lesson_threads

RECORD_FILE = "record.json"
DARK_SUFFIX = ".dark"  # figures/<name>.dark.png: the same figure for the site's dark scheme
PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")


class LookupFailed(KeyError):
    """A dotted name that leads nowhere in the recorded values."""


def start_lesson(slug: str) -> "Record":
    """What every lesson script does first: torch on the lesson's thread count, the site's figure style, a record."""
    try:
        use_lesson_threads()
    except SettingError as err:
        if "ipykernel" in sys.modules:
            raise
        sys.exit(f"error: {err}")  # run by hand: one line, not a traceback
    from engine.plots import use_lesson_style  # matplotlib, for a script; the site only reads records

    use_lesson_style()
    return Record(slug)


class Record:
    def __init__(self, slug: str):
        self.slug = slug
        self.dir = Path(os.environ.get("LESSONS_OUT_DIR") or REPO_ROOT / "lesson-output" / slug)
        (self.dir / "figures").mkdir(parents=True, exist_ok=True)
        self.values: dict[str, object] = {}
        self.figures: dict[str, str] = {}

    def value(self, name: str, value) -> None:
        """Keep a value for the pages: a number, a string, or lists and dicts of them (tensors become numbers).

        Returns nothing, so that a cell ending in it shows the learner nothing stray.
        """
        self.values[name] = plain(value)
        self._save()

    def figure(self, fig, name: str, alt: str, *, tight: bool = True) -> None:
        """Lay out and save `fig` as figures/<name>.png, with its alt text filled from the recorded values,
        and its variant for the dark scheme as figures/<name>.dark.png."""
        import matplotlib.pyplot as plt

        from engine.plots import for_dark_scheme

        if tight:
            fig.tight_layout()
        self.figures[name] = fill(" ".join(alt.split()), self.values, f"{self.slug}: figure {name}")
        path = self.dir / "figures" / f"{name}.png"
        _save_png(fig, path)
        for_dark_scheme(fig)
        _save_png(fig, path.with_name(f"{name}{DARK_SUFFIX}.png"))
        plt.close(fig)
        self._save()
        if "ipykernel" in sys.modules:
            _show_in_notebook(path, f"{self.slug}/{name}", self.figures[name])

    def _save(self) -> None:
        text = json.dumps({"slug": self.slug, "values": self.values, "figures": self.figures}, indent=1)
        tmp = self.dir / (RECORD_FILE + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(self.dir / RECORD_FILE)


def plain(value):
    """A value as JSON holds it: tensors and numpy scalars become numbers or lists."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def lookup(values: dict, dotted: str):
    """values["a"]["b"][2] for "a.b.2"."""
    value = values
    for part in dotted.split("."):
        try:
            value = value[int(part)] if isinstance(value, list) else value[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise LookupFailed(dotted) from None
    return value


def fill(template: str, values: dict, where: str) -> str:
    """Replace every {{ name.path:spec }} in `template` with the recorded value, formatted."""

    def replace(match: re.Match) -> str:
        name, _, spec = match.group(1).partition(":")
        try:
            value = lookup(values, name)
        except LookupFailed:
            raise ValueError(f"{where}: {{{{ {match.group(1)} }}}}: nothing recorded under {name!r}") from None
        try:
            return format(value, spec)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{where}: {{{{ {match.group(1)} }}}}: {err}") from None

    return PLACEHOLDER.sub(replace, template)


def _save_png(fig, path: Path) -> None:
    """A 256-colour PNG: a third of the size of matplotlib's, and the same bytes on every run."""
    from PIL import Image

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
