"""`python -m dlcourse.selfcheck NOTEBOOK` (behind `dlcourse check`): real kernels, no nbgrader.

The structure checks alone (no kernel) are tests/test_exercise_cells.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlcourse.selfcheck import check_notebook, main
from dlgrade.course import tools_env

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "exercises" / "01_curve_fitting" / "01_curve_fitting.ipynb"
SOURCE = ROOT / "solutions" / "01_curve_fitting" / "01_curve_fitting.ipynb"

pytestmark = pytest.mark.slow


def _student_copy(tmp_path: Path, answers: dict[str, str], edit_locked: bool = False,
                  name: str = "student.ipynb") -> Path:
    """The release with some solution cells filled in (the others untouched)."""
    source = {c.metadata["nbgrader"]["grade_id"]: c.source
              for c in nbformat.read(SOURCE, as_version=4).cells
              if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    notebook = nbformat.read(RELEASE, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id] or source[grade_id]
        if edit_locked and grade_id == "test_mse":
            cell.source = "pass"
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def test_the_untouched_release_fails_with_exit_status_1(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dlcourse.selfcheck", str(RELEASE)],
                            cwd=tmp_path, env=tools_env(), capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 of 5 functions pass" in result.stdout
    assert result.stdout.count("not implemented yet") == 5


def test_a_partly_solved_notebook_reports_each_function(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", tools_env()["PATH"])
    path = _student_copy(tmp_path, {
        "mse": "",  # the solution
        "predict_linear": "def predict_linear(X, theta):\n    return np.asarray(X) @ theta[1:]\n",
        "fit_least_squares": "",
        "polynomial_features": "",
        "gradient_descent": "",
    })
    report = check_notebook(path)
    status = {r.function: r for r in report.results}
    assert [r.function for r in report.results] == [
        "mse", "polynomial_features", "fit_least_squares", "predict_linear", "gradient_descent"]
    assert status["predict_linear"].status == "fail"
    assert "forgot the intercept" in status["predict_linear"].message
    assert all(status[f].passed for f in status if f != "predict_linear")
    assert not report.passed and report.problems == []
    assert "4 of 5 functions pass" in report.format()


def test_a_solved_notebook_passes_and_an_edited_test_cell_is_reported(tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.setenv("PATH", tools_env()["PATH"])
    answers = dict.fromkeys(["mse", "polynomial_features", "fit_least_squares", "predict_linear",
                             "gradient_descent"], "")
    solved = _student_copy(tmp_path, answers)
    assert main([str(solved)]) == 0
    assert "5 of 5 functions pass" in capsys.readouterr().out
    edited = _student_copy(tmp_path, answers, edit_locked=True, name="edited.ipynb")
    report = check_notebook(edited)
    assert any("test_mse" in problem for problem in report.problems), report.problems
    assert not report.passed
    # review 23, D5: a wrong mse whose test cell was emptied is never reported as passing
    wrong = _student_copy(tmp_path, dict(answers, mse="def mse(y, y_hat):\n    return 0.3\n"),
                          edit_locked=True, name="wrong.ipynb")
    assert main([str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "PASS  mse" not in out, out
    assert re.search(r"PROBLEM  mse +not checked: its test cell test_mse was modified; "
                     r"restore it from the original notebook", out), out
    assert "4 of 5 functions pass" in out
    # a deleted test cell is a problem too (the grader restores and runs it): exit status 1
    notebook = nbformat.read(solved, as_version=4)
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") != "test_mse"]
    deleted = tmp_path / "deleted.ipynb"
    nbformat.write(notebook, deleted)
    assert main([str(deleted)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  mse" in out and "its test cell was deleted: test_mse" in out, out
    assert "PROBLEM  the test cell test_mse of mse was deleted" in out
    assert "4 of 5 functions pass" in out
    # review 23d, P7: without the locked setup cell every test fails on a helper it imported;
    # the problem line names the cause (grading puts the cell back), not only NameErrors
    notebook = nbformat.read(solved, as_version=4)
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") != "setup"]
    no_setup = tmp_path / "no_setup.ipynb"
    nbformat.write(notebook, no_setup)
    report = check_notebook(no_setup)
    assert not report.passed
    said = [p for p in report.problems if "no cell defines or imports" in p]
    assert len(said) == 1 and "check_mse" in said[0] and "setup cell" in said[0], report.problems
    assert not any("no cell defines" in p for p in check_notebook(solved).problems)


def test_a_file_that_is_not_an_exercise_exits_2(tmp_path, capsys):
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), empty)
    assert main([str(empty)]) == 2
    assert main([str(tmp_path / "missing.ipynb")]) == 2
    assert "must be an existing notebook" in capsys.readouterr().err


SOLVED = dict.fromkeys(["mse", "polynomial_features", "fit_least_squares", "predict_linear",
                        "gradient_descent"], "")


def test_a_solved_notebook_runs_in_this_python_and_prints_no_kernel_warnings(tmp_path):
    """The kernel is this Python's ipykernel, whatever "python3" kernel Jupyter would find
    first (here a broken one on JUPYTER_PATH); no "Kernel is running over TCP without
    encryption ... eavesdropping" (the kernel gets CurveZMQ keys) and no "Parent appears to
    have exited" (the kernel is shut down before the check exits)."""
    broken = tmp_path / "jupyter" / "kernels" / "python3"
    broken.mkdir(parents=True)
    (broken / "kernel.json").write_text(json.dumps({
        "argv": ["/bin/false", "{connection_file}"], "display_name": "Python 3 (elsewhere)",
        "language": "python"}))
    solved = _student_copy(tmp_path, SOLVED)
    result = subprocess.run([sys.executable, "-m", "dlcourse.selfcheck", str(solved)],
                            cwd=tmp_path, capture_output=True, text=True,
                            env=dict(tools_env(), JUPYTER_PATH=str(tmp_path / "jupyter")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 of 5 functions pass" in result.stdout
    assert "WARNING" not in result.stderr, result.stderr


def test_a_kernel_that_dies_fails_the_functions_not_run_and_says_why(tmp_path):
    answers = dict(SOLVED, predict_linear="def predict_linear(X, theta):\n"
                                          "    return theta[0] + np.asarray(X) @ theta[1:]\n"
                                          "\nimport os\nos._exit(3)\n")
    report = check_notebook(_student_copy(tmp_path, answers))
    status = {r.function: r for r in report.results}
    assert [f for f in status if status[f].passed] == ["mse", "polynomial_features",
                                                       "fit_least_squares"]
    assert status["predict_linear"].message == status["gradient_descent"].message == "not run"
    assert len(report.problems) == 1 and "the kernel died" in report.problems[0]
    assert not report.passed


def test_a_test_past_the_timeout_fails_its_function_and_the_rest_still_runs(tmp_path):
    answers = dict(SOLVED, predict_linear="def predict_linear(X, theta):\n"
                                          "    while True:\n        pass\n")
    report = check_notebook(_student_copy(tmp_path, answers), timeout=5)
    status = {r.function: r for r in report.results}
    assert status["predict_linear"].message == (
        "CellTimeoutError: still running after 5 s (--timeout): an endless loop?")
    assert status["gradient_descent"].passed and status["mse"].passed
    assert report.problems == []


def test_a_kernel_that_cannot_start_is_a_problem_not_a_traceback(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpec

    from dlcourse import selfcheck

    # a Python whose kernel exits at once (a broken environment)
    monkeypatch.setattr(selfcheck._ThisPython, "get_kernel_spec", lambda self, name: KernelSpec(
        argv=["/bin/false", "{connection_file}"], display_name="broken", language="python"))
    report = check_notebook(_student_copy(tmp_path, SOLVED))
    assert [r.message for r in report.results] == ["not run"] * 5
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith("no Python kernel could be started")
