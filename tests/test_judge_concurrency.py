"""Own work under the judge when the reference runs out of the recorder's sight (issue 21).

The C profiler that records what a judged call runs (:class:`dlgrade.judge_code.Recorder`)
sees the calling thread only. The hostile review (notes/review-21.md, findings 3 and 3b) ran
the package's ``sigmoid`` in a thread pool, a plain thread, a timer, a child process fed over a
pipe, a fork, and with the recorder paused by the student, and kept full points. Here each
route is a function in a real kernel: every call fails with the reason, and honest code
(numpy, scikit-learn, a judge-side function called back) passes. The end-to-end runs through
``nbgrader autograde`` and ``dlcourse grade`` are in tests/test_judge_ownwork.py.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from dlgrade.judge_channel import CallTimeoutError, Channel, PackageCodeError
from dlgrade.judge_code import CodePolicy
from dlgrade.judge_procs import ProcessHold
from dlgrade.judge_watch import _children
from tests import hostile_code
from tests.hostile_code import HONEST_DEMO

#: Run in the kernel after the judge took the kernel's own threads (Channel.start): honest
#: functions, and a demo cell that leaves a thread pool and an idle thread alive.
HONEST_CODE = '''
import numpy as np
from sklearn.linear_model import LogisticRegression

def honest(t):
    t = np.asarray(t, dtype=float)
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

def fits_sklearn(X, y):
    return LogisticRegression().fit(X, y).predict(X)

def calls_back(f, t):
    return f(honest(t)) + f(honest(t))

def pool_of_own_code(t):
    return _demo_pool.submit(honest, t).result()

sigmoid = honest
''' + HONEST_DEMO

#: started during the call, and gone when it returns
THREADS = ["thread-plain", "thread-timer", "thread-from-c", "silenced-in-thread"]
PROCESSES = ["child-per-call", "fork"]
#: started when the cell ran, or the kernel's own: running while the call runs (a child
#: process of an earlier cell is stopped during the call instead: see the test below)
EARLIER = ["thread-queue", "c-idle-thread", "iopub-loop", "thread-pool"]
HONEST = ["honest", "fits_sklearn", "calls_back", "pool_of_own_code"]
ROUTES = THREADS + PROCESSES + EARLIER + ["pause-recorder"]


def _kernel(*cells, routes=tuple(ROUTES), timeout=60):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    channel = Channel(km.get_connection_info(session=False), timeout=timeout,
                      interrupt=km.interrupt_kernel)
    channel.start()  # as JudgedExecute does before the notebook's first cell
    for cell in cells:
        reply = kc.execute_interactive(cell, timeout=60)
        assert reply["content"]["status"] == "ok"
    channel.code_policy = CodePolicy([*cells, *(hostile_code.cell(r) for r in routes)])
    names = channel.get({name.replace("-", "_") for name in [*routes, *HONEST]})
    return km, kc, channel, {name.replace("_", "-"): f for name, f in names.items()}


@pytest.fixture(scope="module")
def kernel():
    """One kernel with every route beside honest code: the routes' threads wait between
    calls, as a demo cell's thread pool does (a child process of an earlier cell has a test
    of its own: it is stopped while a call runs)."""
    km, kc, channel, names = _kernel(HONEST_CODE, hostile_code.kernel_code(ROUTES))
    yield channel, names
    channel.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_honest_code_sklearn_and_callbacks_pass(kernel):
    channel, ns = kernel
    channel.start_cell()
    assert np.allclose(ns["honest"](np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert ns["fits-sklearn"](X, np.array([0, 0, 1, 1])).shape == (4,)
    # two calls back into the judge: each pauses the record once, as the agent does
    assert np.allclose(ns["calls-back"](lambda v: v * 2.0, np.array([0.0])), [2.0])
    # the student's own code run by the demo's pool is their own work
    assert np.allclose(ns["pool-of-own-code"](np.array([0.0])), [0.5])


@pytest.mark.parametrize("name", THREADS)
def test_a_call_that_starts_a_thread_earns_nothing(kernel, name):
    channel, ns = kernel
    channel.start_cell()
    # the call's record or, since the tripwire, the check after the request sees the thread
    with pytest.raises(PackageCodeError, match=r"thread.*what (it ran|ran there) cannot be told"):
        ns[name](np.array([0.0, 1.0]))


@pytest.mark.parametrize("name", PROCESSES)
def test_a_call_that_starts_a_process_earns_nothing(kernel, name):
    channel, ns = kernel
    channel.start_cell()
    with pytest.raises(PackageCodeError, match=r"process.*what it ran cannot be told"):
        ns[name](np.array([0.0, 1.0]))


def test_the_recorder_paused_by_the_student_earns_nothing(kernel):
    channel, ns = kernel
    channel.start_cell()
    # the record sees the pause, or the tripwire the package's code run while it was paused
    with pytest.raises(PackageCodeError, match=r"paused 1 time\(s\) outside the judge|"
                       r"dlcourse\.activations\.sigmoid ran, in the kernel outside the graded"):
        ns["pause-recorder"](np.array([0.0, 1.0]))


@pytest.mark.parametrize("name", EARLIER)
def test_a_thread_or_child_running_beside_the_call_earns_nothing(kernel, name):
    """Threads of an earlier cell (one of C code only, idle without a Python frame), the
    kernel's own IOPub thread and a child process serving the reference: the code another
    thread ran is recorded as the call's (the package's ``sigmoid``); a child's is unseen."""
    channel, ns = kernel
    channel.start_cell()
    for _ in range(2):  # a pool's worker starts with the first call, then serves
        with pytest.raises(PackageCodeError,
                           match=r"(dlcourse\.activations\.sigmoid ran during the call|"
                                 r"process.*cannot be told|started a thread.*cannot be told|"
                                 r"thread started between the grader's requests.*cannot be told)"):
            ns[name](np.array([0.0, 1.0]))
    # once they wait for work again (a moment to get back to their wait: the judge's next
    # cell is further away than this), an honest call beside them is graded as usual (an
    # honest notebook may leave a thread pool or joblib's workers from a demo cell)
    time.sleep(0.5)
    # in the next test cell: a finding fails the rest of its own cell (the tripwire's rule)
    channel.start_cell()
    assert np.allclose(ns["honest"](np.array([0.0])), [0.5])


