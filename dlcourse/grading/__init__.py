"""Instructor grading on top of nbgrader: release, collect, grade, report.

The pieces, one module each:

- :mod:`~dlcourse.grading.course`: the course folder and its nbgrader configuration;
- :mod:`~dlcourse.grading.release`, :mod:`~dlcourse.grading.collect`: make student versions,
  import submissions;
- :mod:`~dlcourse.grading.engine`: parallel grading with long-lived worker processes
  (:mod:`~dlcourse.grading.worker`), progress bar, only new or changed submissions;
- :mod:`~dlcourse.grading.sanitize`: original tests put back before grading;
- :mod:`~dlcourse.grading.scan`: static scan for code that defeats the tests;
- :mod:`~dlcourse.grading.feedback`: feedback without hidden test code;
- :mod:`~dlcourse.grading.report`: grades.csv, report.json, report.html.

The kernel sandbox lives in :mod:`dlcourse.sandbox`.
"""

from .collect import collect
from .course import Course, find_course_root
from .engine import grade_assignment, parse_shard, read_statuses
from .release import release
from .report import write_outputs

__all__ = ["Course", "collect", "find_course_root", "grade_assignment", "parse_shard",
           "read_statuses", "release", "write_outputs"]
