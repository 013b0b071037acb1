"""dlgrade.late without nbgrader: late-penalty policies and due dates in a time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from dlgrade.late import PerHourPenalty, parse_late_policy, to_utc


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
