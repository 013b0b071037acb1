"""The fast training engine behind :meth:`dlcourse.mlp.MLP.fit`.

:mod:`dlcourse.mlp` teaches the algorithm with plain functions (forward pass with a
cache, backpropagation, a training loop). This module runs the same arithmetic for
real training, where speed matters (the chapters train many networks live, the
benchmark compares with scikit-learn): every array is allocated once, before the
first epoch, and each large array is touched as few times as possible.

- All weights and biases live in one flat vector ``theta`` (and their gradients in
  another), so an optimizer's ``update([theta], [grad])`` is a handful of numpy calls
  however many layers there are. Layer ``l`` is a view of its block, ``Wb_l = [W_l; b_l]``
  of shape ``(n_in + 1, n_out)``; each layer input carries a constant column of ones, so
  ``Z_l = [A_{l-1}, 1] @ Wb_l`` and one product ``[A_{l-1}, 1].T @ dZ_l`` gives ``dW_l``
  and ``db_l`` together.
- Hidden layers write ``Z`` straight into the buffer of ``A`` and apply the activation in
  place (``INPLACE_ACTIVATIONS``); the derivatives are taken from the output ``A``
  (``INPLACE_DERIVATIVES``), so ``Z`` is never stored. Both registries are checked
  against :mod:`dlcourse.activations` by the tests.
- The output layer and its loss form one unit (``OUTPUT_LAYERS``): a sigmoid with the mean
  binary cross-entropy for one output unit, a softmax with the mean categorical
  cross-entropy for ``k >= 2``. Either way backpropagation starts from
  ``dZ_L = (y_hat - Y) / n_samples``.
- Buffers are column-major, so ``A = [A, 1][:, :-1]`` is a contiguous view.
- For an optimizer whose ``plain_gradient_step`` is True (plain gradient descent) ``lr``
  is folded into ``dZ_L`` and the update is one subtraction.
- Dropout (``dropout > 0``, training only) keeps each hidden activation ``f(Z_l)`` in its
  own buffer and writes ``f(Z_l) * mask / (1 - p)`` into the next layer's input, so the
  derivative ``f'`` is still read from ``f(Z_l)``; backpropagation multiplies ``dA_l`` by
  the same mask and scale first (:func:`dlcourse.dropout.dropout_backward`). The masks are
  drawn as :func:`dlcourse.dropout.dropout_forward` draws them, ``rng.random(shape) >= p``,
  for every batch and hidden layer in order. With ``dropout = 0`` nothing of this runs.

Mini-batches are drawn with :func:`dlcourse.training.minibatch_indices` and early stopping
is kept by :class:`dlcourse.training.EarlyStopping`, shared with the other models.
"""

from __future__ import annotations

import math

import numpy as np

from .training import EarlyStopping, minibatch_indices

__all__ = ["INPLACE_ACTIVATIONS", "INPLACE_DERIVATIVES", "OUTPUT_LAYERS", "fit_mlp"]

#: Slope of leaky ReLU for negative inputs (the default of :func:`dlcourse.activations.leaky_relu`).
LEAKY_SLOPE = 0.01

# ----------------------------------------------------------------------------- hidden activations


def _sigmoid_into(Z, A):
    """``A = 1 / (1 + exp(-Z))``; ``A`` may be ``Z``.

    ``exp`` overflows to inf for ``Z < -709``, which gives exactly 0, the right value:
    the engine silences the overflow warning once for the whole loop.
    """
    np.negative(Z, out=A)
    np.exp(A, out=A)
    A += 1.0
    np.reciprocal(A, out=A)


def _identity_inplace(A):
    """Nothing to do: ``f(Z) = Z``."""


def _relu_inplace(A):
    np.maximum(A, 0.0, out=A)


def _tanh_inplace(A):
    np.tanh(A, out=A)


def _sigmoid_inplace(A):
    _sigmoid_into(A, A)


def _leaky_relu_inplace(A):
    np.multiply(A, LEAKY_SLOPE, out=A, where=A < 0)


#: In-place activations: ``f(A)`` overwrites ``A`` (holding ``Z``) with ``f(Z)``.
INPLACE_ACTIVATIONS = {
    "identity": _identity_inplace,
    "relu": _relu_inplace,
    "tanh": _tanh_inplace,
    "sigmoid": _sigmoid_inplace,
    "leaky_relu": _leaky_relu_inplace,
}


