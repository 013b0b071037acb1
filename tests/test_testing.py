"""dlcourse.testing and dlcourse.checks: the helpers behind every exercise test cell."""

from __future__ import annotations

import ast
import functools
import textwrap
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlcourse import testing
from dlcourse.checks import ASSIGNMENTS, get_checks, module_name
from dlcourse.testing import (
    assert_close,
    assert_finite,
    assert_gradient_close,
    assert_no_warnings,
    assert_own_implementation,
    assert_scalar,
    assert_shape,
    reference_numerical_gradient,
    run_checks,
    same_values,
    self_check,
)
from tests.assertions import fails_with

ROOT = Path(__file__).resolve().parent.parent

def contract(assignment: str) -> list[str]:
    """The functions a student writes in ``assignment``, read from its source notebook: every
    top-level ``def`` of its solution cells, in notebook order (no hand-kept list to forget)."""
    notebook = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return [node.name
            for cell in notebook.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")
            for node in ast.parse(cell.source).body if isinstance(node, ast.FunctionDef)]


_fails = fails_with


def test_assert_shape_explains_transposes_extra_axes_and_missing_returns():
    assert_shape(np.zeros((2, 3)), (2, 3), "dW")
    assert_shape([1.0, 2.0], (2,), "y_hat")
    _fails(lambda: assert_shape(np.zeros((3, 2)), (2, 3), "dW"),
           "dW has shape (3, 2), expected (2, 3): did you transpose?")
    _fails(lambda: assert_shape(np.zeros((4, 1)), (4,), "p"), "flatten")
    _fails(lambda: assert_shape(None, (4,), "p"), "return")
    _fails(lambda: assert_shape(np.zeros(1), (), "loss"), "plain number")


def test_assert_close_accepts_lists_and_reports_the_worst_entry():
    assert_close([1.0, 2.0], np.array([1.0, 2.0 + 1e-9]), "y")
    message = _fails(lambda: assert_close([[1.0, 2.0], [3.0, 9.0]], [[1, 2], [3, 4]], "Z",
                                          hint="Z = X @ W + b"),
                     "Z[1, 1] is 9", "expected 4", "1 of 4 entries differ", "Z = X @ W + b")
    assert "nan" not in message
    _fails(lambda: assert_close(np.nan, 1.0, "loss"), "loss is nan")
    _fails(lambda: assert_close([1.0, 2.0], [1.0, 2.0, 3.0], "y"), "shape (2,)")
    _fails(lambda: assert_close("abc", [1.0], "y"), "could not be read")


def test_assert_close_prints_enough_digits_to_show_the_difference():
    # a float32 rounding difference must not read "x is -3.59801, expected -3.59801"
    message = _fails(lambda: assert_close(np.float32(-3.5980123), -3.598012345678, "x", rtol=1e-9))
    shown, expected = message.removeprefix("x is ").split(", expected ")
    assert shown != expected and len(shown) > len("-3.59801"), message
    message = _fails(lambda: assert_close([1.0, 1.0 + 2e-16], [1.0, 1.0], "v", rtol=0, atol=0),
                     "v[1] is 1.0000000000000002, expected 1 ")
    # differences visible with 6 digits keep the short form
    _fails(lambda: assert_close(4.5, 1.5, "mse"), "mse is 4.5, expected 1.5")


def test_same_values_compares_shapes_and_entries_without_raising():
    assert same_values([1.0, 2.0], np.array([1, 2]))
    assert not same_values([1.0, 2.0], [1.0, 2.0 + 1e-12])
    assert same_values([1.0, 2.0], [1.0, 2.0 + 1e-12], atol=1e-9)
    assert same_values([[1.0, 2.0]], [[1.0, 2.0 + 1e-6]], rtol=1e-5)
    assert not same_values([[1.0, 2.0]], [1.0, 2.0]), "shapes differ"
    assert not same_values([1.0, np.nan], [1.0, np.nan]), "nan is not equal to itself"
    assert not same_values("abc", [1.0]) and not same_values(None, [1.0])


