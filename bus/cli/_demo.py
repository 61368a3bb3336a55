"""``choreo demo``: the sample events through the embedded bus configured by template.yaml.

The real engine runs: the template is applied to a durable bus in a scratch data directory, each
sample event is published with PutEvents, delivery runs in the background, and the demo shows for
every event which rules matched (and, for those that did not, why), then what each queue target
received, dead letters and drops included.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bus.engine.runtime import LocalBus
from bus.patterns import explain
from bus.template import Configuration, TemplateError, load_template

_WAIT_SECONDS = 30.0


def demo(
    template: Annotated[Path, typer.Option(help="SAM/CloudFormation template with the rules.")] = Path(
        "template.yaml"
    ),
    events: Annotated[Path, typer.Option(help="Folder of sample events (*.json).")] = Path("samples/events"),
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the bus's data here (default: a scratch directory).")
    ] = None,
) -> None:
    """Publish the sample events to the bus TEMPLATE configures and show where each one went."""
    out = Console(highlight=False)
    try:
        config = load_template(template, max_pattern_length=4096)
    except TemplateError as exc:
        out.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    samples = sorted(events.glob("*.json"))
    if not samples:
        out.print(f"[red]no sample events in {events}[/]")
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="choreo-demo-") as scratch:
        _run(out, config, samples, data_dir or Path(scratch))


def _run(out: Console, config: Configuration, samples: list[Path], data_dir: Path) -> None:
    bus_name = config.buses[0].name if config.buses else "default"
    with LocalBus(data_dir) as bus:
        bus.apply(config)
        rules = [r for r in config.rules if r.event_pattern]
        # people know their resources by the template's logical ids, not by generated names
        label = {arn: logical for logical, arn in config.logical_ids.items()}
        out.print(
            f"[bold]{len(rules)} rules[/] on bus [bold]{bus_name}[/], {len(config.queues)} queues; "
            f"publishing {len(samples)} events from {samples[0].parent} (data in {data_dir})\n"
        )
        for sample in samples:
            event = json.loads(sample.read_text(encoding="utf-8"))
            outcome = bus.engine.put_events([_entry(event, bus_name)])["Entries"][0]
            verdicts = [(rule, explain(rule.event_pattern or "{}", event)) for rule in rules]
            matched = sum(v.matched for _, v in verdicts)
            accepted = f"event {outcome['EventId'][:8]}" if "EventId" in outcome else str(outcome)
            out.print(
                f"[bold]{sample.name}[/]  {event.get('source')} / {event.get('detail-type')}  "
                f"-> {accepted}, {matched} rule(s)"
            )
            for rule, verdict in verdicts:
                name = label.get(rule.arn, rule.name)
                if verdict.matched:
                    targets = ", ".join(t.id for t in config.targets_of(rule))
                    out.print(f"  [green]MATCH[/] {name} -> {targets}")
                else:
                    reasons = [c.reason for c in verdict.failures]
                    why = " | ".join(reasons) or "fields match in different array elements"
                    out.print(f"  [dim]no    {name}: {why}[/]")
        deadline = time.monotonic() + _WAIT_SECONDS
        while bus.store.pending_jobs() and time.monotonic() < deadline:
            time.sleep(0.02)
        out.print("\n[bold]Delivered[/]")
        for queue in config.queues:
            bodies = _drain(bus, queue.name)
            out.print(f"  {label.get(queue.arn, queue.name)}: {len(bodies)} message(s)")
            for body in bodies:
                out.print(f"    {_summary(body)}", markup=False)
        drops = bus.store.drops()
        out.print(f"  drops recorded: {len(drops)}")
        for drop in drops:
            out.print(f"    {drop.reason}", markup=False)
        if bus.store.pending_jobs():
            pending = bus.store.pending_jobs()
            out.print(f"[yellow]  {pending} deliveries still pending after {_WAIT_SECONDS:.0f} s[/]")


def _entry(event: dict[str, Any], bus_name: str) -> dict[str, Any]:
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event.get("detail", {})),
        "Resources": event.get("resources", []),
        "EventBusName": bus_name,
    }


def _drain(bus: LocalBus, queue: str) -> list[str]:
    bodies: list[str] = []
    while batch := bus.store.receive_messages(queue, 10, 3600, time.time()):
        bodies.extend(m.body for m in batch)
    return bodies


def _summary(body: str) -> str:
    try:
        doc = json.loads(body)
    except json.JSONDecodeError:
        return body[:120]
    if isinstance(doc, dict) and "detail-type" in doc:
        data = doc.get("detail", {}).get("data", {})
        key = next((f"{k}={v}" for k, v in data.items() if k.endswith("Id")), "")
        return f"{doc['detail-type']} {key} (event {doc['id'][:8]})"
    return json.dumps(doc)[:160]
