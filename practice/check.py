"""Check an answer sheet: read it, validate every entry, and say what is wrong without giving the answer away.

Feedback names the learner's own value, whether it is too high or too low, what went wrong
when the value is a known mistake, and where the hint is. It never prints the expected
value. The same module writes the blank sheet and the reference sheet, whose answers are
computed from the exercises, so that the sheet's format lives in one place.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path

from practice.exercise import CHOICE, NUMBER, NUMBERS, Exercise
from practice.exercises import BY_ID, EXERCISES

DEFAULT_SHEET = Path(__file__).with_name("answers.toml")
SHEET_VARIABLE = "PRACTICE_SHEET"  # an environment variable naming another sheet
COMMAND = "pytest practice"  # the one command the page, the sheet and the README give the learner

RIGHT, WRONG, INVALID, BLANK = "right", "wrong", "invalid", "not attempted"


class SheetError(Exception):
    """A sheet that cannot be read at all; each line of the message names the file and the problem."""


@dataclass(frozen=True)
class Result:
    exercise: Exercise
    status: str  # RIGHT, WRONG, INVALID or BLANK
    message: str = ""  # what the learner reads for WRONG and INVALID


def default_sheet() -> Path:
    return Path(os.environ.get(SHEET_VARIABLE) or DEFAULT_SHEET)


# ---------------------------------------------------------------------------------------
# Reading a sheet


def load_sheet(path: Path) -> dict[str, object]:
    """The sheet's entries by exercise id; malformed TOML and unknown keys raise SheetError."""
    name = display_path(path)
    try:
        if Path(path).exists() and not Path(path).is_file():  # a FIFO or a device would block, or never end
            raise SheetError(f"{name}: not a regular file (the sheet is a TOML file, like practice/answers.toml)")
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SheetError(f"{name}: no such file (the blank sheet is practice/answers.toml in the repository)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SheetError(f"{name}: cannot be read as a text file ({err})") from None
    try:
        entries = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SheetError(_syntax_message(name, text, err)) from None
    except RecursionError:
        raise SheetError(f"{name}: nested too deeply to read (an answer is a number, a label or a flat list)") from None
    unknown = [key for key in entries if key not in BY_ID]
    if unknown:
        raise SheetError("\n".join(_unknown_key_message(name, key) for key in unknown))
    return entries


def _syntax_message(name: str, text: str, err: tomllib.TOMLDecodeError) -> str:
    # tomllib puts the position in its message: "(at line 3, column 12)" or "(at end of document)".
    reason = str(err)
    position = re.search(r"\(at line (\d+), column (\d+)\)", reason)
    if position:
        where = f"line {position[1]}, column {position[2]}"
    else:
        where = f"line {text.count(chr(10)) + 1}, at the end of the file"
    reason = re.sub(r"\s*\(at .*\)$", "", reason)
    return (
        f"{name}, {where}: not valid TOML ({reason.lower()}). Write a number bare (0.25), "
        'a label in quotes ("b"), a list in brackets ([0.25, 1.5]).'
    )


def _unknown_key_message(name: str, key: str) -> str:
    close = difflib.get_close_matches(key, list(BY_ID), n=1, cutoff=0.5)
    advice = f"did you mean {close[0]!r}?" if close else "the keys are the exercise ids on the Practice page."
    return f"{name}: unknown exercise {key!r}; {advice}"


class _EntryError(ValueError):
    pass


def parse_entry(exercise: Exercise, raw: object) -> object | None:
    """The learner's entry in the exercise's normal form; None when it is left blank."""
    if isinstance(raw, str) and not raw.strip():
        return None
    if exercise.kind == NUMBER:
        number = _number(raw)
        if number is None:
            raise _EntryError(f"expected a number such as 0.25, got {raw!r}")
        return number
    if exercise.kind == NUMBERS:
        length = len(exercise.answer)
        if not isinstance(raw, list):
            raise _EntryError(f"expected a list of {length} numbers in square brackets, got {raw!r}")
        if len(raw) != length:
            raise _EntryError(f"expected a list of {length} numbers, got {len(raw)}")
        numbers = [_number(item) for item in raw]
        for position, (item, number) in enumerate(zip(raw, numbers), start=1):
            if number is None:
                raise _EntryError(f"entry {position} of the list is not a number: {item!r}")
        return tuple(numbers)
    labels = raw if isinstance(raw, list) else [raw]  # one label is fine where a list is asked for
    if exercise.kind == CHOICE and len(labels) != 1:
        raise _EntryError(f"expected one label out of {', '.join(exercise.option_labels())}, got a list")
    known = {label.lower() for label in exercise.options}
    chosen = [_label(item) for item in labels]
    for item, label in zip(labels, chosen):
        if label not in known:
            raise _EntryError(f"{item!r} is not one of the labels {', '.join(exercise.option_labels())}")
    return chosen[0] if exercise.kind == CHOICE else frozenset(chosen)


def _number(raw: object) -> float | None:
    # Entries start out as "", so a number typed inside the quotes counts too.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return None
    if isinstance(raw, int) and abs(raw) > 10**300:  # beyond a float; no answer here is that large
        return None
    if isinstance(raw, (int, float)) and math.isfinite(raw):
        return float(raw)
    return None


def _label(raw: object) -> str:
    return str(raw).strip().strip("()").lower()


# ---------------------------------------------------------------------------------------
# Checking


def check_entry(exercise: Exercise, raw: object, sheet_name: str = "sheet") -> Result:
    try:
        value = parse_entry(exercise, raw)
    except _EntryError as err:
        return Result(exercise, INVALID, f"{sheet_name}, {exercise.id}: {err}.")
    if value is None:
        return Result(exercise, BLANK)
    if exercise.matches(value, exercise.answer):
        return Result(exercise, RIGHT)
    return Result(exercise, WRONG, feedback(exercise, value))


def check_sheet(path: Path) -> list[Result]:
    """One result per exercise, in the order of the Practice page; a missing entry is not attempted."""
    entries = load_sheet(path)
    return [check_entry(exercise, entries.get(exercise.id, ""), display_path(path)) for exercise in EXERCISES]


def feedback(exercise: Exercise, value: object) -> str:
    """What is wrong with a wrong answer, in terms of the learner's value only."""
    diagnosis = next((d for wrong, d in exercise.known_mistakes() if exercise.matches(value, wrong)), None)
    target = exercise.answer
    if exercise.kind == NUMBER:
        said = f"You wrote {value:g}, which is {_direction(value, target)}."
    elif exercise.kind == NUMBERS:
        off = [
            f"entry {i} (you wrote {v:g}) is {_direction(v, t)}"
            for i, (v, t) in enumerate(zip(value, target), start=1)
            if not exercise.precision.accepts(v, t)
        ]
        said = "In your list, " + "; ".join(off) + "."
    elif exercise.kind == CHOICE:
        said = f"You chose {exercise.show_labels(value)}."
    else:
        said = f"You listed {exercise.show_labels(value) or 'nothing'}."
        if diagnosis is None:  # how many are wrong, never which: choosing every option must not reveal the answer
            extra, missing = len(value - target), len(target - value)
            if extra:
                said += f" {extra} of them should not be on the list."
            if missing:
                said += f" {missing} {'is' if missing == 1 else 'are'} missing."
    return "\n".join(part for part in [said, diagnosis, hint_pointer(exercise)] if part)


def _direction(value: float, target: float) -> str:
    return "too high" if value > target else "too low"


def hint_pointer(exercise: Exercise) -> str:
    return f'Hint: python -m practice --hint {exercise.id}, or under "{exercise.title}" on the Practice page.'


def progress(results: list[Result]) -> str:
    done = sum(result.status == RIGHT for result in results)
    return f"{done}/{len(results)} done"


def report(results: list[Result], path: Path) -> str:
    """The terminal report of `python -m practice`: one line per exercise, feedback under the wrong ones."""
    lines = [display_path(path)]
    for result in results:
        lines.append(f"  {result.status:<14} {result.exercise.id}")
        if result.message:
            lines.append(textwrap.indent(result.message, "    "))
    lines.append(progress(results))
    return "\n".join(lines)


def plain(markdown: str) -> str:
    """Markdown for a terminal (a hint): math delimiters and emphasis dropped, the TeX inside kept."""
    return re.sub(r"\\[()\[\]] ?| ?\\[)\]]|\*\*?|`", "", markdown).replace("\\_", "_")


def display_path(path: Path) -> str:
    path = Path(path)
    try:
        return str(Path(os.path.realpath(path)).relative_to(Path.cwd()))  # realpath never raises on a symlink loop
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------
# Writing sheets

SHEET_HEADER = f"""\
# Answer sheet for the practice exercises of "Why deep nets won't train".
# The exercises are on the site's Practice page. Write each answer after its "=":
#   a number: 0.25     a list: [0.25, 1.5]     one label: "b"     several labels: ["a", "c"]
# An entry left as "" counts as not attempted. Check your answers with:
#   {COMMAND}
"""


def blank_sheet() -> str:
    return _sheet({exercise.id: '""' for exercise in EXERCISES})


def reference_sheet() -> str:
    """Every answer computed from its exercise's definition: what CI checks the checker against."""
    return _sheet({exercise.id: toml_value(exercise, exercise.answer) for exercise in EXERCISES})


def _sheet(entries: dict[str, str]) -> str:
    blocks = [SHEET_HEADER]
    for number, exercise in enumerate(EXERCISES, start=1):
        comment = f"# {number}. {exercise.title}: {exercise.describe_answer()}"
        blocks.append(f"{comment}\n{exercise.id} = {entries[exercise.id]}\n")
    return "\n".join(blocks)


def toml_value(exercise: Exercise, value: object) -> str:
    """A normalised answer as the learner would write it in the sheet."""
    if exercise.kind == NUMBER:
        return repr(value)
    if exercise.kind == NUMBERS:
        return "[" + ", ".join(map(repr, value)) + "]"
    literals = dict(zip((label.lower() for label in exercise.options), exercise.option_labels()))
    if exercise.kind == CHOICE:
        return literals[value]
    return "[" + ", ".join(literal for label, literal in literals.items() if label in value) + "]"
