"""What the kernel runs between the judged calls: a tripwire on every thread (kernel side).

The record of a judged call (:class:`dlgrade.judge_code.Recorder`) covers the call only. The
judge's request reaches the student's process earlier than that (jupyter's own parsing of
the message, the agent's parse and decode, the recorder's own setup) and the reply leaves it
later; a student's hook in any of those places (``json.loads``, ``np.geterr``,
``np.errstate``, the kernel's ``raw_input`` while a record is paused for a callback) saw the
judge's arguments and ran the package's implementation there, unrecorded (review 21c, holes J,
J2, H, H2, W3).

So from the judge's ``start`` request to the end of the notebook, every Python thread of the
kernel carries a profile of its own whenever no record runs there: a C profiler of the
standard library (``_lsprof``, function calls only, no built-ins) set on each thread state
through CPython's C API (the same reading of thread states as
:mod:`dlgrade.judge_watch`). The recorder hands its thread back to the tripwire when it stops
or pauses, and the watch of the other threads hands theirs back when a call ends. At the end
of each request (:meth:`Tripwire.check`) the agent reads what every tripwire saw since the
last check: the package's code (by file, and by fingerprint for rebuilt copies, as the
recorder reports it), and what made the sight incomplete:

* a thread whose tripwire is gone or replaced (``sys.setprofile``, ``threading``, the
  profiler's ``disable``, the C API), or whose record was wiped: every check leaves in every
  thread's record a mark made at that moment (a function of a fresh code object under a
  random name, :func:`dlgrade.judge_code.fresh_mark`, called once under each tripwire), and
  the next check requires it, on the threads that ended since too. ``clear``, the override
  or the C base method ``_lsprof.Profiler.clear`` around it, frees the mark with the rest
  (review 21d, T1-T3);
* a profile or trace function set from anything but the grader's own code (an audit hook
  sees every route: the event fires in CPython's ``_PyEval_SetProfile`` itself);
* a thread the tripwire did not know at the last check.

The student's own cells are theirs (a ``check_<function>`` called in a cell runs the
package's implementation, honestly; ``%prun`` replaces the profile): the judge
(:mod:`dlgrade.judge_channel`) opens each test cell with a request whose check sets every
tripwire again and whose findings are dropped, counts every later finding of the cell against
the cell's graded calls (and the cell), and closes the cell with a request after which the
tripwires rest until the next test cell opens.

``sys.getprofile()`` answers None for a tripwire (:func:`dlgrade.judge_code.hide_profilers`).

What a student can still do: the tripwire lives in the student's process, so code that finds
the grader's own objects there (through ``gc`` or frames), reads the mark out of a record
before wiping it and calls it again through a rebuilt function, or calls the grader's own
functions to switch it, is not seen; under ``dlcourse grade`` the scan flags code reaching
the grader's modules, ``gc``, ``_lsprof``, frames and function builders.
"""

from __future__ import annotations

import _lsprof
import collections
import sys
import types

from . import judge_code, judge_watch
from .judge_watch import _thread_stamp_function, _thread_states, _watch

__all__ = ["Tripwire", "tripwire"]

#: Offset of ``c_profilefunc`` in Python 3.11's ``PyThreadState`` (64-bit); checked on the
#: running interpreter before use (:meth:`Tripwire._function`).
_C_PROFILEFUNC = 64
#: Package files whose code the agent itself runs outside a record (its walk of a function
#: for ``origin``/``silences`` requests): not an implementation of any graded function.
_AGENT_USES = ("testing.py", "own_work.py")

_clear = _lsprof.Profiler.clear
_getstats = _lsprof.Profiler.getstats


class _Wire(_lsprof.Profiler):
    """One thread's tripwire. Its own ``clear``, ``disable``, ``enable`` and ``getstats``
    only note that they were called: the record is the grader's to read and wipe."""

    tampered = False

    def clear(self):
        type(self).tampered = True

    def disable(self):
        type(self).tampered = True
        _lsprof.Profiler.disable(self)

    def enable(self, *args, **kwargs):
        type(self).tampered = True

    def getstats(self):
        type(self).tampered = True
        return []


