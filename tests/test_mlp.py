"""Tests for dlcourse.mlp: shapes, backpropagation against numerical gradients, a hand-worked
network, agreement with scikit-learn's MLPClassifier, the training loops and bad input."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from dlcourse import MLP
from dlcourse.activations import get_activation
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


# ---------------------------------------------------------------------------------------------
# Several classes (softmax output), weight decay, validation data and early stopping

from dlcourse.data import load_digits  # noqa: E402
from dlcourse.mlp import MULTICLASS_DEFAULTS, mlp_backward  # noqa: E402
from dlcourse.optim import GradientDescent  # noqa: E402


def _multiclass_data(n=9, n_features=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = np.arange(n) % k  # every class present
    return X, y


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
@pytest.mark.parametrize("layer_sizes", [[3, 4], [3, 5, 4], [3, 4, 3, 4], [3, 6, 1], [3, 1]])
def test_gradients_with_softmax_and_weight_decay_match_numerical(
    layer_sizes, activation, weight_decay
):
    X, y = _multiclass_data(k=max(2, layer_sizes[-1]))
    if layer_sizes[-1] == 1:
        y = y % 2
    rng = np.random.default_rng(len(layer_sizes) + 10)
    params = init_params(layer_sizes, rng, activation)
    params = [(W, b + rng.normal(0, 0.1, size=b.shape)) for W, b in params]
    loss, grads = mlp_gradients(X, y, params, activation, weight_decay=weight_decay)

    def loss_of(theta):
        return mlp_gradients(X, y, _unflat(theta, layer_sizes), activation, weight_decay)[0]

    numeric = numerical_gradient(loss_of, _flat(params))
    assert relative_error(_flat(grads), numeric) < 1e-7
    data_loss = mlp_gradients(X, y, params, activation)[0]
    penalty = 0.5 * weight_decay * sum(np.sum(W**2) for W, _ in params)
    assert loss == pytest.approx(data_loss + penalty, rel=1e-12)


def test_weight_decay_penalises_weights_not_biases():
    X, y = _multiclass_data()
    params = init_params([3, 5, 4], rng=1)
    params = [(W, b + 1.0) for W, b in params]
    _, plain = mlp_gradients(X, y, params, "tanh")
    _, decayed = mlp_gradients(X, y, params, "tanh", weight_decay=0.5)
    for (dW, db), (dW2, db2), (W, _) in zip(plain, decayed, params, strict=True):
        np.testing.assert_allclose(dW2, dW + 0.5 * W, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(db2, db)


def test_mlp_gradients_method_is_mlp_gradients_with_the_models_weight_decay():
    X, y = _multiclass_data(k=3)
    model = MLP([3, 5, 3], "sigmoid", seed=2, weight_decay=0.1)
    loss, grads = model.gradients(X, y)
    ref_loss, ref_grads = mlp_gradients(X, y, model.params, "sigmoid", weight_decay=0.1)
    assert loss == ref_loss
    assert relative_error(_flat(grads), _flat(ref_grads)) == 0.0
    numeric = numerical_gradient(
        lambda theta: mlp_gradients(X, y, _unflat(theta, [3, 5, 3]), "sigmoid", 0.1)[0],
        _flat(model.params),
    )
    assert relative_error(_flat(grads), numeric) < 1e-7


def test_softmax_loss_is_cross_entropy_of_predict_proba():
    X, y = _multiclass_data(n=30, k=5, seed=3)
    model = MLP([3, 7, 5], "relu", seed=3)
    P = model.predict_proba(X)
    assert P.shape == (30, 5)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    loss, _ = model.gradients(X, y)
    assert loss == pytest.approx(-np.mean(np.log(P[np.arange(30), y])), rel=1e-12)
    np.testing.assert_array_equal(model.predict(X), P.argmax(axis=1))
    assert model.score(X, y) == np.mean(P.argmax(axis=1) == y)
    assert model.n_classes == 5 and MLP([3, 1]).n_classes == 2


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_multiclass_predict_proba_equals_sklearn_with_same_weights(activation):
    X, y = _multiclass_data(n=40, n_features=4, k=3, seed=4)
    clf = MLPClassifier(hidden_layer_sizes=(6, 5), activation=SKLEARN_NAME[activation])
    clf.partial_fit(X, y, classes=[0, 1, 2])
    model = MLP([4, 6, 5, 3], activation, seed=6)
    clf.coefs_ = [W.copy() for W, _ in model.params]
    clf.intercepts_ = [b.copy() for _, b in model.params]
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))


@pytest.mark.parametrize(("n_out", "classes"), [(1, [0, 1]), (3, [0, 1, 2])])
def test_loss_and_gradients_equal_sklearns_backprop_with_alpha_over_n(n_out, classes):
    # scikit-learn's alpha penalises alpha / (2 n) ||W||^2: the same loss when alpha = wd * n
    X, y = _multiclass_data(n=20, n_features=4, k=len(classes), seed=5)
    weight_decay = 0.05
    clf = MLPClassifier(hidden_layer_sizes=(6,), activation="tanh", alpha=weight_decay * 20)
    clf.partial_fit(X, y, classes=classes)
    model = MLP([4, 6, n_out], "tanh", seed=1, weight_decay=weight_decay)
    model.params = [(W, b + 0.1) for W, b in model.params]
    clf.coefs_ = [W.copy() for W, _ in model.params]
    clf.intercepts_ = [b.copy() for _, b in model.params]
    Y = clf._label_binarizer.transform(y).astype(float)
    n_layers = clf.n_layers_
    loss, coef_grads, intercept_grads = clf._backprop(
        X,
        Y,
        None,
        [X] + [None] * (n_layers - 1),
        [None] * (n_layers - 1),
        [np.empty_like(W) for W in clf.coefs_],
        [np.empty_like(b) for b in clf.intercepts_],
    )
    ours, grads = model.gradients(X, y)
    assert ours == pytest.approx(loss, rel=1e-10)
    for (dW, db), dW_sk, db_sk in zip(grads, coef_grads, intercept_grads, strict=True):
        np.testing.assert_allclose(dW, dW_sk, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, db_sk, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("weight_decay", [0.0, 0.02])
def test_softmax_gd_epochs_are_gradient_steps(activation, weight_decay):
    X, y = _multiclass_data(n=40, n_features=2, k=3, seed=6)
    model = MLP([2, 5, 4, 3], activation, seed=2, weight_decay=weight_decay)
    params, losses = model.params, []
    for _ in range(3):
        loss, grads = mlp_gradients(X, y, params, activation, weight_decay)
        losses.append(loss)
        params = GradientDescent(0.3).step(params, grads)
    model.fit(X, y, lr=0.3, n_epochs=3)
    np.testing.assert_allclose(model.loss_history_, losses, rtol=1e-10)
    for (W, b), (W_ref, b_ref) in zip(model.params, params, strict=True):
        np.testing.assert_allclose(W, W_ref, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(b, b_ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    ("layer_sizes", "optimizer"), [([2, 6, 3], "adam"), ([2, 4, 1], "momentum")]
)
def test_mini_batch_epochs_are_the_reference_steps(layer_sizes, optimizer):
    # the engine shuffles with the model's generator: one permutation per epoch, then batches
    from dlcourse.optim import make_optimizer

    X, y = _multiclass_data(n=23, n_features=2, k=max(2, layer_sizes[-1]), seed=7)
    model = MLP(layer_sizes, "tanh", seed=4, weight_decay=0.01)
    rng = np.random.default_rng(4)
    init_params(layer_sizes, rng, "tanh")  # the model drew its weights from this generator
    params, opt, losses = model.params, make_optimizer(optimizer, 0.05), []
    for _ in range(2):
        order, total = rng.permutation(23), 0.0
        for start in range(0, 23, 5):
            rows = order[start : start + 5]
            loss, grads = mlp_gradients(X[rows], y[rows], params, "tanh", 0.01)
            total += loss * len(rows)
            params = opt.step(params, grads)
        losses.append(total / 23)
    model.fit(X, y, lr=0.05, n_epochs=2, optimizer=optimizer, batch_size=5)
    np.testing.assert_allclose(model.loss_history_, losses, rtol=1e-10)
    for (W, b), (W_ref, b_ref) in zip(model.params, params, strict=True):
        np.testing.assert_allclose(W, W_ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b, b_ref, rtol=1e-9, atol=1e-12)


def _digits_split():
    X, y = load_digits()
    return train_test_split(X, y, test_size=1 / 3, stratify=y, random_state=0)


def test_validation_loss_is_recorded_after_each_epoch():
    X_train, X_val, y_train, y_val = _digits_split()
    model = MLP([64, 16, 10], seed=0, weight_decay=1e-3)
    model.fit(X_train, y_train, optimizer="adam", n_epochs=3, validation_data=(X_val, y_val))
    assert model.val_loss_history_.shape == model.loss_history_.shape == (3,)
    # no patience: the last epoch's parameters are kept, and its value is their validation loss
    assert model.val_loss_history_[-1] == pytest.approx(model.gradients(X_val, y_val)[0], rel=1e-12)
    assert model.best_epoch_ == int(np.argmin(model.val_loss_history_))
    plain = MLP([64, 16, 10], seed=0, weight_decay=1e-3)
    plain.fit(X_train, y_train, optimizer="adam", n_epochs=3)
    np.testing.assert_array_equal(plain.loss_history_, model.loss_history_)  # validation is passive
    assert plain.val_loss_history_ is None and plain.best_epoch_ is None


def test_early_stopping_restores_the_best_epoch():
    # a small, noisy training set that a wide network overfits within a few dozen epochs
    X, y = load_digits()
    X_train, y_train, X_val, y_val = X[:60], y[:60], X[1000:1400], y[1000:1400]
    model = MLP([64, 128, 10], seed=1)
    model.fit(
        X_train,
        y_train,
        lr=0.01,
        n_epochs=300,
        optimizer="adam",
        batch_size=10,
        validation_data=(X_val, y_val),
        patience=5,
    )
    history = model.val_loss_history_
    n_run = len(history)
    assert n_run < 300, "the validation loss should have stopped improving"
    assert n_run == len(model.loss_history_) == model.best_epoch_ + 5 + 1
    assert history[model.best_epoch_] == history.min()
    assert np.all(history[model.best_epoch_ + 1 :] >= history.min())
    assert model.gradients(X_val, y_val)[0] == pytest.approx(history.min(), rel=1e-12)


def test_early_stopping_with_full_batches_and_one_output():
    # 20 training points, every fifth label flipped: a 64-unit network fits the noise
    X, y = make_xor(300, rng=8)
    y_train = y[:20].copy()
    y_train[::5] = 1 - y_train[::5]
    model = MLP([2, 64, 1], "relu", seed=0)
    model.fit(
        X[:20], y_train, lr=0.5, n_epochs=3000, validation_data=(X[100:], y[100:]), patience=10
    )
    history = model.val_loss_history_
    assert 10 < model.best_epoch_ < len(history) - 1 < 3000
    assert len(history) == len(model.loss_history_) == model.best_epoch_ + 10 + 1
    assert model.gradients(X[100:], y[100:])[0] == pytest.approx(history.min(), rel=1e-12)


def test_digits_reach_097_with_adam_defaults_for_every_seed():
    X_train, X_test, y_train, y_test = _digits_split()
    for seed in range(5):
        model = MLP([64, 64, 10], "relu", seed=seed)
        model.fit(X_train, y_train, optimizer="adam", batch_size=32, n_epochs=30)
        accuracy = model.score(X_test, y_test)
        assert accuracy >= 0.97, f"seed {seed}: test accuracy {accuracy:.3f} on the digits"


def test_multiclass_defaults_cover_every_optimizer():
    assert set(MULTICLASS_DEFAULTS) == set(DEFAULTS)


# ---------------------------------------------------------------------------------------------
# Bad input for the new arguments


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: MLP([2, 3, 3]).fit(np.zeros((3, 2)), [0, 1, 3]),
            r"y must hold class labels 0 to 2",
        ),
        (lambda: MLP([2, 3, 3]).fit(np.zeros((3, 2)), [0, 1, -1]), "class labels 0 to 2"),
        (lambda: MLP([2, 3, 3]).fit(np.zeros((2, 2)), [0.5, 1]), "integer class labels"),
        (lambda: MLP([2, 3, 3]).fit(np.zeros((2, 2)), np.eye(2)), r"y has shape \(2, 2\)"),
        (lambda: MLP([2, 3, 3]).score(np.zeros((2, 2)), [0, 4]), "class labels 0 to 2"),
        (lambda: mlp_gradients(np.zeros((2, 2)), [0, 5], init_params([2, 3])), "0 to 2"),
        (
            lambda: MLP([2, 3, 1]).fit(np.zeros((2, 2)), [0, 1], validation_data=np.zeros((2, 2))),
            "validation_data must be a pair",
        ),
        (
            lambda: MLP([2, 3, 1]).fit(
                np.zeros((2, 2)), [0, 1], validation_data=(np.zeros((2, 3)), [0, 1])
            ),
            r"validation_data\[0\] has shape \(2, 3\), expected \(n_samples, 2\)",
        ),
        (
            lambda: MLP([2, 3, 1]).fit(
                np.zeros((2, 2)), [0, 1], validation_data=(np.zeros((2, 2)), [0, 1, 1])
            ),
            r"validation_data\[1\] has length 3, expected 2",
        ),
        (
            lambda: MLP([2, 3, 3]).fit(
                np.zeros((2, 2)), [0, 1], validation_data=(np.zeros((2, 2)), [0, 7])
            ),
            r"validation_data\[1\] must hold class labels 0 to 2",
        ),
        (
            lambda: MLP([2, 3, 1]).fit(
                np.zeros((2, 2)), [0, 1], validation_data=(np.zeros((2, 2)), [0, 1]), patience=0
            ),
            "patience must be an integer >= 1",
        ),
        (
            lambda: MLP([2, 3, 1]).fit(np.zeros((2, 2)), [0, 1], patience=3),
            "validation_data is None",
        ),
        (lambda: MLP([2, 3, 1], weight_decay=-0.1), "weight_decay must be a number >= 0"),
        (lambda: MLP([2, 3, 1], weight_decay="big"), "weight_decay must be a number >= 0"),
        (
            lambda: mlp_gradients(np.zeros((2, 2)), [0, 1], init_params([2, 1]), "relu", -1),
            "weight_decay",
        ),
        (lambda: MLP([2, 3, 1], init="uniform"), "unknown init 'uniform'"),
        (lambda: init_params([2, 3, 1], init=3), "unknown init 3"),
    ],
)
def test_bad_new_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_mlp_backward_one_hot_matches_softmax_gradient():
    from dlcourse.losses import softmax_cross_entropy_grad

    X, y = _multiclass_data(k=4)
    params = init_params([3, 4], rng=0)
    A, cache = mlp_forward_cache(X, params, "relu")
    ((dW, db),) = mlp_backward(y, A, cache, params, "relu")
    dZ = softmax_cross_entropy_grad(y, cache[0][1])
    np.testing.assert_allclose(dW, X.T @ dZ, rtol=1e-12)
    np.testing.assert_allclose(db, dZ.sum(axis=0), rtol=1e-12, atol=1e-16)


# ---------------------------------------------------------------------------------------------
# Dropout (issue 25): the fast engine against the package's pure functions


def _dropout_reference_step(X, y, params, activation, p, rng):
    """One step's gradients built from dense_forward/backward and dropout_forward/backward."""
    from dlcourse.activations import get_activation
    from dlcourse.layers import dense_backward, dense_forward, dropout_backward, dropout_forward
    from dlcourse.losses import softmax_cross_entropy

    f, f_grad = get_activation(activation)
    A, cache = np.asarray(X, float), []
    for W, b in params[:-1]:
        Z = dense_forward(A, W, b)
        A, mask = dropout_forward(f(Z), p, rng=rng)  # the same Generator: the same masks
        cache.append((Z, mask))
    Z_out = dense_forward(A, *params[-1])
    loss = softmax_cross_entropy(y, Z_out)
    E = np.exp(Z_out - Z_out.max(axis=1, keepdims=True))
    dZ = (E / E.sum(axis=1, keepdims=True) - np.eye(Z_out.shape[1])[y]) / len(y)
    grads = []
    inputs = [np.asarray(X, float)] + [None] * (len(params) - 1)
    for layer in range(len(params) - 1):  # the layer inputs after dropout
        Z, mask = cache[layer]
        inputs[layer + 1] = f(Z) * mask / (1 - p)
    for layer in range(len(params) - 1, -1, -1):
        dA, dW, db = dense_backward(dZ, inputs[layer], params[layer][0])
        grads.insert(0, (dW, db))
        if layer:
            Z, mask = cache[layer - 1]
            dZ = dropout_backward(dA, mask, p) * f_grad(Z)
    return loss, grads


