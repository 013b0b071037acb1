"""Work nbgrader repeats for every student that gives the same answer each time, done once.

nbgrader checks the ``nbgrader`` metadata of every cell with ``jsonschema.validate(metadata,
schema)``, which first checks the *schema* itself against JSON Schema's meta-schema and builds
a new validator: about 30 times per student of 02_neuron, some 0.1 s of CPU per student in a
grading process. :func:`share_metadata_validators` keeps one validator per schema; a cell's
metadata is judged exactly as before (the same errors, the same "best match" raised).
"""

from __future__ import annotations

import json

__all__ = ["share_metadata_validators"]


def share_metadata_validators() -> None:
    """Make nbgrader's cell-metadata check reuse one checked validator per schema (for the
    whole process; calling it again changes nothing)."""
    # jsonschema and nbgrader take seconds to import; the grading process needs them anyway,
    # a module that only names this function does not
    import jsonschema
    from nbgrader.nbgraderformat import common

    if getattr(common.jsonschema, "dlcourse_shared", False):
        return
    validators: dict = {}

    def validate(instance, schema):
        # by content: nbgrader reads the schema file again for each of its validators
        key = json.dumps(schema, sort_keys=True)
        if key not in validators:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validators[key] = cls(schema)
        error = jsonschema.exceptions.best_match(validators[key].iter_errors(instance))
        if error is not None:
            raise error

    class _Jsonschema:
        """``jsonschema`` as nbgrader's metadata module sees it, with the shared ``validate``."""

        dlcourse_shared = True

        def __getattr__(self, name):
            return getattr(jsonschema, name)

    shim = _Jsonschema()
    shim.validate = validate
    common.jsonschema = shim
