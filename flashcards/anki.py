r"""`flashcards export --anki FILE`: the deck as an Anki package (.apkg), made with genanki.

Anki recognises a note by its GUID and a note type by its model id. Both are fixed here,
the GUID derived from the card's stable id, so importing a newer export updates the notes
a learner already has, review history included, instead of adding duplicates. Anki
typesets \( \) and \[ \] itself, so the math goes in as TeX.
"""

from __future__ import annotations

import errno
import html
import itertools
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

import genanki
import markdown

from flashcards.deck import DOCS_DIR, Card
from site_build.anchors import section_titles

# Chosen at random once. Never change DECK_ID; change MODEL_ID only together with the
# note type's fields, since Anki then needs to see a different note type.
DECK_ID = 1874112389
MODEL_ID = 1235877041
DECK_NAME = "Why deep nets won't train"
GUID_NAMESPACE = "deep-nets-wont-train"  # so our "c001" never matches another deck's "c001"
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest date a zip file can record

MODEL = genanki.Model(
    MODEL_ID,
    "Why deep nets won't train",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Lesson"}],
    templates=[{
        "name": "Card",
        "qfmt": "{{Front}}",
        "afmt": '{{FrontSide}}<hr id="answer">{{Back}}{{#Lesson}}<p class="lesson">{{Lesson}}</p>{{/Lesson}}',
    }],
    css=".card { font-family: sans-serif; font-size: 20px; line-height: 1.5; text-align: left; }\n"
        ".lesson { font-size: 15px; margin-top: 1.5em; }\n",
)


def note_guid(card_id: str) -> str:
    return genanki.guid_for(GUID_NAMESPACE, card_id)


def export_anki(cards: list[Card], path: Path, timestamp: float | None = None) -> None:
    """Write the .apkg. The same deck and timestamp give the same bytes."""
    if timestamp is None:
        timestamp = time.time()
    site_url, titles = _site_url(), section_titles(DOCS_DIR)
    deck = genanki.Deck(DECK_ID, DECK_NAME, description="Cards on activations, gradients and BatchNorm.")
    for position, card in enumerate(cards):
        deck.add_note(genanki.Note(
            model=MODEL,
            fields=[card_html(card.front), card_html(card.back), _lesson_link(card, site_url, titles.get(card.link))],
            tags=[f"{GUID_NAMESPACE}::objective-{card.objective}"],  # Anki shows :: as a tag hierarchy
            guid=note_guid(card.id),
            due=position,  # new cards come in deck order
        ))
    _write_package(genanki.Package(deck), path, timestamp)


def card_html(text: str) -> str:
    # arithmatex keeps \( \) and \[ \] as they are, for Anki's MathJax; plain Markdown would eat the backslashes.
    return markdown.markdown(text, extensions=["pymdownx.arithmatex"],
                             extension_configs={"pymdownx.arithmatex": {"generic": True}})


def _write_package(package: genanki.Package, path: Path, timestamp: float) -> None:
    """genanki's Package.write_to_file, made reproducible.

    write_to_file stamps every zip member with the time of writing (and leaves its
    temporary database behind), so two runs never give the same bytes. Here the
    database is built in a directory that is removed afterwards, and every member
    carries `timestamp`. The file appears complete or not at all (os.replace).
    """
    date_time = time.gmtime(max(timestamp, ZIP_EPOCH))[:6]
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "collection.anki2"
        connection = sqlite3.connect(database)
        package.write_to_db(connection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
        connection.commit()
        connection.close()
        if path.exists() and not path.is_file():  # a device, a FIFO, a folder: never written over
            raise OSError(errno.EEXIST, "not a regular file; left untouched", str(path))
        partial = path.with_name(f".{path.name}.partial")
        try:
            with zipfile.ZipFile(partial, "w") as archive:
                for name, content in [("collection.anki2", database.read_bytes()), ("media", b"{}")]:
                    member = zipfile.ZipInfo(name, date_time)
                    member.external_attr = 0o644 << 16
                    archive.writestr(member, content)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)


def _site_url() -> str | None:
    """The published site's address, $SITE_URL (mkdocs.yml's site_url reads it too), so that a note
    links to its lesson section online; None when the site is not being published."""
    url = os.environ.get("SITE_URL", "").strip()
    return url.rstrip("/") + "/" if url else None


def _lesson_link(card: Card, site_url: str | None, title: str | None) -> str:
    text = html.escape(f"Lesson: {title}" if title else "Lesson section")
    if site_url is None:
        return f"{text} ({card.link})"
    # MkDocs serves page.md at page/ (and index.md at the folder itself).
    page = re.sub(r"(^|/)index\.md$", r"\1", card.page).removesuffix(".md")
    url = f"{site_url}{page}{'/' if page and not page.endswith('/') else ''}#{card.anchor}"
    return f'<a href="{url}">{text}</a>'
