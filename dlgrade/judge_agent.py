"""The student side of the judge: call the student's functions for the trusted judge.

Imported in the student's (sandboxed) kernel by :mod:`dlgrade.judge`, which evaluates
``handle(request)`` as a ``user_expressions`` entry of a silent execute request. Nothing here
is trusted: the student's code runs in the same process and may replace any of it, which can
only spoil the student's own answers, since the judge parses every reply strictly
(:mod:`dlgrade.judge_wire`) and keeps the tests, their expected values and the comparisons.

Requests (JSON):

* ``{"op": "get", "names": [...]}``: the values of names in the notebook's namespace; plain
  data is copied, other objects stay here and are sent as references.
* ``{"op": "call", "fn": ref, "args": list, "kwargs": dict, "errstate": {...},
  "in_place": bool}``: call a referenced object on the copies of the arguments it was sent;
  the reply carries the result (or the exception's type name and message) and the warnings
  raised. With ``in_place`` (the test asked for in-place changes explicitly) it also carries
  the arguments the call changed, and every call back to the judge made during the call
  carries the arguments changed since the judge last saw them (``live``), so a judge-side
  function that reads the test's arrays sees them as the student's code left them.
* ``{"op": "origin", "obj": ref}``: where a referenced function's code comes from (a module
  or code object of the ``dlcourse`` package or a framework), read in this kernel.
* ``{"op": "silences", "obj": ref}``: whether the function (or a helper it calls) switches
  warnings off (``np.errstate``, ``warnings.catch_warnings``, ...).
* ``{"op": "getattr", "obj": ref, "name": str}``: an attribute of a referenced object.
* ``{"op": "start"}``: sent once before the notebook's first cell; the threads and child
  processes alive now are the kernel's own (:func:`dlgrade.judge_watch.watch_start`). During
  a call every other thread records the code it runs; a thread started during the call, or
  one that ran out of that record's sight, and a child process that ran make that call's
  record untrustworthy. It also sets the tripwire (:mod:`dlgrade.judge_tripwire`) on every
  thread, which watches whatever runs outside the records from then on.
* ``{"op": "mark", "rest": bool}``: a test cell starts (the tripwires are set again, what
  they saw while the student's cells ran is not counted) or ends (``rest``: they are taken
  off while the student's cells run). A test cell whose first request is a ``get`` carries
  its opening mark in it instead (``"mark": true``): the mark is made before the names are
  read, and the request's way in holds only names.

Every reply carries ``early``: what the tripwires saw since the previous request (the
package's code, by file or by fingerprint, and what made their sight incomplete).

A judge-side function passed as an argument becomes a function here that asks the judge over
the kernel's stdin channel (``input_request``) and waits for the answer; while waiting it also
serves the judge's nested calls.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import os
import types
import warnings

import numpy as np

from dlgrade import judge_code, judge_fingerprint, judge_tripwire, judge_watch, judge_wire
from dlgrade.judge_code import _ACTIVE, Recorder, _library_roots
from dlgrade.judge_watch import watch_start
from dlgrade.judge_wire import WireError, decode, dumps, encode, loads

#: The grader's own code in this kernel (this agent, the wire format, the recorder): its
#: frames are neither the student's nor the package's
_GRADER = (os.path.dirname(os.path.abspath(__file__)),)

_objects: dict = {}
_ids: dict = {}
#: The in-place calls running now: (argument key -> JSON the judge holds, args, kwargs)
_live: list = []
#: The judge's functions this agent made for the calls running now (id -> function), and the
#: judge's key of each: valid only during the judged call they were passed to (review 21c,
#: hole W: a callback kept from an earlier call paused the record at the student's will)
_valid: dict = {}
_callback_keys: dict = {}
#: per running call, the callbacks made for it (dropped from ``_valid`` when it ends)
_made: list = []


class _Discard:
    """Output of the student's code during a judged call: counted, never shown."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _register(value) -> int:
    key = _ids.get(id(value))
    if key is None or _objects.get(key) is not value:
        key = len(_objects) + 1
        _objects[key] = value
        _ids[id(value)] = key
    return key


