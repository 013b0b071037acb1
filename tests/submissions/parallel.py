"""Which tests must stay on one pytest-xdist worker (the scheduler of tests/conftest.py).

A *group* is sent to one worker as one unit and its tests run there one after the other;
a test outside every group goes to whichever worker is free. The group follows from the test
id alone, so the controller (which collects nothing itself) can compute it.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

#: modules whose tests are grouped by the assignment they are parametrized with: the tests of
#: one assignment share its graded batch (fixture graded_exercise)
EXERCISE_MODULES = {"tests/test_exercises.py", "tests/test_exercise_fairness.py"}

#: modules kept on one worker, with the expensive module-scoped fixture their tests share
GROUPED_MODULES = {
    "tests/test_grading.py": "batch: a hostile batch through dlcourse grade",
    "tests/test_judge_attacks.py": "autograded: two nbgrader autogrades",
    "tests/test_dlgrade_judge.py": "_kernel: one kernel holding the student's code",
    "tests/test_cli.py": "course: a released course",
    "tests/test_install.py": "plain: a fresh venv with pip install",
    "tests/test_blas_kernels.py": "builds: three book builds",
    "tests/test_hostile_files.py": "graded: a batch of hostile file names through dlcourse grade",
    "tests/test_hostile_files_nbgrader.py": "graded: the same batch through plain nbgrader",
    "tests/test_feedback_sanitised.py": "pages: graded feedback pages (opened in Chromium)",
    "tests/test_judge_values.py": "autograded: an nbgrader autograde with the judge",
    "tests/test_kernel_bounds.py": "graded, autograded: the hostile batch through both paths",
    "tests/test_judge_ownwork_concurrency.py": "autograded: an nbgrader autograde of 15 "
                                               "hostile 02 notebooks",
}

#: modules whose tests are grouped by the page they check: every check of one page reads one
#: visit of it in Chromium (tests/test_browser.py's ``visit``, cached per test process), so the
#: page's tests on one worker open it once instead of once on every worker
PAGE_MODULES = {"tests/test_browser.py"}


def xdist_group(nodeid: str) -> str | None:
    """The group of the test ``nodeid`` (None: it may run on any worker).

    >>> xdist_group("tests/test_exercises.py::test_solutions_score_full_points[02_neuron]")
    'exercise-02_neuron'
    >>> xdist_group("tests/test_grading.py::test_tiny_status_and_score[ok]")
    'tests/test_grading.py'
    >>> xdist_group("tests/test_layers.py::test_dense_shapes") is None
    True
    >>> xdist_group("tests/test_browser.py::test_no_serious_accessibility_violations"
    ...             "[chapters/01_motivation.html-dark]")
    'page-chapters/01_motivation.html'
    >>> xdist_group("tests/test_browser.py::test_chapter_offers_its_notebook[exercises/02]")
    'page-exercises/02.html'
    """
    path, _, rest = nodeid.partition("::")
    if path in PAGE_MODULES and rest.endswith("]"):
        param = rest[rest.index("[") + 1:-1].removesuffix("-light").removesuffix("-dark")
        return "page-" + (param if param.endswith(".html") else f"{param}.html")
    if path in EXERCISE_MODULES and rest.endswith("]"):
        from dlcourse.checks import ASSIGNMENTS

        param = rest[rest.rindex("[") + 1:-1]
        if param in ASSIGNMENTS:
            return f"exercise-{param}"
    if path in GROUPED_MODULES:
        return path
    return None


#: Work units that take minutes, with their seconds in the clean-clone CI run (2 cores, 3
#: workers; /tmp/ci-run11.log). They are sent out first, longest first: sent by their number
#: of tests only (xdist's order), the 2-test book builds under forced BLAS kernels or the
#: graded exercise 08 started late and the run ended with one of them alone on one worker.
#: A renamed test here only loses its place in the queue.
COSTLY = {
    "exercise-08_multiclass": 350,
    "tests/test_blas_kernels.py": 300,
    "tests/test_judge_ownwork_concurrency.py": 200,
    "tests/test_install.py": 156,
    "tests/test_judge_values.py": 155,
    "exercise-09_conv_rnn": 110,
    "exercise-10_attention": 110,
    "tests/test_dask.py::test_hostile_batch_on_scheduler_matches_one_worker": 110,
    "tests/test_kernel_bounds.py": 100,
    "tests/test_grading.py": 95,
    "tests/test_lms_roundtrip.py::test_round_trip_roster_to_export": 90,
}


class GroupScheduling(LoadScopeScheduling):
    """pytest-xdist's scope scheduling with one work unit per group and one per test outside
    any group; the units of :data:`COSTLY` go out first (longest first), then the others by
    their number of tests (the largest first)."""

    def _split_scope(self, nodeid: str) -> str:
        return xdist_group(nodeid) or nodeid

    def _assign_work_unit(self, node) -> None:
        if self.workqueue:  # the queue is ordered by size: move the costliest unit to its head
            costliest = max(self.workqueue, key=lambda scope: COSTLY.get(scope, 0))
            if COSTLY.get(costliest, 0):
                self.workqueue.move_to_end(costliest, last=False)
        super()._assign_work_unit(node)


def worker_timeline(spans: dict[str, tuple[str, float, float]], tail: int = 3) -> list[str]:
    """Lines that show how busy each xdist worker was, from ``{test id: (worker, start, stop)}``
    (seconds since the epoch, pytest's ``report.start`` / ``report.stop``).

    Per worker: its tests, the seconds they took, when its last test ended and how long it
    then stood idle before the run's last test ended, and its last ``tail`` tests (a run whose
    end is one long unit alone on one worker shows it here).

    >>> spans = {"a::t1": ("gw0", 100.0, 160.0), "a::t2": ("gw0", 160.0, 170.0),
    ...          "b::t": ("gw1", 100.0, 130.0)}
    >>> for line in worker_timeline(spans, tail=1):
    ...     print(line)
    gw0:     2 tests,    70 s busy, last ended at    70 s, idle    0 s at the end
        last:    60-   70 s  a::t2
    gw1:     1 tests,    30 s busy, last ended at    30 s, idle   40 s at the end
        last:     0-   30 s  b::t
    """
    if not spans:
        return []
    begin = min(start for _, start, _ in spans.values())
    end = max(stop for _, _, stop in spans.values())
    by_worker: dict[str, list[tuple[float, float, str]]] = {}
    for nodeid, (worker, start, stop) in spans.items():
        by_worker.setdefault(worker, []).append((start - begin, stop - begin, nodeid))
    lines = []
    for worker in sorted(by_worker):
        tests = sorted(by_worker[worker])
        busy = sum(stop - start for start, stop, _ in tests)
        last = max(stop for _, stop, _ in tests)
        lines.append(f"{worker}: {len(tests):5d} tests, {busy:5.0f} s busy, last ended at "
                     f"{last:5.0f} s, idle {end - begin - last:4.0f} s at the end")
        lines += [f"    last: {start:5.0f}-{stop:5.0f} s  {nodeid}"
                  for start, stop, nodeid in tests[-tail:]]
    return lines
