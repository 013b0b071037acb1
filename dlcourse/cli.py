"""The ``dlcourse`` command.

Students run ``dlcourse check NOTEBOOK`` (:mod:`dlcourse.selfcheck`). The instructors'
subcommands (``release``, ``collect``, ``grade``, ``report``) belong to the grading tool
``dlgrade``, installed with ``pip install 'dlcourse[grading]'``. This module finds them through
the ``dlcourse.commands`` entry points (name = a click command) and never imports ``dlgrade``
itself; without the extra, such a command says what to install and exits 1.

Exit status of ``dlcourse check``: 0 when every function of every notebook passes its visible
tests, 1 when a function fails or a notebook has a problem (a modified locked cell), 2 for bad
usage (no such file, not an exercise notebook, unknown option).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys

COMMAND_GROUP = "dlcourse.commands"
GRADING_EXTRA = "pip install 'dlcourse[grading]'"
#: Options of ``dlcourse`` itself, before the command name, and whether they take a value.
_GLOBAL_OPTIONS = {"--course": True, "--output": True, "-h": False, "--help": False}


def instructor_commands() -> dict[str, importlib.metadata.EntryPoint]:
    """The subcommands other packages register for ``dlcourse``, by name (none are loaded)."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=COMMAND_GROUP)}


def _parser(commands) -> argparse.ArgumentParser:
    listing = ["commands:", "  check      run the visible tests of an exercise notebook (students)"]
    listing += [f"  {name:<10} instructors: see `dlcourse {name} --help` (needs the grading "
                f"extra)" for name in sorted(commands)]
    parser = argparse.ArgumentParser(
        prog="dlcourse", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Command line of the Introduction to Deep Learning course.",
        epilog="\n".join(listing))
    parser.add_argument("--course", help="instructors: course folder holding nbgrader_config.py "
                                         "(default: the nearest one at or above this folder)")
    parser.add_argument("--output", help="instructors: folder for the per-assignment outputs "
                                         "(default: <course>/grading)")
    parser.add_argument("command", choices=["check", *sorted(commands)], metavar="COMMAND",
                        help="check, or one of the instructors' commands below")
    return parser


def _split(argv: list[str]) -> int:
    """Index of the command name: the first word that is not a global option or its value."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        takes_value = _GLOBAL_OPTIONS.get(argv[i], False) and "=" not in argv[i]
        i += 2 if takes_value else 1
    return i


def _run_instructor_command(entry_point, args: list[str], obj: dict) -> int:
    try:
        command = entry_point.load()
    except ImportError as exc:
        print(f"dlcourse {entry_point.name}: this command belongs to the instructors' grading "
              f"tool, whose dependencies are not installed (missing: {exc.name or exc}).\n"
              f"Install them with:  {GRADING_EXTRA}", file=sys.stderr)
        return 1
    try:
        command.main(args=args, prog_name=f"dlcourse {entry_point.name}", obj=obj)
    except SystemExit as exc:  # click's standalone mode always ends with SystemExit
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dlcourse`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = instructor_commands()
    at = _split(argv)
    args = _parser(commands).parse_args(argv[:at + 1])
    rest = argv[at + 1:]
    if args.command == "check":
        from .selfcheck import main as check_main

        return check_main(rest, prog="dlcourse check")
    try:
        return _run_instructor_command(commands[args.command], rest,
                                       {"course": args.course, "output": args.output})
    except KeyboardInterrupt:  # Ctrl-C while the command was still loading
        print(f"dlcourse {args.command}: interrupted before it began; nothing was changed",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
