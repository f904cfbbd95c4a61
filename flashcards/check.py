"""`flashcards check`: everything `deck.read_deck` checks, plus links and numbers.

A link must reach a page under docs/ and an anchor on it (see site_build.anchors). A
declared answer must agree with its expression to the digits it is written with, and must
appear on the card's back, so that the number a learner reads is the one checked.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from flashcards.deck import DECK_PATH, DOCS_DIR, Card, Problem, answer_text, read_deck, shown
from flashcards.safe_math import ExpressionError, evaluate
from site_build.anchors import page_anchors


def check_deck(path: Path = DECK_PATH, docs_dir: Path = DOCS_DIR) -> tuple[list[Card], list[Problem]]:
    """The well-formed cards and every problem, in file order. DeckError if the file is unusable."""
    cards, problems = read_deck(path)
    anchors_by_page: dict[str, dict[str, str] | None] = {}
    for card in cards:
        if card.page not in anchors_by_page:
            page = docs_dir / card.page
            anchors_by_page[card.page] = page_anchors(page.read_text(encoding="utf-8")) if page.is_file() else None
        problems += link_problems(card, anchors_by_page[card.page], docs_dir)
        problems += answer_problems(card)
    return cards, sorted(problems, key=lambda problem: problem.line)


def link_problems(card: Card, anchors: dict[str, str] | None, docs_dir: Path) -> list[Problem]:
    line = card.line_of("link")
    if anchors is None:
        return [Problem(line, card.id, f"link {card.link!r}: there is no page {shown(docs_dir / card.page)}")]
    if card.anchor not in anchors:
        known = ", ".join(sorted(anchors)) or "none"
        message = f"link {card.link!r}: {card.page} has no anchor #{card.anchor} (it has: {known})"
        return [Problem(line, card.id, message)]
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
    written, line = answer_text(card.answer), card.line_of("answer")
    if abs(value - card.answer) > 0.5 * 10.0**exponent * (1 + 1e-9):
        computed = f"{value:.{decimals + 3}f} (rounded: {value:.{decimals}f})"
        return [Problem(line, card.id, f"answer {written} disagrees with {card.expression} = {computed}")]
    if written not in card.back:
        return [Problem(line, card.id, f"answer {written} does not appear on the back, so no one reads the checked number")]
    return []
