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

from .collect import collect
from .course import Course, find_course_root
from .engine import grade_assignment, parse_shard
from .release import release
from .report import write_outputs
from .status import read_statuses

__all__ = ["Course", "collect", "find_course_root", "grade_assignment", "parse_shard",
           "read_statuses", "release", "write_outputs"]
