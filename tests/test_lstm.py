"""Tests for dlcourse.lstm (re-exported by dlcourse.rnn): the LSTM layer and its backward."""

import numpy as np
import pytest

from dlcourse import rnn
from dlcourse.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(0)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def lstm_by_steps(xs, Wx, Wh, b, h, c):
    """Independent reference: each gate with its own slice of the weights, one step at a time."""
    H = Wh.shape[0]
    hs, cs = [], []
    for x in xs:
        blocks = [x @ Wx[:, k * H : (k + 1) * H] + h @ Wh[:, k * H : (k + 1) * H]
                  + b[k * H : (k + 1) * H] for k in range(4)]
        i, f, g, o = sigmoid(blocks[0]), sigmoid(blocks[1]), np.tanh(blocks[2]), sigmoid(blocks[3])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


def lstm_args(T=5, n_in=3, n_hidden=4, batch=None):
    lead = (T,) if batch is None else (T, batch)
    state = (n_hidden,) if batch is None else (batch, n_hidden)
    return (rng.normal(size=(*lead, n_in)), rng.normal(0, 0.5, size=(n_in, 4 * n_hidden)),
            rng.normal(0, 0.5, size=(n_hidden, 4 * n_hidden)), rng.normal(size=4 * n_hidden),
            rng.normal(size=state), rng.normal(size=state))


def test_the_contract_names_work_as_rnn_functions():
    assert rnn.lstm_forward.__module__ == "dlcourse.lstm"
    assert rnn.lstm_backward.__module__ == "dlcourse.lstm"


def test_forward_matches_a_step_by_step_loop():
    xs, Wx, Wh, b, h0, c0 = lstm_args()
    hs, cs = rnn.lstm_forward(xs, Wx, Wh, b, h0, c0)
    ref_hs, ref_cs = lstm_by_steps(xs, Wx, Wh, b, h0, c0)
    np.testing.assert_allclose(hs, ref_hs, atol=1e-14)
    np.testing.assert_allclose(cs, ref_cs, atol=1e-14)
    zero_start = rnn.lstm_forward(xs, Wx, Wh, b)
    zeros = np.zeros(4)
    np.testing.assert_allclose(zero_start[0], lstm_by_steps(xs, Wx, Wh, b, zeros, zeros)[0],
                               atol=1e-14)


def test_a_batch_is_the_sequences_one_by_one():
    xs, Wx, Wh, b, h0, c0 = lstm_args(batch=3)
    hs, cs = rnn.lstm_forward(xs, Wx, Wh, b, h0, c0)
    assert hs.shape == cs.shape == (5, 3, 4)
    dhs = rng.normal(size=hs.shape)
    batch_grads = rnn.lstm_backward(dhs, xs, hs, cs, Wx, Wh, b, h0, c0)
    summed = [np.zeros_like(g) for g in batch_grads[1:4]]
    for s in range(3):
        one_hs, one_cs = rnn.lstm_forward(xs[:, s], Wx, Wh, b, h0[s], c0[s])
        np.testing.assert_allclose(hs[:, s], one_hs, atol=1e-14)
        one = rnn.lstm_backward(dhs[:, s], xs[:, s], one_hs, one_cs, Wx, Wh, b, h0[s], c0[s])
        np.testing.assert_allclose(batch_grads[0][:, s], one[0], atol=1e-13)
        np.testing.assert_allclose(batch_grads[4][s], one[4], atol=1e-13)
        np.testing.assert_allclose(batch_grads[5][s], one[5], atol=1e-13)
        summed = [a + g for a, g in zip(summed, one[1:4], strict=True)]
    for mine, ref in zip(batch_grads[1:4], summed, strict=True):
        np.testing.assert_allclose(mine, ref, atol=1e-12)


@pytest.mark.parametrize("batch", [None, 2])
def test_backward_matches_numerical_gradients(batch):
    xs, Wx, Wh, b, h0, c0 = lstm_args(T=4, batch=batch)
    hs, cs = rnn.lstm_forward(xs, Wx, Wh, b, h0, c0)
    Gh, Gc = rng.normal(size=hs.shape), np.zeros(hs.shape)

    def loss(_):
        return np.sum(rnn.lstm_forward(xs, Wx, Wh, b, h0, c0)[0] * Gh)

    grads = rnn.lstm_backward(Gh + Gc, xs, hs, cs, Wx, Wh, b, h0, c0)
    for analytic, x in zip(grads, (xs, Wx, Wh, b, h0, c0), strict=True):
        assert analytic.shape == x.shape
        assert relative_error(analytic, numerical_gradient(loss, x)) < 1e-7


