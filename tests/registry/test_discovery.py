"""Discoverers through boto3 ``schemas``, and discovery fed by events put through boto3 ``events``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.registry.conftest import eventually

EC2 = "acme.ec2@EC2InstanceStateChangeNotification"  # AWS refuses aws.* sources in PutEvents


def put(events: Any, source: str, detail_type: str, *details: dict[str, Any], bus: str = "default") -> None:
    entries = [
        {"Source": source, "DetailType": detail_type, "Detail": json.dumps(d), "EventBusName": bus}
        for d in details
    ]
    for start in range(0, len(entries), 10):
        assert events.put_events(Entries=entries[start : start + 10])["FailedEntryCount"] == 0


def version_count(schemas: Any, name: str) -> int | None:
    try:
        found = schemas.list_schema_versions(RegistryName="discovered-schemas", SchemaName=name)
    except schemas.exceptions.NotFoundException:
        return None
    return len(found["SchemaVersions"])


def wait_versions(schemas: Any, name: str, count: int) -> dict[str, Any]:
    """The component of ``name``'s latest discovered document once it has ``count`` versions."""
    eventually(lambda: True if version_count(schemas, name) == count else None)
    content = schemas.describe_schema(RegistryName="discovered-schemas", SchemaName=name)["Content"]
    doc: dict[str, Any] = json.loads(content)
    return doc


def test_discoverer_lifecycle(schemas: Any, events: Any) -> None:
    bus_arn = events.create_event_bus(Name="orders")["EventBusArn"]
    made = schemas.create_discoverer(SourceArn=bus_arn, Description="orders bus", Tags={"t": "1"})
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (made["DiscovererId"], made["State"], made["SourceArn"], made["CrossAccount"]) == (
        "events-event-bus-orders",
        "STARTED",
        bus_arn,
        True,
    )
    assert (
        made["DiscovererArn"] == "arn:aws:schemas:us-east-1:123456789012:discoverer/events-event-bus-orders"
    )
    with pytest.raises(schemas.exceptions.ConflictException):
        schemas.create_discoverer(SourceArn=bus_arn)
    with pytest.raises(schemas.exceptions.BadRequestException):
        schemas.create_discoverer(SourceArn="arn:aws:events:us-east-1:123456789012:event-bus/missing")
    with pytest.raises(schemas.exceptions.BadRequestException):
        schemas.create_discoverer(SourceArn="arn:aws:sqs:us-east-1:123456789012:queue")

    default = schemas.create_discoverer(SourceArn=events.describe_event_bus()["Arn"])["DiscovererId"]
    assert default == "events-event-bus-default"
    listed = schemas.list_discoverers(Limit=1)
    assert [d["DiscovererId"] for d in listed["Discoverers"]] == ["events-event-bus-default"]
    more = schemas.list_discoverers(Limit=1, NextToken=listed["NextToken"])
    assert [d["DiscovererId"] for d in more["Discoverers"]] == ["events-event-bus-orders"]
    assert [d["DiscovererId"] for d in schemas.list_discoverers(SourceArnPrefix=bus_arn)["Discoverers"]] == [
        "events-event-bus-orders"
    ]
    assert len(schemas.list_discoverers(DiscovererIdPrefix="events-event-bus-o")["Discoverers"]) == 1

    stopped = schemas.stop_discoverer(DiscovererId="events-event-bus-orders")
    assert (stopped["DiscovererId"], stopped["State"]) == ("events-event-bus-orders", "STOPPED")
    assert schemas.describe_discoverer(DiscovererId="events-event-bus-orders")["State"] == "STOPPED"
    assert schemas.start_discoverer(DiscovererId="events-event-bus-orders")["State"] == "STARTED"
    updated = schemas.update_discoverer(
        DiscovererId="events-event-bus-orders", Description="d", CrossAccount=False
    )
    assert (updated["Description"], updated["CrossAccount"], updated["Tags"]) == ("d", False, {"t": "1"})

    schemas.delete_discoverer(DiscovererId="events-event-bus-orders")
    for call in (schemas.describe_discoverer, schemas.start_discoverer, schemas.delete_discoverer):
        with pytest.raises(schemas.exceptions.NotFoundException):
            call(DiscovererId="events-event-bus-orders")


