"""dlgrade.course without grading runs: finding the course folder, the configuration nbgrader
would see with the command line's overrides, the folders, the settings digest and the
gradebook opened through :meth:`Course.gradebook` (a real SQLite gradebook, no notebook run)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlgrade.course import CONFIG_NAME, Course, find_course_root, tools_env

CONFIG = 'c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n'


def _course(root: Path, config: str = CONFIG, **kwargs) -> Course:
    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG_NAME).write_text(config)
    return Course(root, **kwargs)


def _notebook(path: Path, n_code: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [new_markdown_cell("# title")] + [new_code_cell(f"x = {i}") for i in range(n_code)]
    nbformat.write(new_notebook(cells=cells), str(path))


def test_the_course_root_is_the_nearest_folder_with_a_config(tmp_path):
    (tmp_path / CONFIG_NAME).write_text(CONFIG)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_course_root(deep) == tmp_path.resolve()
    (tmp_path / "a" / CONFIG_NAME).write_text(CONFIG)  # a nearer one wins
    assert find_course_root(deep) == (tmp_path / "a").resolve()


def test_no_course_root_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"no nbgrader_config\.py found in .*--course PATH"):
        find_course_root(tmp_path)
    with pytest.raises(ValueError, match=r"root: .* holds no nbgrader_config\.py"):
        Course(tmp_path)


def test_tools_env_puts_this_interpreters_bin_first_once():
    bindir = str(Path(sys.executable).parent)
    env = tools_env({"PATH": os.pathsep.join(["/usr/bin", bindir, "/bin"])})
    assert env["PATH"].split(os.pathsep) == [bindir, "/usr/bin", "/bin"]
    assert tools_env({})["PATH"] == bindir


def test_overrides_survive_the_trip_to_a_worker_process(tmp_path):
    course = _course(tmp_path / "c", db_url="sqlite:////elsewhere/gb.db", timeout=7,
                     kernel_name="k", output_root=tmp_path / "out",
                     extra={"Execute.iopub_timeout": 3})
    again = Course.from_overrides(course.overrides())
    assert again.overrides() == course.overrides()
    assert again.output_root == (tmp_path / "out").resolve()
    assert _course(tmp_path / "d").output_dir("a1") == (tmp_path / "d" / "grading" / "a1").resolve()


def test_the_configuration_has_the_overrides_on_top_and_is_a_fresh_copy(tmp_path):
    config = CONFIG + "c.Execute.timeout = 30\nc.Execute.kernel_name = 'python3'\n"
    course = _course(tmp_path, config, db_url="sqlite:////x/gb.db", timeout=5, kernel_name="k2",
                     extra={"Execute.iopub_timeout": 9})
    loaded = course.load_config()
    assert loaded.Execute.timeout == 5
    assert loaded.Execute.kernel_name == "k2"
    assert loaded.Execute.iopub_timeout == 9
    assert loaded.CourseDirectory.db_url == "sqlite:////x/gb.db"
    assert course.db == "sqlite:////x/gb.db"
    loaded.Execute.timeout = 99  # a caller's change stays in its copy
    assert course.load_config().Execute.timeout == 5
    plain = _course(tmp_path / "plain", config)
    assert plain.load_config().Execute.timeout == 30


def test_time_zone_is_read_written_and_checked(tmp_path):
    course = _course(tmp_path)
    assert course.timezone == "UTC"
    assert course.set_timezone("Europe/Berlin") == "UTC"
    assert course.timezone == "Europe/Berlin"
    assert course.set_timezone("Asia/Tokyo") == "Europe/Berlin"
    text = (tmp_path / CONFIG_NAME).read_text()
    assert text.count("c.Dlcourse.timezone") == 1  # the line is replaced, not added again
    with pytest.raises(ValueError, match="timezone"):
        course.set_timezone("Mars/Base")
    assert course.timezone == "Asia/Tokyo"
    (tmp_path / CONFIG_NAME).write_text(text.replace("Asia/Tokyo", "Nowhere/Town"))
    broken = Course(tmp_path)
    with pytest.raises(ValueError, match=r"c\.Dlcourse\.timezone in .*nbgrader_config\.py"):
        _ = broken.timezone


def test_assignments_and_students_come_from_the_folders(tmp_path):
    course = _course(tmp_path)
    assert course.assignments() == []
    with pytest.raises(ValueError, match=r"assignment: got 'a1', expected one of \(none"):
        course.require_assignment("a1")
    _notebook(tmp_path / "solutions" / "b2" / "b2.ipynb", 1)
    _notebook(tmp_path / "solutions" / "a1" / "a1.ipynb", 1)
    (tmp_path / "solutions" / "empty").mkdir()  # no notebook: not an assignment
    assert course.assignments() == ["a1", "b2"]
    course.require_assignment("a1")
    with pytest.raises(ValueError, match="expected one of a1, b2"):
        course.require_assignment("c3")
    for student in ("zoe", "ann"):
        (tmp_path / "submitted" / student / "a1").mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "b2").mkdir(parents=True)
    assert course.students("a1") == ["ann", "zoe"]
    assert course.students("b2") == ["bob"]


def test_the_settings_digest_follows_what_changes_grades(tmp_path):
    course = _course(tmp_path / "one", CONFIG + "c.Execute.timeout = 30\n")
    _notebook(tmp_path / "one" / "solutions" / "a1" / "a1.ipynb", 2)
    _notebook(tmp_path / "one" / "solutions" / "a2" / "a2.ipynb", 5)
    key, timeout, n_cells = course.grading_settings()
    assert (timeout, n_cells) == (30.0, 5)
    # the same course in another folder: its gradebook moved with it, nothing looks new
    moved = _course(tmp_path / "two", CONFIG + "c.Execute.timeout = 30\n")
    _notebook(tmp_path / "two" / "solutions" / "a1" / "a1.ipynb", 2)
    assert moved.grading_settings()[0] == key
    assert Course(tmp_path / "one", timeout=31).grading_settings()[0] != key
    assert Course(tmp_path / "one", kernel_name="other").grading_settings()[0] != key
    late = CONFIG + "c.Execute.timeout = 30\nc.PerHourPenalty.per_hour = 0.1\n"
    assert _course(tmp_path / "three", late).grading_settings()[0] != key


@pytest.mark.slow  # nbgrader makes an empty gradebook with alembic (seconds, once per process)
def test_gradebook_opens_the_courses_database_and_closes_it(tmp_path, empty_gradebook):
    course = _course(tmp_path)
    empty_gradebook(tmp_path)
    with course.gradebook() as gb:
        gb.add_assignment("a1")
        gb.add_student("ann", first_name="Ann")
    with course.gradebook() as gb:
        assert course.find_assignment(gb, "a1").name == "a1"
        assert course.find_student(gb, "ann").first_name == "Ann"
    # the block's exception passes through, and the gradebook is usable again after it
    with pytest.raises(RuntimeError, match="boom"), course.gradebook() as gb:
        gb.add_student("bob")
        raise RuntimeError("boom")
    with course.gradebook() as gb:
        assert sorted(s.id for s in gb.students) == ["ann", "bob"]  # nbgrader commits per call
    (tmp_path / "elsewhere").mkdir()
    other = empty_gradebook(tmp_path / "elsewhere")
    with Course(tmp_path, db_url=f"sqlite:///{other}").gradebook() as gb:
        assert gb.assignments == []  # the --db override is the database opened
    # nbgrader's default gradebook is the course's own (its URL is the one the course reports)
    assert Course(tmp_path).db == f"sqlite:///{tmp_path.resolve()}/gradebook.db"


@pytest.mark.slow
def test_a_missing_name_has_one_wording(tmp_path, empty_gradebook):
    course = _course(tmp_path)
    empty_gradebook(tmp_path)
    with course.gradebook() as gb:
        with pytest.raises(ValueError) as missing_assignment:
            course.find_assignment(gb, "a9")
        with pytest.raises(ValueError) as missing_student:
            course.find_student(gb, "zed")
    url = f"sqlite:///{tmp_path.resolve()}/gradebook.db"
    assert str(missing_assignment.value) == (
        f"assignment: 'a9' is not in the gradebook of {tmp_path.resolve()} ({url}); "
        "run `dlcourse release a9` first")
    assert str(missing_student.value) == (
        f"student: 'zed' is not in the gradebook of {tmp_path.resolve()} ({url}); "
        "run `dlcourse roster import ROSTER.csv` first")


def test_the_wording_hides_a_password_and_names_the_db_option(tmp_path):
    course = _course(tmp_path, db_url="postgresql+psycopg2://grader:s3cret@127.0.0.1:1/course")
    error = course.not_in_gradebook("assignment", "a1", "run `dlcourse release a1`")
    assert "s3cret" not in str(error)
    assert "postgresql+psycopg2://grader:***@127.0.0.1:1/course" in str(error)
    assert str(error).endswith("run `dlcourse release a1` with the same --db first")


def test_a_slip_of_the_keyboard_is_offered_the_name_it_missed(tmp_path):
    """Review 23b, R6: `extend ... sobrian` was only told to import the roster."""
    course = _course(tmp_path)
    error = course.not_in_gradebook("student", "sobrian", "run `dlcourse roster import "
                                    "ROSTER.csv`", close=["sobrien", "mgarcia", "anguyen"])
    assert str(error).endswith("; did you mean 'sobrien'? If not, run `dlcourse roster import "
                               "ROSTER.csv` first")
    # nothing alike: the remedy alone, as before
    error = course.not_in_gradebook("student", "zed", "run `dlcourse roster import "
                                    "ROSTER.csv`", close=["sobrien", "mgarcia"])
    assert "did you mean" not in str(error)