def _as_ref(value):
    """The reference form of a value that is not plain data. Nothing of the student's runs
    here (review 21c, holes L and W: a ``__getattr__``, a ``__name__`` property or a metaclass
    run while the agent encodes would be outside the record): the type is read with
    ``type()``, names and class members through ``type``'s own descriptors, and a function
    is sent as the judge's own (``cb``) only when it is one of this agent's live callbacks,
    never because it carries an attribute saying so."""
    cls = type(value)
    if cls is types.FunctionType and _valid.get(id(value)) is value:
        return {"t": "cb", "id": _callback_keys[id(value)]}
    return {"t": "ref", "id": _register(value), "name": _static_name(value)[:200],
            "type": _type_name(cls)[:300], "callable": callable(value)}


def _static_name(value) -> str:
    """``__name__`` of a function, method or class, read without running any of its code;
    "" for anything else."""
    cls = type(value)
    if cls is types.MethodType:
        value = value.__func__
        cls = type(value)
    if cls in (types.FunctionType, types.BuiltinFunctionType):
        return str(value.__name__)
    if issubclass(cls, type):
        return str(_TYPE_NAME.__get__(value))
    return ""


_TYPE_NAME = type.__dict__["__name__"]
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_DICT = type.__dict__["__dict__"]
_MODULE_DICT = types.ModuleType.__dict__["__dict__"]


@functools.lru_cache(maxsize=1)
def _roots() -> tuple[str, ...]:
    return _library_roots()


def _library_file(filename: str) -> bool:
    """Whether ``filename`` is a file of the installed libraries (site-packages, the standard
    library; the recorder's roots, computed once), not a notebook cell, an exec'd string or a
    file beside the notebook."""
    if not filename or filename.startswith("<"):
        return False
    return os.path.realpath(filename).startswith(_roots())


def _type_name(cls) -> str:
    """``module.qualname`` of ``cls`` when it is the class its module really defines (found
    there under that name) and every class it inherits from is a library's own, unchanged;
    otherwise a name the judge resolves to no class. The module and name are the student's to
    set: a class of the notebook that calls itself ``sklearn...MLPClassifier`` passed
    ``isinstance`` checks (hostile review of issue 21); and a library class whose members the
    student replaced (``model.__class__.predict = functools.partialmethod(rule)``, review 21c,
    A3) is no longer the library's (:func:`_library_member`)."""
    if id(cls) in _CHECKING:  # a class met again while its own members are read
        return "__student__.object"
    outermost = not _CHECKING
    _CHECKING[id(cls)] = cls  # by identity: a metaclass's __hash__ is the student's code
    try:
        mro = _TYPE_MRO.__get__(cls)
        genuine = type(mro) is tuple and all(_known_class(base) for base in mro)
    finally:
        _CHECKING.pop(id(cls), None)
        if outermost:  # classes change between two looks: nothing is kept across them
            _KNOWN.clear()
    qualname = _TYPE_QUALNAME.__get__(cls)
    if genuine:
        return f"{_TYPE_MODULE.__get__(cls)}.{qualname}"
    return f"__student__.{qualname if type(qualname) is str else 'object'}"


_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_FLAGS = type.__dict__["__flags__"]
#: CPython's Py_TPFLAGS_IMMUTABLETYPE: a class defined in C whose members cannot be assigned
#: (``np.ndarray.sum = f`` raises TypeError); a class made by Python code never has it
_IMMUTABLE = 1 << 8
#: classes whose members are being read now (a member that refers back to its own class)
_CHECKING: dict = {}
#: during one look, the classes already read (scikit-learn's parameter constraints meet the
#: same few classes many times)
_KNOWN: dict = {}


def _known_class(cls) -> bool:
    known = _KNOWN.get(id(cls))
    if known is None:
        known = _KNOWN[id(cls)] = (cls, _library_class(cls))
    return known[1]
