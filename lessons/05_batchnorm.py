# %% [markdown]
# # BatchNorm
#
# The code behind the page of the same name. BatchNorm is built from scratch in
# `engine.layers.BatchNorm1d` (and checked against `torch.nn.BatchNorm1d` by the tests);
# here we look inside the lecture's MLP trained with it, and measure its two caveats.
# Run it as a script (`python lessons/05_batchnorm.py`) or open it as a notebook.

# %%
import copy
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from engine.claims import claim, compare, seed_summary
from engine.data import load_dataset, probe_batch
from engine.diagnostics import calibrate_batchnorm, tanh_layer_stats
from engine.layers import BatchNorm1d, Sequential, fold_batchnorm
from engine.model import DEEP_NET_SEED, DEFAULT_SEED, GAINS, build_deep_net, build_mlp, swap_in_layernorm
from engine.plots import CONFIG_COLORS, GAIN_COLORS, REFERENCE_COLOR, smoothed_loss
from engine.record import start_lesson
from engine.fastpath import Training, split_loss, train_all
from engine.train import BATCH_SIZE, FULL_STEPS, lesson_steps
from engine.trained import trained_mlps

record = start_lesson("05_batchnorm")
data = load_dataset()

# %% [markdown]
# ## The net
#
# The `batchnorm` MLP of the loss log: the `kaiming` net with BatchNorm between the hidden
# linear layer and its tanh, and no hidden bias, after its full training run.

# %%
net, run = trained_mlps(["batchnorm"], data, lesson_steps(FULL_STEPS))["batchnorm"]
print(f"trained for {run.steps:,} steps; val loss {split_loss(net, data, 'val'):.4f}")
embedding, flatten, hidden, norm, tanh, output = net.layers
# Experiments that run the net in training mode use this copy, because every training-mode
# forward pass moves the running estimates, and the real net's must stay as training left them.
probe = copy.deepcopy(net).train()

# %% [markdown]
# ## What BatchNorm does
#
# One training batch of 32 examples, at the 200 hidden pre-activations: as the linear
# layer makes them, after normalising each unit over the batch, and after the learned
# scale (gamma) and shift (beta).

# %%
g = torch.Generator().manual_seed(1)
batch = torch.randint(0, len(data.Xtr), (BATCH_SIZE,), generator=g)
Xb, Yb = data.Xtr[batch], data.Ytr[batch]
with torch.no_grad():
    probe(Xb)
    before = probe.layers[2].out
    normalised = (before - before.mean(0)) / torch.sqrt(before.var(0, unbiased=False) + norm.eps)
    after = probe.layers[3].out
for label, z in (("before", before), ("normalised", normalised), ("after", after)):
    means, stds = z.mean(0), z.std(0, unbiased=False)
    print(f"{label:10s} unit means {means.min():+.3f} … {means.max():+.3f}   unit stds {stds.min():.3f} … {stds.max():.3f}")
after_stds = after.std(0, unbiased=False)

# %%
units = torch.arange(12)
jitter = (torch.rand((BATCH_SIZE,), generator=g) - 0.5) * 0.5
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
titles = ("pre-activations xW", "normalised over the batch", "× gamma + beta (fed to tanh)")
for ax, z, title in zip(axes, (before, normalised, after), titles):
    for unit in units:
        ax.scatter(unit + jitter, z[:, unit], s=6, alpha=0.6, color=CONFIG_COLORS["batchnorm"])
        ax.plot([unit - 0.3, unit + 0.3], [z[:, unit].mean()] * 2, color=REFERENCE_COLOR, linewidth=1.5)
    ax.set_title(title)
    ax.set_xlabel("hidden unit")
    ax.set_xticks(units)
axes[0].set_ylabel("value, one dot per example")
record.value("one_batch", {"after_std_min": after_stds.min(), "after_std_max": after_stds.max()})
# Training normalises with the batch's own variance (divide by n); the running estimate is
# updated with the unbiased one (n − 1), as torch.nn.BatchNorm1d does. How far apart they are:
record.value("variance", {"batch": BATCH_SIZE, "batch_less_one": BATCH_SIZE - 1, "std_change": math.sqrt(BATCH_SIZE / (BATCH_SIZE - 1)) - 1})
record.figure(fig, "pre_activations", alt=f"""Three strip plots of the first 12 hidden units of the trained BatchNorm
    MLP over one batch of 32 examples, with each unit's batch mean as a grey bar. Before BatchNorm the units sit at
    different centres ({before.mean(0).min():+.1f} to {before.mean(0).max():+.1f}) with different spreads;
    normalised, every unit has mean 0 and std 1; after the learned gamma and beta each unit has its own centre and
    width again, chosen by training.""")

