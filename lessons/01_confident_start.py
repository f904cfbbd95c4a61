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

from engine.data import VOCAB_SIZE, load_dataset
from engine.diagnostics import uniform_loss
from engine.model import DEFAULT_SEED, build_mlp
from engine.plots import CONFIG_COLORS, REFERENCE_COLOR
from engine.record import start_lesson
from engine.train import FULL_STEPS, lesson_steps
from engine.trained import trained_mlps

record = start_lesson("01_confident_start")
data = load_dataset()
print(f"{len(data.words):,} names → {len(data.Xtr):,} training examples of 3 characters → next one")
record.value("data", {"words": len(data.words), "train_examples": len(data.Xtr)})

# %% [markdown]
# ## The loss of knowing nothing
#
# Before training, the net has no reason to prefer any of the 27 symbols. A uniform
# guess gives each probability 1/27, and its loss is −ln(1/27), whatever the target.

# %%
baseline = uniform_loss(VOCAB_SIZE)
print(f"-ln(1/{VOCAB_SIZE}) = {baseline:.4f}")
record.value("uniform_loss", baseline)

# %% [markdown]
# ## The first minibatch, before any update
#
# Build the net twice from the same seed: with every parameter N(0, 1) (`original`),
# and with the output layer scaled down (`softmax_fix`: output weights × 0.01, output
# bias 0). Look at the logits each gives on the same first minibatch.

# %%
NAMES = ("original", "softmax_fix")
nets, generators = {}, {}
for name in NAMES:
    generators[name] = torch.Generator().manual_seed(DEFAULT_SEED)
    nets[name] = build_mlp(name, generators[name])
# Both nets drew the same number of weights, so either generator now draws the
# minibatch that training will see first.
first_batch = torch.randint(0, len(data.Xtr), (32,), generator=generators["original"])
Xb, Yb = data.Xtr[first_batch], data.Ytr[first_batch]

logits, p_target, p_max, first = {}, {}, {}, {}
with torch.no_grad():
    for name, net in nets.items():
        logits[name] = net(Xb)
        probs = logits[name].softmax(dim=1)
        p_target[name] = probs[torch.arange(32), Yb]
        p_max[name] = probs.max(dim=1).values
        first[name] = {
            "loss": F.cross_entropy(logits[name], Yb).item(),
            "logit_std": logits[name].std(),
            "median_p_target": p_target[name].median(),
            "median_p_max": p_max[name].median(),
        }
        print(f"{name:12s} loss {first[name]['loss']:7.3f}   logit std {first[name]['logit_std']:6.2f}   "
              f"median p(target) {first[name]['median_p_target']:.2e}   median max p {first[name]['median_p_max']:.2f}")

# How many examples the untrained net gives its top probability, above 0.9, to a wrong symbol:
confidently_wrong = ((p_max["original"] > 0.9) & (logits["original"].argmax(1) != Yb)).sum()
print(f"original: {confidently_wrong} of 32 examples confidently wrong; loss {first['original']['loss'] / baseline:.1f}× the baseline")
first["original"].update(confidently_wrong=confidently_wrong, loss_over_baseline=first["original"]["loss"] / baseline)
record.value("first_batch", first)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, name in zip(axes, NAMES):
    ax.hist(logits[name].flatten(), bins=60, color=CONFIG_COLORS[name], alpha=0.85)
    ax.set_title(f"{name}: logits on the first batch (std {first[name]['logit_std']:.2f})")
    ax.set_xlabel("logit")
axes[0].set_ylabel("count (32 examples × 27 symbols)")
record.figure(fig, "initial_logits", alt="""Two histograms of the 864 logits on the first minibatch. With every
    parameter N(0,1) the logits spread widely (std {{ first_batch.original.logit_std:.1f }}); with the output layer
    scaled by 0.01 they sit in a narrow band around zero (std {{ first_batch.softmax_fix.logit_std:.2f }}).""")

# %%
fig, ax = plt.subplots(figsize=(10, 3.4))
for name in NAMES:
    ax.scatter(range(32), p_target[name], color=CONFIG_COLORS[name], label=name, s=22)
ax.axhline(1 / VOCAB_SIZE, color=REFERENCE_COLOR, linestyle="--", label="uniform guess, 1/27")
ax.set_yscale("log")
ax.set_xlabel("example of the first minibatch")
ax.set_ylabel("probability given to the right symbol")
ax.legend(loc="lower left")
record.figure(fig, "initial_target_probability", alt="""Scatter of the probability each untrained net gives the
    correct next character, for the 32 examples of the first minibatch, on a log scale. The scaled-down net sits
    on the dashed uniform line at 1/27; the N(0,1) net scatters far below it, with a median of
    {{ first_batch.original.median_p_target:.1e }}.""")

# %% [markdown]
# ## What the bad start costs
#
# Both nets trained with the same seed and the same minibatches: these are the loss log's
# runs of `original` and `softmax_fix`. The `original` net first spends its steps squashing
# its huge logits: the hockey stick. The fixed net starts at the baseline. (The whole runs
# are compared, over several seeds, on the loss log's page.)

# %%
steps = lesson_steps(FULL_STEPS)
runs = {name: run for name, (_, run) in trained_mlps(list(NAMES), data, steps).items()}

# How long `original` takes just to get back to where `softmax_fix` started, the uniform
# baseline (its loss averaged over 100 steps, to see through minibatch noise).
averaged = runs["original"].losses.unfold(0, 100, 1).mean(1)
below = (averaged < baseline).nonzero()
steps_to_baseline = int(below[0]) + 100 if len(below) else steps
print(f"original needs {steps_to_baseline:,} steps to reach the uniform baseline of {baseline:.3f}")
record.value("training", {"steps": steps, "original_steps_to_baseline": steps_to_baseline,
                          "original_steps_to_baseline_rounded": round(steps_to_baseline, -2)})  # a 100-step average: no finer

# %%
early = min(steps, lesson_steps(5_000))
fig, ax = plt.subplots(figsize=(10, 3.4))
for name in NAMES:
    ax.plot(runs[name].losses[:early], color=CONFIG_COLORS[name], alpha=0.8, linewidth=0.8, label=name)
ax.axhline(baseline, color=REFERENCE_COLOR, linestyle="--", label=f"uniform guess, {baseline:.4f}")
ax.set_xlabel("step")
ax.set_ylabel("minibatch loss")
ax.set_ylim(0, None)
ax.legend()
record.figure(fig, "hockey_stick", alt=f"""Minibatch loss over the first {early:,} steps. The N(0,1) net starts near
    {runs['original'].initial_loss:.0f} and falls steeply before it levels out; the fixed net starts at the uniform
    baseline of {baseline:.4f}.""")
