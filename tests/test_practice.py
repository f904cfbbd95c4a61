"""The practice set: the checker against sheets made here, the reference answers, the page, and `pytest practice`."""

from __future__ import annotations

import math
import re

import markdown
import pytest
import torch

from engine.layers import BatchNorm1d, Linear
from engine.model import TANH_GAIN
from site_build.math import render_math
from practice.__main__ import main
from practice.check import (
    BLANK, DEFAULT_SHEET, INVALID, RIGHT, WRONG, SheetError, blank_sheet, check_sheet, default_sheet, reference_sheet,
    toml_value,
)
from practice.exercise import CHOICES, NUMBER, NUMBERS, decimals, significant
from practice.exercises import BY_ID, EXERCISES
from site_build.anchors import current_section, heading_anchors
from site_build.practice_page import pages, practice_line
from tests.conftest import REPO, run_python

pytest_plugins = ["pytester"]  # runs `pytest practice` in-process

MISTAKES = [(e, wrong, diagnosis) for e in EXERCISES for wrong, diagnosis in e.known_mistakes()]
MISTAKE_IDS = [f"{e.id}-{n}" for e in EXERCISES for n in range(1, len(e.mistakes) + 1)]


def check_one(tmp_path, exercise_id: str, value: str):
    """Check a sheet that answers one exercise with `value` (TOML text); return that exercise's result."""
    sheet = tmp_path / "answers.toml"
    sheet.write_text(f"{exercise_id} = {value}\n")
    return next(r for r in check_sheet(sheet) if r.exercise.id == exercise_id)


def assert_answer_hidden(exercise, message: str, given=None):
    """No rendering of the expected value appears in the message (beyond what the learner wrote)."""
    answer = exercise.answer
    if exercise.kind in (NUMBER, NUMBERS):
        for x in [given] if exercise.kind == NUMBER and given is not None else given or []:
            message = message.replace(f"{x:g}", "")  # the learner's own values, echoed
        for x in answer if exercise.kind == NUMBERS else [answer]:
            variants = {repr(x), *(f"{x:.{n}f}" for n in (2, 3, 4)), *(f"{x:.{n}g}" for n in (3, 4, 6))}
            for text in variants:
                # Very short renderings ("1", "0.4") also occur in ordinary text.
                assert len(text) < 4 or text not in message, f"{exercise.id}: {text!r} in {message!r}"
    else:
        missing = answer - (given or set()) if exercise.kind == CHOICES else {answer}
        for label in missing:
            if len(label) > 1 or label.isdigit():
                assert not re.search(rf"\b{re.escape(label)}\b", message, re.I), f"{exercise.id}: {label}"
            assert f"({label})" not in message.lower()


# ---------------------------------------------------------------------------------------
# The definitions


def test_every_objective_is_drilled_and_ids_are_unique():
    assert len(EXERCISES) >= 12
    assert {e.objective for e in EXERCISES} == {1, 2, 3, 4, 5}
    assert len(BY_ID) == len(EXERCISES)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", e.id) for e in EXERCISES)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_links_to_a_lesson_section(exercise):
    page, _, anchor = exercise.section.partition("#")
    assert (REPO / "docs" / page).is_file(), exercise.section
    assert anchor in heading_anchors((REPO / "docs" / page).read_text()), f"{exercise.section}: no such heading"


def test_every_section_with_exercises_says_so_under_it():
    """Each section an exercise drills carries a {{ practice }} line, which the build fills from the definitions."""
    for section in {e.section for e in EXERCISES}:
        page, _, anchor = section.partition("#")
        text = (REPO / "docs" / page).read_text()
        sections = [current_section(text[: m.start()]) for m in re.finditer(r"\{\{ practice \}\}", text)]
        assert anchor in sections, f"{section}: no {{{{ practice }}}} line under it"
    assert practice_line("confident-start.md#uniform-baseline").startswith("*Practice:* [The loss of knowing nothing](practice.md#ex-uniform-baseline)")


@pytest.mark.parametrize("exercise, wrong, diagnosis", MISTAKES, ids=MISTAKE_IDS)
def test_known_mistakes_are_wrong_and_told_apart(exercise, wrong, diagnosis):
    assert not exercise.matches(wrong, exercise.answer)
    assert not exercise.matches(exercise.answer, wrong)


