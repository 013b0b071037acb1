"""Which code ran during a judged call: own work and silenced warnings checked by what ran.

The static readings (:mod:`dlgrade.judge_source` on the submitted text, the kernel's walk of
globals and closures in :func:`dlcourse.testing.assert_own_implementation`) see a reference
to the package only where it is written or stored in a place they look. A reference kept in
a list, a dict, ``vars(module)``, an instance's attribute, a tuple default, or obtained by
``pickle.loads`` at run time escapes them. What cannot escape is running it: while the
judge's agent calls the student's function it records, with the C profiler, every
code object that runs (:class:`Recorder`). The judge then decides (:class:`CodePolicy`):

* code compiled from a file of the installed ``dlcourse`` package ran: the call used the
  package's implementation;
* code identical to one of the package's functions (same bytecode, names and constants:
  :func:`fingerprint`) ran although it was compiled from elsewhere (``exec`` of the package's
  source text under another file name) and the submitted text does not define it: the same;
* numpy's ``errstate``/``seterr`` or ``warnings``' filters were entered from the student's
  code, or numpy's error state / the warnings filters differ after the call: the call hid
  its warnings, whatever name it used to reach them (``operator.attrgetter("err" + ...)``).

Only the graded functions are called through the judge, and every exercise forbids them the
package (each check calls ``assert_own_implementation``), so no allow-list is needed.
Library code (numpy, scikit-learn) runs freely; its own use of ``catch_warnings`` does not
count, only a silencer entered from a frame of the student's code.

The agent's answer is untrusted like everything the kernel says: it can only add a finding.
A student who replaces the agent in their own kernel defeats it (:mod:`dlgrade.scan` flags
such code under ``dlcourse grade``).
"""

from __future__ import annotations

import _thread
import dis
import hashlib
import os
import sys
import sysconfig
import types
import warnings

__all__ = ["CodePolicy", "Recorder", "fingerprint", "package_fingerprints", "watch_start"]

#: At most this many code objects are reported per call (a student cannot flood the judge).
MAX_REPORTED = 300


#: Opcodes whose argument is a constant, a local variable or a cell: in a fingerprint the
#: constant's value stands for the position of it (``co_consts`` is ordered by first use, and
#: a function's docstring is its first entry, never loaded), a variable its slot (its name is
#: the student's to choose).
_CONST_OPS = frozenset(dis.hasconst)
_LOCAL_OPS = frozenset(dis.haslocal) | frozenset(dis.hasfree)


def _constant(value):
    if isinstance(value, types.CodeType):
        return _shape(value)
    if isinstance(value, frozenset):  # set order depends on the hash seed
        return ("frozenset", tuple(sorted(repr(v) for v in value)))
    if isinstance(value, tuple):
        return ("tuple", tuple(_constant(v) for v in value))
    return (type(value).__name__, repr(value))


def _shape(code: types.CodeType):
    """What a code object does, blind to its docstring, the order of its constants, line
    numbers and names of its own: the instruction stream with every constant replaced by its
    value (a class body's ``__doc__ = "..."`` left out), and the argument counts."""
    steps = []
    for ins in dis.get_instructions(code):
        if ins.opname == "NOP":
            continue
        if ins.opname == "STORE_NAME" and ins.argval == "__doc__" and steps and \
                steps[-1][0] == "LOAD_CONST" and steps[-1][1][0] == "str":
            steps.pop()  # a class's docstring
            continue
        if ins.opcode in _CONST_OPS:
            steps.append((ins.opname, _constant(ins.argval)))
        elif ins.opcode in _LOCAL_OPS:
            steps.append((ins.opname, ins.arg))
        else:
            steps.append((ins.opname, ins.argrepr))
    return (tuple(steps), code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_flags & 0x0C)  # CO_VARARGS | CO_VARKEYWORDS


def fingerprint(code: types.CodeType) -> str:
    """A digest of what a code object does: instructions, the names and constant values
    they use, argument counts.

    File name, function name, line numbers, local variable names, the docstring and the
    order of the constants are left out, so the package's function compiled from its text
    under another name, or with its docstrings stripped, has the same fingerprint.
    """
    return hashlib.blake2b(repr(_shape(code)).encode("utf-8", "backslashreplace"),
                           digest_size=16).hexdigest()