def _identity_derivative(A, dZ, tmp):
    """Nothing to do: ``f'(Z) = 1``."""


def _relu_derivative(A, dZ, tmp):
    np.greater(A, 0.0, out=tmp)  # f'(Z) = 1 where A = relu(Z) > 0
    dZ *= tmp


def _tanh_derivative(A, dZ, tmp):
    np.multiply(A, A, out=tmp)  # f'(Z) = 1 - A**2
    np.subtract(1.0, tmp, out=tmp)
    dZ *= tmp


def _sigmoid_derivative(A, dZ, tmp):
    np.subtract(1.0, A, out=tmp)  # f'(Z) = A (1 - A)
    tmp *= A
    dZ *= tmp


def _leaky_relu_derivative(A, dZ, tmp):
    np.greater(A, 0.0, out=tmp)  # f'(Z) = 1 where A > 0, LEAKY_SLOPE elsewhere
    tmp *= 1.0 - LEAKY_SLOPE
    tmp += LEAKY_SLOPE
    dZ *= tmp


#: In-place backward steps through an activation: ``d(A, dZ, tmp)`` turns ``dZ`` (holding
#: ``dA``) into ``dA * f'(Z)``, with ``f'`` computed from the output ``A = f(Z)``; ``tmp`` is
#: scratch space of ``A``'s shape (of dtype ``SCRATCH_DTYPES.get(name, float)``).
INPLACE_DERIVATIVES = {
    "identity": _identity_derivative,
    "relu": _relu_derivative,
    "tanh": _tanh_derivative,
    "sigmoid": _sigmoid_derivative,
    "leaky_relu": _leaky_relu_derivative,
}

#: ReLU's derivative is a mask: a boolean scratch buffer is 8 times smaller.
SCRATCH_DTYPES = {"relu": bool}

# ----------------------------------------------------------------------------- output layers


class _SigmoidBCE:
    """One sigmoid output unit with the mean binary cross-entropy; targets are 0/1."""

    @staticmethod
    def encode(labels, n_out):
        """All targets as a float column (n_samples, 1)."""
        return np.asarray(labels, dtype=np.float64).reshape(-1, 1)

    def __init__(self, n, n_out):
        self.n = n
        self.Y = np.empty((n, 1))
        self.not_y = np.empty(n)
        self.ones = np.ones(n)
        self.y_hat = np.empty((n, 1))
        self.log_p = np.empty((n, 1))

    def load(self, T, rows):
        if rows is None:
            self.Y[...] = T
        else:
            np.take(T, rows, axis=0, out=self.Y)
        np.subtract(1.0, self.Y[:, 0], out=self.not_y)

    def loss(self, Z):
        """Mean of ``log(1 + exp(z)) - y z``, summed as ``(1 - y) . z - 1 . log(y_hat)``."""
        _sigmoid_into(Z, self.y_hat)
        np.log(self.y_hat, out=self.log_p)
        loss = float(self.not_y @ Z[:, 0] - self.ones @ self.log_p[:, 0]) / self.n
        if not math.isfinite(loss):  # y_hat rounded to 0 somewhere: take the exact route
            loss = float(np.mean(np.logaddexp(0.0, Z) - self.Y * Z))
        return loss

    def delta(self, dZ, scale):
        """``dZ_L = (y_hat - y) * scale``."""
        np.subtract(self.y_hat, self.Y, out=dZ)
        dZ *= scale


