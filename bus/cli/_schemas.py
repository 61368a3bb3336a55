"""``choreo schemas codegen | check | pull`` and ``choreo lint``: the contracts of events/schemas/.

Exit codes: 0 clean, 1 a finding (a violation, a lint finding, models out of date), 2 unusable
input (a contract or template that does not load).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bus.cli._client import AsJson, Endpoint, Region, _client
from bus.schemas import (
    CheckReport,
    CodegenError,
    LintReport,
    Reliance,
    check_contracts,
    generate_models,
    lint,
    write_models,
    write_pulled,
)
from bus.template import Configuration, TemplateError, load_template
from events.contracts import Contract, ContractError, load_contracts

schemas = typer.Typer(
    help="Event contracts: typed bindings, compatibility checks, pulling discovered schemas."
)

SchemasDir = Annotated[Path, typer.Option("--schemas", help="Contract folder (events/README.md).")]
TemplateFile = Annotated[Path, typer.Option(help="SAM template with the rules and targets.")]


def _contracts(out: Console, folder: Path) -> tuple[Contract, ...]:
    try:
        return load_contracts(folder)
    except ContractError as exc:
        out.print(f"[red]{exc}[/]", markup=True)
        raise typer.Exit(2) from None


def _template(out: Console, path: Path) -> Configuration:
    try:
        # rules and contracts are what lint reads: secrets need no values here
        return load_template(path, max_pattern_length=4096, keep_unresolved=True)
    except TemplateError as exc:
        out.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


@schemas.command("codegen")
def codegen(
    schemas_dir: SchemasDir = Path("events/schemas"),
    out_dir: Annotated[Path, typer.Option("--out", help="Package to write the models into.")] = Path(
        "events/models"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the models are stale.")
    ] = False,
) -> None:
    """Generate pydantic v2 models (one module per schema version) with datamodel-code-generator."""
    out = Console(highlight=False)
    try:
        files = generate_models(_contracts(out, schemas_dir))
    except CodegenError as exc:
        out.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if check:
        stale = [name for name, text in files.items() if _read(out_dir / name) != text]
        stale += [
            p.relative_to(out_dir).as_posix()
            for p in sorted(out_dir.rglob("*.py"))
            if p.relative_to(out_dir).as_posix() not in files
        ]
        for name in stale:
            out.print(f"[red]out of date[/] {out_dir / name}")
        if stale:
            out.print("run [bold]choreo schemas codegen[/] and commit the result")
            raise typer.Exit(1)
        out.print(f"{len(files)} files in {out_dir} match the schemas")
        return
    changed = write_models(files, out_dir)
    out.print(f"{len(files)} files in {out_dir}, {len(changed)} changed")
    for name in changed:
        out.print(f"  {name}")


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


@schemas.command("check")
def check(
    schemas_dir: SchemasDir = Path("events/schemas"),
    template: Annotated[
        Path | None,
        typer.Option(help="Template whose consumers to name (default: ./template.yaml if present)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Compare each schema version with the previous one under the contract's compatibility mode."""
    out = Console(highlight=False)
    contracts = _contracts(out, schemas_dir)
    path = template or (Path("template.yaml") if Path("template.yaml").is_file() else None)
    reliance: tuple[Reliance, ...] = ()
    if path is not None:
        reliance = lint(_template(out, path), contracts).reliance
    report = check_contracts(contracts, reliance)
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        _show_check(out, report, len(contracts))
    if not report.ok:
        raise typer.Exit(1)


