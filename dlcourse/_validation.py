"""Shared argument checks: every public function raises the same clear ``ValueError``.

Each helper names the argument, says what arrived and what was expected, so a
student reading the message knows what to change.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(a, name):
    """Return ``a`` as a float64 array (a new array only when needed).

    Raises
    ------
    ValueError
        If ``a`` cannot be read as numbers or contains NaN or infinity.
    """
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers, got {type(a).__name__}") from err
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; expected finite numbers")
    return arr


def check_2d(a, name, n_columns=None, what="features"):
    """Return ``a`` as a finite float 2-D array of shape ``(n_samples, n_columns)``."""
    arr = as_float_array(a, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} has shape {arr.shape}, expected a 2-D array (n_samples, n_{what}); "
            f"for a single {what[:-1]} use {name}.reshape(-1, 1)"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); expected at least one sample")
    if n_columns is not None and arr.shape[1] != n_columns:
        raise ValueError(
            f"{name} has shape {arr.shape}, expected ({arr.shape[0]}, {n_columns}): "
            f"{n_columns} {what}"
        )
    return arr


def check_1d(a, name, n=None):
    """Return ``a`` as a finite float 1-D array, optionally of length ``n``."""
    arr = as_float_array(a, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} has shape {arr.shape}, expected a 1-D array (n_samples,)")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; expected at least one value")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has length {arr.shape[0]}, expected {n} (one per sample)")
    return arr


def check_labels(y, name, n=None):
    """Return binary labels ``y`` (0/1) as a float 1-D array of length ``n``."""
    arr = check_1d(y, name, n)
    if not np.all((arr == 0) | (arr == 1)):
        bad = np.unique(arr[(arr != 0) & (arr != 1)])[:5]
        raise ValueError(
            f"{name} must hold binary labels 0 or 1, got values such as {bad.tolist()}"
        )
    return arr


def check_class_labels(y, name, n_classes, n=None):
    """Return integer class labels ``y`` in ``0 .. n_classes - 1`` as an int 1-D array."""
    arr = check_1d(y, name, n)
    if not np.all(arr == np.round(arr)):
        bad = np.unique(arr[arr != np.round(arr)])[:5]
        raise ValueError(
            f"{name} must hold integer class labels, got values such as {bad.tolist()}"
        )
    outside = (arr < 0) | (arr >= n_classes)
    if np.any(outside):
        bad = np.unique(arr[outside])[:5].astype(int)
        raise ValueError(
            f"{name} must hold class labels 0 to {n_classes - 1} ({n_classes} classes), "
            f"got values such as {bad.tolist()}"
        )
    return arr.astype(np.intp)


def check_positive_int(value, name, minimum=1):
    """Return ``value`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_positive_float(value, name):
    """Return ``value`` as a float, raising unless it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value}")
    return float(value)


def check_fraction(value, name):
    """Return ``value`` as a float in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def check_weight_decay(weight_decay):
    """``weight_decay`` as a float, a finite number >= 0 (the L2 strength or AdamW's decay)."""
    if (
        isinstance(weight_decay, bool)
        or not isinstance(weight_decay, numbers.Real)
        or not np.isfinite(weight_decay)
        or weight_decay < 0
    ):
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    return float(weight_decay)


def check_layer_sizes(layer_sizes):
    """Layer widths such as ``[2, 5, 1]``: at least two positive integers; return a list."""
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise ValueError(
            f"layer_sizes must be a list of layer widths such as [2, 5, 1], got {layer_sizes!r}"
        )
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes is {sizes}, expected at least two entries: inputs and outputs, "
            "e.g. [2, 5, 1]"
        )
    for k, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"layer_sizes[{k}] is {size!r}, expected a positive integer")
    return [int(s) for s in sizes]
