"""The judge's side of the wire: :class:`Remote` stand-ins for the student's objects and the
:class:`Channel` that serves their calls, attribute reads and items.

:mod:`dlgrade.judge`'s test cells run in the grading process; every name they need from the
student's kernel becomes a :class:`Remote`, and every use of it is one request over the
kernel's own Jupyter channels to :mod:`dlgrade.judge_agent`, in :mod:`dlgrade.judge_wire`'s format
(no pickle). The channel also keeps the time a call may take, vets what ran during it
(:mod:`dlgrade.judge_code`), writes in-place changes back only when a test asks for it
(:func:`_copy_into`), and turns the kernel's replies into values or the student's exceptions.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import sys
import time
import warnings
from queue import Empty

import numpy as np
import zmq

from .judge_wire import MAX_MESSAGE, WireError, decode, dumps, encode, loads
from .kernel_channels import DEFAULT_SEND_SECONDS, BoundedBlockingKernelClient

__all__ = ["CallTimeoutError", "Channel", "JudgeError", "PackageCodeError", "Remote", "RemoteError",
           "SilencedWarning"]


_AGENT = "dlgrade.judge_agent"
#: Request ids a channel remembers with their test cell (a few MB at most)
MAX_SENT = 100_000
#: Judge requests between two drains of nbclient's IOPub queue: each request leaves two status
#: messages there, and the queue holds only a few dozen (dlgrade.kernel_channels).
DRAIN_EVERY = 10


class JudgeError(RuntimeError):
    """The student's kernel did not answer the judge properly (timeout, malformed reply)."""


class CallTimeoutError(JudgeError):
    """A call of the student's code ran past the cell timeout (the name says "Timeout", as
    nbgrader's CellTimeoutError, so that dlgrade's worker reports the cell as timed out)."""


class RemoteError(Exception):
    """An exception of a type that is not a Python builtin, raised by the student's code."""


class SilencedWarning(RuntimeWarning):
    """The student's function switched warnings off while it ran. Not shown in a test cell's
    output; :func:`dlcourse.testing.assert_no_warnings` (which records every warning) sees
    it, so a requirement "no overflow warning" cannot be met by hiding the warning."""


class PackageCodeError(AssertionError):
    """The student's function ran the course package's implementation during a judged call
    (:mod:`dlgrade.judge_code`): the test that called it fails."""





