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

from lessons.data import load_dataset
from lessons.diagnostics import SATURATED, tanh_gradient_stats, tanh_layer_stats
from lessons.layers import Tanh
from lessons.model import TANH_GAIN, build_deep_net, kaiming_std
from lessons.record import Record

record = Record("03_healthy_depth")
data = load_dataset()
generator = torch.Generator().manual_seed(42)

# %% [markdown]
# ## A sum of many products
#
# A unit's pre-activation is a sum of fan_in products w·x. With unit-variance inputs and
# weights, each product has variance 1, and the variances of independent terms add up:
# the sum has std √fan_in. Dividing the weights by √fan_in brings it back to 1. The same
# holds going backwards: a gradient through the layer is a sum over fan_out products.

# %%
FAN = 1000
x = torch.randn(1000, FAN, generator=generator)
w = torch.randn(FAN, FAN, generator=generator)
y_raw = x @ w
y_scaled = x @ (w / math.sqrt(FAN))
grad_y = torch.randn(1000, FAN, generator=generator)  # a unit-variance gradient arriving from above
grad_x_raw = grad_y @ w.T
grad_x_scaled = grad_y @ (w / math.sqrt(FAN)).T
toy = {
    "x_std": x.std(),
    "y_raw_std": y_raw.std(),
    "y_scaled_std": y_scaled.std(),
    "grad_raw_std": grad_x_raw.std(),
    "grad_scaled_std": grad_x_scaled.std(),
}
for key, value in toy.items():
    record.number(f"toy_{key}", value)
    print(f"{key:16s} {value:8.3f}")
record.number("toy_fan_in", FAN)
record.number("sqrt_fan_in", math.sqrt(FAN))

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for ax, (title, values) in zip(
    axes,
    [("forward: x·W", (x, y_raw, y_scaled)), ("backward: dL/dx = dL/dy·Wᵀ", (grad_y, grad_x_raw, grad_x_scaled))],
):
    bins = torch.linspace(-100, 100, 201)
    for v, label, color in zip(values, ("input", "W ~ N(0, 1)", "W ~ N(0, 1)/√1000"), ("gray", "#c0392b", "#2471a3")):
        ax.hist(v.flatten()[:200_000], bins=bins, histtype="step", color=color, label=f"{label}: std {v.std():.1f}", density=True)
    ax.set_title(title)
    ax.set_xlim(-100, 100)
    ax.legend(fontsize=8)
fig.tight_layout()
record.figure(
    fig,
    "toy_sum_of_products",
    alt=(
        f"Histograms for a layer with fan_in {FAN}. Forward, unit-variance inputs times N(0,1) weights give "
        f"outputs with std {toy['y_raw_std']:.1f}, about √1000; dividing the weights by √1000 gives std "
        f"{toy['y_scaled_std']:.2f}. Backward, a unit-variance gradient becomes std {toy['grad_raw_std']:.1f} "
        f"or {toy['grad_scaled_std']:.2f} in the same way."
    ),
)

# %% [markdown]
# ## Gains
#
# 1/√fan_in preserves the scale through a *linear* layer. A nonlinearity changes it: tanh
# squashes, so it needs a slightly larger gain to hold the scale steady; ReLU zeroes half
# its inputs, so it needs √2. PyTorch lists the same numbers.

# %%
for nonlinearity, ours in (("tanh", TANH_GAIN), ("relu", math.sqrt(2)), ("linear", 1.0)):
    torch_gain = torch.nn.init.calculate_gain(nonlinearity)
    assert math.isclose(ours, torch_gain), (nonlinearity, ours, torch_gain)
    record.number(f"gain_{nonlinearity}", torch_gain)
    print(f"{nonlinearity:7s} gain {torch_gain:.4f}")
record.number("kaiming_std_30", kaiming_std(30))
print(f"Kaiming std for a tanh layer with fan_in 30: {kaiming_std(30):.4f}")

# %% [markdown]
# ## The depth experiment
#
# Five hidden layers of 100 tanh units on real minibatch data, at initialisation, with
# weights gain/√fan_in for four gains, and plain N(0, 1). One forward and one backward
# pass; histograms of each layer's tanh outputs and of the gradient arriving at them.

# %%
SCALES = {"gain 0.5": 0.5, "gain 1": 1.0, "gain 5/3": TANH_GAIN, "gain 3": 3.0, "N(0, 1)": None}
KEYS = {"gain 0.5": "gain_0_5", "gain 1": "gain_1", "gain 5/3": "gain_5_3", "gain 3": "gain_3", "N(0, 1)": "normal"}
batch = torch.randint(0, len(data.Xtr), (1000,), generator=generator)
experiments = {}
for label, gain in SCALES.items():
    g = torch.Generator().manual_seed(7)
    net = build_deep_net(g, gain=gain or 1.0, weight_std=1.0 if gain is None else None)
    net.retain_grads = True
    loss = F.cross_entropy(net(data.Xtr[batch]), data.Ytr[batch])
    loss.backward()
    tanh_layers = [layer for layer in net.layers if isinstance(layer, Tanh)]
    experiments[label] = {
        "acts": tanh_layer_stats(net),
        "grads": tanh_gradient_stats(net),
        "h": [layer.out.detach().flatten() for layer in tanh_layers],
        "dh": [layer.out.grad.flatten() for layer in tanh_layers],
    }
    stds = [row["std"] for row in experiments[label]["acts"]]
    sats = [row["saturated"] for row in experiments[label]["acts"]]
    gstds = [row["std"] for row in experiments[label]["grads"]]
    key = KEYS[label]
    record.number(f"depth_{key}_act_std", stds)
    record.number(f"depth_{key}_saturated", sats)
    record.number(f"depth_{key}_grad_std", gstds)
    print(f"{label:9s} act std " + " ".join(f"{s:.2f}" for s in stds)
          + "   saturated " + " ".join(f"{s:4.0%}" for s in sats)
          + "   grad std " + " ".join(f"{s:.1e}" for s in gstds))

