"""Sentences that depend on a run, held to the numbers.

A page may say "lower" or "about the same" only where the runs say so. Two tools keep it
honest. `compare` makes the judgement from the numbers, so that a page can quote the
verdict instead of typing it. `claim` guards a sentence the prose states outright: when
the runs stop supporting it, the lesson script fails, and with it the build.

The judgement between two sets of seeds is deliberately plain: a difference is real only
when the two ranges of results do not overlap, that is when every seed of one beats every
seed of the other. With three seeds each that is a strict test: two configurations that do
not differ at all pass it one time in ten (2 of the 20 equally likely orderings).
"""

from __future__ import annotations

from statistics import fmean


class ClaimBroken(AssertionError):
    """A sentence on a page that the runs no longer support."""


def claim(holds: bool, sentence: str) -> None:
    """Fail the lesson script if `holds` is false: the page says `sentence`, and the runs must bear it out."""
    if not holds:
        raise ClaimBroken(f"the runs no longer support the page's sentence: {sentence!r}")


def compare(a: list[float], b: list[float]) -> str:
    """'lower', 'higher' or 'about the same': a's results against b's, over seeds.

    'lower' only if every result of a is below every result of b (their ranges do not
    overlap); 'higher' the other way round; anything else is within the seeds' spread.
    """
    if not a or not b:
        raise ValueError("compare needs at least one result on each side")
    if max(a) < min(b):
        return "lower"
    if min(a) > max(b):
        return "higher"
    return "about the same"


def seed_summary(values: list[float]) -> dict:
    """What a page shows of one configuration's seeds: each result, their mean, and how far apart they landed."""
    return {"each": list(values), "mean": fmean(values), "min": min(values), "max": max(values), "spread": max(values) - min(values)}


def change_sentence(after: list[float], before: list[float]) -> str:
    """What a change did to a loss, over seeds: the mean difference, and whether the seeds bear it out."""
    verdict = compare(after, before)
    delta = fmean(after) - fmean(before)
    if verdict == "about the same":
        return f"{delta:+.3f}, within the seeds' spread: no difference these runs can show."
    return f"{delta:+.3f}, {verdict} with every seed."


def regulariser_verdict(val: list[float], base_val: list[float], gap: list[float], base_gap: list[float]) -> str:
    """Whether a change regularised a net, against a base: a smaller train-to-val gap counts only with a better val loss."""
    val_verdict, gap_verdict = compare(val, base_val), compare(gap, base_gap)
    if val_verdict == "lower" and gap_verdict == "lower":
        return "Its validation loss is lower with every seed and its gap smaller: these runs show a regularising effect."
    if val_verdict == "higher":
        return (f"Its validation loss is higher with every seed (and its gap {gap_verdict}): "
                "these runs show no regularising benefit.")
    said = "lower with every seed" if val_verdict == "lower" else "within the seeds' spread"
    return f"Its validation loss is {said} and its gap {gap_verdict}: these runs show no regularising effect."
