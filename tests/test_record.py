import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch

from engine.record import Record, fill, lookup, plain


def test_values_become_json_numbers_and_lists():
    assert plain({"a": torch.tensor(0.5), "b": [torch.tensor([1, 2]), 3], "c": {"d": "x"}}) == {"a": 0.5, "b": [[1, 2], 3], "c": {"d": "x"}}


def test_dotted_names_reach_into_dicts_and_lists():
    values = {"final": {"kaiming": {"val": 2.1}}, "stds": [0.5, 0.25]}
    assert lookup(values, "final.kaiming.val") == 2.1 and lookup(values, "stds.1") == 0.25
    assert fill("val {{ final.kaiming.val:.2f }}, std {{stds.0}}", values, "here") == "val 2.10, std 0.5"
    with pytest.raises(ValueError, match="here: .*nothing recorded under 'final.nope'"):
        fill("{{ final.nope }}", values, "here")


def test_a_figure_is_laid_out_saved_and_its_alt_text_filled(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_OUT_DIR", str(tmp_path))
    record = Record("01_demo")
    assert record.value("loss", torch.tensor(3.29583)) is None, "nothing echoed into the notebook"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    assert record.figure(fig, "curve", alt="""The loss falls
        to {{ loss:.2f }}.""") is None, "nothing echoed into the notebook"
    saved = json.loads((tmp_path / "record.json").read_text())
    assert saved["values"] == {"loss": pytest.approx(3.29583)}
    assert saved["figures"] == {"curve": "The loss falls to 3.30."}
    assert (tmp_path / "figures" / "curve.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "figures" / "curve.dark.png").read_bytes().startswith(b"\x89PNG"), "the dark scheme's variant"


def test_the_dark_variant_has_dark_paper_light_ink_and_the_same_hues(tmp_path, monkeypatch):
    from PIL import Image

    from engine.plots import CONFIG_COLORS, use_lesson_style

    monkeypatch.setenv("LESSONS_OUT_DIR", str(tmp_path))
    use_lesson_style()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1], color=CONFIG_COLORS["kaiming"], linewidth=8)
    ax.set_title("loss")
    Record("01_demo").figure(fig, "curve", alt="a line")
    light = Image.open(tmp_path / "figures" / "curve.png").convert("RGB")
    dark = Image.open(tmp_path / "figures" / "curve.dark.png").convert("RGB")
    assert light.size == dark.size
    assert sum(light.getpixel((0, 0))) > 3 * 240 and sum(dark.getpixel((0, 0))) < 3 * 60
    centre = (dark.width // 2, dark.height // 2)  # on the thick line
    r, g, b = dark.getpixel(centre)
    assert b > r and b > g, "kaiming stays blue"
