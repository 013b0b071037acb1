"""Installs that work from a plain ``pip install``, each in a fresh virtual environment.

1. ``pip install .`` (no extras): ``dlcourse check NOTEBOOK`` works, without nbgrader and
   without the kernel's "TCP without encryption" warning; ``dlcourse grade`` says which extra
   to install instead of failing on a missing module.
2. The wheel the site publishes, with the one line the site shows (``pip install <wheel>``): a
   chapter notebook downloaded from the site runs top to bottom, an exercise's self-check
   passes, and the install is the light one (no nbgrader, JupyterLab, jupyter-server,
   SQLAlchemy, Alembic). With ``pip install jupyterlab`` beside it, as the page "How to open a
   downloaded notebook" says, ``jupyter lab`` starts and serves the downloaded notebook.

The lock (requirements.txt, without its editable line) is used as constraints, so the fresh
venvs get the same versions as the course venv from the configured package index.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.submissions.crafted import make_variant

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("DLCOURSE_SITE", ROOT / "_build" / "html"))
EXERCISE = "01_curve_fitting"
CHAPTER = "04_neuron"


def fresh_venv(folder: Path, *requirements: str) -> Path:
    """A new venv in ``folder`` with ``requirements`` installed (the lock as constraints);
    returns its ``bin/``."""
    constraints = folder.parent / f"{folder.name}-constraints.txt"
    constraints.write_text("".join(line + "\n" for line in
                                   (ROOT / "requirements.txt").read_text().splitlines()
                                   if line.strip() and not line.startswith(("-e", "#"))))
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    proc = subprocess.run(
        [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", "-c", str(constraints), *requirements],
        capture_output=True, text=True, cwd=folder.parent)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return folder / "bin"


def _env(bin_dir: Path) -> dict:
    """Only the fresh venv on PATH (nothing of the course venv), no repository on sys.path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{bin_dir}{os.pathsep}/usr/bin:/bin", MPLBACKEND="Agg")
    return env


def _exercise_copy(tmp_path: Path, kind: str) -> Path:
    release = ROOT / "exercises" / EXERCISE / f"{EXERCISE}.ipynb"
    source = ROOT / "solutions" / EXERCISE / f"{EXERCISE}.ipynb"
    path = tmp_path / f"{kind}.ipynb"
    path.write_text(make_variant(kind, release, source))
    return path


#: Distributions of the instructors' install that the student install must not bring.
INSTRUCTORS_ONLY = ("nbgrader", "jupyterlab", "jupyter_server", "notebook", "sqlalchemy",
                    "alembic", "nbconvert", "click", "dask")


def _installed(bin_dir: Path) -> set[str]:
    """Normalised names of the distributions installed in the venv of ``bin_dir``."""
    proc = subprocess.run(
        [str(bin_dir / "python"), "-c", "import importlib.metadata as m; print('\\n'.join("
         "d.metadata['Name'] for d in m.distributions()))"],
        env=_env(bin_dir), capture_output=True, text=True, check=True)
    return {re.sub(r"[-_.]+", "_", name).lower() for name in proc.stdout.split()}


def _assert_student_install(bin_dir: Path) -> None:
    installed = _installed(bin_dir)
    assert {"dlcourse", "numpy", "scikit_learn", "matplotlib", "nbclient",
            "ipykernel"} <= installed, sorted(installed)
    assert not installed & set(INSTRUCTORS_ONLY), sorted(installed & set(INSTRUCTORS_ONLY))


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    return fresh_venv(tmp_path_factory.mktemp("plain") / "venv", str(ROOT))


@pytest.mark.parametrize("kind, status, summary", [("correct", 0, "5 of 5 functions pass"),
                                                   ("blank", 1, "0 of 5 functions pass")])
def test_plain_install_gives_a_working_check(plain, tmp_path, kind, status, summary):
    path = _exercise_copy(tmp_path, kind)
    proc = subprocess.run([str(plain / "dlcourse"), "check", str(path)], cwd=tmp_path,
                          env=_env(plain), capture_output=True, text=True)
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert summary in proc.stdout
    # the kernel gets CurveZMQ keys and is shut down before the check exits: no kernel warning
    assert "eavesdropping" not in proc.stderr and "WARNING" not in proc.stderr, proc.stderr


