"""Due dates, extensions and late penalties, on nbgrader's own machinery.

* The due date is the gradebook's ``Assignment.duedate`` (UTC), set by
  ``dlcourse release ASSIGNMENT --due "2026-12-01 17:00" --timezone Europe/London``.
* A submission's time is nbgrader's ``timestamp.txt`` beside it (written by
  ``dlcourse collect``); nbgrader's autograde reads it into ``SubmittedAssignment.timestamp``.
* An extension is ``SubmittedAssignment.extension`` (``Gradebook.grant_extension``); the
  grading tool keeps it across regrades, and ``total_seconds_late`` counts from the extended
  due date.
* The penalty is computed during autograde by nbgrader's ``AssignLatePenalties`` with a
  ``LateSubmissionPlugin``: nbgrader's own (``penalty_method = 'none' | 'zero'``) or
  :class:`PerHourPenalty` below (a share of the earned score per started hour, capped).
  Autograde sees the automatic points only; hand grades come later (put back after a
  regrade, ``dlcourse mark``, formgrader), so :func:`apply_late_penalty` computes each
  notebook's penalty again from its whole current score with the same configured plugin,
  wherever a score changes after autograde. Hand-graded points are penalised like the rest.

Configure in ``nbgrader_config.py``::

    c.AssignLatePenalties.plugin_class = "dlgrade.late.PerHourPenalty"
    c.PerHourPenalty.per_hour = 0.05   # 5 % of the score per started hour late
    c.PerHourPenalty.cap = 0.5         # never more than half

or with ``dlcourse grade A --late-policy 5%/h:50%`` (``none`` and ``zero`` too), which is
remembered for ``A`` (:func:`use_policy`): later commands keep it without the option;
``--late-policy config`` makes ``A`` follow nbgrader_config.py's again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import warnings
from dataclasses import replace
from zoneinfo import ZoneInfo

from nbgrader.api import MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning
from traitlets import Float
from traitlets.config import Config

from .lms.base import check_timezone, format_timestamp, happens_twice, to_utc, wall_time_note
from .status import (
    CONFIG,
    GRADED,
    LATE_SECTIONS,
    POLICY_FILE,
    STAMP_FILE,
    grade_command,
    policy_text,
    read_statuses,
    remembered_policy,
    sources_digest,
    submission_hash,
    write_status,
)
from .time_records import pending_worksheet_times


class PerHourPenalty(LateSubmissionPlugin):
    """Deduct ``per_hour`` of the earned score for each started hour late, at most ``cap``.

    >>> p = PerHourPenalty(per_hour=0.1, cap=0.5)
    >>> p.late_submission_penalty("s", 8.0, 1)      # 1 s late: one started hour
    0.8
    >>> p.late_submission_penalty("s", 8.0, 3600 * 30)
    4.0
    """

    per_hour = Float(0.0, help="Share of the earned score deducted per started hour late "
                               "(0.05 = 5 %).").tag(config=True)
    cap = Float(1.0, help="Largest share of the earned score deducted.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if total_seconds_late <= 0 or score <= 0:
            return None
        share = min(self.cap, self.per_hour * math.ceil(total_seconds_late / 3600))
        return round(score * share, 6)


POLICY = re.compile(r"^\s*(?P<pct>\d+(\.\d+)?)\s*%\s*/\s*h(our)?"
                    r"\s*(:\s*(?P<cap>\d+(\.\d+)?)\s*%)?\s*$")


def parse_late_policy(text: str) -> dict:
    """``--late-policy`` text -> nbgrader config overrides (``{"Section.key": value}``).

    >>> parse_late_policy("5%/h:50%")["PerHourPenalty.cap"]
    0.5
    >>> parse_late_policy("zero")["LateSubmissionPlugin.penalty_method"]
    'zero'

    Raises
    ------
    ValueError
        If ``text`` is not ``none``, ``zero`` or ``P%/h[:CAP%]``.
    """
    t = text.strip().lower()
    if t in ("none", "zero"):
        return {"AssignLatePenalties.plugin_class": "nbgrader.plugins.LateSubmissionPlugin",
                "LateSubmissionPlugin.penalty_method": t}
    m = POLICY.match(t)
    if not m:
        raise ValueError(f"late_policy: got {text!r}, expected none, zero or a per-hour "
                         "deduction such as 5%/h:50% (5 % per started hour, at most 50 %)")
    cap = float(m["cap"]) / 100 if m["cap"] else 1.0
    return {"AssignLatePenalties.plugin_class": "dlgrade.late.PerHourPenalty",
            "PerHourPenalty.per_hour": float(m["pct"]) / 100,
            "PerHourPenalty.cap": min(cap, 1.0)}


def _clock(when: dt.datetime) -> str:
    """To the minute, or to the second when there are seconds (a whole day's due date ends at
    23:59:59.999999, printed 23:59:59)."""
    return f"{when:%Y-%m-%d %H:%M:%S}" if when.second or when.microsecond else \
        f"{when:%Y-%m-%d %H:%M}"


def local_time(when: dt.datetime, timezone: str) -> str:
    """A naive UTC datetime as wall time in ``timezone``, to the minute (to the second when
    it has seconds).

    >>> local_time(dt.datetime(2026, 12, 1, 22, 59), "Europe/Berlin")
    '2026-12-01 23:59'
    >>> local_time(dt.datetime(2026, 12, 1, 22, 59, 59, 999999), "Europe/Berlin")
    '2026-12-01 23:59:59'
    """
    return _clock(when.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone)))


def utc_time(when: dt.datetime) -> str:
    """A naive UTC datetime as ``local_time`` prints it, in UTC.

    >>> utc_time(dt.datetime(2026, 12, 1, 22, 59, 59, 999999))
    '2026-12-01 22:59:59'
    """
    return _clock(when)


def due_to_utc(text: str, timezone: str = "UTC") -> tuple[dt.datetime, bool]:
    """``--due``: ``(naive UTC datetime, whole_day)``; a date without a time means the end
    of that day in ``timezone``: its last instant, 23:59:59.999999, so a file stamped
    23:59:59 on that day is on time and one stamped 00:00:00 the next day is late (never the
    day's first minute, nor 23:59:00, which made 23:59:30 late).

    >>> due_to_utc("2026-12-01", "Europe/Berlin")
    (datetime.datetime(2026, 12, 1, 22, 59, 59, 999999), True)
    >>> due_to_utc("2026-12-01 17:00", "UTC")
    (datetime.datetime(2026, 12, 1, 17, 0), False)
    """
    whole_day = bool(re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text or ""))
    if whole_day:
        return to_utc(text.strip() + " 23:59:59.999999", timezone), True
    return to_utc(text, timezone), False


def due_note(text: str, timezone: str = "UTC") -> str | None:
    """What ``--due`` ``text`` was read as when its wall-clock time in ``timezone`` is
    skipped or repeated by a clock change (:func:`dlgrade.lms.base.wall_time_note`), else
    ``None`` (review 23f, N11: such a time was printed back without a word).

    >>> print(due_note("2026-03-29 02:30", "Europe/Berlin"))  # doctest: +ELLIPSIS
    2026-03-29 02:30 does not exist in Europe/Berlin ...: read as 03:30 CEST, 01:30 UTC
    >>> due_note("2026-12-01", "Europe/Berlin") is None
    True
    """
    if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text or ""):  # the end of that day
        text = text.strip() + " 23:59:59.999999"
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    note = wall_time_note(when, check_timezone(timezone))
    if happens_twice(when, timezone):
        second = when.replace(tzinfo=ZoneInfo(timezone), fold=1).astimezone(dt.timezone.utc)
        note += f"; for the second: --due '{second:%Y-%m-%d %H:%M}' --timezone UTC"
    return note


def set_due_date(course, assignment: str, due: dt.datetime) -> dt.datetime | None:
    """Record ``due`` (naive UTC) as the assignment's due date in the gradebook; returns the
    due date it replaces (``None`` if there was none)."""
    with course.gradebook() as gb:
        try:
            old = gb.find_assignment(assignment).duedate
        except MissingEntry:
            old = None
        gb.update_or_create_assignment(assignment, duedate=due)
    return old


def grant_extension(course, assignment: str, student: str, hours: float) -> None:
    """Extend ``student``'s due date for ``assignment`` by ``hours`` (0 removes it).

    Raises
    ------
    ValueError
        If the student is not in the gradebook (import the roster first), the assignment
        was not released, or it has no due date (nbgrader's autograde cannot extend none).
    """
    if hours < 0:
        raise ValueError(f"hours: got {hours}, expected 0 or more")
    with course.gradebook() as gb:
        course.find_student(gb, student)
        found = course.find_assignment(gb, assignment)
        if hours and found.duedate is None:  # nbgrader cannot add it to no date: autograde
            raise ValueError(  # would fail with a TypeError (found by test_term_cli)
                f"assignment: {assignment} has no due date, so an extension has nothing to "
                f"count from; set one first: dlcourse release {assignment} --due 'YYYY-MM-DD "
                "HH:MM'")
        with warnings.catch_warnings():
            # nbgrader's add_submission trips SQLAlchemy's autoflush warning; harmless
            warnings.simplefilter("ignore", SAWarning)
            gb.update_or_create_submission(assignment, student)
        gb.grant_extension(assignment, student, hours=hours)


def late_fields(submission) -> dict:
    """``submitted_at``, ``late_by`` (hours), ``penalty``, ``extension_h`` of a gradebook
    submission (``None`` for a student without one)."""
    if submission is None:
        return {"submitted_at": "", "late_by": "", "penalty": "", "extension_h": ""}
    ts = submission.timestamp
    late = submission.total_seconds_late if ts is not None else 0
    ext = submission.extension
    return {
        "submitted_at": ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts else "",
        "late_by": round(late / 3600, 2) if late else 0,
        "penalty": round(float(submission.late_submission_penalty or 0), 3),
        "extension_h": round(ext.total_seconds() / 3600, 2) if ext else "",
    }


def late_config(settings: str | None = None, course=None) -> Config:
    """The late-penalty part of a grading run's configuration: from ``settings`` (a status
    record's settings digest, :meth:`dlgrade.course.Course.grading_settings`: the policy the
    student was graded under, ``--late-policy`` included) or else ``course``'s own config."""
    if settings:
        try:
            late = json.loads(settings).get("late")
        except (ValueError, AttributeError):
            late = None
        plugin = str(((late or {}).get("AssignLatePenalties") or {}).get("plugin_class", ""))
        # a class object configured in nbgrader_config.py was recorded as "<class '...'>":
        # not importable by name, so the course's own config says what it is
        if isinstance(late, dict) and not plugin.startswith("<"):
            return Config(late)
    if course is not None:
        config = course.load_config()
        return Config({k: dict(config[k]) for k in
                       ("AssignLatePenalties", "LateSubmissionPlugin", "PerHourPenalty")
                       if k in config})
    return Config()


def late_assigner(config: Config) -> AssignLatePenalties:
    """nbgrader's ``AssignLatePenalties`` with its plugin, as ``config`` configures them: built
    once per policy and used for every student graded under it (:func:`apply_late_penalty`)."""
    assigner = AssignLatePenalties(config=config, log=logging.getLogger("dlgrade.late"))
    assigner.init_plugin()
    return assigner


def apply_late_penalty(gb, submission, config) -> bool:
    """Set each notebook's late penalty of ``submission`` (a gradebook ``SubmittedAssignment``)
    from the notebook's whole current score (automatic plus hand grades), with the plugin
    ``config`` configures (a ``Config``, or the :func:`late_assigner` built from one), as
    nbgrader's ``AssignLatePenalties`` does during autograde. Flushes (does not commit) and
    returns whether any penalty changed.
    """
    gb.db.flush()
    gb.db.expire(submission)
    seconds = submission.total_seconds_late
    assigner = config if isinstance(config, AssignLatePenalties) else late_assigner(config)
    changed = False
    for notebook in submission.notebooks:
        gb.db.expire(notebook)
        penalty = None
        if seconds > 0:
            penalty = assigner.plugin_inst.late_submission_penalty(
                submission.student.id, float(notebook.score), seconds)
            if penalty is not None:
                penalty = assigner._check_late_penalty(notebook, penalty)  # 0 <= p <= score
        old = notebook.late_submission_penalty
        if (old or 0) != (penalty or 0) or (old is None) != (penalty is None):
            notebook.late_submission_penalty = penalty
            changed = True
    gb.db.flush()
    gb.db.expire(submission)
    return changed


def due_dates(course, assignment: str) -> dict:
    """What the late penalty counts from, as text for the submission hash: the due date and,
    per student with one, the extension (``{None: due date, student: due date + extension}``).
    A due date or an extension changed after grading (``dlcourse release --due``, ``dlcourse
    extend``, nbgrader's own tools) so grades the students again at the next run, unless
    :func:`reapply_late_penalties` re-applied their penalties first."""
    with course.gradebook() as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            return {None: ""}
        due = f" due={a.duedate}" if a.duedate else ""  # none: the hash of before
        out = {None: due}
        for sub in a.submissions:
            if sub.extension is not None:
                out[sub.student.id] = f"{due} extension={sub.extension.total_seconds()}"
    return out


def record_policy(record: dict) -> str | None:
    """The late policy a status record's student was graded under (:func:`policy_text`),
    ``None`` for a record that does not say."""
    try:
        settings = json.loads(record.get("settings") or "")
    except (ValueError, TypeError):
        return None
    return policy_text(settings.get("late") or {}) if isinstance(settings, dict) else None


def policies(course, assignment: str) -> dict[str, list[str]]:
    """``{late policy: [students]}`` of the graded students of ``assignment`` whose score a
    late policy can change (each under the policy of their last grading run). A student on
    time, on time by Canvas's word or without a time gets no penalty under any policy, so
    is left out and never makes a mix (review 23j, finding 4)."""
    out: dict[str, list[str]] = {}
    graded = {s: r for s, r in read_statuses(course, assignment).items()
              if r.get("status") in GRADED and record_policy(r) is not None}
    if not graded:
        return out
    with course.gradebook() as gb:
        for student, record in sorted(graded.items()):
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            if submission.timestamp is None or not submission.total_seconds_late > 0:
                continue
            out.setdefault(record_policy(record), []).append(student)
    return out


def canonical_policy(text: str) -> str:
    """``--late-policy`` text as :func:`dlgrade.status.policy_text` spells it (raises as
    :func:`parse_late_policy`).

    >>> canonical_policy(" 5 % / hour : 50% "), canonical_policy("ZERO")
    ('5%/h:50%', 'zero')
    """
    nested: dict = {}
    for dotted, value in parse_late_policy(text).items():
        section, _, key = dotted.partition(".")
        nested.setdefault(section, {})[key] = value
    return policy_text(nested)


def remember_policy(course, assignment: str, policy: str | None) -> None:
    """Remember ``policy`` (or :data:`dlgrade.status.CONFIG`) for ``assignment``
    (atomically), or forget it (``None``)."""
    path = course.output_dir(assignment) / POLICY_FILE
    if policy is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")  # shards may write at once
    tmp.write_text(json.dumps({"late_policy": policy}) + "\n")
    os.replace(tmp, path)


def config_policy(course) -> str:
    """The late policy nbgrader_config.py gives (no ``--late-policy``, nothing remembered)."""
    return policy_text({k: dict(v) for k, v in late_config(course=replace(
        course, extra={k: v for k, v in course.extra.items()
                       if not k.startswith(LATE_SECTIONS)})).items()})


def recorded_policy(course, assignment: str) -> str | None:
    """The one late policy the graded students of ``assignment`` were graded under (those a
    policy can change decide, :func:`policies`; when there are none, every graded one),
    ``None`` when they disagree or none was graded: what a course graded before policies
    were remembered adopts."""
    groups = policies(course, assignment)
    if not groups:
        said = {record_policy(r) for r in read_statuses(course, assignment).values()
                if r.get("status") in GRADED}
        groups = dict.fromkeys(said - {None}, [])
    return next(iter(groups)) if len(groups) == 1 else None


#: :func:`use_policy`'s "nothing to remember or forget"
KEEP = "keep"


def given_policy(text: str) -> str:
    """``--late-policy`` text as it is remembered: a policy as :func:`canonical_policy`
    spells it, or :data:`dlgrade.status.CONFIG` (nbgrader_config.py's, at each command).

    >>> given_policy(" Config "), given_policy("5 %/h")
    ('config', '5%/h:100%')

    Raises
    ------
    ValueError
        If ``text`` is neither ``config`` nor a policy.
    """
    if text.strip().lower() == CONFIG:
        return CONFIG
    try:
        return canonical_policy(text)
    except ValueError:
        raise ValueError(f"late_policy: got {text!r}, expected none (no penalty), zero, a "
                         "per-hour deduction such as 5%/h:50% (5 % per started hour, at most "
                         "50 %), or config (nbgrader_config.py's)") from None


def policy_words(course, policy: str) -> str:
    """A remembered policy as a line says it: :data:`dlgrade.status.CONFIG` names
    nbgrader_config.py's and what it is now."""
    return f"nbgrader_config.py's, {config_policy(course)}" if policy == CONFIG else policy


def _back(course) -> str:
    """How a remembered policy is given up, and what counts then."""
    return f"`--late-policy config` goes back to nbgrader_config.py's, {config_policy(course)}"


def _apply(course, policy: str) -> None:
    """Put ``policy`` (remembered or given) over ``course``'s configuration; ``config``, and
    ``none`` over a configuration without a policy, leave it as it is: the same settings as
    a run without one, so no student is graded again for it."""
    if policy != CONFIG and (policy != "none" or config_policy(course) != "none"):
        course.override(parse_late_policy(policy))


def use_policy(course, assignment: str, given: str | None = None) -> tuple[str | None, object]:
    """Apply the late policy of ``assignment`` to ``course`` (its ``extra``): ``given``
    (``--late-policy``; it replaces the remembered one), else the remembered one, else, for a
    course graded before policies were remembered, the one policy its graded students share
    (adopted). ``none`` is a policy like the others (no penalty, whatever nbgrader_config.py
    says) and is remembered as one; ``config`` is remembered as "nbgrader_config.py's, as it
    is at each command" (review 23k, finding 6: ``none`` forgot the remembered policy and said
    that later commands would use the config's, but they adopted ``none`` from the records).
    Returns ``(line, remember)``: the line that says which policy counts and why (``None``
    when nothing is remembered and none given), and what :func:`remember_policy` is to record
    once the command may change something (a policy or :data:`dlgrade.status.CONFIG`, or
    :data:`KEEP`).

    Raises
    ------
    ValueError
        If ``given`` is neither a policy (:func:`parse_late_policy`) nor ``config``.
    """
    old = remembered_policy(course, assignment)
    a = f"late policy of {assignment}"
    if given is not None:
        new = given_policy(given)
        _apply(course, new)
        said = policy_words(course, new)
        if new == CONFIG:
            what = "later commands follow nbgrader_config.py's"
        else:
            what = ("remembered for later commands" if old is None else "remembered") + \
                f"; {_back(course)}"
        change = said if old in (None, new) else f"{policy_words(course, old)} -> {said}"
        return f"{a}: {change} ({what})", new
    if old is None:
        adopted = recorded_policy(course, assignment)
        if adopted is None or adopted == config_policy(course):
            return None, KEEP  # nothing to keep, or the students disagree: a mix is refused
        course.override(parse_late_policy(adopted))
        return (f"{a}: {adopted}, the policy its graded students were graded under (now "
                f"remembered; {_back(course)})"), adopted
    if old == CONFIG:
        return f"{a}: {policy_words(course, old)} (remembered)", KEEP
    try:
        _apply(course, old)
    except ValueError:  # a hand-edited file: said, and nbgrader_config.py's counts
        return f"{a}: {old!r} in {POLICY_FILE} is no policy; nbgrader_config.py's counts", KEEP
    return f"{a}: {old} (remembered; {_back(course)})", KEEP


def the_policy(course, assignment: str) -> str | None:
    """:func:`use_policy` for a command that takes no ``--late-policy`` (``mark``,
    ``extend``, ``collect``, ``export``): a policy adopted is remembered at once; returns
    the line."""
    line, keep = use_policy(course, assignment)
    if keep != KEEP:
        remember_policy(course, assignment, keep)
    return line


def mixed_policies_text(course, assignment: str, what: str) -> str | None:
    """When the graded students of ``assignment`` were graded under different late policies
    (a ``grade --student`` appeal whose ``--late-policy`` was forgotten; review 23i, finding
    2): what ``what`` (``"export"``, ``"grade"``) says, naming each policy's students and the
    command that makes them one; ``None`` while they share one."""
    groups = policies(course, assignment)
    if len(groups) < 2:
        return None
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def names(who):
        return ", ".join(who[:10]) + (", ..." if len(who) > 10 else "")

    parts = "; ".join(f"{policy}: {names(who)}" for policy, who in ranked)
    most = ranked[0][0]
    return (f"{what}: the students of {assignment} were graded under different late "
            f"policies ({parts}): run `{grade_command(course, assignment, most)}` "
            f"(or the policy you mean) to grade the others under that one (the hand grades "
            "are kept); for one student's accommodation give them more time with `dlcourse "
            f"extend {assignment} STUDENT --hours N` instead of another policy")


#: why a graded student's grade is not the current one (:func:`stale_late`)
STALE_DUE = "due"
STALE_TIME = "time"
STALE_FILES = "files"
STALE_SOURCES = "sources"
STALE_WORKSHEET = "worksheet"
STALE_WORDS = {
    STALE_DUE: "late penalty of another due date or extension than the current one",
    STALE_TIME: "late penalty of another submission time than the one collected since",
    # neither "older" nor "newer": a revert brings the older one back (review 23k, 3)
    STALE_FILES: "another notebook graded than the one collected now, which is not graded yet",
    STALE_SOURCES: "graded against older versions of the assignment's notebooks",
    STALE_WORKSHEET: "late penalty of another submission time than the Moodle grading "
                     "worksheet imported since gives",
}


def stamp_time(course, assignment: str, student: str):
    """The time in the student's ``timestamp.txt`` as nbgrader's autograde reads it (naive
    UTC), ``None`` without the file, ``False`` when its text is no time."""
    path = course.submitted_dir / student / assignment / STAMP_FILE
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    try:
        when = parse_utc(text)
    except Exception:  # noqa: BLE001 - nbgrader's parser raises several kinds
        return False
    return when.replace(tzinfo=None) if when.tzinfo else when


def _graded_stamp(submission) -> str | None:
    """The ``timestamp.txt`` text the gradebook's submission time was read from (collect
    writes it so), ``None`` for none."""
    ts = submission.timestamp
    return None if ts is None else format_timestamp(ts) + "\n"


def files_digest(course, assignment: str, student: str) -> str:
    """A digest of the student's submitted files and the assignment's notebooks, the
    submission time (``timestamp.txt``) aside: kept in each status record (``files``), so
    that a new time is told from new files."""
    return submission_hash(course, assignment, student, "", stamp=None)


def files_unchanged(course, assignment: str, student: str, record: dict, submission,
                    retimed: bool) -> bool | None:
    """Whether the student's submitted files are those their record was graded on (times
    aside); ``None`` when the record cannot say (it holds no hash)."""
    if record.get("files"):
        return record["files"] == files_digest(course, assignment, student)
    due, settings = record.get("due"), record.get("settings")
    if not record.get("hash") or due is None or settings is None:
        return None
    if record["hash"] == submission_hash(course, assignment, student, settings + due):
        return True  # the very files, timestamp.txt included
    # a record from before ``files``: its hash with the time it was graded under
    return retimed and record["hash"] == submission_hash(
        course, assignment, student, settings + due, stamp=_graded_stamp(submission))


def _why_stale(course, assignment: str, student: str, record: dict, dates: dict,
               submission, sources: str | None, sheet=()) -> str | None:
    """The :data:`STALE_WORDS` key saying why ``student``'s recorded grade is not the one
    the current due date, submission time, files and notebooks give, else ``None``."""
    if record.get("status") not in GRADED or submission is None:
        return None
    if sources is not None and record.get("sources") not in (None, sources):
        return STALE_SOURCES
    now = stamp_time(course, assignment, student)
    retimed = now is not False and now != submission.timestamp
    if files_unchanged(course, assignment, student, record, submission, retimed) is False:
        return STALE_FILES  # a resubmission collected since
    if retimed:
        return STALE_TIME
    if student in sheet:  # a worksheet's time not applied yet (review 23j, finding 2)
        return STALE_WORKSHEET
    # another date moves no penalty of a student without a submission time (Canvas's
    # "on time", or a time unknown): never named (review 23i, finding 5)
    due = record.get("due")
    if due is not None and due != dates.get(student, dates[None]) and \
            submission.timestamp is not None:
        return STALE_DUE
    return None


def stale_late(course, assignment: str, students=None) -> dict[str, str]:
    """``{student: why}`` (a :data:`STALE_WORDS` key) of the students (of ``students``,
    default all) whose recorded grade is not the current one: computed against another due
    date or extension (review 23h, finding 1) or submission time than the gradebook and
    ``timestamp.txt`` hold now, or on files other than those collected since (a
    resubmission, review 23i, findings 1 and 3); ``export`` refuses while there are any."""
    records = read_statuses(course, assignment)
    wanted = None if students is None else set(students)
    chosen = sorted(s for s, r in records.items()
                    if (wanted is None or s in wanted) and r.get("status") in GRADED)
    if not chosen:
        return {}
    dates = due_dates(course, assignment)
    sources = sources_digest(course, assignment)
    sheet = pending_worksheet_times(course, assignment, chosen)
    out = {}
    with course.gradebook() as gb:
        for student in chosen:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            why = _why_stale(course, assignment, student, records[student], dates,
                             submission, sources, sheet)
            if why:
                out[student] = why
    return out


def stale_text(course, stale: dict[str, str], assignment: str, what: str) -> str:
    """The refusal of ``what`` (``"export"``) while :func:`stale_late` names students: the
    command it advises keeps the grading settings (late policy) they were graded with
    (:func:`dlgrade.status.grade_command`; review 23j, finding 1)."""
    one = len(stale) == 1
    names = ", ".join(f"{s} ({STALE_WORDS[w]})" for s, w in list(sorted(stale.items()))[:10]) \
        + (", ..." if len(stale) > 10 else "")
    return (f"{what}: {len(stale)} student{'' if one else 's'} of {assignment} "
            f"{'has' if one else 'have'} a grade in the gradebook that is not the current "
            f"one: {names}; run `{grade_command(course, assignment)}` first (it grades "
            f"{'that student' if one else 'them'} again under the settings the class was "
            "graded with and keeps the hand grades of unchanged answers), then "
            f"`dlcourse {what}` again. Nothing written")


def reapply_late_penalties(course, assignment: str, students=None) -> list[tuple]:
    """Compute the late penalty of each graded student of ``students`` (default: every
    student with a status record) again from the current due date and extension and the
    submission time in ``timestamp.txt`` (one given or changed by ``collect --timestamps``
    since), with the policy the student was graded under, as ``dlcourse mark`` does; no
    kernel runs and hand grades stay. Each record then says the due date it was computed
    against, and when nothing but the date or time changed since grading its submission
    hash follows, so the next ``grade`` does not grade the student again for it. A
    student whose files changed since (a resubmission) keeps an old hash: the next
    ``grade`` grades them.

    Returns ``[(student, old points, new points)]`` of the students whose grade was
    re-computed (points after the penalty), sorted by student.
    """
    records = read_statuses(course, assignment)
    dates = due_dates(course, assignment)
    chosen = sorted(records if students is None else set(students) & set(records))
    out = []
    with course.gradebook() as gb:
        for student in chosen:
            record = records[student]
            if record.get("status") not in GRADED:
                continue
            now = dates.get(student, dates[None])
            stamp = stamp_time(course, assignment, student)
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            old_time = submission.timestamp
            retimed = stamp is not False and stamp != old_time
            if not retimed and (record.get("due") is None or record["due"] == now):
                continue
            settings = record.get("settings") or ""
            same = files_unchanged(course, assignment, student, record, submission, retimed)
            before = float(submission.score) - float(submission.late_submission_penalty or 0)
            if retimed:  # the time collected since, as autograde would read it
                submission.timestamp = stamp
            apply_late_penalty(gb, submission, late_config(record.get("settings"), course))
            gb.db.commit()
            after = float(submission.score) - float(submission.late_submission_penalty or 0)
            if same:
                record["hash"] = submission_hash(course, assignment, student, settings + now)
            write_status(course, assignment, dict(record, due=now))
            out.append((student, max(0.0, before), max(0.0, after)))
    return out


def penalty_lines(changes: list[tuple], assignment: str) -> list[str]:
    """What :func:`reapply_late_penalties` did, one line per student, for the command line."""
    if not changes:
        return [f"no graded student of {assignment}: the next `dlcourse grade {assignment}` "
                "counts the new date"]
    return [f"{student}: late penalty re-applied: {assignment} {old:g} -> {new:g} points"
            + ("" if old != new else " (unchanged)") for student, old, new in changes]
