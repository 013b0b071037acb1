"""The grading sandbox: every student's kernel runs isolated and resource-capped.

Use from ``nbgrader_config.py``::

    from dlgrade.sandbox import configure_nbgrader
    configure_nbgrader(c)

which installs the ``dlcourse-sandbox`` kernelspec into this venv (if missing or stale) and
makes nbgrader run every notebook with it. The kernelspec's provisioner
(:mod:`dlgrade.sandbox.provisioner`) starts kernels through a per-process fork server
(:mod:`dlgrade.sandbox.forkserver`) and the sandbox (:mod:`dlgrade.sandbox.jail`, which puts
in order :mod:`~dlgrade.sandbox.syscalls`, :mod:`~dlgrade.sandbox.view` (the kernel's allow-list
view of the host), :mod:`~dlgrade.sandbox.limits`, :mod:`~dlgrade.sandbox.userns` and
:mod:`~dlgrade.sandbox.relay`; what to hide and which limits come from
:mod:`dlgrade.sandbox.policy`).

Switches (environment of the grading process): ``DLCOURSE_SANDBOX=0`` (no isolation),
``DLCOURSE_FORKSERVER=0`` (exec each kernel), limits in :mod:`dlgrade.sandbox.policy`.
"""

from __future__ import annotations

import os

from .kernelspec import KERNEL_NAME, install_kernelspec

__all__ = ["KERNEL_NAME", "configure_nbgrader", "install_kernelspec", "require_available"]


def require_available() -> None:
    """Raise RuntimeError with a clear message if the sandbox is on but cannot be entered."""
    from . import jail, policy

    if policy.enabled():
        problem = jail.probe()
        if problem is not None:
            raise RuntimeError(jail.unavailable_message(problem, policy.rootless_mode()))


def configure_nbgrader(c, hide=()) -> None:
    """Make nbgrader execute every notebook in the sandboxed kernel.

    Parameters
    ----------
    c : traitlets.config.Config
        The ``c`` of ``nbgrader_config.py``.
    hide : sequence of str, optional
        Extra paths (relative to the course folder or absolute) the kernels must not read,
        e.g. the folder where grade reports are written.
    """
    from ..outputs import install as cap_outputs

    install_kernelspec()
    cap_outputs(c)  # saved output capped in bytes per cell and per notebook
    c.Execute.kernel_name = KERNEL_NAME
    # Kill the kernel at the end instead of a graceful shutdown round-trip (nbclient's
    # NotebookClient.shutdown_kernel, honoured by nbgrader 0.9.6's Execute preprocessor).
    c.Execute.shutdown_kernel = "immediate"
    c.AsyncKernelManager.client_class = "dlgrade.sandbox.client.SandboxKernelClient"
    # The fork server imports what the source notebooks import (e.g. scikit-learn for a
    # hidden test) once, instead of every student's kernel importing it again. A relative
    # folder is taken from the grading process's folder, the course root.
    source = c.CourseDirectory.get("source_directory", "source")
    root = c.CourseDirectory.get("root", "")
    os.environ["DLCOURSE_FORKSERVER_SOURCES"] = os.path.join(root, source) if root else source
    if hide:
        old = [p for p in os.environ.get("DLCOURSE_SANDBOX_HIDE", "").split(os.pathsep) if p]
        os.environ["DLCOURSE_SANDBOX_HIDE"] = os.pathsep.join(old + [str(p) for p in hide])
