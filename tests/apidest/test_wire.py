"""Connections and API destinations through boto3 against ``choreo serve``: the states AWS reports,
the OAuth exchange with a real token endpoint, endpoint checks, and events delivered by the
running bus (real delivery threads) to loopback servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bus.engine.runtime import LocalBus
from tests.support.aws import aws_client, serving
from tests.support.http_stubs import OAuthEndpoint, Reply, StubServer, wait_for

PATTERN = json.dumps({"source": ["shop"]})


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    with LocalBus(tmp_path / "data") as running:
        yield running


@pytest.fixture
def events(bus: LocalBus) -> Iterator[Any]:
    with serving(bus) as url:
        yield aws_client("events", url)


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer() as running:
        yield running


def _oauth_auth(endpoint: OAuthEndpoint, secret: str) -> dict[str, Any]:
    return {
        "OAuthParameters": {
            "AuthorizationEndpoint": endpoint.url,
            "HttpMethod": "POST",
            "ClientParameters": {"ClientID": endpoint.client_id, "ClientSecret": secret},
        }
    }


def test_an_oauth_connection_answers_authorizing_then_is_authorized(events: Any, server: StubServer) -> None:
    endpoint = OAuthEndpoint(server, client_id="choreo", client_secret="0auth-s3cret")
    created = events.create_connection(
        Name="o",
        AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters=_oauth_auth(endpoint, "0auth-s3cret"),
    )
    assert created["ConnectionState"] == "AUTHORIZING"
    described = events.describe_connection(Name="o")
    assert described["ConnectionState"] == "AUTHORIZED"
    assert "StateReason" not in described and "LastAuthorizedTime" in described
    assert described["AuthParameters"]["OAuthParameters"] == {
        "AuthorizationEndpoint": endpoint.url,
        "HttpMethod": "POST",
        "ClientParameters": {"ClientID": "choreo"},
    }
    assert len(server.to("/oauth/token")) == 1


def test_a_refused_oauth_connection_is_deauthorized_with_the_reason_until_updated(
    events: Any, server: StubServer
) -> None:
    endpoint = OAuthEndpoint(server, client_id="choreo", client_secret="r1ght-s3cret")
    auth = _oauth_auth(endpoint, "wr0ng-s3cret")
    events.create_connection(Name="o", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=auth)
    described = events.describe_connection(Name="o")
    assert (described["ConnectionState"], described["StateReason"]) == (
        "DEAUTHORIZED",
        "The authorization endpoint answered HTTP 401.",
    )
    (listed,) = events.list_connections(ConnectionState="DEAUTHORIZED")["Connections"]
    assert (listed["Name"], listed["StateReason"]) == ("o", "The authorization endpoint answered HTTP 401.")
    fixed = {"OAuthParameters": {"ClientParameters": {"ClientID": "choreo", "ClientSecret": "r1ght-s3cret"}}}
    assert events.update_connection(Name="o", AuthParameters=fixed)["ConnectionState"] == "AUTHORIZING"
    described = events.describe_connection(Name="o")
    assert described["ConnectionState"] == "AUTHORIZED" and "StateReason" not in described


def test_endpoints_must_be_https_except_on_loopback(events: Any) -> None:
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}
    arn = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=auth)[
        "ConnectionArn"
    ]
    with pytest.raises(ClientError, match="must use HTTPS") as refused:
        events.create_api_destination(
            Name="d", ConnectionArn=arn, InvocationEndpoint="http://api.example/hook", HttpMethod="POST"
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    for n, url in enumerate(
        ("https://api.example/hook", "http://127.0.0.1:9/hook", "http://localhost:9/hook")
    ):
        events.create_api_destination(
            Name=f"d{n}", ConnectionArn=arn, InvocationEndpoint=url, HttpMethod="POST"
        )
    with pytest.raises(ClientError, match="must use HTTPS"):
        events.update_api_destination(Name="d1", InvocationEndpoint="http://10.0.0.1/x")
    oauth = {"OAuthParameters": {"AuthorizationEndpoint": "http://auth.example/token", "HttpMethod": "POST",
                                 "ClientParameters": {"ClientID": "i", "ClientSecret": "s"}}}  # fmt: skip
    with pytest.raises(ClientError, match="Invalid AuthorizationEndpoint"):
        events.create_connection(Name="o", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=oauth)


def test_events_reach_an_oauth_protected_api_through_the_running_bus(events: Any, server: StubServer) -> None:
    endpoint = OAuthEndpoint(server, client_id="choreo", client_secret="0auth-s3cret")
    url = server.route("/orders/o-1", endpoint.guard)
    arn = events.create_connection(
        Name="o",
        AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters=_oauth_auth(endpoint, "0auth-s3cret"),
    )["ConnectionArn"]
    destination = events.create_api_destination(
        Name="orders", ConnectionArn=arn, InvocationEndpoint=url.replace("o-1", "*"), HttpMethod="PUT",
        InvocationRateLimitPerSecond=20,
    )["ApiDestinationArn"]  # fmt: skip
    events.put_rule(Name="r", EventPattern=PATTERN)
    target = {
        "Id": "api",
        "Arn": destination,
        "InputPath": "$.detail",
        "HttpParameters": {"PathParameterValues": ["$.detail.id"]},
    }
    events.put_targets(Rule="r", Targets=[target])
    events.put_events(
        Entries=[{"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"id": "o-1"})}]
    )
    wait_for(lambda: len(server.to("/orders/o-1")) == 1, what="the API call")
    (call,) = server.to("/orders/o-1")
    assert (call.method, call.json(), call.headers["authorization"]) == (
        "PUT",
        {"id": "o-1"},
        "Bearer token-1",
    )
    assert len(server.to("/oauth/token")) == 1  # the token CreateConnection obtained is the one used


def test_a_hanging_endpoint_does_not_hold_back_other_targets(
    events: Any, bus: LocalBus, server: StubServer
) -> None:
    hanging = server.route("/hang", lambda _: Reply(hang=True))
    fast = server.route("/fast", lambda _: Reply(200))
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}
    arn = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=auth)[
        "ConnectionArn"
    ]
    targets = []
    for name, url in (("hang", hanging), ("fast", fast)):
        made = events.create_api_destination(
            Name=name, ConnectionArn=arn, InvocationEndpoint=url, HttpMethod="POST"
        )
        targets.append({"Id": name, "Arn": made["ApiDestinationArn"]})
    bus.create_queue("q")
    targets.append({"Id": "queue", "Arn": bus.queue_arn("q")})
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.put_targets(Rule="r", Targets=targets)
    for n in range(3):
        events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": json.dumps({"n": n})}])
    wait_for(lambda: len(server.to("/fast")) == 3, timeout=3, what="the fast endpoint")
    wait_for(lambda: bus.store.queue_counts("q", bus.engine.clock.now())[0] == 3, timeout=3, what="the queue")
    assert server.to("/hang")  # still hanging: the others went past it


def test_a_destination_is_inactive_while_its_connection_is_deauthorized(events: Any) -> None:
    auth = {"BasicAuthParameters": {"Username": "u", "Password": "p"}}
    arn = events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters=auth)["ConnectionArn"]
    events.create_api_destination(
        Name="d", ConnectionArn=arn, InvocationEndpoint="https://api.example/hook", HttpMethod="POST"
    )
    assert events.describe_api_destination(Name="d")["ApiDestinationState"] == "ACTIVE"
    events.deauthorize_connection(Name="c")
    assert events.describe_api_destination(Name="d")["ApiDestinationState"] == "INACTIVE"
    (listed,) = events.list_api_destinations()["ApiDestinations"]
    assert listed["ApiDestinationState"] == "INACTIVE"
    events.update_connection(Name="c", AuthParameters=auth)
    assert events.describe_api_destination(Name="d")["ApiDestinationState"] == "ACTIVE"
