"""The Store contract: every backend's test class subclasses ``StoreContract`` and provides ``store``.

    class TestSqliteStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path): ...

Times are plain floats: the store never reads a clock, callers pass ``now``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bus.errors import StoreError
from bus.model import Attempt, DeliveryJob, Drop, Event, Outcome, QueueMessage, Settlement
from bus.store.base import Store

T0 = 1_700_000_000.0


def event(eid: str, ingested_at: float = T0, *, detail: str = '{"n":1}', bus: str = "default") -> Event:
    return Event(
        id=eid,
        bus=bus,
        source="com.choreo.orders",
        detail_type="OrderPlaced",
        detail=detail,
        resources=("arn:aws:s3:::a", "arn:aws:s3:::b"),
        time="2023-11-14T22:13:20Z",
        account="123456789012",
        region="us-east-1",
        ingested_at=ingested_at,
    )


def job(jid: str, eid: str = "e1", due_at: float = T0, attempt: int = 0) -> DeliveryJob:
    return DeliveryJob(jid, eid, "default", "rule-a", "target-1", attempt, due_at, T0)


def attempt(j: DeliveryJob, outcome: Outcome, at: float, code: str | None = None) -> Attempt:
    message = None if code is None else f"{code} happened"
    return Attempt(j.id, j.event_id, j.bus, j.rule, j.target_id, j.attempt, outcome, at, code, message)


def message(mid: str, queue: str = "q", sent_at: float = T0, body: str = "{}") -> QueueMessage:
    return QueueMessage(mid, queue, body, sent_at, visible_at=sent_at)


class StoreContract:
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        raise NotImplementedError("a backend's test class provides the store fixture")

    # ------------------------------------------------------------------ atomic append
    def test_an_archive_entry_for_an_unknown_event_fails_the_whole_append(self, store: Store) -> None:
        with pytest.raises(StoreError, match=r"unknown events \['ghost'\]"):
            store.append([event("e1")], [job("j1")], [("arch", "e1"), ("arch", "ghost")])
        assert store.get_event("e1") is None
        assert store.pending_jobs() == 0
        assert store.archive_stats("arch") == (0, 0)

    # ------------------------------------------------------------------ resources
    def test_resource_put_get_replace_delete(self, store: Store) -> None:
        doc = {"name": "orders", "tags": ["a", "ü"], "nested": {"n": 1.5, "none": None, "odd": "\ud800"}}
        assert store.get_resource("bus", "orders") is None
        store.put_resource("bus", "orders", doc)
        assert store.get_resource("bus", "orders") == doc
        assert store.get_resource("rule", "orders") is None  # kinds are separate namespaces
        store.put_resource("bus", "orders", {"name": "orders", "v": 2})
        assert store.get_resource("bus", "orders") == {"name": "orders", "v": 2}
        assert store.delete_resource("bus", "orders") is True
        assert store.delete_resource("bus", "orders") is False
        assert store.get_resource("bus", "orders") is None

    def test_resource_documents_are_copies(self, store: Store) -> None:
        doc = {"name": "orders"}
        store.put_resource("bus", "orders", doc)
        doc["name"] = "changed"
        got = store.get_resource("bus", "orders")
        assert got == {"name": "orders"}
        got["name"] = "changed too"
        assert store.get_resource("bus", "orders") == {"name": "orders"}

    def test_list_resources_by_prefix_ordered_by_key(self, store: Store) -> None:
        keys = ["b/2", "a/1", "a/10", "a", "a0", "a/é", "a/\U0001f600", "a/z", "b/1", "a/%_", "A/1"]
        for key in keys:
            store.put_resource("rule", key, {"key": key})
        store.put_resource("target", "a/1/t", {"key": "a/1/t"})
        listed = store.list_resources("rule", "a/")
        assert [k for k, _ in listed] == sorted(k for k in keys if k.startswith("a/"))
        assert all(doc == {"key": k} for k, doc in listed)
        assert [k for k, _ in store.list_resources("rule")] == sorted(keys)
        assert [k for k, _ in store.list_resources("rule", "a/%")] == ["a/%_"]  # no wildcards
        assert store.list_resources("rule", "c") == []
        assert store.list_resources("queue") == []
        assert [k for k, _ in store.list_resources("rule", "a/\U0001f600")] == ["a/\U0001f600"]

    # ------------------------------------------------------------------ events and jobs
    def test_append_commits_events_jobs_archive_entries_and_drops_together(self, store: Store) -> None:
        e1, e2 = event("e1", T0), event("e2", T0 + 1, detail='{"name":"zoë"}')
        store.append(
            [e1, e2],
            [job("j1", "e1"), job("j2", "e1"), job("j3", "e2")],
            [("arch", "e1"), ("arch", "e2")],
            [Drop("e2", "no such bus", T0 + 1, bus="nowhere")],
        )
        assert store.get_event("e1") == e1
        assert store.get_event("e2") == e2
        assert store.get_event("e3") is None
        assert store.pending_jobs() == 3
        assert store.archived_events("arch", 0, T0 + 10) == [e1, e2]
        assert store.drops() == [Drop("e2", "no such bus", T0 + 1, bus="nowhere")]

    def test_event_round_trips_every_field(self, store: Store) -> None:
        full = Event(
            id="e-full",
            bus="orders",
            source="s",
            detail_type="T",
            detail='{"a": [1, 2.5, "ü"], "b": null}',
            resources=(),
            time="2024-01-01T00:00:00Z",
            account="111122223333",
            region="eu-west-1",
            ingested_at=T0 + 0.123456,
            trace_header="Root=1-abc",
            replay_name="replay-1",
            source_bus="other",
        )
        store.append([full])
        assert store.get_event("e-full") == full
        assert isinstance(store.get_event("e-full").resources, tuple)  # type: ignore[union-attr]

    def test_empty_append_changes_nothing(self, store: Store) -> None:
        store.append([])
        assert store.pending_jobs() == 0
        assert store.next_due_at() is None
        assert store.drops() == []

    def test_jobs_and_archive_entries_may_refer_to_events_appended_earlier(self, store: Store) -> None:
        store.append([event("e1")])
        store.append([], [job("j1", "e1", T0 + 5)], [("arch", "e1")])
        assert store.due_jobs(T0 + 5, 10) == [job("j1", "e1", T0 + 5)]
        assert [e.id for e in store.archived_events("arch", 0, T0 + 1)] == ["e1"]

    def test_due_jobs_earliest_first_up_to_now_inclusive_with_limit(self, store: Store) -> None:
        jobs = [
            job("j-c", due_at=T0 + 3),
            job("j-a", due_at=T0 + 1),
            job("j-b", due_at=T0 + 3),
            job("j-d", due_at=T0 + 9),
        ]
        store.append([event("e1")], jobs)
        assert [j.id for j in store.due_jobs(T0 + 3, 10)] == ["j-a", "j-b", "j-c"]
        assert [j.id for j in store.due_jobs(T0 + 3, 2)] == ["j-a", "j-b"]
        assert store.due_jobs(T0, 10) == []
        assert store.due_jobs(T0 + 100, 10)[0] == job("j-a", due_at=T0 + 1)
        assert store.pending_jobs() == 4

    def test_next_due_at(self, store: Store) -> None:
        assert store.next_due_at() is None
        store.append([event("e1")], [job("j1", due_at=T0 + 7), job("j2", due_at=T0 + 2)])
        assert store.next_due_at() == T0 + 2
        j2 = job("j2", due_at=T0 + 2)
        store.settle(j2, attempt(j2, Outcome.DELIVERED, T0 + 2))
        assert store.next_due_at() == T0 + 7

    def test_settle_delivered_deletes_the_job_and_records_the_attempt(self, store: Store) -> None:
        j = job("j1")
        store.append([event("e1")], [j])
        store.settle(j, attempt(j, Outcome.DELIVERED, T0 + 1))
        assert store.pending_jobs() == 0
        assert store.due_jobs(T0 + 100, 10) == []
        assert store.attempts("e1") == [attempt(j, Outcome.DELIVERED, T0 + 1)]

    def test_settle_retry_reschedules_with_the_next_attempt(self, store: Store) -> None:
        j = job("j1")
        store.append([event("e1")], [j])
        store.settle(j, attempt(j, Outcome.RETRY, T0, "Throttled"), retry_at=T0 + 30)
        assert store.pending_jobs() == 1
        assert store.due_jobs(T0 + 29, 10) == []
        assert store.due_jobs(T0 + 30, 10) == [job("j1", attempt=1, due_at=T0 + 30)]
        assert store.next_due_at() == T0 + 30
        assert store.attempts("e1")[0].error_code == "Throttled"

    def test_settle_finds_the_job_by_id_even_from_a_stale_copy(self, store: Store) -> None:
        j = job("j1")
        store.append([event("e1")], [j])
        store.settle(j, attempt(j, Outcome.RETRY, T0, "E"), retry_at=T0 + 30)
        store.settle(j, attempt(j, Outcome.DELIVERED, T0 + 1))  # j still says due_at=T0, attempt 0
        assert store.pending_jobs() == 0
        assert len(store.attempts("e1")) == 2

    def test_events_come_in_pages_newest_first_per_bus_or_all(self, store: Store) -> None:
        store.append([event(f"e{i}", T0 + i, bus="orders" if i % 2 else "default") for i in range(7)])
        store.append([event("e3b", T0 + 3)])  # same time as e3: the id breaks the tie
        first = store.events_page(limit=3)
        assert [e.id for e in first] == ["e6", "e5", "e4"]
        cursor = (first[-1].ingested_at, first[-1].id)
        assert [e.id for e in store.events_page(before=cursor, limit=3)] == ["e3b", "e3", "e2"]
        assert [e.id for e in store.events_page(bus="orders")] == ["e5", "e3", "e1"]
        assert store.events_page(bus="orders", before=(T0 + 1, "e1")) == []

    def test_old_events_are_pruned_unless_a_job_or_an_archive_needs_them(self, store: Store) -> None:
        delivered, pending, archived, recent = (
            job("j1", "e1"),
            job("j2", "e2"),
            job("j3", "e3"),
            job("j4", "e4"),
        )
        store.append(
            [event("e1", T0), event("e2", T0 + 1), event("e3", T0 + 2), event("e4", T0 + 50)],
            [delivered, pending, archived, recent],
            archived=[("shop", "e3")],
        )
        for j in (delivered, archived, recent):
            store.settle(j, attempt(j, Outcome.DELIVERED, T0 + 3))
        assert store.prune_events(before=T0 + 10) == 1  # e2 waits for its job, e3 is archived, e4 is new
        assert store.get_event("e1") is None and store.attempts("e1") == []
        assert [store.get_event(e) is not None for e in ("e2", "e3", "e4")] == [True, True, True]
        store.settle(pending, attempt(pending, Outcome.DELIVERED, T0 + 4))
        store.expire_archived("shop", before=T0 + 10)
        assert store.prune_events(before=T0 + 10) == 2
        assert store.prune_events(before=T0 + 10) == 0

    def test_settle_many_commits_every_outcome_together(self, store: Store) -> None:
        j1, j2, j3 = job("j1"), job("j2"), job("j3")
        store.append([event("e1")], [j1, j2, j3])
        sent = QueueMessage("m1", "orders", '{"id":"e1"}', T0 + 1)
        store.settle_many(
            [
                Settlement(j1, attempt(j1, Outcome.DELIVERED, T0 + 1), messages=(sent,)),
                Settlement(j2, None, retry_at=T0 + 60),  # deferred: no attempt, same attempt number
                Settlement(j3, attempt(j3, Outcome.RETRY, T0 + 1, "E"), retry_at=T0 + 5),
            ]
        )
        assert store.due_jobs(T0 + 100, 10) == [
            job("j3", attempt=1, due_at=T0 + 5),
            job("j2", attempt=0, due_at=T0 + 60),
        ]
        assert [a.job_id for a in store.attempts("e1")] == ["j1", "j3"]
        assert [m.id for m in store.receive_messages("orders", 10, 30, T0 + 1)] == ["m1"]

    def test_append_commits_outcomes_of_jobs_never_stored(self, store: Store) -> None:
        # inline delivery: the jobs' outcomes are committed with their event, the jobs never are
        j1, j2, j3 = job("j1"), job("j2"), job("j3")
        sent = QueueMessage("m1", "orders", '{"id":"e1"}', T0)
        gone = Drop("e1", "no dead-letter queue", T0, bus="default", rule="rule-a", target_id="t3")
        store.append(
            [event("e1")],
            [j2],  # a job for the worker, next to them
            settled=[
                Settlement(j1, attempt(j1, Outcome.DELIVERED, T0), messages=(sent,)),
                Settlement(j3, attempt(j3, Outcome.RETRY, T0, "E"), retry_at=T0 + 5),
                Settlement(job("j4"), attempt(job("j4"), Outcome.DROPPED, T0, "E"), drop=gone),
            ],
        )
        assert store.due_jobs(T0 + 100, 10) == [job("j2"), job("j3", attempt=1, due_at=T0 + 5)]
        assert [a.job_id for a in store.attempts("e1")] == ["j1", "j3", "j4"]
        assert [m.id for m in store.receive_messages("orders", 10, 30, T0)] == ["m1"]
        assert store.drops() == [gone]

    def test_settle_many_of_nothing_is_a_no_op(self, store: Store) -> None:
        store.settle_many([])
        assert store.pending_jobs() == 0

    def test_resource_changes_bump_the_version(self, store: Store) -> None:
        before = store.resource_version
        store.put_resource("rule", "default/r", {"a": 1})
        after_put = store.resource_version
        store.delete_resource("rule", "default/r")
        assert before < after_put < store.resource_version
        queues = store.kind_version("queue")
        store.put_resource("lambda_async", "x", {})
        assert store.kind_version("queue") == queues  # another kind's change leaves it alone
        assert store.kind_version("rule") == 2 and store.kind_version("lambda_async") == 1

    def test_settle_dead_letter_lands_in_its_queue(self, store: Store) -> None:
        j = job("j1")
        store.append([event("e1")], [j])
        dlq = QueueMessage(
            "m1", "dlq", '{"id":"e1"}', T0 + 1, attributes={"ERROR_CODE": {"StringValue": "x"}}
        )
        store.settle(j, attempt(j, Outcome.DEAD_LETTERED, T0 + 1, "Boom"), dead_letter=dlq)
        assert store.pending_jobs() == 0
        assert store.queue_counts("dlq", T0 + 1) == (1, 0)
        [got] = store.receive_messages("dlq", 10, 30, T0 + 1)
        assert (got.id, got.body, got.attributes) == (
            "m1",
            '{"id":"e1"}',
            {"ERROR_CODE": {"StringValue": "x"}},
        )

    def test_settle_drop_is_recorded(self, store: Store) -> None:
        j = job("j1")
        store.append([event("e1")], [j])
        d = Drop("e1", "retries exhausted", T0 + 2, bus="default", rule="rule-a", target_id="target-1")
        store.settle(j, attempt(j, Outcome.DROPPED, T0 + 2, "Boom"), drop=d)
        assert store.pending_jobs() == 0
        assert store.drops() == [d]

    def test_attempts_in_the_order_they_happened(self, store: Store) -> None:
        j, other = job("j1"), job("j9", "e2")
        store.append([event("e1"), event("e2")], [j, other])
        store.settle(j, attempt(j, Outcome.RETRY, T0 + 5, "E1"), retry_at=T0 + 10)
        store.settle(other, attempt(other, Outcome.DELIVERED, T0 + 6))
        j = store.due_jobs(T0 + 10, 1)[0]
        store.settle(j, attempt(j, Outcome.RETRY, T0 + 10, "E2"), retry_at=T0 + 20)
        j = store.due_jobs(T0 + 20, 1)[0]
        store.settle(j, attempt(j, Outcome.DELIVERED, T0 + 20))
        got = store.attempts("e1")
        assert [(a.attempt, a.outcome, a.error_code) for a in got] == [
            (0, Outcome.RETRY, "E1"),
            (1, Outcome.RETRY, "E2"),
            (2, Outcome.DELIVERED, None),
        ]
        assert got[0] == attempt(job("j1"), Outcome.RETRY, T0 + 5, "E1")
        assert [a.job_id for a in store.attempts("e2")] == ["j9"]
        assert store.attempts("nope") == []

    def test_drops_newest_first_with_limit(self, store: Store) -> None:
        store.append([event("e1")], drops=[Drop("e1", f"r{i}", T0 + i) for i in range(60)])
        store.append([], drops=[Drop("e1", f"r{i}", T0 + i) for i in range(60, 110)])
        assert [d.reason for d in store.drops(3)] == ["r109", "r108", "r107"]
        assert len(store.drops()) == 100
        assert store.drops()[-1].reason == "r10"

    # ------------------------------------------------------------------ archives
    def test_archived_events_window_after_limit_and_order(self, store: Store) -> None:
        events = [event(f"e{i}", T0 + i) for i in range(10)] + [event("e5b", T0 + 5), event("e5a", T0 + 5)]
        store.append(events, archived=[("arch", e.id) for e in events] + [("other", "e3")])

        def ids(*args: float, **kwargs: float) -> list[str]:
            return [e.id for e in store.archived_events("arch", *args, **kwargs)]  # type: ignore[arg-type]

        assert ids(T0 + 2, T0 + 6) == ["e2", "e3", "e4", "e5", "e5a", "e5b"]  # end exclusive
        assert ids(T0 + 2, T0 + 6, after=T0 + 4) == ["e5", "e5a", "e5b"]  # after exclusive
        assert ids(T0, T0 + 100, limit=3) == ["e0", "e1", "e2"]
        assert ids(T0 + 100, T0 + 200) == []
        assert store.archived_events("other", 0, T0 + 100) == [event("e3", T0 + 3)]
        assert store.archived_events("nope", 0, T0 + 100) == []

    def test_an_event_in_two_archives_is_one_event(self, store: Store) -> None:
        store.append([event("e1")], archived=[("a", "e1"), ("b", "e1")])
        assert store.archived_events("a", 0, T0 + 1) == store.archived_events("b", 0, T0 + 1) == [event("e1")]
        assert store.expire_archived("a", T0 + 1) == 1
        assert store.archived_events("b", 0, T0 + 1) == [event("e1")]

    def test_archive_stats_count_and_utf8_detail_bytes(self, store: Store) -> None:
        assert store.archive_stats("arch") == (0, 0)
        e1, e2 = event("e1", detail='{"a":"é"}'), event("e2", detail="{}")
        store.append([e1, e2], archived=[("arch", "e1"), ("arch", "e2")])
        assert store.archive_stats("arch") == (2, len('{"a":"é"}'.encode()) + 2)
        assert store.archive_stats("other") == (0, 0)

    def test_expire_archived_forgets_old_entries_only(self, store: Store) -> None:
        events = [event(f"e{i}", T0 + i) for i in range(5)]
        store.append(events, archived=[("arch", e.id) for e in events] + [("keep", "e0")])
        assert store.expire_archived("arch", T0 + 3) == 3
        assert [e.id for e in store.archived_events("arch", 0, T0 + 100)] == ["e3", "e4"]
        assert store.expire_archived("arch", T0 + 3) == 0
        assert store.archive_stats("keep")[0] == 1
        assert store.get_event("e0") == events[0]  # the event itself stays

    # ------------------------------------------------------------------ queues
    def test_receive_hides_messages_for_the_visibility_timeout(self, store: Store) -> None:
        store.send_message(message("m1", sent_at=T0))
        [first] = store.receive_messages("q", 10, 30, T0 + 1)
        assert (first.id, first.receive_count, first.visible_at) == ("m1", 1, T0 + 31)
        assert first.receipt_handle
        assert store.receive_messages("q", 10, 30, T0 + 30.5) == []
        [second] = store.receive_messages("q", 10, 30, T0 + 31)
        assert second.receive_count == 2
        assert second.receipt_handle not in (None, first.receipt_handle)

    def test_message_fields_round_trip(self, store: Store) -> None:
        sent = QueueMessage(
            "m1",
            "q",
            '{"detail":"ü"}',
            T0,
            attributes={"k": {"DataType": "String", "StringValue": "v"}},
            system_attributes={"AWSTraceHeader": "Root=1-x"},
            visible_at=T0,
        )
        store.send_message(sent)
        [got] = store.receive_messages("q", 1, 0, T0)
        assert (got.body, got.attributes, got.system_attributes, got.sent_at) == (
            sent.body,
            sent.attributes,
            {**sent.system_attributes, "ApproximateFirstReceiveTimestamp": str(int(T0 * 1000))},
            T0,
        )

    def test_queues_can_be_browsed_without_receiving(self, store: Store) -> None:
        for n in range(3):
            store.send_message(QueueMessage(f"m{n}", "q", "{}", T0 + n, visible_at=T0))
        first = store.queue_messages("q", limit=2)
        assert [m.id for m in first] == ["m0", "m1"]
        assert [m.id for m in store.queue_messages("q", after=(first[-1].sent_at, first[-1].id))] == ["m2"]
        one = store.queue_message("q", "m1")
        assert one is not None and one.receive_count == 0 and one.receipt_handle is None
        assert store.queue_message("q", "nope") is None
        assert store.queue_counts("q", T0) == (3, 0)  # nothing was received

    def test_one_chosen_message_can_be_received(self, store: Store) -> None:
        for n in range(3):
            store.send_message(QueueMessage(f"m{n}", "q", "{}", T0 + n, visible_at=T0))
        taken = store.receive_message("q", "m2", 30, T0 + 5)
        assert taken is not None and taken.id == "m2" and taken.receive_count == 1
        assert store.receive_message("q", "m2", 30, T0 + 6) is None  # now in flight
        assert store.queue_counts("q", T0 + 6) == (2, 1)
        assert store.delete_message("q", taken.receipt_handle or "")
        assert [m.id for m in store.receive_messages("q", 10, 30, T0 + 7)] == ["m0", "m1"]

    def test_the_first_receive_is_stamped_once(self, store: Store) -> None:
        store.send_message(QueueMessage("m1", "q", "{}", T0, visible_at=T0))
        [first] = store.receive_messages("q", 1, 0, T0 + 1)
        [again] = store.receive_messages("q", 1, 0, T0 + 2)
        stamp = str(int((T0 + 1) * 1000))
        assert (
            first.system_attributes == again.system_attributes == {"ApproximateFirstReceiveTimestamp": stamp}
        )

    def test_delete_by_receipt_and_stale_receipts(self, store: Store) -> None:
        store.send_message(message("m1"))
        [first] = store.receive_messages("q", 1, 10, T0)
        [second] = store.receive_messages("q", 1, 10, T0 + 10)
        assert first.receipt_handle and second.receipt_handle
        assert store.delete_message("q", first.receipt_handle) is False  # stale
        assert store.delete_message("other", second.receipt_handle) is False
        assert store.delete_message("q", second.receipt_handle) is True
        assert store.delete_message("q", second.receipt_handle) is False
        assert store.queue_counts("q", T0 + 100) == (0, 0)

    def test_change_visibility(self, store: Store) -> None:
        store.send_message(message("m1"))
        [first] = store.receive_messages("q", 1, 300, T0)
        assert first.receipt_handle
        assert store.change_visibility("q", first.receipt_handle, T0 + 5) is True
        assert store.receive_messages("q", 1, 300, T0 + 4) == []
        [second] = store.receive_messages("q", 1, 300, T0 + 5)
        assert store.change_visibility("q", first.receipt_handle, T0) is False  # stale
        assert second.receipt_handle
        assert store.change_visibility("q", second.receipt_handle, T0) is True  # visible again now
        assert [m.id for m in store.receive_messages("q", 1, 300, T0 + 6)] == ["m1"]

    def test_queue_counts_visible_and_in_flight(self, store: Store) -> None:
        assert store.queue_counts("q", T0) == (0, 0)
        for i in range(5):
            store.send_message(message(f"m{i}", sent_at=T0 + i))
        store.send_message(message("x", queue="other"))
        assert store.queue_counts("q", T0 + 2) == (3, 2)  # m3, m4 not yet visible
        store.receive_messages("q", 2, 60, T0 + 10)
        assert store.queue_counts("q", T0 + 10) == (3, 2)
        assert store.queue_counts("q", T0 + 70) == (5, 0)

    def test_receive_oldest_first_up_to_max_count(self, store: Store) -> None:
        for mid, sent in [("m-c", T0 + 3), ("m-a", T0 + 1), ("m-b", T0 + 2), ("m-d", T0 + 4)]:
            store.send_message(message(mid, sent_at=sent))
        store.send_message(message("elsewhere", queue="other", sent_at=T0))
        assert [m.id for m in store.receive_messages("q", 2, 30, T0 + 10)] == ["m-a", "m-b"]
        assert [m.id for m in store.receive_messages("q", 10, 30, T0 + 10)] == ["m-c", "m-d"]
        assert store.receive_messages("q", 10, 30, T0 + 10) == []
        assert store.receive_messages("q", 0, 30, T0 + 100) == []

    def test_purge_queue(self, store: Store) -> None:
        for i in range(3):
            store.send_message(message(f"m{i}"))
        store.send_message(message("x", queue="other"))
        store.receive_messages("q", 1, 30, T0)
        assert store.purge_queue("q") == 3
        assert store.purge_queue("q") == 0
        assert store.queue_counts("q", T0 + 100) == (0, 0)
        assert store.queue_counts("other", T0) == (1, 0)
