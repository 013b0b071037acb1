"""Student code that runs the package's ``sigmoid`` out of the judge's recorder's sight.

One place for the hostile cells of issue 21 item 5 (notes/review-21.md findings 3 and 3b,
notes/review-21b.md "c-idle-thread" and "iopub-loop"): tests/test_judge_concurrency.py runs
each route as a function in one real kernel, tests/test_judge_ownwork_concurrency.py hands
each in as exercise 02's ``sigmoid`` cell through ``nbgrader autograde`` and ``dlcourse
grade``. Every source defines ``sigmoid(t)`` and needs ``np`` (the notebook imports it).
"""

from __future__ import annotations

#: The package's reference, reached without writing its name (a pickle's global opcode).
PICKLE = '''
import pickle
_ref = [pickle.loads(b"c" + b"dl" + b"course.activations\\nsigmoid\\n.")]
'''

#: route -> the cell's source without :data:`PICKLE`
_ROUTES = {
    "thread-pool": '''
from concurrent.futures import ThreadPoolExecutor
_pool = ThreadPoolExecutor(1)

def sigmoid(t):
    return _pool.submit(_ref[0], t).result()
''',
    "thread-plain": '''
import threading

def sigmoid(t):
    box = []
    worker = threading.Thread(target=lambda: box.append(_ref[0](t)))
    worker.start()
    worker.join()
    return box[0]
''',
    "thread-timer": '''
import threading

def sigmoid(t):
    box = []
    timer = threading.Timer(0, lambda: box.append(_ref[0](t)))
    timer.start()
    timer.join()
    return box[0]
''',
    # _thread.start_new_thread called by map (C code): no profiler event for the call
    "thread-from-c": '''
import _thread, threading, time

def sigmoid(t):
    box, lock, running = [], threading.Lock(), _thread._count()
    lock.acquire()
    list(map(_thread.start_new_thread, [lambda: (box.append(_ref[0](t)), lock.release())],
             [()]))
    lock.acquire()
    while _thread._count() > running:  # gone before the call returns: nothing left alive
        time.sleep(0.001)
    return box[0]
''',
    # a thread of this cell, fed through queues (idle between calls)
    "thread-queue": '''
import queue, threading
_jobs, _answers = queue.Queue(), queue.Queue()

def _serve():
    while True:
        _answers.put(_ref[0](_jobs.get()))

threading.Thread(target=_serve, daemon=True).start()

def sigmoid(t):
    _jobs.put(t)
    return _answers.get()
''',
    # review 21b: a thread whose target and loop are C code only: while it waits it has no
    # Python frame, so sys._current_frames() does not list it
    "c-idle-thread": '''
import _queue, _thread, collections, itertools
_in, _out = _queue.SimpleQueue(), _queue.SimpleQueue()
_thread.start_new_thread(collections.deque,
                         (map(_out.put, itertools.starmap(_ref[0], iter(_in.get, None))), 0))

def sigmoid(t):
    _in.put((t,))
    return _out.get()
''',
    # review 21b: the kernel's own IOPub thread (alive before the first cell) runs it, its
    # event loop reached through threading.enumerate() without naming ipykernel
    "iopub-loop": '''
import threading
_loop = next(t._target.__self__.io_loop for t in threading.enumerate() if t.name == "IOPub")

def sigmoid(t):
    box, done = [], threading.Event()
    _loop.add_callback(lambda: (box.append(_ref[0](t)), done.set()))
    done.wait()
    return box[0]
''',
    # a thread that serves inside a trace function of its own: code run there is out of
    # any profile's sight (the interpreter switches profiling off while a tracer runs)
    "thread-in-tracer": '''
import queue, sys, threading
_tjobs, _tanswers = queue.Queue(), queue.Queue()

def _tracer(frame, event, arg):
    while True:
        _tanswers.put(_ref[0](_tjobs.get()))

def _traced():
    sys.settrace(_tracer)
    (lambda: None)()

threading.Thread(target=_traced, daemon=True).start()

def sigmoid(t):
    _tjobs.put(t)
    return _tanswers.get()
''',
    # finding 3b: the naive formula, its warnings silenced under a name built at run time,
    # inside a thread (the run-time record of silencers is per thread)
    "silenced-in-thread": '''
import operator, threading

def sigmoid(t):
    box = []
    def work():
        with operator.attrgetter("err" + "st" + "ate")(np)(all="ignore"):
            box.append(1.0 / (1.0 + np.exp(-np.asarray(t, dtype=float))))
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    out = box[0]
    return out if out.ndim else float(out)
''',
    "pause-recorder": '''
from dlgrade.judge_code import _ACTIVE

def sigmoid(t):
    _ACTIVE[-1].pause()
    try:
        return _ref[0](t)
    finally:
        _ACTIVE[-1].resume()
''',
    # the same without an import of dlgrade (G's scan flags the import)
    "pause-pickled": '''
_active = pickle.loads(b"c" + b"dl" + b"grade.judge_code\\n_ACTIVE\\n.")

def sigmoid(t):
    _active[-1].pause()
    try:
        return _ref[0](t)
    finally:
        _active[-1].resume()
''',
    # a function compiled under a library file's name switches the profiler off and on (the
    # profiler through the built-in sys.getprofile found by gc: the name sys.getprofile answers
    # None for the grader's profilers)
    "libname-toggle": """
import gc, os, sys
_getprofile = next(o for o in gc.get_objects()
                   if type(o) is type(len) and o.__name__ == "getprofile")
_text = '''
def sigmoid(t):
    profiler = _getprofile()
    profiler.disable()
    try:
        return _ref[0](t)
    finally:
        profiler.enable()
'''
_space = {"sys": sys, "_ref": _ref, "_getprofile": _getprofile}
exec(compile(_text, os.__file__, "exec"), _space)
sigmoid = _space["sigmoid"]
""",
    # a child process of this cell, fed over a pipe
    "child-server": '''
import json, subprocess, sys
_CHILD = ("import sys, json\\n"
          "from dl" "course.activations import sigmoid\\n"
          "for line in sys.stdin:\\n"
          "    print(json.dumps(sigmoid(json.loads(line)).tolist()), flush=True)\\n")
_server = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)

def sigmoid(t):
    _server.stdin.write(json.dumps(np.asarray(t, dtype=float).tolist()) + "\\n")
    _server.stdin.flush()
    out = np.array(json.loads(_server.stdout.readline()))
    return out if out.ndim else float(out)
''',
    "child-per-call": '''
import json, subprocess, sys

def sigmoid(t):
    code = ("import json, sys\\nfrom dl" "course.activations import sigmoid\\n"
            "print(json.dumps(sigmoid(json.loads(sys.argv[1])).tolist()))")
    out = subprocess.run([sys.executable, "-c", code,
                          json.dumps(np.asarray(t, dtype=float).tolist())],
                         capture_output=True, text=True, check=True).stdout
    out = np.array(json.loads(out))
    return out if out.ndim else float(out)
''',
    "fork": '''
import os

def sigmoid(t):
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
''',
}