# %% [markdown]
# ## Caveat 1: an example's output depends on its batchmates
#
# Put the same example into many random training batches and run the net as training
# does. The batch statistics change with the batchmates, so the example's loss changes too.

# %%
@torch.no_grad()
def loss_in_batches(model, x, y, batch_size, count, seed=2):
    """The loss of example (x, y) as the first member of `count` random batches of `batch_size`."""
    g = torch.Generator().manual_seed(seed)
    losses = torch.empty(count)
    for i in range(count):
        mates = torch.randint(0, len(data.Xtr), (batch_size - 1,), generator=g)
        logits = model(torch.cat([x[None], data.Xtr[mates]]))
        losses[i] = F.cross_entropy(logits[:1], y[None])
    return losses


x0, y0 = Xb[0], Yb[0]
with torch.no_grad():
    eval_loss_x0 = F.cross_entropy(net.eval()(x0[None]), y0[None]).item()
BATCHES = 1000
coupled = loss_in_batches(probe, x0, y0, BATCH_SIZE, BATCHES)
print(f"one example in {BATCHES} batches of 32: loss {coupled.min():.3f} … {coupled.max():.3f} (std {coupled.std():.3f}); "
      f"eval mode gives {eval_loss_x0:.3f}")
batch_sizes = [4, 8, 16, 32, 64, 128, 256]
spread = {b: loss_in_batches(probe, x0, y0, b, 300).std().item() for b in batch_sizes}
for b in batch_sizes:
    print(f"batch of {b:3d}: loss std {spread[b]:.4f}")
# How fast the jitter shrinks: the slope of log(spread) against log(batch size), below and above 32.
def exponent(small, large):
    return math.log(spread[large] / spread[small]) / math.log(large / small)


print(f"the jitter falls as the batch size to the power {exponent(4, 32):.2f} from 4 to 32, {exponent(32, 256):.2f} from 32 to 256")
record.value("coupling", {"batches": BATCHES, "loss_min": coupled.min(), "loss_max": coupled.max(), "std_32": coupled.std(),
                          "spread_4": spread[4], "spread_32": spread[32], "spread_256": spread[256],
                          "exponent_small": exponent(4, 32), "exponent_large": exponent(32, 256)})

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
axes[0].hist(coupled, bins=40, color=CONFIG_COLORS["batchnorm"], alpha=0.85)
axes[0].axvline(eval_loss_x0, color=REFERENCE_COLOR, linestyle="--", label=f"eval mode: {eval_loss_x0:.3f}")
axes[0].set_xlabel("loss of one example")
axes[0].set_ylabel(f"batches (of {BATCHES})")
axes[0].set_title(f"the same example in {BATCHES} batches of 32")
axes[0].legend()
axes[1].loglog(batch_sizes, [spread[b] for b in batch_sizes], "o-", color=CONFIG_COLORS["batchnorm"], label="measured")
axes[1].loglog(batch_sizes, [spread[32] * (32 / b) ** 0.5 for b in batch_sizes], ":", color=REFERENCE_COLOR, label="∝ 1/√batch size, for comparison")
axes[1].set_xlabel("batch size")
axes[1].set_ylabel("std of that example's loss")
axes[1].set_title("the jitter shrinks with the batch")
axes[1].legend()
record.figure(fig, "coupling", alt=f"""Left: histogram of one training example's loss in {BATCHES} random batches of 32,
    spread from {coupled.min():.2f} to {coupled.max():.2f} (std {coupled.std():.3f}) around the eval-mode loss of
    {eval_loss_x0:.3f}. Right: the std of that loss against batch size on log axes, falling from {spread[4]:.3f} at 4
    to {spread[256]:.3f} at 256, with a dotted 1/sqrt(batch size) line through the value at 32 for comparison.""")

