"""From a generated ``...Data`` model to a PutEvents entry, metadata filled by the convention.

The contract is read from the module the model was generated into (``SOURCE``, ``DETAIL_TYPE``,
``SCHEMA_VERSION``, ``Detail``, ``Metadata``), so choosing the model class *is* choosing the
contract version: ``order_placed_v1_1.OrderPlacedData`` publishes OrderPlaced 1.1.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel

from bus.producer._context import EventContext
from bus.producer._trace import current_trace_header
from bus.producer.errors import NotAContract

__all__ = ["Contract", "build_entry", "contract_of", "derive_idempotency_key"]


@dataclass(frozen=True, slots=True)
class Contract:
    source: str
    detail_type: str
    schema_version: str
    detail: type[BaseModel]
    metadata: type[BaseModel]


@cache
def contract_of(model: type[BaseModel]) -> Contract:
    """The contract whose ``detail.data`` is ``model``; ``NotAContract`` for anything else."""
    module = sys.modules.get(model.__module__)
    names = ("SOURCE", "DETAIL_TYPE", "SCHEMA_VERSION", "Detail", "Metadata")
    found = {name: getattr(module, name, None) for name in names}
    detail, metadata = found["Detail"], found["Metadata"]
    if not (
        all(isinstance(found[name], str) for name in names[:3])
        and isinstance(detail, type)
        and issubclass(detail, BaseModel)
        and isinstance(metadata, type)
        and issubclass(metadata, BaseModel)
        and "data" in detail.model_fields
        and detail.model_fields["data"].annotation is model
    ):
        raise NotAContract(
            f"{model.__module__}.{model.__qualname__} is not the data model of a generated event contract"
        )
    return Contract(
        source=str(found["SOURCE"]),
        detail_type=str(found["DETAIL_TYPE"]),
        schema_version=str(found["SCHEMA_VERSION"]),
        detail=detail,
        metadata=metadata,
    )


def derive_idempotency_key(contract: Contract, data: BaseModel, caused_by: EventContext) -> str:
    """Same cause, same contract version, same data: same key, however often the producer retries.

    The upstream idempotency key (not the upstream event id) is the cause, so a duplicate of the
    upstream event (a producer's retried PutEvents gets a new id) still derives the same key here.
    """
    canonical = json.dumps(
        data.model_dump(mode="json", by_alias=True, exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    parts = (
        caused_by.idempotency_key or "",
        contract.source,
        contract.detail_type,
        contract.schema_version,
        canonical,
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def build_entry(
    data: BaseModel,
    *,
    event_bus_name: str,
    caused_by: EventContext,
    idempotency_key: str | None = None,
    resources: Sequence[str] = (),
    time: datetime | None = None,
) -> dict[str, Any]:
    """The PutEvents entry for ``data`` published because of ``caused_by``."""
    contract = contract_of(type(data))
    metadata = contract.metadata.model_validate(
        {
            "schema-version": contract.schema_version,
            "correlation-id": caused_by.correlation_id,
            "causation-id": caused_by.causation_id,
            "idempotency-key": idempotency_key or derive_idempotency_key(contract, data, caused_by),
            "call-chain-length": caused_by.call_chain_length + 1,
            "debug-log-enabled": caused_by.debug_log_enabled,
        }
    )
    detail = contract.detail.model_validate({"metadata": metadata, "data": data})
    entry: dict[str, Any] = {
        "Source": contract.source,
        "DetailType": contract.detail_type,
        "Detail": detail.model_dump_json(by_alias=True, exclude_none=True),
        "EventBusName": event_bus_name,
    }
    if resources:
        entry["Resources"] = list(resources)
    if time is not None:
        entry["Time"] = time
    trace = current_trace_header() or caused_by.trace_header
    if trace:
        entry["TraceHeader"] = trace
    return entry
