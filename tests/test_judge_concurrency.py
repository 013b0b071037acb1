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

import numpy as np
import pytest

from dlgrade.judge_channel import Channel, PackageCodeError
from dlgrade.judge_code import CodePolicy

#: Run in the kernel after the judge took the kernel's own threads (Channel.start).
STUDENT_CODE = '''
import _thread, os, pickle, queue, subprocess, sys, threading, warnings
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from sklearn.linear_model import LogisticRegression

_ref = [pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")]
_pool = ThreadPoolExecutor(1)

def pool_made_earlier(t):
    return _pool.submit(_ref[0], t).result()

def plain_thread(t):
    box = []
    worker = threading.Thread(target=lambda: box.append(_ref[0](t)))
    worker.start()
    worker.join()
    return box[0]

def timer_thread(t):
    box = []
    timer = threading.Timer(0, lambda: box.append(_ref[0](t)))
    timer.start()
    timer.join()
    return box[0]

def thread_started_from_c(t):
    # _thread.start_new_thread called by map (C code): no profiler event for the call
    import time
    box, lock, running = [], threading.Lock(), _thread._count()
    lock.acquire()
    list(map(_thread.start_new_thread, [lambda: (box.append(_ref[0](t)), lock.release())],
             [()]))
    lock.acquire()
    while _thread._count() > running:  # gone before the call returns: nothing left alive
        time.sleep(0.001)
    return box[0]

_jobs, _answers = queue.Queue(), queue.Queue()
def _serve():
    while True:
        _answers.put(_ref[0](_jobs.get()))

def thread_from_an_earlier_cell(t):
    _jobs.put(t)
    return _answers.get()

def pause_the_recorder(t):
    from dlgrade.judge_code import _ACTIVE
    _ACTIVE[-1].pause()
    try:
        return _ref[0](t)
    finally:
        _ACTIVE[-1].resume()

def silenced_in_a_thread(t):
    box = []
    def work():
        with np.errstate(all="ignore"):
            box.append(1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float))))
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    return box[0]

_CHILD = ("import sys, json\\n"
          "from dlcourse.activations import sigmoid\\n"
          "for line in sys.stdin:\\n"
          "    print(json.dumps(sigmoid(json.loads(line)).tolist()), flush=True)\\n")

def child_from_an_earlier_cell(t):
    import json
    _server.stdin.write(json.dumps(np.asarray(t, dtype=float).tolist()) + "\\n")
    _server.stdin.flush()
    return np.array(json.loads(_server.stdout.readline()))

def child_per_call(t):
    import json
    code = ("import json, sys\\nfrom dlcourse.activations import sigmoid\\n"
            "print(json.dumps(sigmoid(json.loads(sys.argv[1])).tolist()))")
    out = subprocess.run([sys.executable, "-c", code,
                          json.dumps(np.asarray(t, dtype=float).tolist())],
                         capture_output=True, text=True, check=True).stdout
    return np.array(json.loads(out))

def forked(t):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, pickle.dumps(_ref[0](t)))
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 65536):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    return pickle.loads(data)

def honest(t):
    t = np.asarray(t, dtype=float)
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

def fits_sklearn(X, y):
    return LogisticRegression().fit(X, y).predict(X)

def calls_back(f, t):
    return f(honest(t)) + f(honest(t))
'''

#: A later cell of the same notebook: a thread and a child process that serve the reference.
EARLIER_CODE = '''
threading.Thread(target=_serve, daemon=True).start()
_server = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
'''

#: started during the call, and gone when it returns
THREADS = ["plain_thread", "timer_thread", "thread_started_from_c", "silenced_in_a_thread"]
PROCESSES = ["child_per_call", "forked"]
#: started in an earlier cell (the busy kernel)
EARLIER = {"thread_from_an_earlier_cell": "thread", "child_from_an_earlier_cell": "process",
           "pool_made_earlier": "thread"}
HONEST = ["honest", "fits_sklearn", "calls_back"]


def _kernel(*cells):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    channel = Channel(km.get_connection_info(session=False), timeout=60,
                      interrupt=km.interrupt_kernel)
    channel.start()  # as JudgedExecute does before the notebook's first cell
    for cell in cells:
        reply = kc.execute_interactive(cell, timeout=60)
        assert reply["content"]["status"] == "ok"
    channel.code_policy = CodePolicy(list(cells))
    names = channel.get(set(THREADS + PROCESSES + list(EARLIER) + HONEST +
                            ["pause_the_recorder"]))
    return km, kc, channel, names


@pytest.fixture(scope="module")
def kernel():
    """A kernel where the student's cells started no thread or process."""
    km, kc, channel, names = _kernel(STUDENT_CODE)
    yield channel, names
    channel.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def busy_kernel():
    """A kernel where an earlier cell started a serving thread and child process (and a
    pool whose worker, once started, stays): idle between calls."""
    km, kc, channel, names = _kernel(STUDENT_CODE, EARLIER_CODE)
    yield channel, names
    channel.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_honest_code_sklearn_and_callbacks_pass(kernel):
    channel, ns = kernel
    channel.start_cell()
    assert np.allclose(ns["honest"](np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert ns["fits_sklearn"](X, np.array([0, 0, 1, 1])).shape == (4,)
    # two calls back into the judge: each pauses the record once, as the agent does
    assert np.allclose(ns["calls_back"](lambda v: v * 2.0, np.array([0.0])), [2.0])


@pytest.mark.parametrize("name", THREADS)
def test_a_call_that_starts_a_thread_earns_nothing(kernel, name):
    channel, ns = kernel
    channel.start_cell()
    with pytest.raises(PackageCodeError, match=r"thread.*what it ran cannot be told"):
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
    with pytest.raises(PackageCodeError, match=r"paused 1 time\(s\) outside the judge"):
        ns["pause_the_recorder"](np.array([0.0, 1.0]))


@pytest.mark.parametrize("name", sorted(EARLIER))
def test_a_call_beside_a_thread_or_child_of_an_earlier_cell_earns_nothing(busy_kernel, name):
    channel, ns = busy_kernel
    channel.start_cell()
    with pytest.raises(PackageCodeError, match=EARLIER[name] + r".*cannot be told"):
        ns[name](np.array([0.0, 1.0]))
    # while they wait for work, idle, an honest call beside them is graded as usual (an
    # honest notebook may leave a thread pool or joblib's workers from a demo cell)
    assert np.allclose(ns["honest"](np.array([0.0])), [0.5])


def test_a_later_start_does_not_move_the_kernels_own_threads(busy_kernel):
    """The student cannot re-take the baseline after starting a thread: only the judge's
    first request (before any cell) counts."""
    channel, ns = busy_kernel
    reply = channel._checked(channel._request({"op": "start"}))
    assert channel._in(reply["ok"]) is False
