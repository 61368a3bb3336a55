"""Pattern-matching benchmark: bus.patterns.PatternSet against the brute-force reference matcher.

For each workload (the shared reference workload in ../shared/bench/workload.py when present, and our
own order-flow workload in benchmarks/workload_orders.py) and each rule-set size, it measures:

- events/second of ``PatternSet.matching(event)`` (the full set of matching rules per event), with the
  event given as a dict and as JSON text (parsing included, like Ruler's ``rulesForJSONEvent``);
- events/second of the reference matcher in the same run (``tests/support/reference_matcher.matches``
  tried against every rule, i.e. per-rule brute force, as moto and LocalStack do), and the ratio;
- the time to add every pattern (µs per pattern) and the PatternSet's memory (tracemalloc: retained
  after the build, and the peak during it);
- agreement: the PatternSet's match set equals the reference matcher's on every event the reference
  measured, and the dict and JSON inputs give the same sets. Disagreements are listed with the
  operators of the rules involved.

Each measurement runs until its time budget is spent (after a minimum number of events) or its event
pool is exhausted, so the whole run is bounded whatever the engines' speed; the event counts are
printed next to each figure.

    python benchmarks/bench_patterns.py                 # what `make bench` runs (plus --json)
    python benchmarks/bench_patterns.py --quick         # smaller budgets, for a smoke test
    python benchmarks/bench_patterns.py --sizes 10,100 --workload orders --json /tmp/b.json
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import platform
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED_BENCH = REPO.parent / "shared" / "bench"
SIZES = (10, 100, 1_000, 10_000)

# Quoted, not measured here: ../shared/bench/README.md, "Figures on this workload, one 2-core machine,
# full set of matching rules per event (events/second)", on the reference workload with seed 1.
QUOTED_FIGURES: dict[str, dict[int, float]] = {
    "moto 5.2.5 (per-rule Python)": {10: 3_599, 100: 405, 1_000: 39, 10_000: 3.9},
    "LocalStack 2026.3.0 (per-rule Python)": {10: 4_300, 100: 389, 1_000: 38, 10_000: 3.7},
    "AWS Java Ruler 2.0.1 (compiled machine)": {10: 180_069, 100: 89_080, 1_000: 28_603, 10_000: 4_772},
}


class RuleLike(Protocol):
    name: str
    pattern: dict[str, Any]


@dataclass(frozen=True)
class Budget:
    """Seconds and event counts for one measurement; it stops at whichever bound comes first."""

    seconds: float
    min_events: int
    max_events: int


@dataclass(frozen=True)
class Plan:
    pool: int  # distinct events generated per workload
    engine: Budget  # PatternSet, per input form
    reference: Callable[[int], Budget]  # by rule count: brute force slows down linearly


def default_plan(quick: bool) -> Plan:
    scale = 0.25 if quick else 1.0

    def reference(n_rules: int) -> Budget:
        # Brute force costs one pattern evaluation per rule per event: about a second per event at
        # 10,000 rules, so the larger sizes get more time and fewer events (the agreement sample).
        seconds = {10_000: 8.0, 1_000: 5.0}.get(n_rules, 3.0) * scale
        return Budget(seconds, min_events=3 if n_rules >= 10_000 else 20, max_events=2_000)

    return Plan(
        pool=2_000 if not quick else 500,
        engine=Budget(2.5 * scale, min_events=20, max_events=200_000),
        reference=reference,
    )


@dataclass
class Disagreement:
    event_index: int
    event_id: str
    only_engine: list[str]
    only_reference: list[str]


@dataclass
class SizeResult:
    workload: str
    rules: int
    rejected: int
    add_us_per_pattern: float
    retained_mib: float
    peak_mib: float
    dict_eps: float
    dict_events: int
    json_eps: float
    json_events: int
    reference_eps: float | None
    reference_events: int
    speedup_dict: float | None
    speedup_json: float | None
    agreement_checked: int
    agreement_equal: int
    dict_json_mismatch: int
    avg_matches: float
    matched_fraction: float
    reference_avg_matches: float | None
    disagreement_ops: dict[str, int] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    rejected_examples: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------------
# Loading: the engine, the oracle, the workloads
# --------------------------------------------------------------------------------------------------------
def _load_engine(engine_path: Path) -> ModuleType:
    sys.path.insert(0, str(engine_path))
    try:
        return importlib.import_module("bus.patterns")
    except ImportError as exc:
        sys.exit(f"bench_patterns: cannot import bus.patterns ({exc}); nothing to measure")


def _build_kind(engine: ModuleType) -> str:
    """'mypyc' when the matcher's hot modules are compiled extensions, else 'pure Python'."""
    machine = importlib.import_module(engine.__name__ + "._machine")
    return "mypyc" if not str(machine.__file__).endswith(".py") else "pure Python"