def _sentinel() -> None:
    """Kept for its name only: the marks the checks leave are made fresh for each check
    (:func:`dlgrade.judge_code.fresh_mark`), so calling this restores nothing (review 21d,
    T1 and T3 called it after a wipe)."""


class Tripwire:
    """The tripwires of every thread of this kernel (one per kernel: :func:`tripwire`)."""

    def __init__(self):
        self.states = _thread_states()
        self.function = None
        self.armed = False
        #: the tripwires are off (the student's cells run: :meth:`check` with ``rest``)
        self.resting = False
        #: thread state address -> (thread ident, its _Wire)
        self.wires: dict = {}
        #: thread states whose tripwire was set before their thread booted: CPython makes a
        #: new thread's state in the thread that starts it, with that thread's ident, and the
        #: new thread writes its own ident there when it first runs
        self._unbooted: set[int] = set()
        #: profile or trace functions set from code other than the grader's since the last check
        self.foreign = 0
        #: interpreters created since the last check (``_xxsubinterpreters``): code run there
        #: has thread states of its own, without tripwires
        self.interpreters = 0
        #: audit hooks the notebook tried to add since the last check (all refused)
        self.hooks = 0
        self._grader_codes: frozenset = frozenset()
        self._classifier = None
        self._stamp = _thread_stamp_function()
        #: (thread state stamp, the watch's own stamps) at the last check
        self._stamps = None
        #: the code of the mark the last check left in every tripwire's record
        self._mark = None

    # -- setting up ---------------------------------------------------------------------
    def _function(self):
        """The C profiler's callback (its address, as a C function the API accepts)."""
        ctypes = self.states.ctypes
        here = self.states.here()
        probe = _lsprof.Profiler(builtins=False)
        probe.enable()
        try:
            address = ctypes.c_void_p.from_address(here + _C_PROFILEFUNC).value
            placed = ctypes.c_void_p.from_address(here + 80).value
        finally:
            _lsprof.Profiler.disable(probe)
        if placed != id(probe) or not address:
            raise OSError("unexpected thread state layout")
        return self.states.function_type(address)

    def arm(self) -> bool:
        """Set a tripwire on every thread (the judge's ``start``; later calls change nothing).
        Whether the tripwire runs (False: this interpreter's thread states cannot be read)."""
        if self.armed:
            return True
        if self.states is None:  # not CPython 3.11 (64-bit): the thread states cannot be read
            return False
        self.function = self._function()
        self._grader_codes = frozenset(code for code in (
            judge_code.Recorder.__enter__.__code__, judge_code.Recorder.pause.__code__,
            judge_code.Recorder.resume.__code__, judge_code.Recorder.__exit__.__code__,
            judge_watch._ThreadStates.set_profile.__code__,
            judge_watch._ThreadStates.clear_profile.__code__,
            judge_watch._ThreadStates._check.__code__,
            Tripwire._function.__code__, Tripwire.place.__code__,
            Tripwire._leave_mark.__code__))
        self._classifier = judge_code.Recorder(skip=(judge_code.os.path.dirname(
            judge_code.os.path.abspath(judge_code.__file__)),))
        grader, names = self._grader_codes, frozenset({"sys.setprofile", "sys.settrace"})

        def audit(event, args, _names=names, _grader=grader, _frame=sys._getframe):
            if event in _names or event == "sys.addaudithook":
                try:
                    code = _frame(1).f_code  # the code that called the audited function
                except ValueError:  # called from C with no Python frame (e.g. at shutdown)
                    code = None
                if event != "sys.addaudithook":
                    if code not in _grader:
                        self.foreign += 1
                elif code is not _OWN_HOOK:
                    # CPython runs an audit hook with profiling off, so no record and no
                    # tripwire would see what it runs (review 21d, AH2): a hook added after
                    # the judge's start is refused (a RuntimeError from a hook keeps the new
                    # one out) and told
                    self.hooks += 1
                    raise HookRefused("the grader refuses audit hooks while it judges")
            elif event == "cpython.PyInterpreterState_New":  # its threads are not this one's
                self.interpreters += 1

        sys.addaudithook(audit)  # stays for the kernel's life: an audit hook cannot be removed
        judge_watch._CALLBACK_CODES.add(audit.__code__)
        judge_code._HIDDEN.add(_Wire)
        judge_code.hide_profilers()  # sys.getprofile no longer hands out the grader's records
        self._stamps = self._stamped()
        judge_watch._RESTORE[:] = [self.place]
        judge_watch._GRADER_CALLBACK[:] = [self.holds]
        now = self.states.states()
        for state, (ident, _) in now.items():
            self.place(state, ident)
        self._note_unbooted(now, set(now))
        self.armed = True
        return True

    def place(self, state: int, ident: int | None = None) -> None:
        """Set (again) the tripwire of the thread ``state`` (its profile until a record)."""
        if not self.armed and self.function is None:
            return
        wire = self.wires.get(state)
        if ident is None:
            ident = wire[0] if wire is not None else None
        if wire is None or wire[0] != ident:
            wire = (ident, _Wire(builtins=False))
            self.wires[state] = wire
        self.states.api._PyEval_SetProfile(state, self.function, wire[1])  # noqa: SLF001

    def _note_unbooted(self, now: dict, new: set) -> None:
        """Remember which of the thread states ``new`` (just given a tripwire) have not
        booted yet: they share their ident with another state of ``now``, the thread that
        started them (a live thread's ident is its own otherwise)."""
        counts = collections.Counter(ident for ident, _ in now.values())
        self._unbooted = {state for state in self._unbooted if state in now}
        self._unbooted |= {state for state in new if counts[now[state][0]] > 1}

    def _booted(self, state: int, ident: int):
        """The wire of a thread given its tripwire before it booted, now carrying its own
        ident: the same thread, its calls in that wire's record (whether the tripwire is
        still on it is checked as for any thread), or None."""
        wire = self.wires.get(state)
        if state not in self._unbooted or wire is None or wire[0] == ident:
            return None
        self._unbooted.discard(state)
        self.wires[state] = (ident, wire[1])
        return self.wires[state]

    def holds(self, state: int) -> bool:
        """Whether thread ``state``'s profile is this tripwire's: its C profiler's callback with
        the record it gave that thread (nothing else, the trace function unset, is checked by
        the caller)."""
        wire = self.wires.get(state)
        if wire is None or self.function is None:
            return False
        ctypes = self.states.ctypes
        return (ctypes.c_void_p.from_address(state + _C_PROFILEFUNC).value ==
                ctypes.cast(self.function, ctypes.c_void_p).value and
                self.states.holds(state, wire[1]))

    def _leave_mark(self, state: int, mark) -> None:
        """Call ``mark`` with the tripwire of thread ``state`` as this thread's profile (a
        profiler counts the calls made under it, whichever thread makes them), then give this
        thread its own tripwire back: the mark is in that thread's record without running
        anything on that thread."""
        self.states.api._PyEval_SetProfile(self.states.here(), self.function,  # noqa: SLF001
                                           self.wires[state][1])
        try:
            mark()
        finally:
            self.place(self.states.here())

    def _stamped(self):
        if self._stamp is None:
            return None
        return self._stamp(), _watch()._stamps

    def place_here(self) -> None:
        """The tripwire back on this thread (a record stopped or paused here)."""
        if self.armed:
            self.place(self.states.here())

    # -- reading ----------------------------------------------------------------------------
    def check(self, rest: bool = False) -> dict:
        """What ran out of the records since the last check, on every thread: ``package`` and
        ``other`` (as :meth:`dlgrade.judge_code.Recorder.report`), and ``unseen``: what makes
        that incomplete. Every tripwire is set again and its record wiped; with ``rest``
        (the end of a test cell: the student's own cells run next, whose code is theirs)
        every tripwire is taken off instead, until the next check sets them again."""
        if not self.armed:  # another interpreter: the records of the calls only, as before
            return {"package": [], "other": [], "unseen": []}
        unseen = []
        codes: dict = {}
        now = self.states.states()
        mark = self._mark
        placed = set()
        for state, (ident, _) in now.items():
            wire = self._booted(state, ident) or self.wires.get(state)
            if wire is None or wire[0] != ident:
                unseen.append("a thread the grader did not watch ran")
                self.place(state, ident)
                placed.add(state)
                continue
            if not self.resting and not self.states.holds(state, wire[1]):
                unseen.append("the grader's watch on a thread was switched off")
            if not _read(wire[1], codes, mark):
                unseen.append("the grader's record between calls was wiped")
            _clear(wire[1])
            if rest:
                self.states.clear_profile(state)
            else:
                self.place(state, ident)
        for state in [state for state in self.wires if state not in now]:
            # a thread that ended since: what it ran counts, and its record must be whole
            if not _read(self.wires.pop(state)[1], codes, mark):
                unseen.append("the grader's record between calls was wiped")
        self._note_unbooted(now, placed)
        # every tripwire gets a mark that no code could name before this moment (review 21d,
        # T1-T3: the C base method's clear goes around _Wire's own, and the grader's named
        # sentinel could be called again); the next check requires it on every thread
        self._mark = None
        if not rest:
            fresh = judge_code.fresh_mark()
            for state in now:
                self._leave_mark(state, fresh)
                self.wires[state][1]._checked = True
            self._mark = fresh.__code__
            del fresh
        else:
            for _, wire in self.wires.values():
                wire._checked = False
        self.resting = rest
        if _Wire.tampered:
            unseen.append("the grader's record between calls was read or wiped")
            _Wire.tampered = False
        stamps = self._stamped()
        if stamps is not None and self._stamps is not None and \
                stamps[0] - self._stamps[0] > 1 + stamps[1] - self._stamps[1]:
            # a thread started (and perhaps ended) since the last check, the grader's own
            # stamps (one here, one per snapshot of a record's watch) excepted
            unseen.append("a thread started between the grader's requests")
        self._stamps = stamps
        if self.interpreters or self.states.interpreters():
            unseen.append("another interpreter ran in the kernel")
            self.interpreters = 0
        if self.foreign:
            unseen.append("a profile or trace function was set out of a graded call")
            self.foreign = 0
        if self.hooks:
            unseen.append("an audit hook was added (what a hook runs no profiler sees; the "
                          "grader refused it)")
            self.hooks = 0
        classifier = self._classifier
        classifier.codes = codes
        report = classifier.report()
        package = [entry for entry in report["package"]
                   if not entry.startswith(_AGENT_USES) and not entry.endswith(":<module>")]
        return {"package": package, "other": report["other"], "unseen": sorted(set(unseen))}


