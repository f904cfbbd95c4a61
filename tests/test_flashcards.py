"""The flashcards as a learner and an editor use them: check the deck, review it, export it, read the page."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import markdown
import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from flashcards.__main__ import main, utc_time
from flashcards.anki import note_guid
from flashcards.check import check_deck
from flashcards.deck import OBJECTIVES, load_deck, read_deck
from flashcards.review import new_fsrs_card, terminal_text
from flashcards.safe_math import ExpressionError, evaluate
from flashcards.state import ReviewState, StateError, load_state, save_state
from site_build.anchors import page_anchors
from site_build.flashcards_page import ANKI_PACKAGE, PAGE, SCRIPT, STYLES, pages
from site_build.math import render_math
from tests.conftest import REPO, run_python

NOW = "2025-01-15T12:00:00+00:00"
REAL_CARDS = load_deck()


# ── The real deck ───────────────────────────────────────────────────────────────


def test_the_deck_has_at_least_30_cards_covering_every_objective():
    cards, problems = read_deck()
    assert problems == []
    assert len(cards) >= 30
    for objective in OBJECTIVES:
        assert sum(card.objective == objective for card in cards) >= 3, f"objective {objective} has too few cards"


@pytest.fixture(scope="module")
def real_deck_problems():
    _, problems = check_deck()
    return problems


def test_the_deck_file_itself_has_no_problems(real_deck_problems):
    assert [p for p in real_deck_problems if p.card_id is None] == []


@pytest.mark.parametrize("card", REAL_CARDS, ids=lambda card: card.id)
def test_every_card_passes_check(card, real_deck_problems):
    messages = [p.message for p in real_deck_problems if p.card_id == card.id]
    assert messages == []


def test_check_on_the_real_deck_passes():
    result = run_python("-m", "flashcards", "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_card_reads_in_a_terminal_without_tex_commands():
    for card in REAL_CARDS:
        assert "\\" not in terminal_text(card.front) + terminal_text(card.back), card.id


# ── check: every kind of bad deck ───────────────────────────────────────────────

PAGE_WITH_HEADINGS = """\
# A page

## Where to start {#start}

## A *plain* heading

