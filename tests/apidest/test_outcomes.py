"""What each answer of an endpoint comes to, on the virtual clock: delivered, retried (how often and
how far apart), or dead-lettered with AWS's attributes."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from bus.model import Outcome, RetryPolicy
from tests.apidest import api_bed, destination, outcomes, target
from tests.engine import attribute
from tests.support.http_stubs import Reply, StubServer, script


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer() as running:
        yield running


def test_500_then_200_is_retried_once_and_delivered(tmp_path: Path, server: StubServer) -> None:
    url = server.route("/flaky", script(Reply(500, "database is down"), Reply(200)))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "flaky", url)))
    event = b.publish()
    b.run_to_end()
    attempts = b.store.attempts(event.id)
    assert outcomes(attempts) == [Outcome.RETRY, Outcome.DELIVERED]
    assert attempts[0].error_code == "ERROR_FROM_TARGET"
    assert attempts[0].error_message == f"{url} answered HTTP 500: database is down"
    assert 0 <= attempts[1].at - attempts[0].at <= 1.0  # the first retry waits at most the 1 s base
    assert len(server.to("/flaky")) == 2 and b.messages("dlq") == []


def test_a_400_is_final_and_dead_lettered_with_awss_attributes(tmp_path: Path, server: StubServer) -> None:
    url = server.route("/strict", script(Reply(400, '{"error":"missing field title"}')))
    b = api_bed(tmp_path)
    arn = destination(b, "strict", url)
    b.target(target(arn))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DEAD_LETTERED]
    assert len(server.to("/strict")) == 1
    (dead,) = b.messages("dlq")
    assert attribute(dead, "ERROR_CODE") == "ERROR_FROM_TARGET"
    assert attribute(dead, "ERROR_MESSAGE") == f'{url} answered HTTP 400: {{"error":"missing field title"}}'
    assert attribute(dead, "TARGET_ARN") == arn
    assert attribute(dead, "RETRY_ATTEMPTS") == "0"
    assert attribute(dead, "EXHAUSTED_RETRY_CONDITION") is None


@pytest.mark.parametrize("status", [409, 502, 503])
def test_409_and_5xx_are_retried_until_the_policy_ends(
    tmp_path: Path, server: StubServer, status: int
) -> None:
    url = server.route("/busy", script(Reply(status)))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "busy", url), retry_policy=RetryPolicy(3, 3600)))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.RETRY] * 3 + [Outcome.DEAD_LETTERED]
    (dead,) = b.messages("dlq")
    assert attribute(dead, "EXHAUSTED_RETRY_CONDITION") == "MaximumRetryAttempts"
    assert len(server.to("/busy")) == 4


@pytest.mark.parametrize("status", [301, 403, 404, 422])
def test_other_statuses_are_final(tmp_path: Path, server: StubServer, status: int) -> None:
    url = server.route("/no", script(Reply(status, headers={"Location": "https://elsewhere.example/"})))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "no", url)))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DEAD_LETTERED]
    assert f"HTTP {status}" in (attribute(b.messages("dlq")[0], "ERROR_MESSAGE") or "")


def test_429_waits_at_least_the_retry_after_it_names(tmp_path: Path, server: StubServer) -> None:
    url = server.route(
        "/throttled",
        script(
            Reply(429, headers={"Retry-After": "120"}), Reply(429, headers={"Retry-After": "30"}), Reply(200)
        ),
    )
    b = api_bed(tmp_path)
    b.target(target(destination(b, "throttled", url)))
    event = b.publish()
    b.run_to_end()
    attempts = b.store.attempts(event.id)
    assert outcomes(attempts) == [Outcome.RETRY, Outcome.RETRY, Outcome.DELIVERED]
    assert attempts[0].error_code == "THROTTLING"
    assert attempts[1].at - attempts[0].at == pytest.approx(120)  # Retry-After beats a ~1 s backoff
    assert attempts[2].at - attempts[1].at == pytest.approx(30)


def test_retry_after_as_an_http_date(tmp_path: Path, server: StubServer) -> None:
    b = api_bed(tmp_path)
    when = formatdate(b.clock.now() + 600, usegmt=True)
    url = server.route("/later", script(Reply(503, headers={"Retry-After": when}), Reply(200)))
    b.target(target(destination(b, "later", url)))
    event = b.publish()
    b.run_to_end()
    attempts = b.store.attempts(event.id)
    assert outcomes(attempts) == [Outcome.RETRY, Outcome.DELIVERED]
    assert attempts[1].at - attempts[0].at == pytest.approx(600, abs=1)


def test_a_retry_after_past_the_event_age_dead_letters_at_once(tmp_path: Path, server: StubServer) -> None:
    url = server.route("/slow-down", script(Reply(429, headers={"Retry-After": "7200"})))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "slow-down", url), retry_policy=RetryPolicy(185, 3600)))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DEAD_LETTERED]
    assert attribute(b.messages("dlq")[0], "EXHAUSTED_RETRY_CONDITION") == "MaximumEventAgeInSeconds"


def test_a_negative_retry_after_stops_the_retries(tmp_path: Path, server: StubServer) -> None:
    url = server.route("/gone", script(Reply(503, headers={"Retry-After": "-1"})))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "gone", url)))
    event = b.publish()
    b.run_to_end()
    assert outcomes(b.store.attempts(event.id)) == [Outcome.DEAD_LETTERED]
    assert len(server.to("/gone")) == 1
    assert attribute(b.messages("dlq")[0], "ERROR_CODE") == "ERROR_FROM_TARGET"


def test_an_endpoint_that_hangs_past_5_seconds_times_out_and_is_retried(
    tmp_path: Path, server: StubServer
) -> None:
    url = server.route("/hang", script(Reply(hang=True), Reply(200)))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "hang", url)))
    event = b.publish()
    b.run_to_end()
    attempts = b.store.attempts(event.id)
    assert outcomes(attempts) == [Outcome.RETRY, Outcome.DELIVERED]
    assert attempts[0].error_code == "TIMEOUT"
    assert attempts[0].error_message == f"{url} did not answer within 5 seconds."


def test_a_refused_connection_is_a_connection_failure_and_retried(tmp_path: Path) -> None:
    with StubServer() as gone:
        url = gone.url + "/x"
    b = api_bed(tmp_path)
    b.target(target(destination(b, "down", url), retry_policy=RetryPolicy(1, 3600)))
    event = b.publish()
    b.run_to_end()
    attempts = b.store.attempts(event.id)
    assert outcomes(attempts) == [Outcome.RETRY, Outcome.DEAD_LETTERED]
    assert {a.error_code for a in attempts} == {"CONNECTION_FAILURE"}
