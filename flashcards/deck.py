"""Read the deck: flashcards/deck.toml → a list of Cards, and every problem found on the way.

Only the shape of each card is checked here (fields, ids, objective, link syntax), since
review, export and the site page need no more than that. `flashcards.check` adds what
needs the outside world: do the links reach a heading, do the numbers agree.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DECK_PATH = Path(__file__).with_name("deck.toml")
DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"

OBJECTIVES = range(1, 6)  # the lesson's learning objectives, docs/index.md#objectives
REQUIRED = ("id", "objective", "link", "front", "back")
OPTIONAL = ("answer", "expression")
ID_FORMAT = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # c001, or a short kebab-case id
LINK_FORMAT = re.compile(r"(?P<page>[\w-]+(?:/[\w-]+)*\.md)#(?P<anchor>[\w-]+)\Z")
CARD_HEADER = re.compile(r"\s*\[\[\s*cards\s*\]\]")
FIELD_START = re.compile(r"\s*(\w+)\s*=")


@dataclass(frozen=True)
class Card:
    id: str
    objective: int
    link: str  # page.md#anchor, relative to docs/
    front: str  # Markdown, math in \( \) and \[ \]
    back: str
    answer: float | None = None  # a number the back states, and the expression that computes it
    expression: str | None = None
    line: int = 0  # where the card's [[cards]] header is in the deck file
    field_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def page(self) -> str:
        return self.link.partition("#")[0]

    @property
    def anchor(self) -> str:
        return self.link.partition("#")[2]

    def line_of(self, name: str) -> int:
        return self.field_lines.get(name, self.line)


@dataclass(frozen=True)
class Problem:
    line: int
    card_id: str | None  # None: a problem with the file, not one card
    message: str

    def describe(self, path: Path) -> str:
        where = f"{shown(path)}:{self.line}" if self.line else shown(path)
        return f"{where}: card {self.card_id}: {self.message}" if self.card_id else f"{where}: {self.message}"


class DeckError(Exception):
    """The deck cannot be used at all; the message names the file and what to fix."""


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def answer_text(answer: float) -> str:
    """The answer as the deck writes it, and as it must appear on the card's back."""
    return str(answer)


def read_deck(path: Path = DECK_PATH) -> tuple[list[Card], list[Problem]]:
    """Every well-formed card, and a Problem for each one that is not."""
    try:
        if path.exists() and not path.is_file():  # a FIFO or a device would block, or never end
            raise DeckError(f"{shown(path)}: not a regular file (the deck is a TOML file, like flashcards/deck.toml)")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeckError(f"{shown(path)}: no deck file there (the deck is flashcards/deck.toml)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DeckError(f"{shown(path)}: cannot read the deck: {err}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:  # its message ends "(at line L, column C)"
        raise DeckError(f"{shown(path)}: not valid TOML: {err}") from None
    entries = data.get("cards")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise DeckError(f"{shown(path)}: expected a list of cards, each starting with a [[cards]] line")

    lines = text.split("\n")  # as TOML counts lines: a U+2028 or a form feed inside a string ends no line
    starts = [n for n, line in enumerate(lines, 1) if CARD_HEADER.match(line)]
    if len(starts) != len(entries):  # cards written some other way (an inline array): no line numbers
        starts = [0] * len(entries)
    problems = [Problem(1, None, f"unknown top-level key {key!r}: only [[cards]] belong in the deck")
                for key in data if key != "cards"]
    cards = []
    first_seen: dict[str, str] = {}
    for index, (entry, start) in enumerate(zip(entries, starts)):
        end = starts[index + 1] if start and index + 1 < len(starts) else len(lines) + 1
        field_lines = _field_lines(lines, start, end) if start else {}
        card_problems = _shape_problems(entry, index, start, field_lines, first_seen)
        problems += card_problems
        if not card_problems:
            cards.append(Card(**entry, line=start, field_lines=field_lines))
    return cards, problems


def load_deck(path: Path = DECK_PATH) -> list[Card]:
    """The cards, or DeckError if any card is malformed (review and export need them all)."""
    cards, problems = read_deck(path)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DeckError(f"{problems[0].describe(path)}{more}; `python -m flashcards check` lists them all")
    return cards


def _field_lines(lines: list[str], start: int, end: int) -> dict[str, int]:
    """The line each field of one card starts on (lines start..end-1, numbered from 1)."""
    found = {}
    for number in range(start + 1, end):
        match = FIELD_START.match(lines[number - 1])
        if match and match.group(1) not in found:
            found[match.group(1)] = number
    return found


def _shape_problems(
    entry: dict, index: int, start: int, field_lines: dict[str, int], first_seen: dict[str, str]
) -> list[Problem]:
    card_id = entry.get("id")
    name = card_id if isinstance(card_id, str) else f"number {index + 1} (no id)"
    problems = []

    def problem(key: str | None, message: str) -> None:
        problems.append(Problem(field_lines.get(key, start), name, message))

    for key in entry.keys() - {*REQUIRED, *OPTIONAL}:
        problem(key, f"unknown field {key!r} (fields are {', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if key not in entry:
            problem(None, f"missing field {key!r}")

    if isinstance(card_id, str):
        if not ID_FORMAT.match(card_id):
            problem("id", f"id {card_id!r} is not well-formed: use lowercase letters, digits and hyphens, like c042")
        elif card_id in first_seen:
            problem("id", f"id {card_id!r} is already used by {first_seen[card_id]}")
        else:  # an inline array of cards has no line numbers: name the card by its place
            first_seen[card_id] = f"the card at line {start}" if start else f"card number {index + 1}"
    elif "id" in entry:
        problem("id", "id must be a string, like \"c042\"")

    objective = entry.get("objective")
    if "objective" in entry and (type(objective) is not int or objective not in OBJECTIVES):
        problem("objective", f"objective must be one of {OBJECTIVES.start}–{OBJECTIVES.stop - 1}, not {objective!r}")
    link = entry.get("link")
    if "link" in entry and not (isinstance(link, str) and LINK_FORMAT.match(link)):
        problem("link", f"link {link!r} should look like page.md#anchor")
    for key in ("front", "back"):
        value = entry.get(key)
        if key not in entry:
            continue
        if not isinstance(value, str) or not value.strip():
            problem(key, f"{key} must be non-empty text")
        elif "{{" in value:  # the site's page hook reads {{ … }} as a placeholder for a lesson number
            problem(key, f"{key} contains '{{{{', which the site reserves for lesson placeholders")

    answer, expression = entry.get("answer"), entry.get("expression")
    if "answer" in entry and (type(answer) not in (int, float) or not math.isfinite(answer)):
        problem("answer", f"answer must be a finite number, not {answer!r}")
    if "expression" in entry and not isinstance(expression, str):
        problem("expression", "expression must be text, like \"-log(1/27)\"")
    if ("answer" in entry) != ("expression" in entry):
        present = "answer" if "answer" in entry else "expression"
        missing = "expression" if present == "answer" else "answer"
        problem(present, f"{present} needs an {missing} too: the number is checked against its computation")
    return problems