class Remote:
    """An object that stays in the student's kernel: a function, a fitted model, ...

    Calling it, reading an attribute, an item or its length asks the kernel. ``isinstance``
    sees the class of the same name if the judge has that module imported already.
    """

    __slots__ = ("_channel", "_tag", "_label")

    def __init__(self, channel: "Channel", tag: dict, label: str | None = None):
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_tag", tag)
        object.__setattr__(self, "_label", label)

    @property
    def __name__(self):  # noqa: D401 - mimic functions
        return self._label or str(self._tag.get("name") or "student object")

    @property
    def __class__(self):
        module, _, qualname = str(self._tag.get("type", "")).rpartition(".")
        found = sys.modules.get(module)
        parts = qualname.split(".")
        if not all(p.isidentifier() and not p.startswith("_") for p in parts):
            return Remote
        for part in parts if found is not None else ():
            found = getattr(found, part, None)
        if isinstance(found, type) and found.__module__ == module \
                and found not in (type, object) and not issubclass(found, type):
            return found
        return Remote

    def __call__(self, *args, **kwargs):
        return self._channel.call(self._tag, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._channel.getattr(self._tag, name)

    def __setattr__(self, name, value):
        raise AttributeError(f"{self.__name__} is the student's object: the judge cannot set "
                             f"its attribute {name!r}")

    def _special(self, name, *args):
        method = self._channel.getattr(self._tag, name)
        if not isinstance(method, Remote):
            raise TypeError(f"{self.__name__} has no {name}")
        return method(*args)

    def __getitem__(self, key):
        return self._special("__getitem__", key)

    def __len__(self):
        return self._special("__len__")

    def __iter__(self):
        return iter([self[i] for i in range(len(self))])

    def __repr__(self):
        return f"<student's {self._tag.get('type', 'object')} {self.__name__}>"


# --------------------------------------------------------------------------- the channel


class Channel:
    """Requests to :mod:`dlgrade.judge_agent` in a running kernel.

    Uses a client of its own on the kernel's connection (shell and stdin only): a request is a
    silent ``execute_request`` with empty code whose ``user_expressions`` calls the agent;
    judge-side functions the student's code calls back arrive as ``input_request`` messages
    and are answered with ``input_reply``.
    """

    def __init__(self, connection_info: dict, timeout: float | None = 60.0,
                 interrupt=None, max_reply: int = MAX_MESSAGE, every_few=None, alive=None):
        # bounded like nbclient's client: message size, parts and queue (dlgrade.kernel_channels)
        self.client = BoundedBlockingKernelClient()
        self.client.kernel_alive = alive
        self.client.load_connection_info(connection_info)
        self.client.start_channels(shell=True, iopub=False, stdin=True, hb=False, control=False)
        self.timeout = timeout
        self.interrupt = interrupt
        self.max_reply = max_reply
        self._callbacks: dict[int, object] = {}
        self._callback_ids: dict[int, int] = {}
        self._in_callback = 0
        #: (args, kwargs) of the in-place calls running now (:func:`call_in_place`)
        self._live: list = []
        self.requests = 0
        self.every_few = every_few
        #: The judge's reading of what ran in each call (:class:`dlgrade.judge_code.CodePolicy`)
        self.code_policy = None
        #: reference id -> how a call of that object ran the package's implementation
        self.package_users: dict = {}
        #: Seconds the student's code has run in the current test cell (:meth:`start_cell`).
        self.cell_seconds = 0.0
        #: Whether a call ran past the cell's budget since the judge last looked.
        self.timed_out = False
        #: Calls back into the judge that the last request served itself (nested excluded)
        self.last_callbacks = 0
        #: Why the agent in the kernel can no longer be trusted (a malformed reply, a broken
        #: protocol), or None: the judge then stops the notebook (:mod:`dlgrade.judge`)
        self.broken: str | None = None
        #: per judged call running now, the keys of the judge's functions passed to it: only
        #: those may be called back (review 21c, hole W: a callback kept from an earlier call)
        self._passed: list[set] = []
        #: The kernel's other processes, held stopped during a test cell by this process
        #: (:class:`dlgrade.judge_procs.ProcessHold`), or None
        self.processes = None
        #: What the kernel ran outside the graded calls while the grader served the current
        #: test cell (dlgrade.judge_tripwire): ("package" | "unseen", text, package entries)
        self.early: list[tuple[str, str, list]] = []
        #: no request of the current test cell was sent yet: the first is preceded by a mark
        self._fresh = False
        #: the test cell (its grade id) the judge serves now, set by the judge
        self.cell: str | None = None
        #: request msg_id -> the test cell that sent it (up to :data:`MAX_SENT`): output
        #: of a judged call names its test cell when it keeps coming after that cell
        self.sent: dict[str, str | None] = {}

    def start(self) -> None:
        """Before any cell of the notebook runs: the agent takes the kernel's own threads
        (those alive now) as the ones a judged call may see besides its own
        (:func:`dlgrade.judge_watch.watch_start`)."""
        self._checked(self._request({"op": "start"}))

    def start_cell(self) -> None:
        """A new test cell: the student's code gets ``timeout`` seconds in all for its calls,
        as the whole cell had in the kernel (the judge's own work is not counted)."""
        self.cell_seconds = 0.0
        self.early = []
        self._fresh = True

    def end_cell(self) -> str | None:
        """After a test cell that sent requests: what ran in the kernel outside its graded
        calls since its last request (the reply's own way out, e.g. a hook on the kernel's
        message encoding), read with one more request; why the cell earns nothing, or None."""
        if not self._fresh:  # the tripwires rest while the student's cells run
            self._request({"op": "mark", "rest": True})
            self._fresh = True  # the next cell opens with a mark: the student's cells between
        return self._early_reason("the tests") if self.early else None

    def _early_text(self, name: str) -> str:
        """What ran outside the calls this cell: the package's function of the graded one's
        name first, if it ran."""
        _, text, package = self.early[0]
        own = [entry for entry in package if entry.endswith(f":{name}")]
        if own:
            text = self.code_policy.package_use({"package": own[:1]}).replace(
                " ran during the call", " ran")
        return text

    def _early_reason(self, name: str) -> str:
        kind, text = self.early[0][0], self._early_text(name)
        if kind == "unseen":
            return (f"{name} could not be checked for own work: {text} in the kernel outside "
                    "the graded calls while the grader served this test, so what ran there "
                    "cannot be told; such a call earns no points")
        return (f"{name} uses the course package's own implementation ({text}, in the kernel "
                "outside the graded calls while the grader served this test: code hooked "
                "into what the grader or the kernel runs around a call is the student's "
                "code too): write the function yourself with numpy; answers that run the "
                "package's implementation earn no points")

    def _note_early(self, reply, counted: bool) -> None:
        """Read a reply's ``early`` part (:func:`dlgrade.judge_agent._early`); the findings of
        a cell's opening mark are dropped (the student's cells ran before it)."""
        early = reply.pop("early", None) if isinstance(reply, dict) else None
        if not counted or self.code_policy is None:
            return
        if not isinstance(early, dict):
            self.early.append(("unseen", "the grader's watch between calls did not answer", []))
            return
        unseen = [str(e)[:200] for e in early.get("unseen") or [] if isinstance(e, str)]
        if unseen:
            self.early.append(("unseen", "; ".join(unseen[:3]), []))
            return
        package = [str(e)[:300] for e in early.get("package") or [] if isinstance(e, str)]
        how = self.code_policy.package_use({"package": package, "other": early.get("other")})
        if how:
            self.early.append(("package", how.replace(" ran during the call", " ran"),
                               package[:300]))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_channels()

    def drain(self) -> None:
        """Read and drop what the kernel left unasked on the judge's sockets (each message
        through the bounded receive: one out of bounds stops the notebook, and nothing the
        kernel sends stays queued in this process)."""
        for channel in (self.client.shell_channel, self.client.stdin_channel):
            while True:
                try:
                    channel.get_msg(timeout=0)
                except Empty:
                    break

    def _broke(self, reason: str) -> JudgeError:
        """Mark the agent broken (the first reason stays) and return the error to raise: after
        one malformed reply nothing the kernel says can be trusted (review 21c, hole M)."""
        if self.broken is None:
            self.broken = reason[:500]
        return JudgeError(f"the judge's agent in the kernel was replaced or broken: {reason}")

    # -- values ---------------------------------------------------------------------------
    def _out(self, value):
        """Judge value -> tagged form: Remote back to its reference, functions as callbacks."""
        def other(obj):
            if type(obj) is Remote:
                return object.__getattribute__(obj, "_tag")
            if callable(obj):
                key = self._callback_ids.get(id(obj))
                if key is None or self._callbacks.get(key) is not obj:
                    key = len(self._callbacks) + 1
                    self._callbacks[key] = obj
                    self._callback_ids[id(obj)] = key
                if self._passed:
                    self._passed[-1].add(key)
                return {"t": "cb", "id": key}
            raise WireError(f"a {type(obj).__name__} cannot be sent to the student's code "
                            "(only numbers, text, numpy arrays and lists, tuples and dicts "
                            "of them, functions and the student's own objects)")
        return encode(value, other)

    def _reply_value(self, tagged, label=None):
        """:meth:`_in` for a value the kernel sent as a reply: a value the wire refuses means
        the agent was replaced or broken; the time decoding takes counts against the cell's
        budget (a reply built to be slow to read holds the student's clock, not the grader)."""
        t0 = time.monotonic()
        try:
            return self._in(tagged, label)
        except WireError as error:
            raise self._broke(f"a malformed reply ({error})") from None
        finally:
            self.cell_seconds += time.monotonic() - t0

    def _in(self, tagged, label=None):
        def other(obj):
            if obj["t"] == "cb":
                if obj["id"] not in self._callbacks:
                    raise WireError("unknown callback")
                return self._callbacks[obj["id"]]
            clean = {"t": "ref", "id": obj["id"]}
            for key in ("name", "type"):
                if isinstance(obj.get(key), str):
                    clean[key] = obj[key][:300]
            return Remote(self, clean, label)
        return decode(tagged, other, max_bytes=self.max_reply)

    # -- transport ------------------------------------------------------------------------
    def _expression(self, request: dict) -> str:
        return f"__import__({_AGENT!r}, fromlist=['handle']).handle({dumps(request)!r})"

    def _request(self, request: dict) -> dict:
        if self._fresh and not self._in_callback and self.code_policy is not None:
            self._fresh = False
            if request.get("op") == "get":
                # the cell's opening mark rides on its first request when that is a read of
                # names (it holds nothing of the judge's for a hook on its way in to see): the
                # agent marks before it serves it, one round trip less per test cell
                request = dict(request, mark=True)
            else:
                # the cell's opening mark: what ran before it (the student's cells) is not
                # counted
                self._note_early(self._send({"op": "mark"}), counted=False)
        reply = self._send(request)
        if not self._in_callback:
            self._note_early(reply, counted=request.get("op") != "start")
        return reply

    def _send(self, request: dict) -> dict:
        self.requests += 1
        if self.every_few is not None and self.requests % DRAIN_EVERY == 0:
            self.every_few()
        # the send itself waits at most what is left of the cell's budget (at least a
        # second: a kernel that reads takes a request at once): one whose shell thread stopped
        # reading would otherwise hold the grader for good (review 21i, finding 1)
        self.client.send_seconds = max(1.0, (self.timeout or DEFAULT_SEND_SECONDS)
                                       - self.cell_seconds)
        if self._in_callback:
            self.client.input(dumps({"k": "call", "req": request}))
            return self._serve(None)
        msg_id = self.client.execute("", silent=True, store_history=False, allow_stdin=True,
                                     stop_on_error=False,
                                     user_expressions={"r": self._expression(request)})
        if len(self.sent) < MAX_SENT:
            self.sent[msg_id] = self.cell
        return self._serve(msg_id)

    def _left(self, clock: dict) -> float:
        """Seconds to wait for the kernel now (at most 1); raises past the cell's budget.

        ``clock`` holds this request's ``start`` and the ``judge`` seconds its callbacks took;
        student time of requests made inside those callbacks is in ``cell_seconds`` already.
        """
        if self.timeout is None:
            return 1.0
        left = self.timeout - self.cell_seconds - _student_seconds(clock)
        if left <= 0:
            if self.interrupt is not None:
                with contextlib.suppress(Exception):
                    self.interrupt()
            self.timed_out = True
            raise CallTimeoutError(f"the student's code ran for more than {self.timeout:g} s "
                                   "in this test cell (an endless loop or a very slow "
                                   "function?)")
        return min(left, 1.0)

    def _serve(self, msg_id):
        """Wait for the reply to ``msg_id`` (or, inside a callback, the agent's next answer),
        serving the callbacks the student's code makes meanwhile; the time waited, less the
        callbacks', counts against the cell's budget (:meth:`start_cell`)."""
        clock = {"start": time.monotonic(), "judge": 0.0, "callbacks": 0}
        try:
            return self._wait(msg_id, clock)
        finally:
            self.cell_seconds += max(0.0, _student_seconds(clock))
            self.last_callbacks = clock["callbacks"]

    def _wait(self, msg_id, clock):
        poller = zmq.Poller()
        poller.register(self.client.shell_channel.socket, zmq.POLLIN)
        poller.register(self.client.stdin_channel.socket, zmq.POLLIN)
        while True:
            # a dropped connection or a refused message stops the wait (and the notebook)
            self.client.check_links(self.client.kernel_alive)
            events = dict(poller.poll(int(self._left(clock) * 1000)))
            if self.client.stdin_channel.socket in events:
                msg = self.client.get_stdin_msg(timeout=0)
                if msg["msg_type"] != "input_request":
                    continue
                try:
                    message = loads(msg["content"].get("prompt", ""), self.max_reply)
                except WireError as error:
                    raise self._broke(f"a malformed message ({error})") from None
                if not isinstance(message, dict):
                    raise self._broke("a message that is not a JSON object")
                if message.get("k") == "ret" and msg_id is None:
                    return message
                if message.get("k") == "cb":
                    clock["callbacks"] += 1
                    t0 = time.monotonic()
                    answer = self._run_callback(message)  # may serve nested requests
                    clock["judge"] += time.monotonic() - t0  # not the student's time
                    self.client.input(dumps(dict(answer, k="ret")))
                    continue
                raise self._broke("a message of an unknown kind")
            if self.client.shell_channel.socket in events:
                msg = self.client.get_shell_msg(timeout=0)
                if msg_id is None or msg["parent_header"].get("msg_id") != msg_id:
                    continue
                content = msg["content"]
                result = (content.get("user_expressions") or {}).get("r")
                if content.get("status") != "ok" or not isinstance(result, dict):
                    raise self._broke("the kernel refused the judge's request "
                                      f"({str(content.get('ename', content.get('status')))[:100]})")
                if result.get("status") != "ok":
                    raise self._broke("it failed to answer "
                                      f"({str(result.get('ename'))[:100]}: "
                                      f"{str(result.get('evalue'))[:300]})")
                text = (result.get("data") or {}).get("text/plain")
                if not isinstance(text, str) or len(text) > self.max_reply * 2:
                    raise self._broke("a reply that is not text or too long")
                try:
                    reply = ast.literal_eval(text)
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    raise self._broke("a reply that is not a string literal") from None
                if not isinstance(reply, str):
                    raise self._broke("a reply that is not a string")
                try:
                    message = loads(reply, self.max_reply)
                except WireError as error:
                    raise self._broke(f"a malformed reply ({error})") from None
                if not isinstance(message, dict):
                    raise self._broke("a reply that is not a JSON object")
                return message

    def _run_callback(self, message: dict) -> dict:
        key = message.get("id")
        if key not in self._callbacks:
            return {"exc": ["RuntimeError", "unknown judge function"]}
        if not any(key in passed for passed in self._passed):
            return {"exc": ["RuntimeError", "a function of the grader's was called after the "
                            "graded call it was passed to had ended"]}
        self._in_callback += 1
        try:
            if self._live and message.get("live"):
                self._write_back(message["live"], *self._live[-1])
            args = self._in(message.get("args"))
            kwargs = self._in(message.get("kwargs"))
            if not isinstance(args, list) or not isinstance(kwargs, dict) or \
                    not all(isinstance(k, str) for k in kwargs):
                return {"exc": ["TypeError", "malformed call of a judge function"]}
            value = self._callbacks[key](*args, **kwargs)
            return {"ok": self._out(value)}
        except Exception as error:  # noqa: BLE001 - goes back to the student's code as raised
            return {"exc": [type(error).__name__, str(error)[:4000]]}
        finally:
            self._in_callback -= 1

    def _checked(self, reply: dict) -> dict:
        if "fail" in reply:
            raise JudgeError(f"the judge's agent could not serve the request: "
                             f"{str(reply['fail'])[:500]}")
        return reply

    # -- operations -----------------------------------------------------------------------
    def get(self, names) -> dict:
        """Values of ``names`` in the student's namespace (missing names are left out)."""
        reply = self._checked(self._request({"op": "get", "names": sorted(names)}))
        found = reply.get("names")
        if not isinstance(found, dict):
            raise self._broke("a malformed reply (no names)")
        return {name: self._reply_value(tagged, label=name) for name, tagged in found.items()
                if isinstance(name, str) and name in names}

    def getattr(self, tag: dict, name: str):
        reply = self._checked(self._request({"op": "getattr", "obj": tag, "name": name}))
        # a property or __getattr__ of the student's runs there: vetted as a call is
        self._vet(tag, reply.get("ran"), self.last_callbacks)
        return self._result(reply, ())

    def call(self, tag: dict, args: tuple, kwargs: dict, in_place: bool = False):
        """Call the student's function on copies of ``args``/``kwargs``.

        The judge's arguments stay as they are, whatever the function does to its copies,
        unless ``in_place`` (a test asked for the changes with
        :func:`dlcourse.testing.call_in_place`): then they are written back after the call,
        and before every call back into the judge made meanwhile.
        """
        passed: set = set()  # the judge's functions among the arguments
        self._passed.append(passed)
        try:
            sent_args, sent_kwargs = self._out(list(args)), self._out(dict(kwargs))
        finally:
            self._passed.pop()
        request = {"op": "call", "fn": tag, "args": sent_args,
                   "kwargs": sent_kwargs, "errstate": np.geterr(),
                   "in_place": bool(in_place),
                   # numpy's global random state is the caller's: the student's function
                   # draws from (or reseeds) the judge's, as it would in one process; the
                   # judge restores its own state after each notebook (JudgedExecute)
                   "global_rng": encode(np.random.get_state())}  # noqa: NPY002
        if in_place:
            self._live.append((list(args), kwargs))
        self._passed.append(passed)
        try:
            reply = self._checked(self._request(request))
        finally:
            self._passed.pop()
            if in_place:
                self._live.pop()
        self._vet(tag, reply.get("ran"), self.last_callbacks)
        return self._result(reply, list(args), kwargs if in_place else None,
                            in_place=in_place)

    def _vet(self, tag: dict, ran, callbacks: int | None = None) -> None:
        """Fail the call if it ran the package's implementation; warn if it hid warnings."""
        if self.code_policy is None:
            return
        name = str(tag.get("name") or "your function")[:100]
        # read after every call, so that the next call is judged on its own
        held = self.processes.check() if self.processes is not None else None
        if self.early:  # the package ran (or the watch was off) outside the call, this cell
            self.package_users[tag.get("id")] = self._early_text(name)
            raise PackageCodeError(self._early_reason(name))
        if held:
            raise PackageCodeError(
                f"{name} could not be checked for own work: {held}, so what it ran cannot "
                "be told (a graded function must run alone in the grader's call: leave the "
                "processes of earlier cells alone); such a call earns no points")
        hidden = self.code_policy.silencing(ran)
        if hidden:
            warnings.warn_explicit(f"{name} switched warnings off while it ran ({hidden}), so "
                                   "an overflow could not be seen", SilencedWarning,
                                   "<student's code>", 0)
        how = self.code_policy.package_use(ran, callbacks)
        reason = self.code_policy.unseen(ran, callbacks)
        if how and reason:
            self.package_users[tag.get("id")] = how
            advice = (" (a graded function must run alone in the grader's call: shut down "
                      "thread pools and workers, e.g. executor.shutdown(), before the next "
                      "graded cell)" if "thread" in reason or "process" in reason else "")
            raise PackageCodeError(
                f"{name} could not be checked for own work: {reason}, so what it ran cannot "
                f"be told{advice}; such a call earns no points")
        if how:
            self.package_users[tag.get("id")] = how
            raise PackageCodeError(
                f"{name} uses the course package's own implementation ({how}): write the "
                "function yourself with numpy; answers that run the package's implementation "
                "earn no points")

    def origin(self, tag: dict, op: str = "origin"):
        """How the student's object reaches the dlcourse package or a framework (``op``
        "origin") or switches warnings off ("silences"), as its kernel sees it (text), or None.
        Untrusted like every answer of the kernel: it can only add findings to the judge's own
        reading of the source."""
        reply = self._checked(self._request({"op": op, "obj": tag}))
        # walking the object may run its code (a __getattr__): vetted as a call is
        self._vet(tag, reply.get("ran"), self.last_callbacks)
        if "ok" not in reply:
            if isinstance(reply.get("exc"), list):  # the object broke the walk: no pass
                raise JudgeError(f"the judge could not check {str(tag.get('name'))[:100]} in "
                                 f"the kernel ({str(reply['exc'][:2])[:300]})")
            raise self._broke("a malformed reply (no result)")
        found = self._reply_value(reply["ok"])
        return found[:300] if isinstance(found, str) else None

    def _write_back(self, changes, args, kwargs) -> None:
        """Apply the kernel's ``[[key, value], ...]`` argument changes to ``args``/``kwargs``."""
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, list) and len(change) == 2:
                key, value = self._in(change[0]), self._in(change[1])
                if type(key) is int and 0 <= key < len(args):
                    _copy_into(args[key], value)
                elif isinstance(key, str) and kwargs is not None and key in kwargs:
                    _copy_into(kwargs[key], value)

    def _result(self, reply: dict, args, kwargs=None, in_place: bool = False):
        for pair in reply.get("warn") or []:
            if isinstance(pair, list) and len(pair) == 2:
                name, message = (str(x)[:1000] for x in pair)
                category = getattr(builtins, name, None)
                if not (isinstance(category, type) and issubclass(category, Warning)):
                    category, message = UserWarning, f"{name}: {message}"
                warnings.warn_explicit(message, category, "<student's code>", 0)
        if in_place:
            self._write_back(reply.get("mut"), args, kwargs)
        if reply.get("global_rng") is not None:
            state = self._reply_value(reply["global_rng"])
            try:
                np.random.set_state(state)  # noqa: NPY002
            except (TypeError, ValueError):
                raise self._broke("a malformed random state") from None
        if "exc" in reply:
            exc = reply["exc"]
            if not (isinstance(exc, list) and len(exc) in (2, 3)):
                raise self._broke("a malformed reply (its exception)")
            name, message = str(exc[0])[:200], str(exc[1])[:4000]
            kind = getattr(builtins, name, None)
            error = RemoteError(f"{name}: {message}")
            if isinstance(kind, type) and issubclass(kind, Exception) and \
                    kind.__module__ == "builtins":
                with contextlib.suppress(TypeError):  # types with other constructors
                    error = kind(message)
            # where in the student's code it was raised (shown in the feedback)
            error.student_line = " ".join(str(exc[2] if len(exc) == 3 else "").split())[:300]
            raise error
        if "ok" not in reply:
            raise self._broke("a malformed reply (no result)")
        return self._reply_value(reply["ok"])


