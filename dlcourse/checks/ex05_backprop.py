"""Visible checks of exercise 05_backprop (back-propagation and gradient descent by hand).

Each ``check_<function>(func)`` calls only the student's ``func``. Gradients are compared
with central differences computed here (:func:`dlcourse.testing.reference_numerical_gradient`),
never with one particular implementation's numbers, so every correct implementation passes.
"""

from __future__ import annotations

import numpy as np

from dlcourse.testing import (
    assert_close,
    assert_finite,
    assert_gradient_close,
    assert_own_implementation,
    assert_scalar,
    assert_shape,
    call_in_place,
    reference_numerical_gradient,
)

_HIDDEN = {
    "relu": lambda Z: np.maximum(Z, 0.0),
    "sigmoid": lambda Z: 0.5 * (1.0 + np.tanh(0.5 * Z)),
    "tanh": np.tanh,
}


def mlp_loss(X, y, params, hidden_activation="relu"):
    """Mean binary cross-entropy of an MLP with a sigmoid output unit (reference for the checks).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Labels 0 or 1.
    params : list of (W, b)
        ``W`` of shape ``(n_in, n_out)``, ``b`` of shape ``(n_out,)``; the last layer has one unit.
    hidden_activation : {"relu", "sigmoid", "tanh"}

    Returns
    -------
    float
    """
    A = np.asarray(X, dtype=float)
    for W, b in params[:-1]:
        A = _HIDDEN[hidden_activation](A @ W + b)
    W, b = params[-1]
    z = (A @ W + b)[:, 0]
    y = np.asarray(y, dtype=float)
    # log(sigmoid(z)) = -logaddexp(0, -z), log(1 - sigmoid(z)) = -logaddexp(0, z)
    return float(np.mean(y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)))


def numerical_parameter_gradients(X, y, params, hidden_activation="relu"):
    """Central-difference gradients of :func:`mlp_loss` for every ``W`` and ``b``."""
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    grads = []
    for W, b in params:
        pair = []
        for array in (W, b):
            pair.append(reference_numerical_gradient(
                lambda _: mlp_loss(X, y, params, hidden_activation), array))
        grads.append(tuple(pair))
    return grads


def _gradient_hint(analytic, numeric, n_samples):
    """A guess at what went wrong, from the ratio of the two gradients."""
    a = np.asarray(analytic, dtype=float).ravel()
    g = np.asarray(numeric, dtype=float).ravel()
    if a.shape == g.shape and np.linalg.norm(g) > 1e-8:
        ratio = float(a @ g / (g @ g))
        if np.allclose(a, ratio * g, rtol=1e-4, atol=1e-9):
            if np.isclose(ratio, n_samples, rtol=1e-3):
                return ("it is n_samples times too large: the loss is a mean, so divide the "
                        "output error by n_samples once")
            if np.isclose(ratio, -1.0, rtol=1e-3):
                return "it has the wrong sign: the gradient of the loss points uphill"
    return ("check each step: the output error (A - y) / n_samples with y of shape (n, 1), "
            "the transposes, and the derivative of the hidden activation")


def check_gradients(grads, params, expected, n_samples, what):
    """Compare a student's ``grads`` (list of (dW, db)) with ``expected`` layer by layer."""
    if not isinstance(grads, (list, tuple)):
        raise AssertionError(f"{what}: grads should be a list of (dW, db) pairs, got "
                             f"{type(grads).__name__}")
    if len(grads) != len(params):
        raise AssertionError(f"{what}: grads has {len(grads)} entries, expected one (dW, db) "
                             f"pair per layer, i.e. {len(params)}")
    for layer, (pair, (W, b), (dW_num, db_num)) in enumerate(
            zip(grads, params, expected, strict=True), start=1):
        if len(pair) != 2:
            raise AssertionError(f"{what}: grads[{layer - 1}] should be a pair (dW{layer}, "
                                 f"db{layer}), got {len(pair)} items")
        dW, db = pair
        assert_shape(dW, np.shape(W), f"dW{layer}")
        assert_shape(db, np.shape(b), f"db{layer}")
        assert_gradient_close(dW, dW_num, f"dW{layer} ({what})",
                              hint=_gradient_hint(dW, dW_num, n_samples))
        assert_gradient_close(db, db_num, f"db{layer} ({what})",
                              hint=_gradient_hint(db, db_num, n_samples))


