"""The site's navigation: the narrative pages come from mkdocs.yml's nav, the code pages from the scripts.

The lesson scripts are listed once, by being files in lessons/: each gets a nav entry
"01 · <its title>", the title being the script's first Markdown heading.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from engine.settings import REPO_ROOT

from site_build.lesson_runs import NOTEBOOK_DIR

CODE_SECTION = "The code behind the pages"
GOING_FURTHER = "Going further"  # the nav section of pages beyond the lesson's core; each says so on the page


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
    return core_pages(nav, docs_dir) + going_further_pages(nav, docs_dir)


def core_pages(nav: list, docs_dir: Path) -> list[str]:
    """The hand-written pages of the lesson itself: every narrative page outside the Going further section."""
    return _pages(nav, docs_dir, lambda title: title != GOING_FURTHER)


def optional_pages(docs_dir: Path) -> set[str]:
    """The Going further pages of the site's own nav (mkdocs.yml): what practice and cards mark as optional."""
    nav = yaml.load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["nav"]
    return set(going_further_pages(nav, docs_dir))


def going_further_pages(nav: list, docs_dir: Path) -> list[str]:
    """The hand-written pages under the nav's Going further section."""
    section = [value for item in nav if isinstance(item, dict) for title, value in item.items() if title == GOING_FURTHER]
    return _pages(section[0], docs_dir, lambda title: True) if section else []


def _pages(nav: list, docs_dir: Path, enter) -> list[str]:
    pages = []
    for item in nav:
        title, value = next(iter(item.items())) if isinstance(item, dict) else (None, item)
        if isinstance(value, list):
            if enter(title):
                pages += _pages(value, docs_dir, enter)
        elif value.endswith(".md") and (docs_dir / value).is_file():
            pages.append(value)
    return pages