def test_different_values_needs_two_readable_arrays_of_one_shape():
    """Review 21b, minor: `assert not same_values(a, b)` passed on text and on a shape
    mismatch; the hidden tests that want two results to differ use different_values."""
    from dlcourse.testing import different_values

    assert different_values([1.0, 2.0], [1.0, 2.5])
    assert not different_values([1.0, 2.0], [1.0, 2.0])
    assert not different_values([1.0, 2.0], [1.0, 2.0 + 1e-12], atol=1e-9)
    assert not different_values(np.array(["a", "b"]), [1.0, 2.0]), "text is not a result"
    assert not different_values([[1.0, 2.0]], [1.0, 3.0]), "shapes differ"
    assert not different_values(None, [1.0]) and not different_values([], [])
    assert not different_values([np.nan], [1.0]), "nan cannot show that two results differ"


def test_assert_scalar_rejects_arrays_and_returns_a_float():
    assert assert_scalar(np.float64(2.5), "loss") == 2.5
    assert assert_scalar(np.array(3.0), "loss") == 3.0
    _fails(lambda: assert_scalar(np.ones(3), "loss"), "single number", "np.mean")
    _fails(lambda: assert_scalar(np.inf, "loss"), "finite")


def test_assert_gradient_close_names_the_worst_entry():
    numeric = np.array([[0.1, -0.2], [0.3, 0.4]])
    assert_gradient_close(numeric + 1e-9, numeric, "dW1")
    analytic = numeric.copy()
    analytic[0, 1] += 1e-2
    _fails(lambda: assert_gradient_close(analytic, numeric, "dW1",
                                         hint="check the activation derivative"),
           "dW1[0, 1] differs from the numerical gradient by 1.0e-02",
           "check the activation derivative")
    _fails(lambda: assert_gradient_close(analytic.T[:1], numeric, "dW1"), "shape")


def test_assert_finite_points_at_the_bad_entry():
    assert_finite([1.0, 2.0], "p")
    _fails(lambda: assert_finite(np.array([1.0, np.nan, 2.0]), "p", hint="clip p"),
           "p[1] is nan", "clip p")


def test_assert_no_warnings_catches_overflow_and_returns_the_value():
    def naive(t):
        return 1.0 / (1.0 + np.exp(-t))

    def stable(t):
        return np.exp(-np.logaddexp(0.0, -t))

    _fails(lambda: assert_no_warnings(naive, np.array([-1000.0]), name="sigmoid(-1000)"),
           "sigmoid(-1000) overflowed", "numerically stable")
    out = assert_no_warnings(stable, np.array([-1000.0, 1000.0]), name="sigmoid")
    np.testing.assert_allclose(out, [0.0, 1.0])
    _fails(lambda: assert_no_warnings(lambda: None, name="f()"), "return")
    _fails(lambda: assert_no_warnings(lambda: np.array([np.nan]), name="f()"), "nan/inf")


def _student(source: str) -> dict:
    """Run ``source`` the way a notebook cell does and return its namespace."""
    namespace = {"__name__": "__main__", "np": np}
    exec(textwrap.dedent(source), namespace)  # noqa: S102 (test of student-style code)
    return namespace


@pytest.mark.parametrize("source", [
    "from dlcourse.losses import mse\n",
    "from dlcourse.losses import mse as _mse\ndef mse(y, y_hat):\n    return _mse(y, y_hat)\n",
    "import dlcourse.losses\ndef mse(y, y_hat):\n    return dlcourse.losses.mse(y, y_hat)\n",
    "import dlcourse.losses as L\nmse = lambda y, y_hat: L.mse(y, y_hat)\n",
    "def mse(y, y_hat):\n    from dlcourse.losses import mse as m\n    return m(y, y_hat)\n",
    "from dlcourse import losses\ndef helper(a, b):\n    return losses.mse(a, b)\n"
    "def mse(y, y_hat):\n    return helper(y, y_hat)\n",
    "import functools\nfrom dlcourse.losses import mse as m\nmse = functools.partial(m)\n",
    "def make():\n    from dlcourse.losses import mse as m\n    def mse(y, y_hat):\n"
    "        return m(y, y_hat)\n    return mse\nmse = make()\n",
], ids=["import", "wrap", "module attribute", "lambda", "import inside", "helper", "partial",
        "closure"])
