"""Install the sandboxed kernelspec into the venv (idempotent; rewritten when stale)."""

from __future__ import annotations

import json
import os
import sys

KERNEL_NAME = "dlcourse-sandbox"
PROVISIONER_NAME = "dlcourse-sandbox"


def kernelspec_dict(python: str | None = None) -> dict:
    """The kernel.json content: the wrapper, an in-memory history, our provisioner."""
    python = python or sys.executable
    launcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py")
    return {
        "argv": [python, launcher, "-f", "{connection_file}",
                 "--HistoryManager.hist_file=:memory:"],
        "display_name": "Python 3 (dlcourse grading sandbox)",
        "language": "python",
        "interrupt_mode": "signal",
        "env": {},
        "metadata": {
            "debugger": False,
            "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME, "config": {}},
        },
    }


def kernelspec_dir(prefix: str | None = None) -> str:
    """``<prefix>/share/jupyter/kernels/dlcourse-sandbox`` (prefix: this venv)."""
    return os.path.join(prefix or sys.prefix, "share", "jupyter", "kernels", KERNEL_NAME)


def install_kernelspec(prefix: str | None = None) -> str:
    """Write the kernelspec if it is missing or differs; return its folder.

    Safe to call from every nbgrader process: an unchanged spec is not rewritten, and a
    changed one is replaced atomically.
    """
    folder = kernelspec_dir(prefix)
    path = os.path.join(folder, "kernel.json")
    wanted = kernelspec_dict()
    try:
        with open(path) as fh:
            if json.load(fh) == wanted:
                return folder
    except (OSError, ValueError):
        pass
    os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        json.dump(wanted, fh, indent=1)
    os.replace(tmp, path)
    return folder
