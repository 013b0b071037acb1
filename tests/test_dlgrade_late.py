"""dlgrade.late: late-penalty policies and due dates in a time zone (no nbgrader run), and the
due dates and extensions it writes into a real SQLite gradebook."""

from __future__ import annotations

import datetime as dt

import pytest

from dlgrade.late import PerHourPenalty, due_to_utc, parse_late_policy, to_utc


def test_late_policies():
    assert parse_late_policy("5%/h:50%") == {
        "AssignLatePenalties.plugin_class": "dlgrade.late.PerHourPenalty",
        "PerHourPenalty.per_hour": 0.05, "PerHourPenalty.cap": 0.5}
    assert parse_late_policy("2.5 % / hour")["PerHourPenalty.cap"] == 1.0
    with pytest.raises(ValueError, match="late_policy"):
        parse_late_policy("half")
    p = PerHourPenalty(per_hour=0.1, cap=0.5)
    assert p.late_submission_penalty("s", 10.0, 0) is None
    assert p.late_submission_penalty("s", 10.0, 3600) == 1.0
    assert p.late_submission_penalty("s", 10.0, 3601) == 2.0
    assert p.late_submission_penalty("s", 10.0, 86400) == 5.0


def test_due_dates_in_a_time_zone():
    assert to_utc("2026-12-01 17:00", "Europe/London") == dt.datetime(2026, 12, 1, 17, 0)
    assert to_utc("2026-06-01 17:00", "Europe/Berlin") == dt.datetime(2026, 6, 1, 15, 0)
    with pytest.raises(ValueError, match="timezone"):
        to_utc("2026-12-01 17:00", "Mars/Base")
    with pytest.raises(ValueError, match="due"):
        to_utc("first of December", "UTC")


def _course(root):
    from dlgrade.course import CONFIG_NAME, Course

    (root / CONFIG_NAME).write_text("c = get_config()\n")
    return Course(root)


@pytest.mark.slow  # a real SQLite gradebook (the empty one is made once per process)
def test_due_dates_and_extensions_in_the_gradebook(tmp_path, empty_gradebook):
    from dlgrade.late import grant_extension, late_fields, set_due_date

    course = _course(tmp_path)
    empty_gradebook(tmp_path)
    due = dt.datetime(2026, 12, 1, 17, 0)
    assert set_due_date(course, "a1", due) is None  # creates the assignment
    assert set_due_date(course, "a1", due + dt.timedelta(days=1)) == due
    assert set_due_date(course, "a1", due) == due + dt.timedelta(days=1)
    with pytest.raises(ValueError, match=r"student: 'ann' is not in the gradebook of .*; run "
                                         r"`dlcourse roster import ROSTER\.csv` first"):
        grant_extension(course, "a1", "ann", 2)
    with course.gradebook() as gb:
        gb.add_student("ann")
    with pytest.raises(ValueError, match=r"assignment: 'a9' is not in the gradebook of .*; run "
                                         r"`dlcourse release a9` first"):
        grant_extension(course, "a9", "ann", 2)
    with pytest.raises(ValueError, match="hours: got -1, expected 0 or more"):
        grant_extension(course, "a1", "ann", -1)
    grant_extension(course, "a1", "ann", 0.5)
    with course.gradebook() as gb:
        sub = gb.find_submission("a1", "ann")
        assert sub.extension == dt.timedelta(minutes=30)
        sub.timestamp = due + dt.timedelta(minutes=90)  # 60 min after the extended due date
        gb.db.commit()
        assert late_fields(sub) == {"submitted_at": "2026-12-01T18:30:00Z", "late_by": 1.0,
                                    "penalty": 0.0, "extension_h": 0.5}
    grant_extension(course, "a1", "ann", 0)  # 0 takes the extension away
    with course.gradebook() as gb:
        sub = gb.find_submission("a1", "ann")
        assert sub.extension is None
        assert late_fields(sub)["late_by"] == 1.5
    assert late_fields(None) == {"submitted_at": "", "late_by": "", "penalty": "",
                                 "extension_h": ""}