def test_answers_using_the_package_implementation_are_refused(source):
    mse = _student(source)["mse"]
    _fails(lambda: assert_own_implementation(mse), "own implementation", "earn no points")


@pytest.mark.parametrize("source", [
    "from dlcourse.testing import reference_numerical_gradient\n"
    "def numerical_gradient(f, x, eps=1e-6):\n    return reference_numerical_gradient(f, x, eps)\n",
    "from dlcourse.checks.ex07_architectures import *\n"
    "def conv2d(image, kernel):\n    return reference_conv2d(image, kernel)\n",
    "from dlcourse.checks.ex07_architectures import reference_conv2d as conv2d\n",
    "from dlcourse.checks.ex06_practical_example import xor_data\n"
    "def helper(n, rng):\n    return xor_data(n, np.random.default_rng(rng))\n"
    "def make_xor(n_samples=1000, rng=None):\n    return helper(n_samples, rng)\n",
    "from dlcourse.checks import ex02_neuron as checks\n"
    "def fit_neuron(X, y, lr, n_steps):\n    return checks._fit_reference(X, y, lr, n_steps)\n",
    "def fit_neuron(X, y, lr, n_steps):\n"
    "    from dlcourse.checks.ex02_neuron import _fit_reference\n"
    "    return _fit_reference(X, y, lr, n_steps)\n",
    "from dlcourse.checks.ex05_backprop import mlp_loss\n"
    "def make():\n    loss = mlp_loss\n"
    "    def mlp_gradients(X, y, params, hidden_activation='relu'):\n"
    "        return loss(X, y, params, hidden_activation), []\n    return mlp_gradients\n"
    "mlp_gradients = make()\n",
], ids=["testing reference", "star-imported reference", "alias", "via own helper", "module",
        "import inside", "closure"])
def test_answers_calling_the_reference_helpers_of_the_tests_are_refused(source):
    """The tests' reference implementations (dlcourse.checks, dlcourse.testing) are no own work."""
    namespace = _student(source)
    answer = next(namespace[name] for name in ("numerical_gradient", "conv2d", "make_xor",
                                               "fit_neuron", "mlp_gradients") if name in namespace)
    _fails(lambda: assert_own_implementation(answer), "own implementation", "earn no points")
    _fails(lambda: assert_own_implementation(testing.reference_numerical_gradient),
           "dlcourse.testing")


def _fake_framework_function(module: str):
    """A stand-in for a framework's layer (the tests run without PyTorch installed)."""
    def conv2d(*args):
        raise AssertionError("never called: the check only reads where the function comes from")

    conv2d.__module__ = module
    return conv2d


@pytest.mark.parametrize("source, globals_", [
    ("def conv2d_forward(X, K, b):\n    import torch\n"
     "    return torch.nn.functional.conv2d(X, K, b)\n", {}),
    ("def conv2d_forward(X, K, b):\n    return F.conv2d(X, K, b)\n",
     {"F": types.ModuleType("torch.nn.functional")}),
    ("def conv2d_forward(X, K, b):\n    return conv(X, K) + b\n",
     {"conv": _fake_framework_function("jax._src.lax.convolution")}),
], ids=["import inside", "module alias", "function"])
def test_answers_handing_the_work_to_a_framework_are_refused(source, globals_):
    """PyTorch's conv2d or autograd is no own implementation either; scipy.signal is fine."""
    namespace = {"__name__": "__main__", "np": np, **globals_}
    exec(source, namespace)  # noqa: S102 (test of student-style code)
    _fails(lambda: assert_own_implementation(namespace["conv2d_forward"]),
           "deep-learning framework", "own implementation", "earn no points")
    scipy_answer = _student("""
        from scipy.signal import correlate
        def conv2d_forward(X, K, b):
            return np.array([[correlate(x, k, mode="valid").sum(axis=0) for k in K] for x in X])
    """)["conv2d_forward"]
    assert_own_implementation(scipy_answer)
    # a library that holds a framework for its own dispatch is still just that library
    library = {"__name__": "somelib", "torch": types.ModuleType("torch")}
    exec("def correlate(x, k):\n    return torch.tensor(x) if False else x\n", library)  # noqa: S102
    assert_own_implementation(_student_with(library["correlate"]))


