"""What ``choreo demo`` shows: the summary, one order's journey as a tree, and the archive replay.

Everything here is read back from the engine's own records (events with their causation ids,
delivery attempts, function invocations, queues, the archive), not from what the demo expected, so
the output is evidence of what the choreography did.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

if TYPE_CHECKING:
    from bus.cli._demo import Saga
    from bus.model import Event

_REPLAY_SECONDS = 30.0


def header(out: Console, run: Saga) -> None:
    config = run.config
    functions = ", ".join(f.logical_id for f in config.functions)
    out.print(
        f"[bold]choreo demo[/]: {len(config.rules)} rules on bus [bold]{run.bus_name}[/], "
        f"{len(config.functions)} functions ({functions}), archive {config.archives[0].name}"
    )
    out.print(f"  endpoint {run.endpoint} · SaaS stand-in {run.saas.url} · data in {run.data_dir}\n")


def summary(out: Console, run: Saga) -> None:
    run.refresh()
    dead = run.dead_letters()
    ended = run.outcomes(dead["PaymentsDeadLetterQueue"])
    table = Table(title="How the orders ended", title_justify="left")
    table.add_column("outcome")
    table.add_column("orders", justify="right")
    table.add_column("why")
    why = {
        "shipped": "stock reserved, payment succeeded, parcel handed to the carrier",
        "compensated": "payment failed; inventory released the reservation (StockReleased)",
        "out of stock": "inventory could not reserve every line (StockUnavailable)",
        "dead-lettered": "the payment provider never answered; the charge waits for reconciliation",
    }
    for outcome in ("shipped", "compensated", "out of stock", "dead-lettered"):
        table.add_row(outcome, str(ended.get(outcome, 0)), why[outcome])
    unfinished = len(run.placed) - sum(ended.values())
    if unfinished:
        table.add_row("[red]unfinished[/]", str(unfinished), "still in flight at the deadline")
    out.print()
    out.print(table)

    kinds = Counter(
        (e.detail_type, json.loads(e.detail)["metadata"]["schema-version"])
        for e in run.events.values()
        if e.replay_name is None
    )
    out.print(
        "events on the bus: "
        + ", ".join(f"{kind} {version} x{n}" for (kind, version), n in sorted(kinds.items())),
        markup=False,
    )

    debug = sum(
        1
        for e in run.events.values()
        if e.detail_type == "OrderPlaced"
        and _meta(e)["schema-version"] == "1.1"
        and _meta(e).get("debug-log-enabled")
    )
    out.print(
        f"sampled DEBUG logging (decided at the edge, carried by every event of the order): {debug} orders",
        markup=False,
    )

    accepted = run.saas.accepted()
    refused = [(status, body) for status, _, body in run.saas.received if status != 202]
    by_template = Counter(str(body.get("template")) for body in accepted)
    out.print(
        f"\n[bold]SaaS stand-in[/]: {len(accepted)} notifications accepted "
        f"({', '.join(f'{t} x{n}' for t, n in sorted(by_template.items()))}), {len(refused)} refused"
    )
    if accepted:
        sample_headers = next(h for status, h, _ in run.saas.received if status == 202)
        out.print(f"  e.g. {json.dumps(accepted[0])}", markup=False)
        correlation = sample_headers.get("x-correlation-id")
        out.print(f"  headers: x-api-key from the connection, X-Correlation-Id {correlation}", markup=False)

    table = Table(title="\nWhat sits in the dead-letter queues, and why", title_justify="left")
    table.add_column("queue")
    table.add_column("messages", justify="right")
    table.add_column("reason (first seen)")
    for queue, rows in dead.items():
        reasons = Counter(_reason(body, attributes) for body, attributes in rows)
        text = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common(3)) or "-"
        table.add_row(queue, str(len(rows)), text)
    out.print(table)


def _reason(body: Any, attributes: dict[str, str]) -> str:
    kind = body.get("detail-type", "?") if isinstance(body, dict) else "?"
    # EventBridge writes ERROR_CODE / ERROR_MESSAGE; Lambda and the consumer toolkit ErrorType / ErrorMessage
    code = attributes.get("ERROR_CODE") or attributes.get("ErrorType") or attributes.get("ErrorCode") or "?"
    message = attributes.get("ERROR_MESSAGE") or attributes.get("ErrorMessage") or ""
    return f"{kind}: {code} {message[:90]}".strip()


def journey(out: Console, run: Saga) -> None:
    """One shipped order from the edge to OrderShipped, through every rule and function."""
    shipped = next((e for e in run.events.values() if e.detail_type == "OrderShipped"), None)
    if shipped is None:
        out.print("[yellow]no order shipped: no journey to show[/]")
        return
    correlation = json.loads(shipped.detail)["metadata"]["correlation-id"]
    chain = sorted(
        (
            e
            for e in run.events.values()
            if e.replay_name is None and _meta(e)["correlation-id"] == correlation
        ),
        key=lambda e: e.ingested_at,
    )
    children: dict[str, list[Event]] = {}
    for event in chain:
        children.setdefault(_meta(event)["causation-id"], []).append(event)
    ids = {x.id for x in chain}
    roots = sorted(
        (e for e in chain if _meta(e)["causation-id"] not in ids), key=lambda e: _meta(e)["schema-version"]
    )
    order_id = json.loads(shipped.detail)["data"]["orderId"]
    tree = Tree(f"[bold]order {order_id}[/] · correlation-id {correlation}")
    invocations = run.invocations_by_event()
    assert run.bus is not None
    targets = {rule.name: run.config.targets_of(rule) for rule in run.config.rules}
    labels = {arn: logical for logical, arn in run.config.logical_ids.items()}

    def add(node: Tree, event: Event) -> None:
        meta = _meta(event)
        trace = (event.trace_header or "").split(";")[0].removeprefix("Root=") or "-"
        branch = node.add(
            f"[bold cyan]{event.detail_type}[/] {meta['schema-version']} from {event.source} "
            f"· event {event.id[:8]} · chain {meta.get('call-chain-length', '?')} · trace {trace}"
        )
        attempts = run.bus.store.attempts(event.id) if run.bus else []
        if not attempts:
            branch.add("[dim]no rule matched (archived only)[/]")
        for attempt in attempts:
            target_arn = next((t.arn for t in targets.get(attempt.rule, ()) if t.id == attempt.target_id), "")
            label = labels.get(target_arn, target_arn.rsplit(":", 1)[-1])
            rule = labels.get(
                next((r.arn for r in run.config.rules if r.name == attempt.rule), ""), attempt.rule
            )
            hop = branch.add(
                f"rule [bold]{rule}[/] -> {label} · attempt {attempt.attempt} {attempt.outcome.value}"
                + (f" {attempt.error_code}" if attempt.error_code else "")
            )
            for record in invocations.get(event.id, []):
                if record.function.endswith(label):
                    value = record.value or {}
                    hop.add(
                        f"λ {record.function} · {record.status.value} in {record.duration_ms:.0f} ms "
                        f"· {value.get('outcome', '?')} · request {record.request_id[:8]} "
                        f"· trace {record.trace_id}"
                    )
            if "Notifications" in label:
                hop.add(f"SaaS webhook <- {json.dumps(_notification_for(run, event.id))}")
        for child in children.get(event.id, []):
            add(branch, child)

    for root in roots:
        add(tree, root)
    out.print("\n[bold]One order's journey[/] (producer -> bus -> rule -> consumer -> next event)")
    out.print(tree)
    _logs(out, run, correlation)


def _logs(out: Console, run: Saga, correlation: str) -> None:
    """The consumers' own log lines for the journey: found by the correlation id every line carries."""
    from bus.functions import read_log

    assert run.bus is not None
    lines: list[tuple[float, str, dict[str, Any]]] = []
    for function in run.config.functions:
        for line in read_log(run.bus.functions.log_path(function.name), since=run.started_at):
            if correlation not in line.message:
                continue
            try:
                record = json.loads(line.message)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                lines.append((line.time, function.logical_id, record))
    out.print(f"\n[bold]Its log lines[/] (Powertools JSON, searched by correlation_id {correlation}):")
    for _, logical_id, record in sorted(lines, key=lambda item: item[0]):
        fields = {
            k: record.get(k) for k in ("level", "message", "order_id", "call_chain_length", "xray_trace_id")
        }
        out.print(
            f"  {logical_id}: " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None),
            markup=False,
        )