def _load_baseline(path: Path) -> dict[tuple[str, int], float]:
    """(workload, rules) -> the reference matcher's events/second recorded in an earlier run."""
    document = json.loads(path.read_text())
    return {
        (r["workload"], r["rules"]): r["reference_eps"] for r in document["results"] if r.get("reference_eps")
    }


def _load_reference() -> Callable[[dict[str, Any], dict[str, Any]], bool] | None:
    try:
        module = importlib.import_module("tests.support.reference_matcher")
    except ImportError as exc:
        print(f"note: reference matcher unavailable ({exc}); reference columns left empty")
        return None
    matches: Callable[[dict[str, Any], dict[str, Any]], bool] = module.matches
    return matches


def _load_workloads(names: Sequence[str], shared_bench: Path) -> dict[str, ModuleType]:
    out: dict[str, ModuleType] = {}
    if "reference" in names:
        if (shared_bench / "workload.py").is_file():
            sys.path.insert(0, str(shared_bench))
            out["reference"] = importlib.import_module("workload")
        else:
            print(f"note: {shared_bench / 'workload.py'} not found; reference workload skipped")
    if "orders" in names:
        sys.path.insert(0, str(REPO / "benchmarks"))
        out["orders"] = importlib.import_module("workload_orders")
    return out


# --------------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    events: int
    seconds: float
    results: list[set[str]]  # one per input, first pass only

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def _timed_run(fn: Callable[[Any], set[str]], inputs: Sequence[Any], budget: Budget) -> Run:
    """Feed inputs in order (cycling through them) until the budget is spent."""
    results: list[set[str]] = []
    n_inputs = len(inputs)
    clock = time.perf_counter
    gc.collect()
    count = 0
    start = clock()
    elapsed = 0.0
    while count < budget.max_events:
        out = fn(inputs[count % n_inputs])
        if count < n_inputs:
            results.append(out)
        count += 1
        elapsed = clock() - start  # ~50 ns; a slow matcher must not overshoot its budget
        if elapsed >= budget.seconds and count >= budget.min_events:
            break
    return Run(count, elapsed, results)


def _build(engine: ModuleType, texts: Sequence[tuple[str, str]]) -> tuple[Any, float, list[str]]:
    """Add every pattern to a fresh PatternSet; return it, the seconds taken and the rejected names."""
    pattern_set = engine.PatternSet()
    invalid = engine.InvalidEventPattern
    rejected: list[str] = []
    gc.collect()
    start = time.perf_counter()
    for name, text in texts:
        try:
            pattern_set.add(name, text)
        except invalid:
            rejected.append(name)
    pattern_set.prepare()  # indexes are built lazily; their cost belongs to adding, not matching
    return pattern_set, time.perf_counter() - start, rejected


def _memory(engine: ModuleType, texts: Sequence[tuple[str, str]]) -> tuple[float, float]:
    """(retained, peak) MiB allocated while building a PatternSet, measured on a separate build."""
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    pattern_set, _, _ = _build(engine, texts)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del pattern_set
    mib = 1024 * 1024
    return (current - base) / mib, (peak - base) / mib


