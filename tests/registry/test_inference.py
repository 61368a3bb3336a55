"""The discovery rules in isolation: names, merging observations, rendering, Draft 4 export."""

from __future__ import annotations

import json
from typing import Any

from bus.registry import discovered_name, openapi_document, to_json_schema, type_name
from bus.registry._infer import MAX_DEPTH, MAX_PROPERTIES, new_observation, observe, render_document


def detail_component(*details: Any, detail_type: str = "Thing") -> dict[str, Any]:
    node = new_observation()
    for detail in details:
        observe(node, detail)
    doc = render_document("src", detail_type, node)
    components: dict[str, Any] = doc["components"]["schemas"]
    return components


def test_detail_type_normalisation() -> None:
    assert discovered_name("aws.ec2", "EC2 Instance State-change Notification") == (
        "aws.ec2@EC2InstanceStateChangeNotification"
    )
    assert type_name("Step Functions Execution Status Change") == "StepFunctionsExecutionStatusChange"
    assert type_name("order.placed") == "OrderPlaced"
    assert type_name("OrderPlaced") == "OrderPlaced"
    assert type_name("order_placed/v2") == "OrderPlacedV2"
    assert type_name("--") == "Event"
    assert discovered_name("my source/x", "a b") == "my_source_x@AB"


def test_required_optional_and_types() -> None:
    components = detail_component(
        {"id": "a", "n": 1, "ok": True, "maybe": None, "mixed": 1},
        {"id": "b", "n": 2.5, "ok": False, "maybe": "x", "mixed": "one", "extra": [1, 2]},
    )
    thing = components["Thing"]
    assert thing["required"] == ["id", "maybe", "mixed", "n", "ok"]
    assert thing["properties"] == {
        "extra": {"type": "array", "items": {"type": "integer"}},
        "id": {"type": "string"},
        "maybe": {"type": "string", "nullable": True},
        "mixed": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
        "n": {"type": "number"},
        "ok": {"type": "boolean"},
    }


def test_date_times_nested_objects_and_name_clashes() -> None:
    components = detail_component(
        {"at": "2026-01-01T00:00:00Z", "thing": {"at": "not a date"}, "items": [{"thing": {"x": 1}}, {}]},
        {"at": "2026-01-01T00:00:00.123+02:00", "thing": None, "items": []},
    )
    thing = components["Thing"]
    assert thing["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert thing["properties"]["thing"] == {
        "allOf": [{"$ref": "#/components/schemas/Thing3"}],
        "nullable": True,
    }
    assert components["Thing3"] == {
        "type": "object",
        "required": ["at"],
        "properties": {"at": {"type": "string"}},
    }
    assert components["ItemsItem"] == {
        "type": "object",
        "properties": {"thing": {"$ref": "#/components/schemas/Thing2"}},
    }
    assert list(components) == ["AWSEvent", "Thing", "ItemsItem", "Thing2", "Thing3"]


def test_same_observations_give_the_same_text_in_any_order() -> None:
    events = [
        {"source": "s", "detail-type": "T", "detail": {"b": 1, "a": {"y": 1, "x": 2}}},
        {"source": "s", "detail-type": "T", "detail": {"a": {"x": 3}, "c": "z"}},
    ]
    assert json.dumps(openapi_document(events)) == json.dumps(openapi_document(events[::-1]))


def test_depth_limit() -> None:
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH + 10):
        deep = {"d": deep}
    node = new_observation()
    observe(node, deep)  # no RecursionError; levels past the limit are ignored
    levels = 0
    while "props" in node:
        node = node["props"]["d"]
        levels += 1
    assert levels == MAX_DEPTH + 1


def test_export_of_a_nullable_reference() -> None:
    components = detail_component({"o": {"x": 1}}, {"o": None})
    doc = {"openapi": "3.0.0", "info": {"title": "Thing"}, "paths": {}, "components": {"schemas": components}}
    exported = json.loads(to_json_schema("OpenApi3", json.dumps(doc)))
    assert exported["definitions"]["Thing"]["properties"]["o"] == {
        "anyOf": [{"type": "null"}, {"allOf": [{"$ref": "#/definitions/O"}]}]
    }


def test_maps_keyed_by_ids_do_not_grow_the_observation() -> None:
    node = new_observation()
    for n in range(3):
        observe(node, {f"id-{n}-{k}": k for k in range(MAX_PROPERTIES)})
    assert len(node["props"]) == MAX_PROPERTIES
    assert sum(node["present"].values()) == MAX_PROPERTIES
