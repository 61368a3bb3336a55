"""``choreo traces``, ``choreo trace ID`` and ``choreo map``.

``traces`` and ``trace`` ask X-Ray's API (``choreo serve``, or AWS with real credentials and no
endpoint), so they show what the X-Ray console shows; ``map`` draws the template with the traffic
recorded in a data directory's ``traces.db`` and needs no server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from bus.cli._client import AsJson, Endpoint, Region, _client
from bus.cli._ops import parse_time
from bus.cli._records import DataDir

__all__ = ["service_map", "trace", "traces"]

Since = Annotated[str, typer.Option(help="Start of the range: -15m, -1h, ISO 8601.")]
Until = Annotated[str, typer.Option(help="End of the range: now, -5m, ISO 8601.")]


def _stamp(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def traces(
    since: Since = "-15m",
    until: Until = "now",
    filter_expression: Annotated[
        str | None, typer.Option("--filter", help='service("name"), fault, error, ok, annotation.KEY = "v"')
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    as_json: AsJson = False,
) -> None:
    """List traces (X-Ray's GetTraceSummaries), newest first."""
    xray = _client("xray", endpoint, region)
    args: dict[str, Any] = {"StartTime": parse_time(since), "EndTime": parse_time(until)}
    if filter_expression:
        args["FilterExpression"] = filter_expression
    found: list[dict[str, Any]] = []
    for page in xray.get_paginator("get_trace_summaries").paginate(**args):
        found += page["TraceSummaries"]
        if len(found) >= limit:
            break
    found = found[:limit]
    if as_json:
        print(json.dumps(found, default=str))
        return
    table = Table(
        "trace", "started", "duration", "entry", "services", "status", title=f"{len(found)} trace(s)"
    )
    for s in found:
        started = datetime.fromtimestamp(_stamp(s.get("StartTime", 0)), UTC).strftime("%H:%M:%S.%f")[:-3]
        status = "[red]fault[/]" if s.get("HasFault") else "[yellow]error[/]" if s.get("HasError") else "ok"
        services = ", ".join(sid["Name"] for sid in s.get("ServiceIds", []))
        entry = s.get("EntryPoint", {}).get("Name", "")
        table.add_row(s["Id"], started, f"{s.get('Duration', 0) * 1000:.0f} ms", entry, services, status)
    Console().print(table)


def _label(span: Any, origin: float) -> str:
    from rich.markup import escape

    offset = (span.start - origin) * 1000
    took = "in progress" if span.duration is None else f"{span.duration * 1000:.1f} ms"
    flags = " [red]fault[/]" if span.fault else " [yellow]throttle[/]" if span.throttle else ""
    flags += " [yellow]error[/]" if span.error and not span.throttle else ""
    code = span.annotations.get("error_code")
    flags += f" {escape(str(code))}" if code else ""
    kind = f" [dim]{escape(span.origin)}[/]" if span.origin else ""
    return f"{escape(span.name)}{kind}  [cyan]+{offset:.1f} ms[/]  {took}{flags}"


def trace(
    trace_id: Annotated[str, typer.Argument(help="The trace id (1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx).")],
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    as_json: AsJson = False,
) -> None:
    """Print one trace as a tree: each segment's offset from the trace start and its duration."""
    from bus.xray._spans import Span, assemble

    xray = _client("xray", endpoint, region)
    found = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
    if not found:
        Console(stderr=True).print(f"[red]no trace {trace_id}[/]")
        raise typer.Exit(1)
    documents = [json.loads(s["Document"]) for s in found[0]["Segments"]]
    if as_json:
        print(json.dumps(documents))
        return
    for doc in documents:
        doc.setdefault("trace_id", trace_id)
    roots = assemble(documents)
    origin = min(r.start for r in roots)
    tree = Tree(f"[bold]{trace_id}[/]  {found[0].get('Duration', 0) * 1000:.1f} ms")

    def add(node: Tree, span: Span) -> None:
        branch = node.add(_label(span, origin))
        for child in span.children:
            add(branch, child)

    for root in roots:
        add(tree, root)
    Console().print(tree)


def service_map(
    template: Annotated[Path, typer.Option(help="SAM template with the buses, rules and targets.")] = Path(
        "template.yaml"
    ),
    data_dir: DataDir = Path(".choreo"),
    since: Since = "-1h",
    until: Until = "now",
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the SVG.")] = Path("map.svg"),
) -> None:
    """Write the service map (producers -> buses -> rules -> targets -> consumers) as SVG."""
    from bus.template import TemplateError, load_template
    from bus.xray import TRACES_FILE, TraceStore, build_service_map, render_map_svg

    out = Console(highlight=False)
    config = None
    if template.is_file():
        try:
            config = load_template(template, keep_unresolved=True)  # drawing needs no secrets
        except TemplateError as exc:
            out.print(f"cannot read {template}: {exc}", style="red", markup=False)
            raise typer.Exit(2) from None
    store = TraceStore(data_dir / TRACES_FILE) if (data_dir / TRACES_FILE).is_file() else None
    if config is None and store is None:
        out.print(f"nothing to draw: no {template} and no traces in {data_dir}", style="red", markup=False)
        raise typer.Exit(2)
    try:
        smap = build_service_map(
            config, traces=store, start=parse_time(since).timestamp(), end=parse_time(until).timestamp()
        )
    finally:
        if store is not None:
            store.close()
    output.write_text(render_map_svg(smap, title=f"choreo service map ({template.name})"), encoding="utf-8")
    out.print(f"wrote {output}: {len(smap.nodes)} nodes, {len(smap.edges)} edges", markup=False)