#: an honest demo cell's process that wakes up all the time (as joblib's loky workers wake
#: to check on their manager): it must not make an honest call's record untrustworthy
WAKING_CHILD = """
import subprocess as _sp, sys as _sys
_waker = _sp.Popen([_sys.executable, "-c", "import time\\nwhile True: time.sleep(0.001)"])
"""


def _states(pid: int) -> list[str]:
    """The states (``R``, ``S``, ``T``, ...) of every process below ``pid``."""
    states, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            with open(f"/proc/{child}/stat") as stat:
                states.append(stat.read().rpartition(")")[2].split()[0])
            todo.append(child)
    return states


def test_processes_of_earlier_cells_stay_stopped_while_a_call_runs():
    """A child process left by an earlier cell is stopped by the grading process for the
    test cell (dlgrade.judge_procs): an honest call beside a process that wakes every
    millisecond is graded as usual, and a server of the student's that would run the
    reference cannot answer (the call runs out of time); after the cell they run again."""
    km, kc, channel, ns = _kernel(HONEST_CODE + WAKING_CHILD,
                                  hostile_code.kernel_code(["child-server"]),
                                  "child_server(np.array([0.0]))", routes=("child-server",),
                                  timeout=5)
    try:
        kernel_pid = km.provisioner.process.pid
        assert len(_states(kernel_pid)) >= 2 and "T" not in _states(kernel_pid)
        channel.processes = ProcessHold(kernel_pid)
        channel.start_cell()
        channel.processes.hold()  # as the judge does when a test cell starts
        assert set(_states(kernel_pid)) == {"T"}
        for _ in range(3):
            assert np.allclose(ns["honest"](np.array([-1.0, 0.0, 1.0])),
                               [0.268941, 0.5, 0.731059], atol=1e-6)
        assert set(_states(kernel_pid)) == {"T"}
        with pytest.raises(CallTimeoutError):
            ns["child-server"](np.array([0.0, 1.0]))
        channel.processes.release()  # the cell ended
        assert "T" not in _states(kernel_pid)
    finally:
        channel.close()
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize("name", ["thread-queue", "c-idle-thread", "iopub-loop"])
def test_what_another_thread_ran_is_named(kernel, name):
    channel, ns = kernel
    channel.start_cell()
    with pytest.raises(PackageCodeError, match=r"uses the course package's own implementation "
                                               r"\(dlcourse\.activations\.sigmoid ran"):
        ns[name](np.array([0.0, 1.0]))


def test_a_thread_inside_its_own_tracer_earns_nothing():
    """A thread that serves from inside its own trace function (the interpreter profiles
    nothing there) makes every call of its kernel unseen, so it has a kernel of its own."""
    km, kc, channel, ns = _kernel(HONEST_CODE, hostile_code.kernel_code(["thread-in-tracer"]),
                                  routes=("thread-in-tracer",))
    try:
        channel.start_cell()
        with pytest.raises(PackageCodeError, match=r"trace or profile function of its own.*"
                                                   r"cannot be told"):
            ns["thread-in-tracer"](np.array([0.0, 1.0]))
    finally:
        channel.close()
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_policy_says_why_a_record_is_unseen():
    policy = CodePolicy([])
    report = {"switched": ["it started a thread"], "pauses": 0}
    assert policy.unseen(report) == "it started a thread"
    assert policy.package_use(report).startswith("it started a thread")
    assert policy.unseen({"switched": [], "pauses": 2}, callbacks=1) == \
        "the grader's record of what runs was paused 1 time(s) outside the judge's own calls"
    assert policy.unseen({"switched": [], "pauses": 1}, callbacks=1) is None
    assert policy.unseen("not a report") is None


def test_a_later_start_does_not_move_the_kernels_own_threads(kernel):
    """The student cannot re-take the baseline after starting a thread: only the judge's
    first request (before any cell) counts."""
    channel, ns = kernel
    reply = channel._checked(channel._request({"op": "start"}))
    assert channel._in(reply["ok"]) is False


def test_a_test_cell_that_opens_with_a_read_of_names_carries_its_mark_in_it():
    """The opening mark of a test cell (the tripwires set again, what the student's cells ran
    not counted) rides on the cell's first request when that is the read of the student's
    names: one round trip fewer per test cell, and the package run by the student's own cell
    just before is still not counted against the test."""
    km, kc, channel, _ = _kernel(HONEST_CODE, routes=())
    try:
        for _ in range(2):
            reply = kc.execute_interactive("import dlcourse.activations\n"
                                           "_ = dlcourse.activations.sigmoid(np.zeros(2))",
                                           timeout=60)
            assert reply["content"]["status"] == "ok"
            channel.start_cell()
            before = channel.requests
            honest = channel.get({"honest"})["honest"]
            assert np.allclose(honest(np.array([0.0])), [0.5])
            assert channel.end_cell() is None
            # the read of names (with the opening mark), the call, the closing mark
            assert channel.requests - before == 3
            assert not channel.early
    finally:
        channel.close()
        kc.stop_channels()
        km.shutdown_kernel(now=True)