@pytest.mark.slow
@pytest.mark.parametrize("stamp, late", [
    ("2026-12-01 23:59:30", 0.0),  # review 23c, F2: was 30 s late (one started hour)
    ("2026-12-01 23:59:59", 0.0),
    ("2026-12-02 00:00:00", 1e-6),  # the next day: late, by the instant after the due one
])
def test_a_due_date_without_a_time_ends_with_its_day(tmp_path, empty_gradebook, stamp, late):
    """``--due 2026-12-01``: the last instant of that day in the course's zone, as nbgrader's
    ``total_seconds_late`` counts it for a file stamped ``stamp`` Berlin time."""
    from dlgrade.late import grant_extension, set_due_date

    due, whole_day = due_to_utc("2026-12-01", "Europe/Berlin")
    assert whole_day and due == dt.datetime(2026, 12, 1, 22, 59, 59, 999999)
    course = _course(tmp_path)
    empty_gradebook(tmp_path)
    set_due_date(course, "a1", due)
    with course.gradebook() as gb:
        gb.add_student("ann")
    grant_extension(course, "a1", "ann", 0)  # makes her submission entry
    with course.gradebook() as gb:
        sub = gb.find_submission("a1", "ann")
        sub.timestamp = to_utc(stamp, "Europe/Berlin")
        gb.db.commit()
        assert gb.find_assignment("a1").duedate == due  # the microseconds are kept
        assert sub.total_seconds_late == pytest.approx(late, abs=1e-7)


def test_the_late_config_is_the_one_the_student_was_graded_under(tmp_path):
    import json

    from dlgrade.late import late_config

    course = _course(tmp_path)
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    per_hour = {"AssignLatePenalties": {"plugin_class": "dlgrade.late.PerHourPenalty"},
                "PerHourPenalty": {"per_hour": 0.1, "cap": 0.5}}
    config = late_config(json.dumps({"late": per_hour}), course)
    assert config.PerHourPenalty.per_hour == 0.1
    assert config.AssignLatePenalties.plugin_class == "dlgrade.late.PerHourPenalty"
    # no record, or one whose plugin was a class object (recorded as its repr): the course's
    for settings in (None, "not json", json.dumps(
            {"late": {"AssignLatePenalties": {"plugin_class": "<class 'x.P'>"}}})):
        assert late_config(settings, course).LateSubmissionPlugin.penalty_method == "zero"