def call_mlp_gradients(mlp_gradients, X, y, params, **kwargs):
    """Call the student's mlp_gradients; turn a shape error into a hint about y's shape."""
    try:
        return mlp_gradients(X, y, params, **kwargs)
    except ValueError as error:
        text = str(error)
        if "broadcast" in text or "mismatch" in text or "shape" in text or "aligned" in text:
            raise AssertionError(
                f"mlp_gradients raised ValueError ({text}): a shape does not fit. y has shape "
                f"{np.shape(y)} but the output p has shape ({len(y)}, 1): reshape y with "
                "y.reshape(-1, 1), or p - y broadcasts to an (n, n) matrix") from None
        raise


def check_dense_backward(dense_backward):
    """Check dense_backward on a 2-sample, 3-input, 2-output layer."""
    assert_own_implementation(dense_backward, "dense_backward")
    X = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    W = np.array([[0.5, -1.0], [2.0, 0.0], [1.0, 1.5]])
    dZ = np.array([[1.0, -2.0], [0.5, 3.0]])
    X_before, W_before = X.copy(), W.copy()
    result = call_in_place(dense_backward, dZ.copy(), X_before, W_before)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise AssertionError("dense_backward should return three arrays (dX, dW, db), got "
                             f"{type(result).__name__}")
    dX, dW, db = result
    if not (np.array_equal(X, X_before) and np.array_equal(W, W_before)):  # the copies
        raise AssertionError("dense_backward changed X or W in place: leave its arguments alone")
    # Z = X @ W + b, so dX = dZ W^T, dW = X^T dZ, db = sum of dZ over the samples.
    assert_shape(dW, (3, 2), "dW")
    assert_close(dW, [[0.5, -5.0], [2.0, -4.0], [2.0, 8.0]], "dW",
                 hint="dW = X.T @ dZ (each weight collects input * error over the samples)")
    assert_shape(db, (2,), "db")
    assert_close(db, [1.5, 1.0], "db",
                 hint="db is the sum of dZ over the samples (axis 0), not the mean")
    assert_shape(dX, (2, 3), "dX")
    assert_close(dX, [[2.5, 2.0, -2.0], [-2.75, 1.0, 5.0]], "dX", hint="dX = dZ @ W.T")


