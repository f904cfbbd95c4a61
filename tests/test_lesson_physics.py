"""The lesson's claims, checked on the numbers its scripts actually recorded (quick mode)."""

import math
import re

import pytest

from lessons.model import CONFIGS
from lessons.run import cache_key, lesson_scripts, run_lessons
from tests.conftest import REPO


@pytest.fixture(scope="module")
def records():
    return {slug: result.record["numbers"] for slug, result in run_lessons(quick=True, log=lambda _: None).items()}


def test_first_losses(records):
    numbers = records["01_confident_start"]
    assert abs(numbers["softmax_fix_initial_loss"] - math.log(27)) < 0.05
    assert numbers["original_initial_loss"] >= 3 * math.log(27)
    assert numbers["uniform_loss"] == pytest.approx(3.2958, abs=1e-4)


def test_tanh_slope_numbers(records):
    numbers = records["02_saturated_neurons"]
    assert numbers["slope_at_2"] == pytest.approx(0.0707, abs=1e-4)
    assert numbers["slope_at_edge"] < 0.06


def test_scaled_hidden_layers_saturate_far_less(records):
    numbers = records["02_saturated_neurons"]
    assert numbers["softmax_fix_saturated"] > 0.5
    assert numbers["tanh_fix_saturated"] < numbers["softmax_fix_saturated"] / 3
    assert numbers["kaiming_saturated"] < numbers["softmax_fix_saturated"] / 3


def test_depth_experiment(records):
    numbers = records["03_healthy_depth"]
    assert numbers["toy_y_raw_std"] == pytest.approx(math.sqrt(1000), rel=0.02)
    assert numbers["toy_y_scaled_std"] == pytest.approx(1, rel=0.02)
    assert numbers["kaiming_std_30"] == pytest.approx(0.304, abs=5e-4)
    assert all(0.5 <= std <= 0.9 for std in numbers["depth_gain_5_3_act_std"])
    shrinking = numbers["depth_gain_0_5_act_std"]
    assert all(later < earlier for earlier, later in zip(shrinking, shrinking[1:]))
    assert all(share > 0.5 for share in numbers["depth_normal_saturated"])
    # vanishing and exploding gradients: the first layer's against the last's
    assert numbers["depth_gain_0_5_grad_std"][0] < numbers["depth_gain_0_5_grad_std"][-1] / 5
    assert numbers["depth_normal_grad_std"][0] > numbers["depth_normal_grad_std"][-1] * 5


def test_loss_log_table_is_generated_from_the_configurations(records):
    table = records["04_loss_log"]["table"]
    for name, config in CONFIGS.items():
        assert f"`{name}` | {config.label} |" in table
    page = (REPO / "docs" / "loss-log.md").read_text()
    assert "{{ 04_loss_log.table }}" in page
    assert not re.search(r"\d\.\d{3}", page), "a loss typed into the page by hand"


def test_changing_a_configuration_reruns_the_loss_log(monkeypatch, tmp_path):
    from lessons import run

    script = next(s for s in lesson_scripts() if s.stem == "04_loss_log")
    before = cache_key(script, quick=True)
    model = tmp_path / "model.py"
    model.write_text((REPO / "lessons" / "model.py").read_text().replace('"every parameter N(0, 1)"', '"changed"'))
    monkeypatch.setattr(run, "ENGINE_FILES", [model if p.name == "model.py" else p for p in run.ENGINE_FILES])
    assert cache_key(script, quick=True) != before
