# %% [markdown]
# # Healthy activations through depth
#
# The code behind the page of the same name: why weights are scaled by gain/√fan_in, and
# what happens to activations and gradients in a stack of tanh layers when they are not.

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from engine.data import load_dataset, probe_batch
from engine.claims import claim
from engine.diagnostics import SATURATED, tanh_gradient_stats, tanh_layer_stats
from engine.layers import Tanh
from engine.model import DEEP_NET_SEED, GAINS, TANH_GAIN, build_deep_net, kaiming_std
from engine.plots import GAIN_COLORS, REFERENCE_COLOR, layer_histograms
from engine.record import start_lesson

record = start_lesson("03_healthy_depth")
data = load_dataset()
generator = torch.Generator().manual_seed(42)

# %% [markdown]
# ## A sum of many products
#
# A unit's pre-activation is a sum of fan_in products w·x. With unit-variance inputs and
# weights, each product has variance 1, and the variances of independent terms add up:
# the sum has std √fan_in. Dividing the weights by √fan_in brings it back to 1. Going
# backwards, a gradient through the layer is a sum over fan_out products; in this square
# layer fan_out = fan_in, so the same scaling keeps it at its size too.

# %%
FAN = 1000
x = torch.randn(1000, FAN, generator=generator)
w = torch.randn(FAN, FAN, generator=generator)
grad_y = torch.randn(1000, FAN, generator=generator)  # a unit-variance gradient arriving from above
forward = {"input": x, "N(0, 1)": x @ w, "1": x @ (w / math.sqrt(FAN))}
backward = {"input": grad_y, "N(0, 1)": grad_y @ w.T, "1": grad_y @ (w / math.sqrt(FAN)).T}
toy = {
    "fan_in": FAN,
    "sqrt_fan_in": math.sqrt(FAN),
    "forward": {"raw": forward["N(0, 1)"].std(), "scaled": forward["1"].std()},
    "backward": {"raw": backward["N(0, 1)"].std(), "scaled": backward["1"].std()},
}
print(f"forward std {toy['forward']['raw']:.2f} → {toy['forward']['scaled']:.3f} scaled; "
      f"backward std {toy['backward']['raw']:.2f} → {toy['backward']['scaled']:.3f} scaled")
record.value("toy", toy)
# Our hidden layer is not square: 30 inputs, 200 units. Scaled for the forward pass, each
# gradient on its way back through it is scaled by about sqrt(fan_out / fan_in).
record.value("fans", {"fan_in": 30, "fan_out": 200, "backward_factor": math.sqrt(200 / 30)})

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
labels = {"input": "input", "N(0, 1)": "W ~ N(0, 1)", "1": f"W ~ N(0, 1)/√{FAN}"}
for ax, title, values in zip(axes, ("forward: x·W", "backward: dL/dx = dL/dy·Wᵀ"), (forward, backward)):
    bins = torch.linspace(-100, 100, 201)
    for key, v in values.items():
        color = REFERENCE_COLOR if key == "input" else GAIN_COLORS[key]
        ax.hist(v.flatten()[:200_000], bins=bins, histtype="step", color=color, label=f"{labels[key]}: std {v.std():.1f}", density=True)
    ax.set_title(title)
    ax.set_xlim(-100, 100)
    ax.legend(fontsize=8)
record.figure(fig, "toy_sum_of_products", alt="""Histograms for a square layer with fan_in = fan_out = {{ toy.fan_in }}.
    Forward, unit-variance inputs times N(0,1) weights give outputs with std {{ toy.forward.raw:.1f }}, about √1000;
    dividing the weights by √1000 gives std {{ toy.forward.scaled:.2f }}. Backward, a unit-variance gradient becomes
    std {{ toy.backward.raw:.1f }} or {{ toy.backward.scaled:.2f }} in the same way.""")

# %% [markdown]
# ## Gains
#
# 1/√fan_in preserves the scale through a *linear* layer. A nonlinearity changes it: tanh
# squashes, so it needs a slightly larger gain to hold the scale steady; ReLU zeroes half
# its inputs, so it needs √2. PyTorch lists the same numbers.

