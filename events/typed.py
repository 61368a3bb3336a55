"""Parse a delivered event into the generated model of its contract version.

A consumer usually knows its model (``order_placed_v1_1.AWSEvent.model_validate(event)``); generic
code (the demo, tests, a debugging consumer) does not, and picks it from the event itself: source,
detail-type and ``detail.metadata.schema-version``. An unknown minor version of a known major
version is read with the newest model of that major (minor versions only add), which is how a
consumer keeps working while a producer rolls out 1.2 before the models are regenerated::

    event = parse_event(json.loads(sqs_body))  # e.g. an OrderPlaced 1.1 AWSEvent
    event.detail.data.total
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from events.models import MODULES

__all__ = ["UnknownContract", "model_for", "parse_event"]


class UnknownContract(LookupError):
    """No generated model for this source, detail-type and schema version."""


def model_for(source: str, detail_type: str, schema_version: str) -> type[BaseModel]:
    """The ``AWSEvent`` class for a version: the exact one, else the newest minor of its major."""
    dotted = MODULES.get((source, detail_type, schema_version))
    if dotted is None:
        major = schema_version.split(".", 1)[0]
        same_major = sorted(
            (tuple(int(part) for part in version.split(".")), module)
            for (s, d, version), module in MODULES.items()
            if s == source and d == detail_type and version.split(".", 1)[0] == major
        )
        if not same_major:
            raise UnknownContract(f"no model for {source} {detail_type} {schema_version}")
        dotted = same_major[-1][1]
    model: type[BaseModel] = importlib.import_module(dotted).AWSEvent
    return model


def parse_event(event: Mapping[str, Any] | str | bytes) -> BaseModel:
    """Validate a whole EventBridge event (as a target receives it) into its typed ``AWSEvent``."""
    raw: Any = json.loads(event) if isinstance(event, str | bytes) else event
    if not isinstance(raw, Mapping):
        raise UnknownContract("an event is a JSON object")
    detail = raw.get("detail")
    metadata = detail.get("metadata") if isinstance(detail, Mapping) else None
    version = metadata.get("schema-version") if isinstance(metadata, Mapping) else None
    if not isinstance(version, str):
        raise UnknownContract("the event's detail has no metadata.schema-version")
    return model_for(str(raw.get("source")), str(raw.get("detail-type")), version).model_validate(raw)