def test_expected_values_agree_with_torch():
    def answer(exercise_id):
        return torch.tensor(BY_ID[exercise_id].answer, dtype=torch.float64)

    given = BY_ID["confident-wrong-loss"].inputs
    logits = torch.tensor([given["logits"]], dtype=torch.float64)
    target = torch.tensor([given["symbols"].index(given["target"])])
    assert torch.isclose(torch.nn.functional.cross_entropy(logits, target), answer("confident-wrong-loss"))
    scaled = logits * BY_ID["scaled-logits-loss"].inputs["scale"]
    assert torch.isclose(torch.nn.functional.cross_entropy(scaled, target), answer("scaled-logits-loss"))

    x = torch.tensor(BY_ID["tanh-slope"].inputs["xs"], dtype=torch.float64, requires_grad=True)
    torch.tanh(x).sum().backward()
    assert torch.allclose(x.grad, answer("tanh-slope"))

    assert math.isclose(torch.nn.init.calculate_gain("tanh"), TANH_GAIN)
    w, inputs = torch.randn(2000, 1000), torch.randn(2000, 1000)
    assert abs((w * inputs).sum(1).std() - answer("sum-std")) < 1.5

    given = BY_ID["batchnorm-output"].inputs
    bn = torch.nn.BatchNorm1d(1, eps=given["eps"], momentum=BY_ID["running-mean-update"].inputs["momentum"])
    bn = bn.double()
    with torch.no_grad():
        bn.weight.fill_(given["gamma"])
        bn.bias.fill_(given["beta"])
        bn.running_mean.fill_(BY_ID["running-mean-update"].inputs["running_mean"])
        out = bn(torch.tensor(given["batch"], dtype=torch.float64)[:, None])[:, 0]
    assert torch.allclose(out, answer("batchnorm-output"))
    assert torch.isclose(bn.running_mean[0], answer("running-mean-update"))
    batch = torch.tensor(given["batch"], dtype=torch.float64)
    assert torch.allclose(torch.stack([batch.mean(), batch.var(unbiased=False)]), answer("batchnorm-stats"))

    given = {k: torch.tensor(v, dtype=torch.float64) for k, v in BY_ID["fold-batchnorm"].inputs.items()}
    linear, norm = Linear(2, 2), BatchNorm1d(2, eps=float(given["eps"]))
    linear.weight, linear.bias = given["W"], given["b"]
    norm.gamma, norm.beta, norm.running_mean, norm.running_var = (
        given["gamma"], given["beta"], given["running_mean"], given["running_var"])
    norm.training = False
    folded = answer("fold-batchnorm")
    x = torch.randn(5, 2, dtype=torch.float64)
    assert torch.allclose(norm(linear(x)), x @ folded[:4].view(2, 2) + folded[4:])


def test_an_all_zero_mlp_only_ever_trains_its_output_bias():
    # The worked solution's claim beyond the first step: h and W2 stay zero for good.
    torch.manual_seed(0)
    x, y = torch.randn(32, 30), torch.randint(0, 27, (32,))
    p = {n: torch.zeros(s, requires_grad=True) for n, s in [("W1", (30, 200)), ("b1", (200,)),
                                                           ("W2", (200, 27)), ("b2", (27,))]}
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"], y)
        grads = torch.autograd.grad(loss, list(p.values()))
        assert [n for n, g in zip(p, grads) if g.abs().max() > 0] == ["b2"]
        with torch.no_grad():
            for tensor, g in zip(p.values(), grads):
                tensor -= 0.5 * g


# ---------------------------------------------------------------------------------------
# Sheets


def test_reference_sheet_passes_every_exercise(tmp_path):
    sheet = tmp_path / "reference.toml"
    sheet.write_text(reference_sheet())
    assert {r.exercise.id: r.status for r in check_sheet(sheet)} == {e.id: RIGHT for e in EXERCISES}


def test_committed_sheet_is_the_blank_sheet():
    assert DEFAULT_SHEET.read_text() == blank_sheet(), (
        "practice/answers.toml must be blank and in step with the exercises; rewrite it with "
        "python -c \"from practice.check import blank_sheet; print(blank_sheet(), end='')\" > practice/answers.toml"
    )
    assert all(r.status == BLANK for r in check_sheet(DEFAULT_SHEET))


def test_sheet_can_be_chosen_by_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("PRACTICE_SHEET", str(tmp_path / "mine.toml"))
    assert default_sheet() == tmp_path / "mine.toml"


@pytest.mark.parametrize("exercise, wrong, diagnosis", MISTAKES, ids=MISTAKE_IDS)
def test_a_known_mistake_gets_its_diagnosis(tmp_path, exercise, wrong, diagnosis):
    result = check_one(tmp_path, exercise.id, toml_value(exercise, wrong))
    assert result.status == WRONG
    assert diagnosis in result.message
    assert f"python -m practice --hint {exercise.id}" in result.message
    assert_answer_hidden(exercise, result.message, given=wrong)


