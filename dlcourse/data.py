"""Data sets of the course: the lecture's XOR example, a noisy curve, moons, circles, blobs,
a noisy sine sequence, a sorting task for sequence models, and two real data sets that ship
offline: scikit-learn's 8x8 handwritten digits and the prose of the course's own chapters.

Every generator takes ``rng``: None (the course default seed 0, so results are
reproducible), an int seed, or a ``numpy.random.Generator``. The global
``np.random`` state is never used.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import check_class_labels, check_positive_int

__all__ = [
    "DEFAULT_SEED",
    "as_rng",
    "load_course_text",
    "load_digits",
    "make_circles",
    "make_curve",
    "make_moons",
    "make_separable",
    "make_sine_sequence",
    "make_sort_task",
    "make_xor",
    "one_hot",
    "train_test_split",  # noqa: F822 (provided lazily by __getattr__)
]



def __getattr__(name):
    # scikit-learn is imported on first use, not with the package: every grading kernel
    # imports dlcourse, and scikit-learn's import costs it ~1 s of CPU for nothing.
    if name == "train_test_split":
        from sklearn.model_selection import train_test_split

        return train_test_split
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Seed used whenever ``rng`` is None.
DEFAULT_SEED = 0


def as_rng(rng=None):
    """Turn ``rng`` into a ``numpy.random.Generator``.

    Parameters
    ----------
    rng : None, int or numpy.random.Generator
        None means the course default seed (0); an int is a seed; a Generator is
        returned as it is (so draws continue from its state).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> int(as_rng(None).integers(10)) == int(as_rng(0).integers(10))
    True
    """
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(int(rng))
    raise ValueError(
        f"rng must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}"
    )


def _sklearn_seed(rng):
    """An int ``random_state`` for scikit-learn (which does not take a Generator)."""
    if rng is None:
        return DEFAULT_SEED
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    return int(as_rng(rng).integers(2**31 - 1))


def make_xor(n_samples=1000, rng=None):
    """The lecture's example: points in the square, label 1 where ``x1 * x2 > 0``.

    Parameters
    ----------
    n_samples : int, default 1000
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        Uniform on ``[-1, 1]^2``.
    y : ndarray of shape (n_samples,), int
        1 in the first and third quadrants, 0 in the others.

    Examples
    --------
    >>> X, y = make_xor(4, rng=1)
    >>> X.shape, y.shape
    ((4, 2), (4,))
    >>> bool(np.all(y == (X[:, 0] * X[:, 1] > 0)))
    True
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    X = as_rng(rng).uniform(-1.0, 1.0, size=(n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


def make_curve(n_samples=30, noise=0.2, rng=None):
    """Noisy samples of one period of a sine, for curve fitting.

    Parameters
    ----------
    n_samples : int, default 30
    noise : float, default 0.2
        Standard deviation of the Gaussian noise added to ``sin(2 pi x)``.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    x : ndarray of shape (n_samples,)
        Sorted, uniform on ``[0, 1]``.
    y : ndarray of shape (n_samples,)
        ``sin(2 pi x) + N(0, noise^2)``.

    Examples
    --------
    >>> x, y = make_curve(5, noise=0.0)
    >>> bool(np.all(np.diff(x) >= 0)), bool(np.allclose(y, np.sin(2 * np.pi * x)))
    (True, True)
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    gen = as_rng(rng)
    x = np.sort(gen.uniform(0.0, 1.0, size=n_samples))
    y = np.sin(2 * np.pi * x) + gen.normal(0.0, noise, size=n_samples)
    return x, y


def make_moons(n_samples=200, noise=0.2, rng=None):
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int 0/1
    """
    from sklearn.datasets import make_moons as sk_make_moons

    n_samples = check_positive_int(n_samples, "n_samples")
    return sk_make_moons(
        n_samples=n_samples, noise=noise, random_state=_sklearn_seed(rng)
    )


def make_circles(n_samples=200, noise=0.1, factor=0.5, rng=None):
    """A small circle (label 1) inside a larger one (scikit-learn's ``make_circles``).

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int 0/1
    """
    from sklearn.datasets import make_circles as sk_make_circles

    n_samples = check_positive_int(n_samples, "n_samples")
    return sk_make_circles(
        n_samples=n_samples, noise=noise, factor=factor, random_state=_sklearn_seed(rng)
    )


def make_separable(n_samples=200, rng=None):
    """Two Gaussian blobs that a straight line separates, with labels 0 and 1.

    The blobs are centred at ``(-1, -1)`` (label 0) and ``(1, 1)`` (label 1)
    with standard deviation 0.5. The rare points of a Gaussian tail that would
    cross the line ``x1 + x2 = 0`` are pushed back along ``(1, 1)`` so that every
    point keeps a margin of at least 0.1 from it: the classes are always linearly
    separable.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int 0/1

    Examples
    --------
    >>> X, y = make_separable(50)
    >>> side = np.where(y == 1, 1, -1) * (X[:, 0] + X[:, 1]) / np.sqrt(2)
    >>> bool(np.all(side >= 0.1 - 1e-12))
    True
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    gen = as_rng(rng)
    y = np.arange(n_samples) % 2
    gen.shuffle(y)
    sign = np.where(y == 1, 1.0, -1.0)
    X = sign[:, None] * np.array([1.0, 1.0]) + gen.normal(0.0, 0.5, size=(n_samples, 2))
    u = np.array([1.0, 1.0]) / np.sqrt(2.0)
    margin = 0.1
    side = sign * (X @ u)  # signed distance to the line, positive on the own side
    shift = np.maximum(margin - side, 0.0)
    X = X + (sign * shift)[:, None] * u
    return X, y


def load_digits(as_images=False):
    """The 1797 handwritten digits that ship inside scikit-learn (8x8 pixels, no download).

    Parameters
    ----------
    as_images : bool, default False
        False gives one row of 64 pixels per image (for an MLP); True gives
        images with one channel, ``(n, 1, 8, 8)`` (for a CNN).

    Returns
    -------
    X : ndarray of shape (1797, 64), or (1797, 1, 8, 8) with ``as_images``
        Grey levels scaled from scikit-learn's 0-16 to [0, 1].
    y : ndarray of shape (1797,), int
        The digit shown, 0 to 9.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, y.shape, float(X.min()), float(X.max()), sorted(set(y.tolist())) == list(range(10))
    ((1797, 64), (1797,), 0.0, 1.0, True)
    >>> load_digits(as_images=True)[0].shape
    (1797, 1, 8, 8)
    """
    if not isinstance(as_images, (bool, np.bool_)):
        raise ValueError(f"as_images must be True or False, got {as_images!r}")
    from sklearn.datasets import load_digits as sk_load_digits

    digits = sk_load_digits()
    X = digits.data.astype(np.float64) / 16.0
    if as_images:
        X = X.reshape(-1, 1, 8, 8)
    return X, digits.target.astype(int)


def load_course_text():
    """The prose of the course's chapters as one plain-text string (about 138 000 characters).

    The paragraphs, list items and headings of the lecture's chapters and of "Going
    further", in the book's order, one paragraph per line, reduced to ASCII (code, figures,
    display maths and tables left out). The text ships inside the package
    (``dlcourse/course_text.txt``), so it is there offline and without the course's
    sources. It is a frozen snapshot, written by ``scripts/course_text.py``: later edits of
    a chapter do not change it until that script is run again.

    Returns
    -------
    str

    Examples
    --------
    >>> text = load_course_text()
    >>> text.splitlines()[0], text.isascii()
    ('Motivation', True)
    """
    from importlib.resources import files

    return files("dlcourse").joinpath("course_text.txt").read_text(encoding="ascii")


def one_hot(y, n_classes):
    """One row per label with a 1 in the label's column: ``Y[i, y[i]] = 1``.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        Integer labels in ``0 .. n_classes - 1``.
    n_classes : int

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes), float, each row sums to 1

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    n_classes = check_positive_int(n_classes, "n_classes")
    labels = check_class_labels(y, "y", n_classes)
    Y = np.zeros((labels.shape[0], n_classes))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y


