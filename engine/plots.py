"""What the lesson's figures share: one palette, one style, and the plots several scripts draw.

A configuration has one colour on every figure of the site, and so has a gain and a layer's
depth, so that a reader who has learned that `kaiming` is blue never has to read a legend twice.
"""

from __future__ import annotations

import matplotlib
import torch

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

# One look for every figure: it must read on a light page and on a dark one, so figures keep
# their own white background; fixed fonts and no timestamps keep the bytes stable.
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


def layer_histograms(ax, tensors, labels, value_range, *, bins: int = 50, density: bool = True) -> None:
    """One histogram curve per layer over the same range, coloured by depth: how a signal changes through the net."""
    for tensor, label, color in zip(tensors, labels, LAYER_COLORS):
        counts, edges = torch.histogram(tensor.flatten().double(), bins=bins, range=value_range, density=density)
        ax.plot((edges[:-1] + edges[1:]) / 2, counts, color=color, label=label)


def smoothed_loss(ax, losses: torch.Tensor, window: int, **style) -> None:
    """The lecture's loss plot: log10 of the minibatch loss, averaged over windows of `window` steps."""
    smooth = smoothed_log10(losses, window)
    ax.plot(torch.arange(len(smooth)) * window, smooth, **style)