#: Plain values a library class keeps as data (``_estimator_type = "classifier"``)
_PLAIN = frozenset({type(None), bool, int, float, complex, str, bytes, type(Ellipsis),
                    type(NotImplemented)})
def _one_of(kind, kinds) -> bool:
    """``kind in kinds`` by identity: ``in`` would run a student metaclass's ``__eq__`` or
    ``__hash__``."""
    return any(kind is known for known in kinds)


#: C callables that carry the object they are bound to as ``__self__``
_BOUND_C = (types.BuiltinFunctionType, types.MethodWrapperType)


def _library_class(cls) -> bool:
    """Whether ``cls`` is a library's own class as the library made it: defined in C (its
    members cannot be changed), or found in its module under its name with every member
    the library's (:func:`_library_member`)."""
    import sys

    if not issubclass(type(cls), type):
        return False
    if _TYPE_FLAGS.__get__(cls) & _IMMUTABLE:
        return True
    module_name = _TYPE_MODULE.__get__(cls)
    qualname = _TYPE_QUALNAME.__get__(cls)
    if type(module_name) is not str or type(qualname) is not str:
        return False
    found = sys.modules.get(module_name)
    for part in qualname.split("."):  # dictionaries read directly: no __getattr__ runs
        if found is not None and issubclass(type(found), types.ModuleType):
            namespace = _MODULE_DICT.__get__(found)
        elif found is not None and issubclass(type(found), type):
            namespace = _TYPE_DICT.__get__(found)
        else:
            namespace = None
        found = namespace.get(part) if type(namespace) in (dict, types.MappingProxyType) \
            else None
    if found is not cls:
        return False
    budget = [2000]  # objects read at most per class: a member cannot make this slow
    return all(_library_member(member, budget) for member in _TYPE_DICT.__get__(cls).values())


