"""CLI commands that talk to a running endpoint through boto3, exactly as an application would:
``choreo put``, ``choreo rules``, ``choreo dlq list``. They work against ``choreo serve`` and, with
real credentials and no endpoint, against AWS."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

Endpoint = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="Endpoint (default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4010)."),
]
Region = Annotated[str, typer.Option(help="Region.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _client(service: str, endpoint: str | None, region: str) -> Any:
    import boto3

    url = endpoint or os.environ.get("AWS_ENDPOINT_URL") or "http://127.0.0.1:4010"
    credentials = {}
    if not os.environ.get("AWS_ACCESS_KEY_ID") and not os.environ.get("AWS_PROFILE"):
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    return boto3.client(service, endpoint_url=url, region_name=region, **credentials)


def put(
    source: Annotated[str | None, typer.Option(help="Source of the event.")] = None,
    detail_type: Annotated[str | None, typer.Option(help="DetailType of the event.")] = None,
    detail: Annotated[str, typer.Option(help="Detail JSON object.")] = "{}",
    bus: Annotated[str, typer.Option(help="Event bus name or ARN.")] = "default",
    file: Annotated[
        Path | None, typer.Option(help="JSON file: one PutEvents entry, a list of entries, or '-' for stdin.")
    ] = None,
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    as_json: AsJson = False,
) -> None:
    """Publish events with PutEvents (from options, or entries from a file), 10 per call."""
    if file is not None:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        loaded = json.loads(text)
        entries: list[dict[str, Any]] = loaded if isinstance(loaded, list) else [loaded]
    elif source and detail_type:
        entries = [{"Source": source, "DetailType": detail_type, "Detail": detail}]
    else:
        raise typer.BadParameter("give --source and --detail-type, or --file")
    for entry in entries:
        entry.setdefault("EventBusName", bus)
        if isinstance(entry.get("Detail"), dict):
            entry["Detail"] = json.dumps(entry["Detail"])
    client = _client("events", endpoint, region)
    results: list[dict[str, Any]] = []
    for start in range(0, len(entries), 10):
        results.extend(client.put_events(Entries=entries[start : start + 10])["Entries"])
    failed = [r for r in results if "ErrorCode" in r]
    if as_json:
        print(json.dumps({"FailedEntryCount": len(failed), "Entries": results}))
    else:
        out = Console(highlight=False)
        for r in results:
            out.print(r.get("EventId") or f"[red]{r['ErrorCode']}: {r['ErrorMessage']}[/]")
    if failed:
        raise typer.Exit(1)


def rules(
    bus: Annotated[str, typer.Option(help="Event bus name or ARN.")] = "default",
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    as_json: AsJson = False,
) -> None:
    """The rules of a bus with their state, pattern or schedule, and targets."""
    client = _client("events", endpoint, region)
    found = []
    for page in client.get_paginator("list_rules").paginate(EventBusName=bus):
        for rule in page["Rules"]:
            targets = client.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
            found.append({**rule, "Targets": [{"Id": t["Id"], "Arn": t["Arn"]} for t in targets]})
    if as_json:
        print(json.dumps(found, default=str))
        return
    table = Table("rule", "state", "pattern / schedule", "targets", title=f"{len(found)} rule(s) on {bus}")
    for rule in found:
        what = rule.get("EventPattern") or rule.get("ScheduleExpression") or ""
        table.add_row(rule["Name"], rule.get("State", ""), what, "\n".join(t["Arn"] for t in rule["Targets"]))
    Console().print(table)


dlq = typer.Typer(help="Dead-letter queues of rule targets.", no_args_is_help=True)


@dlq.command("list")
def dlq_list(
    queue: Annotated[str, typer.Argument(help="Queue name or URL.")],
    limit: Annotated[int, typer.Option(min=1, max=10, help="At most this many messages.")] = 10,
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    as_json: AsJson = False,
) -> None:
    """Peek at dead letters with EventBridge's attributes (they become visible again at once)."""
    client = _client("sqs", endpoint, region)
    url = queue if "://" in queue else client.get_queue_url(QueueName=queue)["QueueUrl"]
    messages = client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=limit, VisibilityTimeout=0, MessageAttributeNames=["All"]
    ).get("Messages", [])
    rows = [
        {
            "MessageId": m["MessageId"],
            **{k: v.get("StringValue") for k, v in m.get("MessageAttributes", {}).items()},
            "Body": m["Body"],
        }
        for m in messages
    ]
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(
        "message", "rule", "target", "error", "retries", title=f"{len(rows)} dead letter(s) in {queue}"
    )
    for r in rows:
        error = f"{r.get('ERROR_CODE', '')}: {r.get('ERROR_MESSAGE', '')}"
        table.add_row(
            r["MessageId"], r.get("RULE_ARN", ""), r.get("TARGET_ARN", ""), error, r.get("RETRY_ATTEMPTS", "")
        )
    Console().print(table)
