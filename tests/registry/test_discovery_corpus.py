"""1,000 varied events of 5 types, put through boto3: the discovered schemas validate every one of
them and reject obviously different ones; and discovery goes on merging after a restart."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import jsonschema

from bus.engine.runtime import LocalBus
from tests.registry.conftest import eventually
from tests.support.aws import aws_client, serving

TYPES = [
    ("com.choreo.orders", "Order Placed"),
    ("com.choreo.orders", "order.cancelled"),
    ("com.choreo.payments", "PaymentTaken"),
    ("com.choreo.inventory", "Stock Reserved"),
    ("com.choreo.shipping", "Parcel-Shipped"),
]


def detail_of(kind: int, rng: random.Random) -> dict[str, Any]:
    meta = {
        "schemaVersion": "1",
        "correlationId": f"c-{rng.randrange(10**6)}",
        "idempotencyKey": str(rng.random()),
    }
    if kind == 0:
        data: dict[str, Any] = {
            "orderId": f"o-{rng.randrange(10**6)}",
            "total": rng.choice([rng.randrange(1, 500), round(rng.uniform(1, 500), 2)]),
            "lines": [
                {"sku": f"s{rng.randrange(99)}", "qty": rng.randrange(1, 5)}
                for _ in range(rng.randrange(0, 4))
            ],
            "note": rng.choice([None, "leave at the door"]),
        }
        if rng.random() < 0.3:
            data["coupon"] = "SPRING"
    elif kind == 1:
        data = {"orderId": f"o-{rng.randrange(10**6)}", "reason": rng.choice(["customer", "fraud", "stock"])}
        if rng.random() < 0.5:
            data["refund"] = {"amount": rng.randrange(1, 100), "currency": "EUR"}
    elif kind == 2:
        data = {
            "paymentId": f"p-{rng.randrange(10**6)}",
            "amount": rng.randrange(1, 10_000),
            "captured": rng.random() < 0.5,
            "at": f"2026-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T10:00:00Z",
        }
    elif kind == 3:
        items = [
            {"sku": f"s{rng.randrange(99)}", "count": rng.randrange(1, 9)} for _ in range(rng.randrange(1, 4))
        ]
        data = {"items": items, "warehouse": rng.choice(["north", "south"])}
    else:
        data = {
            "tracking": f"T{rng.randrange(10**9)}",
            "weight": round(rng.uniform(0.1, 30), 3),
            "dims": [rng.randrange(1, 80) for _ in range(3)],
        }
        if rng.random() < 0.4:
            data["signature"] = rng.random() < 0.5
    return {"metadata": meta, "data": data}


def envelope(kind: int, detail: dict[str, Any], n: int) -> dict[str, Any]:
    source, detail_type = TYPES[kind]
    return {
        "version": "0",
        "id": f"00000000-0000-0000-0000-{n:012d}",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def validators(schemas: Any) -> dict[int, jsonschema.Draft4Validator] | None:
    """Draft 4 validators of the 5 discovered schemas, or None while one is missing."""
    names = [
        "com.choreo.orders@OrderPlaced",
        "com.choreo.orders@OrderCancelled",
        "com.choreo.payments@PaymentTaken",
        "com.choreo.inventory@StockReserved",
        "com.choreo.shipping@ParcelShipped",
    ]
    found: dict[int, jsonschema.Draft4Validator] = {}
    for kind, name in enumerate(names):
        try:
            exported = schemas.export_schema(
                RegistryName="discovered-schemas", SchemaName=name, Type="JSONSchemaDraft4"
            )
        except schemas.exceptions.NotFoundException:
            return None
        found[kind] = jsonschema.Draft4Validator(json.loads(exported["Content"]))
    return found


def test_thousand_events_of_five_types(schemas: Any, events: Any) -> None:
    schemas.create_discoverer(SourceArn=events.describe_event_bus()["Arn"])
    rng = random.Random(6)
    sent: list[tuple[int, dict[str, Any]]] = [(n % 5, detail_of(n % 5, rng)) for n in range(1000)]
    for start in range(0, len(sent), 10):
        entries = [
            {"Source": TYPES[kind][0], "DetailType": TYPES[kind][1], "Detail": json.dumps(detail)}
            for kind, detail in sent[start : start + 10]
        ]
        assert events.put_events(Entries=entries)["FailedEntryCount"] == 0

    def all_valid() -> dict[int, jsonschema.Draft4Validator] | None:
        found = validators(schemas)
        if found is None:
            return None
        ok = all(found[kind].is_valid(envelope(kind, detail, n)) for n, (kind, detail) in enumerate(sent))
        return found if ok else None

    checks = eventually(all_valid, timeout=20)
    for n, (kind, detail) in enumerate(sent):  # the final word: every event, with the reason if any
        errors = [e.message for e in checks[kind].iter_errors(envelope(kind, detail, n))]
        assert errors == [], (TYPES[kind], detail)

    different = [
        (0, {"metadata": {}, "data": {"total": 3}}),  # no orderId, metadata without its fields
        (0, {"metadata": sent[0][1]["metadata"], "data": {**sent[0][1]["data"], "total": "ten"}}),
        (1, {"metadata": sent[1][1]["metadata"], "data": {"orderId": 7, "reason": "x"}}),
        (2, {"metadata": sent[2][1]["metadata"], "data": {**sent[2][1]["data"], "captured": "yes"}}),
        (3, {"metadata": sent[3][1]["metadata"], "data": {"items": "none", "warehouse": "north"}}),
        (4, {"metadata": sent[4][1]["metadata"], "data": {**sent[4][1]["data"], "dims": ["a"]}}),
        (4, {"somethingElse": True}),
    ]
    for kind, detail in different:
        assert not checks[kind].is_valid(envelope(kind, detail, 0)), detail
    # every type got its own schema and nothing else was discovered
    listed = schemas.list_schemas(RegistryName="discovered-schemas")["Schemas"]
    assert len(listed) == 5


def test_discovery_merges_across_restarts(tmp_path: Path) -> None:
    def serve_and(put: dict[str, Any], *, create: bool) -> dict[str, Any]:
        with LocalBus(tmp_path / "data") as bus, serving(bus) as url:
            schemas, events = aws_client("schemas", url), aws_client("events", url)
            if create:
                schemas.create_discoverer(SourceArn=events.describe_event_bus()["Arn"])
            before = 0 if create else 1  # versions of shop@Ping so far: each call adds a field
            events.put_events(Entries=[{"Source": "shop", "DetailType": "Ping", "Detail": json.dumps(put)}])

            def latest() -> dict[str, Any] | None:
                try:
                    found = schemas.list_schema_versions(
                        RegistryName="discovered-schemas", SchemaName="shop@Ping"
                    )
                except schemas.exceptions.NotFoundException:
                    return None
                if len(found["SchemaVersions"]) != before + 1:
                    return None
                described = schemas.describe_schema(RegistryName="discovered-schemas", SchemaName="shop@Ping")
                doc: dict[str, Any] = json.loads(described["Content"])
                return doc

            return eventually(latest)

    first = serve_and({"a": 1}, create=True)
    assert first["components"]["schemas"]["Ping"]["required"] == ["a"]
    second = serve_and({"b": "x"}, create=False)  # the discoverer and the observations survived
    ping = second["components"]["schemas"]["Ping"]
    assert "required" not in ping
    assert set(ping["properties"]) == {"a", "b"}
