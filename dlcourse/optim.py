"""Update rules: gradient descent, momentum, Adam and AdamW; clipping by the global norm.

Each optimizer has ``step(params, grads) -> new_params``: ``params`` and
``grads`` are lists of the same structure, either ``(W, b)`` tuples (as in
:mod:`dlcourse.mlp`) or plain arrays. ``step`` returns new arrays and never
changes its arguments; momentum and Adam keep their running averages inside
the optimizer object, so use one optimizer per training run.

Training loops that own their arrays call ``update(arrays, grads)`` instead: the
same rule applied in place to a flat list of arrays, without the checks and
copies of ``step`` (the fast training engines use it). An optimizer whose
``plain_gradient_step`` attribute is True promises that ``update`` is exactly
``w -= lr * dw`` with no state, so an engine may fold ``lr`` into the gradient as
it computes it and subtract the result itself.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._validation import (
    as_float_array,
    check_fraction,
    check_positive_float,
    check_weight_decay,
)

__all__ = [
    "Adam",
    "AdamW",
    "GradientDescent",
    "Momentum",
    "OPTIMIZERS",
    "clip_grad_norm",
    "make_optimizer",
]


def _flatten(params, name):
    """List the arrays of ``params`` and remember its structure (tuple lengths or None)."""
    if not isinstance(params, (list, tuple)):
        raise ValueError(
            f"{name} must be a list of arrays or of (W, b) tuples, got {type(params).__name__}"
        )
    arrays, structure = [], []
    for item in params:
        if isinstance(item, (list, tuple)):
            structure.append(len(item))
            arrays.extend(as_float_array(a, name) for a in item)
        else:
            structure.append(None)
            arrays.append(as_float_array(item, name))
    return arrays, structure


def _unflatten(arrays, structure):
    out, i = [], 0
    for length in structure:
        if length is None:
            out.append(arrays[i])
            i += 1
        else:
            out.append(tuple(arrays[i : i + length]))
            i += length
    return out


class _Optimizer:
    """Shared ``step``: copy the parameters, then apply the in-place rule ``update``."""

    #: True only when ``update`` is exactly ``w -= lr * dw`` and keeps no state.
    plain_gradient_step = False

    def step(self, params, grads):
        """Return the parameters after one update.

        Parameters
        ----------
        params : list of (W, b) tuples or list of arrays
        grads : same structure and shapes as ``params``

        Returns
        -------
        new_params : list, same structure; new arrays
        """
        p_arrays, p_structure = _flatten(params, "params")
        g_arrays, g_structure = _flatten(grads, "grads")
        if p_structure != g_structure:
            raise ValueError(
                f"grads has structure {g_structure} but params has {p_structure} "
                "(None = a plain array, k = a tuple of k arrays); expected the same"
            )
        for k, (p, g) in enumerate(zip(p_arrays, g_arrays, strict=True)):
            if p.shape != g.shape:
                raise ValueError(
                    f"grads array {k} has shape {g.shape}, expected {p.shape} like params array {k}"
                )
        new = [p.copy() for p in p_arrays]
        self.update(new, g_arrays)
        return _unflatten(new, p_structure)


class GradientDescent(_Optimizer):
    """Plain gradient descent: ``w := w - lr * dw``.

    Examples
    --------
    >>> GradientDescent(lr=0.1).step([np.array([1.0])], [np.array([2.0])])
    [array([0.8])]
    """

    plain_gradient_step = True

    def __init__(self, lr):
        self.lr = check_positive_float(lr, "lr")

    def update(self, arrays, grads):
        """Apply one step in place to a flat list of arrays (no checks, no copies)."""
        for p, g in zip(arrays, grads, strict=True):
            p -= self.lr * g

    def __repr__(self):
        return f"GradientDescent(lr={self.lr})"


class Momentum(_Optimizer):
    """Gradient descent with momentum: ``v := beta v - lr dw``, then ``w := w + v``.

    The velocity ``v`` starts at zero and is a running sum of past steps, so a
    direction the gradients agree on builds up speed.

    Examples
    --------
    >>> opt = Momentum(lr=0.1, beta=0.5)
    >>> w = opt.step([np.array([1.0])], [np.array([1.0])])  # v = -0.1
    >>> opt.step(w, [np.array([1.0])])  # v = 0.5 * -0.1 - 0.1 = -0.15
    [array([0.75])]
    """

    def __init__(self, lr, beta=0.9):
        self.lr = check_positive_float(lr, "lr")
        self.beta = check_fraction(beta, "beta")
        self.velocity = None

    def update(self, arrays, grads):
        """Apply one step in place to a flat list of arrays (no checks, no copies)."""
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in arrays]
        for p, g, v in zip(arrays, grads, self.velocity, strict=True):
            v *= self.beta
            v -= self.lr * g
            p += v

    def __repr__(self):
        return f"Momentum(lr={self.lr}, beta={self.beta})"


class Adam(_Optimizer):
    """Adam: steps scaled by running averages of the gradient and its square.

    With ``t`` the step number (from 1):
    ``m := beta1 m + (1 - beta1) dw``, ``v := beta2 v + (1 - beta2) dw**2``,
    ``w := w - lr * m_hat / (sqrt(v_hat) + eps)`` where
    ``m_hat = m / (1 - beta1**t)`` and ``v_hat = v / (1 - beta2**t)`` undo the
    bias of starting the averages at zero.

    Examples
    --------
    >>> Adam(lr=0.1).step([np.array([1.0])], [np.array([5.0])])  # first step moves by about lr
    [array([0.9])]
    """

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = check_positive_float(lr, "lr")
        self.beta1 = check_fraction(beta1, "beta1")
        self.beta2 = check_fraction(beta2, "beta2")
        self.eps = check_positive_float(eps, "eps")
        self.t = 0
        self.m = None
        self.v = None

    def update(self, arrays, grads):
        """Apply one step in place to a flat list of arrays (no checks, no copies)."""
        if self.m is None:
            self.m = [np.zeros_like(p) for p in arrays]
            self.v = [np.zeros_like(p) for p in arrays]
        self.t += 1
        # fold both bias corrections into one step size
        step_size = self.lr * np.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        eps_hat = self.eps * np.sqrt(1.0 - self.beta2**self.t)
        for p, g, m, v in zip(arrays, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * (g * g)
            p -= step_size * m / (np.sqrt(v) + eps_hat)

    def __repr__(self):
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as ``torch.optim.AdamW``.

    Before Adam's step, every array shrinks by the factor ``1 - lr * weight_decay``:
    ``w := (1 - lr * weight_decay) w``, then ``w := w - lr * m_hat / (sqrt(v_hat) + eps)``
    with the moments of the data gradient ``dw`` alone. Adding ``weight_decay * w`` to
    the gradient instead (L2 in the loss) lets Adam divide the decay by
    ``sqrt(v_hat)`` like any other gradient, so weights with small gradients barely
    decay at the rate the formula promises; decoupled, every weight shrinks by the
    same factor per step. Like PyTorch's, this rule decays every array it is given
    (biases too, unless a training loop leaves them out). The paper's own rule shrinks by
    ``1 - weight_decay`` per step (times a learning-rate schedule's multiplier, not times
    ``lr``), so its ``weight_decay`` equals ``lr * weight_decay`` here. ``lr * weight_decay``
    must be below 1, or the shrink would zero the arrays or flip their sign.

    Examples
    --------
    >>> opt = AdamW(lr=0.1, weight_decay=0.5)
    >>> opt.step([np.array([1.0])], [np.array([0.0])])  # no gradient: only the decay acts
    [array([0.95])]
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        self.weight_decay = check_weight_decay(weight_decay)
        if self.lr * self.weight_decay >= 1:
            raise ValueError(
                f"lr * weight_decay is {self.lr} * {self.weight_decay} = "
                f"{self.lr * self.weight_decay:g}: every step multiplies the arrays by "
                "1 - lr * weight_decay, so expected lr * weight_decay < 1"
            )

    def update(self, arrays, grads):
        """Apply one step in place to a flat list of arrays (no checks, no copies)."""
        shrink = 1.0 - self.lr * self.weight_decay
        for p in arrays:
            p *= shrink
        super().update(arrays, grads)

    def __repr__(self):
        return (
            f"AdamW(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )


#: Optimizer classes by name.
OPTIMIZERS = {"gd": GradientDescent, "momentum": Momentum, "adam": Adam, "adamw": AdamW}


def make_optimizer(name, lr, **options):
    """Create an optimizer by name: ``"gd"``, ``"momentum"``, ``"adam"`` or ``"adamw"``.

    ``options`` go to the class, e.g. ``weight_decay`` for ``"adamw"`` or ``beta`` for
    ``"momentum"``.

    Examples
    --------
    >>> make_optimizer("adam", 0.001)
    Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)
    >>> make_optimizer("adamw", 0.001, weight_decay=0.1)
    AdamW(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.1)
    """
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    cls = OPTIMIZERS[name]
    allowed = set(inspect.signature(cls.__init__).parameters) - {"self", "lr"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(
            f"optimizer {name!r} takes no option {unknown[0]!r}; expected some of {sorted(allowed)}"
        )
    return cls(lr=lr, **options)


def clip_grad_norm(grads, max_norm):
    """Scale all gradients down together when their global L2 norm exceeds ``max_norm``.

    The global norm is ``sqrt(sum of every squared entry of every array)``. Above
    ``max_norm`` every array is multiplied by ``max_norm / (total_norm + 1e-6)``, so the
    direction of the whole update is kept and only its length is capped; below it the
    gradients come back unchanged (as ``torch.nn.utils.clip_grad_norm_``, which uses the
    same ``1e-6``). Returns new arrays and never changes ``grads``.

    Parameters
    ----------
    grads : list of arrays or of (W, b) tuples
    max_norm : float > 0

    Returns
    -------
    clipped : list, same structure as ``grads``; new arrays
    total_norm : float, the global norm before clipping

    Examples
    --------
    >>> clipped, norm = clip_grad_norm([np.array([3.0]), np.array([4.0])], max_norm=1.0)
    >>> norm, [c.round(3) for c in clipped]
    (5.0, [array([0.6]), array([0.8])])
    """
    arrays, structure = _flatten(grads, "grads")
    max_norm = check_positive_float(max_norm, "max_norm")
    total_norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in arrays)))
    if not np.isfinite(total_norm):
        raise ValueError(
            f"grads has a non-finite global norm ({total_norm}); expected finite values"
        )
    scale = min(1.0, max_norm / (total_norm + 1e-6))
    return _unflatten([g * scale for g in arrays], structure), total_norm
