"""The kernelspec's wrapper: start an IPython kernel inside the grading sandbox.

The kernelspec runs ``python .../dlgrade/sandbox/launch.py -f {connection_file} [args]``.
This process becomes the *waiter* (see :mod:`dlgrade.sandbox.jail`); the kernel itself is
``python -m ipykernel_launcher -f {connection_file} [args]``, exec'd in the sandbox. The fork
server (:mod:`dlgrade.sandbox.forkserver`) reuses :func:`run` with a kernel that is
started in-process instead of exec'd.

With ``DLCOURSE_SANDBOX=0`` the wrapper only execs the stock kernel.
"""

from __future__ import annotations

import glob
import os
import sys

if __package__ in (None, ""):  # run as a script: keep start-up free of dlcourse's numpy imports
    sys.path[0] = os.path.dirname(os.path.abspath(__file__))
    import jail  # type: ignore[no-redef]
    import policy as policy_mod  # type: ignore[no-redef]
else:
    from . import jail
    from . import policy as policy_mod


def connection_file_of(argv: list[str]) -> str:
    """The value of ``-f`` in the kernel's arguments; ValueError when it is missing."""
    for i, arg in enumerate(argv):
        if arg == "-f" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--f=") or arg.startswith("--IPKernelApp.connection_file="):
            return arg.split("=", 1)[1]
    raise ValueError(f"argv: expected '-f CONNECTION_FILE' among the arguments, got {argv!r}")


def _read_matplotlib_cache(grader_env) -> dict:
    """The grader's matplotlib font list, so matplotlib does not rebuild it in every kernel."""
    homes = [grader_env.get("MPLCONFIGDIR", ""), os.path.expanduser("~/.cache/matplotlib"),
             os.path.expanduser("~/.matplotlib")]
    for folder in homes:
        found = glob.glob(os.path.join(folder, "fontlist-*.json")) if folder else []
        if found:
            out = {}
            for path in found:
                with open(path, "rb") as fh:
                    out[os.path.basename(path)] = fh.read()
            return out
    return {}


def _write_home(files: dict) -> None:
    os.makedirs("/tmp/home/.matplotlib", exist_ok=True)
    for name, data in files.items():
        with open(os.path.join("/tmp/home/.matplotlib", name), "wb") as fh:
            fh.write(data)


def run(argv: list[str], env, start_kernel) -> int:
    """Start ``start_kernel(argv, kernel_env)`` sandboxed (or not); return the exit code.

    Parameters
    ----------
    argv : list of str
        The kernel's arguments (``-f CONNECTION_FILE`` and extra ones).
    env : mapping
        The environment the kernel was given by the grader (policy is read from it).
    start_kernel : callable
        Runs the kernel in the calling process (execs or serves); returns an exit code.
    """
    if not policy_mod.enabled(env):
        return start_kernel(argv, dict(env))
    try:
        policy = policy_mod.Policy.for_kernel(os.getcwd(), connection_file_of(argv), env)
    except ValueError as exc:
        print(f"dlcourse sandbox: {exc}", file=sys.stderr, flush=True)
        return jail.EXIT_SANDBOX_FAILED
    kernel_env = policy_mod.kernel_env(env)

    fonts = _read_matplotlib_cache(env)  # read as root, before /tmp is replaced

    def in_sandbox():  # runs after jail.enter: unprivileged, in the private view
        _write_home(fonts)
        return start_kernel(argv, kernel_env)

    return jail.spawn(policy, in_sandbox)


def _exec_ipykernel(argv: list[str], env) -> int:
    boot = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_boot.py")
    os.execve(sys.executable, [sys.executable, boot, *argv], env)
    return 1  # not reached


def main(argv: list[str] | None = None) -> None:
    """Entry point of the kernelspec's ``argv``."""
    argv = sys.argv[1:] if argv is None else argv
    sys.exit(run(argv, os.environ, _exec_ipykernel))


if __name__ == "__main__":
    main()
