"""Outputs of a grading run: ``grades.csv``, ``report.json`` and ``report.html``.

Everything is rebuilt from the per-student status files (one per student, written by every
shard), so a report always covers the whole class, whoever graded whom.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import statistics
import time
from pathlib import Path

import nbformat

from .collect import CANVAS_LABEL, UNKNOWN_TIME, canvas_marked
from .course import Course
from .enrolment import not_enrolled, read_enrolment
from .flag_reviews import apply_reviews
from .handgrades import (
    is_hand_grade,
    load_submissions,
    read_hand_grades,
    refresh_feedback,
    waits_for_hand,
)
from .html_safety import NO_SCRIPT_CSP_META
from .lms.base import text_cell
from .roster import read_roster
from .similarity import THRESHOLD, class_copies
from .status import (
    FILES_PREFIX,
    HELD_PREFIX,
    grade_command,
    is_flagged,
    read_not_collected,
    read_statuses,
    status_label,
    status_path,
    with_review,
    write_status,
)

# nbgrader (with dlgrade.late, which subclasses its plugin) and matplotlib (with
# dlcourse.plotting) take seconds to import: the functions that read the gradebook or draw
# the plots import them, so a report from the status files alone does not wait for them.


def function_of(grade_id: str) -> str:
    """The function a test cell checks: ``test_neuron_hidden`` -> ``neuron``."""
    name = re.sub(r"^test_", "", grade_id)
    return re.sub(r"_(hidden|visible|tests?)$", "", name)


def manual_answer_cells(course: Course, assignment: str) -> list[str]:
    """Grade ids of the source's answers graded by hand (cells both ``solution`` and
    ``grade``: written answers): a blank one is autograded 0, which says nothing about
    whether the class can write a function."""
    out = []
    for path in sorted((course.source_dir / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade") and meta.get("grade_id"):
                out.append(meta["grade_id"])
    return out


def _roster_ids(course: Course) -> list[str]:
    try:
        return [s.id for s in read_roster(course)]
    except Exception:  # noqa: BLE001 - no gradebook yet: the submitted students only
        return []


def collect_rows(course: Course, assignment: str) -> tuple[list[dict], list[str]]:
    """One row per roster student and per submitted student (status files of every shard)
    and the test cell ids. A roster student without a submission gets score 0 and status
    ``no submission``, or no score and status ``not collected`` when collect found their
    files but copied none (:func:`dlgrade.status.read_not_collected`, with the reason)."""
    statuses = read_statuses(course, assignment)
    refused = read_not_collected(course, assignment)
    submitted = course.students(assignment)
    students = sorted(set(submitted) | set(_roster_ids(course)) | set(refused))
    by_hand = manual_answer_cells(course, assignment)
    outside = _not_enrolled(course, assignment, set(students) - set(submitted))
    cells = []
    for record in statuses.values():
        for gid in record.get("cells", {}):
            if gid not in cells:
                cells.append(gid)
    rows = []
    for student in students:
        if student not in submitted and student in refused:
            rec = {"student": student, "status": "not collected", "reason": refused[student],
                   "score": None, "max_score": None}
        elif student not in submitted and outside.get(student):
            rec = {"student": student, "status": "not enrolled", "reason": outside[student],
                   "score": None, "max_score": None}
        elif student not in submitted:
            rec = {"student": student, "status": "no submission", "reason": "",
                   "score": 0.0, "max_score": None}
        else:
            rec = statuses.get(student, {"student": student, "status": "pending",
                                         "reason": "not graded yet"})
        rec["manual_cells"] = sorted(set(rec.get("manual_cells", [])) | set(by_hand))
        rows.append(rec)
    _refresh_scores(course, assignment, rows)
    apply_reviews(course, assignment, rows)  # flags an instructor read and cleared
    from .late import STALE_WORDS, stale_late  # nbgrader, as _refresh_scores

    stale = stale_late(course, assignment)
    again = grade_command(course, assignment) if stale else ""  # what grades them again
    for rec in rows:  # never plainly "graded" on a date, time or file gone (review 23i, 3)
        rec["stale"] = STALE_WORDS[stale[rec["student"]]] if rec["student"] in stale else ""
        rec["again"] = again if rec["stale"] else ""
    marked = canvas_marked(course, assignment)
    for rec in rows:  # failed or pending: no gradebook submission, but the time is known
        if rec["student"] in submitted and not rec.get("submitted_at"):
            rec["submitted_at"] = submitted_at(course, assignment, rec["student"])
        rec["time_unknown"] = False  # a record synced while it was unknown says so no more
        if rec["student"] in marked and not rec.get("submitted_at"):
            # no time: Canvas's word alone (review 23g, G1, G6)
            rec["submitted_at"] = CANVAS_LABEL[marked[rec["student"]]]
            if marked[rec["student"]] in UNKNOWN_TIME:
                # late by an amount nobody knows: no late_by of 0 given as a fact (23h, 4)
                rec["time_unknown"], rec["late_by"] = True, None
    return rows, cells


def _not_enrolled(course: Course, assignment: str, absent) -> dict[str, str]:
    """``{student: why}`` of the students in ``absent`` (no submission) who joined the roster
    after ``assignment`` was due or left it before (:mod:`dlgrade.enrolment`). A student the
    gradebook holds a submission of (graded before the files were removed, or entered by
    hand) had the assignment: never in the result."""
    enrolment = read_enrolment(course)
    if not any(sid in enrolment for sid in absent):
        return {}
    try:
        with course.gradebook() as gb:
            entry = gb.find_assignment(assignment)
            due = entry.duedate
            graded = {sub.student_id for sub in entry.submissions}
    except Exception:  # noqa: BLE001 - no gradebook entry: no due date to compare with
        due, graded = None, set()
    out = {}
    for sid in set(absent) - graded:
        why = not_enrolled(enrolment.get(sid, {}), due)
        if why:
            out[sid] = why
    return out


def submitted_at(course: Course, assignment: str, student: str) -> str:
    """The submission time in nbgrader's ``timestamp.txt`` beside the student's notebook, as
    ``grades.csv`` writes times (``2026-12-01T19:00:00Z``); ``""`` when there is none or it
    cannot be read."""
    from nbgrader.utils import parse_utc

    path = course.submitted_dir / student / assignment / "timestamp.txt"
    try:
        return parse_utc(path.read_text(encoding="utf-8").strip()).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OSError, ValueError, OverflowError, AttributeError):
        return ""


def _graded_elsewhere(sub, saved: dict) -> bool:
    """Whether a hand score of the gradebook submission ``sub`` was given outside dlcourse
    (nbgrader's formgrader): one that the saved hand grades (:mod:`dlgrade.handgrades`, which
    ``mark`` and every grading run keep) do not hold with that score."""
    for nb in sub.notebooks:
        for g in nb.grades:
            if g.manual_score is not None:
                mine = saved.get(f"{nb.name}/{g.name}")
                if mine is None or float(mine.get("score", -1)) != float(g.manual_score):
                    return True
    return False


def _refresh_scores(course: Course, assignment: str, rows: list[dict]) -> None:
    """Take scores from the gradebook, so grades given by hand (formgrader) show up."""
    try:
        from nbgrader.api import MissingEntry

        from .late import apply_late_penalty, late_assigner, late_config, late_fields

        with course.gradebook() as gb:
            max_score = float(gb.find_assignment(assignment).max_score)
            # every submission's notebooks and grades at once, held in the session while
            # the rows read them (lazily, a class of 60 took ~1400 queries, ~0.5 s)
            loaded = load_submissions(gb, assignment)  # noqa: F841 - keeps them in the session
            configs = {}
            for rec in rows:
                try:
                    sub = gb.find_submission(assignment, rec["student"])
                except MissingEntry:
                    sub = None
                if (sub is not None and rec.get("status") in ("graded", "needs manual grading")
                        and _graded_elsewhere(sub, read_hand_grades(course, assignment,
                                                                    rec["student"]))):
                    # a hand grade given in formgrader changed the score after autograde:
                    # the late penalty follows the whole score (same policy as the grading;
                    # `mark` and a grading run computed it already for their own)
                    settings = rec.get("settings")
                    if settings not in configs:
                        configs[settings] = late_assigner(late_config(settings, course))
                    if apply_late_penalty(gb, sub, configs[settings]):
                        gb.db.commit()
                rec.update(late_fields(sub))
                if rec.get("status") in ("no submission", "not collected", "not enrolled"):
                    rec["max_score"] = max_score
                if sub is None or rec.get("status") not in ("graded", "needs manual grading"):
                    continue
                # nbgrader keeps the raw score and the late penalty apart (as its CSV export)
                raw = float(sub.score)
                rec["raw_score"] = raw
                rec["score"] = max(0.0, raw - float(sub.late_submission_penalty or 0))
                rec["max_score"] = float(sub.max_score)
                rec["cells"] = {g.name: [float(g.score), float(g.max_score)]
                                for nb in sub.notebooks for g in nb.grades}
                flagged = rec.get("flagged_cells") or []
                waiting = sorted(g.name for nb in sub.notebooks for g in nb.grades
                                 if waits_for_hand(g, flagged))
                by_hand = sorted(g.name for nb in sub.notebooks for g in nb.grades
                                 if is_hand_grade(g, flagged))
                rec.update(current_status(rec, waiting, by_hand))
                rec["waiting_cells"] = waiting  # provisional score (dlgrade.export)
    except Exception:  # noqa: BLE001 - a report from the status files alone is still useful
        return


WRITTEN_PREFIX = "written answers to grade by hand: "


def current_status(record: dict, waiting: list[str], by_hand: list[str]) -> dict:
    """``status``, ``reason`` and ``hand_graded`` of a graded record as the gradebook has it
    now, from the grading run's findings (``grading_reason``, else ``reason``):

    - a finding of the scan or a cell that hit a limit is kept while a cell it flagged
      still waits for a hand grade (``waiting``);
    - files handed in but not copied are kept (they flag no cell): the submission still
      holds them, so the status stays ``needs manual grading`` until they are gone from it;
    - "feedback held for review" is kept while the student has no feedback page;
    - the written answers still waiting are listed.

    >>> rec = {"status": "needs manual grading",
    ...        "reason": "written answers to grade by hand: essay"}
    >>> current_status(rec, [], ["essay"])
    {'status': 'graded', 'reason': '', 'hand_graded': ['essay']}
    >>> current_status({"status": "graded", "reason": ""}, ["essay"], [])["reason"]
    'written answers to grade by hand: essay'
    >>> rec = {"reason": "files handed in were not copied: a: link; b: over; "
    ...        "tiny: cell 3: imports importlib; feedback held for review",
    ...        "flagged_cells": ["test_f"], "feedback": [], "refused_files": ["a: link", "b: over"]}
    >>> current_status(rec, [], ["test_f"])["reason"]
    'files handed in were not copied: a: link; b: over; feedback held for review'
    """
    run = record.get("grading_reason")
    run = (record.get("reason") if run is None else run) or ""
    # the refused files' finding holds "; " itself (one group per reason): taken as a whole
    files = [FILES_PREFIX + "; ".join(record["refused_files"])] \
        if record.get("refused_files") else []
    if files:
        run = run.replace(files[0], "", 1)
    parts = [p for p in run.split("; ") if p and not p.startswith(WRITTEN_PREFIX)]
    named = set(record.get("flagged_cells") or [])
    flagged_waits = bool(named & set(waiting))
    kept = list(files)
    for part in parts:
        if part.startswith(HELD_PREFIX):
            if not record.get("feedback"):
                kept.append(part)
        elif flagged_waits:
            kept.append(part)  # the run's finding: its cells still wait for a look
    manual = [g for g in waiting if g not in named]
    if manual:
        kept.append(WRITTEN_PREFIX + ", ".join(manual))
    status = "needs manual grading" if (waiting or files) else "graded"
    return {"status": status, "reason": "; ".join(kept), "hand_graded": list(by_hand)}


#: what :func:`sync_records` copies from a row (as the gradebook has it now) to its record
SYNCED = ("status", "reason", "score", "raw_score", "max_score", "cells", "hand_graded",
          "late_by", "penalty", "submitted_at", "time_unknown", "reviewed")


def sync_records(course: Course, assignment: str, rows: list[dict]) -> list[str]:
    """Bring each graded student's ``status/<student>.json`` up to what ``grades.csv`` says
    (hand grades given by ``dlcourse mark`` or formgrader since the run changed the status,
    the reason and the score); returns the students whose record changed. A record another
    run replaced meanwhile (another ``graded_at`` or hash) is left to that run."""
    changed = []
    for row in rows:
        if row.get("status") not in ("graded", "needs manual grading"):
            continue
        path = status_path(course, assignment, row["student"])
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or record.get("status") not in (
                "graded", "needs manual grading") or \
                (record.get("graded_at"), record.get("hash")) != (row.get("graded_at"),
                                                                  row.get("hash")):
            continue
        new = dict(record, **{k: row[k] for k in SYNCED if k in row})
        if "grading_reason" not in record:  # the run's own findings stay in the record
            new["grading_reason"] = record.get("reason") or ""
        if new != record:
            write_status(course, assignment, new)
            changed.append(row["student"])
    return changed


def write_grades_csv(path: Path, rows: list[dict], cells: list[str]) -> None:
    """``grades.csv``: student, score, max_score, status, reason, runtime_s, one column per test."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", "status", "reason", "runtime_s",
                         "submitted_at", "late_by", "penalty", *cells])
        for r in rows:
            failed = r.get("status") in ("failed", "pending", "not collected", "not enrolled")
            score = "" if failed else _num(r.get("score"))
            per = r.get("cells", {})
            writer.writerow([
                # the status and reason may quote a student's file names or code: never a
                # formula in a spreadsheet (review 21b, hole 8)
                r["student"], score, _num(r.get("max_score")), text_cell(status_label(r)),
                "" if r.get("status") == "failed" else text_cell(r.get("reason", "")),
                _num(r.get("runtime")), r.get("submitted_at", ""), _num(r.get("late_by")),
                _num(r.get("penalty")),
                *["" if failed or gid not in per else _num(per[gid][0]) for gid in cells],
            ])