class _SoftmaxCE:
    """A softmax over ``k >= 2`` output units with the mean categorical cross-entropy."""

    @staticmethod
    def encode(labels, n_out):
        """All targets one-hot, (n_samples, k)."""
        Y = np.zeros((len(labels), n_out), order="F")
        Y[np.arange(len(labels)), labels] = 1.0
        return Y

    def __init__(self, n, n_out):
        self.n = n
        self.Y = np.empty((n, n_out), order="F")
        self.y_hat = np.empty((n, n_out), order="F")
        self.row = np.empty(n)

    def load(self, T, rows):
        if rows is None:
            self.Y[...] = T
        else:
            np.take(T, rows, axis=0, out=self.Y)

    def loss(self, Z):
        """Mean of ``logsumexp(Z_i) - Z_i[y_i]``; leaves ``softmax(Z)`` in ``y_hat``.

        ``Z`` is overwritten with the shifted logits ``S = Z - max_j Z_ij`` (exp cannot
        overflow), then ``y_hat = exp(S) / sum_j exp(S_ij)`` and the loss is
        ``mean(log sum_j exp(S_ij)) - sum(S * Y) / n``.
        """
        row = self.row
        np.max(Z, axis=1, out=row)
        Z -= row[:, None]
        np.exp(Z, out=self.y_hat)
        np.sum(self.y_hat, axis=1, out=row)
        self.y_hat /= row[:, None]
        np.log(row, out=row)
        picked = Z.ravel(order="K") @ self.Y.ravel(order="K")  # sum_i S_i[y_i]
        return float(row.sum() - picked) / self.n

    def delta(self, dZ, scale):
        """``dZ_L = (y_hat - Y) * scale`` with ``Y`` one-hot."""
        np.subtract(self.y_hat, self.Y, out=dZ)
        dZ *= scale


#: Output unit and loss, by the output activation's name.
OUTPUT_LAYERS = {"sigmoid": _SigmoidBCE, "softmax": _SoftmaxCE}


def output_activation(n_out):
    """``"sigmoid"`` for one output unit, ``"softmax"`` for two or more."""
    return "sigmoid" if n_out == 1 else "softmax"


# ----------------------------------------------------------------------------- buffers


class _Network:
    """The parameters as one flat vector ``theta``, with views per layer."""

    def __init__(self, params):
        sizes = [(W.shape[0] + 1) * W.shape[1] for W, _ in params]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.theta = np.empty(bounds[-1])
        self.grad = np.empty(bounds[-1])
        self.Wbs, self.grads, self.W_flats, self.dW_flats = [], [], [], []
        for (W, b), start, stop in zip(params, bounds[:-1], bounds[1:], strict=True):
            shape = (W.shape[0] + 1, W.shape[1])
            Wb = self.theta[start:stop].reshape(shape)
            Wb[:-1] = W
            Wb[-1] = b
            self.Wbs.append(Wb)
            self.grads.append(self.grad[start:stop].reshape(shape))
            n_weights = W.size  # [W; b] row by row: the first W.size entries are W
            self.W_flats.append(self.theta[start : start + n_weights])
            self.dW_flats.append(self.grad[start : start + n_weights])
        self.W_Ts = [Wb[:-1].T for Wb in self.Wbs]  # views of W_l, updated in place

    def penalty(self, weight_decay):
        """``weight_decay / 2 * sum ||W_l||^2`` (biases excluded)."""
        return 0.5 * weight_decay * sum(float(w @ w) for w in self.W_flats)

    def add_decay(self, coef):
        """``dW_l += coef * W_l`` for every layer."""
        for dw, w in zip(self.dW_flats, self.W_flats, strict=True):
            dw += coef * w

    def params(self):
        """New ``[(W, b), ...]`` arrays holding the current values."""
        return [(Wb[:-1].copy(), Wb[-1].copy()) for Wb in self.Wbs]


