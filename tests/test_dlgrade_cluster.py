"""dlgrade.cluster's pure parts: what travels with a task, task keys, the worker's folders.

Grading on a real scheduler and workers in tests/test_dask.py (slow)."""

import os
import subprocess

import pytest

from dlgrade.cluster import (
    OLD_STATION_PREFIXES,
    STATION_PREFIX,
    clear_local,
    course_bundle,
    instructor_paths,
    station_dir,
    store_artifacts,
    sweep_stale_stations,
    task_key,
)
from dlgrade.course import Course

CONFIG = ('c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n'
          'c.CourseDirectory.release_directory = "exercises"\n')


def _course(root):
    (root / "nbgrader_config.py").write_text(CONFIG)
    for folder in ("solutions/a1", "exercises/a1", "solutions/a2", "submitted/bob/a1"):
        (root / folder).mkdir(parents=True)
    (root / "solutions/a1/a1.ipynb").write_text("source")
    (root / "exercises/a1/a1.ipynb").write_text("release")
    (root / "exercises/a1/data.csv").write_text("1,2")
    (root / "solutions/a2/a2.ipynb").write_text("other assignment")
    (root / "submitted/bob/a1/a1.ipynb").write_text("bob's answer")
    return Course(root)


def test_bundle_holds_config_and_this_assignment_only(tmp_path):
    course = _course(tmp_path)
    bundle = course_bundle(course, "a1")
    assert sorted(bundle["files"]) == ["exercises/a1/a1.ipynb", "exercises/a1/data.csv",
                                       "nbgrader_config.py", "solutions/a1/a1.ipynb"]
    assert bundle["files"]["solutions/a1/a1.ipynb"] == b"source"
    # the gradebook URL is absolute, so a worker elsewhere does not look in its own folder
    assert bundle["overrides"]["db_url"] == f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert course_bundle(course, "a1")["digest"] == bundle["digest"]
    (tmp_path / "solutions/a1/a1.ipynb").write_text("source, fixed")
    assert course_bundle(course, "a1")["digest"] != bundle["digest"]


def test_task_keys_repeat_for_the_same_submission_only():
    assert task_key("a1", "bob", "ab" * 32) == task_key("a1", "bob", "ab" * 32)
    assert task_key("a1", "bob", "ab" * 32) != task_key("a1", "bob", "cd" * 32)
    assert task_key("a1", "bob", "ab" * 32) != task_key("a1", "eve", "ab" * 32)


def test_artifacts_replace_the_students_old_outputs(tmp_path):
    course = _course(tmp_path)
    old = tmp_path / "autograded/bob/a1/old.ipynb"
    old.parent.mkdir(parents=True)
    old.write_text("stale")
    (tmp_path / "grading/a1/feedback").mkdir(parents=True)
    (tmp_path / "grading/a1/feedback/bob.html").write_text("stale")
    (tmp_path / "grading/a1/feedback/bobby.html").write_text("another student")
    clear_local(course, "a1", "bob")
    assert not old.exists() and not (tmp_path / "grading/a1/feedback/bob.html").exists()
    assert (tmp_path / "grading/a1/feedback/bobby.html").exists()
    store_artifacts(course, "a1", "bob", {
        "autograded": {"a1.ipynb": b"graded"}, "feedback": {"a1.html": b"<p>fb</p>"},
        "published": {"feedback/bob.html": b"<p>fb</p>"}})
    assert (tmp_path / "autograded/bob/a1/a1.ipynb").read_bytes() == b"graded"
    assert (tmp_path / "feedback/bob/a1/a1.html").read_bytes() == b"<p>fb</p>"
    assert (tmp_path / "grading/a1/feedback/bob.html").read_bytes() == b"<p>fb</p>"


def test_sweep_removes_folders_of_dead_workers_only(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = tmp_path / f"{STATION_PREFIX}{dead.pid}-x1"
    mine = tmp_path / f"{STATION_PREFIX}{os.getpid()}-x2"
    other = tmp_path / "unrelated"
    for path in (gone, mine, other):
        path.mkdir()
    old_gone = tmp_path / f"{OLD_STATION_PREFIXES[0]}{dead.pid}-x3"
    old_gone.mkdir()
    sweep_stale_stations(str(tmp_path))
    assert not gone.exists() and mine.exists() and other.exists()
    assert not old_gone.exists(), "folders made under the old name are swept too"


def test_station_dir_reads_the_new_name_then_the_old_one_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.delenv("DLCOURSE_STATION_DIR", raising=False)
    monkeypatch.delenv("DLGRADE_WORKER_DIR", raising=False)
    assert station_dir() == "/var/tmp"
    monkeypatch.setenv("DLGRADE_WORKER_DIR", str(tmp_path / "old"))
    with pytest.warns(DeprecationWarning, match="set DLCOURSE_STATION_DIR instead"):
        assert station_dir() == str(tmp_path / "old")
    monkeypatch.setenv("DLCOURSE_STATION_DIR", str(tmp_path / "new"))
    assert station_dir() == str(tmp_path / "new")


def test_instructor_paths_name_the_secrets_not_the_whole_folder(tmp_path):
    course = _course(tmp_path)
    (tmp_path / "gradebook.db").write_text("")
    paths = instructor_paths(course)
    assert str(tmp_path / "solutions") in paths and str(tmp_path / "submitted") in paths
    assert str(tmp_path / "gradebook.db") in paths and str(tmp_path / "grading") in paths
    # the course folder itself stays readable (an editable install of the course lives there)
    assert str(tmp_path) not in paths


def test_the_local_cluster_runs_without_the_bookkeeping_nothing_reads(tmp_path):
    """The local cluster of ``dlcourse grade`` starts its workers without Dask's statistical
    profiler (a sample of the worker's thread every 10 ms) and samples the host for a
    dashboard every 10 s, without disk counters, instead of every 0.5 s: CPU that graded
    nobody. A real local cluster, asked from inside its worker and scheduler."""
    from dlgrade.cluster import DaskPool

    def settings(dask_worker=None, dask_scheduler=None):
        import dask

        server = dask_worker or dask_scheduler
        return (dask.config.get("distributed.worker.profile.enabled"),
                dask.config.get("distributed.admin.system-monitor.interval"),
                server.monitor.monitor_disk_io,
                server.periodic_callbacks["monitor"].callback_time)

    pool = DaskPool(_course(tmp_path), "a1", deadline=60, startup_timeout=120,
                    logs=tmp_path, workers=1)
    with pool._client() as client:
        on_worker = list(client.run(settings).values())
        on_scheduler = client.run_on_scheduler(settings)
    assert on_worker == [(False, "10s", False, 10_000)]
    assert on_scheduler == (False, "10s", False, 10_000)
