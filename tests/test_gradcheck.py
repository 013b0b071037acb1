"""Tests for dlcourse.gradcheck: central differences and the relative error."""

import numpy as np
import pytest

from dlcourse.gradcheck import numerical_gradient, relative_error


def test_gradient_of_a_known_function():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.5])
    numeric = numerical_gradient(lambda v: 0.5 * v @ A @ v + np.sin(v[0]), x)
    np.testing.assert_allclose(numeric, A @ x + [np.cos(0.5), 0.0], rtol=1e-8)


def test_x_is_unchanged_and_closures_see_the_nudges():
    W = np.random.default_rng(0).normal(size=(3, 2))
    W_copy = W.copy()
    params = {"W": W}
    numeric = numerical_gradient(lambda _: np.sum(params["W"] ** 3), W)  # reads W through a closure
    np.testing.assert_array_equal(W, W_copy)
    np.testing.assert_allclose(numeric, 3 * W**2, rtol=1e-7)


def test_x_is_restored_when_f_raises():
    x = np.array([1.0, 2.0])

    def f(v):
        if v[0] != 1.0:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_lists_and_int_arrays_are_copied_to_float():
    x = np.array([1, 2])
    numeric = numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_allclose(numeric, [2.0, 4.0], rtol=1e-8)
    assert x.dtype.kind == "i"
    np.testing.assert_allclose(numerical_gradient(lambda v: v[0] * v[1], [3.0, 4.0]), [4.0, 3.0])


def test_relative_error():
    a = np.array([1.0, 2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(a, a * (1 + 1e-9)) == pytest.approx(5e-10, rel=1e-3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: relative_error(np.zeros(3), np.zeros(4)),
            r"a has shape \(3,\) but b has shape \(4,\)",
        ),
        (lambda: numerical_gradient(np.sum, np.zeros(2), eps=0.0), "eps must be a positive"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
