"""Which other threads and processes ran during a judged call (kernel side).

The recorder (:class:`dlgrade.judge_code.Recorder`) profiles the calling thread. While it
runs, :class:`_Watch` makes every other Python thread of the kernel record the code it runs
(a profile function set on each thread state through CPython's C API, :class:`_ThreadStates`,
so threads without a Python frame are included) and tells when what ran cannot be known: a
thread started during the call, a trace or profile function of the student's, a child
process started, scheduled (``/proc/.../schedstat``) or reaped after using CPU time. The
baseline is taken at the judge's ``start`` request, before the notebook's first cell
(:func:`watch_start`).
"""

from __future__ import annotations

import _thread
import os
import sys

#: Audit events (:func:`sys.addaudithook`) of a process starting another program or a copy
#: of itself. ``multiprocessing``'s spawn and forkserver start theirs without an event; the
#: children they leave and the CPU time of children reaped are checked too (:class:`_Watch`).
_PROCESS_EVENTS = frozenset({"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn",
                             "os.system", "os.exec", "subprocess.Popen", "pty.spawn"})


def _thread_stamp_function():
    """A function returning a number that grows by one with every Python thread state the
    interpreter creates (``PyThreadState_GetID`` of a state made and dropped at once), or
    None where the C API cannot be reached. A thread that runs Python code has a thread state,
    however it was started (``threading``, ``_thread`` called from C, a ``ctypes`` callback
    on a native thread), so two stamps tell whether any such thread started in between."""
    try:
        import ctypes

        api = ctypes.pythonapi
        api.PyInterpreterState_Get.restype = ctypes.c_void_p
        api.PyThreadState_New.restype = ctypes.c_void_p
        api.PyThreadState_New.argtypes = [ctypes.c_void_p]
        api.PyThreadState_GetID.restype = ctypes.c_uint64
        api.PyThreadState_GetID.argtypes = [ctypes.c_void_p]
        api.PyThreadState_Clear.argtypes = [ctypes.c_void_p]
        api.PyThreadState_Delete.argtypes = [ctypes.c_void_p]
        interpreter = api.PyInterpreterState_Get()
    except (ImportError, AttributeError, OSError):
        return None

    def stamp() -> int:
        state = api.PyThreadState_New(interpreter)
        try:
            return int(api.PyThreadState_GetID(state))
        finally:
            api.PyThreadState_Clear(state)
            api.PyThreadState_Delete(state)

    try:
        stamp()
    except Exception:  # noqa: BLE001 - an interpreter without the API: the other checks stay
        return None
    return stamp


def _children(pid: int | str = "self") -> frozenset[int]:
    """Process ids of the children of process ``pid`` (this one by default) alive (or not yet
    reaped) now."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return frozenset()
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.update(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return frozenset(found)


def _has_children() -> bool:
    """Whether this process has a child (alive or not yet reaped), in one system call: the
    wait leaves every child as it is (``WNOWAIT``, ``WNOHANG``)."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    except (OSError, AttributeError):  # no waitid here: read the children from /proc
        return bool(_children())
    return True


#: Python 3.11's ``PyThreadState`` (Include/cpython/pystate.h, 64-bit builds): where a thread
#: state keeps what the watch reads of the kernel's other threads. Checked against the running
#: interpreter before use (:class:`_ThreadStates`); any other layout turns the reading off and
#: the watch falls back to the threads that have a Python frame.
_TSTATE_FIELDS = {"tracing": 44, "profile_object": 80, "trace_object": 88, "ident": 152,
                  "native": 160}
#: Audit events of a profile or trace function being set (``sys.setprofile``,
#: ``threading``'s, the C profiler's ``enable``: every route raises one of these)
_SWITCH_EVENTS = frozenset({"sys.setprofile", "sys.settrace"})
#: ``PyTrace_CALL`` and ``PyTrace_C_CALL``, the profile events the other threads report
_CALL, _C_CALL = 0, 4


class _Seen:
    """What one other thread ran while a judged call was watched (filled by its profile
    function, :func:`_on_event`)."""

    __slots__ = ("busy", "codes", "entered", "events", "switched")

    def __init__(self):
        self.codes: dict = {}
        self.entered: list = []
        self.events = 0
        self.busy = False
        self.switched = False


#: Code objects of the silencers and ids of the built-ins that switch a profile off, for
#: :func:`_on_event` (set by the first :class:`Recorder`)
_EVENT_TABLES: dict = {"silencers": {}, "switches": frozenset(), "frame": None}


