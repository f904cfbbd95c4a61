"""The site build: lesson runs, placeholders, math and generated pages, in pure functions (no MkDocs here).

    site_build.lesson_runs     run the lesson scripts, each once per change (`python -m site_build.lesson_runs`)
    site_build.pages           fill the pages' placeholders from the runs; reading time
    site_build.math            TeX → MathML at build time, each formula with its reading as text
    site_build.math_font       the math font the site serves, cut to the characters the formulas use
    site_build.figures         each figure paired with its dark-scheme variant
    site_build.notebook_pages  the HTML of a lesson notebook's page, rendered once per notebook, made fit for the site and its search
    site_build.nav             the code pages' nav entries, from the scripts; the narrative pages, from the nav
    site_build.anchors         the pages' anchors and headings, for links and "Practice:" lines
    site_build.practice_page   the Practice page, from practice/'s exercise definitions
    site_build.practice_cache  the Practice page as a build reads it: made again only when its sources change
    site_build.flashcards_page the Flashcards page, from flashcards/deck.toml
    site_build.build_cache     what a rebuild reads back instead of making again, by a hash of its inputs

hooks/lessons_site.py wires these into MkDocs' events.
"""