# %%
COLORS = ["#1b4f72", "#2874a6", "#5dade2", "#e59866", "#c0392b"]


def layer_histograms(kind: str, title: str, name: str, alt: str) -> None:
    fig, axes = plt.subplots(1, len(SCALES), figsize=(13, 2.9), sharey=False)
    for ax, (label, result) in zip(axes, experiments.items()):
        values = result[kind]
        span = 1.0 if kind == "h" else max(v.abs().max().item() for v in values)
        for depth, (v, color) in enumerate(zip(values, COLORS), start=1):
            counts, edges = torch.histogram(v, bins=60, range=(-span, span))
            ax.plot(((edges[:-1] + edges[1:]) / 2), counts, color=color, label=f"layer {depth}")
        ax.set_title(label, fontsize=10)
        ax.set_yticks([])
        if kind == "dh":
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    record.figure(fig, name, alt=alt)


def describe(label: str, kind: str) -> str:
    stds = record.numbers[f"depth_{KEYS[label]}_{kind}"]
    return f"{label}: " + ", ".join(f"{s:.2g}" for s in stds)


layer_histograms(
    "h",
    "tanh outputs of hidden layers 1–5 at initialisation",
    "depth_activations",
    alt=(
        "Five panels, one per weight scale, each overlaying the histograms of the tanh outputs of hidden layers 1 to 5. "
        "Standard deviation per layer — " + "; ".join(describe(label, "act_std") for label in SCALES) + ". "
        "Gain 0.5 shrinks toward zero layer by layer, gain 5/3 holds steady, gain 3 and N(0,1) pile up at ±1."
    ),
)
layer_histograms(
    "dh",
    "gradients arriving at the tanh outputs of layers 1–5",
    "depth_gradients",
    alt=(
        "Five panels, one per weight scale, each overlaying the histograms of the gradient at the tanh outputs of "
        "layers 1 to 5. Gradient std per layer — " + "; ".join(describe(label, "grad_std") for label in SCALES) + "."
    ),
)

# %% [markdown]
# ## How to read an activation histogram
#
# Three shapes cover most of what goes wrong. The third hidden layer of three of the
# stacks above shows them.

# %%
GALLERY = {
    "healthy": ("gain 5/3", "spread over (−1, 1), few at the edges: every unit passes gradient"),
    "collapsing": ("gain 0.5", "a narrow spike at 0: the signal fades with depth, the layers act almost linearly"),
    "saturating": ("N(0, 1)", "peaks at −1 and +1: most units sit in tanh's flat tails and pass no gradient"),
}
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8))
for ax, (verdict, (label, _)) in zip(axes, GALLERY.items()):
    h = experiments[label]["h"][2]
    ax.hist(h, bins=50, range=(-1, 1), color="#5d6d7e")
    row = experiments[label]["acts"][2]
    ax.set_title(f"{verdict}  (std {row['std']:.2f}, {row['saturated']:.0%} saturated)", fontsize=10)
    ax.set_yticks([])
    record.number(f"gallery_{verdict}_std", row["std"])
    record.number(f"gallery_{verdict}_saturated", row["saturated"])
fig.tight_layout()
record.figure(
    fig,
    "histogram_gallery",
    alt=(
        "Three histograms of a tanh layer's outputs. Healthy: spread across −1 to 1, std "
        f"{record.numbers['gallery_healthy_std']:.2f}, {record.numbers['gallery_healthy_saturated']:.0%} saturated. "
        f"Collapsing: a narrow spike at zero, std {record.numbers['gallery_collapsing_std']:.2f}. Saturating: two "
        f"peaks at −1 and +1, {record.numbers['gallery_saturating_saturated']:.0%} saturated."
    ),
)

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
    for gain in EXPLORER_GAINS:
        net = build_deep_net(torch.Generator().manual_seed(7), gain=gain, batchnorm=batchnorm)
        with torch.no_grad():
            net(data.Xtr[batch])
        layers = []
        for row, layer in zip(tanh_layer_stats(net), [l for l in net.layers if isinstance(l, Tanh)]):
            counts = torch.histc(layer.out, bins=BINS, min=-1, max=1)
            layers.append({
                "counts": [int(c) for c in counts],
                "mean": round(row["mean"], 4),
                "std": round(row["std"], 4),
                "saturated": round(row["saturated"], 4),
            })
        runs.append(layers)
    explorer["runs"]["batchnorm" if batchnorm else "plain"] = runs
record.number("explorer", explorer)
for key, runs in explorer["runs"].items():
    print(key, "layer-5 std by gain:", " ".join(f"{layers[-1]['std']:.2f}" for layers in runs))
