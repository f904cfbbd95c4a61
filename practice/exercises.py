"""The practice set, in the order the lesson teaches: each exercise defined once, here.

The arithmetic and the experiments behind the answers live in practice.calculations.

Constants the lesson itself uses (the vocabulary size, the saturation threshold, tanh's
gain, the network's shapes) are imported from the engine, so an exercise and the page
it drills can never disagree about them.
"""

from __future__ import annotations

import math

from engine.data import BLOCK_SIZE, VOCAB_SIZE
from engine.diagnostics import SATURATED
from engine.model import N_EMBD, N_HIDDEN, TANH_GAIN

from practice.calculations import (
    BATCHMATE_CHANGES, MYSTERY_BATCH, MYSTERY_GAIN, MYSTERY_OPTIONS, ZERO_INIT_PARAMETERS, batchnorm,
    changes_that_decouple, cross_entropy, diagnose, fold, logsumexp, mean, mystery_summary, parameters_with_gradient,
    shares_saturated, units_where, variance,
)
from practice.exercise import CHOICE, CHOICES, NUMBER, NUMBERS, Exercise, Mistake, Table, decimals, significant

_LOGITS = dict(symbols=("a", "b", "c", "d"), logits=(6.0, -1.0, 0.5, 2.0), target="b")
_SATURATION_TABLE = Table(
    ("", *(f"unit {j}" for j in range(1, 7))),
    (
        ("example 1", (0.12, 0.99, 0.96, -0.999, 0.6, 0.99)),
        ("example 2", (-0.45, 0.98, -0.2, -0.99, 0.985, -0.999)),
        ("example 3", (0.88, -0.995, 0.99, -0.98, -0.3, 0.995)),
        ("example 4", (0.3, 0.999, 0.5, -0.999, 0.1, 0.98)),
        ("example 5", (-0.05, 0.975, -0.98, -0.993, 0.2, 0.5)),
    ),
)
# A unit whose pre-activations barely vary across the batch: its variance is small
# enough that eps visibly changes the normalised values.
_BN_BATCH = (0.50, 0.51, 0.52, 0.53)
_BN_AFFINE = dict(gamma=2.0, beta=0.5, eps=1e-5)
_LOG10 = "That is log10. Cross-entropy uses the natural logarithm, ln, as F.cross_entropy does."

EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        id="uniform-baseline",
        title="The loss of knowing nothing",
        objective=1,
        section="confident-start.md#uniform-baseline",
        statement="Our model predicts the next character out of \\( V = $vocab_size \\) symbols. Before it has "
        "seen any data, the honest prediction gives every symbol the same probability. What loss should "
        "the first minibatch report?",
        inputs=dict(vocab_size=VOCAB_SIZE),
        expected=lambda vocab_size: -math.log(1 / vocab_size),
        kind=NUMBER,
        precision=decimals(3),
        mistakes=(
            Mistake(lambda vocab_size: -math.log10(1 / vocab_size), _LOG10),
            Mistake(lambda vocab_size: -math.log2(1 / vocab_size),
                    "That is log2, the loss in bits. Cross-entropy uses the natural logarithm, ln."),
            Mistake(lambda vocab_size: math.log(1 / vocab_size),
                    "A loss is minus the log of a probability, and the log of a probability below 1 is "
                    "negative: the loss comes out positive."),
            Mistake(lambda vocab_size: 1 / vocab_size,
                    "That is the probability every symbol gets. The loss is minus its natural log."),
        ),
        hint="Whichever symbol is right, the model gave it probability \\( 1/V \\). The loss of an example "
        "is minus the natural log of the probability of the right symbol.",
        solution="Every symbol gets \\( p = 1/$vocab_size \\), the right one included, so every example has "
        "the same loss and so does their mean:\n\n"
        "\\[ -\\ln\\frac{1}{$vocab_size} = \\ln $vocab_size = $answer. \\]\n\n"
        "A first loss far above this says the network starts out confidently wrong.",
    ),
    Exercise(
        id="uniform-baseline-large-vocab",
        title="The same baseline for a large vocabulary",
        objective=1,
        section="confident-start.md#uniform-baseline",
        statement="GPT-2 predicts the next token out of a vocabulary of \\( V = $vocab_size \\) tokens. What "
        "loss should it report on its first batch if it starts out knowing nothing, as it should?",
        inputs=dict(vocab_size=50257),
        expected=lambda vocab_size: math.log(vocab_size),
        kind=NUMBER,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda vocab_size: math.log10(vocab_size), _LOG10),
            Mistake(lambda vocab_size: math.log(VOCAB_SIZE),
                    f"That is the baseline for our {VOCAB_SIZE} characters; this vocabulary is much larger."),
        ),
        hint=f"The same reasoning as for {VOCAB_SIZE} characters: every token gets probability \\( 1/V \\).",
        solution="\\[ -\\ln\\frac{1}{$vocab_size} = \\ln $vocab_size = $answer. \\]\n\n"
        "The check scales to any model: compute \\( \\ln V \\) before training, and compare the first loss "
        "with it.",
    ),
    Exercise(
        id="confident-wrong-loss",
        title="A confidently wrong guess",
        objective=1,
        section="confident-start.md#naive-start",
        statement="For the four symbols $symbols, a network outputs the logits \\( z = ($logits) \\). The "
        "right next symbol is **$target**. What is this example's cross-entropy loss?",
        inputs=_LOGITS,
        expected=cross_entropy,
        kind=NUMBER,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda **given: cross_entropy(**given) / math.log(10), _LOG10),
            Mistake(lambda symbols, logits, target: logsumexp(logits) - max(logits),
                    "That is the loss the example would have if the symbol with the largest logit were the "
                    "right one. The loss reads the probability of the right symbol."),
            Mistake(lambda symbols, logits, target: -logits[symbols.index(target)],
                    "You took minus the right symbol's logit alone. Its log-probability is "
                    "z_y − ln Σ_j exp(z_j): the normaliser is what makes this loss large."),
        ),
        hint="Softmax first: \\( p_y = e^{z_y} / \\sum_j e^{z_j} \\). The loss is \\( -\\ln p_y \\), which is "
        "the same as \\( \\ln\\sum_j e^{z_j} - z_y \\).",
        solution="\\[ -\\ln p_$target = \\ln\\sum_j e^{z_j} - z_$target = $logsumexp - ($target_logit) "
        "= $answer. \\]\n\n"
        "The network gives $target a probability of only $p_target. It is sure of another symbol, and "
        "wrong: that is what a large first loss means.",
        derived=lambda symbols, logits, target: dict(
            logsumexp=logsumexp(logits),
            target_logit=logits[symbols.index(target)],
            p_target=math.exp(-cross_entropy(symbols, logits, target)),
        ),
    ),
    Exercise(
        id="scaled-logits-loss",
        title="The same guess, less sure",
        objective=1,
        section="confident-start.md#fix",
        statement="Scaling the output layer's weights by $scale scales every logit by $scale. Take the "
        "logits \\( z = ($logits) \\) for $symbols again, scaled by $scale, with **$target** still the right "
        "symbol. What is the loss now?",
        inputs=dict(_LOGITS, scale=0.1),
        expected=lambda scale, logits, **given: cross_entropy(logits=[scale * z for z in logits], **given),
        kind=NUMBER,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda scale, **given: scale * cross_entropy(**given),
                    "You scaled the loss. Softmax is not linear: scale each logit, then redo the softmax."),
            Mistake(lambda symbols, **given: math.log(len(symbols)),
                    "That is ln 4, the loss of an exactly uniform guess. The scaled logits are "
                    "closer together, but not equal."),
            Mistake(lambda scale, logits, **given: cross_entropy(logits=[scale * z for z in logits], **given)
                    / math.log(10), _LOG10),
        ),
        hint="Multiply each logit by the scale first, then compute the loss exactly as before.",
        solution="The scaled logits are \\( ($scaled) \\), and\n\n"
        "\\[ \\ln\\sum_j e^{z_j} - z_$target = $answer, \\]\n\n"
        "close to the uniform guess's \\( \\ln 4 = $uniform \\) and far below the unscaled $unscaled. Small "
        "logits make an unsure start: the fix for a confidently wrong network.",
        derived=lambda scale, symbols, logits, target: dict(
            scaled=[scale * z for z in logits],
            uniform=math.log(len(symbols)),
            unscaled=cross_entropy(symbols, logits, target),
        ),
    ),
    Exercise(
        id="tanh-slope",
        title="tanh's local slope",
        objective=2,
        section="saturated-neurons.md#tanh-slope",
        statement="A tanh unit's pre-activation is \\( x \\). What is its local derivative "
        "\\( \\frac{d}{dx}\\tanh x \\) at each of \\( x = $xs \\)? Give the four values in that order.",
        inputs=dict(xs=(0.0, 0.5, 2.0, 4.0)),
        expected=lambda xs: [1 - math.tanh(x) ** 2 for x in xs],
        kind=NUMBERS,
        precision=significant(3),
        mistakes=(
            Mistake(lambda xs: [1 - math.tanh(x) for x in xs],
                    "You used 1 − tanh(x). The derivative is 1 − tanh(x)²: square the output first."),
            Mistake(lambda xs: [math.tanh(x) for x in xs], "Those are the outputs tanh(x), not the slope."),
        ),
        hint="\\( \\frac{d}{dx}\\tanh x = 1 - \\tanh^2 x \\): compute the output, square it, subtract from 1.",
        solution="The outputs are \\( \\tanh x = $outputs \\), so the slopes \\( 1 - \\tanh^2 x \\) are "
        "\\( $answer \\). The slope is 1 at zero and nearly vanishes once the output nears \\( \\pm 1 \\).",
        derived=lambda xs: dict(outputs=[math.tanh(x) for x in xs]),
    ),
    Exercise(
        id="saturated-gradient-share",
        title="How much gradient a saturated unit lets through",
        objective=2,
        section="saturated-neurons.md#what-it-does-to-learning",
        statement="In the forward pass a tanh unit output \\( h = $h \\). In the backward pass a gradient "
        "arrives at \\( h \\). What fraction of it passes on to the unit's pre-activation, and from there to "
        "its weights and bias? Give a fraction, not a percentage.",
        inputs=dict(h=0.99),
        expected=lambda h: 1 - h**2,
        kind=NUMBER,
        precision=significant(3),
        mistakes=(
            Mistake(lambda h: 1 - h, "You used 1 − h. The local derivative is 1 − h²."),
            Mistake(lambda h: 100 * (1 - h**2), "That is a percentage. Give the fraction."),
            Mistake(lambda h: 1 - math.tanh(h) ** 2,
                    "You computed the slope as if h were the pre-activation, but h is the unit's output. "
                    "Written with the output, the slope is 1 − h²."),
        ),
        hint="The chain rule multiplies the arriving gradient by the local derivative, which you can write "
        "with the output alone: \\( \\frac{dh}{dx} = 1 - h^2 \\).",
        solution="\\[ \\frac{dh}{dx} = 1 - h^2 = 1 - $h^2 = $answer. \\]\n\n"
        "Only about $percent % of the gradient gets through: this unit's weights learn about $slower times "
        "more slowly than those of a unit at \\( h = 0 \\), and if it is saturated on every example they do "
        "not learn at all.",
        derived=lambda h: dict(percent=round(100 * (1 - h**2)), slower=round(1 / (1 - h**2))),
    ),
    Exercise(
        id="saturated-units",
        title="Reading a saturation map",
        objective=3,
        section="saturated-neurons.md#saturation-map",
        statement="Five examples pass through a layer of six tanh units. The table gives each output "
        "\\( h \\):\n\n$table\n\n"
        "Count an output as saturated when \\( |h| > $threshold \\), as the lesson's histograms do. For each "
        "unit, on what fraction of the five examples is it saturated? Give six fractions, unit 1 first.",
        inputs=dict(table=_SATURATION_TABLE, threshold=SATURATED),
        expected=shares_saturated,
        kind=NUMBERS,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda **given: shares_saturated(**given, signed=True),
                    "You counted only outputs near +1. tanh saturates at both ends: compare |h|."),
            Mistake(lambda **given: [100 * s for s in shares_saturated(**given)],
                    "Those are percentages. Give fractions between 0 and 1."),
            Mistake(lambda **given: [1 - s for s in shares_saturated(**given)],
                    "You counted the examples on which each unit is not saturated."),
        ),
        hint="Go down one column at a time and count the entries with \\( |h| > $threshold \\), whatever "
        "their sign; divide by 5.",
        solution="Counting \\( |h| > $threshold \\) down each column and dividing by 5 gives \\( $answer \\). "
        "On an example where a unit is saturated, it passes on less than \\( 1 - $threshold^2 = $passed \\) "
        "of the gradient that reaches it.",
        derived=lambda table, threshold: dict(passed=1 - threshold**2),
    ),
    Exercise(
        id="dead-units",
        title="Finding the dead units",
        objective=2,
        section="saturated-neurons.md#saturation-map",
        statement="Same table as the previous exercise:\n\n$table\n\n"
        "A unit is *dead* when it is saturated (\\( |h| > $threshold \\)) on every example, so that no "
        "example sends a useful gradient to its weights. Which units are dead? List their numbers.",
        inputs=dict(table=_SATURATION_TABLE, threshold=SATURATED),
        expected=lambda **given: units_where(shares_saturated(**given), lambda share: share == 1),
        kind=CHOICES,
        options={str(j): "" for j in range(1, 7)},
        mistakes=(
            Mistake(lambda **given: units_where(shares_saturated(**given), lambda share: share > 0),
                    "You listed every unit saturated on some example. A unit still learns from the "
                    "examples on which it is not saturated: dead means saturated on all of them."),
            Mistake(lambda **given: units_where(shares_saturated(**given), lambda share: share > 0.5),
                    "You listed the units saturated on most examples. One unsaturated example is enough "
                    "for a unit to keep learning."),
            Mistake(lambda **given: units_where(shares_saturated(**given, signed=True), lambda share: share == 1),
                    "You counted only outputs near +1. A unit stuck near −1 is just as flat."),
        ),
        derived=lambda table, threshold: dict(passed=1 - threshold**2),
        hint="Look for columns in which every entry has \\( |h| > $threshold \\), negative entries included.",
        solution="Units $answer have \\( |h| > $threshold \\) in every row: in a saturation map they would be "
        "columns white from top to bottom. The gradient reaching their weights is multiplied by "
        "\\( 1 - h^2 < $passed \\) on every example, so they barely move, and gradient descent cannot pull them out.",
    ),
    Exercise(
        id="mystery-init",
        title="A mystery initialisation",
        objective=3,
        section="healthy-depth.md#reading-histograms",
        statement="Someone initialised the lesson's deeper network (5 tanh layers of 100 units), ran one "
        "batch of $batch through it and printed what the activation histograms are read for:\n\n"
        "$summary\n\nWhich diagnosis fits?",
        inputs=dict(summary=mystery_summary(), batch=MYSTERY_BATCH),
        expected=lambda summary, batch: diagnose(summary),
        kind=CHOICE,
        options=MYSTERY_OPTIONS,
        mistakes=(
            Mistake(lambda **given: "a",
                    "Shrinking activations show a std falling layer after layer towards 0, with almost nothing "
                    "saturated. Look at the last column."),
            Mistake(lambda **given: "c",
                    "The std is steady, but steady is not healthy: read the saturated column. A healthy tanh "
                    "stack has only a few per cent of its outputs in the tails."),
            Mistake(lambda **given: "d",
                    "These statistics come from one forward pass before any update: the learning rate has "
                    "not touched the weights yet."),
        ),
        hint="Two numbers per layer. The std tells you whether the signal shrinks or holds; the saturated "
        "share tells you where along tanh's curve the outputs sit.",
        solution="The answer is (**$answer**). The std holds steady at about $last_std, which rules out "
        "shrinking activations, but $last_saturated % of the outputs in the last layer have "
        "\\( |h| > $threshold \\), against a few per cent for a healthy stack. The pre-activations are too wide, "
        "so most units sit in tanh's flat tails: this network was drawn with gain $gain instead of 5/3. "
        "Before any training, the learning rate cannot be the cause.",
        derived=lambda summary, batch: dict(
            last_std=summary.values[-1][0], last_saturated=summary.values[-1][1], gain=MYSTERY_GAIN,
            threshold=SATURATED,
        ),
    ),
    Exercise(
        id="sum-std",
        title="The spread of a sum",
        objective=4,
        section="healthy-depth.md#toy-experiment",
        statement="A unit computes \\( y = \\sum_{i=1}^{n} w_i x_i \\) over \\( n = $fan_in \\) inputs, with "
        "every \\( w_i \\) and \\( x_i \\) drawn independently from \\( \\mathcal{N}(0, 1) \\). What is the "
        "standard deviation of \\( y \\)?",
        inputs=dict(fan_in=1000),
        expected=lambda fan_in: math.sqrt(fan_in),
        kind=NUMBER,
        precision=decimals(1),
        mistakes=(
            Mistake(lambda fan_in: fan_in, "That is the variance of the sum. The std is its square root."),
            Mistake(lambda fan_in: 1.0,
                    "Each product has std 1, but adding independent terms adds their variances."),
        ),
        hint="The variance of a product of two independent zero-mean, unit-variance numbers is 1; variances "
        "of independent terms add.",
        solution="Each product \\( w_i x_i \\) has mean 0 and variance \\( 1 \\cdot 1 = 1 \\). The $fan_in "
        "terms are independent, so their variances add:\n\n"
        "\\[ \\operatorname{Var}(y) = $fan_in, \\qquad \\operatorname{std}(y) = \\sqrt{$fan_in} = $answer. \\]\n\n"
        "Fed numbers this wide, a tanh would be saturated nearly everywhere; dividing the weights by "
        "\\( \\sqrt{\\text{fan\\_in}} \\) brings the std back to 1.",
    ),
    Exercise(
        id="kaiming-std",
        title="Kaiming initialisation for a tanh layer",
        objective=4,
        section="healthy-depth.md#kaiming-rule",
        statement="The lecture's hidden layer takes $fan_in inputs (3 characters × 10 embedding numbers), of "
        "roughly unit std, and has $fan_out tanh units. Following the Kaiming rule for tanh, with what "
        "standard deviation should its weights be drawn?",
        inputs=dict(fan_in=N_EMBD * BLOCK_SIZE, fan_out=N_HIDDEN),
        expected=lambda fan_in, fan_out: TANH_GAIN / math.sqrt(fan_in),
        kind=NUMBER,
        precision=decimals(3),
        mistakes=(
            Mistake(lambda fan_in, fan_out: TANH_GAIN / math.sqrt(fan_out),
                    "You divided by √fan_out. Each output sums over the layer's "
                    "inputs, so the rule uses fan_in."),
            Mistake(lambda fan_in, fan_out: 1 / math.sqrt(fan_in),
                    "You left out tanh's gain. tanh squeezes its input, so the rule multiplies by 5/3 to "
                    "make up for it."),
            Mistake(lambda fan_in, fan_out: math.sqrt(2) / math.sqrt(fan_in),
                    "√2 is the gain for ReLU. This layer uses tanh."),
            Mistake(lambda fan_in, fan_out: TANH_GAIN / fan_in,
                    "You divided by fan_in itself. Variances add, so the std grows with the square root."),
        ),
        hint="\\( \\text{std} = \\text{gain}/\\sqrt{\\text{fan\\_in}} \\), and tanh's gain is 5/3 "
        "(`torch.nn.init.calculate_gain('tanh')`).",
        solution="\\[ \\text{std} = \\frac{\\text{gain}}{\\sqrt{\\text{fan\\_in}}} = \\frac{5/3}{\\sqrt{$fan_in}} "
        "= $answer. \\]\n\n"
        "Dividing by \\( \\sqrt{\\text{fan\\_in}} \\) undoes the growth of a sum of $fan_in terms; the gain "
        "undoes tanh's squeezing, so the next layer sees inputs of the same scale again.",
    ),
    Exercise(
        id="zero-init-gradient",
        title="Starting from all zeros",
        objective=2,
        section="confident-start.md#fix",
        statement="An MLP computes \\( h = \\tanh(x W_1 + b_1) \\) and logits \\( h W_2 + b_2 \\), with the "
        "lecture's shapes: $fan_in inputs, $hidden hidden units, $vocab_size logits. Every weight and bias "
        "starts at exactly zero. After the first backward pass of the cross-entropy loss on a batch of "
        "$batch examples, which parameters have a nonzero gradient?",
        inputs=dict(fan_in=N_EMBD * BLOCK_SIZE, hidden=N_HIDDEN, vocab_size=VOCAB_SIZE, batch=32),
        expected=parameters_with_gradient,
        kind=CHOICES,
        options=ZERO_INIT_PARAMETERS,
        mistakes=(
            Mistake(lambda **given: set(ZERO_INIT_PARAMETERS),
                    "A zero weight can still receive a gradient, but not all of these do: trace each "
                    "parameter's gradient and look for a factor that is zero."),
            Mistake(lambda **given: set(),
                    "The logits are all 0, so softmax is uniform, which is not the targets: the gradient "
                    "at the logits, p − y, is not zero. Some parameter receives it."),
            Mistake(lambda **given: {"W2", "b2"},
                    "W2's gradient is hᵀ(p − y), and every h = tanh(0) = 0."),
            Mistake(lambda **given: {"b1", "b2"},
                    "b1's gradient comes back through W2, which is all zero."),
        ),
        hint="Forward first: what are \\( h \\), the logits and the softmax? Then backward: the gradient at the "
        "logits is \\( p - y \\) (averaged over the batch); find each parameter's gradient from it.",
        solution="Forward: \\( h = \\tanh(0) = 0 \\), the logits are 0 and the softmax is uniform. Backward, "
        "the gradient at the logits is \\( (p - y)/N \\), which is not zero. Then\n\n"
        "- \\( b_2 \\) gets it summed over the batch: nonzero, unless every symbol is a target equally often;\n"
        "- \\( W_2 \\) gets \\( h^\\top (p - y)/N = 0 \\), because \\( h = 0 \\);\n"
        "- \\( h \\) gets \\( (p - y) W_2^\\top / N = 0 \\), because \\( W_2 = 0 \\), so \\( W_1 \\) and "
        "\\( b_1 \\) get nothing.\n\n"
        "So only **$answer** moves, and the next step looks the same: \\( h \\) stays 0 and \\( W_2 \\) stays "
        "0 for ever. The network learns only how often each symbol occurs. A little randomness at the start "
        "breaks this deadlock.",
    ),
    Exercise(
        id="batchnorm-stats",
        title="BatchNorm's batch statistics",
        objective=5,
        section="batchnorm.md#what-it-does",
        statement="One hidden unit's pre-activations over a batch of four examples are \\( $batch \\). In "
        "training mode, BatchNorm first measures the batch's mean and variance. Give "
        "[mean, variance], with the variance as BatchNorm computes it.",
        inputs=dict(batch=_BN_BATCH),
        expected=lambda batch: [mean(batch), variance(batch)],
        kind=NUMBERS,
        precision=significant(3),
        mistakes=(
            Mistake(lambda batch: [mean(batch), variance(batch, ddof=1)],
                    "You divided by n − 1 (the default of torch.var). BatchNorm normalises with "
                    "the biased variance: divide by n."),
            Mistake(lambda batch: [mean(batch), math.sqrt(variance(batch))],
                    "That second number is the standard deviation. The variance is its square."),
        ),
        hint="The variance BatchNorm uses is the mean of the squared deviations from the mean: divide by "
        "\\( n = 4 \\), not \\( n - 1 \\).",
        solution="\\[ \\mu = \\tfrac{1}{4}\\sum_i x_i = $mean, \\qquad "
        "\\sigma^2 = \\tfrac{1}{4}\\sum_i (x_i - \\mu)^2 = $variance. \\]\n\n"
        "BatchNorm divides by \\( n \\), not \\( n - 1 \\). (Its running variance, used in eval mode, is "
        "updated with the unbiased estimate, as PyTorch does.)",
        derived=lambda batch: dict(mean=mean(batch), variance=f"{variance(batch):.3g}"),
    ),
    Exercise(
        id="batchnorm-output",
        title="BatchNorm's output",
        objective=5,
        section="batchnorm.md#what-it-does",
        statement="Normalise the same four values \\( $batch \\) with \\( \\varepsilon = $eps \\), then scale "
        "by \\( \\gamma = $gamma \\) and shift by \\( \\beta = $beta \\). What four outputs does BatchNorm "
        "give?",
        inputs=dict(batch=_BN_BATCH, **_BN_AFFINE),
        expected=batchnorm,
        kind=NUMBERS,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda **given: batchnorm(**given | dict(eps=0.0)),
                    "You left out ε. This unit barely varies across the batch, so its variance is not "
                    "much larger than ε: add it inside the square root."),
            Mistake(lambda **given: batchnorm(**given, ddof=1),
                    "You used the unbiased variance (divide by n − 1). BatchNorm divides by n."),
            Mistake(lambda **given: batchnorm(**given | dict(gamma=1.0, beta=0.0)),
                    "Those are the normalised values x̂. Apply γ·x̂ + β last."),
            Mistake(lambda gamma, beta, **given: batchnorm(gamma=beta, beta=gamma, **given),
                    "You swapped γ and β: γ scales, β shifts."),
        ),
        hint="\\( \\hat{x}_i = (x_i - \\mu)/\\sqrt{\\sigma^2 + \\varepsilon} \\) with the biased variance, "
        "then \\( y_i = \\gamma\\hat{x}_i + \\beta \\).",
        solution="With \\( \\mu = $mean \\) and \\( \\sigma^2 = $variance \\),\n\n"
        "\\[ \\hat{x} = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\varepsilon}} = ($normalised), \\qquad "
        "y = \\gamma\\hat{x} + \\beta = ($answer). \\]\n\n"
        "Without \\( \\varepsilon \\) the outputs would be noticeably larger: for a unit that barely varies, "
        "\\( \\varepsilon \\) is what keeps the division from blowing tiny differences up.",
        derived=lambda batch, eps, **affine: dict(
            mean=mean(batch),
            variance=f"{variance(batch):.3g}",
            normalised=batchnorm(batch, 1.0, 0.0, eps),
        ),
    ),
    Exercise(
        id="running-mean-update",
        title="One running-mean update",
        objective=5,
        section="batchnorm.md#train-vs-eval",
        statement="Before the batch \\( $batch \\), BatchNorm's running mean for this unit was "
        "$running_mean. It updates with momentum \\( m = $momentum \\) in PyTorch's convention: "
        "running ← \\( (1 - m) \\) · running + \\( m \\) · batch mean. What is the running mean after "
        "this batch?",
        inputs=dict(batch=_BN_BATCH, running_mean=0.2, momentum=0.1),
        expected=lambda batch, running_mean, momentum: (1 - momentum) * running_mean + momentum * mean(batch),
        kind=NUMBER,
        precision=decimals(4),
        mistakes=(
            Mistake(lambda batch, running_mean, momentum: momentum * running_mean + (1 - momentum) * mean(batch),
                    "You swapped the weights. In PyTorch's convention the momentum is the weight of the "
                    "new batch, so the running mean moves only a little."),
            Mistake(lambda batch, running_mean, momentum: mean(batch),
                    "That is this batch's mean. The running mean takes only a step of size m "
                    "towards it."),
        ),
        hint="Compute the batch mean first, then mix: a share \\( 1 - m \\) of the old running mean and a share "
        "\\( m \\) of the batch mean.",
        solution="The batch mean is $batch_mean, so\n\n"
        "\\[ (1 - $momentum) \\cdot $running_mean + $momentum \\cdot $batch_mean = $answer. \\]\n\n"
        "Eval mode normalises with this slowly moving average instead of the batch's own statistics, so an "
        "example's output no longer depends on its batchmates.",
        derived=lambda batch, **given: dict(batch_mean=mean(batch)),
    ),
    Exercise(
        id="fold-batchnorm",
        title="Folding BatchNorm into the layer before it",
        objective=5,
        section="batchnorm.md#folding",
        statement="A trained Linear layer computes \\( x W + b \\), with \\( W \\) stored as "
        "(fan_in, fan_out) as our layers store it:\n\n"
        "\\[ W = $W, \\qquad b = ($b). \\]\n\n"
        "An eval-mode BatchNorm follows it, with \\( \\gamma = ($gamma) \\), \\( \\beta = ($beta) \\), running "
        "mean \\( ($running_mean) \\), running variance \\( ($running_var) \\) and "
        "\\( \\varepsilon = $eps \\). Find \\( W' \\) and \\( b' \\) such that \\( x W' + b' \\) equals the "
        "BatchNorm's output for every \\( x \\). Give "
        "\\( [W'_{11}, W'_{12}, W'_{21}, W'_{22}, b'_1, b'_2] \\).",
        inputs=dict(W=((0.5, -1.0), (2.0, 0.25)), b=(0.1, -0.3), gamma=(3.0, 0.5), beta=(0.0, 1.0),
                    running_mean=(0.4, -0.2), running_var=(4.0, 0.25), eps=1e-5),
        expected=fold,
        kind=NUMBERS,
        precision=decimals(3),
        mistakes=(
            Mistake(lambda **given: fold(**given, scale_rows=True),
                    "You scaled the rows of W. Each output feature is a column of our "
                    "(fan_in, fan_out) W: torch.nn.Linear stores the transpose, ours does not."),
            Mistake(lambda **given: fold(**given, keep_mean=False),
                    "Your b′ leaves out the running mean: BatchNorm subtracts it before scaling."),
            Mistake(lambda **given: fold(**given, std=False),
                    "You divided by the running variance. BatchNorm divides by its square root, the std."),
        ),
        hint="In eval mode BatchNorm is a fixed scale and shift per output feature: "
        "\\( s_j = \\gamma_j/\\sqrt{\\text{var}_j + \\varepsilon} \\). Multiply column \\( j \\) of "
        "\\( W \\) by \\( s_j \\); the bias becomes \\( (b_j - \\text{mean}_j)\\,s_j + \\beta_j \\).",
        solution="BatchNorm in eval mode computes \\( s_j\\,(z_j - \\text{mean}_j) + \\beta_j \\) with "
        "\\( s_j = \\gamma_j/\\sqrt{\\text{var}_j + \\varepsilon} = ($scale) \\). Substituting "
        "\\( z = x W + b \\):\n\n"
        "\\[ W'_{ij} = W_{ij}\\,s_j, \\qquad b'_j = (b_j - \\text{mean}_j)\\,s_j + \\beta_j, \\]\n\n"
        "which gives \\( ($answer) \\). One matrix product now does the work of two steps at inference.",
        derived=lambda gamma, running_var, eps, **given: dict(
            scale=[g / math.sqrt(v + eps) for g, v in zip(gamma, running_var)]
        ),
    ),
    Exercise(
        id="batchmates",
        title="Same example, different batchmates",
        objective=5,
        section="batchnorm.md#coupling",
        statement="In training mode, a BatchNorm network gives the same example different outputs depending "
        "on which other examples share its batch. Which of these changes make an example's output depend "
        "on that example alone? List every one that does.",
        inputs={},
        expected=changes_that_decouple,
        kind=CHOICES,
        options={label: text for label, (text, _, _) in BATCHMATE_CHANGES.items()},
        mistakes=(
            Mistake(lambda: {"a"}, "That is one of them. Another change on the list takes the batch out of "
                    "the computation altogether."),
            Mistake(lambda: {"e"}, "That is one of them. Another change on the list swaps the batch's "
                    "statistics for fixed numbers."),
            Mistake(lambda: {"a", "d", "e"},
                    "A bigger batch makes its statistics less noisy, so the effect shrinks, but every "
                    "example's output still depends on the others."),
        ),
        hint="In training mode BatchNorm normalises with the batch's own mean and variance. Which changes "
        "stop the output from using any other example?",
        solution="The answer is **$answer**. In eval mode BatchNorm uses its running estimates, fixed "
        "numbers, so each example is normalised on its own; LayerNorm normalises each example over its own "
        "features and never looks at the batch. Momentum only changes the running estimates, which training "
        "mode does not use; eps and a bigger batch change how much the batchmates matter, not whether they "
        "do. This coupling is BatchNorm's first caveat, and the difference between training and eval is its "
        "second. LayerNorm keeps the benefit, well-scaled activations at every depth, without either, which "
        "is why it is the normalisation layer in transformers.",
    ),
)

BY_ID = {exercise.id: exercise for exercise in EXERCISES}
