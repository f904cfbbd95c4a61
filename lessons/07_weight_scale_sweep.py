# %% [markdown]
# # Robustness to the weights' scale
#
# The code behind the robustness section of "Diagnosing a deeper network": the same deep
# net (5 hidden tanh layers of 100 units), without and with BatchNorm, trained in shorter
# runs for four weight scales. It is a script of its own so that the site's build can run
# it on one core while the two long runs of 06_deeper_network use the other.

# %%
import matplotlib.pyplot as plt
import torch

from lessons.data import load_dataset
from lessons.diagnostics import smoothed_log10
from lessons.layers import Linear
from lessons.model import DEFAULT_SEED, build_deep_net
from lessons.record import Record
from lessons.train import lesson_steps, split_loss, train

record = Record("07_weight_scale_sweep")
data = load_dataset()
NETS = {"plain": "no BatchNorm", "batchnorm": "with BatchNorm"}

# %% [markdown]
# Shorter runs of both nets with the hidden weights at gain/sqrt(fan_in) for four gains.
# Without BatchNorm the gain sets how the activations grow or shrink through the layers;
# with it, each layer's output is normalised whatever the scale of the weights before it.

# %%
class FirstStepRatio:
    """Observer: the hidden weights' mean grad:data ratio at a run's first step."""

    def __init__(self, net):
        self.hidden = [layer.weight for layer in net.layers if isinstance(layer, Linear)][:-1]

    def __call__(self, step, net, lr):
        if step == 0:
            self.ratio = sum((w.grad.std() / w.std()).item() for w in self.hidden) / len(self.hidden)


gains = [0.5, 1.0, 5 / 3, 3.0]
gain_labels = ["0.5", "1", "5/3", "3"]
sweep_steps = record.number("sweep_steps", lesson_steps(10_000))
sweep, first_ratio = {}, {}
for name, label in NETS.items():
    for gain, gain_label in zip(gains, gain_labels):
        generator = torch.Generator().manual_seed(DEFAULT_SEED)
        net = build_deep_net(generator, gain=gain, batchnorm=name == "batchnorm")
        first_step = FirstStepRatio(net)
        run = train(net, data, sweep_steps, generator, observe=first_step, progress=f"{label}, gain {gain_label}")
        sweep[name, gain] = (run.losses, split_loss(net, data, "val"))
        first_ratio[name, gain] = first_step.ratio
        print(f"{label}, gain {gain_label}: val loss {sweep[name, gain][1]:.4f}, "
              f"hidden layers' grad:data at the first step {first_step.ratio:.1e}")
    # Lists in the order of `gains`: a page quotes gain 0.5 as sweep_<name>_val.0
    val = record.number(f"sweep_{name}_val", [sweep[name, gain][1] for gain in gains])
    record.number(f"sweep_{name}_grad_data", [first_ratio[name, gain] for gain in gains])
    record.number(f"sweep_{name}_best", min(val))
    record.number(f"sweep_{name}_worst", max(val))
    record.number(f"sweep_{name}_spread", max(val) - min(val))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
window = max(sweep_steps // 100, 1)
gain_colors = ["#7fb3d5", "#2471a3", "#1e8449", "#c0392b"]
for (name, label), style in zip(NETS.items(), ("--", "-")):
    for gain, gain_label, color in zip(gains, gain_labels, gain_colors):
        smooth = smoothed_log10(sweep[name, gain][0], window)
        axes[0].plot(torch.arange(len(smooth)) * window, smooth, style, color=color, linewidth=1,
                     label=f"{label}, gain {gain_label}")
    axes[1].plot(gain_labels, [sweep[name, gain][1] for gain in gains], "o" + style, color="black", label=label)
axes[0].set_xlabel("step")
axes[0].set_ylabel(f"log10 loss, mean of {window} steps")
axes[0].legend(fontsize=7, ncol=2)
axes[1].set_xlabel("gain")
axes[1].set_ylabel(f"val loss after {sweep_steps:,} steps")
axes[1].legend()
fig.tight_layout()
record.figure(
    fig,
    "robustness",
    alt=(
        f"Left: smoothed log10 training loss over {sweep_steps:,} steps for gains 0.5, 1, 5/3 and 3, without "
        f"BatchNorm (dashed) and with it (solid). Right: the val loss after those steps against the gain: "
        f"without BatchNorm it ranges from {record.numbers['sweep_plain_best']:.3f} to "
        f"{record.numbers['sweep_plain_worst']:.3f}, with it from {record.numbers['sweep_batchnorm_best']:.3f} "
        f"to {record.numbers['sweep_batchnorm_worst']:.3f}."
    ),
)

