# %% [markdown]
# # The loss log
#
# The lecture keeps a running table of what each fix bought. This script trains every
# configuration for the full run, with the same seed and the same minibatches, and
# writes that table. These are the runs every other page quotes for these nets.

# %%
import matplotlib.pyplot as plt
import torch

from engine.data import load_dataset
from engine.diagnostics import smoothed_log10
from engine.model import CONFIGS, DEFAULT_SEED, sample_names
from engine.plots import CONFIG_COLORS, smoothed_loss
from engine.record import start_lesson
from engine.train import FULL_STEPS, lesson_steps, split_loss
from engine.trained import trained_mlps

record = start_lesson("04_loss_log")
data = load_dataset()
steps = lesson_steps(FULL_STEPS)

# %%
trained = trained_mlps(list(CONFIGS), data, steps)
nets = {name: net for name, (net, _) in trained.items()}
runs = {name: run for name, (_, run) in trained.items()}
final = {}
for name in CONFIGS:
    train_loss, val_loss = split_loss(nets[name], data, "train"), split_loss(nets[name], data, "val")
    final[name] = {"first": runs[name].initial_loss, "train": train_loss, "val": val_loss, "gap": val_loss - train_loss}
    print(f"{name:12s} first {final[name]['first']:7.3f}   train {final[name]['train']:.4f}   val {final[name]['val']:.4f}")

# %%
rows = ["| configuration | what changed | first loss | train loss | val loss |", "| --- | --- | ---: | ---: | ---: |"]
for name, config in CONFIGS.items():
    rows.append(f"| `{name}` | {config.label} | {final[name]['first']:.3f} | {final[name]['train']:.4f} | {final[name]['val']:.4f} |")
table = "\n".join(rows)
print(table)

# What each fix bought: the change in validation loss against the row before it (negative is better).
names = list(CONFIGS)
change = {after: final[after]["val"] - final[before]["val"] for before, after in zip(names, names[1:])}
best = min(names, key=lambda name: final[name]["val"])
worst = max(names, key=lambda name: final[name]["val"])
# Does BatchNorm regularise this net? Only if a smaller train-to-val gap comes with a better validation loss.
bn, km = final["batchnorm"], final["kaiming"]
batchnorm_vs_kaiming = {
    "val": "lower" if bn["val"] < km["val"] else "higher",
    "verdict": "a regularising effect" if bn["val"] < km["val"] and bn["gap"] < km["gap"] else "no regularising benefit",
}
record.value("final", final)
record.value("summary", {"steps": steps, "table": table, "change": change, "best": best, "total_gain": final["original"]["val"] - final[best]["val"],
                         "batchnorm_vs_kaiming": batchnorm_vs_kaiming})

# %%
window = max(steps // 200, 1)
fig, ax = plt.subplots(figsize=(10, 3.8))
for name, run in runs.items():
    smoothed_loss(ax, run.losses, window, color=CONFIG_COLORS[name], label=name, linewidth=1)
ax.set_xlabel("step")
ax.set_ylabel(f"log10 loss, mean of {window:,} steps")
ax.set_ylim(None, smoothed_log10(runs["softmax_fix"].losses, window)[0].item() + 0.05)
ax.legend()
record.figure(fig, "loss_curves", alt=f"""Smoothed log10 training loss of the five configurations over {steps:,} steps.
    The curves separate early. The best validation loss at the end is {final[best]['val']:.3f} ({best}), the worst
    {final[worst]['val']:.3f} ({worst}).""")

# %%
print("names from the best net:", ", ".join(sample_names(nets[best], torch.Generator().manual_seed(DEFAULT_SEED + 10), 12)))
