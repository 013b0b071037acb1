"""Visible checks of exercise 02, the artificial neuron (chapter *A neuron*).

Small hand-made inputs with known answers. Each check looks at one student
function only.
"""

import numpy as np

from dlcourse.testing import (
    assert_close,
    assert_finite,
    assert_no_silenced_warnings,
    assert_no_warnings,
    assert_own_implementation,
    assert_scalar,
    assert_shape,
)

__all__ = [
    "check_sigmoid",
    "check_neuron",
    "check_binary_cross_entropy",
    "check_fit_neuron",
    "CHECKS",
]


def check_sigmoid(sigmoid):
    """sigmoid(0) = 1/2, symmetric, shape-preserving, no overflow for large |t|."""
    assert_own_implementation(sigmoid)
    assert_no_silenced_warnings(sigmoid, "sigmoid")
    value = sigmoid(0.0)
    assert_shape(value, (), "sigmoid(0.0)")
    assert_close(value, 0.5, "sigmoid(0.0)", hint="sigmoid(t) = 1 / (1 + exp(-t))")
    t = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    expected = [0.11920292202211755, 0.2689414213699951, 0.5, 0.7310585786300049,
                0.8807970779778823]
    result = sigmoid(t)
    assert_shape(result, (5,), "sigmoid of an array of 5 values")
    assert_close(result, expected, "sigmoid([-2, -1, 0, 1, 2])", rtol=1e-9, atol=1e-12,
                 hint="sigmoid(t) = 1 / (1 + exp(-t)), applied elementwise")
    assert_shape(sigmoid(np.zeros((2, 3))), (2, 3), "sigmoid of a (2, 3) array")
    for big in (1000.0, -1000.0):
        out = assert_no_warnings(sigmoid, np.array([big]), name=f"sigmoid({big:g})",
                                 hint="use a numerically stable form (never exp of a large "
                                      "positive number)")
        assert_close(out, [1.0 if big > 0 else 0.0], f"sigmoid({big:g})", atol=1e-12)


def check_neuron(neuron):
    """p = sigmoid(X @ w + b), one probability per sample."""
    assert_own_implementation(neuron)
    X = np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 1.0]])
    w = np.array([1.0, -0.5])
    b = 0.5
    z = np.array([0.5, 0.5, -1.0])
    expected = 1.0 / (1.0 + np.exp(-z))
    p = neuron(X, w, b)
    assert_shape(p, (3,), "neuron(X, w, b) for 3 samples")
    if np.allclose(p, z):
        raise AssertionError("neuron returns X @ w + b: apply the sigmoid to it")
    if np.allclose(p, 1.0 / (1.0 + np.exp(-(X @ w)))):
        raise AssertionError("neuron ignores the bias b: compute sigmoid(X @ w + b)")
    assert_close(p, expected, "neuron(X, w, b)", hint="p = sigmoid(X @ w + b)")


def check_binary_cross_entropy(binary_cross_entropy):
    """Mean BCE; finite when a probability is exactly 0 or 1."""
    assert_own_implementation(binary_cross_entropy)
    y = np.array([1.0, 0.0])
    p = np.array([0.8, 0.2])
    value = assert_scalar(binary_cross_entropy(y, p), "binary_cross_entropy")
    expected = -np.log(0.8)
    if np.isclose(value, 2 * expected):
        raise AssertionError(f"binary_cross_entropy([1, 0], [0.8, 0.2]) is {value:.6g}, expected "
                             f"{expected:.6g}: did you sum instead of taking the mean?")
    if np.isclose(value, -expected):
        raise AssertionError("binary_cross_entropy is negative: the loss is "
                             "-mean(y log p + (1 - y) log(1 - p)), mind the minus sign")
    assert_close(value, expected, "binary_cross_entropy([1, 0], [0.8, 0.2])",
                 hint="L = -mean(y log p + (1 - y) log(1 - p))")
    half = assert_scalar(binary_cross_entropy([1, 1, 0], [0.5, 0.5, 0.5]), "binary_cross_entropy")
    assert_close(half, np.log(2), "binary_cross_entropy at p = 0.5")
    perfect = assert_no_warnings(binary_cross_entropy, np.array([1.0, 0.0]), np.array([1.0, 0.0]),
                                 name="binary_cross_entropy(y=[1, 0], p=[1, 0])",
                                 hint="clip p away from 0 and 1 (e.g. to [1e-12, 1 - 1e-12]) "
                                      "before taking the log")
    assert_close(assert_scalar(perfect, "binary_cross_entropy"), 0.0,
                 "binary_cross_entropy of a perfect prediction", atol=1e-6)
    wrong = assert_no_warnings(binary_cross_entropy, np.array([1.0]), np.array([0.0]),
                               name="binary_cross_entropy(y=[1], p=[0])",
                               hint="clip p away from 0 and 1 before taking the log")
    if not assert_scalar(wrong, "binary_cross_entropy(y=[1], p=[0])") > 10:
        raise AssertionError("binary_cross_entropy(y=[1], p=[0]) should be a large loss "
                             f"(a confident wrong answer), got {float(wrong):.3g}")


def _bce(y, p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _fit_reference(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        w = w - lr * X.T @ (p - y) / len(y)
        b = b - lr * np.mean(p - y)
    return w, b


def check_fit_neuron(fit_neuron):
    """Gradient descent on the mean BCE reaches (at least) the loss of the reference iterates."""
    assert_own_implementation(fit_neuron)
    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.0], [3.0, 1.0], [4.0, 3.5], [5.0, 2.0],
                  [1.5, 3.0], [3.5, 0.0]])
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    # the reference is computed first, and the student's function gets copies: whatever it
    # does to its X and y, the loss below is measured on the data it was asked to fit
    w_ref, b_ref = _fit_reference(X, y, 0.1, 300)
    reference = _bce(y, 1.0 / (1.0 + np.exp(-(X @ w_ref + b_ref))))
    result = fit_neuron(X.copy(), y.copy(), 0.1, 300)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError("fit_neuron should return a pair (w, b)")
    w, b = result
    assert_shape(w, (2,), "w")
    b = assert_scalar(b, "b")
    assert_finite(w, "w", hint="a step size of 0.1 should not blow up: check the update")
    w = np.asarray(w, dtype=float)
    loss = _bce(y, 1.0 / (1.0 + np.exp(-(X @ w + b))))
    # written so that a nan loss fails too (nan > bound is False)
    if not loss <= np.log(2) + 1e-9:
        raise AssertionError(f"the fitted neuron's loss {loss:.4f} is worse than at w = 0, b = 0 "
                             f"({np.log(2):.4f}): step against the gradient, "
                             "w <- w - lr * X.T @ (p - y) / n_samples")
    if not loss <= reference + 1e-3:
        raise AssertionError(f"after 300 steps with lr=0.1 the mean BCE is {loss:.4f}, gradient "
                             f"descent reaches {reference:.4f}: check the gradient "
                             "(dL/dw = X.T @ (p - y) / n_samples, dL/db = mean(p - y)) "
                             "and that b is updated too")


CHECKS = {
    "sigmoid": check_sigmoid,
    "neuron": check_neuron,
    "binary_cross_entropy": check_binary_cross_entropy,
    "fit_neuron": check_fit_neuron,
}
