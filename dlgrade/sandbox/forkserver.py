"""A fork server: import ipykernel and numpy once, fork a fresh kernel per submission.

The course package ``dlcourse`` is never imported here (see :func:`_preload`).

One server runs per grading process (started on the first kernel launch, ended when the
grading process closes its socket). Every launch forks a new process from the server, so
no Python state is shared between two students' kernels: each gets a copy of a freshly
imported interpreter, then its own environment, folder, argv, seeds and sandbox.

Protocol: one JSON object per line over a Unix socket pair.

- ``{"op": "launch", "argv": [...], "env": {...}, "cwd": "..."}`` -> ``{"pid": N}``
- ``{"op": "wait", "pid": N}`` (after the pidfd reported the exit) -> ``{"code": C}``
- ``{"op": "release", "pid": N}`` kill if running, reap -> ``{"code": C}``
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading

from . import policy  # standard library only, as kernel_boot: cheap for the client side
from .kernel_boot import warnings_to_stdout

#: Modules imported once in the server (none of them starts a thread at import).
PRELOAD = (
    "numpy",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.iostream",
    "ipykernel.heartbeat",
    "ipykernel.control",
    "ipykernel.comm",
    "ipykernel.eventloops",
    "ipykernel.debugger",
    "IPython.core.interactiveshell",
    "IPython.core.completer",
    "IPython.core.history",
    "matplotlib_inline.backend_inline",
    "jupyter_client.session",
    "zmq.eventloop.zmqstream",
    "tornado.ioloop",
    "sqlite3",
    "pydoc",
    "dlgrade.sandbox.seal",
    # what every kernel imported after the fork (its shell, debugger and event loop set-up,
    # numpy.random for the reseed below): ~40 ms less per kernel. numpy's legacy global RNG
    # made here is reseeded from the OS in each kernel; Python's random reseeds at fork.
    "numpy.random",
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.core.completerlib",
    "IPython.core.logger",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "tornado.platform.asyncio",
    "faulthandler",
    "runpy",
    "secrets",
    # the judge's agent (dlgrade.judge_channel imports it in each kernel before the first
    # cell) and its recorder, fingerprints, thread watch and wire format: ~12 ms per kernel.
    # Nothing of it runs at import but its own table of the grader's code (_GRADER_CODE),
    # taken here before any student's code exists, as it would be in the kernel.
    "dlgrade.judge_agent",
)


#: Modules whose code the judge's agent runs in every judged notebook, for the kernel's check
#: that code naming a library or grader file is that file's (judge_code._genuine): their
#: code tables are read once here (:func:`_read_code_tables`). A name not imported is skipped.
CODE_TABLES = (
    "dlgrade.judge_agent", "dlgrade.judge_code", "dlgrade.judge_fingerprint",
    "dlgrade.judge_watch", "dlgrade.judge_wire",
    "inspect", "linecache", "traceback", "tokenize", "contextlib", "base64", "sysconfig",
    "codecs", "posixpath", "importlib._bootstrap",
    "numpy.lib._format_impl", "numpy.lib._npyio_impl", "numpy.lib._utils_impl",
    "numpy._core.multiarray", "numpy._core.fromnumeric", "numpy._core._methods",
    # the kernel's own work between the judge's requests (its message loop, IOPub thread,
    # reply serialisation, the shell's user expressions), which the tripwire records and
    # the recorder classifies: every kernel read these ~70 tables again, ~30 ms of CPU
    "dlgrade.judge_tripwire",
    "abc", "genericpath", "importlib._bootstrap_external", "_weakrefset", "ast", "dis",
    "enum", "hmac", "json", "json.decoder", "json.encoder", "logging",
    "multiprocessing.process", "queue", "re", "selectors", "signal", "textwrap", "threading",
    "typing", "warnings", "asyncio.base_events", "asyncio.base_futures",
    "asyncio.coroutines", "asyncio.events", "asyncio.locks", "asyncio.selector_events",
    "asyncio.tasks",
    "IPython", "IPython.core.async_helpers", "IPython.core.builtin_trap",
    "IPython.core.displaypub", "IPython.core.events", "IPython.core.formatters",
    "IPython.core.getipython", "IPython.core.inputtransformer2",
    "IPython.core.interactiveshell", "IPython.core.payload", "IPython.core.prefilter",
    "IPython.lib.pretty", "IPython.utils.dir2", "IPython.utils.tokenutil",
    "dateutil.parser.isoparser", "dateutil.tz.tz",
    "ipykernel.displayhook", "ipykernel.iostream", "ipykernel.ipkernel", "ipykernel.jsonutil",
    "ipykernel.kernelbase", "ipykernel.shellchannel", "ipykernel.subshell_manager",
    "ipykernel.utils", "ipykernel.zmqshell",
    "jupyter_client.adapter", "jupyter_client.jsonutil", "jupyter_client.session",
    "numpy._core._ufunc_config", "tornado.ioloop", "tornado.platform.asyncio",
    "traitlets.config.configurable", "traitlets.traitlets",
    "zmq.eventloop.zmqstream", "zmq.sugar.attrsettr", "zmq.sugar.socket",
)


# --------------------------------------------------------------------- server side
def _read_code_tables() -> None:
    judge_code = sys.modules.get("dlgrade.judge_code")
    if judge_code is not None:  # preloaded with the agent (PRELOAD)
        judge_code.read_code_tables(CODE_TABLES)
        # the same files' code classified as the kernel's recorders classify it (the
        # grader's own folder skipped as the agent's records skip it): ~40 ms per kernel
        agent = sys.modules.get("dlgrade.judge_agent")
        if agent is not None:
            judge_code.classify_loaded(CODE_TABLES, agent._GRADER)
        # sys.getprofile answers None for the grader's own profilers from the start: each
        # judged kernel did it at its first tripwire, a walk of every object that refers to
        # the built-in (gc.get_referrers), ~30 ms of CPU; the forked kernel inherits the
        # replaced name in ``sys`` and in CPython's copy of its namespace alike
        judge_code.hide_profilers()


def _preload() -> None:
    import importlib

    extra = os.environ.get("DLCOURSE_FORKSERVER_PRELOAD", "")
    names = PRELOAD + tuple(n for n in extra.split(",") if n)
    # Nothing of the course package: every kernel is a copy of this process's memory, and a
    # judged kernel must hold no implementation of it (its folder shows the kernel build,
    # dlgrade.sandbox.kernel_package; review 21e). Each kernel imports what its cells import.
    names = tuple(n for n in names if n.partition(".")[0] != "dlcourse")
    for name in dict.fromkeys(names):
        threads = threading.active_count()
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a missing optional module only costs speed
            print(f"dlcourse forkserver: cannot preload {name}: {exc}", file=sys.stderr)
            continue
        if threading.active_count() > threads:
            print(f"dlcourse forkserver: preloading {name} started a thread; forking with "
                  "threads running is unsafe, so list it in no notebook of the source "
                  "folder or switch the fork server off (DLCOURSE_FORKSERVER=0)", file=sys.stderr)


#: The fork server's own settings, kept in its environment besides what a kernel may see.
SERVER_ENV_NAMES = ("DLCOURSE_FORKSERVER_PRELOAD", "DLCOURSE_FORKSERVER_DEBUGPY")


def server_env(environ) -> dict:
    """The fork server's environment: the variables of ``environ`` a kernel may see
    (:func:`dlgrade.sandbox.policy.allowed_env`) and the server's own settings, with the
    imports of the source notebooks (``DLCOURSE_FORKSERVER_SOURCES``) added to
    ``DLCOURSE_FORKSERVER_PRELOAD``.

    Every kernel is a copy of the server's memory: its exec'd environment block and
    ``os.environ`` are inherited by each kernel, so the server is never given a secret
    (the grader's whole environment was, review 21k, finding 1).

    The notebooks are read here, in the grading process, and never by the server: every
    kernel is a copy of the server's memory, and text the server once read (a solution, a
    hidden test) could be found there by a student's code.
    """
    env = policy.allowed_env(environ, policy.KERNEL_ENV_NAMES + SERVER_ENV_NAMES)
    sources = environ.get("DLCOURSE_FORKSERVER_SOURCES", "")
    if sources:
        extra = [n for n in env.get("DLCOURSE_FORKSERVER_PRELOAD", "").split(",") if n]
        names = dict.fromkeys(extra + list(source_imports(sources)))
        env["DLCOURSE_FORKSERVER_PRELOAD"] = ",".join(names)
    return env


def notebook_imports(path: str) -> list[str]:
    """Absolute module names a notebook's code cells import (``import a.b``, ``from a.b import c``).

    Only the instructor's source notebooks are read this way (never a submission), so the
    fork server can import what the tests will import once instead of once per student:
    scikit-learn alone costs ~0.9 s per kernel. Cells that do not parse are skipped. Called
    in the grading process only (see :func:`server_env`).
    """
    import ast

    try:
        with open(path, encoding="utf-8") as fh:
            cells = json.load(fh).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    names = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        # IPython-only lines (magics, shell escapes) are not Python
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                         for line in source.splitlines())
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.append(node.module)
    return list(dict.fromkeys(names))


def package_imports(module: str) -> list[str]:
    """The other packages a course-package module (``dlcourse.data``) imports, in functions too.

    The package itself is never preloaded (see :func:`_preload`), but what its modules import is
    paid again in every kernel that imports them: ``dlcourse.data.load_digits`` imports
    scikit-learn when first called (~1.75 s of CPU in each exercise-08 kernel). The module's
    source is read as text here, in the grading process, from the installed package; nothing of
    it is run. Any other module gives []."""
    import ast
    import importlib.util

    top, _, rest = module.partition(".")
    if top != "dlcourse" or not rest:
        return []
    try:
        spec = importlib.util.find_spec(top)
        root = os.path.dirname(spec.origin) if spec and spec.origin else None
        if root is None:
            return []
        path = os.path.join(root, *rest.split("."))
        if os.path.isdir(path):
            path = os.path.join(path, "__init__")
        with open(path + ".py", encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (ImportError, ValueError, OSError, SyntaxError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return [name for name in dict.fromkeys(names)
            if name.partition(".")[0] not in ("dlcourse", "__future__")]


def source_imports(folder: str) -> tuple:
    """Modules imported by the notebooks of ``folder/<assignment>/*.ipynb`` (installed ones)."""
    import glob
    import importlib.util

    found = []
    for path in sorted(glob.glob(os.path.join(folder, "*", "*.ipynb"))):
        found += notebook_imports(path)
    found += [name for module in found for name in package_imports(module)]
    names = []
    for name in dict.fromkeys(found):
        try:
            if importlib.util.find_spec(name.partition(".")[0]) is not None:
                names.append(name)
        except (ImportError, ValueError):
            pass
    return tuple(names)


def _debug(what: str) -> None:
    """With ``DLCOURSE_SANDBOX_DEBUG`` set, a timestamped line with this process's CPU time so
    far on the real stderr (after ``initialize``, ``sys.stderr`` is the kernel's IOPub, and
    ipykernel has put a pipe into IOPub on file descriptor 2 too: the line goes to its copy
    of the real one)."""
    if os.environ.get("DLCOURSE_SANDBOX_DEBUG"):
        import resource
        import time

        usage = resource.getrusage(resource.RUSAGE_SELF)
        line = (f"[{time.monotonic():.3f} {os.getpid()} cpu "
                f"{usage.ru_utime + usage.ru_stime:.3f}] {what}\n")
        real = getattr(sys.stderr, "_original_stdstream_copy", None)
        if isinstance(real, int):
            os.write(real, line.encode())
        else:
            sys.__stderr__.write(line)
            sys.__stderr__.flush()


def _run_ipykernel(argv: list[str], env: dict) -> int:
    """Run an IPython kernel in this (forked) process, as ``python -m ipykernel_launcher``."""
    import threading as _threading

    os.environ.clear()
    os.environ.update(env)
    os.environ["JPY_PARENT_PID"] = "1"  # no parent-poller thread: PDEATHSIG ends the kernel
    # IPKernelApp reads JPY_PARENT_PID when the class is imported (in the server), so say it
    # on the command line: 1 = no parent-poller thread and no "Ctrl-C" banner on stderr.
    sys.argv = ["ipykernel_launcher", *argv, "--IPKernelApp.parent_handle=1"]
    sys.path[0] = os.getcwd()  # as for ``python -m``: the kernel's folder comes first
    try:  # the stock kernel seeds numpy's legacy global RNG from the OS at import
        import numpy as np

        np.random.seed()  # noqa: NPY002 - the legacy global state students may touch
    except ImportError:
        pass
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    _debug("initialize")
    app.initialize()
    warnings_to_stdout()
    # matplotlib was imported in the server, before ipykernel chose the inline backend
    # through MPLBACKEND: apply the kernel's choice as a fresh import would.
    mpl = sys.modules.get("matplotlib")
    if mpl is not None and os.environ.get("MPLBACKEND"):
        mpl.rcParams["backend"] = os.environ["MPLBACKEND"]
    if os.environ.pop("DLCOURSE_SANDBOX_SEAL", "") == "1":
        from .seal import seal

        seal()  # the kernel's sockets are bound: from now on no new Unix socket
    if os.environ.get("DLCOURSE_SANDBOX_DEBUG"):  # the kernel's CPU time cell by cell
        app.shell.events.register("post_run_cell", lambda result: _debug("cell done"))
    _debug("start")
    app.start()
    # Graceful shutdown: close ipykernel's channels (flushes IOPub, joins the control and
    # shell threads), then wait for any thread the student left running, briefly.
    try:
        app.close()
    except Exception:  # noqa: BLE001 - leaving anyway
        pass
    for thread in _threading.enumerate():
        if thread is not _threading.main_thread() and not thread.daemon:
            thread.join(timeout=1.0)
    sys.stdout.flush()
    sys.stderr.flush()
    return 0


def _child(request: dict) -> None:
    """In the forked child: become the waiter (or the kernel) of one submission."""
    code = 1
    try:
        os.closerange(3, 1 << 16)  # nothing of the server's (its socket above all) survives
        os.setsid()
        from . import jail  # already imported by the server

        jail.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        from .launch import run

        _debug("forked")
        code = run(request["argv"], request["env"], _run_ipykernel)
    except BaseException as exc:  # noqa: BLE001
        print(f"dlcourse forkserver child: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else 1)


def serve(fd: int) -> None:
    """Main loop of the server process (``python -m dlgrade.sandbox.forkserver FD``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grading process's to handle
    sock = socket.socket(fileno=fd)
    # Graded kernels need no debugger: without debugpy (0.4 s of imports per kernel, and
    # pydevd's fork hooks) ipykernel simply starts without its debugger.
    if not os.environ.get("DLCOURSE_FORKSERVER_DEBUGPY"):
        sys.modules["debugpy"] = None
    _preload()
    _read_code_tables()
    from . import jail, launch  # noqa: F401 - imported before forking, not per kernel

    reader = sock.makefile("rb")

    def reply(obj):
        sock.sendall(json.dumps(obj).encode() + b"\n")

    reply({"ready": True, "pid": os.getpid(), "threads": threading.active_count()})
    children: set[int] = set()
    for line in reader:
        request = json.loads(line)
        op = request.get("op")
        if op == "launch":
            pid = os.fork()
            if pid == 0:
                _child(request)
            children.add(pid)
            reply({"pid": pid})
        elif op in ("wait", "release"):
            pid = int(request["pid"])
            if pid not in children:
                reply({"code": None})
                continue
            if op == "release":
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            _, status = os.waitpid(pid, 0)
            children.discard(pid)
            reply({"code": os.waitstatus_to_exitcode(status)})
        else:
            reply({"error": f"unknown op {op!r}"})
    for pid in children:  # the grading process is gone: so are its kernels
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass


# --------------------------------------------------------------------- client side
class ForkServer:
    """Handle on the fork server of this grading process (see :func:`get_server`)."""

    def __init__(self, wait: bool = True) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dlgrade.sandbox.forkserver", str(child.fileno())],
            pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, close_fds=True,
            env=server_env(os.environ),  # allowed variables only: no secret to inherit
        )
        child.close()
        self._sock = parent
        self._reader = parent.makefile("rb")
        self.owner_pid = os.getpid()
        self._ready = False
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait for the server's hello (its imports done); raises if it failed to start."""
        if self._ready:
            return
        hello = self._receive()
        if not hello.get("ready"):
            raise RuntimeError(f"dlcourse fork server failed to start: {hello}")
        self._ready = True

    def _receive(self) -> dict:
        line = self._reader.readline()
        if not line:
            raise RuntimeError("dlcourse fork server exited (see its messages above)")
        return json.loads(line)

    def request(self, **req) -> dict:
        with self._lock:
            self.wait_ready()
            self._sock.sendall(json.dumps(req).encode() + b"\n")
            return self._receive()

    def alive(self) -> bool:
        return self.process.poll() is None and self.owner_pid == os.getpid()

    def close(self) -> None:
        try:  # the reader shares the socket's descriptor: both must go for the server to see EOF
            self._reader.close()
            self._sock.close()
            self.process.wait(timeout=5)
        except Exception:  # noqa: BLE001
            self.process.kill()


_SERVER: ForkServer | None = None
_SERVER_LOCK = threading.Lock()
_AT_EXIT = False


def enabled(env=None) -> bool:
    """True unless ``DLCOURSE_FORKSERVER=0`` (then every kernel is exec'd through the wrapper)."""
    env = os.environ if env is None else env
    return env.get("DLCOURSE_FORKSERVER", "1").strip().lower() not in {"0", "false", "no", "off"}


def get_server(wait: bool = True) -> ForkServer:
    """The fork server of this process, started on first use (again after a fork or crash).

    With ``wait=False`` a server being started is returned before its imports are done (its
    first request waits for them): a grading process starts its server this way as soon as
    it is set up, so the server loads while the first submission is prepared.
    """
    global _SERVER, _AT_EXIT
    with _SERVER_LOCK:
        if _SERVER is None or not _SERVER.alive():
            _SERVER = ForkServer(wait=wait)
            if not _AT_EXIT:  # end it with this process, not at garbage collection
                import atexit

                atexit.register(_close_at_exit)
                _AT_EXIT = True
        elif wait:  # started early (wait=False): its imports must be done now
            with _SERVER._lock:
                _SERVER.wait_ready()
        return _SERVER


def _close_at_exit() -> None:
    # only the process that started the server ends it (a forked child inherits this hook)
    if _SERVER is not None and _SERVER.owner_pid == os.getpid():
        shutdown()


def shutdown() -> None:
    """End this process's fork server (the next kernel launch starts a new one)."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is not None:
            _SERVER.close()
        _SERVER = None


if __name__ == "__main__":
    serve(int(sys.argv[1]))
