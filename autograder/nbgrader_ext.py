"""Additions to stock nbgrader, named in ``nbgrader_config.py``.

:class:`OverwriteCellsKnowingHiddenTests` -- stock ``nbgrader autograde`` stores a locked
test cell's checksum *with* its hidden tests, while the student receives the cell
*without* them; so every untouched hidden-test cell is reported as changed ("Attribute
'checksum' for cell ... has changed!", nbgrader issue 1961) and real tampering drowns in
false alarms. This preprocessor accepts a cell whose checksum equals the released form of
the source cell (hidden tests cleared, checksum recomputed as ``generate_assignment`` does),
restores the source silently, and leaves every other case to stock nbgrader, which still
warns about, and repairs, a cell the student really changed.
"""

from __future__ import annotations

import copy

from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells


class OverwriteCellsKnowingHiddenTests(OverwriteCells):
    """``OverwriteCells`` that knows a released cell has its hidden tests cleared."""

    def _released_checksum(self, source_cell, cell) -> str | None:
        """The checksum of ``source_cell`` as released (hidden tests cleared), or None when
        the source cell has no hidden tests."""
        released = copy.deepcopy(cell)
        released.source = source_cell.source
        released.cell_type = source_cell.cell_type
        if not ClearHiddenTests(parent=self)._remove_hidden_test_region(released):
            return None
        return utils.compute_checksum(released)

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if (source_cell is not None and source_cell.locked and cell.cell_type == source_cell.cell_type
                    and utils.compute_checksum(cell) == self._released_checksum(source_cell, cell)):
                cell.source = source_cell.source  # the hidden tests come back, as stock does
        return super().preprocess_cell(cell, resources, cell_index)
