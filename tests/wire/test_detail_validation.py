"""Validation at ingest (our extension): a bus can refuse entries whose detail breaks its contract."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from bus.engine.runtime import LocalBus
from bus.schemas import IngestValidator
from events.contracts import load_contracts

ROOT = Path(__file__).resolve().parents[2]
ORDER = json.loads((ROOT / "samples/events/order-placed-low-value.json").read_text())


def entry(detail: dict[str, Any], bus: str = "orders") -> dict[str, Any]:
    return {
        "Source": ORDER["source"],
        "DetailType": ORDER["detail-type"],
        "Detail": json.dumps(detail),
        "EventBusName": bus,
    }


def test_a_validated_bus_refuses_only_entries_that_break_their_contract(bus: LocalBus, events: Any) -> None:
    events.create_event_bus(Name="orders")
    events.create_event_bus(Name="loose")
    bus.engine.validate_details("orders", IngestValidator(load_contracts(ROOT / "events/schemas")).check)
    broken = copy.deepcopy(ORDER["detail"])
    del broken["data"]
    answer = events.put_events(Entries=[entry(ORDER["detail"]), entry(broken), entry(broken, bus="loose")])
    first, refused, elsewhere = answer["Entries"]
    assert answer["FailedEntryCount"] == 1
    assert "EventId" in first and "EventId" in elsewhere  # other buses are not validated: off by default
    assert refused["ErrorCode"] == "InvalidArgument"
    assert "data" in refused["ErrorMessage"] and "OrderPlaced" in refused["ErrorMessage"]
    assert bus.store.get_event(first["EventId"]) is not None


def test_turning_validation_off_accepts_anything_again(bus: LocalBus, events: Any) -> None:
    events.create_event_bus(Name="orders")
    bus.engine.validate_details("orders", lambda source, detail_type, detail: "never")
    assert events.put_events(Entries=[entry({})])["FailedEntryCount"] == 1
    bus.engine.validate_details("orders", None)
    assert events.put_events(Entries=[entry({})])["FailedEntryCount"] == 0
