"""Review 21k, finding 5: the reason of a self-inflicted failure through ``dlcourse grade``.

A judged call of ``sigmoid`` (the judge runs the test cells; their calls of the student's
functions run in the kernel) that sends 20 000 small output messages per call: the student
fails, and the reason must name the test cell whose judged calls flooded the output. It named
the next *answer* cell, shown as a Python list of its lines.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from tests.independent import variants
from tests.submissions.attacks import notebook
from tests.submissions.crafted import REPO, dlcourse, make_course, sandbox_config, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "02_neuron"
GOOD = variants(ASSIGNMENT)["course_style"]["sigmoid"].split("def sigmoid(t):", 1)[1]
TEST_CELLS = {c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(
    REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4).cells
    if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    and not c.metadata["nbgrader"].get("solution")}
STUDENTS = {
    # every judged call sends 20 000 stream messages under the judge's request
    "many_msgs": "def sigmoid(t):\n    k = get_ipython().kernel\n    for i in range(20000):\n"
                 "        k.session.send(k.iopub_socket, 'stream', {'name': 'stdout', "
                 "'text': 'z' * 100}, parent=k.get_parent('shell'))\n",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("flood") / "course", assignments=(),
                         extra_config=sandbox_config()[0], copy_from_repo=[ASSIGNMENT])
    for student, head in STUDENTS.items():
        source = head + "".join("    " + line + "\n" for line in GOOD.strip("\n").splitlines()
                                if line.strip())
        submit(course, ASSIGNMENT, student, notebook(ASSIGNMENT, {"sigmoid": source}))
    dlcourse("release", cwd=course)
    run = dlcourse("grade", ASSIGNMENT, "--workers", "2", "--no-progress", "--timeout", "20",
                   cwd=course, check=False)
    status = course / "grading" / ASSIGNMENT / "status"
    return run, {p.stem: json.loads(p.read_text()) for p in status.glob("*.json")}


def test_output_of_judged_calls_names_their_test_cell_not_the_next_answer(graded):
    run, records = graded
    record = records["many_msgs"]
    assert record["status"] == "failed", record
    reason = record["reason"]
    named = re.search(r"the output of the judged calls of test cell '(\w+)'", reason)
    assert named and named[1] in TEST_CELLS, reason
    assert "['" not in reason and "def neuron" not in reason, reason

