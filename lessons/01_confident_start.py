# %% [markdown]
# # A confidently wrong start
#
# The code behind the page of the same name. Every number and figure on that page is
# produced here, from the lecture's MLP trained on real names. Run it as a script
# (`python lessons/01_confident_start.py`) or open it as a notebook.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from lessons.data import VOCAB_SIZE, load_dataset
from lessons.diagnostics import smoothed_log10, uniform_loss
from lessons.model import DEFAULT_SEED, build_mlp
from lessons.record import Record
from lessons.train import FULL_STEPS, lesson_steps, split_loss, train_configs

record = Record("01_confident_start")
data = load_dataset()
print(f"{len(data.words):,} names → {len(data.Xtr):,} training examples of 3 characters → next one")
record.number("words", len(data.words))
record.number("train_examples", len(data.Xtr))

# %% [markdown]
# ## The loss of knowing nothing
#
# Before training, the net has no reason to prefer any of the 27 symbols. A uniform
# guess gives each probability 1/27, and its loss is −ln(1/27), whatever the target.

# %%
baseline = record.number("uniform_loss", uniform_loss(VOCAB_SIZE))
print(f"-ln(1/{VOCAB_SIZE}) = {baseline:.4f}")

# %% [markdown]
# ## The first minibatch, before any update
#
# Build the net twice from the same seed: with every parameter N(0, 1) (`original`),
# and with the output layer scaled down (`softmax_fix`: output weights × 0.01, output
# bias 0). Look at the logits each gives on the same first minibatch.

# %%
def fresh(name):
    """The untrained net and the generator, in the state the training loop would start from."""
    generator = torch.Generator().manual_seed(DEFAULT_SEED)
    return build_mlp(name, generator), generator


nets = {name: fresh(name)[0] for name in ("original", "softmax_fix")}
# Both nets drew the same number of weights, so the same generator state gives the
# minibatch that training will see first.
generator = fresh("original")[1]
first_batch = torch.randint(0, len(data.Xtr), (32,), generator=generator)
Xb, Yb = data.Xtr[first_batch], data.Ytr[first_batch]

initial = {}
with torch.no_grad():
    for name, net in nets.items():
        logits = net(Xb)
        probs = logits.softmax(dim=1)
        initial[name] = {
            "logits": logits,
            "loss": F.cross_entropy(logits, Yb).item(),
            "logit_std": logits.std().item(),
            "p_target": probs[torch.arange(32), Yb],
            "p_max": probs.max(dim=1).values,
        }
        print(
            f"{name:12s} loss {initial[name]['loss']:7.3f}   logit std {initial[name]['logit_std']:6.2f}   "
            f"median p(target) {initial[name]['p_target'].median():.2e}   median max p {initial[name]['p_max'].median():.2f}"
        )

for name in nets:
    record.number(f"{name}_first_batch_loss", initial[name]["loss"])
    record.number(f"{name}_logit_std", initial[name]["logit_std"])
    record.number(f"{name}_median_p_target", initial[name]["p_target"].median())
    record.number(f"{name}_median_p_max", initial[name]["p_max"].median())
record.number("original_loss_over_baseline", initial["original"]["loss"] / baseline)
# How many examples of the batch the untrained net gives its top probability to a wrong symbol, with p > 0.9:
confidently_wrong = (initial["original"]["p_max"] > 0.9) & (initial["original"]["logits"].argmax(1) != Yb)
record.number("original_confidently_wrong", int(confidently_wrong.sum()))

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=False)
for ax, name, color in zip(axes, nets, ("#c0392b", "#2471a3")):
    logits = initial[name]["logits"].flatten()
    ax.hist(logits, bins=60, color=color, alpha=0.85)
    ax.set_title(f"{name}: logits on the first batch (std {initial[name]['logit_std']:.2f})")
    ax.set_xlabel("logit")
axes[0].set_ylabel("count (32 examples × 27 symbols)")
fig.tight_layout()
record.figure(
    fig,
    "initial_logits",
    alt=(
        f"Two histograms of the 864 logits on the first minibatch. With every parameter N(0,1) the logits "
        f"spread widely (std {initial['original']['logit_std']:.1f}); with the output layer scaled by 0.01 "
        f"they sit in a narrow band around zero (std {initial['softmax_fix']['logit_std']:.2f})."
    ),
)

