"""A network's parameters from its layer sizes: how many, and where they start.

Chapter "Initialisation" explains the rules: the weights must differ from each other (or
every unit of a layer stays identical) and their spread must suit the activation, so that
the signal neither grows nor fades from layer to layer. :data:`INITS` names the schemes;
:func:`init_params` picks one by the hidden activation unless told which.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_layer_sizes
from .activations import get_activation
from .data import as_rng

__all__ = ["INITS", "count_parameters", "init_params"]


def count_parameters(layer_sizes):
    """Number of weights and biases: ``sum(n_in * n_out + n_out)`` over the layers.

    Examples
    --------
    >>> count_parameters([2, 5, 1])  # 2*5 + 5 + 5*1 + 1
    21
    """
    sizes = check_layer_sizes(layer_sizes)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False))

def _he(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def _glorot(n_in, n_out, rng):
    r = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-r, r, size=(n_in, n_out))


def _normal(n_in, n_out, rng):
    return rng.normal(0.0, 1.0, size=(n_in, n_out))


def _small(n_in, n_out, rng):
    return rng.normal(0.0, 0.01, size=(n_in, n_out))


def _zeros(n_in, n_out, rng):
    return np.zeros((n_in, n_out))


#: Initialisation schemes by name: ``init(n_in, n_out, rng) -> W`` of shape (n_in, n_out).
#:
#: - ``"he"``: ``N(0, 2 / n_in)``, standard deviation ``sqrt(2 / n_in)`` (He et al. 2015): keeps
#:   the spread of ``Z`` from layer to layer with ReLU units, which zero half their inputs;
#: - ``"glorot"``: ``U(-r, r)`` with ``r = sqrt(6 / (n_in + n_out))``, standard deviation
#:   ``sqrt(2 / (n_in + n_out))`` (Glorot and Bengio 2010): for tanh, sigmoid, identity;
#: - ``"normal"``: ``N(0, 1)``, standard deviation 1 whatever the width (too large for wide
#:   layers: ``Z`` grows with ``sqrt(n_in)``);
#: - ``"small"``: ``N(0, 0.01^2)``, standard deviation 0.01 (too small for deep networks:
#:   the signal shrinks layer after layer);
#: - ``"zeros"``: every weight 0 (all units of a layer stay identical: the symmetry is never
#:   broken).
INITS = {"he": _he, "glorot": _glorot, "normal": _normal, "small": _small, "zeros": _zeros}


def init_params(layer_sizes, rng=None, hidden_activation="relu", init=None):
    """Random initial weights and zero biases for every layer.

    With ``init=None`` the weight scale follows the hidden activation, so that the
    spread of ``Z`` stays about the same from layer to layer: ReLU and leaky ReLU
    layers use He initialisation, ``W ~ N(0, 2 / n_in)``; sigmoid, tanh and identity
    layers Glorot's uniform initialisation, ``W ~ U(-r, r)`` with
    ``r = sqrt(6 / (n_in + n_out))`` (times 4 for the sigmoid, whose slope at 0 is
    1/4). The output layer always uses the Glorot rule. A named scheme (a key of
    :data:`INITS`: ``"he"``, ``"glorot"``, ``"normal"``, ``"small"``, ``"zeros"``)
    is used for every layer instead, the output layer included.

    Parameters
    ----------
    layer_sizes : list of int, e.g. ``[2, 5, 1]``
    rng : None, int or numpy.random.Generator
    hidden_activation : str, default "relu"
    init : None or str, default None

    Returns
    -------
    params : list of (W, b)
        ``W`` of shape ``(layer_sizes[l], layer_sizes[l + 1])``, ``b`` of shape
        ``(layer_sizes[l + 1],)``.

    Examples
    --------
    >>> [(W.shape, b.shape) for W, b in init_params([2, 5, 1])]
    [((2, 5), (5,)), ((5, 1), (1,))]
    >>> float(np.abs(init_params([3, 4], init="zeros")[0][0]).max())
    0.0
    """
    sizes = check_layer_sizes(layer_sizes)
    get_activation(hidden_activation)
    if init is not None and (not isinstance(init, str) or init not in INITS):
        raise ValueError(f"unknown init {init!r}; expected None or one of {sorted(INITS)}")
    gen = as_rng(rng)
    params = []
    n_layers = len(sizes) - 1
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False), start=1):
        hidden = layer < n_layers
        if init is not None:
            W = INITS[init](n_in, n_out, gen)
        elif hidden and hidden_activation in ("relu", "leaky_relu"):
            W = _he(n_in, n_out, gen)
        else:
            W = _glorot(n_in, n_out, gen)
            if hidden and hidden_activation == "sigmoid":
                W *= 4.0
        params.append((W, np.zeros(n_out)))
    return params