# %% [markdown]
# A batch of one cannot be normalised: its mean is the example itself, so every feature
# would become 0 and the output would be beta whatever the input. Ours refuses, as PyTorch's does.

# %%
messages = {}
for label, layer in (("ours", BatchNorm1d(200)), ("torch", torch.nn.BatchNorm1d(200))):
    try:
        layer(torch.zeros(1, 200))
    except ValueError as err:
        messages[label] = str(err)
    print(f"{label}: ValueError: {messages[label]}")
record.value("batch_of_one_error", messages["ours"])

# %% [markdown]
# ## Caveat 2: training and inference differ
#
# In eval mode BatchNorm uses running estimates of each unit's mean and variance, kept
# during training. Compare them with a calibration pass: the exact statistics of the
# whole training set, through the trained net.

# %%
calibrated_mean, calibrated_var = calibrate_batchnorm(net, data.Xtr)
calibrated = copy.deepcopy(net)
calibrated.layers[3].running_mean, calibrated.layers[3].running_var = calibrated_mean, calibrated_var
calibration = {
    "mean_gap": (norm.running_mean - calibrated_mean).abs().max(),
    "std_gap": ((norm.running_var / calibrated_var).sqrt() - 1).abs().max(),
    "running_val": split_loss(net, data, "val"),
    "calibrated_val": split_loss(calibrated, data, "val"),
}
print(f"running vs calibrated: mean differs by at most {calibration['mean_gap']:.3f} "
      f"(unit means span {calibrated_mean.min():.2f} … {calibrated_mean.max():.2f}); std by at most {calibration['std_gap']:.1%}")
print(f"val loss with running estimates {calibration['running_val']:.4f}, with calibrated statistics {calibration['calibrated_val']:.4f}")
record.value("calibration", calibration)

# %% [markdown]
# The site's BatchNorm widget lets a reader move one example's pre-activation and watch the
# whole batch's normalised outputs move. It starts from one hidden unit of this net (the one
# with the widest spread) on eight real validation examples, with that unit's learned gamma and beta.

# %%
unit = int(calibrated_var.argmax())
with torch.no_grad():
    values = hidden(flatten(embedding(data.Xval[:8])))[:, unit]
widget = {"values": [round(v, 4) for v in values.tolist()], "gamma": round(norm.gamma[unit].item(), 4),
          "beta": round(norm.beta[unit].item(), 4), "eps": norm.eps, "unit": unit}
print(widget)
record.value("bn_widget", widget)

# %% [markdown]
# The classic bug: evaluating without switching to eval mode. The validation set is then
# normalised with the statistics of whatever chunk it is fed in. An evaluation loop walks
# the split in order, so a chunk holds the consecutive windows of a few names.

# %%
@torch.no_grad()
def val_loss_in_training_mode(chunk):
    X, Y = data.Xval, data.Yval
    total = 0.0
    usable = len(X) // chunk * chunk  # equal chunks; the few left over are dropped
    for start in range(0, usable, chunk):
        total += F.cross_entropy(probe(X[start : start + chunk]), Y[start : start + chunk], reduction="sum").item()
    return total / usable


chunks = [2, 4, 8, 32, 128, 1024, len(data.Xval)]
forgot = {c: val_loss_in_training_mode(c) for c in chunks}
eval_val = calibration["running_val"]
for c in chunks:
    print(f"training mode, chunks of {c:5d}: val loss {forgot[c]:.4f}   ({forgot[c] - eval_val:+.4f} against eval mode)")
record.value("forgot_eval", {"chunk_32": forgot[32], "chunk_2": forgot[2], "val_examples": len(data.Xval)})

# %%
fig, ax = plt.subplots(figsize=(8, 3.4))
ax.semilogx(chunks, [forgot[c] for c in chunks], "o-", color=CONFIG_COLORS["original"], label="training mode (eval mode forgotten)")
ax.axhline(eval_val, color=CONFIG_COLORS["batchnorm"], linestyle="--", label=f"eval mode, running estimates: {eval_val:.3f}")
ax.set_xlabel("examples per evaluation chunk, in the split's order")
ax.set_ylabel("validation loss")
ax.legend()
record.figure(fig, "forgot_eval_mode", alt=f"""Validation loss of the trained BatchNorm MLP evaluated in training mode,
    against the chunk size, on a log axis. In chunks of 2 it is {forgot[2]:.2f}, in chunks of 32 {forgot[32]:.3f}, and
    with the whole split as one chunk {forgot[len(data.Xval)]:.3f}; in eval mode it is {eval_val:.3f} (dashed line).""")

