"""Reports checked against their JSON schema (ir_vpc_guard/delivery/report.schema.json)."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema

from ir_vpc_guard.delivery.report import load_schema


def validate_report(report: Any) -> None:
    """`jsonschema.validate(report, load_schema())`, less its check of the schema against
    the metaschema at every call (most of the time a report test took): that runs once."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(report))
    if error is not None:
        raise error


@functools.cache
def _validator() -> Any:
    schema = load_schema()
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)
