"""Tests for dlcourse.rnn: next-value pairs, BPTT gradients of the RNN + readout, training."""

import numpy as np
import pytest

from dlcourse.data import make_sine_sequence
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.layers import rnn_backward, rnn_forward
from dlcourse.rnn import (
    hidden_state_gradients,
    init_rnn_params,
    next_value_pairs,
    rnn_gradients,
    rnn_predict,
    train_rnn,
)

rng = np.random.default_rng(0)


def test_rnn_gradients_match_numerical_gradients():
    xs = rng.normal(size=(9, 2))
    targets = rng.normal(size=(9, 1))
    params = init_rnn_params(2, 3, 1, rng=1)
    params[2][:] = rng.normal(0, 0.3, size=3)  # non-zero biases
    params[4][:] = 0.2
    loss, grads = rnn_gradients(xs, targets, params)
    y_hat, _ = rnn_predict(xs, params)
    assert loss == pytest.approx(np.mean((y_hat - targets) ** 2))
    for p, g in zip(params, grads, strict=True):
        numeric = numerical_gradient(lambda _: rnn_gradients(xs, targets, params)[0], p)
        assert g.shape == p.shape
        assert relative_error(g, numeric) < 1e-7


def test_rnn_gradients_from_a_given_start_state_match_numerical_gradients():
    # truncated BPTT: a chunk starts from the previous chunk's last state h0, a constant
    own = np.random.default_rng(7)  # its own generator: the module's draws stay as they were
    xs, targets = own.normal(size=(6, 1)), own.normal(size=(6, 1))
    params = init_rnn_params(1, 3, 1, rng=2)
    h0 = own.uniform(-0.5, 0.5, size=3)
    loss, grads = rnn_gradients(xs, targets, params, h0)
    y_hat, _ = rnn_predict(xs, params, h0)
    assert loss == pytest.approx(np.mean((y_hat - targets) ** 2))
    assert loss != pytest.approx(rnn_gradients(xs, targets, params)[0])  # h0 is used
    for p, g in zip(params, grads, strict=True):
        numeric = numerical_gradient(lambda _: rnn_gradients(xs, targets, params, h0)[0], p)
        assert relative_error(g, numeric) < 1e-7


def test_hidden_state_gradients_are_dL_dh_t():
    # L = w . h_T; dL/dh_t by central differences: rerun the steps after t from h_t
    T = 8
    xs = rng.normal(size=(T, 1))
    Wx, Wh, b = rng.normal(size=(1, 3)), rng.normal(0, 0.6, size=(3, 3)), rng.normal(size=3)
    w = rng.normal(size=3)
    hs = rnn_forward(xs, Wx, Wh, b)
    dhs = np.zeros((T, 3))
    dhs[-1] = w
    g = hidden_state_gradients(dhs, xs, hs, Wx, Wh)
    for t in [0, 3, T - 2]:
        h_t = hs[t].copy()
        after = xs[t + 1 :]
        numeric = numerical_gradient(lambda h, a=after: w @ rnn_forward(a, Wx, Wh, b, h)[-1], h_t)
        np.testing.assert_allclose(g[t], numeric, rtol=1e-6, atol=1e-10)
    np.testing.assert_array_equal(g[-1], w)
    # and they are what rnn_backward turns into the input gradients
    dxs, *_ = rnn_backward(dhs, xs, hs, Wx, Wh)
    np.testing.assert_allclose(dxs, (g * (1 - hs**2)) @ Wx.T, atol=1e-14)


def test_train_rnn_learns_the_next_value_of_a_sine():
    t, x = make_sine_sequence(120, period=30, noise=0.05, rng=0)
    xs, targets = next_value_pairs(x)
    params, losses = train_rnn(xs, targets, n_hidden=8, n_epochs=150, rng=0)
    assert losses.shape == (150,)
    assert losses[-1] < 0.1 * losses[0]
    y_hat, _ = rnn_predict(xs, params)
    repeat_last = np.mean((xs - targets) ** 2)  # the naive forecast: tomorrow = today
    assert np.mean((y_hat - targets) ** 2) < 0.6 * repeat_last
    again, _ = train_rnn(xs, targets, n_hidden=8, n_epochs=150, rng=0)
    for a, b in zip(params, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_next_value_pairs_and_sine_sequence():
    xs, targets = next_value_pairs(np.arange(5.0))
    np.testing.assert_array_equal(xs[:, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(targets[:, 0], [1, 2, 3, 4])
    t, x = make_sine_sequence(50, period=10, noise=0.2, rng=3)
    np.testing.assert_array_equal(t, np.arange(50))
    residual = x - np.sin(2 * np.pi * t / 10)
    assert 0.1 < residual.std() < 0.3
    np.testing.assert_array_equal(x, make_sine_sequence(50, period=10, noise=0.2, rng=3)[1])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: next_value_pairs([1.0]), r"sequence has shape \(1, 1\), expected at least two"),
        (
            lambda: train_rnn(np.zeros((5, 1)), np.zeros((4, 1))),
            r"targets has shape \(4, 1\), expected \(5, n_out\)",
        ),
        (lambda: train_rnn(np.zeros(5), np.zeros((5, 1))), r"xs has shape \(5,\)"),
        (lambda: train_rnn(np.zeros((5, 1)), np.zeros((5, 1)), lr=0), "lr must be a positive"),
        (
            lambda: rnn_gradients(np.zeros((5, 1)), np.zeros((5, 2)), init_rnn_params(1, 3, 1)),
            r"targets has shape \(5, 2\), expected \(5, 1\)",
        ),
        (lambda: make_sine_sequence(10, period=0), "period must be a positive number"),
        (lambda: make_sine_sequence(10, noise=-1.0), "noise must be a number >= 0"),
        (lambda: init_rnn_params(1, 0, 1), "n_hidden must be an integer >= 1"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
