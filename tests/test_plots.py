import re

from engine.model import CONFIGS, DEEP_LAYERS, GAINS
from engine.plots import CONFIG_COLORS, GAIN_COLORS, LAYER_COLORS
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
