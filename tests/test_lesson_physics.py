"""The lesson's claims, checked on the values its scripts actually recorded (quick mode)."""

import math
import re

import pytest

from engine.model import CONFIGS
from site_build.lesson_runs import run_lessons
from tests.conftest import REPO


@pytest.fixture(scope="module")
def records(built_site):
    """What each script recorded: the site's build ran them, so this reads its cache."""
    return {slug: result.record["values"] for slug, result in run_lessons(quick=True, log=lambda _: None).items()}


def test_first_losses(records):
    values = records["01_confident_start"]
    first = values["first_batch"]
    assert abs(first["softmax_fix"]["loss"] - math.log(27)) < 0.05
    assert first["original"]["loss"] >= 3 * math.log(27)
    assert values["uniform_loss"] == pytest.approx(3.2958, abs=1e-4)


def test_one_run_per_configuration(records):
    """The confident start's first minibatch is the loss log's first step: the same run, quoted on both pages."""
    first, final = records["01_confident_start"]["first_batch"], records["04_loss_log"]["final"]
    for name in ("original", "softmax_fix"):
        assert first[name]["loss"] == pytest.approx(final[name]["first"], rel=1e-5)
    assert records["05_batchnorm"]["calibration"]["running_val"] == final["batchnorm"]["val"]


def test_tanh_slope_numbers(records):
    slope = records["02_saturated_neurons"]["slope"]
    assert slope["2"] == pytest.approx(0.0707, abs=1e-4)
    assert slope["edge"] < 0.06


def test_scaled_hidden_layers_saturate_far_less(records):
    init = records["02_saturated_neurons"]["init"]
    assert init["softmax_fix"]["saturated"] > 0.5
    assert init["tanh_fix"]["saturated"] < init["softmax_fix"]["saturated"] / 3
    assert init["kaiming"]["saturated"] < init["softmax_fix"]["saturated"] / 3


def test_depth_experiment(records):
    values = records["03_healthy_depth"]
    assert values["toy"]["forward"]["raw"] == pytest.approx(math.sqrt(1000), rel=0.02)
    assert values["toy"]["forward"]["scaled"] == pytest.approx(1, rel=0.02)
    assert values["gain"]["kaiming_std_30"] == pytest.approx(0.304, abs=5e-4)
    depth = values["depth"]
    assert all(0.5 <= std <= 0.9 for std in depth["gain_5_3"]["act_std"])
    shrinking = depth["gain_0_5"]["act_std"]
    assert all(later < earlier for earlier, later in zip(shrinking, shrinking[1:]))
    assert all(share > 0.5 for share in depth["normal"]["saturated"])
    # vanishing and exploding gradients: the first layer's against the last's
    assert depth["gain_0_5"]["grad_std"][0] < depth["gain_0_5"]["grad_std"][-1] / 5
    assert depth["normal"]["grad_std"][0] > depth["normal"]["grad_std"][-1] * 5


def test_loss_log_table_is_generated_from_the_configurations(records):
    table = records["04_loss_log"]["summary"]["table"]
    for name, config in CONFIGS.items():
        assert f"`{name}` | {config.label} |" in table
    page = (REPO / "docs" / "loss-log.md").read_text()
    assert "{{ 04_loss_log.summary.table }}" in page
    assert not re.search(r"\d\.\d{3}", page), "a loss typed into the page by hand"


def test_one_probe_for_every_look_at_a_net_at_initialisation(records):
    """The BatchNorm page's deep net at initialisation is the depth page's: same weights, same batch, same numbers."""
    depth = records["03_healthy_depth"]["depth"]
    last = [depth[key]["act_std"][-1] for key in ("gain_0_5", "gain_1", "gain_5_3", "gain_3")]
    quoted = records["05_batchnorm"]["depth_last_std"]
    assert quoted["none_min"] == pytest.approx(min(last), rel=1e-6)
    assert quoted["none_max"] == pytest.approx(max(last), rel=1e-6)


def test_batchnorm_rescues_a_deep_net_at_a_bad_scale(records):
    """The BatchNorm page's 'why normalisation is everywhere' run: every seed with BatchNorm beats every seed without."""
    rescue = records["05_batchnorm"]["rescue"]
    assert rescue["verdict"] == "lower"
    assert rescue["batchnorm"]["max"] < rescue["plain"]["min"]


def test_the_loss_log_judges_each_change_from_its_seeds(records):
    summary, seeds = records["04_loss_log"]["summary"], records["04_loss_log"]["seeds"]
    assert summary["seeds"] == len(seeds["kaiming"]["val"]) >= 3
    # the confident start's fix is real in any run long enough to judge
    assert summary["change"]["softmax_fix"].endswith("lower with every seed.")
    assert set(summary["change"]) == set(CONFIGS) - {"original"}