def _on_event(seen, frame, what, arg):
    """The profile function of every other Python thread during a judged call: it records
    the code objects that start running there (as the C profiler does on the calling thread)
    and a call of ``sys.setprofile``/``sys.settrace``. Runs with the thread's tracing switched
    off, so nothing here is recorded itself."""
    seen.busy = True
    try:
        seen.events += 1
        if what == _CALL and len(seen.codes) < 20_000:
            running = _EVENT_TABLES["frame"](frame)
            code = running.f_code
            seen.codes[id(code)] = code
            if code in _EVENT_TABLES["silencers"]:
                back = running.f_back
                seen.entered.append((code, back.f_code if back is not None else None))
        elif what == _C_CALL and arg in _EVENT_TABLES["switches"]:
            seen.switched = True
    except Exception:  # noqa: BLE001 - an event that cannot be read counts as unseen
        seen.switched = True
    finally:
        seen.busy = False
    return 0


class _ThreadStates:
    """Every Python thread of this interpreter, read through its C API (``ctypes``, with the
    interpreter lock held): the threads' idents and native ids, whether one is running a
    trace or profile function of its own, and a profile function set on each.

    ``sys._current_frames()`` lists only threads that have a Python frame; a thread whose
    loop is C code only (``deque(map(put, starmap(f, iter(get, None))), 0)``) has none while
    it waits, yet runs Python code when fed. Every thread that runs Python code has a thread
    state, listed here however it was started and whatever it runs."""

    def __init__(self):
        import ctypes

        if sys.version_info[:2] != (3, 11) or ctypes.sizeof(ctypes.c_void_p) != 8:
            raise OSError("thread states are read for Python 3.11 on 64-bit builds only")
        self.ctypes = ctypes
        api = ctypes.pythonapi
        self.function_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_void_p,
                                              ctypes.c_int, ctypes.c_void_p)
        api.PyThreadState_Get.restype = ctypes.c_void_p
        api.PyInterpreterState_Head.restype = ctypes.c_void_p
        api.PyInterpreterState_Next.restype = ctypes.c_void_p
        api.PyInterpreterState_Next.argtypes = [ctypes.c_void_p]
        api.PyInterpreterState_Get.restype = ctypes.c_void_p
        api.PyInterpreterState_ThreadHead.restype = ctypes.c_void_p
        api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
        api.PyThreadState_Next.restype = ctypes.c_void_p
        api.PyThreadState_Next.argtypes = [ctypes.c_void_p]
        api._PyEval_SetProfile.restype = ctypes.c_int  # noqa: SLF001 - exported, 3.11
        api._PyEval_SetProfile.argtypes = [ctypes.c_void_p, self.function_type,  # noqa: SLF001
                                           ctypes.py_object]
        self.api = api
        self.interpreter = api.PyInterpreterState_Get()
        self.profile = self.function_type(_on_event)  # kept: the C side holds its address
        self.off = self.function_type()  # NULL: no profile function
        _EVENT_TABLES["frame"] = lambda address: ctypes.cast(address, ctypes.py_object).value
        _CALLBACK_CODES.update((_on_event.__code__, _EVENT_TABLES["frame"].__code__,
                                ctypes.cast.__code__))
        self._check()

    def _read(self, state: int, field: str, kind):
        return kind.from_address(state + _TSTATE_FIELDS[field]).value

    def _check(self) -> None:
        """Read this thread's own state and compare it with what Python says of it."""
        import threading

        ctypes = self.ctypes
        here = self.here()
        if self._read(here, "ident", ctypes.c_ulong) != threading.get_ident() or \
                self._read(here, "native", ctypes.c_ulong) != threading.get_native_id():
            raise OSError("unexpected thread state layout")
        before = sys.getprofile()
        probe = _Seen()
        inside = []

        def probing(seen, frame, what, arg):
            inside.append(self._read(self.here(), "tracing", ctypes.c_int))
            return 0

        function = self.function_type(probing)
        try:
            self.api._PyEval_SetProfile(here, function, probe)  # noqa: SLF001
            placed = self._read(here, "profile_object", ctypes.c_void_p)
            len(())
        finally:
            self.api._PyEval_SetProfile(here, self.off, None)  # noqa: SLF001
            sys.setprofile(before)
        if placed != id(probe) or not inside or set(inside) != {1} or \
                self._read(here, "tracing", ctypes.c_int) != 0:
            raise OSError("unexpected thread state layout")

    def here(self) -> int:
        return self.api.PyThreadState_Get()

    def interpreters(self) -> bool:
        """Whether the process runs a second interpreter (``_xxsubinterpreters``): its
        threads are not in this interpreter's list, and code it runs is unseen."""
        return bool(self.api.PyInterpreterState_Next(self.api.PyInterpreterState_Head()))

    def states(self) -> dict[int, tuple[int, int]]:
        """address -> (ident, native id) of every thread state of the interpreter."""
        ctypes = self.ctypes
        found = {}
        state = self.api.PyInterpreterState_ThreadHead(self.interpreter)
        while state and len(found) < 10_000:
            found[state] = (self._read(state, "ident", ctypes.c_ulong),
                            self._read(state, "native", ctypes.c_ulong))
            state = self.api.PyThreadState_Next(state)
        return found

    def own_callback(self, state: int) -> bool:
        """Whether the thread is inside a trace or profile function, or has a trace function
        (code run there is out of any profile's sight).

        Inside the tripwire's own callback (the C profiler with the record the tripwire gave
        that thread, :data:`_GRADER_CALLBACK`) is not the thread's own: the C profiler runs no
        Python there, and a thread the scheduler stops in it for a moment is an honest one
        (a correct exercise-08 answer lost a test to this under load)."""
        ctypes = self.ctypes
        if self._read(state, "trace_object", ctypes.c_void_p):
            return True
        if not self._read(state, "tracing", ctypes.c_int):
            return False
        return not (_GRADER_CALLBACK and _GRADER_CALLBACK[0](state))

    def set_profile(self, state: int, seen) -> None:
        self.api._PyEval_SetProfile(state, self.profile, seen)  # noqa: SLF001

    def clear_profile(self, state: int) -> None:
        self.api._PyEval_SetProfile(state, self.off, None)  # noqa: SLF001

    def holds(self, state: int, seen) -> bool:
        return self._read(state, "profile_object", self.ctypes.c_void_p) == id(seen)


