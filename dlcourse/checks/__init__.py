"""Visible checks of the exercise notebooks, one module per assignment.

``dlcourse.checks.ex<assignment>`` (e.g. ``ex02_neuron`` for ``02_neuron``) defines
one ``check_<function>(func)`` per function of the assignment's contract and a
dict ``CHECKS = {"<function>": check_<function>, ...}`` in notebook order. A
visible test cell of the notebook is just ``check_<function>(<function>)``; the
self-check cell and ``dlcourse check`` run all of them.

The runner is here too: :func:`run_checks` runs an assignment's checks on the functions of a
namespace, one :class:`CheckResult` each, and :func:`self_check` prints them as a table
(:mod:`dlcourse.testing` re-exports both, the notebooks' import place).

Checks use plain asserts through :mod:`dlcourse.testing`, start with
:func:`dlcourse.testing.assert_own_implementation`, and call no other student
function than the one they check (so one mistake costs the points of one function).
"""

from __future__ import annotations

import dataclasses
import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

#: The assignments, in course order (gradebooks key on these names: never rename one).
ASSIGNMENTS = (
    "01_curve_fitting",
    "02_neuron",
    "03_networks",
    "04_activations",
    "05_backprop",
    "06_practical_example",
    "07_architectures",
    "08_multiclass",
    "09_conv_rnn",
    "10_attention",
)


def module_name(assignment: str) -> str:
    """Module holding the checks of ``assignment``, e.g. ``dlcourse.checks.ex02_neuron``."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(
            f"assignment must be one of {', '.join(ASSIGNMENTS)}; got {assignment!r}"
        )
    return f"{__name__}.ex{assignment}"


def get_checks(assignment: str) -> Mapping[str, Callable[[Callable[..., Any]], None]]:
    """Return the ``CHECKS`` dict of ``assignment`` (function name -> check)."""
    return importlib.import_module(module_name(assignment)).CHECKS


# --------------------------------------------------------------------------- the runner


@dataclasses.dataclass
class CheckResult:
    """Outcome of one function's visible checks.

    ``status`` is one of ``"pass"``, ``"fail"``, ``"not implemented"``,
    ``"not defined"``, ``"error"``, ``"problem"`` (``dlcourse check``: the function's test
    cell was modified, so it was not checked).
    """

    function: str
    status: str
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def run_checks(namespace: Mapping[str, Any], assignment: str) -> list[CheckResult]:
    """Run every visible check of ``assignment`` on the functions in ``namespace``.

    Never raises for a failing check; each outcome is a :class:`CheckResult`.
    """
    results = []
    for function, check in get_checks(assignment).items():
        if function not in namespace:
            results.append(CheckResult(function, "not defined", f"`{function}` is not defined: "
                                       "run its cell first"))
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(namespace[function])
        except NotImplementedError:
            results.append(CheckResult(function, "not implemented", "still raises "
                                       "NotImplementedError: replace it with your code"))
        except AssertionError as error:
            results.append(CheckResult(function, "fail", str(error) or "a check failed"))
        except Exception as error:  # a student's bug: report, never raise
            results.append(CheckResult(function, "error", f"{type(error).__name__}: {error}"))
        else:
            results.append(CheckResult(function, "pass"))
    return results


def self_check(namespace: Mapping[str, Any], assignment: str) -> None:
    """Print which functions of ``assignment`` pass their visible checks.

    The last cell of each exercise notebook calls ``self_check(globals(), "<assignment>")``.
    Hidden tests run only when the notebook is graded, so passing here is
    necessary, not sufficient, for full points.
    """
    results = run_checks(namespace, assignment)
    width = max(len(r.function) for r in results) if results else 10
    symbols = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}
    print(f"Self-check for {assignment} (visible tests only):\n")
    for result in results:
        label = symbols.get(result.status, "TODO")
        line = f"  {label:<5}  {result.function:<{width}}"
        if result.message:
            line += f"  {result.message}"
        print(line.rstrip())
    passed = sum(r.passed for r in results)
    print(f"\n{passed} of {len(results)} functions pass their visible tests.")
    if passed == len(results):
        print("Well done. Hidden tests with other inputs run when your notebook is graded.")
