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
  record untrustworthy.

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

from dlgrade import judge_code, judge_fingerprint, judge_watch, judge_wire
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
    if getattr(value, "_judge_callback", None) is not None:
        return {"t": "cb", "id": value._judge_callback}
    return {"t": "ref", "id": _register(value), "name": str(getattr(value, "__name__", ""))[:200],
            "type": _type_name(type(value))[:300], "callable": callable(value)}


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
    there under that name, its own functions compiled from library files); otherwise a name
    the judge resolves to no class. The module and name are the student's to set: a class of
    the notebook that calls itself ``sklearn...MLPClassifier`` passed ``isinstance`` checks
    (hostile review of issue 21)."""
    import sys

    module = sys.modules.get(getattr(cls, "__module__", None) or "")
    found = module
    for part in str(getattr(cls, "__qualname__", "")).split("."):
        found = getattr(found, part, None)
    genuine = module is not None and found is cls
    if genuine:
        for member in vars(cls).values():
            code = getattr(getattr(member, "__func__", member), "__code__", None)
            # by identity too: a method relabelled with a library file name is not the library's
            if code is not None and not (_library_file(code.co_filename) and
                                         judge_code._genuine(code)):
                genuine = False
                break
    if genuine:
        return f"{cls.__module__}.{cls.__qualname__}"
    return f"__student__.{getattr(cls, '__qualname__', 'object')}"


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
    """Plain data copied, anything else (functions, models, ...) referenced."""
    try:
        return encode(value)
    except WireError:
        return encode(value, _as_ref)


def _kernel_input(prompt: str) -> str:
    from IPython import get_ipython

    return get_ipython().kernel.raw_input(prompt)


def _callback(key: int):
    def call_judge(*args, **kwargs):
        # the judge's side of the conversation is not the student's call: not recorded
        recorder = _ACTIVE[-1] if _ACTIVE else None
        if recorder is not None:
            recorder.pause()
        try:
            message = {"k": "cb", "id": key, "args": _send(list(args)),
                       "kwargs": _send(kwargs)}
            if _live:
                message["live"] = _changes(*_live[-1])
            while True:
                reply = loads(_kernel_input(dumps(message)))
                if reply.get("k") == "ret":
                    return _unpack(reply)
                if reply.get("k") == "call":
                    message = dict(_serve(reply.get("req")), k="ret")
                else:
                    raise WireError("malformed answer from the judge")
        finally:
            if recorder is not None:
                recorder.resume()

    call_judge._judge_callback = key
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


def _call(request):
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
                    with recorder:
                        result = fn(*args, **kwargs)
                finally:
                    recorder.check_state()
            reply["ok"] = _send(result)
        except Exception as error:  # noqa: BLE001 - the student's exception goes to the judge
            reply["exc"] = [type(error).__name__, str(error)[:4000], _own_line(error)]
        finally:
            if in_place:
                _live.pop()
    reply["ran"] = _REPORT(recorder)
    if _grader_code() != _GRADER_CODE:
        reply["ran"]["switched"] = [*reply["ran"].get("switched", []),
                                    "the grader's own code in the kernel was replaced"]
    reply["warn"] = [[w.category.__name__, str(w.message)[:1000]] for w in caught[:50]]
    reply["mut"] = _changes(before, args, kwargs) if in_place else []
    if global_state is not None:
        now = encode(np.random.get_state())  # noqa: NPY002
        if dumps(now) != global_state:
            reply["global_rng"] = now
    return reply


def _origin(obj):
    """How ``obj`` reaches the dlcourse package or a framework (text), or None.

    The same walk as :func:`dlcourse.testing.assert_own_implementation` (globals, closures,
    defaults, wrapped functions), which also reads where each code object was compiled: a
    function unpickled, unmarshalled or imported dynamically from the package keeps its
    ``co_filename`` inside the installed package.
    """
    from dlcourse import testing

    return testing._find_package_use(obj, set())


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
            return {"ok": _send(watch_start())}
        if op == "origin":
            return {"ok": _send(_origin(decode(request["obj"], _resolve)))}
        if op == "silences":
            from dlcourse import testing

            return {"ok": _send(testing._find_silencing(decode(request["obj"], _resolve),
                                                        set()))}
        if op == "getattr":
            obj = decode(request["obj"], _resolve)
            try:
                _no_shadow(obj, request["name"])
                return {"ok": _send(getattr(obj, request["name"]))}
            except Exception as error:  # noqa: BLE001
                return {"exc": [type(error).__name__, str(error)[:4000]], "warn": [], "mut": []}
        raise WireError(f"unknown operation {str(op)[:20]!r}")
    except Exception as error:  # noqa: BLE001 - reported to the judge, never raised in the kernel
        return {"fail": f"{type(error).__name__}: {error}"[:2000]}


def handle(request_text: str) -> str:
    """Serve one request (JSON text); return the reply as JSON text."""
    try:
        request = loads(request_text)
    except WireError as error:
        return dumps({"fail": str(error)})
    reply = _serve(request)
    try:
        return dumps(reply)
    except (TypeError, ValueError) as error:
        return dumps({"fail": f"reply could not be encoded: {error}"})


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
    for module in (judge_code, judge_fingerprint, judge_watch, judge_wire,
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
