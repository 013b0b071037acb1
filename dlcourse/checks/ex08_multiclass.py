"""Visible checks of exercise 08_multiclass (softmax classification, weight decay, early stopping).

Each ``check_<function>(func)`` calls only the student's ``func`` on small inputs whose answers
follow from closed forms. The module also holds the references the hidden tests compare with:
a log-softmax through ``np.logaddexp.reduce`` (:func:`reference_log_softmax`), and the course's
own L2 penalty, its gradient and the early-stopping rule (:func:`l2_penalty`,
:func:`l2_penalty_grad`, :func:`should_stop`; the package has no module for them yet). Only the
checks are star-exported, so the setup cell of the notebook never binds a student's name.

Tolerances (stated in the notebook): values agree within ``rtol=1e-5, atol=1e-7``, loose enough
for float32 arithmetic and for every BLAS kernel, tight enough for every mistake below. A loss
computed from large logits carries float32's rounding of the logits themselves (``m + log sum
exp(z - m) - z_y`` in float32 is off by about 1e-7 times the largest logit), so its absolute
tolerance grows with them: :func:`loss_atol`.
"""

from __future__ import annotations

import numpy as np

from dlcourse.testing import (
    assert_close,
    assert_gradient_close,
    assert_no_warnings,
    assert_own_implementation,
    assert_shape,
    call_in_place,
    reference_numerical_gradient,
    same_values,
)

__all__ = [
    "check_one_hot",
    "check_softmax",
    "check_softmax_cross_entropy",
    "check_softmax_cross_entropy_grad",
    "check_l2_penalty",
    "check_l2_penalty_grad",
    "check_should_stop",
    "CHECKS",
]

#: Tolerances of every comparison of this exercise (float32 answers pass, mistakes do not).
RTOL, ATOL = 1e-5, 1e-7
#: Absolute tolerance of a loss per unit of the largest |logit| (float32 keeps ~7 digits of it).
LOGIT_ATOL = 1e-6


def loss_atol(Z) -> float:
    """Absolute tolerance for a loss computed from the logits ``Z``: :data:`ATOL`, or
    :data:`LOGIT_ATOL` times the largest ``|Z|`` when that is larger.

    ``softmax_cross_entropy([1], [[1000, 998]])`` is 2.127; written as the notebook writes it
    (``m + log sum exp(z - m) - z_y``) in float32 it comes out 2.5e-5 off (1000.127 - 998 in
    float32), which a relative tolerance of 1e-5 alone rejects.

    >>> loss_atol([[1000.0, 998.0]])
    0.001
    """
    return max(ATOL, LOGIT_ATOL * float(np.max(np.abs(np.asarray(Z, dtype=float)), initial=0.0)))


# --------------------------------------------------------------------------- references


