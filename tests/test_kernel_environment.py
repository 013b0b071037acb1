"""No secret of the grader's environment reaches a student's kernel, by name or by memory
(review 21k, findings 1 and 3; issue 21).

Secrets are planted in the grader's environment under the usual names and under names a
deny-list missed (``NBGRADER_DB_URL=postgresql://grader:pw@...``, ``DB_PASS``, ``SENTRY_DSN``,
and a credential URL under a name the allow-list keeps). A submission reads (a) its
``os.environ``, (b) its own exec'd environment block (``/proc/self/stat`` env_start..env_end,
read with numpy's ``__array_interface__``, no ctypes) and (c) every readable anonymous mapping
of its memory, and prints what it finds. Graded through the real paths: ``dlcourse grade`` (G),
the same rootless (R) and plain ``nbgrader autograde`` + ``generate_feedback`` with the project's
config (N). Nothing planted may show in what the kernel printed or in the feedback page, and
the honest student beside it keeps full points.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from dlgrade.sandbox import jail
from tests.submissions.crafted import (
    dlcourse,
    grade_with_plain_nbgrader,
    make_course,
    make_variant,
    project_config,
    sandbox_config,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_config()[1] is not None, reason=str(sandbox_config()[1])),
]

#: Every planted value matches ``h21sec-[a-z]+[0-9]``; the probe's own pattern does not.
SECRETS = {
    "PGPASSWORD": "h21sec-pgpassword1",
    "CANVAS_API_TOKEN": "h21sec-canvastoken2",
    "AWS_SECRET_ACCESS_KEY": "h21sec-awskey3",
    "NBGRADER_DB_URL": "postgresql+psycopg2://grader:h21sec-dburl4@db-host:5432/course",
    "GRADEBOOK_URI": "postgresql://grader:h21sec-gradebook5@db/course",
    "DB_PASS": "h21sec-dbpass6",
    "MYSQL_PWD": "h21sec-mysql7",
    "SMTP_PASSWD": "h21sec-smtp8",
    "SENTRY_DSN": "https://h21sec-sentry9@sentry.example/1",
    "LDAP_BIND_PW": "h21sec-ldap10",
    # an allowed name (JUPYTER_*) whose value carries a credential
    "JUPYTER_GRADEBOOK_URL": "postgresql://grader:h21sec-jupyter11@db/course",
    # review 21l, finding 4: credentials in other shapes, under names an allowed prefix matched
    "JUPYTER_GRADEBOOK": "postgresql://db-host/course?user=grader&password=h21sec-query12",
    "JUPYTER_DB_OPTS": "host=db user=grader password=h21sec-libpq13",
    "PYTHON_GRADER_LOGIN": "grader:h21sec-noscheme14@db",
    "JPY_DB": "h21sec-jpy15",
    "LC_GRADER": "h21sec-lc16",
    "DLCOURSE_SANDBOX_NOTE": "h21sec-sandbox17",
}
MARK = "h21sec"

#: (a), (b), (c): whatever matches the planted values' shape, and a count that shows each part ran.
PROBE = r'''import os, re
import numpy as _np
_pat = re.compile(("h21" "sec-[a-z]+[0-9]+").encode())
print("ENVIRON", sorted(k for k, v in os.environ.items() if _pat.search(v.encode())))
class _View:
    pass
def _read(lo, hi):
    v = _View()
    v.__array_interface__ = {"data": (lo, True), "shape": (hi - lo,), "typestr": "|u1",
                             "version": 3}
    return _np.asarray(v).tobytes()
_st = open("/proc/self/stat").read()
_f = _st[_st.rindex(")") + 2:].split()
_block = _read(int(_f[47]), int(_f[48]))
print("ENVBLOCK", len(_block.split(b"\0")), "variables", sorted(set(_pat.findall(_block))))
_found, _regions = set(), 0
for _line in open("/proc/self/maps").read().splitlines():
    _parts = _line.split()
    _name = _parts[5] if len(_parts) > 5 else ""
    if "r" not in _parts[1] or _name not in ("", "[heap]", "[stack]"):
        continue  # files: nothing of the grader's environment, and may end before their map
    _lo, _hi = (int(x, 16) for x in _parts[0].split("-"))
    if _hi - _lo > 1 << 30:
        continue
    _regions += 1
    _found.update(_pat.findall(_read(_lo, _hi)))
print("MEMORY", _regions, "regions", sorted(_found))
'''


def _hand_in(course):
    """Students ``honest`` (the correct answers) and ``prober`` (the same, plus PROBE)."""
    release = course / "exercises" / "tiny" / "tiny.ipynb"
    source = course / "solutions" / "tiny" / "tiny.ipynb"
    correct = make_variant("correct", release, source)
    probing = nbformat.reads(correct, as_version=4)
    probing.cells.insert(1, nbformat.v4.new_code_cell(PROBE))
    for student, text in (("honest", correct), ("prober", nbformat.writes(probing))):
        folder = course / "submitted" / student / "tiny"
        folder.mkdir(parents=True)
        (folder / "tiny.ipynb").write_text(text)


def _printed(notebook) -> str:
    nb = nbformat.read(str(notebook), as_version=4)
    return "".join(str(o.get("text", "")) + "".join(o.get("traceback", []))
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def _assert_nothing_planted_shows(printed: str, page: str) -> None:
    # the probe ran all three parts (a crashed probe would pass vacuously)
    assert "ENVIRON []" in printed, printed[-3000:]
    assert "ENVBLOCK" in printed and " variables []" in printed, printed[-3000:]
    regions = [ln for ln in printed.splitlines() if ln.startswith("MEMORY ")]
    assert regions and int(regions[0].split()[1]) > 0 and regions[0].endswith("regions []"), \
        printed[-3000:]
    for text in (printed, page):
        assert MARK not in text, [ln for ln in text.splitlines() if MARK in ln][:5]


def _grade_with_dlcourse(tmp_path, extra_env):
    course = make_course(tmp_path / "course", extra_config=project_config())
    env = {**SECRETS, **extra_env}
    dlcourse("release", cwd=course, env=env)
    _hand_in(course)
    run = dlcourse("grade", "tiny", "--workers", "1", "--no-progress", cwd=course, env=env)
    status = {s: json.loads((course / "grading" / "tiny" / "status" / f"{s}.json").read_text())
              for s in ("honest", "prober")}
    assert status["honest"]["score"] == 5.0, (status, run.stderr[-2000:])
    assert status["prober"]["score"] == 5.0, (status, run.stderr[-2000:])
    page = (course / "grading" / "tiny" / "feedback" / "prober.html").read_text()
    _assert_nothing_planted_shows(_printed(course / "autograded" / "prober" / "tiny" /
                                           "tiny.ipynb"), page)


def test_dlcourse_grade_hands_no_secret_to_the_kernel(tmp_path):
    """G: ``dlcourse grade`` (root sandbox where the grader is root)."""
    _grade_with_dlcourse(tmp_path, {})


@pytest.mark.skipif(jail.probe(rootless=True) is not None,
                    reason=f"no user namespaces here: {jail.probe(rootless=True)}")
def test_rootless_grade_hands_no_secret_to_the_kernel(tmp_path):
    """R: ``dlcourse grade`` with the rootless sandbox."""
    _grade_with_dlcourse(tmp_path, {"DLCOURSE_SANDBOX_ROOTLESS": "1"})


@pytest.mark.parametrize("forkserver", ["1", "0"])
def test_plain_nbgrader_hands_no_secret_to_the_kernel(tmp_path, forkserver):
    """N: ``nbgrader autograde`` and ``generate_feedback`` with the project's config, through the
    fork server and through the exec'd wrapper (``DLCOURSE_FORKSERVER=0``)."""
    import os

    course = make_course(tmp_path / "course", extra_config=project_config())
    env = {**os.environ, **SECRETS, "DLCOURSE_FORKSERVER": forkserver}
    graded = grade_with_plain_nbgrader(course, _hand_in, env, timeout=600)
    assert graded["scores"] == {"honest": 5.0, "prober": 5.0}, graded["log"][-3000:]
    page = (course / "feedback" / "prober" / "tiny" / "tiny.html").read_text()
    _assert_nothing_planted_shows(_printed(course / "autograded" / "prober" / "tiny" /
                                           "tiny.ipynb"), page)