def _walk(code: types.CodeType):
    yield code
    for value in code.co_consts:
        if isinstance(value, types.CodeType):
            yield from _walk(value)


def _units(text: str, filename: str, flag_variants: bool = True):
    """Code objects of ``text`` compiled the ways Python and IPython compile it: the whole
    text as one module (an import, ``exec``), and each top-level statement alone (IPython runs
    a cell statement by statement), with and without ``from __future__ import annotations``
    (a function's bytecode depends on the unit it is compiled in)."""
    import __future__

    import ast

    try:
        tree = ast.parse(text, filename)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return
    units = [tree] + [ast.Module(body=[node], type_ignores=[]) for node in tree.body]
    variants = (0, __future__.annotations.compiler_flag) if flag_variants else (0,)
    for flags in variants:
        for unit in units:
            try:
                module = compile(unit, filename, "exec", flags=flags, dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            yield from (code for code in _walk(module) if code is not module)


def _fingerprints_of_text(text: str, filename: str) -> set[str]:
    """Fingerprints of every function (and class body, lambda, comprehension) in ``text``."""
    return {fingerprint(code) for code in _units(text, filename)}


#: Bytes of bytecode from which a function is too long to be written the same way twice
#: by chance (the course's solutions share comprehensions and helpers of up to 100 bytes
#: with the package)
SUBSTANTIAL_BYTES = 200
#: Functions of one submitted text (a cell, a file) equal to this many different functions of
#: the package make the text a copy of the package's, whatever their size: one short function
#: may be written the same way by chance, several together are not
COPIED_FUNCTIONS = 2
#: Bytes of bytecode below which a function counts for nothing in that tally (``return x``)
TRIVIAL_BYTES = 30

_UNNAMED = ("<module>", "<lambda>", "<listcomp>", "<genexpr>", "<dictcomp>", "<setcomp>")


def _docstring(code: types.CodeType) -> str | None:
    if code.co_name in _UNNAMED or not code.co_consts or not isinstance(code.co_consts[0], str):
        return None
    return code.co_consts[0]


def _substantial(code: types.CodeType) -> bool:
    """Whether a code object equal to a package function's is too long to be the student's
    own by chance (a docstring word for word the package's is checked by
    :meth:`CodePolicy.package_use`, which has the package's table)."""
    return len(code.co_code) >= SUBSTANTIAL_BYTES


_PACKAGE_TABLE: dict[str, tuple[str, dict[str, str]]] = {}
#: fingerprint -> the docstrings the package's functions with that fingerprint carry
_PACKAGE_DOCS: dict[str, set[str]] = {}


def package_root() -> str:
    """The folder of the installed ``dlcourse`` package (real path)."""
    import importlib.util

    spec = importlib.util.find_spec("dlcourse")
    origin = spec.origin if spec is not None else None
    return os.path.realpath(os.path.dirname(origin)) if origin else ""


def package_fingerprints() -> dict[str, str]:
    """fingerprint -> ``dlcourse.module.function`` of every code object of the package,
    compiled from its files (not imported: nothing of it runs). Computed once per process."""
    root = package_root()
    cached = _PACKAGE_TABLE.get("dlcourse")
    if cached is not None and cached[0] == root:
        return cached[1]
    table: dict[str, str] = {}
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(os.path.splitext(path)[0], root).split(os.sep)
            module = ".".join(["dlcourse", *[p for p in relative if p != "__init__"]])
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError):
                continue
            for code in _units(text, path, flag_variants=False):
                digest = fingerprint(code)
                table.setdefault(digest, f"{module}.{code.co_qualname}")
                if _docstring(code):
                    _PACKAGE_DOCS.setdefault(digest, set()).add(_docstring(code))
    _PACKAGE_TABLE["dlcourse"] = (root, table)
    return table


# --------------------------------------------------------------------------- kernel side


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple({os.path.realpath(paths[key]) + os.sep for key in ("stdlib", "purelib",
                                                                    "platlib")})