def _num(x):
    if x is None or x == "":
        return ""
    x = float(x)
    return int(x) if x.is_integer() else round(x, 3)


def _count(n: int, noun: str) -> str:
    """``"1 student"``, ``"5 students"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summarize(assignment: str, rows: list[dict], cells: list[str], copies=None) -> dict:
    """The content of ``report.json``; ``copies``: the copied-work pairs
    (:func:`dlgrade.similarity.class_copies`, as dicts)."""
    graded = [r for r in rows if r.get("status") in ("graded", "needs manual grading")]
    scores = [float(r["score"]) for r in graded if r.get("score") is not None]
    max_score = max((float(r.get("max_score") or 0) for r in graded), default=None)
    per_cell = {}
    for gid in cells:
        vals = [r["cells"][gid] for r in graded if gid in r.get("cells", {})]
        if vals:
            per_cell[gid] = {
                "max_score": vals[0][1],
                "mean_score": round(statistics.fmean(v[0] for v in vals), 4),
                "pass_rate": round(sum(v[0] >= v[1] for v in vals) / len(vals), 4),
            }
    # written answers (graded by hand) say nothing about a function's pass rate
    by_hand = {g for r in rows for g in r.get("manual_cells", [])}
    functions = {}
    for gid in cells:
        if gid not in by_hand:
            functions.setdefault(function_of(gid), []).append(gid)
    per_function = {}
    for fn, gids in functions.items():
        vals = [all(r["cells"][g][0] >= r["cells"][g][1] for g in gids if g in r.get("cells", {}))
                for r in graded if any(g in r.get("cells", {}) for g in gids)]
        if vals:
            per_function[fn] = {"tests": gids, "pass_rate": round(sum(vals) / len(vals), 4)}
    counts = {}
    for r in rows:
        counts[r.get("status", "pending")] = counts.get(r.get("status", "pending"), 0) + 1
    return {
        "assignment": assignment,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n_students": len(rows),
        "counts": counts,
        "max_score": max_score,
        "n_scored": len(scores),  # the students the score's statistics are over
        "score": ({"mean": round(statistics.fmean(scores), 3),
                   "median": statistics.median(scores), "min": min(scores),
                   "max": max(scores)} if scores else None),
        "per_function": per_function,
        "per_test": per_cell,
        "failed": [{"student": r["student"], "reason": r.get("reason", "")}
                   for r in rows if r.get("status") == "failed"],
        "needs_manual_grading": [{"student": r["student"], "reason": r.get("reason", "")}
                                 for r in rows if r.get("status") == "needs manual grading"],
        # advisory: the points are kept (dlgrade.package_copy)
        "flagged_for_review": [{"student": r["student"], "review": r["review"]}
                               for r in rows if is_flagged(r)],
        # cleared by an instructor after reading the answers (dlgrade.flag_reviews)
        "reviewed_flags": [{"student": r["student"], "review": r["review"],
                            "by": r["reviewed"].get("by"), "at": r["reviewed"].get("at")}
                           for r in rows if r.get("review") and r.get("reviewed")],
        "runtime_s": {r["student"]: r.get("runtime") for r in rows if r.get("runtime") is not None},
        "students": [{k: r.get(k) for k in ("student", "status", "reason", "score", "max_score",
                                             "runtime", "notes", "flagged_cells", "feedback",
                                             "submitted_at", "late_by", "penalty", "review",
                                             "reviewed", "time_unknown", "stale")}
                     for r in rows],
        "copied_work": list(copies or []),
    }


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def plots(summary: dict) -> dict[str, str]:
    """Base64 PNGs: score histogram, pass rate per function, runtime per submission."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from dlcourse.plotting import PALETTE

    colors = list(PALETTE.values())
    blue = PALETTE.get("blue", colors[0])
    orange = PALETTE.get("orange", colors[1 % len(colors)])
    out = {}
    scores = [s["score"] for s in summary["students"]
              if s["status"] in ("graded", "needs manual grading") and s["score"] is not None]
    fig, ax = plt.subplots(figsize=(6, 3))
    top = summary["max_score"] or (max(scores) if scores else 1)
    bins = min(20, max(int(top), 1)) if top else 10
    ax.hist(scores, bins=bins, range=(0, top or 1), color=blue, edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students, not halves
    # "graded" is a status of its own in the header's counts: say what the bars hold
    ax.set_title(f"Scores of {len(scores)} students (graded or waiting for hand grading), "
                 f"max {_num(top)}", fontsize="medium")
    out["histogram"] = _png(fig)
    plt.close(fig)

    fns = summary["per_function"]
    fig, ax = plt.subplots(figsize=(6, 0.4 * max(len(fns), 2) + 1))
    names = list(fns)
    ax.barh(names, [100 * fns[n]["pass_rate"] for n in names], color=blue)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("% of graded students passing every test of the function")
    ax.set_title("Pass rate per function")
    out["pass_rate"] = _png(fig)
    plt.close(fig)

    rt = summary["runtime_s"]
    status = {s["student"]: s["status"] for s in summary["students"]}
    names = sorted(rt, key=lambda n: -rt[n])
    fig, ax = plt.subplots(figsize=(6, 0.25 * max(len(names), 4) + 1))
    sky = PALETTE.get("sky_blue", blue)
    shade = {"failed": orange, "needs manual grading": sky}
    ax.barh(names, [rt[n] for n in names], color=[shade.get(status.get(n), blue) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("seconds (dark blue: graded, light blue: needs manual grading, orange: failed)")
    ax.set_title("Grading time per submission")
    out["runtime"] = _png(fig)
    plt.close(fig)
    return out


def render_html(summary: dict, images: dict[str, str]) -> str:
    """A self-contained ``report.html`` (no scripts, no external files)."""
    e = html.escape

    def table(head, rows):
        th = "".join(f"<th>{e(str(h))}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
                       for row in rows)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    score = summary["score"] or {}
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(summary["counts"].items()))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        NO_SCRIPT_CSP_META,  # no script at all: the report has none of its own
        f"<title>Grading report: {e(summary['assignment'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;"
        "padding:.25em .6em;text-align:left;vertical-align:top}th{background:#eee}"
        "img{max-width:100%}pre{margin:0;white-space:pre-wrap;font-size:.85em}</style>",
        "</head><body>",
        f"<h1>Grading report: {e(summary['assignment'])}</h1>",
        f"<p>{_count(summary['n_students'], 'student')} ({e(counts)}). Generated "
        f"{e(summary['generated_at'])}.</p>",
    ]
    if score:
        # over the graded students only, said so: not the class mean (review 23e, N4)
        n_scored = summary.get("n_scored", summary["n_students"])
        left_out = summary["n_students"] - n_scored
        which = ("graded or needing manual grading"
                 if summary["counts"].get("needs manual grading") else "graded")
        parts.append(f"<p>Score out of {_num(summary['max_score'])}, of the {n_scored} {which}"
                     + (f" ({_count(left_out, 'other student')} left out)" if left_out else "")
                     + f": mean {score['mean']}, median {_num(score['median'])}, "
                     f"min {_num(score['min'])}, max {_num(score['max'])}.</p>")
    parts += [
        "<h2>Score distribution</h2>",
        f"<img alt='Histogram of scores' src='data:image/png;base64,{images['histogram']}'>",
        "<h2>Pass rate per function</h2>",
        "<p>Share of graded students who pass every test of a function: low bars show the "
        "concepts the class struggles with.</p>",
        f"<img alt='Pass rate per function' src='data:image/png;base64,{images['pass_rate']}'>",
        table(["function", "tests", "pass rate"],
              [(fn, ", ".join(v["tests"]), f"{100 * v['pass_rate']:.0f} %")
               for fn, v in summary["per_function"].items()]),
        f"<h2>Failed submissions ({len(summary['failed'])})</h2>",
        table(["student", "reason"], [(f["student"], f["reason"]) for f in summary["failed"]])
        if summary["failed"] else "<p>None.</p>",
        f"<h2>Needs manual grading ({len(summary['needs_manual_grading'])})</h2>",
        table(["student", "reason"], [(f["student"], f["reason"])
                                      for f in summary["needs_manual_grading"]])
        if summary["needs_manual_grading"] else "<p>None.</p>",
        f"<h2>Flagged for review ({len(summary.get('flagged_for_review', []))})</h2>",
        "<p>Answers that look like the course package's own functions pasted in. A pointer "
        "for a person, not a verdict: the flag itself takes no point. (An answer that compiles "
        "to the package's own code, an exact paste, is another matter: the judge gives the tests "
        "that call it 0 points and the feedback says why, so a flagged student's score may "
        "already be lower.)</p>",
        table(["student", "looks copied"], [(f["student"], f["review"])
                                            for f in summary["flagged_for_review"]])
        if summary.get("flagged_for_review") else "<p>None.</p>",
        *([f"<h3>Flags reviewed ({len(summary['reviewed_flags'])})</h3>",
           "<p>Flags an instructor read and cleared (<code>dlcourse mark ASSIGNMENT STUDENT "
           "--reviewed</code>); a resubmission with other code is flagged afresh.</p>",
           table(["student", "flag read", "by", "at"],
                 [(f["student"], f["review"], f["by"] or "", f["at"] or "")
                  for f in summary["reviewed_flags"]])]
          if summary.get("reviewed_flags") else []),
        *_copied_section(summary),
        "<h2>Grading time per submission</h2>",
        f"<img alt='Grading time per submission' src='data:image/png;base64,{images['runtime']}'>",
        "<h2>All students</h2>",
        # the status as grades.csv says it (Canvas's LATE_ without a time too: 23h, 4)
        table(["student", "status", "submitted", "score", "max", "seconds", "notes"],
              [(s["student"], status_label(s), s.get("submitted_at") or "",
                _num(s["score"]), _num(s["max_score"]), _num(s["runtime"]),
                "; ".join(s.get("notes") or [])) for s in summary["students"]]),
        "</body></html>",
    ]
    return "\n".join(parts)


def _copied_section(summary: dict) -> list[str]:
    """The report's "Copied work" section: each pair, its score and the shared passages."""
    e = html.escape
    pairs = summary.get("copied_work") or []
    out = [f"<h2 id='copied-work'>Copied work ({len(pairs)})</h2>",
           f"<p>Pairs whose own code (answer cells, the released template excluded; names, "
           f"comments and whitespace normalised) overlaps by at least {THRESHOLD:.0%} on both "
           "sides (winnowed fingerprints, copydetect). A score is a reason to look, not a "
           "verdict.</p>"]
    if not pairs:
        return out + ["<p>None.</p>"]
    for m in pairs:
        out.append(f"<h3>{e(m['a'])} and {e(m['b'])}: {100 * m['score']:.0f} %</h3>")
        rows = "".join(f"<tr><td><pre>{e(x)}</pre></td><td><pre>{e(y)}</pre></td></tr>"
                       for x, y in m["passages"][:5])
        out.append(f"<table class='copies'><thead><tr><th>{e(m['a'])}</th><th>{e(m['b'])}"
                   f"</th></tr></thead><tbody>{rows}</tbody></table>")
    return out


def open_statuses(course: Course, assignment: str, students=None,
                  rows: list[dict] | None = None) -> list[tuple[str, str, str]]:
    """``(student, status, reason)`` of every submitted student (of ``students`` when given)
    whose status, as the gradebook has it now, is not plain ``graded`` (a graded one flagged
    for review, :func:`dlgrade.status.with_review`, is not: a person looks at it, until the
    flag is cleared, :mod:`dlgrade.flag_reviews`); ``rows``:
    those :func:`report_outputs` just collected (read again from the gradebook when None)."""
    if rows is None:
        rows, _ = collect_rows(course, assignment)
    wanted = set(course.students(assignment) if students is None else students)
    return [(r["student"], with_review(r.get("status", "pending"), r), r.get("reason") or "")
            for r in rows if r["student"] in wanted and
            (r.get("status") != "graded" or is_flagged(r))]


def write_outputs(course: Course, assignment: str) -> dict[str, str]:
    """Write grades.csv, report.json and report.html, after rendering again the feedback
    pages of students whose hand grades changed; return their paths."""
    return report_outputs(course, assignment)[0]


def report_outputs(course: Course, assignment: str,
                   copies: list[dict] | None = None) -> tuple[dict[str, str], list[dict]]:
    """:func:`write_outputs`, also returning the rows written (for :func:`open_statuses`).
    ``copies``: the copied-work pairs (:func:`dlgrade.similarity.class_copies`, as dicts) if
    the caller found them already; else they are found here."""
    out = course.output_dir(assignment)
    out.mkdir(parents=True, exist_ok=True)
    refresh_feedback(course, assignment)
    rows, cells = collect_rows(course, assignment)
    sync_records(course, assignment, rows)  # status/<student>.json says what grades.csv says
    paths = {"grades": out / "grades.csv", "json": out / "report.json",
             "html": out / "report.html", "feedback": out / "feedback"}
    write_grades_csv(paths["grades"], rows, cells)
    if copies is None:
        copies = [m.as_dict() for m in class_copies(course, assignment)]
    summary = summarize(assignment, rows, cells, copies)
    paths["json"].write_text(json.dumps(summary, indent=1))
    paths["html"].write_text(render_html(summary, plots(summary)), encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}, rows
