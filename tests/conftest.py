"""Fixtures shared by several test modules (pytest finds them here; nothing imports this file).

Helpers that are plain functions live in ``tests/submissions/`` and are imported as
``tests.submissions.<module>`` (pyproject.toml puts the repository root on sys.path once).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest


@pytest.fixture
def course_dir():
    """An empty course folder outside /tmp (the sandbox replaces /tmp wholesale), readable by
    others (mode 755) as a course folder usually is; removed afterwards."""
    base = "/srv" if os.access("/srv", os.W_OK) else None
    root = tempfile.mkdtemp(prefix="dlcourse-course-", dir=base)
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)
