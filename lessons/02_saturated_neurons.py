# %% [markdown]
# # Saturated neurons
#
# The code behind the page of the same name: tanh's slope, the hidden layer's histograms
# at initialisation, and the saturation map, all from the lecture's MLP on real names.

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from lessons.data import load_dataset
from lessons.diagnostics import SATURATED, dead_units, saturation_share, tanh_derivative
from lessons.layers import Linear, Tanh
from lessons.model import DEFAULT_SEED, build_mlp
from lessons.record import Record

record = Record("02_saturated_neurons")
data = load_dataset()

# %% [markdown]
# ## tanh and its local derivative
#
# Backpropagation multiplies the gradient arriving at a tanh unit by 1 − tanh²(x).
# Where is that factor still large?

# %%
for x in (0, 1, 2, 3):
    slope = record.number(f"slope_at_{x}", tanh_derivative(x))
    print(f"1 - tanh²({x}) = {slope:.4f}")
edge = record.number("saturation_edge", math.atanh(SATURATED))  # |x| where |tanh x| reaches 0.97
record.number("slope_at_edge", tanh_derivative(edge))
print(f"|tanh x| > {SATURATED} once |x| > {edge:.3f}, where the slope is below {tanh_derivative(edge):.4f}")

# %%
x = torch.linspace(-4, 4, 801)
fig, ax = plt.subplots(figsize=(9, 3.6))
ax.axvspan(-4, -edge, color="#f5b7b1", alpha=0.5, label=f"|tanh x| > {SATURATED}")
ax.axvspan(edge, 4, color="#f5b7b1", alpha=0.5)
ax.plot(x, torch.tanh(x), color="#2471a3", label="tanh x")
ax.plot(x, tanh_derivative(x), color="#c0392b", label="1 − tanh² x  (local derivative)")
for point in (0, 1, 2, 3):
    slope = tanh_derivative(point).item()
    ax.plot(point, slope, "o", color="#c0392b")
    ax.annotate(f"{slope:.3f}", (point, slope), textcoords="offset points", xytext=(6, 6))
ax.set_xlabel("x (the pre-activation)")
ax.legend(loc="lower right")
fig.tight_layout()
record.figure(
    fig,
    "tanh_and_slope",
    alt=(
        f"tanh and its derivative 1 − tanh² from −4 to 4. The derivative is 1 at 0, "
        f"{record.numbers['slope_at_1']:.2f} at 1, {record.numbers['slope_at_2']:.4f} at 2 and "
        f"{record.numbers['slope_at_3']:.4f} at 3; beyond |x| = {edge:.2f}, shaded, |tanh| exceeds 0.97 "
        f"and the derivative is below {record.numbers['slope_at_edge']:.3f}."
    ),
)

# %% [markdown]
# ## The hidden layer at initialisation
#
# Three initialisations of the same net, each on the same first minibatch of 32 examples:
# `softmax_fix` (hidden weights still N(0, 1)), `tanh_fix` (hidden weights × 0.2) and
# `kaiming` (hidden weights × (5/3)/√30).

# %%
CONFIGS = ("softmax_fix", "tanh_fix", "kaiming")
COLORS = {"softmax_fix": "#c0392b", "tanh_fix": "#d68910", "kaiming": "#2471a3"}
batch = None
hidden = {}
for name in CONFIGS:
    generator = torch.Generator().manual_seed(DEFAULT_SEED)
    net = build_mlp(name, generator)
    if batch is None:  # the minibatch training would draw first
        batch = torch.randint(0, len(data.Xtr), (32,), generator=generator)
    net.retain_grads = True
    loss = F.cross_entropy(net(data.Xtr[batch]), data.Ytr[batch])
    loss.backward()
    pre = next(layer for layer in net.layers if isinstance(layer, Linear)).out
    tanh = next(layer for layer in net.layers if isinstance(layer, Tanh))
    first = next(layer for layer in net.layers if isinstance(layer, Linear))
    hidden[name] = {"pre": pre.detach(), "h": tanh.out.detach(), "w1_grad": first.weight.grad}
    share = record.number(f"{name}_saturated", saturation_share(tanh.out.detach()))
    record.number(f"{name}_pre_std", pre.std())
    record.number(f"{name}_mean_slope", (1 - tanh.out.detach() ** 2).mean())
    print(
        f"{name:12s} pre-activation std {pre.std():5.2f}   |h| > {SATURATED}: {share:6.1%}   "
        f"mean local derivative {record.numbers[f'{name}_mean_slope']:.3f}"
    )

