"""Schemas and versions through boto3's ``schemas`` client: numbering, listing, search, export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.registry.conftest import openapi

PLACED_V1 = openapi("OrderPlaced", {"id": {"type": "string"}}, ["id"])
PLACED_V2 = openapi("OrderPlaced", {"id": {"type": "string"}, "total": {"type": "number"}}, ["id"])
PLACED_V3 = openapi("OrderPlaced", {"id": {"type": "string"}, "total": {"type": "integer"}}, ["id"])


@pytest.fixture
def orders(schemas: Any) -> Any:
    schemas.create_registry(RegistryName="orders")
    return schemas


def versions_of(schemas: Any, name: str, registry: str = "orders") -> list[str]:
    found = schemas.list_schema_versions(RegistryName=registry, SchemaName=name)["SchemaVersions"]
    return [v["SchemaVersion"] for v in found]


def test_versions_are_numbered_as_on_aws(orders: Any) -> None:
    made = orders.create_schema(
        RegistryName="orders",
        SchemaName="OrderPlaced",
        Type="OpenApi3",
        Content=PLACED_V1,
        Description="placed",
    )
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (made["SchemaVersion"], made["Type"], made["Description"]) == ("1", "OpenApi3", "placed")
    assert made["SchemaArn"] == "arn:aws:schemas:us-east-1:123456789012:schema/orders/OrderPlaced"

    updated = orders.update_schema(RegistryName="orders", SchemaName="OrderPlaced", Content=PLACED_V2)
    assert updated["SchemaVersion"] == "2"
    # the same content again (even reformatted) adds no version
    same = orders.update_schema(
        RegistryName="orders", SchemaName="OrderPlaced", Content=json.dumps(json.loads(PLACED_V2), indent=4)
    )
    assert same["SchemaVersion"] == "2"
    # a new description alone is no new version either
    described = orders.update_schema(RegistryName="orders", SchemaName="OrderPlaced", Description="v2")
    assert (described["SchemaVersion"], described["Description"]) == ("2", "v2")
    assert (
        orders.update_schema(RegistryName="orders", SchemaName="OrderPlaced", Content=PLACED_V3)[
            "SchemaVersion"
        ]
        == "3"
    )
    assert versions_of(orders, "OrderPlaced") == ["1", "2", "3"]

    latest = orders.describe_schema(RegistryName="orders", SchemaName="OrderPlaced")
    assert (latest["SchemaVersion"], latest["Content"], latest["Description"]) == ("3", PLACED_V3, "v2")
    first = orders.describe_schema(RegistryName="orders", SchemaName="OrderPlaced", SchemaVersion="1")
    assert (first["SchemaVersion"], first["Content"]) == ("1", PLACED_V1)

    # numbers are never reused: after deleting the latest, the next version is 4
    deleted = orders.delete_schema_version(RegistryName="orders", SchemaName="OrderPlaced", SchemaVersion="3")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert orders.describe_schema(RegistryName="orders", SchemaName="OrderPlaced")["SchemaVersion"] == "2"
    assert (
        orders.update_schema(RegistryName="orders", SchemaName="OrderPlaced", Content=PLACED_V3)[
            "SchemaVersion"
        ]
        == "4"
    )
    assert versions_of(orders, "OrderPlaced") == ["1", "2", "4"]
    with pytest.raises(orders.exceptions.NotFoundException):
        orders.describe_schema(RegistryName="orders", SchemaName="OrderPlaced", SchemaVersion="3")


def test_schema_errors(orders: Any) -> None:
    orders.create_schema(RegistryName="orders", SchemaName="OrderPlaced", Type="OpenApi3", Content=PLACED_V1)
    with pytest.raises(orders.exceptions.ConflictException):
        orders.create_schema(
            RegistryName="orders", SchemaName="OrderPlaced", Type="OpenApi3", Content=PLACED_V1
        )
    for content, kind in (
        ("{not json", "OpenApi3"),
        ('{"type": "object"}', "OpenApi3"),
        ("[]", "JSONSchemaDraft4"),
    ):
        with pytest.raises(orders.exceptions.BadRequestException):
            orders.create_schema(RegistryName="orders", SchemaName="Bad", Type=kind, Content=content)
    with pytest.raises(orders.exceptions.BadRequestException):
        orders.create_schema(RegistryName="orders", SchemaName="Bad", Type="Avro", Content=PLACED_V1)
    with pytest.raises(orders.exceptions.NotFoundException):
        orders.create_schema(RegistryName="nope", SchemaName="X", Type="OpenApi3", Content=PLACED_V1)
    with pytest.raises(orders.exceptions.NotFoundException):
        orders.describe_schema(RegistryName="orders", SchemaName="Missing")
    with pytest.raises(orders.exceptions.NotFoundException):
        orders.describe_schema(RegistryName="orders", SchemaName="OrderPlaced", SchemaVersion="latest")
    with pytest.raises(orders.exceptions.NotFoundException):
        orders.update_schema(RegistryName="orders", SchemaName="Missing", Content=PLACED_V1)
    with pytest.raises(orders.exceptions.BadRequestException):  # the only version: DeleteSchema instead
        orders.delete_schema_version(RegistryName="orders", SchemaName="OrderPlaced", SchemaVersion="1")


def test_list_search_and_delete(orders: Any) -> None:
    for name in ("OrderCancelled", "OrderPlaced", "OrderShipped", "PaymentTaken"):
        orders.create_schema(
            RegistryName="orders", SchemaName=name, Type="OpenApi3", Content=openapi(name, {})
        )
    orders.update_schema(RegistryName="orders", SchemaName="OrderPlaced", Content=PLACED_V2)

    listed = orders.list_schemas(RegistryName="orders", SchemaNamePrefix="Order", Limit=2)
    assert [(s["SchemaName"], s["VersionCount"]) for s in listed["Schemas"]] == [
        ("OrderCancelled", 1),
        ("OrderPlaced", 2),
    ]
    rest = orders.list_schemas(RegistryName="orders", SchemaNamePrefix="Order", NextToken=listed["NextToken"])
    assert [s["SchemaName"] for s in rest["Schemas"]] == ["OrderShipped"]
    everything = orders.get_paginator("list_schemas").paginate(
        RegistryName="orders", PaginationConfig={"PageSize": 3}
    )
    assert sum(len(page["Schemas"]) for page in everything) == 4

    found = orders.search_schemas(RegistryName="orders", Keywords="placed")["Schemas"]
    assert [(s["SchemaName"], [v["SchemaVersion"] for v in s["SchemaVersions"]]) for s in found] == [
        ("OrderPlaced", ["1", "2"])
    ]
    assert found[0]["RegistryName"] == "orders"
    assert {
        s["SchemaName"] for s in orders.search_schemas(RegistryName="orders", Keywords="order")["Schemas"]
    } == {
        "OrderCancelled",
        "OrderPlaced",
        "OrderShipped",
    }

    orders.delete_schema(RegistryName="orders", SchemaName="OrderPlaced")
    with pytest.raises(orders.exceptions.NotFoundException):
        orders.describe_schema(RegistryName="orders", SchemaName="OrderPlaced")
    assert "OrderPlaced" not in {
        s["SchemaName"] for s in orders.list_schemas(RegistryName="orders")["Schemas"]
    }
    # deleting the registry deletes its schemas
    orders.delete_registry(RegistryName="orders")
    orders.create_registry(RegistryName="orders")
    assert orders.list_schemas(RegistryName="orders")["Schemas"] == []


def test_list_versions_pages(orders: Any) -> None:
    orders.create_schema(
        RegistryName="orders", SchemaName="Counter", Type="OpenApi3", Content=openapi("C", {})
    )
    for n in range(2, 13):
        orders.update_schema(RegistryName="orders", SchemaName="Counter", Content=openapi("C", {f"f{n}": {}}))
    pages = orders.get_paginator("list_schema_versions").paginate(
        RegistryName="orders", SchemaName="Counter", PaginationConfig={"PageSize": 5}
    )
    numbers = [v["SchemaVersion"] for page in pages for v in page["SchemaVersions"]]
    assert numbers == [str(n) for n in range(1, 13)]  # numeric order: 10 after 9


def test_export_openapi_as_json_schema_draft4(orders: Any) -> None:
    content = json.dumps(
        {
            "openapi": "3.0.0",
            "info": {"title": "OrderPlaced", "version": "1.0.0"},
            "paths": {},
            "components": {
                "schemas": {
                    "AWSEvent": {
                        "type": "object",
                        "x-amazon-events-source": "shop",
                        "x-amazon-events-detail-type": "OrderPlaced",
                        "properties": {"detail": {"$ref": "#/components/schemas/OrderPlaced"}},
                    },
                    "OrderPlaced": {
                        "type": "object",
                        "required": ["id"],
                        "properties": {
                            "id": {"type": "string"},
                            "note": {"type": "string", "nullable": True},
                        },
                    },
                }
            },
        }
    )
    orders.create_schema(RegistryName="orders", SchemaName="OrderPlaced", Type="OpenApi3", Content=content)
    exported = orders.export_schema(RegistryName="orders", SchemaName="OrderPlaced", Type="JSONSchemaDraft4")
    assert (exported["SchemaVersion"], exported["Type"], exported["SchemaName"]) == (
        "1",
        "JSONSchemaDraft4",
        "OrderPlaced",
    )
    doc = json.loads(exported["Content"])
    assert doc["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert doc["title"] == "AWSEvent"
    assert doc["properties"]["detail"] == {"$ref": "#/definitions/OrderPlaced"}
    assert doc["definitions"]["OrderPlaced"]["properties"]["note"] == {"type": ["string", "null"]}
    assert doc["x-amazon-events-source"] == "shop"

    draft4 = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"})
    orders.create_schema(RegistryName="orders", SchemaName="Plain", Type="JSONSchemaDraft4", Content=draft4)
    plain = orders.export_schema(RegistryName="orders", SchemaName="Plain", Type="JSONSchemaDraft4")
    assert plain["Content"] == draft4
    with pytest.raises(orders.exceptions.BadRequestException):
        orders.export_schema(RegistryName="orders", SchemaName="Plain", Type="OpenApi3")