def measure_size(
    workload_name: str,
    workload: ModuleType,
    n_rules: int,
    events: list[dict[str, Any]],
    event_texts: list[str],
    engine: ModuleType,
    reference: Callable[[dict[str, Any], dict[str, Any]], bool] | None,
    plan: Plan,
    seed: int,
) -> SizeResult:
    rules: list[RuleLike] = workload.make_rules(n_rules, seed=seed)
    texts = [(r.name, json.dumps(r.pattern, separators=(",", ":"))) for r in rules]
    _build(engine, texts[:10])  # warm-up: first-use costs (imports, caches) are not per-pattern costs
    pattern_set, add_seconds, rejected = _build(engine, texts)
    retained_mib, peak_mib = _memory(engine, texts)

    for event in events[:200]:  # warm-up, untimed: interpreter caches, allocator pools
        pattern_set.matching(event)
    dict_run = _timed_run(pattern_set.matching, events, plan.engine)
    json_run = _timed_run(pattern_set.matching, event_texts, plan.engine)
    dict_sets = dict_run.results
    both = min(len(dict_sets), len(json_run.results))
    dict_json_mismatch = sum(dict_sets[i] != json_run.results[i] for i in range(both))

    reference_run: Run | None = None
    reference_sets: list[set[str]] = []
    if reference is not None:
        rejected_names = set(rejected)
        accepted = [r for r in rules if r.name not in rejected_names]

        def brute_force(event: dict[str, Any]) -> set[str]:
            return {r.name for r in accepted if reference(r.pattern, event)}

        reference_run = _timed_run(brute_force, events, plan.reference(n_rules))
        reference_sets = reference_run.results
    reference_eps = reference_run.rate if reference_run else None

    by_name = {r.name: r for r in rules}
    disagreements: list[Disagreement] = []
    ops: Counter[str] = Counter()
    for i, expected in enumerate(reference_sets):
        got = dict_sets[i] if i < len(dict_sets) else pattern_set.matching(events[i])
        if got != expected:
            only_engine, only_reference = sorted(got - expected), sorted(expected - got)
            disagreements.append(Disagreement(i, events[i].get("id", "?"), only_engine, only_reference))
            for name in only_engine + only_reference:
                ops.update(getattr(by_name.get(name), "ops", None) or ["?"])

    sample = dict_sets
    return SizeResult(
        workload=workload_name,
        rules=n_rules,
        rejected=len(rejected),
        add_us_per_pattern=add_seconds / n_rules * 1e6,
        retained_mib=retained_mib,
        peak_mib=peak_mib,
        dict_eps=dict_run.rate,
        dict_events=dict_run.events,
        json_eps=json_run.rate,
        json_events=json_run.events,
        reference_eps=reference_eps,
        reference_events=reference_run.events if reference_run else 0,
        speedup_dict=dict_run.rate / reference_eps if reference_eps else None,
        speedup_json=json_run.rate / reference_eps if reference_eps else None,
        agreement_checked=len(reference_sets),
        agreement_equal=len(reference_sets) - len(disagreements),
        dict_json_mismatch=dict_json_mismatch,
        avg_matches=sum(map(len, sample)) / len(sample),
        matched_fraction=sum(1 for s in sample if s) / len(sample),
        reference_avg_matches=(sum(map(len, reference_sets)) / len(reference_sets))
        if reference_sets
        else None,
        disagreement_ops=dict(ops.most_common()),
        disagreements=disagreements[:10],
        rejected_examples=rejected[:5],
    )


# --------------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------------
def _fmt_rate(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}x"


def _table(title: str, headers: Sequence[str]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i else "left")
    return table


def print_report(results: list[SizeResult], plan: Plan, out: Any) -> None:
    for workload in dict.fromkeys(r.workload for r in results):
        rows = [r for r in results if r.workload == workload]
        speed = _table(
            f"workload {workload}: events/second, full match set per event (events measured)",
            [
                "rules",
                "PatternSet, dict",
                "PatternSet, JSON text",
                "reference matcher",
                "dict / ref",
                "JSON / ref",
            ],
        )
        for r in rows:
            speed.add_row(
                f"{r.rules:,}",
                f"{_fmt_rate(r.dict_eps)} ({r.dict_events:,})",
                f"{_fmt_rate(r.json_eps)} ({r.json_events:,})",
                f"{_fmt_rate(r.reference_eps)} ({r.reference_events:,})" if r.reference_eps else "-",
                _fmt_ratio(r.speedup_dict),
                _fmt_ratio(r.speedup_json),
            )
        out.print(speed)
        build = _table(
            f"workload {workload}: build, memory, agreement with the reference matcher",
            [
                "rules",
                "rejected",
                "add µs/pattern",
                "retained MiB",
                "peak MiB",
                "agree / checked",
                "dict≠JSON",
                "matches/event",
                "same, reference",
                "≥1 match",
            ],
        )
        for r in rows:
            build.add_row(
                f"{r.rules:,}",
                str(r.rejected),
                f"{r.add_us_per_pattern:,.1f}",
                f"{r.retained_mib:,.2f}",
                f"{r.peak_mib:,.2f}",
                f"{r.agreement_equal}/{r.agreement_checked}" if r.agreement_checked else "-",
                str(r.dict_json_mismatch),
                f"{r.avg_matches:,.2f}",
                f"{r.reference_avg_matches:,.2f}" if r.reference_avg_matches is not None else "-",
                f"{r.matched_fraction:.1%}",
            )
        out.print(build)
        for r in rows:
            if r.rejected:
                out.print(
                    f"  {r.rules:,} rules: PatternSet rejected {r.rejected}: e.g. {r.rejected_examples}"
                )
            if r.disagreements:
                out.print(
                    f"  {r.rules:,} rules: {r.agreement_checked - r.agreement_equal} events disagree; "
                    f"operators of the rules involved: {r.disagreement_ops}"
                )
                for d in r.disagreements[:3]:
                    out.print(
                        f"    event #{d.event_index} ({d.event_id}): only PatternSet {d.only_engine[:5]}, "
                        f"only reference {d.only_reference[:5]}"
                    )

    reference_rows = {r.rules: r for r in results if r.workload == "reference"}
    if reference_rows:
        table = _table(
            "reference workload: events/second side by side",
            ["engine", "source", *(f"{n:,} rules" for n in SIZES)],
        )

        def row(label: str, source: str, values: dict[int, float | None]) -> None:
            table.add_row(label, source, *(_fmt_rate(values.get(n)) for n in SIZES))

        row("choreo PatternSet, dict", "measured", {n: r.dict_eps for n, r in reference_rows.items()})
        row("choreo PatternSet, JSON text", "measured", {n: r.json_eps for n, r in reference_rows.items()})
        row(
            "reference matcher (per-rule)",
            "measured",
            {n: r.reference_eps for n, r in reference_rows.items()},
        )
        for label, figures in QUOTED_FIGURES.items():
            row(label, "QUOTED, not measured", dict(figures))
        out.print(table)
        out.print(
            "  QUOTED rows are the figures printed in ../shared/bench/README.md (another run on the same"
            " workload and seed, 2-core machine);\n  only the 'measured' rows come from this run:"
            " compare ratios, not absolute rates."
        )
    out.print(
        f"  budgets: PatternSet {plan.engine.seconds:g} s per input form"
        f" (min {plan.engine.min_events} events);"
        f" reference matcher {plan.reference(10).seconds:g} s, {plan.reference(1_000).seconds:g} s at 1,000"
        f" rules, {plan.reference(10_000).seconds:g} s at 10,000 (min {plan.reference(10_000).min_events}"
        " events).\n"
        f"  Pool of {plan.pool:,} distinct events per workload, cycled when exhausted; matches/event is over"
        " the PatternSet's first pass,\n  'same, reference' over the events the reference matcher measured"
        " (the agreement sample)."
    )


