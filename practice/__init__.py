"""Practice: hand-calculation exercises on the lesson, checked by pytest.

    practice.exercise     what an exercise is (answer kinds, precision, known mistakes)
    practice.exercises    the exercises, each defined once
    practice.calculations the arithmetic and experiments behind their answers and known mistakes
    practice.check        read and check an answer sheet; write the blank and reference sheets
    site_build.practice_page  the Practice page, generated from the same definitions
    practice/answers.toml the learner's sheet: `pytest practice` checks it

`python -m practice` prints the same report without pytest.
"""