@pytest.mark.parametrize(("activation", "batch_size"), [("tanh", None), ("relu", 7)])
def test_dropout_fit_is_the_pure_functions_step_by_step(activation, batch_size):
    from dlcourse.optim import make_optimizer

    X, y = _multiclass_data(n=20, n_features=3, k=3, seed=2)
    sizes = [3, 6, 5, 3]
    model = MLP(sizes, activation, seed=5, dropout=0.3)
    assert "dropout=0.3" in repr(model)
    rng = np.random.default_rng(5)
    init_params(sizes, rng, activation)  # the model drew its weights from this generator
    params, opt, losses = model.params, make_optimizer("adam", 0.01), []
    for _ in range(2):
        batches = [np.arange(20)] if batch_size is None else [
            b for b in np.split(rng.permutation(20), range(batch_size, 20, batch_size))
        ]
        total = 0.0
        for rows in batches:
            loss, grads = _dropout_reference_step(X[rows], y[rows], params, activation, 0.3, rng)
            total += loss * len(rows)
            params = opt.step(params, grads)
        losses.append(total / 20)
    model.fit(X, y, lr=0.01, n_epochs=2, optimizer="adam", batch_size=batch_size)
    np.testing.assert_allclose(model.loss_history_, losses, rtol=1e-10)
    for (W, b), (W_ref, b_ref) in zip(model.params, params, strict=True):
        np.testing.assert_allclose(W, W_ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b, b_ref, rtol=1e-9, atol=1e-12)


