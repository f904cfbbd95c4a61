# %% [markdown]
# # Robustness to the weights' scale
#
# The code behind the robustness section of "Diagnosing a deeper network": the same deep
# net (5 hidden tanh layers of 100 units), without and with BatchNorm, trained in shorter
# runs for four weight scales.

# %%
import matplotlib.pyplot as plt
import torch

from engine.claims import claim
from engine.data import load_dataset
from engine.diagnostics import grad_to_data_ratio, hidden_weights
from engine.model import DEFAULT_SEED, GAINS, build_deep_net
from engine.plots import GAIN_COLORS, smoothed_loss
from engine.record import start_lesson
from engine.fastpath import Training, split_loss, train_all
from engine.train import lesson_steps

record = start_lesson("07_weight_scale_sweep")
data = load_dataset()
NETS = {"plain": "no BatchNorm", "batchnorm": "with BatchNorm"}

# %% [markdown]
# Shorter runs of both nets with the hidden weights at gain/sqrt(fan_in) for four gains.
# Without BatchNorm the gain sets how the activations grow or shrink through the layers;
# with it, each layer's output is normalised whatever the scale of the weights before it.
# At the first step we also note how big a step the gradient asks of the hidden weights:
# their mean grad:data ratio.

# %%
class FirstStepRatio:
    """Observer: the hidden weights' mean grad:data ratio at a run's first step."""

    def __call__(self, step, net, lr):
        if step == 0:
            ratios = [grad_to_data_ratio(w) for w in hidden_weights(net)]
            self.ratio = sum(ratios) / len(ratios)

    def wants(self, step):
        return step == 0


sweep_steps = lesson_steps(10_000)
trainings = {}
for name, label in NETS.items():
    for gain_label, gain in GAINS.items():
        generator = torch.Generator().manual_seed(DEFAULT_SEED)
        net = build_deep_net(generator, gain=gain, batchnorm=name == "batchnorm")
        trainings[name, gain_label] = Training(net, generator, observe=FirstStepRatio(), progress=f"{label}, gain {gain_label}")
runs = train_all(trainings, data, sweep_steps)  # as engine.train.train does, on the fast path, one net per core
losses, sweep = {}, {name: {"val": [], "grad_data": []} for name in NETS}
for name, label in NETS.items():
    for gain_label in GAINS:
        net, first_step = trainings[name, gain_label].net, trainings[name, gain_label].observe
        losses[name, gain_label] = runs[name, gain_label].losses
        sweep[name]["val"].append(split_loss(net, data, "val"))  # lists in the order of GAINS: gain 0.5 is item 0
        sweep[name]["grad_data"].append(first_step.ratio)
        print(f"{label}, gain {gain_label}: val loss {sweep[name]['val'][-1]:.4f}, "
              f"hidden layers' grad:data at the first step {first_step.ratio:.1e}")
    shown = [round(v, 3) for v in sweep[name]["val"]]  # the spread of the values the page's table shows
    sweep[name] |= {"best": min(shown), "worst": max(shown), "spread": max(shown) - min(shown),
                    "spread_above_smallest": max(shown[1:]) - min(shown[1:])}  # without gain 0.5
ratios = sweep["batchnorm"]["grad_data"]
claim(all(later < earlier for earlier, later in zip(ratios, ratios[1:])),
      "with BatchNorm, the larger the gain, the smaller the hidden weights' grad:data ratio")
# The gains at which the BatchNorm net ended behind the plain one, in the table's 3 decimals, as the page names them.
behind = [gain for gain, plain, normed in zip(GAINS, sweep["plain"]["val"], sweep["batchnorm"]["val"]) if round(normed, 3) > round(plain, 3)]
claim(list(GAINS)[-1] in behind, "at the largest gain, the BatchNorm net ends behind the plain one")
claim(round(sweep["batchnorm"]["val"][0], 3) < round(sweep["plain"]["val"][0], 3), "at the smallest gain, the BatchNorm net ends ahead")
claim(sweep["plain"]["spread_above_smallest"] < sweep["plain"]["spread"] / 2,
      "most of the plain net's spread across the gains is its run at the smallest gain")
listed = " and ".join(filter(None, [", ".join(behind[:-1]), behind[-1]]))  # "3", "5/3 and 3", "1, 5/3 and 3"
sweep["batchnorm"]["behind_at"] = f"gain{'s' if len(behind) > 1 else ''} {listed}"
table = "\n".join([f"| val loss | gain {' | gain '.join(GAINS)} |", "| --- |" + " ---: |" * len(GAINS)]
                  + [f"| {label} | " + " | ".join(f"{v:.3f}" for v in sweep[name]["val"]) + " |" for name, label in NETS.items()])
print(table)
record.value("sweep", {"steps": sweep_steps, "table": table, **sweep})

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
window = max(sweep_steps // 100, 1)
for (name, label), style in zip(NETS.items(), ("--", "-")):
    for gain_label in GAINS:
        smoothed_loss(axes[0], losses[name, gain_label], window, linestyle=style, color=GAIN_COLORS[gain_label],
                      linewidth=1, label=f"{label}, gain {gain_label}")
    axes[1].plot(list(GAINS), sweep[name]["val"], "o" + style, color="black", label=label)
axes[0].set_xlabel("step")
axes[0].set_ylabel(f"log10 loss, mean of {window} steps")
axes[0].legend(fontsize=7, ncol=2)
axes[1].set_xlabel("gain")
axes[1].set_ylabel(f"val loss after {sweep_steps:,} steps")
axes[1].legend()
record.figure(fig, "robustness", alt="""Left: smoothed log10 training loss over {{ sweep.steps:, }} steps for gains
    0.5, 1, 5/3 and 3, without BatchNorm (dashed) and with it (solid). Right: the val loss after those steps against
    the gain: without BatchNorm it ranges from {{ sweep.plain.best:.3f }} to {{ sweep.plain.worst:.3f }}, with it
    from {{ sweep.batchnorm.best:.3f }} to {{ sweep.batchnorm.worst:.3f }}.""")
