"""dlcourse: the support package of the Introduction to Deep Learning course.

The modules (tests/test_structure.py checks that this list names every one):

- Lecture concepts, in course order: ``data`` (data sets and splits), ``linear`` (least
  squares, logistic regression), ``neuron``, ``activations``, ``losses`` (and the ``LOSSES``
  registry), ``layers`` (the dense layer, and one import place for every layer), ``conv``
  (convolution and pooling), ``recurrent`` (the RNN layer and its backward through time),
  ``dropout``, ``normalization`` (batch and layer norm), ``initialization`` (a network's
  parameter count and starting weights, the ``INITS`` registry), ``backprop`` (the MLP as pure
  functions: forward pass, backpropagation, the lecture's training loop), ``mlp`` (the ``MLP``
  estimator and its tuned defaults), ``cnn``, ``rnn`` (training a small RNN), ``lstm``,
  ``recall`` (the sign-recall memory task), ``attention``, ``transformer``, ``optim``
  (optimisers, gradient clipping), ``gradcheck``, ``plotting``, ``hand_example`` (the
  lecture's worked example).
- Infrastructure behind the models: ``estimator`` (what the ``fit`` of ``MLP``, ``CNN`` and
  ``Transformer`` share: options, defaults, the mini-batch loop, the record), ``mlp_engine``
  (the fast in-place loop behind ``MLP.fit``), ``mlp_batchnorm`` (the loop behind
  ``MLP(..., batch_norm=True)``, composed of the pure functions), ``training`` (mini-batches,
  validation data, early stopping), ``_validation`` (the argument checks every module
  shares), ``assets`` (the site's files).
- Exercises: ``testing`` (the assertions test cells use, and their one import place),
  ``own_work`` (a student's function read from its bytecode: no package implementation, no
  warnings switched off), ``checks`` (the visible checks of each exercise, one module per
  assignment, and the runner behind ``self_check``), ``exercise_cells`` (a notebook's
  structure checked without nbgrader), ``selfcheck`` and ``cli`` (``dlcourse check``).

The chapters import from here; the exercise notebooks ask students to write the same functions
themselves.

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
