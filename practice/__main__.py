"""`python -m practice`: check an answer sheet, or print one exercise's hint.

Exit status: 0 when every attempted answer is right, 1 when one is wrong or unreadable,
2 when the sheet as a whole cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from practice.check import INVALID, WRONG, SheetError, check_sheet, default_sheet, plain, report
from practice.exercises import BY_ID


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m practice", description="Check your practice answer sheet.")
    parser.add_argument("--sheet", type=Path, default=None,
                        help="the sheet to check (default: $PRACTICE_SHEET, else practice/answers.toml)")
    parser.add_argument("--hint", metavar="EXERCISE", help="print the hint of one exercise, by its id")
    args = parser.parse_args(argv)

    if args.hint is not None:
        exercise = BY_ID.get(args.hint)
        if exercise is None:
            print(f"no exercise {args.hint!r}; the ids are: {', '.join(BY_ID)}", file=sys.stderr)
            return 2
        print(plain(exercise.render(exercise.hint)))
        return 0

    sheet = args.sheet or default_sheet()
    try:
        results = check_sheet(sheet)
    except SheetError as err:
        print(err, file=sys.stderr)
        return 2
    print(report(results, sheet))
    return 1 if any(result.status in (WRONG, INVALID) for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
