"""The course folder is an allow-list in a judged kernel's view (review 21g: SD, JR, CR).

The kernel sees of its course only its own working folder: a source folder of any name
(``source_directory = "master"``), files an instructor keeps in the course (the LMS download,
``grades.csv``, a roster with e-mail addresses, ``.env``) and files that appear after the
kernel started (the gradebook's journal while the instructor writes it) are all out of sight.
Each test runs the same code with the sandbox off as a control, so it can fail.

The course lives outside /tmp (the ``course_dir`` fixture): the sandbox replaces /tmp whole,
so a course there would be hidden for another reason.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
import zipfile
from pathlib import Path
from unittest import mock

import pytest

from dlgrade.sandbox import jail

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(jail.probe() is not None,
                       reason=f"sandbox unavailable here: {jail.probe()}"),
]

OFF = {"DLCOURSE_SANDBOX": "0"}

#: what an instructor keeps in the course folder beside nbgrader's folders, each with a secret
KEPT = {
    "master/ps1/ps1.ipynb": "SECRET-SOLUTION-OF-MASTER",
    "grades.csv": "student,score\nalice,SECRET-GRADE-97\n",
    "emails.csv": "id,email\nalice,SECRET-alice@example.org\n",
    ".env": "SECRET-ENV=hunter2\n",
}
#: made by the instructor's tools while the kernel runs
LATE = {"gradebook.db-journal": "SECRET-JOURNAL-PAGE", "late-notes.txt": "SECRET-LATE-FILE"}


def _classmates_zip() -> bytes:
    """An LMS download as the guide keeps it (``downloads/ps1.zip``): a classmate's notebook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("alice_ps1.ipynb", "SECRET-CLASSMATE-NOTEBOOK")
    return buffer.getvalue()


@pytest.fixture
def course(course_dir):
    root = Path(course_dir)
    files = dict(KEPT)
    files["nbgrader_config.py"] = ('c = get_config()\n'
                                   'c.CourseDirectory.source_directory = "master"\n')
    files["autograded/bob/ps1/ps1.ipynb"] = "bob's own notebook"
    files["exercises/ps1/ps1.ipynb"] = "public release"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "downloads").mkdir()
    (root / "downloads" / "ps1.zip").write_bytes(_classmates_zip())
    for folder, dirs, names in os.walk(root):  # world-readable, as a course folder usually is
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in names:
            os.chmod(os.path.join(folder, name), 0o644)
    return root


READ = """
import json, os
def _try(rel):
    try:
        with open(os.path.join(ROOT, rel), "rb") as fh:
            return fh.read().decode("latin-1")
    except OSError as exc:
        return type(exc).__name__
try:
    _listing = sorted(os.listdir(ROOT))
except OSError as exc:
    _listing = type(exc).__name__
print(json.dumps({"read": {rel: _try(rel) for rel in NAMES}, "listing": _listing,
                  "own": open("ps1.ipynb").read()}))
"""


def _two_cells(workdir: str, env: dict, first: str, between, second: str) -> list[str]:
    """Start a sandboxed kernel in ``workdir`` (with ``env`` set in the grader's environment),
    run ``first``, call ``between()`` while the kernel runs, run ``second``; their stdout."""
    from jupyter_client.manager import AsyncKernelManager

    from dlgrade.sandbox.kernelspec import KERNEL_NAME, install_kernelspec

    install_kernelspec()

    async def drive():
        km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        km.client_class = "dlgrade.sandbox.client.SandboxKernelClient"
        await km.start_kernel(cwd=workdir)
        kc = km.client()
        kc.start_channels()
        outputs = []
        try:
            await kc.wait_for_ready(timeout=60)
            for step, code in enumerate((first, second)):
                if step == 1:
                    between()
                out = []

                def hook(msg, out=out):
                    if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                        out.append(msg["content"]["text"])
                    elif msg["msg_type"] == "error":
                        out.append("ERROR " + msg["content"]["evalue"])

                await kc.execute_interactive(code, timeout=60, output_hook=hook)
                outputs.append("".join(out))
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        return outputs

    with mock.patch.dict(os.environ, env):
        return asyncio.run(drive())


def _late_files(root: Path):
    def write():
        for rel, text in LATE.items():
            (root / rel).write_text(text)
            os.chmod(root / rel, 0o644)
    return write