def reference_log_softmax(Z):
    """Row-wise log-softmax ``Z - logsumexp(Z)``; finite for every finite ``Z``.

    Parameters
    ----------
    Z : array_like of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    Z = np.asarray(Z, dtype=float)
    return Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)


def reference_softmax_cross_entropy(y, Z):
    """Mean of ``-log softmax(Z_i)[y_i]`` over the rows (a float)."""
    labels = np.asarray(y, dtype=int)
    log_p = reference_log_softmax(Z)
    return float(-np.mean(log_p[np.arange(labels.size), labels]))


def reference_softmax_cross_entropy_grad(y, Z):
    """``(softmax(Z) - one_hot(y)) / n_samples``, shape of ``Z``."""
    labels = np.asarray(y, dtype=int)
    P = np.exp(reference_log_softmax(Z))
    P[np.arange(labels.size), labels] -= 1.0
    return P / labels.size


def l2_penalty(params, weight_decay):
    """Weight decay ``weight_decay / 2 * sum of W**2`` over the weight matrices (not the biases).

    Parameters
    ----------
    params : list of (W, b)
        ``W`` of shape ``(n_in, n_out)``, ``b`` of shape ``(n_out,)``.
    weight_decay : float
        The coefficient (often called lambda).

    Returns
    -------
    float

    Examples
    --------
    >>> l2_penalty([(np.array([[1.0, 2.0]]), np.array([5.0, 5.0]))], 0.1)
    0.25
    """
    return float(weight_decay / 2 * sum(np.sum(np.square(np.asarray(W, dtype=float)))
                                        for W, _ in params))


def l2_penalty_grad(params, weight_decay):
    """Gradient of :func:`l2_penalty`: ``[(weight_decay * W, zeros like b), ...]``."""
    return [(weight_decay * np.asarray(W, dtype=float), np.zeros(np.shape(b)))
            for W, b in params]


def should_stop(val_losses, patience):
    """Early stopping: True once the best validation loss lies ``patience`` epochs back.

    The best epoch is the first one with the lowest loss (an equal loss later is no
    improvement); stop when ``len(val_losses) - 1 - best_epoch >= patience``.

    Parameters
    ----------
    val_losses : sequence of float
        One validation loss per epoch so far, the oldest first.
    patience : int
        How many epochs without improvement to wait (>= 1).

    Returns
    -------
    bool

    Examples
    --------
    >>> should_stop([1.0, 0.8, 0.9, 0.85], patience=2), should_stop([1.0, 0.8, 0.9], patience=2)
    (True, False)
    """
    losses = np.asarray(val_losses, dtype=float)
    if losses.size == 0:
        return False
    best_epoch = int(np.argmin(losses))  # argmin returns the first of equal minima
    return bool(losses.size - 1 - best_epoch >= patience)


# --------------------------------------------------------------------------- helpers


def _unchanged(func, name, *args):
    """Call ``func`` on copies of ``args``; fail if it changed them in place."""
    copies = [np.array(a, dtype=float) if isinstance(a, np.ndarray) else a for a in args]
    before = [np.array(a, dtype=float, copy=True) for a in copies]
    result = call_in_place(func, *copies)
    for argument, original in zip(copies, before, strict=True):
        if not same_values(argument, original):
            raise AssertionError(
                f"{name} changed its argument in place: work on a new array (Z - m, not Z -= m) "
                "so the caller's logits stay as they were")
    return result


def _number(value, name):
    """The student's loss as a float (a Python float, numpy scalar or 0-d array is fine)."""
    if value is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    array = np.asarray(value, dtype=float)
    if array.ndim != 0:
        raise AssertionError(
            f"{name} should be a single number, got an array of shape {array.shape}: the loss "
            "is the mean over the samples (and, with y[i] picking one entry per row, no (n, n) "
            "matrix should appear: index with Z[np.arange(n), y], not Z[:, y])")
    return float(array)


def _ratio_hint(value, expected, n_samples, what):
    """Explain the usual loss mistakes from the ratio of ``value`` to ``expected``."""
    if expected and np.isclose(value, n_samples * expected, rtol=1e-4):
        return (f"it is n_samples = {n_samples} times too large: did you sum over the samples "
                "instead of taking the mean?")
    if expected and np.isclose(value, -expected, rtol=1e-4):
        return "it has the wrong sign: the loss is -log p of the true class, so it is >= 0"
    return what


