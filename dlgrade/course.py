"""The course folder: where nbgrader's configuration, notebooks and gradebook live.

A course folder is any folder holding an ``nbgrader_config.py`` (the repository root is
one). Every grading command loads that file exactly as ``nbgrader`` would, then applies the
command-line overrides (``--db``, ``--timeout``, ``--kernel``) on top.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .lms.base import check_timezone

# nbgrader (with SQLAlchemy), nbformat (with jsonschema) and dlgrade.late (which subclasses an
# nbgrader plugin) take seconds to import; this module is on the path of every `dlcourse`
# command, `--help` included, so they are imported in the methods that use them.

CONFIG_NAME = "nbgrader_config.py"


def find_course_root(start: str | os.PathLike | None = None) -> Path:
    """Return the nearest folder at or above ``start`` that holds ``nbgrader_config.py``.

    Raises
    ------
    ValueError
        If no such folder exists.
    """
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ValueError(
        f"course: no {CONFIG_NAME} found in {here} or any parent folder; "
        "run the command inside a course folder or pass --course PATH"
    )


def tools_env(env: dict | None = None) -> dict:
    """A copy of ``env`` (default: this process's) with the running interpreter's ``bin/`` first
    on PATH: nbgrader calls ``jupyter`` and ``alembic`` by name and must find this venv's."""
    out = dict(os.environ if env is None else env)
    bindir = str(Path(sys.executable).parent)
    parts = out.get("PATH", "").split(os.pathsep)
    out["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p and p != bindir]])
    return out


def ensure_tools_on_path() -> None:
    """Put the running interpreter's ``bin/`` first on this process's PATH (:func:`tools_env`)."""
    os.environ["PATH"] = tools_env()["PATH"]


def run_nbgrader(course_root, *args: str, env: dict | None = None, check: bool = True,
                 timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run this venv's ``nbgrader ARGS`` in ``course_root`` with the venv's tools on PATH.

    Returns the finished process (text output captured). With ``check``, a non-zero exit
    raises ``RuntimeError`` holding the command's output.
    """
    command = [str(Path(sys.executable).parent / "nbgrader"), *map(str, args)]
    proc = subprocess.run(command, cwd=course_root, env=tools_env(env), capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(map(str, args))} exited {proc.returncode}:\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def make_course(root, config: str, assignments=None, release: bool = False) -> Path:
    """Write a course folder: ``nbgrader_config.py`` and ``solutions/<assignment>/``.

    Parameters
    ----------
    root : path
        The folder (created if missing).
    config : str
        Text of ``nbgrader_config.py``; its ``source_directory`` must be ``solutions``.
    assignments : dict, optional
        ``{name: source}``: a folder to copy as ``solutions/<name>/``, or a notebook
        (``nbformat.NotebookNode``) to write as ``solutions/<name>/<name>.ipynb``.
    release : bool
        Run ``nbgrader generate_assignment NAME --force`` for each assignment (writes the
        release folder and the gradebook).

    Returns
    -------
    Path
        ``root``.
    """
    import nbformat

    root = Path(root)
    (root / "solutions").mkdir(parents=True, exist_ok=True)
    (root / CONFIG_NAME).write_text(config)
    for name, source in (assignments or {}).items():
        target = root / "solutions" / name
        if isinstance(source, (str, os.PathLike)):
            shutil.copytree(source, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(source, str(target / f"{name}.ipynb"))
    for name in (assignments or {}) if release else ():
        run_nbgrader(root, "generate_assignment", name, "--force", "--log-level=WARN")
    return root


@dataclass
class Course:
    """A course folder plus the overrides given on the command line.

    Parameters
    ----------
    root : path
        Folder holding ``nbgrader_config.py``.
    db_url : str, optional
        Gradebook URL overriding ``CourseDirectory.db_url`` (e.g.
        ``postgresql+psycopg2://user:pw@host:5432/db``).
    timeout : int, optional
        Per-cell execution timeout in seconds (``Execute.timeout``).
    kernel_name : str, optional
        Kernel used to run submissions (``Execute.kernel_name``).
    output_root : path, optional
        Where the per-assignment output folders go (default ``<root>/grading``).
    """

    root: Path
    db_url: str | None = None
    timeout: int | None = None
    kernel_name: str | None = None
    output_root: Path | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self._config = None
        self._coursedir = None
        self.root = Path(self.root).resolve()
        if not (self.root / CONFIG_NAME).is_file():
            raise ValueError(f"root: {self.root} holds no {CONFIG_NAME}")
        if self.output_root is None:
            self.output_root = self.root / "grading"
        self.output_root = Path(self.output_root).resolve()

    # -- configuration ---------------------------------------------------------------
    def overrides(self) -> dict:
        """Plain-data description of the overrides (sent to worker processes)."""
        return {
            "root": str(self.root),
            "db_url": self.db_url,
            "timeout": self.timeout,
            "kernel_name": self.kernel_name,
            "output_root": str(self.output_root),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_overrides(cls, data: dict) -> Course:
        return cls(
            root=Path(data["root"]),
            db_url=data.get("db_url"),
            timeout=data.get("timeout"),
            kernel_name=data.get("kernel_name"),
            output_root=Path(data["output_root"]) if data.get("output_root") else None,
            extra=dict(data.get("extra") or {}),
        )

    def load_config(self):
        """The traitlets ``Config`` nbgrader would see in this folder, plus our overrides.

        The file is run once per :class:`Course`; each call returns a fresh copy.
        """
        if self._config is None:
            self._config = self._load_config()
        return copy.deepcopy(self._config)

    def _load_config(self):
        config = PyFileConfigLoader(CONFIG_NAME, path=str(self.root)).load_config()
        overrides = Config()
        overrides.CourseDirectory.root = str(self.root)
        if self.db_url:
            overrides.CourseDirectory.db_url = self.db_url
        if self.timeout is not None:
            overrides.Execute.timeout = int(self.timeout)
        if self.kernel_name:
            overrides.Execute.kernel_name = self.kernel_name
        for dotted, value in self.extra.items():
            section, _, key = dotted.rpartition(".")
            overrides[section][key] = value
        config.merge(overrides)
        return config

    def override(self, values: dict) -> None:
        """Add ``{"Section.key": value}`` overrides (``--late-policy``'s) on top of the
        configuration; it is read again with them."""
        self.extra.update(values)
        self._config = None

    def coursedir(self, config=None):
        from nbgrader.coursedir import CourseDirectory

        config = config or self.load_config()
        coursedir = CourseDirectory(config=config)
        coursedir.root = str(self.root)
        return coursedir

    # -- the gradebook -----------------------------------------------------------------
    @contextlib.contextmanager
    def gradebook(self, coursedir=None):
        """nbgrader's ``Gradebook`` of this course, open for the ``with`` block and closed after
        it (also when the block raises).

        Parameters
        ----------
        coursedir : nbgrader.coursedir.CourseDirectory, optional
            One already built for this course (a grading process keeps one, so it does not
            load the configuration again per student); default :meth:`coursedir`.

        Yields
        ------
        nbgrader.api.Gradebook
        """
        from nbgrader.api import Gradebook

        coursedir = coursedir or self.coursedir()
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            yield gb

    def find_assignment(self, gb, assignment: str):
        """``gb.find_assignment(assignment)``, or the course's one wording when it is missing.

        Raises
        ------
        ValueError
            If the gradebook holds no such assignment (it was never released).
        """
        from nbgrader.api import MissingEntry

        try:
            return gb.find_assignment(assignment)
        except MissingEntry:
            raise self.not_in_gradebook("assignment", assignment,
                                        f"run `dlcourse release {assignment}`",
                                        close=[a.name for a in gb.assignments]) from None

    def find_student(self, gb, student: str):
        """``gb.find_student(student)``, or the course's one wording when it is missing.

        Raises
        ------
        ValueError
            If the gradebook holds no such student (the roster was not imported).
        """
        from nbgrader.api import MissingEntry

        try:
            return gb.find_student(student)
        except MissingEntry:
            raise self.not_in_gradebook("student", student,
                                        "run `dlcourse roster import ROSTER.csv`",
                                        close=[st.id for st in gb.students]) from None

    def student_spelling(self, student: str) -> str:
        """``student`` as the gradebook spells it when the two differ only in letter case
        (logins ignore case, and collect files ``SOBRIEN/`` under ``sobrien``; review 23d,
        P7), else ``student`` unchanged."""
        try:
            with self.gradebook() as gb:
                ids = [st.id for st in gb.students]
        except Exception:  # noqa: BLE001 - no gradebook: the command says so itself
            return student
        if student in ids:
            return student
        same = [sid for sid in ids if sid.casefold() == student.casefold()]
        return same[0] if len(same) == 1 else student

    def not_in_gradebook(self, argument: str, name: str, remedy: str,
                         close: list[str] | None = None) -> ValueError:
        """The one error for a name the gradebook does not hold: ``"<argument>: <name> is not
        in the gradebook of <course> (<url>); <remedy> first"``. The URL is shown without
        its password; a ``--db`` given on the command line is named in the remedy. Names in
        ``close`` (what the gradebook holds) that look like a typing slip of ``name`` are
        offered first: "did you mean 'sobrien'? If not, <remedy> first"."""
        url = self.db_url or self.db
        try:
            from sqlalchemy.engine import make_url

            url = make_url(url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: show nothing of it
            url = "an unreadable URL"
        same_db = " with the same --db" if self.db_url else ""
        guesses = difflib.get_close_matches(str(name), [str(c) for c in close or ()], n=3)
        if guesses:
            remedy = f"did you mean {' or '.join(map(repr, guesses))}? If not, {remedy}"
        return ValueError(f"{argument}: {name!r} is not in the gradebook of {self.root} ({url}); "
                          f"{remedy}{same_db} first")

    @property
    def timezone(self) -> str:
        """The course's time zone (``c.Dlcourse.timezone`` in ``nbgrader_config.py``, default
        ``UTC``): due dates without a time end at 23:59:59 there, and dates are printed in it."""
        zone = self.load_config().get("Dlcourse", {}).get("timezone", "UTC")
        try:
            return check_timezone(zone)
        except ValueError as exc:
            raise ValueError(f"{exc} (c.Dlcourse.timezone in {self.root / CONFIG_NAME})") \
                from None

    def set_timezone(self, zone: str) -> str:
        """Write ``c.Dlcourse.timezone = ZONE`` into ``nbgrader_config.py`` (replacing the line
        that set it before); returns the zone it replaces.

        Raises
        ------
        ValueError
            If ``zone`` is not an IANA time zone name.
        """
        zone = check_timezone(zone)
        old = self.timezone
        path = self.root / CONFIG_NAME
        line = f"c.Dlcourse.timezone = {zone!r}  # set by `dlcourse timezone`"
        text = path.read_text()
        pattern = re.compile(r"^c\.Dlcourse\.timezone\s*=.*$", re.MULTILINE)
        if pattern.search(text):
            text = pattern.sub(line, text)
        else:
            text = text.rstrip("\n") + "\n" + line + "\n"
        path.write_text(text)
        self._config = None
        return old

    @property
    def db(self) -> str:
        """The gradebook URL in effect."""
        return self.coursedir().db_url

    # -- folders ----------------------------------------------------------------------
    def _dir(self, kind: str) -> Path:
        if self._coursedir is None:
            self._coursedir = self.coursedir()
        coursedir = self._coursedir
        return self.root / getattr(coursedir, f"{kind}_directory")

    @property
    def source_dir(self) -> Path:
        return self._dir("source")

    @property
    def release_dir(self) -> Path:
        return self._dir("release")

    @property
    def submitted_dir(self) -> Path:
        return self._dir("submitted")

    @property
    def autograded_dir(self) -> Path:
        return self._dir("autograded")

    @property
    def feedback_dir(self) -> Path:
        return self._dir("feedback")

    def output_dir(self, assignment: str) -> Path:
        """Folder holding grades.csv, report.html, report.json and feedback/ of one assignment."""
        return self.output_root / assignment

    def assignments(self) -> list[str]:
        """Every assignment with a notebook in the source folder, sorted."""
        src = self.source_dir
        if not src.is_dir():
            return []
        return sorted(p.name for p in src.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def require_assignment(self, assignment: str) -> None:
        """Raise ``ValueError`` unless ``assignment`` has a source notebook."""
        known = self.assignments()
        if assignment not in known:
            expected = ", ".join(known) if known else f"(none: no notebooks in {self.source_dir})"
            raise ValueError(f"assignment: got {assignment!r}, expected one of {expected}")

    def students(self, assignment: str) -> list[str]:
        """Students with a submitted folder for ``assignment``, sorted."""
        base = self.submitted_dir
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())

    def grading_settings(self) -> tuple[str, float, int]:
        """The settings that change grades as one digest, the per-cell timeout and the largest
        number of code cells of a source notebook (the submission deadline is computed from
        these two: :func:`dlgrade.deadline.submission_seconds`)."""
        key = self.settings_key()
        timeout = json.loads(key)["timeout"]
        try:
            import nbformat

            n_cells = max(
                sum(c.cell_type == "code" for c in nbformat.read(p, as_version=4).cells)
                for p in (self.source_dir).glob("*/*.ipynb")
            )
        except Exception:  # noqa: BLE001
            n_cells = 50
        return key, float(timeout or 30), n_cells

    def settings_key(self) -> str:
        """:meth:`grading_settings`' digest alone (the source notebooks are not read): the
        per-cell timeout, the kernel, the gradebook and the late policy, as JSON."""
        config = self.load_config()
        timeout = config.Execute.get("timeout", 30)
        kernel = config.Execute.get("kernel_name", "")
        # the gradebook's place relative to the course: a copied or moved course folder (whose
        # SQLite URL holds the new absolute path) has the same key, so nothing looks new
        db = str(self.coursedir(config).db_url).replace(str(self.root), "<course>")
        late = {k: dict(config[k]) for k in ("AssignLatePenalties", "LateSubmissionPlugin",
                                             "PerHourPenalty") if k in config}
        return json.dumps({"timeout": timeout, "kernel": kernel, "db": db, "late": late},
                          sort_keys=True, default=str)
