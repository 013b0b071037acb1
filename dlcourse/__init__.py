"""dlcourse: the support package of the Introduction to Deep Learning course.

One small module per lecture concept (``data``, ``linear``, ``activations``,
``losses``, ``layers``, ``mlp``, ``optim``, ``gradcheck``, ``plotting``). The
chapters import from here; the exercise notebooks ask students to write the same
functions themselves.

Layout used everywhere: rows are samples, ``X`` has shape
``(n_samples, n_features)`` and a dense layer computes ``Z = X @ W + b`` with
``W`` of shape ``(n_in, n_out)``.
"""

__version__ = "0.1.0"