def _pairs(result, params, name):
    """Check that ``result`` is a list of (dW, db) pairs shaped like ``params``."""
    if result is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    if not isinstance(result, (list, tuple)):
        raise AssertionError(f"{name} should be a list of (dW, db) pairs, one per layer, got "
                             f"{type(result).__name__}")
    if len(result) != len(params):
        raise AssertionError(f"{name} has {len(result)} entries, expected one (dW, db) pair per "
                             f"layer, i.e. {len(params)}")
    for layer, (pair, (W, b)) in enumerate(zip(result, params, strict=True), start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise AssertionError(f"{name}[{layer - 1}] should be a pair (dW{layer}, db{layer})")
        assert_shape(pair[0], np.shape(W), f"dW{layer}")
        assert_shape(pair[1], np.shape(b), f"db{layer}")
    return result


# --------------------------------------------------------------------------- checks


def check_one_hot(one_hot):
    """one_hot([2, 0, 1, 2], 3), a class that never occurs, labels as a list or an array."""
    assert_own_implementation(one_hot, "one_hot")
    expected = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    y = np.array([2, 0, 1, 2])
    Y = call_in_place(one_hot, y, 3)
    if not same_values(y, [2, 0, 1, 2]):
        raise AssertionError("one_hot changed the labels y in place: leave its argument alone")
    assert_shape(Y, (4, 3), "one_hot([2, 0, 1, 2], 3)")
    Y = np.asarray(Y, dtype=float)
    if same_values(Y, [[0, 0, 1], [0, 0, 0], [1, 0, 0], [0, 0, 1]]) or same_values(
            Y, [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]):
        raise AssertionError(
            "one_hot([2, 0, 1, 2], 3) puts the 1s one column off: the labels start at 0, so "
            "label k goes to column k (Y[i, y[i]] = 1), not column k - 1")
    assert_close(Y, expected, "one_hot([2, 0, 1, 2], 3)", rtol=0, atol=0,
                 hint="row i has a single 1, in column y[i] (Y[np.arange(n), y] = 1)")
    Y = one_hot([1, 1], 4)
    assert_shape(Y, (2, 4), "one_hot([1, 1], 4)")
    assert_close(Y, [[0, 1, 0, 0], [0, 1, 0, 0]], "one_hot([1, 1], 4)", rtol=0, atol=0,
                 hint="use n_classes for the number of columns, not the labels seen (y.max() + 1)")


def check_softmax(softmax):
    """Rows that sum to 1, the closed form on a small batch, and logits like 1000."""
    assert_own_implementation(softmax, "softmax")
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    P = _unchanged(softmax, "softmax", Z)
    assert_shape(P, (2, 3), "softmax of a (2, 3) batch")
    P = np.asarray(P, dtype=float)
    if np.all(np.isfinite(P)) and np.allclose(P.sum(axis=0), 1.0) and not np.allclose(
            P.sum(axis=1), 1.0):
        raise AssertionError(
            "the columns of softmax([[1, 2, 3], [0, 0, 0]]) sum to 1 instead of the rows: "
            "normalise over axis=1 (one row per sample, keepdims=True)")
    e = np.exp([1.0, 2.0, 3.0])
    assert_close(P, [e / e.sum(), [1 / 3, 1 / 3, 1 / 3]], "softmax([[1, 2, 3], [0, 0, 0]])",
                 rtol=RTOL, atol=ATOL, hint="softmax(Z)[i, j] = exp(Z[i, j]) / sum_k exp(Z[i, k])")
    big = np.array([[1000.0, 999.0]])
    P = np.asarray(softmax(big.copy()), dtype=float)
    if not np.all(np.isfinite(P)):
        raise AssertionError(
            "softmax([[1000, 999]]) gives nan: exp(1000) overflows to inf and inf / inf is nan. "
            "Subtract each row's maximum first: softmax(z) = softmax(z - max(z))")
    q = 1 / (1 + np.exp(-1.0))
    assert_close(P, [[q, 1 - q]], "softmax([[1000, 999]])", rtol=RTOL, atol=ATOL,
                 hint="subtract each row's maximum before np.exp")
    P = np.asarray(softmax(np.array([[1000.0, 1000.0], [-1000.0, 0.0]])), dtype=float)
    if not np.all(np.isfinite(P)):
        raise AssertionError(
            "softmax([[1000, 1000], [-1000, 0]]) gives nan in a row: subtract each row's own "
            "maximum (Z.max(axis=1, keepdims=True)), not the maximum of the whole array")
    assert_close(P, [[0.5, 0.5], [0.0, 1.0]], "softmax([[1000, 1000], [-1000, 0]])",
                 rtol=RTOL, atol=ATOL, hint="subtract each row's own maximum")
    assert_no_warnings(softmax, np.array([[1000.0, 999.0], [-1000.0, 0.0]]),
                       name="softmax([[1000, 999], [-1000, 0]])",
                       hint="subtract each row's maximum before np.exp")


def check_softmax_cross_entropy(softmax_cross_entropy):
    """log 3 for equal logits, a small batch, mean not sum, logits 1000 and -1000."""
    assert_own_implementation(softmax_cross_entropy, "softmax_cross_entropy")
    value = _number(softmax_cross_entropy(np.array([0, 2]), np.zeros((2, 3))),
                    "softmax_cross_entropy([0, 2], zeros((2, 3)))")
    expected = np.log(3.0)
    assert_close(value, expected, "softmax_cross_entropy([0, 2], zeros((2, 3)))",
                 rtol=RTOL, atol=ATOL,
                 hint=_ratio_hint(value, expected, 2, "equal logits give p = 1/3 for every class, "
                                  "so the loss is -log(1/3) = log 3"))
    y = np.array([2, 0, 1])
    Z = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0], [0.5, 0.5, -1.0]])
    value = _number(_unchanged(lambda Z_: call_in_place(softmax_cross_entropy, y.copy(), Z_),
                               "softmax_cross_entropy", Z), "softmax_cross_entropy(y, Z)")
    # -log softmax(z)[k] = log(sum_j exp(z_j - z_k))
    expected = float(np.mean([np.log(np.exp(-2.0) + np.exp(-1.0) + 1.0),
                              np.log(1.0 + np.exp(-2.0) + np.exp(-3.0)),
                              np.log(2.0 + np.exp(-1.5))]))
    assert_close(value, expected, "softmax_cross_entropy([2, 0, 1], Z) for a (3, 3) Z",
                 rtol=RTOL, atol=ATOL,
                 hint=_ratio_hint(value, expected, 3,
                                  "the loss of sample i is -log softmax(Z)[i, y[i]]: pick one "
                                  "entry per row with Z[np.arange(n), y], then average"))
    value = _number(softmax_cross_entropy(np.array([1]), np.array([[1000.0, 998.0]])),
                    "softmax_cross_entropy([1], [[1000, 998]])")
    if not np.isfinite(value):
        raise AssertionError(
            f"softmax_cross_entropy([1], [[1000, 998]]) is {value}: exp(1000) overflows. "
            "Subtract each row's maximum m: log sum_j exp(z_j) = m + log sum_j exp(z_j - m)")
    assert_close(value, 2.0 + np.log1p(np.exp(-2.0)), "softmax_cross_entropy([1], [[1000, 998]])",
                 rtol=RTOL, atol=loss_atol([[1000.0, 998.0]]),
                 hint="compute it from the logits: m + log sum_j exp(z_j - m) - z_y, with m the "
                      "row maximum (float32 is fine; the tolerance grows with the logits)")
    value = _number(softmax_cross_entropy(np.array([0, 1]), np.array([[0.0, 0.0], [0.0, -1000.0]])),
                    "softmax_cross_entropy([0, 1], [[0, 0], [0, -1000]])")
    expected = (np.log(2.0) + 1000.0) / 2
    if not np.isfinite(value) or not np.isclose(value, expected, rtol=RTOL,
                                                 atol=loss_atol([[0.0, -1000.0]])):
        raise AssertionError(
            f"softmax_cross_entropy([0, 1], [[0, 0], [0, -1000]]) is {value:.6g}, expected "
            f"{expected:.6g}: the true class of sample 2 has probability exp(-1000), which is 0 "
            "in floating point, so log(softmax) gives -inf (or a clipped, wrong number). Compute "
            "the log-probability from the logits: log softmax(z)_k = z_k - m - log sum_j "
            "exp(z_j - m), with m the row maximum")
    assert_no_warnings(softmax_cross_entropy, np.array([1, 0]),
                       np.array([[1000.0, 0.0], [-1000.0, 999.0]]),
                       name="softmax_cross_entropy([1, 0], [[1000, 0], [-1000, 999]])",
                       hint="compute the loss from the logits with the row maximum subtracted")


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad):
    """(softmax(Z) - one_hot(y)) / n on equal logits, central differences, logits 1000."""
    assert_own_implementation(softmax_cross_entropy_grad, "softmax_cross_entropy_grad")
    G = softmax_cross_entropy_grad(np.array([0, 2]), np.zeros((2, 3)))
    assert_shape(G, (2, 3), "softmax_cross_entropy_grad([0, 2], zeros((2, 3)))")
    expected = np.array([[-2 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, -2 / 3]]) / 2
    G = np.asarray(G, dtype=float)
    if np.allclose(G, 2 * expected, rtol=RTOL):
        hint = ("it is n_samples = 2 times too large: the loss is a mean over the samples, so "
                "divide softmax(Z) - Y by n_samples")
    elif np.allclose(G, -expected, rtol=RTOL):
        hint = "it has the wrong sign: dL/dZ = (softmax(Z) - Y) / n, not (Y - softmax(Z)) / n"
    else:
        hint = "dL/dZ = (softmax(Z) - Y) / n_samples with Y the one-hot labels"
    assert_close(G, expected, "softmax_cross_entropy_grad([0, 2], zeros((2, 3)))",
                 rtol=RTOL, atol=ATOL, hint=hint)
    y = np.array([2, 0, 1, 1])
    Z = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0], [0.5, 0.5, -1.0], [-2.0, 1.5, 0.0]])
    G = _unchanged(lambda Z_: call_in_place(softmax_cross_entropy_grad, y.copy(), Z_),
                   "softmax_cross_entropy_grad", Z)
    numeric = reference_numerical_gradient(lambda M: reference_softmax_cross_entropy(y, M),
                                           Z.copy())
    assert_gradient_close(G, numeric, "softmax_cross_entropy_grad([2, 0, 1, 1], Z)",
                          hint="dL/dZ = (softmax(Z) - Y) / n_samples, with the softmax taken "
                          "over each row (axis=1)")
    G = np.asarray(softmax_cross_entropy_grad(np.array([1]), np.array([[1000.0, 0.0]])),
                   dtype=float)
    if not np.all(np.isfinite(G)):
        raise AssertionError(
            "softmax_cross_entropy_grad([1], [[1000, 0]]) gives nan: exp(1000) overflows. "
            "Subtract each row's maximum before np.exp")
    assert_close(G, [[1.0, -1.0]], "softmax_cross_entropy_grad([1], [[1000, 0]])",
                 rtol=RTOL, atol=ATOL, hint="subtract each row's maximum before np.exp")