class _Workspace:
    """Activations and gradients of the hidden layers for a fixed number of rows."""

    def __init__(self, n, n_features, widths, activation, backward=True, dropout=0.0):
        self.inputs = [np.ones((n, n_features + 1), order="F")]  # [X, 1]
        self.inputs += [np.ones((n, w + 1), order="F") for w in widths[:-1]]  # [A_l, 1]
        self.X = self.inputs[0][:, :-1]
        self.As = [a[:, :-1] for a in self.inputs[1:]]  # views: A1, A2, ...
        self.Z_out = np.empty((n, widths[-1]), order="F")
        self.head = OUTPUT_LAYERS[output_activation(widths[-1])](n, widths[-1])
        self.f = INPLACE_ACTIVATIONS[activation]
        self.hidden = range(len(widths) - 1)
        self.dropout = dropout
        if dropout:
            # f(Z_l) before dropout (for f'), the keep masks and the uniform draws
            self.pre = [np.empty((n, w), order="F") for w in widths[:-1]]
            self.masks = [np.empty((n, w), dtype=bool, order="F") for w in widths[:-1]]
            self.draws = [np.empty((n, w)) for w in widths[:-1]]
        if not backward:
            return
        widest = max(widths[:-1], default=1)
        # dZ of the hidden layers: two buffers used alternately (dZ_l and dZ_{l-1} are
        # needed together), plus a scratch buffer for f'; every view is made here, once
        dZ_bufs = [np.empty((n, widest), order="F") for _ in range(2)]
        scratch = np.empty((n, widest), order="F", dtype=SCRATCH_DTYPES.get(activation, float))
        self.dZ_out = np.empty((n, widths[-1]), order="F")
        self.dZs = [dZ_bufs[(layer + 1) % 2][:, :w] for layer, w in enumerate(widths[:-1])]
        self.dZs.append(self.dZ_out)
        self.scratches = [scratch[:, :w] for w in widths[:-1]]
        self.inputs_T = [a.T for a in self.inputs]
        self.f_grad = INPLACE_DERIVATIVES[activation]
        self.backward_layers = range(len(widths) - 1, 0, -1)

    def load(self, X, T, rows=None):
        """Copy the samples ``rows`` (all when None) and their encoded targets in."""
        if rows is None:
            self.X[...] = X
        else:
            np.take(X, rows, axis=0, out=self.X)
        self.head.load(T, rows)

    def forward_loss(self, net, rng=None):
        """Forward pass ``A_l = f([A_{l-1}, 1] @ [W_l; b_l])``; return the mean loss.

        With dropout and an ``rng`` (training), ``A_l = f(...) * mask_l / (1 - p)``.
        """
        Wbs = net.Wbs
        dropping = self.dropout and rng is not None
        for layer in self.hidden:
            if dropping:
                pre = self.pre[layer]
                np.matmul(self.inputs[layer], Wbs[layer], out=pre)
                self.f(pre)
                rng.random(out=self.draws[layer])
                np.greater_equal(self.draws[layer], self.dropout, out=self.masks[layer])
                np.multiply(pre, self.masks[layer], out=self.As[layer])
                self.As[layer] *= 1.0 / (1.0 - self.dropout)
                continue
            np.matmul(self.inputs[layer], Wbs[layer], out=self.As[layer])
            self.f(self.As[layer])
        np.matmul(self.inputs[-1], Wbs[-1], out=self.Z_out)
        return self.head.loss(self.Z_out)

    def backward(self, net, scale):
        """Gradients into ``net.grads`` after :meth:`forward_loss`, times ``scale * n``.

        ``dZ_L = (y_hat - Y) * scale``; ``[dW_l; db_l] = [A_{l-1}, 1].T @ dZ_l``;
        ``dZ_{l-1} = (dZ_l @ W_l.T) * f'(Z_{l-1})``.
        """
        self.head.delta(self.dZ_out, scale)
        dZs, grads = self.dZs, net.grads
        for layer in self.backward_layers:
            np.matmul(self.inputs_T[layer], dZs[layer], out=grads[layer])
            np.matmul(dZs[layer], net.W_Ts[layer], out=dZs[layer - 1])
            if self.dropout:  # back through the dropout: the same mask and scale
                dZs[layer - 1] *= self.masks[layer - 1]
                dZs[layer - 1] *= 1.0 / (1.0 - self.dropout)
                self.f_grad(self.pre[layer - 1], dZs[layer - 1], self.scratches[layer - 1])
                continue
            self.f_grad(self.As[layer - 1], dZs[layer - 1], self.scratches[layer - 1])
        np.matmul(self.inputs_T[0], dZs[0], out=grads[0])


# ----------------------------------------------------------------------------- the loop