def test_a_number_says_too_high_or_too_low(tmp_path):
    answer = BY_ID["kaiming-std"].answer
    high = check_one(tmp_path, "kaiming-std", repr(answer + 0.1)).message
    low = check_one(tmp_path, "kaiming-std", repr(answer - 0.1)).message
    assert f"You wrote {answer + 0.1:g}, which is too high." in high
    assert f"You wrote {answer - 0.1:g}, which is too low." in low
    for message in (high, low):
        assert_answer_hidden(BY_ID["kaiming-std"], message)


def test_a_list_names_its_wrong_entries_only(tmp_path):
    exercise = BY_ID["tanh-slope"]
    entries = list(exercise.answer)
    entries[2] *= 2
    result = check_one(tmp_path, exercise.id, toml_value(exercise, entries))
    assert result.status == WRONG
    assert f"entry 3 (you wrote {entries[2]:g}) is too high" in result.message
    assert "entry 1" not in result.message and "entry 4" not in result.message


def test_a_set_counts_wrong_picks_and_never_names_them(tmp_path):
    message = check_one(tmp_path, "dead-units", "[2, 5]").message
    assert "1 of them should not be on the list" in message and "1 is missing" in message
    assert_answer_hidden(BY_ID["dead-units"], message, given={"2", "5"})


def test_choosing_every_option_reveals_no_answer(tmp_path):
    """Picking all the labels at once must not turn the feedback into the answer key."""
    for exercise in (e for e in EXERCISES if e.kind == CHOICES):
        every = sorted(exercise.options)
        message = check_one(tmp_path, exercise.id, "[" + ", ".join(f'"{label}"' for label in every) + "]").message
        wrong_labels = set(every) - {str(label) for label in exercise.answer}
        said = message.split("You listed", 1)[1].split(".", 1)[1]  # what follows the echo of the learner's list
        assert not any(re.search(rf"\b{re.escape(label)}\b", said) for label in wrong_labels), (exercise.id, message)


def test_right_answers_pass_within_the_stated_precision(tmp_path):
    assert check_one(tmp_path, "uniform-baseline", "3.296").status == RIGHT
    assert check_one(tmp_path, "uniform-baseline", '"3.296"').status == RIGHT  # typed inside the quotes
    assert check_one(tmp_path, "uniform-baseline", "3.31").status == WRONG
    assert check_one(tmp_path, "mystery-init", '"(B)"').status == RIGHT
    assert check_one(tmp_path, "zero-init-gradient", '"b2"').status == RIGHT


@pytest.mark.parametrize(
    "precision, expected, accepted, refused",
    [
        (significant(3), 0.78645, [0.786, 0.787, 0.7855], [0.779, 0.784, 0.789]),
        (significant(3), 0.070651, [0.0707, 0.0706, 0.07065], [0.0700, 0.0709, 0.07]),
        (significant(3), 0.099996, [0.100, 0.0999], [0.098, 0.102]),  # rounds up to 0.100: its last place is 0.001
        (significant(3), 1234.5, [1230, 1240], [1220, 1250]),
        (decimals(2), 1.7094, [1.71, 1.70], [1.69, 1.72]),
    ],
)
def test_precision_is_one_unit_in_the_last_stated_place(precision, expected, accepted, refused):
    assert all(precision.accepts(value, expected) for value in accepted)
    assert not any(precision.accepts(value, expected) for value in refused)


@pytest.mark.parametrize(
    "exercise_id, value, problem",
    [
        ("kaiming-std", '"abc"', "expected a number such as 0.25, got 'abc'"),
        ("kaiming-std", "true", "expected a number"),
        ("kaiming-std", "[0.3]", "expected a number"),
        ("batchnorm-stats", "[0.5]", "expected a list of 2 numbers, got 1"),
        ("batchnorm-stats", "0.5", "expected a list of 2 numbers in square brackets"),
        ("batchnorm-stats", '[0.5, "x"]', "entry 2 of the list is not a number: 'x'"),
        ("mystery-init", '"e"', "'e' is not one of the labels"),
        ("dead-units", "[2, 9]", "9 is not one of the labels"),
    ],
)
def test_a_bad_entry_gets_a_one_line_message(tmp_path, exercise_id, value, problem):
    result = check_one(tmp_path, exercise_id, value)
    assert result.status == INVALID
    assert f"answers.toml, {exercise_id}: " in result.message
    assert problem in result.message and "\n" not in result.message


def test_malformed_toml_names_line_and_column(tmp_path, capsys):
    sheet = tmp_path / "answers.toml"
    sheet.write_text('uniform-baseline = ""\nkaiming-std = 0.3.0\n')
    assert main(["--sheet", str(sheet)]) == 2
    error = capsys.readouterr().err
    assert "answers.toml, line 2, column" in error and "not valid TOML" in error
    assert "Traceback" not in error and error.count("\n") == 1