def test_dropout_is_used_in_fit_only():
    X, y = _multiclass_data(n=30, n_features=3, k=3, seed=1)
    model = MLP([3, 8, 3], seed=0, dropout=0.5)
    X_val, y_val = _multiclass_data(n=10, n_features=3, k=3, seed=9)
    model.fit(X, y, n_epochs=3, optimizer="adam", validation_data=(X_val, y_val))
    plain = MLP([3, 8, 3], seed=0)
    plain.params = model.params
    # predictions and the validation loss use the whole network, with nothing dropped
    np.testing.assert_array_equal(model.predict_proba(X), plain.predict_proba(X))
    assert model.val_loss_history_[-1] == pytest.approx(plain.gradients(X_val, y_val)[0])
    # and training with dropout differs from training without
    other = MLP([3, 8, 3], seed=0).fit(X, y, n_epochs=3, optimizer="adam")
    assert not np.allclose(other.loss_history_, model.loss_history_)


@pytest.mark.parametrize("bad", [1.0, -0.2, "half", True])
def test_bad_dropout_is_reported(bad):
    with pytest.raises(ValueError, match="dropout must be a dropout probability in"):
        MLP([2, 3, 1], dropout=bad)


# ---------------------------------------------------------------------------------------------
# Batch normalisation: MLP(..., batch_norm=True)