# %%
gain = {}
for nonlinearity, ours in (("tanh", TANH_GAIN), ("relu", math.sqrt(2)), ("linear", 1.0)):
    gain[nonlinearity] = torch.nn.init.calculate_gain(nonlinearity)
    assert math.isclose(ours, gain[nonlinearity]), (nonlinearity, ours, gain[nonlinearity])
    print(f"{nonlinearity:7s} gain {gain[nonlinearity]:.4f}")
gain["kaiming_std_30"] = kaiming_std(30)
gain["kaiming_over_guess"] = gain["kaiming_std_30"] / 0.2 - 1  # against the lecture's hand-picked 0.2 (tanh_fix)
print(f"Kaiming std for a tanh layer with fan_in 30: {gain['kaiming_std_30']:.4f}, "
      f"{gain['kaiming_over_guess']:.0%} more than the guessed 0.2")
record.value("gain", gain)

# %% [markdown]
# ## The depth experiment
#
# Five hidden layers of 100 tanh units on real minibatch data, at initialisation, with
# weights gain/√fan_in for four gains, and plain N(0, 1). One forward and one backward
# pass; histograms of each layer's tanh outputs and of the gradient arriving at them.

# %%
SCALES = {**GAINS, "N(0, 1)": None}
KEYS = {"0.5": "gain_0_5", "1": "gain_1", "5/3": "gain_5_3", "3": "gain_3", "N(0, 1)": "normal"}  # dotted-name safe
Xb, Yb = probe_batch(data)  # 1,000 real training examples, the same on every page that probes a net at initialisation
h, dh, depth = {}, {}, {}
for label, scale in SCALES.items():
    net = build_deep_net(torch.Generator().manual_seed(DEEP_NET_SEED), gain=scale or 1.0, weight_std=1.0 if scale is None else None)
    net.retain_grads = True
    F.cross_entropy(net(Xb), Yb).backward()
    tanh_layers = [layer for layer in net.layers if isinstance(layer, Tanh)]
    h[label] = [layer.out.detach() for layer in tanh_layers]
    dh[label] = [layer.out.grad for layer in tanh_layers]
    acts, grads = tanh_layer_stats(net), tanh_gradient_stats(net)
    depth[KEYS[label]] = {
        "act_std": [row["std"] for row in acts],
        "saturated": [row["saturated"] for row in acts],
        "grad_std": [row["std"] for row in grads],
    }
    print(f"{label:8s} act std " + " ".join(f"{s:.2f}" for s in depth[KEYS[label]]["act_std"])
          + "   saturated " + " ".join(f"{s:4.0%}" for s in depth[KEYS[label]]["saturated"])
          + "   grad std " + " ".join(f"{s:.1e}" for s in depth[KEYS[label]]["grad_std"]))
# How much larger the first layer's gradient is than the last's: the page reads about 1 as
# "every layer learns at about the same pace", so the claim is held to the numbers.
for stats in depth.values():
    stats["grad_growth"] = stats["grad_std"][0] / stats["grad_std"][-1]
claim(depth["gain_5_3"]["grad_growth"] < 2, "with gain 5/3 every layer learns at about the same pace")
claim(depth["gain_0_5"]["grad_growth"] < 0.2 < 5 < depth["normal"]["grad_growth"],
      "gain 0.5 makes gradients vanish towards the input, N(0, 1) makes them explode")
record.value("depth", depth)


# %%
def depth_figure(values: dict, title: str) -> plt.Figure:
    """One panel per weight scale, each overlaying layers 1 to 5."""
    fig, axes = plt.subplots(1, len(values), figsize=(13, 2.9))
    for ax, (label, layers) in zip(axes, values.items()):
        span = 1.0 if values is h else max(v.abs().max().item() for v in layers)
        layer_histograms(ax, layers, [f"layer {i}" for i in range(1, 6)], (-span, span), bins=60, density=False)
        ax.set_title(label if label == "N(0, 1)" else f"gain {label}", fontsize=10)
        ax.set_yticks([])
        if values is dh:
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=11)
    return fig


