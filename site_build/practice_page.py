"""The Practice page, generated from the exercise definitions, and the "Practice:" line under each lesson section.

Each exercise gets a stable anchor, #ex-<id>, and a link to the lesson section that teaches
it, titled with that section's own heading when the page exists. The lesson pages write
`{{ practice }}` under a section; `practice_line` turns it into links to that section's exercises.

The page also checks answers in the browser. `checker_data` exports what practice/check.py
decides with (each reference answer, its tolerance, the known mistakes' values and
diagnoses), computed here from the definitions; docs/javascripts/practice.js mirrors
check.py over that data, so the page and `pytest practice` give the same verdicts. Without
JavaScript the forms stay hidden and the page tells the learner to use pytest.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from engine.settings import REPO_ROOT
from practice.check import COMMAND, DEFAULT_SHEET, check_entry
from practice.exercise import NUMBER, NUMBERS, Exercise
from practice.exercises import BY_ID, EXERCISES
from site_build.anchors import page_anchors
from site_build.nav import GOING_FURTHER, optional_pages

SHEET = f"practice/{DEFAULT_SHEET.name}"


def pages(docs_dir: Path = REPO_ROOT / "docs") -> dict[str, str]:
    return {"practice.md": practice_page(docs_dir)}


def practice_page(docs_dir: Path) -> str:
    further = going_further_exercises(docs_dir)
    parts = [_introduction(len(EXERCISES) - len(further), len(further)), _by_objective(further)]
    for number, exercise in enumerate(EXERCISES, start=1):
        if further and exercise is further[0]:
            parts.append(GOING_FURTHER_HEADING)
        parts.append(_exercise(number, exercise, docs_dir))
    parts.append(f'<script type="application/json" id="practice-data">{_embedded_json(checker_data())}</script>')
    return "\n\n".join(parts) + "\n"


GOING_FURTHER_HEADING = f"""## {GOING_FURTHER} {{#going-further}}

The exercises below drill the optional *{GOING_FURTHER}* pages; the lesson's core needs none of them."""


def going_further_exercises(docs_dir: Path) -> list[Exercise]:
    """The exercises that drill a Going further page: they come last in the set, after every core one."""
    optional = optional_pages(docs_dir)
    further = [e for e in EXERCISES if e.section.partition("#")[0] in optional]
    if further != list(EXERCISES[len(EXERCISES) - len(further):]):
        raise ValueError("practice/exercises.py: the exercises of the Going further pages must come after the core ones")
    return further


def checker_data() -> list[dict]:
    """What the page's checker needs to give `pytest practice`'s verdicts, one entry per exercise."""
    return [_exercise_data(exercise) for exercise in EXERCISES]


def _exercise_data(exercise: Exercise) -> dict:
    """The answer and each known mistake as the checker compares them: numbers with the tolerance
    around each value (Precision.tolerance), labels in normal form; the options in the page's order."""

    def target(value: object) -> dict:
        if exercise.kind == NUMBER:
            return {"value": value, "tolerance": exercise.precision.tolerance(value)}
        if exercise.kind == NUMBERS:
            return {"value": list(value), "tolerance": [exercise.precision.tolerance(x) for x in value]}
        return {"value": sorted(value) if isinstance(value, frozenset) else value}

    answer = target(exercise.answer)
    return {
        "id": exercise.id, "title": exercise.title, "kind": exercise.kind, "labels": list(exercise.options),
        "answer": answer["value"], "tolerance": answer.get("tolerance"),
        "mistakes": [target(wrong) | {"diagnosis": diagnosis} for wrong, diagnosis in exercise.known_mistakes()],
    }


def _embedded_json(data: object) -> str:
    """JSON to sit in the Markdown page: nothing that closes the script tag, and no backslash or
    dollar sign that arithmatex could read as math (a literal backslash becomes \\u005c)."""
    text = json.dumps(data, separators=(",", ":"))
    return text.replace("\\\\", "\\u005c").replace("<", "\\u003c").replace("$", "\\u0024")


