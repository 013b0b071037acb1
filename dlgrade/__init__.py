"""dlgrade, the instructors' grading tool on top of nbgrader: release, collect, grade, report.

Installed with ``pip install 'dlcourse[grading]'`` beside the teaching package ``dlcourse``,
which it may import (the reverse never happens: students install only ``dlcourse``). Its
commands reach the ``dlcourse`` command line through entry points (:mod:`~dlgrade.cli`).
Importing ``dlgrade`` itself loads nothing (the names below are imported on first use), so
the judge's agent in a student's kernel and ``dlcourse --help`` stay quick.

The modules, by the step of a term they serve (tests/test_structure.py keeps the imports
between them free of circles):

- Course and command line: :mod:`~dlgrade.cli` (the subcommands), :mod:`~dlgrade.course`
  (the course folder, its nbgrader configuration, running nbgrader, the grading settings).
- Students and dates: :mod:`~dlgrade.roster` (roster files into the gradebook; owns what a
  student id may be), :mod:`~dlgrade.enrolment` (when each student joined and left the
  roster: no 0 for an assignment they never had), :mod:`~dlgrade.late` (due dates,
  extensions, late penalties),
  :mod:`~dlgrade.deadline` (the time a submission may take).
- Release and collect: :mod:`~dlgrade.release`, :mod:`~dlgrade.collect` (an LMS download into
  nbgrader's layout), :mod:`~dlgrade.replaced` (the notebooks a collect replaced, for
  ``collect --revert``), :mod:`~dlgrade.time_records` (where each collected time came
  from), :mod:`~dlgrade.archive` (zips unpacked within a budget),
  :mod:`~dlgrade.safe_files` (submitted folders read as untrusted data).
- :mod:`dlgrade.lms`: one module per learning-management system, each with its roster
  columns, the names of its downloads and its grade export (:mod:`~dlgrade.lms.canvas`,
  :mod:`~dlgrade.lms.moodle`, :mod:`~dlgrade.lms.csv` for the plain layout,
  :mod:`~dlgrade.lms.base` for what they share), and the registry that feeds the command
  line's choices and the messages.
- Grading, scheduler side: :mod:`~dlgrade.engine` (one assignment: which students,
  progress, Ctrl-C), :mod:`~dlgrade.lock` (one command at a time writes an assignment's
  files: grade, collect, release, extend), :mod:`~dlgrade.cluster` (Dask: a local cluster
  or ``--scheduler``, and the station each Dask worker keeps).
- Grading, one submission: :mod:`~dlgrade.worker` (the grading process: nbgrader loaded once,
  one student at a time), :mod:`~dlgrade.grader_memory` (its memory cap),
  :mod:`~dlgrade.sanitize` (original tests put back), :mod:`~dlgrade.scan` (static scan for
  code that defeats the tests), :mod:`~dlgrade.outputs` (output caps),
  :mod:`~dlgrade.kernel_channels` (bounded channels to the kernel), :mod:`~dlgrade.commits`
  (one gradebook commit per notebook, not per cell), :mod:`~dlgrade.prefetch` (a notebook's
  gradebook rows read in one load, not one query per cell), :mod:`~dlgrade.speedups`
  (nbgrader's cell-metadata check with one validator per schema).
- The trusted judge (tests run outside the student's kernel): :mod:`~dlgrade.judge` (the
  preprocessor), :mod:`~dlgrade.judge_channel` (the remote stand-ins and their channel),
  :mod:`~dlgrade.judge_agent` (the kernel side), :mod:`~dlgrade.judge_wire` (the wire format),
  :mod:`~dlgrade.judge_source` (own work read from the submitted text),
  :mod:`~dlgrade.judge_code` (own work and silenced warnings read from the code that ran),
  :mod:`~dlgrade.judge_fingerprint` (the package's functions recognised in any disguise),
  :mod:`~dlgrade.package_copy` (the advisory flag: answers that look like the package's
  same-named functions pasted in; it takes no point),
  :mod:`~dlgrade.judge_watch` (the kernel's other threads during a call),
  :mod:`~dlgrade.judge_procs` (the kernel's other processes held stopped by the grading
  process for each test cell),
  :mod:`~dlgrade.judge_tripwire` (the package's code watched between the calls, from the
  judge's start to the notebook's end).
- Results: :mod:`~dlgrade.status` (one status per student), :mod:`~dlgrade.printable`
  (student-derived text escaped for a terminal, a log or a CSV), :mod:`~dlgrade.handgrades` (hand
  grades kept across regrades), :mod:`~dlgrade.flag_reviews` (package-copy flags an instructor
  read and cleared), :mod:`~dlgrade.feedback` (no hidden test code),
  :mod:`~dlgrade.shape_errors` (numpy shape errors explained), :mod:`~dlgrade.html_safety`
  (no student script in any page), :mod:`~dlgrade.report` (grades.csv, report.json,
  report.html), :mod:`~dlgrade.similarity` (copied work), :mod:`~dlgrade.export` (grades back
  to the LMS, through its module's export plugin).
- :mod:`dlgrade.sandbox`: every student kernel isolated and capped (namespaces, filesystem view,
  cgroups, fork server, kernelspec and provisioner).
"""

from __future__ import annotations

import importlib

# name -> module that defines it (imported on first use: PEP 562). ``collect`` and ``release``
# are modules of the same name as their main function: use ``dlgrade.collect.collect``.
_EXPORTS = {
    "Course": "course",
    "find_course_root": "course",
    "grade_assignment": "engine",
    "parse_shard": "engine",
    "read_statuses": "status",
    "write_outputs": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
