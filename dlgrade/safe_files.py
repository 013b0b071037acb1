"""Submitted folders are untrusted data: read and copy regular files only, within limits.

A student's submission folder may hold more than a notebook, and anything in it may be a trap
for whoever copies it with the grader's rights: a symbolic link to the solutions or to
``/proc/self/environ`` (copied as the file it points to), a hard link to a secret file, a
named pipe or a device (a copy that never ends), a file of many gigabytes, thousands of
files. Every copy the grading side makes goes through this module:

- :func:`survey` looks at a folder without following anything (``lstat``) and sorts its
  entries into files to take and :class:`Refusal` records (which file, why);
- :func:`read_folder` reads the accepted files (``O_NOFOLLOW``, checked again after opening,
  at most the size limit) as ``{relative path: bytes}``: the Dask task's payload
  (:mod:`dlgrade.cluster`), :func:`dlgrade.collect.collect`, the submission hash;
- :func:`before_autograde` keeps plain ``nbgrader autograde`` (whose own copy follows links)
  from copying refused entries: it never deletes what holds data (a refused file or folder
  of the student's stays in ``submitted/`` and is only left out of the copy); it removes only
  entries with no data of their own (links, pipes, sockets, devices). :func:`install` also
  cleans an autograded folder before ``nbgrader generate_feedback`` copies it
  (:func:`sanitize_folder`, the grader's own folder) and makes feedback folders hold the
  rendered pages only (:class:`KeepFeedbackPagesOnly`).

What may travel beside a notebook (:data:`SUBMISSION`): regular files (a file with several
names only where the kernel protects hard links, :func:`hard_links_protected`), with a
suffix in :data:`ALLOWED_SUFFIXES` (other notebooks, helper ``.py`` modules, which
:func:`dlgrade.scan.scan_extra_files` reads, small text, tables, arrays and pictures),
at most :attr:`FilePolicy.max_file_bytes` each (notebooks :attr:`FilePolicy.max_notebook_bytes`),
:attr:`FilePolicy.max_files` files, :attr:`FilePolicy.max_total_bytes` in all and folders
:attr:`FilePolicy.max_depth` deep. The regular files in ``.ipynb_checkpoints``, ``__MACOSX``
and ``__pycache__`` are skipped silently, as nbgrader does; a link, pipe or device hidden there
is refused like anywhere else (a finding, not a silent drop).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import logging
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets.config import Application

from .printable import has_controls, printable

#: What may be handed in beside the notebooks (lower-case suffixes).
ALLOWED_SUFFIXES = frozenset({
    ".ipynb", ".py", ".txt", ".md", ".csv", ".tsv", ".json", ".npy", ".npz",
    ".png", ".jpg", ".jpeg", ".gif",
})
#: Folders nobody grades (editor and archiver leftovers): skipped, never copied.
SKIPPED_DIRS = frozenset({".ipynb_checkpoints", "__MACOSX", "__pycache__"})
SKIPPED_FILES = frozenset({".DS_Store"})

MB = 1 << 20
_CONTROL_NAME = ("a name with control characters (shown escaped; a terminal would run them as "
                 "commands)")
PROTECTED_HARDLINKS = "/proc/sys/fs/protected_hardlinks"


@functools.cache
def hard_links_protected() -> bool:
    """Whether the kernel lets a user hard-link only files they own or may read and write
    (``fs.protected_hardlinks = 1``, Debian's default; read once). Then a second name gives
    nobody a file they could not read already, and a file with several names (an instructor's
    ``cp -al`` backup of ``submitted/``) is copied like any regular file."""
    try:
        with open(PROTECTED_HARDLINKS) as f:
            return f.read().strip() == "1"
    except OSError:
        return False


def _hard_link_refused(st: os.stat_result, allowed: bool) -> bool:
    return st.st_nlink > 1 and not allowed and not hard_links_protected()


_HARD_LINK_WHY = ("the kernel does not protect hard links here (fs.protected_hardlinks = 0), "
                  "so it may be someone else's file")
#: nbgrader's record of when a submission was handed in, beside its notebooks
NBGRADER_TIMESTAMP = "timestamp.txt"


@dataclass(frozen=True)
class FilePolicy:
    """What a folder may hold to be copied: suffixes (``None``: any), sizes and counts."""

    suffixes: frozenset | None = ALLOWED_SUFFIXES
    max_file_bytes: int = 5 * MB
    max_notebook_bytes: int = 20 * MB
    max_files: int = 50
    max_total_bytes: int = 50 * MB
    max_depth: int = 4
    names: frozenset | None = None  # if given: the only relative paths allowed
    #: the instructor's own files may have several names (a student's hard link to one must
    #: not stop the grading of everybody)
    hard_links: bool = False

    def limit(self, rel: str) -> int:
        return self.max_notebook_bytes if rel.endswith(".ipynb") else self.max_file_bytes


#: A student's submission folder of one assignment (an honest notebook with many plots passes
#: 20 MB: 50 MB a notebook, review 21g DEL).
SUBMISSION = FilePolicy(max_notebook_bytes=50 * MB, max_total_bytes=100 * MB)
#: The instructor's own source and release folders (any file, larger limits; links refused).
COURSE = FilePolicy(suffixes=None, max_file_bytes=200 * MB, max_notebook_bytes=200 * MB,
                    max_files=2000, max_total_bytes=1024 * MB, max_depth=8, hard_links=True)
#: A folder or unpacked archive of everyone's submissions (``dlcourse collect``): only its
#: notebooks are read (50 MB each, as graded, 500 MB in all; :class:`dlgrade.archive.ArchiveLimits`
#: changes both), other files are reported as ignored.
COLLECT = FilePolicy(suffixes=frozenset({".ipynb"}),
                     max_notebook_bytes=SUBMISSION.max_notebook_bytes,
                     max_files=100_000, max_total_bytes=500 * MB, max_depth=8)
#: An autograded folder: the sanitized submission plus the instructor's files of the assignment
#: (any suffix; still regular files only, within limits).
AUTOGRADED = FilePolicy(suffixes=None, max_file_bytes=50 * MB, max_notebook_bytes=50 * MB,
                        max_files=200, max_total_bytes=200 * MB, max_depth=4)
#: A feedback folder: rendered pages only.
FEEDBACK = FilePolicy(suffixes=frozenset({".html"}), max_depth=0,
                      max_file_bytes=50 * MB, max_total_bytes=200 * MB)


@dataclass(frozen=True)
class Refusal:
    """A file (or folder) that was not copied, and why, in plain words."""

    path: str
    reason: str

    def describe(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Survey:
    """:func:`survey`'s answer: accepted files (relative path -> lstat result), refusals."""

    accepted: dict = field(default_factory=dict)
    refused: list = field(default_factory=list)


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n} bytes"


