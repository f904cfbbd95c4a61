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
    BATCHMATE_CHANGES, BUG_SNIPPETS, MYSTERY_BATCH, MYSTERY_GAIN, MYSTERY_OPTIONS, SHAPE_LAYER, SHAPE_OPTIONS,
    UPDATE_RATIO_OPTIONS, ZERO_INIT_EXAMPLES, ZERO_INIT_PARAMETERS, ZERO_INIT_STEPS, after_rescaling,
    all_zero_settled_loss, batchnorm, changes_that_decouple, cross_entropy, diagnose, fold, layer_summaries,
    log10_update_ratio, logsumexp, mean, measured_stacked_std, mystery_summary, next_character_entropy,
    parameters_with_gradient, shape_of, shapes_option, shares_saturated, snippets_that_need_a_fix, stacked_std,
    train_and_eval, units_where, update_ratio_verdict, variance, where_the_all_zero_net_settles, zero_init_options,
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
        statement="The output layer computes the logits as \\( z = h W_2 + b_2 \\). With its bias at zero, "
        "scaling \\( W_2 \\) by $scale scales every logit by $scale. Take the logits \\( z = ($logits) \\) "
        "for $symbols again, scaled by $scale, with **$target** still the right symbol. What is the loss now?",
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
        "much nearer the uniform guess's \\( \\ln 4 = $uniform \\) than the unscaled $unscaled. Small "
        "logits make an unsure start: the fix for a confidently wrong network.",
        derived=lambda scale, symbols, logits, target: dict(
            scaled=[scale * z for z in logits],
            uniform=math.log(len(symbols)),
            unscaled=cross_entropy(symbols, logits, target),
        ),
    ),
    Exercise(
        id="zero-init-gradient",
        title="Starting from all zeros",
        objective=1,
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
        "0 for ever. Either zero alone would be harmless: with a random \\( W_1 \\), \\( h \\) is not zero "
        "and \\( W_2 \\) moves at the first step; with a random \\( W_2 \\), \\( h \\) receives a gradient "
        "that differs from unit to unit. It is zero on both sides that locks the net: \\( h = 0 \\) keeps "
        "\\( W_2 \\) at 0, and \\( W_2 = 0 \\) keeps \\( W_1 \\) and \\( b_1 \\) at 0.",
    ),
    Exercise(
        id="zero-init-loss",
        title="Where the all-zero net settles",
        objective=1,
        section="confident-start.md#fix",
        statement="Now train that all-zero MLP on the names, the lecture's embeddings in front of it, for as long "
        "as you like. Where does its training loss settle, and why?",
        inputs={},
        expected=where_the_all_zero_net_settles,
        kind=CHOICE,
        options={label: text for label, (text, _) in zero_init_options().items()},
        mistakes=(
            Mistake(lambda: "a",
                    "One parameter does receive a gradient at every step: look again at the previous "
                    "exercise. The loss falls below the uniform guess."),
            Mistake(lambda: "c",
                    "The context would have to reach the logits through h, and h = tanh(0) stays 0 however "
                    "the embeddings look: W1 never receives a gradient."),
            Mistake(lambda: "d",
                    "Minibatch noise cannot help: every hidden unit's gradient is exactly 0 on every batch, "
                    "so the units never start to differ."),
        ),
        hint="Only one parameter ever learns (previous exercise), and it adds the same vector to the logits for "
        "every context. What is the best single prediction, the same for every example, and what loss "
        "does it give?",
        solution="The answer is (**$answer**). \\( h \\) and \\( W_2 \\) stay 0, so the logits are \\( b_2 \\) for "
        "every context: one prediction for all examples. Gradient descent on \\( b_2 \\) stops where the "
        "gradient \\( p - \\bar{y} \\) is zero, where the softmax equals how often each character comes next in "
        "the training set, and the loss is then the entropy of those frequencies, "
        "\\( -\\sum_c p_c \\ln p_c = $entropy \\): below \\( \\ln $vocab_size = $uniform \\), far above what a "
        "net that reads the context reaches. Measured: trained from all zeros for $steps steps of gradient "
        "descent on a random sample of $examples training examples, the net's loss on that sample settles at "
        "$settled, against $sample_entropy for the entropy of the sample's own next characters.",
        derived=lambda: dict(
            entropy=f"{next_character_entropy():.3f}", vocab_size=VOCAB_SIZE, uniform=f"{math.log(VOCAB_SIZE):.3f}",
            steps=ZERO_INIT_STEPS, examples=ZERO_INIT_EXAMPLES,
            settled=f"{all_zero_settled_loss()[0]:.3f}", sample_entropy=f"{all_zero_settled_loss()[1]:.3f}",
        ),
    ),
    Exercise(
        id="tanh-slope",
        title="tanh's local slope",
        objective=2,
        section="saturated-neurons.md#tanh-slope",
        statement="A tanh unit's pre-activation is \\( x \\). What is its local derivative "
        "\\( \\frac{d}{dx}\\tanh x \\) at each of \\( x = $xs \\)? Give the four values in that order.",
        inputs=dict(xs=(0.5, 1.5, 2.5, 4.0)),
        expected=lambda xs: [1 - math.tanh(x) ** 2 for x in xs],
        kind=NUMBERS,
        precision=significant(3),
        mistakes=(
            Mistake(lambda xs: [1 - math.tanh(x) for x in xs],
                    "You used 1 − tanh(x). The derivative is 1 − tanh(x)²: square the output first."),
            Mistake(lambda xs: [math.tanh(x) for x in xs], "Those are the outputs tanh(x), not the slope."),
            Mistake(lambda xs: [1 - round(math.tanh(x), 4) ** 2 for x in xs],
                    "You rounded tanh(x) to four digits before squaring. Where tanh(x) is close to 1, "
                    "1 − tanh²(x) is a small difference of two numbers near 1 and loses its digits: keep six "
                    "digits of tanh(x), or compute 1/cosh²(x), which is the same slope."),
        ),
        hint="\\( \\frac{d}{dx}\\tanh x = 1 - \\tanh^2 x = 1/\\cosh^2 x \\). Where \\( \\tanh x \\) is "
        "close to 1, keep at least six digits of it before squaring, or use \\( 1/\\cosh^2 x \\): the "
        "difference of two numbers near 1 loses its digits.",
        solution="The outputs are \\( \\tanh x = $outputs \\), so the slopes \\( 1 - \\tanh^2 x \\) are "
        "\\( $answer \\). At \\( x = $last_x \\), \\( \\cosh x = $last_cosh \\) gives the same slope, "
        "\\( 1/$last_cosh^2 \\). The slope is 1 at zero and nearly vanishes once the output nears "
        "\\( \\pm 1 \\).",
        derived=lambda xs: dict(outputs=", ".join(f"{math.tanh(x):.6f}" for x in xs), last_x=xs[-1],
                                last_cosh=f"{math.cosh(xs[-1]):.4f}"),
    ),
    Exercise(
        id="saturated-gradient-share",
        title="How much gradient a saturated unit lets through",
        objective=2,
        section="saturated-neurons.md#what-it-does-to-learning",
        statement="In the forward pass a tanh unit output \\( h = $h \\). In the backward pass a gradient "
        "arrives at \\( h \\). What fraction of it passes on to the unit's pre-activation \\( x \\)? (The "
        "unit's bias receives exactly that gradient; each of its weights receives it times that weight's "
        "input.) Give a fraction, not a percentage.",
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
        "Only about $percent % of the gradient gets through: for the same gradient arriving at \\( h \\) and "
        "the same inputs, this unit's bias and weights move about $slower times more slowly than those of a "
        "unit at \\( h = 0 \\), and if it is saturated on every example they barely move at all.",
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
        "example sends a useful gradient to its weights. Which units are dead on these five examples? List their "
        "numbers.",
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
        "\\( 1 - h^2 < $passed \\) on every example, so they barely move: gradient descent can hardly "
        "pull them out, and a unit saturated like this on all the data may stay stuck.",
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
        id="relu-gain",
        title="Deriving a gain",
        objective=4,
        section="healthy-depth.md#gain",
        statement="A layer's pre-activations \\( z \\) are symmetric around 0 with variance \\( \\sigma^2 \\), and "
        "the next layer sums \\( \\sum_i w_i h_i \\) over its fan_in inputs \\( h_i \\), with independent "
        "zero-mean weights: its variance is \\( \\text{fan\\_in} \\cdot \\operatorname{Var}(w) \\cdot "
        "\\mathbb{E}[h^2] \\). What gain keeps \\( \\sigma^2 \\) the same from layer to layer, first for "
        "\\( h = \\operatorname{ReLU}(z) \\), then for the leaky ReLU "
        "\\( h = \\max(z, $slope\\,z) \\)? Give [ReLU's gain, the leaky ReLU's gain].",
        inputs=dict(slope=0.2),
        expected=lambda slope: [math.sqrt(2), math.sqrt(2 / (1 + slope**2))],
        kind=NUMBERS,
        precision=decimals(3),
        mistakes=(
            Mistake(lambda slope: [2.0, 2 / (1 + slope**2)],
                    "Those are the factors for the weights' variance. The gain multiplies their standard "
                    "deviation: take the square root."),
            Mistake(lambda slope: [math.sqrt(2), math.sqrt(2 / (1 + slope))],
                    "Your leaky-ReLU gain uses the slope itself. The negative half is multiplied by the "
                    "slope, so its contribution to the mean square is multiplied by the slope squared."),
            Mistake(lambda slope: [math.sqrt(2), math.sqrt(2)],
                    "The leaky ReLU keeps a little of the negative half, so it loses less of the mean "
                    "square than ReLU and needs a smaller gain."),
            Mistake(lambda slope: [1 / math.sqrt(0.5 - 1 / (2 * math.pi)),
                                   1 / math.sqrt((1 + slope**2) / 2 - (1 - slope) ** 2 / (2 * math.pi))],
                    "You used the variance of ReLU's output. The next layer's sum depends on the mean "
                    "square, E[h²], because its weights have mean zero."),
        ),
        hint="By symmetry, half of \\( \\mathbb{E}[z^2] = \\sigma^2 \\) comes from the negative half. ReLU keeps "
        "only the positive half; the leaky ReLU keeps the negative half multiplied by the slope, so that "
        "half's share of the mean square is multiplied by the slope squared. The gain is what makes "
        "\\( \\text{fan\\_in} \\cdot \\operatorname{Var}(w) \\cdot \\mathbb{E}[h^2] = \\sigma^2 \\) with "
        "\\( \\operatorname{Var}(w) = \\text{gain}^2/\\text{fan\\_in} \\).",
        solution="ReLU: \\( \\mathbb{E}[h^2] = \\tfrac{1}{2}\\sigma^2 \\), so "
        "\\( \\text{gain}^2 \\cdot \\tfrac{1}{2} = 1 \\) and the gain is \\( \\sqrt{2} \\). Leaky ReLU: "
        "\\( \\mathbb{E}[h^2] = \\tfrac{1}{2}\\sigma^2 + \\tfrac{1}{2} \\cdot $slope^2 \\cdot \\sigma^2 \\), so "
        "the gain is \\( \\sqrt{2/(1 + $slope^2)} \\). Together, \\( ($answer) \\), which is what "
        "`torch.nn.init.calculate_gain('leaky_relu', $slope)` returns. It is the mean square that counts, not "
        "the variance: the next layer's weights have mean zero, so their sum's variance depends on "
        "\\( \\mathbb{E}[h^2] \\).",
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
        "That is the rule's answer. Dividing by \\( \\sqrt{\\text{fan\\_in}} \\) undoes the growth of a sum of "
        "$fan_in terms; the gain makes up for tanh's squeezing, which keeps a deep stack of tanh layers at a "
        "steady scale. This is the first layer, though: its inputs are \\( \\mathcal{N}(0, 1) \\) embeddings, not "
        "the squeezed outputs of a tanh, so 5/3 overshoots, and more of its outputs start saturated than the few "
        "per cent of a healthy layer ([measured on the lesson's page](healthy-depth.md#kaiming-rule)).",
    ),
    Exercise(
        id="depth-compounding",
        title="Compounding through depth",
        objective=4,
        section="healthy-depth.md#depth-experiment",
        statement="A stack of linear layers (no nonlinearity), each of 100 units, has its weights drawn with "
        "standard deviation \\( \\text{gain}/\\sqrt{\\text{fan\\_in}} \\). Its input has standard deviation 1. "
        "What is the standard deviation of the output after $layers_small layers with gain $gain_small, and "
        "after $layers_large layers with gain $gain_large? Give both, in that order.",
        inputs=dict(gain_small=0.5, layers_small=5, gain_large=1.2, layers_large=20),
        expected=lambda gain_small, layers_small, gain_large, layers_large: [
            stacked_std(gain_small, layers_small), stacked_std(gain_large, layers_large)],
        kind=NUMBERS,
        precision=significant(2),
        mistakes=(
            Mistake(lambda gain_small, layers_small, gain_large, layers_large: [
                gain_small * layers_small, gain_large * layers_large],
                "You multiplied the gain by the number of layers. Each layer multiplies the std by the gain "
                "again: the factors compound."),
            Mistake(lambda gain_small, layers_small, gain_large, layers_large: [
                gain_small ** (2 * layers_small), gain_large ** (2 * layers_large)],
                "Those are variances: each layer multiplies the variance by gain². The std is their square root."),
            Mistake(lambda gain_small, layers_small, gain_large, layers_large: [gain_small, gain_large],
                "That is one layer. Each of the layers multiplies the std by the gain."),
        ),
        hint="With weights of std \\( \\text{gain}/\\sqrt{\\text{fan\\_in}} \\), one layer turns an input of std "
        "\\( s \\) into an output of std \\( \\text{gain} \\cdot s \\) (the √n rule). Apply that once per layer.",
        solution="Each layer multiplies the std by the gain, so after \\( L \\) layers it is "
        "\\( \\text{gain}^L \\): \\( $gain_small^{$layers_small} \\) and \\( $gain_large^{$layers_large} \\), which "
        "is \\( ($answer) \\). A gain off by a factor compounds: half too small fades the signal to a thirtieth in "
        "five layers; 20 % too large blows it up more than thirtyfold in twenty. (Drawn at random with width 100, "
        "one stack measures $measured_small and $measured_large: a finite width adds scatter around "
        "\\( \\text{gain}^L \\).) The tanh stack at gain 0.5 on the lesson's page fades the same way: near 0, "
        "tanh is close to the identity, so each of its layers too roughly halves the std.",
        derived=lambda gain_small, layers_small, gain_large, layers_large: dict(
            measured_small=f"{measured_stacked_std(gain_small, layers_small):.3f}",
            measured_large=f"{measured_stacked_std(gain_large, layers_large):.0f}",
        ),
    ),
    Exercise(
        id="histogram-shapes",
        title="Healthy, collapsing or saturated",
        objective=3,
        section="healthy-depth.md#reading-histograms",
        statement="Three stacks of the lesson's deeper network (5 tanh layers of 100 units) differ only in how "
        "their weights were drawn. One batch of $batch through each; for layer $layer the printout reads:\n\n"
        "$summary\n\nWhich reading fits, in the order P, Q, R?",
        inputs=dict(summary=layer_summaries(), batch=MYSTERY_BATCH, layer=SHAPE_LAYER),
        expected=lambda summary, **given: shapes_option(summary),
        kind=CHOICE,
        options={label: ", ".join(shapes) for label, shapes in SHAPE_OPTIONS.items()},
        mistakes=(
            Mistake(lambda **given: "a",
                    "A saturated layer piles its outputs up at ±1, so many have |h| above the threshold: "
                    "read the saturated column before the std."),
            Mistake(lambda **given: "b",
                    "A collapsing layer has a narrow spike at zero: a small std and almost nothing "
                    "saturated. Which row has that?"),
            Mistake(lambda **given: "d",
                    "A healthy tanh layer is spread over (−1, 1): a std well above zero, with only a few "
                    "per cent saturated."),
        ),
        hint="Collapsing: a narrow spike at 0, so a small std and nothing saturated. Saturated: peaks at ±1, so a "
        "large share beyond \\( |h| > $threshold \\). Healthy: spread out, with a few per cent saturated.",
        solution="The answer is (**$answer**). Only a few per cent saturated with a std near $healthy_std is a "
        "healthy spread; $saturated_percent % saturated means outputs piled at \\( \\pm 1 \\), weights too large; "
        "a std of $collapsed_std with nothing saturated is a spike at 0, weights too small. (They were drawn "
        "with gains 5/3, 3 and 0.5.)",
        derived=lambda summary, **given: dict(
            threshold=SATURATED,
            healthy_std=next(std for std, share in summary.values if shape_of(std, share) == "healthy"),
            saturated_percent=next(share for std, share in summary.values if shape_of(std, share) == "saturated"),
            collapsed_std=next(std for std, share in summary.values if shape_of(std, share) == "collapsing"),
        ),
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
        id="batchnorm-output",
        title="BatchNorm's output",
        objective=5,
        section="batchnorm.md#what-it-does",
        statement="In training mode, BatchNorm normalises the four values \\( $batch \\) with their mean and "
        "their biased variance (dividing by \\( n \\), as `torch.nn.BatchNorm1d` does; "
        "[why \\( n \\)](batchnorm-details.md#variance)) and \\( \\varepsilon = $eps \\), then scales by "
        "\\( \\gamma = $gamma \\) and shifts by \\( \\beta = $beta \\). What four outputs does it give?",
        inputs=dict(batch=_BN_BATCH, **_BN_AFFINE),
        expected=batchnorm,
        kind=NUMBERS,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda **given: batchnorm(**given | dict(eps=0.0)),
                    "You left out ε. This unit barely varies across the batch, so its variance is not "
                    "much larger than ε: add it inside the square root."),
            Mistake(lambda **given: batchnorm(**given, ddof=1),
                    "You used the unbiased variance (divide by n − 1), as x.var(0) does. In training mode "
                    "BatchNorm normalises with the biased one: divide by n."),
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
        "Without \\( \\varepsilon \\) the outputs would lie noticeably further from \\( \\beta \\), larger in "
        "magnitude after the shift is taken off: for a unit that barely varies, \\( \\varepsilon \\) is what "
        "keeps the division from blowing tiny differences up.",
        derived=lambda batch, eps, **affine: dict(
            mean=mean(batch),
            variance=f"{variance(batch):.3g}",
            normalised=batchnorm(batch, 1.0, 0.0, eps),
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
        "second. LayerNorm keeps the benefit, well-scaled activations at every depth, without either: it "
        "normalises each token on its own, whatever the batch, which is why transformers use it (or a variant).",
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
        id="train-vs-eval",
        title="One example, two modes",
        objective=5,
        section="batchnorm.md#train-vs-eval",
        statement="Take the last example, \\( x = $x \\), of the batch \\( $batch \\), with the same "
        "\\( \\gamma = $gamma \\), \\( \\beta = $beta \\) and \\( \\varepsilon = $eps \\). After training, "
        "BatchNorm's running mean for this unit is $running_mean and its running variance $running_var. What "
        "does BatchNorm output for this example in training mode, inside this batch, and in eval mode? Give "
        "[training, eval].",
        inputs=dict(batch=_BN_BATCH, running_mean=0.5, running_var=0.0004, **_BN_AFFINE),
        expected=train_and_eval,
        kind=NUMBERS,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda **given: [train_and_eval(**given)[0]] * 2,
                    "Your eval output is the training one. Eval mode does not look at the batch: it uses the "
                    "running mean and variance."),
            Mistake(lambda **given: train_and_eval(**given, eval_var=variance(given["batch"])),
                    "Your eval output uses the running mean but the batch's variance. Eval mode uses both running "
                    "estimates."),
            Mistake(lambda **given: train_and_eval(**given, eval_eps=0.0),
                    "You left ε out of the eval output. Eval mode adds it to the running variance too."),
        ),
        hint="Training mode: the batch's mean and biased variance, as for BatchNorm's output above. Eval mode: the "
        "same formula with the running mean and running variance in their place.",
        solution="Training mode normalises with the batch's mean, $batch_mean, and its variance, $batch_var, as "
        "in BatchNorm's output above: $train_output. Eval mode uses the running estimates:\n\n"
        "\\[ $gamma \\cdot \\frac{$x - $running_mean}{\\sqrt{$running_var + $eps}} + $beta = $eval_output. \\]\n\n"
        "So \\( ($answer) \\). In training the output depends on which examples share the batch; in eval mode it "
        "depends on \\( x \\) alone, which is what a prediction for one example needs.",
        derived=lambda batch, **given: dict(
            x=batch[-1], batch_mean=mean(batch), batch_var=f"{variance(batch):.3g}",
            train_output=f"{train_and_eval(batch, **given)[0]:.2f}",
            eval_output=f"{train_and_eval(batch, **given)[1]:.2f}",
        ),
    ),
    Exercise(
        id="batchnorm-stats",
        title="BatchNorm's batch statistics",
        objective=5,
        section="batchnorm-details.md#variance",
        statement="One hidden unit's pre-activations over a batch of four examples are \\( $batch \\). In "
        "training mode, BatchNorm first measures the batch's mean and variance. It normalises with the "
        "*biased* variance, dividing by \\( n \\), as `torch.nn.BatchNorm1d` does (its running variance, "
        "kept for eval mode, uses the unbiased \\( n - 1 \\) instead). Give [mean, variance], with the "
        "variance BatchNorm normalises with.",
        inputs=dict(batch=_BN_BATCH),
        expected=lambda batch: [mean(batch), variance(batch)],
        kind=NUMBERS,
        precision=significant(3),
        mistakes=(
            Mistake(lambda batch: [mean(batch), variance(batch, ddof=1)],
                    "You divided by n − 1, as x.var(0) does by default and as the running variance does. "
                    "The variance BatchNorm normalises with in training divides by n."),
            Mistake(lambda batch: [mean(batch), math.sqrt(variance(batch))],
                    "That second number is the standard deviation. The variance is its square."),
        ),
        hint="The variance BatchNorm uses is the mean of the squared deviations from the mean: divide by "
        "\\( n = 4 \\), not \\( n - 1 \\).",
        solution="\\[ \\mu = \\tfrac{1}{4}\\sum_i x_i = $mean, \\qquad "
        "\\sigma^2 = \\tfrac{1}{4}\\sum_i (x_i - \\mu)^2 = $variance. \\]\n\n"
        "Normalising divides by \\( n \\); the running variance, used in eval mode, is updated with the "
        "unbiased estimate, \\( \\tfrac{1}{3}\\sum_i (x_i - \\mu)^2 = $unbiased \\), as PyTorch does. The "
        "lecture's own code writes `x.var(0)`, which divides by \\( n - 1 \\) in training too; with 32 "
        "examples the two differ by 3 %, with 4 by a third.",
        derived=lambda batch: dict(mean=mean(batch), variance=f"{variance(batch):.3g}",
                                   unbiased=f"{variance(batch, ddof=1):.3g}"),
    ),
    Exercise(
        id="spot-the-bug",
        title="Spot the bugs",
        objective=5,
        section="batchnorm-details.md#variance",
        statement="Each snippet below is meant to do what the lesson does (and what `torch.nn` does). Which need a "
        "fix, because they compute something other than intended or hold a parameter that can never learn? "
        "List every one.",
        inputs={},
        expected=snippets_that_need_a_fix,
        kind=CHOICES,
        options={label: f"{what} `{code}`" for label, (what, code, _) in BUG_SNIPPETS.items()},
        mistakes=(
            Mistake(lambda: {"a", "b", "d"},
                    "One more holds a parameter that can never learn: look for something BatchNorm undoes."),
            Mistake(lambda: {"a", "c", "d"},
                    "One more computes something slightly different from torch.nn.BatchNorm1d: check what "
                    "each variance divides by."),
            Mistake(lambda: {"b", "c", "d"},
                    "One more divides its weights by a different fan from the one its stated rule uses."),
            Mistake(lambda: {"a", "b", "c"},
                    "One more gives predictions that depend on which examples are evaluated together."),
        ),
        hint="Four things to check: whether each initialisation divides by the fan its stated rule names; which "
        "\\( n \\) a variance divides by (`var` divides by \\( n - 1 \\) unless told `unbiased=False`); whether a "
        "parameter's effect survives BatchNorm's subtraction of the mean; and the mode a BatchNorm is in when it "
        "evaluates.",
        solution="Needing a fix: **$answer**. The tanh layer is meant to follow the lesson's rule, "
        "\\( \\text{gain}/\\sqrt{\\text{fan\\_in}} \\), but divides by \\( \\sqrt{200} \\), its fan_out, "
        "instead of \\( \\sqrt{30} \\): scaling by fan_out is "
        "[a choice of its own](initialisation-details.md#fan-in-or-fan-out) (PyTorch's `mode='fan_out'`), but "
        "not the rule this snippet says it follows. `x.var(0)` divides by \\( n - 1 \\), but BatchNorm "
        "normalises with the biased variance (`x.var(0, unbiased=False)`); \\( n - 1 \\) belongs in the "
        "running variance. `b1` before a BatchNorm is subtracted away with the mean: its gradient is 0; leave "
        "it out. And a model fresh from training is still in training mode, so its BatchNorm normalises the validation "
        "set with that set's own statistics and updates the running estimates with it: call "
        "`model.eval()` first. The output layer scaled by 0.01 with a zero bias is the lesson's fix for a "
        "confident start, and \\( \\sqrt{2}/\\sqrt{100} \\) is Kaiming's rule for ReLU: both as intended.",
    ),
    Exercise(
        id="batchnorm-rescaling",
        title="What BatchNorm ignores",
        objective=5,
        section="batchnorm-details.md#dead-bias",
        statement="A linear layer \\( z = x W + b \\) feeds a BatchNorm in training mode (take \\( \\varepsilon \\) "
        "as negligible). On a batch, one of the BatchNorm's outputs is \\( y = $output \\), and the loss's "
        "gradient with respect to the weight \\( W_{11} \\) is $weight_grad. Now multiply every entry of "
        "\\( W \\) by $scale, add $shift to every entry of \\( b \\), and run the same batch again. Give "
        "[the new \\( y \\), the new gradient with respect to \\( W_{11} \\), the gradient with respect to "
        "\\( b_1 \\)].",
        inputs=dict(output=1.2, weight_grad=0.6, scale=4.0, shift=3.0),
        expected=after_rescaling,
        kind=NUMBERS,
        precision=decimals(2),
        mistakes=(
            Mistake(lambda output, weight_grad, scale, shift: [output * scale + shift, weight_grad, 0.0],
                    "BatchNorm divides by the batch's own std, which grows with W by the same factor, and "
                    "subtracts the batch's mean, which moves with b: the output does not change."),
            Mistake(lambda output, weight_grad, scale, shift: [output, weight_grad, 0.0],
                    "The output is unchanged, but W's gradient is not: the same change of the output now "
                    "takes a change of W that many times larger."),
            Mistake(lambda output, weight_grad, scale, shift: [output, weight_grad * scale, 0.0],
                    "Your gradient goes the wrong way. Larger weights make the same output: each unit of "
                    "change in W now moves the output less, so the gradient shrinks."),
        ),
        hint="Write the BatchNorm output with \\( cW \\) and \\( b + d \\) in place of \\( W \\) and \\( b \\): "
        "the mean of \\( z \\) moves with both, the std is multiplied by \\( c \\). Then ask how much the output "
        "changes when one entry of \\( cW \\) changes a little.",
        solution="Write \\( c = $scale \\) and \\( d = $shift \\), and let \\( \\mu \\) and \\( \\sigma \\) be the "
        "batch mean and std of one unit's \\( xW \\). Then \\( z = xW + b \\) has mean \\( \\mu + b \\) and std "
        "\\( \\sigma \\), and \\( z' = x(cW) + (b + d) \\) has mean \\( c\\mu + b + d \\) and std \\( c\\sigma \\), "
        "so BatchNorm normalises both to the same values:\n\n"
        "\\[ \\frac{z' - (c\\mu + b + d)}{c\\sigma} = \\frac{xW - \\mu}{\\sigma} "
        "= \\frac{z - (\\mu + b)}{\\sigma}. \\]\n\n"
        "The output is unchanged, $output. Since the loss is the same at \\( cW \\) as at \\( W \\), whatever "
        "\\( W \\) is, a small step \\( \\delta \\) away from \\( cW \\) does what a step \\( \\delta/c \\) "
        "away from \\( W \\) did: the gradient is divided by \\( c \\), $new_grad. And a constant added before "
        "the mean is subtracted cannot change anything: \\( b \\)'s gradient is 0. So \\( ($answer) \\): a bias before "
        "BatchNorm is dead weight, and with BatchNorm, larger weights learn more slowly, their gradients "
        "\\( c \\) times smaller while they are \\( c \\) times larger.",
        derived=lambda output, weight_grad, scale, shift: dict(new_grad=f"{weight_grad / scale:g}"),
    ),
    Exercise(
        id="fold-batchnorm",
        title="Folding BatchNorm into the layer before it",
        objective=5,
        section="batchnorm-details.md#folding",
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
        id="update-ratio",
        title="From a ratio to an action",
        objective=3,
        section="deeper-network.md#update-ratio",
        statement="Midway through training with learning rate $learning_rate, the hidden layers' weight matrices "
        "typically have values with standard deviation $weight_std, and gradients with standard deviation $grad_std. "
        "Compute the update:data ratio, \\( \\log_{10} \\) of the update's std over the weights' std. What "
        "does it say, and what should you do?",
        inputs=dict(learning_rate=0.1, grad_std=0.0008, weight_std=0.8),
        expected=lambda **given: update_ratio_verdict(log10_update_ratio(**given)),
        kind=CHOICE,
        options=UPDATE_RATIO_OPTIONS,
        mistakes=(
            Mistake(lambda learning_rate, grad_std, weight_std: update_ratio_verdict(math.log10(grad_std / weight_std)),
                    "That is the gradient's std over the weights': the grad:data ratio. A step moves the weights "
                    "by the learning rate times the gradient."),
            Mistake(lambda learning_rate, grad_std, weight_std: update_ratio_verdict(
                        math.log10(weight_std / (learning_rate * grad_std))),
                    "You divided the weights' std by the update's. The ratio is the update over the weights: "
                    "its log10 is negative."),
        ),
        hint="The update is \\( \\text{lr} \\times \\text{grad} \\), so its std is lr × std(grad). Divide by the "
        "weights' std, take \\( \\log_{10} \\), and compare with the rule of thumb, about −3.",
        solution="\\[ \\log_{10}\\left(\\frac{$learning_rate \\times $grad_std}{$weight_std}\\right) = "
        "\\log_{10} $ratio = $log_ratio. \\]\n\n"
        "So the answer is (**$answer**): each step changes these weights by about a ten-thousandth of their "
        "size, ten times less than the rule of thumb. Keep the two ratios apart: the gradient's std over the "
        "weights', the grad:data ratio, is \\( \\log_{10}\\left($grad_std/$weight_std\\right) = $grad_data \\) "
        "here, but the rule of thumb of about −3 is for update:data, the step with the learning rate "
        "included, and that is what says how fast the weights move.",
        derived=lambda learning_rate, grad_std, weight_std: dict(
            ratio=learning_rate * grad_std / weight_std,
            log_ratio=f"{log10_update_ratio(learning_rate, grad_std, weight_std):.1f}",
            grad_data=f"{math.log10(grad_std / weight_std):.0f}",
        ),
    ),
)

BY_ID = {exercise.id: exercise for exercise in EXERCISES}