def check_mlp_gradients(mlp_gradients):
    """Check mlp_gradients on a 2-3-1 network (ReLU and tanh) against central differences."""
    assert_own_implementation(mlp_gradients, "mlp_gradients")
    X = np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [1.0, 1.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    params = [
        (np.array([[0.4, -0.6, 0.9], [0.7, 0.3, -0.5]]), np.array([0.1, -0.2, 0.05])),
        (np.array([[0.8], [-1.1], [0.6]]), np.array([0.3])),
    ]
    for activation in ("relu", "tanh"):
        copies = [(W.copy(), b.copy()) for W, b in params]
        kwargs = {} if activation == "relu" else {"hidden_activation": activation}
        what = "default hidden_activation" if activation == "relu" else (
            f'hidden_activation="{activation}"')
        result = call_mlp_gradients(mlp_gradients, X, y, copies, **kwargs)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise AssertionError("mlp_gradients should return a pair (loss, grads)")
        loss, grads = result
        expected_loss = mlp_loss(X, y, params, activation)
        loss = assert_scalar(loss, f"loss ({what})")
        if not np.isclose(loss, expected_loss, rtol=1e-6):
            raise AssertionError(
                f"loss ({what}) is {loss:.6g}, expected {expected_loss:.6g}: the mean binary "
                "cross-entropy over the samples; if y has shape (n,) and the output (n, 1), "
                "reshape y to (n, 1) first (broadcasting would build an (n, n) array)")
        expected = numerical_parameter_gradients(X, y, params, activation)
        check_gradients(grads, params, expected, len(y), what)


#: Layer sizes of the network too large for finite differences: about 160 000 parameters,
#: so central differences need some 320 000 forward passes (minutes on any CPU, far beyond a
#: test cell's time limit) where backpropagation needs one forward and one backward pass
LARGE_LAYER_SIZES = (400, 400, 1)


def check_mlp_gradients_at_scale(mlp_gradients, seed=5053, n_samples=64):
    """Check mlp_gradients on a network of :data:`LARGE_LAYER_SIZES` against the package's
    backpropagation: an answer that differentiates numerically instead runs out of time
    (hostile review 21b, hole 10), any backpropagation takes well under a second."""
    from dlcourse.backprop import mlp_gradients as reference_gradients

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, LARGE_LAYER_SIZES[0]))
    y = (np.arange(n_samples) % 2).astype(float)
    rng.shuffle(y)
    params = [(rng.normal(scale=1.0 / np.sqrt(n_in), size=(n_in, n_out)),
               rng.normal(scale=0.1, size=n_out))
              for n_in, n_out in zip(LARGE_LAYER_SIZES[:-1], LARGE_LAYER_SIZES[1:],
                                     strict=True)]
    what = f"layer_sizes={list(LARGE_LAYER_SIZES)}"
    expected_loss, expected = reference_gradients(X, y, [(W.copy(), b.copy()) for W, b in params])
    result = call_mlp_gradients(mlp_gradients, X, y, [(W.copy(), b.copy()) for W, b in params])
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AssertionError("mlp_gradients should return a pair (loss, grads)")
    loss, grads = result
    assert_close(assert_scalar(loss, f"loss ({what})"), expected_loss, f"loss ({what})",
                 rtol=1e-6, hint="the mean binary cross-entropy over the samples")
    check_gradients(grads, params, expected, n_samples, what)


def check_numerical_gradient(numerical_gradient):
    """Check numerical_gradient on functions with known gradients, that x is perturbed in place
    (section 3 reads it through ``params``) and restored."""
    assert_own_implementation(numerical_gradient, "numerical_gradient")
    before = np.array([1.0, -2.0, 0.5])
    x = before.copy()  # the student's copy: its in-place changes come back into it
    grad = call_in_place(numerical_gradient, lambda v: float(np.sum(v ** 3)), x)
    if not np.allclose(x, before, rtol=0.0, atol=1e-12):
        raise AssertionError(
            f"x changed from {before.tolist()} to {x.tolist()}: put each entry back after "
            "perturbing it, so that x is exactly as it was when numerical_gradient returns")
    assert_shape(grad, before.shape, "numerical_gradient(f, x)")
    assert_gradient_close(grad, 3 * before ** 2, "numerical_gradient of sum(x**3)",
                          hint="use the central difference (f(x + eps) - f(x - eps)) / (2 eps) "
                          "for one entry at a time")
    # With a large step the central difference of x**3 is exactly 3 x**2 + eps**2.
    grad = numerical_gradient(lambda v: float(np.sum(v ** 3)), before.copy(), eps=0.1)
    assert_close(grad, 3 * before ** 2 + 0.01, "numerical_gradient(sum(x**3), x, eps=0.1)",
                 rtol=1e-9,
                 hint="use the given eps and the central difference (f(x + eps) - f(x - eps)) "
                 "/ (2 eps); a one-sided difference is less accurate")
    A = np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]])
    W_before = np.array([[0.3, -1.2], [2.0, 0.7], [-0.4, 1.1]])
    W = W_before.copy()
    # section 3's recipe: f ignores its argument and reads the matrix itself (as the loss reads
    # W1 through params), so only a perturbation of x itself reaches it
    grad = call_in_place(numerical_gradient, lambda _: float(np.sum(A * np.sin(W))), W)
    if not np.allclose(W, W_before, rtol=0.0, atol=1e-12):
        raise AssertionError("the matrix x changed during numerical_gradient: put each entry "
                             "back after perturbing it")
    assert_shape(grad, (3, 2), "numerical_gradient(f, W) for a (3, 2) matrix W")
    if np.allclose(np.asarray(grad, dtype=float), 0.0):
        raise AssertionError(
            "numerical_gradient returned zeros for a function that reads the matrix W itself "
            "rather than its argument (as mlp_gradients reads W1 through params in section 3): "
            "perturb x in place (x[index] = original + eps, call f(x), ..., x[index] = "
            "original), not a copy of x, which f never sees")
    assert_gradient_close(grad, A * np.cos(W_before), "numerical_gradient(f, W)",
                          hint="perturb every entry of a matrix "
                          "(e.g. loop over np.ndindex(x.shape))")


