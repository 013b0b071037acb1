"""Build honest and hostile submissions of any nbgrader assignment, and a tiny test course.

Every variant starts from the assignment's own notebooks: the student version (release) and
the instructor version (source, with solutions and hidden tests). ``make_variant(kind, ...)``
returns the text of the submitted ``.ipynb``; :data:`KINDS` lists the kinds with what the
grader must make of each.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from dlgrade.course import make_course as make_dlgrade_course
from dlgrade.course import tools_env

REPO = Path(__file__).resolve().parents[2]

#: kind -> what it does (the expected outcome is asserted in tests/test_grading.py)
KINDS = {
    "correct": "the instructor's solution",
    "blank": "the release notebook as handed out",
    "partly_wrong": "first function left as the stub, the others solved",
    "infinite_loop": "first function loops forever (interruptible)",
    "ignores_interrupt": "first function runs sum(range(10**13)), a C loop deaf to SIGINT",
    "sys_exit": "sys.exit() before the first function is defined",
    "os_exit": "os._exit(0) kills the kernel",
    "kills_grader": "os.kill(os.getppid(), SIGKILL): kills whatever started the kernel",
    "memory_bomb": "allocates 50 MB blocks until memory runs out",
    "corrupted_json": "the .ipynb file is cut in half",
    "deleted_tests": "every test cell deleted",
    "edited_tests": "tests replaced by `pass`, points raised, flags flipped, one made markdown",
    "retyped_tests": "test cells re-typed without nbgrader metadata",
    "reads_solutions": "returns the right answer only if it can read solutions/ from disk",
    "isclose_override": "np.isclose = lambda *a, **k: True",
    "testing_override": "np.testing.assert_allclose and dlcourse.testing helpers replaced",
    "builtins_override": "builtins.abs and builtins.all replaced",
    "imports_reference": "first function delegates to the dlcourse reference implementation",
    # issue 16: the tests run in the student's kernel; each of these beat the old scan
    "input_transformer": "wrong first function, then every later cell rewritten to `pass` "
                         "through get_ipython().input_transformers_post",
    "getattr_override": "wrong first function; np.isclose, np.testing.assert_allclose, "
                        "builtins.all and the dlcourse.testing helpers replaced through "
                        "getattr(builtins, 'setattr') and getattr(sys, 'modules')",
    "extra_file": "wrong first function; the notebook only imports helper_utils, a file "
                  "handed in beside it that replaces the same helpers",
    "leaks_history": "a cell after the hidden tests prints the input history (In), "
                     "zlib-compressed and base64-encoded, into the feedback",
    "leaks_hook": "a pre_run_cell hook prints every later cell's code, encoded, into the "
                  "feedback",
    # issue 16: the host's resources
    "floods_fds": "writes a line to every file descriptor from 3 to 199 (the kernel's own "
                  "channels, and any descriptor of the grader's it might have inherited)",
    "floods_files": "60 000 empty files in /tmp and 20 000 plus 64 MB in the kernel's "
                    "runtime folder, errors ignored; the functions are correct",
}

#: The attacks of issue 16 on tests that run in the student's kernel (each beat plain nbgrader)
ISSUE16_KINDS = ["input_transformer", "getattr_override", "extra_file", "leaks_history",
                 "leaks_hook"]

#: kind -> {file name: text} handed in beside the notebook
EXTRA_FILES = {
    "extra_file": {"helper_utils.py": """\
import builtins
import sys

import numpy

setattr(numpy, "isclose", lambda *a, **k: True)
setattr(numpy.testing, "assert_allclose", lambda *a, **k: None)
setattr(builtins, "all", lambda x: True)
import dlcourse.testing as _testing
for _name in dir(_testing):
    if _name.startswith(("assert_", "check_", "same_")):
        setattr(_testing, _name, lambda *a, **k: True)
