"""What the practice set and the deck claim, held to torch and to each other.

tests/test_practice.py checks the checker; this file checks the content: that each new
exercise's answer is what a real network does, that a learner who follows a worked solution
passes, that one saturation threshold is used everywhere, and that no card gives an
exercise's answer away.
"""

from __future__ import annotations

import math
import re

import markdown
import pytest
import torch

from engine.diagnostics import SATURATED, dead_units
from engine.layers import BatchNorm1d
from flashcards.deck import DECK_PATH, read_deck
from practice.calculations import (
    SHAPE_GAINS, all_zero_settled_loss, batchnorm_identities, layer_summaries, measured_stacked_std, needs_a_fix,
    next_character_entropy, shape_of, stacked_std, zero_init_options,
)
from practice.exercise import NUMBER, NUMBERS
from practice.exercises import BY_ID, EXERCISES
from site_build.flashcards_page import card_markdown
from site_build.math import render_math

CARDS, _ = read_deck(DECK_PATH)


# ---------------------------------------------------------------------------------------
# Answers against what networks do


def test_the_all_zero_net_settles_at_the_entropy_of_the_next_character():
    settled, sample_entropy = all_zero_settled_loss()
    assert abs(settled - sample_entropy) < 0.01  # only b2 learns: the best context-free prediction
    answer = BY_ID["zero-init-loss"].answer
    text, loss = zero_init_options()[answer]
    assert loss == next_character_entropy() and f"{loss:.2f}" in text


def test_the_gains_are_torchs():
    slope = BY_ID["relu-gain"].inputs["slope"]
    expected = [torch.nn.init.calculate_gain("relu"), torch.nn.init.calculate_gain("leaky_relu", slope)]
    assert BY_ID["relu-gain"].answer == pytest.approx(expected)


def test_gain_to_the_depth_is_what_a_random_stack_measures():
    for gain, layers in [(0.5, 5), (1.2, 20)]:
        assert 0.7 < measured_stacked_std(gain, layers) / stacked_std(gain, layers) < 1.3


def test_the_three_stacks_read_as_their_gains_say():
    expected = {5 / 3: "healthy", 3.0: "saturated", 0.5: "collapsing"}
    shapes = [shape_of(*values) for values in layer_summaries().values]
    assert shapes == [expected[gain] for gain in SHAPE_GAINS.values()]


def test_batchnorm_ignores_a_bias_and_the_weights_scale_but_not_in_the_gradient():
    given = BY_ID["batchnorm-rescaling"].inputs
    measured = batchnorm_identities(given["scale"], given["shift"])
    assert measured["output_change"] < 1e-9 and measured["bias_grad"] < 1e-9
    assert measured["grad_ratio"] == pytest.approx(given["scale"])


def test_train_and_eval_outputs_are_batchnorms():
    given = BY_ID["train-vs-eval"].inputs
    layer = BatchNorm1d(1, eps=given["eps"])

    def column(name):
        return torch.tensor([given[name]], dtype=torch.float64)

    layer.gamma, layer.beta, layer.running_mean, layer.running_var = map(column, ["gamma", "beta", "running_mean",
                                                                                  "running_var"])
    batch = torch.tensor(given["batch"], dtype=torch.float64)[:, None]
    trained = layer(batch)[-1, 0].item()
    layer.training = False
    layer.running_mean, layer.running_var = column("running_mean"), column("running_var")  # as training left them
    evaluated = layer(batch)[-1, 0].item()
    assert BY_ID["train-vs-eval"].answer == pytest.approx([trained, evaluated])


@pytest.mark.parametrize(
    "label, fixed",
    [
        ("a", "W1 = torch.randn(30, 200) * (5/3) / 30**0.5"),
        ("b", "xhat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)"),
        ("c", "hpreact = embcat @ W1 + b1 * embcat[:, :1]"),  # a bias that varies per example does learn
        ("d", "model.eval()\nwith torch.no_grad(): logits = model(Xval)"),
    ],
)
def test_each_bug_is_one_its_fix_removes(label, fixed):
    assert needs_a_fix(label) and not needs_a_fix(label, fixed)


