"""InvocationRateLimitPerSecond: a token bucket on the virtual clock. Events over the limit wait in
the durable queue (deferred, no attempt counted) until their slot, or until their
MaximumEventAgeInSeconds runs out; a limited destination never holds back another one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.engine.targets._rate_limit import RateLimits, TokenBucket
from bus.model import Outcome, RetryPolicy
from tests.apidest import api_bed, destination, outcomes, target
from tests.engine import attribute
from tests.support.http_stubs import Reply, StubServer


@pytest.fixture
def server() -> Iterator[StubServer]:
    with StubServer() as running:
        yield running


def test_the_bucket_spaces_sends_by_one_interval_and_each_waiter_keeps_its_slot() -> None:
    bucket = TokenBucket(rate=5)
    answers = [bucket.acquire(i, now=10.0) for i in range(4)]
    assert answers[0] is None
    assert answers[1:] == pytest.approx([10.2, 10.4, 10.6])
    assert bucket.acquire(2, now=10.3) == pytest.approx(10.4)  # too early: the same slot again
    assert bucket.acquire(2, now=10.4) is None and bucket.waiting == 2
    assert bucket.acquire("new", now=10.4) == pytest.approx(10.8)  # behind those already waiting
    assert bucket.acquire("idle", now=100.0) is None  # a quiet spell refills the bucket


def test_waiters_that_come_back_late_together_still_send_one_interval_apart() -> None:
    bucket = TokenBucket(rate=5)
    assert [bucket.acquire(i, now=10.0) for i in range(3)][1:] == pytest.approx([10.2, 10.4])
    # the worker picks both waiters up late, at the same moment: only one may go
    assert bucket.acquire(1, now=11.0) is None
    assert bucket.acquire(2, now=11.0) == pytest.approx(11.2)
    assert bucket.acquire(2, now=11.2) is None


def test_a_changed_rate_gets_a_new_bucket() -> None:
    limits = RateLimits()
    first = limits.bucket("arn:d", 5)
    assert limits.bucket("arn:d", 5) is first
    assert limits.bucket("arn:d", 10).rate == 10
    with pytest.raises(ValueError, match="at least 1"):
        TokenBucket(rate=0)


def test_100_queued_events_at_5_per_second_are_spaced_by_the_bucket_and_all_arrive(
    tmp_path: Path, server: StubServer
) -> None:
    url = server.route("/limited", lambda _: Reply(200))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "limited", url, rate=5)))
    start = b.clock.now()
    events = [b.publish({"n": n}) for n in range(100)]
    b.run_to_end(max_passes=200)
    attempts = [b.store.attempts(e.id) for e in events]
    assert all(
        outcomes(a) == [Outcome.DELIVERED] and a[0].attempt == 0 for a in attempts
    )  # waits are not attempts
    times = sorted(a[0].at - start for a in attempts)
    assert times == pytest.approx([i * 0.2 for i in range(100)], abs=1e-5)
    assert max(sum(1 for t in times if s - 1e-5 <= t < s + 1.0 - 1e-5) for s in times) == 5
    assert sorted(r.json()["detail"]["n"] for r in server.to("/limited")) == list(range(100))
    assert b.messages("dlq") == []


def test_a_burst_to_a_limited_destination_does_not_hold_back_another(
    tmp_path: Path, server: StubServer
) -> None:
    slow = server.route("/slow", lambda _: Reply(200))
    fast = server.route("/fast", lambda _: Reply(200))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "slow", slow, rate=1), "s"))
    b.target(target(destination(b, "fast", fast), "f"))
    burst = [b.publish(to=[("r", "s")]) for _ in range(30)]
    after = [b.publish(to=[("r", "f")]) for _ in range(5)]
    start = b.clock.now()
    b.run_to_end()
    assert len(server.to("/fast")) == 5 and len(server.to("/slow")) == 30
    assert all(outcomes(b.store.attempts(e.id)) == [Outcome.DELIVERED] for e in after + burst)
    # the fast destination is served at its own 300 per second, not after the slow one's backlog
    assert max(b.store.attempts(e.id)[0].at for e in after) - start == pytest.approx(4 / 300, abs=1e-5)
    assert max(b.store.attempts(e.id)[0].at for e in burst) - start == pytest.approx(29, abs=1e-5)


def test_events_whose_slot_is_past_their_maximum_age_are_dead_lettered_as_throttled(
    tmp_path: Path, server: StubServer
) -> None:
    url = server.route("/one", lambda _: Reply(200))
    b = api_bed(tmp_path)
    b.target(target(destination(b, "one", url, rate=1), retry_policy=RetryPolicy(185, 60)))
    events = [b.publish() for _ in range(100)]
    b.run_to_end(max_passes=200)
    delivered = [e for e in events if outcomes(b.store.attempts(e.id)) == [Outcome.DELIVERED]]
    assert len(delivered) == 61 and len(server.to("/one")) == 61  # slots at 0, 1, ..., 60 seconds
    dead = b.messages("dlq")
    while len(dead) < 39 and (more := b.messages("dlq")):
        dead += more
    assert len(dead) == 39
    assert {attribute(m, "ERROR_CODE") for m in dead} == {"THROTTLING"}
    assert {attribute(m, "EXHAUSTED_RETRY_CONDITION") for m in dead} == {"MaximumEventAgeInSeconds"}


def test_abandoned_slots_are_forgotten_once_many_are_held() -> None:
    bucket = TokenBucket(rate=300)
    for n in range(10_001):
        bucket.acquire(n, now=0.0)
    assert bucket.waiting == 10_000
    assert bucket.acquire("later", now=1_000.0) is None  # the old slots lie 300+ seconds back
    assert bucket.waiting == 0
