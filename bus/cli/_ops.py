"""Operations commands over the AWS API: ``choreo tail``, ``choreo replay``, ``choreo dlq redrive``,
and ``choreo dropped`` (with ``--json`` for scripts).

Like ``_client.py`` they talk to an endpoint through boto3, so they work against ``choreo serve``
and, with real credentials and no endpoint, against AWS.

``dlq redrive``: AWS has no built-in redrive for EventBridge dead letters (SQS's own redrive moves
messages between queues, not back onto a bus). This command re-puts each dead-lettered event on
the bus of the rule that dead-lettered it. The re-put event is a new event: it reaches *every*
rule of that bus whose pattern matches it, not only the target that failed, so other targets may
receive it a second time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bus.cli._client import AsJson, Endpoint, Region, _client
from bus.cli._records import DataDir, _open, drops
from bus.patterns import CompiledPattern, InvalidEventPattern, compile_pattern

__all__ = ["dlq_redrive", "dropped", "parse_time", "replay", "tail"]

_FINISHED = ("COMPLETED", "FAILED", "CANCELLED")
_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


# -------------------------------------------------------------------------------------------- tail
def _bus_rules(client: Any, bus: str, skip: str) -> dict[str, CompiledPattern]:
    """The bus's rules with an event pattern, compiled once (schedule-only and invalid ones left out)."""
    found: dict[str, CompiledPattern] = {}
    for page in client.get_paginator("list_rules").paginate(EventBusName=bus):
        for rule in page["Rules"]:
            text = rule.get("EventPattern")
            if rule["Name"] == skip or not text:
                continue
            with contextlib.suppress(InvalidEventPattern):
                found[rule["Name"]] = compile_pattern(text)
    return found


