# %% [markdown]
# # Diagnosing a deeper network
#
# The code behind the page of the same name. The lecture's deeper net (5 hidden tanh
# layers of 100 units, built from `engine.layers` by `build_deep_net`) is trained twice,
# without and with BatchNorm, while a watcher collects the standard diagnostics: what
# each layer outputs, the gradients flowing back, and how big each update is compared
# with the weight it changes. Run it as a script (`python lessons/06_deeper_network.py`)
# or open it as a notebook.

# %%
import matplotlib.pyplot as plt
import torch

from engine.claims import claim
from engine.data import load_dataset
from engine.diagnostics import (
    SATURATED,
    grad_to_data_ratio,
    saturation_share,
    tanh_gradient_stats,
    tanh_layer_stats,
    update_to_data_ratio,
)
from engine.layers import Linear, Tanh
from engine.model import DEFAULT_SEED, build_deep_net
from engine.plots import LAYER_COLORS, REFERENCE_COLOR, layer_histograms
from engine.record import start_lesson
from engine.fastpath import Training, split_loss, train_all
from engine.train import FULL_STEPS, learning_rate, lesson_steps

record = start_lesson("06_deeper_network")
data = load_dataset()
steps = lesson_steps(FULL_STEPS)
snapshot = lesson_steps(1_000)  # when the histograms are taken, as in the lecture
NETS = {"plain": "no BatchNorm", "batchnorm": "with BatchNorm"}
found = {name: {} for name in NETS}  # what the page quotes, per net


# %% [markdown]
# ## A watcher for the training loop
#
# The watcher's `wants(step)` names the steps it looks at: every step from 0 to `snapshot`
# inclusive, then every `stride`-th step. The engine calls the watcher after each of them,
# once the update is done. Every step but the snapshot runs compiled, on the engine's fast
# path: the lecture's forward pass, backward pass and update, with the backward pass derived
# by hand (as the next lecture does) instead of by autograd, compiled into one fast function,
# which computes each step as the lecture's loop does, to float rounding (the engine's tests
# hold it to that loop), and it trains the net's own weights in place. On watched steps the
# compiled step also leaves each tanh layer's output in its `.out` and each weight's gradient
# in its `.grad`.
# Apart from the snapshot, these and the weights are all the watcher reads.
# `compiled_view = True` tells the engine this, so watched steps stay compiled; without it,
# the engine would run every watched step through autograd (`engine/fastpath.py`). At the
# snapshot the watcher also needs the gradients at the layers' outputs, which the backward
# pass computes but the compiled step does not hand over; autograd keeps them when asked, with
# the lecture's `retain_grad()`. So after step `snapshot − 1` it sets `net.retain_grads`,
# which the engine checks before each step: while it is set, the step runs through autograd
# and keeps every layer's output gradient. The watcher keeps: the per-layer statistics at the
# first step; one full snapshot (activations, their gradients, the weights' gradients) at step
# `snapshot`; each weight's update:data ratio (every step before the snapshot, then every
# `stride`-th step); and, per tanh layer, a histogram of |output| for each slice of training,
# from the batches of every `stride`-th step.