def test_the_cell_path_carries_the_gradient_far_back():
    """With the forget gate held open (large forget bias) the gradient from the last step
    still reaches the first input after 60 steps; a tanh RNN's vanishes."""
    # its own generator: the module's shared one made the draws depend on which tests ran first
    # (under xdist or alone the RNN's weights changed and so did the outcome)
    rng = np.random.default_rng(0)
    T, H = 60, 8
    xs = rng.normal(size=(T, 1))
    Wx, Wh = rng.normal(0, 0.3, size=(1, 4 * H)), rng.normal(0, 0.3, size=(H, 4 * H))
    b = np.zeros(4 * H)
    b[H : 2 * H] = 5.0  # f = sigmoid(5) ~ 0.993
    hs, cs = rnn.lstm_forward(xs, Wx, Wh, b)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    dxs = rnn.lstm_backward(dhs, xs, hs, cs, Wx, Wh, b)[0]
    # the RNN's recurrent weights have spectral norm 0.8 and tanh' <= 1, so each step back
    # shrinks the gradient by 0.8 at least: |dx_0| <= |Wx| 0.8^59 ~ 2e-6 |Wx|
    Wx_r, Wh_r = rng.normal(0, 0.3, size=(1, H)), rng.normal(size=(H, H))
    Wh_r *= 0.8 / np.linalg.norm(Wh_r, 2)
    hs_r = rnn.rnn_forward(xs, Wx_r, Wh_r, np.zeros(H))
    dhs_r = np.zeros_like(hs_r)
    dhs_r[-1] = 1.0
    dxs_r = rnn.rnn_backward(dhs_r, xs, hs_r, Wx_r, Wh_r)[0]
    assert abs(dxs[0, 0]) > 1e-3 * abs(dxs[-1, 0])
    assert abs(dxs_r[0, 0]) < 1e-5 * np.linalg.norm(Wx_r)


@pytest.mark.torch
def test_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    xs, Wx, Wh, b, h0, c0 = lstm_args(T=6, batch=3)
    lstm = torch.nn.LSTM(3, 4, dtype=torch.float64)  # (T, batch, n_in) by default
    with torch.no_grad():  # torch's weights are (4 H, n_in), ours their transposes
        lstm.weight_ih_l0.copy_(torch.tensor(Wx.T))
        lstm.weight_hh_l0.copy_(torch.tensor(Wh.T))
        lstm.bias_ih_l0.copy_(torch.tensor(b))
        lstm.bias_hh_l0.zero_()
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (xs, h0[None], c0[None]))
    t_hs, _ = lstm(tx, (th, tc))
    G = rng.normal(size=t_hs.shape)
    (t_hs * torch.tensor(G)).sum().backward()
    hs, cs = rnn.lstm_forward(xs, Wx, Wh, b, h0, c0)
    np.testing.assert_allclose(hs, t_hs.detach().numpy(), atol=1e-12)
    dxs, dWx, dWh, db, dh0, dc0 = rnn.lstm_backward(G, xs, hs, cs, Wx, Wh, b, h0, c0)
    pairs = [(dxs, tx.grad), (dWx.T, lstm.weight_ih_l0.grad), (dWh.T, lstm.weight_hh_l0.grad),
             (db, lstm.bias_ih_l0.grad), (dh0, th.grad[0]), (dc0, tc.grad[0])]
    for mine, theirs in pairs:
        assert relative_error(mine, theirs.numpy()) < 1e-10


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rnn.lstm_forward(np.ones(3), np.ones((1, 4)), np.ones((1, 4)), np.ones(4)),
         "xs has shape"),
        (lambda: rnn.lstm_forward(np.ones((3, 2)), np.ones((2, 6)), np.ones((1, 4)), np.ones(4)),
         "Wx has shape"),
        (lambda: rnn.lstm_forward(np.ones((3, 2)), np.ones((2, 8)), np.ones((2, 4)), np.ones(8)),
         "Wh has shape"),
        (lambda: rnn.lstm_forward(np.ones((3, 2)), np.ones((2, 8)), np.ones((2, 8)), np.ones(4)),
         "b has shape"),
        (lambda: rnn.lstm_forward(np.ones((3, 2)), np.ones((2, 8)), np.ones((2, 8)), np.ones(8),
                                  h0=np.ones(3)), "h0 has shape"),
        (lambda: rnn.lstm_forward(np.ones((3, 2)), np.ones((2, 8)), np.ones((2, 8)), np.ones(8),
                                  c0=np.ones((2, 2))), "c0 has shape"),
        (lambda: rnn.lstm_backward(np.ones((3, 1)), np.ones((3, 2)), np.ones((3, 2)),
                                   np.ones((3, 2)), np.ones((2, 8)), np.ones((2, 8)), np.ones(8)),
         "dhs has shape"),
        (lambda: rnn.lstm_backward(np.ones((3, 2)), np.ones((3, 2)), np.ones((2, 2)),
                                   np.ones((3, 2)), np.ones((2, 8)), np.ones((2, 8)), np.ones(8)),
         "hs has shape"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
