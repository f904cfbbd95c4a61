"""`flashcards check`: everything `deck.read_deck` checks, plus links and numbers.

A link must reach a page under docs/ and an anchor on it: an explicit `{#anchor}` (or any
attribute list or HTML `id`), or the id Python-Markdown's toc extension gives a plain
heading. A declared answer must agree with its expression to the digits it is written
with, and must appear on the card's back, so the number a learner reads is the one checked.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from markdown.extensions.toc import slugify

from flashcards.deck import DECK_PATH, DOCS_DIR, Card, Problem, answer_text, read_deck, shown
from flashcards.safe_math import ExpressionError, evaluate

FENCE = re.compile(r"\s*(```|~~~)")
HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*\Z")
ATTR_LIST = re.compile(r"\{:?([^{}]*)\}\s*\Z")
ATTR_ID = re.compile(r"#([A-Za-z][\w-]*)")
HTML_ID = re.compile(r"""\bid=["']([^"']+)["']""")
INLINE_MARKUP = re.compile(r"[*_`]|\[([^\]]*)\]\([^)]*\)")


def check_deck(path: Path = DECK_PATH, docs_dir: Path = DOCS_DIR) -> tuple[list[Card], list[Problem]]:
    """The well-formed cards and every problem, in file order. DeckError if the file is unusable."""
    cards, problems = read_deck(path)
    anchors_by_page: dict[str, set[str] | None] = {}
    for card in cards:
        if card.page not in anchors_by_page:
            page = docs_dir / card.page
            anchors_by_page[card.page] = page_anchors(page.read_text(encoding="utf-8")) if page.is_file() else None
        problems += link_problems(card, anchors_by_page[card.page], docs_dir)
        problems += answer_problems(card)
    return cards, sorted(problems, key=lambda problem: problem.line)


def link_problems(card: Card, anchors: set[str] | None, docs_dir: Path) -> list[Problem]:
    line = card.line_of("link")
    if anchors is None:
        return [Problem(line, card.id, f"link {card.link!r}: there is no page {shown(docs_dir / card.page)}")]
    if card.anchor not in anchors:
        known = ", ".join(sorted(anchors)) or "none"
        return [Problem(line, card.id, f"link {card.link!r}: {card.page} has no anchor #{card.anchor} (it has: {known})")]
    return []


def answer_problems(card: Card) -> list[Problem]:
    if card.answer is None:
        return []
    try:
        value = evaluate(card.expression)
    except ExpressionError as err:
        return [Problem(card.line_of("expression"), card.id, f"expression: {err}")]
    # Agreeing "to the digits written": 0.0707 stands for anything in [0.07065, 0.07075].
    exponent = Decimal(answer_text(card.answer)).as_tuple().exponent
    decimals = max(0, -exponent)
    if abs(value - card.answer) > 0.5 * 10.0**exponent * (1 + 1e-9):
        return [Problem(card.line_of("answer"), card.id,
                        f"answer {answer_text(card.answer)} disagrees with {card.expression} = {value:.{decimals + 3}f}"
                        f" (rounded: {value:.{decimals}f})")]
    if answer_text(card.answer) not in card.back:
        return [Problem(card.line_of("answer"), card.id,
                        f"answer {answer_text(card.answer)} does not appear on the back, so no one reads the checked number")]
    return []


def page_anchors(markdown: str) -> set[str]:
    """The anchors a Markdown page defines, as Python-Markdown (toc, attr_list) would make them."""
    anchors: set[str] = set()
    slug_counts: dict[str, int] = {}
    in_fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        anchors.update(HTML_ID.findall(line))
        attributes = ATTR_LIST.search(line)
        explicit = ATTR_ID.findall(attributes.group(1)) if attributes else []
        anchors.update(explicit)
        heading = HEADING.match(line)
        if heading and not explicit:
            text = ATTR_LIST.sub("", heading.group(2))
            slug = slugify(INLINE_MARKUP.sub(lambda m: m.group(1) or "", text), "-")
            # toc keeps ids unique by numbering repeats: intro, intro_1, intro_2
            count = slug_counts.get(slug, 0)
            slug_counts[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}_{count}")
    return anchors
