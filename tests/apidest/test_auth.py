"""Connections on the wire: each authorization type against a SaaS stand-in that checks it, a real
OAuth token endpoint (cached token, renewal at expiry, refresh after a 401), and what happens to
a connection whose credentials are refused."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.engine.targets.connections import TOKEN_KIND
from bus.model import Outcome, RetryPolicy
from tests.apidest import api_bed, connection, connection_doc, destination, outcomes, target
from tests.engine import attribute
from tests.support.http_stubs import OAuthEndpoint, Recorded, Reply, StubServer


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer() as running:
        yield running


def _checking(header: str, expected: str) -> Callable[[Recorded], Reply]:
    def answer(request: Recorded) -> Reply:
        return Reply(200) if request.headers.get(header) == expected else Reply(401, "who are you?")

    return answer


def test_api_key_goes_in_the_named_header(tmp_path: Path, server: StubServer) -> None:
    url = server.route("/dd", _checking("dd-api-key", "k3y-v4lue"))
    b = api_bed(tmp_path)
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "DD-API-KEY", "ApiKeyValue": "k3y-v4lue"}}
    arn = destination(b, "dd", url, connection_arn=connection(b, "dd", "API_KEY", auth))
    b.target(target(arn))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DELIVERED]
    assert server.to("/dd")[0].headers["dd-api-key"] == "k3y-v4lue"


def test_basic_auth_is_the_authorization_header(tmp_path: Path, server: StubServer) -> None:
    expected = "Basic " + base64.b64encode(b"zendesk-user:p4ssw0rd").decode()
    url = server.route("/zd", _checking("authorization", expected))
    b = api_bed(tmp_path)
    auth = {"BasicAuthParameters": {"Username": "zendesk-user", "Password": "p4ssw0rd"}}
    b.target(target(destination(b, "zd", url, connection_arn=connection(b, "zd", "BASIC", auth))))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DELIVERED]


def _oauth(
    b_server: StubServer, *, secret: str = "cl13nt-s3cret", expires_in: int = 300
) -> tuple[OAuthEndpoint, dict[str, Any]]:
    endpoint = OAuthEndpoint(
        b_server, client_id="choreo", client_secret="cl13nt-s3cret", expires_in=expires_in
    )
    auth = {
        "OAuthParameters": {
            "AuthorizationEndpoint": endpoint.url,
            "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "choreo", "ClientSecret": secret},
            "OAuthHttpParameters": {
                "BodyParameters": [{"Key": "audience", "Value": "orders-api", "IsValueSecret": False}],
                "HeaderParameters": [{"Key": "x-tenant", "Value": "t-1", "IsValueSecret": False}],
                "QueryStringParameters": [{"Key": "realm", "Value": "shop", "IsValueSecret": False}],
            },
        }
    }
    return endpoint, auth


def test_oauth_token_is_fetched_once_kept_until_expiry_and_refreshed_after_a_401(
    tmp_path: Path, server: StubServer
) -> None:
    endpoint, auth = _oauth(server, expires_in=300)
    url = server.route("/api", endpoint.guard)
    b = api_bed(tmp_path)
    conn = connection(b, "o", "OAUTH_CLIENT_CREDENTIALS", auth)
    assert connection_doc(b, "o")["ConnectionState"] == "AUTHORIZING"
    b.target(target(destination(b, "api", url, connection_arn=conn)))

    first = [b.publish() for _ in range(3)]
    start = b.clock.now()
    b.run_to_end()
    assert all(outcomes(b.store.attempts(e.id)) == [Outcome.DELIVERED] for e in first)
    (token_request,) = server.to("/oauth/token")
    assert token_request.method == "POST" and token_request.query == {"realm": "shop"}
    assert token_request.headers["x-tenant"] == "t-1"
    assert token_request.form() == {"audience": "orders-api", "grant_type": "client_credentials"}
    assert {r.headers["authorization"] for r in server.to("/api")} == {"Bearer token-1"}
    state = connection_doc(b, "o")
    assert state["ConnectionState"] == "AUTHORIZED" and state["LastAuthorizedTime"] == start

    b.clock.advance(300)  # token-1 has expired: renewed before the call, not after a failure
    late = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(late.id)) == [Outcome.DELIVERED]
    assert server.to("/api")[-1].headers["authorization"] == "Bearer token-2"

    endpoint.revoke()  # the API rotates its keys: token-2 is now answered 401
    revoked = b.publish()
    b.run_to_end()
    attempts = b.store.attempts(revoked.id)
    assert outcomes(attempts) == [Outcome.RETRY, Outcome.DELIVERED]
    assert attempts[0].error_code == "ERROR_FROM_TARGET" and "HTTP 401" in (attempts[0].error_message or "")
    assert [r.headers["authorization"] for r in server.to("/api")[-2:]] == [
        "Bearer token-2",
        "Bearer token-3",
    ]
    assert len(server.to("/oauth/token")) == 3


def test_a_refused_client_secret_deauthorizes_the_connection_and_nothing_is_sent(
    tmp_path: Path, server: StubServer
) -> None:
    endpoint, auth = _oauth(server, secret="wr0ng-s3cret")
    url = server.route("/api", endpoint.guard)
    b = api_bed(tmp_path)
    conn = connection(b, "o", "OAUTH_CLIENT_CREDENTIALS", auth)
    b.target(target(destination(b, "api", url, connection_arn=conn), retry_policy=RetryPolicy(2, 3600)))
    event = b.publish()
    b.run_to_end()
    doc = connection_doc(b, "o")
    assert doc["ConnectionState"] == "DEAUTHORIZED"
    assert doc["StateReason"] == "The authorization endpoint answered HTTP 401."
    assert server.to("/api") == [] and len(server.to("/oauth/token")) == 1
    assert outcomes(b.store.attempts(event.id)) == [Outcome.RETRY, Outcome.RETRY, Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "NO_PERMISSIONS"
    assert attribute(dead, "RETRY_ATTEMPTS") == "2"
    assert b.store.get_resource(TOKEN_KIND, "o") is None


def test_a_401_to_basic_credentials_deauthorizes_the_connection_as_aws_does(
    tmp_path: Path, server: StubServer
) -> None:
    url = server.route("/zd", _checking("authorization", "Basic nobody"))
    b = api_bed(tmp_path)
    auth = {"BasicAuthParameters": {"Username": "u", "Password": "stale-p4ss"}}
    conn = connection(b, "zd", "BASIC", auth)
    b.target(target(destination(b, "zd", url, connection_arn=conn), retry_policy=RetryPolicy(1, 3600)))
    event = b.publish()
    b.run_to_end()
    assert len(server.to("/zd")) == 1  # the retry finds the connection de-authorized and sends nothing
    doc = connection_doc(b, "zd")
    assert (doc["ConnectionState"], doc["StateReason"]) == (
        "DEAUTHORIZED",
        "The endpoint answered HTTP 401 to the connection's credentials.",
    )
    attempts = b.store.attempts(event.id)
    assert outcomes(attempts) == [Outcome.RETRY, Outcome.DEAD_LETTERED]
    assert attempts[1].error_message == (
        "Connection zd is DEAUTHORIZED: The endpoint answered HTTP 401 to the connection's credentials."
    )


def test_connection_parameters_win_over_the_targets_and_body_parameters_join_a_json_body(
    tmp_path: Path, server: StubServer
) -> None:
    url = server.route("/hook", lambda _: Reply(200))
    b = api_bed(tmp_path)
    invocation = {
        "HeaderParameters": [
            {"Key": "x-team", "Value": "from-connection", "IsValueSecret": False},
            {"Key": "x-signature", "Value": "s1gn3d", "IsValueSecret": True},
        ],
        "QueryStringParameters": [{"Key": "token", "Value": "q-s3cret", "IsValueSecret": True}],
        "BodyParameters": [{"Key": "source_system", "Value": "choreo", "IsValueSecret": False}],
    }
    auth = {
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"},
        "InvocationHttpParameters": invocation,
    }
    conn = connection(b, "c", "API_KEY", auth)
    params = {
        "HeaderParameters": {"X-Team": "from-target", "x-other": "t"},
        "QueryStringParameters": {"token": "t", "v": "2"},
    }
    b.target(target(destination(b, "hook", url, connection_arn=conn), http_parameters=params))
    b.publish({"orderId": "o-9"})
    b.run_to_end()
    (request,) = server.to("/hook")
    assert request.headers["x-team"] == "from-connection" and request.headers["x-other"] == "t"
    assert request.headers["x-signature"] == "s1gn3d" and request.headers["x-api-key"] == "k"
    assert request.query == {"token": "q-s3cret", "v": "2"}
    body = request.json()
    assert body["source_system"] == "choreo" and body["detail"] == {"orderId": "o-9"}
