"""dlgrade.sandbox.policy: what a sandboxed kernel may see, and its limits, from the environment.

No namespaces here (pure functions); entering the sandbox for real is tested in
tests/test_isolation.py and tests/test_sandbox.py."""

import os

import pytest

from dlgrade.sandbox import policy


@pytest.mark.parametrize("value, on", [("1", True), ("0", False), ("off", False), (" No ", False),
                                       ("yes", True)])
def test_enabled(value, on):
    assert policy.enabled({"DLCOURSE_SANDBOX": value}) is on
    assert policy.enabled({}) is True


@pytest.mark.parametrize("text, size", [("4G", 4 << 30), ("512M", 512 << 20), ("1.5K", 1536),
                                        ("100", 100), ("2gb", 2 << 30)])
def test_parse_size(text, size):
    assert policy.parse_size(text, "X") == size


@pytest.mark.parametrize("text", ["lots", "-1G", "0"])
def test_parse_size_names_the_setting(text):
    with pytest.raises(ValueError, match="DLCOURSE_SANDBOX_MEMORY"):
        policy.parse_size(text, "DLCOURSE_SANDBOX_MEMORY")


@pytest.fixture
def course(tmp_path):
    for rel in ["nbgrader_config.py", "gradebook.db", "solutions/a/a.ipynb",
                "submitted/ann/a/a.ipynb", "autograded/ann/a/a.ipynb", "reports/x.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    return tmp_path


def test_policy_hides_the_instructors_files_and_sets_limits(course):
    workdir = course / "autograded" / "ann" / "a"
    env = {"DLCOURSE_SANDBOX_MEMORY": "1G", "DLCOURSE_SANDBOX_CPU": "unlimited",
           "DLCOURSE_SANDBOX_HIDE": "reports"}
    p = policy.Policy.for_kernel(str(workdir), str(course / "run" / "kernel.json"), env)
    root = os.path.realpath(course)
    assert p.course_root == root and p.workdir == os.path.realpath(workdir)
    for name in ("solutions", "submitted", "autograded", "feedback", "reports"):
        assert os.path.join(root, name) in p.hide_dirs
    assert os.path.join(root, "gradebook.db") in p.hide_files
    assert p.memory_bytes == 1 << 30 and p.cpu_seconds is None
    assert p.nproc == int(policy.DEFAULTS["nproc"])
    assert p.runtime_dir == os.path.realpath(course / "run")


def test_policy_outside_a_course_hides_only_the_checkouts_private_folders(tmp_path):
    p = policy.Policy.for_kernel(str(tmp_path), str(tmp_path / "k.json"), {})
    assert p.course_root is None and p.hide_files == sorted(policy.host_cover()[1])
    assert p.hide_dirs == sorted(policy.checkout_private_dirs())


def test_host_cover_keeps_only_system_folders(tmp_path):
    """Hostile review 21b, hole 6: every top-level folder but the system ones is covered in
    root mode too (other clones in /work, other courses in /srv, homes); links into kept
    folders stay; loose files at the top are covered one by one."""
    for name in ("usr", "etc", "tmp", "work", "srv", "home", "opt", "var"):
        (tmp_path / name).mkdir()
    (tmp_path / "bin").symlink_to("usr")
    (tmp_path / "notes.txt").write_text("")
    folders, files = policy.host_cover(str(tmp_path))
    assert folders == [str(tmp_path / n) for n in ("home", "opt", "srv", "var", "work")]
    assert files == [str(tmp_path / "notes.txt")]


def test_policy_covers_the_host_in_both_modes_and_shows_extra_folders(tmp_path):
    for forced in ("0", "1"):
        env = {"DLCOURSE_SANDBOX_ROOTLESS": forced, "DLCOURSE_SANDBOX_SHOW": str(tmp_path)}
        p = policy.Policy.for_kernel(str(tmp_path), str(tmp_path / "k.json"), env)
        assert set(policy.host_cover()[0]) <= set(p.cover)
        assert os.path.realpath(tmp_path) in p.expose
    with pytest.raises(ValueError, match="DLCOURSE_SANDBOX_SHOW"):
        policy.Policy.for_kernel(str(tmp_path), str(tmp_path / "k.json"),
                                 {"DLCOURSE_SANDBOX_SHOW": "relative/data"})


def test_python_paths_leave_out_a_source_checkout_and_top_level_folders(monkeypatch, tmp_path):
    checkout = tmp_path / "clone"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("")
    monkeypatch.setattr("sys.path", [str(checkout), "/srv", *__import__("sys").path])
    paths = policy.python_paths()
    assert str(checkout) not in paths and "/srv" not in paths


def test_the_checkouts_private_folders_are_those_beside_an_editable_dlcourse():
    import dlcourse

    checkout = os.path.dirname(os.path.dirname(os.path.realpath(dlcourse.__file__)))
    private = policy.checkout_private_dirs()
    if not os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        assert private == []  # an installed wheel: nothing beside it is the course's
        return
    assert os.path.join(checkout, "solutions") in private
    assert os.path.join(checkout, "tests") in private
    assert not any(p.endswith(("dlcourse", "dlgrade", ".venv")) for p in private)


def test_kernel_env_drops_credentials_and_moves_home():
    env = policy.kernel_env({"PATH": "/bin", "PGPASSWORD": "x", "AWS_REGION": "y",
                             "API_TOKEN": "z", "MY_KEY": "k", "HOME": "/root", "LANG": "C"})
    assert env["PATH"] == "/bin" and env["LANG"] == "C"
    assert not {"PGPASSWORD", "AWS_REGION", "API_TOKEN", "MY_KEY"} & set(env)
    assert env["HOME"] == "/tmp/home" and env["USER"] == "student"


GRADER_ENV = {"PATH": "/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "OMP_NUM_THREADS": "1",
              "PYTHONPATH": "/srv/lib", "HOME": "/root", "DLCOURSE_SANDBOX_MEMORY": "1G",
              "DLCOURSE_SANDBOX_HIDE": "/srv/course/solutions", "DLCOURSE_COURSE_ROOT": "/srv/c",
              "NBGRADER_DB_URL": "postgresql://grader:pw1@db/course", "DB_PASS": "pw2",
              "MYSQL_PWD": "pw3", "SENTRY_DSN": "https://pw4@sentry.example/1",
              "LDAP_BIND_PW": "pw5", "JUPYTER_TOKEN": "pw6", "PYTHON_KEYRING_PASSWORD": "pw7",
              "JUPYTER_DB": "mysql://grader:pw8@db/x", "PYTHONWARNINGS": "https://pw9@x/",
              "SOME_NEW_SERVICE": "pw10",
              # review 21l, finding 4: allowed prefixes once let these through
              "JUPYTER_GRADEBOOK": "postgresql://db-host/course?user=grader&password=pw11",
              "JUPYTER_DB_OPTS": "host=db user=grader password=pw12",
              "PYTHON_GRADER_LOGIN": "grader:pw13@db", "JPY_DB": "pw14", "LC_GRADER": "pw15",
              "DLCOURSE_SANDBOX_NOTE": "pw16", "PYTHONHASHSEED": "token=pw17"}


def test_kernel_env_is_an_allow_list_without_credentials():
    """Only the names a kernel needs pass, and of them none whose name or value looks like a
    credential (review 21k, finding 3: the old deny-list let NBGRADER_DB_URL through)."""
    env = policy.kernel_env(GRADER_ENV)
    assert not [v for v in env.values() if "pw" in v], env
    assert {k: env[k] for k in ("PATH", "LANG", "LC_ALL", "OMP_NUM_THREADS", "PYTHONPATH")} == \
        {k: GRADER_ENV[k] for k in ("PATH", "LANG", "LC_ALL", "OMP_NUM_THREADS", "PYTHONPATH")}
    # the launcher's settings name course paths: the launcher reads them, the kernel does not
    assert not [k for k in env if k.startswith("DLCOURSE_")], env
    assert env["HOME"] == "/tmp/home"


def test_settings_that_only_look_like_credentials_are_kept():
    """Paths with a colon, a locale with a modifier, a warnings filter: not credentials."""
    env = {"PATH": "/opt/x@1.2/bin:/usr/bin", "PYTHONPATH": "/srv/auth:/srv/token/lib",
           "LC_ALL": "de_DE.UTF-8@euro", "PYTHONWARNINGS": "ignore::DeprecationWarning",
           "TZ": "Europe/Berlin", "OMP_NUM_THREADS": "1"}
    kept = policy.kernel_env(env)
    assert {k: kept[k] for k in env} == env


def test_launch_env_keeps_the_launchers_settings_and_no_credential():
    env = policy.launch_env(GRADER_ENV)
    assert not [v for v in env.values() if "pw" in v], env
    for key in ("DLCOURSE_SANDBOX_MEMORY", "DLCOURSE_SANDBOX_HIDE", "DLCOURSE_COURSE_ROOT",
                "HOME", "PATH"):
        assert env[key] == GRADER_ENV[key]


def test_fork_server_environment_holds_no_credential():
    """Every kernel is a copy of the fork server's memory (review 21k, finding 1)."""
    from dlgrade.sandbox import forkserver

    env = forkserver.server_env({**GRADER_ENV, "DLCOURSE_FORKSERVER_PRELOAD": "json"})
    assert not [v for v in env.values() if "pw" in v], env
    assert env["DLCOURSE_FORKSERVER_PRELOAD"] == "json" and env["PATH"] == "/bin"
    assert "DLCOURSE_SANDBOX_HIDE" not in env


def test_python_paths_expose_both_packages():
    import dlcourse
    import dlgrade

    paths = policy.python_paths()
    for package in (dlcourse, dlgrade):
        folder = os.path.realpath(os.path.dirname(package.__file__))
        assert any(folder == p or folder.startswith(p + os.sep) for p in paths), folder


def test_etc_entries_keep_only_the_allow_list(tmp_path):
    for name in ("passwd", "ld.so.cache", "pip.conf", "npmrc", "python3.11"):
        (tmp_path / name).write_text("")
    for name in ("ssl", "ssh", "postgresql"):
        (tmp_path / name).mkdir()
    (tmp_path / "localtime").symlink_to("/usr/share/zoneinfo/Etc/UTC")
    kept = [os.path.basename(p) for p in policy.etc_entries(str(tmp_path))]
    assert kept == ["ld.so.cache", "localtime", "passwd", "python3.11", "ssl"]