def _thread_states():
    try:
        return _ThreadStates()
    except (ImportError, AttributeError, OSError, ValueError):
        return None


class _Watch:
    """Threads and processes besides the judged call's own thread (kernel side).

    The C profiler records the thread that calls the student's function only. So while a
    judged call runs, every other Python thread of the kernel (found through the
    interpreter's list of thread states, :class:`_ThreadStates`, not only those with a
    Python frame) gets a profile function that records the code it runs
    (:func:`_on_event`); the recorder adds that code to the call's own, so the package's code
    run by the kernel's IOPub thread, a thread pool, or a thread of C code only counts as run
    by the call. What a profile cannot see makes the call's record untrustworthy: a thread
    that runs a trace or profile function of its own, or switched the profile off; a thread
    the kernel did not start that was scheduled during the call but showed no code; any
    Python thread started during the call (from any frame, the standard library's
    included); a child process started, alive and scheduled, or reaped after using CPU time.
    The kernel's own threads are the ones alive when the judge started watching, before any
    cell of the notebook ran (:func:`watch_start`). An idle thread or child (a thread pool
    or joblib's workers left from a demo cell) changes nothing.
    """

    def __init__(self):
        self.states = _thread_states()
        self.baseline = self._idents()
        self.children = _children()
        self.started = False
        self._events: list[str] = []
        #: idents of the threads that set a profile (other than the calling thread, where
        #: the recorder itself does) or trace function, however called (from C code too)
        self._switches: list[int] = []
        self._stamp = _thread_stamp_function()
        self._stamps = 0
        #: thread state -> the profile record set there by the outermost watched call
        self._installed: dict = {}
        self._depth = 0
        events, switches = self._events, self._switches

        def audit(event, args, _wanted=_PROCESS_EVENTS, _events=events, _switches=switches,
                  _ident=_thread.get_ident):
            if event in _wanted and len(_events) < 1_000_000:
                _events.append(event)
            elif event in _SWITCH_EVENTS and len(_switches) < 1_000_000:
                _switches.append(-1 if event == "sys.settrace" else _ident())

        sys.addaudithook(audit)  # stays for the kernel's life: an audit hook cannot be removed
        _CALLBACK_CODES.add(audit.__code__)

    def _in_grader_callback(self, ident: int) -> bool:
        """Whether thread ``ident`` is running the grader's own profile callback
        (:func:`_on_event`, the code it calls, an audit hook of the grader's run from there):
        the interpreter marks a thread as inside a profile function from its first
        instruction, and another thread may be stopped there, or inside the callback of the
        call before (review 23l, finding 2: an honest busy thread lost points). A thread
        inside a trace or profile function of its own runs its own code there."""
        frame = sys._current_frames().get(ident)
        return frame is not None and frame.f_code in _CALLBACK_CODES

    def _idents(self) -> frozenset[int]:
        if self.states is not None:
            return frozenset(ident for ident, _ in self.states.states().values())
        return frozenset(sys._current_frames())

    def now(self) -> dict | None:
        """The thread states as they are now (None where they cannot be read), for one
        :meth:`snapshot` and one :meth:`begin` or :meth:`end` (one walk of the list)."""
        return self.states.states() if self.states is not None else None

    def begin(self, now: dict | None = None) -> list[str]:
        """Set the recording profile function on every other thread (the outermost watched
        call only); what makes the record untrustworthy from the start."""
        self._depth += 1
        if self._depth > 1 or self.states is None:
            return []
        found = []
        here = self.states.here()
        for state, (ident, _) in (now if now is not None else self.states.states()).items():
            if state == here:
                continue
            previous = self._installed.get(state)
            if self.states.own_callback(state) and not (previous is not None and
                                                        previous[1].busy) \
                    and not self._in_grader_callback(ident):
                found.append("a thread ran a trace or profile function of its own")
            seen = _Seen()
            self.states.set_profile(state, seen)
            self._installed[state] = (ident, seen)
        return found

    def end(self, now: dict | None = None) -> tuple[list, list[str]]:
        """Clear the profile functions set by :meth:`begin`: ``[(ident, record), ...]`` of
        the other threads, and what made them untrustworthy."""
        self._depth -= 1
        if self._depth > 0 or self.states is None:
            return [], []
        found = []
        here = self.states.here()
        for state in now if now is not None else self.states.states():
            if state == here or state not in self._installed:
                continue
            seen = self._installed[state][1]
            if not self.states.holds(state, seen) or seen.switched:
                found.append("another thread switched the grader's record of what runs off")
            elif self.states.own_callback(state) and not seen.busy and \
                    not self._in_grader_callback(self._installed[state][0]):
                found.append("a thread ran a trace or profile function of its own")
            if _RESTORE:  # the tripwire takes the thread back at once (judge_tripwire)
                _RESTORE[0](state)
            else:
                self.states.clear_profile(state)
        records = list(self._installed.items())
        # a profile record stays while its thread may still be inside the function
        self._installed = {state: entry for state, entry in records if entry[1].busy}
        return [entry for _, entry in records], found

    def snapshot(self, now: dict | None = None):
        times = os.times()
        stamp = None
        if self._stamp is not None:
            # the stamps themselves make thread states: count them, so that the calls
            # nested in a callback (each with its snapshots) are not taken for threads
            stamp = (self._stamp(), self._stamps)
            self._stamps += 1
        # one system call says whether there is a child at all; only then are they listed
        # (from /proc, slower), with how often each was scheduled
        children = _children() if self.children or _has_children() else frozenset()
        here = _thread_ident()
        if self.states is not None:
            natives = dict((now if now is not None else self.states.states()).values())
            threads = frozenset(natives)
            runs = {ident: _schedule_count(f"/proc/self/task/{natives[ident]}/schedstat")
                    for ident in threads - self.baseline - {here}}
        else:
            threads = frozenset(sys._current_frames())
            runs = {ident: _thread_runs(ident) for ident in threads - self.baseline - {here}}
        return (stamp, len(self._events), times.children_user + times.children_system,
                children, threads, runs,
                {pid: _process_runs(pid) for pid in children - self.children},
                len(self._switches), self.states is not None and self.states.interpreters())

    def findings(self, before, after, shown: frozenset = frozenset()) -> list[str]:
        """What the two snapshots of a call tell; ``shown``: the threads whose code the
        profile recorded during it (their code is judged as the call's own)."""
        here = _thread_ident()
        found = []
        # a thread or child the kernel did not start counts when it ran during the call out
        # of the profile's sight: an idle one (a thread pool or joblib's workers left from a
        # demo cell, waiting for work) was scheduled no more often after the call than before
        foreign = [ident for ident in (before[4] | after[4]) - self.baseline - {here}
                   if ident not in shown and
                   not _idle(before[5].get(ident), after[5].get(ident))]
        if foreign:
            found.append(f"{len(foreign)} thread(s) the kernel did not start ran during it")
        # a trace function set anywhere, or a profile function set by another thread (the
        # calling thread's own are the recorder's), even from C code: their code is unseen
        if any(ident != here for ident in self._switches[before[7]:after[7]]):
            found.append("a trace or profile function was set during it")
        if before[8] or after[8]:
            found.append("another interpreter runs in the kernel")
        if before[0] is not None and after[0] is not None and \
                after[0][0] - before[0][0] > after[0][1] - before[0][1]:
            found.append("it started a thread")
        events = sorted(set(self._events[before[1]:after[1]]))
        if events:
            found.append(f"it started a process ({', '.join(events[:3])})")
        children = [pid for pid in (before[3] | after[3]) - self.children
                    if not _idle(before[6].get(pid), after[6].get(pid))]
        if children:
            found.append(f"{len(children)} child process(es) of the kernel ran during it")
        elif after[2] > before[2]:
            found.append("a child process ran and ended during the call")
        return found


