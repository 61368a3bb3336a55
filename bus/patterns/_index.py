"""Per-field value index: from one event value to every branch of the machine it satisfies.

A machine node keeps one index per field path over all the conditions leaving it, so a
lookup costs a few dictionary probes however many patterns share the node. Exact values,
prefixes, suffixes and case-insensitive values are hashed (prefixes by length, so the cost
follows the number of distinct prefix lengths, not of prefixes); wildcards are grouped by
their literal text before the first star; numeric ranges are cut into elementary intervals
and found by bisection. Only anything-but forms that cannot be hashed are tested one by one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

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

T = TypeVar("T")


class _Intervals(Generic[T]):
    """Stabbing queries over closed/open integer intervals: point -> targets containing it."""

    __slots__ = ("points", "at_point", "between")

    def __init__(self, intervals: Iterable[tuple[int, bool, int, bool, T]]) -> None:
        items = list(intervals)
        points = sorted({p for lo, _, hi, _, _ in items for p in (lo, hi)})
        self.points = points
        # at_point[i]: targets containing points[i]; between[i]: targets containing (points[i-1], points[i])
        at_point: list[list[T]] = [[] for _ in points]
        between: list[list[T]] = [[] for _ in range(len(points) + 1)]
        index = {p: i for i, p in enumerate(points)}
        for lo, lo_open, hi, hi_open, target in items:
            i, j = index[lo], index[hi]
            if not lo_open:
                at_point[i].append(target)
            if not hi_open:
                at_point[j].append(target)
            for k in range(i + 1, j):
                at_point[k].append(target)
            for k in range(i + 1, j + 1):
                between[k].append(target)
        self.at_point = [tuple(t) for t in at_point]
        self.between = [tuple(t) for t in between]

    def find(self, x: int) -> tuple[T, ...]:
        i = bisect_right(self.points, x)
        if i and self.points[i - 1] == x:
            return self.at_point[i - 1]
        return self.between[i]


class FieldIndex(Generic[T]):
    """All (matcher -> target) pairs of one field at one machine node."""

    __slots__ = (
        "exact", "ip_exact", "prefix", "prefix_ic", "suffix", "suffix_ic", "equals_ic",
        "wildcard", "numeric", "cidr", "anything_but", "anything_but_excluded", "tested",
        "exists", "has_string_ops", "needs_numbers", "needs_ip", "exact_only", "probe",
    )  # fmt: skip

    def __init__(self, pairs: Iterable[tuple[Matcher, T]]) -> None:
        exact: dict[Hashable, list[T]] = defaultdict(list)
        ip_exact: dict[tuple[int, int], list[T]] = defaultdict(list)
        affixes: dict[str, dict[int, dict[str, list[T]]]] = {
            k: defaultdict(lambda: defaultdict(list)) for k in ("p", "pi", "s", "si")
        }
        equals_ic: dict[str, list[T]] = defaultdict(list)
        wildcard: dict[int, dict[str, list[tuple[Any, T]]]] = defaultdict(lambda: defaultdict(list))
        numeric: list[tuple[int, bool, int, bool, T]] = []
        cidr: dict[int, list[tuple[int, bool, int, bool, T]]] = defaultdict(list)
        anything_but: list[T] = []
        excluded: dict[Hashable, set[int]] = defaultdict(set)  # value -> positions in anything_but
        tested: list[tuple[Matcher, T]] = []
        exists: list[T] = []
        for matcher, target in pairs:
            if isinstance(matcher, Exact):
                for key in matcher.keys:
                    exact[key].append(target)
            elif isinstance(matcher, IpExact):
                ip_exact[(matcher.version, matcher.address)].append(target)
            elif isinstance(matcher, Prefix | Suffix):
                kind = ("p" if isinstance(matcher, Prefix) else "s") + ("i" if matcher.ignore_case else "")
                affixes[kind][len(matcher.text)][matcher.text].append(target)
            elif isinstance(matcher, EqualsIgnoreCase):
                equals_ic[matcher.lowered].append(target)
            elif isinstance(matcher, Wildcard):
                lit = matcher.literal_prefix
                wildcard[len(lit)][lit].append((matcher.regex, target))
            elif isinstance(matcher, Numeric):
                numeric.append((matcher.lo, matcher.lo_open, matcher.hi, matcher.hi_open, target))
            elif isinstance(matcher, Cidr):
                cidr[matcher.version].append((matcher.lo, False, matcher.hi, False, target))
            elif isinstance(matcher, AnythingBut):
                for key in matcher.excluded:
                    excluded[key].add(len(anything_but))
                anything_but.append(target)
            elif isinstance(matcher, Exists):
                exists.append(target)
            else:
                tested.append((matcher, target))
        self.exact = {k: tuple(v) for k, v in exact.items()}
        self.ip_exact = {k: tuple(v) for k, v in ip_exact.items()}
        self.prefix = _freeze_affix(affixes["p"])
        self.prefix_ic = _freeze_affix(affixes["pi"])
        self.suffix = _freeze_affix(affixes["s"])
        self.suffix_ic = _freeze_affix(affixes["si"])
        self.equals_ic = {k: tuple(v) for k, v in equals_ic.items()}
        self.wildcard = tuple(
            (length, {lit: tuple(v) for lit, v in by_lit.items()}) for length, by_lit in sorted(wildcard.items())
        )
        self.numeric = _Intervals(numeric) if numeric else None
        self.cidr = {version: _Intervals(items) for version, items in cidr.items()}
        self.anything_but = tuple(anything_but)
        self.anything_but_excluded = {k: frozenset(v) for k, v in excluded.items()}
        self.tested = tuple(tested)
        self.exists = tuple(exists)
        self.has_string_ops = bool(
            self.prefix or self.prefix_ic or self.suffix or self.suffix_ic or self.equals_ic or self.wildcard
        )
        self.needs_numbers = self.numeric is not None
        self.needs_ip = bool(self.ip_exact or self.cidr)
        # most indexes hold exact values only: the machine then probes ``exact`` directly
        self.exact_only = not (
            self.has_string_ops or self.needs_numbers or self.needs_ip or self.anything_but
            or self.tested or self.exists
        )  # fmt: skip
        self.probe = self._build_probe()

    def lookup(self, value: Any, key: Hashable, out: list[T]) -> None:
        """Append every target whose matcher accepts ``value`` (whose value_key is ``key``)."""
        self.probe(value, key, out)

    def _build_probe(self) -> Probe[T]:
        """One closure doing only the checks this index needs: most indexes hold one kind."""
        probes: list[Probe[T]] = []
        if self.exact:
            probes.append(_exact_probe(self.exact))
        if self.exists:
            probes.append(_all_probe(self.exists))
        if self.anything_but:
            probes.append(_anything_but_probe(self.anything_but, self.anything_but_excluded))
        for table, lower in ((self.prefix, False), (self.prefix_ic, True)):
            if table:
                probes.append(_affix_probe(table, lower, suffix=False))
        for table, lower in ((self.suffix, False), (self.suffix_ic, True)):
            if table:
                probes.append(_affix_probe(table, lower, suffix=True))
        if self.equals_ic:
            probes.append(_equals_ic_probe(self.equals_ic))
        if self.wildcard:
            probes.append(_wildcard_probe(self.wildcard))
        if self.numeric is not None:
            probes.append(_numeric_probe(self.numeric))
        if self.ip_exact or self.cidr:
            probes.append(_ip_probe(self.ip_exact, self.cidr))
        if self.tested:
            probes.append(_tested_probe(self.tested))
        if len(probes) == 1:
            return probes[0]
        chain = tuple(probes)

        def probe_all(value: Any, key: Hashable, out: list[T]) -> None:
            for p in chain:
                p(value, key, out)

        return probe_all


Probe = Callable[[Any, Hashable, list[T]], None]


def _exact_probe(exact: dict[Hashable, tuple[T, ...]]) -> Probe[T]:
    get = exact.get

    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        hit = get(key)
        if hit:
            out.extend(hit)

    return probe


def _all_probe(targets: tuple[T, ...]) -> Probe[T]:
    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        out.extend(targets)

    return probe


def _anything_but_probe(targets: tuple[T, ...], excluded: dict[Hashable, frozenset[int]]) -> Probe[T]:
    get = excluded.get

    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        skip = get(key)
        if skip:
            out.extend(t for i, t in enumerate(targets) if i not in skip)
        else:
            out.extend(targets)

    return probe


def _affix_probe(table: tuple[tuple[int, dict[str, tuple[T, ...]]], ...], lower: bool, *, suffix: bool) -> Probe[T]:
    if len(table) == 1 and not lower:
        (length, by_text), = table
        get = by_text.get
        if suffix:
            def probe_one_suffix(value: Any, key: Hashable, out: list[T]) -> None:
                if type(value) is str and len(value) >= length:
                    hit = get(value[len(value) - length :])
                    if hit:
                        out.extend(hit)

            return probe_one_suffix

        def probe_one_prefix(value: Any, key: Hashable, out: list[T]) -> None:
            if type(value) is str:
                hit = get(value[:length])
                if hit and len(value) >= length:
                    out.extend(hit)

        return probe_one_prefix

    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        if type(value) is not str:
            return
        text = value.lower() if lower else value
        n = len(text)
        for length, by_text in table:
            if length > n:
                break
            hit = by_text.get(text[n - length :] if suffix else text[:length])
            if hit:
                out.extend(hit)

    return probe


def _equals_ic_probe(table: dict[str, tuple[T, ...]]) -> Probe[T]:
    get = table.get

    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        if type(value) is str:
            hit = get(value.lower())
            if hit:
                out.extend(hit)

    return probe


def _wildcard_probe(table: tuple[tuple[int, dict[str, tuple[tuple[Any, T], ...]]], ...]) -> Probe[T]:
    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        if type(value) is not str:
            return
        n = len(value)
        for length, by_lit in table:
            if length > n:
                break
            candidates = by_lit.get(value[:length])
            if candidates:
                for regex, target in candidates:
                    if regex.fullmatch(value):
                        out.append(target)

    return probe


def _numeric_probe(intervals: _Intervals[T]) -> Probe[T]:
    find = intervals.find

    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        # the value key of a comparable number is ("n", millionths)
        if type(key) is tuple and key[0] == "n":
            out.extend(find(key[1]))

    return probe


def _ip_probe(ip_exact: dict[tuple[int, int], tuple[T, ...]], cidr: dict[int, _Intervals[T]]) -> Probe[T]:
    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        if type(value) is not str:
            return
        ip = ip_of(value)
        if ip is None:
            return
        hit = ip_exact.get(ip)
        if hit:
            out.extend(hit)
        ranges = cidr.get(ip[0])
        if ranges is not None:
            out.extend(ranges.find(ip[1]))

    return probe


def _tested_probe(tested: tuple[tuple[Matcher, T], ...]) -> Probe[T]:
    def probe(value: Any, key: Hashable, out: list[T]) -> None:
        for matcher, target in tested:
            if matcher.test(value):
                out.append(target)

    return probe


def _freeze_affix(table: dict[int, dict[str, list[T]]]) -> tuple[tuple[int, dict[str, tuple[T, ...]]], ...]:
    return tuple((length, {t: tuple(v) for t, v in by_text.items()}) for length, by_text in sorted(table.items()))