# %%
fig, ax = plt.subplots(figsize=(10, 3.4))
for name, color in zip(nets, ("#c0392b", "#2471a3")):
    ax.scatter(range(32), initial[name]["p_target"], color=color, label=name, s=22)
ax.axhline(1 / VOCAB_SIZE, color="gray", linestyle="--", label="uniform guess, 1/27")
ax.set_yscale("log")
ax.set_xlabel("example of the first minibatch")
ax.set_ylabel("probability given to the right symbol")
ax.legend(loc="lower left")
fig.tight_layout()
record.figure(
    fig,
    "initial_target_probability",
    alt=(
        "Scatter of the probability each untrained net gives the correct next character, for the 32 examples "
        "of the first minibatch, on a log scale. The scaled-down net sits on the dashed uniform line at 1/27; "
        f"the N(0,1) net scatters far below it, with a median of {initial['original']['p_target'].median():.1e}."
    ),
)

# %% [markdown]
# ## What the bad start costs
#
# Train both nets with the same seed and the same minibatches. The `original` net first
# spends its steps squashing its huge logits: the hockey stick. The fixed net starts
# at the baseline and goes straight to learning.

# %%
steps = lesson_steps(FULL_STEPS)
trained = train_configs(list(nets), data, steps)  # side by side, each exactly as if trained alone
runs = {}
for name, (net, run) in trained.items():
    nets[name], runs[name] = net, run
    record.number(f"{name}_initial_loss", runs[name].initial_loss)
    record.number(f"{name}_train_loss", split_loss(net, data, "train"))
    record.number(f"{name}_val_loss", split_loss(net, data, "val"))
    print(f"{name:12s} initial {runs[name].initial_loss:.3f}  train {record.numbers[f'{name}_train_loss']:.4f}  "
          f"val {record.numbers[f'{name}_val_loss']:.4f}  ({runs[name].seconds:.0f} s)")
record.number("steps", steps)

# The hockey stick: how long `original` takes just to get back to where `softmax_fix` started,
# the uniform baseline (its loss averaged over 100 steps, to see through minibatch noise).
early = min(steps, lesson_steps(5_000))
averaged = runs["original"].losses.unfold(0, 100, 1).mean(1)
below = (averaged < baseline).nonzero()
record.number("original_steps_to_baseline", int(below[0]) + 100 if len(below) else steps)
print(f"original needs {record.numbers['original_steps_to_baseline']:,} steps to reach the uniform baseline")

# %%
fig, ax = plt.subplots(figsize=(10, 3.4))
for name, color in zip(nets, ("#c0392b", "#2471a3")):
    ax.plot(runs[name].losses[:early], color=color, alpha=0.8, linewidth=0.8, label=name)
ax.axhline(baseline, color="gray", linestyle="--", label=f"uniform guess, {baseline:.2f}")
ax.set_xlabel("step")
ax.set_ylabel("minibatch loss")
ax.set_ylim(0, None)
ax.legend()
fig.tight_layout()
record.figure(
    fig,
    "hockey_stick",
    alt=(
        f"Minibatch loss over the first {early:,} steps. The N(0,1) net starts near "
        f"{runs['original'].initial_loss:.0f} and falls steeply before it levels out;"
        f" the fixed net starts at the uniform baseline of {baseline:.2f} and is lower throughout."
    ),
)

# %%
window = max(steps // 200, 1)
fig, ax = plt.subplots(figsize=(10, 3.4))
for name, color in zip(nets, ("#c0392b", "#2471a3")):
    smooth = smoothed_log10(runs[name].losses, window)
    ax.plot(torch.arange(len(smooth)) * window, smooth, color=color, label=name)
ax.axvline(steps // 2, color="gray", linestyle=":", label="learning rate 0.1 → 0.01")
ax.set_xlabel("step")
ax.set_ylabel(f"log10 loss, mean of {window:,} steps")
ax.legend()
fig.tight_layout()
record.figure(
    fig,
    "full_run",
    alt=(
        f"Smoothed log10 loss over all {steps:,} steps for both nets, with a drop where the learning rate "
        f"falls to 0.01 halfway. They end at train loss {record.numbers['original_train_loss']:.3f} "
        f"(original) and {record.numbers['softmax_fix_train_loss']:.3f} (softmax fix)."
    ),
)