# %% [markdown]
# ## A bias before BatchNorm is dead weight
#
# Give the hidden linear layer a bias again, and run one training batch. BatchNorm
# subtracts each unit's batch mean, which removes any constant added before it.

# %%
biased = copy.deepcopy(probe)
biased.layers[2].bias = torch.randn(200, generator=g).requires_grad_(True)
for p in biased.parameters():
    p.grad = None  # a copy carries the last training step's gradients; measure this batch's alone
out_without = probe(Xb)
out_with = biased(Xb)
F.cross_entropy(out_with, Yb).backward()
dead_bias = {
    "output_change": (out_with - out_without).abs().max(),
    "bias_grad_max": biased.layers[2].bias.grad.abs().max(),
    "weight_grad_mean": biased.layers[2].weight.grad.abs().mean(),
}
print(f"adding a N(0,1) bias changes the logits by at most {dead_bias['output_change']:.1e}; its gradient is at most "
      f"{dead_bias['bias_grad_max']:.1e}, the weights' gradients average {dead_bias['weight_grad_mean']:.1e}")
record.value("dead_bias", dead_bias)

# %% [markdown]
# ## Folding BatchNorm away at inference
#
# In eval mode BatchNorm is a fixed scale and shift per unit, so it can be multiplied
# into the linear layer before it: one layer instead of two, same outputs.

# %%
folded = Sequential([embedding, flatten, fold_batchnorm(hidden, norm), tanh, output])
with torch.no_grad():
    net.eval()
    logits_bn, logits_folded = net(data.Xval), folded(data.Xval)
fold_max_diff = (logits_bn - logits_folded).abs().max()
print(f"max |logit difference| over {len(data.Xval):,} val examples: {fold_max_diff:.1e}; "
      f"val loss {eval_val:.6f} vs folded {F.cross_entropy(logits_folded, data.Yval):.6f}")
record.value("fold_max_diff", fold_max_diff)

# %% [markdown]
# ## Why normalisation is in every modern network
#
# A deeper net at a bad weight scale: ten tanh layers of 100 units with weights at gain
# 0.5, too small, so that without normalisation the signal fades layer after layer.
# Trained without and with BatchNorm, three seeds each, same steps and minibatches.

# %%
RESCUE = {"layers": 10, "gain": 0.5, "steps": lesson_steps(5_000), "seeds": [DEFAULT_SEED + k for k in range(3)]}
trainings = {}
for kind in ("plain", "batchnorm"):
    for seed in RESCUE["seeds"]:
        generator = torch.Generator().manual_seed(seed)
        deep = build_deep_net(generator, gain=RESCUE["gain"], batchnorm=kind == "batchnorm", n_layers=RESCUE["layers"])
        trainings[kind, seed] = Training(deep, generator, progress=f"{RESCUE['layers']} layers at gain 0.5, {kind}, seed {seed}")
runs = train_all(trainings, data, RESCUE["steps"])  # as engine.train.train does, on the fast path, one net per core
rescue_losses = {key: run.losses for key, run in runs.items()}
rescue = {kind: [split_loss(trainings[kind, seed].net, data, "val") for seed in RESCUE["seeds"]] for kind in ("plain", "batchnorm")}
for kind in ("plain", "batchnorm"):
    print(f"{kind:9s}: val loss " + ", ".join(f"{v:.4f}" for v in rescue[kind]))
rescue["verdict"] = compare(rescue["batchnorm"], rescue["plain"])
claim(rescue["verdict"] == "lower", "the ten-layer net at gain 0.5 trains better with BatchNorm, beyond the seeds' spread")
record.value("rescue", RESCUE | {"seed_count": len(RESCUE["seeds"])} | {kind: seed_summary(rescue[kind]) for kind in ("plain", "batchnorm")} | {"verdict": rescue["verdict"]})

