"""`flashcards review` and `flashcards stats`: spaced repetition in the terminal, scheduled by FSRS.

A session takes the cards due now (cards reviewed before whose time has come, most
overdue first, then new cards in deck order), shows each front, reveals the back on
Enter and asks for a rating. The state file is rewritten after every rating, so quitting,
Ctrl-C or a crash loses nothing. `u` takes back the last rating of this session.
"""

from __future__ import annotations

import re
import sys
import zlib
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from flashcards.deck import Card
from flashcards.state import ReviewState, load_state, save_state

Clock = Callable[[], datetime]  # returns an aware UTC datetime, as FSRS requires

RATINGS = {"1": Rating.Again, "2": Rating.Hard, "3": Rating.Good, "4": Rating.Easy}
# Again and Hard bring a card back within minutes (FSRS's learning steps). As Anki does,
# show such a card once more at the end of this session rather than make the learner wait.
LEARN_AHEAD = timedelta(minutes=20)


def review(cards: list[Card], state_path: Path, clock: Clock, limit: int | None = None) -> int:
    """Run one session of at most `limit` ratings; returns how many ratings were kept."""
    scheduler = Scheduler()  # FSRS's default parameters, with its fuzz that spreads out due dates
    state = open_state(state_path, cards, clock())
    by_id = {card.id: card for card in cards}
    queue = due_now(cards, state, clock())
    new = sum(card_id not in state.cards for card_id in queue)
    session = f"; this session stops after {limit}" if limit is not None and limit < len(queue) else ""
    print(f"{len(queue)} of {len(cards)} cards due now ({new} new){session}.")
    if not queue:
        next_due = min(state.cards[card.id].due for card in cards)
        print(f"Nothing to review. The next card is due {_when(next_due, clock())}.")
        return 0
    print("Enter shows the answer; rate 1 Again, 2 Hard, 3 Good, 4 Easy; u undoes the last rating; q quits.")

    rated: list[tuple[str, FsrsCard | None]] = []  # (card id, its state before the rating), for undo
    while queue and (limit is None or len(rated) < limit):
        card = by_id[queue[0]]
        print(f"\n── {card.id} · objective {card.objective} " + "─" * 40)
        print(terminal_text(card.front))
        choice = _ask("\n[Enter] show answer   u undo   q quit > ", {"", "u", "q"})
        if choice == "":
            print("\n" + terminal_text(card.back))
            print(f"(lesson section: {card.link})")
            choice = _ask("Rate 1 Again  2 Hard  3 Good  4 Easy   (u undo  q quit) > ", {*RATINGS, "u", "q"})
        if choice == "q":
            break
        if choice == "u":
            _undo(rated, state, state_path, queue)
            continue
        now = clock()
        previous = state.cards.get(card.id)
        updated, _ = scheduler.review_card(previous or new_fsrs_card(card.id, now), RATINGS[choice], now)
        state.cards[card.id] = updated
        state.reviews.append({"card": card.id, "rating": int(RATINGS[choice]), "at": now.isoformat()})
        save_state(state_path, state)
        rated.append((card.id, previous))
        queue.pop(0)
        if updated.due - now <= LEARN_AHEAD:
            queue.append(card.id)
        print(f"{RATINGS[choice].name}: due again {_when(updated.due, now)}.")

    print(f"\n{len(rated)} rating{'s' * (len(rated) != 1)} saved in {state_path}.")
    return len(rated)


def stats(cards: list[Card], state_path: Path, clock: Clock) -> None:
    """Print what is due today, what is learned, and how stable the memories are."""
    now = clock()
    state = open_state(state_path, cards, now)
    local = now.astimezone()
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)
    reviewed = [state.cards[card.id] for card in cards if card.id in state.cards]
    new = len(cards) - len(reviewed)
    due_today = new + sum(card.due < tomorrow for card in reviewed)
    learned = sum(card.state == State.Review for card in reviewed)
    print(f"Cards in the deck:  {len(cards)}")
    print(f"Due today:          {due_today} ({new} new)")
    print(f"Learned:            {learned} (in long-term review)")
    print(f"Still learning:     {len(reviewed) - learned}")
    if reviewed:
        stability = sum(card.stability for card in reviewed) / len(reviewed)
        print(f"Average stability:  {stability:.1f} days (over {len(reviewed)} reviewed cards)")
    else:
        print("Average stability:  none yet (no card reviewed)")


def open_state(state_path: Path, cards: list[Card], now: datetime) -> ReviewState:
    """Load the state, telling the learner if it was corrupt or holds cards the deck no longer has."""
    state, problem = load_state(state_path, now)
    if problem:
        print(f"flashcards: {problem}", file=sys.stderr)
    removed = sorted(state.cards.keys() - {card.id for card in cards})
    if removed:
        # Kept, not deleted: the card may come back (another branch, an undone edit).
        print(f"Note: {len(removed)} reviewed card(s) are no longer in the deck and are skipped: "
              f"{', '.join(removed)}.", file=sys.stderr)
    return state


