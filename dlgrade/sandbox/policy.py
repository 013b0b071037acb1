"""What the sandbox hides and which limits it applies, computed from the kernel's launch.

The policy is a pure function of the kernel's working folder, its connection file and
its environment, so the exec'd wrapper and the fork server compute the same one.

Environment variables (read from the kernel's environment, i.e. the grader's):

``DLCOURSE_SANDBOX``          ``0`` switches the sandbox off (the kernel runs as the grader).
``DLCOURSE_SANDBOX_MEMORY``   address-space cap, bytes or with K/M/G suffix (default 4G).
``DLCOURSE_SANDBOX_CPU``      CPU-time cap of the kernel process in seconds (default 600).
``DLCOURSE_SANDBOX_NPROC``    processes + threads per kernel (default 128).
``DLCOURSE_SANDBOX_GROUP_MEMORY``  memory of the kernel and all its children together (a
                              cgroup; default 4G; ``none`` for no group cap).
``DLCOURSE_SANDBOX_GROUP_PIDS``  processes + threads of the kernel and its children (cgroup
                              ``pids.max``; default: the NPROC value).
``DLCOURSE_SANDBOX_TMP``       size of the kernel's private /tmp (default 256M);
``DLCOURSE_SANDBOX_TMP_INODES`` files and folders in it (default 8192).
``DLCOURSE_SANDBOX_LOG_BYTES`` bytes of the kernel's own stdout/stderr passed on to the
                              grader's log, each line prefixed ``[student kernel]`` (64K).
``DLCOURSE_SANDBOX_ROOTLESS``  ``1`` uses the rootless mode (a user namespace) even as root;
                              it is always used when the grader is not root.
``DLCOURSE_SANDBOX_HIDE``     extra paths to hide, ``os.pathsep``-separated, absolute or
                              relative to the course folder.
``DLCOURSE_SANDBOX_SHOW``     extra host folders the kernel may read (a shared data folder),
                              ``os.pathsep``-separated absolute paths; everything outside the
                              system folders, the Python installation, the packages and the
                              kernel's working folder is covered otherwise (see
                              :func:`host_cover`), the rest of the course folder included.
``DLCOURSE_COURSE_ROOT``      the course folder (default: found upwards from the kernel's
                              folder by its ``nbgrader_config.py``).
``DLCOURSE_KERNEL_PACKAGE``   the kernel build of ``dlcourse`` (set by the judge for the kernels
                              it grades, :mod:`dlgrade.sandbox.kernel_package`): bound over the
                              real package's folder, so the kernel holds no implementation.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import stat
import sys
from dataclasses import dataclass, field

#: Folders of an nbgrader course that a student's kernel must not read.
HIDDEN_DIRS = ("solutions", "source", "submitted", "autograded", "feedback", "grading", ".git")
#: Files (glob patterns, relative to the course folder) a student's kernel must not read.
HIDDEN_FILES = ("gradebook.db*", "*.db", "*.sqlite", "*.sqlite3", "nbgrader_config.py",
                ".nbgrader.log", "*.log")
#: Folders of a source checkout of the course (where an editable install of ``dlcourse`` lives,
#: beside ``pyproject.toml``) that a student's kernel must not read: every exercise's solutions
#: and hidden tests, the independent answers, and the history holding all of them.
CHECKOUT_PRIVATE_DIRS = ("solutions", "tests", ".git", "source", "submitted", "autograded",
                         "feedback", "grading",
                         # copies of the package's source text: setuptools' build folder, the
                         # book's build (its pages and the wheel it publishes), the wheel's
                         # folder, and the metadata listing the package's files
                         "build", "_build", "_site_extra", "dist", "dlcourse.egg-info")
#: The grader's environment variables a student's kernel keeps: an allow-list (names, then
#: name prefixes); every other variable is dropped. A deny-list of secret-looking names let
#: ``NBGRADER_DB_URL=postgresql://grader:pw@...``, ``DB_PASS`` or ``SENTRY_DSN`` through
#: (review 21k, finding 3). The kernel needs its programs and libraries (an interpreter copied
#: out of reach of its user runs with LD_LIBRARY_PATH), locale and time zone, Python's,
#: the numerical libraries' and Jupyter's settings; the sandbox sets its own home and
#: folders on top (:func:`kernel_env`). Of the course's own variables the kernel side reads
#: only ``DLCOURSE_SANDBOX_DEBUG`` (the fork server's timing lines) and the seal flag the
#: launcher sets.
KERNEL_ENV_NAMES = (
    "PATH", "LD_LIBRARY_PATH", "LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND",
    "DLCOURSE_SANDBOX_DEBUG",
    # locale categories by name (a prefix let any LC_<word> through: review 21l, finding 4)
    "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY", "LC_MESSAGES",
    "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION",
    # Python's own settings by name
    "PYTHONPATH", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
    "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONWARNINGS", "PYTHONFAULTHANDLER",
    "PYTHONNOUSERSITE", "PYTHONSAFEPATH", "PYTHONDEVMODE", "PYTHONMALLOC",
    # Jupyter's folders and settings a kernel reads, by name
    "JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_PLATFORM_DIRS",
    "JUPYTER_ALLOW_INSECURE_WRITES", "JPY_SESSION_NAME",
)
#: The numerical libraries' thread and kernel settings (numbers and keywords; their values pass
#: the same :data:`CREDENTIAL_VALUE` test as every other).
KERNEL_ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO_", "BLIS_", "VECLIB_", "NUMEXPR_",
                       "KMP_", "PYDEVD_")
#: What the launcher (the sandbox's waiter, outside the jail) reads besides: the policy's
#: settings (by name, as the module's docstring lists them), the course folder, the kernel
#: build, the grader's home (covered in rootless mode) and matplotlib's font cache. Course
#: paths, not secrets; the kernel's environment has none.
LAUNCH_ENV_NAMES = ("DLCOURSE_COURSE_ROOT", "DLCOURSE_KERNEL_PACKAGE", "HOME", "MPLCONFIGDIR",
                    "DLCOURSE_SANDBOX", "DLCOURSE_SANDBOX_ROOTLESS", "DLCOURSE_SANDBOX_SEAL",
                    "DLCOURSE_SANDBOX_HIDE", "DLCOURSE_SANDBOX_SHOW",
                    "DLCOURSE_SANDBOX_GROUP_PIDS", "DLCOURSE_SANDBOX_LOG_BYTES",
                    "DLCOURSE_SANDBOX_TMP", "DLCOURSE_SANDBOX_TMP_INODES",
                    "DLCOURSE_SANDBOX_MEMORY", "DLCOURSE_SANDBOX_CPU", "DLCOURSE_SANDBOX_NPROC",
                    "DLCOURSE_SANDBOX_FSIZE", "DLCOURSE_SANDBOX_GROUP_MEMORY")
LAUNCH_ENV_PREFIXES = ()
#: Names that stay out even when allowed (``JUPYTER_TOKEN``, ``PYTHON_KEYRING_PASSWORD``).
SECRET_ENV_MARKERS = ("PASS", "PWD", "SECRET", "TOKEN", "CREDENTIAL", "KEY", "DSN", "AUTH",
                      "COOKIE", "PRIVATE", "SESSION_ID")
#: A value that carries a credential: a URL with ``user:password@`` (or a bare ``token@``), a
#: ``user:password@host`` without a scheme, or a ``password=`` / ``token=`` setting inside a
#: query string or a keyword connection string (``host=db password=...``; review 21l, finding 4).
CREDENTIAL_VALUE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s@]+@"
    r"|(?:^|[\s;,])[^\s/:@;,]+:[^\s/@;,]+@[^\s/@]"
    r"|(?:^|[\s;,&?])(?i:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|auth\w*)\s*="
)

#: Top-level folders of the host a kernel keeps (read-only): the operating system's programs,
#: libraries and settings, and the pseudo file systems the sandbox replaces by its own
#: (/tmp, /run, /proc; /dev and /sys stay read-only). Every other top-level folder (/home,
#: /root, /srv, /opt, /var, /work, /mnt, ...) is covered by an empty tmpfs into which only the
#: folders the kernel needs are bound back: other checkouts of the course, other courses'
#: gradebooks and students' notebooks, and notes lying anywhere on the host stay out of sight.
HOST_SYSTEM_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev",
                    "proc", "sys", "tmp", "run")

#: What a kernel keeps of /etc (the rest, e.g. ``pip.conf`` or ``npmrc`` with an index token,
#: ``postgresql/``, ``ssh/``, is left out): the dynamic loader's cache, users and groups, time
#: zone, name service switch, MIME and protocol tables, certificates, fonts, locales, the
#: ``alternatives`` links commands go through, and Python's own settings.
ETC_KEEP = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
            "hosts", "host.conf", "localtime", "timezone", "mime.types", "magic", "magic.mime",
            "protocols", "services", "networks", "gai.conf", "ssl", "ca-certificates",
            "ca-certificates.conf", "fonts", "locale.alias", "locale.conf", "default",
            "alternatives", "os-release", "debian_version", "mtab", "python3", "python3.*",
            "matplotlibrc", "terminfo")

DEFAULTS = {"memory": "4G", "cpu": "600", "nproc": "128", "fsize": "256M", "tmp": "256M",
            "tmp_inodes": "8192", "group_memory": "4G"}


def rootless_mode(env=None) -> bool:
    """True when the sandbox runs without root: the grader is not root, or
    ``DLCOURSE_SANDBOX_ROOTLESS=1`` asks for it (to try the rootless mode as root)."""
    env = os.environ if env is None else env
    forced = env.get("DLCOURSE_SANDBOX_ROOTLESS", "").strip().lower()
    return forced in {"1", "true", "yes", "on"} or os.geteuid() != 0


def home_folders(env) -> list:
    """The grader's home folder(s), covered in rootless mode (the kernel runs as the grader)."""
    import pwd

    found = set()
    try:
        found.add(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass
    if env.get("HOME"):
        found.add(env["HOME"])
    return sorted(os.path.realpath(h) for h in found if h and os.path.realpath(h) != "/")


def host_cover(root: str = "/") -> tuple[list, list]:
    """What of the host's top level a kernel must not see: ``(folders, files)``.

    Folders are every top-level folder outside :data:`HOST_SYSTEM_DIRS` (symbolic links such
    as ``/bin -> usr/bin`` are left alone: they lead into kept folders); files are the regular
    files lying directly in ``/`` (each is covered by ``/dev/null``).
    """
    folders, files = [], []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if name in HOST_SYSTEM_DIRS or os.path.islink(path):
            continue
        if os.path.isdir(path):
            folders.append(path)
        elif os.path.isfile(path):
            files.append(path)
    return folders, files


def etc_entries(root: str = "/etc") -> list:
    """The paths of :data:`ETC_KEEP` that exist under ``root`` (links included)."""
    found = set()
    for pattern in ETC_KEEP:
        found.update(glob.glob(os.path.join(root, pattern)))
    return sorted(found)


def enabled(env=None) -> bool:
    """True unless ``DLCOURSE_SANDBOX`` is set to 0/false/no/off in ``env``."""
    env = os.environ if env is None else env
    return env.get("DLCOURSE_SANDBOX", "1").strip().lower() not in {"0", "false", "no", "off"}


def parse_size(text: str, name: str) -> int:
    """``"4G"`` -> 4294967296; raises ValueError naming the setting."""
    text = str(text).strip().upper().removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in "KMG" else text
    try:
        value = int(float(digits) * scale)
    except ValueError:
        raise ValueError(f"{name}: expected a size like 512M or 4G, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"{name}: expected a positive size, got {text!r}")
    return value


def find_course_root(workdir: str, env) -> str | None:
    """The course folder: ``DLCOURSE_COURSE_ROOT`` or the nearest folder *above* the kernel's
    working folder that holds a regular file ``nbgrader_config.py``.

    The working folder itself is never the course: it holds what the student handed in, and an
    empty ``nbgrader_config.py`` among it made the student's own folder "the course", so the
    real one was shown whole (review 21h, CFG). A folder or link of that name (a student whose
    id is ``nbgrader_config.py`` makes ``autograded/nbgrader_config.py/``) does not count
    either (review 21h, SID).
    """
    if env.get("DLCOURSE_COURSE_ROOT"):
        return os.path.realpath(env["DLCOURSE_COURSE_ROOT"])
    path = os.path.dirname(os.path.realpath(workdir))
    while True:
        try:
            config = os.lstat(os.path.join(path, "nbgrader_config.py"))
        except OSError:
            config = None
        if config is not None and stat.S_ISREG(config.st_mode):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


#: nbgrader's ``CourseDirectory`` settings naming a folder of the course (``source_directory``
#: and so on), read from the course's ``nbgrader_config.py`` by :func:`configured_dirs`.
NBGRADER_DIR_SETTINGS = ("source", "release", "submitted", "autograded", "feedback")
_DIR_SETTING = re.compile(r"^\s*c\.CourseDirectory\.(%s)_directory\s*=\s*(['\"])([^'\"]+)\2"
                          % "|".join(NBGRADER_DIR_SETTINGS), re.MULTILINE)


def configured_dirs(course_root: str) -> list[str]:
    """The folder names a course's ``nbgrader_config.py`` gives nbgrader's folders (e.g.
    ``c.CourseDirectory.source_directory = "master"``), read as text (the file is not run).

    A second layer under the course's cover (:attr:`Policy.course_root`): a course may call its
    source folder anything, so a fixed list of names is not enough (review 21g, SD)."""
    try:
        with open(os.path.join(course_root, "nbgrader_config.py"), encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return []
    return sorted({m.group(3) for m in _DIR_SETTING.finditer(text)
                   if m.group(3) not in {".", ".."} and "/" not in m.group(3)})


def checkout_private_dirs() -> list[str]:
    """The :data:`CHECKOUT_PRIVATE_DIRS` of the source checkout the ``dlcourse`` package is
    imported from (an editable install, as ``make install`` makes), or none for an installed
    wheel. A kernel imports the package from there and reads what is world-readable, so without
    this it could read ``solutions/`` beside it (hostile review of issue 21)."""
    import importlib.util

    spec = importlib.util.find_spec("dlcourse")
    if spec is None or not spec.origin:
        return []
    checkout = os.path.dirname(os.path.dirname(os.path.realpath(spec.origin)))
    if not os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        return []
    return [os.path.join(checkout, name) for name in CHECKOUT_PRIVATE_DIRS
            if os.path.isdir(os.path.join(checkout, name))]


@dataclass
class Policy:
    """Everything :func:`dlgrade.sandbox.jail.enter` needs."""

    workdir: str
    runtime_dir: str
    course_root: str | None = None
    hide_dirs: list = field(default_factory=list)
    hide_files: list = field(default_factory=list)
    memory_bytes: int | None = None
    cpu_seconds: int | None = None
    nproc: int | None = None
    file_bytes: int | None = None
    tmp_size: str = "256M"
    tmp_inodes: int = 8192
    expose: list = field(default_factory=list)
    rootless: bool = False
    cover: list = field(default_factory=list)
    group_memory_bytes: int | None = None
    group_pids: int | None = None
    log_bytes: int = 64 * 1024
    etc_keep: list | None = None  # None: /etc stays whole
    #: the kernel build of dlcourse (a folder) bound over ``package_dir``, the real package's
    kernel_package: str | None = None
    package_dir: str | None = None

    @classmethod
    def for_kernel(cls, workdir: str, connection_file: str, env) -> Policy:
        """The policy for a kernel started in ``workdir`` with ``connection_file``."""
        workdir = os.path.realpath(workdir)
        root = find_course_root(workdir, env)
        hide_dirs, hide_files = [], []
        extra = [p for p in env.get("DLCOURSE_SANDBOX_HIDE", "").split(os.pathsep) if p]
        if root is not None:
            for name in HIDDEN_DIRS + tuple(configured_dirs(root)):
                hide_dirs.append(os.path.join(root, name))
            for pattern in HIDDEN_FILES:
                hide_files.extend(glob.glob(os.path.join(root, pattern)))
        for path in extra:
            path = os.path.realpath(os.path.join(root or workdir, path))
            (hide_dirs if os.path.isdir(path) else hide_files).append(path)
        hide_dirs.extend(d for d in checkout_private_dirs()
                         if not (workdir + os.sep).startswith(d + os.sep))

        def limit(key, name, size=True):
            text = env.get(f"DLCOURSE_SANDBOX_{name}", DEFAULTS[key])
            if text.strip().lower() in {"", "none", "unlimited"}:
                return None
            return parse_size(text, f"DLCOURSE_SANDBOX_{name}") if size else int(text)

        rootless = rootless_mode(env)
        covered, top_files = host_cover()
        if rootless:  # the kernel runs as the grader: its home is covered too
            covered += home_folders(env)
        if root is not None:
            # The course folder is an allow-list too: covered whole, only the working folder
            # (and the packages or shown folders lying inside it) bound back. Its gradebook,
            # other students' folders, a source folder of any name, the LMS download, rosters
            # and files made after the kernel started stay out of sight (review 21g, SD/CR/JR).
            covered.append(root)
        shown = [p for p in env.get("DLCOURSE_SANDBOX_SHOW", "").split(os.pathsep) if p]
        for path in shown:
            if not os.path.isabs(path) or not os.path.isdir(path):
                raise ValueError(f"DLCOURSE_SANDBOX_SHOW: expected absolute paths of existing "
                                 f"folders, got {path!r}")
        shown = [os.path.realpath(p) for p in shown]
        nproc = limit("nproc", "NPROC", size=False)
        kernel_package, package_dir = kernel_package_of(env)
        group_pids = env.get("DLCOURSE_SANDBOX_GROUP_PIDS", str(nproc) if nproc else "none")
        return cls(
            rootless=rootless,
            cover=sorted(set(covered)),
            group_memory_bytes=limit("group_memory", "GROUP_MEMORY"),
            group_pids=(None if group_pids.strip().lower() in {"", "none", "unlimited"}
                        else int(group_pids)),
            log_bytes=parse_size(env.get("DLCOURSE_SANDBOX_LOG_BYTES", "64K"),
                                 "DLCOURSE_SANDBOX_LOG_BYTES"),
            tmp_inodes=int(env.get("DLCOURSE_SANDBOX_TMP_INODES", DEFAULTS["tmp_inodes"])),
            workdir=workdir,
            runtime_dir=os.path.dirname(os.path.realpath(connection_file)),
            course_root=root,
            hide_dirs=sorted(set(hide_dirs)),
            hide_files=sorted(set(f for f in hide_files + top_files if os.path.isfile(f))),
            memory_bytes=limit("memory", "MEMORY"),
            cpu_seconds=limit("cpu", "CPU", size=False),
            nproc=nproc,
            file_bytes=limit("fsize", "FSIZE"),
            tmp_size=env.get("DLCOURSE_SANDBOX_TMP", DEFAULTS["tmp"]),
            # a sys.path entry that is the course folder itself would show it whole: left out
            expose=sorted(set([p for p in python_paths() if p != root] + shown)),
            etc_keep=etc_entries(),
            kernel_package=kernel_package,
            package_dir=package_dir,
        )


def package_folder() -> str | None:
    """The real folder of the installed ``dlcourse`` package (found, not imported)."""
    spec = importlib.util.find_spec("dlcourse")
    if spec is None or not spec.origin:
        return None
    return os.path.realpath(os.path.dirname(spec.origin))


def kernel_package_of(env) -> tuple[str | None, str | None]:
    """``(kernel build, real package folder)`` from ``DLCOURSE_KERNEL_PACKAGE``, or
    ``(None, None)`` when it is not set; ValueError when it names no kernel build or the
    package is not installed (the kernel is then not started: it would hold the real one)."""
    build = env.get("DLCOURSE_KERNEL_PACKAGE", "")
    if not build:
        return None, None
    if not os.path.isabs(build) or \
            not os.path.isfile(os.path.join(build, "_kernel_build.py")):
        raise ValueError("DLCOURSE_KERNEL_PACKAGE: expected the absolute path of a kernel "
                         f"build of dlcourse (holding _kernel_build.py), got {build!r}")
    real = package_folder()
    if real is None:
        raise ValueError("DLCOURSE_KERNEL_PACKAGE: the dlcourse package it stands in for is "
                         "not installed in this Python")
    return os.path.realpath(build), real


def python_paths() -> list:
    """Folders the kernel's Python needs to read (installation, venv, sys.path)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    # A sys.path entry that is a whole top-level folder (``/work`` when the grader was started
    # there with ``python -m``) or a source checkout (``python -m pytest`` in it) would undo
    # the cover: the kernel needs neither, and the packages' own folders are added below.
    paths.update(p for p in sys.path if p and os.path.isdir(p)
                 and os.path.dirname(os.path.realpath(p)) != "/"
                 and not os.path.isfile(os.path.join(p, "pyproject.toml")))
    # The two packages' own folders: an editable install is not on sys.path.
    paths.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # dlgrade
    teaching = importlib.util.find_spec("dlcourse")  # finds the folder without importing numpy
    if teaching is not None and teaching.origin:
        paths.add(os.path.dirname(teaching.origin))
    return sorted(os.path.realpath(p) for p in paths)


def allowed_env(env, names=KERNEL_ENV_NAMES, prefixes=KERNEL_ENV_PREFIXES) -> dict:
    """The variables of ``env`` named in ``names`` or starting with one of ``prefixes``,
    without secret-looking names and values that carry a credential (see
    :data:`CREDENTIAL_VALUE`)."""
    out = {}
    for key, value in env.items():
        upper = key.upper()
        if not (upper in names or upper.startswith(prefixes)):
            continue
        if any(m in upper for m in SECRET_ENV_MARKERS) or CREDENTIAL_VALUE.search(str(value)):
            continue
        out[key] = value
    return out


def launch_env(env) -> dict:
    """What the sandbox's launcher is given: the kernel's allowed variables and the launcher's
    own settings (:data:`LAUNCH_ENV_NAMES`), never a credential. The provisioner passes only
    this to the wrapper it execs and in each fork-server request, so no process a kernel
    descends from (or whose memory it is a copy of) holds the grader's secrets."""
    return allowed_env(env, KERNEL_ENV_NAMES + LAUNCH_ENV_NAMES,
                       KERNEL_ENV_PREFIXES + LAUNCH_ENV_PREFIXES)


def kernel_env(env) -> dict:
    """The environment a sandboxed kernel sees: the grader's allowed variables
    (:data:`KERNEL_ENV_NAMES`), home and temporary folders in the sandbox's /tmp."""
    out = allowed_env(env)
    out.update(
        HOME="/tmp/home", USER="student", LOGNAME="student", IPYTHONDIR="/tmp/home/.ipython",
        MPLCONFIGDIR="/tmp/home/.matplotlib", XDG_CACHE_HOME="/tmp/home/.cache",
        JUPYTER_RUNTIME_DIR="/tmp/home/.jupyter-runtime", TMPDIR="/tmp",
        # ipykernel watches JPY_PARENT_PID; as pid 1 of its namespace the kernel has no
        # parent to watch (it dies with its waiter), and 1 switches the watcher off.
        JPY_PARENT_PID="1",
    )
    return out