# %%
class Watcher:
    BINS = 50  # bins of |tanh output| over [0, 1]
    COLUMNS = 400  # slices of training in the histogram over time
    compiled_view = True  # apart from the snapshot: tanh outputs, weights and the weights' gradients only

    def __init__(self, net, steps, snapshot):
        self.weights = [layer.weight for layer in net.layers if isinstance(layer, Linear)]
        self.tanhs = [layer for layer in net.layers if isinstance(layer, Tanh)]
        self.snapshot = snapshot
        self.stride = max(steps // 2000, 1)
        self.column_width = max(steps // self.COLUMNS, 1)  # 200,000 steps: slices of 500, 5 batches in each one's histogram
        columns = steps // self.column_width
        self.over_time = torch.zeros(len(self.tanhs), self.BINS, columns)
        self.saturated = torch.zeros(len(self.tanhs), columns)
        self.samples = torch.zeros(columns)
        self.ratio_steps, self.ratios = [], []

    def __call__(self, step, net, lr):
        if step == 0:
            self.initial = tanh_layer_stats(net)
        if step == self.snapshot - 1:
            net.retain_grads = True  # the next step runs through autograd and keeps the gradient at every layer's output
        if step == self.snapshot:
            net.retain_grads = False  # off again from the next step on; this step's output gradients were already kept
            self.activations = [t.out.detach().clone() for t in self.tanhs]
            self.activation_stats = tanh_layer_stats(net)
            self.gradients = [t.out.grad.clone() for t in self.tanhs]
            self.gradient_stats = tanh_gradient_stats(net)
            self.weight_grads = [w.grad.clone() for w in self.weights]
            self.weight_shapes = [tuple(w.shape) for w in self.weights]
            self.grad_data = [grad_to_data_ratio(w) for w in self.weights]
        if step < self.snapshot or step % self.stride == 0:
            self.ratio_steps.append(step)
            self.ratios.append([update_to_data_ratio(w, lr) for w in self.weights])
        column = step // self.column_width
        if step % self.stride == 0 and column < len(self.samples):
            self.samples[column] += 1
            for i, tanh in enumerate(self.tanhs):
                h = tanh.out.detach().abs()
                self.over_time[i, :, column] += torch.histc(h, bins=self.BINS, min=0, max=1)
                self.saturated[i, column] += saturation_share(h)

    def wants(self, step):
        """The steps this watcher looks at. All stay compiled (compiled_view) but the snapshot, which
        __call__ sends through autograd by setting net.retain_grads one step earlier."""
        return step <= self.snapshot or step % self.stride == 0


# %% [markdown]
# ## Train both nets
#
# Same seed, same minibatches, the lecture's schedule (learning rate 0.1, then 0.01).
# The output layer starts less confident in both: its weights (or its BatchNorm's
# gamma) are scaled by 0.1.

# %%
nets, watchers, trainings, results, val_losses, train_losses, draws_left = {}, {}, {}, [], {}, {}, {}
for name, label in NETS.items():
    generator = torch.Generator().manual_seed(DEFAULT_SEED)
    nets[name] = build_deep_net(generator, batchnorm=name == "batchnorm")
    draws_left[name] = generator.get_state()  # where the minibatch draws start
    watchers[name] = Watcher(nets[name], steps, snapshot)
    trainings[name] = Training(nets[name], generator, observe=watchers[name], progress=label)
# Building either net drew the same random numbers (the weights have the same shapes; a bias,
# and BatchNorm's parameters, start at fixed values), so both draw the same minibatches.
claim(torch.equal(draws_left["plain"], draws_left["batchnorm"]), "both nets train on the same minibatches")
# train_all (engine.fastpath) computes each step as the lecture's loop (engine.train.train, not
# shown) does, to float rounding: every step but the snapshot on the compiled fast path, the
# snapshot through autograd; one net per core.
runs = train_all(trainings, data, steps)
for name, label in NETS.items():
    run = runs[name]
    params = sum(p.numel() for p in nets[name].parameters())
    # In eval mode, as after training: BatchNorm normalises with its running statistics.
    train_loss, val_loss = split_loss(nets[name], data, "train"), split_loss(nets[name], data, "val")
    results.append(f"| {label} | {params:,} | {run.initial_loss:.3f} | {train_loss:.4f} | {val_loss:.4f} |")
    val_losses[name], train_losses[name] = val_loss, train_loss
    print(f"{label}: {params:,} parameters, first loss {run.initial_loss:.3f}, "
          f"train {train_loss:.4f}, val {val_loss:.4f} ({run.seconds:.0f} s)")

# %% [markdown]
# ## Activations
#
# The output of every tanh layer at step `snapshot`: its distribution, mean, std, and the
# share of its outputs, over every example of the batch and every unit, that are saturated
# (|h| > 0.97).

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for ax, (name, label) in zip(axes, NETS.items()):
    w = watchers[name]
    labels = [f"layer {i + 1}: mean {s['mean']:+.2f}, std {s['std']:.2f}, saturated {s['saturated']:.1%}"
              for i, s in enumerate(w.activation_stats)]
    layer_histograms(ax, w.activations, labels, (-1, 1))
    ax.legend(fontsize=8, loc="upper center")
    ax.set_title(f"{label}: tanh outputs at step {snapshot:,}")
    ax.set_xlabel("activation")
    # Per-layer lists: a page quotes layer 1 as <net>.act_std.0
    found[name]["act_std"] = [s["std"] for s in w.activation_stats]
    found[name]["act_std_range"] = [min(found[name]["act_std"]), max(found[name]["act_std"])]
    found[name]["act_saturated"] = [s["saturated"] for s in w.activation_stats]
    found[name]["act_saturated_first"] = [s["saturated"] for s in w.initial]
    for i, s in enumerate(w.activation_stats):
        print(f"{label}, layer {i + 1}: std {s['std']:.3f}, saturated {s['saturated']:.1%} "
              f"(at the first step {w.initial[i]['saturated']:.1%})")
axes[0].set_ylabel("density")
stats = {name: found[name]["act_std"] for name in NETS}
saturated = found["plain"]["act_saturated"]
record.figure(fig, "activations", alt=f"""Histograms of the five tanh layers' outputs at step {snapshot:,}, without
    BatchNorm (left) and with it (right). Without it the std lies between {min(stats['plain']):.2f} and
    {max(stats['plain']):.2f}, {saturated[0]:.0%} saturated in layer 1 and {saturated[-1]:.0%} in layer 5; with it every layer
    has a std between {min(stats['batchnorm']):.2f} and {max(stats['batchnorm']):.2f}.""")

# %% [markdown]
# ## Gradients at the tanh outputs
#
# The gradient of the loss with respect to each tanh layer's output, in the same step.
# In a healthy net the layers' distributions stay within a small factor of each other on
# the way back; one that vanishes or explodes shrinks or grows by a large factor from layer
# to layer (the per-layer stds printed below show how far apart the layers are here).

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for ax, (name, label) in zip(axes, NETS.items()):
    w = watchers[name]
    labels = [f"layer {i + 1}: mean {s['mean']:+.1e}, std {s['std']:.1e}" for i, s in enumerate(w.gradient_stats)]
    # ±5 times the largest layer's std: the tails beyond are too thin to see
    reach = 5 * max(s["std"] for s in w.gradient_stats)
    layer_histograms(ax, w.gradients, labels, (-reach, reach))
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(f"{label}: gradients at step {snapshot:,}")
    ax.set_xlabel("gradient")
    stds = [s["std"] for s in w.gradient_stats]
    found[name]["grad_std_spread"] = max(stds) / min(stds)
    claim(all(earlier > later for earlier, later in zip(stds, stds[1:])), "in both nets the gradients grow on the way back")
    print(f"{label}: gradient std per layer " + "  ".join(f"{s:.2e}" for s in stds))
axes[0].set_ylabel("density")
spreads = {name: found[name]["grad_std_spread"] for name in NETS}
record.figure(fig, "gradients", alt=f"""Histograms of the gradient at each tanh layer's output at step {snapshot:,},
    without BatchNorm (left) and with it (right). The largest of the layers' gradient stds is {spreads['plain']:.1f}
    times the smallest without BatchNorm and {spreads['batchnorm']:.1f} times with it.""")

# %% [markdown]
# ## Weight gradients and the grad:data ratio
#
# For each weight matrix: its gradient's distribution, and the ratio of the gradient's
# std to the weights' own std: how big the gradient is compared with the values it would
# change. Times the learning rate, it is the update:data ratio of the next section.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for ax, (name, label) in zip(axes, NETS.items()):
    w = watchers[name]
    ratios = w.grad_data
    labels = [f"{shape}: grad std {g.std():.1e}, grad:data {r:.1e}" for g, shape, r in zip(w.weight_grads, w.weight_shapes, ratios)]
    largest = max(g.abs().max().item() for g in w.weight_grads)
    layer_histograms(ax, w.weight_grads, labels, (-largest, largest), bins=80)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_yscale("log")
    ax.set_title(f"{label}: weight gradients at step {snapshot:,}")
    ax.set_xlabel("gradient")
    found[name]["grad_data"] = {"hidden_min": min(ratios[:-1]), "hidden_max": max(ratios[:-1]), "output": ratios[-1]}
    print(f"{label}: grad:data " + "  ".join(f"{r:.2e}" for r in ratios))
axes[0].set_ylabel("density (log scale)")
plain, normed = found["plain"]["grad_data"], found["batchnorm"]["grad_data"]
record.figure(fig, "weight_gradients", alt=f"""Histograms of the six weight matrices' gradients at step {snapshot:,},
    without BatchNorm (left) and with it (right), on a log density axis. The hidden layers' grad:data ratios lie
    between {plain['hidden_min']:.1e} and {plain['hidden_max']:.1e} without BatchNorm, the output layer's is
    {plain['output']:.1e}; with BatchNorm the hidden layers lie between {normed['hidden_min']:.1e} and
    {normed['hidden_max']:.1e}, the output layer's is {normed['output']:.1e}.""")
claim(all(net["output"] > net["hidden_max"] for net in (plain, normed)), "in both nets the output layer's ratio is the highest")

# %% [markdown]
# ## The update:data ratio over training
#
# log10 of (std of the update, learning rate × gradient) / (std of the weights), for each
# weight matrix. About −3 (updates a thousandth of the weights' size) is the lecture's
# rule of thumb for a well-chosen learning rate.

# %%
lr_drop = next(step for step in range(steps) if learning_rate(step, steps) < learning_rate(0, steps))  # 0.1 → 0.01
print(f"learning rate {learning_rate(0, steps)} until step {lr_drop:,}, then {learning_rate(lr_drop, steps)}")
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for ax, (name, label) in zip(axes, NETS.items()):
    w = watchers[name]
    at = torch.tensor(w.ratio_steps)
    ratios = torch.tensor(w.ratios)
    shapes = w.weight_shapes
    for i, shape in enumerate(shapes):
        ax.plot(at + 1, ratios[:, i], color=LAYER_COLORS[i], linewidth=0.7, alpha=0.85,
                label=f"layer {i + 1} {shape}" if i < len(shapes) - 1 else f"output {shape}")
    ax.axhline(-3, color="black", linestyle="--", linewidth=1, label="−3")
    ax.axvline(lr_drop, color=REFERENCE_COLOR, linestyle=":", label="learning rate 0.1 → 0.01")
    ax.set_xscale("log")
    ax.set_xlabel("step (log scale)")
    ax.set_title(f"{label}: log10 update:data ratio")
    before_drop = (at >= snapshot) & (at < lr_drop)  # from the snapshot on, past the first steps' transient
    after_drop = at >= lr_drop
    found[name]["update_ratio"] = {
        "before_drop": ratios[before_drop, :-1].median().item(),
        "after_drop": ratios[after_drop, :-1].median().item(),
        "output_start": ratios[0, -1].item(),
    }
    r = found[name]["update_ratio"]
    print(f"{label}: hidden layers' median log10 ratio {r['before_drop']:.2f} (lr {learning_rate(0, steps)}), "
          f"{r['after_drop']:.2f} (lr {learning_rate(steps - 1, steps)}); output layer at step 0: {r['output_start']:.2f}")
axes[0].set_ylabel("log10 (update std / weight std)")
axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plain, normed = found["plain"]["update_ratio"], found["batchnorm"]["update_ratio"]
record.figure(fig, "update_ratio", alt=f"""log10 of the update:data ratio of each weight matrix over the {steps:,} steps,
    on a log step axis, with a dashed line at −3. From step {snapshot:,} until the learning rate drops from 0.1,
    the hidden layers' median is {plain['before_drop']:.2f} without BatchNorm and {normed['before_drop']:.2f} with it;
    after the drop to 0.01 the hidden layers' median falls to {plain['after_drop']:.2f} and
    {normed['after_drop']:.2f}.""")


# %% [markdown]
# ## Each layer over training
#
# For every tanh layer, a histogram of |output| for each slice of training, side by side:
# x is the step, y the magnitude, colour log10(1 + outputs per bin in a batch, averaged over the
# slice's sampled batches). A band sliding to 0 is a layer collapsing; a band piling up at 1 is a
# layer saturating.

# %%
fig, axes = plt.subplots(2, 5, figsize=(13, 5), sharex=True, sharey=True)
images = {name: torch.log10(1 + watchers[name].over_time / watchers[name].samples.clamp(min=1)) for name in NETS}
# One colour scale for all ten panels, spanning the counts that occur.
low, top = min(image.min().item() for image in images.values()), max(image.max().item() for image in images.values())
for row, (name, label) in zip(axes, NETS.items()):
    w = watchers[name]
    share = w.saturated / w.samples.clamp(min=1)
    for i, ax in enumerate(row):
        shown = ax.imshow(images[name][i], origin="lower", aspect="auto", extent=(0, steps, 0, 1), cmap="magma",
                          vmin=low, vmax=top, interpolation="nearest")
        ax.axhline(SATURATED, color="white", linestyle=":", linewidth=0.8)
        ax.grid(False)
        ax.set_title(f"{label}, layer {i + 1}", fontsize=9)
        print(f"{label}, layer {i + 1}: saturated {share[i, 0]:.1%} in the first slice, {share[i, -1]:.1%} in the last")
    row[0].set_ylabel("|tanh output|")
    found[name]["saturated_start"] = share[:, 0].tolist()
    found[name]["saturated_end"] = share[:, -1].tolist()
for ax in axes[1]:
    ax.set_xlabel("step")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
fig.tight_layout()
fig.colorbar(shown, ax=axes, shrink=0.8, pad=0.01, label="log10(1 + count per batch)")
# The page reads these numbers as claims; the runs must keep bearing them out.
plain_saturated = found["plain"]["act_saturated"]
claim(plain_saturated[0] == max(plain_saturated), "without BatchNorm, layer 1 is the most saturated at the snapshot")
first = found["plain"]["act_saturated_first"]
found["plain"]["act_saturated_first_rest"] = max(first[1:])  # the page: "against at most … in the other layers"
claim(first[0] > found["plain"]["act_saturated_first_rest"],
      "without BatchNorm, layer 1 is already the most saturated at the first step")
claim(max(spreads.values()) < 3, "both nets' layers receive gradients of about the same size")
claim(found["plain"]["update_ratio"]["output_start"] > -1.5, "the output layer's first updates are far above the rule of thumb")
claim(all(found[name]["saturated_end"][2] > found[name]["saturated_start"][2] for name in NETS),
      "layer 3's saturation grows over training, with BatchNorm too")
claim(found["plain"]["saturated_end"][2] > found["batchnorm"]["saturated_end"][2], "the plain net ends more saturated")
record.value("nets", found)
record.figure(fig, "over_time", tight=False, alt="""Ten heat maps, one per tanh layer, without BatchNorm (top) and with it
    (bottom): x is the training step, y the magnitude of the layer's outputs from 0 to 1, colour log10(1 + outputs per bin in a batch, averaged over the slice's sampled batches), with a
    dotted line at 0.97. Without BatchNorm layer 3's saturated share goes from {{ nets.plain.saturated_start.2:.0% }}
    in the first slice of training to {{ nets.plain.saturated_end.2:.0% }} in the last; with it, from
    {{ nets.batchnorm.saturated_start.2:.0% }} to {{ nets.batchnorm.saturated_end.2:.0% }}.""")

# %% [markdown]
# ## Full-length results

# %%
table = "\n".join(
    ["| deep net (5 × 100 tanh) | parameters | first loss | train loss | val loss |", "| --- | --- | --- | --- | --- |"]
    + results
)
print(table)
# The page says the plain net's heavier saturation did not leave it behind: its validation loss may
# not end 0.01 or more above the BatchNorm net's (the tolerance within which the project's
# benchmark, `python -m benchmark`, calls two runs' losses the same).
plain_minus_normed = val_losses["plain"] - val_losses["batchnorm"]
claim(plain_minus_normed < 0.01, "the plain net's heavier saturation did not leave it behind")
claim(train_losses["batchnorm"] - train_losses["plain"] > abs(plain_minus_normed),
      "the plain net's training loss is lower, and the two are further apart than in validation")
record.value("run", {"steps": steps, "snapshot_step": snapshot, "lr_drop": lr_drop, "results_table": table,
                     "val_difference": abs(plain_minus_normed),
                     "plain_vs_batchnorm": f"{abs(plain_minus_normed):.4f} {'below' if plain_minus_normed < 0 else 'above'} the BatchNorm net's"})
