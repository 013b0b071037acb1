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
import zipfile
from pathlib import Path

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

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return asyncio.run(drive())
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _late_files(root: Path):
    def write():
        for rel, text in LATE.items():
            (root / rel).write_text(text)
            os.chmod(root / rel, 0o644)
    return write


@pytest.mark.parametrize("env", [{}, {"DLCOURSE_FORKSERVER": "0"}], ids=["forked", "execd"])
def test_kernel_sees_only_its_working_folder_of_the_course(course, env):
    workdir = str(course / "autograded" / "bob" / "ps1")
    kept = sorted(KEPT) + ["downloads/ps1.zip"]
    first = f"ROOT = {str(course)!r}\nNAMES = {kept!r}\n" + READ
    second = f"NAMES = {sorted(LATE)!r}\n" + READ
    before, after = (json.loads(out) for out in
                     _two_cells(workdir, env, first, _late_files(course), second))
    hidden = {when: sorted(rel for rel, v in seen["read"].items() if v == "FileNotFoundError")
              for when, seen in (("before", before), ("after", after))}
    assert hidden == {"before": kept, "after": sorted(LATE)}, (before, after)
    for seen in (before, after):
        # only the path down to the working folder exists of the course
        assert seen["listing"] == ["autograded"], seen
        assert seen["own"] == "bob's own notebook"


def test_without_the_sandbox_the_same_kernel_reads_every_file(course):
    """Control for the test above: the files are there and readable by the same code."""
    workdir = str(course / "autograded" / "bob" / "ps1")
    kept = sorted(KEPT) + ["downloads/ps1.zip"]
    first = f"ROOT = {str(course)!r}\nNAMES = {kept!r}\n" + READ
    second = f"NAMES = {sorted(LATE)!r}\n" + READ
    before, after = (json.loads(out) for out in
                     _two_cells(workdir, OFF, first, _late_files(course), second))
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
