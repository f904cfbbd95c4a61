"""The site's Flashcards page, generated from the deck at build time.

`pages()` returns the page, its two assets and the deck as an Anki package, keyed by their
path in the built site; the MkDocs hook adds them as generated files. Every card is written into the page's
HTML, front and back as Markdown inside `<div markdown>` blocks, so the math is typeset
at build time like the lesson's, and without JavaScript the page is simply a list of
cards with their answers. flashcards.js then turns the list into a deck: one card at a
time, flip, previous and next, shuffle, a progress count.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib import metadata
from pathlib import Path

import flashcards
from flashcards import anki
from flashcards.deck import DECK_PATH, DOCS_DIR, Card, load_deck
from site_build.anchors import section_titles
from site_build.build_cache import SITE_CACHE, cached
from site_build.nav import GOING_FURTHER, optional_pages

ASSETS = Path(flashcards.__file__).with_name("assets")  # served as they are
PAGE = "flashcards.md"
SCRIPT = "assets/flashcards.js"  # paths in the built site: mkdocs.yml's extra_javascript
STYLES = "assets/flashcards.css"  # and extra_css name them
ANKI_PACKAGE = "downloads/deep-nets-wont-train.apkg"

INTRO = """\
# Flashcards

These {count} cards hold what this lesson wants you to remember, in the order of its
[learning objectives](index.md#objectives). Read the question, answer it in your head, then
flip the card. Each answer links back to the lesson section that teaches it; cards marked
*Going further* drill the optional pages.

**Keys:** <kbd>Space</kbd> or <kbd>Enter</kbd> flips the card, <kbd>←</kbd> and <kbd>→</kbd>
move to the previous and next card.

!!! tip "Review them over days"
    Cards stick when you review them just before you would forget them.
    **[Download the deck for Anki]({anki}){{ download="deep-nets-wont-train.apkg" }}** and open the
    file with Anki (desktop or phone): it schedules the reviews for you. A newer download updates
    the cards you have, review history included, instead of adding copies. The same deck runs in
    a terminal with FSRS scheduling, `python -m flashcards review`, and
    `python -m flashcards export --anki deep-nets.apkg` writes the same package.

"""


def pages(deck_path: Path = DECK_PATH, docs_dir: Path = DOCS_DIR) -> dict[str, str | bytes]:
    """{path in the site: content} for the Flashcards page, its script and styles, and the Anki package."""
    cards = load_deck(deck_path)
    return {
        PAGE: page_markdown(cards, section_titles(docs_dir), optional_pages(docs_dir)),
        SCRIPT: (ASSETS / "flashcards.js").read_text(encoding="utf-8"),
        STYLES: (ASSETS / "flashcards.css").read_text(encoding="utf-8"),
        ANKI_PACKAGE: anki_package(cards, deck_path.stat().st_mtime),
    }


def anki_package(cards: list[Card], timestamp: float) -> bytes:
    """The deck as `flashcards export --anki` writes it: the same notes and GUIDs, stamped with the
    deck file's last change, so that a newer download is newer to Anki too.

    Writing one takes a while (a SQLite database), so it is kept in .cache/site/ by everything it
    is made from: the cards, the time, the address it links to, the lesson's headings, the code."""
    made_from = (
        Path(anki.__file__).read_bytes(), cards, timestamp, os.environ.get("SITE_URL", ""), section_titles(DOCS_DIR),
        [metadata.version(name) for name in ("genanki", "markdown", "pymdown-extensions")],
    )
    key = hashlib.sha256(repr(made_from).encode()).hexdigest()[:16]
    return cached(SITE_CACHE, "deep-nets-wont-train-{}.apkg", key, lambda: _export(cards, timestamp))


def _export(cards: list[Card], timestamp: float) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "deck.apkg"
        anki.export_anki(cards, path, timestamp)
        return path.read_bytes()


def page_markdown(cards: list[Card], titles: dict[str, str], optional: set[str] = frozenset()) -> str:
    """The page; a card whose lesson section is on an optional page (`optional`) says so."""
    intro = INTRO.format(count=len(cards), anki=ANKI_PACKAGE)
    blocks = [intro, '<div class="flashcards" role="list" markdown>\n']
    blocks += [card_markdown(card, number, titles.get(card.link), card.link.partition("#")[0] in optional)
               for number, card in enumerate(cards, 1)]
    blocks.append("</div>\n")
    return "\n".join(blocks)


def card_markdown(card: Card, number: int, section: str | None, going_further: bool = False) -> str:
    # A section title is plain text ("fan_in or fan_out"): no underscore may turn into emphasis.
    title = section.replace("_", r"\_") if section else None
    link_text = f"Lesson: {title}" if title else "Lesson section"
    # Blank lines around each Markdown body: md_in_html parses a block's content only then.
    return f"""\
<div class="flashcard" id="card-{card.id}" role="listitem" markdown>
<p class="flashcard-meta">Card {number} · objective {card.objective}{f" · {GOING_FURTHER}" if going_further else ""}</p>
<div class="flashcard-front" markdown>

{card.front.strip()}

</div>
<div class="flashcard-back" markdown>

{card.back.strip()}

[{link_text}]({card.link}){{ .flashcard-link }}

</div>
</div>
"""
