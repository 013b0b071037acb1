"""The trusted judge (dlgrade.judge): its channel to a real kernel (the wire format has
tests/test_dlgrade_judge_wire.py, the source-based own-implementation check
tests/test_dlgrade_judge_source.py).

The channel tests start one real IPython kernel (jupyter_client, the venv's ``python3``
kernel) and call functions defined in it the way a judged test does.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

from dlgrade.judge_channel import Channel, JudgeError, Remote, RemoteError
from dlgrade.judge_wire import WireError
from tests.submissions.wire_values import ROUND_TRIP, npy, same

# --------------------------------------------------------------------------- channel

STUDENT_CODE = '''
import time
import warnings
import numpy as np
from sklearn.linear_model import LinearRegression

class Oops(Exception):
    pass

def echo(x):
    return x

def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))

def overflows(t):
    return np.exp(np.asarray(t, dtype=float))

def fails(kind):
    if kind == "value":
        raise ValueError("t must be finite")
    raise Oops("my own error")

def talks():
    warnings.warn("careful", UserWarning)
    print("printed by the student")
    return 1

def scale_in_place(a, params):
    a *= 2
    params["W"][0] = 7.0
    params["new"] = 1
    return None

def draw(rng):
    return rng.normal(size=2)

def zeroes_and_lies(X, y):
    X[...] = 0.0
    y[...] = 0.0
    return np.zeros(X.shape[1]), 0.0

def nudge_and_restore(f, x):
    values = []
    for i in range(x.size):
        old = x[i]
        x[i] = old + 1.0
        values.append(f(x))
        x[i] = old
    return values

def nudge_a_copy(f, x):
    values = []
    for i in range(x.size):
        y = x.copy()
        y[i] += 1.0
        values.append(f(y))
    return values

def hushed_sigmoid(t):
    import warnings
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return 1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float)))

def reseeds():
    np.random.seed(424242)
    return 0

def apply_twice(f, x):
    return f(f(x))

def fit(X, y):
    return LinearRegression().fit(X, y)

class FakeRegression:
    __module__ = "sklearn.linear_model._base"
    __qualname__ = "LinearRegression"
    def predict(self, X):
        return np.zeros(len(X))

FakeByType = type("LinearRegression", (), {"__module__": "sklearn.linear_model._base",
                                           "predict": lambda self, X: np.zeros(len(X))})

def fake_fit(X, y, by_type=False):
    return FakeByType() if by_type else FakeRegression()

def shadow_fit(X, y):
    model = LinearRegression().fit(X, y)
    model.predict = lambda X: np.full(len(X), 42.0)
    return model

def gives_object_array():
    return np.array([print, 1], dtype=object)

import functools
_PREDICT = LinearRegression.__dict__.get("predict")  # inherited: not in its own dict

def _rule(self, X):
    return np.full(len(X), 42.0)

class _Answers:
    def __call__(self, X):
        return np.full(len(X), 42.0)

_LIBRARY = LinearRegression.predict

def class_patch_fit(X, y, how):
    model = LinearRegression().fit(X, y)
    members = {"partialmethod": functools.partialmethod(_rule),
               "partial": functools.partial(_rule, None),
               "callable-object": _Answers(),
               "staticmethod-partial": staticmethod(functools.partial(_rule, None)),
               "builtin-bound-to-data": {}.get,
               # the library's own code run with globals the student can change
               "library-code-copied-globals": type(_rule)(
                   _LIBRARY.__code__, dict(_LIBRARY.__globals__), "predict",
                   _LIBRARY.__defaults__, _LIBRARY.__closure__)}
    model.__class__.predict = members[how]
    return model

def class_restore():
    if _PREDICT is not None:
        LinearRegression.predict = _PREDICT
    elif "predict" in LinearRegression.__dict__:
        del LinearRegression.predict

def uses_global():
    return np.random.random()

def loops():
    while True:
        pass

def naps(seconds):
    time.sleep(seconds)
    return seconds

answer = [1, 2.5, {"k": np.arange(3)}]
'''


@pytest.fixture(scope="module")
def _kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    reply = kc.execute_interactive(STUDENT_CODE, timeout=60)
    assert reply["content"]["status"] == "ok"
    channel = Channel(km.get_connection_info(session=False), timeout=5,
                      interrupt=km.interrupt_kernel)
    names = channel.get({"echo", "sigmoid", "overflows", "fails", "talks", "scale_in_place",
                         "draw", "apply_twice", "fit", "fake_fit", "shadow_fit",
                         "class_patch_fit", "class_restore",
                         "gives_object_array", "loops", "naps", "answer", "not_defined",
                         "zeroes_and_lies",
                         "nudge_and_restore", "nudge_a_copy", "hushed_sigmoid",
                         "reseeds"})
    yield channel, names
    channel.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(_kernel):
    """The module's kernel, with a fresh time budget as for a new test cell."""
    _kernel[0].start_cell()
    return _kernel