def _student_with(correlate):
    namespace = {"__name__": "__main__", "np": np, "correlate": correlate}
    exec("def conv2d_forward(X, K, b):\n    return correlate(X, K) + b\n", namespace)  # noqa: S102
    return namespace["conv2d_forward"]


def test_own_answers_are_accepted():
    namespace = _student("""
        from dlcourse.testing import assert_close
        def assert_shape(a, shape):  # a student's helper named like a test helper
            assert np.shape(a) == shape
        def helper(d):
            assert_shape(d, np.shape(d))
            return np.mean(d ** 2)
        def mse(y, y_hat):
            return float(helper(np.asarray(y) - np.asarray(y_hat)))
    """)
    assert_own_implementation(namespace["mse"])
    assert_own_implementation(functools.partial(namespace["mse"]))
    _fails(lambda: assert_own_implementation(None, "mse"), "mse is None")
    _fails(lambda: assert_own_implementation(3.0, "mse"), "should be a function")


def test_reference_numerical_gradient_matches_calculus_and_restores_x():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    before = x.copy()
    grad = reference_numerical_gradient(lambda v: float(np.sum(np.sin(v) * v)), x)
    np.testing.assert_allclose(grad, np.sin(before) + before * np.cos(before), rtol=1e-7)
    np.testing.assert_array_equal(x, before)


def test_get_checks_uses_the_naming_rule_and_refuses_unknown_assignments():
    assert module_name("02_neuron") == "dlcourse.checks.ex02_neuron"
    with pytest.raises(ValueError, match="assignment must be one of"):
        get_checks("08_transformers")
    # gradebooks key on the assignment names: the first seven never change, new ones are appended
    assert ASSIGNMENTS[:7] == ("01_curve_fitting", "02_neuron", "03_networks", "04_activations",
                               "05_backprop", "06_practical_example", "07_architectures")
    assert ASSIGNMENTS[7:10] == ("08_multiclass", "09_conv_rnn", "10_attention")
    assert list(ASSIGNMENTS) == sorted(set(ASSIGNMENTS)), "each once, in course order"
    for assignment in ASSIGNMENTS:
        assert get_checks(assignment), f"{assignment} has no visible checks"
    for assignment in ASSIGNMENTS:
        assert list(get_checks(assignment)) == contract(assignment), assignment


def test_every_assignment_has_a_source_visible_checks_independent_answers_and_mistakes():
    on_disk = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    assert on_disk == list(ASSIGNMENTS), "solutions/ and dlcourse.checks.ASSIGNMENTS differ"
    for assignment in ASSIGNMENTS:
        assert contract(assignment), f"solutions/{assignment} has no solution functions"
        for folder in ("independent", "mistakes"):
            path = ROOT / "tests" / folder / f"ex{assignment}.py"
            assert path.is_file(), f"{path.relative_to(ROOT)} is missing"


