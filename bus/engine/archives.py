"""Archives and replays, as EventBridge documents them.

An archive keeps the events a bus ingests (all of them, or those its pattern matches) for its
retention period; replayed events are never archived again. A replay re-sends an archive's
events from a time window to the archive's bus, in one-minute slices, optionally only to some
rules (FilterArns); replayed events carry ``replay-name``. At most 10 replays run at once.
Beyond AWS, which drops it, the original trace header is kept and restored on replay.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from bus.errors import (
    IllegalStatus,
    InvalidEventPatternError,
    LimitExceeded,
    ResourceAlreadyExists,
    ResourceNotFound,
    ValidationError,
)
from bus.model import Archive, DeliveryJob, Replay, ReplayState, archive_key, from_doc, replay_key, to_doc
from bus.patterns import InvalidEventPattern, compile_pattern

if TYPE_CHECKING:
    from bus.engine.engine import Engine

__all__ = ["MAX_RUNNING_REPLAYS", "Archives"]

MAX_RUNNING_REPLAYS = 10
SLICE_SECONDS = 60.0
_ACTIVE = (ReplayState.STARTING, ReplayState.RUNNING, ReplayState.CANCELLING)


class Archives:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self._lock = threading.RLock()
        for _, doc in self.store.list_resources("archive"):
            archive = from_doc(Archive, doc)
            self.engine.router.set_archive(_bus_of(archive.source_arn), archive.name, archive.event_pattern)

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:events:{self.engine.region}:{self.engine.account}:{kind}/{name}"

    # ------------------------------------------------------------------ archives
    def create_archive(
        self, name: str, event_source_arn: str, *, event_pattern: str | None = None, retention_days: int = 0,
        description: str = "",
    ) -> Archive:  # fmt: skip
        bus = _bus_of(event_source_arn)
        self.engine.describe_event_bus(bus)
        if retention_days < 0:
            raise ValidationError("RetentionDays must be 0 or greater.")
        if event_pattern is not None:
            try:
                compile_pattern(event_pattern, max_length=self.engine.pattern_quota)
            except InvalidEventPattern as exc:
                raise InvalidEventPatternError(exc.message) from None
        with self._lock:
            if self.store.get_resource(*archive_key(name)) is not None:
                raise ResourceAlreadyExists(f"Archive {name} already exists.")
            archive = Archive(
                name, self._arn("archive", name), self.engine.bus_arn(bus), event_pattern, retention_days,
                description, created_at=self.engine.clock.now(),
            )  # fmt: skip
            self.store.put_resource(*archive_key(name), to_doc(archive))
            self.engine.router.set_archive(bus, name, event_pattern)
        return archive

    def describe_archive(self, name: str) -> Archive:
        doc = self.store.get_resource(*archive_key(name))
        if doc is None:
            raise ResourceNotFound(f"Archive {name} does not exist.")
        return from_doc(Archive, doc)

    def list_archives(self, prefix: str = "", event_source_arn: str | None = None) -> list[Archive]:
        archives = [from_doc(Archive, d) for _, d in self.store.list_resources("archive", prefix)]
        return [a for a in archives if event_source_arn is None or a.source_arn == event_source_arn]

    def update_archive(
        self, name: str, *, event_pattern: str | None = None, retention_days: int | None = None,
        description: str | None = None,
    ) -> Archive:  # fmt: skip
        with self._lock:
            archive = self.describe_archive(name)
            if event_pattern is not None:
                try:
                    compile_pattern(event_pattern, max_length=self.engine.pattern_quota)
                except InvalidEventPattern as exc:
                    raise InvalidEventPatternError(exc.message) from None
            archive = replace(
                archive,
                event_pattern=archive.event_pattern if event_pattern is None else event_pattern,
                retention_days=archive.retention_days if retention_days is None else retention_days,
                description=archive.description if description is None else description,
            )
            self.store.put_resource(*archive_key(name), to_doc(archive))
            self.engine.router.set_archive(_bus_of(archive.source_arn), name, archive.event_pattern)
        return archive

    def delete_archive(self, name: str) -> None:
        with self._lock:
            self.describe_archive(name)
            self.store.delete_resource(*archive_key(name))
            self.engine.router.remove_archive(name)

    def archive_stats(self, name: str) -> tuple[int, int]:
        self.describe_archive(name)
        return self.store.archive_stats(name)

    def expire(self) -> int:
        """Apply every archive's retention; returns how many entries were forgotten."""
        now = self.engine.clock.now()
        return sum(
            self.store.expire_archived(a.name, now - a.retention_days * 86_400)
            for a in self.list_archives()
            if a.retention_days > 0
        )

    # ------------------------------------------------------------------ replays
    def start_replay(
        self, name: str, event_source_arn: str, event_start_time: float, event_end_time: float,
        destination_arn: str, *, filter_arns: tuple[str, ...] = (), description: str = "",
    ) -> Replay:  # fmt: skip
        source = event_source_arn.rsplit("/", 1)[-1]
        doc = self.store.get_resource(*archive_key(source))
        if doc is None:
            raise ValidationError(
                f"Parameter EventSourceArn is not valid. Reason: Archive {source} does not exist."
            )
        archive = from_doc(Archive, doc)
        if event_start_time >= event_end_time:
            raise ValidationError(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        if event_end_time > self.engine.clock.now():
            raise ValidationError(
                "Parameter EventEndTime is not valid. Reason: EventEndTime cannot be in the future."
            )
        if destination_arn != archive.source_arn:
            raise ValidationError(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
        with self._lock:
            if self.store.get_resource(*replay_key(name)) is not None:
                raise ResourceAlreadyExists(f"Replay {name} already exists.")
            running = [r for r in self.list_replays() if r.state in _ACTIVE]
            if len(running) >= MAX_RUNNING_REPLAYS:
                raise LimitExceeded("The requested resource exceeds the maximum number allowed.")
            replay = Replay(
                name=name,
                arn=self._arn("replay", name),
                archive_arn=archive.arn,
                destination_arn=destination_arn,
                event_start_time=event_start_time,
                event_end_time=event_end_time,
                filter_arns=filter_arns,
                description=description,
                replay_start_time=self.engine.clock.now(),
            )
            self.store.put_resource(*replay_key(name), to_doc(replay))
        return replay

    def describe_replay(self, name: str) -> Replay:
        doc = self.store.get_resource(*replay_key(name))
        if doc is None:
            raise ResourceNotFound(f"Replay {name} does not exist.")
        return from_doc(Replay, doc)

    def list_replays(self, prefix: str = "", state: ReplayState | None = None) -> list[Replay]:
        replays = [from_doc(Replay, d) for _, d in self.store.list_resources("replay", prefix)]
        return [r for r in replays if state is None or r.state is state]

    def cancel_replay(self, name: str) -> Replay:
        with self._lock:
            replay = self.describe_replay(name)
            if replay.state not in (ReplayState.STARTING, ReplayState.RUNNING):
                raise IllegalStatus(f"Replay {name} is not in a valid state for this operation.")
            replay = replace(replay, state=ReplayState.CANCELLING)
            self.store.put_resource(*replay_key(name), to_doc(replay))
        return replay

    def step(self) -> int:
        """Advance every active replay by one slice; returns events re-sent. Called by the engine's worker."""
        sent = 0
        for replay in self.list_replays():
            if replay.state in _ACTIVE:
                sent += self._advance(replay)
        return sent

    def _advance(self, replay: Replay) -> int:
        now = self.engine.clock.now()
        if replay.state is ReplayState.CANCELLING:
            self._save(replace(replay, state=ReplayState.CANCELLED, replay_end_time=now))
            return 0
        archive_name = replay.archive_arn.rsplit("/", 1)[-1]
        if self.store.get_resource(*archive_key(archive_name)) is None:
            reason = f"Archive {archive_name} no longer exists."
            self._save(replace(replay, state=ReplayState.FAILED, state_reason=reason, replay_end_time=now))
            return 0
        start = replay.event_last_replayed_time or replay.event_start_time
        end = min(start + SLICE_SECONDS, replay.event_end_time)
        # slices are [start, end) windows laid end to end: each archived event falls in exactly one
        events = self.store.archived_events(archive_name, start, end, limit=100_000)
        rules = {_rule_name(arn) for arn in replay.filter_arns} or None
        jobs: list[DeliveryJob] = []
        copies = []
        for original in events:
            copy = replace(original, replay_name=replay.name, ingested_at=now)
            copies.append(copy)
            self.engine.route_replayed(copy, now, jobs, sorted(rules) if rules else None)
        if jobs:
            self.store.append([], jobs)
            self.engine.notify(jobs)
        done = end >= replay.event_end_time
        self._save(
            replace(
                replay,
                state=ReplayState.COMPLETED if done else ReplayState.RUNNING,
                event_last_replayed_time=end,
                replay_end_time=now if done else None,
            )
        )
        return len(copies)

    def _save(self, replay: Replay) -> None:
        with self._lock:
            self.store.put_resource(*replay_key(replay.name), to_doc(replay))


def _bus_of(arn: str) -> str:
    return arn.rsplit("event-bus/", 1)[-1] if "event-bus/" in arn else arn


def _rule_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
