"""dlgrade.shape_errors: numpy's own shape errors (raised here by real numpy calls, so a numpy
that words them differently shows up) explained in plain words, with the student's line taken
from the judge's traceback or IPython's."""

from __future__ import annotations

import numpy as np
import pytest

from dlgrade.shape_errors import YOUR_CODE, explain, shape_hint, student_line


def _message(operation) -> str:
    with pytest.raises(ValueError) as error:
        operation()
    return str(error.value)


def test_a_broadcast_error_names_the_shapes_and_the_sizes_that_clash():
    hint = shape_hint(_message(lambda: np.ones((4, 3)) + np.ones(4)))
    assert hint.startswith("Arrays of shapes (4,3) and (4,) cannot be combined element by "
                           "element")
    assert "(here 3 and 4)" in hint
    # a size of 1 stretches: the clash is the first pair from the right that cannot
    hint = shape_hint(_message(lambda: np.ones((5, 1, 3)) * np.ones((2, 4))))
    assert "(here 3 and 4)" in hint
    hint = shape_hint(_message(lambda: np.ones((2, 5, 4)) + np.ones((3, 1, 5))))
    assert "(here 4 and 5)" in hint  # not 2 and 3: numpy compares from the right


def test_matmul_and_dot_errors_say_which_sizes_must_agree():
    X, W = np.ones((10, 3)), np.ones((4, 2))  # W should be (3, n_out)
    hint = shape_hint(_message(lambda: X @ W))
    assert "here they are 3 and 4" in hint and "W has shape (n_in, n_out)" in hint
    hint = shape_hint(_message(lambda: np.dot(X, W)))
    assert hint.startswith("np.dot of shapes (10,3) and (4,2): the last size of the first "
                           "(3) must equal the first size of the second (4)")


def test_other_errors_get_no_hint():
    assert shape_hint(_message(lambda: np.ones(3).reshape(2, 2))) is None
    assert explain("TypeError", "operands could not be broadcast together with shapes "
                                "(2,) (3,) ") is None
    assert explain("ValueError", "math domain error") is None


IPYTHON_TRACEBACK = """\x1b[0;31mValueError\x1b[0m  Traceback (most recent call last)
Cell In[4], line 2
      1 y = np.ones(4)
----> 2 mse(y, np.ones(3))
Cell In[3], line 3, in mse(y, y_hat)
      1 def mse(y, y_hat):
      2     n = len(y)
----> 3     return ((y - y_hat) ** 2).sum() / n
"""


def test_the_students_line_is_the_innermost_cell_frame_or_the_judges_line():
    assert student_line(IPYTHON_TRACEBACK) == "mse, line 3: return ((y - y_hat) ** 2).sum() / n"
    judged = IPYTHON_TRACEBACK + YOUR_CODE + "mse, line 3: return ((y - y_hat) ** 2)\n"
    assert student_line(judged) == "mse, line 3: return ((y - y_hat) ** 2)"
    assert student_line("Traceback (most recent call last):\n  File 'x.py'\n") is None


def test_explain_puts_the_line_before_the_hint():
    message = _message(lambda: np.ones(4) - np.ones(3))
    text = explain("ValueError", message, IPYTHON_TRACEBACK)
    assert text == ("numpy shape error in your code at mse, line 3: return ((y - y_hat) ** 2)"
                    ".sum() / n. " + shape_hint(message))
    assert explain("ValueError", message).startswith("numpy shape error. Arrays of shapes")