def due_now(cards: list[Card], state: ReviewState, now: datetime) -> list[str]:
    """Ids of the cards to show: reviewed cards that are due, most overdue first, then new ones."""
    due = sorted((state.cards[card.id].due, index, card.id) for index, card in enumerate(cards)
                 if card.id in state.cards and state.cards[card.id].due <= now)
    return [card_id for *_, card_id in due] + [card.id for card in cards if card.id not in state.cards]


def new_fsrs_card(card_id: str, now: datetime) -> FsrsCard:
    # FSRS wants an integer id; one derived from the deck's id is the same on every machine.
    return FsrsCard(card_id=zlib.crc32(card_id.encode()), due=now)


def _undo(rated: list[tuple[str, FsrsCard | None]], state: ReviewState, state_path: Path, queue: list[str]) -> None:
    if not rated:
        print("Nothing to undo in this session.")
        return
    card_id, previous = rated.pop()
    if previous is None:
        del state.cards[card_id]
    else:
        state.cards[card_id] = previous
    state.reviews.pop()
    save_state(state_path, state)
    queue[:] = [card_id] + [other for other in queue if other != card_id]
    print(f"Took back the last rating of {card_id}; here it is again.")


def _ask(prompt: str, choices: set[str]) -> str:
    """Ask until the answer is one of `choices`; end of input counts as quitting."""
    while True:
        try:
            answer = input(prompt).strip().lower()
        except EOFError:
            print()
            return "q"
        if answer in choices:
            return answer
        print(f"Please type one of: {', '.join(sorted(repr(c) if c else 'Enter' for c in choices))}.")


def _when(due: datetime, now: datetime) -> str:
    wait = due - now
    if wait <= timedelta(0):
        return "now"
    if wait < timedelta(hours=1):
        return f"in {max(1, round(wait.total_seconds() / 60))} min"
    if wait < timedelta(days=1):
        return f"in {round(wait.total_seconds() / 3600)} h"
    return f"in {wait.days} day{'s' * (wait.days != 1)} ({due.date().isoformat()})"


# The terminal cannot typeset math: show the TeX with its most common commands as Unicode.
TEX_SYMBOLS = {
    r"\approx": "≈", r"\cdot": "·", r"\times": "×", r"\leftarrow": "←", r"\to": "→", r"\pm": "±",
    r"\neq": "≠", r"\le": "≤", r"\ge": "≥", r"\sum": "Σ", r"\epsilon": "ε", r"\gamma": "γ",
    r"\beta": "β", r"\mu": "μ", r"\sigma": "σ", r"\alpha": "α", r"\propto": "∝", r"\qquad": "    ", r"\quad": "  ",
    r"\,": " ", r"\_": "_",
}
# Longest first, and a letter command must end where the letters end: \le is not \leftarrow.
_TEX_COMMAND = re.compile("|".join(re.escape(c) + r"(?![A-Za-z])" * c[-1].isalpha()
                                   for c in sorted(TEX_SYMBOLS, key=len, reverse=True)))


def terminal_text(markdown: str) -> str:
    text = re.sub(r"\\(?:text|mathcal|mathrm)\{([^{}]*)\}", r"\1", markdown)
    text = re.sub(r"\\hat\s*\{?(\w)\}?", "\\1\u0302", text)  # x̂
    text = re.sub(r"([_^])\{(\w+)\}", r"\1\2", text)  # σ^2_{run} → σ^2_run
    while True:  # innermost first, so that \frac{a}{\sqrt{b}} comes out right
        simpler = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: f"{_group(m[1])}/{_group(m[2])}", text)
        simpler = re.sub(r"\\sqrt\{([^{}]*)\}", lambda m: f"√{_group(m[1])}", simpler)
        if simpler == text:
            break
        text = simpler
    # \ln 27 → "ln 27", \ln\frac{1}{27} → "ln 1/27", \frac{d}{dx}\tanh x → "d/dx tanh x", \ln(V) → "ln(V)"
    text = re.sub(r"(\w?)\\(ln|log|exp|tanh)(?![A-Za-z])\s*(?=([\w\\])?)",
                  lambda m: f"{m[1]}{' ' * bool(m[1])}{m[2]}{' ' * bool(m[3])}", text)
    text = _TEX_COMMAND.sub(lambda m: TEX_SYMBOLS[m[0]], text)
    text = re.sub(r"\\\[\s*(.*?)\s*\\\]", r"\n    \1\n", text, flags=re.S)
    text = re.sub(r"\\\(\s*(.*?)\s*\\\)", r"\1", text, flags=re.S)
    return re.sub(r"([_^])\{([^{}]*)\}", r"\1\2", text).strip()


def _group(tex: str) -> str:
    return tex if re.fullmatch(r"√?[\w.]+|√\([^()]*\)", tex) else f"({tex})"
