"""Visible checks of exercise 03, neural networks (chapter *Neural networks*).

Small hand-made inputs with known answers. Each check looks at one student
function only.
"""

import numpy as np

from dlcourse.testing import (
    assert_close,
    assert_finite,
    assert_own_implementation,
    assert_shape,
    same_values,
)

__all__ = [
    "check_init_params",
    "check_count_parameters",
    "check_dense_forward",
    "check_mlp_forward",
    "check_param_list",
    "CHECKS",
]


def check_param_list(params, layer_sizes, name="params"):
    """Check that ``params`` is a list of (W, b) pairs with the shapes of ``layer_sizes``."""
    if params is None:
        raise AssertionError(f"{name} is None: did you forget a `return` statement?")
    params = list(params)
    n_layers = len(layer_sizes) - 1
    if len(params) != n_layers:
        raise AssertionError(f"{name} has {len(params)} entries for "
                             f"layer_sizes={list(layer_sizes)}, expected {n_layers}: "
                             "one (W, b) pair per layer (not per unit)")
    for index, pair in enumerate(params):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise AssertionError(f"{name}[{index}] should be a pair (W, b)")
        W, b = pair
        n_in, n_out = layer_sizes[index], layer_sizes[index + 1]
        assert_shape(W, (n_in, n_out), f"W{index + 1}")
        assert_shape(b, (n_out,), f"b{index + 1}")
    return params


def check_init_params(init_params):
    """Shapes, reproducibility for a seed, random (not constant) weights of a sensible scale."""
    assert_own_implementation(init_params)
    sizes = [2, 3, 1]
    params = check_param_list(init_params(sizes, 0), sizes, "init_params([2, 3, 1], 0)")
    again = check_param_list(init_params(sizes, 0), sizes,
                             "init_params([2, 3, 1], 0), called again")
    for index, ((W, b), (W_again, b_again)) in enumerate(zip(params, again, strict=True)):
        if not (np.array_equal(W, W_again) and np.array_equal(b, b_again)):
            raise AssertionError(f"init_params gave different W{index + 1} or b{index + 1} for the "
                                 "same seed: build the generator from it, "
                                 "rng = np.random.default_rng(rng)")
    for index, (W, _) in enumerate(params):
        assert_finite(W, f"W{index + 1}")
        if not np.max(np.abs(W)) <= 10:
            raise AssertionError(f"W{index + 1} has entries as large as {np.max(np.abs(W)):.3g}: "
                                 "draw small weights, e.g. normal with std sqrt(2 / n_in)")
    W1 = np.asarray(params[0][0])
    if np.allclose(W1, W1.flat[0]):
        raise AssertionError("all entries of W1 are equal: then every hidden unit computes the "
                             "same thing and gets the same gradient; draw random weights")
    if all(same_values(W1[:, j], W1[:, 0], rtol=1e-5, atol=1e-8) for j in range(1, W1.shape[1])):
        raise AssertionError("the 3 columns of W1 are equal: column j holds the weights of hidden "
                             "unit j, so all three units compute the same function and get the "
                             "same gradient forever (the symmetry is never broken); draw every "
                             "entry independently, e.g. rng.normal(size=(n_in, n_out))")
    other = check_param_list(init_params(sizes, 1), sizes, "init_params([2, 3, 1], 1)")
    if all(np.array_equal(W, W_other) for (W, _), (W_other, _) in zip(params, other, strict=True)):
        raise AssertionError("init_params gave the same weights for the seeds 0 and 1: draw them "
                             "from np.random.default_rng(rng)")


def check_count_parameters(count_parameters):
    """Weights plus biases of every layer."""
    assert_own_implementation(count_parameters)
    count = count_parameters([2, 3, 1])
    if count == 9:
        raise AssertionError("count_parameters([2, 3, 1]) is 9, expected 13: count the biases "
                             "too (one per unit of each layer after the input)")
    if not isinstance(count, (int, np.integer)):
        raise AssertionError(f"count_parameters should return an int, got {type(count).__name__}")
    assert_close(count, 13, "count_parameters([2, 3, 1])", hint="2*3 + 3 weights and biases, then "
                 "3*1 + 1")
    assert_close(count_parameters([4, 1]), 5, "count_parameters([4, 1])")
    assert_close(count_parameters([784, 128, 10]), 101770, "count_parameters([784, 128, 10])")


def check_dense_forward(dense_forward):
    """Z = X @ W + b for a batch of samples."""
    assert_own_implementation(dense_forward)
    X = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
    W = np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
    b = np.array([0.5, -0.5])
    Z = dense_forward(X, W, b)
    assert_shape(Z, (2, 2), "dense_forward(X, W, b)")
    if np.allclose(Z, X @ W):
        raise AssertionError("dense_forward forgot the bias: Z = X @ W + b")
    assert_close(Z, [[2.5, 3.5], [0.0, 2.5]], "dense_forward(X, W, b)", hint="Z = X @ W + b")
    X3 = np.array([[1.0, -1.0, 2.0]])
    W3 = np.array([[1.0], [2.0], [3.0]])
    Z3 = dense_forward(X3, W3, np.array([1.0]))
    assert_shape(Z3, (1, 1), "dense_forward for 1 sample and 1 output unit")
    assert_close(Z3, [[6.0]], "dense_forward([[1, -1, 2]], [[1], [2], [3]], [1])")


def _forward(X, params, hidden):
    A = X
    for index, (W, b) in enumerate(params):
        Z = A @ W + b
        A = 1.0 / (1.0 + np.exp(-Z)) if index == len(params) - 1 else hidden(Z)
    return A


_HIDDEN = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


def check_mlp_forward(mlp_forward):
    """Hidden layers with the chosen activation, a sigmoid output unit."""
    assert_own_implementation(mlp_forward)
    X = np.array([[1.0, 1.0], [-1.0, 0.5], [0.0, 0.0]])
    params = [
        (np.array([[1.0, -1.0], [2.0, 0.5]]), np.array([0.0, -1.0])),
        (np.array([[1.0], [-2.0]]), np.array([0.5])),
    ]
    A = mlp_forward(X, params)
    assert_shape(A, (3, 1), "mlp_forward(X, params) with one output unit")
    expected = _forward(X, params, _HIDDEN["relu"])
    no_output_sigmoid = np.log(expected / (1 - expected))
    if np.allclose(A, no_output_sigmoid):
        raise AssertionError("mlp_forward returns the last layer's Z: apply the sigmoid to the "
                             "output layer")
    if np.allclose(A, _forward(X, params, lambda z: z)):
        raise AssertionError("mlp_forward applies no activation in the hidden layer")
    assert_close(A, expected, "mlp_forward(X, params) with ReLU hidden units",
                 hint="A0 = X; Z = A @ W + b per layer; ReLU in hidden layers, sigmoid at the end")
    for name in ("sigmoid", "tanh"):
        A = mlp_forward(X, params, hidden_activation=name)
        expected = _forward(X, params, _HIDDEN[name])
        if np.allclose(A, _forward(X, params, _HIDDEN["relu"])):
            raise AssertionError(f"mlp_forward(..., hidden_activation={name!r}) still uses ReLU: "
                                 "use the activation named by hidden_activation")
        assert_close(A, expected, f"mlp_forward(X, params, hidden_activation={name!r})")


CHECKS = {
    "init_params": check_init_params,
    "count_parameters": check_count_parameters,
    "dense_forward": check_dense_forward,
    "mlp_forward": check_mlp_forward,
}
