"""The plain layout: a roster ``id,first_name,last_name,email`` (an ``lms_user_id`` column is
read too) and submissions named by the student id itself, as any LMS or a folder of files
can give them::

    alice_02_neuron.ipynb            (flat: <student>_<assignment>.ipynb, or <student>-...)
    alice/02_neuron.ipynb            (one folder per student)
    alice/02_neuron/02_neuron.ipynb  (nbgrader's own layout)

Its export is the course's own ``grades.csv`` (:mod:`dlgrade.report`), so it has no
``ExportPlugin``. Whether a name is a valid student id is :mod:`dlgrade.roster`'s to say.
"""

from __future__ import annotations

import re
from pathlib import Path

from .base import Lms


class PlainCsv(Lms):
    name = "csv"
    roster_layout = "plain"
    roster_example = "'id,first_name,last_name,email'"
    id_label = "student id"
    export_help = "the course's grades.csv"
    feedback_column = True  # grades.csv's status column says "needs manual grading"
    name_rank = 90

    def fits_roster(self, keys):
        return {"id", "firstname", "lastname"} <= set(keys)

    def roster_near_miss(self, header, keys):
        missing = [c for c, k in (("id", "id"), ("first_name", "firstname"),
                                  ("last_name", "lastname")) if k not in keys]
        if len(missing) < 3:
            return (f"roster: header {header!r} has no column {', '.join(missing)}; "
                    "expected 'id,first_name,last_name,email'")
        return None

    def roster_row(self, row):
        return {"id": (row.get("id") or "").strip(),
                "first_name": (row.get("firstname") or "").strip(),
                "last_name": (row.get("lastname") or "").strip(),
                "email": (row.get("email") or "").strip(),
                "lms_user_id": (row.get("lmsuserid") or "").strip()}

    def short_roster_row(self, cells, header):
        return len(cells) < len(header) and len(cells) < 3

    def student_of(self, path: Path, root: Path, assignment: str) -> str | None:
        """The student a file of this layout names (not yet checked as a student id), or
        ``None`` when its name fits none of the three patterns."""
        from nbgrader.plugins.zipcollect import FileNameCollectorPlugin

        rel = path.relative_to(root)
        if path.name == f"{assignment}.ipynb":
            parents = [p for p in rel.parts[:-1] if p != assignment]
            return parents[-1] if parents else None
        plugin = FileNameCollectorPlugin(
            named_regexp=rf".*/(?P<student_id>[^/]+?)[_-](?P<file_id>{re.escape(assignment)})"
                         r"\.ipynb$")
        gd = plugin.collect(str(path))
        return gd["student_id"] if gd else None


LMS = PlainCsv()
