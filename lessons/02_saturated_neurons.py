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

from engine.claims import claim
from engine.data import load_dataset
from engine.diagnostics import SATURATED, dead_units, saturation_share, tanh_derivative
from engine.layers import Linear, Tanh
from engine.model import DEFAULT_SEED, build_mlp
from engine.plots import CONFIG_COLORS, SATURATED_SHADE
from engine.record import start_lesson

record = start_lesson("02_saturated_neurons")
data = load_dataset()

# %% [markdown]
# ## tanh and its local derivative
#
# Backpropagation multiplies the gradient arriving at a tanh unit by 1 − tanh²(x).
# Where is that factor still large?

# %%
edge = math.atanh(SATURATED)  # |x| where |tanh x| reaches 0.97
slopes = {str(x): tanh_derivative(x) for x in (0, 1, 2, 3)} | {"edge": tanh_derivative(edge)}
for x, slope in slopes.items():
    print(f"1 - tanh²({x}) = {slope:.4f}")
print(f"|tanh x| > {SATURATED} once |x| > {edge:.3f}")
record.value("slope", slopes | {"saturation_edge": edge})

# %%
x = torch.linspace(-4, 4, 801)
fig, ax = plt.subplots(figsize=(9, 3.6))
ax.axvspan(-4, -edge, color=SATURATED_SHADE, alpha=0.5, label=f"|tanh x| > {SATURATED}")
ax.axvspan(edge, 4, color=SATURATED_SHADE, alpha=0.5)
ax.plot(x, torch.tanh(x), color=CONFIG_COLORS["kaiming"], label="tanh x")
ax.plot(x, tanh_derivative(x), color=CONFIG_COLORS["original"], label="1 − tanh² x  (local derivative)")
for point in (0, 1, 2, 3):
    slope = tanh_derivative(point).item()
    ax.plot(point, slope, "o", color=CONFIG_COLORS["original"])
    ax.annotate(f"{slope:.3f}", (point, slope), textcoords="offset points", xytext=(6, 6))
ax.set_xlabel("x (the pre-activation)")
ax.legend(loc="lower right")
record.figure(fig, "tanh_and_slope", alt="""tanh and its derivative 1 − tanh² from −4 to 4. The derivative is 1 at 0,
    {{ slope.1:.2f }} at 1, {{ slope.2:.4f }} at 2 and {{ slope.3:.4f }} at 3; beyond |x| = {{ slope.saturation_edge:.2f }},
    shaded, |tanh| exceeds 0.97 and the derivative is below {{ slope.edge:.4f }}.""")

# %% [markdown]
# ## The hidden layer at initialisation
#
# Three initialisations of the same net, each on the same first minibatch of 32 examples:
# `softmax_fix` (hidden weights still N(0, 1)), `tanh_fix` (hidden weights × 0.2) and
# `kaiming` (hidden weights × (5/3)/√30). One forward and one backward pass each.

# %%
NAMES = ("softmax_fix", "tanh_fix", "kaiming")
batch = None
pre, h, w1_grad, init = {}, {}, {}, {}
for name in NAMES:
    generator = torch.Generator().manual_seed(DEFAULT_SEED)
    net = build_mlp(name, generator)
    if batch is None:  # the minibatch training would draw first
        batch = torch.randint(0, len(data.Xtr), (32,), generator=generator)
    F.cross_entropy(net(data.Xtr[batch]), data.Ytr[batch]).backward()
    first_layer = next(layer for layer in net.layers if isinstance(layer, Linear))
    pre[name] = first_layer.out.detach()
    h[name] = next(layer for layer in net.layers if isinstance(layer, Tanh)).out.detach()
    init[name] = {
        "pre_std": pre[name].std(),
        "saturated": saturation_share(h[name]),
        "mean_slope": (1 - h[name] ** 2).mean(),
        "dead_units": dead_units(h[name]),
        "w1_grad_norm": first_layer.weight.grad.norm().item(),
    }
    print(f"{name:12s} pre-activation std {init[name]['pre_std']:5.2f}   |h| > {SATURATED}: {init[name]['saturated']:6.1%}   "
          f"mean local derivative {init[name]['mean_slope']:.3f}   |dL/dW1| {init[name]['w1_grad_norm']:.4f}")
