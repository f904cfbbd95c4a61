"""engine.claims: a page's run-dependent sentences, judged from the numbers and held to them."""

import pytest

from engine.claims import ClaimBroken, change_sentence, claim, compare, regulariser_verdict, seed_summary
from site_build import lesson_runs


def test_a_difference_is_real_only_when_the_seeds_ranges_do_not_overlap():
    assert compare([2.10, 2.11, 2.12], [2.13, 2.14, 2.15]) == "lower"
    assert compare([2.13, 2.14, 2.15], [2.10, 2.11, 2.12]) == "higher"
    # the means differ by 0.02, but one seed of each side crosses the other's range
    assert compare([2.10, 2.11, 2.16], [2.13, 2.14, 2.15]) == "about the same"
    with pytest.raises(ValueError):
        compare([], [1.0])


def test_seed_summary():
    s = seed_summary([2.0, 2.3, 2.1])
    assert s["mean"] == pytest.approx(2.1333333) and s["spread"] == pytest.approx(0.3) and s["each"] == [2.0, 2.3, 2.1]


def test_change_sentences_follow_the_judgement():
    assert change_sentence([2.10, 2.11], [2.13, 2.14]) == "-0.030, lower with every seed."
    assert change_sentence([2.10, 2.15], [2.13, 2.14]) == "-0.010, within the seeds' spread: no difference these runs can show."


def test_a_smaller_gap_is_regularisation_only_with_a_better_validation_loss():
    worse_val_smaller_gap = regulariser_verdict([2.12, 2.13], [2.10, 2.11], [0.05, 0.06], [0.08, 0.09])
    assert "no regularising benefit" in worse_val_smaller_gap and "higher" in worse_val_smaller_gap
    better_both = regulariser_verdict([2.08, 2.09], [2.10, 2.11], [0.05, 0.06], [0.08, 0.09])
    assert "show a regularising effect" in better_both
    noise = regulariser_verdict([2.09, 2.12], [2.10, 2.11], [0.05, 0.06], [0.08, 0.09])
    assert "within the seeds' spread" in noise and "no regularising effect" in noise


def test_a_broken_claim_names_its_sentence():
    claim(True, "fine")
    with pytest.raises(ClaimBroken, match="'BatchNorm trains the ten-layer net better'"):
        claim(False, "BatchNorm trains the ten-layer net better")


def test_numbers_that_contradict_a_sentence_fail_the_build(tmp_path, monkeypatch):
    """A lesson script whose runs stop supporting its page's sentence fails, and the build with it."""
    script = tmp_path / "lessons" / "99_contradicted.py"
    script.parent.mkdir()
    script.write_text(
        "# %%\n"
        "from engine.claims import claim, compare\n"
        "with_batchnorm, without = [2.31, 2.36, 2.30], [2.33, 2.34, 2.35]  # ranges overlap\n"
        "claim(compare(with_batchnorm, without) == 'lower', 'the net trains better with BatchNorm')\n"
    )
    monkeypatch.setattr(lesson_runs, "REPO_ROOT", tmp_path)
    with pytest.raises(lesson_runs.LessonError, match="99_contradicted.py: cell 1 failed: ClaimBroken: .*trains better with BatchNorm"):
        lesson_runs._execute(script, tmp_path / "out", quick=True)
    assert not (tmp_path / "out").exists()