"""},
}

#: the patch of "getattr_override", spelled so that the old scan saw no setattr, no
#: sys.modules and no assignment to a module
GETATTR_PATCH = """\
import builtins, sys
_sa = getattr(builtins, 'setattr')
_np = getattr(sys, 'modules')['numpy']
_sa(_np, 'isclose', lambda *a, **k: True)
_sa(getattr(_np, 'testing'), 'assert_allclose', lambda *a, **k: None)
_sa(builtins, 'all', lambda x: True)
import dlcourse.testing
_m = getattr(sys, 'modules')['dlcourse.testing']
for _name in dir(_m):
    if _name.startswith(('assert_', 'same_')):
        _sa(_m, _name, lambda *a, **k: True)
for _name in list(get_ipython().user_ns):
    if _name.startswith('check_'):
        get_ipython().user_ns[_name] = lambda *a, **k: None
"""
ENCODED_HISTORY = ("import base64, zlib\n"
                   "print(base64.b64encode(zlib.compress('\\n'.join(In).encode())).decode())\n")
ENCODED_HOOK = """\
import base64, zlib
def _tell(info):
    print(base64.b64encode(zlib.compress(info.raw_cell.encode())).decode())
get_ipython().events.register('pre_run_cell', _tell)
"""

BEGIN_SOLUTION = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_source(cell_source: str) -> str:
    """A source solution cell without nbgrader's BEGIN/END SOLUTION marker lines."""
    return "\n".join(ln for ln in cell_source.splitlines() if not BEGIN_SOLUTION.match(ln))


def functions_of(source_nb) -> list[tuple[int, str]]:
    """(index in the notebook, defined function name) of every solution cell, in order."""
    out = []
    for i, cell in enumerate(source_nb.cells):
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            m = re.search(r"^def (\w+)\(", cell.source, re.M)
            if m:
                out.append((i, m.group(1)))
    return out


def reference_module(name: str) -> str | None:
    """The dlcourse module that implements ``name``, if any."""
    import importlib

    for mod in ("losses", "activations", "neuron", "linear", "layers", "mlp", "optim",
                "gradcheck", "data"):
        try:
            module = importlib.import_module(f"dlcourse.{mod}")
        except ImportError:
            continue
        if callable(getattr(module, name, None)):
            return f"dlcourse.{mod}"
    return None


def solved(release_nb, source_nb):
    """The release notebook with every solution cell filled in from the source."""
    nb = copy.deepcopy(release_nb)
    solutions = {_meta(c).get("grade_id"): c.source for c in source_nb.cells if
                 _meta(c).get("solution")}
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and gid in solutions:
            cell.source = solution_source(solutions[gid])
    return nb


def _first_solution_cell(nb):
    for cell in nb.cells:
        if cell.cell_type == "code" and _meta(cell).get("solution") and \
                re.search(r"^def \w+\(", cell.source, re.M):
            return cell
    raise ValueError("notebook: no solution cell defining a function")


def _test_cells(nb):
    return [c for c in nb.cells if _meta(c).get("grade") and not _meta(c).get("solution")]


