# %% [markdown]
# # The loss log
#
# The lecture keeps a running table of what each fix bought. This script trains every
# configuration for the full run, with the same seed and the same minibatches, and
# writes that table.

# %%
import matplotlib.pyplot as plt
import torch

from lessons.data import load_dataset
from lessons.diagnostics import smoothed_log10
from lessons.layers import BatchNorm1d, Linear
from lessons.model import CONFIGS, sample_names
from lessons.record import Record
from lessons.train import FULL_STEPS, lesson_steps, split_loss, train_configs

record = Record("04_loss_log")
data = load_dataset()
steps = record.number("steps", lesson_steps(FULL_STEPS))

# %%
# All five side by side, as one batched net: each ends exactly as `python -m lessons.train
# --config NAME` leaves it, in a third of the time of training them one after another.
trained = train_configs(list(CONFIGS), data, steps)
nets = {name: net for name, (net, _) in trained.items()}
runs = {name: run for name, (_, run) in trained.items()}
for name in CONFIGS:
    for split in ("train", "val"):
        record.number(f"{name}_{split}_loss", split_loss(nets[name], data, split))
    record.number(f"{name}_initial_loss", runs[name].initial_loss)
    print(
        f"{name:12s} initial {runs[name].initial_loss:7.3f}   train {record.numbers[f'{name}_train_loss']:.4f}   "
        f"val {record.numbers[f'{name}_val_loss']:.4f}   ({runs[name].seconds:.0f} s)"
    )

# %%
rows = ["| configuration | what changed | first loss | train loss | val loss |", "| --- | --- | ---: | ---: | ---: |"]
for name, config in CONFIGS.items():
    n = record.numbers
    rows.append(
        f"| `{name}` | {config.label} | {n[f'{name}_initial_loss']:.3f} | {n[f'{name}_train_loss']:.4f} | {n[f'{name}_val_loss']:.4f} |"
    )
table = record.number("table", "\n".join(rows))
print(table)

# What each fix bought: the change in validation loss against the row before it (negative is better).
names = list(CONFIGS)
for before, after in zip(names, names[1:]):
    record.number(f"change_{after}", record.numbers[f"{after}_val_loss"] - record.numbers[f"{before}_val_loss"])
best = min(names, key=lambda name: record.numbers[f"{name}_val_loss"])
record.number("best", best)
record.number("total_gain", record.numbers["original_val_loss"] - record.numbers[f"{best}_val_loss"])

# %%
window = max(steps // 200, 1)
fig, ax = plt.subplots(figsize=(10, 3.8))
colors = ["#c0392b", "#d68910", "#27ae60", "#2471a3", "#7d3c98"]
for (name, run), color in zip(runs.items(), colors):
    smooth = smoothed_log10(run.losses, window)
    ax.plot(torch.arange(len(smooth)) * window, smooth, color=color, label=name, linewidth=1)
ax.set_xlabel("step")
ax.set_ylabel(f"log10 loss, mean of {window:,} steps")
ax.set_ylim(None, smoothed_log10(runs["softmax_fix"].losses, window)[0].item() + 0.05)
ax.legend()
fig.tight_layout()
record.figure(
    fig,
    "loss_curves",
    alt=(
        f"Smoothed log10 training loss of the five configurations over {steps:,} steps. The curves separate early "
        f"and end in the order of the table: best validation loss {record.numbers[f'{best}_val_loss']:.3f} ({best}), "
        f"worst {record.numbers['original_val_loss']:.3f} (original)."
    ),
)

# %% [markdown]
# ## BatchNorm's running estimates against a calibration pass
#
# During training the `batchnorm` net kept running estimates of each hidden unit's mean and
# variance. After training one can instead measure them exactly, over the whole training
# set. How close did the running estimates get, and does it matter for the loss?

# %%
net = nets["batchnorm"]
bn = next(layer for layer in net.layers if isinstance(layer, BatchNorm1d))
hidden = next(layer for layer in net.layers if isinstance(layer, Linear))
with torch.no_grad():
    net.eval()
    net(data.Xtr)  # fills hidden.out with every training example's pre-activation
    pre = hidden.out
    calibrated_mean, calibrated_var = pre.mean(0), pre.var(0)
mean_gap = record.number("calibration_mean_gap", (bn.running_mean - calibrated_mean).abs().max())
std_ratio = (bn.running_var.sqrt() / calibrated_var.sqrt() - 1).abs().max()
record.number("calibration_std_gap", std_ratio)
running = {split: record.numbers[f"batchnorm_{split}_loss"] for split in ("train", "val")}
bn.running_mean, bn.running_var = calibrated_mean, calibrated_var
calibrated = {split: record.number(f"calibrated_{split}_loss", split_loss(net, data, split)) for split in ("train", "val")}
print(f"largest gap in a unit's mean: {mean_gap:.4f}; in its std: {std_ratio:.2%}")
for split in ("train", "val"):
    print(f"{split}: running estimates {running[split]:.4f}, calibrated {calibrated[split]:.4f}")

# %%
print("names from the best net:", ", ".join(sample_names(nets[best], torch.Generator().manual_seed(2147483647 + 10), 12)))

# %% [markdown]
# ## A batch for the BatchNorm widget
#
# The site's BatchNorm widget lets a reader move one example's pre-activation and watch the
# whole batch's normalised outputs move. It starts from this: one hidden unit of the trained
# `batchnorm` net on eight real validation examples, with that unit's learned gamma and beta.

# %%
unit = int(calibrated_var.argmax())  # the unit with the widest spread of pre-activations
with torch.no_grad():
    net(data.Xval[:8])
    values = hidden.out[:, unit]
record.number(
    "bn_widget",
    {
        "values": [round(v, 4) for v in values.tolist()],
        "gamma": round(bn.gamma[unit].item(), 4),
        "beta": round(bn.beta[unit].item(), 4),
        "eps": bn.eps,
        "unit": unit,
    },
)
print(record.numbers["bn_widget"])
