"""Numerical gradients by central differences, to check every backward pass."""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    ``grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every entry
    ``i`` of ``x``.

    If ``x`` is a float64 ndarray, its entries are nudged in place, so ``f`` may
    either use its argument or read ``x`` through a closure (for example a weight
    matrix inside a list of parameters); each entry is restored right after, so
    ``x`` is unchanged afterwards, even if ``f`` raises. Any other ``x`` is
    copied to float64 first and ``f`` receives the copy.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar.
    x : array_like of any shape
    eps : float, default 1e-6

    Returns
    -------
    grad : ndarray of the shape of ``x``

    Examples
    --------
    >>> numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.writeable):
        x = as_float_array(x, "x").copy()
    if not eps > 0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + eps
            f_plus = float(f(x))
            x[idx] = old - eps
            f_minus = float(f(x))
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a, b):
    """Relative distance ``||a - b|| / (||a|| + ||b||)`` of two whole arrays.

    Comparing whole gradient vectors (rather than entry by entry) keeps tiny
    entries, whose own relative error is noisy, from dominating. Returns 0 when
    both are zero; at most 1 otherwise.

    Parameters
    ----------
    a, b : array_like of the same shape

    Returns
    -------
    float

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([1.0, 0.0], [0.0, 1.0]), 4)
    0.7071
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a has shape {a.shape} but b has shape {b.shape}; expected the same shape"
        )
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)