@pytest.mark.slow  # a real SQLite gradebook
def test_only_students_a_policy_can_change_make_a_mix_and_the_advice_keeps_the_policy(
        tmp_path, empty_gradebook):
    """Review 23j, finding 4: a student on time (or without a time, Canvas's "on time")
    graded under another policy makes no mix, since no policy changes their score; and
    finding 1: the advised `dlcourse grade` names the policy the class was graded with (a
    bare one grades under nbgrader_config.py's, here none), and a timeout given then."""
    import json

    from dlgrade.late import grant_extension, mixed_policies_text, policies, set_due_date
    from dlgrade.status import grade_command, write_status

    course = _course(tmp_path)
    empty_gradebook(tmp_path)
    due = dt.datetime(2026, 12, 1, 12, 0)
    set_due_date(course, "a1", due)
    times = {"ann": due + dt.timedelta(hours=2), "bob": due - dt.timedelta(hours=1),
             "cem": None, "dan": due + dt.timedelta(hours=5)}
    with course.gradebook() as gb:
        for student in times:
            gb.add_student(student)
    for student, when in times.items():
        grant_extension(course, "a1", student, 0)  # makes the submission entry
        with course.gradebook() as gb:
            gb.find_submission("a1", student).timestamp = when
            gb.db.commit()
    plain = json.loads(course.grading_settings()[0])
    per_hour = dict(plain, timeout=7, late={
        "AssignLatePenalties": {"plugin_class": "dlgrade.late.PerHourPenalty"},
        "PerHourPenalty": {"per_hour": 0.1, "cap": 0.5}})
    graded_with = {"ann": per_hour, "bob": plain, "cem": plain, "dan": per_hour}
    for student, settings in graded_with.items():
        write_status(course, "a1", {"student": student, "status": "graded",
                                    "settings": json.dumps(settings, sort_keys=True)})
    # bob (on time) and cem (no time) under none: no mix, nothing refused
    assert policies(course, "a1") == {"10%/h:50%": ["ann", "dan"]}
    assert mixed_policies_text(course, "a1", "export") is None
    assert grade_command(course, "a1") == "dlcourse grade a1 --late-policy 10%/h:50% --timeout 7"
    # dan graded under none: a mix; the advice keeps the others' policy and timeout
    write_status(course, "a1", {"student": "dan", "status": "graded",
                                "settings": json.dumps(plain, sort_keys=True)})
    said = mixed_policies_text(course, "a1", "export")
    assert said.startswith("export: the students of a1 were graded under different late "
                           "policies (10%/h:50%: ann; none: dan): run `dlcourse grade a1 "
                           "--late-policy 10%/h:50% --timeout 7`"), said
    assert "`dlcourse extend a1 STUDENT --hours N`" in said, said
    # a class graded under nbgrader_config.py's settings: the bare command is right
    for student in times:
        write_status(course, "a1", {"student": student, "status": "graded",
                                    "settings": json.dumps(plain, sort_keys=True)})
    assert grade_command(course, "a1") == "dlcourse grade a1"
    # policies remembered per assignment: a course graded before sees the one policy its
    # late students share adopted (remembered, then left out of the advice), never a mix's
    from dataclasses import replace

    from dlgrade.course import Course
    from dlgrade.engine import regrading
    from dlgrade.late import KEEP, remember_policy, the_policy, use_policy
    from dlgrade.status import remembered_policy

    for student in ("ann", "dan"):
        write_status(course, "a1", {"student": student, "status": "graded",
                                    "settings": json.dumps(per_hour, sort_keys=True)})
    assert the_policy(Course(tmp_path), "a1") == (
        "late policy of a1: 10%/h:50%, the policy its graded students were graded under (now "
        "remembered; `--late-policy config` goes back to nbgrader_config.py's, "
        "none)")
    assert remembered_policy(course, "a1") == "10%/h:50%"
    assert grade_command(course, "a1", "10%/h:50%") == "dlcourse grade a1 --timeout 7"
    assert the_policy(Course(tmp_path), "a1") == (
        "late policy of a1: 10%/h:50% (remembered; `--late-policy config` goes back to "
        "nbgrader_config.py's, none)")
    remember_policy(course, "a1", None)
    write_status(course, "a1", {"student": "dan", "status": "graded",
                                "settings": json.dumps(plain, sort_keys=True)})
    assert use_policy(Course(tmp_path), "a1") == (None, KEEP)  # a mix: nothing adopted
    assert remembered_policy(course, "a1") is None
    # `--late-policy config` (review 23k, 6): a bare run follows nbgrader_config.py's (none
    # here), so advice names a policy only when it is another
    remember_policy(course, "a1", "config")
    assert "--late-policy" not in grade_command(course, "a1", "none")
    assert " --late-policy 10%/h:50%" in grade_command(course, "a1", "10%/h:50%")
    remember_policy(course, "a1", None)
    # another gradebook is named in every advice, its password never
    secret = replace(course, db_url="postgresql+psycopg2://grader:pw1@db-host:5432/course")
    assert grade_command(secret, "a1").endswith(" --db <your gradebook URL>")
    said = regrading(secret, "a1", json.dumps(per_hour))
    assert said.endswith("run `dlcourse grade a1 --late-policy 10%/h:50% --timeout 7 --db "
                         "<your gradebook URL>` again") and "pw1" not in said, said
    other = replace(course, db_url=f"sqlite:///{tmp_path}/other.db")
    assert grade_command(other, "a1") == f"dlcourse grade a1 --db sqlite:///{tmp_path}/other.db"


