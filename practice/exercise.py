"""What an exercise is. One definition feeds the Practice page, the checker and the reference answers.

An exercise holds its inputs and a function that computes the expected answer from them,
so no answer is ever typed by hand. Its statement, hint and worked solution are Markdown
templates: `$name` is replaced by an input, by `$answer`, or by a value its `derived`
function computes, so a number on the page is always the one the checker uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from string import Template
from typing import Callable

# The four shapes an answer can take.
NUMBER = "number"  # 3.296
NUMBERS = "numbers"  # [1.0, 0.786, 0.0707], a fixed length, in order
CHOICE = "choice"  # "b": one labelled option
CHOICES = "choices"  # ["a", "e"]: every option that applies, in any order


@dataclass(frozen=True)
class Precision:
    """How close an answer must be, stated to the learner as decimal places or significant figures."""

    decimals: int | None = None
    significant: int | None = None

    def accepts(self, value: float, expected: float) -> bool:
        return abs(value - expected) <= self.tolerance(expected)

    def tolerance(self, expected: float) -> float:
        """One unit in the last stated place of `expected` written to this precision: a correctly
        rounded answer always passes, even when the learner rounded an intermediate result too.

        3 significant figures of 0.0707 is 0.0707 ± 0.0001, of 0.786 is 0.786 ± 0.001, of
        0.09996 (which rounds up to 0.100) is ± 0.001. A tiny slack absorbs binary rounding.
        """
        if self.decimals is not None:
            unit = 10.0**-self.decimals
        elif expected == 0:
            unit = 0.0
        else:
            rounded = float(f"{abs(expected):.{self.significant - 1}e}")  # the magnitude the learner writes down
            unit = 10.0 ** (math.floor(math.log10(rounded)) - self.significant + 1)
        return unit * (1 + 1e-9) + 1e-12

    def describe(self) -> str:
        if self.decimals is not None:
            return f"to {self.decimals} decimal place{'s' * (self.decimals != 1)}"
        return f"to {self.significant} significant figures"

    def format(self, x: float) -> str:
        if self.decimals is not None:
            return f"{x:.{self.decimals}f}"
        return f"{x:.{self.significant}g}"


def decimals(n: int) -> Precision:
    return Precision(decimals=n)


def significant(n: int) -> Precision:
    return Precision(significant=n)


@dataclass(frozen=True)
class Table:
    """An input shown as a Markdown table: a header, then rows that each start with a label."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float, ...]], ...]

    @property
    def values(self) -> list[tuple[float, ...]]:
        return [values for _, values in self.rows]

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |", "|" + " --- |" * len(self.columns)]
        for label, values in self.rows:
            lines.append("| " + " | ".join([label, *(f"{v:g}" for v in values)]) + " |")
        return "\n".join(lines)


@dataclass(frozen=True)
class Mistake:
    """A known wrong path: the value it leads to (a function of the inputs) and what went wrong."""

    wrong: Callable[..., object]
    diagnosis: str


@dataclass(frozen=True)
class Exercise:
    id: str  # stable: the sheet's key and the page's anchor #ex-<id>
    title: str
    objective: int  # which of the lesson's five learning objectives it drills
    section: str  # the lesson section that teaches it, "page.md#anchor"
    statement: str
    inputs: dict[str, object]
    expected: Callable[..., object]  # called with the inputs as keyword arguments
    kind: str
    hint: str
    solution: str
    precision: Precision | None = None  # for NUMBER and NUMBERS
    options: dict[str, str] = field(default_factory=dict)  # label → text, for CHOICE and CHOICES
    mistakes: tuple[Mistake, ...] = ()
    derived: Callable[..., dict[str, object]] | None = None  # intermediate values the solution quotes

    @cached_property
    def answer(self) -> object:
        return normalise(self.kind, self.expected(**self.inputs))

    def known_mistakes(self) -> list[tuple[object, str]]:
        return [(normalise(self.kind, m.wrong(**self.inputs)), m.diagnosis) for m in self.mistakes]

    def matches(self, value: object, target: object) -> bool:
        """Whether a (normalised) answer is the target within the stated precision."""
        if self.kind == NUMBER:
            return self.precision.accepts(value, target)
        if self.kind == NUMBERS:
            return len(value) == len(target) and all(map(self.precision.accepts, value, target))
        return value == target

    def describe_answer(self) -> str:
        """The answer's shape, as the page and the sheet tell the learner."""
        if self.kind == NUMBER:
            return f"a number, {self.precision.describe()}"
        if self.kind == NUMBERS:
            return f"a list of {len(self.answer)} numbers, each {self.precision.describe()}"
        labels = ", ".join(self.option_labels())
        if self.kind == CHOICE:
            return f"one label out of {labels}"
        return f"a list of every label that applies, out of {labels}"

    def option_labels(self) -> list[str]:
        return [_label_literal(label) for label in self.options]

    def render(self, template: str) -> str:
        """Fill a Markdown template with the inputs, `$answer` and the derived values."""
        values = {name: format_value(value) for name, value in self.inputs.items()}
        if self.derived:
            values |= {name: format_value(value) for name, value in self.derived(**self.inputs).items()}
        if self.kind in (CHOICE, CHOICES):
            values["answer"] = self.show_labels(self.answer)
        else:
            values["answer"] = format_value(self.answer, self.precision)
        return Template(template).substitute(values)

    def show_labels(self, chosen: str | frozenset[str]) -> str:
        """Normalised labels as the page writes them, in the page's order."""
        chosen = {chosen} if isinstance(chosen, str) else chosen
        return ", ".join(label for label in self.options if label.lower() in chosen)


def format_value(value: object, precision: Precision | None = None) -> str:
    """An input, answer or derived value as the page shows it; a matrix as a TeX pmatrix."""
    if isinstance(value, Table):
        return value.markdown()
    if isinstance(value, (tuple, list)):
        if value and isinstance(value[0], (tuple, list)):
            rows = (" & ".join(format_value(v, precision) for v in row) for row in value)
            return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"
        return ", ".join(format_value(v, precision) for v in value)
    if isinstance(value, float):
        return precision.format(value) if precision else _tex_number(value)
    return str(value)


def normalise(kind: str, value: object) -> object:
    """One representation per kind, so that answers compare with ==."""
    if kind == NUMBER:
        return float(value)
    if kind == NUMBERS:
        return tuple(float(v) for v in value)
    if kind == CHOICE:
        return str(value).lower()
    return frozenset(str(v).lower() for v in value)


def _label_literal(label: str) -> str:
    # Unit numbers are written as numbers in the sheet; other labels as quoted strings.
    return label if label.isdigit() else f'"{label}"'


def _tex_number(x: float) -> str:
    """Four significant figures, with an exponent written as TeX: 1e-05 becomes 10^{-5}."""
    text = f"{x:.4g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else f"{mantissa} \\times {power}"
