"""Hand grades: scores an instructor gave by hand, kept across every later grading run.

A hand grade is a gradebook grade with a ``manual_score`` that nobody is waiting for any more
(``needs_manual_grade`` false): a written answer marked in formgrader or with ``dlcourse mark``,
or a flagged test cell after review. Grading a student again starts from a clean gradebook entry
(:func:`dlgrade.worker.clear_student`), so before that the hand grades are copied to
``<output>/<assignment>/hand_grades/<student>.json`` and written back after nbgrader's autograde,
for each cell whose answer is unchanged: its ``key`` is a digest of what the grader judged (the
written answer itself; for a code cell, every cell of the notebook the student controls). An
answer the student changed since is graded afresh and its old hand grade dropped, with a note.

The file is written before anything is cleared, so a run interrupted half-way loses nothing: the
next run restores from it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from pathlib import Path

from .course import Course
from .status import (
    grade_command,
    read_not_collected,
    read_statuses,
    status_path,
    write_status,
)
from .worker import FEEDBACK_HELD, Grader

# nbgrader (MissingEntry) and nbformat take seconds to import; the functions that touch the
# gradebook or read a notebook import them, so the report's imports of this module cost nothing.

HAND_DIR = "hand_grades"


def hand_grades_path(course: Course, assignment: str, student: str) -> Path:
    return course.output_dir(assignment) / HAND_DIR / f"{student}.json"


def read_hand_grades(course: Course, assignment: str, student: str) -> dict:
    """``{"<notebook>/<grade_id>": {"score", "comment", "key"}}`` (empty when none)."""
    path = hand_grades_path(course, assignment, student)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_hand_grades(course: Course, assignment: str, student: str, grades: dict) -> None:
    """Write (atomically) or, when ``grades`` is empty, remove the student's file."""
    path = hand_grades_path(course, assignment, student)
    if not grades:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(grades, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _as_judged(text: str) -> str:
    """An answer's text as a grader reads it: line ends unified, the spaces that end a line
    and the blank lines around the text dropped (an editor that saves a final newline does
    not change the answer, review 23c F6)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def answer_keys(notebook_path: Path, exact: bool = False) -> dict[str, str]:
    """``{grade_id: digest}`` of what a hand grade of each graded cell judged: the cell's own
    text for an answer cell, the student's cells of the notebook for a test cell, each read
    by :func:`_as_judged` (``exact``: byte for byte, the digests saved before that). Empty
    when the notebook cannot be read."""
    import nbformat

    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except Exception:  # noqa: BLE001 - no autograded copy: nothing to compare
        return {}
    read = (lambda text: text) if exact else _as_judged
    own = hashlib.sha256()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("locked"):
            own.update(read(cell.source).encode() + b"\0")
    keys = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") and meta.get("grade_id")):
            continue
        if meta.get("solution"):
            keys[meta["grade_id"]] = hashlib.sha256(read(cell.source).encode()).hexdigest()
        else:
            keys[meta["grade_id"]] = own.hexdigest()
    return keys


def is_hand_grade(grade, flagged=()) -> bool:
    """Whether a gradebook grade holds a score given by hand: a ``manual_score`` that nobody
    waits for (formgrader clears ``needs_manual_grade``), or one a script set without clearing
    it, unless the grader itself put it there (``flagged``: the cells a finding zeroed)."""
    if grade.manual_score is None:
        return False
    return not grade.needs_manual_grade or grade.name not in set(flagged)


def waits_for_hand(grade, flagged=()) -> bool:
    """Whether a gradebook grade still waits for a hand grade."""
    return bool(grade.needs_manual_grade) and not is_hand_grade(grade, flagged)


def flagged_cells(course: Course, assignment: str, student: str) -> list[str]:
    """The cells the last grading run flagged (its status record's ``flagged_cells``)."""
    try:
        return json.loads(status_path(course, assignment, student).read_text()).get(
            "flagged_cells") or []
    except (OSError, ValueError, AttributeError):
        return []


def _autograded(course: Course, assignment: str, student: str, notebook: str) -> Path:
    return course.autograded_dir / student / assignment / f"{notebook}.ipynb"


def load_submissions(gb, assignment: str) -> list:
    """Load every gradebook submission of ``assignment`` into ``gb``'s session with what
    the grader reads of each (its notebooks and their names, their grades and comments,
    each one's cell and name, a grade's deferred maximum score), in a few queries. Reading
    them lazily, student by student, took ~24 queries a student (~0.5 s for a class of 60).
    Keep the returned list while reading: the session holds only objects referred to."""
    from nbgrader.api import Assignment, Comment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy.orm import joinedload, selectinload, undefer

    return gb.db.query(SubmittedAssignment).join(
        Assignment, Assignment.id == SubmittedAssignment.assignment_id).filter(
        Assignment.name == assignment).options(
        selectinload(SubmittedAssignment.notebooks).options(
            joinedload(SubmittedNotebook.notebook),
            selectinload(SubmittedNotebook.grades).options(
                joinedload(Grade.cell), undefer(Grade.max_score)),
            selectinload(SubmittedNotebook.comments).options(joinedload(Comment.cell)))).all()


def save_hand_grades(gb, course: Course, assignment: str, student: str) -> dict:
    """Add the hand grades now in the gradebook to the student's file (before a regrade) and
    return the file's content. Entries of the file the gradebook no longer has are kept: the
    gradebook entry may be one a run interrupted after clearing it."""
    from nbgrader.api import MissingEntry

    saved = read_hand_grades(course, assignment, student)
    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return saved
    flagged = flagged_cells(course, assignment, student)
    for nb_sub in submission.notebooks:
        keys = None
        for grade in nb_sub.grades:
            if not is_hand_grade(grade, flagged):
                continue
            if keys is None:
                keys = answer_keys(_autograded(course, assignment, student, nb_sub.name))
            comment = _comment(gb, grade.name, nb_sub.name, assignment, student)
            entry = f"{nb_sub.name}/{grade.name}"
            before = saved.get(entry, {})
            # the points the cell had when it was graded by hand: a release may have changed
            # them since (the gradebook then says the new ones)
            top = before.get("max") if before.get("score") == float(grade.manual_score) \
                else None
            saved[entry] = {"score": float(grade.manual_score), "comment": comment,
                            "key": keys.get(grade.name) or before.get("key"),
                            "max": float(grade.max_score) if top is None else top}
    write_hand_grades(course, assignment, student, saved)
    return saved


def _comment(gb, grade_id, notebook, assignment, student):
    from nbgrader.api import MissingEntry

    try:
        return gb.find_comment(grade_id, notebook, assignment, student).manual_comment
    except MissingEntry:
        return None


def restore_hand_grades(gb, course: Course, assignment: str, student: str,
                        late=None) -> tuple[set, list]:
    """Write the saved hand grades back after autograde where the answer is unchanged, and
    compute the late penalty from the whole score with ``late``, the run's policy (a
    :func:`dlgrade.late.late_assigner` or its ``Config``; default: the course file's).

    Returns
    -------
    kept : set of str
        Grade ids whose hand grade is back in the gradebook.
    notes : list of str
        One line per hand grade dropped because the student changed the answer.
    """
    from nbgrader.api import MissingEntry

    saved = read_hand_grades(course, assignment, student)
    kept, notes, still = set(), [], {}
    keys_of = {}
    for entry, value in sorted(saved.items()):
        notebook, _, grade_id = entry.partition("/")
        if notebook not in keys_of:
            path = _autograded(course, assignment, student, notebook)
            keys_of[notebook] = (answer_keys(path), answer_keys(path, exact=True))
        key, exact = (keys.get(grade_id) for keys in keys_of[notebook])
        if value.get("key") is None or value["key"] not in (key, exact):
            notes.append(f"hand grade of {grade_id} ({value['score']:g}) dropped: the answer "
                         "changed since it was graded; grade it again")
            continue
        try:
            grade = gb.find_grade(grade_id, notebook, assignment, student)
        except MissingEntry:
            notes.append(f"hand grade of {grade_id} dropped: the cell is gone from {notebook}")
            continue
        score, top, then = value["score"], float(grade.max_score), value.get("max")
        if then is not None and float(then) != top:  # re-weighted since (review 23c, N4)
            if score > top:
                notes.append(f"hand grade of {grade_id} ({score:g} of {float(then):g}) "
                             f"lowered to {top:g}: the cell is now worth {top:g} points; "
                             "check it")
                score = top
            else:
                notes.append(f"hand grade of {grade_id} ({score:g} of {float(then):g}) kept "
                             f"as {score:g} of {top:g}: the cell's points changed; check it")
            value = dict(value, score=score, max=top)
        grade.manual_score = score
        grade.needs_manual_grade = False
        if value.get("comment") is not None:
            try:
                gb.find_comment(grade_id, notebook, assignment, student).manual_comment = \
                    value["comment"]
            except MissingEntry:
                pass
        kept.add(grade_id)
        still[entry] = dict(value, key=key)  # a digest saved byte for byte is read anew
    if kept:  # autograde's penalty saw the automatic points only: the whole score pays it
        from .late import apply_late_penalty, late_config

        apply_late_penalty(gb, gb.find_submission(assignment, student),
                           late if late is not None else late_config(None, course))
    gb.db.commit()
    write_hand_grades(course, assignment, student, still)
    return kept, notes


def dropped_hand_grades(course: Course, assignment: str, students) -> dict[str, list[str]]:
    """``{student: [note]}``: the notes of the students' status records that say a hand grade
    was dropped or changed (:func:`restore_hand_grades`), for the command line's per-student
    lines."""
    records = read_statuses(course, assignment)
    out = {}
    for student in students:
        notes = [n for n in (records.get(student, {}).get("notes") or [])
                 if isinstance(n, str) and n.startswith("hand grade of ")]
        if notes:
            out[student] = notes
    return out


def mark(course: Course, assignment: str, student: str, cell: str, score: float | None,
         comment: str | None = None) -> dict:
    """Give ``student``'s cell ``cell`` of ``assignment`` a hand grade (``score=None`` removes
    it, so the cell waits for grading again); returns ``{"score", "max_score", "penalty",
    "notebook", "waiting"}``: the score less the late penalty, and the cells of the student
    still waiting for a hand grade.

    Raises
    ------
    ValueError
        If the student has no graded submission (saying why: grading failed, not graded yet,
        nothing handed in, not on the roster), the cell is not a graded cell of the
        assignment, or the score is outside ``[0, max_score]``.
    """
    from nbgrader.api import MissingEntry

    from .late import apply_late_penalty, late_config

    with course.gradebook() as gb:
        why = nothing_to_mark(course, assignment, student)
        try:
            submission = None if why else gb.find_submission(assignment, student)
        except MissingEntry:
            why = why_not_graded(gb, course, assignment, student)
        if why:
            raise ValueError(f"student: {why}")
        grades = {g.name: (nb.name, g) for nb in submission.notebooks for g in nb.grades}
        if cell not in grades:
            raise ValueError(f"cell: got {cell!r}, expected a graded cell of {assignment}: "
                             f"{', '.join(sorted(grades))}")
        notebook, grade = grades[cell]
        if comment is not None:
            try:
                gb.find_comment(cell, notebook, assignment, student)
            except MissingEntry:
                commented = sorted(c.name for nb in submission.notebooks for c in nb.comments)
                raise ValueError(
                    f"comment: {cell} is a test cell, which takes no comment; comments go on "
                    f"answer cells: {', '.join(commented) or 'none in this assignment'}"
                ) from None
        top = float(grade.max_score)
        if score is not None and not 0 <= score <= top:
            raise ValueError(f"score: got {score:g}, expected a number from 0 to {top:g} "
                             f"(the points of {cell})")
        grade.manual_score = score
        grade.needs_manual_grade = score is None and grade.auto_score is None
        if comment is not None:
            gb.find_comment(cell, notebook, assignment, student).manual_comment = comment
        # the late penalty is a function of the whole score, hand points included: the same
        # plugin and settings the student was graded under, in the same transaction
        apply_late_penalty(gb, submission, late_config(_settings(course, assignment, student),
                                                       course))
        gb.db.commit()
        saved = read_hand_grades(course, assignment, student)
        entry = f"{notebook}/{cell}"
        if score is None:
            saved.pop(entry, None)
        else:
            keys = answer_keys(_autograded(course, assignment, student, notebook))
            saved[entry] = {"score": float(score), "comment": comment, "key": keys.get(cell),
                            "max": top}
        write_hand_grades(course, assignment, student, saved)
        waiting = sorted(g.name for nb in submission.notebooks for g in nb.grades
                         if g.needs_manual_grade)
        penalty = float(submission.late_submission_penalty or 0)
        return {"score": max(0.0, float(submission.score) - penalty),
                "max_score": float(submission.max_score), "penalty": penalty,
                "notebook": notebook, "waiting": waiting}


def _settings(course: Course, assignment: str, student: str) -> str | None:
    """The grading settings digest the student's last run recorded (its late policy)."""
    try:
        record = json.loads(status_path(course, assignment, student).read_text())
    except (OSError, ValueError):
        return None
    return record.get("settings") if isinstance(record, dict) else None


def nothing_to_mark(course: Course, assignment: str, student: str, what: str = "mark") -> str:
    """Why a student whose last grading run failed has nothing to mark (``""`` otherwise):
    the gradebook holds no answer of theirs that a score could go to (``what``: the verb
    said, ``review`` for :mod:`dlgrade.flag_reviews`)."""
    try:
        record = json.loads(status_path(course, assignment, student).read_text())
    except (OSError, ValueError):
        return ""
    if not isinstance(record, dict) or record.get("status") != "failed":
        return ""
    return (f"{student}'s submission of {assignment} could not be graded "
            f"({record.get('reason') or 'no reason recorded'}): nothing to {what}")


def why_not_graded(gb, course: Course, assignment: str, student: str,
                   what: str = "mark") -> str:
    """Why the gradebook has no submission of ``student``: not graded yet, nothing handed
    in, or not on the roster at all (``what``: as for :func:`nothing_to_mark`)."""
    from nbgrader.api import MissingEntry

    if student in course.students(assignment):
        return (f"{student!r} handed in {assignment}, but it is not graded yet: run "
                f"`{grade_command(course, assignment)}` first")
    try:
        gb.find_student(student)
    except MissingEntry:
        guesses = difflib.get_close_matches(student, [st.id for st in gb.students], n=3)
        return (f"{student!r} is not on the roster (no such student in the gradebook, and no "
                f"submission of {assignment})" + (
                    f"; did you mean {' or '.join(map(repr, guesses))}?" if guesses else ""))
    refused = read_not_collected(course, assignment).get(student)
    if refused:
        return f"{assignment} of {student!r} is not collected yet: {refused}"
    return f"{student!r} handed in nothing for {assignment}: nothing to {what}"


def hand_digest(submission, flagged=()) -> str:
    """A digest of the hand grades and hand comments of one gradebook submission (``""`` when
    it has none): the feedback page of a student is out of date when it was rendered with
    another digest."""
    items = []
    for nb_sub in submission.notebooks:
        for grade in nb_sub.grades:
            if is_hand_grade(grade, flagged):
                items.append(f"g {nb_sub.name}/{grade.name} {float(grade.manual_score)!r}")
        for comment in nb_sub.comments:
            if comment.manual_comment:
                items.append(f"c {nb_sub.name}/{comment.name} {comment.manual_comment}")
    if not items:
        return ""
    return hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()


def _held(record: dict) -> bool:
    """Whether the grading run held the student's feedback page back for a look."""
    run = record.get("grading_reason", record.get("reason")) or ""
    return FEEDBACK_HELD in run and not record.get("feedback")


def refresh_feedback(course: Course, assignment: str) -> list[str]:
    """Render again the feedback of every graded student whose hand grades or comments
    changed since the page was made (``dlcourse mark``, formgrader, hand grades put back
    after a regrade), so the page shows the score and comments the gradebook holds.

    A page the batch held back (a flagged submission, "feedback held for review") is made
    once no cell it flagged waits any more: the instructor has looked and graded them by hand
    (review 23c, F7); the page is checked for hidden test code like every other.

    Students being graded now (``pending``), failed ones, those whose held cells still wait
    and those whose feedback could not be made are left alone. Returns the students whose
    pages were rendered again.
    """
    from nbgrader.api import MissingEntry

    records = {s: r for s, r in read_statuses(course, assignment).items()
               if r.get("status") in ("graded", "needs manual grading")
               and (r.get("feedback") or _held(r))}
    if not records:
        return []
    stale = {}
    with course.gradebook() as gb:
        loaded = load_submissions(gb, assignment)  # noqa: F841 - keeps them in the session
        for student, record in records.items():
            flagged = record.get("flagged_cells") or []
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            if not record.get("feedback") and (not flagged or any(
                    waits_for_hand(g, flagged) and g.name in flagged
                    for nb in submission.notebooks for g in nb.grades)):
                continue  # held, and the instructor has not graded every flagged cell
            digest = hand_digest(submission, flagged)
            if digest != record.get("feedback_hand", "") or (
                    _held(record) and "feedback_hand" not in record):
                stale[student] = digest
    if not stale:
        return []
    grader = Grader(course, assignment)
    for student, digest in sorted(stale.items()):
        notes = []
        files = grader._publish_feedback(student, notes)
        record = dict(records[student], feedback=files, feedback_hand=digest)
        if notes:
            record["notes"] = list(record.get("notes") or []) + notes
        write_status(course, assignment, record)
    return sorted(stale)
