"""Put the original tests back into a submission before nbgrader grades it.

nbgrader's ``OverwriteCells`` restores the *source* of locked cells, but trusts the
submission's metadata: a test cell re-marked ``"grade": false`` is not graded (and, with
``add_missing_cells``, is added a second time), a test cell re-marked ``"solution": true``
makes nbgrader stop with "Inconsistent checksums", and a test cell turned into markdown keeps
its outputs dropped but not its place. :class:`RestoreTestCells` runs before
``OverwriteCells`` (see :data:`SANITIZE_PREPROCESSORS`) and rebuilds every locked cell of the
submission from the gradebook's copy: cell type, source and nbgrader metadata. Solution cells
keep the student's source but get their original metadata back. Cells claiming an id that the
assignment does not have lose their nbgrader metadata, so they run as ordinary cells.
Deleted cells are re-added by nbgrader itself (``OverwriteCells.add_missing_cells``).

To protect plain ``nbgrader autograde`` as well, put this in ``nbgrader_config.py``::

    from dlgrade.sanitize import SANITIZE_PREPROCESSORS
    c.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
)

from .feedback import hidden_line_numbers
from .prefetch import release_cells_at_once
from .printable import printable
from .safe_files import RefuseUnsafeSubmissions


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _without_hidden(source: str) -> str:
    """What the release shows of a test cell: hidden-test regions removed."""
    hidden = hidden_line_numbers(source)
    return "\n".join(ln for k, ln in enumerate(source.splitlines(), 1) if k not in hidden)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


class RestoreTestCells(NbGraderPreprocessor):
    """Rebuild locked cells (tests, provided code) of a submission from the gradebook.

    The changes made are recorded in ``resources["dlcourse_restored"]`` as
    ``(grade_id, what)`` pairs and logged as warnings.
    """

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources["nbgrader"]
        restored = resources.setdefault("dlcourse_restored", [])
        with Gradebook(info["db_url"]) as gb:
            try:
                source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                return nb, resources
            sources = {c.name: c for c in source_nb.source_cells}
            grades = {c.name: c for c in source_nb.grade_cells}
            solutions = {c.name for c in source_nb.solution_cells}
            tasks = {c.name for c in source_nb.task_cells}

            # nbgrader keeps the last of several cells sharing an id: do the same
            last = {}
            for i, cell in enumerate(nb.cells):
                gid = _meta(cell).get("grade_id")
                if gid is not None:
                    last[gid] = i
            for i, cell in enumerate(nb.cells):
                meta = _meta(cell)
                gid = meta.get("grade_id")
                if gid is None:
                    continue
                if gid not in sources or last[gid] != i:
                    cell.metadata["nbgrader"] = {}
                    why = "unknown cell id" if gid not in sources else "duplicate cell id"
                    restored.append((gid, why))
                    continue
                nb.cells[i] = self._rebuild(cell, sources[gid], grades.get(gid),
                                            gid in solutions, gid in tasks, restored)
        for gid, what in restored:
            # the id is the submission's own (student-derived): shown escaped
            self.log.warning("Restored cell %s of the submission: %s", printable(gid), what)
        return nb, resources

    def _rebuild(self, cell, source, grade, is_solution, is_task, restored):
        want = {
            "grade": grade is not None,
            "solution": bool(is_solution),
            "locked": bool(source.locked),
            "grade_id": source.name,
            "schema_version": 3,
        }
        if grade is not None:
            want["points"] = float(grade.max_score)
        if is_task:
            want["task"] = True
        have = _meta(cell)
        changed = [k for k, v in want.items() if k != "schema_version" and have.get(k) != v
                   and not (k == "points" and have.get(k) is not None
                            and float(have.get(k)) == v)]
        if cell.get("cell_type") != source.cell_type:
            changed.append("cell_type")
        locked = source.locked and not is_solution
        text = cell.get("source", "")
        if locked and _norm(text) != _norm(_without_hidden(source.source)):
            changed.append("source")
        if not changed:
            return cell
        restored.append((source.name, "restored " + ", ".join(changed)))
        new = {
            "cell_type": source.cell_type,
            "metadata": dict(cell.get("metadata", {})),
            "source": source.source if locked else text,
        }
        if "id" in cell:
            new["id"] = cell["id"]
        new["metadata"]["nbgrader"] = want
        if source.cell_type == "code":
            new["outputs"] = []
            new["execution_count"] = None
        return from_dict(new)


class OverwriteCellsAtOnce(OverwriteCells):
    """nbgrader's ``OverwriteCells`` with the released notebook's cells read in one load
    (:func:`dlgrade.prefetch.release_cells_at_once`), not one query or two per cell."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook, release_cells_at_once(self.gradebook, self.notebook_id,
                                                   self.assignment_id):
            # OverwriteCells.preprocess's steps (it would open a Gradebook of its own)
            nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


#: nbgrader's sanitizing steps with :class:`RestoreTestCells` in front of ``OverwriteCells``.
SANITIZE_PREPROCESSORS = [
    RefuseUnsafeSubmissions,  # no code runs while the folder holds a link, pipe, device, ...
    ClearOutput,
    DeduplicateIds,
    RestoreTestCells,
    OverwriteKernelspec,
    OverwriteCellsAtOnce,
    CheckCellMetadata,
]
