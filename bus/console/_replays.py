"""Archives and replays: what each archive holds, replays started, watched and cancelled.

Replays are the engine's (``bus.archives``): the housekeeping thread advances each by one-minute
slices, so the page polls a replay's ``progress`` (the share of its window already re-sent).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bus.console._paging import Page, page_by_key
from bus.console.errors import BadRequest
from bus.engine.runtime import LocalBus
from bus.model import Archive, Replay

__all__ = ["archives_page", "cancel_replay", "parse_when", "replay_view", "replays_page", "start_replay"]

_RELATIVE = re.compile(r"-(\d+(?:\.\d+)?)([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def archives_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    def show(archive: Archive) -> dict[str, Any]:
        count, size = bus.store.archive_stats(archive.name)
        return {
            "name": archive.name,
            "arn": archive.arn,
            "bus": archive.source_arn.rsplit("/", 1)[-1],
            "pattern": archive.event_pattern,
            "retentionDays": archive.retention_days,
            "description": archive.description,
            "state": archive.state,
            "eventCount": count,
            "sizeBytes": size,
        }

    return page_by_key(bus.archives.list_archives(), lambda a: a.name, query, show)


def replay_view(replay: Replay) -> dict[str, Any]:
    window = replay.event_end_time - replay.event_start_time
    done = (replay.event_last_replayed_time or replay.event_start_time) - replay.event_start_time
    progress = 1.0 if replay.state.value == "COMPLETED" else max(0.0, min(1.0, done / window))
    return {
        "name": replay.name,
        "archive": replay.archive_arn.rsplit("/", 1)[-1],
        "state": replay.state.value,
        "stateReason": replay.state_reason,
        "start": replay.event_start_time,
        "end": replay.event_end_time,
        "lastReplayed": replay.event_last_replayed_time,
        "startedAt": replay.replay_start_time,
        "endedAt": replay.replay_end_time,
        "rules": [arn.rsplit("/", 1)[-1] for arn in replay.filter_arns],
        "progress": round(progress, 4),
    }


def replays_page(bus: LocalBus, query: Mapping[str, str]) -> Page:
    """Newest first: the key is the inverted start time, then the name."""
    replays = bus.archives.list_replays()
    return page_by_key(replays, lambda r: f"{1e11 - r.replay_start_time:020.6f}/{r.name}", query, replay_view)


def parse_when(text: str, now: float) -> float:
    """``now``, ``-15m`` style (s, m, h, d), epoch seconds or ISO 8601 (UTC unless it says)."""
    text = text.strip()
    if text == "now":
        return now
    if relative := _RELATIVE.fullmatch(text):
        return now - float(relative[1]) * _SECONDS[relative[2]]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{text!r} is no time: give ISO 8601, epoch seconds, 'now' or -15m.") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def start_replay(bus: LocalBus, body: Mapping[str, Any]) -> dict[str, Any]:
    archive_name = body.get("archive")
    if not isinstance(archive_name, str) or not archive_name:
        raise BadRequest("archive is required.")
    archive = bus.archives.describe_archive(archive_name)
    now = bus.engine.clock.now()
    start = parse_when(str(body.get("start") or "-1h"), now)
    end = parse_when(str(body.get("end") or "now"), now)
    end = min(end, now)
    rules = body.get("rules") or []
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise BadRequest("rules must be a list of rule names.")
    source_bus = archive.source_arn.rsplit("/", 1)[-1]
    filter_arns = tuple(bus.engine.describe_rule(r, event_bus_name=source_bus).arn for r in rules)
    name = body.get("name") or _default_name(archive_name, now)
    if not isinstance(name, str):
        raise BadRequest("name must be a string.")
    replay = bus.archives.start_replay(
        name, archive.arn, start, end, archive.source_arn, filter_arns=filter_arns, description="console"
    )
    return replay_view(replay)


def _default_name(archive: str, now: float) -> str:
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S")
    return f"{archive[:40]}-{stamp}-{secrets.token_hex(2)}"


def cancel_replay(bus: LocalBus, name: str) -> dict[str, Any]:
    return replay_view(bus.archives.cancel_replay(name))
