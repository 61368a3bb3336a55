"""Value matchers: what one alternative in a pattern's value list accepts.

Each matcher answers ``test(value)`` for one event leaf (str, int, float, bool or None) with
EventBridge's typing rules, which follow from Ruler comparing JSON text: strings only ever
match string operators (prefix, suffix, wildcard, equals-ignore-case, cidr), numbers only
``numeric`` and numeric exact values, while ``anything-but`` accepts every leaf it does not
exclude, whatever its type (``{"anything-but": [1, 2]}`` matches ``"444"``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Hashable
from dataclasses import dataclass

from bus.patterns._numbers import LIMIT, describe, micros_from_value

Leaf = str | int | float | bool | None

TRUE: Hashable = ("c", "true")
FALSE: Hashable = ("c", "false")
NULL: Hashable = ("c", "null")

_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


def value_key(value: Leaf) -> Hashable:
    """The one key under which an event leaf is looked up among exact values."""
    if type(value) is str:
        return value
    if value is True:
        return TRUE
    if value is False:
        return FALSE
    if value is None:
        return NULL
    assert isinstance(value, int | float)
    micros = micros_from_value(value)
    if micros is not None:
        return ("n", micros)
    return ("lit", str(value))


def ip_of(text: str) -> tuple[int, int] | None:
    """(IP version, address as int) when the text is an IP literal as Ruler recognises one."""
    if not (_IPV4.fullmatch(text) or _IPV6.fullmatch(text)):
        return None
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    return addr.version, int(addr)


def is_ip_shaped(text: str) -> bool:
    return bool(_IPV4.fullmatch(text) or _IPV6.fullmatch(text))


def _show_key(key: Hashable) -> str:
    if isinstance(key, str):
        return f'"{key}"'
    assert isinstance(key, tuple)
    kind, raw = key
    if kind == "n":
        return describe(raw)
    return str(raw)


class Matcher:
    """One alternative of a field's value list."""

    __slots__ = ()

    def test(self, value: Leaf) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Exact(Matcher):
    keys: frozenset[Hashable]
    shown: str

    def test(self, value: Leaf) -> bool:
        return value_key(value) in self.keys

    def describe(self) -> str:
        return self.shown


@dataclass(frozen=True, slots=True)
class IpExact(Matcher):
    version: int
    address: int
    shown: str

    def test(self, value: Leaf) -> bool:
        return type(value) is str and ip_of(value) == (self.version, self.address)

    def describe(self) -> str:
        return f'"{self.shown}" (as an IP address)'


@dataclass(frozen=True, slots=True)
class Prefix(Matcher):
    text: str
    ignore_case: bool

    def test(self, value: Leaf) -> bool:
        if type(value) is not str:
            return False
        return (value.lower() if self.ignore_case else value).startswith(self.text)

    def describe(self) -> str:
        return f'a string starting with "{self.text}"' + (" (any case)" if self.ignore_case else "")


@dataclass(frozen=True, slots=True)
class Suffix(Matcher):
    text: str
    ignore_case: bool

    def test(self, value: Leaf) -> bool:
        if type(value) is not str:
            return False
        return (value.lower() if self.ignore_case else value).endswith(self.text)

    def describe(self) -> str:
        return f'a string ending with "{self.text}"' + (" (any case)" if self.ignore_case else "")


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(Matcher):
    lowered: str

    def test(self, value: Leaf) -> bool:
        return type(value) is str and value.lower() == self.lowered

    def describe(self) -> str:
        return f'"{self.lowered}" in any case'


@dataclass(frozen=True, slots=True)
class Wildcard(Matcher):
    text: str
    regex: re.Pattern[str]
    literal_prefix: str

    def test(self, value: Leaf) -> bool:
        return type(value) is str and self.regex.fullmatch(value) is not None

    def describe(self) -> str:
        return f'a string like "{self.text}"'


@dataclass(frozen=True, slots=True)
class Numeric(Matcher):
    """A closed/open interval in millionths; exact numeric equality is lo == hi, both closed."""

    lo: int
    lo_open: bool
    hi: int
    hi_open: bool

    def test(self, value: Leaf) -> bool:
        if type(value) is not int and type(value) is not float:
            return False
        m = micros_from_value(value)
        if m is None:
            return False
        if m < self.lo or (self.lo_open and m == self.lo):
            return False
        return not (m > self.hi or (self.hi_open and m == self.hi))

    def describe(self) -> str:
        if self.lo == self.hi:
            return f"the number {describe(self.lo)}"
        bounds = []
        if self.lo != -LIMIT or self.lo_open:
            bounds.append(f"{'>' if self.lo_open else '>='} {describe(self.lo)}")
        if self.hi != LIMIT or self.hi_open:
            bounds.append(f"{'<' if self.hi_open else '<='} {describe(self.hi)}")
        return "a number " + " and ".join(bounds)


@dataclass(frozen=True, slots=True)
class Cidr(Matcher):
    version: int
    lo: int
    hi: int
    shown: str

    def test(self, value: Leaf) -> bool:
        if type(value) is not str:
            return False
        ip = ip_of(value)
        return ip is not None and ip[0] == self.version and self.lo <= ip[1] <= self.hi

    def describe(self) -> str:
        return f"an IP address in {self.shown}"


@dataclass(frozen=True, slots=True)
class AnythingBut(Matcher):
    """Excludes exact strings, or numbers (as millionths): every other leaf matches."""

    excluded: frozenset[Hashable]

    def test(self, value: Leaf) -> bool:
        return value_key(value) not in self.excluded

    def describe(self) -> str:
        return "anything but " + ", ".join(sorted(_show_key(k) for k in self.excluded))


@dataclass(frozen=True, slots=True)
class AnythingButPrefix(Matcher):
    texts: tuple[str, ...]

    def test(self, value: Leaf) -> bool:
        return type(value) is not str or not any(value.startswith(t) for t in self.texts)

    def describe(self) -> str:
        return "anything not starting with " + " or ".join(f'"{t}"' for t in self.texts)


@dataclass(frozen=True, slots=True)
class AnythingButSuffix(Matcher):
    texts: tuple[str, ...]

    def test(self, value: Leaf) -> bool:
        return type(value) is not str or not any(value.endswith(t) for t in self.texts)

    def describe(self) -> str:
        return "anything not ending with " + " or ".join(f'"{t}"' for t in self.texts)


@dataclass(frozen=True, slots=True)
class AnythingButIgnoreCase(Matcher):
    lowered: frozenset[str]

    def test(self, value: Leaf) -> bool:
        return type(value) is not str or value.lower() not in self.lowered

    def describe(self) -> str:
        return "anything but (any case) " + ", ".join(f'"{t}"' for t in sorted(self.lowered))


@dataclass(frozen=True, slots=True)
class AnythingButWildcard(Matcher):
    texts: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]

    def test(self, value: Leaf) -> bool:
        return type(value) is not str or not any(r.fullmatch(value) for r in self.regexes)

    def describe(self) -> str:
        return "anything not like " + " or ".join(f'"{t}"' for t in self.texts)


@dataclass(frozen=True, slots=True)
class Exists(Matcher):
    """``exists: true``: any leaf at all, null included (absence is a Condition flag, not a matcher)."""

    def test(self, value: Leaf) -> bool:
        return True

    def describe(self) -> str:
        return "any value (exists)"
