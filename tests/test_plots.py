import re

from engine.model import CONFIGS, DEEP_LAYERS, GAINS
import colorsys

from matplotlib.colors import to_rgb

from engine.plots import CONFIG_COLORS, DARK_INK, DARK_PAPER, GAIN_COLORS, LAYER_COLORS, dark_variant
from site_build.lesson_runs import lesson_scripts


def test_every_configuration_gain_and_layer_has_one_colour():
    assert set(CONFIG_COLORS) == set(CONFIGS)
    assert set(GAINS) <= set(GAIN_COLORS)
    assert len(LAYER_COLORS) >= DEEP_LAYERS + 1  # the hidden layers and the output layer
    assert len(set(CONFIG_COLORS.values())) == len(CONFIG_COLORS)


def test_scripts_take_their_colours_from_the_palette():
    """A hex colour typed into a script would give a configuration a second colour somewhere."""
    for script in lesson_scripts():
        assert not re.search(r"#[0-9a-fA-F]{6}\b", script.read_text()), script.name


def test_dark_variants_swap_paper_and_ink_and_keep_every_hue_apart():
    assert dark_variant("white")[:3] == to_rgb(DARK_PAPER) and dark_variant("black")[:3] == to_rgb(DARK_INK)
    for palette in (CONFIG_COLORS, GAIN_COLORS, dict(enumerate(LAYER_COLORS))):
        variants = {name: dark_variant(colour) for name, colour in palette.items()}
        assert len(set(variants.values())) == len(palette), "two colours became one"
        for name, colour in palette.items():
            hue = colorsys.rgb_to_hls(*to_rgb(colour))[0]
            assert abs(colorsys.rgb_to_hls(*variants[name][:3])[0] - hue) < 0.02, name