def _bn_flat(params):
    return np.concatenate([a.ravel() for layer in params for a in layer])


def _bn_unflat(theta, like):
    out, i = [], 0
    for layer in like:
        arrays = []
        for a in layer:
            arrays.append(theta[i : i + a.size].reshape(a.shape))
            i += a.size
        out.append(tuple(arrays))
    return out


def _batchnorm_reference(X, y, params, activation, eps=1e-5):
    """The batch-norm network's loss written out directly (a loop, no package layers)."""
    f, _ = get_activation(activation)
    A = X
    for W, gamma, beta in params[:-1]:
        Z = A @ W
        A = f(gamma * (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps) + beta)
    W, b = params[-1]
    Z = A @ W + b
    if W.shape[1] == 1:
        return float(np.mean(np.logaddexp(0.0, Z[:, 0]) - y * Z[:, 0]))
    Z = Z - Z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(y)), y]))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize(("layer_sizes", "weight_decay"), [([3, 5, 4, 3], 0.0),
                                                           ([3, 4, 1], 0.2)])
def test_batch_norm_gradients_match_central_differences(activation, layer_sizes, weight_decay):
    X, y = _multiclass_data(n=11, n_features=3, k=max(2, layer_sizes[-1]), seed=3)
    if layer_sizes[-1] == 1:
        y = y % 2
    model = MLP(layer_sizes, activation, seed=4, batch_norm=True, weight_decay=weight_decay)
    rng = np.random.default_rng(8)  # gamma and beta away from 1 and 0, so their gradients count
    model.params = [tuple(a + rng.normal(0, 0.3, size=a.shape) for a in layer)
                    for layer in model.params]
    loss, grads = model.gradients(X, y)
    assert [tuple(g.shape for g in layer) for layer in grads] == [
        tuple(a.shape for a in layer) for layer in model.params]

    def loss_of(theta):
        params = _bn_unflat(theta, model.params)
        penalty = 0.5 * weight_decay * sum(np.sum(layer[0] ** 2) for layer in params)
        return _batchnorm_reference(X, y, params, activation) + penalty

    numeric = numerical_gradient(loss_of, _bn_flat(model.params))
    assert relative_error(_bn_flat(grads), numeric) < 1e-7
    assert loss == pytest.approx(loss_of(_bn_flat(model.params)), rel=1e-12)