def _introduction(core: int, further: int) -> str:
    extra = f", and {further} more for the [{GOING_FURTHER}](#going-further) pages" if further else ""
    return f"""# Practice

{core} calculations for the lesson, to do by hand or with a calculator: about 20 minutes{extra}. Each one drills
one of the lesson's [learning objectives](index.md#objectives) and links to the section that
teaches it. Every exercise has a hint and a worked solution, folded away until you open them.

<div class="practice-online" hidden markdown>

**Check your answers on this page:** type an answer in the box under an exercise and press
<kbd>Enter</kbd> or **Check**. You get the same feedback as `{COMMAND}` below, never the answer.
Your progress is kept in this browser, on this device.

<p class="practice-progress"><span class="practice-count" role="status"></span>
<progress max="{len(EXERCISES)}" value="0" aria-hidden="true"></progress>
<button type="button" class="md-button practice-reset">Start over</button></p>

</div>

## How to check your answers {{#how-to-check}}

1. Open `{SHEET}` in your copy of the repository. It has one entry per exercise, each left as `""`.
2. Write your answer after the `=`: a number bare (`0.25`), a list in brackets (`[0.25, 1.5]`),
   a label in quotes (`"b"`), several labels as a list (`["a", "c"]`). Each exercise says which
   it wants, and to what precision.
3. Run `{COMMAND}` from the repository's root.

Each exercise is one test. A right answer passes; an entry left blank is skipped as *not attempted*;
a wrong answer fails with feedback that names your value, says whether it is too high or too low,
recognises the common mistakes, and points to the hint, without giving the answer away. For
example:

```text
{_example_feedback()}
```

The last line counts your progress, for instance `practice: 7/{len(EXERCISES)} done`. The same
report without pytest: `python -m practice`. A hint in the terminal:
`python -m practice --hint <exercise>`. To check another sheet, pass `--sheet PATH` to either
command, or set the environment variable `PRACTICE_SHEET`."""


def _example_feedback() -> str:
    # A real message from the checker, for the commonest slip in exercise 1.
    exercise = BY_ID["uniform-baseline"]
    wrong, _ = exercise.known_mistakes()[0]
    result = check_entry(exercise, round(wrong, 3))
    return f"___ test_answer[{exercise.id}] ___\n{result.message}"


def _by_objective(further: list[Exercise]) -> str:
    rows = ["## Exercises by objective {#by-objective}", "", "| objective | exercises |", "| --- | --- |"]
    for objective in sorted({exercise.objective for exercise in EXERCISES}):
        links = [f"[{e.title}](#ex-{e.id})" + (f" *({GOING_FURTHER.lower()})*" if e in further else "")
                 for e in EXERCISES if e.objective == objective]
        rows.append(f"| [{objective}](index.md#objectives) | {' · '.join(links)} |")
    return "\n".join(rows)


def _exercise(number: int, exercise: Exercise, docs_dir: Path) -> str:
    taught_in = f"[{_section_title(exercise.section, docs_dir)}]({exercise.section})"
    parts = [
        f"## {number}. {exercise.title} {{#ex-{exercise.id}}}",
        f"*Objective {exercise.objective} · Taught in: {taught_in}*",
        exercise.render(exercise.statement),
    ]
    if any(exercise.options.values()):
        options = "\n".join(f"- **({label})** {text}" for label, text in exercise.options.items())
        parts.append(f'<div class="practice-options" markdown>\n\n{options}\n\n</div>')
    parts += [
        f"**Your answer:** {exercise.describe_answer()}, as `{exercise.id} = …` in `{SHEET}`.",
        # Filled and shown by docs/javascripts/practice.js from the page's checker data.
        f'<form class="practice-form" data-exercise="{exercise.id}" hidden></form>',
        _folded('tip "Hint"', exercise.render(exercise.hint)),
        _folded('success "Worked solution"', exercise.render(exercise.solution)),
    ]
    return "\n\n".join(parts)


def _folded(kind: str, markdown: str) -> str:
    return f"??? {kind}\n\n" + textwrap.indent(markdown, "    ")


def _section_title(section: str, docs_dir: Path) -> str:
    """"Page › Section" from the headings of the lesson page; the link itself when the page is not written yet."""
    page, _, anchor = section.partition("#")
    path = docs_dir / page
    anchors = page_anchors(path.read_text(encoding="utf-8")) if path.exists() else {}
    if anchor not in anchors:
        return section
    return f"{next(iter(anchors.values()))} › {anchors[anchor]}"


def practice_lines() -> dict[str, str]:
    """The "Practice:" line of every section an exercise drills, by "page.md#anchor"."""
    return {section: practice_line(section) for section in dict.fromkeys(e.section for e in EXERCISES)}


def practice_line(section: str) -> str | None:
    """The line under a lesson section that links to its exercises, "*Practice:* [title](practice.md#ex-id) · …";
    None if no exercise drills that section."""
    links = [f"[{e.title}](practice.md#ex-{e.id})" for e in EXERCISES if e.section == section]
    return "*Practice:* " + " · ".join(links) if links else None
