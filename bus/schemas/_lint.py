"""``choreo lint``: template.yaml's rules, targets and input transformers against the contracts.

For each rule, the contracts it can receive are those whose source and detail-type its pattern
accepts (decided by the real pattern engine); a contract version whose schema lacks a field the
pattern needs, or whose field can never satisfy the pattern's test, is filtered out, as the bus
itself would never deliver such an event. What is left is what the rule's targets receive. The
findings:

- UNKNOWN_FIELD: the pattern tests a field that no candidate contract version has;
- TYPE_MISMATCH: an operator that cannot apply to the field's type (numeric on a string ...);
- NEVER_MATCHES: a value outside the field's enum or minimum/maximum, ``exists: false`` on a
  required field, or no contract version left at all;
- NO_CONTRACT: no contract for the source and detail-type the rule selects (``aws.*`` sources
  excepted: AWS's registry describes those);
- TRANSFORMER_PATH_MISSING: an InputPath or InputPathsMap path that a received version lacks.

It also says which consumer (``rule/target``) relies on which fields of which versions:
``Reliance``, what ``schemas check`` uses to name the consumers a breaking change would break.
"""

from __future__ import annotations

import enum
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bus.model import Rule, Target
from bus.patterns import InvalidEventPattern, compile_pattern
from bus.schemas._paths import ENVELOPE_FIELDS, Open, branches, field_at, json_path, types_of
from bus.template import Configuration
from events.contracts import Contract, ContractVersion, detail_schema, resolve

__all__ = ["Finding", "FindingKind", "LintReport", "Reliance", "lint"]

Json = dict[str, Any]
_VERSION_PATH = ("metadata", "schema-version")
_STRING_OPERATORS = frozenset({"prefix", "suffix", "wildcard", "equals-ignore-case", "cidr"})