def test_batch_norm_params_layout_and_the_same_weights_as_without():
    plain = MLP([2, 6, 5, 1], "tanh", seed=3)
    model = MLP([2, 6, 5, 1], "tanh", seed=3, batch_norm=True)
    assert "batch_norm=True" in repr(model)
    assert [tuple(a.shape for a in layer) for layer in model.params] == [
        ((2, 6), (6,), (6,)), ((6, 5), (5,), (5,)), ((5, 1), (1,))]
    for (W, gamma, beta), (W_plain, _) in zip(model.params[:-1], plain.params[:-1], strict=True):
        np.testing.assert_array_equal(W, W_plain)
        np.testing.assert_array_equal(gamma, 1.0)
        np.testing.assert_array_equal(beta, 0.0)
    assert [s[0].tolist() + s[1].tolist() for s in model.running_stats] == [
        [0.0] * 6 + [1.0] * 6, [0.0] * 5 + [1.0] * 5]
    assert plain.running_stats is None


def test_batch_norm_predict_uses_the_running_statistics():
    X, y = _multiclass_data(n=40, n_features=3, k=3, seed=5)
    model = MLP([3, 7, 3], "relu", seed=0, batch_norm=True)
    means = []
    for _ in range(3):  # full-batch gd: every step sees the same Z = X @ W1 at its W1
        W1 = model.params[0][0].copy()
        means.append(((X @ W1).mean(axis=0), (X @ W1).var(axis=0, ddof=1)))
        model.fit(X, y, lr=0.1, n_epochs=1)
    running_mean, running_var = np.zeros(7), np.ones(7)
    for mean, var in means:  # PyTorch's rule: momentum 0.1, unbiased variance
        running_mean = 0.9 * running_mean + 0.1 * mean
        running_var = 0.9 * running_var + 0.1 * var
    np.testing.assert_allclose(model.running_stats[0][0], running_mean, rtol=1e-12)
    np.testing.assert_allclose(model.running_stats[0][1], running_var, rtol=1e-12)
    # prediction: the running statistics, so one sample's output does not depend on the others
    W1, gamma, beta = model.params[0]
    W2, b2 = model.params[1]
    N = gamma * (X @ W1 - running_mean) / np.sqrt(running_var + 1e-5) + beta
    Z = np.maximum(N, 0.0) @ W2 + b2
    expected = np.exp(Z - Z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-12)
    np.testing.assert_allclose(model.predict_proba(X[:1])[0], expected[0], rtol=1e-12)


