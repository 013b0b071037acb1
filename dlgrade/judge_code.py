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
the direct spellings of such code under ``dlcourse grade``, not aliased ones: review 21e).
"""

from __future__ import annotations

import _lsprof
import os
import sys
import sysconfig
import types
import warnings

from .judge_fingerprint import (
    _PACKAGE_DOCS,
    _UNNAMED,
    COPIED_FUNCTIONS,
    TRIVIAL_BYTES,
    _docstring,
    _substantial,
    _units,
    _walk,
    fingerprint,
    package_fingerprints,
    package_root,
)
from .judge_watch import _EVENT_TABLES, _quiet_libraries, _watch

__all__ = ["UNSEEN", "WIPED", "CodePolicy", "Recorder", "fresh_mark", "hide_profilers"]

#: At most this many code objects are reported per call (a student cannot flood the judge).
MAX_REPORTED = 300


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


def read_code_tables(modules) -> None:
    """Fill :func:`_compiled_codes`' table for the files of ``modules`` (imported ones; other
    names are skipped), as :func:`_genuine` reads them: the cached bytecode, and the source
    where the bytecode does not hold every code object of the module (no ``__pycache__``).

    Called by the fork server (:mod:`dlgrade.sandbox.forkserver`) before it forks: each
    kernel then finds the files that the agent's own work touches in every judged notebook
    (the agent, its recorder and wire format, ``inspect``, numpy's ``.npy`` writer) read
    already, instead of reading and compiling them again, ~10 ms per kernel. The tables are
    of the same files the kernel would read (a kernel's code objects are the server's)."""
    for name in modules:
        module = sys.modules.get(name)
        spec = getattr(module, "__spec__", None)
        if spec is None or not spec.origin:
            continue
        code_file = f"<frozen {name}>" if spec.origin == "frozen" else spec.origin
        if code_file.endswith(".py") or code_file.startswith("<frozen "):
            cached = _compiled_codes(code_file, "cached")
            functions = [value.__code__ for value in vars(module).values()
                         if isinstance(value, types.FunctionType)
                         and value.__code__.co_filename == code_file]
            if not cached or not all(code in cached for code in functions):
                _compiled_codes(code_file, "source")


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
#: Profilers of finished records whose thread the tripwire took back without disabling them
#: (a profiler freed while enabled would switch off whatever profile its thread has then)
_SPENT: list = []
#: The kernel's tripwire once :func:`dlgrade.judge_tripwire.tripwire` made it (set there)
_TRIPWIRE: list = []
#: ``sys.getprofile`` as the interpreter has it (the grader hides its own profilers from the
#: name ``sys.getprofile`` while it judges: :func:`hide_profilers`)
_getprofile = sys.getprofile
#: Why a call earns nothing when its record lacks what the grader put in it
WIPED = "the record of this call was wiped"


def _mark() -> None:
    """The template of a record's mark (:func:`fresh_mark`); never called itself."""


def fresh_mark() -> types.FunctionType:
    """A function that exists for one record only: the code of :func:`_mark` under a name
    drawn now (a nonce, not a simulation draw: it never reaches any output), so student code
    cannot name it in advance. Called once right after its record starts, it must be in the
    record at the end: the profiler's ``clear`` frees every entry, this one too, and
    nothing the student can import calls this code object again."""
    name = "_mark_" + os.urandom(8).hex()
    return types.FunctionType(_mark.__code__.replace(co_name=name, co_qualname=name), {})


class _Record(_lsprof.Profiler):
    """A judged call's profiler: the standard one under a type of the grader's own, so that
    ``sys.getprofile`` can tell it from a student's (:func:`hide_profilers`)."""


#: Profiler types ``sys.getprofile`` does not hand to student code (the tripwire adds its own)
_HIDDEN: set = {_Record}


def _hiding_getprofile():
    """``sys.getprofile`` while the grader judges: the profile the student set, or None in
    place of the grader's own profilers (a student who holds the profiler can wipe its
    record: review 21d, T4)."""
    profile = _getprofile()
    return None if type(profile) in _HIDDEN else profile


def hide_profilers() -> None:
    """Put :func:`_hiding_getprofile` in the place of ``sys.getprofile``: in the ``sys``
    module and in the copy of its namespace that CPython keeps to fill ``sys`` again
    (``importlib.util.module_from_spec(sys.__spec__)`` re-fills the module from that copy).
    What this cannot hide: the built-in itself, found by ``gc.get_objects()``, and the
    profiler objects, reachable through ``gc`` and the grader's frames; :mod:`dlgrade.scan`
    flags those routes under ``dlcourse grade``, and a record wiped is told anyway
    (:class:`Recorder`, :mod:`dlgrade.judge_tripwire`)."""
    import gc

    if sys.getprofile is _hiding_getprofile:
        return
    for namespace in gc.get_referrers(_getprofile):
        if type(namespace) is dict and namespace.get("getprofile") is _getprofile and \
                namespace.get("__name__") == "sys":
            namespace["getprofile"] = _hiding_getprofile


def _tripwire():
    """The kernel's tripwire when it runs (:mod:`dlgrade.judge_tripwire`), else None."""
    return _TRIPWIRE[0] if _TRIPWIRE and _TRIPWIRE[0].armed else None


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

    A record wiped (the profiler's ``clear``, also as ``_lsprof.Profiler.clear`` from C code
    or a hook) is told (review 21d, T4): right after it starts, the record calls a function
    made for it alone (:func:`fresh_mark`), and the judged call runs in a frame of the
    grader's (:meth:`judged`) that the record enters; both must be in the record at the end,
    and ``clear`` frees both. ``sys.getprofile()`` does not hand the profiler to the student
    (:func:`hide_profilers`). What an in-process record cannot guarantee: a student who finds
    the profiler through ``gc``, reads the mark's and the frame's code out of it before the
    wipe and calls them again through rebuilt functions forges a whole record. The scan flags
    ``gc``, ``_lsprof``, frames and function builders by name, but aliases (``_g = getattr``,
    ``from sys import modules``) and code run from strings get past it: review 21e forged
    records this way for full points under both paths. Open until the kernel holds no graded
    implementation of the package.
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
        self._frozen: list[int] = []  # processes stopped for the call (judge_watch)
        self._watch_before = None
        #: times the profiler was disabled during the call, this recorder's own end excluded
        #: (the judge compares it with the callbacks it served: each pauses once)
        self.pauses = 0
        self._paused = 0
        #: the tripwire, when it runs: the record hands its thread back to it on a pause and
        #: at the end, directly, so that no moment of the thread goes unwatched
        self._wire = None
        #: the code of this record's mark (:func:`fresh_mark`) and of the judged function
        self._mark = None
        self._callee = None
        #: calls made through :meth:`judged`
        self._calls = 0

    def _kind(self, code: types.CodeType) -> str:
        known = self._kinds.get(id(code))
        kind = known[1] if known is not None and known[0] is code else None
        if kind is None:
            kind = _code_kind(code, self.skip, self._roots, self._package)
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
        # the processes of earlier cells are held stopped by the grading process
        # (dlgrade.judge_procs): nothing here signals or lists them before the record starts
        watch = _watch()  # made before the profiler runs: it tries a profile function
        if not _EVENT_TABLES["switches"]:
            _EVENT_TABLES["silencers"] = self._silencer_codes
            _EVENT_TABLES["switches"] = frozenset(id(switch) for switch in (
                sys.setprofile, sys.settrace, _lsprof.Profiler.enable,
                _lsprof.Profiler.disable))
        hide_profilers()  # once per kernel; a name check after that
        self._profiler = _Record()
        self._wire = _tripwire()
        _ACTIVE.append(self)
        mark = fresh_mark()
        self._mark = mark.__code__
        self._profiler.enable()
        mark()  # the first entry of the record; a wipe takes it away (review 21d, T4)
        del mark
        # from here on the student's code that the watching itself might trigger (an audit
        # hook of theirs) runs under the record
        if sys.gettrace() is not None:  # its code runs out of the profile's sight
            self.switched.append("a trace function was set in the calling thread")
        now = watch.now()
        self._watch_before = watch.snapshot(now)
        self.switched += watch.begin(now)
        return self

    def judged(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` inside the record, through a frame of the grader's that the
        record enters after it started: at the end its entry must hold one completed call
        per call made here, with ``fn``'s code as a callee. A wipe of the record during the
        call frees this frame's context with the rest, so its return is never counted."""
        self._calls += 1
        code = getattr(getattr(fn, "__func__", fn), "__code__", None)
        if isinstance(fn, (types.FunctionType, types.MethodType)) and \
                isinstance(code, types.CodeType) and not code.co_flags & _NOT_ENTERED:
            self._callee = code
        return fn(*args, **kwargs)

    def pause(self) -> None:
        """Stop recording (the judge's side of a callback is not the student's call); the
        tripwire watches the thread meanwhile (review 21c, hole W3)."""
        self._paused += 1
        if self._wire is not None:
            self._wire.place_here()  # replaces the record's profile: no moment unwatched
        else:
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
        still = _getprofile()
        watch = _watch()
        now = watch.now()
        others, found = watch.end(now)
        after = watch.snapshot(now)
        if self._wire is not None:
            self._wire.place_here()
            _SPENT.append(self._profiler)
        else:
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
        stats = self._profiler.getstats()
        if not self._intact(stats):
            self.switched.append(WIPED)
        for entry in stats:
            caller = entry.code
            if caller is self._mark:
                continue
            if not isinstance(caller, types.CodeType):
                if caller == _DISABLE:  # every disable, from any frame (this one's end too)
                    self.pauses = max(0, int(entry.callcount) - (self._wire is None))
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
        if self._wire is not None:  # kept (see _SPENT), its entries freed
            self._profiler.clear()
            self.pauses += self._paused
        self._profiler = None
        return False

    def _intact(self, stats) -> bool:
        """Whether the record still holds what the grader put in it: its mark, called once,
        and (for a call made through :meth:`judged`) the grader's frame with every call
        completed and the judged function as its callee."""
        marks = wrapper = None
        for entry in stats:
            if entry.code is self._mark:
                marks = entry.callcount
            elif entry.code is _JUDGED:
                wrapper = entry
        if marks != 1:
            return False
        if not self._calls:
            return True
        if wrapper is None or wrapper.callcount != self._calls:
            return False
        return self._callee is None or \
            any(sub.code is self._callee for sub in wrapper.calls or ())

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


def _file_kind(filename, skip: tuple, roots: tuple, package: str, realpath=os.path.realpath) -> str:
    """"grader" (under a folder of ``skip``), "package" (under ``package``), "library" (under
    ``roots``, or a frozen module of the standard library) or "other", by the file a code
    object names."""
    filename = filename if isinstance(filename, str) else ""
    path = realpath(filename) if filename and not filename.startswith("<") else filename
    if skip and path.startswith(skip):
        return "grader"
    if path.startswith(package):
        return "package"
    if filename.startswith("<"):  # the standard library's frozen modules
        return "library" if filename.startswith("<frozen ") else "other"
    return "library" if filename and path.startswith(roots) else "other"


def _code_kind(code: types.CodeType, skip: tuple, roots: tuple, package: str,
               realpath=os.path.realpath) -> str:
    """What :meth:`Recorder._kind` says of ``code``: its file's kind, where library and grader
    code is so by identity, not by name: code that only names such a file (relabelled with
    ``CodeType.replace``) is the student's ("other")."""
    kind = _file_kind(code.co_filename, skip, roots, package, realpath)
    if kind in ("grader", "library") and not _genuine(code):
        kind = "other"
    return kind


def classify_loaded(modules, skip: tuple[str, ...]) -> int:
    """Fill :class:`Recorder`'s table of code kinds for the code of ``modules`` (imported
    ones; other names are skipped) that is the grader's or a library's; return how many.

    Called by the fork server (:mod:`dlgrade.sandbox.forkserver`) after
    :func:`read_code_tables`, before it forks and before any student's code exists: every
    kernel classified the same ~500 code objects of its own message loop, the agent and the
    libraries they use again (a real path and an identity check each, ~40 ms of CPU per
    kernel); a forked kernel holds the same code objects at the same addresses. Only
    "grader" and "library" are kept, and never for the course package's folder, so nothing
    here depends on where the kernel finds ``dlcourse``; the table is keyed by identity and
    keeps each code object, as :meth:`Recorder._kind` does."""
    skip = tuple(os.path.realpath(folder) + os.sep for folder in skip)
    roots = _library_roots()
    package = package_root()
    # no package found: an empty root would match every path; "\0" matches none
    package = package + os.sep if package else "\0"
    paths: dict = {}

    def realpath(filename):
        found = paths.get(filename)
        if found is None:
            found = paths[filename] = os.path.realpath(filename)
        return found

    kinds = Recorder._kinds
    added = 0
    for name in modules:
        module = sys.modules.get(name)
        if module is None or name.partition(".")[0] == "dlcourse":
            continue
        for code in _module_codes(module):
            if id(code) in kinds or len(kinds) >= 100_000:
                continue
            kind = _code_kind(code, skip, roots, package, realpath)
            if kind in ("grader", "library"):
                kinds[id(code)] = (code, kind)
                added += 1
    return added


def _module_codes(module):
    """The code objects of the functions and classes defined in ``module`` (methods,
    properties, class and static methods) and every code object nested in them."""
    name = module.__name__
    functions = []
    for value in list(vars(module).values()):
        if isinstance(value, type) and value.__module__ == name:
            for member in list(vars(value).values()):
                member = getattr(member, "__func__", member)
                if isinstance(member, property):
                    functions += [member.fget, member.fset, member.fdel]
                else:
                    functions.append(member)
        elif getattr(value, "__module__", None) == name:
            functions.append(value)
    for function in functions:
        code = getattr(function, "__code__", None) if isinstance(function, types.FunctionType) \
            else None
        if code is not None:
            yield from _walk(code)


#: the grader's frame around every judged call (:meth:`Recorder.judged`)
_JUDGED = Recorder.judged.__code__
#: code whose call runs nothing at once (a generator, a coroutine): no entry as a callee
_NOT_ENTERED = 0x20 | 0x80 | 0x100 | 0x200


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

    def copy_of(self, node) -> str | None:
        """The package function (``dlcourse.module.name``) that the submitted function ``node``
        (an ``ast.FunctionDef`` of the handed-in text) is a copy of by :meth:`copied`'s rules,
        or None. Read from the text alone: under the sandbox the kernel has no implementation
        to run (:mod:`dlgrade.sandbox.kernel_package`), so a pasted copy of the package's source
        is what remains, and it needs no record of what ran to be seen (review 21e)."""
        import ast

        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        unit = ast.Module(body=[node], type_ignores=[])
        found = set()
        for flags in (0, __import__("__future__").annotations.compiler_flag):
            try:
                module = compile(unit, "<submitted>", "exec", flags=flags, dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            found |= {fingerprint(code) for code in module.co_consts
                      if isinstance(code, types.CodeType) and code.co_name == node.name}
        hits = found & self.copied()
        if not hits:
            return None
        table = package_fingerprints()
        return min(table[digest] for digest in hits)

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
                # a comprehension, lambda or generator expression of the package is no
                # implementation of its own, and with names abstracted such small code is
                # shared by other libraries (jupyter_client's Session.deserialize has
                # _validation's list comprehension): it counts only with its function
                hits = sorted((table[digest], name) for digest, name in group
                              if digest in table and
                              not table[digest].rpartition(".")[2].startswith("<"))
                hits.sort(key=lambda hit: hit[0].rpartition(".")[2].startswith("_"))
                for found, name in hits[:1]:
                    return f"it ran a copy of {found} {how} (`{str(name)[:100]}`)"
        return None

    def silencing(self, report) -> str | None:
        if not isinstance(report, dict):
            return None
        entries = [str(e)[:200] for e in report.get("silenced") or [] if isinstance(e, str)]
        return "; ".join(entries[:3]) if entries else None
