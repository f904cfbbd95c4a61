"""The lesson pages' anchors and the headings they name: what cards and exercises link to.

One parser serves the flashcards' link check, the Practice page's "Taught in" titles, the
"Practice:" line under each section (which section a point of a page is in) and the tests.

Anchors are found the way Python-Markdown makes them: an explicit `{#anchor}` (or any
attribute list or HTML `id`), else the id the toc extension derives from a heading's text.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown.extensions.toc import slugify

FENCE = re.compile(r"\s*(```|~~~)")
HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*\Z")
ATTR_LIST = re.compile(r"\{:?([^{}]*)\}\s*\Z")
ATTR_ID = re.compile(r"#([A-Za-z][\w-]*)")
HTML_ID = re.compile(r"""\bid=["']([^"']+)["']""")
# Emphasis and code marks, and links (their text kept); an underscore inside a word is a letter ("fan_in").
INLINE_MARKUP = re.compile(r"[*`]|(?<!\w)_+|_+(?!\w)|\[([^\]]*)\]\([^)]*\)")


def section_titles(docs_dir: Path) -> dict[str, str]:
    """{"page.md#anchor": the heading's text} for every page under docs_dir."""
    return {f"{page.relative_to(docs_dir).as_posix()}#{anchor}": title
            for page in sorted(docs_dir.rglob("*.md"))
            for anchor, title in page_anchors(page.read_text(encoding="utf-8")).items()}


def page_anchors(markdown: str) -> dict[str, str]:
    """{anchor: its heading's text} for a Markdown page, with the ids that Python-Markdown's
    toc and attr_list extensions give it; an id not on a heading maps to itself."""
    return {anchor: title for anchor, title, _ in _anchors(markdown)}


def heading_anchors(markdown: str) -> list[str]:
    """The anchors of a page's headings, in order."""
    return [anchor for anchor, _, is_heading in _anchors(markdown) if is_heading]


def current_section(markdown: str) -> str | None:
    """The anchor of the last heading in `markdown` (a page up to some point): the section that point is in."""
    headings = heading_anchors(markdown)
    return headings[-1] if headings else None


def _anchors(markdown: str):
    """(anchor, title, whether it is a heading's) for every id on the page, in order."""
    slug_counts: dict[str, int] = {}
    in_fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        attributes = ATTR_LIST.search(line)
        explicit = HTML_ID.findall(line) + (ATTR_ID.findall(attributes.group(1)) if attributes else [])
        heading = HEADING.match(line)
        if not heading:
            yield from ((anchor, anchor, False) for anchor in explicit)
            continue
        title = INLINE_MARKUP.sub(lambda m: m.group(1) or "", ATTR_LIST.sub("", heading.group(2))).strip()
        if explicit:
            yield from ((anchor, title, True) for anchor in explicit)
            continue
        slug = slugify(title, "-")
        count = slug_counts.get(slug, 0)  # toc numbers repeated headings: intro, intro_1, intro_2
        slug_counts[slug] = count + 1
        yield (slug if count == 0 else f"{slug}_{count}", title, True)