def _silencers() -> dict[types.CodeType, str]:
    """Code objects that switch numpy's floating-point warnings or Python's warnings off."""
    import numpy as np

    found = {}
    for label, function in (("numpy's errstate", np.errstate.__enter__),
                            ("numpy's seterr", np.seterr),
                            ("numpy's seterrcall", np.seterrcall),
                            ("warnings.catch_warnings", warnings.catch_warnings.__enter__),
                            ("warnings.simplefilter", warnings.simplefilter),
                            ("warnings.filterwarnings", warnings.filterwarnings),
                            ("warnings.resetwarnings", warnings.resetwarnings)):
        code = getattr(function, "__code__", None)
        if code is not None:
            found[code] = label
    testing = sys.modules.get("numpy.testing")
    suppress = getattr(testing, "suppress_warnings", None)
    for method in ("__enter__", "filter"):
        code = getattr(getattr(suppress, method, None), "__code__", None)
        if code is not None:
            found[code] = "numpy.testing.suppress_warnings"
    return found


#: (file name, how) -> the file's code objects as Python compiled them
_FILE_CODES: dict[tuple[str, str], frozenset] = {}


def _compiled_codes(filename: str, how: str) -> frozenset:
    """Every code object of the file ``filename`` names, as Python itself compiled it:
    ``how`` is ``"cached"`` (the bytecode the import read from ``__pycache__``, or a frozen
    module's code) or ``"source"`` (the source compiled now). Read once per file."""
    import importlib.util
    import marshal

    found = _FILE_CODES.get((filename, how))
    if found is not None:
        return found
    codes: set = set()
    try:
        if filename.startswith("<frozen "):
            import _imp

            name = filename[8:-1]
            if how == "cached":  # importlib's own two are frozen under other names
                name = {"importlib._bootstrap": "_frozen_importlib",
                        "importlib._bootstrap_external": "_frozen_importlib_external"}.get(
                    name, name)
                codes.update(_walk(_imp.get_frozen_object(name)))
            else:
                path = os.path.join(sysconfig.get_paths()["stdlib"], *name.split(".")) + ".py"
                with open(path, "rb") as handle:
                    codes.update(_walk(compile(handle.read(), filename, "exec",
                                               dont_inherit=True)))
        elif how == "cached":
            with open(importlib.util.cache_from_source(filename), "rb") as handle:
                codes.update(_walk(marshal.loads(handle.read()[16:])))
        else:
            with open(filename, "rb") as handle:
                source = handle.read()
            codes.update(_walk(compile(source, filename, "exec", dont_inherit=True)))
    except (OSError, ImportError, SyntaxError, ValueError, EOFError, TypeError, MemoryError,
            RecursionError, NotImplementedError):
        pass
    found = _FILE_CODES[(filename, how)] = frozenset(codes)
    return found


def _genuine(code: types.CodeType) -> bool:
    """Whether ``code`` is code of the file it names: equal (instructions, constants, names,
    line numbers) to one of the code objects that file compiles to. A code object's file name
    is anyone's to set (``code.replace(co_filename=np.__file__)``); what it does is not.
    The cached bytecode is read first (fast); the source is compiled only on a miss."""
    try:
        return any(code in _compiled_codes(code.co_filename, how)
                   for how in ("cached", "source"))
    except TypeError:  # an unhashable constant
        return False


#: What switches the recorder off, as the C profiler names a built-in it saw called.
_SWITCHES = frozenset({"<built-in method sys.setprofile>", "<built-in method sys.settrace>",
                       "<method 'disable' of '_lsprof.Profiler' objects>",
                       "<method 'enable' of '_lsprof.Profiler' objects>",
                       "<method 'clear' of '_lsprof.Profiler' objects>",
                       "<built-in method _thread.start_new_thread>"})
_DISABLE = "<method 'disable' of '_lsprof.Profiler' objects>"
#: How :meth:`CodePolicy.package_use` ends when the call could not be watched (another
#: thread or process ran, the record was switched off): nothing is known of what it ran.
UNSEEN = " (what it ran cannot be told)"
#: The recorders running now (a callback into the judge pauses the innermost).
_ACTIVE: list = []

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


def _children() -> frozenset[int]:
    """Process ids of this process's children alive (or not yet reaped) now."""
    found: set[int] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return frozenset()
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as handle:
                found.update(int(pid) for pid in handle.read().split())
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
        (code run there is out of any profile's sight)."""
        ctypes = self.ctypes
        return bool(self._read(state, "tracing", ctypes.c_int) or
                    self._read(state, "trace_object", ctypes.c_void_p))

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
                                                        previous[1].busy):
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
            elif self.states.own_callback(state) and not seen.busy:
                found.append("a thread ran a trace or profile function of its own")
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