def test_batch_norm_trains_a_deep_network_the_small_start_cannot():
    X, y = make_xor(400, rng=1)
    sizes = [2] + [32] * 10 + [1]
    plain = MLP(sizes, "tanh", seed=0, init="small").fit(X, y, lr=0.02, n_epochs=30,
                                                         optimizer="adam")
    normed = MLP(sizes, "tanh", seed=0, init="small", batch_norm=True).fit(
        X, y, lr=0.02, n_epochs=30, optimizer="adam")
    assert np.all(np.abs(plain.loss_history_ - np.log(2)) < 0.01)
    assert normed.loss_history_[-1] < 0.3


def test_batch_norm_fit_with_batches_validation_and_patience():
    X, y = make_xor(200, rng=2)
    X_val, y_val = make_xor(100, rng=3)
    model = MLP([2, 8, 8, 1], "tanh", seed=1, batch_norm=True, dropout=0.1, weight_decay=1e-3)
    model.fit(X, y, lr=0.01, n_epochs=40, optimizer="adam", batch_size=33,
              validation_data=(X_val, y_val), patience=5)
    n_run = len(model.loss_history_)
    assert len(model.val_loss_history_) == n_run and model.best_epoch_ < n_run
    assert model.score(X_val, y_val) > 0.8
    assert [tuple(a.shape for a in layer) for layer in model.params] == [
        ((2, 8), (8,), (8,)), ((8, 8), (8,), (8,)), ((8, 1), (1,))]


