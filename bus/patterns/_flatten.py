"""Turn an event into the leaves a pattern set can look at, and nothing more.

Only paths some pattern names are visited: a 2 KB event with a long free-text field costs
the same as a small one when no pattern reads that field. The walk follows a trie of the
patterns' path components, one dictionary probe per event key. A key that itself contains
dots (``{"a.b": 1}``) names the same path as ``{"a": {"b": 1}}``, as in EventBridge.

Each leaf remembers which element of which array of objects it came from (its *membership*),
so fields of one pattern can be required to come from the same array element, as AWS
requires ("array consistency"). Scalars directly in an array need no membership: no other
field can share their element.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from bus.patterns._matchers import value_key

Membership = tuple[tuple[int, int], ...]  # (array id, element index) pairs, outermost first
Leaf = tuple[Any, Any, Membership]  # (value, value_key(value), membership)
Leaves = dict[str, list[Leaf]]

NO_MEMBERSHIP: Membership = ()

# Deeper events are refused rather than walked: the walk recurses, and compiled (mypyc) code has no
# interpreter recursion check to stop it. AWS's own JSON parser refuses nesting deeper than 1,000.
MAX_DEPTH = 400


class EventTooDeep(ValueError):
    """The event nests arrays/objects deeper than MAX_DEPTH along a path a pattern reads."""


class _Step:
    """One path component: the full path so far, whether a pattern names it, what may follow."""

    def __init__(self, path: str) -> None:
        self.path: Final = path
        self.is_leaf_path = False
        self.children: dict[str, _Step] = {}


class Flattener:
    """Collects leaves for a fixed set of paths; rebuilt when the pattern set changes."""

    def __init__(self, paths: Collection[str]) -> None:
        self.root = _Step("")
        for path in paths:
            step = self.root
            for part in path.split("."):
                nxt = step.children.get(part)
                if nxt is None:
                    nxt = step.children[part] = _Step(f"{step.path}.{part}" if step.path else part)
                step = nxt
            step.is_leaf_path = True

    def leaves(self, event: dict[str, Any]) -> Leaves:
        out: Leaves = {}
        self._object(event, self.root, NO_MEMBERSHIP, out, [0], 0)
        return out

    def _object(
        self, obj: dict[str, Any], at: _Step, memb: Membership, out: Leaves, ids: list[int], depth: int
    ) -> None:
        if depth > MAX_DEPTH:
            raise EventTooDeep(f"Event is nested deeper than {MAX_DEPTH} levels")
        children = at.children
        for key, value in obj.items():
            step = children.get(key)
            if step is None:
                if "." not in key:
                    continue
                step = self._dotted(at, key)
                if step is None:
                    continue
            self._value(value, step, memb, out, ids, depth + 1)

    def _value(
        self, value: Any, step: _Step, memb: Membership, out: Leaves, ids: list[int], depth: int
    ) -> None:
        if type(value) is dict:
            if step.children:
                self._object(value, step, memb, out, ids, depth)
        elif type(value) is list:
            if depth > MAX_DEPTH:
                raise EventTooDeep(f"Event is nested deeper than {MAX_DEPTH} levels")
            self._array(value, step, memb, out, ids, depth)
        elif step.is_leaf_path:
            leaf = (value, value if type(value) is str else value_key(value), memb)
            bucket = out.get(step.path)
            if bucket is None:
                out[step.path] = [leaf]
            else:
                bucket.append(leaf)

    @staticmethod
    def _dotted(at: _Step, key: str) -> _Step | None:
        step: _Step | None = at
        for part in key.split("."):
            assert step is not None
            step = step.children.get(part)
            if step is None:
                return None
        return step

    def _array(
        self, items: list[Any], step: _Step, memb: Membership, out: Leaves, ids: list[int], depth: int
    ) -> None:
        ids[0] += 1
        array_id = ids[0]
        for index, item in enumerate(items):
            if type(item) is dict or type(item) is list:
                self._value(item, step, (*memb, (array_id, index)), out, ids, depth + 1)
            else:
                self._value(item, step, memb, out, ids, depth + 1)
