"""Grep for secrets: a scenario through the EventBridge API and the running bus that exercises
every place a credential could leak (API responses and errors, logs at DEBUG, attempt records,
dead-letter attributes, drops, metrics) against endpoints that echo back everything they are
sent, and asserts that no secret value appears anywhere."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bus.engine.runtime import LocalBus
from tests.support.aws import aws_client, serving
from tests.support.http_stubs import OAuthEndpoint, Recorded, Reply, StubServer, script, wait_for

SECRETS = {
    "password": "B4sic-P4ss-SECRET",
    "api_key": "Ap1-K3y-SECRET",
    "client_secret": "0Auth-Cl1ent-SECRET",
    "wrong_client_secret": "Wr0ng-Cl1ent-SECRET",
    "secret_header": "H34der-SECRET",
    "secret_query": "Qu3ry-SECRET",
    "secret_body": "B0dy-SECRET",
    "oauth_body": "0Auth-B0dy-SECRET",
    "updated_key": "Upd4ted-K3y-SECRET",
}


def _echo(status: int) -> Any:
    """An endpoint that answers ``status`` with everything it received, headers and query included."""

    def answer(request: Recorded) -> Reply:
        echoed = {"headers": request.headers, "query": request.query, "body": request.body.decode()}
        return Reply(status, json.dumps(echoed))

    return answer


def _echo_once_then_ok(status: int) -> Any:
    calls: list[Recorded] = []

    def answer(request: Recorded) -> Reply:
        calls.append(request)
        return _echo(status)(request) if len(calls) == 1 else Reply(200)

    return answer


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer() as running:
        yield running


def test_no_secret_appears_in_responses_errors_logs_records_or_metrics(
    tmp_path: Path, server: StubServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    oauth = OAuthEndpoint(server, client_id="choreo", client_secret=SECRETS["client_secret"])
    with LocalBus(tmp_path / "data") as bus, serving(bus) as url:
        events = aws_client("events", url)
        events.meta.events.register("after-call", lambda http_response, **_: seen.append(http_response.text))
        bus.create_queue("dlq")
        invocation = {
            "HeaderParameters": [{"Key": "x-sig", "Value": SECRETS["secret_header"], "IsValueSecret": True}],
            "QueryStringParameters": [
                {"Key": "token", "Value": SECRETS["secret_query"], "IsValueSecret": True}
            ],
            "BodyParameters": [{"Key": "auth", "Value": SECRETS["secret_body"], "IsValueSecret": True}],
        }
        scope = [{"Key": "scope", "Value": SECRETS["oauth_body"], "IsValueSecret": True}]
        api_key = {"ApiKeyName": "x-api-key", "ApiKeyValue": SECRETS["api_key"]}
        connections: dict[str, tuple[str, dict[str, Any]]] = {
            "basic": ("BASIC", {"BasicAuthParameters": {"Username": "u", "Password": SECRETS["password"]}}),
            "key": ("API_KEY", {"ApiKeyAuthParameters": api_key}),
            "oauth": ("OAUTH_CLIENT_CREDENTIALS", {"OAuthParameters": {
                "AuthorizationEndpoint": oauth.url, "HttpMethod": "POST",
                "ClientParameters": {"ClientID": "choreo", "ClientSecret": SECRETS["client_secret"]},
                "OAuthHttpParameters": {"BodyParameters": scope},
            }}),
            "refused": ("OAUTH_CLIENT_CREDENTIALS", {"OAuthParameters": {
                "AuthorizationEndpoint": oauth.url, "HttpMethod": "POST",
                "ClientParameters": {"ClientID": "choreo", "ClientSecret": SECRETS["wrong_client_secret"]},
            }}),
        }  # fmt: skip
        arns = {}
        for name, (kind, auth) in connections.items():
            arns[name] = events.create_connection(
                Name=name,
                AuthorizationType=kind,
                AuthParameters={**auth, "InvocationHttpParameters": invocation},
            )["ConnectionArn"]
        routes = {
            "basic": script(Reply(401, "bad credentials")),  # de-authorizes the connection
            "key": _echo(400),  # final: the echo becomes the dead-letter ERROR_MESSAGE
            "oauth": _echo_once_then_ok(500),  # retried: the echo is the attempt's error message
            "refused": _echo(200),
        }
        targets = []
        for name, handler in routes.items():
            endpoint = server.route(f"/{name}", handler)
            destination = events.create_api_destination(
                Name=name, ConnectionArn=arns[name], InvocationEndpoint=endpoint, HttpMethod="POST"
            )["ApiDestinationArn"]
            policy = {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60}
            dlq = {"Arn": bus.queue_arn("dlq")}
            targets.append({"Id": name, "Arn": destination, "DeadLetterConfig": dlq, "RetryPolicy": policy})
        events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
        events.put_targets(Rule="r", Targets=targets)
        events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
        wait_for(lambda: bus.store.pending_jobs() == 0, timeout=15, what="every delivery settled")

        events.update_connection(
            Name="key", AuthParameters={"ApiKeyAuthParameters": {"ApiKeyValue": SECRETS["updated_key"]}}
        )
        for call in (
            events.describe_connection,
            events.deauthorize_connection,
            events.describe_api_destination,
        ):
            for name in connections:
                call(Name=name)
        events.list_connections()
        events.list_api_destinations()
        for bad in (
            {
                "Name": "key",
                "AuthorizationType": "API_KEY",
                "AuthParameters": connections["key"][1],
            },  # exists
            {
                "Name": "x",
                "AuthorizationType": "BASIC",
                "AuthParameters": connections["key"][1],
            },  # wrong member
        ):
            with pytest.raises(ClientError) as refused:
                events.create_connection(**bad)
            seen.append(str(refused.value))

        records: list[str] = [json.dumps(bus.metrics.snapshot(), default=str)]
        event_ids = {d.event_id for d in bus.store.drops(1000)}
        for message in bus.store.receive_messages("dlq", 10, 30, bus.engine.clock.now()):
            records.append(json.dumps(message.attributes, default=str))
            records.append(message.body)
            event_ids.add(json.loads(message.body)["id"])
        records.extend(
            json.dumps([a.error_code, a.error_message]) for e in event_ids for a in bus.store.attempts(e)
        )
        records.extend(str(d) for d in bus.store.drops(1000))

    client_side = ("botocore", "boto3", "urllib3")  # the test's own boto3 client logs what it sends
    logs = [f"{r.name}: {r.getMessage()}" for r in caplog.records if not r.name.startswith(client_side)]
    # the scenario did reach every path it means to check
    assert {
        m.get("ERROR_CODE", {}).get("StringValue")
        for m in (json.loads(r) for r in records if r.startswith('{"'))
    } >= {"ERROR_FROM_TARGET", "NO_PERMISSIONS"}
    assert any(
        SECRETS["secret_header"] in r.body.decode() or r.headers.get("x-sig") == SECRETS["secret_header"]
        for r in server.to("/key")
    )
    assert any('"ConnectionState":"DEAUTHORIZED"' in s.replace(" ", "") for s in seen)
    assert any("StateReason" in s for s in seen) and len(seen) > 20 and len(logs) > 10
    for where, texts in (("API responses and errors", seen), ("logs", logs), ("records", records)):
        for text in texts:
            leaked = [k for k, v in SECRETS.items() if v in text]
            assert not leaked, f"{leaked} leaked into {where}: {text[:300]}"
