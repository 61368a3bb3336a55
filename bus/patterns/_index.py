"""Per-field value index: from one event value to every machine branch it satisfies.

A machine node keeps one index per field path over all conditions leaving it, so one lookup
costs a few dictionary probes however many patterns share the node. Exact values, prefixes,
suffixes and case-insensitive values are hashed (prefixes grouped by length, so cost follows
the number of distinct lengths, not of prefixes); wildcards are grouped by their literal text
before the first star; numeric and CIDR ranges are cut into elementary intervals and found by
bisection. Only anything-but forms that cannot be hashed are tested one by one.

Each kind of matcher present becomes one small probe object; most indexes hold a single kind,
so a lookup is usually one method call.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Any, Final

from bus.patterns._matchers import (
    AnythingBut,
    Cidr,
    EqualsIgnoreCase,
    Exact,
    Exists,
    IpExact,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
    ip_of,
)

# Targets are machine nodes; the index does not need to know their type.
Target = Any
Targets = tuple[Target, ...]
AffixTable = tuple[tuple[int, dict[str, Targets]], ...]


class Intervals:
    """Stabbing queries over integer intervals: a point -> every target whose interval holds it."""

    def __init__(self, intervals: Iterable[tuple[int, bool, int, bool, Target]]) -> None:
        items = list(intervals)
        points = sorted({p for lo, _, hi, _, _ in items for p in (lo, hi)})
        position = {p: i for i, p in enumerate(points)}
        at_point: list[list[Target]] = [[] for _ in points]  # targets containing points[i]
        between: list[list[Target]] = [[] for _ in range(len(points) + 1)]  # ... (points[i-1], points[i])
        for lo, lo_open, hi, hi_open, target in items:
            i, j = position[lo], position[hi]
            if not lo_open:
                at_point[i].append(target)
            if not hi_open and j != i:
                at_point[j].append(target)
            for k in range(i + 1, j):
                at_point[k].append(target)
            for k in range(i + 1, j + 1):
                between[k].append(target)
        self.points: Final = points
        self.at_point: Final = [tuple(t) for t in at_point]
        self.between: Final = [tuple(t) for t in between]

    def find(self, x: int) -> Targets:
        i = bisect_right(self.points, x)
        if i and self.points[i - 1] == x:
            return self.at_point[i - 1]
        return self.between[i]


class Probe:
    """One kind of matcher at one index: appends the targets a value satisfies."""

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:  # pragma: no cover
        raise NotImplementedError


class ExactProbe(Probe):
    def __init__(self, table: dict[Hashable, Targets]) -> None:
        self.table: Final = table

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        hit = self.table.get(key)
        if hit is not None:
            out.extend(hit)


class AllProbe(Probe):
    """``exists: true``: every value satisfies it."""

    def __init__(self, targets: Targets) -> None:
        self.targets: Final = targets

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        out.extend(self.targets)


class AnythingButProbe(Probe):
    def __init__(self, targets: Targets, excluded: dict[Hashable, frozenset[int]]) -> None:
        self.targets: Final = targets
        self.excluded: Final = excluded  # value key -> positions in targets that exclude it

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        skip = self.excluded.get(key)
        if skip is None:
            out.extend(self.targets)
        else:
            out.extend([t for i, t in enumerate(self.targets) if i not in skip])


class AffixProbe(Probe):
    """Prefixes or suffixes, optionally case-insensitive, hashed per distinct length."""

    def __init__(self, table: AffixTable, *, lower: bool, suffix: bool) -> None:
        self.table: Final = table
        self.lower: Final = lower
        self.suffix: Final = suffix

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        if type(value) is not str:
            return
        text: str = value.lower() if self.lower else value
        n = len(text)
        for length, by_text in self.table:
            if length > n:
                break
            hit = by_text.get(text[n - length :] if self.suffix else text[:length])
            if hit is not None:
                out.extend(hit)


class EqualsIgnoreCaseProbe(Probe):
    def __init__(self, table: dict[str, Targets]) -> None:
        self.table: Final = table

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        if type(value) is str:
            hit = self.table.get(value.lower())
            if hit is not None:
                out.extend(hit)


class WildcardProbe(Probe):
    def __init__(self, table: tuple[tuple[int, dict[str, tuple[tuple[Any, Target], ...]]], ...]) -> None:
        self.table: Final = table

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        if type(value) is not str:
            return
        n = len(value)
        for length, by_literal in self.table:
            if length > n:
                break
            candidates = by_literal.get(value[:length])
            if candidates is not None:
                for regex, target in candidates:
                    if regex.fullmatch(value) is not None:
                        out.append(target)


class NumericProbe(Probe):
    def __init__(self, intervals: Intervals) -> None:
        self.intervals: Final = intervals

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        # a number EventBridge can compare has the value key ("n", millionths)
        if type(key) is tuple and key[0] == "n":
            out.extend(self.intervals.find(key[1]))


class IpProbe(Probe):
    def __init__(self, exact: dict[tuple[int, int], Targets], cidr: dict[int, Intervals]) -> None:
        self.exact: Final = exact
        self.cidr: Final = cidr

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        if type(value) is not str:
            return
        ip = ip_of(value)
        if ip is None:
            return
        hit = self.exact.get(ip)
        if hit is not None:
            out.extend(hit)
        ranges = self.cidr.get(ip[0])
        if ranges is not None:
            out.extend(ranges.find(ip[1]))


class TestedProbe(Probe):
    """Matchers with no index (anything-but prefix/suffix/wildcard/ignore-case): tested one by one."""

    def __init__(self, tested: tuple[tuple[Matcher, Target], ...]) -> None:
        self.tested: Final = tested

    def probe(self, value: Any, key: Hashable, out: list[Target]) -> None:
        for matcher, target in self.tested:
            if matcher.test(value):
                out.append(target)


class FieldIndex:
    """All (matcher -> target) pairs of one field at one machine node."""

    def __init__(self, pairs: Iterable[tuple[Matcher, Target]]) -> None:
        exact: dict[Hashable, list[Target]] = defaultdict(list)
        ip_exact: dict[tuple[int, int], list[Target]] = defaultdict(list)
        affixes: dict[tuple[bool, bool], dict[int, dict[str, list[Target]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list))
        )
        equals_ic: dict[str, list[Target]] = defaultdict(list)
        wildcard: dict[int, dict[str, list[tuple[Any, Target]]]] = defaultdict(lambda: defaultdict(list))
        numeric: list[tuple[int, bool, int, bool, Target]] = []
        cidr: dict[int, list[tuple[int, bool, int, bool, Target]]] = defaultdict(list)
        anything_but: list[Target] = []
        excluded: dict[Hashable, set[int]] = defaultdict(set)
        tested: list[tuple[Matcher, Target]] = []
        exists: list[Target] = []
        for matcher, target in pairs:
            if isinstance(matcher, Exact):
                for k in matcher.keys:
                    exact[k].append(target)
            elif isinstance(matcher, IpExact):
                ip_exact[(matcher.version, matcher.address)].append(target)
            elif isinstance(matcher, Prefix | Suffix):
                kind = (matcher.ignore_case, isinstance(matcher, Suffix))
                affixes[kind][len(matcher.text)][matcher.text].append(target)
            elif isinstance(matcher, EqualsIgnoreCase):
                equals_ic[matcher.lowered].append(target)
            elif isinstance(matcher, Wildcard):
                literal = matcher.literal_prefix
                wildcard[len(literal)][literal].append((matcher.regex, target))
            elif isinstance(matcher, Numeric):
                numeric.append((matcher.lo, matcher.lo_open, matcher.hi, matcher.hi_open, target))
            elif isinstance(matcher, Cidr):
                cidr[matcher.version].append((matcher.lo, False, matcher.hi, False, target))
            elif isinstance(matcher, AnythingBut):
                for k in matcher.excluded:
                    excluded[k].add(len(anything_but))
                anything_but.append(target)
            elif isinstance(matcher, Exists):
                exists.append(target)
            else:
                tested.append((matcher, target))

        probes: list[Probe] = []
        if exact:
            probes.append(ExactProbe({k: tuple(v) for k, v in exact.items()}))
        if exists:
            probes.append(AllProbe(tuple(exists)))
        if anything_but:
            frozen = {k: frozenset(v) for k, v in excluded.items()}
            probes.append(AnythingButProbe(tuple(anything_but), frozen))
        for (lower, suffix), table in sorted(affixes.items()):
            probes.append(AffixProbe(_freeze_affix(table), lower=lower, suffix=suffix))
        if equals_ic:
            probes.append(EqualsIgnoreCaseProbe({k: tuple(v) for k, v in equals_ic.items()}))
        if wildcard:
            frozen_wild = tuple(
                (length, {lit: tuple(v) for lit, v in by_lit.items()})
                for length, by_lit in sorted(wildcard.items())
            )
            probes.append(WildcardProbe(frozen_wild))
        if numeric:
            probes.append(NumericProbe(Intervals(numeric)))
        if ip_exact or cidr:
            probes.append(
                IpProbe(
                    {k: tuple(v) for k, v in ip_exact.items()}, {v: Intervals(i) for v, i in cidr.items()}
                )
            )
        if tested:
            probes.append(TestedProbe(tuple(tested)))

        self.probes: Final = tuple(probes)
        # The machine reads these two directly: most indexes are exact-only, or a single probe.
        self.exact: Final[dict[Hashable, Targets] | None] = (
            probes[0].table if len(probes) == 1 and isinstance(probes[0], ExactProbe) else None
        )
        self.single: Final[Probe | None] = probes[0] if len(probes) == 1 else None

    def lookup(self, value: Any, key: Hashable, out: list[Target]) -> None:
        """Append every target whose matcher accepts ``value`` (whose value_key is ``key``)."""
        for probe in self.probes:
            probe.probe(value, key, out)


def _freeze_affix(table: dict[int, dict[str, list[Target]]]) -> AffixTable:
    return tuple(
        (length, {t: tuple(v) for t, v in by_text.items()}) for length, by_text in sorted(table.items())
    )
