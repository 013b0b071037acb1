"""Status records: one JSON file per graded student, ``<output>/<a>/status/<student>.json``.

The engine (:mod:`dlgrade.engine`) writes a record when a student is done; the report
(:mod:`dlgrade.report`) reads every record, whichever host or shard wrote it. A record holds
``student``, ``assignment``, ``status`` (``graded``, ``needs manual grading`` or ``failed``),
``reason``, ``score``, ``max_score``, ``cells`` (``{grade_id: [score, max_score]}``),
``hash`` (of the submission and the settings, to skip unchanged work), ``graded_at`` and,
for a submission whose answers look like the package's functions pasted in, ``review``
(the advisory flag of :mod:`dlgrade.package_copy`: it costs no point, and the submission's
hash keeps it on every run until the text changes) with ``review_key`` (a digest of the text
the check read); once an instructor has read the answers and cleared the flag (``dlcourse
mark ASSIGNMENT STUDENT --reviewed``, :mod:`dlgrade.flag_reviews`) the report adds
``reviewed`` (who, when) and the flag no longer counts.

Beside them, ``<output>/<a>/not_collected.json`` (:data:`NOT_COLLECTED_FILE`) names the
students whose files the last collect found but refused (several notebooks for one place),
with the reason and the files' names: the report, the export and ``mark`` say "not
collected" for them instead of "no submission" until a collect copies one file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

from .course import Course
from .printable import printable

STATUS_DIR = "status"


def status_path(course: Course, assignment: str, student: str) -> Path:
    """Where the record of one student lives."""
    return course.output_dir(assignment) / STATUS_DIR / f"{student}.json"


def read_statuses(course: Course, assignment: str) -> dict[str, dict]:
    """Every recorded status of ``assignment`` (all shards), by student; unreadable files are
    skipped (a record being written by another host)."""
    folder = course.output_dir(assignment) / STATUS_DIR
    out = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                out[path.stem] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
    return out


#: the fields of a status record that may hold student-derived text (file names in a reason)
STUDENT_TEXT = frozenset({"reason", "grading_reason", "refused_files"})


def _printable_field(value):
    if isinstance(value, list):
        return [printable(v) if isinstance(v, str) else v for v in value]
    return printable(value) if isinstance(value, str) else value


def write_status(course: Course, assignment: str, record: dict) -> None:
    """Write ``record`` (which names its ``student``) atomically: readers never see half a file.

    What a status holds is printed, written to grades.csv and shown, so its student-derived
    text is kept with control characters escaped (:func:`dlgrade.printable.printable`)."""
    record = {key: _printable_field(value) if key in STUDENT_TEXT else value
              for key, value in record.items()}
    path = status_path(course, assignment, record["student"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, path)


#: why a student nothing of whom changed is graded again (review 23d, P8)
GRADED_OUTSIDE = ("graded since by another tool (a plain `nbgrader autograde`? its scores "
                  "and late penalty had replaced dlcourse's in the gradebook; hand grades "
                  "are kept)")


#: nbgrader's submission time file beside the submitted notebooks
STAMP_FILE = "timestamp.txt"


def submission_hash(course: Course, assignment: str, student: str, config_key: str,
                    stamp: str | bool | None = True) -> str:
    """SHA-256 of the submitted files, the source notebooks and the grading settings.

    The submission is read as the grader copies it (:mod:`dlgrade.safe_files`: no link
    followed, no pipe opened); its refused files count by name and reason. ``stamp`` other
    than ``True`` hashes that text as ``timestamp.txt`` instead of the file's (``None``: as
    if there were none), so that a hash of a submission graded with another time can be
    checked against the same files (:func:`dlgrade.late.stale_late`)."""
    from . import safe_files  # nbgrader: not on the path of every command that reads statuses

    h = hashlib.sha256(config_key.encode())
    files, refused = safe_files.read_folder(course.submitted_dir / student / assignment)
    if stamp is not True:
        files.pop(STAMP_FILE, None)
        if stamp is not None:
            files[STAMP_FILE] = stamp.encode()
    source = course.source_dir / assignment
    for group in (files, safe_files.read_trusted(source) if source.is_dir() else {}):
        for rel, data in sorted(group.items()):
            h.update(rel.encode() + b"\0")
            h.update(hashlib.sha256(data).digest())
    for refusal in refused:
        h.update(refusal.describe().encode() + b"\0")
    return h.hexdigest()


def sources_digest(course: Course, assignment: str) -> str:
    """A digest of the assignment's source notebooks (names and bytes), as a status record
    keeps it (``sources``): another one now means the notebooks changed since grading."""
    from . import safe_files

    h = hashlib.sha256()
    source = course.source_dir / assignment
    for rel, data in sorted((safe_files.read_trusted(source) if source.is_dir() else {}).items()):
        h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def autograded_digest(course: Course, assignment: str, student: str) -> str:
    """A digest of the student's autograded folder (names and bytes), ``""`` without one.
    Each grading run writes that folder anew (nbclient stamps every executed cell with its
    time), so a digest other than the one recorded means someone graded the student since;
    copying or moving the course folder keeps it."""
    folder = course.autograded_dir / student / assignment
    if not folder.is_dir():
        return ""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" +
                 hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def replaced_outside(course: Course, assignment: str, student: str, record: dict) -> bool:
    """Whether the student's autograded folder is no longer the one their record's run
    wrote (records older than this check hold no digest: never)."""
    recorded = record.get("autograded")
    if not recorded or record.get("status") == "failed":
        return False
    return autograded_digest(course, assignment, student) != recorded


def policy_text(late: dict) -> str:
    """The late policy of a settings digest's ``late`` part as ``--late-policy`` spells it.

    >>> policy_text({"AssignLatePenalties": {"plugin_class": "dlgrade.late.PerHourPenalty"},
    ...              "PerHourPenalty": {"per_hour": 0.1, "cap": 0.5}})
    '10%/h:50%'
    >>> policy_text({})
    'none'
    """
    plugin = str((late.get("AssignLatePenalties") or {}).get("plugin_class", ""))
    if plugin.endswith("PerHourPenalty"):
        hour = late.get("PerHourPenalty") or {}
        return f"{float(hour.get('per_hour', 0)) * 100:g}%/h:{float(hour.get('cap', 1)) * 100:g}%"
    return str((late.get("LateSubmissionPlugin") or {}).get("penalty_method", "none"))


#: the late policy given to ``dlcourse grade A --late-policy P``, remembered for ``A`` beside
#: its other records (:func:`dlgrade.late.use_policy`): every later command that applies a
#: penalty uses it, so one forgotten ``--late-policy`` no longer drops every penalty
POLICY_FILE = "late_policy.json"
#: the remembered "policy" of ``--late-policy config``: nbgrader_config.py's, whatever it says
#: at each command (``none`` is a policy of its own: no penalty, whatever the config says)
CONFIG = "config"


def remembered_policy(course: Course, assignment: str) -> str | None:
    """The late policy remembered for ``assignment`` as ``--late-policy`` spells it, or
    :data:`CONFIG` (``None``: none is, or the file is damaged: then nbgrader_config.py's
    counts, unless its graded students share another, :func:`dlgrade.late.use_policy`)."""
    try:
        data = json.loads((course.output_dir(assignment) / POLICY_FILE).read_text())
        return str(data["late_policy"]) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError, KeyError):
        return None


#: the statuses whose score a late penalty applies to
GRADED = ("graded", "needs manual grading")
#: the sections of nbgrader's configuration that make the late policy
LATE_SECTIONS = ("AssignLatePenalties", "LateSubmissionPlugin", "PerHourPenalty")


def _settings(text: str | None) -> dict:
    try:
        out = json.loads(text or "")
    except (ValueError, TypeError):
        return {}
    return out if isinstance(out, dict) else {}


def plain_settings(course: Course) -> dict:
    """The grading settings (:meth:`dlgrade.course.Course.settings_key`) nbgrader_config.py
    alone gives ``course``: no ``--db``, ``--timeout``, ``--kernel`` or late policy over it."""
    return _settings(replace(course, db_url=None, timeout=None, kernel_name=None,
                             extra={k: v for k, v in course.extra.items()
                                    if not k.startswith(LATE_SECTIONS)}).settings_key())


def grade_command(course: Course, assignment: str, policy: str | None = None,
                  records: dict | None = None, plain: dict | None = None) -> str:
    """``dlcourse grade ASSIGNMENT`` with the options that keep the grading settings the
    graded students of ``assignment`` were graded with (the ``settings`` most of their
    records hold): the late policy, and a per-cell timeout or kernel other than
    nbgrader_config.py's. Before late policies were remembered, a bare ``dlcourse grade``
    graded under the configuration's, so advice without them dropped every late penalty
    given with ``--late-policy`` (review 23j, finding 1). ``policy`` names the late policy
    instead of the records' one (the other settings are then those of the students graded
    under it).

    The late policy remembered for the assignment (:func:`remembered_policy`) is what a bare
    ``dlcourse grade`` uses, so it is left out; without one, the policy is named whenever it
    is not ``none`` on either side, so the advice stays right after nbgrader_config.py
    changes. A gradebook other than nbgrader_config.py's (``--db``) is named too, without
    its password (:func:`db_option`). ``records`` (:func:`read_statuses`) and ``plain``
    (:func:`plain_settings`) spare reading them again where the caller holds them."""
    counts: dict[str, int] = {}
    records = read_statuses(course, assignment) if records is None else records
    for record in records.values():
        if record.get("status") in GRADED and record.get("settings"):
            counts[record["settings"]] = counts.get(record["settings"], 0) + 1
    command = f"dlcourse grade {assignment}"
    if not counts and policy is None:
        return command + db_option(course.db_url)
    if policy is not None:  # the settings of those graded under it, where there are any
        under = {k: n for k, n in counts.items()
                 if policy_text(_settings(k).get("late") or {}) == policy}
        counts = under or counts
    recorded = _settings(min(counts, key=lambda k: (-counts[k], k))) if counts else {}
    plain = plain_settings(course) if plain is None else plain
    if policy is None:
        policy = policy_text(recorded.get("late") or {})
    remembered = remembered_policy(course, assignment)
    if remembered == CONFIG:  # a bare run follows nbgrader_config.py
        remembered = policy_text(plain.get("late") or {})
    if (policy != remembered if remembered is not None else
            policy != "none" or policy_text(plain.get("late") or {}) != "none"):
        command += f" --late-policy {policy}"
    if recorded.get("timeout") not in (None, plain.get("timeout")):
        command += f" --timeout {recorded['timeout']}"
    if recorded.get("kernel") and recorded.get("kernel") != plain.get("kernel"):
        command += f" --kernel {recorded['kernel']}"
    db = course.db_url or (str(recorded["db"]).replace("<course>", str(course.root))
                           if recorded.get("db") not in (None, plain.get("db")) else None)
    return command + db_option(db)


def db_option(url: str | None) -> str:
    """`` --db URL`` for a gradebook given on the command line (``""`` for none); a URL that
    holds a password is never printed: `` --db <your gradebook URL>``.

    >>> db_option("postgresql+psycopg2://grader:secret@db-host:5432/course")
    ' --db <your gradebook URL>'
    >>> db_option("sqlite:////srv/other.db"), db_option(None)
    (' --db sqlite:////srv/other.db', '')
    """
    if not url:
        return ""
    try:
        from sqlalchemy.engine import make_url

        secret = make_url(url).password is not None
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: it may hold anything
        secret = True
    return " --db <your gradebook URL>" if secret or any(c.isspace() for c in url) else \
        f" --db {url}"


def graded_outside(course: Course, assignment: str) -> list[str]:
    """The students whose gradebook scores another tool wrote after ``dlcourse grade`` did
    (a plain ``nbgrader autograde``: its scores, without a late policy given to ``grade``
    on the command line), sorted. ``report``, ``export`` and ``mark`` refuse while there
    are any (review 23e, P8b): the next ``dlcourse grade`` grades them again."""
    return sorted(student for student, record in read_statuses(course, assignment).items()
                  if replaced_outside(course, assignment, student, record))


def graded_outside_error(course: Course, assignment: str, what: str) -> ValueError | None:
    """The refusal of the command ``what`` (``"report"``, ``"export"``, ``"mark"``) while
    :func:`graded_outside` names students, ``None`` when it names none."""
    who = graded_outside(course, assignment)
    if not who:
        return None
    names = ", ".join(who[:10]) + (", ..." if len(who) > 10 else "")
    one = len(who) == 1
    return ValueError(
        f"assignment: {len(who)} student{'' if one else 's'} of {assignment} "
        f"{'was' if one else 'were'} graded since by another tool ({names}; a plain "
        "`nbgrader autograde`?): the gradebook holds that tool's scores and late penalty, "
        "not dlcourse's (a --late-policy given to `dlcourse grade` is not in them); run "
        f"`{grade_command(course, assignment)}` first (it grades "
        f"{'that student' if one else 'them'} again and keeps the hand grades of unchanged "
        "answers), then `dlcourse "
        f"{what}` again. Nothing was written")


def other_gradebook_error(course: Course, assignment: str, what: str,
                          hint: str = "") -> ValueError | None:
    """The refusal of the command ``what`` when any graded student of ``assignment`` was
    graded in another gradebook than the one it reads (the ``db`` of their records'
    settings): a class graded with ``--db`` and exported without it read an empty gradebook
    and wrote 0 or "no submission" for everyone, exit 0 (review 23k, finding 2); one student
    graded again without ``--db`` was enough to get past a check of "none graded here"
    (review 23m, finding 2). ``hint`` ends the message (another way out). ``None`` when every
    graded student was graded here, or none is graded."""
    records = read_statuses(course, assignment)
    graded = {student: _settings(r.get("settings")).get("db") for student, r in
              records.items() if r.get("status") in GRADED and r.get("settings")}
    if all(db is None for db in graded.values()):
        return None
    # the configuration is read once (review 23k's clean-up): the gradebook read here is the
    # --db given, else nbgrader_config.py's, as the course's own settings name it
    plain = plain_settings(course)
    here = str(course.db_url).replace(str(course.root), "<course>") if course.db_url else \
        plain.get("db")
    away = sorted(student for student, db in graded.items() if db is not None and db != here)
    if not away:
        return None

    def shown(db) -> str:
        return db_option(str(db).replace("<course>", str(course.root))).replace(" --db ", "", 1)

    there = ", ".join(sorted({shown(graded[student]) for student in away}))
    names = ", ".join(away[:10]) + (", ..." if len(away) > 10 else "")
    return ValueError(
        f"{what}: {len(away)} of the {len(graded)} graded students of {assignment} ({names}) "
        f"were graded in another gradebook ({there}) than the one this command reads "
        f"({shown(here)}): give it with `--db`, as `dlcourse grade` had it "
        f"(`{grade_command(course, assignment, records=records, plain=plain)}`), then "
        f"`dlcourse {what}` again{hint}. Nothing was written")


#: the finding of files the grader did not copy (:func:`dlgrade.safe_files.findings_text`)
FILES_PREFIX = "files handed in were not copied: "
#: the end of the reason of a flagged submission without a feedback page (dlgrade.worker)
HELD_PREFIX = "feedback held for review"


def status_label(record: dict) -> str:
    """``graded``, ``failed: <reason>`` or ``needs manual grading``, with the advisory flag
    (:func:`with_review`) of a graded one."""
    status = record.get("status", "pending")
    if status == "failed":
        return f"failed: {record.get('reason') or 'unknown reason'}"
    status = with_review(status, record)
    if record.get("stale"):  # review 23i, 3: a grade of a date, time or file gone
        # the command that keeps the settings it was graded under (:func:`grade_command`,
        # which the report puts in ``again``), else its own policy (review 23j, 1)
        policy = policy_text(_settings(record.get("settings")).get("late") or {})
        again = record.get("again") or "dlcourse grade" + (
            f" --late-policy {policy}" if policy != "none" else "")
        status = f"{status} ({record['stale']}; `{again}` grades again)"
    if record.get("time_unknown"):  # review 23g, G1: Canvas's LATE_ without a time
        no_time = record.get("submitted_at") == NO_TIME_LABEL  # 23h, 2: a zip's "no time"
        return f"{status}; {NO_TIME_UNKNOWN if no_time else TIME_UNKNOWN}"
    return status


#: what follows the status of a graded submission whose answers look like the package's own
#: functions pasted in (:mod:`dlgrade.package_copy`); the points are kept
REVIEW_PREFIX = "flagged for review: "


def is_flagged(record: dict) -> bool:
    """Whether a graded record carries the advisory flag and no instructor has cleared it
    since (``reviewed``, set by :func:`dlgrade.flag_reviews.apply_reviews` for the same text).

    >>> is_flagged({"status": "graded", "review": "relu looks like a copy"})
    True
    >>> is_flagged({"status": "graded", "review": "relu looks like a copy",
    ...             "reviewed": {"by": "ann", "at": "2026-12-07T16:00:00Z"}})
    False
    """
    return bool(record.get("review")) and not record.get("reviewed") and \
        record.get("status") in ("graded", "needs manual grading")


def with_review(status: str, record: dict) -> str:
    """``status`` with the record's advisory flag (``review``, written by the grading run from
    the submitted text) when it has one, was graded and was not cleared (:func:`is_flagged`):
    ``graded, flagged for review: sigmoid looks like a copy of dlcourse.activations (91 %)``.

    >>> with_review("graded", {"status": "graded",
    ...                        "review": "relu looks like a copy of dlcourse.activations (90 %)"})
    'graded, flagged for review: relu looks like a copy of dlcourse.activations (90 %)'
    >>> with_review("graded", {})
    'graded'
    """
    if not is_flagged(dict(record, status=status)):
        return status
    return f"{status}, {REVIEW_PREFIX}{record['review']}"


#: what a student's status adds while Canvas marks the file late and its time is not given
TIME_UNKNOWN = ("late by Canvas's LATE_ marker, time unknown: no late penalty until "
                "`dlcourse collect --timestamps` gives it")
#: the submitted time of a file whose zip entry holds none (review 23h, 2), and its status
NO_TIME_LABEL = "time unknown (the download holds none)"
NO_TIME_UNKNOWN = ("submission time unknown (the download holds none): no late penalty until "
                   "`dlcourse collect --timestamps` or the Moodle grading worksheet gives it")


#: ``{student: {"reason": ..., "files": [...]}}`` of the students collect found files of but
#: copied none (an older file holds ``{student: reason}``)
NOT_COLLECTED_FILE = "not_collected.json"


#: the reason of a student the Moodle grading worksheet lists as submitted whose file no
#: download held (review 23g, G5); its words before the colon are what the student reads
MOODLE_NO_FILE = "no file collected though Moodle says submitted"


def not_collected_reason(files) -> str:
    """The instructor's reason (grades.csv, ``mark``) for several files found for one place."""
    return (f"{len(files)} files found, none collected ({', '.join(files)}): delete all but "
            "the one to grade from the download (zip or folder) and collect again")


