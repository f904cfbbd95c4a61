"""The flashcards command line: `python -m flashcards <command>`, or `flashcards <command>`.

    check                        validate the deck: ids, fields, links, numbers
    review [--limit N]           a spaced-repetition session in the terminal
    stats                        due today, learned, average stability
    export --anki FILE           an Anki package; re-importing updates, never duplicates

Every failure is one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from flashcards.deck import DECK_PATH, DOCS_DIR, DeckError, load_deck, shown
from flashcards.state import STATE_ENV, StateError, default_state_path

NOW_ENV = "FLASHCARDS_NOW"  # a fixed clock, for tests and for trying out a schedule


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    deck = Parser(add_help=False)
    deck.add_argument("--deck", type=Path, default=DECK_PATH, help="the deck file (default: %(default)s)")
    learner = Parser(add_help=False)
    learner.add_argument("--state", type=Path, default=None,
                         help=f"your review state file (default: ${STATE_ENV}, else {default_state_path()})")
    learner.add_argument("--now", type=utc_time, default=os.environ.get(NOW_ENV),
                         help=f"pretend it is this ISO time (default: ${NOW_ENV}, else the real clock)")

    parser = Parser(prog="flashcards", description="Review the lesson's flashcards: on the site, here, or in Anki.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command", parser_class=Parser)
    check = commands.add_parser("check", parents=[deck], help="validate the deck")
    check.add_argument("--docs", type=Path, default=DOCS_DIR, help="the site's pages (default: %(default)s)")
    review = commands.add_parser("review", parents=[deck, learner], help="review due cards with FSRS")
    review.add_argument("--limit", type=positive_int, default=None, help="stop after this many ratings")
    commands.add_parser("stats", parents=[deck, learner], help="due today, learned, average stability")
    export = commands.add_parser("export", parents=[deck], help="write the deck as an Anki package")
    export.add_argument("--anki", type=Path, required=True, metavar="FILE", help="the .apkg file to write")
    export.add_argument("--timestamp", type=timestamp, default=os.environ.get("SOURCE_DATE_EPOCH"),
                        help="the time recorded in the file, Unix seconds or ISO (default: $SOURCE_DATE_EPOCH, "
                             "else now); the same deck and timestamp give the same bytes")
    # A default from the environment is a string, so argparse converts and checks it like an argument.
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args.deck, args.docs)
        if args.command == "export":
            return run_export(args.deck, args.anki, args.timestamp)
        return run_learner_command(args)
    except (DeckError, StateError) as err:
        print(f"flashcards: {err}", file=sys.stderr)
        return 1


def run_check(deck_path: Path, docs_dir: Path) -> int:
    from flashcards.check import check_deck

    cards, problems = check_deck(deck_path, docs_dir)
    for problem in problems:
        print(problem.describe(deck_path))
    if problems:
        print(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {shown(deck_path)}.", file=sys.stderr)
        return 1
    print(f"{shown(deck_path)}: {len(cards)} cards, no problems.")
    return 0


def run_export(deck_path: Path, apkg: Path, when: float | None) -> int:
    from flashcards.anki import export_anki

    cards = load_deck(deck_path)
    try:
        export_anki(cards, apkg, when)
    except OSError as err:
        print(f"flashcards: cannot write {apkg}: {err.strerror or err}", file=sys.stderr)
        return 1
    print(f"Wrote {len(cards)} cards to {apkg}. In Anki: File → Import; importing again updates them.")
    return 0


def run_learner_command(args: argparse.Namespace) -> int:
    from flashcards.review import review, stats

    cards = load_deck(args.deck)
    state_path = args.state or default_state_path()
    fixed = args.now

    def clock() -> datetime:
        return fixed or datetime.now(timezone.utc)

    if args.command == "stats":
        stats(cards, state_path, clock)
        return 0
    try:
        review(cards, state_path, clock, args.limit)
    except KeyboardInterrupt:
        print(f"\nStopped. Every rating you gave is saved in {state_path}.", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"flashcards: cannot save the review state {state_path}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


LAST_YEAR = 2099  # a zip file stores years up to 2107; FSRS adds months to a date, so stay well inside


def utc_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date and time: {text!r} (e.g. 2025-01-15T09:00:00+00:00)")
    if not 1970 <= moment.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the years 1970 to {LAST_YEAR}")
    # A time without a zone is taken as UTC; FSRS wants exactly timezone.utc.
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc)


def timestamp(text: str) -> float:
    """Unix seconds or an ISO date and time, from 1970 to LAST_YEAR; from --timestamp or $SOURCE_DATE_EPOCH."""
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = utc_time(text).timestamp()
        except argparse.ArgumentTypeError:
            seconds = math.nan
    latest = datetime(LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()
    if not 0 <= seconds <= latest:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected Unix seconds from 0 to {latest:.0f} or an ISO date and time "
                                         f"in 1970–{LAST_YEAR}, not {text!r} (from --timestamp or $SOURCE_DATE_EPOCH)")
    return seconds


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