def _read(wire, codes: dict, mark) -> bool:
    """Add the code objects of ``wire``'s record to ``codes`` (the mark excepted); whether
    the record is whole: a tripwire the last check marked (``_checked``) must hold ``mark``
    with its one call."""
    marked = None
    for entry in _getstats(wire):
        if entry.code is mark and mark is not None:
            marked = entry.callcount
        elif isinstance(entry.code, types.CodeType) and len(codes) < 100_000:
            codes[id(entry.code)] = entry.code
    return marked == 1 or not getattr(wire, "_checked", False)


class HookRefused(RuntimeError):
    """Raised by the tripwire's audit hook on ``sys.addaudithook``: CPython then does not add
    the new hook and swallows the error (the caller cannot tell)."""


#: the one audit hook of the grader's that may be added after the tripwire: the thread watch's
_OWN_HOOK = judge_watch._Watch.__init__.__code__

_TRIPWIRE: list = []


def tripwire() -> Tripwire:
    """The kernel's one tripwire (made on first use; the recorder finds it through
    ``judge_code._TRIPWIRE``, so that judge_code need not import this module)."""
    if not _TRIPWIRE:
        _TRIPWIRE.append(Tripwire())
        judge_code._TRIPWIRE[:] = _TRIPWIRE
    return _TRIPWIRE[0]