@pytest.mark.slow  # a real SQLite gradebook (the empty one is made once per process)
def test_an_export_without_the_gradebook_the_class_was_graded_in_is_refused(
        tmp_path, empty_gradebook):
    """Review 23k, finding 2: a class graded with ``--db`` and exported without it read an
    empty gradebook and wrote 0 or "no submission" for every graded student, exit 0."""
    import json
    from dataclasses import replace

    from nbgrader.api import Gradebook

    from dlgrade.export import export
    from dlgrade.status import other_gradebook_error, write_status

    course = _course(tmp_path)
    empty_gradebook(tmp_path)  # the default gradebook, where the roster went
    other = tmp_path / "elsewhere"
    other.mkdir()
    empty_gradebook(other)
    for url in (f"sqlite:///{tmp_path / 'gradebook.db'}", f"sqlite:///{other / 'gradebook.db'}"):
        with Gradebook(url) as gb:
            gb.add_assignment("a1")
            gb.add_student("ann")
    graded_in = replace(course, db_url=f"sqlite:///{other / 'gradebook.db'}")
    write_status(course, "a1", {"student": "ann", "status": "graded",
                                "settings": graded_in.grading_settings()[0]})
    # the refusal reads the records and nbgrader_config.py once each (it read both twice)
    import dlgrade.status as status_module
    from dlgrade.course import Course

    reads = []

    def counted(name, real):
        def wrapper(*args, **kwargs):
            reads.append(name)
            return real(*args, **kwargs)
        return wrapper

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(status_module, "read_statuses", counted("records",
                                                           status_module.read_statuses))
        mp.setattr(Course, "_load_config", counted("config", Course._load_config))
        said = str(other_gradebook_error(replace(course), "a1", "export"))
    assert sorted(reads) == ["config", "records"], reads
    assert said.startswith(f"export: 1 of the 1 graded students of a1 (ann) were graded in "
                           f"another gradebook (sqlite:///{other / 'gradebook.db'}) than the "
                           f"one this command reads (sqlite:///{tmp_path / 'gradebook.db'}): "
                           f"give it with `--db`, as `dlcourse grade` had it (`dlcourse "
                           f"grade a1 --db sqlite:///{other / 'gradebook.db'}`)"), said
    with pytest.raises(ValueError, match="graded in another gradebook"):
        export(course, "a1", "csv", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    assert other_gradebook_error(graded_in, "a1", "export") is None
    # one student graded here is not enough (review 23m, finding 2): ann's grade is elsewhere
    write_status(course, "a1", {"student": "bob", "status": "graded",
                                "settings": course.grading_settings()[0]})
    said = str(other_gradebook_error(course, "a1", "export"))
    assert said.startswith("export: 1 of the 2 graded students of a1 (ann) were graded in "
                           "another gradebook"), said
    assert str(other_gradebook_error(graded_in, "a1", "export")).startswith(
        "export: 1 of the 2 graded students of a1 (bob)")
    # a password in the URL is never printed
    secret = replace(course, db_url="postgresql+psycopg2://grader:pw1@db-host:5432/course")
    write_status(course, "a1", {"student": "ann", "status": "graded",
                                "settings": secret.grading_settings()[0]})
    said = str(other_gradebook_error(course, "a1", "export"))
    assert "pw1" not in said and "<your gradebook URL>" in said, said
    # nobody graded yet: nothing to compare
    write_status(course, "a1", {"student": "ann", "status": "failed", "settings": json.dumps({})})
    assert other_gradebook_error(course, "a1", "export") is None