def _tail_queue(sqs: Any, name: str) -> tuple[str, str]:
    """A temporary queue EventBridge may send to (the policy matters on AWS); returns (url, arn)."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def _cleanup(events: Any, sqs: Any, name: str, bus: str, url: str | None) -> None:
    """Remove the temporary rule, its target and the queue; each step best-effort."""
    with contextlib.suppress(Exception):
        events.remove_targets(Rule=name, EventBusName=bus, Ids=["tail"], Force=True)
    with contextlib.suppress(Exception):
        events.delete_rule(Name=name, EventBusName=bus, Force=True)
    if url is not None:
        with contextlib.suppress(Exception):
            sqs.delete_queue(QueueUrl=url)


def tail(
    bus: Annotated[str, typer.Option(help="Event bus name or ARN.")] = "default",
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    seconds: Annotated[float | None, typer.Option(min=0, help="Stop after this many seconds.")] = None,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many events.")] = None,
    as_json: AsJson = False,
) -> None:
    """Follow the events arriving on a bus, with the bus's rules each one matches.

    Works through a temporary rule (choreo-tail-*) matching every event, targeting a temporary SQS
    queue; both are deleted on exit, Ctrl-C included. Only events put after it starts are shown.
    """
    events = _client("events", endpoint, region)
    sqs = _client("sqs", endpoint, region)
    name = f"choreo-tail-{secrets.token_hex(4)}"
    out = Console(highlight=False, soft_wrap=True)
    deadline = None if seconds is None else time.monotonic() + seconds
    url: str | None = None
    seen = 0
    try:
        known = _bus_rules(events, bus, skip=name)
        url, arn = _tail_queue(sqs, name)
        events.put_rule(
            Name=name,
            EventBusName=bus,
            EventPattern=json.dumps({"source": [{"prefix": ""}]}),
            State="ENABLED",
            Description="choreo tail (temporary)",
        )
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "tail", "Arn": arn}])
        if not as_json:
            out.print(f"[dim]tailing {bus} ({len(known)} rule(s) with a pattern); Ctrl-C to stop[/]")
        while (deadline is None or time.monotonic() < deadline) and (count is None or seen < count):
            wait = 20 if deadline is None else min(20, math.ceil(max(0.0, deadline - time.monotonic())))
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get(
                "Messages", []
            )
            for m in messages:
                _show(out, m["Body"], known, as_json)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                seen += 1
    except KeyboardInterrupt:
        pass
    finally:
        _cleanup(events, sqs, name, bus, url)


def _show(out: Console, body: str, known: dict[str, CompiledPattern], as_json: bool) -> None:
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        out.print(f"[yellow]not an event:[/] {body}", markup=True)
        return
    matched = sorted(rule for rule, pattern in known.items() if pattern.matches(event))
    if as_json:
        print(json.dumps({"matchedRules": matched, "event": event}), flush=True)
        return
    rules_text = ", ".join(matched) if matched else "[dim](no rule)[/]"
    out.print(
        f"{event.get('time', '')}  [bold]{event.get('source', '')}[/]  {event.get('detail-type', '')}  "
        f"[dim]{event.get('id', '')}[/]  -> {rules_text}"
    )


# ------------------------------------------------------------------------------------------ replay
def parse_time(text: str, now: datetime | None = None) -> datetime:
    """``now``, a relative time in the past (``-90s``, ``-15m``, ``-1h``, ``-2d``, ``-1w``) or ISO 8601
    (UTC when it names no zone)."""
    now = now or datetime.now(UTC)
    text = text.strip()
    if text == "now":
        return now
    relative = _RELATIVE.match(text)
    if relative:
        return now - timedelta(seconds=float(relative[1]) * _UNITS[relative[2]])
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give ISO 8601, 'now' or a relative time like -1h") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _bus_name(bus_arn: str) -> str:
    return bus_arn.rsplit("event-bus/", 1)[-1] if "event-bus/" in bus_arn else bus_arn


def replay(
    archive: Annotated[str, typer.Argument(help="Archive name.")],
    start: Annotated[str, typer.Option(help="Window start: ISO 8601, or relative like -1h.")] = "-1h",
    end: Annotated[str, typer.Option(help="Window end: ISO 8601, 'now', or relative like -5m.")] = "now",
    name: Annotated[str | None, typer.Option(help="Replay name (default: ARCHIVE-<time>).")] = None,
    rules: Annotated[
        list[str] | None, typer.Option("--rule", help="Replay only to this rule (repeatable): FilterArns.")
    ] = None,
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Show progress until it finishes.")] = False,
    as_json: AsJson = False,
) -> None:
    """Start a replay of an archive's events from a time window onto the archive's bus."""
    client = _client("events", endpoint, region)
    now = datetime.now(UTC)
    start_at, end_at = parse_time(start, now), parse_time(end, now)
    if start_at >= end_at:
        raise typer.BadParameter("--start must be before --end")
    described = client.describe_archive(ArchiveName=archive)
    bus_arn = described["EventSourceArn"]
    replay_name = name or f"{archive}-{now.strftime('%Y%m%dT%H%M%S')}"[-64:]
    destination: dict[str, Any] = {"Arn": bus_arn}
    if rules:
        bus = _bus_name(bus_arn)
        destination["FilterArns"] = [client.describe_rule(Name=r, EventBusName=bus)["Arn"] for r in rules]
    started = client.start_replay(
        ReplayName=replay_name,
        EventSourceArn=described["ArchiveArn"],
        EventStartTime=start_at,
        EventEndTime=end_at,
        Destination=destination,
    )
    state = started.get("State", "")
    if not as_json:
        Console(highlight=False).print(
            f"replay {replay_name}: {state} ({start_at:%Y-%m-%d %H:%M:%S} → {end_at:%Y-%m-%d %H:%M:%S} UTC)"
        )
    result: dict[str, Any] = {"ReplayName": replay_name, **started}
    if wait:
        result = {**result, **_wait_for(client, replay_name, start_at, end_at, quiet=as_json)}
    if as_json:
        result.pop("ResponseMetadata", None)
        print(json.dumps(result, default=str))
    elif wait:
        reason = f": {result['StateReason']}" if result.get("StateReason") else ""
        Console(highlight=False).print(f"replay {replay_name}: {result['State']}{reason}")
    if wait and result.get("State") != "COMPLETED":
        raise typer.Exit(1)


def _wait_for(client: Any, name: str, start: datetime, end: datetime, *, quiet: bool) -> dict[str, Any]:
    total = (end - start).total_seconds()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, TimeElapsedColumn(), disable=quiet) as progress:
        task = progress.add_task(f"replaying {name}", total=total)
        while True:
            described: dict[str, Any] = client.describe_replay(ReplayName=name)
            last = described.get("EventLastReplayedTime")
            if isinstance(last, datetime):
                done = (last.astimezone(UTC) - start).total_seconds()
                progress.update(task, completed=max(0.0, min(total, done)))
            if described.get("State") in _FINISHED:
                if described["State"] == "COMPLETED":
                    progress.update(task, completed=total)
                described.pop("ResponseMetadata", None)
                return described
            time.sleep(0.5)


# ------------------------------------------------------------------------------------ dlq redrive
def _rule_bus(rule_arn: str) -> str:
    """The bus of ``arn:aws:events:REGION:ACCOUNT:rule/[BUS/]NAME``."""
    path = rule_arn.split(":rule/", 1)[-1]
    return path.split("/", 1)[0] if "/" in path else "default"


def _entry(message: dict[str, Any]) -> dict[str, Any] | str:
    """The PutEvents entry re-putting a dead letter, or why the message is not one."""
    attrs = message.get("MessageAttributes", {})
    rule_arn = attrs.get("RULE_ARN", {}).get("StringValue")
    if not rule_arn:
        return "no RULE_ARN attribute: not an EventBridge dead letter"
    try:
        event = json.loads(message["Body"])
    except ValueError:
        return "body is not JSON"
    if not isinstance(event, dict) or "source" not in event or "detail-type" not in event:
        return "body is not an event envelope"
    entry: dict[str, Any] = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event.get("detail", {})),
        "Resources": list(event.get("resources") or []),
        "EventBusName": _rule_bus(rule_arn),
    }
    trace = message.get("Attributes", {}).get("AWSTraceHeader")
    if trace:
        entry["TraceHeader"] = trace
    return entry


def dlq_redrive(
    queue: Annotated[str, typer.Argument(help="Dead-letter queue name or URL.")],
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    limit: Annotated[int, typer.Option(min=1, help="At most this many messages.")] = 100,
    as_json: AsJson = False,
) -> None:
    """Re-put EventBridge dead letters on their bus, deleting each once PutEvents accepted it.

    AWS has no redrive for these. The event goes back onto the bus of the rule that dead-lettered
    it (from RULE_ARN) as a new event, so it reaches every matching rule of that bus, not only the
    target that failed. Messages that fail stay in the queue.
    """
    sqs = _client("sqs", endpoint, region)
    events = _client("events", endpoint, region)
    url = queue if "://" in queue else sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    redriven: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    kept: list[str] = []  # receipt handles of failed messages, made visible again at the end
    while len(redriven) + len(failed) < limit:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - len(redriven) - len(failed)),
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
            AttributeNames=["AWSTraceHeader"],
        ).get("Messages", [])
        if not batch:
            break
        entries: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for m in batch:
            entry = _entry(m)
            if isinstance(entry, str):
                failed.append({"MessageId": m["MessageId"], "Error": entry})
                kept.append(m["ReceiptHandle"])
            else:
                entries.append((m, entry))
        if not entries:
            continue
        results = events.put_events(Entries=[e for _, e in entries])["Entries"]
        for (m, entry), r in zip(entries, results, strict=True):
            original = _original_id(m["Body"])
            if "ErrorCode" in r:
                error = f"{r['ErrorCode']}: {r.get('ErrorMessage', '')}"
                failed.append({"MessageId": m["MessageId"], "EventId": original, "Error": error})
                kept.append(m["ReceiptHandle"])
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            redriven.append(
                {
                    "MessageId": m["MessageId"],
                    "EventId": original,
                    "Bus": entry["EventBusName"],
                    "NewEventId": r["EventId"],
                }
            )
    for handle in kept:
        with contextlib.suppress(Exception):
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    _report(queue, redriven, failed, as_json)
    if failed:
        raise typer.Exit(1)


def _original_id(body: str) -> str:
    with contextlib.suppress(ValueError, AttributeError):
        return str(json.loads(body).get("id", ""))
    return ""


def _report(queue: str, redriven: list[dict[str, Any]], failed: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"Redriven": redriven, "Failed": failed}))
        return
    table = Table(
        "message",
        "event",
        "bus",
        "result",
        title=f"{len(redriven)} redriven, {len(failed)} failed from {queue}",
    )
    for r in redriven:
        table.add_row(r["MessageId"], r["EventId"], r["Bus"], f"[green]new event {r['NewEventId']}[/]")
    for f in failed:
        table.add_row(f["MessageId"], f.get("EventId", ""), "", f"[red]{f['Error']}[/]")
    Console().print(table)


# ---------------------------------------------------------------------------------------- dropped
def dropped(
    data_dir: DataDir = Path(".choreo"),
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Accepted events given up where AWS gives up, and why (``--json`` for scripts)."""
    if not as_json:
        drops(data_dir, limit)
        return
    with _open(data_dir) as store:
        records = store.drops(limit)
    print(json.dumps([dataclasses.asdict(d) for d in records]))