def _blobs(n_per_class, n_features, rng):
    X0 = rng.normal(loc=-1.0, scale=0.6, size=(n_per_class, n_features))
    X1 = rng.normal(loc=1.0, scale=0.6, size=(n_per_class, n_features))
    X = np.vstack([X0, X1])
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
    return X, y


def _as_float_params(params, layer_sizes, what):
    if not isinstance(params, (list, tuple)):
        raise AssertionError(f"{what}: params should be a list of (W, b) pairs, got "
                             f"{type(params).__name__}")
    if len(params) != len(layer_sizes) - 1:
        raise AssertionError(f"{what}: layer_sizes {list(layer_sizes)} has "
                             f"{len(layer_sizes) - 1} layers, but params has {len(params)} pairs")
    result = []
    for layer, (pair, n_in, n_out) in enumerate(
            zip(params, layer_sizes[:-1], layer_sizes[1:], strict=True), start=1):
        W, b = pair
        assert_shape(W, (n_in, n_out), f"W{layer}")
        assert_shape(b, (n_out,), f"b{layer}")
        result.append((np.array(W, dtype=float), np.array(b, dtype=float)))
    return result


def check_one_step(train, X, y, layer_sizes, lr, seed):
    """Check losses and updates of ``train`` through what is observable.

    With a tiny learning rate (1e-12) nothing moves measurably, so the returned parameters are
    the initial ones and every recorded loss is their loss (``lr=0`` itself may be rejected by an
    implementation that validates its arguments). With the same ``rng`` seed and ``lr > 0`` one
    epoch must move the parameters by ``-lr`` times the gradient, and two epochs record the loss
    before each.
    """
    tiny = 1e-12
    P0, losses = train(X.copy(), y.copy(), layer_sizes, lr=tiny, n_epochs=3,
                       rng=np.random.default_rng(seed))
    P0 = _as_float_params(P0, layer_sizes, "train(..., lr=1e-12)")
    assert_shape(losses, (3,), "losses of train(..., n_epochs=3)")
    loss0 = mlp_loss(X, y, P0)
    assert_close(losses, [loss0] * 3, "losses of train(..., lr=1e-12, n_epochs=3)",
                 hint="with lr=1e-12 the parameters do not move, so every entry should be the "
                 "mean binary cross-entropy of the returned parameters")
    P0_again, _ = train(X.copy(), y.copy(), layer_sizes, lr=tiny, n_epochs=1,
                        rng=np.random.default_rng(seed))
    P0_again = _as_float_params(P0_again, layer_sizes, "train(..., lr=1e-12)")
    for layer, ((W, b), (W2, b2)) in enumerate(zip(P0, P0_again, strict=True), start=1):
        if not (np.allclose(W, W2) and np.allclose(b, b2)):
            raise AssertionError(
                f"two calls of train with the same rng seed started from different W{layer}: "
                "draw the initial weights from np.random.default_rng(rng), never from np.random")
    P1, losses1 = train(X.copy(), y.copy(), layer_sizes, lr=lr, n_epochs=1,
                        rng=np.random.default_rng(seed))
    P1 = _as_float_params(P1, layer_sizes, f"train(..., lr={lr}, n_epochs=1)")
    assert_shape(losses1, (1,), "losses of train(..., n_epochs=1)")
    assert_close(losses1, [loss0], f"losses of train(..., lr={lr}, n_epochs=1)",
                 hint="record the loss before the update (losses[k] is the loss before update k)")
    grads = numerical_parameter_gradients(X, y, P0)
    for layer, ((W0, b0), (W1, b1), (dW, db)) in enumerate(
            zip(P0, P1, grads, strict=True), start=1):
        for name, before, after, g in ((f"W{layer}", W0, W1, dW), (f"b{layer}", b0, b1, db)):
            step = (before - after) / lr
            hint = _gradient_hint(step, g, len(y))
            if hint.startswith("it has the wrong sign"):
                hint = (f"{name} moved uphill: gradient descent subtracts, "
                        f"{name} = {name} - lr * d{name}")
            elif not hint.startswith("it is n_samples"):
                hint = (f"one epoch of gradient descent is {name} = {name} - lr * d{name}, with "
                        "the gradient of the mean binary cross-entropy over all samples")
            assert_gradient_close(step, g, f"(change of {name} in one epoch) / (-lr)",
                                  rtol=1e-4, hint=hint)
    P2, losses2 = train(X.copy(), y.copy(), layer_sizes, lr=lr, n_epochs=2,
                        rng=np.random.default_rng(seed))
    _as_float_params(P2, layer_sizes, f"train(..., lr={lr}, n_epochs=2)")
    assert_close(losses2, [loss0, mlp_loss(X, y, P1)], f"losses of train(..., lr={lr}, n_epochs=2)",
                 hint="losses[k] is the loss before update k, one entry per epoch")