def make_sine_sequence(n_steps=200, period=40, noise=0.1, rng=None):
    """A noisy sine wave sampled at equal time steps: a sequence for an RNN.

    Parameters
    ----------
    n_steps : int, default 200
    period : float, default 40
        Steps per full wave.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to every value.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    t : ndarray of shape (n_steps,), the steps ``0, 1, ..., n_steps - 1``
    x : ndarray of shape (n_steps,), ``sin(2 pi t / period) + N(0, noise^2)``

    Examples
    --------
    >>> t, x = make_sine_sequence(5, period=4, noise=0.0)
    >>> x.round(6)
    array([ 0.,  1.,  0., -1., -0.])
    """
    n_steps = check_positive_int(n_steps, "n_steps")
    if isinstance(period, bool) or not isinstance(period, numbers.Real) or not period > 0:
        raise ValueError(f"period must be a positive number of steps, got {period!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    t = np.arange(n_steps)
    x = np.sin(2 * np.pi * t / period) + as_rng(rng).normal(0.0, noise, size=n_steps)
    return t, x


def make_sort_task(n, length=6, n_symbols=10, seed=0):
    """Next-token data for sorting: ``[a_1 .. a_L, SEP, s_1 .. s_L]`` with ``s`` the sorted ``a``.

    The ``a_i`` are drawn uniformly (with repeats) from the symbols ``0 .. n_symbols - 1``
    and the separator is the extra token ``SEP = n_symbols``, so the vocabulary has
    ``n_symbols + 1`` tokens. A model that reads ``X[:, t]`` and predicts ``y[:, t]``
    (the next token) at every position learns to write the sorted list after ``SEP``.

    Parameters
    ----------
    n : int >= 1, number of sequences
    length : int >= 1, default 6, the list length ``L``
    n_symbols : int >= 2, default 10
    seed : int, default 0

    Returns
    -------
    X : ndarray of int, shape (n, 2 * length), every sequence without its last token
    y : ndarray of int, shape (n, 2 * length), every sequence without its first token;
        the sorted list (the answer) is ``y[:, -length:]``

    Examples
    --------
    >>> X, y = make_sort_task(1, length=3, n_symbols=5, seed=1)
    >>> X, y
    (array([[2, 2, 3, 5, 2, 2]]), array([[2, 3, 5, 2, 2, 3]]))
    """
    n = check_positive_int(n, "n")
    length = check_positive_int(length, "length")
    n_symbols = check_positive_int(n_symbols, "n_symbols", minimum=2)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    a = np.random.default_rng(int(seed)).integers(0, n_symbols, size=(n, length))
    sep = np.full((n, 1), n_symbols)
    sequences = np.concatenate([a, sep, np.sort(a, axis=1)], axis=1)
    return sequences[:, :-1], sequences[:, 1:]