class Recorder:
    """Record the code that runs while the student's function is called (kernel side).

    ``with Recorder() as seen: fn(...)`` then :meth:`report`. Uses the C profiler of the
    standard library (``_lsprof``, as :mod:`cProfile`): every Python function that runs and
    every built-in called from Python code is counted, with its callers, at C speed (a
    Python trace function made scikit-learn's training 3x slower, the C profiler about 2x;
    numpy's vectorised code is barely touched). A built-in that switches it off
    (``sys.setprofile``, ``sys.settrace``, the profiler's ``disable``) called from the
    student's code, or a profiler no longer in place when the call returns, is reported. A
    switch called from C code (``map(sys.setprofile, ...)``, ``operator.methodcaller``) is
    not seen; :mod:`dlgrade.scan` flags those names under ``dlcourse grade``.
    """

    _roots: tuple[str, ...] | None = None
    _silencer_codes: dict | None = None
    _package: str | None = None
    _fingerprints: dict = {}
    #: id(code) -> (code, "grader" | "library" | "package" | "other"): file names resolved
    #: once. Keyed by identity: equal code objects compiled from different files (the
    #: package's text exec'd elsewhere) compare equal, and the code is kept so no id is reused
    _kinds: dict = {}

    def __init__(self, skip: tuple[str, ...] = ()):
        cls = type(self)
        if cls._roots is None:
            cls._roots = _library_roots()
            cls._silencer_codes = _silencers()
            cls._package = package_root() + os.sep
        self.codes: dict[int, types.CodeType] = {}  # by identity, as _kinds
        self.silenced: list[str] = []
        self.switched: list[str] = []
        #: folders whose code is the grader's own (the agent): neither reported nor suspect
        self.skip = tuple(os.path.realpath(folder) + os.sep for folder in skip)
        self._profiler = None
        self._state_before = None
        self._watch_before = None
        #: times the profiler was disabled during the call, this recorder's own end excluded
        #: (the judge compares it with the callbacks it served: each pauses once)
        self.pauses = 0

    def _library(self, filename: str) -> bool:
        if not filename:
            return False
        if filename.startswith("<"):  # the standard library's frozen modules
            return filename.startswith("<frozen ")
        path = os.path.realpath(filename)
        return path.startswith(self._roots) and not path.startswith(self._package)

    def _kind(self, code: types.CodeType) -> str:
        known = self._kinds.get(id(code))
        kind = known[1] if known is not None and known[0] is code else None
        if kind is None:
            filename = code.co_filename if isinstance(code.co_filename, str) else ""
            path = os.path.realpath(filename) if filename and not filename.startswith("<") \
                else filename
            if self.skip and path.startswith(self.skip):
                kind = "grader"
            elif path.startswith(self._package):
                kind = "package"
            elif self._library(filename):
                kind = "library"
            else:
                kind = "other"
            # library and grader code is by identity, not by name: code that only names
            # such a file (relabelled with CodeType.replace) is the student's
            if kind in ("grader", "library") and not _genuine(code):
                kind = "other"
            if len(self._kinds) < 100_000:
                self._kinds[id(code)] = (code, kind)
        return kind

    @staticmethod
    def _state():
        import numpy as np

        return np.geterr(), list(warnings.filters)

    def __enter__(self):
        import _lsprof

        self._state_before = self._state()
        _quiet_libraries()
        watch = _watch()  # made before the profiler runs: it tries a profile function here
        if not _EVENT_TABLES["switches"]:
            _EVENT_TABLES["silencers"] = self._silencer_codes
            _EVENT_TABLES["switches"] = frozenset(id(switch) for switch in (
                sys.setprofile, sys.settrace, _lsprof.Profiler.enable, _lsprof.Profiler.disable))
        self._profiler = _lsprof.Profiler()
        _ACTIVE.append(self)
        self._profiler.enable()
        # from here on the student's code that the watching itself might trigger (an audit
        # hook of theirs) runs under the record
        if sys.gettrace() is not None:  # a trace function's code runs out of the profile's sight
            self.switched.append("a trace function was set in the calling thread")
        now = watch.now()
        self._watch_before = watch.snapshot(now)
        self.switched += watch.begin(now)
        return self

    def pause(self) -> None:
        """Stop recording (the judge's side of a callback is not the student's call)."""
        self._profiler.disable()

    def resume(self) -> None:
        self._profiler.enable()

    def check_state(self) -> None:
        """Call inside the call's own contexts, right after the function returned: numpy's
        error state or the warnings filters left changed count as silencing too."""
        errors, filters = self._state()
        if errors != self._state_before[0]:
            self.silenced.append("it changed numpy's error state (np.seterr)")
        if filters != self._state_before[1]:
            self.silenced.append("it changed the warnings filters")

    def __exit__(self, *exc):
        still = sys.getprofile()
        watch = _watch()
        now = watch.now()
        others, found = watch.end(now)
        after = watch.snapshot(now)
        self._profiler.disable()
        _ACTIVE.remove(self)
        shown = frozenset(ident for ident, _ in others)  # profiled: their code is in the record
        self.switched += found + watch.findings(self._watch_before, after, shown)
        # the code the other threads ran counts as the call's own (the package's code run
        # by the kernel's IOPub thread or a worker is the package's code run by the call)
        for _, seen in others:
            for code in seen.codes.values():
                if len(self.codes) < 100_000:
                    self.codes[id(code)] = code
            for code, caller in seen.entered:
                if caller is None or self._kind(caller) not in ("grader", "library"):
                    self.silenced.append(f"it entered {self._silencer_codes[code]}")
        if still is not self._profiler:
            self.switched.append("it switched the grader's record of what runs off")
        for entry in self._profiler.getstats():
            caller = entry.code
            if not isinstance(caller, types.CodeType):
                if caller == _DISABLE:  # every disable, from any frame (this one's end too)
                    self.pauses = max(0, int(entry.callcount) - 1)
                continue
            self.codes[id(caller)] = caller
            kind = self._kind(caller)
            for sub in entry.calls or ():
                if not isinstance(sub.code, str):
                    if kind not in ("grader", "library"):
                        label = self._silencer_codes.get(sub.code)
                        if label is not None:
                            self.silenced.append(f"it entered {label}")
                elif sub.code == "<built-in method _thread.start_new_thread>":
                    # from any frame: threading.py starts the thread a student asked for
                    self.switched.append("it started a thread")
                elif sub.code in _SWITCHES and kind not in ("grader", "library"):
                    self.switched.append(f"it called {sub.code.strip('<>')}")
        self._profiler = None
        return False

    def report(self) -> dict:
        """What ran: package files, fingerprints of the other non-library code, silencers."""
        package, other = [], []
        for code in self.codes.values():
            kind = self._kind(code)
            if kind == "package":
                path = os.path.realpath(code.co_filename)
                package.append(f"{os.path.relpath(path, self._package)}:{code.co_qualname}")
            elif kind == "other":
                digest = self._fingerprints.get(id(code))
                if digest is None or digest[0] is not code:
                    digest = (code, fingerprint(code))
                    if len(self._fingerprints) < 100_000:
                        self._fingerprints[id(code)] = digest
                digest = digest[1]
                other.append([digest, str(code.co_qualname)[:200]])
        # public functions first: the reason names sigmoid rather than its helper _out
        package.sort(key=lambda entry: (entry.rpartition(":")[2].startswith("_"), entry))
        return {"package": package[:MAX_REPORTED], "other": other[:MAX_REPORTED],
                "silenced": sorted(set(self.silenced))[:20],
                "switched": sorted(set(self.switched))[:20], "pauses": self.pauses}


