"""How every graded kernel starts: ``python -m ipykernel_launcher`` with warnings on stdout.

Run as a script by the sandbox wrapper (:mod:`dlgrade.sandbox.launch`, exec path); the fork
server calls :func:`warnings_to_stdout` in each forked kernel. Standard library only, and no
name of it is left in the kernel.
"""

import sys


def warnings_to_stdout() -> None:
    """Show Python warnings on the kernel's stdout instead of its stderr.

    nbgrader gives 0 points to a test cell with *any* stderr output, so a harmless warning
    raised while a test runs a student's correct code (a library's DeprecationWarning, a
    ConvergenceWarning, an overflow inside ``np.where``) would cost the whole cell without a
    word of explanation. The course's tests check warnings where they matter, as assertions
    (``dlcourse.testing.assert_no_warnings``); everywhere else a warning is shown, not scored.
    """
    import warnings

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if file is not None and file is not sys.stderr:
            return default(message, category, filename, lineno, file, line)
        try:
            sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))
        except Exception:  # noqa: BLE001 - as the default: showing a warning never raises
            pass
        return None

    warnings.showwarning = show


if __name__ == "__main__":
    import runpy

    warnings_to_stdout()
    del sys.path[0]  # this file's folder: the kernel's imports start from its working folder
    sys.path.insert(0, "")
    sys.argv[0] = "ipykernel_launcher"
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
