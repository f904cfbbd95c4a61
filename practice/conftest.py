"""pytest glue for the learner's command, `pytest practice`: check the answer sheet once, then
report one test per exercise (see test_answers.py) and a progress line at the end.

The main suite (`pytest`, testpaths = tests) never loads this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from practice.check import SheetError, check_sheet, default_sheet, display_path, progress

_RESULTS = pytest.StashKey[dict]()
_SHEET = pytest.StashKey[Path]()


def pytest_addoption(parser):
    parser.addoption("--sheet", type=Path, default=None,
                     help="the answer sheet to check (default: $PRACTICE_SHEET, else practice/answers.toml)")


def pytest_sessionstart(session):
    sheet = session.config.getoption("--sheet") or default_sheet()
    try:
        results = check_sheet(sheet)
    except SheetError as err:
        # A usage error prints the message alone: no traceback for a typo in the sheet.
        raise pytest.UsageError(str(err)) from None
    session.config.stash[_SHEET] = sheet
    session.config.stash[_RESULTS] = {result.exercise.id: result for result in results}


@pytest.fixture
def results(request) -> dict:
    return request.config.stash[_RESULTS]


def pytest_terminal_summary(terminalreporter, config):
    if _RESULTS in config.stash:
        terminalreporter.write_line(f"practice: {progress(list(config.stash[_RESULTS].values()))} "
                                    f"({display_path(config.stash[_SHEET])})")
