"""The Practice page's checker (docs/javascripts/practice.js) gives `pytest practice`'s verdicts.

The same answers go to practice.check and, in Chromium, to the page's checker over the data
the build exports (site_build.practice_page.checker_data); status and feedback must agree.
Every exercise defined in practice/exercises.py is covered, whatever the set holds.
"""

from __future__ import annotations

import itertools
import json

import pytest

from practice.check import WRONG, INVALID, check_entry, hint_pointer
from practice.exercise import CHOICE, CHOICES, NUMBER, NUMBERS
from practice.exercises import EXERCISES
from site_build.practice_page import checker_data
from tests.conftest import REPO
from tests.test_browser import browser  # noqa: F401  (the fixture)

CHECKER = REPO / "docs" / "javascripts" / "practice.js"
ODD_NUMBERS = ["", "  ", "abc", "1e999", "nan", "-inf", "1_000", "1__0", "0x10", "+.5", "1.", "2e-3", "-0", "it's", "3,5"]


def answers(exercise) -> list[object]:
    """Answers as the page hands them over: right, nearly right, known mistakes, malformed."""
    if exercise.kind in (NUMBER, NUMBERS):
        tolerance, show = exercise.precision.tolerance, exercise.precision.format
        near = lambda x, k: x + k * tolerance(x)  # noqa: E731
        if exercise.kind == NUMBER:
            x = exercise.answer
            given = [show(x), f" {show(x)} ", repr(near(x, 0.9)), repr(near(x, -0.9)), repr(near(x, 1.5)),
                     repr(near(x, -1.5)), repr(10 * x), repr(-x), *ODD_NUMBERS]
            for wrong, _ in exercise.known_mistakes():
                given += [show(wrong), repr(near(wrong, 0.5))]
            return given
        rows = [list(exercise.answer), *(list(wrong) for wrong, _ in exercise.known_mistakes())]
        given = [[show(x) for x in row] for row in rows]
        for i in range(len(exercise.answer)):
            for k in (2, -2):
                given.append([repr(near(x, k)) if j == i else show(x) for j, x in enumerate(exercise.answer)])
            given.append([ODD_NUMBERS[(i + 2) % len(ODD_NUMBERS)] if j == i else show(x) for j, x in enumerate(exercise.answer)])
        return given + [""]
    labels = list(exercise.options)
    if exercise.kind == CHOICE:
        return [*labels, *(label.upper() for label in labels), f"({labels[0]})", "zz", "", labels[:2]]
    subsets = [list(s) for n in range(len(labels) + 1) for s in itertools.combinations(labels, n)]
    return [*subsets[:80], [labels[0], "zz"], [label.lower() for label in labels[:2]], ""]


def python_verdict(exercise, raw) -> dict:
    result = check_entry(exercise, raw)
    message = result.message
    if result.status == WRONG:  # the page words where the hint is in its own way
        message = message.removesuffix(hint_pointer(exercise)).rstrip("\n")
    if result.status == INVALID:
        message = message.removeprefix(f"sheet, {exercise.id}: ")
    return {"status": result.status, "message": message}


@pytest.fixture(scope="module")
def checker(browser):  # noqa: F811
    page = browser.new_page()
    page.set_content("<!doctype html><title>checker</title>")
    page.add_script_tag(content=CHECKER.read_text(encoding="utf-8"))
    yield page
    page.close()


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_page_and_pytest_practice_agree(checker, exercise):
    data = next(item for item in checker_data() if item["id"] == exercise.id)
    given = answers(exercise)
    page = checker.evaluate("([exercise, given]) => given.map((raw) => PracticeChecker.check(exercise, raw))",
                            [json.loads(json.dumps(data)), given])
    for raw, verdict in zip(given, page):
        assert verdict == python_verdict(exercise, raw), f"{exercise.id}: {raw!r}"
    assert {v["status"] for v in page} >= {"right", "wrong", "not attempted"}


@pytest.mark.parametrize("x", [0.0, -0.0, 1.0, 0.25, 3.2958, 1e-5, 0.0001, 0.00012345678, 123456.0, 1234567.0,
                               -2.0819888974716116, 1e21, 5e-324, 999999.5, 0.1 + 0.2, 100.0, 1e16])
def test_numbers_are_echoed_as_python_formats_them(checker, x):
    assert checker.evaluate("(x) => PracticeChecker.formatG(x)", x) == format(x, "g")
