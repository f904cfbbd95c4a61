"""Property tests: whatever a user feeds the tools, the answer is a result or one clear message, never a crash.

Every parser a user reaches is fed generated input: names files, answer sheets, decks, review
states, and the command lines' ranges. The property is the same each time: a valid result, or
the tool's own error naming the file; and no file changed that was not the tool's to change.
The examples are a fixed number, drawn the same way on every run (derandomize), so CI is stable.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fsrs import Rating, Scheduler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data import VOCAB, DataError, read_names
from engine.train import MAX_SEED, MAX_STEPS, whole_number
from flashcards.__main__ import LAST_YEAR, timestamp
from flashcards.deck import DeckError, read_deck
from flashcards.state import StateError, load_state
from practice.check import SheetError, check_sheet

PROPERTY = settings(max_examples=150, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NOW = datetime(2025, 1, 15, 12, tzinfo=timezone.utc)

# Text that looks like the real thing often enough to get past the first check, and garbage otherwise.
name_lines = st.lists(st.text(alphabet=VOCAB[1:] + "ABZ .-'\t\r\f\v\u2028\u0085é\ufeff\x00", max_size=12), max_size=30)


@pytest.mark.parametrize("read, error", [
    (read_names, DataError),
    (check_sheet, SheetError),
    (read_deck, DeckError),
    (lambda path: load_state(path, NOW), StateError),
], ids=["names", "sheet", "deck", "state"])
def test_a_fifo_is_refused_before_anything_is_read(tmp_path, read, error):
    """Reading a FIFO (or /dev/zero) would block, or never end: every reader checks the file's type first."""
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    with pytest.raises(error, match="not a regular file"):
        read(fifo)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@PROPERTY
@given(content=st.one_of(name_lines.map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")), st.binary(max_size=200)))
def test_any_names_file_gives_names_or_one_line(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("names")
    path = folder / "names.txt"
    path.write_bytes(content)
    try:
        names = read_names(path)
    except DataError as err:
        message = str(err)
        assert message.startswith(str(path)) and "\n" not in message
    else:
        assert names and all(name and set(name) <= set(VOCAB[1:]) for name in names)
    assert snapshot(folder) == {"names.txt": content}


sheet_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=12,
)
sheet_keys = st.sampled_from(["uniform-baseline", "tanh-slope", "dead-units", "batchnorm-stats", "batchmates", "nope"])


def toml_literal(value) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value == math.inf else "-inf" if value == -math.inf else repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


@PROPERTY
@given(entries=st.dictionaries(sheet_keys, sheet_values, max_size=4), noise=st.text(max_size=20))
def test_any_answer_sheet_gives_results_or_a_message(tmp_path_factory, entries, noise):
    folder = tmp_path_factory.mktemp("sheet")
    sheet = folder / "answers.toml"
    text = "".join(f"{key} = {toml_literal(value)}\n" for key, value in entries.items()) + noise
    sheet.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = snapshot(folder)
    try:
        results = check_sheet(sheet)
    except SheetError as err:
        assert "answers.toml" in str(err)
    else:
        assert all(result.message is not None for result in results)
    assert snapshot(folder) == before


deck_fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=6), st.integers()),
        "objective": st.one_of(st.integers(-2, 9), st.text(max_size=3)),
        "link": st.one_of(st.just("index.md#objectives"), st.text(max_size=12)),
        "front": st.text(max_size=20),
        "back": st.text(max_size=20),
        "answer": st.one_of(st.floats(), st.integers(), st.text(max_size=4)),
        "expression": st.one_of(st.text(alphabet="0123456789+-*/().elogsqrt ", max_size=30), st.integers()),
    },
)


@PROPERTY
@given(cards=st.lists(deck_fields, max_size=4), noise=st.text(max_size=10))
def test_any_deck_gives_cards_and_problems_or_a_message(tmp_path_factory, cards, noise):
    folder = tmp_path_factory.mktemp("deck")
    deck = folder / "deck.toml"
    blocks = ["[[cards]]\n" + "".join(f"{key} = {toml_literal(value)}\n" for key, value in card.items()) for card in cards]
    deck.write_text("\n".join(blocks) + noise, encoding="utf-8", errors="surrogatepass")
    before = snapshot(folder)
    try:
        found, problems = read_deck(deck)
    except DeckError as err:
        assert "deck.toml" in str(err)
    else:
        assert all(problem.message for problem in problems)
    assert snapshot(folder) == before


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=15,
)
card_dicts = st.fixed_dictionaries({
    "card_id": st.one_of(st.integers(), st.text(max_size=4)),
    "state": st.one_of(st.integers(0, 4), st.text(max_size=2)),
    "step": st.one_of(st.none(), st.integers(-2, 5), st.text(max_size=3)),
    "stability": st.one_of(st.none(), st.floats(), st.integers(-1, 100)),
    "difficulty": st.one_of(st.none(), st.floats(), st.integers(-1, 11)),
    "due": st.one_of(st.just("2025-01-10T00:00:00+00:00"), st.just("2025-01-10T00:00:00"), st.text(max_size=8)),
    "last_review": st.one_of(st.none(), st.just("2025-01-01T00:00:00+00:00"), st.just("2025-01-01T00:00:00")),
})
states = st.one_of(
    json_values,
    st.fixed_dictionaries({"schema_version": st.just(1), "cards": st.dictionaries(st.just("a1"), card_dicts, max_size=1),
                           "reviews": st.just([])}),
)


@PROPERTY
@given(state=states)
def test_any_review_state_loads_and_schedules_or_is_set_aside(tmp_path_factory, state):
    folder = tmp_path_factory.mktemp("state")
    path = folder / "state.json"
    path.write_text(json.dumps(state))
    try:
        loaded, problem = load_state(path, NOW)
    except StateError as err:  # written by a newer version: left as it is
        assert "newer version" in str(err) and path.exists()
        return
    for card in loaded.cards.values():  # what review and stats do with a loaded card must not fail
        Scheduler().review_card(card, Rating.Good, NOW)
    if problem:
        assert "corrupt" in problem and not path.exists()
        assert [p.name.startswith("state.json.corrupt-") for p in folder.iterdir()] == [True]
    else:
        assert snapshot(folder) == {"state.json": json.dumps(state).encode()}


@PROPERTY
@given(number=st.one_of(st.integers(), st.integers(-10, MAX_STEPS + 10)), noise=st.sampled_from(["", " ", ".0", "e3", "x"]))
def test_whole_numbers_on_the_command_line_are_in_range_or_refused(number, noise):
    for largest in (MAX_STEPS, MAX_SEED):
        text = f"{number}{noise}"
        try:
            value = whole_number(largest)(text)
        except argparse.ArgumentTypeError as err:
            assert f"got {text!r}" in str(err)
        else:
            assert 0 <= value <= largest and value == int(text)


@PROPERTY
@given(text=st.one_of(st.floats().map(repr), st.integers().map(str), st.text(max_size=25)))
def test_timestamps_are_in_range_or_refused(text):
    try:
        seconds = timestamp(text)
    except argparse.ArgumentTypeError as err:
        assert repr(text) in str(err)
    else:
        assert 0 <= seconds <= datetime(LAST_YEAR + 1, 1, 1, tzinfo=timezone.utc).timestamp()