def _solutions_namespace(assignment: str) -> dict:
    notebook = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace = {"__name__": "__main__"}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            exec(cell.source, namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solutions_pass_every_visible_check(assignment):
    results = run_checks(_solutions_namespace(assignment), assignment)
    assert [r.function for r in results] == contract(assignment)
    assert all(r.passed for r in results), [r for r in results if not r.passed]


def test_self_check_reports_every_state_and_never_raises(capsys):
    def not_yet(y, y_hat):
        raise NotImplementedError()

    def crashes(x, degree):
        raise TypeError("unsupported operand")

    namespace = _solutions_namespace("01_curve_fitting")
    namespace["mse"] = not_yet
    namespace["polynomial_features"] = crashes
    namespace["predict_linear"] = lambda X, theta: np.asarray(X) @ np.asarray(theta)[1:]
    del namespace["gradient_descent"]
    results = {r.function: r for r in run_checks(namespace, "01_curve_fitting")}
    assert results["mse"].status == "not implemented"
    assert results["polynomial_features"].status == "error"
    assert "TypeError" in results["polynomial_features"].message
    assert results["predict_linear"].status == "fail"
    assert "intercept" in results["predict_linear"].message
    assert results["gradient_descent"].status == "not defined"
    assert results["fit_least_squares"].passed
    self_check(namespace, "01_curve_fitting")
    out = capsys.readouterr().out
    assert "1 of 5 functions pass" in out and "PASS   fit_least_squares" in out
    assert "FAIL   predict_linear" in out


def test_patching_numpy_in_a_solution_cell_does_not_blind_the_helpers(monkeypatch):
    """A cell that runs ``np.isclose = lambda *a, **k: True`` must not make every check pass."""
    always = lambda *args, **kwargs: True  # noqa: E731
    for name in ("isclose", "allclose", "array_equal", "all", "isfinite", "max", "abs"):
        monkeypatch.setattr(np, name, always)
    _fails(lambda: assert_close(0.0, 1.0, "mse"), "mse")
    _fails(lambda: assert_close(np.array([1.0, 2.0]), [1.0, 3.0], "y_hat"), "y_hat")
    _fails(lambda: assert_gradient_close(np.array([1.0, 0.0]), [1.0, 5.0], "dW"), "dW")
    _fails(lambda: assert_finite(np.array([1.0, np.nan]), "A"), "A")
    _fails(lambda: assert_scalar(np.inf, "loss"), "loss")
    assert not same_values(np.array([1.0, 2.0]), [1.0, 3.0])
    assert not same_values(np.zeros(2), np.zeros(3))


# --- issue 21: own work that dynamic tricks cannot dodge, in the student's own process ------


def _rebuilt_sigmoid():
    """The package's sigmoid rebuilt from its code object under the notebook's module name."""
    import marshal
    import types

    from dlcourse.activations import sigmoid

    code = marshal.loads(marshal.dumps(sigmoid.__code__))
    return types.FunctionType(code, {"np": np, "__name__": "__main__"}, "sigmoid")


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")
@pytest.mark.parametrize("how", ["pickle", "marshal", "default", "runpy"])
def test_own_work_sees_the_package_however_it_was_reached(how):
    import pickle
    import runpy

    from dlcourse.testing import assert_own_implementation

    if how == "pickle":
        func = pickle.loads(b"cdlcourse.activations\nsigmoid\n.")
    elif how == "marshal":
        func = _rebuilt_sigmoid()
        assert func.__module__ == "__main__"  # only its code's file tells where it comes from
    elif how == "default":
        hidden = pickle.loads(b"cdlcourse.activations\nrelu\n.")

        def func(t, _f=hidden):
            return _f(t)
    else:
        func = runpy.run_module("dlcourse.activations")["sigmoid"]
    _fails(lambda: assert_own_implementation(func, "sigmoid"), "course package")


def test_own_work_still_accepts_the_students_code():
    from dlcourse.testing import assert_own_implementation

    def sigmoid(t, scale=1.0):
        return 1.0 / (1.0 + np.exp(-scale * np.asarray(t, dtype=float)))

    assert_own_implementation(sigmoid)


def test_silenced_warnings_are_found_through_helpers():
    import warnings

    from dlcourse.testing import assert_no_silenced_warnings

    def _quiet_exp(t):
        with np.errstate(over="ignore"):
            return np.exp(t)

    def sigmoid(t):
        return 1.0 / (1.0 + _quiet_exp(-np.asarray(t, dtype=float)))

    def hushed(t):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return 1.0 / (1.0 + np.exp(-t))

    def stable(t):
        e = np.exp(-np.abs(t))
        return np.where(t >= 0, 1 / (1 + e), e / (1 + e))

    _fails(lambda: assert_no_silenced_warnings(sigmoid, "sigmoid"), "errstate")
    _fails(lambda: assert_no_silenced_warnings(hushed, "sigmoid"), "catch_warnings")
    assert_no_silenced_warnings(stable, "sigmoid")


def test_call_in_place_is_a_plain_call_in_one_process():
    from dlcourse.testing import call_in_place

    def scale(a, factor):
        a *= factor
        return "done"

    a = np.ones(2)
    assert call_in_place(scale, a, factor=3.0) == "done" and a.tolist() == [3.0, 3.0]
