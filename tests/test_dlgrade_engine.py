"""dlgrade.engine's pure parts: shards, and the hash that decides who is graded again.

Parallel grading with real worker processes in tests/test_grading.py (slow)."""

import pytest

from dlgrade.course import Course
from dlgrade.engine import parse_shard, select_shard, submission_hash


def test_shards_partition_the_students():
    students = [f"s{i:02d}" for i in range(10)]
    parts = [select_shard(students, parse_shard(f"{i}/3")) for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == students
    assert all(set(a).isdisjoint(b) for a in parts for b in parts if a is not b)
    assert [len(p) for p in parts] == [4, 3, 3]
    assert select_shard(students, None) == students
    # the same student lands in the same shard whatever order the folders are listed in
    assert select_shard(list(reversed(students)), (2, 3)) == parts[1]


@pytest.mark.parametrize("bad", ["0/2", "3/2", "x/2", "1-2", "1/2/3", ""])
def test_parse_shard_names_the_option(bad):
    with pytest.raises(ValueError, match="shard: got"):
        parse_shard(bad)


def test_parse_shard():
    assert parse_shard("2/3") == (2, 3) and parse_shard(None) is None


@pytest.fixture
def course(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n')
    for rel, text in {"solutions/tiny/tiny.ipynb": "source",
                      "submitted/ann/tiny/tiny.ipynb": "ann's answer",
                      "submitted/bob/tiny/tiny.ipynb": "bob's answer"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return Course(tmp_path)


def test_submission_hash_changes_with_what_changes_grades(course):
    def digest(student="ann", key="k"):
        return submission_hash(course, "tiny", student, key)

    first = digest()
    assert digest() == first                      # stable
    assert digest("bob") != first                 # other files
    assert digest(key="other settings") != first  # other timeout, kernel, gradebook
    answer = course.submitted_dir / "ann" / "tiny" / "tiny.ipynb"
    answer.write_text("ann's new answer")
    assert digest() != first
    answer.write_text("ann's answer")
    assert digest() == first
    (course.source_dir / "tiny" / "tiny.ipynb").write_text("new hidden tests")
    assert digest() != first
    (course.source_dir / "tiny" / "tiny.ipynb").write_text("source")
    (course.submitted_dir / "ann" / "tiny" / "extra.py").write_text("")  # an extra file counts
    assert digest() != first


def test_the_interrupted_line_says_how_to_resume_each_kind_of_run():
    """After --force the unsaved students are pending, so the plain run grades exactly them;
    after --student, only the unsaved ones are named; before anything was marked pending
    (the cluster was starting), or for a plain run, the same command again is right."""
    from dlgrade.engine import GradeRun

    def line(chosen_by, prepared=True, graded=("a",)):
        run = GradeRun("tiny", graded=list(graded), todo=["a", "b", "c"], chosen_by=chosen_by,
                       prepared=prepared)
        return run.interrupted_line()

    head = ("tiny: interrupted; 1 of 3 students graded and saved (gradebook, grades.csv, hand "
            "grades), 2 not graded yet: ")
    assert line("force") == head + ("run the same command again without --force to grade "
                                    "exactly those 2 (with --force it grades all 3 again)")
    assert line("only") == head + ("run the same command with just --student b "
                                   "--student c to grade them")
    assert line("") == head + "run the same command again to grade them"
    assert line("force", prepared=False, graded=()).endswith(
        "3 not graded yet: run the same command again to grade them")