class FindingKind(enum.StrEnum):
    UNKNOWN_FIELD = "pattern on a field no contract has"
    TYPE_MISMATCH = "operator does not fit the field's type"
    NEVER_MATCHES = "pattern can never match"
    NO_CONTRACT = "no contract for what the rule selects"
    TRANSFORMER_PATH_MISSING = "transformer path does not exist"


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    rule: str
    kind: FindingKind
    path: str
    message: str
    target: str = ""

    def as_json(self) -> Json:
        return {
            "rule": self.rule,
            "target": self.target or None,
            "kind": self.kind.name,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Reliance:
    """``consumer`` receives these ``versions`` of ``schema`` and reads ``fields`` (None: all of it)."""

    consumer: str
    schema: str
    versions: tuple[str, ...]
    fields: tuple[str, ...] | None

    def as_json(self) -> Json:
        fields = list(self.fields) if self.fields is not None else None
        return {
            "consumer": self.consumer,
            "schema": self.schema,
            "versions": list(self.versions),
            "fields": fields,
        }


@dataclass(frozen=True, slots=True)
class LintReport:
    findings: tuple[Finding, ...]
    reliance: tuple[Reliance, ...]
    rules: int = 0
    contracts: int = 0

    def as_json(self) -> Json:
        return {
            "findings": [f.as_json() for f in self.findings],
            "reliance": [r.as_json() for r in self.reliance],
        }


@dataclass
class _RuleScan:
    """What one rule can receive: (contract, version) pairs, and the detail paths it tests."""

    candidates: dict[tuple[str, str], ContractVersion] = field(default_factory=dict)
    received: dict[tuple[str, str], tuple[Contract, ContractVersion]] = field(default_factory=dict)
    tested: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    problems: dict[tuple[FindingKind, str], set[str]] = field(default_factory=lambda: defaultdict(set))


def lint(config: Configuration, contracts: Sequence[Contract]) -> LintReport:
    names = {arn: logical for logical, arn in config.logical_ids.items()}
    findings: list[Finding] = []
    reliance: list[Reliance] = []
    patterned = [rule for rule in config.rules if rule.event_pattern]
    for rule in patterned:
        label = names.get(rule.arn, rule.name)
        scan = _scan(rule, contracts)
        findings += _rule_findings(label, scan)
        for target in config.targets_of(rule):
            findings += _target_findings(label, target, scan)
            reliance += _reliance(f"{label}/{target.id}", target, scan)
    return LintReport(tuple(sorted(findings)), tuple(reliance), len(patterned), len(contracts))


def _scan(rule: Rule, contracts: Sequence[Contract]) -> _RuleScan:
    scan = _RuleScan()
    pattern = json.loads(rule.event_pattern or "{}")
    for branch in branches(pattern):
        envelope = {path[0]: matchers for path, matchers in branch if path[0] in ("source", "detail-type")}
        detail = [(path[1:], matchers) for path, matchers in branch if path[0] == "detail" and len(path) > 1]
        pins = [matchers for path, matchers in detail if path == _VERSION_PATH]
        tests = [(path, matchers) for path, matchers in detail if path != _VERSION_PATH]
        candidates = [c for c in contracts if _selects(envelope, c)]
        for contract in candidates:
            for version in contract.versions:
                if not all(_matches_value(_VERSION_PATH, pin, version.version) for pin in pins):
                    continue  # a consumer pinned to another major version
                scan.candidates[(contract.name, version.version)] = version
                if all(_fits(version, path, matchers, scan) for path, matchers in tests):
                    scan.received[(contract.name, version.version)] = (contract, version)
                    scan.tested[(contract.name, version.version)].update(".".join(p) for p, _ in detail)
        if not candidates and not _aws_sources(envelope):
            shown = json.dumps(envelope, sort_keys=True) if envelope else "any source"
            scan.problems[(FindingKind.NO_CONTRACT, "")].add(shown)
    return scan


def _aws_sources(envelope: Mapping[str, list[Any]]) -> bool:
    """AWS's own events (``aws.*``): their schemas are AWS's registry's business, not ours."""
    sources = envelope.get("source") or []
    return bool(sources) and all(isinstance(s, str) and s.startswith("aws.") for s in sources)


def _selects(envelope: Mapping[str, list[Any]], contract: Contract) -> bool:
    if not envelope:
        return True
    try:
        compiled = compile_pattern(json.dumps(envelope), max_length=1 << 20)
    except InvalidEventPattern:
        return False
    return compiled.matches({"source": contract.source, "detail-type": contract.detail_type})


def _fits(version: ContractVersion, path: tuple[str, ...], matchers: list[Any], scan: _RuleScan) -> bool:
    """Whether some event of this version can satisfy one condition; records why not."""
    root, named = detail_schema(version.document())
    node = field_at(root, named, path)
    shown = ".".join(path)
    tag = f"{version.name} {version.version}"
    if node is None:
        if any(m == {"exists": False} for m in matchers):
            return True
        scan.problems[(FindingKind.UNKNOWN_FIELD, shown)].add(tag)
        return False
    if isinstance(node, Open):
        return True
    viable = False
    for matcher in matchers:
        if matcher == {"exists": False}:
            verdict = (FindingKind.NEVER_MATCHES, shown) if _required(root, named, path) else None
        else:
            verdict = _matcher_fits(matcher, node, path)
        if verdict is None:
            viable = True
        else:
            scan.problems[verdict].add(tag)
    return viable


def _matcher_fits(matcher: Any, node: Json, path: tuple[str, ...]) -> tuple[FindingKind, str] | None:
    """None when the matcher can match some value of the field, else the finding to record."""
    shown = ".".join(path)
    types, enum_values = types_of(node), node.get("enum")
    if isinstance(matcher, dict):
        operator = next(iter(matcher), "")
        if operator == "exists":
            return None  # exists: false is decided by the caller, which knows what is required
        if operator == "numeric" and not types & {"number", "integer"}:
            return (FindingKind.TYPE_MISMATCH, shown)
        if operator == "numeric" and not _within_bounds(list(matcher[operator]), node):
            return (FindingKind.NEVER_MATCHES, shown)
        if operator in _STRING_OPERATORS and "string" not in types:
            return (FindingKind.TYPE_MISMATCH, shown)
        if isinstance(enum_values, list) and not any(
            _matches_value(path, [matcher], value) for value in enum_values
        ):
            return (FindingKind.NEVER_MATCHES, shown)
        return None
    kind = "null" if matcher is None else "boolean" if isinstance(matcher, bool) else None
    kind = kind or ("string" if isinstance(matcher, str) else "number")
    if kind not in types and not (kind == "number" and "integer" in types):
        return (FindingKind.TYPE_MISMATCH, shown)
    if isinstance(enum_values, list) and matcher not in enum_values:
        return (FindingKind.NEVER_MATCHES, shown)
    if kind == "number" and not _within_bounds(["=", matcher], node):
        return (FindingKind.NEVER_MATCHES, shown)
    return None


Bound = tuple[float, bool]  # (value, open)


def _within_bounds(operations: list[Any], node: Json) -> bool:
    """Whether a numeric test (``[">=", 0, "<", 10]``) admits a value the schema's
    minimum/maximum allow: the two intervals intersect."""
    low: Bound = (float(node.get("minimum", -math.inf)), node.get("exclusiveMinimum") is True)
    high: Bound = (float(node.get("maximum", math.inf)), node.get("exclusiveMaximum") is True)
    for operator, value in zip(operations[::2], operations[1::2], strict=False):
        number = float(value)
        if operator in (">", ">=", "="):
            low = max(low, (number, operator == ">"))  # at equal values, the open bound is tighter
        if operator in ("<", "<=", "="):
            high = min(high, (number, operator == "<"), key=lambda b: (b[0], not b[1]))
    return low[0] < high[0] or (low[0] == high[0] and not low[1] and not high[1])


def _matches_value(path: tuple[str, ...], matchers: list[Any], value: Any) -> bool:
    """Ask the real pattern engine whether these matchers accept ``value`` at ``path``."""
    pattern: Json = {"m": matchers}
    event: Json = {"m": value}
    try:
        return compile_pattern(json.dumps(pattern), max_length=1 << 20).matches(event)
    except InvalidEventPattern:
        return False


def _required(root: Json, named: Mapping[str, Json], path: tuple[str, ...]) -> bool:
    """Whether every event has the field: required at each step, and no array on the way (an
    empty array has no elements to carry it)."""
    for depth in range(len(path)):
        parent = field_at(root, named, path[:depth])
        if not isinstance(parent, dict) or path[depth] not in (parent.get("required") or ()):
            return False
        if "array" in types_of(resolve(parent["properties"][path[depth]], named)):
            return False
    return True


def _rule_findings(label: str, scan: _RuleScan) -> Iterable[Finding]:
    for (kind, path), where in sorted(scan.problems.items()):
        if kind is FindingKind.UNKNOWN_FIELD and _some_candidate_has(scan, path):
            continue  # versions without the field are filtered out by it, as intended
        shown = f"detail.{path}" if path else ""
        yield Finding(label, kind, shown, f"{kind}: {', '.join(sorted(where))}")
    explained = any(
        kind is not FindingKind.UNKNOWN_FIELD or not _some_candidate_has(scan, path)
        for kind, path in scan.problems
    )
    if scan.candidates and not scan.received and not explained:
        yield Finding(
            label, FindingKind.NEVER_MATCHES, "", f"{FindingKind.NEVER_MATCHES}: no contract version fits"
        )


def _some_candidate_has(scan: _RuleScan, path: str) -> bool:
    for version in scan.candidates.values():
        root, named = detail_schema(version.document())
        if field_at(root, named, tuple(path.split("."))) is not None:
            return True
    return False


def _target_findings(label: str, target: Target, scan: _RuleScan) -> Iterable[Finding]:
    for text in _target_paths(target):
        path = json_path(text)
        missing = []
        for contract, version in sorted(scan.received.values(), key=lambda cv: (cv[0].name, cv[1].version)):
            if path is None or not _path_exists(version, path):
                missing.append(f"{contract.name} {version.version}")
        if missing:
            message = f"{FindingKind.TRANSFORMER_PATH_MISSING}: {text} in {', '.join(missing)}"
            yield Finding(label, FindingKind.TRANSFORMER_PATH_MISSING, text, message, target.id)


def _target_paths(target: Target) -> list[str]:
    paths = []
    if target.input_transformer is not None:
        paths += list(target.input_transformer.input_paths_map.values())
    if target.input_path:
        paths.append(target.input_path)
    return paths


def _path_exists(version: ContractVersion, path: tuple[str, ...]) -> bool:
    if not path:
        return True
    if path[0] != "detail":
        return path[0] in ENVELOPE_FIELDS and len(path) == 1
    root, named = detail_schema(version.document())
    return field_at(root, named, path[1:]) is not None


def _reliance(consumer: str, target: Target, scan: _RuleScan) -> Iterable[Reliance]:
    read: set[str] = set()
    whole = target.input_transformer is None and target.input is None and not target.input_path
    for text in _target_paths(target):
        path = json_path(text)
        if path is not None and path[:1] == ("detail",):
            whole = whole or len(path) == 1
            read.add(".".join(path[1:]))
    by_schema: dict[str, list[str]] = defaultdict(list)
    fields: dict[str, set[str]] = defaultdict(set)
    for key, (contract, version) in scan.received.items():
        by_schema[contract.name].append(version.version)
        fields[contract.name] |= scan.tested[key] | read
    for schema, versions in sorted(by_schema.items()):
        shown = None if whole else tuple(sorted(fields[schema] - {""}))
        yield Reliance(consumer, schema, tuple(sorted(versions)), shown)