def _until_it_answers(channel, ns):
    for _ in range(50):  # the interrupt ends the student's call; the kernel answers again
        channel.start_cell()
        try:
            assert ns["echo"](4) == 4
            return
        except JudgeError:
            continue
    pytest.fail("the kernel never answered again")


def test_names_plain_data_is_copied_and_functions_are_remote(kernel):
    _, ns = kernel
    assert "not_defined" not in ns
    assert same(ns["answer"], [1, 2.5, {"k": np.arange(3)}])
    assert type(ns["sigmoid"]) is Remote and ns["sigmoid"].__name__ == "sigmoid"


@pytest.mark.parametrize("value", ROUND_TRIP, ids=lambda v: type(v).__name__)
def test_values_round_trip_through_the_student_kernel(kernel, value):
    _, ns = kernel
    assert same(value, ns["echo"](value))


def test_results_are_computed_in_the_kernel(kernel):
    _, ns = kernel
    t = np.linspace(-3, 3, 7)
    assert np.allclose(ns["sigmoid"](t), 1 / (1 + np.exp(-t)))


def test_builtin_exceptions_come_back_as_themselves(kernel):
    _, ns = kernel
    with pytest.raises(ValueError, match="t must be finite"):
        ns["fails"]("value")
    with pytest.raises(RemoteError, match="Oops: my own error"):
        ns["fails"]("own")


def test_warnings_are_carried_and_output_is_dropped(kernel, capsys):
    from dlcourse.testing import assert_no_warnings

    _, ns = kernel
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ns["talks"]() == 1
    assert [str(w.message) for w in caught] == ["careful"]
    assert issubclass(caught[0].category, UserWarning)
    assert "printed by the student" not in capsys.readouterr().out
    # the judge's np.errstate reaches the student's numpy: assert_no_warnings sees overflows
    with pytest.raises(AssertionError, match="overflowed"):
        assert_no_warnings(ns["overflows"], 1000.0, name="exp(1000)")
    assert assert_no_warnings(ns["overflows"], 1.0, name="exp(1)") == np.exp(1.0)


def test_the_judge_owns_its_arguments(kernel):
    """Issue 21: a function that zeroes the test's X and y cannot change what the test then
    computes from them; its in-place changes stay on its own copies."""
    _, ns = kernel
    X, y = np.arange(6.0).reshape(3, 2), np.array([1.0, 0.0, 1.0])
    ns["zeroes_and_lies"](X, y)
    assert X.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]] and y.tolist() == [1.0, 0.0, 1.0]
    a, params = np.arange(3.0), {"W": np.zeros(2)}
    ns["scale_in_place"](a, params)
    assert a.tolist() == [0.0, 1.0, 2.0] and params == {"W": params["W"]}
    rng, twin = np.random.default_rng(3), np.random.default_rng(3)
    assert np.array_equal(ns["draw"](rng), twin.normal(size=2))
    assert rng.random() == np.random.default_rng(3).random()  # the judge's rng did not move


def test_call_in_place_brings_the_changes_back_when_a_test_asks(kernel):
    from dlcourse.testing import call_in_place
    from dlgrade import judge_source

    judge_source.register(Remote)
    _, ns = kernel
    a = np.arange(3.0)
    weights = np.zeros(2)
    params = {"W": weights}
    call_in_place(ns["scale_in_place"], a, params)
    assert a.tolist() == [0.0, 2.0, 4.0]
    assert params["W"] is weights and weights.tolist() == [7.0, 0.0] and params["new"] == 1
    rng, twin = np.random.default_rng(3), np.random.default_rng(3)
    assert np.array_equal(call_in_place(ns["draw"], rng), twin.normal(size=2))
    assert rng.random() == twin.random()


def test_in_place_calls_show_the_live_array_to_the_judges_callbacks(kernel):
    """numerical_gradient's recipe: the student's code perturbs x itself and calls f, which
    reads the test's x (not its argument); a copy-perturbing version shows f nothing."""
    from dlcourse.testing import call_in_place
    from dlgrade import judge_source

    judge_source.register(Remote)
    _, ns = kernel
    x = np.array([1.0, 2.0])
    reads_x = lambda _ignored: float(np.sum(x ** 2))  # noqa: E731
    assert call_in_place(ns["nudge_and_restore"], reads_x, x) == [8.0, 10.0]
    assert x.tolist() == [1.0, 2.0]
    assert call_in_place(ns["nudge_a_copy"], reads_x, x) == [5.0, 5.0]