def check_learns(train, X, y, layer_sizes, lr, n_epochs, seed, min_accuracy):
    """Check that ``train`` fits an easy problem: loss goes down, accuracy is reached."""
    params, losses = train(X.copy(), y.copy(), layer_sizes, lr=lr, n_epochs=n_epochs,
                           rng=np.random.default_rng(seed))
    params = _as_float_params(params, layer_sizes, "train")
    assert_shape(losses, (n_epochs,), f"losses of train(..., n_epochs={n_epochs})")
    assert_finite(losses, "losses", hint="check the loss (clip or use a stable formula)")
    losses = np.asarray(losses, dtype=float)
    if not losses[-1] < 0.5 * losses[0]:
        raise AssertionError(
            f"the loss went from {losses[0]:.4g} to {losses[-1]:.4g} in {n_epochs} epochs on two "
            "well separated clusters: it should at least halve; check the sign of the update "
            "(W = W - lr * dW) and the gradients")
    A = X
    for W, b in params[:-1]:
        A = np.maximum(A @ W + b, 0.0)
    W, b = params[-1]
    predicted = ((A @ W + b)[:, 0] > 0).astype(float)
    accuracy = float(np.mean(predicted == y))
    if not accuracy >= min_accuracy:
        raise AssertionError(
            f"after training, the returned parameters classify only {accuracy:.0%} of the "
            f"training samples correctly (ReLU hidden layers, sigmoid output), expected at least "
            f"{min_accuracy:.0%}: check the initialisation (small random weights, not all equal) "
            "and the update")


def check_train(train):
    """Check train's loss record and updates, then that it separates two clusters."""
    assert_own_implementation(train, "train")
    rng = np.random.default_rng(5)
    X, y = _blobs(6, 2, rng)
    check_one_step(train, X, y, [2, 3, 1], lr=0.5, seed=1)
    X, y = _blobs(50, 2, rng)
    check_learns(train, X, y, [2, 8, 1], lr=0.5, n_epochs=200, seed=2, min_accuracy=0.95)


CHECKS = {
    "dense_backward": check_dense_backward,
    "numerical_gradient": check_numerical_gradient,
    "mlp_gradients": check_mlp_gradients,
    "train": check_train,
}