def _idle(before, after) -> bool:
    """Whether a thread or process was not scheduled between two readings (None: unknown)."""
    return before is not None and before == after


def _schedule_count(path: str) -> int | None:
    """How many times the task of ``path`` (a ``/proc/.../schedstat``) was scheduled."""
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().split()[2])
    except (OSError, ValueError, IndexError):
        return None


def _thread_runs(ident: int) -> int | None:
    """How many times the Python thread ``ident`` was scheduled so far (None: unknown)."""
    import threading

    thread = threading._active.get(ident)  # noqa: SLF001 - ident -> native id
    native = getattr(thread, "native_id", None)
    if not isinstance(native, int):
        return None
    return _schedule_count(f"/proc/self/task/{native}/schedstat")


def _process_runs(pid: int) -> int | None:
    """How many times the threads of process ``pid`` were scheduled so far (None: unknown)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    counts = [_schedule_count(f"/proc/{pid}/task/{task}/schedstat") for task in tasks]
    return None if not counts or None in counts else sum(counts)


def _thread_ident() -> int:
    import _thread

    return _thread.get_ident()


_WATCH: list = []
#: The tripwire's function that sets a thread's tripwire again, once it runs
#: (:mod:`dlgrade.judge_tripwire`): a thread handed back after a call is never unwatched.
_RESTORE: list = []
#: The tripwire's test of whether a thread's profile is its own C profiler with the record it
#: gave that thread (:meth:`dlgrade.judge_tripwire.Tripwire.holds`).
_GRADER_CALLBACK: list = []
#: The code objects that run inside the grader's own profile callback on another thread
#: (:meth:`_Watch._in_grader_callback`): filled by the watch and the tripwire
_CALLBACK_CODES: set = set()


def _watch() -> _Watch:
    if not _WATCH:
        _WATCH.append(_Watch())
    return _WATCH[0]


def watch_start() -> bool:
    """Take the kernel's own threads as they are now, once per kernel (the judge asks before
    the notebook's first cell runs); a later call changes nothing. Whether this call did."""
    watch = _watch()
    if watch.started:
        return False
    _start_library_threads()
    watch.baseline = frozenset(sys._current_frames())
    watch.children = _children()
    watch.started = True
    return True


def _start_library_threads() -> None:
    """Start now the helper threads the kernel's own libraries would start at some later
    moment: pyzmq's garbage collector (started on the first large message sent without a
    copy, which a judged call that shows a big picture could be)."""
    try:
        from zmq.utils.garbage import gc as zmq_garbage
    except ImportError:
        return
    try:
        if not zmq_garbage.is_alive():
            zmq_garbage.start()
    except Exception:  # noqa: BLE001 - without it the thread starts later, as it would anyway
        pass


def _quiet_libraries() -> None:
    """Keep libraries from starting helper threads of their own during a judged call: tqdm's
    monitor thread (it only checks for stalled progress bars) would count as another thread."""
    tqdm = sys.modules.get("tqdm.std")
    cls = getattr(tqdm, "tqdm", None)
    if isinstance(cls, type) and getattr(cls, "monitor_interval", 0):
        cls.monitor_interval = 0
