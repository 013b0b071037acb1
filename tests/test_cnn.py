"""Tests for dlcourse.cnn: the CNN's forward pass, its gradients, training and its errors."""

import numpy as np
import pytest

from dlcourse.cnn import CNN, cnn_forward, cnn_gradients, cnn_shapes, init_cnn_params
from dlcourse.data import load_digits, train_test_split
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.layers import conv2d_forward, dense_forward, max_pool2d_forward
from dlcourse.losses import softmax_cross_entropy, softmax_cross_entropy_grad

rng = np.random.default_rng(0)

SMALL = {"input_shape": (2, 7, 6), "n_filters": 3, "kernel_size": 2, "pool_size": 2, "n_hidden": 5}


def small_batch(n=6, n_classes=4):
    X = rng.random((n, *SMALL["input_shape"]))
    return X, rng.integers(0, n_classes, size=n)


def forward_by_public_layers(X, params, pool_size):
    """Independent composition of the public (channels-first, checked) layer functions."""
    (K, bK), (W1, b1), (W2, b2) = params
    P = max_pool2d_forward(np.maximum(conv2d_forward(X, K, bK), 0.0), pool_size)
    A1 = np.maximum(dense_forward(P.reshape(X.shape[0], -1), W1, b1), 0.0)
    return dense_forward(A1, W2, b2)


def test_shapes_and_parameter_count():
    assert cnn_shapes((1, 8, 8), 16, 3, 2, 64, 10) == [
        ((16, 1, 3, 3), (16,)),
        ((144, 64), (64,)),
        ((64, 10), (10,)),
    ]
    model = CNN()
    assert [(K.shape, b.shape) for K, b in model.params] == cnn_shapes((1, 8, 8), 16, 3, 2, 64, 10)
    # 16 kernels of 3x3 + 16 biases, 144 x 64 + 64, 64 x 10 + 10
    assert model.n_parameters == 16 * 9 + 16 + 144 * 64 + 64 + 64 * 10 + 10
    assert model.n_parameters == sum(a.size for pair in model.params for a in pair)
    # leftover rows are dropped by the pooling: 7 x 6 input, 2 x 2 kernels -> 6 x 5 -> 3 x 2
    assert cnn_shapes((2, 7, 6), 3, 2, 2, 5, 4)[1][0] == (3 * 3 * 2, 5)


def test_forward_equals_the_public_layers_composed():
    params = init_cnn_params(**SMALL, n_classes=4, rng=1)
    for pair in params:  # non-zero biases, so a misplaced bias would show
        pair[1][:] = rng.normal(size=pair[1].shape)
    X, _ = small_batch()
    np.testing.assert_allclose(
        cnn_forward(X, params, 2), forward_by_public_layers(X, params, 2), atol=1e-12
    )
    model = CNN(**SMALL, n_classes=4, seed=1)
    model.params = params
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))


def test_gradients_match_numerical_gradients():
    model = CNN(**SMALL, n_classes=4, seed=2)
    for pair in model.params:
        pair[1][:] = rng.normal(0, 0.1, size=pair[1].shape)
    X, y = small_batch()
    loss, grads = model.gradients(X, y)
    assert loss == pytest.approx(
        softmax_cross_entropy(y, forward_by_public_layers(X, model.params, 2))
    )
    for pair, grad_pair in zip(model.params, grads, strict=True):
        for p, g in zip(pair, grad_pair, strict=True):
            numeric = numerical_gradient(lambda _: model.gradients(X, y)[0], p)
            assert g.shape == p.shape
            assert relative_error(g, numeric) < 1e-6


def test_gradients_of_the_default_network_on_digits_match_numerical_gradients():
    X, y = load_digits(as_images=True)
    model = CNN(seed=3)
    # blank pixels give pre-activations of exactly bK; a zero bias would sit on ReLU's kink
    model.params[0][1][:] = rng.normal(0, 0.1, size=16)
    loss, grads = model.gradients(X[:20], y[:20])
    (K, bK), _, (W2, b2) = model.params
    # the convolution's kernels and bias and the output layer: cheap enough to check entirely
    for p, g in [(K, grads[0][0]), (bK, grads[0][1]), (b2, grads[2][1])]:
        numeric = numerical_gradient(lambda _: model.gradients(X[:20], y[:20])[0], p)
        assert relative_error(g, numeric) < 1e-6