def fit_mlp(
    X,
    labels,
    params,
    activation,
    optimizer,
    n_epochs,
    batch_size=None,
    rng=None,
    weight_decay=0.0,
    validation_data=None,
    patience=None,
    dropout=0.0,
    decoupled_decay=0.0,
):
    """Train an MLP from ``params``; the arguments are already checked by the caller.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,)
        0/1 for one output unit, integers ``0 .. k - 1`` for ``k`` output units.
    params : list of (W, b)
        Starting values (not changed).
    activation : str
        Hidden activation, a key of ``INPLACE_ACTIVATIONS``.
    optimizer : an optimizer of :mod:`dlcourse.optim`
    n_epochs : int
    batch_size : None or int
        None (or at least ``n_samples``): one full-batch step per epoch.
    rng : numpy.random.Generator, needed for mini-batches
        Shuffles the samples, one ``rng.permutation(n_samples)`` per epoch.
    weight_decay : float
        Adds ``weight_decay / 2 * sum ||W_l||^2`` to the loss.
    validation_data : None or (X_val, labels_val), checked
    patience : None or int
        Early stopping; needs ``validation_data``.
    dropout : float in [0, 1)
        Inverted dropout on every hidden layer's output during training (masks drawn
        from ``rng``); the validation loss is computed without it.

    Returns
    -------
    params : list of (W, b), new arrays
        The last epoch's, or with ``patience`` the best epoch's.
    losses : ndarray of shape (n_epochs_run,)
        Full-batch: the training loss before each epoch's update. Mini-batch: the mean of
        the batch losses, weighted by batch size, each taken before its batch's update.
        With dropout, the loss of the thinned network that was trained (with its masks).
    stopper : EarlyStopping or None
        The validation losses after each epoch's updates and the best epoch.
    """
    n_samples, n_features = X.shape
    widths = [W.shape[1] for W, _ in params]
    head = OUTPUT_LAYERS[output_activation(widths[-1])]
    T = head.encode(labels, widths[-1])
    net = _Network(params)
    plain = optimizer.plain_gradient_step
    lr_fold = optimizer.lr if plain else 1.0  # plain gradient descent: lr rides along in dZ_L
    update = optimizer.update
    theta, grad = [net.theta], [net.grad]

    shrink = 1.0 - optimizer.lr * decoupled_decay

    def step():
        if weight_decay:
            net.add_decay(weight_decay * lr_fold)
        if decoupled_decay:
            for w in net.W_flats:
                w *= shrink
        if plain:
            net.theta -= net.grad
        else:
            update(theta, grad)

    stopper = None
    if validation_data is not None:
        X_val, labels_val = validation_data
        val_ws = _Workspace(X_val.shape[0], n_features, widths, activation, backward=False)
        val_ws.load(X_val, head.encode(labels_val, widths[-1]))
        stopper = EarlyStopping(patience)
        best_theta = np.empty_like(net.theta) if patience is not None else None

    full_batch = batch_size is None or batch_size >= n_samples
    if full_batch:
        ws = _Workspace(n_samples, n_features, widths, activation, dropout=dropout)
        ws.load(X, T)
    else:
        workspaces = {
            batch_size: _Workspace(batch_size, n_features, widths, activation, dropout=dropout)
        }
        last = n_samples % batch_size
        if last:
            workspaces[last] = _Workspace(last, n_features, widths, activation, dropout=dropout)

    losses = np.empty(n_epochs)
    n_run = n_epochs
    with np.errstate(over="ignore", divide="ignore"):
        for epoch in range(n_epochs):
            if full_batch:
                loss = ws.forward_loss(net, rng)
                if weight_decay:
                    loss += net.penalty(weight_decay)
                losses[epoch] = loss
                ws.backward(net, lr_fold / n_samples)
                step()
            else:
                total = 0.0
                for rows in minibatch_indices(n_samples, batch_size, rng):
                    batch_ws = workspaces[len(rows)]
                    batch_ws.load(X, T, rows)
                    loss = batch_ws.forward_loss(net, rng)
                    if weight_decay:
                        loss += net.penalty(weight_decay)
                    total += loss * len(rows)
                    batch_ws.backward(net, lr_fold / len(rows))
                    step()
                losses[epoch] = total / n_samples
            if stopper is not None:
                val_loss = val_ws.forward_loss(net)
                if weight_decay:
                    val_loss += net.penalty(weight_decay)
                if stopper.record(val_loss) and best_theta is not None:
                    np.copyto(best_theta, net.theta)
                if stopper.should_stop:
                    n_run = epoch + 1
                    break
    if stopper is not None and best_theta is not None and stopper.best_epoch is not None:
        np.copyto(net.theta, best_theta)
    return net.params(), losses[:n_run], stopper