def test_batch_norm_bad_input_is_reported():
    with pytest.raises(ValueError, match="batch_norm must be True or False"):
        MLP([2, 3, 1], batch_norm="yes")
    with pytest.raises(ValueError, match="no hidden layer"):
        MLP([2, 1], batch_norm=True)
    model = MLP([2, 3, 1], batch_norm=True)
    with pytest.raises(ValueError, match="at least two samples"):
        model.gradients([[0.0, 1.0]], [1])
    model.params = [(np.ones((2, 3)), np.zeros(3)), model.params[1]]
    with pytest.raises(ValueError, match=r"params\[0\] must be \(W1, gamma1, beta1\)"):
        model.predict([[0.0, 1.0]])
    model.params = [(np.ones((2, 4)), np.ones(4), np.zeros(4)), (np.ones((3, 1)), np.zeros(1))]
    with pytest.raises(ValueError, match=r"W1 has shape \(2, 4\), expected \(2, 3\)"):
        model.predict([[0.0, 1.0]])


# ---------------------------------------------------------------------------------------------
# AdamW: decoupled weight decay in MLP.fit


@pytest.mark.parametrize("batch_norm", [False, True])
def test_adamw_fit_is_adamw_on_the_weights_and_adam_on_the_rest(batch_norm):
    from dlcourse.optim import AdamW

    X, y = _multiclass_data(n=24, n_features=3, k=3, seed=6)
    model = MLP([3, 6, 3], "tanh", seed=2, weight_decay=0.5, batch_norm=batch_norm)
    params = [tuple(a.copy() for a in layer) for layer in model.params]
    weights = [layer[0] for layer in params]
    rest = [a for layer in params for a in layer[1:]]
    opt_w, opt_rest = AdamW(0.01, weight_decay=0.5), Adam(0.01)
    probe = MLP([3, 6, 3], "tanh", seed=2, batch_norm=batch_norm)  # no penalty in the gradient
    losses = []
    for _ in range(5):
        probe.params = params
        loss, grads = probe.gradients(X, y)
        losses.append(loss)
        opt_w.update(weights, [g[0] for g in grads])
        opt_rest.update(rest, [a for g in grads for a in g[1:]])
    model.fit(X, y, lr=0.01, n_epochs=5, optimizer="adamw")
    np.testing.assert_allclose(model.loss_history_, losses, rtol=1e-10)  # no penalty in the loss
    for layer, ref in zip(model.params, params, strict=True):
        for a, a_ref in zip(layer, ref, strict=True):
            np.testing.assert_allclose(a, a_ref, rtol=1e-9, atol=1e-12)


def test_adamw_decays_more_with_a_larger_strength_and_adam_l2_differs():
    X, y = make_xor(200, rng=4)
    norms = {}
    for lam in (0.0, 1.0, 10.0):
        net = MLP([2, 16, 1], seed=0, weight_decay=lam).fit(X, y, lr=0.01, n_epochs=100,
                                                            optimizer="adamw")
        norms[lam] = sum(float(np.sum(W**2)) for W, _ in net.params)
    assert norms[0.0] > norms[1.0] > norms[10.0]
    l2 = MLP([2, 16, 1], seed=0, weight_decay=1.0).fit(X, y, lr=0.01, n_epochs=100,
                                                       optimizer="adam")
    assert sum(float(np.sum(W**2)) for W, _ in l2.params) != pytest.approx(norms[1.0])