def test_unknown_key_suggests_the_nearest(tmp_path, capsys):
    sheet = tmp_path / "answers.toml"
    sheet.write_text("kaiming-sdt = 0.3\n")
    assert main(["--sheet", str(sheet)]) == 2
    assert "unknown exercise 'kaiming-sdt'; did you mean 'kaiming-std'?" in capsys.readouterr().err


def test_cli_reports_progress_and_exit_status(tmp_path, capsys):
    sheet = tmp_path / "answers.toml"
    sheet.write_text("uniform-baseline = 3.296\nsum-std = 1000\n")
    assert main(["--sheet", str(sheet)]) == 1
    out = capsys.readouterr().out
    assert f"1/{len(EXERCISES)} done" in out and "That is the variance of the sum" in out
    sheet.write_text("uniform-baseline = 3.296\n")
    assert main(["--sheet", str(sheet)]) == 0
    assert main(["--hint", "kaiming-std"]) == 0
    assert "fan_in" in capsys.readouterr().out
    assert main(["--hint", "no-such-exercise"]) == 2


# ---------------------------------------------------------------------------------------
# The page


@pytest.fixture(scope="module")
def practice_md():
    return pages()["practice.md"]


def test_page_lists_every_exercise_with_anchor_hint_and_solution(practice_md):
    page = practice_md
    for exercise in EXERCISES:
        block = page.split(f"{{#ex-{exercise.id}}}")[1].split("\n## ")[0]
        assert f"]({exercise.section})" in block
        assert '??? tip "Hint"' in block and '??? success "Worked solution"' in block
    assert "pytest practice" in page and "practice/answers.toml" in page
    assert "{{" not in page and "$" not in page  # no unexpanded placeholder, nothing arithmatex reads as math


def test_page_math_renders(practice_md):
    page = practice_md
    html = markdown.markdown(
        page,
        extensions=["admonition", "attr_list", "md_in_html", "tables", "toc", "pymdownx.details",
                    "pymdownx.superfences", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    rendered = render_math(html)
    assert 'class="arithmatex"' not in rendered
    assert rendered.count("<math") == page.count("\\(") + page.count("\\[")
    assert len(re.findall(r'id="ex-[a-z0-9-]+"', rendered)) == len(EXERCISES)


# ---------------------------------------------------------------------------------------
# The learner's command


def test_pytest_practice_on_the_blank_sheet_skips_everything():
    # Exactly the learner's command, in a fresh process.
    run = run_python("-m", "pytest", "practice", "-q", "-p", "no:cacheprovider")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(EXERCISES)} skipped" in run.stdout and f"0/{len(EXERCISES)} done" in run.stdout
    assert "not attempted" in run.stdout


def run_pytest_practice(pytester, sheet_text: str):
    """`pytest practice --sheet <sheet>` in this process (a fresh one costs seconds of imports)."""
    sheet = pytester.path / "answers.toml"
    sheet.write_text(sheet_text)
    # pytest-playwright, if installed, cannot nest inside a running session.
    return pytester.runpytest_inprocess(REPO / "practice", "--sheet", str(sheet),
                                        "-p", "no:cacheprovider", "-p", "no:playwright")


def test_pytest_practice_fails_a_wrong_answer_with_feedback_only(pytester):
    exercise = BY_ID["uniform-baseline"]
    wrong, diagnosis = exercise.known_mistakes()[0]
    run = run_pytest_practice(pytester, f"{exercise.id} = {wrong!r}\nsum-std = 31.6\n")
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    run.assert_outcomes(passed=1, failed=1, skipped=len(EXERCISES) - 2)
    output = run.stdout.str()
    assert diagnosis in output and f"1/{len(EXERCISES)} done" in output
    assert "Traceback" not in output and "assert" not in output
    assert_answer_hidden(exercise, output)


def test_pytest_practice_on_a_malformed_sheet_prints_one_error(pytester):
    run = run_pytest_practice(pytester, "uniform-baseline = [1,\n")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "not valid TOML" in run.stderr.str() and "Traceback" not in run.stderr.str()


@pytest.mark.parametrize("text, message", [
    ("batchnorm-stats = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply to read"),
])
def test_hostile_sheets_are_one_message(tmp_path, text, message):
    sheet = tmp_path / "answers.toml"
    sheet.write_text(text)
    with pytest.raises(SheetError, match=message):
        check_sheet(sheet)


def test_a_huge_integer_is_a_wrong_answer_not_a_crash(tmp_path):
    result = check_one(tmp_path, "uniform-baseline", "9" * 400)
    assert result.status in (WRONG, INVALID)


def test_a_symlink_loop_as_the_sheet_is_one_message(tmp_path):
    loop = tmp_path / "answers.toml"
    loop.symlink_to(loop)
    with pytest.raises(SheetError, match="cannot be read"):
        check_sheet(loop)
