"""The lesson engine: names → examples → networks → training → diagnostics → figures and numbers.

    engine.data         names file → vocabulary, context windows, train/val/test split
    engine.layers       from-scratch layers with torch.nn's API
    engine.model        the lecture's MLP and its initialisations, the deeper tanh stack, the gains
    engine.train        the lecture's training loop, the reference; `python -m engine.train`
    engine.fastpath     the same training by hand-written backprop, compiled (engine.compiled), for every net the lessons train
    engine.trained      each MLP configuration trained once and kept, so every page quotes one run
    engine.diagnostics  what the histograms measure: saturation, per-layer statistics, ratios
    engine.plots        one palette and one style for every figure, the plots scripts share
    engine.record       how a lesson script hands its figures and numbers to the pages
    engine.settings     quick mode, the thread count, where results are cached

The lesson scripts that use it are in lessons/; the site build (site_build/) runs them.
Importing the engine changes nothing: the entry points set torch's threads and the figure style.
"""
