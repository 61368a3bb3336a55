"""Archives and replays over ``LocalBus.archives``.

The checks AWS makes before the engine is asked, in AWS's order and words: an archive's pattern is
an InvalidEventPatternException; StartReplay wants an event bus ARN that exists as destination, an
archive that exists (a ValidationException on EventSourceArn, not a ResourceNotFoundException),
the archive's own bus, and a window that ends after it starts; a replay that has finished cannot be
cancelled (IllegalStatusException). List calls take at most one filter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bus.engine.runtime import LocalBus
from bus.errors import InvalidEventPatternError, ResourceNotFound, ValidationError
from bus.model import Archive, Replay, ReplayState
from bus.patterns import InvalidEventPattern, compile_pattern
from bus.wire._events_common import epoch, integer, page, present, required, text
from bus.wire._protocol import Operation, Request, WireError

__all__ = ["OPERATIONS"]

_BUS_ARN = re.compile(r"arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/.+")
_CANCELLABLE = (ReplayState.STARTING, ReplayState.RUNNING)


def _check_pattern(bus: LocalBus, pattern: str | None) -> None:
    if pattern is None:
        return
    try:
        compile_pattern(pattern, max_length=bus.engine.pattern_quota)
    except InvalidEventPattern as exc:
        raise InvalidEventPatternError(exc.message) from None


def _one_filter(params: Mapping[str, Any], operation: str) -> None:
    if sum(params.get(k) is not None for k in ("NamePrefix", "EventSourceArn", "State")) > 1:
        raise ValidationError(
            f"At most one filter is allowed for {operation}. "
            "Use either : State, EventSourceArn, or NamePrefix."
        )


# ---------------------------------------------------------------------------------------- archives
def _archive(bus: LocalBus, archive: Archive, *, full: bool) -> dict[str, Any]:
    count, size = bus.store.archive_stats(archive.name)
    return present(
        ArchiveArn=archive.arn if full else None,
        ArchiveName=archive.name,
        EventSourceArn=archive.source_arn,
        Description=archive.description if full else None,
        EventPattern=archive.event_pattern if full else None,
        State=archive.state,
        RetentionDays=archive.retention_days,
        SizeBytes=size,
        EventCount=count,
        CreationTime=archive.created_at,
    )


def create_archive(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    pattern = text(params, "EventPattern")
    _check_pattern(bus, pattern)
    archive = bus.archives.create_archive(
        required(params, "ArchiveName"),
        required(params, "EventSourceArn"),
        event_pattern=pattern,
        retention_days=integer(params, "RetentionDays") or 0,
        description=text(params, "Description") or "",
    )
    return {"ArchiveArn": archive.arn, "State": archive.state, "CreationTime": archive.created_at}


def describe_archive(bus: LocalBus, request: Request) -> dict[str, Any]:
    archive = bus.archives.describe_archive(required(request.params, "ArchiveName"))
    return _archive(bus, archive, full=True)


def list_archives(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    _one_filter(params, "ListArchives")
    source = text(params, "EventSourceArn")
    if source is not None:
        bus.engine.describe_event_bus(source)
    archives = bus.archives.list_archives(text(params, "NamePrefix") or "", source)
    state = text(params, "State")
    archives = [a for a in archives if state is None or a.state == state]
    chunk, token = page(archives, lambda a: a.name, params)
    return {"Archives": [_archive(bus, a, full=False) for a in chunk], **token}


def update_archive(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    pattern = text(params, "EventPattern")
    _check_pattern(bus, pattern)
    archive = bus.archives.update_archive(
        required(params, "ArchiveName"),
        event_pattern=pattern,
        retention_days=integer(params, "RetentionDays"),
        description=text(params, "Description"),
    )
    return {"ArchiveArn": archive.arn, "State": archive.state, "CreationTime": archive.created_at}


def delete_archive(bus: LocalBus, request: Request) -> dict[str, Any]:
    bus.archives.delete_archive(required(request.params, "ArchiveName"))
    return {}


# ---------------------------------------------------------------------------------------- replays
def _replay(replay: Replay, *, full: bool) -> dict[str, Any]:
    destination: dict[str, Any] = {"Arn": replay.destination_arn}
    if replay.filter_arns:
        destination["FilterArns"] = list(replay.filter_arns)
    return present(
        ReplayName=replay.name,
        ReplayArn=replay.arn if full else None,
        Description=replay.description if full else None,
        State=replay.state.value,
        StateReason=replay.state_reason,
        EventSourceArn=replay.archive_arn,
        Destination=destination if full else None,
        EventStartTime=replay.event_start_time,
        EventEndTime=replay.event_end_time,
        EventLastReplayedTime=replay.event_last_replayed_time,
        ReplayStartTime=replay.replay_start_time,
        ReplayEndTime=replay.replay_end_time,
    )


def start_replay(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    name = required(params, "ReplayName")
    source = required(params, "EventSourceArn")
    start = epoch(params.get("EventStartTime"), "EventStartTime")
    end = epoch(params.get("EventEndTime"), "EventEndTime")
    destination: Mapping[str, Any] = params.get("Destination") or {}
    target = str(destination.get("Arn", ""))
    if not _BUS_ARN.fullmatch(target):
        raise ValidationError(
            "Parameter Destination.Arn is not valid. Reason: Must contain an event bus ARN."
        )
    bus.engine.describe_event_bus(target)
    archive_name = source.rsplit("/", 1)[-1]
    try:
        archive: Archive | None = bus.archives.describe_archive(archive_name)
    except ResourceNotFound:
        archive = None
    if archive is None or archive.arn != source:
        raise ValidationError(
            f"Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
        )
    if archive.source_arn != target:
        raise ValidationError(
            "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
        )
    if start >= end:
        raise ValidationError(
            "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
        )
    replay = bus.archives.start_replay(
        name,
        source,
        start,
        end,
        target,
        filter_arns=tuple(str(a) for a in destination.get("FilterArns") or ()),
        description=text(params, "Description") or "",
    )
    return present(
        ReplayArn=replay.arn,
        State=replay.state.value,
        StateReason=replay.state_reason,
        ReplayStartTime=replay.replay_start_time,
    )


def describe_replay(bus: LocalBus, request: Request) -> dict[str, Any]:
    return _replay(bus.archives.describe_replay(required(request.params, "ReplayName")), full=True)


def list_replays(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    _one_filter(params, "ListReplays")
    state = text(params, "State")
    source = text(params, "EventSourceArn")
    replays = bus.archives.list_replays(
        text(params, "NamePrefix") or "", ReplayState(state) if state is not None else None
    )
    replays = [r for r in replays if source is None or r.archive_arn == source]
    chunk, token = page(replays, lambda r: r.name, params)
    return {"Replays": [_replay(r, full=False) for r in chunk], **token}


def cancel_replay(bus: LocalBus, request: Request) -> dict[str, Any]:
    name = required(request.params, "ReplayName")
    if bus.archives.describe_replay(name).state not in _CANCELLABLE:
        raise WireError(
            "IllegalStatusException", f"Replay {name} is not in a valid state for this operation."
        )
    replay = bus.archives.cancel_replay(name)
    return present(ReplayArn=replay.arn, State=replay.state.value, StateReason=replay.state_reason)


OPERATIONS: dict[str, Operation] = {
    "CreateArchive": create_archive,
    "DescribeArchive": describe_archive,
    "ListArchives": list_archives,
    "UpdateArchive": update_archive,
    "DeleteArchive": delete_archive,
    "StartReplay": start_replay,
    "DescribeReplay": describe_replay,
    "ListReplays": list_replays,
    "CancelReplay": cancel_replay,
}