def _library_member(value, budget: list, depth: int = 0) -> bool:
    """Whether a class member (or an object a member holds) is the library's: plain data, a
    function compiled from a library file (also inside ``staticmethod``, ``classmethod``,
    ``property``, a bound method), a class that is a library's own, or an object of such a
    class holding only such things (a descriptor such as scikit-learn's ``available_if``).

    Members without ``__code__`` are read too (review 21c, A3): a ``functools.partialmethod``
    or ``partial`` of the student's function, a callable object of the student's class, or a
    C function bound to the student's data (``answers.__getitem__``) makes the class the
    student's. Everything is read with ``type()``, C-level attributes and the garbage
    collector's view of what an object holds: nothing of the student's runs here."""
    import gc
    import sys

    budget[0] -= 1
    if budget[0] < 0 or depth > 6:
        return False  # too much to read: not the library's as far as the judge can tell
    kind = type(value)
    if _one_of(kind, _PLAIN) or issubclass(kind, types.ModuleType):
        return True
    if kind is types.FunctionType:
        if not _library_code(value.__code__):
            return False
        # library code run with the student's globals, closure cells or defaults (a
        # decorator's wrapper rebuilt around the student's function) is the student's
        space = value.__globals__
        name = space.get("__name__") if type(space) is dict else None
        module = sys.modules.get(name) if type(name) is str else None
        if module is None or _MODULE_DICT.__get__(module) is not space:
            return False
        held = [*(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values()]
        for cell in value.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell
                held.append(cell.cell_contents)
        return all(_library_member(item, budget, depth + 1) for item in held)
    if kind is types.CodeType:
        return _library_code(value)
    if _one_of(kind, (staticmethod, classmethod)):
        return _library_member(value.__func__, budget, depth + 1)
    if kind is property:
        return all(part is None or _library_member(part, budget, depth + 1)
                   for part in (value.fget, value.fset, value.fdel))
    if issubclass(kind, type):
        return id(value) in _CHECKING or not _type_name(value).startswith("__student__.")
    if _one_of(kind, _BOUND_C):  # a builtin bound to an object (its data) is not a method
        bound = value.__self__
        return bound is None or issubclass(type(bound), types.ModuleType) or \
            (issubclass(type(bound), type) and _library_member(bound, budget, depth + 1))
    if _one_of(kind, (functools.partial, functools.partialmethod)):
        return False  # never a library class's method as the library defines it
    if _c_made(kind) and not callable(value) and not hasattr(kind, "__get__"):
        return True  # C data (abc's caches): it runs no Python code of anyone's
    if not _library_member(kind, budget, depth + 1):
        return False  # an object of the student's class, or of a changed library class
    return all(_library_member(held, budget, depth + 1) for held in gc.get_referents(value)
               if held is not kind)


#: id(code) -> (code, whether it is a library's): code objects never change, and the code is
#: kept so that its id is not reused
_LIBRARY_CODES: dict = {}


def _library_code(code) -> bool:
    """Whether ``code`` was compiled from a library file (and is what that file compiles to)."""
    known = _LIBRARY_CODES.get(id(code))
    if known is not None and known[0] is code:
        return known[1]
    result = _library_file(code.co_filename) and judge_code._genuine(code)
    if len(_LIBRARY_CODES) < 100_000:
        _LIBRARY_CODES[id(code)] = (code, result)
    return result


#: C descriptors: made by C for the class in their ``__objclass__``
_C_DESCRIPTORS = (types.WrapperDescriptorType, types.MethodDescriptorType,
                  types.ClassMethodDescriptorType, types.GetSetDescriptorType,
                  types.MemberDescriptorType)


def _c_made(cls) -> bool:
    """Whether ``cls`` and every class it inherits from holds no Python code: classes defined
    in C (an extension module's type, such as abc's ``_abc_data``), whose members are only C
    descriptors of their own and plain data."""
    mro = _TYPE_MRO.__get__(cls)
    if type(mro) is not tuple:
        return False
    for base in mro:
        if _TYPE_FLAGS.__get__(base) & _IMMUTABLE:
            continue
        for member in _TYPE_DICT.__get__(base).values():
            kind = type(member)
            if _one_of(kind, _PLAIN):
                continue
            if _one_of(kind, _C_DESCRIPTORS) and member.__objclass__ is base:
                continue
            if _one_of(kind, _BOUND_C) and member.__self__ is base:  # its __new__
                continue
            return False
    return True


#: numpy scalar types (exact): an object array holding only these and Python numbers is
#: plain numbers
_NUMBER_TYPES = frozenset({bool, int, float, complex} | {
    t for t in set(np.sctypeDict.values()) if np.dtype(t).kind in "biufc"})


def _numbers(array: np.ndarray):
    """An object array whose items are all plain numbers, as a numeric array (the dtype
    numpy gives them); None for any other array. A correct answer built from Python floats
    reads as numbers, as it does in stock nbgrader, instead of item by item through the
    kernel (review 21c, finding O)."""
    if type(array) is not np.ndarray or array.dtype.kind != "O" or array.size > 10_000_000:
        return None
    if not all(type(item) in _NUMBER_TYPES for item in array.flat):
        return None
    converted = np.array(array.tolist()) if array.ndim else np.array(array.item())
    if converted.dtype.kind not in "biufc" or converted.shape != array.shape:
        return None
    return converted


def _other(value):
    converted = _numbers(value)
    if converted is not None:
        return encode(converted)
    return _as_ref(value)


def _no_shadow(obj, name) -> None:
    """Refuse an instance attribute that replaces a method of a library class: a genuine
    ``MLPClassifier`` whose ``predict`` is the student's own lambda (hostile review 21b, hole
    5) would pass for the library's model. The judge reads such objects' methods only from
    their class."""
    own = getattr(obj, "__dict__", None)
    if not isinstance(own, dict) or not isinstance(name, str) or name not in own:
        return
    cls = type(obj)
    method = getattr(cls, name, None)
    if method is None or not callable(method) or _type_name(cls).startswith("__student__."):
        return
    raise AttributeError(f"the {cls.__qualname__}'s attribute {name!r} was replaced on the "
                         f"object itself: the grader uses only {cls.__qualname__}'s own "
                         f"{name}, so return the fitted model without changing its methods")


def _send(value):
    """Plain data copied, anything else (functions, models, ...) referenced. Inside a judged
    call this runs under the call's record: nothing of the student's can run here unseen."""
    try:
        return encode(value)
    except WireError:
        return encode(value, _other)


def _kernel_input(prompt: str) -> str:
    from IPython import get_ipython

    return get_ipython().kernel.raw_input(prompt)


def _callback(key: int):
    def call_judge(*args, **kwargs):
        if _valid.get(id(call_judge)) is not call_judge:
            raise RuntimeError("a function of the grader's was called after the graded call "
                               "it was passed to had ended; keep no grader functions between "
                               "calls")
        # the arguments are encoded while the call is still recorded (review 21c, hole W);
        # then the judge's side of the conversation is not the student's call: not recorded
        message = {"k": "cb", "id": key, "args": _send(list(args)), "kwargs": _send(kwargs)}
        if _live:
            message["live"] = _changes(*_live[-1])
        text = dumps(message)
        recorder = _ACTIVE[-1] if _ACTIVE else None
        if recorder is not None:
            recorder.pause()
        try:
            while True:
                reply = loads(_kernel_input(text))
                if reply.get("k") == "ret":
                    return _unpack(reply)
                if reply.get("k") == "call":
                    text = dumps(dict(_serve(reply.get("req")), k="ret"))
                else:
                    raise WireError("malformed answer from the judge")
        finally:
            if recorder is not None:
                recorder.resume()

    if _made:  # outside a judged call, a judge function is never valid
        _valid[id(call_judge)] = call_judge
        _callback_keys[id(call_judge)] = key
        _made[-1].append(call_judge)
    return call_judge


def _resolve(tagged):
    if tagged["t"] == "cb":
        return _callback(tagged["id"])
    if tagged["id"] not in _objects:
        raise WireError("unknown reference")
    return _objects[tagged["id"]]


def _unpack(reply):
    if "exc" in reply:
        name, message = reply["exc"]
        error = getattr(builtins, name, None)
        if isinstance(error, type) and issubclass(error, Exception):
            raise error(message)
        raise RuntimeError(f"{name}: {message}")
    return decode(reply["ok"], _resolve)


def _own_line(error: BaseException) -> str:
    """``"mse, line 3: return ..."``: the innermost frame of the student's own code (a
    notebook cell or a file handed in; not numpy, not the standard library, not this agent)
    where ``error`` was raised, for the feedback (:mod:`dlgrade.shape_errors`); "" if none."""
    import sysconfig
    import traceback

    library = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        name = frame.filename or ""
        if name == __file__ or any(name.startswith(root) for root in library):
            continue
        return f"{frame.name}, line {frame.lineno}: {(frame.line or '').strip()}"[:300]
    return ""


def _changes(seen, args, kwargs):
    """Arguments whose value differs from what the judge holds (``seen``: key -> JSON), as
    (position or name, new value) pairs; ``seen`` is updated to the values sent."""
    changed = []
    for key, value in list(enumerate(args)) + list(kwargs.items()):
        try:
            now = dumps(_send(value))
        except Exception:  # noqa: BLE001 - an argument that cannot be sent is not sent back
            continue
        if now != seen.get(key):
            seen[key] = now
            changed.append([_send(key), _send(value)])
    return changed


def _exception(error: BaseException) -> list:
    """[type name, message, the student's line] of an exception raised in a judged call."""
    try:
        message = str(error)[:4000]
    except Exception:  # noqa: BLE001 - a message that cannot be read is left out
        message = ""
    return [_TYPE_NAME.__get__(type(error)), message, _own_line(error)]


def _call(request):
    _made.append([])
    try:
        return _recorded_call(request)
    finally:
        for made in _made.pop():
            _valid.pop(id(made), None)
            _callback_keys.pop(id(made), None)


def _recorded_call(request):
    fn = decode(request["fn"], _resolve)
    args = decode(request["args"], _resolve)
    kwargs = decode(request["kwargs"], _resolve)
    if not isinstance(args, list) or not isinstance(kwargs, dict) or not callable(fn):
        raise WireError("malformed call")
    in_place = request.get("in_place") is True
    before = {}
    if in_place:
        for key, value in list(enumerate(args)) + list(kwargs.items()):
            with contextlib.suppress(Exception):
                before[key] = dumps(_send(value))
        _live.append((before, args, kwargs))
    errstate = request.get("errstate") or {}
    errstate = {k: v for k, v in errstate.items()
                if k in ("divide", "over", "under", "invalid") and
                v in ("ignore", "warn", "raise", "call", "print", "log")}
    global_state = request.get("global_rng")
    if global_state is not None:  # the caller's np.random global state, as the judge has it
        np.random.set_state(decode(global_state))  # noqa: NPY002
        global_state = dumps(encode(np.random.get_state()))  # noqa: NPY002
    discard = _Discard()
    reply = {}
    recorder = Recorder(skip=_GRADER)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(**errstate), contextlib.redirect_stdout(discard), \
                    contextlib.redirect_stderr(discard):
                try:
                    # everything that may run the student's code is recorded, the reply's
                    # encoding included (review 21c, hole L: a result whose __getattr__ ran
                    # the package's implementation while the agent encoded it, unrecorded)
                    with recorder:
                        try:
                            reply["ok"] = _send(recorder.judged(fn, *args, **kwargs))
                        except Exception as error:  # noqa: BLE001 - goes to the judge
                            reply.pop("ok", None)
                            reply["exc"] = _exception(error)
                        if in_place:
                            _live.pop()
                            in_place = "done"
                            reply["mut"] = _changes(before, args, kwargs)
                        reply["warn"] = [[_TYPE_NAME.__get__(w.category)
                                          if issubclass(type(w.category), type) else "Warning",
                                          str(w.message)[:1000]] for w in caught[:50]]
                finally:
                    recorder.check_state()
        finally:
            if in_place is True:
                _live.pop()
    reply["ran"] = _checked_report(recorder)
    reply.setdefault("warn", [])
    reply.setdefault("mut", [])
    if global_state is not None:
        now = encode(np.random.get_state())  # noqa: NPY002
        if dumps(now) != global_state:
            reply["global_rng"] = now
    return reply


def _checked_report(recorder) -> dict:
    """The record's report, read through the method imported with this module, noting a
    grader's kernel-side function or class replaced since."""
    ran = _REPORT(recorder)
    if _grader_code() != _GRADER_CODE:
        ran["switched"] = [*ran.get("switched", []),
                           "the grader's own code in the kernel was replaced"]
    return ran


def _origin(obj):
    """How ``obj`` reaches the dlcourse package or a framework (text), or None.

    The same walk as :func:`dlcourse.testing.assert_own_implementation` (globals, closures,
    defaults, wrapped functions), which also reads where each code object was compiled: a
    function unpickled, unmarshalled or imported dynamically from the package keeps its
    ``co_filename`` inside the installed package.
    """
    from dlcourse import testing

    return testing._find_package_use(obj, set())


def _silences(obj):
    from dlcourse import testing

    return testing._find_silencing(obj, set())


def _recorded(work, obj) -> dict:
    """``{"ok": work(obj)}`` (or ``"exc"``) with ``"ran"``, the record of what ran: reading an
    attribute or walking a student's object may run its code (a property, ``__getattr__``),
    which the judge vets as it vets a call's (review 21c, hole L)."""
    reply = {}
    recorder = Recorder(skip=_GRADER)
    with warnings.catch_warnings(), contextlib.redirect_stdout(_Discard()), \
            contextlib.redirect_stderr(_Discard()):
        with recorder:
            try:
                reply["ok"] = _send(recorder.judged(work, obj))
            except Exception as error:  # noqa: BLE001 - goes to the judge
                reply = {"exc": _exception(error)[:2], "warn": [], "mut": []}
    ran = _checked_report(recorder)
    if work in (_origin, _silences):  # the walk itself is the package's own-work checker
        ran["package"] = [entry for entry in ran["package"]
                          if not entry.startswith(("testing.py:", "own_work.py:"))]
    reply["ran"] = ran
    return reply


def _serve(request):
    try:
        if not isinstance(request, dict):
            raise WireError("malformed request")
        op = request.get("op")
        if op == "get":
            from IPython import get_ipython

            namespace = get_ipython().user_ns
            return {"names": {name: _send(namespace[name]) for name in request["names"]
                              if isinstance(name, str) and name in namespace}}
        if op == "call":
            return _call(request)
        if op == "start":
            started = watch_start()
            # from now on no thread of the kernel runs unwatched: between the records, the
            # tripwire (review 21c, holes J, H, W3: the judge's arguments reach the student's
            # hooks before and after each record)
            judge_tripwire.tripwire().arm()
            return {"ok": _send(started)}
        if op == "mark":  # a test cell starts or ends: the check in handle() is the work
            return {"ok": _send(None)}
        if op in ("origin", "silences"):
            from dlcourse import testing  # imported before the record starts

            testing._find_package_use(None, set())
            return _recorded(_origin if op == "origin" else _silences,
                             decode(request["obj"], _resolve))
        if op == "getattr":
            name = request.get("name")
            if type(name) is not str:
                raise WireError("malformed request: an attribute name must be text")

            def read(obj):
                _no_shadow(obj, name)
                return getattr(obj, name)

            return _recorded(read, decode(request["obj"], _resolve))
        raise WireError(f"unknown operation {str(op)[:20]!r}")
    except Exception as error:  # noqa: BLE001 - reported to the judge, never raised in the kernel
        return {"fail": f"{type(error).__name__}: {error}"[:2000]}


def handle(request_text: str) -> str:
    """Serve one request (JSON text); return the reply as JSON text."""
    try:
        request = loads(request_text)
    except WireError as error:
        return dumps({"fail": str(error)})
    if isinstance(request, dict) and request.get("op") == "get" and request.get("mark") is True:
        _early()  # a test cell's opening mark on its first request: not counted, as "mark"
    reply = _serve(request)
    # a mark with "rest" ends a test cell: the tripwires rest while the student's cells run
    # (and after the start, until the first test cell)
    op = request.get("op") if isinstance(request, dict) else None
    reply["early"] = _early(rest=op == "start" or (op == "mark" and request.get("rest") is True))
    try:
        return dumps(reply)
    except (TypeError, ValueError) as error:
        return dumps({"fail": f"reply could not be encoded: {error}"})


def _early(rest: bool = False) -> dict:
    """What ran outside the records since the last request (:mod:`dlgrade.judge_tripwire`)."""
    try:
        return judge_tripwire.tripwire().check(rest)
    except Exception as error:  # noqa: BLE001 - the judge reads it as unseen
        return {"package": [], "other": [],
                "unseen": [f"the grader's watch between calls failed ({type(error).__name__})"]}


def _grader_code() -> list:
    """Every function and class of the grader's kernel-side modules (this agent, the recorder,
    its fingerprints and thread watch, the wire format) and of their classes, with the code
    each runs: a student who replaces a method of the Recorder (reached through ``pickle``
    without an import) or a function's ``__code__`` changes this list. The student's code
    runs in this process, so this only raises the bar (a student who finds this list can
    change it too); the scan of ``dlcourse grade`` flags the ways to reach the grader
    (imports, pickle, dunders)."""
    import sys

    found = []
    for module in (judge_code, judge_fingerprint, judge_tripwire, judge_watch, judge_wire,
                   sys.modules[__name__]):
        for name, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType):
                found.append((module.__name__, name, id(value), id(value.__code__)))
            elif isinstance(value, type) and value.__module__ == module.__name__:
                found.append((module.__name__, name, id(value)))
                for attr, member in list(vars(value).items()):
                    function = getattr(member, "__func__", getattr(member, "fget", member))
                    if isinstance(function, types.FunctionType):
                        found.append((name, attr, id(member), id(function.__code__)))
    return found


_REPORT = Recorder.report
_GRADER_CODE = _grader_code()