def test_the_global_random_state_is_restored_after_each_notebook(tmp_path):
    """A student's np.random.seed(424242) inside a judged call does not reach the next
    notebook: JudgedExecute restores the grading process's state (issue 21)."""
    import nbformat

    from dlgrade.judge import JudgedExecute

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\ndef reseeds():\n"
                                          "    np.random.seed(424242)\n    return 0"),
                nbformat.v4.new_code_cell("assert reseeds() == 0")]
    nb.cells[1].metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                        "grade_id": "t", "points": 1, "schema_version": 3}
    np.random.seed(5)  # noqa: NPY002
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    executed, _ = JudgedExecute(judge=True, timeout=30).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    assert not [o for o in executed.cells[1].outputs if o.output_type == "error"]
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    np.random.seed(424242)  # noqa: NPY002
    leaked = np.random.get_state()[1].copy()  # noqa: NPY002
    assert not np.array_equal(leaked, before)


def test_silenced_warnings_fail_the_no_overflow_requirement(kernel):
    """catch_warnings + errstate around the naive sigmoid: its values are right (exp(1000)
    rounds to the correct 0 or 1) and its warning is gone; the kernel's view finds it."""
    from dlcourse.testing import assert_no_silenced_warnings, assert_no_warnings
    from dlgrade import judge_source

    judge_source.register(Remote)
    _, ns = kernel
    assert assert_no_warnings(ns["hushed_sigmoid"], np.array([-1000.0]))[0] == 0.0
    with pytest.raises(AssertionError, match="switches warnings off .*catch_warnings"):
        assert_no_silenced_warnings(ns["hushed_sigmoid"], "sigmoid")
    assert_no_silenced_warnings(ns["sigmoid"], "sigmoid")


def test_judge_functions_are_called_back_even_nested(kernel):
    channel, ns = kernel
    assert ns["apply_twice"](lambda x: x * 3, 2) == 18
    # the callback itself calls the student's function (a nested request)
    assert ns["apply_twice"](lambda x: float(ns["sigmoid"](x)), 0.0) == pytest.approx(
        1 / (1 + np.exp(-0.5)))
    with pytest.raises(ZeroDivisionError):
        ns["apply_twice"](lambda x: 1 / 0, 1)


def test_a_handle_stays_in_the_kernel_and_its_methods_work(kernel):
    from sklearn.linear_model import LinearRegression

    _, ns = kernel
    model = ns["fit"](np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0]))
    assert type(model) is Remote and isinstance(model, LinearRegression)
    assert np.allclose(model.coef_, [2.0]) and np.allclose(model.predict([[3.0]]), [7.0])


def test_a_class_that_names_itself_after_a_library_class_is_not_that_class(kernel):
    """A notebook class with ``__module__``/``__qualname__`` of scikit-learn's
    ``LinearRegression`` (set in its body or through ``type(...)``) passed ``isinstance``
    (hostile review of issue 21: 06's fit_mlp_classifier without a network)."""
    from sklearn.linear_model import LinearRegression

    _, ns = kernel
    for by_type in (False, True):
        model = ns["fake_fit"](np.zeros((2, 1)), np.zeros(2), by_type=by_type)
        assert type(model) is Remote and not isinstance(model, LinearRegression), by_type
    real = ns["fit"](np.array([[0.0], [1.0]]), np.array([1.0, 3.0]))
    assert isinstance(real, LinearRegression)


def test_a_library_objects_method_replaced_on_the_instance_is_refused(kernel):
    """Hostile review 21b, hole 5: a genuine library model whose instance carries the
    student's own ``predict`` passed for the library's model (06's fit_mlp_classifier with an
    XOR rule as predict). The agent refuses an instance attribute that shadows a method of a
    library class; the class's other attributes still read as before."""
    from sklearn.linear_model import LinearRegression

    _, ns = kernel
    model = ns["shadow_fit"](np.array([[0.0], [1.0]]), np.array([1.0, 3.0]))
    assert isinstance(model, LinearRegression) and np.allclose(model.coef_, [2.0])
    with pytest.raises(AttributeError, match="'predict' was replaced on the object itself"):
        model.predict([[3.0]])
    assert np.allclose(ns["fit"](np.array([[0.0], [1.0]]), np.array([1.0, 3.0])).predict(
        [[3.0]]), [7.0])


@pytest.mark.parametrize("how", ["partialmethod", "partial", "callable-object",
                                 "staticmethod-partial", "builtin-bound-to-data",
                                 "library-code-copied-globals"])