# --------------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="rule-set sizes, comma separated")
    parser.add_argument(
        "--workload",
        action="append",
        choices=["reference", "orders"],
        help="workloads to run (repeatable; default: both)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="quarter budgets and a smaller event pool")
    parser.add_argument("--shared-bench", type=Path, default=DEFAULT_SHARED_BENCH)
    parser.add_argument("--strict", action="store_true", help="exit 1 when any match set disagrees")
    parser.add_argument(
        "--engine-path",
        type=Path,
        default=REPO,
        help="where to import bus.patterns from (default: this checkout; build/compiled: the mypyc build)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="JSON of an earlier run in the same `make bench`: take the reference matcher's rates from it "
        "instead of measuring them again",
    )
    args = parser.parse_args(argv)

    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped or under make: do not squeeze the tables into 80 columns
        console = Console(width=140)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    plan = default_plan(args.quick)
    engine = _load_engine(args.engine_path.resolve())
    console.print(
        f"[dim]engine: {Path(engine.__file__).parent} ({_build_kind(engine)})[/dim]", highlight=False
    )
    baseline = _load_baseline(args.baseline) if args.baseline else None
    reference = None if baseline is not None else _load_reference()
    workloads = _load_workloads(args.workload or ["reference", "orders"], args.shared_bench)

    started = time.perf_counter()
    results: list[SizeResult] = []
    for name, workload in workloads.items():
        events: list[dict[str, Any]] = workload.make_events(plan.pool, seed=args.seed)
        texts = [json.dumps(e, separators=(",", ":")) for e in events]
        for n_rules in sizes:
            t0 = time.perf_counter()
            result = measure_size(name, workload, n_rules, events, texts, engine, reference, plan, args.seed)
            if baseline is not None and (name, n_rules) in baseline:
                ref_eps = baseline[(name, n_rules)]
                result.reference_eps = ref_eps
                result.speedup_dict = result.dict_eps / ref_eps
                result.speedup_json = result.json_eps / ref_eps
            results.append(result)
            console.print(
                f"[dim]{name:>9} {n_rules:>6,} rules: {time.perf_counter() - t0:5.1f} s[/dim]",
                highlight=False,
            )
    print_report(results, plan, console)
    total = time.perf_counter() - started
    console.print(f"  total {total:.0f} s")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "generated": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "engine_build": _build_kind(engine),
            "baseline": str(args.baseline) if args.baseline else None,
            "machine": platform.machine(),
            "seed": args.seed,
            "plan": {
                "pool": plan.pool,
                "engine": asdict(plan.engine),
                "reference": {n: asdict(plan.reference(n)) for n in sizes},
            },
            "results": [asdict(r) for r in results],
            "quoted_not_measured": {
                "source": "../shared/bench/README.md",
                "figures_events_per_second": QUOTED_FIGURES,
            },
            "seconds": round(total, 1),
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
        console.print(f"  wrote {args.json}")
    disagreeing = sum(r.agreement_checked - r.agreement_equal + r.dict_json_mismatch for r in results)
    if disagreeing:
        console.print(f"  [bold red]{disagreeing} event(s) with disagreeing match sets[/bold red]")
    return 1 if disagreeing and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
