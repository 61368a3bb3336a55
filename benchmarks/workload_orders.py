"""A seeded order-flow workload: choreo-shaped events and the rules an order choreography would have.

Events look like ``samples/events/*.json``: the full EventBridge envelope, with a ``detail`` made of a
``metadata`` part (schema-version, correlation-id, causation-id, idempotency-key) and a ``data`` part.
Rules pin ``source`` and mostly ``detail-type`` and add 1-2 filters on ``detail.data`` / ``detail.metadata``
drawn from ``FILTER_MIX``: numeric thresholds and ranges on money, prefixes on ids and SKUs, anything-but
on channels and shipping methods, exists on optional fields, plus a few suffix, equals-ignore-case and
``$or`` patterns.

Everything derives from one seed, so two runs produce identical events and patterns::

    >>> import workload_orders as w
    >>> w.make_rules(3, seed=1)[0].name
    'o00000'
    >>> sorted(w.make_events(1, seed=1)[0]["detail"])
    ['data', 'metadata']

The interface matches ``../shared/bench/workload.py`` (``make_events``, ``make_rules``, ``Rule.name``,
``Rule.pattern``, ``Rule.ops``) so the benchmark treats both workloads alike.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"

DETAIL_TYPES: dict[str, list[str]] = {
    "com.choreo.orders": ["OrderPlaced", "OrderUpdated", "OrderCancelled", "OrderCompleted"],
    "com.choreo.payments": ["PaymentAuthorized", "PaymentCaptured", "PaymentFailed", "PaymentRefunded"],
    "com.choreo.inventory": ["StockReserved", "StockReleased", "StockDepleted", "StockReplenished"],
    "com.choreo.shipping": ["ShipmentCreated", "ShipmentDispatched", "ShipmentDelayed", "ShipmentDelivered"],
    "com.choreo.customers": ["CustomerRegistered", "CustomerUpdated", "LoyaltyTierChanged"],
    "com.choreo.returns": ["ReturnRequested", "ReturnApproved", "RefundIssued"],
}
SOURCES = list(DETAIL_TYPES)
CHANNELS = ["web", "mobile", "store", "partner", "marketplace", "test"]
CURRENCIES = ["USD", "EUR", "GBP", "CAD", "JPY"]
CATEGORIES = ["ELE", "BOO", "GAR", "TOY", "SPO", "APP", "GRO", "BEA"]
SHIPPING_METHODS = ["ground", "express", "overnight", "pickup", "freight"]
TIERS = ["bronze", "silver", "gold", "platinum"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "JP", "AU", "NL"]
EMAIL_DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "example.co.uk"]
FAILURE_REASONS = [
    "CARD_DECLINED",
    "INSUFFICIENT_FUNDS",
    "EXPIRED_CARD",
    "FRAUD_SUSPECTED",
    "PROCESSOR_TIMEOUT",
]
CARRIERS = ["UPS", "FedEx", "DHL", "USPS", "Royal Mail"]
WAREHOUSES = ["wh-sea-1", "wh-dfw-2", "wh-ams-1", "wh-nrt-1"]
SCHEMA_VERSIONS = ["1.0", "1.1", "2.0"]
N_CUSTOMERS = 2000
N_SKUS = 400

FILTER_MIX: list[tuple[str, int]] = [
    ("exact", 26),
    ("exact-id", 28),  # high-cardinality routing: per customer, per SKU
    ("numeric", 14),
    ("prefix", 8),
    ("anything-but", 9),
    ("exists", 6),
    ("suffix", 3),
    ("equals-ignore-case", 4),
    ("anything-but-prefix", 2),
]
P_OR = 0.06
P_NO_DETAIL_TYPE = 0.10
P_MULTI_DETAIL_TYPE = 0.12
P_SOURCE_PREFIX = 0.03


@dataclass
class Rule:
    name: str
    pattern: dict[str, Any]
    ops: list[str] = field(default_factory=list)

    @property
    def pattern_json(self) -> str:
        return json.dumps(self.pattern, separators=(",", ":"))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _weights(n: int, s: float) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def _combos() -> list[tuple[str, str]]:
    """(source, detail-type) pairs, most popular first: orders and payments dominate an order flow."""
    return [(s, dt) for s in SOURCES for dt in DETAIL_TYPES[s]]


def _data(rng: random.Random, source: str, detail_type: str) -> dict[str, Any]:
    cust = rng.randint(1, N_CUSTOMERS)
    items = []
    for _ in range(rng.randint(1, 4)):
        cat = rng.choice(CATEGORIES)
        items.append(
            {
                "sku": f"SKU-{cat}-{rng.randint(1, N_SKUS):04d}",
                "qty": rng.randint(1, 3),
                "unitPrice": round(rng.lognormvariate(3.2, 0.9), 2),
            }
        )
    total = round(sum(i["qty"] * i["unitPrice"] for i in items), 2)
    data: dict[str, Any] = {
        "orderId": f"ord-202501{rng.randint(10, 31)}-{rng.randint(1, 9999):04d}",
        "customerId": f"cust-{cust:05d}",
        "currency": rng.choice(CURRENCIES),
        "total": total,
        "channel": rng.choices(CHANNELS, weights=[40, 30, 12, 8, 8, 2])[0],
        "customer": {
            "tier": rng.choices(TIERS, weights=[50, 30, 15, 5])[0],
            "country": rng.choice(COUNTRIES),
            "email": f"user{cust}@{rng.choice(EMAIL_DOMAINS)}",
        },
        "items": items,
    }
    if rng.random() < 0.25:
        data["promoCode"] = rng.choice(["WELCOME10", "SPRING", "VIP20", "FREESHIP"])
    if source in ("com.choreo.orders", "com.choreo.shipping"):
        data["shipping"] = {
            "method": rng.choices(SHIPPING_METHODS, weights=[45, 25, 10, 15, 5])[0],
            "address": {"country": data["customer"]["country"], "zip": f"{rng.randint(10000, 99999)}"},
        }
    if source == "com.choreo.payments":
        data["paymentId"] = f"pay-{rng.getrandbits(32):08x}"
        data["attempt"] = rng.randint(1, 3)
        if detail_type == "PaymentFailed":
            data["failureReason"] = rng.choice(FAILURE_REASONS)
            data["retryable"] = rng.random() < 0.5
    if source == "com.choreo.shipping":
        data["carrier"] = rng.choice(CARRIERS)
    if source == "com.choreo.inventory":
        data["warehouse"] = rng.choice(WAREHOUSES)
    return data


def make_event(rng: random.Random, source: str, detail_type: str, t: datetime) -> dict[str, Any]:
    data = _data(rng, source, detail_type)
    event_id = _uuid(rng)
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3d4e5/prod/POST/{source.split('.')[-1]}"],
        "detail": {
            "metadata": {
                "schema-version": rng.choices(SCHEMA_VERSIONS, weights=[60, 30, 10])[0],
                "correlation-id": _uuid(rng),
                "causation-id": _uuid(rng),
                "idempotency-key": f"{detail_type}:{data['orderId']}:{rng.randint(1, 3)}",
            },
            "data": data,
        },
    }


def make_events(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed * 7907 + 3)
    combos = _combos()
    weights = _weights(len(combos), 0.9)
    t = datetime(2025, 1, 14, 9, 0, tzinfo=UTC)
    out = []
    for _ in range(n):
        source, detail_type = rng.choices(combos, weights=weights)[0]
        t += timedelta(milliseconds=rng.randint(1, 400))
        out.append(make_event(rng, source, detail_type, t))
    return out


def _filter(rng: random.Random, op: str, source: str) -> tuple[dict[str, Any], str]:
    """One filter on detail.data / detail.metadata, as a partial ``detail`` pattern, and its op tag."""
    if op == "exact":
        choice = rng.random()
        if choice < 0.3:
            return {"data": {"currency": rng.sample(CURRENCIES, k=rng.randint(1, 2))}}, op
        if choice < 0.55:
            return {"data": {"channel": rng.sample(CHANNELS[:5], k=rng.randint(1, 2))}}, op
        if choice < 0.75:
            return {"data": {"customer": {"tier": rng.sample(TIERS, k=rng.randint(1, 2))}}}, op
        if choice < 0.9:
            return {"data": {"customer": {"country": rng.sample(COUNTRIES, k=rng.randint(1, 3))}}}, op
        return {"metadata": {"schema-version": [rng.choice(SCHEMA_VERSIONS)]}}, op
    if op == "exact-id":
        if rng.random() < 0.75:
            ids = [f"cust-{rng.randint(1, N_CUSTOMERS):05d}" for _ in range(rng.randint(1, 3))]
            return {"data": {"customerId": ids}}, op
        sku = f"SKU-{rng.choice(CATEGORIES)}-{rng.randint(1, N_SKUS):04d}"
        return {"data": {"items": {"sku": [sku]}}}, "exact-id+array"
    if op == "numeric":
        choice = rng.random()
        if choice < 0.5:
            return {"data": {"total": [{"numeric": [">=", rng.choice([25, 50, 100, 250, 500, 1000])]}]}}, op
        if choice < 0.8:
            lo = round(rng.uniform(0, 300), 2)
            return {
                "data": {"total": [{"numeric": [">", lo, "<=", round(lo + rng.uniform(20, 400), 2)]}]}
            }, op
        return {"data": {"items": {"qty": [{"numeric": [">=", rng.randint(2, 3)]}]}}}, "numeric+array"
    if op == "prefix":
        choice = rng.random()
        if choice < 0.4:
            return {
                "data": {"items": {"sku": [{"prefix": f"SKU-{rng.choice(CATEGORIES)}-"}]}}
            }, "prefix+array"
        if choice < 0.7:
            return {"data": {"orderId": [{"prefix": f"ord-202501{rng.randint(1, 3)}"}]}}, op
        return {"data": {"customerId": [{"prefix": f"cust-0{rng.randint(0, 1)}"}]}}, op
    if op == "anything-but":
        choice = rng.random()
        if choice < 0.4 and source in ("com.choreo.orders", "com.choreo.shipping"):
            return {"data": {"shipping": {"method": [{"anything-but": ["pickup"]}]}}}, op
        if choice < 0.7:
            return {
                "data": {"channel": [{"anything-but": rng.sample(["test", "partner", "marketplace"], k=2)}]}
            }, op
        return {"data": {"currency": [{"anything-but": rng.choice(CURRENCIES)}]}}, op
    if op == "anything-but-prefix":
        return {"data": {"orderId": [{"anything-but": {"prefix": "ord-2025019"}}]}}, op
    if op == "exists":
        if source == "com.choreo.payments" and rng.random() < 0.6:
            return {"data": {"failureReason": [{"exists": rng.random() < 0.7}]}}, op
        return {"data": {"promoCode": [{"exists": rng.random() < 0.5}]}}, op
    if op == "suffix":
        return {"data": {"customer": {"email": [{"suffix": "@" + rng.choice(EMAIL_DOMAINS)}]}}}, op
    if op == "equals-ignore-case":
        return {"data": {"currency": [{"equals-ignore-case": rng.choice(CURRENCIES).lower()}]}}, op
    raise ValueError(op)


def _leaf_paths(node: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in node.items():
        if key == "$or":
            continue
        path = f"{prefix}.{key}" if prefix else key
        out |= _leaf_paths(value, path) if isinstance(value, dict) else {path}
    return out


def _merge(dst: dict[str, Any], src: dict[str, Any]) -> bool:
    """Deep-merge src into dst; False when both constrain the same leaf (the caller draws again)."""
    for key, value in src.items():
        if key not in dst:
            dst[key] = value
        elif isinstance(dst[key], dict) and isinstance(value, dict):
            if not _merge(dst[key], value):
                return False
        else:
            return False
    return True


def make_rules(n: int, seed: int = 1) -> list[Rule]:
    rng = random.Random(seed * 15485863 + n)
    combos = _combos()
    weights = _weights(len(combos), 0.5)
    ops, op_weights = zip(*FILTER_MIX, strict=True)
    rules: list[Rule] = []
    while len(rules) < n:
        source, detail_type = rng.choices(combos, weights=weights)[0]
        tags: list[str] = []
        pattern: dict[str, Any] = {}
        if rng.random() < P_SOURCE_PREFIX:
            pattern["source"] = [{"prefix": "com.choreo."}]
            tags.append("source-prefix")
        else:
            pattern["source"] = [source]
        if rng.random() >= P_NO_DETAIL_TYPE:
            types = {detail_type}
            if rng.random() < P_MULTI_DETAIL_TYPE:
                types.add(rng.choice(DETAIL_TYPES[source]))
            pattern["detail-type"] = sorted(types)
        detail: dict[str, Any] = {}
        want = rng.choices([1, 2, 3], weights=[35, 50, 15])[0]
        n_filters = tries = 0
        while n_filters < want and tries < 20:
            tries += 1
            frag, tag = _filter(rng, rng.choices(ops, weights=op_weights)[0], source)
            trial = json.loads(json.dumps(detail))
            if _merge(trial, frag):
                detail = trial
                tags.append(tag)
                n_filters += 1
        if rng.random() < P_OR:
            a, tag_a = _filter(rng, rng.choices(ops, weights=op_weights)[0], source)
            b, tag_b = _filter(rng, rng.choices(ops, weights=op_weights)[0], source)
            # Keep the branches off the fields the rule already constrains: the overlap case is one
            # where engines differ (see ../shared/bench/workload.py, "or-overlap").
            distinct = json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True)
            if distinct and not ((_leaf_paths(a) | _leaf_paths(b)) & _leaf_paths(detail)):
                detail["$or"] = [a, b]
                tags += ["$or", tag_a, tag_b]
        if detail:
            pattern["detail"] = detail
        ops_used = sorted({t for tag in tags for t in tag.split("+")})
        rules.append(Rule(f"o{len(rules):05d}", pattern, ops_used))
    return rules


if __name__ == "__main__":  # a quick look at the shapes
    for rule in make_rules(8, seed=1):
        print(rule.pattern_json)
    print(json.dumps(make_events(1, seed=1)[0], indent=1))