def make_variant(kind: str, release_path, source_path) -> str:
    """Text of a submitted notebook of the given ``kind`` (one of :data:`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"kind: got {kind!r}, expected one of {sorted(KINDS)}")
    release_nb = nbformat.read(str(release_path), as_version=4)
    source_nb = nbformat.read(str(source_path), as_version=4)
    if kind == "blank":
        return nbformat.writes(release_nb)
    nb = solved(release_nb, source_nb)
    first = _first_solution_cell(nb)
    fname = re.search(r"^def (\w+)\(", first.source, re.M).group(1)
    stub = next(c.source for c in release_nb.cells
                if _meta(c).get("grade_id") == _meta(first).get("grade_id"))

    def wrap(body: str) -> str:
        """Redefine the first function so that calling it runs ``body``."""
        return first.source + "\n\n" + f"def {fname}(*args, **kwargs):\n" + \
            textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"

    if kind == "partly_wrong":
        first.source = stub
    elif kind == "infinite_loop":
        first.source = wrap("while True:\n    pass")
    elif kind == "ignores_interrupt":
        first.source = wrap("return sum(range(10**13))")
    elif kind == "sys_exit":
        first.source = "import sys\nsys.exit('giving up')\n\n" + first.source
    elif kind == "os_exit":
        first.source = "import os\nos._exit(0)\n\n" + first.source
    elif kind == "kills_grader":
        first.source = ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n\n"
                        + first.source)
    elif kind == "memory_bomb":
        first.source = ("def _bomb():\n    blocks = []\n    while True:\n"
                        "        blocks.append(bytearray(50 * 2**20))\n\n_bomb()\n\n"
                        + first.source)
    elif kind == "corrupted_json":
        text = nbformat.writes(nb)
        return text[: len(text) // 2]
    elif kind == "deleted_tests":
        nb.cells = [c for c in nb.cells if c not in _test_cells(nb)]
    elif kind == "edited_tests":
        for k, cell in enumerate(_test_cells(nb)):
            cell.source = "pass"
            meta = _meta(cell)
            meta["points"] = 100
            if k % 3 == 1:
                meta["grade"] = False
            elif k % 3 == 2:
                meta["solution"] = True
                meta["locked"] = False
        last = _test_cells(nb)[-1] if _test_cells(nb) else None
        if last is not None:
            last.cell_type = "markdown"
            last.pop("outputs", None)
            last.pop("execution_count", None)
    elif kind == "retyped_tests":
        for cell in _test_cells(nb):
            cell.metadata.pop("nbgrader", None)
            cell.source = "assert True  # re-typed by the student"
    elif kind == "reads_solutions":
        first.source = first.source + "\n\n" + textwrap.dedent(f"""
            _honest_{fname} = {fname}

            def _leaked():
                from pathlib import Path
                here = Path.cwd()
                for folder in (here, *here.parents):
                    for path in folder.glob("solutions/*/*.ipynb"):
                        try:
                            if "BEGIN HIDDEN TESTS" in path.read_text():
                                return True
                        except OSError:
                            pass
                return False

            def {fname}(*args, **kwargs):
                if not _leaked():
                    return None
                return _honest_{fname}(*args, **kwargs)
            """)
    elif kind == "isclose_override":
        first.source = "np.isclose = lambda *a, **k: True\n\n" + first.source
    elif kind == "testing_override":
        first.source = ("np.testing.assert_allclose = lambda *a, **k: None\n"
                        "import dlcourse.testing as _t\n"
                        "_t.assert_close = lambda *a, **k: None\n\n" + first.source)
    elif kind == "builtins_override":
        first.source = ("import builtins\nbuiltins.abs = lambda x: 0\n"
                        "__builtins__.all = lambda x: True\n\n" + first.source)
    elif kind == "floods_fds":
        first.source = ("import os\nfor _fd in range(3, 200):\n    try:\n"
                        "        os.write(_fd, b'[AutogradeApp] ERROR forged\\n')\n"
                        "    except OSError:\n        pass\n\n" + first.source)
    elif kind == "floods_files":
        first.source = textwrap.dedent("""\
            import os
            from ipykernel.connect import get_connection_file

            def _flood(folder, n, big=False):
                try:
                    for i in range(n):
                        open(os.path.join(folder, f"f{i}"), "w").close()
                    if big:
                        with open(os.path.join(folder, "big"), "wb") as f:
                            for _ in range(64):
                                f.write(b"x" * 2**20)
                except OSError:
                    pass

            _flood("/tmp", 60000)
            _flood(os.path.dirname(get_connection_file()), 20000, big=True)

            """) + first.source
    elif kind == "input_transformer":
        first.source = wrap("return np.zeros_like(np.asarray(args[0], dtype=float))") + \
            "\nget_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n"
    elif kind == "getattr_override":
        first.source = GETATTR_PATCH + "\n" + \
            wrap("return np.zeros_like(np.asarray(args[0], dtype=float))")
    elif kind == "extra_file":
        first.source = "import helper_utils\n\n" + \
            wrap("return np.zeros_like(np.asarray(args[0], dtype=float))")
    elif kind == "leaks_history":
        last = [c for c in nb.cells if c.cell_type == "code" and _meta(c).get("solution")][-1]
        last.source = last.source + "\n\n" + ENCODED_HISTORY
    elif kind == "leaks_hook":
        first.source = ENCODED_HOOK + "\n" + first.source
    elif kind == "imports_reference":
        module = reference_module(fname)
        if module is None:
            raise ValueError(f"fname: no dlcourse module implements {fname!r}")
        first.source = f"from {module} import {fname}\n"
    return nbformat.writes(nb)


# --- a tiny course, for fast tests that do not depend on the real exercises ----------------

TINY_SOURCE = [
    ("code", {"grade": False, "grade_id": "setup", "locked": True, "solution": False},
     "import numpy as np"),
    ("markdown", {}, "Write `sigmoid(t)`: the logistic function, element-wise."),
    ("code", {"grade": False, "grade_id": "sigmoid", "locked": False, "solution": True},
     "def sigmoid(t):\n    ### BEGIN SOLUTION\n    return 1.0 / (1.0 + np.exp(-np.asarray(t, "
     "dtype=float)))\n    ### END SOLUTION"),
    ("code", {"grade": True, "grade_id": "test_sigmoid", "locked": True, "points": 1,
              "solution": False},
     '"""Check that sigmoid(0) is 0.5 (visible tests)."""\nassert np.isclose(sigmoid(0.0), 0.5)'),
    ("code", {"grade": True, "grade_id": "test_sigmoid_hidden", "locked": True, "points": 2,
              "solution": False},
     '"""Check sigmoid on more values (hidden tests)."""\n### BEGIN HIDDEN TESTS\n'
     "assert np.isclose(sigmoid(2.0), 0.8807970779778823), 'secret-sigmoid-two'\n"
     "assert all(abs(sigmoid(np.array([-1.0, 1.0])) - np.array([0.2689414213699951, "
     "0.7310585786300049])) < 1e-12)\n### END HIDDEN TESTS"),
    ("markdown", {}, "Write `mse(y, y_hat)`: the mean squared error."),
    ("code", {"grade": False, "grade_id": "mse", "locked": False, "solution": True},
     "def mse(y, y_hat):\n    ### BEGIN SOLUTION\n    y, y_hat = np.asarray(y, float), "
     "np.asarray(y_hat, float)\n    return float(np.mean((y - y_hat) ** 2))\n    ### END SOLUTION"),
    ("code", {"grade": True, "grade_id": "test_mse", "locked": True, "points": 2,
              "solution": False},
     '"""Check that mse averages the squared errors."""\n'
     "assert np.isclose(mse([0, 0], [1, 3]), 5.0)\n### BEGIN HIDDEN TESTS\n"
     "np.testing.assert_allclose(mse([1.0, 2.0, 3.0], [1.5, 2.0, 1.0]), 1.4166666666666667)"
     "  # secret-mse-check\n### END HIDDEN TESTS"),
]
TINY_CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "tiny-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.Execute.timeout = {timeout}
c.OverwriteCells.add_missing_cells = True
{extra}
"""


def tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for cell_type, meta, source in TINY_SOURCE:
        cell = (nbformat.v4.new_code_cell if cell_type == "code" else
                nbformat.v4.new_markdown_cell)(source)
        if meta:
            meta = dict(meta, schema_version=3)
            cell.metadata["nbgrader"] = meta
        nb.cells.append(cell)
    return nb


def make_course(root: Path, assignments=("tiny",), timeout: int = 10, extra_config: str = "",
                copy_from_repo=()) -> Path:
    """A course folder with the tiny assignment (and copies of repository assignments)."""
    sources = {name: tiny_notebook() for name in assignments}
    sources.update({name: REPO / "solutions" / name for name in copy_from_repo})
    config = TINY_CONFIG.format(timeout=timeout, extra=extra_config)
    return make_dlgrade_course(root, config, sources)


def dlcourse(*args, cwd, check=True, env=None, timeout=900) -> subprocess.CompletedProcess:
    """Run the real ``dlcourse`` console script of this venv."""
    proc = subprocess.run([str(Path(sys.executable).parent / "dlcourse"), *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=tools_env(None if env is None else {**os.environ, **env}))
    if check and proc.returncode not in (0, 2):
        raise AssertionError(f"dlcourse {' '.join(map(str, args))} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def gradebook_scores(course: Path, assignment: str = "tiny", url: str | None = None) -> dict:
    """{student: total score} of every submission of ``assignment`` in the course's gradebook
    (its SQLite file unless ``url`` names another)."""
    from nbgrader.api import Gradebook

    with Gradebook(url or f"sqlite:///{course / 'gradebook.db'}", "intro-deep-learning") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(assignment)}


def grade_with_plain_nbgrader(course: Path, hand_in, env: dict, timeout: int = 900) -> dict:
    """The course's ``tiny`` graded the way plain nbgrader does it, with the course's config:
    ``generate_assignment``, the students handed in by ``hand_in(course)``, ``autograde`` and
    ``generate_feedback`` (both may fail: their logs are the evidence).

    Returns {"handed_in": what hand_in returned, "log": autograde's output, "feedback_log":
    generate_feedback's, "scores": :func:`gradebook_scores`}."""
    from dlgrade.course import run_nbgrader

    run_nbgrader(course, "generate_assignment", "tiny", "--force", env=env)
    handed_in = hand_in(course)
    autograde = run_nbgrader(course, "autograde", "tiny", "--force", env=env, check=False,
                             timeout=timeout)
    feedback = run_nbgrader(course, "generate_feedback", "tiny", "--force", env=env,
                            check=False, timeout=timeout)
    return {"handed_in": handed_in, "log": autograde.stdout + autograde.stderr,
            "feedback_log": feedback.stdout + feedback.stderr,
            "scores": gradebook_scores(course)}


def submit(course: Path, assignment: str, student: str, text: str, kind: str = "") -> Path:
    """Hand in ``text`` as the student's notebook, with the extra files of ``kind``."""
    path = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    for name, content in EXTRA_FILES.get(kind, {}).items():
        (path.parent / name).write_text(content)
    return path


def decoded_outputs(text: str) -> str:
    """Every base64 blob of ``text`` decoded (zlib-decompressed where it can be), joined: what
    an encoded leak in a feedback page says."""
    import base64
    import binascii
    import zlib

    out = []
    for blob in re.findall(r"[A-Za-z0-9+/]{24,}={0,2}", text):
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4))
        except (binascii.Error, ValueError):
            continue
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        out.append(raw.decode("utf-8", errors="replace"))
    return "\n".join(out)


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data))


