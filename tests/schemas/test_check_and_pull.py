"""``choreo schemas check`` over contract folders, and ``choreo schemas pull`` writing them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bus.cli import _schemas, app
from bus.schemas import PullOutcome, check_contracts, write_pulled
from events.contracts import SCHEMAS_DIR, Compatibility, SchemaType, load_contracts

ROOT = Path(__file__).resolve().parents[2]
PLACED = "com.choreo.orders@OrderPlaced"
runner = CliRunner()


def _with_version(tmp_path: Path, version: str, edit: Any) -> Path:
    """A copy of events/schemas/ with OrderPlaced ``version`` made from 1.1 by ``edit``."""
    root = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, root)
    document = json.loads((root / PLACED / "1.1.json").read_text())
    document["info"]["version"] = version
    edit(document["components"]["schemas"]["OrderPlacedData"])
    (root / PLACED / f"{version}.json").write_text(json.dumps(document))
    return root


def test_the_projects_contracts_pass_and_v2_is_a_side_by_side_major() -> None:
    report = check_contracts(load_contracts())
    assert report.ok
    steps = [(v.schema, v.previous, v.version, v.new_major) for v in report.verdicts]
    assert steps == [
        ("com.choreo.inventory@StockReserved", "1.0", "1.1", False),  # optional order facts added
        (PLACED, "1.0", "1.1", False),
        (PLACED, "1.1", "2.0", True),
    ]
    reserved, v2 = report.verdicts[0], report.verdicts[2]
    assert {c.path for c in reserved.changes} == {
        "data.amount",
        "data.currency",
        "data.customerId",
        "data.shippingMethod",
    }
    assert reserved.violations == ()
    assert {c.path for c in v2.changes} == {"data.customer", "data.customerId", "data.items[].qty"}
    assert v2.violations == ()


def test_a_breaking_minor_version_fails_and_names_the_consumers_it_breaks(tmp_path: Path) -> None:
    root = _with_version(tmp_path, "1.2", lambda data: data["properties"].pop("total"))
    result = runner.invoke(
        app, ["schemas", "check", "--schemas", str(root), "--template", str(ROOT / "template.yaml"), "--json"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    [bad] = [v for v in report["verdicts"] if not v["ok"]]
    assert (bad["previous"], bad["version"], bad["mode"]) == ("1.1", "1.2", "FULL")
    [change] = [c for c in bad["changes"] if c["violation"]]
    assert (change["kind"], change["path"], change["breaks"]) == ("FIELD_REMOVED", "data.total", ["FORWARD"])
    assert change["consumers"] == ["ReserveStockFunctionOrderPlacedV1/reserve-stock"]
    text = runner.invoke(
        app, ["schemas", "check", "--schemas", str(root), "--template", str(ROOT / "template.yaml")]
    )
    assert text.exit_code == 1
    assert "BREAKS FULL" in text.output and "new major version" in text.output


def test_the_same_change_as_a_new_major_version_passes(tmp_path: Path) -> None:
    root = _with_version(tmp_path, "3.0", lambda data: data["properties"].pop("total"))
    result = runner.invoke(
        app, ["schemas", "check", "--schemas", str(root), "--template", str(ROOT / "template.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "NEW MAJOR" in result.output


def test_the_mode_is_per_schema(tmp_path: Path) -> None:
    def add_required(data: dict[str, Any]) -> None:
        data["properties"]["giftWrap"] = {"type": "boolean"}
        data["required"].append("giftWrap")

    root = _with_version(tmp_path, "1.2", add_required)
    settings = root / PLACED / "schema.yaml"
    for mode, ok in [("FORWARD", True), ("BACKWARD", False), ("FULL", False), ("NONE", True)]:
        settings.write_text(f"compatibility: {mode}\n")
        [contract] = [c for c in load_contracts(root) if c.name == PLACED]
        assert contract.compatibility is Compatibility(mode)
        assert check_contracts([contract]).ok is ok, mode


def test_contract_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    result = runner.invoke(app, ["schemas", "check", "--schemas", str(tmp_path)])
    assert result.exit_code == 2 and "<source>@<DetailType>" in result.output


DISCOVERED = {
    "openapi": "3.0.0",
    "info": {"version": "1.0.0", "title": "Event"},
    "paths": {},
    "components": {
        "schemas": {
            "AWSEvent": {
                "type": "object",
                "required": ["detail", "detail-type", "source"],
                "x-amazon-events-detail-type": "Stock Level Changed",
                "x-amazon-events-source": "com.acme.warehouse",
                "properties": {
                    "detail": {"$ref": "#/components/schemas/StockLevelChanged"},
                    "detail-type": {"type": "string"},
                    "source": {"type": "string"},
                },
            },
            "StockLevelChanged": {
                "type": "object",
                "required": ["sku", "level"],
                "properties": {"sku": {"type": "string"}, "level": {"type": "number"}},
            },
        }
    },
}


def test_pulled_schemas_become_versions_the_other_tools_read(tmp_path: Path) -> None:
    name, content = "com.acme.warehouse@StockLevelChanged", json.dumps(DISCOVERED)
    first = write_pulled(tmp_path, name, content, SchemaType.OPENAPI3)
    assert (first.outcome, first.path.relative_to(tmp_path).as_posix()) == (
        PullOutcome.CREATED,
        "com.acme.warehouse@StockLevelChanged/1.0.json",
    )
    again = write_pulled(tmp_path, name, content, SchemaType.OPENAPI3)
    assert again.outcome is PullOutcome.UNCHANGED
    grown = json.loads(content)
    grown["components"]["schemas"]["StockLevelChanged"]["properties"]["bin"] = {"type": "string"}
    added = write_pulled(tmp_path, name, json.dumps(grown), SchemaType.OPENAPI3)
    assert (added.outcome, added.path.name) == (PullOutcome.ADDED, "1.1.json")
    [contract] = load_contracts(tmp_path)
    assert (contract.detail_type, contract.compatibility, contract.owner) == (
        "Stock Level Changed",
        Compatibility.NONE,
        "discovered",
    )
    assert [v.version for v in contract.versions] == ["1.0", "1.1"]
    assert check_contracts([contract]).verdicts == ()  # NONE: not judged until an owner picks a mode


class _Registry:
    """Stands in for boto3's ``schemas`` client: the registry service is built separately."""

    def __init__(self, schemas: dict[str, str]) -> None:
        self.schemas = schemas
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get_paginator(self, operation: str) -> Any:
        registry = self

        class Paginator:
            def paginate(self, **query: Any) -> list[dict[str, Any]]:
                registry.calls.append((operation, query))
                names = sorted(registry.schemas)
                return [
                    {"Schemas": [{"SchemaName": n} for n in names[:1]]},
                    {"Schemas": [{"SchemaName": n} for n in names[1:]]},
                ]

        return Paginator()

    def describe_schema(self, **query: Any) -> dict[str, Any]:
        self.calls.append(("describe_schema", query))
        return {"Content": self.schemas[query["SchemaName"]], "Type": "OpenApi3", "SchemaVersion": "1"}


