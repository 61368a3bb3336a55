"""The retry schedule: exponential backoff with full jitter, bounded by the RetryPolicy."""

from __future__ import annotations

from random import Random

import pytest

from bus.engine.backoff import Backoff, Exhausted, next_retry
from bus.model import RetryPolicy

NOW = 1_000_000.0


@pytest.mark.parametrize(
    ("retry", "ceiling"), [(1, 1.0), (2, 2.0), (5, 16.0), (10, 512.0), (11, 900.0), (185, 900.0)]
)
def test_each_delay_is_uniform_below_an_exponential_ceiling_with_a_cap(retry: int, ceiling: float) -> None:
    rng = Random(retry)
    delays = [Backoff().delay(retry, rng) for _ in range(2000)]
    assert min(delays) >= 0.0 and max(delays) <= ceiling
    assert max(delays) > 0.9 * ceiling  # the whole range is used: full jitter
    assert abs(sum(delays) / len(delays) - ceiling / 2) < 0.05 * ceiling


def test_base_and_cap_are_settings() -> None:
    assert Backoff(base=10, cap=30).delay(1, Random(1)) <= 10
    assert max(Backoff(base=10, cap=30).delay(9, Random(i)) for i in range(200)) <= 30


def test_the_same_seed_gives_the_same_schedule() -> None:
    assert [Backoff().delay(n, Random(3)) for n in range(1, 20)] == [
        Backoff().delay(n, Random(3)) for n in range(1, 20)
    ]


def retry(
    policy: RetryPolicy, retries_made: int, *, now: float = NOW, event_time: float = NOW
) -> float | Exhausted:
    return next_retry(
        policy, retries_made=retries_made, event_time=event_time, now=now, backoff=Backoff(), rng=Random(0)
    )


def test_a_retry_is_scheduled_while_both_limits_allow() -> None:
    at = retry(RetryPolicy(), 0)
    assert isinstance(at, float) and NOW <= at <= NOW + 1.0


def test_maximum_retry_attempts_counts_retries_not_attempts() -> None:
    policy = RetryPolicy(maximum_retry_attempts=2, maximum_event_age_seconds=86_400)
    assert isinstance(retry(policy, 1), float)
    assert retry(policy, 2) is Exhausted.MAXIMUM_RETRY_ATTEMPTS


def test_zero_retries_means_the_first_failure_is_final() -> None:
    assert retry(RetryPolicy(0, 86_400), 0) is Exhausted.MAXIMUM_RETRY_ATTEMPTS


def test_a_retry_that_would_start_after_the_maximum_age_is_not_scheduled() -> None:
    policy = RetryPolicy(185, 60)
    assert retry(policy, 3, now=NOW + 59.999, event_time=NOW) is Exhausted.MAXIMUM_EVENT_AGE
    assert isinstance(retry(policy, 0, now=NOW + 10, event_time=NOW), float)


def test_the_conditions_carry_aws_names() -> None:
    assert [c.value for c in Exhausted] == ["MaximumRetryAttempts", "MaximumEventAgeInSeconds"]