def _before_and_after(course: Path, env: dict, kept: list) -> tuple[dict, dict]:
    """What bob's kernel (``env``) reads of ``kept`` in a first cell, and of :data:`LATE` in a
    second, after those files were written between the two cells."""
    first = f"ROOT = {str(course)!r}\nNAMES = {kept!r}\n" + READ
    second = f"NAMES = {sorted(LATE)!r}\n" + READ
    outs = _two_cells(str(course / "autograded" / "bob" / "ps1"), env, first,
                      _late_files(course), second)
    return json.loads(outs[0]), json.loads(outs[1])


ROOTLESS = pytest.param(
    {"DLCOURSE_SANDBOX_ROOTLESS": "1"}, id="rootless",
    marks=pytest.mark.skipif(jail.probe(rootless=True) is not None,
                             reason=f"no user namespaces here: {jail.probe(rootless=True)}"))


@pytest.mark.parametrize("env", [{}, {"DLCOURSE_FORKSERVER": "0"}, ROOTLESS],
                         ids=["forked", "execd", "rootless"])
def test_kernel_sees_only_its_working_folder_of_the_course(course, env):
    kept = sorted([*KEPT, "downloads/ps1.zip"])
    before, after = _before_and_after(course, env, kept)
    hidden = {when: sorted(rel for rel, v in seen["read"].items() if v == "FileNotFoundError")
              for when, seen in (("before", before), ("after", after))}
    assert hidden == {"before": kept, "after": sorted(LATE)}, (before, after)
    for seen in (before, after):
        # only the path down to the working folder exists of the course
        assert seen["listing"] == ["autograded"], seen
        assert seen["own"] == "bob's own notebook"


def test_without_the_sandbox_the_same_kernel_reads_every_file(course):
    """Control for the test above: the files are there and readable by the same code."""
    before, after = _before_and_after(course, OFF, sorted([*KEPT, "downloads/ps1.zip"]))
    assert all("SECRET" in v for v in before["read"].values()), before
    assert all("SECRET" in v for v in after["read"].values()), after


def test_policy_hides_the_folders_the_config_names_and_covers_the_course(course):
    """The second layer: the names the course's config gives nbgrader's folders are hidden
    by name, and the course folder itself is among the covered folders."""
    from dlgrade.sandbox.policy import Policy, configured_dirs

    assert configured_dirs(str(course)) == ["master"]
    workdir = str(course / "autograded" / "bob" / "ps1")
    policy = Policy.for_kernel(workdir, "/tmp/kernel-x.json", {})
    assert str(course / "master") in policy.hide_dirs
    assert str(course) in policy.cover
    assert str(course) not in policy.expose


# --- the same through whole grading runs: plain nbgrader (N) and ``dlcourse grade`` (G) ---

#: a student cell that hunts the course for what review 21g read, and answers wrong when it
#: finds anything (so a leak costs the snoop its points, and the test sees it in the scores)
SNOOP = '''
import os, time
_names = ["master/tiny/tiny.ipynb", "downloads/tiny.zip", "grades.csv", "emails.csv", ".env",
          "late-notes.txt"]
_found = []
_deadline = time.monotonic() + WAIT
while True:
    _here = os.getcwd()
    for _up in range(1, 6):
        _here = os.path.dirname(_here)
        for _name in _names:
            try:
                with open(os.path.join(_here, _name), "rb") as _fh:
                    if b"SECRET" in _fh.read() or _name.endswith(".ipynb"):
                        _found.append(os.path.join(_here, _name))
            except OSError:
                pass
    if _found or time.monotonic() > _deadline:
        break
    time.sleep(0.2)
print("FOUND", sorted(set(_found)))
'''