def test_the_pull_command_reads_every_page_of_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = json.loads(json.dumps(DISCOVERED))
    other["components"]["schemas"]["AWSEvent"]["x-amazon-events-source"] = "com.acme.returns"
    registry = _Registry(
        {
            "com.acme.warehouse@StockLevelChanged": json.dumps(DISCOVERED),
            "com.acme.returns@StockLevelChanged": json.dumps(other),
        }
    )
    made: list[tuple[str, Any, str]] = []

    def client(service: str, endpoint: Any, region: str) -> _Registry:
        made.append((service, endpoint, region))
        return registry

    monkeypatch.setattr(_schemas, "_client", client)
    result = runner.invoke(app, ["schemas", "pull", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert made == [("schemas", None, "us-east-1")]
    assert registry.calls[0] == ("list_schemas", {"RegistryName": "discovered-schemas"})
    assert sorted(r["outcome"] for r in json.loads(result.output)) == ["created", "created"]
    assert sorted(c.name for c in load_contracts(tmp_path)) == sorted(registry.schemas)


def test_ingest_validation_judges_only_events_with_a_contract() -> None:
    from bus.schemas import IngestValidator

    validator = IngestValidator(load_contracts())
    sample = json.loads((ROOT / "samples/events/order-placed-low-value.json").read_text())
    detail = sample["detail"]
    assert validator.check("com.choreo.orders", "OrderPlaced", detail) is None
    assert validator.check("com.acme.other", "OrderPlaced", {"anything": 1}) is None
    bad = {**detail, "data": {**detail["data"], "total": "lots"}}
    assert validator.check("com.choreo.orders", "OrderPlaced", bad) == (
        "detail does not match com.choreo.orders@OrderPlaced 1.0: data.total: 'lots' is not of type 'number'"
    )
    as_v2 = {**detail, "metadata": {**detail["metadata"], "schema-version": "2.0"}}
    assert "'customer' is a required property" in (
        validator.check("com.choreo.orders", "OrderPlaced", as_v2) or ""
    )
    newer_minor = {**detail, "metadata": {**detail["metadata"], "schema-version": "1.9"}}
    assert validator.check("com.choreo.orders", "OrderPlaced", newer_minor) is None  # read as 1.1
    unknown = {**detail, "metadata": {**detail["metadata"], "schema-version": "7.0"}}
    assert validator.check("com.choreo.orders", "OrderPlaced", unknown) == (
        "com.choreo.orders@OrderPlaced has no version 7.0 (known: 1.0, 1.1, 2.0)"
    )
    assert "schema-version is required" in (
        validator.check("com.choreo.orders", "OrderPlaced", {"data": {}}) or ""
    )


def test_pull_from_a_running_registry_gives_contracts_the_tools_accept(tmp_path: Path) -> None:
    """Discovery on a served bus, then `choreo schemas pull` through boto3 into a contract folder."""
    from bus.engine.runtime import LocalBus
    from bus.schemas import generate_models
    from events.contracts import detail_validator
    from tests.registry.conftest import eventually
    from tests.support.aws import aws_client, serving

    details = [
        {"metadata": {"schema-version": "1.0"}, "data": {"sku": "A-1", "level": 3, "bin": "b1"}},
        {"metadata": {"schema-version": "1.0"}, "data": {"sku": "B-2", "level": 0.5}},
    ]
    with LocalBus(tmp_path / "data") as bus, serving(bus) as url:
        events, registry = aws_client("events", url), aws_client("schemas", url)
        registry.create_discoverer(SourceArn=events.describe_event_bus()["Arn"])
        entries = [
            {"Source": "com.acme.warehouse", "DetailType": "Stock Level Changed", "Detail": json.dumps(d)}
            for d in details
        ]
        assert events.put_events(Entries=entries)["FailedEntryCount"] == 0

        def discovered() -> bool | None:
            listed = registry.list_schemas(RegistryName="discovered-schemas")["Schemas"]
            return True if listed else None

        eventually(discovered)
        result = runner.invoke(
            app, ["schemas", "pull", "--endpoint-url", url, "--out", str(tmp_path / "schemas")]
        )
    assert result.exit_code == 0, result.output
    assert "created   com.acme.warehouse@StockLevelChanged" in result.output
    [contract] = load_contracts(tmp_path / "schemas")
    assert (contract.source, contract.detail_type, contract.compatibility) == (
        "com.acme.warehouse",
        "Stock Level Changed",
        Compatibility.NONE,
    )
    validator = detail_validator(contract.latest().document())
    assert all(validator.is_valid(d) for d in details)
    assert not validator.is_valid(
        {"metadata": {"schema-version": "1.0"}, "data": {"sku": 7, "level": "high"}}
    )
    models = generate_models([contract])
    assert "com_acme_warehouse/stock_level_changed_v1_0.py" in models
