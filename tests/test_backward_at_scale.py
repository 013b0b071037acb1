"""Hostile review 21b, hole 10: backward passes answered by finite differences.

A student who writes the forward pass and differentiates it numerically (central differences,
two forward passes per parameter) passed every check of 05, 09 and 10, whose networks were
tiny. Each backward exercise now has one hidden case too large for that. Time is not asserted
here (tests never do): the finite-difference answers below count their forward passes and give
up after a budget far larger than every small case needs and far smaller than the large case
needs (each of its forward passes costs milliseconds: benchmarks would be minutes). Honest
answers of every style pass the large cases in tests/test_exercise_fairness.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.attention import scaled_dot_product_attention
from dlcourse.checks import ex05_backprop, ex09_conv_rnn, ex10_attention
from dlcourse.layers import max_pool2d_forward

#: Forward passes a finite-difference answer may make in one call: more than twice what the
#: largest small case needs (about 190), under 1/100 of what the smallest large case needs
BUDGET = 500


class OutOfBudget(Exception):
    pass


def _central_differences(loss, arrays, budget):
    """Gradients of ``loss()`` with respect to each of ``arrays`` (changed in place and put
    back), counting forward passes in ``budget[0]``."""
    grads = []
    for array in arrays:
        grad = np.zeros(array.shape)
        for index in np.ndindex(array.shape):
            keep = array[index]
            values = []
            for step in (1e-6, -1e-6):
                budget[0] -= 1
                if budget[0] < 0:
                    raise OutOfBudget("finite differences ran out of forward passes")
                array[index] = keep + step
                values.append(loss())
            array[index] = keep
            grad[index] = (values[0] - values[1]) / 2e-6
        grads.append(grad)
    return grads


def _fd_mlp_gradients(X, y, params, hidden_activation="relu"):
    budget = [BUDGET]
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]

    def loss():
        return ex05_backprop.mlp_loss(X, y, params, hidden_activation)

    flat = _central_differences(loss, [a for pair in params for a in pair], budget)
    return loss(), list(zip(flat[::2], flat[1::2], strict=True))


def _fd_max_pool2d_backward(dOut, X, size):
    X = np.array(X, dtype=float)
    return _central_differences(
        lambda: float(np.sum(dOut * max_pool2d_forward(X, size))), [X], [BUDGET])[0]


def _fd_attention_backward(dOut, Q, K, V, mask=None):
    Q, K, V = (np.array(a, dtype=float) for a in (Q, K, V))
    return tuple(_central_differences(
        lambda: float(np.sum(dOut * scaled_dot_product_attention(Q, K, V, mask)[0])),
        [Q, K, V], [BUDGET]))


@pytest.mark.parametrize("check, small, answer", [
    (ex05_backprop.check_mlp_gradients_at_scale, ex05_backprop.check_mlp_gradients,
     _fd_mlp_gradients),
    (ex09_conv_rnn.check_max_pool2d_backward_at_scale, None, _fd_max_pool2d_backward),
    (ex10_attention.check_attention_backward_at_scale,
     ex10_attention.check_attention_backward, _fd_attention_backward),
], ids=["05_mlp_gradients", "09_max_pool2d_backward", "10_attention_backward"])
def test_finite_differences_pass_the_small_cases_and_cannot_finish_the_large_one(
        check, small, answer, monkeypatch):
    # the answers are this file's functions, not a notebook's: the own-work check (which
    # refuses code of the course's own test files) is not what this test is about
    for module in (ex05_backprop, ex09_conv_rnn, ex10_attention):
        monkeypatch.setattr(module, "assert_own_implementation", lambda *args, **kwargs: None)
    if small is not None:
        small(answer)  # within the budget: numerically right, as the review found
    else:  # 09's visible case with tied maxima already tells: the differences split dOut
        with pytest.raises(AssertionError, match="tied maxima"):
            ex09_conv_rnn.check_max_pool2d_backward(answer)
    with pytest.raises(OutOfBudget):
        check(answer)


def test_the_large_cases_are_large():
    """Forward passes finite differences need on each large case (two per parameter or
    input): at least a hundred times the budget."""
    sizes = ex05_backprop.LARGE_LAYER_SIZES
    needs = {"05": 2 * sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False)),
             "09": 2 * int(np.prod(ex09_conv_rnn.LARGE_POOL_SHAPE)),
             "10": 2 * 3 * int(np.prod(ex10_attention.LARGE_SHAPE))}
    assert min(needs.values()) >= 100 * BUDGET, needs
