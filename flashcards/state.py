"""A learner's review state: one JSON file, outside the deck, rewritten atomically.

    {"schema_version": 1,
     "cards":   {"c001": <fsrs.Card.to_dict()>, ...},
     "reviews": [{"card": "c001", "rating": 3, "at": "2025-01-15T12:00:00+00:00"}, ...]}

`cards` is all FSRS needs to schedule; `reviews` is the full history, kept so that FSRS's
optimiser could one day fit parameters to this learner. Cards are keyed by the deck's
stable ids, so editing a card's text keeps its history.

The file lives in the user's data directory unless FLASHCARDS_STATE or --state says
otherwise. A corrupt file is never overwritten: it is renamed to
`<name>.corrupt-<timestamp>` and the learner starts afresh, told where the old file went
(a review tool that refuses to run until someone repairs JSON by hand helps no one, and
the renamed file keeps everything for whoever wants to).

Only a regular file is ever read, renamed or replaced. A symlink is followed, and the file
it points to is the one written (a state kept in a dotfiles repository stays there); a
device, a FIFO or a folder is refused and left untouched.
"""

from __future__ import annotations

import json
import math
import os
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import platformdirs
from fsrs import Card as FsrsCard
from fsrs import State

SCHEMA_VERSION = 1
STATE_ENV = "FLASHCARDS_STATE"
APP_NAME = "deep-nets-wont-train"


class StateError(Exception):
    """The state file cannot be used and was left as it is (e.g. written by a newer version)."""


class CorruptState(Exception):
    pass


@dataclass
class ReviewState:
    cards: dict[str, FsrsCard] = field(default_factory=dict)
    reviews: list[dict] = field(default_factory=list)


def default_state_path() -> Path:
    override = os.environ.get(STATE_ENV)
    return Path(override) if override else platformdirs.user_data_path(APP_NAME) / "flashcards-review.json"


def load_state(path: Path, now: datetime) -> tuple[ReviewState, str | None]:
    """The learner's state (empty if there is none yet), and a message if a corrupt file was set aside."""
    target = state_file(path)
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return ReviewState(), None
    except OSError as err:
        raise StateError(f"cannot read the review state {path}: {err.strerror or err}") from None
    try:
        return _parse(raw), None
    except CorruptState as err:
        try:
            aside = _move_aside(target, now)
        except OSError as move_err:
            raise StateError(f"the review state {path} is corrupt ({err}) and cannot be moved aside "
                             f"({move_err.strerror or move_err}): move or delete it, then try again") from None
        return ReviewState(), f"review state {path} is corrupt ({err}); moved it to {aside.name} and starting afresh"


def save_state(path: Path, state: ReviewState) -> None:
    """Write the whole state to a temporary file, then rename it over the old one.

    os.replace is atomic, so a crash leaves either the old file or the new one, never half of
    one; a Ctrl-C waits until the save is done, so every rating acknowledged is on disk.
    """
    data = {
        "schema_version": SCHEMA_VERSION,
        "cards": {card_id: card.to_dict() for card_id, card in sorted(state.cards.items())},
        "reviews": state.reviews,
    }
    target = state_file(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _interrupts_deferred():
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp", delete=False) as temporary:
            try:
                json.dump(data, temporary, indent=1)
                temporary.flush()
                os.fsync(temporary.fileno())
            except BaseException:
                os.unlink(temporary.name)
                raise
        try:
            os.replace(temporary.name, target)
        except BaseException:
            os.unlink(temporary.name)
            raise


def state_file(path: Path) -> Path:
    """The regular file behind `path` (through any symlinks), which may not exist yet; anything else is refused."""
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as err:
        raise StateError(f"cannot use {path} as the review state: {err.strerror or err}") from None
    if not stat.S_ISREG(mode):
        raise StateError(f"{path} is not a regular file, so it cannot hold the review state; "
                         "it was left untouched (point --state or FLASHCARDS_STATE at a file)")
    return target


@contextmanager
def _interrupts_deferred():
    """Hold back Ctrl-C until the block is done, then raise it: a save is never cut in half."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _parse(raw: bytes) -> ReviewState:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorruptState("not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise CorruptState(f"not JSON: {err}") from None
    except RecursionError:
        raise CorruptState("JSON nested too deeply") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise CorruptState("no schema_version")
    version = data["schema_version"]
    if type(version) is int and version > SCHEMA_VERSION:
        raise StateError(f"the review state was written by a newer version of flashcards (schema {version}, "
                         f"this one reads {SCHEMA_VERSION}): update this project to keep reviewing")
    if version != SCHEMA_VERSION:
        raise CorruptState(f"unknown schema_version {version!r}")
    cards, reviews = data.get("cards"), data.get("reviews")
    if not isinstance(cards, dict) or not isinstance(reviews, list):
        raise CorruptState("expected 'cards' to be an object and 'reviews' a list")
    state = ReviewState(reviews=reviews)
    for card_id, card in cards.items():
        try:
            state.cards[card_id] = FsrsCard.from_dict(card)
        except (KeyError, TypeError, ValueError) as err:
            raise CorruptState(f"card {card_id}: {type(err).__name__}: {err}") from None
        problem = _card_problem(state.cards[card_id])
        if problem:
            raise CorruptState(f"card {card_id}: {problem}")
    return state


def _card_problem(card: FsrsCard) -> str | None:
    """What in a parsed card would make FSRS fail or schedule nonsense, if anything: every field it reads."""
    for name in ("due", "last_review"):
        moment = getattr(card, name)
        if moment is not None and moment.tzinfo is None:  # FSRS compares them with an aware clock
            return f"its {name} date has no time zone"
    if card.step is not None and (type(card.step) is not int or card.step < 0):
        return f"step {card.step!r} is not a whole number of 0 or more"
    for name in ("stability", "difficulty"):
        value = getattr(card, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            return f"{name} {value!r} is not a positive number"
    if card.state == State.Review and (card.stability is None or card.difficulty is None or card.last_review is None):
        return "a card in review needs a stability, a difficulty and a last review"
    if card.state != State.Review and card.step is None:
        return "a card still learning needs a step"
    return None


def _move_aside(path: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while aside.exists():  # never overwrite an earlier corrupt copy either
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    os.replace(path, aside)
    return aside
