"""dlcourse: the support package of the Introduction to Deep Learning course.

One small module per lecture concept (``data``, ``linear``, ``neuron``,
``activations``, ``losses``, ``layers``, ``dropout``, ``normalization``, ``mlp``,
``cnn``, ``rnn``, ``lstm``, ``recall`` (the sign-recall memory task), ``attention``,
``transformer``, ``optim``, ``gradcheck``, ``plotting``). The chapters import from here;
the exercise notebooks ask students to write the same functions themselves. Three
modules are infrastructure rather than lecture concepts: ``mlp_engine`` (the fast
in-place loop behind ``MLP.fit``), ``mlp_batchnorm`` (the slower loop behind
``MLP(..., batch_norm=True)``, composed of the pure functions) and ``training``
(mini-batches, validation data and early stopping, shared by the models).

Layout used everywhere: rows are samples, ``X`` has shape
``(n_samples, n_features)`` and a dense layer computes ``Z = X @ W + b`` with
``W`` of shape ``(n_in, n_out)``.

>>> from dlcourse import MLP, make_xor
>>> X, y = make_xor(100)
>>> MLP([2, 5, 1], "tanh").fit(X, y, n_epochs=10).loss_history_.shape
(10,)
"""

from .activations import ACTIVATIONS, DERIVATIVES, get_activation, sigmoid
from .cnn import CNN
from .data import as_rng, make_xor
from .mlp import MLP
from .transformer import Transformer

__version__ = "0.1.0"


def __getattr__(name):
    # train_test_split is scikit-learn's; importing it lazily keeps `import dlcourse` light.
    if name == "train_test_split":
        from .data import train_test_split

        return train_test_split
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "CNN",
    "MLP",
    "Transformer",
    "as_rng",
    "get_activation",
    "make_xor",
    "sigmoid",
    "train_test_split",
]
