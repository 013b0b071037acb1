"""dlgrade.worker's pure part: the short reason a failed autograde run gets in grades.csv.

The worker's grading steps run real nbgrader in tests/test_grading.py (slow)."""

from types import SimpleNamespace

import pytest

from dlgrade.worker import classify_failure


@pytest.mark.parametrize("log, reason", [
    ("nbclient.exceptions.DeadKernelError: Kernel died", "the kernel died"),
    ("Traceback ...\nKernel died before replying to kernel_info", "the kernel died"),
    ("UnresponsiveKernelError: could not interrupt the kernel", "ignored the interrupt"),
    ("nbformat.reader.NotJSONError: Notebook does not appear to be JSON", "not valid JSON"),
    ("MemoryError", "ran out of memory"),
    ("[AutogradeApp | ERROR] Inconsistent checksums for cell test_f", "tampered with"),
    # review 23c, F11: nbgrader cannot put a test cell back after a cell that is gone too
    ('  File ".../overwritecells.py", line 134, in add_missing_grade_cells\n'
     "    prev_cell_idx = submitted_cell_idxs[prev_cell_id] + added_count\n"
     "KeyError: 'sigmoid'", "download the released notebook again"),
])
def test_known_failures_get_a_plain_reason(log, reason):
    assert reason in classify_failure(log)


def test_a_timeout_names_the_limit_and_the_cell():
    log = ("nbclient.exceptions.CellTimeoutError: A cell timed out while it was being executed, "
           "after 10 seconds.\nHere is a preview of the cell contents:\n-------------------\n"
           "while True: pass\n-------------------\n")
    reason = classify_failure(log)
    assert reason.startswith("timed out at its limit of 10 s")
    assert "'while True: pass'" in reason


def test_an_output_flood_is_not_called_a_cell_that_timed_out_after_4_s():
    """Review 21i: a cell that printed 200 000 outputs ran 138 s, and its reason said "timed out
    after 4 s and ignored the interrupt": the 4 s was nbclient's wait for the output after the
    cell had finished (``iopub_timeout``), and the kernel had answered. The failure log below is
    the review's own (course_r, s_spam.failure.txt)."""
    log = ("    raise CellTimeoutError.error_from_timeout_and_cell(\n"
           "    nbclient.exceptions.CellTimeoutError: A cell timed out while it was being "
           "executed, after 4 seconds.\n    The message was: Timeout waiting for IOPub output.\n"
           "    Here is a preview of the cell contents:\n    -------------------\n"
           "    from IPython.display import display\n    for i in range(200_000):\n")
    reason = classify_failure(log)
    assert "after 4 s" not in reason and "ignored the interrupt" not in reason, reason
    assert reason.startswith("timed out: the cell finished, but its output did not stop "
                             "coming within 4 s after it"), reason
    assert reason.endswith("in the cell starting 'from IPython.display import display'"), reason


def test_a_long_cell_is_named_by_its_first_line_as_text_not_a_list():
    """Review 21k #5: nbclient previews a cell of 11 lines or more as the Python list of its
    first five lines; the reason showed that list's repr."""
    log = ("nbclient.exceptions.CellTimeoutError: A cell timed out while it was being executed, "
           "after 4 seconds.\nThe message was: Timeout waiting for IOPub output.\n"
           "Here is a preview of the cell contents:\n-------------------\n"
           "['def neuron(X, w, b):', '    \"\"\"Output of one sigmoid neuron.', '', "
           "'    X = np.asarray(X)', '    return X']\n...\n['a', 'b', 'c', 'd', 'e']\n"
           "-------------------\n")
    reason = classify_failure(log)
    assert reason.endswith("in the cell starting 'def neuron(X, w, b):'"), reason
    assert "['" not in reason, reason
    odd = log.replace("['def neuron(X, w, b):'", "['def neuron(X, w, b):' +")
    assert "in the cell starting" in classify_failure(odd)  # not a list: shown as it came


def test_an_unknown_failure_keeps_its_last_line():
    last = classify_failure("some context\n  ValueError: odd thing  \n\n")
    # its message, without Python's wording (issue 23: no traceback text in a status)
    assert last == ("the grader stopped with an internal error: odd thing (details in the "
                    "grading log)")
    assert classify_failure("a\nnot an exception line") == "not an exception line"
    assert classify_failure("") == "nbgrader failed without a message"
    assert len(classify_failure("x" * 1000)) == 200


