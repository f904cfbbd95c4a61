"""One test per exercise, run by `pytest practice`: right passes, wrong fails, blank is skipped."""

import pytest

from practice.check import BLANK, RIGHT
from practice.exercises import EXERCISES


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_answer(exercise, results):
    result = results[exercise.id]
    if result.status == BLANK:
        pytest.skip("not attempted")
    if result.status != RIGHT:
        # The feedback alone: pytest's usual report would show the expected value.
        pytest.fail(result.message, pytrace=False)
