#!/usr/bin/env bash
# Run the sandbox's isolation and hostile-batch tests as an unprivileged user (rootless mode).
#
# Needs root (CI runs as root): creates the user, gives it an interpreter it can run and a
# venv, then runs pytest as that user. The project's interpreter may live where other users
# cannot enter (pyenv under /root, mode 0700); /root stays as it is: the interpreter's folder
# is copied (without its site-packages) into a folder the user owns, and run with
# LD_LIBRARY_PATH on the copy's lib/. The venv built from it reads the packages of the
# project's .venv (world-readable, inside the checkout) through a .pth file: offline, and
# seconds instead of a reinstall.
#
#   scripts/test_rootless.sh [pytest arguments]     (default: the isolation and hostile tests,
#                                                    with TEST_WORKERS=N on N pytest-xdist workers)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
USER_NAME=${DLCOURSE_ROOTLESS_USER:-dlgrader}
BASE=${DLCOURSE_ROOTLESS_DIR:-/srv/dlcourse-rootless}
MAIN_PY=$REPO/.venv/bin/python

if [ "$(id -u)" != 0 ]; then
  echo "scripts/test_rootless.sh: run as root (it creates the user $USER_NAME)" >&2; exit 2
fi
id "$USER_NAME" >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin "$USER_NAME"
HOME_DIR=$(getent passwd "$USER_NAME" | cut -d: -f6)
mkdir -p "$BASE"
chown "$USER_NAME:" "$BASE"

as_user() { runuser -u "$USER_NAME" -- env -i HOME="$HOME_DIR" USER="$USER_NAME" \
  LANG=C.UTF-8 PATH="$BASE/venv/bin:/usr/bin:/bin" LD_LIBRARY_PATH="$BASE/python/lib" "$@"; }

# 1. The interpreter, copied once per version (stamp: its path and version).
SRC=$("$MAIN_PY" -c 'import sys; print(sys.base_prefix)')
STAMP="$SRC $("$MAIN_PY" -c 'import sys; print(sys.version.split()[0])')"
if [ "$(cat "$BASE/python/.stamp" 2>/dev/null)" != "$STAMP" ]; then
  rm -rf "$BASE/python" "$BASE/venv"
  mkdir -p "$BASE/python"
  tar -C "$SRC" --exclude='lib/python3*/site-packages/*' --exclude='lib/python3*/test' \
      --exclude='__pycache__' -cf - bin lib include 2>/dev/null | tar -C "$BASE/python" -xf -
  echo "$STAMP" > "$BASE/python/.stamp"
  chown -R "$USER_NAME:" "$BASE/python"
fi
PYVER=$("$MAIN_PY" -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')

# 2. The checkout and its packages must be readable by the user. A clone inside a folder the
#    user cannot enter (e.g. under /root) is copied: the tracked files plus what the build made
#    (exercises/ is tracked), and the .venv's packages; PYTHONPATH then finds the copy's
#    dlcourse/dlgrade before the editable install's paths.
SITE=$("$MAIN_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
EXTRA_ENV=()
if ! runuser -u "$USER_NAME" -- test -r "$REPO/pyproject.toml" -a -r "$SITE"; then
  echo "test_rootless.sh: $REPO is not readable by $USER_NAME: testing a copy in $BASE/src"
  rm -rf "$BASE/src" "$BASE/site"
  mkdir -p "$BASE/src"
  git -C "$REPO" ls-files -z --cached --others --exclude-standard \
    | (cd "$REPO" && tar --null -T - -cf -) | tar -C "$BASE/src" -xf -
  cp -a "$SITE" "$BASE/site"
  chown -R "$USER_NAME:" "$BASE/src" "$BASE/site"
  REPO=$BASE/src
  SITE=$BASE/site
  EXTRA_ENV=(PYTHONPATH="$BASE/src")
fi

# 3. The venv: the copy's interpreter, the project's packages (read-only) through a .pth file.
if [ ! -x "$BASE/venv/bin/python" ]; then
  as_user "$BASE/python/bin/$PYVER" -m venv --without-pip "$BASE/venv"
fi
echo "import site; site.addsitedir('$SITE')" > "$BASE/venv/lib/$PYVER/site-packages/project-venv.pth"
# console scripts (nbgrader, jupyter, alembic, ...) with the new interpreter in their #! line
for script in "$(dirname "$MAIN_PY")"/*; do
  name=$(basename "$script")
  case $name in python*|activate*|pip*) continue ;; esac
  if head -c 2 "$script" | grep -q '#!' && head -1 "$script" | grep -q python; then
    { echo "#!$BASE/venv/bin/python"; tail -n +2 "$script"; } > "$BASE/venv/bin/$name"
    chmod 755 "$BASE/venv/bin/$name"
  fi
done
# the data files of Jupyter (nbconvert's templates, the kernelspecs) beside the new venv
rm -rf "$BASE/venv/share/jupyter"
mkdir -p "$BASE/venv/share"
cp -a "$(dirname "$(dirname "$MAIN_PY")")/share/jupyter" "$BASE/venv/share/jupyter"
chown -R "$USER_NAME:" "$BASE/venv"
mkdir -p "$BASE/courses" && chown "$USER_NAME:" "$BASE/courses"

# 4. The tests, as the user, in rootless mode (the sandbox picks it: the grader is not root).
if [ $# -eq 0 ]; then
  set -- tests/test_isolation.py tests/test_sandbox.py tests/test_rootless.py tests/test_grading.py \
    tests/test_hostile_files.py tests/test_hostile_files_nbgrader.py tests/test_kernel_environment.py
  # in parallel like the main run (pytest-xdist; tests/conftest.py groups what must stay together)
  if [ "${TEST_WORKERS:-0}" -gt 1 ]; then set -- -n "$TEST_WORKERS" "$@"; fi
fi
cd "$REPO"
as_user DLCOURSE_TEST_COURSE_BASE="$BASE/courses" "${EXTRA_ENV[@]}" \
  "$BASE/venv/bin/python" -m pytest -p no:cacheprovider -q "$@"