def test_a_library_class_whose_method_was_replaced_is_not_that_class(kernel, how):
    """Review 21c, A3: the genuine class patched through the model
    (``model.__class__.predict = functools.partialmethod(rule)``) stayed the library's, since
    only class members with ``__code__`` were read. A member without code (a partial, a
    callable object, a builtin bound to the student's data) makes the class the student's;
    put back, the class is the library's again."""
    from sklearn.linear_model import LinearRegression

    _, ns = kernel
    try:
        model = ns["class_patch_fit"](np.array([[0.0], [1.0]]), np.array([1.0, 3.0]), how)
        assert type(model) is Remote and not isinstance(model, LinearRegression)
    finally:
        ns["class_restore"]()
    assert isinstance(ns["fit"](np.array([[0.0], [1.0]]), np.array([1.0, 3.0])),
                      LinearRegression)


def test_object_arrays_stay_in_the_kernel(kernel):
    _, ns = kernel
    result = ns["gives_object_array"]()
    assert type(result) is Remote  # a handle: the object array was never unpickled here
    assert len(result) == 2


def test_forged_replies_are_refused(kernel):
    channel, ns = kernel
    # the student's code replaces the agent's reply with a pickled payload
    with pytest.raises(WireError, match="refused"):
        channel._in({"t": "nd", "v": npy(np.array([print], dtype=object), True)})
    with pytest.raises(WireError):
        channel._in({"t": "ref"})


def test_a_stuck_function_fails_with_a_clear_message_and_the_kernel_recovers(kernel):
    channel, ns = kernel
    with pytest.raises(JudgeError, match="ran for more than 5 s in this test cell"):
        ns["loops"]()
    _until_it_answers(channel, ns)


def test_the_time_limit_is_per_test_cell_not_per_call(kernel):
    """As in the kernel, where a cell had the timeout in all: 2 s + 2 s fit in 5 s, a third
    2 s call does not; the next cell has its own 5 s."""
    channel, ns = kernel
    assert ns["naps"](2) == 2 and ns["naps"](2) == 2
    with pytest.raises(JudgeError, match="ran for more than 5 s in this test cell"):
        ns["naps"](2)
    _until_it_answers(channel, ns)
    channel.start_cell()  # the next cell
    assert ns["naps"](2) == 2


def test_time_in_judge_callbacks_is_not_the_students(kernel):
    import time

    _, ns = kernel

    def slow_judge_function(x):
        time.sleep(2)
        return x + 1

    assert ns["apply_twice"](slow_judge_function, 1) == 3  # 4 s in the judge, ~0 s student


def test_judge_values_that_cannot_cross_are_refused(kernel):
    _, ns = kernel
    with pytest.raises(WireError, match="cannot be sent"):
        ns["echo"](io.BytesIO())


def test_numpy_global_random_state_is_the_callers(kernel):
    channel, ns = kernel
    used = channel.get({"uses_global"})["uses_global"]
    np.random.seed(7)  # noqa: NPY002
    expected = np.random.random(3)  # noqa: NPY002
    np.random.seed(7)  # noqa: NPY002
    assert used() == expected[0]  # the student's code draws from the judge's global state
    assert np.array_equal(np.random.random(2), expected[1:])  # noqa: NPY002
    np.random.seed(7)  # noqa: NPY002
    ns["draw"](np.random.default_rng(0))  # a function that leaves it alone changes nothing
    assert np.array_equal(np.random.random(3), expected)  # noqa: NPY002


def test_install_replaces_execute_once_and_keeps_other_steps():
    from nbgrader.preprocessors import Execute, SaveAutoGrades
    from traitlets.config import Config

    from dlgrade.judge import JudgedExecute, install

    c = Config()
    install(c)
    steps = list(c.Autograde.autograde_preprocessors)
    assert steps[0] is JudgedExecute and Execute not in steps
    # another installer (e.g. dlgrade.outputs' CapOutputBytes after SaveAutoGrades) composes
    at = steps.index(SaveAutoGrades) + 1
    c.Autograde.autograde_preprocessors = steps[:at] + ["some.module.CapOutputBytes"] + steps[at:]
    install(c)
    install(c)
    again = list(c.Autograde.autograde_preprocessors)
    assert again.count(JudgedExecute) == 1 and "some.module.CapOutputBytes" in again
    assert len(again) == len(steps) + 1
    c.Execute.timeout = 7  # Execute's settings reach the subclass
    assert JudgedExecute(config=c).timeout == 7


def test_judge_switch(monkeypatch):
    from dlgrade.judge import JudgedExecute

    monkeypatch.setenv("DLCOURSE_JUDGE", "0")
    assert JudgedExecute().judge is False
    monkeypatch.setenv("DLCOURSE_JUDGE", "1")
    assert JudgedExecute().judge is True