def per_layer(kind: str) -> str:
    """The alt text's account of one statistic, layer by layer, for every scale."""
    return "; ".join(f"{label}: " + ", ".join(f"{s:.2g}" for s in depth[KEYS[label]][kind]) for label in SCALES)


record.figure(depth_figure(h, "tanh outputs of hidden layers 1–5 at initialisation"), "depth_activations",
              alt=f"""Five panels, one per weight scale, each overlaying the histograms of the tanh outputs of hidden
    layers 1 to 5. Standard deviation per layer — {per_layer("act_std")}. Gain 0.5 shrinks toward zero layer by layer,
    gain 5/3 holds steady, gain 3 and N(0,1) pile up toward ±1.""")
record.figure(depth_figure(dh, "gradients arriving at the tanh outputs of layers 1–5"), "depth_gradients",
              alt=f"""Five panels, one per weight scale, each overlaying the histograms of the gradient at the tanh
    outputs of layers 1 to 5. Gradient std per layer — {per_layer("grad_std")}.""")

# %% [markdown]
# ## How to read an activation histogram
#
# Three shapes cover most of what goes wrong at initialisation. The third hidden layer of
# three of the stacks above shows them.

# %%
GALLERY = {"healthy": "5/3", "collapsing": "0.5", "saturating": "N(0, 1)"}
gallery = {verdict: {kind: depth[KEYS[label]][kind][2] for kind in ("act_std", "saturated")} for verdict, label in GALLERY.items()}
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8))
for ax, (verdict, label) in zip(axes, GALLERY.items()):
    ax.hist(h[label][2].flatten(), bins=50, range=(-1, 1), color=GAIN_COLORS[label])
    ax.set_title(f"{verdict}  (std {gallery[verdict]['act_std']:.2g}, {gallery[verdict]['saturated']:.0%} saturated)", fontsize=10)
    ax.set_yticks([])
record.value("gallery", gallery)
record.figure(fig, "histogram_gallery", alt="""Three histograms of a tanh layer's outputs. Healthy: spread across −1 to
    1, std {{ gallery.healthy.act_std:.2f }}, {{ gallery.healthy.saturated:.0% }} saturated. Collapsing: a narrow
    spike at zero, std {{ gallery.collapsing.act_std:.2g }}. Saturating: two peaks at −1 and +1,
    {{ gallery.saturating.saturated:.0% }} saturated.""")

# %% [markdown]
# ## Data for the initialisation explorer
#
# The site's explorer lets a reader slide the weight scale and switch BatchNorm on and off.
# It draws what this cell measures: for each scale, with and without BatchNorm, a histogram
# of every hidden layer's tanh outputs on the same real batch at initialisation.

# %%
EXPLORER_GAINS = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, TANH_GAIN, 2.0, 2.5, 3.0, 4.0, 5.0]
BINS = 40
explorer = {"gains": [round(g, 4) for g in EXPLORER_GAINS], "bins": BINS, "threshold": SATURATED, "runs": {}}
for batchnorm in (False, True):
    runs = []
    for scale in EXPLORER_GAINS:
        net = build_deep_net(torch.Generator().manual_seed(DEEP_NET_SEED), gain=scale, batchnorm=batchnorm)
        with torch.no_grad():
            net(Xb)
        layers = []
        for row, layer in zip(tanh_layer_stats(net), [l for l in net.layers if isinstance(l, Tanh)]):
            counts = torch.histc(layer.out, bins=BINS, min=-1, max=1)
            layers.append({"counts": [int(c) for c in counts], **{k: round(row[k], 4) for k in ("mean", "std", "saturated")}})
        runs.append(layers)
    explorer["runs"]["batchnorm" if batchnorm else "plain"] = runs
    print("with BatchNorm" if batchnorm else "plain", "layer-5 std by gain:", " ".join(f"{layers[-1]['std']:.2f}" for layers in runs))
record.value("explorer", explorer)
