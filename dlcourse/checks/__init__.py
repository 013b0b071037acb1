"""Visible checks of the exercise notebooks, one module per assignment.

``dlcourse.checks.ex<assignment>`` (e.g. ``ex02_neuron`` for ``02_neuron``) defines
one ``check_<function>(func)`` per function of the assignment's contract and a
dict ``CHECKS = {"<function>": check_<function>, ...}`` in notebook order. A
visible test cell of the notebook is just ``check_<function>(<function>)``; the
self-check cell and ``dlcourse check`` run all of them.

Checks use plain asserts through :mod:`dlcourse.testing`, start with
:func:`dlcourse.testing.assert_own_implementation`, and call no other student
function than the one they check (so one mistake costs the points of one function).
"""

from __future__ import annotations

import importlib
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
