"""Independent correct answers to the exercise contract of issue 4, one module per assignment.

Each ``tests/independent/ex<assignment>.py`` defines ``VARIANTS``, mapping a variant name to a
dict ``{function name: source of its solution cell}``. The variants are written independently of the
course's solutions, in deliberately different styles (Python loops and lists, ``np.einsum``, scipy,
other numerically stable formulas, other initialisations, float32, Python floats versus numpy
scalars), and each one is a *correct* answer to the contract. ``tests/test_exercise_fairness.py``
grades every variant as a fake student with real nbgrader and requires 100 %: a test that rejects
one of them is unfair.
"""

from __future__ import annotations

import importlib
import textwrap


def dedent(source: str) -> str:
    """Strip the common indentation of a solution-cell source written inside a Python module."""
    return textwrap.dedent(source).strip("\n") + "\n"


def variants(assignment: str) -> dict[str, dict[str, str]]:
    """The independent variants of ``assignment``; a missing module is an error, not a skip."""
    name = f"tests.independent.ex{assignment}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        raise AssertionError(f"tests/independent/ex{assignment}.py is missing: every assignment "
                             "needs independent correct answers (see this package's docstring)"
                             ) from None
    return {name: {function: dedent(source) for function, source in answers.items()}
            for name, answers in module.VARIANTS.items()}


# Helpers a student may write for their own checks while developing. Their names equal the test
# helpers' names, with other signatures: the hidden tests must neither call them nor rebind them.
OWN_HELPERS = '''
def assert_close(actual, expected):
    """My own quick check while developing."""
    assert np.allclose(actual, expected), (actual, expected)


def assert_shape(value, shape):
    assert np.shape(value) == tuple(shape), np.shape(value)


def assert_scalar(value):
    assert np.ndim(value) == 0


def assert_finite(value):
    assert np.all(np.isfinite(value))
'''


def with_own_helpers(answers: dict[str, str], function: str) -> dict[str, str]:
    """``answers`` with :data:`OWN_HELPERS` also defined in the solution cell of ``function``."""
    return {**answers, function: dedent(OWN_HELPERS) + "\n\n" + dedent(answers[function])}
