"""events/schemas/: layout, the metadata convention, and the sample events against the contracts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from events.contracts import (
    SCHEMAS_DIR,
    Compatibility,
    ContractError,
    SchemaType,
    detail_validator,
    load_contracts,
    normalise_detail_type,
)

ROOT = Path(__file__).resolve().parents[2]
PLACED = "com.choreo.orders@OrderPlaced"
SAMPLES = sorted((ROOT / "samples" / "events").glob("*.json"))
SAGA = {
    PLACED,
    "com.choreo.orders@OrderConfirmed",
    "com.choreo.orders@OrderCancelled",
    "com.choreo.payments@PaymentSucceeded",
    "com.choreo.payments@PaymentFailed",
    "com.choreo.inventory@StockReserved",
    "com.choreo.inventory@StockUnavailable",
    "com.choreo.inventory@StockReleased",
    "com.choreo.shipping@OrderShipped",
}


def test_the_order_saga_contracts_are_all_there_with_order_placed_in_two_major_versions() -> None:
    contracts = {c.name: c for c in load_contracts()}
    assert set(contracts) >= SAGA
    placed = contracts[PLACED]
    assert [(v.version, v.registry_version) for v in placed.versions] == [("1.0", 1), ("1.1", 2), ("2.0", 3)]
    assert [(a.version, b.version) for a, b in placed.successions()] == [("1.0", "1.1")]
    assert placed.latest(1).version == "1.1" and placed.latest().version == "2.0"
    assert {v.schema_type for c in contracts.values() for v in c.versions} == set(SchemaType)
    assert all(isinstance(c.compatibility, Compatibility) for c in contracts.values())


def test_every_event_references_the_one_metadata_convention() -> None:
    convention = json.loads((SCHEMAS_DIR / "_convention" / "metadata.json").read_text())
    assert {"schema-version", "correlation-id", "causation-id", "idempotency-key"} <= set(
        convention["required"]
    )
    assert {"call-chain-length", "debug-log-enabled"} <= set(convention["properties"])
    for contract in load_contracts():
        for version in contract.versions:
            raw = version.path.read_text()
            assert '"$ref": "../_convention/metadata.json"' in raw, version.path
            assert "schema-version" not in raw, f"{version.path} redefines the convention"
            document = version.document()
            named = document.get("components", {}).get("schemas") or document["definitions"]
            assert named["Metadata"] == convention


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_each_sample_event_validates_against_its_contract_version(sample: Path) -> None:
    event = json.loads(sample.read_text())
    [contract] = [
        c for c in load_contracts() if (c.source, c.detail_type) == (event["source"], event["detail-type"])
    ]
    major = int(event["detail"]["metadata"]["schema-version"].split(".")[0])
    validator = detail_validator(contract.latest(major).document())
    assert [e.message for e in validator.iter_errors(event["detail"])] == []
    broken = {**event["detail"], "data": {**event["detail"]["data"], "orderId": 42}}
    assert not validator.is_valid(broken)


def test_a_breaking_v2_event_does_not_validate_against_v1() -> None:
    placed = next(c for c in load_contracts() if c.detail_type == "OrderPlaced")
    event = json.loads((ROOT / "samples/events/order-placed-low-value.json").read_text())
    assert detail_validator(placed.latest(1).document()).is_valid(event["detail"])
    assert not detail_validator(placed.latest(2).document()).is_valid(event["detail"])


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, root)
    return root


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda r: (r / PLACED / "schema.yaml").unlink(), "schema.yaml: missing"),
        (lambda r: (r / PLACED / "v3.json").write_text("{}"), "<MAJOR>.<MINOR>.json"),
        (lambda r: (r / "no-at-sign").mkdir(), "named <source>@<DetailType>"),
        (
            lambda r: (r / "com.choreo.orders@OrderConfirmed").rename(r / "com.choreo.orders@Other"),
            "folder says",
        ),
        (lambda r: (r / PLACED / "schema.yaml").write_text("compatibility: SOME"), "must be one of"),
        (lambda r: (r / PLACED / "1.0.json").rename(r / PLACED / "1.2.json"), "info.version"),
        (lambda r: (r / "_convention/metadata.json").write_text("{"), "cannot inline"),
    ],
)
def test_layout_mistakes_are_contract_errors_naming_the_file(
    tmp_path: Path, breakage: object, message: str
) -> None:
    root = _copy(tmp_path)
    breakage(root)  # type: ignore[operator]
    with pytest.raises(ContractError, match=message):
        load_contracts(root)


def test_detail_types_are_normalised_as_registry_names_spell_them() -> None:
    assert (
        normalise_detail_type("EC2 Instance State-change Notification")
        == "EC2InstanceStateChangeNotification"
    )
    assert normalise_detail_type("OrderPlaced") == "OrderPlaced"


def test_openapi_nullable_is_honoured_when_validating() -> None:
    placed = next(c for c in load_contracts() if c.detail_type == "OrderPlaced").latest(1)
    document = placed.document()
    document["components"]["schemas"]["OrderPlacedData"]["properties"]["couponCode"]["nullable"] = True
    sample = json.loads((ROOT / "samples/events/order-placed-low-value.json").read_text())["detail"]
    with_null = {**sample, "data": {**sample["data"], "couponCode": None}}
    assert detail_validator(document).is_valid(with_null)
    assert not detail_validator(placed.document()).is_valid(with_null)