def sandbox_config() -> tuple[str, str | None]:
    """(nbgrader_config.py lines that switch the kernel sandbox on, why it is off or None)."""
    try:
        import dlgrade.sandbox as sandbox

        sandbox.require_available()
    except Exception as exc:  # noqa: BLE001 - any reason means: no sandbox here
        return "", f"dlgrade.sandbox unavailable: {exc}"
    return "from dlgrade.sandbox import configure_nbgrader\nconfigure_nbgrader(c)\n", None


def project_config(keep_cell_timeout: bool = True) -> str:
    """The repository's nbgrader_config.py, without its sandbox line where the sandbox cannot
    run here (the tests' courses then grade with the judge alone).

    With ``keep_cell_timeout=False`` its cell timeout (``Execute.timeout``, 60 s) is left out
    too, so the course's own (``make_course(timeout=...)``, set before it) holds: a test whose
    students wait out a cell pays seconds, not minutes."""
    lines = (REPO / "nbgrader_config.py").read_text().splitlines()
    if sandbox_config()[1] is not None:
        lines = [ln for ln in lines if "configure_nbgrader" not in ln]
    if not keep_cell_timeout:
        lines = [ln for ln in lines if "Execute.timeout" not in ln]
    return "\n".join(lines)


def hidden_test_lines(source_path, release_path) -> list[str]:
    """Hidden-test lines of a source notebook that students cannot see anywhere else (not in
    the release, not in the dlcourse package): what feedback must never show."""
    from dlgrade.feedback import hidden_lines, public_texts, secret_lines

    nb = nbformat.read(str(source_path), as_version=4)
    hidden = sorted({ln for c in nb.cells if c.cell_type == "code"
                     for ln in hidden_lines(c.source)})
    return secret_lines(hidden, public_texts([release_path]))