def test_plain_install_has_no_grading_dependencies_and_says_which_extra(plain, tmp_path):
    _assert_student_install(plain)
    for module in ("click", "nbgrader"):
        missing = subprocess.run([str(plain / "python"), "-c", f"import {module}"],
                                 env=_env(plain), capture_output=True, text=True)
        assert missing.returncode != 0  # else the next check proves nothing
    help_text = subprocess.run([str(plain / "dlcourse"), "--help"], cwd=tmp_path,
                               env=_env(plain), capture_output=True, text=True)
    assert help_text.returncode == 0 and "grade" in help_text.stdout
    proc = subprocess.run([str(plain / "dlcourse"), "grade", "02_neuron"], cwd=tmp_path,
                          env=_env(plain), capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pip install 'dlcourse[grading]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def _published(page: str, css_class: str) -> Path:
    """The file a page's link of class ``css_class`` points to, inside the built site."""
    html_path = SITE / page
    if not html_path.is_file():
        if os.environ.get("DLCOURSE_BOOK_BUILT") == "1":
            pytest.fail(f"DLCOURSE_BOOK_BUILT=1 but {html_path} is missing: run `make book`")
        pytest.skip("the site is not built (make book)")
    text = html_path.read_text(encoding="utf-8")
    match = re.search(rf'<p class="{css_class}">.*?href="([^"]+)"', text, re.S)
    assert match, f"{page} has no link of class {css_class}"
    target = (html_path.parent / match.group(1)).resolve()
    assert target.is_file(), f"{page} links {match.group(1)}, which the site does not hold"
    return target


def test_intro_and_chapters_show_the_wheel_and_its_install_line():
    wheel = _published("intro.html", "dlcourse-install")
    assert re.fullmatch(r"dlcourse-[\w.]+-py3-none-any\.whl", wheel.name)
    for page in sorted((SITE / "chapters").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        if "dlcourse-notebook-download" in text:
            assert f"<code>pip install {wheel.name}</code>" in text, page.name
            assert _published(f"chapters/{page.name}", "dlcourse-install") == wheel


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh venv holding what the site's one install line installs: the published wheel."""
    wheel = _published(f"chapters/{CHAPTER}.html", "dlcourse-install")
    return fresh_venv(tmp_path_factory.mktemp("wheel") / "venv", str(wheel))


def test_the_published_wheel_runs_a_downloaded_chapter_and_a_self_check(wheel_venv, tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    chapter = _published(f"chapters/{CHAPTER}.html", "dlcourse-notebook-download")
    venv = wheel_venv

    # the downloaded notebook, run by the fresh venv's kernel in an empty folder
    kernels = tmp_path / "kernels" / "fresh"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv", "language": "python", "env": {"MPLBACKEND": "Agg"}}))
    run_dir = tmp_path / "student"
    run_dir.mkdir()
    nb = nbformat.read(chapter, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import dlcourse\nprint(dlcourse.__file__)"))
    km = KernelManager(kernel_name="fresh",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels.parent)]))
    NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(run_dir)}},
                   ).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors[:1]
    where = nb.cells[-1].outputs[0].text.strip()
    assert where.startswith(str(venv.parent)), where  # the wheel's copy, not the checkout

    # an exercise's self-check with the same install
    path = _exercise_copy(run_dir, "correct")
    proc = subprocess.run([str(venv / "dlcourse"), "check", str(path)], cwd=run_dir,
                          env=_env(venv), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 of 5 functions pass" in proc.stdout
    assert "WARNING" not in proc.stderr, proc.stderr
    _assert_student_install(venv)


@pytest.fixture(scope="module")
def lab_venv(tmp_path_factory) -> Path:
    """What the two install lines of chapters/open_notebook.md give: the published wheel and
    JupyterLab."""
    wheel = _published(f"chapters/{CHAPTER}.html", "dlcourse-install")
    return fresh_venv(tmp_path_factory.mktemp("lab") / "venv", str(wheel), "jupyterlab")


def test_jupyterlab_beside_the_wheel_opens_a_downloaded_notebook(lab_venv, tmp_path):
    """What chapters/open_notebook.md tells students: after `pip install <wheel>` and
    `pip install jupyterlab`, `jupyter lab` in the notebook's folder serves it (checked through
    the server's contents API)."""
    wheel_venv = lab_venv
    chapter = _published(f"chapters/{CHAPTER}.html", "dlcourse-notebook-download")
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / chapter.name).write_bytes(chapter.read_bytes())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(_env(wheel_venv), HOME=str(tmp_path / "home"), JUPYTER_CONFIG_DIR=str(
        tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    server = subprocess.Popen(
        [str(wheel_venv / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         "--IdentityProvider.token=course-test", f"--ServerApp.root_dir={folder}"]
        # A student is not root; the test machine may be, and Jupyter refuses root without it.
        + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/api/contents/{chapter.name}?token=course-test"
    model, deadline = None, time.monotonic() + 120
    try:
        while model is None and server.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    model = json.load(response)
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
    finally:
        server.terminate()
        try:
            log = server.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            server.kill()
            log = server.communicate()[0]
    assert model is not None, f"jupyter lab did not serve the notebook:\n{log[-3000:]}"
    assert model["type"] == "notebook", log[-2000:]
    code = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
    assert code and "dlcourse" in "".join(c["source"] for c in code)
