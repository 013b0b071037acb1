"""Import submissions downloaded from a learning-management system into nbgrader's layout.

The names each system gives its downloads are read by that system's module (:mod:`dlgrade.lms`:
Canvas's ``name_userid_fileid_file``, Moodle's participant folders, and the plain layout's
``<student>_<assignment>.ipynb``, ``<student>/<assignment>.ipynb`` and nbgrader's own
``<student>/<assignment>/<assignment>.ipynb``), inside a zip file (nested zips included) or a
folder. This module does what is the same for all: it unpacks and reads the files safely,
finds each one's student, and copies it.

Each lands in ``submitted/<student>/<assignment>/<assignment>.ipynb``. Files that match no
pattern, and students with more than one candidate file, are reported and left alone: the
tool never guesses which file a student meant. Archives are unpacked within a budget by
:mod:`dlgrade.archive` (notebooks only, sizes, counts and nesting checked before anything is
written; nbgrader's ``ExtractorPlugin`` has no limits), in the layout nbgrader's extractor
makes, and flat names are matched with nbgrader's ``FileNameCollectorPlugin``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from . import lms, replaced
from .course import Course, ensure_tools_on_path
from .lms import canvas, moodle
from .roster import STUDENT_ID, read_roster
from .status import MOODLE_NO_FILE, NO_TIME_LABEL, not_collected_reason, write_not_collected
from .time_records import (
    WORKSHEET_REPLACES,
    pending_worksheet_times,
    read_file_times,
    read_time_sources,
    write_file_times,
    write_time_sources,
)

SKIP_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store"}


@dataclass
class CollectResult:
    """What :func:`collect` did, by category (lists of relative file names or students)."""

    added: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    unmatched: list = field(default_factory=list)
    duplicates: dict = field(default_factory=dict)  # student -> [files]
    ignored: list = field(default_factory=list)
    submitted_at: dict = field(default_factory=dict)  # student -> timestamp.txt text
    refused: dict = field(default_factory=dict)  # file -> why it was not read (dlgrade.safe_files)
    reasons: dict = field(default_factory=dict)  # unmatched file -> why
    warnings: list = field(default_factory=list)  # files matched by name only, ...
    wrong_format: dict = field(default_factory=dict)  # student -> why their upload is no notebook
    wrong_format_files: dict = field(default_factory=dict)  # student -> those files
    # student -> the warning on a time taken from a file's modification time (late or in the
    # future): it may be when the file was copied, so the exit status is 1 (review 23e, N1)
    doubtful: dict = field(default_factory=dict)
    # student -> (old stamp, new stamp, where the old came from, where the new): a time from
    # a file's modification time (or a zip entry) that this collect replaced with the same
    # file's zip entry time (or the Moodle grading worksheet's)
    retimed: dict = field(default_factory=dict)
    # the students whose time is the Moodle grading worksheet's (review 23e, N3)
    from_worksheet: list = field(default_factory=list)
    # student -> what the LMS's own record says against the download (review 23f): a time
    # that contradicts Canvas's LATE_ marker, a late upload whose time only the download's
    # making gives, a worksheet that says submitted without a file or no submission with
    # one; each makes the exit status 1
    contradictions: dict = field(default_factory=dict)
    # student -> CANVAS_ON_TIME or CANVAS_LATE: a Canvas file without a time given by
    # --timestamps, whose lateness is Canvas's LATE_ marker alone (review 23g, G1)
    canvas_marked: dict = field(default_factory=dict)
    # student -> the folder the notebook this collect replaced is kept in (dlgrade.replaced)
    kept: dict = field(default_factory=dict)
    # the students of ``updated`` whose bytes are the same: only their time changed
    time_only: list = field(default_factory=list)
    # [(student, old points, new points)] of the graded students of ``time_only`` whose late
    # penalty was computed again from the new time at once (review 23i, finding 1)
    reapplied: list = field(default_factory=list)
    # student -> why: the Moodle worksheet says submitted, no download held the file
    # (review 23g, G5): "not collected", never "no submission" with a 0
    no_file: dict = field(default_factory=dict)
    # (zip, files): the zip beside a collected folder that holds its files (same names, sizes
    # and CRCs: the zip it was unpacked from), whose entry times the files got (review 23f, N9)
    unpacked_from: tuple | None = None

    @property
    def ok(self) -> bool:
        return not (self.unmatched or self.duplicates or self.refused or self.wrong_format)


def _unpack(source: Path, workdir: Path, limits, result: CollectResult) -> tuple[Path, list]:
    """Folder holding the submissions (``source`` itself, or the unpacked archive), and the
    folders inside it that hold archives found in the download (students' own zips)."""
    from .archive import unpack_zip

    if source.is_dir():
        return source, []
    extracted = workdir / "extracted"
    extracted.mkdir()
    unpacked = unpack_zip(source, extracted, limits)
    for refusal in unpacked.refused:
        result.refused[refusal.path] = refusal.reason
    result.ignored.extend(unpacked.ignored)
    return extracted, unpacked.nested


def _folder_zips(source: Path, workdir: Path, limits, result: CollectResult):
    """The students' own zips in a download *folder* (an LMS zip the instructor unpacked):
    each is unpacked under the rules of a zip inside an LMS zip (:mod:`dlgrade.archive`:
    notebooks only, no links or path escapes, sizes, counts and nesting capped; review 21c,
    C1: they were silently ignored before) into ``workdir/zips/<its folder>/<its name>/``.
    Its notebooks get the zip file's time (the download's), never a time inside it. Returns
    that folder (``None`` when there is no zip) and the unpacked zips' folders."""
    from . import safe_files
    from .archive import Unpacked
    from .archive import _unpack as unpack_member

    policy = safe_files.FilePolicy(suffixes=frozenset({".zip"}),
                                   max_file_bytes=limits.max_total_bytes,
                                   max_files=limits.max_members,
                                   max_total_bytes=limits.max_total_bytes, max_depth=8)
    found = safe_files.survey(source, policy)
    if not found.accepted:
        return None, []
    mirror = workdir / "zips"
    unpacked = Unpacked()
    for rel, st in sorted(found.accepted.items()):
        if SKIP_PARTS & set(Path(rel).parts):
            continue
        try:
            data = safe_files.read_regular(source / rel, policy.limit(rel), st)
        except safe_files.UnsafeFile as exc:
            result.refused[rel] = str(exc)
            continue
        folder = mirror / Path(rel).with_suffix("")
        unpack_member(io.BytesIO(data), folder, rel, 1, limits, unpacked)
        unpacked.nested.append(folder)
        for path in folder.rglob("*") if folder.is_dir() else ():
            os.utime(path, (st.st_mtime, st.st_mtime))
        if rel in result.ignored:
            result.ignored.remove(rel)
    for refusal in unpacked.refused:
        result.refused[refusal.path] = refusal.reason
    result.ignored.extend(unpacked.ignored)
    return mirror, unpacked.nested


def _identity_path(path: Path, nested: list) -> Path:
    """The path that names the student of ``path``. A notebook found inside a student's own
    zip belongs to the student of that zip: the zip's name and place decide (as if it were
    ``<zip name>.ipynb``), never the names inside it, so an upload cannot hold a notebook named
    like a classmate's download and take the classmate's place (issue 21 hostile review)."""
    outer = [folder for folder in nested if folder in path.parents]
    if not outer:
        return path
    folder = min(outer, key=lambda f: len(f.parts))
    return folder.with_name(folder.name + ".ipynb")


def match_file(path: Path, root: Path, assignment: str) -> str | None:
    """Student id for a submitted file of the plain layout (:mod:`dlgrade.lms.csv`), or
    ``None`` when its name fits no pattern or names no valid student id."""
    student = lms.csv.LMS.student_of(path, root, assignment)
    if student is None or not STUDENT_ID.match(student):
        return None
    return student


class WrongDownload(ValueError):
    """The download is, by its notebooks' names, another assignment's: nothing was copied."""


def collect(course: Course, assignment: str, source, dry_run: bool = False,
            timezone: str = "UTC", timestamps=None, limits=None,
            force: bool = False) -> CollectResult:
    """Copy the submissions of ``assignment`` found in ``source`` (zip or folder).

    Canvas and Moodle download names are mapped to roster ids (:mod:`dlgrade.lms`), and each
    copied submission gets nbgrader's ``timestamp.txt``: from ``timestamps`` (a CSV file,
    :func:`dlgrade.lms.read_timestamps`) if given, else from the Moodle grading worksheet's
    "Last modified (submission)" when one was imported for the assignment
    (:func:`dlgrade.lms.moodle.read_submitted_times`: Moodle's record of the upload; review
    23e, N3), else from the zip entry's time (read in
    ``timezone``), else from the file's modification time (a wall-clock time of this
    computer, read in ``timezone`` as the zip entry it was unpacked from, or as the instant
    it is when :func:`_file_times_are_instants` says so; a folder unpacked from a zip that
    lies beside it takes that zip's entry times, :func:`_zip_beside`; a student's own zip
    in a folder gives its notebooks the zip file's time, never the times inside it, which the
    student's computer wrote). Times that may not be the upload's (in the future, a week
    past the due date, or late by a file's modification time) are named in
    ``result.warnings`` (:func:`_doubtful_times`); those taken from a file's modification
    time also in ``result.doubtful``, and are kept in :data:`FILE_TIMES` for ``grade`` to
    repeat. A later collect of the same bytes keeps their first time, except that a zip
    entry's replaces one taken from a file's modification time, and the worksheet's one
    taken from a file, a zip entry or an older worksheet (``result.retimed``;
    :data:`TIME_SOURCES` records where each time came from). A newer worksheet's later time
    that makes the file late is named in ``result.doubtful`` with both its readings (review
    23f, N6). New bytes under a worksheet time not after the time collected before are
    timed by the download, named in ``result.doubtful``: the worksheet is older than the
    upload (unless that time was such a newer worksheet's). A zip whose entries are the
    moment it was made, not the uploads, gives no lateness (:func:`_download_made`); what
    Canvas's ``LATE_`` marker or the Moodle worksheet says against the download is named
    in ``result.contradictions`` (:func:`_check_records`; review 23f, N10, N7, N5).

    A notebook written over with other bytes is kept first, with the student's time records
    (:mod:`dlgrade.replaced`, ``result.kept``): :func:`revert` puts it back.

    ``limits`` (:class:`dlgrade.archive.ArchiveLimits`) bounds what is read: the size of a
    notebook and of everything unpacked or read in all, archive entries and nesting; what
    is over a limit is refused with the reason, the rest is collected.

    A download whose notebooks are named after another assignment's notebook (most of them,
    or any that would replace a notebook already collected) is refused before anything is
    written, unless ``force``: every Canvas download is called ``submissions.zip``, and the
    wrong one would replace graded work (review 23d, P1).

    Raises
    ------
    WrongDownload
        If the download looks like another assignment's and ``force`` is false.
    ValueError
        If ``source`` does not exist or is neither a folder nor a zip file, or the assignment
        is unknown.
    """
    from .archive import ArchiveLimits  # through safe_files: nbgrader, seconds

    ensure_tools_on_path()  # nbgrader runs the `alembic` command when it creates a gradebook
    limits = limits if limits is not None else ArchiveLimits()
    if not isinstance(limits, ArchiveLimits):
        raise ValueError(f"limits: got {type(limits).__name__}, expected ArchiveLimits")
    course.require_assignment(assignment)
    source = Path(source)
    if not source.exists():
        raise ValueError(f"source: {source} does not exist; expected a zip file or a folder")
    if source.is_file() and not zipfile.is_zipfile(source):
        raise ValueError(f"source: {source} is a file but not a zip archive")
    result = CollectResult()
    given = lms.read_timestamps(timestamps, timezone) if timestamps else {}
    entry_times = lms.zip_times(source, timezone) if source.is_file() else {}
    notebooks = sorted(p.stem for p in (course.source_dir / assignment).glob("*.ipynb"))
    elsewhere = _notebooks_of_other_assignments(course, assignment)
    looks_like: dict[str, list[str]] = {}  # other assignment -> files named after its notebook
    like_paths: dict[str, list[Path]] = {}  # the same, their paths
    seen = 0  # notebooks read (students' or not), to tell a wrong download from a few slips
    roster = None
    with tempfile.TemporaryDirectory() as tmp:
        root, nested = _unpack(source, Path(tmp), limits, result)
        roots = [root]
        candidates, data = _candidates(root, result, limits)
        if source.is_dir():  # a student's own zip in an unpacked download: read as in a zip
            mirror, zipped = _folder_zips(source, Path(tmp), limits, result)
            if mirror is not None:
                more, more_data = _candidates(mirror, result, limits)
                candidates += more
                data = _either(data, more_data, mirror)
                nested += zipped
                roots.append(mirror)

        def root_of(path: Path) -> Path:
            return next(r for r in reversed(roots) if r in path.parents)

        # a folder unpacked from a zip beside it: its entries' times, not the files' (N9)
        beside = _zip_beside(source, root, candidates, data, timezone, limits) \
            if source.is_dir() else None
        beside_times = beside[1] if beside else {}
        if beside:
            result.unpacked_from = (beside[0], len(beside_times))
        instants = source.is_dir() and _file_times_are_instants(candidates)

        found: dict[str, list[Path]] = {}
        times: dict[Path, object] = {}
        targets: dict[Path, str] = {}
        canvas_ids: dict[Path, str] = {}  # Canvas's file id of each Canvas download
        canvas_late: dict[Path, bool] = {}  # whether Canvas's name says LATE_
        name_only: dict[Path, str] = {}  # Moodle files matched by name: their participant id
        moodle_files: set[Path] = set()  # Moodle's downloads: its worksheet has their times
        first_seen: dict[str, str] = {}  # participant id -> student, to remember
        for path in candidates:
            root = root_of(path)
            rel = path.relative_to(root)
            if SKIP_PARTS & set(rel.parts) or rel.name.startswith("._"):  # macOS metadata
                continue
            if path.suffix != ".ipynb":
                result.ignored.append(str(rel))
                continue
            seen += 1
            named_by = _identity_path(path, nested)
            named_rel = named_by.relative_to(root)
            times[path] = (beside_times[rel.as_posix()], "zip") \
                if root is roots[0] and rel.as_posix() in beside_times else _entry_time(
                    rel.parts if named_by is path else named_rel.with_suffix(".zip").parts,
                    entry_times, path, timezone, instant=instants)
            if roster is None:
                roster = read_roster(course)
                participants = moodle.read_participants(course, assignment)
                first_ids = moodle.read_collected(course, assignment)
            lms_name = lms.parse_lms_path(named_rel.parts)
            if lms_name is not None:
                is_moodle = lms_name.system == moodle.LMS.name
                student, note = lms.identify(lms_name, roster,
                                             participants if is_moodle else None, assignment,
                                             learned=first_ids if is_moodle else None)
                target = lms.notebook_name(lms_name.file, notebooks)
                if student is None and lms_name.system == canvas.LMS.name and \
                        lms_name.name == canvas.TEST_STUDENT:
                    # Canvas's test student (the roster import skips "Student, Test"): an
                    # instructor's trial upload, not a student's, so not an unmatched file
                    # that would fail the whole collect (review 23b, R8)
                    result.warnings.append(f"{rel}: Canvas's test student: ignored")
                    seen -= 1
                    continue
                if student is None or target is None:
                    result.unmatched.append(str(rel))
                    other = _named_after_other(lms_name.file, notebooks, elsewhere)
                    result.reasons[str(rel)] = note or (
                        f"{lms_name.file} is not a notebook of {assignment} "
                        f"({', '.join(n + '.ipynb' for n in notebooks)})"
                        + (f" but of {other}" if other else ""))
                    continue
                if note:
                    result.warnings.append(f"{rel}: {note}")
                    if is_moodle:  # matched by name only: its id is remembered when copied
                        name_only[path] = lms_name.uid
                other = _named_after_other(lms_name.file, notebooks, elsewhere)
                if other:
                    looks_like.setdefault(other, []).append(str(rel))
                    like_paths.setdefault(other, []).append(path)
                if lms_name.system == canvas.LMS.name:
                    canvas_ids[path] = lms_name.submission
                    canvas_late[path] = lms_name.late
                if is_moodle:
                    moodle_files.add(path)
                targets[path] = target
                found.setdefault(student, []).append(path)
                continue
            student = match_file(named_by, root, assignment)
            if student is None:
                result.unmatched.append(str(rel))
                result.reasons[str(rel)] = (f"the name fits no known pattern (Canvas, Moodle, "
                                            f"<student>_{assignment}.ipynb, <student>/"
                                            f"{assignment}.ipynb)")
            elif roster and student.casefold() not in {s.id.casefold() for s in roster}:
                # with a roster, nobody outside it is created, graded or exported
                result.unmatched.append(str(rel))
                result.reasons[str(rel)] = f"{student!r} is not on the roster"
            else:
                # logins ignore letter case: ANN/ is ann's (the roster refuses two ids that
                # differ only in case, so there is one such student; review 23b, R8)
                student = next((s.id for s in roster or () if s.id == student), None) or \
                    next((s.id for s in roster or () if s.id.casefold() == student.casefold()),
                         student)
                found.setdefault(student, []).append(path)
        if not force:
            _refuse_wrong_download(course, assignment, like_paths, seen, found, targets)
        if result.ignored:
            result.wrong_format = _wrong_format(course, assignment, result.ignored, found,
                                                roster, notebooks, result.wrong_format_files)
        for other, files in sorted(looks_like.items()):
            result.warnings.append(_other_assignment_warning(course, assignment, other, files))
        record = canvas.read_record(course, assignment)
        file_times = read_file_times(course, assignment)
        sources = read_time_sources(course, assignment)
        # each student's records as they were, kept with a notebook this collect replaces
        before = {"sources": json.loads(json.dumps(sources)),
                  "file_times": json.loads(json.dumps(file_times)), "canvas": dict(record)}
        # Moodle's own record of each upload, when its grading worksheet was imported
        sheet_times = moodle.read_submitted_times(course, assignment)
        sheet_none = moodle.read_no_submission(course, assignment) - set(sheet_times)
        dues = _due_dates(course, assignment, set(found) | set(sheet_times))
        # a zip whose entries all carry the moment it was made (review 23f, N10)
        made = _download_made(found, times, dues, canvas_late, root_of, assignment)
        made["used"] = {}  # student -> the stamp the loop below took from it
        new_times, new_where = {}, {}  # the copied students' times, for _doubtful_times
        chosen: dict[str, Path] = {}  # student -> the file collected for them
        for student, paths in sorted(found.items()):
            if len(paths) > 1 and all(p in canvas_ids for p in paths):
                paths = [canvas.newest_file(student, paths, canvas_ids, root_of(paths[0]),
                                             result.warnings)]
            if len(paths) > 1:
                result.duplicates[student] = [str(p.relative_to(root_of(p))) for p in paths]
                uids = sorted({name_only[p] for p in paths if p in name_only})
                if len(uids) > 1:  # review 21b, hole 7: one may be a renamed classmate
                    result.warnings.append(
                        f"{student}: {len(paths)} Moodle files claim this student by name "
                        f"only, with participant ids {', '.join(uids)}: a classmate who took "
                        "this name in Moodle? none copied (neither is taken by guess)"
                        + moodle.LMS.id_hint.replace("NAME", assignment))
                continue
            chosen[student] = paths[0]
            name = targets.get(paths[0], assignment)
            dest = course.submitted_dir / student / assignment / f"{name}.ipynb"
            rel = str(dest.relative_to(course.root))
            when, source = (given[student], "csv") if student in given else times[paths[0]]
            download = when, source
            due = dues.get(student)
            if source == "csv" and paths[0] in canvas_late and not canvas_late[paths[0]] \
                    and due is not None and when > due:
                # the row wins, but a row meant for the student beside costs the penalty cap:
                # said, as a Moodle record a time contradicts is (review 23h, finding 5)
                note = (f"{student}: Canvas says on time (no LATE_ in the file's name); "
                        f"{Path(timestamps).name} says {_hours(when - due)} after the due "
                        f"date: taken from {Path(timestamps).name}")
                result.warnings.append(note)
                result.doubtful[student] = note
            if source != "csv" and student in sheet_times:
                when, source = sheet_times[student], "worksheet"
            stamp = lms.format_timestamp(when) if when is not None else ""
            stamp_file = dest.parent / "timestamp.txt"
            result.submitted_at[student] = stamp
            file_id, known_id = canvas_ids.get(paths[0]), record.get(student)
            if file_id and known_id and int(known_id) > int(file_id):
                result.refused[str(paths[0].relative_to(root_of(paths[0])))] = (
                    f"older than the file already collected for {student} (Canvas file id "
                    f"{file_id} < {known_id}): an older download? nothing changed")
                result.submitted_at.pop(student)
                continue
            content = data(paths[0])
            if content is None:
                continue
            if paths[0] in name_only:
                first_seen[name_only[paths[0]]] = student
            kept = stamp_file.read_text().strip() if stamp_file.exists() else None
            # this student's time on record was taken from a file's modification time
            from_file = kept is not None and file_times.get(student, {}).get("stamp") == kept \
                and not file_times[student].get("lms")
            kept_source = "file" if from_file else (
                sources.get(student, {}).get("source") if kept is not None and
                sources.get(student, {}).get("stamp") == kept else None)
            same = dest.is_file() and dest.read_bytes() == content
            # this worksheet time was given to bytes collected before it, maybe an earlier
            # upload (N6): new bytes under it are that upload, not one after the worksheet
            reread = kept_source == "worksheet" and sources[student].get("reread") and \
                when == _parse_stamp(kept)
            if source == "worksheet" and not same and kept is not None and not reread and \
                    kept_source != "file" and when <= _parse_stamp(kept):
                # new bytes, yet the worksheet's upload is not after the last one collected:
                # the worksheet was downloaded before this upload (review 23e, N3)
                note = (f"{student}: the file changed, but the grading worksheet's 'Last "
                        f"modified (submission)', {stamp}, is not after the time of the file "
                        f"collected before, {kept}: the worksheet is older than this upload, "
                        f"so the download's time, {lms.format_timestamp(download[0])}, is "
                        f"taken; download the worksheet again, `dlcourse roster import "
                        f"<worksheet.csv> --assignment {assignment}`, and collect again")
                result.warnings.append(note)
                result.doubtful[student] = note
                when, source = download
                stamp = lms.format_timestamp(when)
                result.submitted_at[student] = stamp
            # a zip entry without a time (review 23h, 2): unknown, as Canvas's LATE_ is,
            # unless the same bytes were collected with a time before
            # Canvas's files are judged by LATE_ alone, whatever the entry's time (23i, 4)
            no_time = when is None and paths[0] not in canvas_late and \
                not (same and kept is not None)
            if no_time or paths[0] in canvas_late and student not in given and not (
                    same and kept_source == "csv"):
                # Canvas's zipper writes each entry at the moment it writes it: an entry's
                # time (or its unpacked file's) is never the upload's. Canvas's own word,
                # LATE_ or not, is the record (review 23g, G1-G3, G6)
                marker = NO_TIME if no_time else \
                    CANVAS_LATE if canvas_late[paths[0]] else CANVAS_ON_TIME
                result.canvas_marked[student] = marker
                result.submitted_at[student] = CANVAS_LABEL[marker]
                was = sources.get(student, {})
                if same and was.get("source") == marker and not stamp_file.exists():
                    result.unchanged.append(rel)
                else:
                    (result.updated if dest.exists() else result.added).append(rel)
                    if same:
                        result.time_only.append(student)
                sources[student] = {"stamp": "", "source": marker}
                file_times.pop(student, None)
                if not dry_run:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if not same:
                        _keep_replaced(course, assignment, student, dest, before, file_id,
                                       result)
                        dest.write_bytes(content)
                    stamp_file.unlink(missing_ok=True)
                    if file_id:
                        record[student] = max(file_id, known_id or "0", key=int)
                continue
            if source == "zip" and paths[0] in made["paths"]:
                made["used"][student] = stamp  # this time is the download's making's
            # a time from a download (a file's modification time, or a zip entry) gives way
            # to the same file's zip entry's (review 23e, N1) or to Moodle's record of it
            # and the worksheet imported last to one imported before: the newest import of
            # Moodle's record wins (review 23f, N6)
            # the own time of a notebook a revert put back: the worksheet's is the upload
            # taken back, a new download's entry is no upload time (review 23m, finding 1)
            pinned = kept is not None and sources.get(student, {}).get("reverted") and \
                sources[student].get("stamp") == kept
            retime = kept is not None and when is not None and kept != stamp and not pinned and (
                (from_file and source in ("zip", "worksheet")) or
                (source == "worksheet" and kept_source in ("zip", "worksheet")))
            if same and kept is not None and (
                    kept == stamp or student not in given) and not retime:
                # the same bytes collected again (a new download stamps its entries anew)
                # keep their first submission time; only --timestamps sets another one
                result.submitted_at[student] = kept
                result.unchanged.append(rel)
                if file_id and not dry_run:
                    record[student] = max(file_id, known_id or "0", key=int)
                if student in given or source in ("zip", "worksheet"):  # no longer a file's
                    file_times.pop(student, None)
                elif from_file:  # checked again: still doubtful is still said
                    new_times[student] = dt.datetime.strptime(kept, lms.STAMP_FORMAT)
                    new_where[student] = ("file", str(paths[0].relative_to(root_of(paths[0]))))
                if source == "worksheet" and kept != stamp and not pinned:
                    result.warnings.append(
                        f"{student}: kept the submission time {kept} ("
                        + ("given with --timestamps" if kept_source == "csv" else
                           "the first collect's")
                        + f"); the grading worksheet says {stamp}: to take it, give it with "
                        "--timestamps and collect again")
                elif source == "worksheet" and kept == stamp:
                    result.from_worksheet.append(student)
                continue
            later = False  # a worksheet's later, late time for bytes collected before
            if retime and same and kept_source == "worksheet":
                result.retimed[student] = (kept, stamp, "the grading worksheet imported "
                                           "before", "the newer grading worksheet's 'Last "
                                           "modified (submission)'")
                due = dues.get(student)
                if when > _parse_stamp(kept) and due is not None and when > due:
                    # later and late: right if the worksheet before was older than this
                    # upload; wrong if this download is older than the worksheet (its file
                    # is an upload before the one the worksheet times)
                    note = later_worksheet_note(student, stamp, when - due, kept)
                    result.warnings.append(note)
                    result.doubtful[student] = note
                    later = True
            elif retime and same:
                result.retimed[student] = (kept, stamp, ORIGIN[kept_source], ORIGIN[source])
            if source == "worksheet":
                result.from_worksheet.append(student)
            if source != "csv":  # an instructor's --timestamps is theirs to trust
                new_times[student] = when
                new_where[student] = (source, str(paths[0].relative_to(root_of(paths[0]))))
            if source == "file":
                file_times[student] = {"stamp": stamp, "warning": "", "lms": False}
            else:
                file_times.pop(student, None)
            sources[student] = {"stamp": stamp, "source": source} | (
                {"reread": True, "before": kept} if later else {})
            (result.updated if dest.exists() else result.added).append(rel)
            if same:
                result.time_only.append(student)
            if not dry_run:
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not same:
                    _keep_replaced(course, assignment, student, dest, before, file_id, result)
                dest.write_bytes(content)
                stamp_file.write_text(stamp + "\n")
                if file_id:
                    record[student] = file_id
        _check_records(result, course, assignment, chosen, made, canvas_late, dues,
                       sheet_times, sheet_none, sources, given, root_of)
        for student, stamp in made["used"].items():  # named by _check_records instead
            if result.submitted_at.get(student) == stamp:
                new_times.pop(student, None)
        of_moodle = {s for s, paths in found.items()
                     if any(p in moodle_files for p in paths)} - sheet_none
        doubts = _doubtful_times(course, assignment, new_times, new_where, moodle=of_moodle)
        result.warnings += doubts.values()
        for student, note in doubts.items():  # a late Moodle entry, no worksheet time (G2)
            if new_where[student][0] == "zip" and student in of_moodle:
                result.contradictions.setdefault(student, note)  # grade repeats it
        for student, (origin, _) in new_where.items():
            if origin == "file":
                file_times[student]["warning"] = doubts.get(student, "")
                if student in doubts:
                    result.doubtful[student] = doubts[student]
        for student in chosen:  # said again below while still so
            if file_times.get(student, {}).get("lms"):
                file_times.pop(student)
        for student, note in result.contradictions.items():  # for grade to repeat
            if student not in result.submitted_at:
                continue
            if new_where.get(student, ("",))[0] == "file":  # a file's time: both said
                entry = file_times[student]
                entry["warning"] = "; ".join(w for w in (entry["warning"], note) if w)
            else:
                file_times[student] = {"stamp": "" if student in result.canvas_marked else
                                       result.submitted_at[student], "warning": note,
                                       "lms": True}
        if not dry_run and result.time_only:
            # the same files graded before under another time: their late penalty follows
            # the new time now, as `extend` makes it follow a new date (review 23i, 1);
            # the gradebook's time is set from timestamp.txt (none for Canvas's word)
            from .late import reapply_late_penalties

            result.reapplied = reapply_late_penalties(course, assignment, result.time_only)
        if not dry_run:
            _clear_gradebook_times(course, assignment, result.canvas_marked)
            write_file_times(course, assignment, file_times)
            write_time_sources(course, assignment, sources)
        if not dry_run and record:
            canvas.write_record(course, assignment, record)
        if not dry_run and first_seen:
            moodle.remember_collected(course, assignment, first_seen)
        if first_seen:  # one line for all of them (review 21b, hole 7)
            many = len(first_seen) > 1
            result.warnings.append(
                f"{len(first_seen)} Moodle file{'s' if many else ''} matched by name only: "
                f"the participant id {'each was' if many else 'it was'} collected with is "
                f"kept as the student's for {assignment}, so a later file under the same "
                "name with another id (a classmate who took the name in Moodle) is refused"
                + moodle.LMS.id_hint.replace("NAME", assignment))
    if not dry_run:  # the report, the export and `mark` say "not collected", not "nothing"
        write_not_collected(course, assignment, {
            student: not_collected_reason(files) for student, files in
            result.duplicates.items()} | result.wrong_format | result.no_file,
            result.submitted_at,
            files=result.duplicates | result.wrong_format_files)
    return result


def shown_path(path: Path, course: Course) -> str:
    """``path`` relative to the course folder when it lies inside it."""
    return str(path.relative_to(course.root)) if path.is_relative_to(course.root) else str(path)


def _utc_text(when: float | None = None) -> str:
    """A POSIX time (default now) as naive UTC text, to the second."""
    moment = dt.datetime.fromtimestamp(when, dt.timezone.utc) if when is not None else \
        dt.datetime.now(dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _replaced_meta(course: Course, assignment: str, student: str, dest: Path, records: dict,
                   replaced_by: str | None) -> dict:
    """What :mod:`dlgrade.replaced` keeps beside a submitted folder: the student's time
    records as they are in ``records`` (``sources``, ``file_times``, ``canvas``), when the
    notebook was collected (its modification time: collect wrote it then) and what it said
    for its time."""
    stamp_file = dest.parent / "timestamp.txt"
    source = records["sources"].get(student)
    submitted = stamp_file.read_text().strip() if stamp_file.is_file() else \
        CANVAS_LABEL.get((source or {}).get("source"), "time unknown")
    return {"collected": _utc_text(dest.stat().st_mtime), "replaced": _utc_text(),
            "notebook": dest.name, "submitted": submitted,
            "canvas_file": records["canvas"].get(student), "replaced_by_canvas_file":
            replaced_by, "time_source": source,
            "file_time": records["file_times"].get(student)}


def _keep_replaced(course: Course, assignment: str, student: str, dest: Path, before: dict,
                   file_id: str | None, result: CollectResult) -> None:
    """Keep the submitted folder a collect is about to write new bytes over
    (:mod:`dlgrade.replaced`), with the student's records as they were before this collect;
    ``result.kept`` names where."""
    if dest.is_file():
        result.kept[student] = replaced.keep(
            course, assignment, student,
            _replaced_meta(course, assignment, student, dest, before, file_id))


def revert(course: Course, assignment: str, student: str, dry_run: bool = False) -> dict:
    """Put back the submission of ``student`` the last collect of new bytes replaced (an
    unwanted resubmission taken back; review 23j, finding 3): the submitted folder as it was
    (``timestamp.txt`` included) and the student's time-source, file-time and Canvas file id
    records. The submission it replaces is kept in turn (:mod:`dlgrade.replaced`), so
    reverting again brings it back. Nothing is written with ``dry_run``.

    Returns ``{"back": meta of the submission put back, "now": meta of the one replaced,
    "kept": the folder it is kept in}``.

    Raises
    ------
    ValueError
        If no replaced submission of ``student`` is kept for ``assignment``.
    """
    course.require_assignment(assignment)
    found = replaced.latest(course, assignment, student)
    folder = course.submitted_dir / student / assignment
    if found is None:
        raise ValueError(
            f"student: no earlier submission of {student!r} for {assignment} is kept, so "
            "there is nothing to take back (collect keeps the last "
            f"{replaced.KEEP} submissions a newer notebook replaced, in "
            f"{shown_path(replaced.student_folder(course, assignment, student), course)}/); "
            "nothing changed")
    entry, back = found
    back = _own_time(back)
    records = {"sources": read_time_sources(course, assignment),
               "file_times": read_file_times(course, assignment),
               "canvas": canvas.read_record(course, assignment)}
    dest = folder / back.get("notebook", f"{assignment}.ipynb")
    now = _replaced_meta(course, assignment, student, dest, records,
                         back.get("canvas_file")) if dest.is_file() else None
    kept = entry.with_name(str(int(entry.name) + 1))
    if not dry_run:
        if now is not None:
            kept = replaced.keep(course, assignment, student, now, prune=False)
        replaced.put_back(course, entry, assignment, student)
        replaced.drop_oldest(course, assignment, student)  # none: one out, one in
        for key, field_name in (("sources", "time_source"), ("file_times", "file_time"),
                                ("canvas", "canvas_file")):
            if back.get(field_name) is None:
                records[key].pop(student, None)
            else:
                records[key][student] = back[field_name]
        if back.get("time_source") and back["time_source"].get("stamp"):
            (folder / "timestamp.txt").write_text(back["time_source"]["stamp"] + "\n")
        write_time_sources(course, assignment, records["sources"])
        write_file_times(course, assignment, records["file_times"])
        if records["canvas"] or canvas.record_path(course, assignment).exists():
            canvas.write_record(course, assignment, records["canvas"])
        _clear_gradebook_times(course, assignment, [student] if back.get("time_source") and
                               back["time_source"].get("source") in CANVAS_LABEL else [])
    return {"back": back, "now": now, "kept": kept if now is not None else None}


def _own_time(meta: dict) -> dict:
    """A kept notebook's ``meta`` with its own time as the one it comes back with, marked
    ``"reverted"`` (:data:`dlgrade.time_records.TIME_SOURCES`): a newer worksheet's later
    time given to it (``"reread"``) was the upload that replaced it, which collect took the
    time for, so its time before that is its own (review 23m, finding 1, M3)."""
    source = meta.get("time_source")
    if not source or not source.get("stamp") or \
            source.get("source") not in WORKSHEET_REPLACES:
        return meta  # an instructor's --timestamps or Canvas's word: no worksheet replaces it
    if source.get("reread") and source.get("before"):
        source = {"stamp": source["before"], "source": "worksheet"}
        meta = meta | {"submitted": source["stamp"]}
    return meta | {"time_source": {k: v for k, v in source.items()
                                   if k not in ("reread", "before")} | {"reverted": True}}


def apply_worksheet_times(course: Course, assignment: str, students=None) -> dict:
    """Give the collected students (of ``students``, default all) the time of the grading
    worksheet imported last where collect would take it (:func:`pending_worksheet_times`):
    ``timestamp.txt`` and the time records, as a collect of the same files does (review 23j,
    finding 2). Returns ``{student: (old stamp, new stamp, old source, note)}``, ``note``
    naming a later time that makes the file late over an older worksheet's (the file may be
    an upload before the one the worksheet times; review 23f, N6), else ``""``."""
    pending = pending_worksheet_times(course, assignment, students)
    if not pending:
        return {}
    sources = read_time_sources(course, assignment)
    file_times = read_file_times(course, assignment)
    dues = _due_dates(course, assignment, set(pending))
    out = {}
    for student, (kept, stamp, source) in pending.items():
        when, due = _parse_stamp(stamp), dues.get(student)
        later = source == "worksheet" and when > _parse_stamp(kept) and due is not None \
            and when > due
        note = later_worksheet_note(student, stamp, when - due, kept) if later else ""
        if source == "worksheet" and when < _parse_stamp(kept):
            # Moodle's time of an upload never goes back: an older worksheet, whose earlier
            # time lifts a penalty, is said too (review 23k, finding 5)
            note = (f"{student}: the grading worksheet imported now gives {when:%Y-%m-%d %H:%M} "
                    f"UTC, earlier than the {_parse_stamp(kept):%Y-%m-%d %H:%M} UTC the one "
                    "imported before gave; Moodle's time of an upload never goes back, so this "
                    "worksheet is likely the older one: if so, import the newer one again")
        (course.submitted_dir / student / assignment / "timestamp.txt").write_text(stamp + "\n")
        # the time the file had before: a download that lacks a later upload is still
        # named against it (review 23g, G4)
        sources[student] = {"stamp": stamp, "source": "worksheet"} | (
            {"reread": True, "before": kept} if later else {})
        file_times.pop(student, None)
        out[student] = (kept, stamp, source, note)
    write_file_times(course, assignment, file_times)
    write_time_sources(course, assignment, sources)
    return out


def _wrong_format(course: Course, assignment: str, ignored: list, found: dict, roster,
                  notebooks: list[str], named: dict) -> dict[str, str]:
    """``{student: reason}`` for the roster students whose only uploads among the ``ignored``
    (non-notebook) files are in another format: a PDF, a ``.py``, a notebook renamed
    ``.ipynb.json``. The LMS's id in the file's name says whose they are (never the name
    alone: that is a guess); their status is then ``not collected`` with this reason, not
    ``no submission`` exported as 0 (review 23d, P2b). Their paths go into ``named``
    (student -> paths)."""
    if roster is None:
        roster = read_roster(course)
    if not roster:
        return {}
    participants = moodle.read_participants(course, assignment)
    files: dict[str, list[str]] = {}
    for name in ignored:
        parsed = lms.parse_lms_path(Path(name).parts)
        if parsed is None:
            continue
        is_moodle = parsed.system == moodle.LMS.name
        student, note = lms.identify(parsed, roster, participants if is_moodle else None,
                                     assignment)
        if student is not None and not note and student not in found and \
                not (course.submitted_dir / student / assignment).is_dir():
            files.setdefault(student, []).append(parsed.file)
            named.setdefault(student, []).append(name)
    wanted = " or ".join(n + ".ipynb" for n in notebooks)
    out = {}
    for student, names in sorted(files.items()):
        kinds = []
        for base in names:
            if ".ipynb" in base.lower():
                kinds.append(f"{base} (a notebook renamed by an LMS or browser? rename it to "
                             "end in .ipynb)")
            else:
                kinds.append(f"{base} (a {Path(base).suffix or 'file without extension'})")
        out[student] = (f"handed in {'; '.join(kinds)}, not the notebook {wanted}: ask for it, "
                        "put it in the download (zip or folder) and collect again")
    return out


def _refuse_wrong_download(course: Course, assignment: str, like_paths: dict, seen: int,
                           found: dict, targets: dict) -> None:
    """Raise :class:`WrongDownload` when the notebooks named after another assignment's
    notebook are most of the download, or when one of them would replace a notebook already
    collected for ``assignment`` (before anything is written)."""
    student_of = {p: s for s, paths in found.items() for p in paths}
    for other, paths in sorted(like_paths.items(), key=lambda kv: -len(kv[1])):
        names = sorted(p.name for p in (course.source_dir / other).glob("*.ipynb"))
        replaced = sorted({student_of[p] for p in paths if p in student_of and (
            course.submitted_dir / student_of[p] / assignment
            / f"{targets.get(p, assignment)}.ipynb").is_file()})
        if 2 * len(paths) <= seen and not replaced:
            continue
        why = f"{len(paths)} of {seen} notebooks are {' or '.join(names)}"
        if replaced:
            why += (f"; they would replace the notebook{'s' if len(replaced) > 1 else ''} "
                    f"collected for {', '.join(replaced)}")
        raise WrongDownload(
            f"this looks like the {other} download ({why}): nothing copied; collect it with "
            f"`dlcourse collect {other} ...`, or pass --force if these students really handed "
            f"in {other}'s notebook for {assignment} (it is then graded as {assignment}'s)")


def _notebooks_of_other_assignments(course: Course, assignment: str) -> dict[str, str]:
    """``{notebook name (no .ipynb): assignment}`` of the course's other assignments, for
    the notebooks whose name is not also one of ``assignment``'s."""
    own = {p.stem for p in (course.source_dir / assignment).glob("*.ipynb")}
    out = {}
    for other in course.assignments():
        if other != assignment:
            for path in sorted((course.source_dir / other).glob("*.ipynb")):
                if path.stem not in own:
                    out.setdefault(path.stem, other)
    return out


def _named_after_other(file: str, notebooks: list[str], elsewhere: dict[str, str]) -> str:
    """The other assignment whose notebook an LMS file is named after (Canvas's ``-N``
    resubmission suffix aside), ``""`` when it is not.

    >>> _named_after_other("tiny-1.ipynb", ["other"], {"tiny": "tiny"})
    'tiny'
    >>> _named_after_other("other.ipynb", ["other"], {"tiny": "tiny"})
    ''
    """
    stem = re.sub(r"-\d+$", "", file[:-len(".ipynb")] if file.endswith(".ipynb") else file)
    return "" if stem in notebooks else elsewhere.get(stem, "")


def _other_assignment_warning(course: Course, assignment: str, other: str,
                              files: list[str]) -> str:
    """One warning for the files of a download named after another assignment's notebook:
    the download of the wrong assignment, or students who uploaded the wrong notebook."""
    theirs = ", ".join(sorted(p.name for p in (course.source_dir / other).glob("*.ipynb")))
    ours = ", ".join(sorted(p.name for p in (course.source_dir / assignment).glob("*.ipynb")))
    many = len(files) > 1
    return (f"{len(files)} file{'s' if many else ''} named after {other}'s notebook "
            f"({theirs}), not {assignment}'s ({ours}), taken as {assignment}'s: "
            f"{', '.join(files)}. The download of {other}? Then collect it with `dlcourse "
            f"collect {other} ...`; grading names a notebook of {other} as such")


def _candidates(root: Path, result: CollectResult, limits):
    """The notebooks below ``root`` (sorted paths) and a reader for them; links, pipes and
    devices are never followed or opened: a notebook among them is refused in ``result``,
    other files are ignored."""
    from . import safe_files  # nbgrader: seconds, for a folder or a zip only

    policy = dataclasses.replace(safe_files.COLLECT, max_notebook_bytes=limits.max_notebook_bytes,
                                 max_total_bytes=limits.max_total_bytes)
    found = safe_files.survey(root, policy)
    for refusal in found.refused:
        if refusal.path.endswith(".ipynb"):
            result.refused[refusal.path] = refusal.reason
        else:
            result.ignored.append(refusal.path)

    def data(path: Path) -> bytes | None:
        rel = str(path.relative_to(root))
        try:
            return safe_files.read_regular(path, policy.limit(rel),
                                           found.accepted[rel])
        except safe_files.UnsafeFile as exc:
            result.refused[rel] = str(exc)
            return None

    return [root / rel for rel in sorted(found.accepted)], data


def _either(first, second, second_root: Path):
    """One reader for the candidates of two roots (:func:`_candidates`)."""
    def data(path: Path) -> bytes | None:
        return second(path) if second_root in path.parents else first(path)
    return data


def _entry_time(parts, entry_times: dict, path: Path, timezone: str = "UTC",
                instant: bool = False):
    """Naive UTC time of a file and where it came from (``"zip"`` or ``"file"``): its zip
    entry's (the archive may sit in a folder named after it), else its modification time.

    A zip entry holds a wall-clock time without a zone (read in ``timezone``, the course's).
    Unpacking a download (``unzip``, Finder, Explorer) gives each file that wall-clock time
    in *this computer's* zone, so a modification time is read back as a wall-clock time here
    and then placed in ``timezone`` too: the same upload gets the same time from the zip and
    from the unpacked folder (review 23d, P4: on a UTC server they were an hour apart). An
    entry with an extended-timestamp field (Info-ZIP's UT) is unpacked at its true instant
    instead, and so is a file written here: such a time (``instant``, or one that is no
    wall-clock time of a zip entry, :func:`_is_instant`) is read as the instant it is (review
    23f, N9: the ``unzip``-ped folder of such a zip was read an hour early). A file copied or
    written after the download has its own time, not the upload's: collect warns about such
    times (:func:`_doubtful_times`)."""
    for i in range(len(parts)):
        key = "/".join(parts[i:])
        if key in entry_times:
            return entry_times[key], "zip"
    mtime = path.stat().st_mtime
    if instant or _is_instant(mtime):
        return dt.datetime.fromtimestamp(mtime, dt.timezone.utc).replace(tzinfo=None), "file"
    wall = dt.datetime.fromtimestamp(mtime)  # this computer's wall clock
    local = wall.replace(tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None), "file"


def _is_instant(mtime: float) -> bool:
    """Whether a modification time cannot be a zip entry's wall-clock time that ``unzip``
    restored: those are whole, even seconds (a zip's DOS time counts in steps of 2 s, and a
    zone's offset is whole minutes), so a fraction of a second (a file written here) or an
    odd second (an extended-timestamp field's true instant) is an instant, not a wall clock."""
    return mtime != int(mtime) or int(mtime) % 2 == 1


def _file_times_are_instants(paths) -> bool:
    """Whether a folder's files were unpacked at their true instants (review 23f, N9): one
    whole odd second among them says that their zip held extended-timestamp fields (Info-ZIP
    writes one to every entry), so their even seconds are instants too. A folder of even
    seconds only is read as wall-clock times (a zip without such fields, the LMSs'); the
    guide says to collect the zip itself, or keep it beside the folder."""
    for path in paths:
        if path.suffix != ".ipynb":  # the download's notebooks, not notes added to it
            continue
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if mtime == int(mtime) and int(mtime) % 2 == 1:
            return True
    return False


def _zip_beside(source: Path, root: Path, candidates: list, data, timezone: str,
                limits) -> tuple[str, dict] | None:
    """``(zip, {file: naive UTC time})``: the zip next to the folder ``source`` that holds
    its notebooks under the same names (or with a folder before them), the same sizes and
    CRC-32s (the download the folder was unpacked from), and its entries' times for them,
    read as :func:`dlgrade.lms.zip_times` reads them when that zip is collected, so the
    same upload gets the same time from the zip and from its folder whatever tool unpacked
    it (review 23f, N9). The zip holding the most of them wins; ``None`` without one.
    Only the zips' directories are read (at most :data:`MAX_BESIDE` zips, none with more
    entries than ``limits.max_members``)."""
    notebooks = {p.relative_to(root).as_posix(): p for p in candidates
                 if p.suffix == ".ipynb" and root in p.parents}
    if not notebooks:
        return None
    try:
        zips = sorted(p for p in source.resolve().parent.glob("*.zip") if p.is_file())
    except OSError:
        return None
    sums: dict[str, tuple[int, int]] = {}
    best = None
    for archive in zips[:MAX_BESIDE]:
        try:
            with zipfile.ZipFile(archive) as zf:
                infos = zf.infolist()
                if len(infos) > limits.max_members:
                    continue
                matched = {}
                for info in infos:
                    name = lms.base.entry_name(info)
                    rel = next((r for r in notebooks if name == r or
                                name.endswith("/" + r)), None)
                    if rel is None or rel in matched:
                        continue
                    if rel not in sums:
                        content = data(notebooks[rel])
                        sums[rel] = (-1, -1) if content is None else \
                            (len(content), zlib.crc32(content))
                    if sums[rel] == (info.file_size, info.CRC):
                        matched[rel] = info.filename
            if matched and (best is None or len(matched) > len(best[1])):
                best = archive, matched
        except (OSError, zipfile.BadZipFile, ValueError):
            continue
    if best is None:
        return None
    archive, matched = best
    entry_times = lms.zip_times(archive, timezone)
    return str(archive), {rel: entry_times[name] for rel, name in matched.items()}


#: how many zips beside a collected folder are looked into for the one it was unpacked from
MAX_BESIDE = 50


#: a submission time this long after the due date is more likely a file's copy time
FAR_PAST_DUE = dt.timedelta(days=7)
#: a clock a little ahead (another computer's) is no time in the future
CLOCK_SLACK = dt.timedelta(minutes=10)


def _doubtful_times(course: Course, assignment: str, times: dict, where: dict,
                    now: dt.datetime | None = None, moodle=()) -> dict[str, str]:
    """Warnings for the submission times that may not be the upload's (review 23d, P4):
    in the future, more than :data:`FAR_PAST_DUE` after the due date, or after the due date
    by a file's modification time (a folder: a copied or hand-written file has the time it
    was written). ``times`` is ``{student: naive UTC time}``, ``where`` ``{student: (source,
    file)}``; a late penalty follows from these times, so each line (``{student: line}``)
    names the student, the file and how late, before anyone is graded. For the students in
    ``moodle`` (their file is a Moodle download's) a doubtful file time also points to the
    grading worksheet, Moodle's record of the upload."""
    if not times:
        return {}
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    dues = _due_dates(course, assignment, set(times))
    out = {}
    for student, when in sorted(times.items()):
        due = dues.get(student)
        source, file = where[student]
        origin = {"zip": "taken from its zip entry",
                  "worksheet": "taken from the grading worksheet's 'Last modified "
                               "(submission)'"}.get(source,
                                                    "taken from the file's modification time "
                                                    "in the folder: when it was unpacked, "
                                                    "copied or written here")
        fix = (f"if that is not when {student} uploaded it, give the time with --timestamps "
               "and collect again")
        if student in moodle and source == "zip":  # review 23g, G2
            origin = ("taken from its zip entry: Moodle's zipper gives each entry the time "
                      "its server stored that file, the upload's on most sites, but the "
                      "moment of the download where files are kept elsewhere (an object "
                      "store), and an earlier one for bytes uploaded before")
        if student in moodle and source in ("file", "zip"):  # Moodle's record (23e, N3)
            fix += (" (or import the assignment's grading worksheet, whose 'Last modified "
                    f"(submission)' Moodle wrote: `dlcourse roster import worksheet.csv "
                    f"--assignment {assignment}`, and collect again)")
        stamp = when.strftime("%Y-%m-%d %H:%M UTC")
        if when > now + CLOCK_SLACK:
            out[student] = (f"{student}: {file}: submitted {stamp}, in the future ({origin}); "
                            + fix)
        elif due is not None and when > due and (source == "file" or when - due >
                                                 FAR_PAST_DUE or (source == "zip" and
                                                                  student in moodle)):
            late = _hours(when - due)
            out[student] = (f"{student}: {file}: submitted {stamp}, {late} after the due "
                            f"date ({origin}), so a late penalty follows; " + fix)
    return out


def _due_dates(course: Course, assignment: str, students) -> dict[str, dt.datetime]:
    """``{student: naive UTC due date, their extension included}`` (empty when the
    assignment has no due date)."""
    from nbgrader.api import MissingEntry

    if not students:
        return {}
    dues = {}
    with course.gradebook() as gb:
        try:
            due = gb.find_assignment(assignment).duedate
        except MissingEntry:
            due = None
        for student in sorted(students) if due is not None else ():
            try:
                extension = gb.find_submission(assignment, student).extension
            except MissingEntry:
                extension = None
            dues[student] = due + extension if extension else due
    return dues


#: a download whose entries of two or more students all lie within this span carries the
#: moment the zip was made, not the uploads (review 23f, N10): Canvas's content zipper and
#: Moodle's archive writer give no time to the entries they write, so each gets "now"
MADE_SPAN = dt.timedelta(minutes=2)


def _download_made(found: dict, times: dict, dues: dict, canvas_late: dict, root_of,
                   assignment: str) -> dict:
    """The zip times of a download made after the due date that say when the zip was made,
    not when each file was uploaded (review 23f, N10), and what is done with them.

    Canvas files are left out: their entry times are never upload times, and Canvas's
    ``LATE_`` marker is their record (review 23g, G1). When the zip entries of two or more
    students' other files all lie within :data:`MADE_SPAN`, no entry time is taken as an
    upload's: a time after a student's due date (their extension included) then changes in
    ``times`` (``{path: (time, source)}``) to the due date, the latest on-time moment, and
    the student is named (its lateness unknown). Returns
    ``{"when": the latest entry time or None, "times": {student: the zip's time},
    "notes": {student: line}, "paths": the files whose time is one of these}``, the
    students in ``"notes"`` to be named with exit status 1.
    """
    out = {"when": None, "times": {}, "notes": {}, "paths": set()}
    entries = {p: times[p][0] for paths in found.values() for p in paths
               if times[p][1] == "zip" and p not in canvas_late  # Canvas's: its marker
               and times[p][0] is not None}  # no time in the entry: unknown (23h, 2)
    owners = {student for student, paths in found.items() if any(p in entries for p in paths)}
    if len(owners) < 2 or max(entries.values()) - min(entries.values()) > MADE_SPAN:
        return out
    out["when"] = made = max(entries.values())
    stamp = made.strftime("%Y-%m-%d %H:%M UTC")
    why = (f"the download's entries all carry times within {MADE_SPAN.seconds // 60} minutes "
           f"of {stamp}, when the zip was made, not when each file was uploaded")
    for student, paths in sorted(found.items()):
        due = dues.get(student)
        for path in paths:
            if path not in entries or due is None or entries[path] <= due:
                continue
            out["times"][student] = entries[path]
            out["paths"].add(path)
            rel = path.relative_to(root_of(path))
            times[path] = (due, "zip")
            out["notes"][student] = (
                f"{student}: {rel}: {why}: its upload time is unknown, so it is recorded "
                f"at the due date ({due:%Y-%m-%d %H:%M} UTC), on time; give the upload "
                "time with --timestamps (Moodle: import the assignment's grading worksheet "
                f"with `dlcourse roster import worksheet.csv --assignment {assignment}`) "
                "and collect again")
    return out


def _check_records(result: CollectResult, course: Course, assignment: str, chosen: dict,
                   made: dict, canvas_late: dict, dues: dict, sheet_times: dict,
                   sheet_none: set, sources: dict, given: dict, root_of) -> None:
    """Name (``result.contradictions``, ``result.warnings``) what the LMS's own record says
    against the times and files collected (review 23f): a Canvas file marked ``LATE_``
    whose time only ``--timestamps`` can give (review 23g, G1), the late files of a download whose
    times are its making (:func:`_download_made`), a student the Moodle grading worksheet
    lists as submitted whose file the download lacks (N7), and one it lists as ``-`` whose
    file the download holds (N5). Times given with ``--timestamps`` are the instructor's and
    not checked."""
    def recorded(student: str):  # (time, source) of the student's time collected now
        stamp = result.submitted_at.get(student)
        if stamp is None or student in given:
            return None, None
        entry = sources.get(student, {})
        return _parse_stamp(stamp), entry.get("source") if entry.get("stamp") == stamp else None

    def name(student: str, note: str) -> None:
        result.contradictions[student] = note
        result.warnings.append(note)

    for student, marker in sorted(result.canvas_marked.items()):
        if marker == CANVAS_LATE:
            name(student, canvas_late_note(student, assignment))
        elif marker == NO_TIME:
            path = chosen[student]
            name(student, no_time_note(student, assignment, path.relative_to(root_of(path))))
    for student, path in sorted(chosen.items()):
        when, source = recorded(student)
        if when is None or source == "csv" or student in result.canvas_marked:
            continue
        if made["used"].get(student) == result.submitted_at[student]:
            # the time this download's making gave: said by _download_made
            if student in made["notes"]:
                name(student, made["notes"][student])
        if student in sheet_none:
            name(student, f"{student}: the grading worksheet imported for {assignment} says no "
                          f"submission ('-'), yet the download has a file, "
                          f"{path.relative_to(root_of(path))}: the worksheet is older than this "
                          "upload, whose time it does not give; download the worksheet "
                          f"again, `dlcourse roster import <worksheet.csv> --assignment "
                          f"{assignment}`, and collect again")
    for student, when in sorted(sheet_times.items()):
        stamp_file = course.submitted_dir / student / assignment / "timestamp.txt"
        if student in chosen or student in result.duplicates or \
                student in result.wrong_format:
            continue
        if stamp_file.exists():
            try:
                text = stamp_file.read_text().strip()
            except OSError:
                continue
            entry = sources.get(student, {})
            # a newer worksheet's later time given at its import to the file collected
            # before (apply_worksheet_times): compared with that file's own time
            kept = _parse_stamp(entry["before"] if entry.get("before") and
                                entry.get("stamp") == text else text)
            if when - kept >= dt.timedelta(minutes=1):  # review 23g, G4
                name(student, f"{student}: the grading worksheet imported for {assignment} "
                              f"says submitted {when:%Y-%m-%d %H:%M} UTC, after the file "
                              f"collected before ({kept:%Y-%m-%d %H:%M} UTC), but the "
                              "download holds no file for them: it lacks that upload (a "
                              "download of some groups only?), and the earlier file would be "
                              "graded; download the submissions again and collect")
            continue
        result.no_file[student] = (
            f"{MOODLE_NO_FILE}: the grading worksheet imported for {assignment} gives "
            f"{when:%Y-%m-%d %H:%M} UTC, and no download held the file: download the "
            f"submissions again and `dlcourse collect {assignment} ...`")
        name(student, f"{student}: the grading worksheet imported for {assignment} says "
                      f"submitted {when:%Y-%m-%d %H:%M} UTC, but the download holds no file "
                      "for them (a download made before that upload, or of some groups "
                      "only?): download the submissions again and collect; until then they "
                      "are 'not collected' (no 0 exported)")


def later_worksheet_note(student: str, stamp: str, late: dt.timedelta, kept: str) -> str:
    """The two readings of a newer worksheet's later time that makes a file collected under
    an older worksheet's late (review 23f, N6)."""
    return (f"{student}: the grading worksheet imported since gives a later time, {stamp}, "
            f"{_hours(late)} after the due date, to the same file timed {kept} by the "
            "worksheet imported before: right if that worksheet was older than this upload; "
            "but if this download was made before the upload the worksheet times, its file is "
            "an earlier one and the penalty is wrong: download the submissions again and "
            "collect")


def _hours(late: dt.timedelta) -> str:
    hours = late.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


#: where a submission time came from, as a collect line says it
ORIGIN = {"file": "a file's modification time", "zip": "its zip entry",
          "worksheet": "the grading worksheet's 'Last modified (submission)'",
          "csv": "--timestamps", None: "the first collect"}


def _parse_stamp(stamp: str) -> dt.datetime:
    """A ``timestamp.txt`` text as a naive UTC datetime (the far past for one this tool
    did not write: nbgrader's own, or an instructor's)."""
    try:
        return dt.datetime.strptime(stamp, lms.STAMP_FORMAT)
    except ValueError:
        return dt.datetime.min


def doubtful_file_times(course: Course, assignment: str) -> dict[str, str]:
    """``{student: warning}`` of the students whose submission time is still the doubtful one
    a collect took from a file's modification time (their ``timestamp.txt`` unchanged since),
    for ``grade`` to repeat on their line (review 23e, N1)."""
    out = {}
    for student, entry in read_file_times(course, assignment).items():
        stamp_file = course.submitted_dir / student / assignment / "timestamp.txt"
        try:
            current = stamp_file.read_text().strip()
        except OSError:  # none: Canvas's marker is the record (its entry "stamp" is "")
            if not stamp_file.parent.is_dir():
                continue
            current = ""
        if entry["warning"] and current == entry["stamp"]:
            out[student] = entry["warning"]
    return out


#: the time source of a Canvas file on time by Canvas's word (no ``LATE_`` in its name) and
#: of one late by it, by an unknown amount; neither has a ``timestamp.txt`` (review 23g, G1)
CANVAS_ON_TIME = "canvas-on-time"
CANVAS_LATE = "canvas-late"
#: the time source of a file whose zip entry holds no time (DOS 1980-01-01 00:00) and whose
#: time nothing else gives: unknown as Canvas's LATE_ is, no ``timestamp.txt`` (review 23h, 2)
NO_TIME = "no-time"
#: how collect, grades.csv and the report say them
CANVAS_LABEL = {CANVAS_ON_TIME: "on time (Canvas)",
                CANVAS_LATE: "late (Canvas), time unknown",
                NO_TIME: NO_TIME_LABEL}
#: the markers whose time is unknown: no late penalty; grade exits 2, export refuses
UNKNOWN_TIME = (CANVAS_LATE, NO_TIME)


def canvas_late_note(student: str, assignment: str) -> str:
    """The line that names a student Canvas marks late whose upload time is not known."""
    return (f"{student}: Canvas marks the file late (LATE_ in its name), but a Canvas "
            "download holds no upload time (its zip entries are the moment each was written "
            "into the zip): no late penalty until you give the submission time Canvas shows "
            f"(SpeedGrader): `dlcourse collect {assignment} <download> --timestamps "
            "times.csv` (student,submitted_at), or that time as your decision")


def no_time_note(student: str, assignment: str, rel) -> str:
    """The line that names a student whose zip entry holds no time (review 23h, 2)."""
    return (f"{student}: {rel}: the download holds no time for this file (its zip entry "
            "has 1980-01-01 00:00, the zip format's \"no time\"): no late penalty until you "
            f"give the submission time: `dlcourse collect {assignment} <download> "
            "--timestamps times.csv` (student,submitted_at), or for Moodle import the "
            "grading worksheet (`dlcourse roster import worksheet.csv --assignment "
            f"{assignment}`) and collect again")


def canvas_marked(course: Course, assignment: str) -> dict[str, str]:
    """``{student: CANVAS_ON_TIME, CANVAS_LATE or NO_TIME}``: the students whose submission
    time is Canvas's marker alone or unknown (no ``timestamp.txt``; review 23g, G1, G6;
    23h, 2)."""
    out = {}
    for student, entry in read_time_sources(course, assignment).items():
        folder = course.submitted_dir / student / assignment
        if entry["source"] in CANVAS_LABEL and folder.is_dir() and \
                not (folder / "timestamp.txt").exists():
            out[student] = entry["source"]
    return out


def _clear_gradebook_times(course: Course, assignment: str, students) -> None:
    """Take the submission time off the gradebook submissions of ``students`` (their time is
    Canvas's marker, so none): nbgrader's autograde keeps a timestamp it recorded before
    when ``timestamp.txt`` is gone, and would count the old lateness."""
    from nbgrader.api import MissingEntry

    if not students:
        return
    with course.gradebook() as gb:
        changed = False
        for student in sorted(students):
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            if sub.timestamp is not None:
                sub.timestamp = None
                changed = True
        if changed:
            gb.db.commit()