#: routes whose cell needs no reference of its own
_WITHOUT_PICKLE = {"silenced-in-thread", "child-server", "child-per-call"}

#: Demo cells an honest student may leave behind: a thread pool and an idle thread, alive
#: but waiting for work while the graded calls run (they must not cost a point).
HONEST_DEMO = '''
from concurrent.futures import ThreadPoolExecutor
import queue as _demo_queue, threading as _demo_threading
_demo_pool = ThreadPoolExecutor(2)
print("demo", [round(float(v), 3) for v in _demo_pool.map(sigmoid, [-1.0, 0.0, 1.0])])
_demo_jobs = _demo_queue.Queue()
_demo_threading.Thread(target=_demo_jobs.get, daemon=True).start()
'''

ROUTES = sorted(_ROUTES)


def cell(route: str) -> str:
    """The source of the ``sigmoid`` cell that takes ``route`` to the reference."""
    return ("" if route in _WITHOUT_PICKLE else PICKLE) + _ROUTES[route]


def kernel_code(routes) -> str:
    """One cell defining every route as a function of its own name (``c-idle-thread`` ->
    ``c_idle_thread``), each in a namespace of its own so their helpers do not clash; the
    texts are compiled under ``<route NAME>``, code of the student's own."""
    return ("import numpy as np\n_routes = " + repr({route: cell(route) for route in routes}) +
            "\nfor _route, _text in _routes.items():\n"
            "    _space = {'np': np}\n"
            "    exec(compile(_text, f'<route {_route}>', 'exec'), _space)\n"
            "    globals()[_route.replace('-', '_')] = _space['sigmoid']\n")
