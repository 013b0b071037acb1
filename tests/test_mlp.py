"""Tests for dlcourse.mlp: shapes, backpropagation against numerical gradients, a hand-worked
network, agreement with scikit-learn's MLPClassifier, the training loops and bad input."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from dlcourse import MLP
from dlcourse.data import make_xor, train_test_split
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.losses import binary_cross_entropy
from dlcourse.mlp import (
    DEFAULTS,
    count_parameters,
    init_params,
    mlp_forward,
    mlp_forward_cache,
    mlp_gradients,
    train,
)
from dlcourse.optim import Adam

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
SKLEARN_NAME = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu", "identity": "identity"}

# ---------------------------------------------------------------------------------------------
# The hand-worked 2-2-1 network: constants and the numbers worked by hand live in
# dlcourse/hand_example.py (the backpropagation chapter shows the same numbers).
from dlcourse.hand_example import HAND_PARAMS, HAND_X, HAND_y  # noqa: E402


def test_hand_worked_network_forward():
    A, cache = mlp_forward_cache(HAND_X, HAND_PARAMS, "sigmoid")
    (X_in, Z1), (A1, Z2) = cache
    np.testing.assert_allclose(Z1, [[1.0, 0.5]], atol=1e-6)
    np.testing.assert_allclose(A1, [[0.731059, 0.622459]], atol=1e-6)
    np.testing.assert_allclose(Z2, [[0.108599]], atol=1e-6)
    np.testing.assert_allclose(A, [[0.527123]], atol=1e-6)


def test_hand_worked_network_backward():
    loss, grads = mlp_gradients(HAND_X, HAND_y, HAND_PARAMS, "sigmoid")
    (dW1, db1), (dW2, db2) = grads
    assert loss == pytest.approx(0.640321, abs=1e-6)
    np.testing.assert_allclose(dW2, [[-0.345701], [-0.294347]], atol=1e-6)
    np.testing.assert_allclose(db2, [-0.472877], atol=1e-6)
    np.testing.assert_allclose(dW1, [[-0.092973, 0.111128], [-0.185946, 0.222256]], atol=1e-6)
    np.testing.assert_allclose(db1, [-0.092973, 0.111128], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Gradients against central differences, whole gradient vectors


def _flat(params):
    return np.concatenate([a.ravel() for pair in params for a in pair])


def _unflat(theta, layer_sizes):
    params, i = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=False):
        W = theta[i : i + n_in * n_out].reshape(n_in, n_out)
        i += n_in * n_out
        b = theta[i : i + n_out]
        i += n_out
        params.append((W, b))
    return params


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("layer_sizes", [[2, 1], [2, 3, 1], [3, 4, 3, 1], [2, 5, 4, 3, 1]])
def test_mlp_gradients_match_numerical_gradient(layer_sizes, activation):
    rng = np.random.default_rng(len(layer_sizes))
    X = rng.normal(size=(7, layer_sizes[0]))
    y = np.array([0, 1, 1, 0, 1, 0, 1])
    params = init_params(layer_sizes, rng, activation)
    params = [(W, b + rng.normal(0, 0.1, size=b.shape)) for W, b in params]  # nonzero biases
    loss, grads = mlp_gradients(X, y, params, activation)

    def loss_of(theta):
        return mlp_gradients(X, y, _unflat(theta, layer_sizes), activation)[0]

    numeric = numerical_gradient(loss_of, _flat(params))
    assert loss == pytest.approx(loss_of(_flat(params)))
    assert relative_error(_flat(grads), numeric) < 1e-7


def test_loss_equals_binary_cross_entropy_of_forward():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 2, size=20)
    params = init_params([3, 6, 1], rng)
    loss, _ = mlp_gradients(X, y, params)
    assert loss == pytest.approx(binary_cross_entropy(y, mlp_forward(X, params)[:, 0]), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Same weights, same probabilities as scikit-learn


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_predict_proba_equals_sklearn_with_same_weights(activation):
    X, y = make_xor(200, rng=4)
    clf = MLPClassifier(
        hidden_layer_sizes=(6, 4), activation=SKLEARN_NAME[activation], random_state=0
    )
    clf.partial_fit(X, y, classes=[0, 1])
    model = MLP([2, 6, 4, 1], activation, seed=5)
    clf.coefs_ = [W.copy() for W, _ in model.params]
    clf.intercepts_ = [b.copy() for _, b in model.params]
    np.testing.assert_allclose(
        model.predict_proba(X), clf.predict_proba(X)[:, 1], rtol=1e-12, atol=1e-15
    )
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))


# ---------------------------------------------------------------------------------------------
# The fast training loop takes exactly the steps of the plain definitions


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("layer_sizes", [[2, 1], [2, 4, 3, 1], [2, 6, 2, 5, 1]])
def test_gd_epochs_are_gradient_steps(layer_sizes, activation):
    X, y = make_xor(50, rng=1)
    model = MLP(layer_sizes, activation, seed=2)
    params, losses = model.params, []
    for _ in range(3):
        loss, grads = mlp_gradients(X, y, params, activation)
        losses.append(loss)
        params = [
            (W - 0.7 * dW, b - 0.7 * db) for (W, b), (dW, db) in zip(params, grads, strict=True)
        ]
    model.fit(X, y, lr=0.7, n_epochs=3)
    np.testing.assert_allclose(model.loss_history_, losses, rtol=1e-10)
    for (W, b), (W_ref, b_ref) in zip(model.params, params, strict=True):
        np.testing.assert_allclose(W, W_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, b_ref, rtol=1e-12, atol=1e-14)


def test_adam_epochs_match_adam_optimizer():
    X, y = make_xor(60, rng=2)
    model = MLP([2, 5, 1], "tanh", seed=1)
    params = model.params
    opt = Adam(lr=0.05)
    for _ in range(3):
        _, grads = mlp_gradients(X, y, params, "tanh")
        params = opt.step(params, grads)
    model.fit(X, y, lr=0.05, n_epochs=3, optimizer="adam")
    for (W, b), (W_ref, b_ref) in zip(model.params, params, strict=True):
        np.testing.assert_allclose(W, W_ref, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(b, b_ref, rtol=1e-10, atol=1e-13)


def test_fit_does_not_change_the_assigned_arrays():
    X, y = make_xor(40)
    model = MLP([2, 3, 1], "sigmoid")
    W1 = model.params[0][0]
    W1_copy = W1.copy()
    model.fit(X, y, n_epochs=5)
    np.testing.assert_array_equal(W1, W1_copy)
    assert model.params[0][0] is not W1


def test_mini_batch_fit_lowers_the_loss_and_is_seeded():
    X, y = make_xor(200, rng=3)
    a = MLP([2, 8, 1], "tanh", seed=3).fit(X, y, lr=0.5, n_epochs=30, batch_size=32)
    b = MLP([2, 8, 1], "tanh", seed=3).fit(X, y, lr=0.5, n_epochs=30, batch_size=32)
    assert a.loss_history_.shape == (30,)
    assert a.loss_history_[-1] < 0.8 * a.loss_history_[0]
    np.testing.assert_array_equal(a.loss_history_, b.loss_history_)


def test_batch_size_at_least_n_samples_is_full_batch():
    X, y = make_xor(50)
    a = MLP([2, 4, 1], seed=1).fit(X, y, n_epochs=5, batch_size=50)
    b = MLP([2, 4, 1], seed=1).fit(X, y, n_epochs=5)
    np.testing.assert_allclose(a.loss_history_, b.loss_history_)


def test_train_is_full_batch_relu_gradient_descent():
    X, y = make_xor(80, rng=5)
    params, losses = train(X, y, [2, 6, 1], lr=0.5, n_epochs=40, rng=7)
    model = MLP([2, 6, 1], "relu", seed=7).fit(X, y, lr=0.5, n_epochs=40)
    np.testing.assert_allclose(losses, model.loss_history_, rtol=1e-10)
    for (W, b), (W2, b2) in zip(params, model.params, strict=True):
        np.testing.assert_allclose(W, W2, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b, b2, rtol=1e-10, atol=1e-12)


def test_sigmoid_output_saturation_gives_finite_loss_history():
    X = np.array([[1.0], [-1.0]])
    model = MLP([1, 1], seed=0)
    model.params = [(np.array([[1000.0]]), np.array([0.0]))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, [0, 1], lr=1e-6, n_epochs=2)
    assert np.all(np.isfinite(model.loss_history_))


# ---------------------------------------------------------------------------------------------
# The lecture's example


def _lecture_split(seed):
    X, y = make_xor(1000, rng=seed)
    return train_test_split(X, y, test_size=0.3, random_state=seed)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_defaults_match_or_beat_sklearn_on_the_lecture_example(activation):
    for seed in range(3):
        X_train, X_test, y_train, y_test = _lecture_split(seed)
        ours = MLP([2, 5, 1], activation, seed=seed).fit(X_train, y_train).score(X_test, y_test)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = MLPClassifier(
                hidden_layer_sizes=(5,), activation=SKLEARN_NAME[activation], random_state=seed
            ).fit(X_train, y_train)
        theirs = clf.score(X_test, y_test)
        assert ours >= theirs, f"seed {seed}: dlcourse {ours:.3f} < scikit-learn {theirs:.3f}"
        assert ours >= 0.9, f"seed {seed}: test accuracy {ours:.3f} with {activation}"


def test_wide_relu_network_reaches_high_accuracy():
    X_train, X_test, y_train, y_test = _lecture_split(0)
    model = MLP([2, 32, 1], "relu").fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.95


# ---------------------------------------------------------------------------------------------
# Small pieces and bad input


def test_shapes_and_count_parameters():
    params = init_params([3, 4, 2, 1], rng=0)
    assert [(W.shape, b.shape) for W, b in params] == [
        ((3, 4), (4,)),
        ((4, 2), (2,)),
        ((2, 1), (1,)),
    ]
    assert count_parameters([3, 4, 2, 1]) == sum(W.size + b.size for W, b in params) == 29
    X = np.zeros((5, 3))
    assert mlp_forward(X, params).shape == (5, 1)
    assert MLP([3, 4, 1]).predict_proba(X).shape == (5,)


def test_init_params_is_seeded():
    a = init_params([2, 5, 1], rng=3)
    b = init_params([2, 5, 1], rng=np.random.default_rng(3))
    c = init_params([2, 5, 1], rng=4)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert not np.array_equal(a[0][0], c[0][0])
    np.testing.assert_array_equal(init_params([2, 5, 1])[0][0], init_params([2, 5, 1], 0)[0][0])


def test_predict_is_threshold_of_predict_proba():
    X, y = make_xor(100)
    model = MLP([2, 5, 1], "tanh").fit(X, y, n_epochs=20)
    np.testing.assert_array_equal(model.predict(X), (model.predict_proba(X) > 0.5).astype(int))
    assert set(np.unique(model.predict(X))) <= {0, 1}


def test_defaults_table_covers_every_activation():
    for table in DEFAULTS.values():
        assert set(table) == set(HIDDEN)
    assert set(DEFAULTS) == {"gd", "momentum", "adam"}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: MLP([2]), "at least two entries"),
        (lambda: MLP([2, 0, 1]), r"layer_sizes\[1\] is 0"),
        (lambda: MLP([2, 5, 2]), "expected 1"),
        (lambda: MLP([2, 5, 1], "softplus"), "unknown activation 'softplus'"),
        (
            lambda: MLP([2, 5, 1]).fit(np.zeros((4, 3)), [0, 1, 0, 1]),
            r"X has shape \(4, 3\), expected",
        ),
        (lambda: MLP([2, 5, 1]).fit(np.zeros((4, 2)), [0, 1, 0]), "y has length 3, expected 4"),
        (lambda: MLP([2, 5, 1]).fit(np.zeros((3, 2)), [0, 2, 1]), "binary labels"),
        (lambda: MLP([2, 5, 1]).fit(np.zeros((0, 2)), []), "empty"),
        (lambda: MLP([2, 5, 1]).fit(np.zeros((2, 2)), [0, 1], lr=-1), "lr must be a positive"),
        (lambda: MLP([2, 5, 1]).fit(np.zeros((2, 2)), [0, 1], n_epochs=0), "n_epochs"),
        (
            lambda: MLP([2, 5, 1]).fit(np.zeros((2, 2)), [0, 1], optimizer="sgdx"),
            "unknown optimizer",
        ),
        (lambda: MLP([2, 5, 1]).fit(np.zeros((2, 2)), [0, 1], batch_size=0), "batch_size"),
        (lambda: MLP([2, 5, 1]).predict(np.zeros(2)), r"X has shape \(2,\)"),
        (
            lambda: mlp_forward(np.zeros((2, 2)), [(np.zeros((3, 4)), np.zeros(4))]),
            r"X has shape \(2, 2\)",
        ),
        (
            lambda: mlp_forward(np.zeros((2, 2)), [(np.zeros((2, 4)), np.zeros(3))]),
            r"b1 has shape \(3,\)",
        ),
        (
            lambda: mlp_forward(
                np.zeros((2, 2)), [(np.zeros((2, 4)), np.zeros(4)), (np.zeros((3, 1)), np.zeros(1))]
            ),
            r"W2 has shape \(3, 1\), expected \(4, n_out\)",
        ),
        (
            lambda: mlp_gradients(np.zeros((2, 2)), [0, 1, 1], init_params([2, 1])),
            "y has length 3, expected 2",
        ),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_assigned_params_of_wrong_shape_are_reported():
    model = MLP([2, 5, 1])
    model.params = init_params([2, 4, 1])
    with pytest.raises(ValueError, match="expected"):
        model.predict(np.zeros((1, 2)))