# --------------------------------------------------------------------------- judge side


class CodePolicy:
    """The judge's reading of a call's report: the package's code or a hidden warning.

    ``submitted`` is the text handed in (notebook cells and ``.py`` files): code that the
    submission itself defines never counts as copied from the package, even when it happens
    to compile to the same bytecode as one of its functions (a short correct answer may).
    """

    def __init__(self, submitted: list[str]):
        self.own: set[str] = set()
        #: fingerprints of the submitted code that could only be a copy if the package has
        #: the same (:func:`_substantial`): checked against the package's table when run
        self.substantial: set[str] = set()
        #: fingerprint -> docstrings of the submitted functions with it
        self.documented: dict[str, set[str]] = {}
        #: per submitted text, the fingerprints of its named functions that are not trivial
        self.functions: list[set[str]] = []
        self._copied: set[str] | None = None
        for number, text in enumerate(submitted):
            named = set()
            for code in _units(text, f"<submitted {number}>"):
                digest = fingerprint(code)
                self.own.add(digest)
                if _substantial(code):
                    self.substantial.add(digest)
                if _docstring(code):
                    self.documented.setdefault(digest, set()).add(_docstring(code))
                if code.co_name not in _UNNAMED and len(code.co_code) >= TRIVIAL_BYTES:
                    named.add(digest)
            self.functions.append(named)

    def copied(self) -> set[str]:
        """Fingerprints of submitted functions that are the package's, handed in: long ones
        (:func:`_substantial`), ones with the package's docstring word for word, and every
        function of a text that holds :data:`COPIED_FUNCTIONS` or more of the package's
        functions (its file with the docstrings stripped is still its file)."""
        if self._copied is None:
            table = package_fingerprints()
            copied = {digest for digest in self.substantial if digest in table}
            copied |= {digest for digest, docs in self.documented.items()
                       if docs & _PACKAGE_DOCS.get(digest, set())}
            for named in self.functions:
                found = {digest for digest in named if digest in table}
                if len({table[digest] for digest in found}) >= COPIED_FUNCTIONS:
                    copied |= found
            self._copied = copied
        return self._copied

    def unseen(self, report, callbacks: int | None = None) -> str | None:
        """Why what the call ran cannot be told (text), or None: it switched the record
        off, other threads or processes ran out of the record's sight, or its record was
        paused more often than the judge's ``callbacks`` (the calls back into the judge it
        served during this call, each paused once by the agent) explain."""
        if not isinstance(report, dict):
            return None
        switched = [str(e)[:200] for e in report.get("switched") or [] if isinstance(e, str)]
        pauses = report.get("pauses")
        if callbacks is not None and type(pauses) is int and pauses > callbacks:
            switched.append(f"the grader's record of what runs was paused {pauses - callbacks} "
                            "time(s) outside the judge's own calls")
        return "; ".join(switched[:3]) if switched else None

    def package_use(self, report, callbacks: int | None = None) -> str | None:
        """How the call ran the package's implementation (text), or None. A call whose
        record cannot be trusted (:meth:`unseen`) counts: what it ran is unknown."""
        if not isinstance(report, dict):
            return None
        unseen = self.unseen(report, callbacks)
        if unseen:
            return unseen + UNSEEN
        for entry in report.get("package") or []:
            if isinstance(entry, str):
                module, _, qualname = entry[:300].partition(":")
                dotted = ".".join(["dlcourse", *[p for p in module.removesuffix(".py")
                                                .split("/") if p != "__init__"]])
                return f"{dotted}.{qualname} ran during the call"
        # code the submitted text does not define (exec'd, generated): only then is the
        # package's table needed, so an honest submission never pays for building it
        entries = [entry for entry in report.get("other") or []
                   if isinstance(entry, list) and len(entry) == 2 and
                   isinstance(entry[0], str)]
        unexplained = [entry for entry in entries if entry[0] not in self.own]
        # the package's own functions handed in as submitted text (a .py file beside the
        # notebook, or pasted into a cell, with or without docstrings): not the student's work
        handed_in = [entry for entry in entries if entry[0] in self.substantial or
                     entry[0] in self.documented or
                     any(entry[0] in named for named in self.functions)]
        if handed_in:
            handed_in = [entry for entry in handed_in if entry[0] in self.copied()]
        if unexplained or handed_in:
            table = package_fingerprints()
            for group, how in ((unexplained, "that the submitted text does not define"),
                               (handed_in, "handed in as the student's own text (the same "
                                           "code as the package's)")):
                hits = sorted((table[digest], name) for digest, name in group
                              if digest in table)
                hits.sort(key=lambda hit: hit[0].rpartition(".")[2].startswith("_"))
                for found, name in hits[:1]:
                    return f"it ran a copy of {found} {how} (`{str(name)[:100]}`)"
        return None

    def silencing(self, report) -> str | None:
        if not isinstance(report, dict):
            return None
        entries = [str(e)[:200] for e in report.get("silenced") or [] if isinstance(e, str)]
        return "; ".join(entries[:3]) if entries else None
