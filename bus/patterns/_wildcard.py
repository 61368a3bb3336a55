"""Wildcard values: AWS's syntax rules, matching, and its "too complex" guard.

Syntax (Ruler's WildcardParser): ``*`` matches any run of characters, ``\\*`` is a literal
star, ``\\\\`` a literal backslash; any other backslash, or two stars in a row, is an error
whose position counts UTF-8 bytes of the value with its opening quote (Ruler parses ``"value"``).

Complexity: AWS rejects wildcard patterns whose matching automaton can sit in many states at
once (``*:*:*:*:*:event-bus/*`` is the documented example), because their cost per event grows
with that number. Ruler measures the largest set of automaton states one input can leave
active; we compute the same quantity on the NFA of each field's wildcards, exactly, by subset
construction over the pattern's own characters plus one "any other" character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bus.patterns.errors import InvalidEventPattern

STAR = object()
Token = object  # a literal character (str) or STAR

# The most wildcards one input may keep "open" at once in a field. AWS's documented
# too-complex example `*:*:*:*:*:event-bus/*` keeps all 6 open (input ":::::"), while the
# patterns AWS accepts in our conformance corpus keep at most 2 open. AWS does not publish
# its threshold; docs/deviations.md records this choice.
MAX_ACTIVE_STATES = 5
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)


def parse(value: str) -> list[object]:
    """Tokens of a wildcard value, or InvalidEventPattern with Ruler's message."""
    tokens: list[object] = []
    pos = 1  # byte offset in '"' + value, as Ruler reports it
    chars = value
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch == "*":
            if i + 1 < len(chars) and chars[i + 1] == "*":
                raise InvalidEventPattern(f"Consecutive wildcard characters at pos {pos}")
            tokens.append(STAR)
        elif ch == "\\":
            nxt = chars[i + 1] if i + 1 < len(chars) else ""
            if nxt not in ("*", "\\"):
                raise InvalidEventPattern(f"Invalid escape character at pos {pos}")
            tokens.append(nxt)
            i += 1
            pos += 1
        else:
            tokens.append(ch)
        pos += len(ch.encode("utf-8"))
        i += 1
    return tokens


def to_regex(tokens: Sequence[object]) -> re.Pattern[str]:
    body = "".join(".*" if t is STAR else re.escape(str(t)) for t in tokens)
    return re.compile(body, re.DOTALL)


def literal_prefix(tokens: Sequence[object]) -> str:
    """The fixed text before the first star: lets the matcher skip patterns cheaply."""
    out = []
    for t in tokens:
        if t is STAR:
            break
        out.append(str(t))
    return "".join(out)


def max_active_states(patterns: Iterable[Sequence[object]]) -> int:
    """Largest number of wildcards any single input leaves active at once across these patterns."""
    pats = [list(p) for p in patterns if any(t is STAR for t in p)]
    if not pats:
        return 0
    alphabet = {str(t) for p in pats for t in p if t is not STAR}
    other = "\x00"
    while other in alphabet:
        other = chr(ord(other) + 1)
    alphabet.add(other)

    def close(states: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        # a star can match nothing: being before it means also being after it
        out = set(states)
        stack = list(states)
        while stack:
            k, i = stack.pop()
            if i < len(pats[k]) and pats[k][i] is STAR and (k, i + 1) not in out:
                out.add((k, i + 1))
                stack.append((k, i + 1))
        return frozenset(out)

    def step(states: frozenset[tuple[int, int]], ch: str) -> frozenset[tuple[int, int]]:
        nxt: set[tuple[int, int]] = set()
        for k, i in states:
            if i < len(pats[k]):
                tok = pats[k][i]
                if tok is STAR:
                    nxt.add((k, i))
                elif tok == ch:
                    nxt.add((k, i + 1))
        return close(nxt)

    start = close({(k, 0) for k in range(len(pats))})
    seen = {start}
    frontier = [start]

    def stars(states: frozenset[tuple[int, int]]) -> int:
        return sum(1 for k, i in states if i < len(pats[k]) and pats[k][i] is STAR)

    best = stars(start)
    budget = 20_000  # subsets explored; far beyond any pattern that fits in 4,096 characters
    while frontier and budget:
        budget -= 1
        current = frontier.pop()
        for ch in alphabet:
            nxt = step(current, ch)
            if nxt and nxt not in seen:
                seen.add(nxt)
                best = max(best, stars(nxt))
                if best > MAX_ACTIVE_STATES:
                    return best
                frontier.append(nxt)
    return best


def check_complexity(patterns: Iterable[Sequence[object]]) -> None:
    if max_active_states(patterns) > MAX_ACTIVE_STATES:
        raise InvalidEventPattern(TOO_COMPLEX)