# %%
fig, ax = plt.subplots(figsize=(9, 3.4))
window = max(RESCUE["steps"] // 100, 1)
for (kind, seed), losses in rescue_losses.items():
    label = ("without normalisation" if kind == "plain" else "with BatchNorm") if seed == RESCUE["seeds"][0] else None
    smoothed_loss(ax, losses, window, color=CONFIG_COLORS["original" if kind == "plain" else "batchnorm"], label=label)
ax.set_xlabel("step")
ax.set_ylabel(f"log10 loss, mean of {window} steps")
ax.legend()
record.figure(fig, "rescue", alt="""Smoothed training loss of a ten-layer tanh net with weights at gain 0.5, three seeds
    without normalisation and three with BatchNorm. The BatchNorm runs end lower: validation loss
    {{ rescue.batchnorm.mean:.3f }} on average against {{ rescue.plain.mean:.3f }}.""")

# %% [markdown]
# LayerNorm normalises each example over its own features instead of each feature over
# the batch. Swap it in for BatchNorm and repeat caveat 1's experiment: the example's
# output no longer depends on its batchmates (an untrained net is enough to show it;
# the independence is structural).

# %%
layernorm_net = swap_in_layernorm(build_mlp("batchnorm", torch.Generator().manual_seed(3)))
decoupled = loss_in_batches(layernorm_net, x0, y0, BATCH_SIZE, BATCHES)
print(f"LayerNorm: the example's loss over {BATCHES} batches spans {decoupled.max() - decoupled.min():.1e}")
record.value("layernorm_loss_spread", decoupled.max() - decoupled.min())

# %% [markdown]
# Both kinds of normalisation keep activations in range whatever the weights' scale.
# The deep net of "Healthy activations through depth" (5 tanh layers of 100 units) at
# initialisation, the same weights on the same batch of 1,000 real examples, with
# weights gain/sqrt(fan_in): the std of each tanh layer's output.

# %%
KINDS = ("none", "BatchNorm", "LayerNorm")
depth_batch, _ = probe_batch(data)
depth_std = {}
for kind in KINDS:
    for label, gain in GAINS.items():
        deep = build_deep_net(torch.Generator().manual_seed(DEEP_NET_SEED), gain=gain, batchnorm=kind != "none")
        if kind == "LayerNorm":
            deep = swap_in_layernorm(deep)
        with torch.no_grad():
            deep(depth_batch)
        stats = tanh_layer_stats(deep)
        depth_std[kind, label] = [row["std"] for row in stats]
        print(f"{kind:9s} gain {label:3s}: layer std " + "  ".join(f"{s:.3f}" for s in depth_std[kind, label])
              + f"   last layer {stats[-1]['saturated']:.1%} saturated")
for kind in KINDS[1:]:
    apart = max(abs(a - b) for label in GAINS for a, b in zip(depth_std[kind, label], depth_std[kind, "0.5"]))
    print(f"{kind}: the gains' layer stds differ by at most {apart:.1e}")
last = [depth_std["none", label][-1] for label in GAINS]
record.value("depth_last_std", {"none_min": min(last), "none_max": max(last), "normalised": depth_std["BatchNorm", "0.5"][-1]})

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
for ax, kind in zip(axes, KINDS):
    for label in GAINS:
        ax.plot(range(1, 6), depth_std[kind, label], "o-", color=GAIN_COLORS[label], label=f"gain {label}")
    ax.set_title("no normalisation" if kind == "none" else f"{kind} (the four gains coincide)")
    ax.set_xlabel("tanh layer")
    ax.set_xticks(range(1, 6))
axes[0].set_ylabel("std of the layer's output")
axes[0].legend()
record.figure(fig, "depth_by_gain", alt="""Std of each of the 5 tanh layers' outputs at initialisation, for weight
    gains 0.5, 1, 5/3 and 3, in three panels. Without normalisation the last layer's std ranges from
    {{ depth_last_std.none_min:.2f }} to {{ depth_last_std.none_max:.2f }} depending on the gain; with BatchNorm or
    LayerNorm every gain gives the same curve, at about {{ depth_last_std.normalised:.2f }}.""")
