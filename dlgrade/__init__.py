"""Instructor grading on top of nbgrader: release, collect, grade, report.

The pieces, one module each:

- :mod:`~dlgrade.course`: the course folder and its nbgrader configuration;
- :mod:`~dlgrade.release`, :mod:`~dlgrade.collect`: make student versions,
  import submissions;
- :mod:`~dlgrade.engine`: parallel grading with long-lived worker processes
  (:mod:`~dlgrade.worker`), progress bar, only new or changed submissions;
- :mod:`~dlgrade.sanitize`: original tests put back before grading;
- :mod:`~dlgrade.scan`: static scan for code that defeats the tests;
- :mod:`~dlgrade.feedback`: feedback without hidden test code;
- :mod:`~dlgrade.report`: grades.csv, report.json, report.html.

The kernel sandbox lives in :mod:`dlgrade.sandbox`.
"""

from .collect import collect
from .course import Course, find_course_root
from .engine import grade_assignment, parse_shard, read_statuses
from .release import release
from .report import write_outputs

__all__ = ["Course", "collect", "find_course_root", "grade_assignment", "parse_shard",
           "read_statuses", "release", "write_outputs"]