_PARAMS = [
    (np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([3.0, 4.0])),
    (np.array([[2.0], [1.0]]), np.array([5.0])),
]


def _copies(params):
    return [(W.copy(), b.copy()) for W, b in params]


def _params_unchanged(params, name):
    for (W, b), (W0, b0) in zip(params, _PARAMS, strict=True):
        if not (same_values(W, W0) and same_values(b, b0)):
            raise AssertionError(f"{name} changed params in place: leave the weights alone")


def check_l2_penalty(l2_penalty):
    """weight_decay / 2 times the squared weights of a 2-2-1 network, biases left out."""
    assert_own_implementation(l2_penalty, "l2_penalty")
    params = _copies(_PARAMS)
    value = _number(call_in_place(l2_penalty, params, 0.1), "l2_penalty(params, 0.1)")
    _params_unchanged(params, "l2_penalty")
    # squared weights: 1 + 4 + 0 + 1 (W1) + 4 + 1 (W2) = 11; squared biases: 9 + 16 + 25 = 50
    hints = {
        0.05 * 61: "it includes the biases: weight decay penalises the weight matrices W only, "
                   "not the biases b",
        0.1 * 11: "it is twice too large: the penalty is weight_decay / 2 * sum of W**2 "
                  "(the 1/2 makes its gradient weight_decay * W)",
        0.1 * 61: "it includes the biases and forgets the 1/2: weight_decay / 2 * sum of W**2 "
                  "over the weight matrices only",
        0.05 * (6 / 4 + 5 / 2): "it averages the squared weights: the penalty is a sum of W**2",
    }
    hint = next((h for v, h in hints.items() if np.isclose(value, v, rtol=RTOL)),
                "weight_decay / 2 times the sum of the squares of every weight matrix W")
    assert_close(value, 0.55, "l2_penalty(params, 0.1) for a 2-2-1 network", rtol=RTOL,
                 atol=ATOL, hint=hint)
    value = _number(l2_penalty(_copies(_PARAMS[:1]), 2.0), "l2_penalty(params, 2.0)")
    assert_close(value, 6.0, "l2_penalty([(W1, b1)], 2.0) with one layer", rtol=RTOL, atol=ATOL,
                 hint="weight_decay / 2 times the sum of the squares of every W")
    value = _number(l2_penalty(_copies(_PARAMS), 0.0), "l2_penalty(params, 0.0)")
    assert_close(value, 0.0, "l2_penalty(params, 0.0)", rtol=RTOL, atol=ATOL,
                 hint="no weight decay means no penalty")


