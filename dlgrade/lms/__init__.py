"""Learning-management systems, one module each, and the registry that lists them.

- :mod:`~dlgrade.lms.canvas`, :mod:`~dlgrade.lms.moodle`, :mod:`~dlgrade.lms.csv` (the plain
  layout): each holds that system's roster columns and their quirks, the names of its
  submission downloads, and its grade export.
- :mod:`~dlgrade.lms.base`: what they share (:class:`~dlgrade.lms.base.Lms`, the interface;
  :class:`~dlgrade.lms.base.LmsName`, a parsed download name; submission times).

:data:`REGISTRY` (name -> system) is the one list: the command line's ``--format`` choices,
roster layout detection, download-name parsing and the messages all read it, so a new
system is a new module here and one line below.

A download name is mapped to a roster id by the LMS's id (Canvas's user id is kept as the
gradebook's ``lms_user_id`` by ``dlcourse roster import``); only when no roster student has
that id, by a name exactly one roster student has, with a warning (:func:`identify`).
Anything else stays unmatched, with the reason: never guessed.
"""

from __future__ import annotations

from . import canvas, csv, moodle
from .base import (
    STAMP_FORMAT,
    Lms,
    LmsName,
    fold,
    format_timestamp,
    notebook_name,
    read_timestamps,
    zip_times,
)

#: every system the tool knows, in the order messages list them
REGISTRY: dict[str, Lms] = {system.name: system for system in (canvas.LMS, moodle.LMS, csv.LMS)}

__all__ = ["REGISTRY", "STAMP_FORMAT", "Lms", "LmsName", "choices", "format_timestamp", "get",
           "identify", "known", "match_student", "notebook_name", "parse_lms_path",
           "read_timestamps", "zip_times"]


def choices() -> list[str]:
    """The registry's names, for ``click.Choice``."""
    return list(REGISTRY)


def known() -> str:
    """The names for a message: ``"canvas, moodle, csv"``."""
    return ", ".join(REGISTRY)


def get(name: str, argument: str = "format") -> Lms:
    """The system called ``name``.

    Raises
    ------
    ValueError
        Naming ``argument``, what came and the known names.
    """
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"{argument}: got {name!r}, expected one of the known layouts: "
                         f"{known()}") from None


def parse_lms_path(rel_parts: tuple[str, ...]) -> LmsName | None:
    """The reading of a submitted file's path inside a download by the first system whose
    names it fits (the most specific pattern first), or ``None``.

    >>> parse_lms_path(("smithjane_LATE_1234_987_02_neuron.ipynb",))
    ... # doctest: +NORMALIZE_WHITESPACE
    LmsName(system='canvas', name='smithjane', uid='1234', file='02_neuron.ipynb', late=True,
            submission='987')
    >>> parse_lms_path(("Jane Smith_55_assignsubmission_file_", "02_neuron.ipynb")).name
    'Jane Smith'
    """
    for system in sorted(REGISTRY.values(), key=lambda s: s.name_rank):
        parsed = system.parse_path(rel_parts)
        if parsed is not None:
            return parsed
    return None


def identify(name: LmsName, roster, assignment_ids: dict | None = None,
             assignment: str = "", learned: dict | None = None) -> tuple[str | None, str]:
    """``(roster id, note)`` of an LMS name.

    The LMS's own id decides: the roster student whose ``lms_user_id`` (the LMS id column of
    the roster import) is the file's id, or whom ``assignment_ids`` (``{LMS id: student id}``
    of ``assignment``: Moodle's participant ids from the grading worksheet) or ``learned``
    (the participant id each student's file was first collected with) gives it; student ids
    are never compared with it. Only when no roster student has that id, the one student
    whose name the system would write as the file's is taken, and ``note`` says so (a
    warning to print); a student known by another id of this system (for Canvas, any Canvas
    id on record; for this assignment, another participant id, from the worksheet or first
    collected) is someone else of the same name, or a classmate who took that name in the LMS
    (review 21b, hole 7), and ``note`` names both ids. With no match, or several, the id is
    ``None`` and ``note`` says why.
    """
    system = get(name.system, "system")
    what = system.id_label
    worksheet = {str(k): str(v) for k, v in (assignment_ids or {}).items()}
    seen = {str(k): str(v) for k, v in (learned or {}).items()
            if str(v) not in set(worksheet.values())}  # the worksheet is the LMS's own word
    ids = {**seen, **worksheet}
    hint = system.id_hint.replace("NAME", assignment or "NAME")
    if hint and worksheet and name.uid not in worksheet:
        # the worksheet is imported and lacks this participant: a newer one may have them
        # (review 23f, N11: the hint said to import the worksheet just imported)
        hint = (f"; {what} {name.uid} is not in the grading worksheet imported for "
                f"{assignment or 'this assignment'}: enrolled since it was "
                "downloaded? download it again, `dlcourse roster import worksheet.csv "
                f"--assignment {assignment or 'NAME'}`, and collect again")
    on_roster = {s.id for s in roster}
    # only LMS ids on record: a student id (a matriculation number) that happens to equal
    # the file's number is someone else's number, never a match
    hits = sorted({s.id for s in roster if name.uid and s.lms_user_id == name.uid}
                  | ({ids[name.uid]} & on_roster if name.uid in ids else set()))
    if len(hits) > 1:
        return None, f"{len(hits)} roster students have {what} {name.uid}: {', '.join(hits)}"
    if hits:
        return hits[0], ""
    id_of = {sid: uid for uid, sid in ids.items()}
    named = sorted(s.id for s in roster if fold(name.name) in system.names(s))
    by_id = {s.id: s.lms_user_id for s in roster if s.lms_user_id}
    hits = [sid for sid in named if sid not in id_of and system.name_fallback_allowed(
        next(s for s in roster if s.id == sid))]
    if len(hits) == 1:
        # collect (which passes ``learned``) says once, after the files, what a name-only
        # match means and how to give the ids
        return hits[0], (f"matched by name only: no roster student has {what} {name.uid}; "
                         f"{name.name!r} is the name of {hits[0]}"
                         + ("" if learned is not None else hint))
    if hits:
        return None, (f"no roster student has {what} {name.uid}, and {len(hits)} have the name "
                      f"{name.name!r}: {', '.join(hits)}{hint}")
    if named:  # the name is a student's who has another id: not this file's
        def known_as(sid: str) -> str:
            if sid in worksheet.values():
                return f"{what} for {assignment or 'this assignment'} is {id_of[sid]} (from " \
                       "the grading worksheet)"
            if sid in id_of:
                return f"{what} for {assignment or 'this assignment'} is {id_of[sid]} (their " \
                       "file was first collected with it)"
            return f"{what} is {by_id.get(sid)}"

        others = "; ".join(f"{name.name!r} is {sid}, whose {known_as(sid)}, not {name.uid}"
                           for sid in named)
        if not system.id_hint:
            return None, f"{others}: another person of the same name? not copied"
        return None, (f"{others}: a classmate who took this name in {system.name.title()}, or "
                      f"another person of the same name? not copied{hint}")
    return None, (f"no roster student has {what} {name.uid} or the name {name.name!r}"
                  + hint)


def match_student(name: LmsName, roster) -> str | None:
    """Roster id of an LMS name (:func:`identify`), ``None`` when there is none."""
    return identify(name, roster)[0]
