"""SQLitePersistenceLayer keeps Powertools' persistence contract, with the DynamoDB layer's
conditions: absent or expired keys can be taken, IN PROGRESS ones only after their in-progress
expiry, and of many racing invocations exactly one takes a key."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from bus.consumer import SQLitePersistenceLayer

NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def in_progress(
    key: str, *, expires: float = NOW + 3600, in_progress_until: float | None = None
) -> DataRecord:
    return DataRecord(
        idempotency_key=key,
        status="INPROGRESS",
        expiry_timestamp=int(expires),
        in_progress_expiry_timestamp=None if in_progress_until is None else int(in_progress_until * 1000),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def layer(tmp_path: Path, clock: Clock) -> SQLitePersistenceLayer:
    return SQLitePersistenceLayer(tmp_path / "idem" / "records.db", clock=clock)


def test_put_get_update_delete(layer: SQLitePersistenceLayer) -> None:
    with pytest.raises(IdempotencyItemNotFoundError):
        layer._get_record("k")
    layer._put_record(in_progress("k", in_progress_until=NOW + 30))
    record = layer._get_record("k")
    assert (record.idempotency_key, record._status, record.expiry_timestamp) == (
        "k",
        "INPROGRESS",
        int(NOW + 3600),
    )
    assert record.in_progress_expiry_timestamp == int((NOW + 30) * 1000)
    layer._update_record(
        DataRecord(
            idempotency_key="k", status="COMPLETED", expiry_timestamp=int(NOW + 60), response_data='{"a": 1}'
        )
    )
    record = layer._get_record("k")
    assert (record._status, record.expiry_timestamp, record.response_json_as_dict()) == (
        "COMPLETED",
        int(NOW + 60),
        {"a": 1},
    )
    layer._delete_record(DataRecord(idempotency_key="k"))
    with pytest.raises(IdempotencyItemNotFoundError):
        layer._get_record("k")


def test_a_live_record_cannot_be_taken_and_the_conflict_carries_it(layer: SQLitePersistenceLayer) -> None:
    layer._put_record(in_progress("k", in_progress_until=NOW + 30))
    with pytest.raises(IdempotencyItemAlreadyExistsError) as conflict:
        layer._put_record(in_progress("k"))
    assert conflict.value.old_data_record.idempotency_key == "k"
    layer._update_record(DataRecord(idempotency_key="k", status="COMPLETED", expiry_timestamp=int(NOW + 60)))
    with pytest.raises(IdempotencyItemAlreadyExistsError):
        layer._put_record(in_progress("k"))


def test_an_expired_record_can_be_taken_again(layer: SQLitePersistenceLayer, clock: Clock) -> None:
    layer._put_record(in_progress("k", expires=NOW + 60))
    layer._update_record(DataRecord(idempotency_key="k", status="COMPLETED", expiry_timestamp=int(NOW + 60)))
    clock.now = NOW + 60
    with pytest.raises(IdempotencyItemAlreadyExistsError):  # not yet: DynamoDB's "expiry < now"
        layer._put_record(in_progress("k"))
    clock.now = NOW + 61
    layer._put_record(in_progress("k", expires=NOW + 7200))
    assert layer._get_record("k")._status == "INPROGRESS"


def test_in_progress_can_be_taken_once_the_invocation_holding_it_timed_out(
    layer: SQLitePersistenceLayer, clock: Clock
) -> None:
    layer._put_record(in_progress("k", in_progress_until=NOW + 30))
    clock.now = NOW + 29
    with pytest.raises(IdempotencyItemAlreadyExistsError):
        layer._put_record(in_progress("k"))
    clock.now = NOW + 31
    layer._put_record(in_progress("k", in_progress_until=NOW + 61))
    assert layer._get_record("k").in_progress_expiry_timestamp == int((NOW + 61) * 1000)
    # without an in-progress expiry (no Lambda context), only the record's expiry frees it
    layer._put_record(in_progress("j"))
    clock.now = NOW + 3000
    with pytest.raises(IdempotencyItemAlreadyExistsError):
        layer._put_record(in_progress("j"))


def test_of_racing_invocations_exactly_one_takes_the_key(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    layers = [SQLitePersistenceLayer(path) for _ in range(8)]  # as separate workers would open it
    start = threading.Barrier(len(layers))
    won: list[int] = []
    lost: list[int] = []

    def take(n: int) -> None:
        start.wait()
        try:
            layers[n]._put_record(in_progress("k", expires=time.time() + 60))
            won.append(n)
        except IdempotencyItemAlreadyExistsError:
            lost.append(n)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(layers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1 and len(lost) == len(layers) - 1