@pytest.mark.parametrize("lr, weight_decay", [(0.1, 10.0), (0.15, 10.0), (1.0, 1.0)])
def test_adamw_refuses_a_decay_that_would_zero_or_flip_the_weights(lr, weight_decay):
    X, y = make_xor(40, rng=1)
    net = MLP([2, 4, 1], seed=0, weight_decay=weight_decay)
    before = [W.copy() for W, _ in net.params]
    with pytest.raises(ValueError, match=r"lr \* weight_decay.*expected lr \* weight_decay < 1"):
        net.fit(X, y, lr=lr, n_epochs=3, optimizer="adamw")
    for W, (W_now, _) in zip(before, net.params, strict=True):
        np.testing.assert_array_equal(W, W_now)
    # the same numbers are a valid L2 penalty with Adam: only the decoupled shrink is bounded
    net.fit(X, y, lr=lr, n_epochs=3, optimizer="adam")


@pytest.mark.parametrize("batch_norm", [False, True])
def test_gradients_after_adamw_are_those_fit_minimised(batch_norm):
    X, y = make_xor(60, rng=3)
    net = MLP([2, 16, 1], "tanh", seed=0, weight_decay=0.1, batch_norm=batch_norm)
    penalised = net.gradients(X, y)[0]
    net.fit(X, y, lr=0.01, n_epochs=1, optimizer="adamw")
    assert net.decoupled_decay_
    # one full-batch epoch: loss_history_[0] is the loss at the starting params, no penalty
    start = MLP([2, 16, 1], "tanh", seed=0, batch_norm=batch_norm)
    assert net.loss_history_[0] == pytest.approx(start.gradients(X, y)[0], rel=1e-12)
    assert penalised > net.loss_history_[0]
    net.fit(X, y, lr=0.01, n_epochs=50, optimizer="adamw")
    loss, grads = net.gradients(X, y)
    free = MLP([2, 16, 1], "tanh", seed=0, batch_norm=batch_norm)
    free.params = net.params
    free_loss, free_grads = free.gradients(X, y)
    assert loss == pytest.approx(free_loss, rel=1e-12)
    for g, h in zip(grads, free_grads, strict=True):
        for a, b in zip(g, h, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # a later fit with Adam makes weight_decay the L2 penalty again
    net.fit(X, y, lr=0.01, n_epochs=1, optimizer="adam")
    assert not net.decoupled_decay_
    assert net.gradients(X, y)[0] > free.gradients(X, y)[0]


@pytest.mark.parametrize("n_out", [1, 3])
def test_loss_is_the_cross_entropy_from_the_logits_even_where_probabilities_saturate(n_out):
    X, y = _multiclass_data(n=30, n_features=2, k=max(n_out, 2), seed=5)
    net = MLP([2, 8, n_out], "tanh", seed=1, weight_decay=0.3)
    expected = net.gradients(X, y)[0] - 0.15 * sum(float(np.sum(W * W)) for W, _ in net.params)
    assert net.loss(X, y) == pytest.approx(expected, rel=1e-12)
    # scale the output weights until some true-class probability rounds to 0 in float64
    W, b = net.params[-1]
    net.params = net.params[:-1] + [(W * 1e4, b)]
    proba = net.predict_proba(X)
    p_true = np.where(y == 1, proba, 1 - proba) if n_out == 1 else proba[np.arange(len(y)), y]
    assert p_true.min() == 0.0
    exact = net.loss(X, y)
    assert np.isfinite(exact) and exact > 40  # more than -ln(eps) = 36 nats for that point
    (W1, b1), (W2, b2) = net.params
    Z = np.tanh(X @ W1 + b1) @ W2 + b2  # the logits, written out
    if n_out == 1:
        reference = np.mean(np.logaddexp(0.0, Z[:, 0]) - y * Z[:, 0])
    else:
        top = Z.max(axis=1)
        log_norm = top + np.log(np.sum(np.exp(Z - top[:, None]), axis=1))
        reference = np.mean(log_norm - Z[np.arange(len(y)), y])
    assert exact == pytest.approx(reference, rel=1e-10)


def test_loss_with_batch_norm_uses_the_running_statistics():
    X, y = make_xor(80, rng=2)
    net = MLP([2, 8, 1], "tanh", seed=0, batch_norm=True).fit(X, y, lr=0.02, n_epochs=20,
                                                               optimizer="adam")
    each = [net.loss(X[i:i + 1], y[i:i + 1]) for i in range(len(y))]
    assert net.loss(X, y) == pytest.approx(np.mean(each), rel=1e-12)  # no batch statistics
    p = net.predict_proba(X)
    assert net.loss(X, y) == pytest.approx(binary_cross_entropy(y, p), rel=1e-9)