def check_l2_penalty_grad(l2_penalty_grad):
    """weight_decay * W for every W, zeros for every b, consistent with the penalty."""
    assert_own_implementation(l2_penalty_grad, "l2_penalty_grad")
    params = _copies(_PARAMS)
    grads = _pairs(call_in_place(l2_penalty_grad, params, 0.1), _PARAMS,
                   "l2_penalty_grad(params, 0.1)")
    _params_unchanged(params, "l2_penalty_grad")
    for layer, ((dW, db), (W, b)) in enumerate(zip(grads, _PARAMS, strict=True), start=1):
        dW = np.asarray(dW, dtype=float)
        if np.allclose(dW, 0.2 * W, rtol=RTOL):
            hint = ("it is twice too large: the derivative of weight_decay / 2 * W**2 is "
                    "weight_decay * W (the 2 cancels the 1/2)")
        elif np.allclose(dW, 0.05 * W, rtol=RTOL):
            hint = ("it is half the size: the derivative of weight_decay / 2 * W**2 is "
                    "weight_decay * W")
        else:
            hint = "the gradient of weight_decay / 2 * sum of W**2 is weight_decay * W"
        assert_close(dW, 0.1 * W, f"dW{layer} of l2_penalty_grad(params, 0.1)", rtol=RTOL,
                     atol=ATOL, hint=hint)
        assert_close(db, np.zeros_like(b), f"db{layer} of l2_penalty_grad(params, 0.1)",
                     rtol=RTOL, atol=ATOL,
                     hint="the penalty does not contain the biases, so its gradient for every b "
                     "is zero (np.zeros_like(b))")
    grads = _pairs(l2_penalty_grad(_copies(_PARAMS), 3.0), _PARAMS, "l2_penalty_grad(params, 3.0)")
    for layer, ((dW, _), (W, _)) in enumerate(zip(grads, _PARAMS, strict=True), start=1):
        numeric = reference_numerical_gradient(lambda M: 1.5 * float(np.sum(M ** 2)), W.copy())
        assert_gradient_close(dW, numeric, f"dW{layer} of l2_penalty_grad(params, 3.0)",
                              hint="use the weight_decay argument: dW = weight_decay * W")