```
## Not a heading, but code
```
"""


def card_toml(card_id="c001", link="page.md#start", back="It is about 3.2958.", **extra) -> str:
    fields = {"id": card_id, "objective": 1, "link": link, "front": r"What is \( \ln 27 \)?", "back": back, **extra}
    lines = ["[[cards]]"] + [f"{key} = {json.dumps(value)}" for key, value in fields.items() if value is not None]
    return "\n".join(lines) + "\n\n"


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "page.md").write_text(PAGE_WITH_HEADINGS)
    return folder


def run_check(tmp_path, docs, capsys, deck_text: str) -> tuple[int, list[str]]:
    deck = tmp_path / "deck.toml"
    deck.write_text(deck_text)
    status = main(["check", "--deck", str(deck), "--docs", str(docs)])
    captured = capsys.readouterr()
    return status, (captured.out + captured.err).splitlines()


def test_a_good_deck_passes(tmp_path, docs, capsys):
    deck = card_toml("c001", answer=3.2958, expression="-log(1/27)") + card_toml("c002", link="page.md#a-plain-heading")
    status, lines = run_check(tmp_path, docs, capsys, deck)
    assert status == 0, lines
    assert lines[-1].endswith("2 cards, no problems.")


@pytest.mark.parametrize("deck, line, card_id, message", [
    (card_toml("c001") + card_toml("c001"), 9, "c001", "id 'c001' is already used by the card at line 1"),
    (card_toml("c001") + card_toml("c002", back=None), 8, "c002", "missing field 'back'"),
    (card_toml("C 1"), 2, "C 1", "is not well-formed"),
    (card_toml("c001", objective=9), 3, "c001", "objective must be one of 1–5"),
    (card_toml("c001", frnot="typo"), 7, "c001", "unknown field 'frnot'"),
    (card_toml("c001", link="nowhere.md#start"), 4, "c001", "there is no page"),
    (card_toml("c001", link="page.md#nope"), 4, "c001", "page.md has no anchor #nope"),
    (card_toml("c001", link="page.md#not-a-heading-but-code"), 4, "c001", "has no anchor"),
    (card_toml("c001", link="https://example.org"), 4, "c001", "should look like page.md#anchor"),
    (card_toml("c001", answer=3.2985, expression="-log(1/27)"), 7, "c001", "answer 3.2985 disagrees with -log(1/27) = 3.2958"),
    (card_toml("c001", answer=1.5, expression="3/2"), 7, "c001", "answer 1.5 does not appear on the back"),
    (card_toml("c001", answer=1, expression="__import__('os')", back="1"), 8, "c001", "is not allowed"),
    (card_toml("c001", answer=3.2958), 7, "c001", "answer needs an expression too"),
    (card_toml("c001", back="Uses {{ a.placeholder }}."), 6, "c001", "reserves for lesson placeholders"),
])
def test_each_kind_of_bad_card_is_named_with_its_line(tmp_path, docs, capsys, deck, line, card_id, message):
    status, lines = run_check(tmp_path, docs, capsys, deck)
    assert status == 1
    assert any(f"deck.toml:{line}: card {card_id}: " in text and message in text for text in lines), lines


def test_every_problem_is_reported_not_just_the_first(tmp_path, docs, capsys):
    deck = card_toml("c001", link="page.md#nope") + card_toml("c002", back=None) + card_toml("c002")
    status, lines = run_check(tmp_path, docs, capsys, deck)
    assert status == 1
    assert [text.split(": ")[1] for text in lines[:-1]] == ["card c001", "card c002", "card c002"]
    assert lines[-1] == "3 problems in " + str(tmp_path / "deck.toml") + "."


@pytest.mark.parametrize("deck_text, message", [
    ('[[cards]\nid = "c001"\n', "not valid TOML"),
    ('[[cards]]\nid = "c001"\nobjective = one\n', "at line 3, column 13"),
    ('title = "no cards"\n', "expected a list of cards"),
])
def test_a_malformed_deck_file_is_one_line_with_the_place_to_fix(tmp_path, docs, capsys, deck_text, message):
    status, lines = run_check(tmp_path, docs, capsys, deck_text)
    assert status == 1
    assert len(lines) == 1 and message in lines[0] and "deck.toml" in lines[0], lines


def test_a_missing_deck_file_is_one_line(tmp_path, capsys):
    assert main(["stats", "--deck", str(tmp_path / "absent.toml"), "--state", str(tmp_path / "s.json")]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_anchors_come_from_attributes_and_from_headings_as_toc_makes_them():
    anchors = page_anchors(PAGE_WITH_HEADINGS + "\n## Repeat\n\n## Repeat\n\nText {: #para }\n")
    assert set(anchors) == {"start", "a-page", "a-plain-heading", "repeat", "repeat_1", "para"}
    assert anchors["start"] == "Where to start"


def test_expressions_are_arithmetic_and_nothing_else():
    assert evaluate("-log(1/27)") == pytest.approx(3.295836866)
    assert evaluate("(5/3) / sqrt(30)") == pytest.approx(0.3042903)
    for bad in ["__import__('os').system('true')", "open('x')", "1 +", "9**9**9", "log(0)", "x"]:
        with pytest.raises(ExpressionError):
            evaluate(bad)


# ── review: a terminal session, scheduled by FSRS ───────────────────────────────


@pytest.fixture
def small_deck(tmp_path):
    deck = tmp_path / "deck.toml"
    deck.write_text(card_toml("a1") + card_toml("b2") + card_toml("c3"))
    return deck


def review(monkeypatch, capsys, deck, state, keys, *options, now=NOW, stdin=None):
    """Run `flashcards review` with these keys typed, one per line; returns (status, stdout, stderr)."""
    monkeypatch.setattr("sys.stdin", stdin or io.StringIO("".join(f"{key}\n" for key in keys)))
    random.seed(1234)  # FSRS fuzzes long intervals with random(); the expected schedules below replay it
    status = main(["review", "--deck", str(deck), "--state", str(state), "--now", now, *options])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def saved_cards(state) -> dict:
    return json.loads(state.read_text())["cards"]


def test_ratings_schedule_cards_as_fsrs_says_over_two_days(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    # Good, Easy, Again; Again brings c3 back at the end of the session; then input ends.
    status, out, _ = review(monkeypatch, capsys, small_deck, state, ["", "3", "", "4", "", "1"])
    assert status == 0 and "3 of 3 cards due now (3 new)" in out and "3 ratings saved" in out

    now = utc_time(NOW)
    scheduler = Scheduler()
    random.seed(1234)
    expected = {card_id: scheduler.review_card(new_fsrs_card(card_id, now), rating, now)[0]
                for card_id, rating in [("a1", Rating.Good), ("b2", Rating.Easy), ("c3", Rating.Again)]}
    assert saved_cards(state) == {card_id: card.to_dict() for card_id, card in expected.items()}

    # Two days later a1 and c3 are due again (b2, rated Easy, is not): rate both Good.
    later = now + timedelta(days=2)
    status, out, _ = review(monkeypatch, capsys, small_deck, state, ["", "3", "", "3"], now=later.isoformat())
    assert status == 0 and "2 of 3 cards due now (0 new)" in out
    random.seed(1234)
    for card_id in ["c3", "a1"]:  # most overdue first: c3 was due a minute after the first session, a1 ten
        expected[card_id], _ = scheduler.review_card(expected[card_id], Rating.Good, later)
    assert saved_cards(state) == {card_id: card.to_dict() for card_id, card in expected.items()}
    reviews = json.loads(state.read_text())["reviews"]
    assert [(r["card"], r["rating"]) for r in reviews] == [("a1", 3), ("b2", 4), ("c3", 1), ("c3", 3), ("a1", 3)]


def test_undo_takes_back_the_last_rating_and_shows_the_card_again(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    status, out, _ = review(monkeypatch, capsys, small_deck, state, ["u", "", "1", "u", "", "4", "q"])
    assert status == 0
    assert "Nothing to undo" in out and "Took back the last rating of a1" in out
    now = utc_time(NOW)
    random.seed(1234)
    easy, _ = Scheduler().review_card(new_fsrs_card("a1", now), Rating.Easy, now)
    assert saved_cards(state) == {"a1": easy.to_dict()}
    assert json.loads(state.read_text())["reviews"] == [{"card": "a1", "rating": 4, "at": NOW}]


def test_the_state_file_round_trips(tmp_path):
    now = utc_time(NOW)
    card, _ = Scheduler(enable_fuzzing=False).review_card(new_fsrs_card("a1", now), Rating.Good, now)
    state = ReviewState(cards={"a1": card}, reviews=[{"card": "a1", "rating": 3, "at": NOW}])
    path = tmp_path / "deeper" / "state.json"
    save_state(path, state)
    loaded, problem = load_state(path, now)
    assert problem is None
    assert loaded.cards["a1"].to_dict() == card.to_dict() and loaded.reviews == state.reviews
    assert json.loads(path.read_text())["schema_version"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temporary file left behind


class InterruptedInput(io.StringIO):
    """Typed keys, then Ctrl-C."""

    def readline(self, *args):
        line = super().readline(*args)
        if not line:
            raise KeyboardInterrupt
        return line


def test_an_interrupted_session_keeps_every_rating_given(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    status, _, err = review(monkeypatch, capsys, small_deck, state, [], stdin=InterruptedInput("\n3\n\n2\n\n"))
    assert status == 130 and "Every rating you gave is saved" in err
    assert set(saved_cards(state)) == {"a1", "b2"}


def test_end_of_input_ends_the_session_and_keeps_the_ratings(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    status, out, _ = review(monkeypatch, capsys, small_deck, state, ["", "3", ""])
    assert status == 0 and "1 rating saved" in out
    assert set(saved_cards(state)) == {"a1"}


def test_limit_stops_the_session(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    status, out, _ = review(monkeypatch, capsys, small_deck, state, ["", "3"] * 3, "--limit", "2")
    assert status == 0 and "this session stops after 2" in out and "2 ratings saved" in out


def test_a_corrupt_state_file_is_kept_aside_with_a_clear_message(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    state.write_text('{"schema_version": 1, "cards": {')
    status, _, err = review(monkeypatch, capsys, small_deck, state, ["", "3"])
    assert status == 0
    aside = tmp_path / "state.json.corrupt-20250115T120000Z"
    assert err.count("\n") == 1 and "is corrupt" in err and aside.name in err and "starting afresh" in err
    assert aside.read_text() == '{"schema_version": 1, "cards": {'
    assert set(saved_cards(state)) == {"a1"}
    # A second corrupt file does not overwrite the first one kept aside.
    state.write_text("garbage")
    review(monkeypatch, capsys, small_deck, state, ["q"])
    assert aside.read_text().startswith('{"schema_version"')
    assert (tmp_path / "state.json.corrupt-20250115T120000Z-2").read_text() == "garbage"


def test_a_state_file_from_a_newer_version_is_left_alone(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    state.write_text('{"schema_version": 99}')
    status, _, err = review(monkeypatch, capsys, small_deck, state, ["q"])
    assert status == 1 and "newer version" in err
    assert state.read_text() == '{"schema_version": 99}'


def test_cards_removed_from_the_deck_are_reported_and_kept(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    now = utc_time(NOW)
    save_state(state, ReviewState(cards={"gone": FsrsCard(card_id=1, due=now)}))
    status, _, err = review(monkeypatch, capsys, small_deck, state, ["", "3"])
    assert status == 0 and "no longer in the deck" in err and "gone" in err
    assert set(saved_cards(state)) == {"gone", "a1"}


def test_the_state_location_comes_from_the_environment(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "from-env.json"
    monkeypatch.setenv("FLASHCARDS_STATE", str(state))
    monkeypatch.setenv("FLASHCARDS_NOW", NOW)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n3\n"))
    assert main(["review", "--deck", str(small_deck)]) == 0
    assert set(saved_cards(state)) == {"a1"}


def test_stats_after_a_session(monkeypatch, capsys, small_deck, tmp_path):
    state = tmp_path / "state.json"
    review(monkeypatch, capsys, small_deck, state, ["", "3", "", "4", "q"])
    assert main(["stats", "--deck", str(small_deck), "--state", str(state), "--now", NOW]) == 0
    out = capsys.readouterr().out
    # a1 (Good) is due again in 10 minutes, b2 (Easy) in days, c3 is new.
    assert "Due today:          2 (1 new)" in out
    assert "Learned:            1" in out and "Still learning:     1" in out
    stability = sum(card["stability"] for card in saved_cards(state).values()) / 2
    assert f"Average stability:  {stability:.1f} days (over 2 reviewed cards)" in out


@pytest.mark.parametrize("arguments", [
    [], ["review", "--limit", "0"], ["review", "--now", "yesterday"], ["export"], ["shuffle"],
    ["export", "--anki", "x.apkg", "--timestamp", "soon"],
])
def test_bad_arguments_give_one_line_and_a_nonzero_exit(capsys, arguments):
    with pytest.raises(SystemExit) as stop:
        main(arguments)
    assert stop.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_command_runs_as_a_learner_types_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "flashcards", "review", "--limit", "1", "--state", str(tmp_path / "s.json")],
        input="\n3\n", capture_output=True, text=True, cwd=REPO, env={**os.environ, "FLASHCARDS_NOW": NOW},
    )
    assert result.returncode == 0, result.stderr
    assert "1 rating saved" in result.stdout


# ── export --anki ───────────────────────────────────────────────────────────────


def read_notes(apkg) -> list[tuple[str, str, str]]:
    with zipfile.ZipFile(apkg) as archive:
        (apkg.parent / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(apkg.parent / "collection.anki2") as connection:
        return connection.execute("SELECT guid, flds, tags FROM notes").fetchall()


def test_export_gives_one_note_per_card_with_stable_guids_and_reproducible_bytes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://owner.github.io/deep-nets-wont-train")  # where the site is published
    for name, timestamp in [("first", "1700000000"), ("second", "1700000000"), ("later", "1800000000")]:
        (tmp_path / name).mkdir()
        assert main(["export", "--anki", str(tmp_path / name / "deck.apkg"), "--timestamp", timestamp]) == 0
    first, second, later = (tmp_path / name / "deck.apkg" for name in ["first", "second", "later"])
    assert first.read_bytes() == second.read_bytes()

    notes = read_notes(first)
    assert len(notes) == len(REAL_CARDS)
    assert [guid for guid, _, _ in notes] == [note_guid(card.id) for card in REAL_CARDS]
    assert [guid for guid, _, _ in read_notes(later)] == [guid for guid, _, _ in notes]
    front, back, lesson = notes[0][1].split("\x1f")
    assert r"\(" in front + back  # TeX left for Anki's MathJax
    assert 'href="https://owner.github.io/deep-nets-wont-train/confident-start/#uniform-baseline"' in lesson
    assert notes[0][2].strip() == "deep-nets-wont-train::objective-1"


# ── The site page ───────────────────────────────────────────────────────────────


def test_the_page_lists_every_card_with_math_typeset_and_a_link_to_its_section():
    files = pages()
    assert set(files) == {PAGE, SCRIPT, STYLES, ANKI_PACKAGE}
    assert f"]({ANKI_PACKAGE})" in files[PAGE], "the page offers the Anki download"
    html = markdown.markdown(
        files[PAGE],
        extensions=["admonition", "attr_list", "def_list", "md_in_html", "toc", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    html = render_math(html)
    assert html.count('class="flashcard"') == len(REAL_CARDS)
    for card in REAL_CARDS:
        start = html.index(f'id="card-{card.id}"')
        end = html.find('class="flashcard"', start)
        assert f'href="{card.link}"' in html[start:end], card.id
    assert "arithmatex" not in html and "<math" in html  # every formula became MathML
    assert "{{" not in files[PAGE]  # the site's placeholder syntax


def test_without_a_published_site_a_note_names_its_lesson_section_without_a_link(tmp_path, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    assert main(["export", "--anki", str(tmp_path / "deck.apkg"), "--timestamp", "0"]) == 0
    lesson = read_notes(tmp_path / "deck.apkg")[0][1].split("\x1f")[2]
    assert "href" not in lesson and "(confident-start.md#uniform-baseline)" in lesson


def test_the_sites_anki_download_holds_every_card_with_the_clis_guids(tmp_path):
    download = tmp_path / "site.apkg"
    download.write_bytes(pages()[ANKI_PACKAGE])
    assert zipfile.is_zipfile(download) and {"collection.anki2", "media"} <= set(zipfile.ZipFile(download).namelist())
    (tmp_path / "cli").mkdir()
    assert main(["export", "--anki", str(tmp_path / "cli" / "deck.apkg")]) == 0
    site_notes, cli_notes = read_notes(download), read_notes(tmp_path / "cli" / "deck.apkg")
    assert len(site_notes) == len(REAL_CARDS)
    assert [guid for guid, _, _ in site_notes] == [guid for guid, _, _ in cli_notes]
    assert [fields for _, fields, _ in site_notes] == [fields for _, fields, _ in cli_notes]


def test_the_page_script_works_offline():
    script = pages()[SCRIPT]
    assert "http" not in script and "import" not in script
    for behaviour in ["ArrowLeft", "ArrowRight", '" "', '"Enter"', "Shuffle", "aria-live", " / "]:
        assert behaviour in script


def test_a_state_that_is_not_a_regular_file_is_refused_and_left_alone(tmp_path):
    now = datetime.fromisoformat(NOW)
    fifo = tmp_path / "state.fifo"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path, Path("/dev/null")):
        with pytest.raises(StateError, match="not a regular file"):
            load_state(path, now)
        with pytest.raises(StateError, match="not a regular file"):
            save_state(path, ReviewState())
    assert fifo.exists() and stat.S_ISFIFO(fifo.stat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["state.fifo"]


def test_a_symlinked_state_is_written_through_the_link(tmp_path):
    target = tmp_path / "dotfiles" / "state.json"
    target.parent.mkdir()
    link = tmp_path / "state.json"
    link.symlink_to(target)
    save_state(link, ReviewState(reviews=[{"card": "a1", "rating": 3, "at": NOW}]))
    assert link.is_symlink() and json.loads(target.read_text())["reviews"][0]["card"] == "a1"


def test_a_corrupt_state_in_a_read_only_folder_is_one_message(tmp_path, monkeypatch):
    state = tmp_path / "state.json"
    state.write_text("garbage")
    monkeypatch.setattr(os, "replace", lambda *args: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(StateError, match="is corrupt .* cannot be moved aside \\(Permission denied\\)"):
        load_state(state, datetime.fromisoformat(NOW))
    assert state.read_text() == "garbage"


def test_ctrl_c_during_a_save_finishes_the_save_first(tmp_path, monkeypatch):
    state = tmp_path / "state.json"
    real_fsync = os.fsync

    def interrupted_fsync(fd):  # Ctrl-C arrives in the middle of writing
        signal.raise_signal(signal.SIGINT)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        save_state(state, ReviewState(reviews=[{"card": "a1", "rating": 3, "at": NOW}]))
    assert json.loads(state.read_text())["reviews"][0]["card"] == "a1", "the rating in flight is saved"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"], "no temporary file left behind"


def test_export_never_writes_over_what_is_not_a_regular_file(tmp_path, capsys):
    for target in (tmp_path, Path("/dev/null")):
        assert main(["export", "--anki", str(target), "--timestamp", "0"]) == 1
        assert "not a regular file; left untouched" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _card_dict(**changes) -> dict:
    card = {"card_id": 1, "state": 2, "step": None, "stability": 75.4, "difficulty": 2.1,
            "due": "2025-03-23T00:00:00+00:00", "last_review": "2025-01-01T00:00:00+00:00"}
    return {**card, **changes}


@pytest.mark.parametrize("changes, problem", [
    ({"last_review": "2025-01-01T00:00:00"}, "last_review date has no time zone"),
    ({"state": 1, "step": "abc"}, "step 'abc' is not a whole number"),
    ({"stability": float("nan")}, "stability nan is not a positive number"),
    ({"stability": float("inf")}, "stability inf is not a positive number"),
    ({"stability": 0}, "a card in review needs a stability"),
    ({"stability": None}, "a card in review needs a stability"),
    ({"difficulty": -1.0}, "difficulty -1.0 is not a positive number"),
])
def test_states_fsrs_cannot_use_are_set_aside(monkeypatch, capsys, small_deck, tmp_path, changes, problem):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"schema_version": 1, "cards": {"a1": _card_dict(**changes)}, "reviews": []}))
    assert main(["stats", "--deck", str(small_deck), "--state", str(state), "--now", NOW]) == 0
    assert problem in capsys.readouterr().err
    assert not state.exists() and len(list(tmp_path.glob("state.json.corrupt-*"))) == 1


def test_json_nested_too_deep_is_corrupt_not_a_crash(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("[" * 100_000 + "]" * 100_000)
    loaded, problem = load_state(state, datetime.fromisoformat(NOW))
    assert "nested too deeply" in problem and loaded.cards == {}


@pytest.mark.parametrize("argv, message", [
    (["export", "--anki", "x.apkg", "--timestamp", "nan"], "argument --timestamp: expected Unix seconds"),
    (["export", "--anki", "x.apkg", "--timestamp", "inf"], "argument --timestamp: expected Unix seconds"),
    (["export", "--anki", "x.apkg", "--timestamp", "1e20"], "argument --timestamp: expected Unix seconds"),
    (["stats", "--now", "9999-12-31T23:00"], "argument --now: '9999-12-31T23:00' is outside the years 1970 to 2099"),
])
def test_times_out_of_range_are_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv + (["--state", str(tmp_path / "s.json")] if argv[0] == "stats" else []))
    assert exit_.value.code != 0 and message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_source_date_epoch_is_checked_like_the_argument(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "nan")
    with pytest.raises(SystemExit):
        main(["export", "--anki", str(tmp_path / "x.apkg")])
    assert "$SOURCE_DATE_EPOCH" in capsys.readouterr().err


def test_expressions_too_long_or_deep_are_refused_not_crashed():
    with pytest.raises(ExpressionError, match="at most 1,000 are read"):
        evaluate("+".join(["1"] * 50_000))
    with pytest.raises(ExpressionError):  # Python's parser refuses 200 levels of parentheses
        evaluate("(" * 400 + "1" + ")" * 400)


@pytest.mark.parametrize("answer", ["inf", "nan", "-inf"])
def test_an_answer_must_be_finite(tmp_path, answer):
    deck = tmp_path / "deck.toml"
    deck.write_text(card_toml("c001", expression="1/2").rstrip() + f"\nanswer = {answer}\n")  # bare TOML floats
    _, problems = read_deck(deck)
    assert any("answer must be a finite number" in p.message for p in problems)


def test_a_deck_of_inline_cards_names_cards_by_their_place(tmp_path):
    card = '{id = "c001", objective = 1, link = "page.md#start", front = "a", back = "b"}'
    deck = tmp_path / "deck.toml"
    deck.write_text(f"cards = [{card}, {card}]\n")
    _, problems = read_deck(deck)
    assert [p.message for p in problems] == ["id 'c001' is already used by card number 1"]
    assert "line 0" not in problems[0].describe(deck)


def test_line_numbers_count_newlines_as_toml_does(tmp_path):
    deck = tmp_path / "deck.toml"
    first = card_toml("c001").replace("It is about 3.2958.", "It is about 3.2958.\u2028Really.")  # a literal U+2028
    deck.write_text(first + card_toml("c001"), encoding="utf-8")
    assert "\u2028" in deck.read_text(encoding="utf-8")
    _, problems = read_deck(deck)
    assert [p.line for p in problems] == [9]  # the second card's id line, with a U+2028 above it