def _kind(mode: int) -> str | None:
    """Why an entry that is neither a regular file nor a folder is refused."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file"
    return None


def _link_reason(path: str) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        return "a symbolic link"
    return f"a symbolic link (to {target[:120]})"


def survey(base, policy: FilePolicy = SUBMISSION, skip: bool = True) -> Survey:
    """Sort the entries below ``base`` into files to copy and refusals, following nothing.

    ``base`` and its parent (the student's folder) must be real folders (not links); if
    not, the whole of ``base`` is one refusal (``"."``). A missing ``base`` is an empty
    survey. With ``skip``, editor and archiver leftovers (:data:`SKIPPED_DIRS`,
    :data:`SKIPPED_FILES`) are passed over; without it (to clean a folder another program
    copies whole) they are judged like any other entry.
    """
    out = Survey()
    base = os.fspath(base)
    try:
        st = os.lstat(base)
        parent = os.lstat(os.path.dirname(os.path.abspath(base)))
    except FileNotFoundError:
        return out
    if stat.S_ISLNK(parent.st_mode):
        out.refused.append(Refusal(".", "the student's folder above it is a symbolic link"))
        return out
    if not stat.S_ISDIR(st.st_mode):
        why = _link_reason(base) if stat.S_ISLNK(st.st_mode) else _kind(st.st_mode)
        out.refused.append(Refusal(".", f"the submission folder is {why or 'not a folder'}"))
        return out
    candidates = []  # (rel, lstat) of the files each rule above lets through, in walk order
    stack = [("", 0, False)]
    while stack:
        rel_dir, depth, leftover = stack.pop()
        folder = os.path.join(base, rel_dir)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            out.refused.append(Refusal(rel_dir or ".", f"cannot be listed ({exc.strerror})"))
            continue
        subdirs = []
        for entry in entries:
            rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                out.refused.append(Refusal(rel, f"cannot be read ({exc.strerror})"))
                continue
            if has_controls(entry.name):
                # no file a student needs has one, and the name would reach the instructor's
                # terminal through nbgrader's own log ("Copying ...": review 21i, finding 2)
                out.refused.append(Refusal(rel + ("/" if stat.S_ISDIR(st.st_mode) else ""),
                                           _CONTROL_NAME))
                continue
            if stat.S_ISDIR(st.st_mode):
                # leftovers' folders are not copied, but looked into: a link or a pipe
                # hidden there is a finding, not a silent drop
                inside = leftover or (skip and entry.name in SKIPPED_DIRS)
                if depth >= policy.max_depth:
                    if not inside:
                        out.refused.append(Refusal(rel + "/", "a folder nested deeper than "
                                                   f"{policy.max_depth} levels"))
                else:
                    subdirs.append((rel, depth + 1, inside))
                continue
            kind = _kind(st.st_mode)
            if kind is not None:
                out.refused.append(Refusal(rel, _link_reason(entry.path)
                                           if stat.S_ISLNK(st.st_mode) else kind))
                continue
            if leftover or (skip and entry.name in SKIPPED_FILES):
                continue
            if _hard_link_refused(st, policy.hard_links):
                out.refused.append(Refusal(rel, f"a hard link (the same file has {st.st_nlink} "
                                           f"names; {_HARD_LINK_WHY})"))
            elif policy.names is not None and rel not in policy.names:
                out.refused.append(Refusal(rel, "not one of the files expected here"))
            elif (policy.suffixes is not None
                  and os.path.splitext(entry.name)[1].lower() not in policy.suffixes):
                allowed = ", ".join(sorted(policy.suffixes))
                out.refused.append(Refusal(rel, f"not on the list of files allowed beside the "
                                           f"notebook ({allowed})"))
            elif st.st_size > policy.limit(rel):
                out.refused.append(Refusal(rel, f"{_size(st.st_size)}, over the limit of "
                                           f"{_size(policy.limit(rel))} per file"))
            else:
                candidates.append((rel, st))
        stack.extend(reversed(subdirs))
    # the count and the total are taken in an order that puts the notebooks beside the
    # folder's top first: they are what is graded, and 50 data files that sort before
    # "tiny.ipynb" must not crowd out the submission itself (review 21b, hole 9)
    # nbgrader's own timestamp.txt (written by collect) is no file the student handed in: it
    # is taken first and not counted, so it is never refused "over the limit" (review 23c, N1)
    candidates.sort(key=lambda c: (c[0] != NBGRADER_TIMESTAMP,
                                   not (c[0].endswith(".ipynb") and os.sep not in c[0])))
    total = 0
    for rel, st in candidates:
        counted = len(out.accepted) - (NBGRADER_TIMESTAMP in out.accepted)
        if rel != NBGRADER_TIMESTAMP and counted >= policy.max_files:
            out.refused.append(Refusal(rel, f"over the limit of {policy.max_files} files"))
        elif total + st.st_size > policy.max_total_bytes:
            out.refused.append(Refusal(rel, f"over the limit of "
                                       f"{_size(policy.max_total_bytes)} in all"))
        else:
            total += st.st_size
            out.accepted[rel] = st
    return out


class UnsafeFile(ValueError):
    """A file that is not what :func:`survey` saw (it changed between the look and the read)."""


def read_regular(path, max_bytes: int, expected: os.stat_result | None = None,
                 hard_links: bool = False) -> bytes:
    """The bytes of the regular file ``path``, never following a link, at most ``max_bytes``.

    Raises
    ------
    UnsafeFile
        If ``path`` is a link, not a regular file, has several names, is larger than
        ``max_bytes``, or is not the file ``expected`` (an earlier ``lstat``).
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFile(f"cannot be opened without following links ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None or not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(kind or "not a regular file")
        if _hard_link_refused(st, hard_links):
            raise UnsafeFile(f"a hard link (the same file has {st.st_nlink} names; "
                             f"{_HARD_LINK_WHY})")
        if expected is not None and (st.st_ino, st.st_dev) != (expected.st_ino,
                                                                expected.st_dev):
            raise UnsafeFile("replaced while it was being read")
        chunks, got = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > max_bytes:
                raise UnsafeFile(f"over the limit of {_size(max_bytes)} per file")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_folder(base, policy: FilePolicy = SUBMISSION) -> tuple[dict[str, bytes], list[Refusal]]:
    """``({relative path: bytes}, refusals)`` of the files below ``base`` that ``policy``
    accepts, read with :func:`read_regular`."""
    found = survey(base, policy)
    files, refused = {}, list(found.refused)
    for rel, st in found.accepted.items():
        try:
            files[rel] = read_regular(os.path.join(base, rel), policy.limit(rel), st,
                                      policy.hard_links)
        except UnsafeFile as exc:
            refused.append(Refusal(rel, str(exc)))
    return files, refused


def read_trusted(base, policy: FilePolicy = COURSE) -> dict[str, bytes]:
    """The files of an instructor's folder (source, release); a link or special file there
    is a mistake the instructor must see (several names for one file are fine: a student
    may have made one).

    Raises
    ------
    ValueError
        Naming the folder and each file that is not a plain regular file.
    """
    files, refused = read_folder(base, policy)
    if refused:
        raise ValueError(f"folder: {base} holds files the grader does not copy: "
                         + "; ".join(r.describe() for r in refused)
                         + "; expected regular files only (no links, pipes or devices)")
    return files


def _remove(path: str) -> None:
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)  # a link or a hard link: only this name goes, never its target


def sanitize_folder(base, policy: FilePolicy = SUBMISSION) -> list[Refusal]:
    """Remove from ``base`` every entry :func:`survey` refuses, leftovers such as
    ``__MACOSX`` included (another program copies the folder whole); a link goes, never what
    it points to. Returns the refusals. A refused ``base`` itself (a link) is removed too."""
    found = survey(base, policy, skip=False)
    for refusal in found.refused:
        if refusal.path == "." and not os.path.islink(base):
            continue  # a linked student folder: nothing of ours to remove; grading stops
        path = os.path.join(os.fspath(base), refusal.path.rstrip("/"))
        try:
            _remove(os.path.normpath(path))
        except FileNotFoundError:
            pass
    return found.refused


#: refusals a status names one by one; the rest are counted (a folder of 20 000 files must not
#: make a reason of 767 KB in the status file and grades.csv, review 21b hole 9)
NAMED_REFUSALS = 20


def _named(refused: list[Refusal]) -> list[str]:
    """The first :data:`NAMED_REFUSALS` refusals described, and "and N more" for the rest
    (several files refused for one reason are grouped: "m20.py, m21.py, ...: why")."""
    shown, rest = refused[:NAMED_REFUSALS], len(refused) - NAMED_REFUSALS
    groups: dict[str, list[str]] = {}
    for r in shown:
        groups.setdefault(r.reason, []).append(r.path)
    out = [printable(f"{', '.join(paths)}: {reason}") for reason, paths in groups.items()]
    if rest > 0:
        out.append(f"and {rest} more file{'s' if rest > 1 else ''}")
    return out


def findings_text(refused: list[Refusal]) -> str:
    """One line for a student's status: which files were refused and why (the first
    :data:`NAMED_REFUSALS` named, the others counted).

    >>> text = findings_text([Refusal(f"m{i}.py", "over the cap") for i in range(22)])
    >>> text[-40:]
    ', m19.py: over the cap; and 2 more files'
    """
    return "files handed in were not copied: " + "; ".join(_named(refused))


def add_to_result(result: dict, refused: list[Refusal]) -> dict:
    """``result`` (a grading result) with the refused files as a finding: a graded submission
    becomes ``needs manual grading`` and the reason names the files and why.

    A submission whose notebook itself was refused cannot be graded: its failure is said as
    that refusal, never as the grader's internal error that followed from it ("No notebooks
    were matched")."""
    if not refused:
        return result
    result = dict(result)
    text = findings_text(refused)
    result["refused_files"] = _named(refused)
    if result.get("status") == "graded":
        result["status"] = "needs manual grading"
    notebooks = [r for r in refused if r.path.endswith(".ipynb") and os.sep not in r.path]
    reason = result.get("reason") or ""
    if result.get("status") == "failed" and notebooks:
        reason = (f"the notebook {printable(', '.join(r.path for r in notebooks))} was not "
                  "copied, so "
                  "nothing could be graded")
    result["reason"] = "; ".join(x for x in (text, reason) if x)
    return result


# -- plain nbgrader -----------------------------------------------------------------------------
def _log():
    if Application.initialized():
        return Application.instance().log
    return logging.getLogger("dlgrade")


def _folders(notebooks) -> list[str]:
    return sorted({os.path.dirname(os.path.abspath(n)) for n in notebooks or ()})


def _holds_no_data(path: str) -> bool:
    """Whether ``path`` is an entry with no data of its own (a link, pipe, socket, device)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


#: id(coursedir) -> the entries :func:`before_autograde` added to its ``ignore`` list for the
#: submission being graded (taken out again before the next submission)
_IGNORED: dict[int, list[str]] = {}


def _coursedir():
    """The running nbgrader application's ``CourseDirectory`` (the converter's: nbgrader's apps
    make their converter with ``coursedir=self.coursedir``), or ``None``."""
    if not Application.initialized():
        return None
    return getattr(Application.instance(), "coursedir", None)


def _not_copied(coursedir, entries: list[str]) -> None:
    """Make nbgrader's copy of this submission skip ``entries`` (absolute paths): its
    ``find_all_files`` drops a path that ``glob.glob(os.path.join(folder, expr))`` returns for
    an ``expr`` of ``coursedir.ignore``, and an escaped absolute path matches just itself.
    The entries of the previous submission are taken out first."""
    earlier = set(_IGNORED.pop(id(coursedir), []))
    kept = [expr for expr in coursedir.ignore if expr not in earlier]
    added = [glob.escape(path) for path in entries]
    coursedir.ignore = kept + added
    _IGNORED[id(coursedir)] = added


def before_autograde(assignment=None, student=None, notebooks=(), **_):
    """``Autograde.pre_convert_hook``: keep nbgrader's copy of a submission (it follows links
    and would block on a pipe) to what :func:`survey` accepts, deleting nothing that holds data.

    - A refused regular file or folder (``report.pdf``, a file over the size limit, a folder
      nested too deep) is **not copied**: its path goes into the converter's
      ``coursedir.ignore`` for this submission only. It stays in ``submitted/`` as the student
      handed it in; the log says ``Not copied <file>: <why>``.
    - Only entries with no data of their own (symbolic links, named pipes, sockets, device
      files) are removed (``Removed <file>: <why>``): a link's name goes, never what it points
      to, and a pipe can no longer block nbgrader's read of a notebook.
    - A refused notebook (over the size limit) stays; :class:`RefuseUnsafeSubmissions` fails
      that submission with the reason before any of its code runs.
    """
    coursedir = _coursedir()
    skipped: list[str] = []
    # nbgrader walks the folder as it globbed it (not made absolute): both spellings are ignored
    spellings = {}
    for notebook in notebooks or ():
        raw = os.path.dirname(notebook)
        spellings.setdefault(os.path.abspath(raw), set()).add(raw)
    for folder in sorted(spellings):
        for refusal in survey(folder, SUBMISSION, skip=False).refused:
            if refusal.path == ".":
                _log().warning("Not graded %s: %s", printable(folder), printable(refusal.reason))
                continue
            rel = os.path.normpath(refusal.path.rstrip("/"))
            path = os.path.join(folder, rel)
            if _holds_no_data(path):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                _log().warning("Removed %s: %s", printable(path), printable(refusal.reason))
            else:
                skipped += [os.path.join(raw, rel) for raw in spellings[folder] | {folder}]
                _log().warning("Not copied %s: %s", printable(path), printable(refusal.reason))
    if coursedir is not None:
        _not_copied(coursedir, sorted(set(skipped)))
    elif skipped:
        _log().error("Cannot reach nbgrader's course directory: the refused files above may "
                     "be copied")


def before_feedback(assignment=None, student=None, notebooks=(), **_):
    """``GenerateFeedback.pre_convert_hook``: the same for the autograded folder nbgrader copies
    into feedback/ (a kernel without the sandbox may have left links there)."""
    for folder in _folders(notebooks):
        for refusal in sanitize_folder(folder, AUTOGRADED):
            _log().warning("Refused and removed %s: %s",
                           printable(os.path.join(folder, refusal.path)),
                           printable(refusal.reason))


def _converter(preprocessor):
    """The nbgrader converter running ``preprocessor`` (its exporter's parent)."""
    node = preprocessor
    while node is not None:
        if hasattr(node, "coursedir") and hasattr(node, "_format_dest"):
            return node
        node = getattr(node, "parent", None)
    return None


class RefuseUnsafeSubmissions(NbGraderPreprocessor):
    """A sanitize step of ``nbgrader autograde``: stop grading a submission whose notebook
    itself is refused (over the size limit, a link, a pipe: :func:`before_autograde` did not
    run, or left it because it holds data) before any of its code runs, with the reason.
    Other refused files do not stop it (they are not copied). Deletes nothing; nbgrader then
    removes the partly built autograded folder."""

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path")
        converter = _converter(self)
        if converter is not None and resources.get("nbgrader"):
            info = resources["nbgrader"]
            folder = converter._format_source(info["assignment"], info["student"])
        if not folder:
            raise RuntimeError("cannot tell which submission folder is being graded")
        refused = survey(folder, SUBMISSION, skip=False).refused
        left = [r for r in refused if r.path == "." or (r.path.endswith(".ipynb")
                                                         and os.sep not in r.path)
                or _holds_no_data(os.path.join(folder, r.path.rstrip("/")))]
        if left:
            raise RuntimeError("the submission cannot be graded: "
                               + "; ".join(r.describe() for r in left))
        return nb, resources


class KeepFeedbackPagesOnly(NbGraderPreprocessor):
    """A step of ``nbgrader generate_feedback``: after nbgrader copied the autograded folder
    into the feedback folder, remove everything there but the notebooks' pages, so only the
    rendered feedback is released. Fails (no page) if the feedback folder cannot be found."""

    def preprocess(self, nb, resources):
        converter = _converter(self)
        info = resources.get("nbgrader") or {}
        if converter is None or not info:
            raise RuntimeError("KeepFeedbackPagesOnly runs inside nbgrader generate_feedback "
                               "only (no converter or student found)")
        dest = Path(converter._format_dest(info["assignment"], info["student"]))
        pages = {Path(n).stem + ".html" for n in converter.notebooks}
        if dest.is_dir():
            for entry in list(os.scandir(dest)):
                if entry.name in pages and entry.is_file(follow_symlinks=False):
                    continue
                _remove(entry.path)
        return nb, resources


def install(c) -> None:
    """Make plain ``nbgrader autograde`` / ``generate_feedback`` with this config clean each
    folder before nbgrader copies it (``c`` is ``nbgrader_config.py``'s config, or the
    grader's). The two preprocessors are in :data:`dlgrade.sanitize.SANITIZE_PREPROCESSORS`
    and :data:`dlgrade.feedback.FEEDBACK_PREPROCESSORS`."""
    c.Autograde.pre_convert_hook = before_autograde
    c.GenerateFeedback.pre_convert_hook = before_feedback
