"""Grading throughput: plain serial nbgrader versus ``dlcourse grade`` (fork server, sandbox).

Makes N synthetic submissions of a real assignment (02_neuron; a tiny built-in one when it
is missing) -- a third correct, a third partly wrong (half the functions left as stubs), a
third broken (a syntax error in the first solution cell) -- and times, on the same course:

- plain serial ``nbgrader autograde`` (stock ``python3`` kernel, no sandbox: the course's
  nbgrader_config.py without the ``configure_nbgrader(c)`` line);
- ``dlcourse grade`` with 1 and 2 workers of its local Dask cluster, with the sandbox on and
  off (DLCOURSE_SANDBOX=0);
- as root, ``dlcourse grade`` with 2 workers in the rootless sandbox mode (the user namespace a
  normal user gets, forced with ``DLCOURSE_SANDBOX_ROOTLESS=1``);
- ``dlcourse grade --scheduler`` on a ``dask scheduler`` plus one ``dask worker --nworkers 2
  --nthreads 1 --preload dlgrade.cluster`` on 127.0.0.1, started before the clock starts (a
  long-lived cluster pays its start-up once, not per batch), sandbox on;
- with ``--before REV``: the engine of git revision REV (e.g. main before a change, or the last
  one with the hand-made process pool), 2 workers, sandbox on, run from an exported copy of
  its ``dlgrade/`` (mode ``before``).
- ``dlcourse grade`` once more with 2 workers and the trusted judge off (DLCOURSE_JUDGE=0:
  tests in the student's kernel), which gives the judge's cost per submission.
- ``dlcourse grade --student s000``: one student graded again after the batch (an appeal),
  the whole command from its start to its exit (mode ``student``; ``student-before`` runs
  the same with the engine of ``--before REV``).

It prints the times, the throughput ratios against plain serial and whether every mode gave
every student the same score (read from the gradebook). Timings depend on the machine:
this is a benchmark, not a test.

Under each time it prints the CPU seconds of the command's whole process tree (the
command, its Dask cluster, grading processes, fork servers and kernels; as root a cpuacct
cgroup per command, else the usage of the children this process reaped), per submission,
and the plain / ``grade2`` CPU ratio. On a machine other programs load, wall time is
noise and CPU time is the measure: two workers on two busy cores need at most 2/5 of plain's
CPU for 5x. (``scheduler`` mode counts only the command: its cluster runs outside.)

    python benchmarks/grading.py            # N = 20 and 60, every mode
    python benchmarks/grading.py --quick    # a smoke run: N = 3, each kind of run once
    python benchmarks/grading.py -n 60 --modes plain,grade2   # issue 23's pair only
    python benchmarks/grading.py -n 6 --modes student,student-before --before main

``--modes`` takes the keys of :data:`MODES` (``plain``, ``grade2``, ``grade2-nojudge``, ...).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat

from dlgrade.course import make_course as make_dlgrade_course
from dlgrade.course import run_nbgrader, tools_env
from dlgrade.sandbox import demo

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
SANDBOX_LINES = "from dlgrade.sandbox import configure_nbgrader\nconfigure_nbgrader(c)\n"


def _run(cmd, cwd, env, ok=(0,)) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def base_config() -> str:
    """The course's nbgrader_config.py without the sandbox lines (the plain baseline)."""
    with open(os.path.join(REPO, "nbgrader_config.py")) as fh:
        lines = fh.read().splitlines(keepends=True)
    return "".join(line for line in lines
                   if "configure_nbgrader" not in line and "dlgrade.sandbox" not in line
                   and "install_judge" not in line)


def write_config(root: str, sandbox: bool) -> None:
    with open(os.path.join(root, "nbgrader_config.py"), "w") as fh:
        fh.write(base_config() + ("\n" + SANDBOX_LINES if sandbox else ""))


def make_course(root: str, assignment: str) -> str:
    """Copy the assignment's source into a fresh course and release it; return the notebook."""
    source = (demo.source_notebook() if assignment == demo.ASSIGNMENT
              else os.path.join(REPO, "solutions", assignment))
    make_dlgrade_course(root, base_config(), {assignment: source}, release=True)
    names = [f for f in os.listdir(os.path.join(root, "exercises", assignment))
             if f.endswith(".ipynb")]
    return os.path.splitext(sorted(names)[0])[0]