# %%
fig, axes = plt.subplots(len(CONFIGS), 2, figsize=(10, 7.2))
for row, name in enumerate(CONFIGS):
    pre, h = hidden[name]["pre"].flatten(), hidden[name]["h"].flatten()
    axes[row, 0].hist(pre, bins=60, color=COLORS[name])
    axes[row, 0].set_ylabel(name)
    axes[row, 1].hist(h, bins=50, range=(-1, 1), color=COLORS[name])
    axes[row, 1].set_title(f"{record.numbers[f'{name}_saturated']:.1%} of |h| > {SATURATED}", fontsize=9, loc="right")
axes[0, 0].set_title("hidden pre-activations  x·W1 + b1")
axes[0, 1].set_title("tanh outputs  h", loc="left")
fig.tight_layout()
record.figure(
    fig,
    "hidden_histograms",
    alt=(
        "Histograms of the 6,400 hidden pre-activations (left) and tanh outputs (right) on one minibatch, "
        "for three initialisations. "
        f"softmax_fix: pre-activations spread with std {record.numbers['softmax_fix_pre_std']:.1f}, and "
        f"{record.numbers['softmax_fix_saturated']:.0%} of outputs pile up at −1 and +1. "
        f"tanh_fix: std {record.numbers['tanh_fix_pre_std']:.2f}, {record.numbers['tanh_fix_saturated']:.1%} saturated. "
        f"kaiming: std {record.numbers['kaiming_pre_std']:.2f}, {record.numbers['kaiming_saturated']:.1%} saturated."
    ),
)

# %% [markdown]
# ## The saturation map
#
# One row per example of the minibatch, one column per hidden unit; white where |h| > 0.99.
# A column that is white from top to bottom is a unit that no example of the batch can
# send gradient through.

# %%
DEAD = 0.99
fig, axes = plt.subplots(1, 2, figsize=(11, 2.6))
for ax, name in zip(axes, ("softmax_fix", "kaiming")):
    h = hidden[name]["h"]
    dead = record.number(f"{name}_dead_units", dead_units(h, DEAD))
    record.number(f"{name}_white_share", (h.abs() > DEAD).float().mean())
    ax.imshow(h.abs() > DEAD, cmap="gray", interpolation="nearest", aspect="auto", vmin=0, vmax=1)
    ax.set_title(f"{name}: {(h.abs() > DEAD).float().mean():.0%} white, {dead} dead units", fontsize=10)
    ax.set_xlabel("hidden unit")
    ax.grid(False)
axes[0].set_ylabel("example")
fig.tight_layout()
record.figure(
    fig,
    "saturation_map",
    alt=(
        "Two black-and-white maps of 32 examples by 200 hidden units, white where |h| > 0.99. "
        f"With softmax_fix {record.numbers['softmax_fix_white_share']:.0%} of the map is white and "
        f"{record.numbers['softmax_fix_dead_units']} columns are white for every example; with kaiming "
        f"{record.numbers['kaiming_white_share']:.1%} is white and {record.numbers['kaiming_dead_units']} columns are."
    ),
)
print({name: record.numbers[f"{name}_dead_units"] for name in ("softmax_fix", "kaiming")}, "dead units")

# %% [markdown]
# ## What reaches the first layer
#
# The chain rule multiplies every gradient that enters W1 by a unit's 1 − h². Compare how
# much gradient the first layer's weights receive from the same minibatch.

# %%
for name in CONFIGS:
    norm = record.number(f"{name}_w1_grad_norm", hidden[name]["w1_grad"].norm())
    print(f"{name:12s} |dL/dW1| = {norm:.4f}")
record.number(
    "w1_grad_ratio", record.numbers["kaiming_w1_grad_norm"] / record.numbers["softmax_fix_w1_grad_norm"]
)
