"""The site's navigation: the narrative pages come from mkdocs.yml's nav, the code pages from the scripts.

The lesson scripts are listed once, by being files in lessons/: each gets a nav entry
"01 · <its title>", the title being the script's first Markdown heading.
"""

from __future__ import annotations

import re
from pathlib import Path

from site_build.lesson_runs import NOTEBOOK_DIR

CODE_SECTION = "The code behind the pages"


def script_title(script: Path) -> str:
    """The first Markdown heading of a percent-format script ("# # A confidently wrong start")."""
    match = re.search(r"^# # (.+)$", script.read_text(encoding="utf-8"), re.M)
    if not match:
        raise ValueError(f"{script}: no title: its first Markdown cell should start with '# # <title>'")
    return match[1].strip()


def code_pages(scripts: list[Path]) -> dict:
    """The nav section that lists every script's notebook page."""
    return {CODE_SECTION: [{f"{s.stem[:2]} · {script_title(s)}": f"{NOTEBOOK_DIR}/{s.stem}.ipynb"} for s in scripts]}


def narrative_pages(nav: list, docs_dir: Path) -> list[str]:
    """The nav's Markdown pages written by hand (under docs_dir), in nav order; generated pages are left out."""
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += narrative_pages(value, docs_dir)
        elif value.endswith(".md") and (docs_dir / value).is_file():
            pages.append(value)
    return pages
