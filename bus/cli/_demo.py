"""``choreo demo``: route the sample events through the rules of template.yaml.

Until the full engine exists this shows the routing decision itself: for each sample event,
every rule of the template, whether it matches, the targets that would receive the event (with
the body an InputTransformer would produce) and, for rules that do not match, why not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bus.patterns import PatternSet, compile_pattern, explain
from bus.template import RuleSpec, TemplateError, load_rules
from bus.transform import InputTransformer, TransformError

_DEMO_ACCOUNT, _DEMO_REGION = "123456789012", "us-east-1"


def _rule_arn(rule: RuleSpec) -> str:
    bus = "" if rule.bus == "default" else f"{rule.bus}/"
    return f"arn:aws:events:{_DEMO_REGION}:{_DEMO_ACCOUNT}:rule/{bus}{rule.logical_id}"


def demo(
    template: Annotated[Path, typer.Option(help="SAM/CloudFormation template with the rules.")] = Path(
        "template.yaml"
    ),
    events: Annotated[Path, typer.Option(help="Folder of sample events (*.json).")] = Path("samples/events"),
) -> None:
    """Show which rule and target of TEMPLATE each sample event reaches, and why."""
    out = Console(highlight=False)
    try:
        rules = [r for r in load_rules(template) if r.event_pattern and r.enabled]
    except TemplateError as exc:
        out.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    patterns = PatternSet(max_length=4096)
    for rule in rules:
        assert rule.event_pattern is not None
        patterns.add(rule.logical_id, compile_pattern(rule.event_pattern, max_length=4096))
    samples = sorted(events.glob("*.json"))
    if not samples:
        out.print(f"[red]no sample events in {events}[/]")
        raise typer.Exit(2)
    out.print(f"[bold]{len(rules)} rules[/] from {template}, [bold]{len(samples)} events[/] from {events}\n")
    for sample in samples:
        event = json.loads(sample.read_text(encoding="utf-8"))
        matched = patterns.matching(event)
        out.print(
            f"[bold]{sample.name}[/]  source={event.get('source')}  detail-type={event.get('detail-type')}"
            f"  -> {len(matched)} rule(s)"
        )
        for rule in rules:
            if rule.logical_id in matched:
                for target in rule.targets:
                    out.print(f"  [green]MATCH[/] {rule.logical_id} -> {target.id} ({target.arn})")
                    if target.input_transformer:
                        _show_transformed(out, rule, target.input_transformer, event)
            else:
                assert rule.event_pattern is not None
                reason = explain(rule.event_pattern, event).failures
                why = " | ".join(c.reason for c in reason) or "the fields match in different array elements"
                out.print(f"  [dim]no    {rule.logical_id}: {why}[/]")
        out.print()


def _show_transformed(
    out: Console, rule: RuleSpec, spec: dict[str, object], event: dict[str, object]
) -> None:
    try:
        transformer = InputTransformer(dict(spec.get("InputPathsMap") or {}), str(spec["InputTemplate"]))  # type: ignore[call-overload]
        body = transformer.apply(
            event, rule_name=rule.logical_id, rule_arn=_rule_arn(rule), ingestion_time=str(event.get("time"))
        )
    except TransformError as exc:
        out.print(f"        [red]not delivered: {exc}[/]")
        return
    out.print(f"        body: {body}", markup=False)