def _solution_code(source: str) -> str:
    """A source solution cell with nbgrader's BEGIN/END SOLUTION marker lines removed."""
    return "\n".join(line for line in source.splitlines()
                     if not re.match(r"\s*### (BEGIN|END) SOLUTION", line))


def make_submissions(root: str, assignment: str, notebook: str, n: int) -> dict:
    """Write n submissions; return {student: kind}."""
    source = nbformat.read(os.path.join(root, "solutions", assignment, notebook + ".ipynb"),
                           as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: _solution_code(c.source)
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    release = os.path.join(root, "exercises", assignment, notebook + ".ipynb")
    kinds = {}
    for i in range(n):
        kind = ("correct", "partly wrong", "broken")[i % 3]
        student = f"s{i:03d}"
        nb = nbformat.read(release, as_version=4)
        cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        code_cells = [c for c in cells if c.cell_type == "code"]
        for j, cell in enumerate(cells):
            answer = answers[cell.metadata["nbgrader"]["grade_id"]]
            if kind == "correct" or (kind == "partly wrong" and j < len(cells) // 2):
                cell.source = answer
        if kind == "broken" and code_cells:
            code_cells[0].source = "def broken(:\n    pass\n"
        folder = os.path.join(root, "submitted", student, assignment)
        os.makedirs(folder, exist_ok=True)
        nbformat.write(nb, os.path.join(folder, notebook + ".ipynb"))
        kinds[student] = kind
    return kinds


def gradebook_scores(root: str, assignment: str) -> dict:
    from nbgrader.api import Gradebook
    from traitlets.config import Config

    cfg = Config()
    exec(compile(base_config(), "nbgrader_config.py", "exec"), {"get_config": lambda: cfg})
    course_id = cfg.CourseDirectory.get("course_id", "")
    with Gradebook("sqlite:///" + os.path.join(root, "gradebook.db"), course_id) as gb:
        return {s.student.id: round(s.score, 6) for s in gb.assignment_submissions(assignment)}


def clear_grades(root: str) -> None:
    for folder in ("autograded", "feedback", "grading"):
        shutil.rmtree(os.path.join(root, folder), ignore_errors=True)


#: where the CPU of the timed commands is counted: a cpuacct cgroup (v1) made per timed
#: command when this process may (root), else the resource usage of reaped children
CPUACCT = "/sys/fs/cgroup/cpuacct"
#: {mode key: [CPU seconds of each timed command]}, filled by :func:`cpu_meter`
CPU_SECONDS: dict = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def cpu_meter(key: str):
    """Count the CPU seconds of every process started inside the block (the command, its
    Dask cluster, grading processes, fork servers, sandboxes, kernels) into CPU_SECONDS[key].

    This process joins a fresh cpuacct cgroup for the block (its children inherit it, and a
    process reparented to init stays counted); without one (not root, no cgroup v1), the
    usage of the children this process waited for, which misses a grandchild nobody reaped."""
    group = None
    if os.access(os.path.join(CPUACCT, "tasks"), os.W_OK):
        group = tempfile.mkdtemp(prefix=f"dlcourse-bench-{os.getpid()}-", dir=CPUACCT)
        with open(os.path.join(group, "tasks"), "w") as fh:
            fh.write(str(os.getpid()))
    before = _children_cpu()
    try:
        yield
    finally:
        if group is None:
            CPU_SECONDS.setdefault(key, []).append(_children_cpu() - before)
        else:
            with open(os.path.join(CPUACCT, "tasks"), "w") as fh:
                fh.write(str(os.getpid()))
            for _ in range(100):  # the last processes of the run leave the group
                with open(os.path.join(group, "tasks")) as fh:
                    if not fh.read().strip():
                        break
                time.sleep(0.05)
            with open(os.path.join(group, "cpuacct.usage")) as fh:
                CPU_SECONDS.setdefault(key, []).append(int(fh.read()) / 1e9)
            with contextlib.suppress(OSError):
                os.rmdir(group)


def time_plain(root: str, assignment: str) -> float:
    write_config(root, sandbox=False)
    clear_grades(root)
    start = time.perf_counter()
    run_nbgrader(root, "autograde", assignment, "--force")
    return time.perf_counter() - start


def time_dlcourse(root: str, assignment: str, workers: int, sandbox: bool,
                  scheduler: str | None = None, pythonpath: str | None = None,
                  rootless: bool = False, judge: bool = True,
                  student: str | None = None) -> float:
    """Seconds of one ``dlcourse grade`` command, from its start to its exit. With
    ``student``, the batch was graded before (untimed) and only ``--student`` is timed."""
    write_config(root, sandbox=True)
    if student is None:
        clear_grades(root)
    env = tools_env(dict(os.environ, DLCOURSE_SANDBOX="1" if sandbox else "0",
                         DLCOURSE_JUDGE="1" if judge else "0"))
    if rootless:  # the user-namespace mode a normal user gets, forced as root
        env["DLCOURSE_SANDBOX_ROOTLESS"] = "1"
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    where = ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
    which = ["--student", student] if student else ["--force"]
    start = time.perf_counter()
    _run([os.path.join(BIN, "dlcourse"), "--course", root, "grade", assignment, *where,
          *which, "--no-progress"], root, env, ok=(0, 2))
    return time.perf_counter() - start


def time_mode(root: str, assignment: str, key: str, workers, sandbox: bool, judge: bool,
              address: str | None, old_engine) -> float:
    """Seconds of one timed run of a mode (its CPU goes to CPU_SECONDS[key])."""
    with cpu_meter(key):
        if workers is None:
            return time_plain(root, assignment)
        if workers == "scheduler":
            return time_dlcourse(root, assignment, 2, sandbox, scheduler=address)
        if workers == "rootless":
            return time_dlcourse(root, assignment, 2, sandbox, rootless=True)
        if workers == "before":
            return time_dlcourse(root, assignment, 2, sandbox, pythonpath=old_engine())
        if workers in ("student", "student-before"):
            path = old_engine() if workers == "student-before" else None
            return time_dlcourse(root, assignment, 2, sandbox, pythonpath=path,
                                 student=REGRADED)
        return time_dlcourse(root, assignment, workers, sandbox, judge=judge)


@contextlib.contextmanager
def dask_cluster(workdir: str):
    """``dask scheduler`` + one ``dask worker`` process with 2 worker processes on 127.0.0.1;
    yields the scheduler's address once both workers are connected."""
    from distributed import Client

    from dlgrade.cluster import stop_command

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = tools_env(dict(os.environ, DLCOURSE_SANDBOX="1",
                         DLCOURSE_STATION_DIR=os.path.join(workdir, "stations")))
    dask = os.path.join(BIN, "dask")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], cwd=workdir, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs.append(subprocess.Popen(
        [dask, "worker", address, "--host", "127.0.0.1", "--nworkers", "2", "--nthreads", "1",
         "--no-dashboard", "--preload", "dlgrade.cluster", "--local-directory",
         os.path.join(workdir, "dask")], cwd=workdir, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        with Client(address, timeout=120) as client:
            client.wait_for_workers(2, timeout=300)
        yield address
    finally:
        for proc in reversed(procs):
            stop_command(proc)


def export_revision(rev: str, workdir: str) -> str:
    """Copy ``dlgrade/`` of git revision ``rev`` into a folder; return it (for PYTHONPATH)."""
    target = tempfile.mkdtemp(prefix="dlgrade-before-", dir=workdir)
    os.chmod(target, 0o755)
    archive = subprocess.run(["git", "-C", REPO, "archive", rev, "dlgrade"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
    return target


#: Every kind of run: ``key: (label, workers, sandbox, judge)``; ``workers`` is a count, or
#: None (plain nbgrader), "rootless", "scheduler" or "before" for the special runs.
MODES = {
    "plain": ("plain serial nbgrader autograde (stock kernel)", None, None, None),
    "grade1-nosandbox": ("dlcourse grade, 1 worker, sandbox off", 1, False, True),
    "grade2-nosandbox": ("dlcourse grade, 2 workers, sandbox off", 2, False, True),
    "grade1": ("dlcourse grade, 1 worker, sandbox on", 1, True, True),
    "grade2": ("dlcourse grade, 2 workers, sandbox on", 2, True, True),
    # the judge (tests in the grading process) against tests in the kernel, same run
    "grade2-nojudge": ("dlcourse grade, 2 workers, sandbox on, judge off", 2, True, False),
    "grade2-again": ("dask local cluster, 2 workers, sandbox on (again)", 2, True, True),
    "rootless": ("2 workers, rootless sandbox (DLCOURSE_SANDBOX_ROOTLESS=1)", "rootless", True,
                 True),
    "scheduler": ("dask scheduler + 2 worker processes on 127.0.0.1", "scheduler", True, True),
    "before": ("dlgrade of {} (--before), 2 workers, sandbox on", "before", True, True),
    # one student graded again after an appeal (issue 23): the whole command, start to exit
    "student": ("one --student regrade, sandbox on", "student", True, True),
    "student-before": ("one --student regrade, dlgrade of {} (--before)", "student-before",
                       True, True),
}
#: --quick: each kind of run once (plain, local cluster with and without the judge,
#: rootless, scheduler); the 1-worker and sandbox-off rows only change arguments of the same
#: calls
QUICK = ("plain", "grade2", "grade2-nojudge", "rootless", "scheduler", "student")
#: the student whose regrade the ``student`` modes time (a correct submission)
REGRADED = "s000"


def parse_modes(text: str | None, quick: bool = False) -> list[str]:
    """The modes to time, from ``--modes a,b`` (default: all, or :data:`QUICK`)."""
    if text is None:
        return list(QUICK if quick else MODES)
    chosen = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in MODES]
    if unknown or not chosen:
        raise ValueError(f"modes: got {text!r}, expected a comma-separated list of "
                         f"{', '.join(MODES)}")
    return chosen


def bench(n: int, assignment: str, workdir: str | None, before: str | None = None,
          chosen=tuple(MODES), repeat: int = 1) -> None:
    root = tempfile.mkdtemp(prefix=f"dlcourse-bench-{n}-", dir=workdir)
    os.chmod(root, 0o755)
    try:
        notebook = make_course(root, assignment)
        kinds = make_submissions(root, assignment, notebook, n)
        print(f"\nN = {n} submissions of {assignment} "
              f"({sum(k == 'correct' for k in kinds.values())} correct, "
              f"{sum(k == 'partly wrong' for k in kinds.values())} partly wrong, "
              f"{sum(k == 'broken' for k in kinds.values())} broken)", flush=True)
        results, scores = {}, {}
        regraded = False  # whether the batch was graded for the student modes
        modes = [(key, label, workers, sandbox, judge)
                 for key, (label, workers, sandbox, judge) in MODES.items()
                 if key in chosen and (key != "rootless" or os.geteuid() == 0)
                 and (key not in ("before", "student-before") or before)]
        if before:
            modes = [(key, label.format(before) if "{}" in label else label, *rest)
                     for key, label, *rest in modes]
        exported: dict = {}  # the --before revision, exported once

        def old_engine() -> str:
            if "path" not in exported:
                exported["path"] = export_revision(before, root)
            return exported["path"]

        times: dict = {}
        # with --repeat, the modes run in rounds, every other round in reverse order, so a
        # load that rises or falls during the run weighs on every mode alike; each mode's
        # time is its median
        rounds = [modes if r % 2 == 0 else modes[::-1] for r in range(repeat)]
        for key, label, workers, sandbox, judge in (m for r in rounds for m in r):
            if workers in ("student", "student-before") and not regraded:
                time_dlcourse(root, assignment, 2, sandbox)  # the batch once, untimed: a
                regraded = True                              # regrade follows a full run
            with contextlib.ExitStack() as stack:
                # a scheduler's cluster starts (and stops) outside the clock and the CPU count
                address = (stack.enter_context(dask_cluster(root)) if workers == "scheduler"
                           else None)
                seconds = time_mode(root, assignment, key, workers, sandbox, judge, address,
                                    old_engine)
            times.setdefault(key, []).append(seconds)
            scores[key] = gradebook_scores(root, assignment)
            if repeat > 1:
                print(f"    run {len(times[key])} of {repeat}: {label:52s} {seconds:7.1f} s"
                      f"  CPU {CPU_SECONDS[key][-1]:7.1f} s", flush=True)
            if len(times[key]) < repeat:
                continue
            results[key] = seconds = statistics.median(times[key])
        for key, label, *_ in modes:
            seconds = results[key]
            ratio = (f"{results['plain'] / seconds:5.2f}x plain" if "plain" in results
                     and not key.startswith("student") else "")
            rate = f"{(1 if key.startswith('student') else n) / seconds:5.2f} subm/s"
            median = f" (median of {repeat})" if repeat > 1 else ""
            print(f"  {label:52s} {seconds:7.1f} s  {rate}  {ratio}{median}", flush=True)
            cpu = statistics.median(CPU_SECONDS[key])
            per = 1 if key.startswith("student") else n
            print(f"  {'':52s} CPU {cpu:7.1f} s  {cpu / per * 1000:6.0f} ms/subm", flush=True)
        if "grade2" in results and "grade2-nojudge" in results:
            on, off = results["grade2"], results["grade2-nojudge"]
            print(f"  judge cost: {on / n * 1000:.0f} ms per submission with the judge, "
                  f"{off / n * 1000:.0f} ms without (ratio {on / off:.2f})")
        if "plain" in results and "grade2" in results:
            print(f"  ratio plain serial nbgrader / dlcourse grade (2 workers, sandbox and judge "
                  f"on) at N = {n}: {results['plain'] / results['grade2']:.2f}x")
        if "plain" in results and "grade2" in results:
            plain_cpu = statistics.median(CPU_SECONDS["plain"])
            grade_cpu = statistics.median(CPU_SECONDS["grade2"])
            print(f"  CPU of the whole process tree, plain / dlcourse grade (2 workers): "
                  f"{plain_cpu:.1f} / {grade_cpu:.1f} s = {plain_cpu / grade_cpu:.2f} "
                  f"(5x wall on 2 busy cores needs at least 2.5)")
        if "student" in results and "student-before" in results:
            print(f"  one --student regrade: {results['student-before']:.1f} s before, "
                  f"{results['student']:.1f} s now "
                  f"(ratio {results['student-before'] / results['student']:.2f})")
        reference = scores[modes[0][0]]
        same = all(s == reference for s in scores.values())
        print(f"  grades identical across all {len(modes)} modes: {'yes' if same else 'NO'}")
        if not same:
            for key, got in scores.items():
                diff = {k: (reference.get(k), v) for k, v in got.items() if reference.get(k) != v}
                if diff:
                    print(f"    {key}: {diff}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: N = 3, each kind of run once")
    parser.add_argument("-n", type=int, nargs="*", help="batch sizes (default 20 60)")
    parser.add_argument("--assignment", default=None,
                        help="assignment to grade (default 02_neuron, else the built-in ps1)")
    parser.add_argument("--dir", default=None, help="where to create the scratch courses")
    parser.add_argument("--before", default=None, metavar="REV",
                        help="also time the engine of this git revision (2 workers, sandbox on)")
    parser.add_argument("--modes", default=None,
                        help="comma-separated runs to time (they run in this order): "
                        + ", ".join(MODES) + " (default: all; with --quick: "
                        + ",".join(QUICK) + "); e.g. plain,grade2 for issue 23's pair")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="time each mode K times, in rounds that alternate their order, "
                        "and report the medians (for a machine whose load changes)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"repeat: got {args.repeat}, expected at least 1")
    try:
        chosen = parse_modes(args.modes, args.quick)
    except ValueError as exc:
        parser.error(str(exc))
    assignment = args.assignment or (
        "02_neuron" if os.path.isdir(os.path.join(REPO, "solutions", "02_neuron")) else "ps1")
    sizes = [3] if args.quick else (args.n or [20, 60])
    print(f"grading benchmark: {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start; CPU counted by "
          + ("a cpuacct cgroup per command" if os.access(os.path.join(CPUACCT, "tasks"), os.W_OK)
             else "the usage of reaped children"))
    try:
        for n in sizes:
            bench(n, assignment, args.dir, args.before, chosen, args.repeat)
    finally:
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