init["w1_grad_ratio"] = init["kaiming"]["w1_grad_norm"] / init["softmax_fix"]["w1_grad_norm"]
claim(init["softmax_fix"]["pre_std"] > 2 * edge, "N(0, 1) hidden weights put the pre-activations far past the saturation edge")
claim(1.5 < init["w1_grad_ratio"] < 2.5, "the saturated layer's weights get only about half the gradient")
claim(init["softmax_fix"]["dead_units"] == 0, "no unit is dead on this batch, even with softmax_fix")
claim(init["kaiming"]["saturated"] > init["tanh_fix"]["saturated"], "the Kaiming scale saturates more of the layer than the guessed 0.2")
record.value("init", init)

# %%
fig, axes = plt.subplots(len(NAMES), 2, figsize=(10, 7.2))
for row, name in enumerate(NAMES):
    axes[row, 0].hist(pre[name].flatten(), bins=60, color=CONFIG_COLORS[name])
    axes[row, 0].set_ylabel(name)
    axes[row, 1].hist(h[name].flatten(), bins=50, range=(-1, 1), color=CONFIG_COLORS[name])
    axes[row, 1].set_title(f"{init[name]['saturated']:.1%} of |h| > {SATURATED}", fontsize=9, loc="right")
axes[0, 0].set_title("hidden pre-activations  x·W1 + b1")
axes[0, 1].set_title("tanh outputs  h", loc="left")
record.figure(fig, "hidden_histograms", alt="""Histograms of the 6,400 hidden pre-activations (left) and tanh outputs
    (right) on one minibatch, for three initialisations. softmax_fix: pre-activations spread with std
    {{ init.softmax_fix.pre_std:.1f }}, and {{ init.softmax_fix.saturated:.0% }} of outputs pile up at −1 and +1.
    tanh_fix: std {{ init.tanh_fix.pre_std:.2f }}, {{ init.tanh_fix.saturated:.1% }} saturated. kaiming: std
    {{ init.kaiming.pre_std:.2f }}, {{ init.kaiming.saturated:.1% }} saturated.""")

# %% [markdown]
# ## The saturation map
#
# One row per example of the minibatch, one column per hidden unit; white where the unit
# is saturated, |h| > 0.97. A column that is white from top to bottom is a unit that no
# example of the batch sends more than a trickle of gradient through.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 2.6))
for ax, name in zip(axes, ("softmax_fix", "kaiming")):
    ax.imshow(h[name].abs() > SATURATED, cmap="gray", interpolation="nearest", aspect="auto", vmin=0, vmax=1)
    ax.set_title(f"{name}: {init[name]['saturated']:.0%} white, {init[name]['dead_units']} dead units", fontsize=10)
    ax.set_xlabel("hidden unit")
    ax.grid(False)
axes[0].set_ylabel("example")
record.figure(fig, "saturation_map", alt="""Two black-and-white maps of 32 examples by 200 hidden units, white where
    |h| > 0.97. With softmax_fix {{ init.softmax_fix.saturated:.0% }} of the map is white and
    {{ init.softmax_fix.dead_units }} columns are white for every example; with kaiming
    {{ init.kaiming.saturated:.1% }} is white and {{ init.kaiming.dead_units }} columns are.""")

# %% [markdown]
# ## What reaches the first layer
#
# The chain rule multiplies every gradient that enters W1 by a unit's 1 − h², so the
# first layer's weights receive far more gradient from the same minibatch when few
# units saturate.

# %%
print(f"|dL/dW1| with kaiming is {init['w1_grad_ratio']:.1f}× that with softmax_fix")
