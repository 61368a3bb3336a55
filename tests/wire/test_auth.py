"""``choreo serve --auth``: SigV4 verification, answered as AWS answers unsigned or badly signed calls."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.auth
import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from bus.cli import app
from bus.engine.runtime import LocalBus
from bus.wire.auth import Authenticator, CredentialsError, load_credentials
from tests.support.aws import aws_client, serving

KEY, SECRET = "AKIACHOREOTEST000001", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY"
OTHER_KEY, OTHER_SECRET = "AKIACHOREOTEST000002", "another/secret+value"
EVENTS_JSON = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.ListEventBuses"}
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS"
    " Secret Access Key and signing method. Consult the service documentation for details."
)


@pytest.fixture
def secured(bus: LocalBus) -> Iterator[str]:
    with serving(bus, Authenticator({KEY: SECRET, OTHER_KEY: OTHER_SECRET})) as url:
        yield url


def client(service: str, endpoint: str, key: str = KEY, secret: str = SECRET, **config: Any) -> Any:
    return aws_client(service, endpoint, key=key, secret=secret, **config)


def signed(
    endpoint: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    path: str = "/",
    service: str = "events",
    key: str = KEY,
    secret: str = SECRET,
) -> AWSRequest:
    request = AWSRequest(method="POST", url=endpoint + path, data=body, headers=headers or EVENTS_JSON)
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    return request


def send(request: AWSRequest, body: bytes | None = None) -> httpx.Response:
    content = request.body if body is None else body
    return httpx.post(request.url, content=content, headers=dict(request.headers.items()))


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    response: dict[str, Any] = raised.value.response
    return {
        "code": response["Error"]["Code"],
        "message": response["Error"]["Message"],
        "status": response["ResponseMetadata"]["HTTPStatusCode"],
    }


# --- boto3 with the right keys, and with the wrong ones --------------------------------------------


def test_boto3_clients_signed_by_a_listed_key_work(secured: str) -> None:
    events = client("events", secured)
    events.create_event_bus(Name="orders")
    assert "orders" in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    result = events.put_events(
        Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "orders"}]
    )
    assert result["FailedEntryCount"] == 0
    sqs = client("sqs", secured, OTHER_KEY, OTHER_SECRET)
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello / wörld")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == ["hello / wörld"]


def test_health_stays_open(secured: str) -> None:
    response = httpx.get(secured + "/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_a_wrong_secret_is_a_signature_mismatch(secured: str) -> None:
    events = client("events", secured, KEY, "not-the-secret")
    assert error_of(events.list_event_buses) == {
        "code": "InvalidSignatureException",
        "message": SIGNATURE_MISMATCH,
        "status": 403,
    }
    sqs = client("sqs", secured, KEY, "not-the-secret")
    failure = error_of(sqs.list_queues)
    assert failure == {"code": "SignatureDoesNotMatch", "message": SIGNATURE_MISMATCH, "status": 403}


def test_an_unknown_access_key_is_unrecognized(secured: str) -> None:
    events = client("events", secured, "AKIANOBODY0000000000", SECRET)
    assert error_of(events.list_event_buses) == {
        "code": "UnrecognizedClientException",
        "message": "The security token included in the request is invalid.",
        "status": 403,
    }
    sqs = client("sqs", secured, "AKIANOBODY0000000000", SECRET)
    assert error_of(sqs.list_queues)["code"] == "InvalidClientTokenId"


def test_unsigned_requests_are_refused(secured: str) -> None:
    raw = httpx.post(secured, content=b"{}", headers=EVENTS_JSON)
    assert raw.status_code == 403
    assert raw.json() == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }
    raw_sqs = httpx.post(
        secured,
        content=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"},
    )
    assert raw_sqs.status_code == 403
    assert raw_sqs.headers["x-amzn-query-error"] == "MissingAuthenticationToken;Sender"
    events = client("events", secured, signature_version=UNSIGNED)
    assert error_of(events.list_event_buses)["code"] == "MissingAuthenticationTokenException"
    sqs = client("sqs", secured, signature_version=UNSIGNED)
    assert error_of(sqs.list_queues) == {
        "code": "MissingAuthenticationToken",
        "message": "Missing Authentication Token",
        "status": 403,
    }


def test_a_correctly_signed_raw_request_passes(secured: str) -> None:
    response = send(signed(secured, b"{}"))
    assert response.status_code == 200, response.text
    assert "EventBuses" in response.json()


def test_a_tampered_body_does_not_match_its_signature(secured: str) -> None:
    request = signed(secured, b'{"NamePrefix": "a"}')
    response = send(request, b'{"NamePrefix": "b"}')
    assert response.status_code == 403
    assert response.json() == {"__type": "InvalidSignatureException", "message": SIGNATURE_MISMATCH}


def test_a_signed_payload_hash_must_be_the_bodys(secured: str) -> None:
    import hashlib

    body = b'{"NamePrefix": "a"}'
    headers = {**EVENTS_JSON, "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}
    assert send(signed(secured, body, headers=headers)).status_code == 200
    tampered = send(signed(secured, body, headers=headers), b'{"NamePrefix": "b"}')
    assert tampered.status_code == 403
    assert tampered.json()["__type"] == "InvalidSignatureException"


def test_a_tampered_signed_header_does_not_match(secured: str) -> None:
    request = signed(secured, b"{}")
    headers = dict(request.headers.items())
    headers["X-Amz-Target"] = "AWSEvents.ListRules"
    response = httpx.post(request.url, content=b"{}", headers=headers)
    assert response.status_code == 403
    assert response.json()["__type"] == "InvalidSignatureException"


def test_query_strings_and_paths_are_part_of_the_signature(secured: str) -> None:
    request = signed(secured, b"{}", path="/?b=2&a=1%2F")
    assert send(request).status_code == 200
    moved = httpx.post(
        request.url.replace("a=1%2F", "a=3"), content=b"{}", headers=dict(request.headers.items())
    )
    assert moved.status_code == 403 and moved.json()["__type"] == "InvalidSignatureException"


@pytest.mark.parametrize("minutes", [-16, 16])
def test_a_request_time_over_15_minutes_off_is_refused(
    secured: str, monkeypatch: pytest.MonkeyPatch, minutes: int
) -> None:
    skewed = datetime.now(UTC) + timedelta(minutes=minutes)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    response = send(signed(secured, b"{}"))
    assert response.status_code == 403
    error = response.json()
    assert error["__type"] == "InvalidSignatureException"
    stamp = skewed.strftime("%Y%m%dT%H%M%SZ")
    if minutes < 0:
        assert error["message"].startswith(f"Signature expired: {stamp} is now earlier than ")
        assert error["message"].endswith(" - 15 min.)")
    else:
        assert error["message"].startswith(f"Signature not yet current: {stamp} is still later than ")
    # through boto3 too
    events = client("events", secured)
    failure = error_of(events.list_event_buses)
    assert failure["code"] == "InvalidSignatureException" and "Signature" in failure["message"]


def test_a_request_time_within_15_minutes_passes(secured: str, monkeypatch: pytest.MonkeyPatch) -> None:
    skewed = datetime.now(UTC) - timedelta(minutes=14)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    assert send(signed(secured, b"{}")).status_code == 200


def test_malformed_authorization_headers_are_incomplete(secured: str) -> None:
    for authorization in (
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=x",
        "AWS4-HMAC-SHA256 SignedHeaders=host",
    ):
        response = httpx.post(secured, content=b"{}", headers={**EVENTS_JSON, "Authorization": authorization})
        assert response.status_code == 400, authorization
        assert response.json()["__type"] == "IncompleteSignatureException"
    request = signed(secured, b"{}")
    headers = {k: v for k, v in request.headers.items() if k.lower() != "x-amz-date"}
    response = httpx.post(request.url, content=b"{}", headers=headers)
    assert response.json()["__type"] == "IncompleteSignatureException"
    assert "X-Amz-Date" in response.json()["message"]


# --- the verifier on its own -------------------------------------------------------------------------


def test_verify_with_a_fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: stamp)
    request = signed("http://127.0.0.1:9", b"{}")
    headers = [*request.headers.items(), ("host", "127.0.0.1:9")]

    def verify(now: datetime, secret: str = SECRET) -> Any:
        return Authenticator({KEY: secret}, now=lambda: now).verify("POST", "/", "", headers, b"{}")

    assert verify(stamp + timedelta(minutes=15)) is None
    assert verify(stamp - timedelta(minutes=15)) is None
    late = verify(stamp + timedelta(minutes=15, seconds=1))
    assert late.wire_code == "InvalidSignatureException" and late.status == 403
    assert late.message == (
        "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z"
        " (20260102T031906Z - 15 min.)"
    )
    assert verify(stamp, "wrong").message == SIGNATURE_MISMATCH
    assert SECRET not in repr(Authenticator({KEY: SECRET}))


# --- the credentials file -------------------------------------------------------------------------


def credentials_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "credentials"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_credentials_file_format(tmp_path: Path) -> None:
    path = credentials_file(tmp_path, f"# who may call\n\n{KEY}  {SECRET}\n  {OTHER_KEY}\t{OTHER_SECRET}  \n")
    assert load_credentials(path) == {KEY: SECRET, OTHER_KEY: OTHER_SECRET}
    assert Authenticator.from_file(path).key_count == 2


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "holds no"),
        ("# nothing\n", "holds no"),
        (f"{KEY}\n", "expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY'"),
        (f"{KEY} {SECRET} extra\n", ":1: expected"),
        (f"{KEY} {SECRET}\n{KEY} {OTHER_SECRET}\n", ":2: access key id"),
        (f'{{"{KEY}": "{SECRET}"}}\n', "expected"),
    ],
)
def test_malformed_credentials_files_are_refused_without_echoing_secrets(
    tmp_path: Path, text: str, complaint: str
) -> None:
    with pytest.raises(CredentialsError) as raised:
        load_credentials(credentials_file(tmp_path, text))
    assert complaint in str(raised.value)
    assert SECRET not in str(raised.value) and OTHER_SECRET not in str(raised.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_a_credentials_file_others_can_access_is_refused(tmp_path: Path, mode: int) -> None:
    path = credentials_file(tmp_path, f"{KEY} {SECRET}\n", mode)
    with pytest.raises(CredentialsError) as raised:
        load_credentials(path)
    assert f"permissions {mode:04o}" in str(raised.value) and "too open" in str(raised.value)
    assert "chmod 600" in str(raised.value) and SECRET not in str(raised.value)
    path.chmod(0o400)
    assert load_credentials(path) == {KEY: SECRET}


def test_a_missing_credentials_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="cannot read credentials file"):
        load_credentials(tmp_path / "absent")


# --- choreo serve -----------------------------------------------------------------------------------


def test_serve_refuses_a_non_loopback_address_without_auth(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code != 0
    assert "refusing to bind 0.0.0.0" in result.output and "--auth" in result.output
    assert not (tmp_path / "d").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_serve_refuses_an_unsafe_credentials_file(tmp_path: Path) -> None:
    path = credentials_file(tmp_path, f"{KEY} {SECRET}\n", 0o644)
    result = CliRunner().invoke(
        app, ["serve", "--host", "0.0.0.0", "--auth", str(path), "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 2
    assert "too open" in result.output and SECRET not in result.output
    assert not (tmp_path / "d").exists()


def test_serve_documents_the_credentials_format() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--auth" in result.output and "ACCESS_KEY_ID SECRET_ACCESS_KEY" in result.output


def test_the_unsigned_error_body_is_json_for_both_protocols(secured: str) -> None:
    response = httpx.post(
        secured,
        content=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"},
    )
    assert json.loads(response.content)["__type"].endswith("MissingAuthenticationTokenException")