@pytest.mark.torch
def test_gradients_agree_with_pytorch_autograd():
    torch = pytest.importorskip("torch")
    model = CNN(**SMALL, n_classes=4, seed=4)
    X, y = small_batch(8)
    loss, grads = model.gradients(X, y)
    tensors = [torch.tensor(a, requires_grad=True) for pair in model.params for a in pair]
    K, bK, W1, b1, W2, b2 = tensors
    out = torch.nn.functional.conv2d(torch.tensor(X), K, bK).relu()
    F = torch.nn.functional.max_pool2d(out, 2).flatten(1)  # PyTorch's flatten order
    Z2 = (F @ W1 + b1).relu() @ W2 + b2
    t_loss = torch.nn.functional.cross_entropy(Z2, torch.tensor(y))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    for g, t in zip((g for pair in grads for g in pair), tensors, strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_pure_functions_leave_their_arguments_alone():
    params = init_cnn_params(**SMALL, n_classes=4, rng=5)
    X, y = small_batch()
    copies = [a.copy() for pair in params for a in pair] + [X.copy()]
    cnn_gradients(X, y, params, 2)
    for a, c in zip([a for pair in params for a in pair] + [X], copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(as_images=True)
    return train_test_split(X, y, test_size=1 / 3, stratify=y, random_state=0)


def test_fit_learns_digits_and_moves_the_filters(digits):
    X_train, X_test, y_train, y_test = digits
    model = CNN(n_filters=8, n_hidden=32, seed=0)
    K0 = model.params[0][0].copy()
    X_copy = X_train.copy()
    model.fit(X_train[:600], y_train[:600], n_epochs=8)
    np.testing.assert_array_equal(X_train, X_copy)
    assert model.loss_history_.shape == (8,)
    assert model.loss_history_[-1] < 0.5 * model.loss_history_[0]
    assert model.score(X_test, y_test) > 0.9
    change = np.linalg.norm(model.params[0][0] - K0) / np.linalg.norm(K0)
    assert change > 0.1  # the kernels learned: they are no longer their initialisation


def test_fit_is_seeded_and_continues_from_the_current_params(digits):
    X_train, _, y_train, _ = digits
    X, y = X_train[:200], y_train[:200]
    a = CNN(n_filters=4, n_hidden=8, seed=7).fit(X, y, n_epochs=2)
    b = CNN(n_filters=4, n_hidden=8, seed=7).fit(X, y, n_epochs=2)
    c = CNN(n_filters=4, n_hidden=8, seed=8).fit(X, y, n_epochs=2)
    for pa, pb, pc in zip(a.params, b.params, c.params, strict=True):
        np.testing.assert_array_equal(pa[0], pb[0])
        assert not np.array_equal(pa[0], pc[0])
    # a second fit starts where the first ended: 2 + 1 epochs differ from 1 epoch from scratch
    a.fit(X, y, n_epochs=1)
    fresh = CNN(n_filters=4, n_hidden=8, seed=7).fit(X, y, n_epochs=1)
    assert not np.array_equal(a.params[1][0], fresh.params[1][0])


def test_one_full_batch_gradient_step_is_exactly_w_minus_lr_grad(digits):
    X_train, _, y_train, _ = digits
    X, y = X_train[:100], y_train[:100]
    model = CNN(n_filters=4, n_hidden=8, seed=9)
    start = [p.copy() for pair in model.params for p in pair]
    _, grads = model.gradients(X, y)
    model.fit(X, y, lr=0.5, n_epochs=1, optimizer="gd", batch_size=None)
    expected = [
        p - 0.5 * g for p, g in zip(start, (g for pair in grads for g in pair), strict=True)
    ]
    for got, want in zip((p for pair in model.params for p in pair), expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-14)


def test_validation_data_and_early_stopping(digits):
    X_train, X_test, y_train, y_test = digits
    model = CNN(n_filters=4, n_hidden=8, seed=1)
    model.fit(X_train[:300], y_train[:300], n_epochs=4, validation_data=(X_test, y_test))
    assert model.val_loss_history_.shape == (4,)
    assert model.best_epoch_ == int(np.argmin(model.val_loss_history_))
    # patience 1 with a learning rate far too large: the validation loss soon stops
    # improving, training stops, and the model keeps the best epoch's parameters
    model = CNN(n_filters=4, n_hidden=8, seed=1)
    model.fit(
        X_train[:300],
        y_train[:300],
        lr=0.5,
        n_epochs=30,
        validation_data=(X_test, y_test),
        patience=1,
    )
    n_run = len(model.loss_history_)
    assert n_run < 30 and len(model.val_loss_history_) == n_run
    assert model.best_epoch_ == n_run - 2
    val_loss, _ = model.gradients(X_test, y_test)
    assert val_loss == pytest.approx(model.val_loss_history_[model.best_epoch_], rel=1e-12)


@pytest.mark.slow
def test_defaults_reach_98_percent_on_the_digits(digits):
    X_train, X_test, y_train, y_test = digits
    assert CNN(seed=0).fit(X_train, y_train).score(X_test, y_test) >= 0.98


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: CNN(input_shape=(8, 8)), r"input_shape is \(8, 8\), expected three positive"),
        (lambda: CNN(kernel_size=9), "kernel_size is 9, expected at most min"),
        (lambda: CNN(pool_size=7), "pool_size is 7, expected at most 6"),
        (lambda: CNN(n_filters=0), "n_filters must be an integer >= 1"),
        (lambda: CNN(n_classes=1), "n_classes must be an integer >= 2"),
        (
            lambda: CNN().predict(np.zeros((5, 64))),
            r"X has shape \(5, 64\), expected \(n_samples, \*\(1, 8, 8\)\)",
        ),
        (lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1, 10]), "y must hold class labels 0 to 9"),
        (lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1]), "y has length 2, expected 3"),
        (
            lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1, 2], optimizer="sgd"),
            "unknown optimizer 'sgd'",
        ),
        (
            # AdamW is in dlcourse.optim but has no tuned CNN defaults: a clear refusal
            lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1, 2], optimizer="adamw"),
            "unknown optimizer 'adamw'; expected one of",
        ),
        (
            lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1, 2], lr=-1.0),
            "lr must be a positive number",
        ),
        (
            lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1, 2], batch_size=0),
            "batch_size must be an integer >= 1",
        ),
        (
            lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1, 2], patience=2),
            "patience is 2 but validation_data is None",
        ),
        (
            lambda: CNN().fit(np.zeros((3, 1, 8, 8)), [0, 1, 2], validation_data=np.zeros(3)),
            r"validation_data must be a pair \(X_val, y_val\)",
        ),
        (
            lambda: CNN().fit(
                np.zeros((3, 1, 8, 8)), [0, 1, 2], validation_data=(np.zeros((2, 1, 8, 7)), [0, 1])
            ),
            r"validation_data\[0\] has shape \(2, 1, 8, 7\)",
        ),
        (lambda: CNN().score(np.zeros((2, 1, 8, 8)), [0]), "y has length 1, expected 2"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_wrong_params_raise_clear_errors():
    model = CNN()
    (K, bK), pair1, pair2 = model.params
    model.params = [(K[:, :, :2], bK), pair1, pair2]
    with pytest.raises(ValueError, match=r"K has shape \(16, 1, 2, 3\), expected \(16, 1, 3, 3\)"):
        model.predict(np.zeros((1, 1, 8, 8)))
    model.params = [(K, bK), pair1]
    with pytest.raises(ValueError, match="params must be a list of three pairs"):
        model.predict(np.zeros((1, 1, 8, 8)))


def test_softmax_gradient_is_the_one_backpropagation_starts_from():
    # cnn_gradients starts from softmax_cross_entropy_grad; check the pairing once here
    params = init_cnn_params(**SMALL, n_classes=4, rng=6)
    X, y = small_batch()
    Z2 = cnn_forward(X, params, 2)
    _, grads = cnn_gradients(X, y, params, 2)
    A1 = np.maximum(
        dense_forward(
            max_pool2d_forward(np.maximum(conv2d_forward(X, *params[0]), 0), 2).reshape(6, -1),
            *params[1],
        ),
        0,
    )
    np.testing.assert_allclose(grads[2][0], A1.T @ softmax_cross_entropy_grad(y, Z2), atol=1e-14)


def test_cnn_is_exported_beside_mlp_and_transformer():
    import dlcourse

    assert dlcourse.CNN is CNN
    assert {"CNN", "MLP", "Transformer"} <= set(dlcourse.__all__)
