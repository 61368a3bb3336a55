"""Validation of event details at ingest, against the contracts (our extension: AWS has none).

The engine asks ``IngestValidator.check`` once per PutEvents entry on a bus that has validation
turned on; a message means the entry is rejected with that message, the others go through
(partial failure is data, as in PutEvents itself). Events nobody has a contract for pass: the
validator judges only what a contract speaks about.

    validator = IngestValidator(load_contracts())
    validator.check("com.choreo.orders", "OrderPlaced", {"metadata": {...}, "data": {"total": "x"}})
    # 'detail does not match com.choreo.orders@OrderPlaced 1.1: data.total: 'x' is not of type 'number''
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft4Validator

from events.contracts import Contract, detail_validator

__all__ = ["ERROR_CODE", "IngestValidator"]

ERROR_CODE = "InvalidArgument"  # the PutEvents entry error code AWS uses for a detail it refuses
_MAX_ERRORS = 3


class IngestValidator:
    def __init__(self, contracts: Iterable[Contract]) -> None:
        self._contracts = {(c.source, c.detail_type): c for c in contracts}
        self._validators: dict[tuple[str, str], Draft4Validator] = {}

    def check(self, source: str, detail_type: str, detail: Any) -> str | None:
        """None if the detail satisfies its contract (or has none), else why not, for the entry."""
        contract = self._contracts.get((source, detail_type))
        if contract is None:
            return None
        metadata = detail.get("metadata") if isinstance(detail, Mapping) else None
        version = metadata.get("schema-version") if isinstance(metadata, Mapping) else None
        if not isinstance(version, str):
            return f"detail.metadata.schema-version is required by contract {contract.name}"
        major = version.split(".", 1)[0]
        exact = [v for v in contract.versions if v.version == version]
        same_major = [v for v in contract.versions if str(v.major) == major]
        candidates = exact or same_major
        if not candidates:
            known = ", ".join(v.version for v in contract.versions)
            return f"{contract.name} has no version {version} (known: {known})"
        chosen = candidates[-1]
        key = (contract.name, chosen.version)
        if key not in self._validators:
            self._validators[key] = detail_validator(chosen.document())
        errors = sorted(
            self._validators[key].iter_errors(detail), key=lambda e: [str(p) for p in e.absolute_path]
        )
        if not errors:
            return None
        shown = "; ".join(
            f"{'.'.join(str(p) for p in e.absolute_path) or '(detail)'}: {e.message}"
            for e in errors[:_MAX_ERRORS]
        )
        more = f" (+{len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
        return f"detail does not match {contract.name} {chosen.version}: {shown}{more}"