def _show_check(out: Console, report: CheckReport, contracts: int) -> None:
    for verdict in report.verdicts:
        if verdict.new_major:
            head = f"[cyan]NEW MAJOR[/] {verdict.schema} {verdict.previous} -> {verdict.version}"
            out.print(f"{head} (published side by side; differences listed, not judged)")
        elif verdict.ok:
            out.print(
                f"[green]OK[/] {verdict.schema} {verdict.previous} -> {verdict.version} ({verdict.mode})"
            )
        else:
            out.print(
                f"[red]BREAKS {verdict.mode}[/] {verdict.schema} {verdict.previous} -> {verdict.version}"
            )
        if not verdict.changes:
            continue
        table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 2))
        for column in ("", "change", "path", "what", "breaks", "consumers"):
            table.add_column(column)
        named = dict(verdict.consumers)
        for change in verdict.changes:
            violation = change in verdict.violations
            breaks = "+".join(b.name or "" for b in change.breaks) or "-"
            table.add_row(
                "[red]x[/]" if violation else " ",
                str(change.kind),
                change.path,
                change.detail,
                breaks,
                ", ".join(named.get(change, ())),
            )
        out.print(table)
    bad = sum(not v.ok for v in report.verdicts)
    tail = "[green]compatible[/]" if report.ok else f"[red]{bad} incompatible step(s)[/]"
    out.print(f"\n{contracts} contracts, {len(report.verdicts)} version steps: {tail}")
    if not report.ok:
        out.print(
            "A breaking change ships as a new major version next to the old one "
            "(<MAJOR+1>.0.json); see events/README.md."
        )


@schemas.command("pull")
def pull(
    registry: Annotated[str, typer.Option(help="Registry to read.")] = "discovered-schemas",
    out_dir: Annotated[Path, typer.Option("--out", help="Contract folder to write into.")] = Path(
        "events/schemas"
    ),
    prefix: Annotated[str | None, typer.Option(help="Only schemas whose name starts with this.")] = None,
    endpoint: Endpoint = None,
    region: Region = "us-east-1",
    as_json: AsJson = False,
) -> None:
    """Write the registry's schemas (discovered ones by default) into events/schemas/ as new versions."""
    out = Console(highlight=False)
    client = _client("schemas", endpoint, region)
    names: list[str] = []
    query = {"RegistryName": registry, **({"SchemaNamePrefix": prefix} if prefix else {})}
    for page in client.get_paginator("list_schemas").paginate(**query):
        names += [str(s["SchemaName"]) for s in page.get("Schemas", [])]
    results = []
    for name in sorted(names):
        described = client.describe_schema(RegistryName=registry, SchemaName=name)
        results.append(write_pulled(out_dir, name, str(described["Content"]), str(described["Type"])))
    if as_json:
        rows = [{"schema": r.schema, "outcome": r.outcome.value, "path": str(r.path)} for r in results]
        print(json.dumps(rows, indent=2))
        return
    for result in results:
        out.print(f"{result.outcome:<9} {result.schema} -> {result.path}")
    out.print(f"{len(results)} schema(s) from registry {registry}; run choreo schemas check next")


def lint_command(
    template: TemplateFile = Path("template.yaml"),
    schemas_dir: SchemasDir = Path("events/schemas"),
    as_json: AsJson = False,
) -> None:
    """Check the template's rules, targets and input transformers against the event contracts."""
    out = Console(highlight=False)
    report = lint(_template(out, template), _contracts(out, schemas_dir))
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        _show_lint(out, report)
    if report.findings:
        raise typer.Exit(1)


def _show_lint(out: Console, report: LintReport) -> None:
    for finding in report.findings:
        where = f"{finding.rule}/{finding.target}" if finding.target else finding.rule
        out.print(f"[red]{finding.kind.name}[/] {where} {finding.path}: {finding.message}")
    table = Table(title="Who relies on what", show_edge=False, box=None, padding=(0, 2))
    for column in ("consumer", "contract", "versions", "fields read"):
        table.add_column(column)
    for entry in report.reliance:
        fields = "the whole event" if entry.fields is None else ", ".join(entry.fields)
        table.add_row(entry.consumer, entry.schema, ", ".join(entry.versions), fields)
    out.print(table)
    verdict = "[green]clean[/]" if not report.findings else f"[red]{len(report.findings)} finding(s)[/]"
    out.print(f"{report.rules} rules against {report.contracts} contracts: {verdict}")
