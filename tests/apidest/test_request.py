"""The request on the wire: AWS's headers, path parameters, JSONPath header and query values, the
trace header, and every deliverable case of the shared input-transformer corpus as the body."""

from __future__ import annotations

import json
import os
from calendar import timegm
from collections.abc import Iterator
from pathlib import Path
from time import strptime
from typing import Any

import pytest

from bus.engine.targets._http_request import fill_path, resolve
from bus.model import DeliveryJob, Event, InputTransformerSpec, Outcome
from tests.apidest import api_bed, destination, outcomes, target
from tests.engine import attribute
from tests.support.http_stubs import Reply, StubServer

SHARED = Path(os.environ.get("CHOREO_SHARED") or Path(__file__).resolve().parents[2].parent / "shared")
CORPUS = SHARED / "conformance" / "input_transformers.jsonl"


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer() as running:
        yield running


def test_the_request_carries_awss_headers_and_nothing_overrides_them(
    tmp_path: Path, server: StubServer
) -> None:
    url = server.route("/hook", lambda _: Reply(200))
    b = api_bed(tmp_path)
    params = {
        "HeaderParameters": {
            "User-Agent": "curl/8",
            "Range": "bytes=0-1",
            "Connection": "keep-alive",
            "Host": "evil.example",
            "Content-Type": "application/cloudevents+json",
        }
    }
    b.target(target(destination(b, "hook", url, method="PUT"), http_parameters=params))
    event = b.publish({"orderId": "o-1"})
    b.run_to_end()
    (request,) = server.to("/hook")
    assert request.method == "PUT"
    headers = request.headers
    assert headers["user-agent"] == "Amazon/EventBridge/ApiDestinations"
    assert headers["range"] == "bytes=0-1048575"
    assert headers["accept-encoding"] == "gzip,deflate"
    assert headers["connection"] == "close"
    assert headers["host"] == url.split("/")[2]
    assert headers["content-type"] == "application/cloudevents+json"  # the one default one may replace
    assert headers["content-length"] == str(len(request.body))
    assert "x-amzn-trace-id" not in headers
    assert request.json()["id"] == event.id


def test_without_overrides_the_content_type_is_json_utf8(tmp_path: Path, server: StubServer) -> None:
    url = server.route("/hook", lambda _: Reply(200))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "hook", url)))
    b.publish(trace_header="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    b.run_to_end()
    (request,) = server.to("/hook")
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["x-amzn-trace-id"] == "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"


def test_path_parameters_fill_the_stars_and_jsonpath_values_come_from_the_event(
    tmp_path: Path, server: StubServer
) -> None:
    server.route("/tenants/acme/orders/o%207", lambda _: Reply(200))
    b = api_bed(tmp_path)
    params = {
        "PathParameterValues": ["acme", "$.detail.order.id"],
        "HeaderParameters": {
            "x-order-total": "$.detail.order.total",
            "x-kind": "$.detail-type",
            "x-none": "$.detail.missing",
        },
        "QueryStringParameters": {"lines": "$.detail.order.lines", "static": "yes"},
    }
    arn = destination(b, "hook", f"{server.url}/tenants/*/orders/*?from=eb")
    b.target(target(arn, http_parameters=params))
    event = b.publish({"order": {"id": "o 7", "total": 120.5, "lines": [1, 2]}})
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DELIVERED]
    (request,) = server.requests
    assert request.path == "/tenants/acme/orders/o%207"  # the value is one percent-encoded segment
    assert request.headers["x-order-total"] == "120.5" and request.headers["x-kind"] == "OrderPlaced"
    assert "x-none" not in request.headers
    assert request.query == {"from": "eb", "lines": "[1,2]", "static": "yes"}


def test_fill_path_and_resolve() -> None:
    assert fill_path("https://h/a/*/b/*", ["x/y"]) == "https://h/a/x%2Fy/b/*"
    event = {"detail": {"items": [{"sku": "s-1"}]}, "id": "e"}
    assert resolve("$.detail.items[0].sku", event) == "s-1"
    assert resolve("$.detail.items", event) == '[{"sku":"s-1"}]'
    assert resolve("$.detail.items[3]", event) is None
    assert resolve("plain", event) == "plain"


def test_http_to_a_non_loopback_host_is_refused_without_a_request(tmp_path: Path) -> None:
    b = api_bed(tmp_path)
    b.target(target(destination(b, "plain", "http://api.example/hook?key=x")))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "INVALID_PARAMETER"
    assert attribute(dead, "ERROR_MESSAGE") == (
        "Endpoint http://api.example/hook must use HTTPS (http is accepted for loopback addresses only)."
    )


# ---------------------------------------------------------------------------------------- conformance
def _rows() -> list[Any]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    wire = [r for r in rows if (r.get("expected_error") or {}).get("stage") != "PutTargets"]
    return [pytest.param(r, id=r["id"][-60:]) for r in wire]


def _epoch(aws_time: str) -> float:
    return float(timegm(strptime(aws_time, "%Y-%m-%dT%H:%M:%SZ")))


@pytest.mark.parametrize("row", _rows())
def test_corpus_case_on_the_wire(tmp_path: Path, server: StubServer, row: dict[str, Any]) -> None:
    b = api_bed(tmp_path)
    doc = row["event"]
    server.route(f"/hook/{doc['id']}", lambda _: Reply(200))
    context = row.get("context") or {}
    rule_arn = context.get("rule_arn", "arn:aws:events:us-east-1:123456789012:rule/test-bus/test-rule")
    bus, _, rule_name = rule_arn.split(":rule/", 1)[1].rpartition("/")
    bus = bus or "default"
    b.bus(bus)
    assert b.rule(rule_name, bus=bus).arn == rule_arn
    spec = None
    if row.get("input_template") is not None:
        spec = InputTransformerSpec(row.get("input_paths_map") or {}, row["input_template"])
    params = {
        "PathParameterValues": ["$.id"],
        "HeaderParameters": {"x-source": "$.source"},
        "QueryStringParameters": {"region": "$.region"},
    }
    arn = destination(b, "hook", f"{server.url}/hook/*")
    shaped = target(arn, input_transformer=spec, input_path=row.get("input_path"), http_parameters=params)
    b.target(shaped, rule=rule_name, bus=bus)
    event = Event(
        id=doc["id"],
        bus=bus,
        source=doc["source"],
        detail_type=doc["detail-type"],
        detail=json.dumps(doc["detail"]),
        resources=tuple(doc["resources"]),
        time=doc["time"],
        account=doc["account"],
        region=doc["region"],
        ingested_at=_epoch(context.get("ingestion_time", doc["time"])),
    )
    now = b.clock.now()
    b.store.append([event], [DeliveryJob(f"job-{event.id}", event.id, bus, rule_name, "t", 0, now, now)])
    b.run_to_end()
    error = row.get("expected_error")
    if error is not None:  # output that is not JSON: nothing is sent
        assert server.requests == []
        assert [a.error_code for a in b.store.attempts(event.id)] == ["INVALID_JSON"]
        return
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DELIVERED]
    (request,) = server.requests
    assert request.path == f"/hook/{doc['id']}"
    assert (request.headers["x-source"], request.query) == (doc["source"], {"region": doc["region"]})
    if "expected_output" in row:
        assert request.body.decode() == row["expected_output"]
    else:
        assert json.loads(request.body) == row["expected_output_json"]
