"""dlgrade, the instructors' grading tool on top of nbgrader: release, collect, grade, report.

Installed with ``pip install 'dlcourse[grading]'`` beside the teaching package ``dlcourse``,
which it may import (the reverse never happens: students install only ``dlcourse``). Its
commands reach the ``dlcourse`` command line through entry points (:mod:`~dlgrade.cli`).

The pieces, one module each:

- :mod:`~dlgrade.cli`: the instructors' subcommands (``timezone``, ``release``, ``collect``,
  ``grade``, ``mark``, ``report``, ...);
- :mod:`~dlgrade.course`: the course folder, its nbgrader configuration, running nbgrader;
- :mod:`~dlgrade.release`, :mod:`~dlgrade.collect`: make student versions,
  import submissions;
- :mod:`~dlgrade.engine`: parallel grading with long-lived worker processes
  (:mod:`~dlgrade.worker`), progress bar, only new or changed submissions;
- :mod:`~dlgrade.status`: one status record per graded student;
- :mod:`~dlgrade.handgrades`: hand grades (``dlcourse mark``, formgrader) kept across
  regrades;
- :mod:`~dlgrade.sanitize`: original tests put back before grading;
- :mod:`~dlgrade.scan`: static scan for code that defeats the tests;
- :mod:`~dlgrade.feedback`: feedback without hidden test code;
- :mod:`~dlgrade.shape_errors`: numpy shape errors explained with the student's own line;
- :mod:`~dlgrade.report`: grades.csv, report.json, report.html.

The kernel sandbox lives in :mod:`dlgrade.sandbox`.
"""

import importlib

#: Where each public name lives. They are imported on first use (PEP 562), so that a process
#: that needs one small module -- the kernel fork server runs ``dlgrade.sandbox.forkserver``,
#: and every student kernel is a copy of it -- does not load nbgrader and Dask through
#: ``engine`` (about 1.5 s of CPU per start).
_LAZY = {"collect": "collect", "Course": "course", "find_course_root": "course",
         "grade_assignment": "engine", "parse_shard": "engine", "release": "release",
         "write_outputs": "report", "read_statuses": "status"}

__all__ = ["Course", "collect", "find_course_root", "grade_assignment", "parse_shard",
           "read_statuses", "release", "write_outputs"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