def _notification_for(run: Saga, event_id: str) -> Any:
    return next(
        (b for _, _, b in run.saas.received if isinstance(b, dict) and b.get("eventId") == event_id), None
    )


def _meta(event: Event) -> dict[str, Any]:
    metadata: dict[str, Any] = json.loads(event.detail).get("metadata", {})
    return metadata


def replay(out: Console, run: Saga) -> None:
    """Replay the archive since the demo started into a debugging rule (only that rule: FilterArns)
    and show what it received next to what the bus saw the first time."""
    from bus.model import ReplayState, Target

    assert run.bus is not None
    bus = run.bus
    archive = run.config.archives[0]
    from bus.errors import ResourceAlreadyExists

    try:
        queue_arn = bus.create_queue(f"{run.stack}-debug-replay").arn
    except ResourceAlreadyExists:  # a kept --data-dir: the debugging queue of an earlier run, emptied below
        queue_arn = bus.queue_arn(f"{run.stack}-debug-replay")
        bus.store.purge_queue(f"{run.stack}-debug-replay")
    rule_arn = bus.engine.put_rule(
        f"{run.stack}-debug-replay",
        event_bus_name=run.bus_name,
        event_pattern=json.dumps({"source": [{"prefix": "com.choreo."}], "replay-name": [{"exists": True}]}),
        description="debugging: receives replayed events only",
    )
    bus.engine.put_targets(
        f"{run.stack}-debug-replay", [Target("debug", queue_arn)], event_bus_name=run.bus_name
    )
    end = time.time() - 0.001
    name = f"{run.stack}-demo-{int(end)}"
    bus.archives.start_replay(
        name, archive.arn, run.started_at - 1, end, run.config.buses[0].arn, filter_arns=(rule_arn,)
    )
    deadline = time.monotonic() + _REPLAY_SECONDS
    state = bus.archives.describe_replay(name).state
    while state not in (ReplayState.COMPLETED, ReplayState.FAILED, ReplayState.CANCELLED):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
        state = bus.archives.describe_replay(name).state
    while bus.store.pending_jobs() and time.monotonic() < deadline:
        time.sleep(0.05)
    received: list[dict[str, Any]] = []
    while batch := bus.store.receive_messages(f"{run.stack}-debug-replay", 10, 3600, time.time()):
        received += [json.loads(m.body) for m in batch]
    original = Counter(e.detail_type for e in run.events.values() if e.replay_name is None)
    replayed = Counter(str(e.get("detail-type")) for e in received)
    table = Table(
        title=f"\nReplay {name} of {archive.name} into rule {run.stack}-debug-replay: {state.value}",
        title_justify="left",
    )
    table.add_column("detail-type")
    table.add_column("on the bus", justify="right")
    table.add_column("replayed to the debugging rule", justify="right")
    for kind in sorted(original):
        table.add_row(kind, str(original[kind]), str(replayed.get(kind, 0)))
    out.print(table)
    # deliveries since the replay started that went anywhere but the debugging rule (FilterArns)
    others = sum(
        1
        for e in received
        for a in bus.store.attempts(str(e["id"]))
        if a.at >= end and not a.rule.endswith("debug-replay")
    )
    out.print(
        f"  each replayed event carries replay-name {received[0].get('replay-name') if received else '-'}; "
        f"deliveries of replayed events to the saga's own rules: {others} "
        "(FilterArns names only the debugging rule)",
        markup=False,
    )