def _read_not_collected(course: Course, assignment: str) -> dict[str, dict]:
    try:
        data = json.loads((course.output_dir(assignment) / NOT_COLLECTED_FILE).read_text())
        return {str(k): dict(v) if isinstance(v, dict) else {"reason": str(v), "files": []}
                for k, v in data.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def read_not_collected(course: Course, assignment: str) -> dict[str, str]:
    """The students of ``assignment`` whose files the collects found but did not copy, with
    the instructor's reason."""
    return {k: str(v.get("reason", "")) for k, v in
            _read_not_collected(course, assignment).items()}


def read_not_collected_files(course: Course, assignment: str) -> dict[str, list[str]]:
    """The names of the files found (without the download's folders) of each student of
    :func:`read_not_collected`: what a student-facing text may show (review 23c, N3)."""
    return {k: [str(f) for f in v.get("files") or []] for k, v in
            _read_not_collected(course, assignment).items()}


def write_not_collected(course: Course, assignment: str, refused: dict[str, str],
                        collected, files: dict | None = None) -> None:
    """Record ``refused`` (student -> reason; ``files``: student -> the paths found) and
    forget the ``collected`` students (a later collect copied one file of theirs)."""
    before = _read_not_collected(course, assignment)
    now = {k: v for k, v in before.items() if k not in set(collected)}
    for student, reason in refused.items():
        now[student] = {"reason": reason, "files": [
            Path(str(f)).name for f in (files or {}).get(student, [])]}
    if now == before:
        return
    path = course.output_dir(assignment) / NOT_COLLECTED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(now.items())), indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
