"""The README's two commands are the project's contract; .ci/run must run the second one verbatim."""

import subprocess

from tests.conftest import REPO


def fenced_command_after(marker: str) -> str:
    lines = (REPO / "README.md").read_text().splitlines()
    start = lines.index(marker)
    fence = next(i for i in range(start, len(lines)) if lines[i].startswith("```bash"))
    return lines[fence + 1]


def test_quick_start_is_two_commands():
    build, test = fenced_command_after("<!-- build-command -->"), fenced_command_after("<!-- test-command -->")
    assert "pip install -e ." in build and ("mkdocs serve" in build or "mkdocs build" in build)
    assert 'pip install -e ".[dev]"' in test and test.endswith("pytest")


def test_ci_runs_the_readme_test_command():
    script = (REPO / ".ci" / "run").read_text()
    extractor = script.split("test_command=$(")[1].split(")\n")[0]
    extracted = subprocess.run(["bash", "-c", extractor], capture_output=True, text=True, cwd=REPO).stdout.strip()
    assert extracted == fenced_command_after("<!-- test-command -->")