def test_discovery_names_merges_and_versions(schemas: Any, events: Any) -> None:
    schemas.create_discoverer(SourceArn=events.describe_event_bus()["Arn"])
    detail_type = "EC2 Instance State-change Notification"
    put(events, "acme.ec2", detail_type, {"instance-id": "i-1", "state": "running"})
    doc = wait_versions(schemas, EC2, 1)
    envelope = doc["components"]["schemas"]["AWSEvent"]
    assert envelope["x-amazon-events-source"] == "acme.ec2"
    assert envelope["x-amazon-events-detail-type"] == detail_type
    assert envelope["properties"]["detail"] == {
        "$ref": "#/components/schemas/EC2InstanceStateChangeNotification"
    }
    assert doc["info"]["title"] == "EC2InstanceStateChangeNotification"
    detail = doc["components"]["schemas"]["EC2InstanceStateChangeNotification"]
    assert detail["required"] == ["instance-id", "state"]

    # the same shape again: no new version
    put(events, "acme.ec2", detail_type, {"instance-id": "i-2", "state": "stopped"})
    # a new optional field, a nested object and an array of objects: version 2
    put(
        events,
        "acme.ec2",
        detail_type,
        {
            "instance-id": "i-3",
            "state": "running",
            "tags": [{"key": "a", "value": 1}],
            "placement": {"az": "b"},
        },
    )
    doc = wait_versions(schemas, EC2, 2)
    components = doc["components"]["schemas"]
    detail = components["EC2InstanceStateChangeNotification"]
    assert detail["required"] == ["instance-id", "state"]  # tags and placement were not always there
    assert detail["properties"]["tags"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/TagsItem"},
    }
    assert detail["properties"]["placement"] == {"$ref": "#/components/schemas/Placement"}
    assert components["TagsItem"]["properties"] == {"key": {"type": "string"}, "value": {"type": "integer"}}
    assert components["Placement"] == {
        "type": "object",
        "required": ["az"],
        "properties": {"az": {"type": "string"}},
    }

    # a field seen as integer then as a fraction becomes a number: version 3
    put(
        events,
        "acme.ec2",
        detail_type,
        {"instance-id": "i-4", "state": "x", "tags": [{"key": "b", "value": 1.5}]},
    )
    doc = wait_versions(schemas, EC2, 3)
    assert doc["components"]["schemas"]["TagsItem"]["properties"]["value"] == {"type": "number"}


def test_discovery_follows_the_discoverer_state(schemas: Any, events: Any) -> None:
    bus_arn = events.create_event_bus(Name="watched")["EventBusArn"]
    # no discoverer yet: nothing is inferred
    put(events, "shop", "Order Placed", {"id": "1"}, bus="watched")
    schemas.create_discoverer(SourceArn=bus_arn)
    schemas.stop_discoverer(DiscovererId="events-event-bus-watched")
    put(events, "shop", "Order Placed", {"id": "2"}, bus="watched")
    schemas.start_discoverer(DiscovererId="events-event-bus-watched")
    put(events, "shop", "Order Placed", {"id": "3", "total": 9}, bus="watched")
    doc = wait_versions(schemas, "shop@OrderPlaced", 1)
    # only the event put while started was seen: total is required
    assert doc["components"]["schemas"]["OrderPlaced"]["required"] == ["id", "total"]
    # another bus without a discoverer is not watched
    put(events, "shop", "Order Refunded", {"id": "4"})
    put(events, "shop", "Order Placed", {"id": "5"}, bus="watched")
    doc = wait_versions(schemas, "shop@OrderPlaced", 2)
    assert doc["components"]["schemas"]["OrderPlaced"]["required"] == ["id"]
    assert version_count(schemas, "shop@OrderRefunded") is None


def test_get_discovered_schema(schemas: Any) -> None:
    sample = {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "012345678912",
        "time": "2019-02-26T19:42:21Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"name": "run", "status": "FAILED", "startDate": 1551225146847, "output": None},
    }
    content = schemas.get_discovered_schema(Events=[json.dumps(sample)], Type="OpenApi3")["Content"]
    doc = json.loads(content)
    assert doc["info"]["title"] == "StepFunctionsExecutionStatusChange"
    detail = doc["components"]["schemas"]["StepFunctionsExecutionStatusChange"]
    assert detail["properties"]["startDate"] == {"type": "integer"}
    assert detail["properties"]["output"] == {}
    draft4 = json.loads(
        schemas.get_discovered_schema(Events=[json.dumps(sample)], Type="JSONSchemaDraft4")["Content"]
    )
    assert draft4["definitions"]["StepFunctionsExecutionStatusChange"]["required"] == [
        "name",
        "output",
        "startDate",
        "status",
    ]
    other = {**sample, "detail-type": "Something Else"}
    with pytest.raises(schemas.exceptions.BadRequestException):
        schemas.get_discovered_schema(Events=[json.dumps(sample), json.dumps(other)], Type="OpenApi3")
    with pytest.raises(schemas.exceptions.BadRequestException):
        schemas.get_discovered_schema(Events=["not json"], Type="OpenApi3")
