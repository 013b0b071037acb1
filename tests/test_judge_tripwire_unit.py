"""The tripwire between judged calls (:mod:`dlgrade.judge_tripwire`), in a fresh interpreter.

Arming it sets a profile on every thread and an audit hook for the process's life, so each
case runs in a subprocess of its own, as a kernel would (the whole-notebook cases, hooks J,
J2, H, H2 and W3 of review 21c, are in tests/test_judge_tripwire.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from dlgrade.judge_watch import _thread_states

pytestmark = pytest.mark.skipif(_thread_states() is None,
                                reason="the thread states are read on CPython 3.11 only")

SETUP = '''
import json, sys, threading
import numpy as np
import dlcourse.activations as A
from dlgrade import judge_code, judge_tripwire, judge_watch
judge_watch.watch_start()
wire = judge_tripwire.tripwire()
assert wire.arm()
wire.check()
SKIP = (judge_code.os.path.dirname(judge_code.__file__),)
real = judge_code._getprofile  # the built-in sys.getprofile, as gc.get_objects() finds it
out = {}
'''


def _run(body: str) -> dict:
    script = SETUP + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_package_code_between_records_is_seen_and_inside_them_is_the_records():
    out = _run('''
        out["quiet"] = wire.check()
        A.relu(np.ones(2))                          # outside any record: the tripwire's
        out["outside"] = wire.check()
        with judge_code.Recorder(skip=SKIP) as record:
            A.tanh_grad(np.ones(2))                 # the record's
            record.pause()
            A.sigmoid(np.ones(2))                   # paused for a callback: the tripwire's
            record.resume()
        out["record"] = record.report()
        out["after"] = wire.check()
    ''')
    assert out["quiet"] == {"package": [], "other": [], "unseen": []}
    assert "activations.py:relu" in out["outside"]["package"]
    assert out["outside"]["unseen"] == []
    assert out["record"]["package"] == ["activations.py:tanh_grad"]
    assert out["record"]["pauses"] == 1  # the one pause the agent would make per callback
    assert "activations.py:sigmoid" in out["after"]["package"]
    assert "activations.py:tanh_grad" not in out["after"]["package"]
    assert out["after"]["unseen"] == []


def test_other_threads_are_watched_also_when_they_end_before_the_check():
    out = _run('''
        go = threading.Event()
        def work():
            go.wait()
            A.softmax(np.ones((1, 3)))
        thread = threading.Thread(target=work)
        thread.start()
        wire.check()                                # the thread is known from here on
        go.set()
        thread.join()
        out["known"] = wire.check()
        late = threading.Thread(target=lambda: A.relu(np.ones(1)))
        late.start()
        late.join()
        out["late"] = wire.check()
    ''')
    assert "activations.py:softmax" in out["known"]["package"]
    assert out["known"]["unseen"] == []
    # a thread started and ended between two checks ran out of sight: said so
    assert out["late"]["unseen"] == ["a thread started between the grader's requests"]


@pytest.mark.parametrize("switch", [
    "sys.setprofile(None)",
    "threading.setprofile(None); sys.setprofile(lambda *a: None)",
    "real().clear()",
    "real().disable()",
    "import _lsprof; p = real(); sys.setprofile(None); A.relu(np.ones(1)); "
    "_lsprof.Profiler.enable(p)",
    "import _lsprof; _lsprof.Profiler.disable(real())",
    # review 21d, T1/T3: the C base method goes around _Wire.clear, then the grader's named
    # sentinel is called so that the record looks whole
    "A.relu(np.ones(1)); import _lsprof; _lsprof.Profiler.clear(real()); "
    "judge_tripwire._sentinel()",
    # the reference run in another interpreter, created and gone before the check
    "import _xxsubinterpreters as s; i = s.create(); s.run_string(i, 'x = 1'); s.destroy(i)",
])
def test_a_tripwire_switched_off_or_wiped_is_told(switch):
    out = _run(f'''
        {switch}
        out["first"] = wire.check()
        out["next"] = wire.check()
    ''')
    assert out["first"]["unseen"], out
    assert out["first"]["package"] == []
    assert out["next"]["unseen"] == []  # set again by the check: the next window is watched


def test_an_audit_hook_added_after_the_start_is_refused_and_told():
    """CPython runs audit hooks with profiling off: what a hook runs, no record and no
    tripwire sees (review 21d, AH2: the graded function raised its own event and the hook ran
    the package's function). A hook added after the judge's start is not added, and told."""
    out = _run('''
        seen = []
        def hook(event, args):
            if event == "x":
                seen.append(A.relu(np.ones(1)))
        sys.addaudithook(hook)
        sys.audit("x")
        out["ran"] = len(seen)
        out["first"] = wire.check()
        out["next"] = wire.check()
    ''')
    assert out["ran"] == 0  # the hook was never added
    assert out["first"]["unseen"] == [
        "an audit hook was added (what a hook runs no profiler sees; the grader refused it)"]
    assert out["next"]["unseen"] == []


def test_the_recorders_own_switches_are_not_the_students():
    out = _run('''
        for _ in range(3):
            with judge_code.Recorder(skip=SKIP) as record:
                with judge_code.Recorder(skip=SKIP) as inner:   # a nested call
                    inner.pause()
                    inner.resume()
                record.pause()
                record.resume()
        out["check"] = wire.check()
        out["profile_is_wire"] = type(real()).__name__
    ''')
    assert out["check"] == {"package": [], "other": [], "unseen": []}
    assert out["profile_is_wire"] == "_Wire"


def test_the_tripwires_rest_while_the_students_cells_run():
    out = _run('''
        wire.check(rest=True)                       # a test cell ended
        out["profile"] = repr(sys.getprofile())
        A.relu(np.ones(1))                          # a check_<function> in a cell, say
        out["opening"] = wire.check()               # the next test cell opens: set again
        A.relu(np.ones(1))
        out["then"] = wire.check()
    ''')
    assert out["profile"] == "None"
    assert out["opening"]["package"] == []
    assert "activations.py:relu" in out["then"]["package"]
    assert out["then"]["unseen"] == []


def test_a_wipe_on_another_thread_is_told():
    """Review 21d, T2: a thread of the kernel runs the package's function under its own
    tripwire, then wipes that tripwire's record with the C base method. Before the marks, only
    the request's thread was checked for a sentinel: nothing was told."""
    out = _run('''
        import _lsprof
        def work():
            A.relu(np.ones(1))
            _lsprof.Profiler.clear(real())
        go = threading.Event()
        thread = threading.Thread(target=lambda: (go.wait(), work()))
        thread.start()
        wire.check()                                # the thread is known and marked
        go.set()
        thread.join()
        out["first"] = wire.check()
        out["next"] = wire.check()
        go.clear()
        ended = threading.Thread(target=lambda: (go.wait(), work()))
        ended.start()
        wire.check()
        go.set()
        ended.join()                                # gone before the check reads it
        out["ended"] = wire.check()
    ''')
    assert out["first"]["package"] == []
    assert out["first"]["unseen"] == ["the grader's record between calls was wiped"]
    assert out["next"]["unseen"] == []
    assert "the grader's record between calls was wiped" in out["ended"]["unseen"]


def test_the_grader_does_not_hand_its_profilers_to_student_code():
    """Review 21d, T4: ``sys.getprofile()`` was the record's (or the tripwire's) profiler, and
    its ``clear`` wiped what it saw. It now answers None for the grader's own profilers, also
    after ``module_from_spec(sys.__spec__)`` fills ``sys`` again from CPython's saved copy;
    a profile the student sets is still theirs to read."""
    out = _run('''
        import importlib.util
        out["between"] = repr(sys.getprofile())
        with judge_code.Recorder(skip=SKIP) as record:
            out["inside"] = repr(sys.getprofile())
            out["refilled_is_sys"] = importlib.util.module_from_spec(sys.__spec__) is sys
            out["refilled"] = repr(sys.getprofile())
            out["real"] = type(real()).__name__
        mine = lambda *a: None
        sys.setprofile(mine)
        out["own"] = sys.getprofile() is mine
        sys.setprofile(None)
    ''')
    assert out["between"] == out["inside"] == out["refilled"] == "None"
    assert out["refilled_is_sys"]  # CPython 3.11 re-fills the module itself
    assert out["real"] == "_Record"  # what the grader hides is really there
    assert out["own"]


def test_a_record_wiped_during_the_call_is_told():
    """Review 21d, T4: ``clear()`` inside the judged call freed every entry, the package's
    function's too, and the call earned full points. The record's mark and the grader's frame
    around the call are freed with them: the call is reported wiped, whatever the spelling."""
    out = _run('''
        import _lsprof
        def honest(t):
            return np.maximum(t, 0)
        def wipes(t):
            r = A.relu(t)
            real().clear()
            return r
        def wipes_base(t):
            r = A.relu(t)
            _lsprof.Profiler.clear(real())
            return r
        def wipes_and_calls_on(t):
            r = A.relu(t)
            _lsprof.Profiler.clear(real())
            return honest(r)
        for f in (honest, wipes, wipes_base, wipes_and_calls_on):
            with judge_code.Recorder(skip=SKIP) as record:
                record.judged(f, np.ones(2))
            out[f.__name__] = record.report()["switched"]
        out["check"] = wire.check()
    ''')
    assert out["honest"] == []
    for name in ("wipes", "wipes_base", "wipes_and_calls_on"):
        assert out[name] == ["the record of this call was wiped"], (name, out[name])
    assert out["check"]["unseen"] == []


def test_a_thread_stopped_inside_the_tripwires_own_callback_is_not_one_of_its_own():
    """Under load, the scheduler may stop another thread inside the tripwire's C profiler
    callback just when a judged call begins; that thread runs nothing of its own there (a
    correct exercise-08 answer lost a test to it). Inside any other profile function it
    still is. The thread is held inside the callback by the profiler's timer."""
    out = _run('''
        import _lsprof
        tid, ready, go, entered, release = [], threading.Event(), threading.Event(), \\
            threading.Event(), threading.Event()

        def timer():  # the C profiler calls it inside its callback: hold the thread there
            if go.is_set() and threading.get_ident() == tid[0] and not entered.is_set():
                entered.set()
                release.wait(20)
            return 0

        def work():
            tid.append(threading.get_ident())
            ready.set()
            go.wait(20)
            for _ in range(2):
                (lambda: None)()
                go.wait(20)

        thread = threading.Thread(target=work)
        thread.start()
        ready.wait(20)
        states = judge_watch._watch().states
        state = next(s for s, (i, _) in states.states().items() if i == tid[0])
        wire.wires[state] = (tid[0], _lsprof.Profiler(timer, builtins=False))
        wire.place(state)                         # the tripwire's callback, its own record
        go.set()
        entered.wait(20)
        out["inside ours"] = [states.own_callback(state), judge_watch._watch().begin()]
        judge_watch._watch().end()
        wire.place(state)
        foreign = _lsprof.Profiler(timer, builtins=False)
        go.clear(); entered.clear(); release.set(); release.clear()
        states.api._PyEval_SetProfile(state, wire.function, foreign)  # same code, not ours
        go.set()
        entered.wait(20)
        out["inside another"] = states.own_callback(state)
        release.set()
        thread.join(20)
    ''')
    assert out["inside ours"] == [False, []]
    assert out["inside another"] is True


def test_a_thread_given_its_tripwire_before_it_booted_is_the_same_thread():
    """CPython makes a new thread's state in the thread that starts it, with the starter's
    ident, until the new thread first runs: a check that set the tripwire in that moment saw
    the ident change at the next check and told "a thread the grader did not watch ran" (a
    flake in CI, c-idle-thread: the reason changed, not the points) and dropped that record.
    The same thread keeps its record; what it ran is seen."""
    out = _run('''
        import _thread, time
        me = _thread.get_ident()
        for attempt in range(50):
            go, ran, end = (_thread.allocate_lock() for _ in range(3))
            go.acquire(); ran.acquire(); end.acquire()
            def body():
                go.acquire(); A.relu(np.ones(2)); ran.release(); end.acquire()
            before = set(wire.states.states())
            _thread.start_new_thread(body, ())
            out["started"] = wire.check()
            new = [v[0] for s, v in wire.states.states().items() if s not in before]
            unbooted = new == [me]   # still the starter's ident after the check placed it
            go.release(); ran.acquire()
            time.sleep(0.01)         # the thread waits on ``end``, alive with its own ident
            out["ran"] = wire.check()
            end.release(); time.sleep(0.01)
            wire.check()
            if unbooted:
                break
        out["unbooted"] = unbooted
        out["attempts"] = attempt + 1
    ''')
    assert out["unbooted"], out  # the case under test happened
    assert "a thread started between the grader's requests" in out["started"]["unseen"]
    assert out["ran"]["unseen"] == [], out
    assert "activations.py:relu" in out["ran"]["package"]


def test_a_busy_thread_stopped_inside_the_watchs_own_callback_is_not_one_of_its_own():
    """Review 23l, finding 2: another thread making ordinary calls during judged calls is
    often stopped inside the grader's own profile callback (at its first instruction, or in
    the callback of the call before): that is not "a thread that ran a trace or profile
    function of its own" (an honest demo thread cost 2-4 points at random). A thread that
    loops inside a trace function of its own, its tracer unset, still counts."""
    out = _run('''
        import collections, time
        def tick():
            pass
        def busy():
            while True:
                tick()
        threading.Thread(target=busy, daemon=True).start()
        time.sleep(0.05); wire.check()
        watch = judge_watch._watch()
        found = collections.Counter()
        for _ in range(300):
            found.update(watch.begin())
            sum(range(20000))            # the call's own work: the GIL changes hands meanwhile
            found.update(watch.end()[1])
        out["busy"] = dict(found)

        stop = []
        def tracer(frame, event, arg):
            sys.settrace(None)           # inside its own tracer, no trace function left
            while not stop:
                tick()
        def traced():
            sys.settrace(tracer)
            (lambda: None)()
        threading.Thread(target=traced, daemon=True).start()
        time.sleep(0.05); wire.check()
        found = collections.Counter()
        for _ in range(20):
            found.update(watch.begin())
            sum(range(20000))
            found.update(watch.end()[1])
        stop.append(1)
        out["own tracer"] = dict(found)
    ''')
    assert out["busy"] == {}, out
    assert out["own tracer"].get("a thread ran a trace or profile function of its own") == 20, out