def test_a_gradebook_reopened_in_a_grading_process_skips_only_the_table_set_up(tmp_path):
    """Run in a fresh interpreter: the sharing patches nbgrader for the whole process. The
    second open of a database runs no ``create_all`` and gives a gradebook like the first;
    a database file that is gone is set up afresh."""
    import subprocess
    import sys

    code = f"""
import os
import nbgrader.api as api
from dlgrade.course import ensure_tools_on_path
from dlgrade.worker import share_gradebook_engines
ensure_tools_on_path()  # nbgrader runs the alembic command for a new gradebook
share_gradebook_engines()
calls = []
create_all = api.Base.metadata.create_all
api.Base.metadata.create_all = lambda *a, **k: calls.append(1) or create_all(*a, **k)
url = "sqlite:///{tmp_path}/g.db"
with api.Gradebook(url, "c") as gb:
    full = set(vars(gb))
    gb.add_student("alice")
assert calls == [1], calls
with api.Gradebook(url, "c") as gb:
    assert set(vars(gb)) == full and gb.course_id == "c" and gb.authenticator is None
    assert [s.id for s in gb.students] == ["alice"]
    gb.add_student("bob")
with api.Gradebook(url, "other") as gb:  # check_course still runs: a new course is added
    assert sorted(c.id for c in gb.db.query(api.Course)) == ["c", "other"]
    assert sorted(s.id for s in gb.students) == ["alice", "bob"]
assert calls == [1], calls
os.remove("{tmp_path}/g.db")
with api.Gradebook(url, "c") as gb:  # the file is gone: its tables are made again
    assert gb.students == []
assert calls == [1, 1], calls
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_cell_whose_processes_could_not_be_held_waits_for_a_person(tmp_path):
    """The judge's HoldError (dlgrade.judge_procs: a process the notebook left would not
    stop) flags the test cell for a look, with its own reason, like a cell that timed out."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from dlgrade.worker import Grader

    folder = tmp_path / "autograded" / "s1" / "a1"
    folder.mkdir(parents=True)
    held = new_code_cell("check(f)", metadata={"nbgrader": {"grade_id": "test_f"}})
    held.outputs = [new_output("error", ename="HoldError", evalue="a child process could not "
                               "be held: ...; needs manual grading", traceback=[])]
    plain = new_code_cell("check(g)", metadata={"nbgrader": {"grade_id": "test_g"}})
    plain.outputs = [new_output("error", ename="AssertionError", evalue="wrong", traceback=[])]
    nbformat.write(new_notebook(cells=[held, plain]), folder / "nb.ipynb")
    grader = Grader.__new__(Grader)  # _timeouts reads only the autograded folder
    grader.course = SimpleNamespace(autograded_dir=tmp_path / "autograded")
    grader.assignment = "a1"
    assert grader._timeouts("s1") == {"nb": ["test_f: a child process could not be held"]}
    assert grader._status("s1", {"reasons": [], "manual": [], "timeouts": {
        "nb": ["test_f: a child process could not be held"]}}) == (
        "needs manual grading", "cell test_f: a child process could not be held")


def test_the_grading_config_validates_each_conversion_once_and_still_refuses_a_bad_notebook(
        tmp_path, monkeypatch):
    """``dlcourse grade`` validates a notebook once per conversion, after its last step,
    instead of after each step: a notebook a step left invalid is refused all the same."""
    import nbformat
    from nbconvert.exporters import Exporter, NotebookExporter
    from nbconvert.preprocessors import Preprocessor

    from dlgrade.course import Course
    from dlgrade.worker import configure

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    config = configure(Course(tmp_path))
    validated = []
    real = Exporter._validate_preprocessor
    monkeypatch.setattr(Exporter, "_validate_preprocessor",
                        lambda self, nb, step: validated.append(step) or real(self, nb, step))

    class Keep(Preprocessor):
        def preprocess(self, nb, resources):
            return nb, resources

    class Break(Preprocessor):
        def preprocess(self, nb, resources):
            nb.cells[0]["outputs"] = "not a list"  # invalid for a code cell
            return nb, resources

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    exporter = NotebookExporter(config=config)
    for _ in range(4):
        exporter.register_preprocessor(Keep(), enabled=True)
    exporter.from_notebook_node(nb)
    assert len(validated) == 1
    exporter.register_preprocessor(Break(), enabled=True)
    exporter.register_preprocessor(Keep(), enabled=True)
    with pytest.raises(nbformat.ValidationError):
        exporter.from_notebook_node(nb)