@pytest.mark.parametrize(
    "label, broken",
    [
        ("e", "W2 = torch.randn(200, 27); b2 = torch.zeros(27)"),
        ("f", "W = torch.randn(100, 50) * 2**0.5 / 50**0.5"),
    ],
)
def test_each_correct_snippet_would_be_caught_if_it_were_wrong(label, broken):
    assert not needs_a_fix(label) and needs_a_fix(label, broken)


# ---------------------------------------------------------------------------------------
# A learner who follows the worked solution passes


def test_the_tanh_slopes_from_the_solutions_digits_pass():
    exercise = BY_ID["tanh-slope"]
    solution = exercise.render(exercise.solution)
    shown = re.search(r"\\tanh x = ([\d., ]+) \\\)", solution)[1]
    outputs = [float(t) for t in shown.split(",")]
    assert exercise.matches(tuple(1 - t**2 for t in outputs), exercise.answer)
    cosh = float(re.search(r"\\cosh x = ([\d.]+)", solution)[1])
    assert exercise.precision.accepts(1 / cosh**2, exercise.answer[-1])


# ---------------------------------------------------------------------------------------
# One threshold


THRESHOLD = re.compile(r"\|\s*(?:h|\\tanh x)\s*\|\s*>\s*(0\.\d+)")


def test_every_card_and_exercise_calls_the_same_outputs_saturated():
    texts = [card.front + card.back for card in CARDS]
    texts += [e.render(part) for e in EXERCISES for part in (e.statement, e.hint, e.solution)]
    thresholds = {float(match) for text in texts for match in THRESHOLD.findall(text)}
    assert thresholds == {SATURATED}


def test_the_dead_units_are_the_engines_and_there_are_some():
    exercise = BY_ID["dead-units"]
    table = torch.tensor(exercise.inputs["table"].values)
    assert 0 < len(exercise.answer) < table.shape[1]
    assert dead_units(table) == len(exercise.answer)


# ---------------------------------------------------------------------------------------
# No card gives an exercise away


def _renderings(exercise) -> set[str]:
    """The answer as the learner would write it, and to four or five significant figures; a rougher number
    ("about 3.3" for 3.296) is fine on a card."""
    values = [exercise.answer] if exercise.kind == NUMBER else list(exercise.answer)
    texts = {text for x in values for text in (exercise.precision.format(x), f"{x:.4g}", f"{x:.5g}")}
    return {text for text in texts if len(text.strip("-0.")) >= 2}  # "1", "0.2" occur in any text


@pytest.mark.parametrize("exercise", [e for e in EXERCISES if e.kind in (NUMBER, NUMBERS)], ids=lambda e: e.id)
def test_no_card_states_an_exercises_answer(exercise):
    for card in CARDS:
        text = card.front + card.back
        for number in _renderings(exercise):
            assert not re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text), (card.id, exercise.id, number)


def test_the_deck_counts_its_objectives_as_the_exercises_do():
    assert {card.objective for card in CARDS} == {e.objective for e in EXERCISES} == set(range(1, 6))
    assert math.isclose(SATURATED, 0.97)


# ---------------------------------------------------------------------------------------
# Every formula is typeset


def _typeset(text: str) -> str:
    """Markdown as the site renders it (math found by arithmatex, then MathML), with the MathML taken out."""
    html = markdown.markdown(text, extensions=["attr_list", "md_in_html", "pymdownx.arithmatex"],
                             extension_configs={"pymdownx.arithmatex": {"generic": True}})
    return re.sub(r"<math\b.*?</math>", "", render_math(html), flags=re.S)


def test_no_tex_is_left_as_text_on_a_card_or_in_an_exercise():
    # Display math that arithmatex misses stays text, and Markdown eats its backslash escapes:
    # \text{fan\_in} reached the page as \text{fan_in}.
    texts = {card.id: card_markdown(card, 1, None) for card in CARDS}
    parts = ("statement", "hint", "solution")
    texts |= {f"{e.id}.{part}": e.render(getattr(e, part)) for e in EXERCISES for part in parts}
    for name, text in texts.items():
        left = re.findall(r"\\[a-zA-Z]+|\\[()\[\]]", _typeset(text))
        assert not left, (name, left)
