"""Hand grading in nbgrader's formgrader, in Chromium (issue 23, and issue 21's last gap).

A Jupyter server with nbgrader's formgrader extension is started on 127.0.0.1 (a free port,
the course's ``nbgrader_config.py`` as its config file, as the guide says); Playwright opens
the manual-grading page of a submission, types a score for the written answer and leaves the
field (formgrader saves it then). ``dlcourse grade`` and ``--force`` keep that score, and the
status, grades.csv and the report agree.

The written answer carries an attack: an ``<img onerror>`` and a ``<script>`` that would set
``window.__pwned``, and text wrapped in formgrader's own ``full-credit`` button class. With
the project's config (cleaned student content with the student's class names prefixed, a
Content-Security-Policy on the server's pages) the flag stays unset, a click on that text
saves no grade, and formgrader's own scripts still work; the same page from a server with
stock nbgrader settings runs the attack and the click gives the answer full credit (the
control: the checks can fail).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from dlgrade.course import make_course as make_dlgrade_course
from dlgrade.course import tools_env
from tests.browser_support import free_port
from tests.submissions.crafted import TINY_CONFIG, dlcourse, submit
from tests.test_term import WRITTEN, answered, course_notebook, gradebook_scores, rows

pytest_plugins = ["browser_support"]
pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: formgrader's own button class around part of the answer: a click on that text was a click
#: on "Full credit" (review 21c, D2)
CLICKED = "A click on this text is no grade."
ATTACK = ('Where sigmoid(w.x + b) = 0.5.\n\n<img src="x" onerror="window.__pwned = 1">\n\n'
          f'<div class="full-credit">{CLICKED}</div>\n\n'
          '<script>window.__pwned = 2</script>\n')
#: the project's protections, as the repository's nbgrader_config.py installs them
PROTECTED = "from dlgrade.html_safety import install\ninstall(c)\n"


@contextlib.contextmanager
def formgrader(course: Path):
    """A Jupyter server with the formgrader extension for ``course``; yields (base, token)."""
    port, token = free_port(), secrets.token_hex(16)
    log = open(course / "formgrader.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "server",
         f"--config={course / 'nbgrader_config.py'}", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         "--ServerApp.open_browser=False", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={course}", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=course, env=tools_env({**os.environ, "JUPYTER_RUNTIME_DIR": str(course / ".rt")}),
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("the Jupyter server did not start:\n"
                                + (course / "formgrader.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def scratch_course(root: Path, extra: str) -> tuple[Path, int]:
    """A graded course whose student ann wrote :data:`ATTACK`; returns it and the id of
    ann's submitted notebook (formgrader's page address)."""
    from nbgrader.api import Gradebook

    course = make_dlgrade_course(root, TINY_CONFIG.format(timeout=20, extra=extra),
                                 {"tiny": course_notebook()})
    dlcourse("release", "tiny", cwd=course)
    release = nbformat.read(course / "exercises/tiny/tiny.ipynb", as_version=4)
    submit(course, "tiny", "ann", answered(release, ATTACK))
    proc = dlcourse("grade", "tiny", "--no-progress", cwd=course)
    assert "ann: needs manual grading" in proc.stdout, proc.stdout + proc.stderr
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny-course") as gb:
        notebook_id = gb.find_submission_notebook("tiny", "tiny", "ann").id
    return course, notebook_id


def open_grading_page(browser, base: str, token: str, notebook_id):
    """The manual-grading page; the server's token goes with every request (formgrader's
    scripts call its API). Returns the page, its response and the page's script errors
    (but the one of MathJax, whose CDN is out of reach offline)."""
    page = browser.new_context(extra_http_headers={"Authorization": f"token {token}"}) \
        .new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = page.goto(f"{base}/formgrader/submissions/{notebook_id}/")
    assert response.ok, response.status
    page.wait_for_selector(f"input#{WRITTEN}", timeout=60_000)
    page.wait_for_timeout(500)  # the page's own scripts (and an attack's) have run
    return page, response, [e for e in errors if "MathJax" not in e]


def test_formgrader_hand_grade_is_kept_and_student_content_runs_no_script(
        course_dir, browser):
    course, notebook_id = scratch_course(Path(course_dir) / "fg", PROTECTED)
    with formgrader(course) as (base, token):
        page, response, errors = open_grading_page(browser, base, token, notebook_id)
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy, policy
        assert page.evaluate("typeof window.__pwned") == "undefined"
        # the written answer is shown (as text), the attack's markup is not live
        assert "Where sigmoid(w.x + b) = 0.5." in page.content()
        assert page.locator("img[onerror]").count() == 0
        score = page.locator(f"input#{WRITTEN}")
        saves = []
        page.on("request", lambda r: saves.append(r.url) if r.method == "PUT" else None)
        page.get_by_text(CLICKED).click()  # the grader selects the answer's text
        page.wait_for_timeout(1500)
        assert saves == [] and score.input_value() == "", (saves, score.input_value())
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                  and r.request.method == "PUT") as saved:
            score.fill("1")
            score.press("Tab")  # formgrader saves a score when the field loses focus
        assert saved.value.ok, saved.value.status
        assert not errors, errors  # formgrader's own scripts run under the policy
        page.context.close()
    assert gradebook_scores(course)["ann"] == 6

    # every later run keeps the hand grade: the status, grades.csv and the report agree
    for args in ((), ("--force",)):
        proc = dlcourse("grade", "tiny", "--no-progress", *args, cwd=course)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        row = rows(course)["ann"]
        assert (row["score"], row["status"], row[WRITTEN]) == ("6", "graded", "1"), row
        report = json.loads((course / "grading/tiny/report.json").read_text())
        assert report["counts"] == {"graded": 1}, report["counts"]
        assert gradebook_scores(course)["ann"] == 6


def test_without_the_protections_the_attack_runs(course_dir, browser):
    """The control: stock nbgrader settings render the answer's markup live."""
    course, notebook_id = scratch_course(Path(course_dir) / "plain", "")
    with formgrader(course) as (base, token):
        page, response, _ = open_grading_page(browser, base, token, notebook_id)
        assert "connect-src" not in response.headers.get("content-security-policy", "")
        assert page.evaluate("window.__pwned") in (1, 2)
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                  and r.request.method == "PUT") as saved:
            page.get_by_text(CLICKED).click()
        assert saved.value.ok and page.locator(f"input#{WRITTEN}").input_value() == "1"
        page.context.close()
