"""What the lesson's figures share: one palette, one style, and the plots several scripts draw.

A configuration has one colour on every figure of the site, and so has a gain and a layer's
depth, so that a reader who has learned that `kaiming` is blue never has to read a legend twice.
"""

from __future__ import annotations

import colorsys

import matplotlib
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from engine.diagnostics import smoothed_log10

# The loss log's configurations, in the order the lecture fixes things; the deep nets take the
# colour of what they share with them (Kaiming's gain without BatchNorm, BatchNorm with it).
CONFIG_COLORS = {
    "original": "#c0392b",
    "softmax_fix": "#d68910",
    "tanh_fix": "#27ae60",
    "kaiming": "#2471a3",
    "batchnorm": "#7d3c98",
}
DEEP_NET_COLORS = {"plain": CONFIG_COLORS["kaiming"], "batchnorm": CONFIG_COLORS["batchnorm"]}
# Weight scales, from too small (pale) through tanh's 5/3 (green) to too large (red).
GAIN_COLORS = {"0.5": "#7fb3d5", "1": "#2874a6", "5/3": "#1e8449", "3": "#e67e22", "N(0, 1)": "#c0392b"}
# Layers by depth, dark (near the input) to warm (near the output); the sixth is the output layer.
LAYER_COLORS = ["#1b4f72", "#2e86c1", "#17a589", "#d4ac0d", "#ca6f1e", "#922b21"]
REFERENCE_COLOR = "gray"  # baselines, guides and thresholds
SATURATED_SHADE = "#f5b7b1"

# One look for every figure, drawn for the light scheme on white; `for_dark_scheme` redraws it for
# the dark one. Fixed fonts and no timestamps keep the bytes stable.
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.frameon": False,
    "svg.hashsalt": "lessons",
}


def use_lesson_style() -> None:
    matplotlib.rcParams.update(STYLE)


# The dark variant of every figure (engine.record saves both): paper and ink take the colours of
# the site's dark (slate) scheme, greys in between swap lightness, and each colour keeps its hue,
# lifted just enough to stand out on the dark paper (a pale shade becomes a deep one), so
# `kaiming` is still the blue one and a saturated region still red.
DARK_PAPER = "#1e2129"  # Material's slate background
DARK_INK = "#e2e4e9"


def for_dark_scheme(fig) -> None:
    """Recolour a finished figure in place for a dark page; images (heatmaps) keep their colour maps."""
    for artist in fig.findobj(include_self=True):
        if isinstance(artist, (Figure, Axes)):  # their backgrounds are patches, recoloured as such
            continue
        # Every colour is read before any is set: a marker's colour may follow its line's.
        found = []
        for getter, setter in _COLOUR_PROPERTIES:
            get, set_ = getattr(artist, getter, None), getattr(artist, setter, None)
            if get is None or set_ is None or (getter in ("get_facecolor", "get_edgecolor") and _colour_mapped(artist)):
                continue
            colour = get()
            if isinstance(colour, str) and colour in ("none", "auto"):
                continue
            try:
                colours = matplotlib.colors.to_rgba_array(colour)
            except (ValueError, TypeError):
                continue
            single = isinstance(colour, str) or np.ndim(colour) <= 1
            found.append((set_, colours, single))
        for set_, colours, single in found:
            if len(colours) and colours[:, 3].any():  # an invisible edge stays invisible
                recoloured = [dark_variant(c) for c in colours]
                set_(recoloured[0] if single else recoloured)
        bbox = getattr(artist, "get_bbox_patch", lambda: None)()
        if bbox is not None:
            bbox.set_facecolor(dark_variant(bbox.get_facecolor()))
            bbox.set_edgecolor(dark_variant(bbox.get_edgecolor()))
    ink = dark_variant("black")
    for ax in fig.axes:  # ticks made from here on copy these settings
        ax.tick_params(which="both", color=ink, labelcolor=ink)


def dark_variant(colour) -> tuple[float, float, float, float]:
    """A colour's counterpart on dark paper: a grey mirrored between paper and ink, a hue lifted in lightness."""
    r, g, b, alpha = to_rgba(colour)
    if max(r, g, b) - min(r, g, b) < 0.08:  # a grey: white paper becomes dark paper, black ink light ink
        t = 1 - (r + g + b) / 3
        paper, ink = np.array(to_rgba(DARK_PAPER)[:3]), np.array(to_rgba(DARK_INK)[:3])
        return (*(paper + t * (ink - paper)), alpha)
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    if lightness >= 0.8:  # a pale shade behind the data: a deep shade of the same hue
        return (*colorsys.hls_to_rgb(hue, 1.15 - lightness, saturation * 0.6), alpha)
    return (*colorsys.hls_to_rgb(hue, 0.3 + 0.7 * lightness, saturation), alpha)


def _colour_mapped(artist) -> bool:
    return hasattr(artist, "get_array") and artist.get_array() is not None


_COLOUR_PROPERTIES = [
    ("get_color", "set_color"),  # lines, text
    ("get_markerfacecolor", "set_markerfacecolor"),
    ("get_markeredgecolor", "set_markeredgecolor"),
    ("get_facecolor", "set_facecolor"),  # patches (the figure's and the axes' backgrounds too), collections
    ("get_edgecolor", "set_edgecolor"),
]


def layer_histograms(ax, tensors, labels, value_range, *, bins: int = 50, density: bool = True) -> None:
    """One histogram curve per layer over the same range, coloured by depth: how a signal changes through the net."""
    for tensor, label, color in zip(tensors, labels, LAYER_COLORS):
        counts, edges = torch.histogram(tensor.flatten().double(), bins=bins, range=value_range, density=density)
        ax.plot((edges[:-1] + edges[1:]) / 2, counts, color=color, label=label)


def smoothed_loss(ax, losses: torch.Tensor, window: int, **style) -> None:
    """The lecture's loss plot: log10 of the minibatch loss, averaged over windows of `window` steps."""
    smooth = smoothed_log10(losses, window)
    ax.plot(torch.arange(len(smooth)) * window, smooth, **style)

