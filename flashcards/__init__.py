"""The lesson's flashcards: one deck, three ways to review it.

    flashcards/deck.toml   the deck itself, edited by hand: the one source of every card
    flashcards.deck        read it into Cards (shape checks)
    flashcards.check       `check`: links reach a heading, numbers agree with their arithmetic
    flashcards.safe_math   the arithmetic, evaluated without eval
    flashcards.state       a learner's review state: a JSON file, written atomically
    flashcards.review      `review` and `stats`: FSRS spaced repetition in the terminal
    flashcards.anki        `export --anki`: a reproducible Anki package
    site_build.flashcards_page  the site's Flashcards page, generated at build time from the same deck

Run `python -m flashcards --help`.
"""