def _student_seconds(clock: dict) -> float:
    """Seconds a request has waited for the student's code: since ``clock["start"]``, less
    the ``clock["judge"]`` seconds spent in the judge's callbacks."""
    return time.monotonic() - clock["start"] - clock["judge"]


def _copy_into(target, value) -> None:
    """Make the judge's argument ``target`` equal to ``value`` in place, as the student's code
    changed its copy (arrays element by element, lists and dicts item by item)."""
    if isinstance(target, np.ndarray) and isinstance(value, np.ndarray):
        if target.shape == value.shape and target.flags.writeable:
            np.copyto(target, value, casting="unsafe")
    elif isinstance(target, np.random.Generator) and isinstance(value, np.random.Generator):
        if type(target.bit_generator) is type(value.bit_generator):
            target.bit_generator.state = value.bit_generator.state
    elif type(target) is list and isinstance(value, list):
        if len(target) == len(value):
            for i, item in enumerate(value):
                if isinstance(target[i], (np.ndarray, list, dict, np.random.Generator)):
                    _copy_into(target[i], item)
                else:
                    target[i] = item
        else:
            target[:] = value
    elif type(target) is dict and isinstance(value, dict):
        for key in [k for k in target if k not in value]:
            del target[key]
        for key, item in value.items():
            if key in target and isinstance(target[key], (np.ndarray, list, dict,
                                                          np.random.Generator)):
                _copy_into(target[key], item)
            else:
                target[key] = item


# --------------------------------------------------------------------------- test cells