def _stop(should_stop, losses, patience):
    """Call the student's should_stop on a copy; check the answer is a bool and the list intact."""
    given = np.array(losses, dtype=float) if isinstance(losses, np.ndarray) else list(losses)
    result = call_in_place(should_stop, given, patience)
    if list(given) != list(losses):
        raise AssertionError("should_stop changed val_losses in place (e.g. with .sort() or "
                             ".pop()): the training loop still needs that list")
    if isinstance(result, np.ndarray) and result.shape == ():
        result = result[()]
    if not isinstance(result, (bool, np.bool_)):
        raise AssertionError(f"should_stop({given}, patience={patience}) returned "
                             f"{result!r}: return True or False")
    return bool(result)


def check_should_stop(should_stop):
    """Patience counted from the best epoch, ties are no improvement, short histories."""
    assert_own_implementation(should_stop, "should_stop")
    cases = [
        ([], 1, False, "no epoch yet: never stop before training started"),
        ([0.5], 1, False, "one epoch: it is the best so far, so 0 epochs without improvement"),
        ([1.0, 0.8, 0.9], 2, False,
         "the best loss (0.8, epoch 1) is only 1 epoch back, less than patience = 2. Count the "
         "epochs after the best one: len(val_losses) - 1 - best_epoch"),
        ([1.0, 0.8, 0.9, 0.95], 2, True,
         "the best loss (0.8, epoch 1) is 2 epochs back and patience = 2: stop as soon as the "
         "epochs without improvement reach patience (>=, not >)"),
        ([1.0, 0.8, 0.9, 0.95], 3, False,
         "only 2 epochs without improvement, patience = 3: keep training"),
        ([1.0, 0.8, 0.8, 0.8], 2, True,
         "an equal loss is no improvement: the best epoch is the first with the lowest loss "
         "(epoch 1), so 2 epochs passed without improvement"),
        ([1.0, 0.8, 0.9, 0.85, 0.95, 0.93], 3, True,
         "the best loss (0.8, epoch 1) is 4 epochs back: count epochs since the best loss so "
         "far, not epochs in a row that were worse than the epoch before"),
        ([0.9, 0.7, 0.6, 0.65, 0.55, 0.56], 2, False,
         "epoch 4 (0.55) improved on the best: only 1 epoch without improvement since then"),
    ]
    for losses, patience, expected, why in cases:
        got = _stop(should_stop, losses, patience)
        if got != expected:
            raise AssertionError(f"should_stop({losses}, patience={patience}) returned {got}, "
                                 f"expected {expected}: {why}")
    got = _stop(should_stop, np.array([1.0, 0.8, 0.9, 0.95]), 2)
    if got is not True:
        raise AssertionError("should_stop(np.array([1.0, 0.8, 0.9, 0.95]), patience=2) returned "
                             f"{got}, expected True: val_losses may also be a numpy array")


CHECKS = {
    "one_hot": check_one_hot,
    "softmax": check_softmax,
    "softmax_cross_entropy": check_softmax_cross_entropy,
    "softmax_cross_entropy_grad": check_softmax_cross_entropy_grad,
    "l2_penalty": check_l2_penalty,
    "l2_penalty_grad": check_l2_penalty_grad,
    "should_stop": check_should_stop,
}
