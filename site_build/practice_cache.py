"""The Practice page and the "Practice:" lines, as a build gets them: read back from .cache/site/,
and made again by site_build.practice_page only when what they are made from has changed.

Their reference answers come from experiments on the lesson's networks (practice.calculations),
which take seconds and torch; a rebuild with the same exercises, engine, data and lesson headings
reads them back without running, or even importing, any of that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.settings import REPO_ROOT, engine_files, inputs_digest, use_lesson_threads
from site_build.anchors import section_titles
from site_build.build_cache import SITE_CACHE, cached
from site_build.nav import optional_pages

# The code that writes the page; anchors and nav give it the section titles and the optional pages.
MADE_BY = [Path(__file__).with_name(name) for name in ("practice_cache.py", "practice_page.py", "anchors.py", "nav.py")]


@dataclass(frozen=True)
class Practice:
    pages: dict[str, str]  # {"practice.md": its Markdown}, as site_build.practice_page.pages gives it
    lines: dict[str, str]  # "page.md#anchor" → the "Practice:" line under that section

    def line(self, section: str) -> str | None:
        return self.lines.get(section)


def practice(docs_dir: Path) -> Practice:
    # The exercises, the engine and the names they compute with, the code; the headings they link to.
    sources = [*sorted((REPO_ROOT / "practice").glob("*.py")), *engine_files(), *sorted((REPO_ROOT / "data").glob("*.*"))]
    key = inputs_digest(sources + MADE_BY, section_titles(docs_dir), sorted(optional_pages(docs_dir)))
    made = json.loads(cached(SITE_CACHE, "practice-{}.json", key, lambda: _make(docs_dir)))
    return Practice(made["pages"], made["lines"])


def _make(docs_dir: Path) -> bytes:
    # One torch thread, as the lessons run: with the other core busy, a second thread only waits for it.
    use_lesson_threads()
    from site_build import practice_page  # imports the exercises, which compute their inputs as they load

    return json.dumps({"pages": practice_page.pages(docs_dir), "lines": practice_page.practice_lines()}).encode()
