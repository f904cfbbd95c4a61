"""The fast path's training steps, compiled: forward, hand-written backward and update, many steps per call.

For nets this small, a step through torch is mostly the fixed cost of each operation (about
thirty of them for the lecture's MLP, each a few microseconds), not arithmetic. So
`train_steps` runs whole stretches of training as one compiled loop (numba): the matrix
products go to BLAS, everything else is plain loops that the compiler vectorises and fuses.
Every array is a numpy view of the net's own tensors, so the net trains in place.

The backward pass is the one lecture 4 ("becoming a backprop ninja") derives, in its names.
engine.fastpath says which nets take this path; tests/test_fastpath.py holds it to
engine.train's loop, the reference.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

# One thread for BLAS: each net has a core to itself (engine.cores), and OpenBLAS would start a
# second thread for the deep nets' 32×100×100 products (measured: about 15% more CPU a step, and
# a core taken from the other net). SciPy's OpenBLAS, which numba calls, reads this when it loads:
# after this module is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402 — after the thread setting
from numba import njit  # noqa: E402
from numba.typed import List  # noqa: E402

F32 = np.float32
# Floating-point licence for the compiler: no NaN/inf special cases, fused multiply-adds, and
# reciprocals, but no reassociation (which would undo _tanh's careful range reduction).
# error_model="numpy": a division by zero gives inf rather than raising, as in torch; the check
# Python semantics would need stops the compiler vectorising any loop that divides.
_FLAGS = dict(fastmath={"nnan", "ninf", "nsz", "arcp", "contract", "afn"}, error_model="numpy", cache=True)

_LOG2E = F32(1.4426950408889634)
_LN2_HI, _LN2_LO = F32(0.693359375), F32(-2.12194440e-4)  # ln 2 in two parts, so that k·ln 2 is exact


@njit(inline="always", **_FLAGS)
def _tanh(x):
    """tanh to within 2e-7, in operations the compiler can vectorise (libm's tanh it cannot).

    tanh|x| = −expm1(−2|x|) / (2 + expm1(−2|x|)), with expm1(t) = 2⁻ᵏ·(expm1(r) + 1) − 1 for
    t = r − k·ln 2 and |r| ≤ ln 2 / 2, and expm1(r) by its Taylor series to r⁷. Past |x| = 9,
    tanh is 1 in float32.
    """
    a = min(abs(x), F32(9.0))
    k = np.int32(a * (F32(2.0) * _LOG2E) + F32(0.5))
    kf = F32(k)
    r = F32(-2.0) * a + kf * _LN2_HI + kf * _LN2_LO
    expm1_r = r * (F32(1.0) + r * (F32(1 / 2) + r * (F32(1 / 6) + r * (F32(1 / 24) + r * (F32(1 / 120) + r * (F32(1 / 720) + r * F32(1 / 5040)))))))
    scale = F32(1.0) / F32(np.int32(1) << k)
    expm1_t = scale * expm1_r + (scale - F32(1.0))
    magnitude = -expm1_t / (F32(2.0) + expm1_t)
    return np.copysign(magnitude, x)


@njit(inline="always", **_FLAGS)
def _embed(C, X, embcat):
    """embcat = C[X] flattened: each example's context characters' embeddings side by side."""
    n, block = X.shape
    n_embd = C.shape[1]
    for i in range(n):
        for p in range(block):
            row = X[i, p]
            for e in range(n_embd):
                embcat[i, p * n_embd + e] = C[row, e]


@njit(inline="always", **_FLAGS)
def _linear(x, W, b, out):
    """out = x @ W + b (b empty: no bias)."""
    np.dot(x, W, out)
    if b.size:
        n, fan_out = out.shape
        for i in range(n):
            for j in range(fan_out):
                out[i, j] += b[j]


@njit(**_FLAGS)
def train_steps(C, weights, biases, gains, shifts, running_means, running_vars, momenta, epses, tanh_after, Xs, Ys, lrs, losses,
                keep_outs, keep_grads):
    """SGD steps on the minibatches Xs (steps, n, block) and Ys (steps, n), in place; losses[s] is step s's loss before its update.

    The net is an embedding table C followed by blocks Linear → [BatchNorm1d] → [Tanh]: block l
    has weights[l] (fan_in, fan_out) and biases[l] (empty if it has none); gains[l], shifts[l],
    running_means[l] and running_vars[l] are its BatchNorm's gamma, beta and running estimates
    (empty if it has none), momenta[l] and epses[l] its momentum and eps; tanh_after[l] says
    whether a tanh follows. lrs[s] is step s's learning rate.

    For an observer of the last step (engine.fastpath), block l's output (after its tanh) goes
    into keep_outs[l] and its weights' gradient into keep_grads[l], where those are not empty.
    """
    steps, n, block = Xs.shape
    n_embd = C.shape[1]
    L = len(weights)
    fn = F32(n)
    # Workspace: each block's input x, its output out (the next block's input), BatchNorm's
    # normalised values (bnraw) and 1/std, and a gradient buffer per block input.
    xs = List()
    xs.append(np.empty((n, block * n_embd), F32))  # embcat
    bnraws = List()
    bnvar_invs = List()
    scratch = List()
    scratch2 = List()
    dxs = List()
    dWs = List()
    # OpenBLAS's g @ Wᵀ is slow for these shapes (32×100 by 100×100: 11.6 µs, against 6.4 for the
    # same product with Wᵀ stored as an array of its own). So where the layer is at least as wide
    # coming in as going out, the loop keeps Wᵀ, copied again after each update (3.3 µs).
    Wts = List()
    for l in range(L):
        fan_in, fan_out = weights[l].shape
        xs.append(np.empty((n, fan_out), F32))
        bnraws.append(np.empty((n, fan_out if gains[l].size else 0), F32))
        bnvar_invs.append(np.empty(fan_out, F32))
        scratch.append(np.empty(fan_out, F32))
        scratch2.append(np.empty(fan_out, F32))
        dxs.append(np.empty((n, fan_in), F32))
        dWs.append(np.empty((fan_in, fan_out), F32))
        Wts.append(np.ascontiguousarray(weights[l].T) if fan_in >= fan_out else np.empty((0, 0), F32))
    vocab = weights[L - 1].shape[1]
    dlogits = np.empty((n, vocab), F32)

    for s in range(steps):
        lr = lrs[s]
        # forward pass
        _embed(C, Xs[s], xs[0])
        for l in range(L):
            x, out, fan_out = xs[l], xs[l + 1], weights[l].shape[1]
            _linear(x, weights[l], biases[l], out)
            if gains[l].size:  # BatchNorm1d in training mode: the batch's mean and biased variance
                bnmean, bnvar, bnraw, bnvar_inv = scratch[l], scratch2[l], bnraws[l], bnvar_invs[l]
                gain, shift, running_mean, running_var = gains[l], shifts[l], running_means[l], running_vars[l]
                momentum, eps = momenta[l], epses[l]
                bnmean[:] = 0
                bnvar[:] = 0
                for i in range(n):
                    for j in range(fan_out):
                        bnmean[j] += out[i, j]
                for j in range(fan_out):
                    bnmean[j] /= fn
                for i in range(n):
                    for j in range(fan_out):
                        bndiff = out[i, j] - bnmean[j]
                        bnraw[i, j] = bndiff
                        bnvar[j] += bndiff * bndiff
                for j in range(fan_out):
                    var = bnvar[j] / fn
                    # the running estimates, as BatchNorm1d keeps them: lerp, the variance unbiased
                    running_mean[j] += momentum * (bnmean[j] - running_mean[j])
                    running_var[j] += momentum * (var * (fn / F32(n - 1)) - running_var[j])
                    bnvar_inv[j] = F32(1.0) / np.sqrt(var + eps)
                for i in range(n):
                    for j in range(fan_out):
                        bnraw[i, j] *= bnvar_inv[j]
                        out[i, j] = gain[j] * bnraw[i, j] + shift[j]
            if tanh_after[l]:
                for i in range(n):
                    for j in range(fan_out):
                        out[i, j] = _tanh(out[i, j])

        # cross-entropy, and its gradient at the logits: (softmax − one-hot at the target) / n
        logits = xs[L]
        total = F32(0.0)
        for i in range(n):
            biggest = logits[i, 0]
            for j in range(1, vocab):
                biggest = max(biggest, logits[i, j])
            norm = F32(0.0)
            for j in range(vocab):
                dlogits[i, j] = np.exp(logits[i, j] - biggest)
                norm += dlogits[i, j]
            target = Ys[s, i]
            total += logits[i, target] - biggest - np.log(norm)
            for j in range(vocab):
                dlogits[i, j] /= norm * fn
            dlogits[i, target] -= F32(1.0) / fn
        losses[s] = -total / fn

        # backward pass, last block first; each gradient goes into its update as soon as it is known
        grad = dlogits
        for l in range(L - 1, -1, -1):
            x, out, W = xs[l], xs[l + 1], weights[l]
            fan_in, fan_out = W.shape
            if tanh_after[l]:  # tanh' = 1 − tanh²
                for i in range(n):
                    for j in range(fan_out):
                        grad[i, j] *= F32(1.0) - out[i, j] * out[i, j]
            if gains[l].size:  # lecture 4's one-line BatchNorm backward, without its n/(n−1): the forward used the biased variance
                dbngain, dbnbias, bnraw, bnvar_inv, gain = scratch[l], scratch2[l], bnraws[l], bnvar_invs[l], gains[l]
                dbngain[:] = 0
                dbnbias[:] = 0
                for i in range(n):
                    for j in range(fan_out):
                        dbngain[j] += bnraw[i, j] * grad[i, j]
                        dbnbias[j] += grad[i, j]
                for i in range(n):
                    for j in range(fan_out):
                        grad[i, j] = gain[j] * bnvar_inv[j] / fn * (fn * grad[i, j] - dbnbias[j] - bnraw[i, j] * dbngain[j])
                for j in range(fan_out):
                    gain[j] -= lr * dbngain[j]
                    shifts[l][j] -= lr * dbnbias[j]
            dx, dW = dxs[l], dWs[l]
            Wt = Wts[l]
            if Wt.size:  # dx before W moves
                np.dot(grad, Wt, dx)
            else:
                np.dot(grad, W.T, dx)
            np.dot(x.T, grad, dW)
            for i in range(fan_in):
                for j in range(fan_out):
                    W[i, j] -= lr * dW[i, j]
            if Wt.size:
                for j in range(fan_out):
                    for i in range(fan_in):
                        Wt[j, i] = W[i, j]
            b = biases[l]
            if b.size:
                for j in range(fan_out):
                    db = F32(0.0)
                    for i in range(n):
                        db += grad[i, j]
                    b[j] -= lr * db
            grad = dx
        for i in range(n):  # each example's rows of C
            for p in range(block):
                row = Xs[s, i, p]
                for e in range(n_embd):
                    C[row, e] -= lr * grad[i, p * n_embd + e]
    for l in range(L):  # the backward pass reads the outputs and leaves them as the forward made them
        if keep_outs[l].size:
            keep_outs[l][:] = xs[l + 1]
        if keep_grads[l].size:
            keep_grads[l][:] = dWs[l]


@njit(**_FLAGS)
def split_loss_sum(C, weights, biases, gains, shifts, running_means, running_vars, epses, tanh_after, X, Y, chunk):
    """The summed cross-entropy of the net on inputs X (rows, block) and targets Y (rows,), in eval mode.

    The same net as `train_steps` takes, but BatchNorm normalises with its running estimates
    and nothing moves. `chunk` rows go through at a time, so that the activations stay in cache.
    """
    rows, block = X.shape
    n_embd = C.shape[1]
    L = len(weights)
    xs = List()
    xs.append(np.empty((chunk, block * n_embd), F32))
    inv_stds = List()  # BatchNorm's 1/sqrt(running_var + eps), fixed in eval mode
    for l in range(L):
        xs.append(np.empty((chunk, weights[l].shape[1]), F32))
        inv_stds.append(F32(1.0) / np.sqrt(running_vars[l] + epses[l]))
    total = 0.0  # in float64: a sum over 182,000 examples
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        _embed(C, X[start:start + n], xs[0][:n])
        for l in range(L):
            x, out, fan_out = xs[l][:n], xs[l + 1][:n], weights[l].shape[1]
            _linear(x, weights[l], biases[l], out)
            if gains[l].size:
                gain, shift, mean, inv_std = gains[l], shifts[l], running_means[l], inv_stds[l]
                for i in range(n):
                    for j in range(fan_out):
                        out[i, j] = gain[j] * (out[i, j] - mean[j]) * inv_std[j] + shift[j]
            if tanh_after[l]:
                for i in range(n):
                    for j in range(fan_out):
                        out[i, j] = _tanh(out[i, j])
        logits = xs[L][:n]
        vocab = logits.shape[1]
        for i in range(n):
            biggest = logits[i, 0]
            for j in range(1, vocab):
                biggest = max(biggest, logits[i, j])
            norm = F32(0.0)
            for j in range(vocab):
                norm += np.exp(logits[i, j] - biggest)
            total += np.log(norm) + biggest - logits[i, Y[start + i]]
    return total


# ----------------------------------------------------------------------------------------------
# compiling ahead


def warm_up(lock: Path) -> None:
    """Compile both functions, or load them from numba's cache, in this process.

    The first compile takes several seconds, and every script of a build wants the functions
    at about the same time; holding `lock` (a file) they take turns: the first compiles and
    saves, the others load what it saved. The net here is a stand-in made of the same array
    types as engine.fastpath's views of a real net, so no torch is needed: the site build
    starts this (`python -m engine.compiled`) while the lesson scripts are still importing.
    """
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # released when the file closes
        _one_step_and_one_evaluation()


def listed(arrays):
    """Arrays as a numba typed List, the form the compiled functions take a net's layers in."""
    typed = List()
    for array in arrays:
        typed.append(array)
    return typed


def _one_step_and_one_evaluation() -> None:
    """The lecture's MLP with BatchNorm, zeros throughout: one training step and one evaluation."""
    n, block, n_embd, hidden, vocab = 32, 3, 10, 200, 27
    empty = np.empty(0, F32)
    net = (
        np.zeros((vocab, n_embd), F32),
        listed([np.zeros((block * n_embd, hidden), F32), np.zeros((hidden, vocab), F32)]),
        listed([empty, np.zeros(vocab, F32)]),
        listed([np.ones(hidden, F32), empty]),
        listed([np.zeros(hidden, F32), empty]),
        listed([np.zeros(hidden, F32), empty]),
        listed([np.ones(hidden, F32), empty]),
    )
    momenta, epses, tanh_after = np.array([0.001, 0.0], F32), np.array([1e-5, 0.0], F32), np.array([True, False])
    X, Y = np.zeros((1, n, block), np.int64), np.zeros((1, n), np.int64)
    keep_nothing = listed([np.empty((0, 0), F32)] * 2)
    train_steps(*net, momenta, epses, tanh_after, X, Y, np.zeros(1, F32), np.empty(1, F32), keep_nothing, keep_nothing)
    split_loss_sum(*net, epses, tanh_after, X[0], Y[0], n)


if __name__ == "__main__":
    from engine.settings import CACHE_ROOT

    warm_up(CACHE_ROOT / "compile.lock")
