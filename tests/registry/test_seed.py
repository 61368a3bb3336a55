"""Seeding the registry from schema files, checked through boto3 ``schemas``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bus.engine.runtime import LocalBus
from bus.registry import seed_registry
from bus.registry._seed import place
from events.contracts import load_contracts
from tests.registry.conftest import openapi

CONTRACTS = Path(__file__).resolve().parents[2] / "events" / "schemas"


def ping(version: str, properties: dict[str, Any]) -> str:
    """A contract version file as events/README.md lays them out."""
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "Ping", "version": version},
        "paths": {},
        "components": {
            "schemas": {
                "AWSEvent": {
                    "type": "object",
                    "x-amazon-events-source": "shop",
                    "x-amazon-events-detail-type": "Ping",
                    "properties": {"detail": {"$ref": "#/components/schemas/Ping"}},
                },
                "Ping": {"type": "object", "properties": properties},
            }
        },
    }
    return json.dumps(doc, indent=2)


def test_the_projects_contracts(bus: LocalBus, schemas: Any) -> None:
    expected = {c.name: c for c in load_contracts(CONTRACTS)}
    report = seed_registry(bus, CONTRACTS)
    assert report.skipped == []
    assert len(report.written) == sum(len(c.versions) for c in expected.values())
    listed = schemas.get_paginator("list_schemas").paginate(RegistryName="choreo")
    assert {s["SchemaName"]: s["VersionCount"] for page in listed for s in page["Schemas"]} == {
        name: len(c.versions) for name, c in expected.items()
    }
    for name, contract in expected.items():
        for version in contract.versions:
            stored = schemas.describe_schema(
                RegistryName="choreo", SchemaName=name, SchemaVersion=str(version.registry_version)
            )
            assert (stored["Content"], stored["Type"]) == (version.content, str(version.schema_type))
        assert (
            schemas.describe_schema(RegistryName="choreo", SchemaName=name)["Description"]
            == contract.description
        )
    # at the next start nothing changes
    again = seed_registry(bus, CONTRACTS)
    assert (again.written, len(again.unchanged)) == ([], len(report.written))


def test_contract_folders_versions_and_changes(bus: LocalBus, schemas: Any, tmp_path: Path) -> None:
    folder = tmp_path / "shop@Ping"
    folder.mkdir()
    (folder / "schema.yaml").write_text("compatibility: BACKWARD\ndescription: Pings.\nowner: shop\n")
    (folder / "1.0.json").write_text(ping("1.0", {"a": {"type": "string"}}))
    (folder / "1.1.json").write_text(ping("1.1", {"a": {"type": "string"}, "b": {"type": "integer"}}))
    (tmp_path / "broken@Thing").mkdir()
    (tmp_path / "broken@Thing" / "1.0.json").write_text("{}")  # no schema.yaml: the loader refuses it
    report = seed_registry(bus, tmp_path, registry="shop")
    assert report.written == [("shop", "shop@Ping", 1), ("shop", "shop@Ping", 2)]
    assert [path for path, _ in report.skipped] == ["broken@Thing"]
    assert schemas.describe_registry(RegistryName="shop")["RegistryName"] == "shop"
    assert schemas.describe_schema(RegistryName="shop", SchemaName="shop@Ping")["SchemaVersion"] == "2"

    # a new minor version becomes version 3; an edited file replaces its version
    (folder / "1.2.json").write_text(ping("1.2", {"a": {"type": "string"}, "b": {"type": "number"}}))
    (folder / "1.0.json").write_text(ping("1.0", {"a": {"type": "string", "minLength": 1}}))
    report = seed_registry(bus, tmp_path, registry="shop")
    assert report.written == [("shop", "shop@Ping", 1), ("shop", "shop@Ping", 3)]
    assert report.unchanged == [("shop", "shop@Ping", 2)]
    first = schemas.describe_schema(RegistryName="shop", SchemaName="shop@Ping", SchemaVersion="1")
    assert "minLength" in first["Content"]
    versions = schemas.list_schema_versions(RegistryName="shop", SchemaName="shop@Ping")["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["1", "2", "3"]


def test_loose_files_are_placed_by_path(bus: LocalBus, schemas: Any, tmp_path: Path) -> None:
    draft4 = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"})
    files = {
        "billing/Invoice/v1.json": openapi("Invoice", {}),
        "billing/Invoice/v2.json": openapi("Invoice", {"n": {"type": "integer"}}),
        "Loose/3.json": draft4,
        "billing/Refund.json": openapi("Refund", {}),
        "samples/event.json": '{"source": "shop"}',
        "_shared/part.json": draft4,
        "bad.json": "{",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    report = seed_registry(bus, tmp_path)
    assert sorted(report.written) == [
        ("billing", "Invoice", 1),
        ("billing", "Invoice", 2),
        ("billing", "Refund", 1),
        ("choreo", "Loose", 3),
    ]
    assert sorted(path for path, _ in report.skipped) == ["bad.json", "samples/event.json"]
    loose = schemas.describe_schema(RegistryName="choreo", SchemaName="Loose")
    assert (loose["SchemaVersion"], loose["Type"], loose["Content"]) == ("3", "JSONSchemaDraft4", draft4)
    assert schemas.describe_schema(RegistryName="billing", SchemaName="Invoice")["SchemaVersion"] == "2"
    assert seed_registry(bus, tmp_path / "missing").written == []


def test_placement_rules() -> None:
    assert place(Path("orders/OrderPlaced/v3.json")) == ("orders", "OrderPlaced", 3)
    assert place(Path("orders/OrderPlaced/version-2.json")) == ("orders", "OrderPlaced", 2)
    assert place(Path("OrderPlaced/1.json")) == ("choreo", "OrderPlaced", 1)
    assert place(Path("orders/OrderPlaced@v4.json")) == ("orders", "OrderPlaced", 4)
    assert place(Path("OrderPlaced.json"), "mine") == ("mine", "OrderPlaced", 1)
