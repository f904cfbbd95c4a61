"""Stage 6 of the pipeline: put the lesson scripts' figures and numbers into the pages' Markdown.

A page quotes a run through placeholders, which this module expands:

    {{ 01_confident_start.uniform_loss:.4f }}    a recorded value, with a format spec
    {{ 04_loss_log.final.kaiming.val:.4f }}      a dotted path into a recorded dict
    {{ 03_healthy_depth.depth.gain_0_5.std.4 }}  item 4 of a recorded list
    {{ 03_healthy_depth.explorer:json }}         recorded data as JSON, for a widget
    {{ figure 01_confident_start.hockey_stick }} the figure, with the alt text its script wrote
    {{ practice section-id }}                    the "Practice:" line of the section: its exercises
    {{ read_minutes }}                           reading time of the core pages (site_build.nav.core_pages)

An unknown name is an error that names the page and the placeholder, so a page can
never show a number that no run produced. Nothing here knows about MkDocs.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from typing import Callable

from engine.record import PLACEHOLDER, LookupFailed, lookup
from site_build.anchors import current_section

FIGURES_URL = "figures"  # figures/<script>/<name>.png in the built site
WORDS_PER_MINUTE = 200  # a careful reading pace for technical prose


class PageError(ValueError):
    pass


def figure_path(slug: str, name: str) -> str:
    return f"{FIGURES_URL}/{slug}/{name}.png"


def expand(
    markdown: str,
    records: dict[str, dict],
    page: str,
    extra: dict[str, object] | None = None,
    practice_line: Callable[[str], str | None] | None = None,
) -> str:
    """Replace every placeholder in a page's Markdown; `page` is its path under docs/.

    `practice_line("page.md#section")` gives the line that {{ practice }} stands for.
    """
    extra = extra or {}
    to_root = "../" * (len(PurePosixPath(page).parts) - 1)

    def replace(match: re.Match) -> str:
        text = match.group(1)
        if text == "practice" and practice_line is not None:
            section = current_section(markdown[: match.start()])
            if section is None:
                raise PageError(f"{page}: {{{{ practice }}}} stands before any heading: it lists the exercises of its section")
            line = practice_line(f"{page}#{section}")
            if line is None:
                raise PageError(f"{page}: {{{{ practice }}}} under #{section}, which no exercise drills (see practice/exercises.py)")
            return line
        if text.startswith("figure "):
            slug, name = _split(text.removeprefix("figure ").strip(), page)
            alt = _lookup(records, slug, page, text).get("figures", {}).get(name)
            if alt is None:
                raise PageError(f"{page}: {{{{ {text} }}}}: {slug} saved no figure named {name!r}")
            alt = alt.replace("[", "(").replace("]", ")")
            return f"![{alt}]({to_root}{figure_path(slug, name)})"
        key, _, spec = text.partition(":")
        if key in extra:
            return format(extra[key], spec)
        slug, name = _split(key, page)
        try:
            value = lookup(_lookup(records, slug, page, text).get("values", {}), name)
        except LookupFailed:
            raise PageError(f"{page}: {{{{ {text} }}}}: {slug} recorded no value named {name!r}") from None
        if spec == "json":  # data for a widget, embedded in the page
            return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")
        try:
            return format(value, spec)
        except ValueError as err:
            raise PageError(f"{page}: {{{{ {text} }}}}: {err}") from None

    return PLACEHOLDER.sub(replace, markdown)


def _split(key: str, page: str) -> tuple[str, str]:
    slug, dot, name = key.partition(".")
    if not dot:
        raise PageError(f"{page}: {{{{ {key} }}}}: expected <script>.<name>")
    return slug, name


def _lookup(records: dict[str, dict], slug: str, page: str, text: str) -> dict:
    if slug not in records:
        raise PageError(f"{page}: {{{{ {text} }}}}: no lesson script named {slug!r} (known: {', '.join(records)})")
    return records[slug]


def read_minutes(markdown_pages: list[str]) -> int:
    """Minutes to read what the given pages display: prose, numbers and tables; not code, figures' alt texts or markup."""
    return max(1, round(sum(displayed_words(text) for text in markdown_pages) / WORDS_PER_MINUTE))


def displayed_words(markdown: str) -> int:
    """The words a reader sees of this Markdown (its placeholders filled in or not)."""
    hidden = (
        r"```.*?```",  # code blocks
        r"<script\b.*?</script>",  # a widget's data
        r"!\[[^\]]*\]\([^)]*\)",  # a figure: its alt text is for screen readers
        r"\]\([^)]*\)",  # a link's address (its text stays)
        r"<[^>]+>",  # HTML tags
        r"\{[:#][^}]*\}",  # attribute lists and heading anchors
        r"\\[A-Za-z]+",  # TeX commands: \frac, \sqrt, \text (their arguments stay)
    )
    for pattern in hidden:
        markdown = re.sub(pattern, " ", markdown, flags=re.S)
    markdown = PLACEHOLDER.sub(" x ", markdown)
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", markdown))
