"""Dropout: switch off a random part of the units while training.

Inverted dropout keeps each entry of ``X`` with probability ``1 - p`` and scales the
kept ones by ``1 / (1 - p)``, so the expected value of every entry is unchanged and the
network needs no rescaling at test time, where dropout is simply left out. The boolean
keep mask is drawn from ``rng`` and is all the backward pass needs: the gradient flows
through the kept entries (scaled the same way) and is zero at the dropped ones.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array
from .data import as_rng

__all__ = ["dropout_backward", "dropout_forward"]


def _check_p(p, name="p"):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"{name} must be a dropout probability in [0, 1), got {p!r}")
    return float(p)


def dropout_forward(X, p, rng=None, training=True):
    """Inverted dropout: ``out = X * mask / (1 - p)`` with a random boolean keep mask.

    Parameters
    ----------
    X : array_like of any shape
    p : float in [0, 1)
        Probability of dropping each entry.
    rng : None, int or numpy.random.Generator
        Draws the mask (``rng.random(X.shape) >= p``). None is the course's default
        seed, so every call without a Generator draws the same mask: pass one
        Generator to a training loop to get a new mask at every step.
    training : bool, default True
        False (evaluation): nothing is dropped and ``(X, None)`` is returned.

    Returns
    -------
    out : ndarray of the shape of ``X``
    mask : ndarray of bool of the shape of ``X``, True where the entry is kept; or None

    Examples
    --------
    >>> out, mask = dropout_forward(np.ones((2, 4)), 0.5, rng=0)
    >>> out  # the kept entries are doubled, the dropped ones are 0
    array([[2., 0., 0., 0.],
           [2., 2., 2., 2.]])
    >>> bool(np.all(out == mask * 2.0))
    True
    """
    X = as_float_array(X, "X")
    p = _check_p(p)
    if not isinstance(training, (bool, np.bool_)):
        raise ValueError(f"training must be True or False, got {training!r}")
    if not training:
        return X, None
    mask = as_rng(rng).random(X.shape) >= p
    return X * mask / (1.0 - p), mask


def dropout_backward(dOut, mask, p):
    """Backward pass of :func:`dropout_forward` (training mode): ``dX = dOut * mask / (1 - p)``.

    Parameters
    ----------
    dOut : array_like, the upstream gradient, shaped like the forward's ``X``
    mask : ndarray of bool, the mask returned by the forward pass
    p : float in [0, 1), the same ``p`` as in the forward pass

    Returns
    -------
    dX : ndarray of the shape of ``dOut``

    Examples
    --------
    >>> dropout_backward([[1.0, 1.0]], np.array([[True, False]]), 0.5)
    array([[2., 0.]])
    """
    dOut = as_float_array(dOut, "dOut")
    p = _check_p(p)
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(
            f"mask has dtype {mask.dtype}, expected the boolean keep mask of dropout_forward"
        )
    if mask.shape != dOut.shape:
        raise ValueError(
            f"mask has shape {mask.shape}, expected {dOut.shape}, the shape of dOut"
        )
    return dOut * mask / (1.0 - p)