def _grading_course(course_dir: str, wait: float) -> Path:
    import nbformat

    from dlgrade.course import run_nbgrader
    from tests.submissions.crafted import make_course, sandbox_config, solved, submit

    config, off = sandbox_config()
    if off:
        pytest.skip(off)
    course = make_course(Path(course_dir) / "course",
                         extra_config=config + 'c.CourseDirectory.source_directory = "master"\n')
    (course / "solutions").rename(course / "master")
    run_nbgrader(course, "generate_assignment", "tiny", "--force", "--log-level=WARN")
    release = nbformat.read(course / "exercises" / "tiny" / "tiny.ipynb", 4)
    honest = solved(release, nbformat.read(course / "master" / "tiny" / "tiny.ipynb", 4))
    snoop = nbformat.reads(nbformat.writes(honest), 4)
    for cell in snoop.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "sigmoid":
            # correct only when nothing was found
            cell.source = (f"WAIT = {wait}\n" + SNOOP + cell.source +
                           "\nif _found:\n    sigmoid = lambda t: 0 * t\n")
    submit(course, "tiny", "honest", nbformat.writes(honest))
    submit(course, "tiny", "snoop", nbformat.writes(snoop))
    # an empty nbgrader_config.py handed in beside the notebook made the student's own folder
    # "the course" and showed the real one whole (review 21h, CFG)
    (course / "submitted" / "snoop" / "tiny" / "nbgrader_config.py").write_text("")
    for rel, text in KEPT.items():
        if not rel.startswith("master/"):
            (course / rel).write_text(text)
    (course / "downloads").mkdir()
    (course / "downloads" / "tiny.zip").write_bytes(_classmates_zip())
    for folder, dirs, names in os.walk(course_dir):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in names:
            os.chmod(os.path.join(folder, name), 0o644)
    return course


def _totals(course: Path) -> dict:
    from tests.submissions.attacks import scores

    return {student: sum(grades.values()) for student, grades in scores(course, "tiny").items()}


def test_plain_nbgrader_kernel_reads_nothing_of_the_course_but_its_folder(course_dir):
    """N: the snoop looks for 4 s for the course's source folder (named ``master``), the LMS
    download, grades, roster, ``.env`` and a file the instructor makes while it runs; it finds
    none and keeps its 5 points, as the honest student does."""
    import threading

    import nbformat

    from tests.submissions.attacks import autograde

    course = _grading_course(course_dir, wait=4.0)
    # a student whose id is nbgrader_config.py: its folder autograded/nbgrader_config.py/ made
    # autograded/ "the course" for everyone graded after it (review 21h, SID)
    snooped = course / "submitted" / "snoop" / "tiny" / "tiny.ipynb"
    sid = course / "submitted" / "nbgrader_config.py" / "tiny"
    sid.mkdir(parents=True)
    (sid / "tiny.ipynb").write_bytes(snooped.read_bytes())
    os.chmod(sid.parent, 0o755), os.chmod(sid, 0o755), os.chmod(sid / "tiny.ipynb", 0o644)
    stop = threading.Event()

    def instructor_writes_later():  # once the snoop's kernel has its folder
        while not stop.is_set():
            if (course / "autograded" / "snoop" / "tiny").is_dir():
                time.sleep(1.0)
                (course / "late-notes.txt").write_text("SECRET-LATE-FILE")
                os.chmod(course / "late-notes.txt", 0o644)
                return
            time.sleep(0.05)

    writer = threading.Thread(target=instructor_writes_later)
    writer.start()
    try:
        autograde(course, "tiny")
    finally:
        stop.set()
        writer.join()
    assert (course / "late-notes.txt").exists()  # written while the snoop ran
    nb = nbformat.read(course / "autograded" / "snoop" / "tiny" / "tiny.ipynb", 4)
    said = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    assert "FOUND []" in said, said
    assert _totals(course) == {"honest": 5.0, "snoop": 5.0, "nbgrader_config.py": 5.0}


@pytest.mark.parametrize("where", ["beside", "inside"])
def test_dlcourse_grade_kernel_reads_nothing_of_its_station_but_its_folder(course_dir, where):
    """G with ``DLCOURSE_STATION_DIR`` beside the course or inside it (review 21g SD-G): the
    station holds the source folder ``master``; the snoop finds nothing and keeps its 5
    points."""
    from tests.submissions.crafted import dlcourse

    course = _grading_course(course_dir, wait=0.0)
    stations = (Path(course_dir) if where == "beside" else course) / "stations"
    stations.mkdir(mode=0o755)
    dlcourse("release", cwd=course)
    dlcourse("grade", "tiny", "--workers", "1", "--no-progress", cwd=course, check=False,
             env={"DLCOURSE_STATION_DIR": str(stations)})
    statuses = {s: json.loads((course / "grading" / "tiny" / "status" / f"{s}.json").read_text())
                for s in ("honest", "snoop")}
    assert {s: v["status"] for s, v in statuses.items()} == {"honest": "graded",
                                                              "snoop": "graded"}, statuses
    assert _totals(course) == {"honest": 5.0, "snoop": 5.0}
